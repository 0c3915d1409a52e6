"""The demo's photos: five drawn scenes whose moods the picture head tells apart.

They are drawn with NumPy and Pillow from fixed seeds, so every machine draws the same pictures. The
picture mood was learned from photographs, and flat drawings read as calm whatever they show (the
earlier demo's abstract patterns all did), so these are scenes with a photograph's texture: clouds
and sand of noise, blurred light, film grain on the party and the fog. As `picscore tags` reads them
(December 2026): the beach and the night street calm and pleasant, the party pleasant, the foggy lake
sad and quiet, the volcano sombre; so `suggest` gives the party joyful, lively tracks, the volcano
tense ones and the fog quiet ones.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 640, 480
_NEON = ((255, 40, 160), (40, 220, 255), (255, 220, 40), (140, 60, 255), (60, 255, 120), (255, 90, 30))
_SILHOUETTE = (5, 5, 10)


def write_demo_pictures(folder: str | Path) -> list[Path]:
    """Draw the demo's scenes into `folder` as PNG files (a sunny beach, a night street, a neon party, a foggy
    lake and an erupting volcano) and return their paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in SCENES.items():
        path = folder / f"{name}.png"
        draw(np.random.default_rng(0)).save(path)
        paths.append(path)
    return paths


def _sunny_beach(rng: np.random.Generator) -> Image.Image:
    y, x = _grid()
    sky = np.stack([0.35 + 0.35 * y, 0.62 + 0.25 * y, np.full_like(y, 0.97)], axis=-1)
    sky += 0.75 * np.clip(_clouds(rng) - 0.55, 0, 1)[..., None]
    sea = np.stack([0.05 + 0.1 * y, 0.45 + 0.1 * y, 0.65 + 0.05 * y], axis=-1) + 0.08 * _noise(rng, cell=4)[..., None]
    sand = np.stack([np.full_like(y, 0.93), 0.82 - 0.05 * y, 0.6 - 0.05 * y], axis=-1) + 0.04 * _noise(rng, cell=2)[..., None]
    shore = 0.62 + 0.03 * np.sin(8 * x)
    pixels = np.where(y[..., None] < 0.42, sky, np.where(y[..., None] < shore[..., None], sea, sand))
    pixels[np.abs(y - shore) < 0.012] = (0.97, 0.97, 0.95)  # the surf's edge
    sun = np.hypot(x - 0.78, (y - 0.15) * HEIGHT / WIDTH)
    pixels += (0.9 * np.exp(-((sun / 0.05) ** 2)) + 0.25 * np.exp(-((sun / 0.2) ** 2)))[..., None] * np.array([1.0, 0.95, 0.7])
    image = _image(pixels)
    draw = ImageDraw.Draw(image)
    for i in range(8):  # a striped beach umbrella, a towel and a ball
        colour = (230, 40, 40) if i % 2 == 0 else (250, 250, 250)
        draw.pieslice((90, 270, 270, 390), 180 + i * 22.5, 180 + (i + 1) * 22.5, fill=colour)
    draw.line((180, 330, 190, 450), fill=(90, 60, 30), width=5)
    draw.rectangle((260, 400, 400, 440), fill=(40, 120, 220))
    draw.ellipse((430, 380, 470, 420), fill=(250, 200, 30))
    return image


def _night_street(rng: np.random.Generator) -> Image.Image:
    y, _ = _grid()
    image = _image(np.stack([0.03 + 0.04 * (1 - y), 0.04 + 0.04 * (1 - y), 0.1 + 0.1 * (1 - y)], axis=-1))
    draw = ImageDraw.Draw(image)
    for left in range(0, WIDTH, 95):  # buildings with lit windows
        top = rng.uniform(40, 170)
        draw.rectangle((left, top, left + 88, 330), fill=(18, 18, 26))
        for window_y in range(int(top) + 12, 320, 22):
            for window_x in range(left + 8, left + 80, 18):
                if rng.random() < 0.45:
                    draw.rectangle((window_x, window_y, window_x + 9, window_y + 12), fill=(240, 200, 110))
    draw.rectangle((0, 330, WIDTH, HEIGHT), fill=(25, 25, 32))
    glow = Image.new("RGB", image.size)
    lights = ImageDraw.Draw(glow)
    for lamp_x in (80, 300, 520):  # street lamps and their light on the road
        draw.line((lamp_x, 330, lamp_x, 190), fill=(40, 40, 45), width=5)
        lights.ellipse((lamp_x - 60, 130, lamp_x + 60, 250), fill=(255, 190, 90))
        lights.polygon([(lamp_x - 8, 195), (lamp_x + 8, 195), (lamp_x + 70, HEIGHT), (lamp_x - 70, HEIGHT)], fill=(120, 90, 50))
    return _lit(image, glow.filter(ImageFilter.GaussianBlur(25)))


def _neon_party(rng: np.random.Generator) -> Image.Image:
    lights = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(lights)
    for _ in range(70):  # out-of-focus lights
        radius, x, y = rng.uniform(8, 40), rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT * 0.7)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=_pick(rng, _NEON))
    image = Image.blend(Image.new("RGB", (WIDTH, HEIGHT), (8, 4, 20)), lights.filter(ImageFilter.GaussianBlur(6)), 0.85)
    beams = Image.new("RGB", (WIDTH, HEIGHT))
    draw = ImageDraw.Draw(beams)
    for i in range(6):  # spotlights from the ceiling
        x = 60 + 100 * i
        corners = [(x, 0), (x + 20, 0), (x + 20 + rng.uniform(-250, 250), HEIGHT), (x - 60 + rng.uniform(-250, 250), HEIGHT)]
        draw.polygon(corners, fill=_NEON[i])
    image = Image.blend(image, Image.composite(beams, image, beams.convert("L").point(lambda v: 90 if v else 0)), 0.6)
    draw = ImageDraw.Draw(image)
    for _ in range(250):  # confetti
        x, y = rng.uniform(0, WIDTH), rng.uniform(0, HEIGHT)
        draw.rectangle((x, y, x + rng.uniform(3, 8), y + rng.uniform(3, 8)), fill=_pick(rng, _NEON))
    for i in range(14):  # a dancing crowd
        x, top = 48 * i + rng.uniform(-10, 10), HEIGHT - rng.uniform(90, 130)
        draw.ellipse((x - 18, top - 36, x + 18, top), fill=_SILHOUETTE)
        draw.rectangle((x - 26, top - 4, x + 26, HEIGHT), fill=_SILHOUETTE)
        if rng.random() < 0.6:
            draw.line((x + 18, top + 10, x + 40, top - 70), fill=_SILHOUETTE, width=10)
    for _ in range(8):  # balloons on strings, with a highlight
        x, y, radius = rng.uniform(30, WIDTH - 30), rng.uniform(30, 220), rng.uniform(22, 34)
        colour = _pick(rng, _NEON)
        draw.line((x, y + 1.2 * radius, x + rng.uniform(-15, 15), y + 1.2 * radius + 90), fill=(200, 200, 200), width=1)
        draw.ellipse((x - radius, y - 1.2 * radius, x + radius, y + 1.2 * radius), fill=colour)
        draw.ellipse((x - 0.5 * radius, y - 0.8 * radius, x - 0.2 * radius, y - 0.4 * radius), fill=(255, 255, 255))
    return _grain(image, rng, amount=0.1)


def _foggy_lake(rng: np.random.Generator) -> Image.Image:
    y, _ = _grid()
    mist = 0.78 + 0.06 * y + 0.03 * _clouds(rng)
    image = _image(mist[..., None] * np.array([0.97, 0.99, 1.02]))
    for depth, (shade, blur) in enumerate(((0.62, 6), (0.45, 3), (0.3, 1))):  # pines on the far shore, nearer ones darker
        trees = Image.new("L", image.size)
        draw = ImageDraw.Draw(trees)
        for _ in range(9):
            x, height, foot = rng.uniform(0, WIDTH), rng.uniform(60, 140) * (1 + 0.4 * depth), 250 + 15 * depth
            draw.polygon([(x, foot - height), (x - 0.25 * height, foot), (x + 0.25 * height, foot)], fill=255)
        colour = Image.new("RGB", image.size, tuple(int(255 * shade * c) for c in (0.95, 1.0, 1.0)))
        opacity = [int(v * (0.5 + 0.2 * depth)) for v in range(256)]
        image = Image.composite(colour, image, trees.filter(ImageFilter.GaussianBlur(blur)).point(opacity))
    pixels = np.asarray(image, dtype=np.float64) / 255
    pixels = np.where(y[..., None] > 0.56, 0.6 * pixels[::-1] + 0.28, pixels)  # the still lake mirrors the shore
    image = _image(pixels)
    ImageDraw.Draw(image).polygon([(300, 330), (380, 330), (370, 342), (310, 342)], fill=(60, 55, 50))  # a rowing boat
    return _grain(image.filter(ImageFilter.GaussianBlur(1)), rng, amount=0.04)


def _volcano(rng: np.random.Generator) -> Image.Image:
    y, x = _grid()
    fire = np.exp(-((x - 0.5) ** 2 + (y - 0.35) ** 2) / 0.02)[..., None] * np.array([1.0, 0.35, 0.05])
    sky = (0.05 + 0.2 * _clouds(rng))[..., None] * np.array([1.0, 0.7, 0.6]) + 0.7 * fire
    mountain = y > 0.4 + 0.9 * np.abs(x - 0.5)
    rock = (0.06 + 0.06 * _clouds(rng, cells=(16, 8, 4)))[..., None] * np.array([1.0, 0.9, 0.85])
    pixels = np.where(mountain[..., None], rock, sky)
    lava = mountain & (np.abs(x - 0.5 + 0.08 * np.sin(20 * y)) < 0.02 + 0.1 * (y - 0.4)) & (_clouds(rng, cells=(16, 8)) > 0.35)
    pixels[lava] = (1.0, 0.45, 0.05)
    image = _image(pixels)
    draw = ImageDraw.Draw(image)
    for _ in range(120):  # flying embers
        ember_x, ember_y, radius = 320 + rng.normal(0, 90), 170 + rng.normal(0, 60), rng.uniform(1, 4)
        draw.ellipse((ember_x - radius, ember_y - radius, ember_x + radius, ember_y + radius), fill=(255, int(rng.uniform(120, 220)), 40))
    return image


SCENES: dict[str, Callable[[np.random.Generator], Image.Image]] = {
    "sunny_beach": _sunny_beach,
    "night_street": _night_street,
    "neon_party": _neon_party,
    "foggy_lake": _foggy_lake,
    "volcano": _volcano,
}


def _grid() -> tuple[np.ndarray, np.ndarray]:
    """(y, x) of every pixel as fractions of the height and width."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    return y / HEIGHT, x / WIDTH


def _noise(rng: np.random.Generator, *, cell: int) -> np.ndarray:
    """[HEIGHT, WIDTH] smooth noise, about unit spread, varying over `cell` pixels."""
    coarse = rng.normal(0.0, 1.0, (HEIGHT // cell + 1, WIDTH // cell + 1)).astype(np.float32)
    return np.asarray(Image.fromarray(coarse).resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC), dtype=np.float64)


def _clouds(rng: np.random.Generator, *, cells: tuple[int, ...] = (64, 32, 16, 8)) -> np.ndarray:
    """[HEIGHT, WIDTH] in [0, 1]: noise at several scales, coarse ones strongest (clouds, smoke, rock)."""
    total = np.sum([_noise(rng, cell=cell) / (octave + 1) for octave, cell in enumerate(cells)], axis=0)
    return (total - total.min()) / (total.max() - total.min())


def _image(pixels: np.ndarray) -> Image.Image:
    """An RGB image of float pixels in [0, 1] (clipped)."""
    return Image.fromarray((np.clip(pixels, 0.0, 1.0) * 255).astype(np.uint8))


def _lit(image: Image.Image, light: Image.Image) -> Image.Image:
    """`image` with `light` added to it (glows and light beams)."""
    return Image.fromarray(np.clip(np.asarray(image, dtype=np.int32) + np.asarray(light, dtype=np.int32), 0, 255).astype(np.uint8))


def _grain(image: Image.Image, rng: np.random.Generator, *, amount: float) -> Image.Image:
    """`image` with Gaussian film grain of `amount` (of full scale) per pixel and channel."""
    pixels = np.asarray(image, dtype=np.float64) / 255
    return _image(pixels + rng.normal(0.0, amount, pixels.shape))


def _pick(rng: np.random.Generator, colours: tuple[tuple[int, int, int], ...]) -> tuple[int, int, int]:
    return colours[int(rng.integers(len(colours)))]
