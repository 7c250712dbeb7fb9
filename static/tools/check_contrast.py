"""WCAG 2 contrast check for the colour pairs used in css/tokens.css (light and dark theme).

    python3 static/tools/check_contrast.py      # exits 1 if a pair falls below its minimum
"""
import re
import sys
from pathlib import Path

TOKENS = Path(__file__).resolve().parent.parent / "css" / "tokens.css"

# (foreground, background, minimum ratio); 3.0 = non-text (control edges, focus ring)
PAIRS = [
    ("c-text", "c-bg", 4.5), ("c-text", "c-surface", 4.5), ("c-text", "c-surface-2", 4.5),
    ("c-text-muted", "c-bg", 4.5), ("c-text-muted", "c-surface", 4.5), ("c-text-muted", "c-surface-2", 4.5),
    ("c-on-primary", "c-primary", 4.5), ("c-on-primary", "c-primary-hover", 4.5),
    ("c-primary-text", "c-surface", 4.5), ("c-primary-text", "c-bg", 4.5), ("c-primary-text", "c-primary-soft", 4.5),
    ("c-primary", "c-surface", 4.5),
    ("c-info", "c-info-soft", 4.5), ("c-success", "c-success-soft", 4.5), ("c-warning", "c-warning-soft", 4.5),
    ("c-danger", "c-danger-soft", 4.5), ("c-neutral", "c-neutral-soft", 4.5),
    ("c-danger", "c-surface", 4.5), ("c-success", "c-surface", 4.5), ("c-info", "c-surface", 4.5), ("c-warning", "c-surface", 4.5),
    ("c-internal", "c-internal-soft", 4.5), ("c-text", "c-internal-soft", 4.5), ("c-text-muted", "c-internal-soft", 4.5),
    ("c-text", "c-primary-soft", 4.5), ("c-text-muted", "c-primary-soft", 4.5),
    ("c-prio-urgent", "c-surface", 4.5), ("c-prio-high", "c-surface", 4.5),
    ("c-prio-normal", "c-surface", 4.5), ("c-prio-low", "c-surface", 4.5),
    ("c-border-strong", "c-surface", 3.0), ("c-focus", "c-surface", 3.0), ("c-focus", "c-bg", 3.0),
    ("#ffffff", "c-danger-solid", 4.5),
]


def luminance(hex_colour):
    h = hex_colour.lstrip("#")
    if len(h) == 3:
        h = "".join(c * 2 for c in h)

    def channel(v):
        v = int(v, 16) / 255
        return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(h[i:i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def ratio(a, b):
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def main():
    text = TOKENS.read_text()
    light_part, dark_part = text.split("@media (prefers-color-scheme: dark)")
    parse = lambda t: dict(re.findall(r"--(c-[\w-]+):\s*(#[0-9a-fA-F]{3,6})\b", t))
    themes = {"light": parse(light_part)}
    themes["dark"] = {**themes["light"], **parse(dark_part)}
    failures = 0
    for name, colours in themes.items():
        for fg, bg, need in PAIRS:
            f = fg if fg.startswith("#") else colours[fg]
            r = ratio(f, colours[bg])
            bad = r < need
            failures += bad
            print(f"{name:5} {fg:16} on {bg:16} {r:5.2f}  (need {need}){'  FAIL' if bad else ''}")
    print(f"{len(PAIRS) * 2 - failures} passed, {failures} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
