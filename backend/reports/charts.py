"""Server-side SVG charts: no script, no inline style; each comes with its data table in the
template for screen readers (the SVG itself is ``aria-hidden``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape


@dataclass
class Bar:
    label: str
    parts: Sequence[float]  # stacked segments, left to right


def bars(items: Sequence[Bar], *, width: int = 560, row: int = 26) -> str:
    """Horizontal (stacked) bars scaled to the largest total; classes colour the parts."""
    top = max((sum(i.parts) for i in items), default=0) or 1
    label_w, chart_w = 130, width - 140
    out = [f'<svg class="chart" viewBox="0 0 {width} {row * len(items) + 4}" '
           f'width="100%" role="presentation" aria-hidden="true" focusable="false">']
    for n, item in enumerate(items):
        y = n * row + 2
        out.append(f'<text class="chart__label" x="0" y="{y + row * 0.65:.1f}">'
                   f'{escape(item.label)}</text>')
        x = float(label_w)
        for k, part in enumerate(item.parts):
            w = chart_w * part / top
            if w > 0:
                out.append(f'<rect class="chart__part chart__part--{k}" x="{x:.1f}" y="{y}" '
                           f'width="{w:.1f}" height="{row - 6}"></rect>')
            x += w
    out.append("</svg>")
    return "".join(out)


def line(points: Sequence[tuple[str, float | None]], *, lo: float = -100, hi: float = 100,
         width: int = 560, height: int = 160) -> str:
    """A trend line over labelled points; gaps (None) break the line."""
    pad, n = 28, max(1, len(points) - 1)
    span = (hi - lo) or 1

    def xy(i: int, v: float) -> str:
        x = pad + (width - 2 * pad) * i / n
        y = height - pad - (height - 2 * pad) * (v - lo) / span
        return f"{x:.1f},{y:.1f}"

    out = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" '
           f'role="presentation" aria-hidden="true" focusable="false">',
           f'<line class="chart__axis" x1="{pad}" y1="{height - pad}" x2="{width - pad}" '
           f'y2="{height - pad}"></line>']
    run: list[str] = []
    for i, (label, value) in enumerate(points):
        x = pad + (width - 2 * pad) * i / n
        out.append(f'<text class="chart__tick" x="{x:.1f}" y="{height - 8}">'
                   f'{escape(label)}</text>')
        if value is None:
            if len(run) > 1:
                out.append(f'<polyline class="chart__line" points="{" ".join(run)}"></polyline>')
            run = []
            continue
        run.append(xy(i, value))
        out.append(f'<circle class="chart__dot" cx="{xy(i, value).split(",")[0]}" '
                   f'cy="{xy(i, value).split(",")[1]}" r="3"></circle>')
    if len(run) > 1:
        out.append(f'<polyline class="chart__line" points="{" ".join(run)}"></polyline>')
    out.append("</svg>")
    return "".join(out)
