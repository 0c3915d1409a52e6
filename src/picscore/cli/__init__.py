"""The `picscore` console script: one command, one verb per job.

`main(argv)` returns the exit status, so tests call it directly.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import os
import shlex
import sqlite3
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from picscore import __version__
from picscore.cli.output import CliError, describe_os_error, fail
from picscore.crash_report import one_line_summary, write_crash_report
from picscore.library.store import LibraryError
from picscore.paths import library_path

# Each verb lives in picscore/cli/VERB_cmd.py, with its one-line summary here so that the whole command's help
# imports no verb. In the order `picscore --help` lists them: the main job, then making music, then training.
VERBS = {
    "index": "analyse music folders into the library",
    "library": "list, show, count and tidy the library",
    "suggest": "suggest tracks from your library for photos",
    "curate": "choose the photos worth showing from a camera roll",
    "render": "render a beat-synced slideshow MP4 of photos to a track",
    "tags": "show a track's or a picture's mood and top tags or ImageNet classes",
    "demo": "the whole job on a built-in demo: compose, index, suggest, render",
    "compose": "compose music for a mood or for photos",
    "feedback": "record tracks you kept or rejected for photos (training data)",
    "dataset": "build training pairs (picture + music excerpt) from your videos",
    "train": "train the matching on your own picture-music pairs",
    "models": "list trained models and choose the default",
    "evaluate": "measure matching on real pairs, and moods against people's ratings",
    "serve": "serve the web page and HTTP API",
    "doctor": "check the installation, the networks and the library, and say what to fix",
}

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
  picscore doctor                             check the installation and the library, say what to fix
"""


class _Parser(argparse.ArgumentParser):
    """An argument parser that answers a command line stopping short of its verb (or a verb's action) with the
    help that lists them, before the error: `picscore` alone shows every verb, `picscore library` its actions."""

    def error(self, message: str) -> NoReturn:
        choices = next((action for action in self._actions if isinstance(action, argparse._SubParsersAction)), None)
        if choices is not None and message == f"the following arguments are required: {choices.metavar}":
            self.print_help(sys.stderr)  # its usage line is the help's first
            self.exit(2, f"\n{self.prog}: error: {message}\n")
        super().error(message)


def build_parser(verbs: Sequence[str] = (), *, listing: bool = False) -> argparse.ArgumentParser:
    """The parser of the command line with the `verbs` named (each with all its options), or every verb.

    Each verb's module is imported to add it, and with it what the verb needs (PyAV, SciPy, the web
    server...), so `main` adds only the verb a command names: the others' imports cost each start
    about 0.4 s. With `listing`, every verb is added by name and summary alone, without its module:
    enough for the whole command's help and for the error on an unknown verb, which parse no verb's options.
    """
    common = _Parser(add_help=False)
    common.add_argument(
        "--library",
        metavar="PATH",
        default=argparse.SUPPRESS,
        help="library file to use (default: $PICSCORE_LIBRARY, else library.db in your data folder)",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="on an unexpected failure, print the full traceback instead of writing it to a report file",
    )
    parser = _Parser(
        prog="picscore",
        description=_DESCRIPTION,
        parents=[common],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"picscore {__version__}")
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for name, summary in VERBS.items():
        if listing:
            subparsers.add_parser(name, help=summary)
        elif not verbs or name in verbs:
            verb = _verb_module(name)
            sub = subparsers.add_parser(
                name,
                parents=[common],
                help=summary,
                description=verb.DESCRIPTION,
                epilog=verb.EPILOG,
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
            verb.configure(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line `argv` (default: sys.argv[1:]) and return the exit status.

    Every failure is one line on stderr: the expected ones (bad input, a file system refusing)
    say what and why; an unexpected one also says where its full report was written.
    """
    _print_any_name()
    arguments = sys.argv[1:] if argv is None else argv
    args = _parser_for(arguments).parse_args(arguments)
    try:
        return args.run(args)
    except (CliError, LibraryError) as err:
        return fail(str(err))
    except KeyboardInterrupt:
        print("picscore: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_went_away()
    except OSError as err:  # the disk filled, a folder is read-only, a file vanished: the system's words
        return fail(describe_os_error(err))
    except sqlite3.DatabaseError as err:  # damaged after it was opened: a disk fault, a copy cut short
        return fail(f"{library_path(getattr(args, 'library', None))}: {err}; `picscore doctor` checks the library")
    except Exception as err:
        if getattr(args, "debug", False):
            raise
        report = write_crash_report(err, context=shlex.join(["picscore", *arguments]))
        return fail(f"unexpected failure ({one_line_summary(err)}); full report in {report} (--debug prints it)")


def command() -> NoReturn:
    """The `picscore` console script and `python -m picscore`: run `main` on the command line, exit with its status.

    The garbage collector is frozen first: the interpreter's last collections would walk every object still
    alive (after a network ran, torch's alone take about 0.4 s) just before the process ends and frees them all.
    """
    status = main()
    gc.freeze()
    sys.exit(status)


def _verb_module(name: str) -> ModuleType:
    """The module of verb `name` (one of VERBS)."""
    return importlib.import_module(f"picscore.cli.{name}_cmd")


def _parser_for(arguments: Sequence[str]) -> argparse.ArgumentParser:
    """A parser that parses `arguments` as the whole command's parser would, importing as few verbs as it can.

    A command line that names its verb gets that verb alone; after "--" argparse decides which word is the verb,
    so every verb is added; otherwise the command line ends in the whole help or in an error about the verb,
    which need the verbs' names and summaries only.
    """
    if verb := _named_verb(arguments):
        return build_parser([verb])
    return build_parser() if "--" in arguments else build_parser(listing=True)


def _named_verb(arguments: Sequence[str]) -> str | None:
    """The verb that a command line names before any help option or "--", found without importing a verb; else None."""
    words = iter(arguments)
    for word in words:
        if len(word) > 2 and "--library".startswith(word):  # argparse takes "--lib" for "--library" too
            next(words, None)  # its value
        elif word in ("-h", "--help", "--"):
            return None
        elif not word.startswith("-"):
            return word if word in VERBS else None
    return None


def _print_any_name() -> None:
    """Print file names that are not valid in the locale's encoding (bytes a camera or old disk wrote) as escapes.

    Without it, one such name in `library list` ends the listing with UnicodeEncodeError.
    """
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="backslashreplace")


def _reader_went_away() -> int:
    """`picscore library list | head`: the reader closed the pipe; stop quietly, as other tools do."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # so that Python's final flush of stdout does not fail again
    return 1
