"""A camera roll made of real pictures (scikit-image's sample photographs): scenes shot in bursts, with the
blurred, badly exposed and duplicate frames and the screenshots a phone's camera roll holds, shuffled."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter
from skimage import data

# scikit-image's bundled photographs (public domain or CC0, see skimage/data/README.txt); two halves of each are two scenes.
_PHOTOS = (
    "astronaut", "chelsea", "coffee", "rocket", "camera", "coins", "moon", "brick",
    "grass", "gravel", "cell", "hubble_deep_field", "retina", "immunohistochemistry", "stereo_motorcycle",
)  # fmt: skip
SCENE_SIZE = (480, 360)
N_SCENES = 2 * len(_PHOTOS)


@dataclass
class CameraRoll:
    """Where each file of the roll came from: its scene (None for a screenshot) and what was done to it."""

    folder: Path
    scene_of: dict[str, int | None] = field(default_factory=dict)
    kind_of: dict[str, str] = field(default_factory=dict)  # "burst", "blurred", "over-exposed", "under-exposed", "screenshot"

    @property
    def n_scenes(self) -> int:
        return len({s for s in self.scene_of.values() if s is not None})

    def scene(self, name: str) -> int:
        """The scene of a file that is a photo, not a screenshot."""
        scene = self.scene_of[name]
        assert scene is not None, f"{name} is a screenshot"
        return scene


def scenes() -> list[Image.Image]:
    """30 distinct scenes of SCENE_SIZE: the two halves (side by side or one above the other) of 15 photographs."""
    out = []
    for name in _PHOTOS:
        pixels = getattr(data, name)()
        image = Image.fromarray(pixels[0] if isinstance(pixels, tuple) else pixels).convert("RGB")  # the stereo pair's left view
        w, h = image.size
        halves = ((0, 0, w // 2, h), (w // 2, 0, w, h)) if w >= h else ((0, 0, w, h // 2), (0, h // 2, w, h))
        out += [image.crop(box).resize(SCENE_SIZE, Image.Resampling.LANCZOS) for box in halves]
    return out


def write_camera_roll(
    folder: Path,
    *,
    seed: int = 0,
    n_screenshots: int = 4,
    burst: tuple[int, int] = (3, 6),
    dated: bool = False,
    only: Sequence[int] | None = None,
) -> CameraRoll:
    """Each scene (or those numbered in `only`) as a burst of `burst` (at least, at most) slightly moved frames, a
    blurred frame, an over- and an under-exposed one; and `n_screenshots` app screenshots; all as IMG_nnnn files in
    shuffled order.

    `dated` writes EXIF capture times: scene k at 9:00 plus 10 minutes a scene, its frames seconds apart, the
    first half of the scenes on 3 May 2026 and the second on 4 May (screenshots have none)."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    shots: list[tuple[Image.Image, int | None, str]] = []
    for k, scene in enumerate(scenes()):
        if only is not None and k not in only:
            continue
        for _ in range(rng.randint(*burst)):
            shots.append((_moved(scene, rng), k, "burst"))
        shots.append((_moved(scene, rng).filter(ImageFilter.GaussianBlur(rng.uniform(2.5, 4.0))), k, "blurred"))
        shots.append((_exposed(_moved(scene, rng), gain=rng.uniform(2.2, 3.0)), k, "over-exposed"))
        shots.append((_exposed(_moved(scene, rng), gain=rng.uniform(0.12, 0.2)), k, "under-exposed"))
    for i in range(n_screenshots):
        shots.append((_screenshot(rng, dark=i % 2 == 1), None, "screenshot"))
    rng.shuffle(shots)
    roll = CameraRoll(folder)
    for i, (image, scene_number, kind) in enumerate(shots):
        name = f"IMG_{i:04d}.{'png' if kind == 'screenshot' else 'jpg'}"
        options: dict = {} if kind == "screenshot" else {"quality": 90}
        if dated and scene_number is not None:
            exif = Image.Exif()
            day, place = 3 + 2 * scene_number // N_SCENES, scene_number % (N_SCENES // 2)
            taken = datetime(2026, 5, day, 9, 0) + timedelta(minutes=10 * place, seconds=i % 50)
            exif.get_ifd(0x8769)[36867] = taken.strftime("%Y:%m:%d %H:%M:%S")  # DateTimeOriginal
            options["exif"] = exif
        image.save(folder / name, **options)
        roll.scene_of[name], roll.kind_of[name] = scene_number, kind
    return roll


def _moved(scene: Image.Image, rng: random.Random) -> Image.Image:
    """The scene as another frame of a burst: the camera a little to one side, the light a little different."""
    w, h = scene.size
    dx, dy = rng.uniform(-0.03, 0.03) * w, rng.uniform(-0.03, 0.03) * h
    # Each output pixel samples the scene at 0.92 of its position plus an offset of 1-7 %: always inside the scene.
    frame = scene.transform(scene.size, Image.Transform.AFFINE, (0.92, 0, dx + 0.04 * w, 0, 0.92, dy + 0.04 * h), Image.Resampling.BILINEAR)
    pixels = np.asarray(frame, dtype=np.float32) * rng.uniform(0.95, 1.05)
    pixels += np.random.default_rng(rng.randrange(2**32)).normal(0, 2.0, pixels.shape)  # sensor noise
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def _exposed(frame: Image.Image, *, gain: float) -> Image.Image:
    return Image.fromarray(np.clip(np.asarray(frame, dtype=np.float32) * gain, 0, 255).astype(np.uint8))


def _screenshot(rng: random.Random, *, dark: bool) -> Image.Image:
    """A phone app's screen: a status bar, a header, rows of text and buttons on flat colours."""
    background, ink = ((18, 18, 22), (225, 225, 230)) if dark else ((250, 250, 250), (30, 30, 35))
    image = Image.new("RGB", (360, 780), background)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 360, 28), fill=(0, 0, 0) if dark else (240, 240, 240))
    draw.rectangle((0, 28, 360, 90), fill=(rng.randrange(40, 200), rng.randrange(40, 200), rng.randrange(120, 240)))
    draw.text((16, 48), "Messages", fill=(255, 255, 255))
    for row in range(12):
        top = 110 + row * 54
        draw.ellipse((14, top, 50, top + 36), fill=(rng.randrange(256), rng.randrange(256), rng.randrange(256)))
        draw.text((64, top + 4), f"Contact {row + 1}", fill=ink)
        draw.text((64, top + 20), "See you at the station at six" if row % 2 else "Photos from the trip!", fill=(128, 128, 128))
    draw.rounded_rectangle((120, 730, 240, 766), radius=12, fill=(52, 120, 246))
    return image
