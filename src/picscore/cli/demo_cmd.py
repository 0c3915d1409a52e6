"""`picscore demo`: build the built-in demo library and run picscore on it."""

from __future__ import annotations

import argparse
from pathlib import Path

from picscore.cli import index_cmd, library_cmd
from picscore.cli.output import print_json
from picscore.compose.demo_library import write_demo_library
from picscore.library.indexer import index_paths
from picscore.library.parallel import default_jobs
from picscore.library.store import Library
from picscore.paths import data_dir

EPILOG = """\
The demo needs no files of yours: it synthesises a small library of tracks of different
moods, tempi and keys (in MP3, OGG, M4A, FLAC, Opus, WAV and AIFF), indexes them and lists
what picscore found. Running it again reuses what is there.

example:
  picscore demo --workdir /tmp/picscore-demo
"""

NAME = "demo"
SUMMARY = "build and index the built-in demo library"
DESCRIPTION = "Build the built-in demo music library and index it."


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    parser.add_argument(
        "--workdir", type=Path, default=None, help="folder for the demo's music and library (default: demo/ in your data folder)"
    )
    parser.add_argument("--json", action="store_true", help="print the library as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    workdir = args.workdir or data_dir() / "demo"
    music = workdir / "music"
    if not args.json:
        print(f"writing the demo music to {music} ...")
    write_demo_library(music)
    library_file = getattr(args, "library", None) or workdir / "library.db"
    with Library(library_file) as library:
        summary = index_paths(library, [music], jobs=default_jobs(), progress=not args.json)
        if args.json:
            print_json({"summary": summary.as_dict(), "tracks": library.list_tracks()})
        else:
            index_cmd.report(summary)
            print()
            library_cmd.print_track_list(library)
    return 1 if summary.failed else 0
