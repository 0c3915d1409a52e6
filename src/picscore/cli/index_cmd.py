"""`picscore index`: analyse new and changed music into the library."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

from picscore.audio.music_encoders import DEFAULT_ENCODERS, DEFAULT_TAGGER_PATCHES, MUSIC_ENCODERS
from picscore.cli.argtypes import positive_int
from picscore.cli.output import CliError, fail, print_json
from picscore.library.beets import BeetsError, BeetsItem, default_beets_library, read_beets_library
from picscore.library.indexer import IndexSummary, index_paths
from picscore.library.parallel import WorkerCrashError, default_jobs
from picscore.library.ray_engine import MISSING_RAY_HINT, RayEngineError
from picscore.library.scan import AUDIO_EXTENSIONS
from picscore.library.store import Library
from picscore.paths import library_path
from picscore.trackspace.loading import load_candidates

_BEETS_DEFAULT = "beets's own library"
_KNOWN_TYPES = "files are found by their extension: " + ", ".join(sorted(ext.lstrip(".") for ext in AUDIO_EXTENSIONS))
_ENCODER_LINES = "\n".join(f"  {e.name:<12}  {e.summary}" for e in MUSIC_ENCODERS.values())

EPILOG = f"""\
Each track gets its descriptors (tempo, beats, key, loudness, highlight) and the tags and
embeddings of the musicnn networks (MagnaTagATune and Million Song Dataset taggers), and
its mood, learned from how people label music: valence and arousal and the chance of each
mood quadrant (with --encoders none, a weaker mood from the descriptors and timbre statistics).
A library indexed by an older picscore gets its moods computed again from what it stores,
without decoding ("N moods re-scored"). Only new or changed files are analysed (size and mtime,
then a content fingerprint), and tracks analysed by an older picscore whose mood needs more of
the analysis (without the networks, the timbre statistics); a newer encoder recomputes only its
own output; a moved or renamed file is recognised by its content and not analysed again. A file that cannot be decoded, is
shorter than 3 s or longer than 3 hours, or whose name is not UTF-8, is recorded (see
`picscore library errors`) and skipped. --from-beets
reads a beets library without writing to it; `library show` prints beets's values beside
picscore's. Ctrl-C stops cleanly: finished tracks are kept and the next run continues
from there.

--engine ray runs the same analysis as a Ray Data job (pip install 'picscore[ray]'): on a
local Ray instance the command starts and stops, or with --address on a running Ray
cluster, whose nodes must all see the music at the same paths and have picscore
installed. Results come back to this machine and are saved as they finish.

formats: MP3, AAC/M4A, OGG Vorbis, Opus, FLAC, WAV, AIFF, WMA and whatever else FFmpeg reads.

encoders:
{_ENCODER_LINES}

examples:
  picscore index ~/Music
  picscore index ~/Music /media/usb/Songs --jobs 2
  picscore index ~/Music --encoders none     # descriptors only, much faster
  picscore index ~/Music --engine ray        # as a Ray job on a local Ray instance
  picscore index /nfs/music --engine ray --address ray://head:10001   # on a Ray cluster
  picscore --library party.db index ~/Music/Party --json
  picscore index --from-beets                  # the files of your beets library, beside beets's bpm, key and mood
  picscore index --from-beets ~/beets/musiclibrary.db
"""

DESCRIPTION = (
    "Analyse the audio files under PATH... into the library: tempo and beats, key, loudness, brightness, highlight, tags and mood."
)


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    parser.add_argument("paths", nargs="*", metavar="PATH", help="music folders (walked recursively) or single files")
    parser.add_argument(
        "--from-beets",
        nargs="?",
        const=_BEETS_DEFAULT,
        metavar="BEETS_DB",
        help="also index every file of a beets library, read-only, keeping beets's title, artist, album, genre, year, bpm,"
        " initial_key and mood to show beside picscore's (default: beets's own library, from $BEETSDIR or ~/.config/beets)",
    )
    parser.add_argument(
        "--jobs",
        "-j",
        type=positive_int,
        help=f"worker processes, one thread each (default: all cores, here {default_jobs()}; 1 works in this process;"
        " with --engine ray, every CPU of the cluster)",
    )
    parser.add_argument(
        "--encoders",
        type=_encoder_list,
        default=DEFAULT_ENCODERS,
        metavar="NAMES",
        help=f"music encoders to run, comma-separated, or 'none' for descriptors only (default: {','.join(DEFAULT_ENCODERS)})",
    )
    parser.add_argument(
        "--tagger-patches",
        type=_patch_count,
        default=DEFAULT_TAGGER_PATCHES,
        metavar="N",
        help=f"run the taggers on N 3-second patches spread over each track, or on 'all' of them (default: {DEFAULT_TAGGER_PATCHES};"
        " measured faithful to all, at a fraction of the time: bench/tagger_patches.py)",
    )
    parser.add_argument(
        "--engine", choices=("local", "ray"), default="local", help="run the analysis here (local) or as a Ray job (default: %(default)s)"
    )
    parser.add_argument(
        "--address", metavar="ADDRESS", help="the Ray cluster to run on, e.g. ray://head:10001 or auto (only with --engine ray)"
    )
    parser.add_argument("--json", action="store_true", help="print the run's summary as JSON")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def _encoder_list(text: str) -> tuple[str, ...]:
    if text.strip().lower() == "none":
        return ()
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in MUSIC_ENCODERS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown encoder {unknown[0]!r}; choose from {', '.join(MUSIC_ENCODERS)} or none")
    return names


def _patch_count(text: str) -> int | None:
    if text.strip().lower() == "all":
        return None
    return positive_int(text)


def run(args: argparse.Namespace) -> int:
    if args.address and args.engine != "ray":
        raise CliError("--address names a Ray cluster: use it with --engine ray")
    if not args.paths and args.from_beets is None:
        raise CliError("name the music to index: a folder, files, or --from-beets")
    if args.engine == "ray" and importlib.util.find_spec("ray") is None:
        return fail(MISSING_RAY_HINT, status=2)
    beets_items = _read_beets(args.from_beets) if args.from_beets is not None else []
    with Library(library_path(getattr(args, "library", None))) as library:
        if beets_items:
            library.save_beets_fields({item.path: item.fields for item in beets_items})
        try:
            summary = index_paths(
                library,
                [*args.paths, *(item.path for item in beets_items)],
                jobs=args.jobs,
                encoders=args.encoders,
                tagger_patches=args.tagger_patches,
                progress=not (args.quiet or args.json),
                engine=args.engine,
                address=args.address,
            )
        except (RayEngineError, WorkerCrashError) as err:
            raise CliError(str(err)) from err
        if not summary.interrupted and (summary.indexed or summary.encoded or summary.moved or summary.copied or summary.rescored):
            load_candidates(library)  # the stored track space brought up to date now, so the next suggest starts at once
    if args.json:
        beets = {"beets_files": len(beets_items)} if args.from_beets is not None else {}
        print_json({"library": str(library.path), "engine": args.engine, **beets, **summary.as_dict()})
    else:
        report(summary)
    if summary.interrupted:
        return 130
    return 1 if summary.failed or summary.missing_roots else 0


def _read_beets(given: str) -> list[BeetsItem]:
    """The items of the beets library given to --from-beets (its default location for _BEETS_DEFAULT)."""
    path = default_beets_library() if given == _BEETS_DEFAULT else Path(given).expanduser()
    try:
        items = read_beets_library(path)
    except BeetsError as err:
        raise CliError(str(err)) from err
    print(f"{len(items)} files in the beets library {path}", file=sys.stderr)
    return items


def report(summary: IndexSummary) -> None:
    """Tell a person what the run did, failures on stderr."""
    for root in summary.missing_roots:
        print(f"picscore: error: {root}: no such file or folder", file=sys.stderr)
    for root in summary.empty_roots:
        print(f"picscore: warning: {root}: no audio files in this folder or below it ({_KNOWN_TYPES})", file=sys.stderr)
    for path, error in summary.failures:
        print(f"picscore: skipped {path}: {error}", file=sys.stderr)
    line = f"{summary.indexed} indexed, {summary.failed} failed"
    if summary.failed:
        line += ": see `picscore library errors`"
    extras = [
        f"{n} {what}"
        for n, what in (
            (summary.unchanged, "unchanged"),
            (summary.encoded, "re-encoded"),
            (summary.moved, "moved"),
            (summary.copied, "copies"),
            (summary.rescored, "moods re-scored"),
            (summary.known_failures, "known failures"),
        )
        if n
    ]
    if extras:
        line += f" ({', '.join(extras)})"
    if summary.audio_seconds:
        speed = summary.audio_seconds / max(summary.wall_seconds, 1e-9)
        line += f" in {summary.wall_seconds:.1f} s, {speed:.0f}x real time"
    print(line)
    if summary.missing:
        print(f"{len(summary.missing)} tracks are no longer on disk: `picscore library prune` removes them")
    if summary.interrupted:
        print("interrupted: finished tracks are saved; run the same command again to continue")
