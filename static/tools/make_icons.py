"""Generate the HomeLoop app icons (house + loop mark on the brand colour).

    .venv/bin/python static/tools/make_icons.py

Writes into static/icons/: icon-192.png, icon-512.png (purpose "any", rounded square),
icon-maskable-512.png (full bleed, mark inside the central 80% safe zone),
apple-touch-icon.png (180, full bleed; iOS rounds the corners), favicon.ico (16/32/48)
and favicon.svg (same geometry as vectors).
"""
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent.parent / "icons"
TOP, BOTTOM = (14, 138, 116), (9, 98, 83)  # brand gradient, around --c-primary #0b7261
WHITE = (255, 255, 255)
LOOP = (255, 194, 71)
SS = 4  # supersampling factor

# Mark geometry in a 100x100 box.
ROOF = [(12, 50), (50, 17), (88, 50)]
WALLS = [(23, 41), (23, 86), (77, 86), (77, 41)]
STROKE = 8.5
LOOP_C, LOOP_R, LOOP_W = (50, 62.5), 13, 6.5
LOOP_START, LOOP_END = -25, 245  # degrees, clockwise from +x (y down, PIL convention)


def gradient(size):
    img = Image.new("RGB", (size, size))
    px = img.load()
    for y in range(size):
        t = y / max(size - 1, 1)
        c = tuple(round(a + (b - a) * t) for a, b in zip(TOP, BOTTOM))
        for x in range(size):
            px[x, y] = c
    return img


def draw_mark(draw, ox, oy, scale):
    def P(p):
        return (ox + p[0] * scale, oy + p[1] * scale)

    w = STROKE * scale

    def cap(p, width, fill):
        x, y = P(p)
        r = width / 2
        draw.ellipse((x - r, y - r, x + r, y + r), fill=fill)

    draw.line([P(p) for p in WALLS], fill=WHITE, width=round(w), joint="curve")
    draw.line([P(p) for p in ROOF], fill=WHITE, width=round(w), joint="curve")
    for p in (ROOF[0], ROOF[-1], WALLS[0], WALLS[-1]):
        cap(p, w, WHITE)

    # loop: an open circle with an arrow head at its end
    import math

    cx, cy = LOOP_C
    lw = LOOP_W * scale
    outer = LOOP_R + LOOP_W / 2  # PIL draws arc width inwards from the bbox
    box = [P((cx - outer, cy - outer)), P((cx + outer, cy + outer))]
    draw.arc([box[0], box[1]], LOOP_START, LOOP_END, fill=LOOP, width=round(lw))
    start = (cx + LOOP_R * math.cos(math.radians(LOOP_START)), cy + LOOP_R * math.sin(math.radians(LOOP_START)))
    cap(start, lw, LOOP)
    a = math.radians(LOOP_END)
    end = (cx + LOOP_R * math.cos(a), cy + LOOP_R * math.sin(a))
    tangent = (-math.sin(a), math.cos(a))  # clockwise direction of travel
    normal = (math.cos(a), math.sin(a))
    tip, left, right = arrow_head(end, tangent, normal)
    draw.polygon([P(tip), P(left), P(right)], fill=LOOP)


def arrow_head(end, tangent, normal):
    half, length = LOOP_W * 1.15, LOOP_W * 1.7
    tip = (end[0] + tangent[0] * length, end[1] + tangent[1] * length)
    left = (end[0] + normal[0] * half, end[1] + normal[1] * half)
    right = (end[0] - normal[0] * half, end[1] - normal[1] * half)
    return tip, left, right


def render(size, mark_frac, rounded):
    big = size * SS
    bg = gradient(big).convert("RGBA")
    if rounded:
        mask = Image.new("L", (big, big), 0)
        ImageDraw.Draw(mask).rounded_rectangle((0, 0, big - 1, big - 1), radius=round(big * 0.22), fill=255)
        bg.putalpha(mask)
    draw = ImageDraw.Draw(bg)
    scale = big * mark_frac / 100 / 100  # mark box is 100 units
    off = (big - 100 * scale) / 2
    draw_mark(draw, off, off + scale * 2, scale)  # nudge down: the roof makes the mark top-heavy
    return bg.resize((size, size), Image.LANCZOS)


SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#0e8a74"/><stop offset="1" stop-color="#096253"/></linearGradient></defs>
<rect width="100" height="100" rx="22" fill="url(#g)"/>
<g transform="translate(12 14) scale(.76)" fill="none" stroke-linecap="round" stroke-linejoin="round">
<path d="M{walls}" stroke="#fff" stroke-width="{sw}"/>
<path d="M{roof}" stroke="#fff" stroke-width="{sw}"/>
<path d="{loop}" stroke="#ffc247" stroke-width="{lw}"/>
<path d="{head}" fill="#ffc247" stroke="none"/>
</g>
</svg>
"""


def svg():
    import math

    cx, cy = LOOP_C
    pt = lambda deg: (cx + LOOP_R * math.cos(math.radians(deg)), cy + LOOP_R * math.sin(math.radians(deg)))
    s, e = pt(LOOP_START), pt(LOOP_END)
    large = 1 if (LOOP_END - LOOP_START) % 360 > 180 else 0
    loop = f"M{s[0]:.2f} {s[1]:.2f}A{LOOP_R} {LOOP_R} 0 {large} 1 {e[0]:.2f} {e[1]:.2f}"
    a = math.radians(LOOP_END)
    t, n = (-math.sin(a), math.cos(a)), (math.cos(a), math.sin(a))
    tip, l, r = arrow_head(e, t, n)
    head = f"M{tip[0]:.2f} {tip[1]:.2f}L{l[0]:.2f} {l[1]:.2f}L{r[0]:.2f} {r[1]:.2f}Z"
    pts = lambda ps: "L".join(f"{x} {y}" for x, y in ps)
    return SVG.format(walls=pts(WALLS), roof=pts(ROOF), loop=loop, head=head, sw=STROKE, lw=LOOP_W)


def main():
    render(192, 70, True).save(HERE / "icon-192.png", optimize=True)
    render(512, 70, True).save(HERE / "icon-512.png", optimize=True)
    # maskable: whole mark must sit inside the safe circle (radius 40% of the size)
    render(512, 62, False).convert("RGB").save(HERE / "icon-maskable-512.png", optimize=True)
    render(180, 68, False).convert("RGB").save(HERE / "apple-touch-icon.png", optimize=True)
    ico = render(256, 80, True)
    ico.save(HERE / "favicon.ico", sizes=[(16, 16), (32, 32), (48, 48)])
    (HERE / "favicon.svg").write_text(svg())


if __name__ == "__main__":
    main()
