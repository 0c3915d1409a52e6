"""`picscore compose`: compose a piece of music for a mood, or for the mood of photos."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from picscore.cli.argtypes import positive_number, unit_interval
from picscore.cli.output import CliError, print_json
from picscore.compose.theory import MODES
from picscore.library.image_features import picture_features
from picscore.library.store import Library
from picscore.match.explain import mood_json
from picscore.match.pictures import as_pictures
from picscore.media.audio_encode import ENCODABLE_EXTENSIONS, encode_audio
from picscore.moods.plane import mood_words
from picscore.paths import library_path
from picscore.pitch_names import pitch_class

if TYPE_CHECKING:  # the composer (and scipy with it) loads when a piece is composed, not with every command
    from picscore.compose.composer import Piece

DESCRIPTION = (
    "Compose a piece for a mood (valence and arousal, each from -1 to 1) or for the mood of "
    "PHOTO... (as people would rate it, see `picscore tags`) and write it as audio; the format "
    "follows the extension of --output."
)
EPILOG = f"""\
Arousal sets the tempo (72-150 BPM unless --bpm), how busy the parts are, the drums, the
loudness (-27 to -10 LUFS) and the ensemble: a band above 0 (distorted guitars, saw leads),
a chamber group at or below (cello, strings, piano, pads); valence sets the mode (major,
mixolydian, dorian or minor unless --mode), how fast the chords change and the ensemble's
colour (tense rock, synth rock or bright dance; a sad ballad, a nocturne or calm ambient).
picscore's own music mood hears the pieces as asked (bench/compose_moods.py: Pearson r 0.94
for valence and 0.91 for arousal over 20 requests). The same options and --seed always give
the same audio. Photos' features are cached in the library (--library), so asking again is
quick.

formats: {", ".join(ENCODABLE_EXTENSIONS)}

examples:
  picscore compose --valence 0.7 --arousal 0.3 --seconds 60 -o calm.wav
  picscore compose --for beach.jpg sunset.jpg -o holiday.flac --seed 4
  picscore compose --valence -0.5 --arousal 0.6 --bpm 128 --key F# --mode minor -o tense.mp3 --json
"""


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    parser.add_argument("--valence", type=unit_interval, help="how pleasant, -1 (sad) to 1 (happy)")
    parser.add_argument("--arousal", type=unit_interval, help="how energetic, -1 (calm) to 1 (excited)")
    parser.add_argument("--for", dest="photos", nargs="+", metavar="PHOTO", help="take the mood from these photos")
    parser.add_argument("-o", "--output", type=Path, required=True, metavar="PATH", help="audio file to write")
    parser.add_argument("--seconds", type=positive_number, default=30.0, help="length in seconds (default: %(default)s)")
    parser.add_argument("--bpm", type=positive_number, help="tempo instead of the mood's")
    parser.add_argument("--key", help="tonic instead of a random one: C, F#, Bb, ...")
    parser.add_argument("--mode", choices=list(MODES), help="mode instead of the mood's")
    parser.add_argument("--seed", type=int, default=0, help="another seed gives another piece for the same mood (default: %(default)s)")
    parser.add_argument(
        "--sr", type=int, default=44100, choices=(22050, 32000, 44100, 48000), help="sample rate in Hz (default: %(default)s)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite --output if it exists")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(run=run)


def photo_mood(paths: list[str], *, library: Library) -> tuple[float, float, list[dict[str, Any]]]:
    """Mean valence and arousal of the photos' moods, and each photo's own (for JSON)."""
    features = picture_features(library, paths)
    for picture in features:
        if picture.error:
            raise CliError(f"{picture.path}: {picture.error}")
    moods = as_pictures(features).mood
    each = [{"path": path, "mood": mood_json(valence=v, arousal=a)} for path, (v, a) in zip(paths, moods, strict=True)]
    valence, arousal = moods.mean(axis=0)
    return float(valence), float(arousal), each


def run(args: argparse.Namespace) -> int:
    output: Path = args.output
    if output.suffix.lower() not in ENCODABLE_EXTENSIONS:
        raise CliError(
            f"{output}: cannot write {output.suffix or 'files without an extension'}; use one of {', '.join(ENCODABLE_EXTENSIONS)}"
        )
    if output.exists() and not args.force:
        raise CliError(f"{output} exists: use --force to overwrite it")
    if args.key is not None:
        try:
            pitch_class(args.key)
        except ValueError:
            raise CliError(f"unknown key {args.key!r}: use a tonic such as C, F#, Eb or B♭") from None
    photos: list[dict[str, Any]] = []
    valence, arousal = args.valence, args.arousal
    if args.photos:
        with Library(library_path(getattr(args, "library", None))) as library:
            photo_valence, photo_arousal, photos = photo_mood(args.photos, library=library)
        valence = photo_valence if valence is None else valence
        arousal = photo_arousal if arousal is None else arousal
    if valence is None or arousal is None:
        raise CliError("give the mood with --valence and --arousal, or --for PHOTO...")
    from picscore.compose.composer import compose

    piece = compose(
        valence=valence, arousal=arousal, seconds=args.seconds, sr=args.sr, seed=args.seed, bpm=args.bpm, key=args.key, mode=args.mode
    )
    write_piece(output, piece)
    _report(piece, output=output, photos=photos, as_json=args.json)
    return 0


def write_piece(output: Path, piece: Piece) -> None:
    """Encode `piece` to `output` (format from its extension) through a temporary file, so a failure leaves none."""
    partial = output.with_name(f".partial-{output.name}")
    try:
        encode_audio(partial, piece.samples, sr=piece.sr, tags={"title": _title(piece), "artist": "picscore compose"})
        partial.replace(output)
    finally:
        partial.unlink(missing_ok=True)


def _title(piece: Piece) -> str:
    return f"{piece.plan.key_name} at {piece.plan.bpm:g} BPM"


def _report(piece: Piece, *, output: Path, photos: list[dict[str, Any]], as_json: bool) -> None:
    from picscore.compose.effects import mid_loudness

    info = {"path": str(output), **piece.describe(), "measured_lufs": round(mid_loudness(piece.samples.T, sr=piece.sr), 1)}
    if as_json:
        print_json({**info, "photos": photos})
        return
    for photo in photos:
        print(f"{photo['path']}: {photo['mood']['words']}")
    print(f"wrote {output}: {info['seconds']:g} s, {info['key']}, {info['bpm']:g} BPM")
    print(f"  mood {mood_words(valence=info['valence'], arousal=info['arousal'])}")
    print(f"  form {info['form']}; {', '.join(info['instruments'])}; {info['accompaniment']} accompaniment, {info['drums']} drums")
    print(f"  loudness {info['measured_lufs']:.1f} LUFS (target {info['loudness_lufs']:.1f})")
