"""`picscore demo`: build the built-in demo library and run picscore on it."""

from __future__ import annotations

import argparse
from pathlib import Path

from picscore.cli import index_cmd, library_cmd
from picscore.cli.output import print_json
from picscore.cli.suggest_cmd import print_suggestions, suggestion_json
from picscore.compose.demo_library import write_demo_library, write_demo_pictures
from picscore.library.image_features import picture_features
from picscore.library.indexer import index_paths
from picscore.library.parallel import default_jobs
from picscore.library.store import Library
from picscore.match.candidates import load_candidates
from picscore.match.pictures import as_pictures
from picscore.match.suggest import SuggestOptions, suggest
from picscore.paths import data_dir

EPILOG = """\
The demo needs no files of yours: it synthesises a small library of tracks of different
moods, tempi and keys (in MP3, OGG, M4A, FLAC, Opus, WAV and AIFF) and two photos (a sunny
beach, a night street), indexes the music, lists what picscore found, and suggests music
for each photo. Running it again reuses what is there.

example:
  picscore demo --workdir /tmp/picscore-demo
"""

NAME = "demo"
SUMMARY = "build the built-in demo library and suggest music for its photos"
DESCRIPTION = "Build the built-in demo music library and photos, index the music and suggest tracks for the photos."


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
        print(f"writing the demo music and photos to {workdir} ...")
    write_demo_library(music)
    photos = write_demo_pictures(workdir / "photos")
    library_file = getattr(args, "library", None) or workdir / "library.db"
    with Library(library_file) as library:
        summary = index_paths(library, [music], jobs=default_jobs(), progress=not args.json)
        candidates = load_candidates(library)
        features = picture_features(library, photos)
        found = [(photo, suggest(as_pictures([photo]), candidates, SuggestOptions(top=3))) for photo in features]
        if args.json:
            suggestions = {photo.path: [suggestion_json(s) for s in listed] for photo, listed in found}
            print_json({"summary": summary.as_dict(), "tracks": library.list_tracks(), "suggestions": suggestions})
        else:
            index_cmd.report(summary)
            print()
            library_cmd.print_track_list(library)
            for photo, listed in found:
                print()
                print_suggestions([photo], listed)
    return 1 if summary.failed else 0
