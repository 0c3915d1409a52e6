"""The `picscore` console script: one command, one verb per job.

`main(argv)` returns the exit status, so tests call it directly.
"""

from __future__ import annotations

import argparse
import sys

from picscore import __version__
from picscore.cli import (
    compose_cmd,
    curate_cmd,
    dataset_cmd,
    demo_cmd,
    evaluate_cmd,
    feedback_cmd,
    index_cmd,
    library_cmd,
    models_cmd,
    render_cmd,
    serve_cmd,
    suggest_cmd,
    tags_cmd,
    train_cmd,
)
from picscore.cli.output import CliError, fail
from picscore.library.store import LibraryError

# In the order `picscore --help` lists them: the main job, then making music, then training.
_VERBS = (
    index_cmd, library_cmd, suggest_cmd, curate_cmd, render_cmd, tags_cmd, demo_cmd,
    compose_cmd, feedback_cmd, dataset_cmd, train_cmd, models_cmd, evaluate_cmd, serve_cmd,
)  # fmt: skip

_DESCRIPTION = """\
picscore puts music from your own library to your pictures.

Start by indexing your music; every verb takes --library (or $PICSCORE_LIBRARY) to choose
the library file, which otherwise lives in your data folder.

examples:
  picscore index ~/Music                      analyse new and changed tracks into the library
  picscore library list                       what is in the library
  picscore suggest beach.jpg                  the tracks that fit a photo, and why
  picscore render trip/ -o trip.mp4 --auto    a beat-synced slideshow with the best track
  picscore tags song.mp3 photo.jpg            what the networks hear and see
  picscore demo                               all of it on a built-in demo library
  picscore compose --valence 0.7 --arousal 0.3 -o calm.wav    music composed for a mood
  picscore feedback beach.jpg --keep 4 --reject 9             remember what fits
  picscore dataset from-videos ~/Videos -o pairs              training pairs from videos
  picscore train --pairs pairs.tsv            train the matching on your own pairs
  picscore models use RUN                     suggest with a trained model from now on
  picscore evaluate --pairs pairs.tsv         how well the matching works on real pairs
  picscore serve                              the web page and HTTP API on http://127.0.0.1:8000/
"""


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--library",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="library file to use (default: $PICSCORE_LIBRARY, else library.db in your data folder)",
    )
    parser = argparse.ArgumentParser(
        prog="picscore",
        description=_DESCRIPTION,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"picscore {__version__}")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for verb in _VERBS:
        sub = verbs.add_parser(
            verb.NAME,
            parents=[common],
            help=verb.SUMMARY,
            description=verb.DESCRIPTION,
            epilog=verb.EPILOG,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        verb.configure(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]) and return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except (CliError, LibraryError) as err:
        return fail(str(err))
    except KeyboardInterrupt:
        print("picscore: interrupted", file=sys.stderr)
        return 130
