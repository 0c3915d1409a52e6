"""`picscore tags`: what the networks hear in a track and see in a picture."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from picscore.audio.analysis import DEFAULT_CONFIG, TooShortError, analyse, check_duration
from picscore.audio.music_encoders import DEFAULT_ENCODERS, encode_music, top_tags
from picscore.cli.argtypes import positive_int as _positive_int
from picscore.cli.output import format_scores, print_json
from picscore.library.image_features import IMAGE_ENCODER, PictureFeatures, picture_features
from picscore.library.store import Library
from picscore.match.explain import mood_json
from picscore.media.audio_decode import AudioDecodeError, decode_audio
from picscore.media.image_load import IMAGE_EXTENSIONS
from picscore.moods.music import mood_fields
from picscore.moods.picture import picture_moods
from picscore.paths import library_path

DESCRIPTION = (
    "Print what picscore's networks make of each FILE: its mood in words (learned from how people rate "
    "pictures and music), and for music the top tags of the musicnn taggers (MagnaTagATune: instruments, "
    "tempo and loudness words; Million Song Dataset: genres, eras, moods), for pictures the top ImageNet "
    "classes of EfficientNet-Lite0."
)
EPILOG = """\
Pictures are recognised by their extension (JPEG, PNG, WebP, GIF, BMP, TIFF, HEIC where
supported); anything else is decoded as audio. Picture features are cached in the library
by content, so asking again is instant. --json gives each file's mood as valence
(unpleasant -1 ... pleasant 1), arousal (calm -1 ... excited 1) and words.

examples:
  picscore tags song.mp3
  picscore tags holiday/*.jpg --top 3
  picscore tags song.flac beach.png --json
"""


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    parser.add_argument("files", nargs="+", metavar="FILE", help="music files and pictures")
    parser.add_argument("--top", type=_positive_int, default=5, metavar="K", help="how many tags or classes to show (default: %(default)s)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    files = [Path(f) for f in args.files]
    pictures = [f for f in files if f.suffix.lower() in IMAGE_EXTENSIONS]
    results: dict[Path, dict[str, Any]] = {}
    if pictures:
        with Library(library_path(getattr(args, "library", None))) as library:
            for path, picture in zip(pictures, picture_features(library, pictures), strict=True):
                results[path] = _picture_result(picture, top=args.top)
    for path in files:
        if path not in results:
            results[path] = _music_result(path, top=args.top)
    ordered = [{"path": str(path), **results[path]} for path in files]
    if args.json:
        print_json([_scores_as_objects(result) for result in ordered])
    else:
        _print(ordered)
    return 1 if any("error" in r for r in ordered) else 0


def _picture_result(picture: PictureFeatures, *, top: int) -> dict[str, Any]:
    if picture.error:
        return {"kind": "picture", "error": picture.error}
    from picscore.vision.efficientnet import top_classes  # torch loads only for this verb, not at every start

    _, probabilities, layers = picture.loaded()
    ((valence, arousal),) = picture_moods(layers, probabilities)
    classes = top_classes(probabilities, k=top)
    return {"kind": "picture", "mood": mood_json(valence=valence, arousal=arousal), "tags": {IMAGE_ENCODER: classes}}


def _music_result(path: Path, *, top: int) -> dict[str, Any]:
    try:
        decoded = decode_audio(path, sr=DEFAULT_CONFIG.sr)
        check_duration(decoded.duration_seconds)
    except (AudioDecodeError, TooShortError) as err:
        return {"kind": "music", "error": str(err)}
    encodings = encode_music(decoded.samples, sr=decoded.sr, encoders=DEFAULT_ENCODERS)
    mood = mood_fields(analyse(decoded.samples, config=DEFAULT_CONFIG).as_row(), encodings)
    tags = {encoder: top_tags(encoder, encoding["tags"], k=top) for encoder, encoding in encodings.items()}
    return {"kind": "music", "mood": mood_json(valence=mood["valence"], arousal=mood["arousal"]), "tags": tags}


def _scores_as_objects(result: dict[str, Any]) -> dict[str, Any]:
    if "tags" not in result:
        return result
    tags = {encoder: [{"name": name, "probability": score} for name, score in pairs] for encoder, pairs in result["tags"].items()}
    return {**result, "tags": tags}


def _print(results: list[dict[str, Any]]) -> None:
    for result in results:
        if "error" in result:
            print(f"picscore: error: {result['path']}: {result['error']}", file=sys.stderr)
            continue
        print(result["path"])
        print(f"  {'mood':<18}  {result['mood']['words']}")
        for encoder, pairs in result["tags"].items():
            print(f"  {encoder:<18}  {format_scores(pairs)}")
