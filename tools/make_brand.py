"""Draw the Pushover Plus brand images (our own artwork, not Pushover's logo).

Writes custom_components/pushover_plus/brand/{,dark_}logo{,@2x}.png and icon{,@2x}.png:
a blue rounded square holding a white bell with a "+" badge, on a transparent
background. Run with any Python that has Pillow (it is not a project dependency):

    .venv/bin/python tools/make_brand.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

BRAND_DIR = Path(__file__).resolve().parent.parent / "custom_components" / "pushover_plus" / "brand"

SUPERSAMPLE = 4
BLUE_TOP = (59, 130, 246)  # light blue
BLUE_BOTTOM = (29, 78, 216)  # deep blue
WHITE = (255, 255, 255, 255)
BADGE = (14, 165, 233, 255)  # sky blue
BADGE_RING = (255, 255, 255, 255)
TEXT_DARK = (30, 58, 138, 255)
TEXT_LIGHT = (96, 165, 250, 255)

Box = tuple[float, float, float, float]


def _gradient(size: int) -> Image.Image:
    """Vertical blue gradient square."""
    grad = Image.new("RGBA", (size, size))
    draw = ImageDraw.Draw(grad)
    for y in range(size):
        t = y / max(size - 1, 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(BLUE_TOP, BLUE_BOTTOM, strict=True))
        draw.line([(0, y), (size, y)], fill=(*colour, 255))
    return grad


def _scale(box: Box, size: int) -> tuple[int, int, int, int]:
    """Map a box in unit coordinates to pixels."""
    x0, y0, x1, y1 = box
    return round(x0 * size), round(y0 * size), round(x1 * size), round(y1 * size)


def draw_icon(size: int) -> Image.Image:
    """Return the square icon at `size` pixels."""
    big = size * SUPERSAMPLE
    image = Image.new("RGBA", (big, big), (0, 0, 0, 0))

    # Rounded square with a gradient, leaving a small transparent margin.
    mask = Image.new("L", (big, big), 0)
    ImageDraw.Draw(mask).rounded_rectangle(
        _scale((0.03, 0.03, 0.97, 0.97), big), radius=round(0.22 * big), fill=255
    )
    image.paste(_gradient(big), (0, 0), mask)

    draw = ImageDraw.Draw(image)
    # Bell: knob, dome, flared body, rim and clapper.
    draw.ellipse(_scale((0.455, 0.17, 0.545, 0.26), big), fill=WHITE)
    draw.ellipse(_scale((0.30, 0.22, 0.70, 0.56), big), fill=WHITE)
    body = [(0.30, 0.40), (0.70, 0.40), (0.75, 0.64), (0.81, 0.70), (0.19, 0.70), (0.25, 0.64)]
    draw.polygon([(round(x * big), round(y * big)) for x, y in body], fill=WHITE)
    draw.rounded_rectangle(
        _scale((0.16, 0.67, 0.84, 0.74), big), radius=round(0.035 * big), fill=WHITE
    )
    draw.ellipse(_scale((0.43, 0.74, 0.57, 0.84), big), fill=WHITE)

    # "+" badge at the top right, with a ring separating it from the bell.
    draw.ellipse(_scale((0.58, 0.12, 0.90, 0.44), big), fill=BADGE_RING)
    draw.ellipse(_scale((0.605, 0.145, 0.875, 0.415), big), fill=BADGE)
    arm, thick, cx, cy = 0.085, 0.026, 0.74, 0.28
    draw.rounded_rectangle(
        _scale((cx - arm, cy - thick, cx + arm, cy + thick), big),
        radius=round(thick * big),
        fill=WHITE,
    )
    draw.rounded_rectangle(
        _scale((cx - thick, cy - arm, cx + thick, cy + arm), big),
        radius=round(thick * big),
        fill=WHITE,
    )
    return image.resize((size, size), Image.Resampling.LANCZOS)


def draw_logo(height: int, *, dark: bool = False) -> Image.Image:
    """Return the landscape logo (icon plus name) `height` pixels tall; `dark`: for dark themes."""
    scale = height / 128 * SUPERSAMPLE
    big_h = height * SUPERSAMPLE
    name_font = ImageFont.load_default(size=round(50 * scale))  # bundled: same output everywhere
    plus_font = ImageFont.load_default(size=round(46 * scale))
    x = round(140 * scale)
    y_mid = big_h // 2
    text_right = max(x + name_font.getlength("Pushover"), x + plus_font.getlength("Plus")) + round(
        6 * scale
    )
    width = round(text_right / SUPERSAMPLE)
    image = Image.new("RGBA", (width * SUPERSAMPLE, big_h), (0, 0, 0, 0))
    icon = draw_icon(big_h)
    image.paste(icon, (0, 0), icon)

    draw = ImageDraw.Draw(image)
    draw.text(
        (x, y_mid), "Pushover", font=name_font, fill=WHITE if dark else TEXT_DARK, anchor="ls"
    )
    draw.text((x, y_mid + round(12 * scale)), "Plus", font=plus_font, fill=TEXT_LIGHT, anchor="lt")
    return image.resize((width, height), Image.Resampling.LANCZOS)


def main() -> None:
    """Write every brand image."""
    BRAND_DIR.mkdir(parents=True, exist_ok=True)
    outputs = {
        "icon.png": draw_icon(256),
        "icon@2x.png": draw_icon(512),
        "logo.png": draw_logo(128),
        "logo@2x.png": draw_logo(256),
        "dark_logo.png": draw_logo(128, dark=True),
        "dark_logo@2x.png": draw_logo(256, dark=True),
    }
    for name, image in outputs.items():
        path = BRAND_DIR / name
        image.save(path, optimize=True)
        print(f"wrote {path} ({image.width}x{image.height})")


if __name__ == "__main__":
    main()
