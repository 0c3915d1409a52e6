"""Frozen-encoder features of training pairs, computed once and cached, so an epoch on CPU is fast.

A picture becomes VIEWS feature rows of EfficientNet-Lite0: the picture as the matcher sees it
and augmented copies (random resized crop, mirror, colour jitter), each drawn from a generator
seeded by the picture's content, so the same picture always gets the same views. Its class
probabilities, colour descriptors and layer descriptions (its mood, for the zero-shot part of the model)
come from the plain view.

A piece of music (a whole file, or the excerpt `start`..`end` of a pair) becomes both musicnn
taggers' per-patch embeddings side by side, for the music as it is and for a copy at another
gain (±3 to 9 dB, seeded by the content: musicnn's log compression hears level), so [2,
patches, 400]; a training step averages a random run of patches of one of them, a different
excerpt each epoch. Also its mean tag probabilities and its descriptors, from which its learned mood
(moods/music.py, the mood heads' targets) is computed.

The cache is one SQLite file keyed by content fingerprint, excerpt and encoder versions.
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageEnhance

from picscore.audio import ANALYSIS_VERSION
from picscore.audio.analysis import DEFAULT_CONFIG, analyse
from picscore.audio.music_encoders import MUSIC_ENCODERS
from picscore.library.image_features import IMAGE_ENCODER_VERSION, LAYERS_ENCODER_VERSION
from picscore.library.parallel import WorkerPool
from picscore.library.store import Library
from picscore.media.audio_decode import AudioDecodeError, decode_audio
from picscore.media.fingerprint import file_fingerprint
from picscore.media.image_load import ImageLoadError, load_image
from picscore.models.shapes import MUSIC_SOURCES
from picscore.moods.music import descriptor_row, music_moods
from picscore.moods.picture import LAYER_SIDE, describe_pictures
from picscore.vision.colour import colour_descriptors

VIEWS = 4  # the plain picture and three augmented copies
_AUGMENTATION_VERSION = 3  # of the augmentations and of what an item holds (2: layers, descriptors; 3: more descriptors)
_MIN_EXCERPT_SECONDS = 3.0  # one musicnn patch


class FeatureError(Exception):
    """A pair's file cannot be turned into features; the message is the one-line cause."""


@dataclass(frozen=True, eq=False)
class ImageItem:
    """One picture's cached features."""

    views: np.ndarray  # [VIEWS, 1280], row 0 the plain picture
    probabilities: np.ndarray  # [1000] ImageNet class probabilities of the plain picture
    colour: np.ndarray  # colour descriptors (vision/colour.py) of the plain picture
    layers: np.ndarray  # the layer descriptions the picture mood head reads (moods/picture.py)


@dataclass(frozen=True, eq=False)
class MusicItem:
    """One piece of music's cached features."""

    patches: np.ndarray  # [2, patches, 400] per 3 s patch, both taggers side by side; as it is, then at another gain
    tags: np.ndarray  # [100] mean tag probabilities, MTT then MSD
    descriptors: np.ndarray  # [len(DESCRIPTORS)] what the music mood heads read of the analysis (moods/music.py)

    @property
    def embedding(self) -> np.ndarray:
        """The whole excerpt's embedding as it is: the mean over its patches (what the library stores per track)."""
        return self.patches[0].mean(axis=0)

    @property
    def mood(self) -> np.ndarray:
        """[2] its learned valence and arousal, as the library would store them for it."""
        moods = music_moods(self.descriptors, np.concatenate([self.embedding, self.tags]))
        return np.array([moods.valence[0], moods.arousal[0]])


MusicKey = tuple[str, float | None, float | None]  # path, start and end seconds (None: the whole file)


class FeatureCache:
    """The cache file: picture and music features by content fingerprint and versions."""

    def __init__(self, path: str | Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS items (key TEXT PRIMARY KEY, arrays BLOB NOT NULL)")

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> FeatureCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def get(self, key: str) -> dict[str, np.ndarray] | None:
        row = self._db.execute("SELECT arrays FROM items WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        with np.load(io.BytesIO(row[0])) as npz:
            return {name: npz[name] for name in npz.files}

    def put(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        buffer = io.BytesIO()
        contents: dict[str, Any] = arrays  # Any: numpy's stubs would match a dict of arrays to allow_pickle
        np.savez(buffer, **contents)
        with self._db:
            self._db.execute("INSERT OR REPLACE INTO items VALUES (?, ?)", (key, buffer.getvalue()))


def image_items(
    cache: FeatureCache, paths: list[str], *, progress: Callable[[int], None] | None = None
) -> dict[str, ImageItem | FeatureError]:
    """Features of each distinct picture (or why it failed), encoding only those not cached."""
    found: dict[str, ImageItem | FeatureError] = {}
    for path in dict.fromkeys(paths):
        try:
            key = f"image:{file_fingerprint(path)}:v{IMAGE_ENCODER_VERSION}.{LAYERS_ENCODER_VERSION}.{_AUGMENTATION_VERSION}"
        except OSError as err:
            found[path] = FeatureError(f"{path}: cannot read the file ({err.strerror or err})")
            continue
        arrays = cache.get(key)
        if arrays is None:
            try:
                arrays = _encode_image(path, seed=_seed(key))
            except ImageLoadError as err:
                found[path] = FeatureError(f"{path}: {err}")
                continue
            cache.put(key, arrays)
        found[path] = ImageItem(**arrays)
        if progress:
            progress(1)
    return found


def music_items(
    cache: FeatureCache,
    keys: Iterable[MusicKey],
    *,
    library: Library | None = None,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> dict[MusicKey, MusicItem | FeatureError]:
    """Features of each distinct piece of music (or why it failed), the new ones computed over `jobs` processes.

    A whole track that `library` holds, analysed and encoded by today's versions, is read from there
    instead of being decoded and encoded again (see `indexed_music_arrays`).
    """
    found: dict[MusicKey, MusicItem | FeatureError] = {}
    new: list[tuple[MusicKey, str]] = []
    for music in dict.fromkeys(keys):
        try:
            fingerprint = file_fingerprint(music[0])
        except OSError as err:
            found[music] = FeatureError(f"{music[0]}: cannot read the file ({err.strerror or err})")
            continue
        key = _music_cache_key(music, fingerprint=fingerprint)
        whole_track = music[1] is None and music[2] is None
        arrays = cache.get(key)
        if arrays is None and library is not None and whole_track:
            arrays = indexed_music_arrays(library, fingerprint)
        if arrays is not None:
            found[music] = MusicItem(**arrays)
            if progress:
                progress(1)
        else:
            new.append((music, key))
    # No processes to start when all is cached; features cached are the same whatever the jobs.
    with WorkerPool(min(jobs, len(new)), one_thread_here=True) as pool:
        for music, key, outcome in pool.map_unordered(_encode_music_job, new):
            if isinstance(outcome, str):
                found[music] = FeatureError(f"{music[0]}: {outcome}")
            else:
                cache.put(key, outcome)
                found[music] = MusicItem(**outcome)
            if progress:
                progress(1)
    return found


def _seed(key: str) -> int:
    """A seed from a cache key's content fingerprint, so an item's augmentations never change."""
    return int(key.split(":")[1][:8], 16)


def _music_cache_key(music: MusicKey, *, fingerprint: str) -> str:
    _, start, end = music
    versions = ".".join(str(MUSIC_ENCODERS[name].version) for name in MUSIC_SOURCES)
    return f"music:{fingerprint}:{start}:{end}:a{ANALYSIS_VERSION}:e{versions}.{_AUGMENTATION_VERSION}"


def indexed_music_arrays(library: Library, fingerprint: str) -> dict[str, np.ndarray] | None:
    """A MusicItem's arrays from what `picscore index` stored for the track with this content, or None when the
    library lacks it or holds it from older analysis or encoders.

    The library keeps each tagger's mean embedding, not one per patch, so such a track has a single
    patch and no gain copy: training sees it as `suggest` does, with no excerpt or gain augmentation.
    """
    for known in library.tracks_with_fingerprint(fingerprint, analysis_version=ANALYSIS_VERSION):
        encodings = library.get_encodings(known.track_id)
        if not all(encodings.get(name, {}).get("encoder_version") == MUSIC_ENCODERS[name].version for name in MUSIC_SOURCES):
            continue
        if (track := library.get_track(known.track_id)) is not None:
            embedding = np.concatenate([encodings[name]["embedding"] for name in MUSIC_SOURCES]).astype(np.float32)
            return {
                "patches": np.stack([embedding[None], embedding[None]]),
                "tags": np.concatenate([encodings[name]["tags"] for name in MUSIC_SOURCES]).astype(np.float32),
                "descriptors": descriptor_row(track),
            }
    return None


def _encode_music_job(item: tuple[MusicKey, str]) -> tuple[MusicKey, str, dict[str, np.ndarray] | str]:
    """Worker: one piece of music's arrays, or the one-line reason it failed."""
    music, key = item
    try:
        return music, key, _encode_music(*music, seed=_seed(key))
    except (AudioDecodeError, FeatureError) as err:
        return music, key, str(err)
    except Exception as err:  # noqa: BLE001 - one bad file must never stop a batch
        return music, key, f"encoding failed ({type(err).__name__}: {err})"


def _encode_music(path: str, start_seconds: float | None, end_seconds: float | None, *, seed: int) -> dict[str, np.ndarray]:
    decoded = decode_audio(path, sr=DEFAULT_CONFIG.sr)
    samples = decoded.samples
    if start_seconds is not None and end_seconds is not None:
        samples = samples[int(start_seconds * decoded.sr) : int(end_seconds * decoded.sr)]
    if len(samples) < _MIN_EXCERPT_SECONDS * decoded.sr:
        raise FeatureError(f"the excerpt is shorter than {_MIN_EXCERPT_SECONDS:g} s")
    from picscore.audio.musicnn import tag_music  # torch loads only where music is encoded

    rng = np.random.default_rng(seed)
    gain_db = rng.choice([-1.0, 1.0]) * rng.uniform(3.0, 9.0)
    views = [samples, samples * np.float32(10 ** (gain_db / 20))]
    tagged = [[tag_music(view, sr=decoded.sr, model=MUSIC_ENCODERS[name].model) for name in MUSIC_SOURCES] for view in views]
    patches = min(len(t.embedding_curve) for taggers in tagged for t in taggers)
    analysis = analyse(samples, config=DEFAULT_CONFIG)
    return {
        "patches": np.stack([np.concatenate([t.embedding_curve[:patches] for t in taggers], axis=1) for taggers in tagged]).astype(
            np.float32
        ),
        "tags": np.concatenate([t.tags for t in tagged[0]]).astype(np.float32),
        "descriptors": descriptor_row(analysis.as_row()),
    }


def _encode_image(path: str, *, seed: int) -> dict[str, np.ndarray]:
    from picscore.vision.efficientnet import MIN_SOURCE_SIDE, load_image_encoder  # torch loads only when needed

    image = load_image(path, min_side=max(MIN_SOURCE_SIDE, LAYER_SIDE))
    rng = np.random.default_rng(seed)
    views = [image] + [augment_image(image, rng=rng) for _ in range(VIEWS - 1)]
    encoded = load_image_encoder().encode(views, batch_size=VIEWS)
    return {
        "views": encoded.features,
        "probabilities": encoded.probabilities[0],
        "colour": colour_descriptors(image),
        "layers": describe_pictures([image])[0],
    }


def augment_image(image: Image.Image, *, rng: np.random.Generator) -> Image.Image:
    """A random resized crop (35-100 % of the area, aspect 3:4 to 4:3), a mirror half the time, and
    brightness, contrast and saturation each jittered by up to ±25 %."""
    width, height = image.size
    area = rng.uniform(0.35, 1.0) * width * height
    aspect = np.exp(rng.uniform(np.log(3 / 4), np.log(4 / 3)))
    crop_width = max(1, int(min(width, np.sqrt(area * aspect))))  # at least a pixel: a 1-pixel picture has a view too
    crop_height = max(1, int(min(height, np.sqrt(area / aspect))))
    left = int(rng.integers(0, width - crop_width + 1))
    top = int(rng.integers(0, height - crop_height + 1))
    view = image.crop((left, top, left + crop_width, top + crop_height))
    if rng.random() < 0.5:
        view = view.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    for enhancer in (ImageEnhance.Brightness, ImageEnhance.Contrast, ImageEnhance.Color):
        view = enhancer(view).enhance(float(rng.uniform(0.75, 1.25)))
    return view


def feature_versions() -> dict[str, int]:
    """The versions of everything that makes the features a model's learned heads read (recorded in model files).

    The mood heads and the audio analysis are not among them: a trained model's zero-shot part reads the moods the
    present heads give of the present analysis, and its learned heads read the encoders' features only, so neither
    refitting the mood heads nor a newer analysis (a tempo read differently) makes trained models unusable.
    """
    return {"efficientnet-lite0": IMAGE_ENCODER_VERSION} | {name: MUSIC_ENCODERS[name].version for name in MUSIC_SOURCES}
