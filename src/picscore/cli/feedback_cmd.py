"""`picscore feedback`: remember which suggested tracks fit a photo and which did not, for training."""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from picscore.atomic import atomic_path
from picscore.cli.output import CliError, print_json, print_table
from picscore.library.store import Library
from picscore.media.files import file_problem
from picscore.media.fingerprint import file_fingerprint
from picscore.paths import library_path

DESCRIPTION = (
    "Record that tracks fit (--keep) or do not fit (--reject) PHOTO..., list what was recorded, "
    "or export it as a pair list for `picscore train`."
)
EPILOG = """\
Feedback lives in the library file. The latest word on a photo and track wins. The export
is a pair list with a `label` column: 1 for kept, 0 for rejected; `picscore train` learns
from the kept pairs and pushes rejected tracks below them.

examples:
  picscore feedback beach.jpg --keep 4 --reject 9 --reject 12
  picscore feedback --list
  picscore feedback --export feedback.tsv
"""


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    parser.add_argument("photos", nargs="*", metavar="PHOTO", help="the photos the tracks were suggested for")
    parser.add_argument("--keep", type=int, action="append", default=[], metavar="ID", help="a track that fits (repeatable)")
    parser.add_argument("--reject", type=int, action="append", default=[], metavar="ID", help="a track that does not fit (repeatable)")
    parser.add_argument("--list", action="store_true", help="show the recorded feedback")
    parser.add_argument("--export", type=Path, metavar="FILE.tsv", help="write the feedback as a pair list")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts (with --list)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    with Library(library_path(getattr(args, "library", None))) as library:
        if args.photos:
            _record(library, args)
        elif args.keep or args.reject:
            raise CliError("name the photos the tracks were suggested for")
        rows = library.feedback()
    if args.export:
        _export(args.export, rows)
        print(f"{len(rows)} feedback pairs written to {args.export}")
    if args.list:
        if args.json:
            print_json(rows)
        else:
            table = [{**row, "kept": "kept" if row["kept"] else "rejected"} for row in rows]
            print_table(table, (("kept", "WORD"), ("track_id", "TRACK"), ("photo_path", "PHOTO"), ("created_at", "WHEN")))
    if not (args.photos or args.list or args.export):
        raise CliError("nothing to do: give PHOTO... with --keep/--reject, or --list, or --export FILE.tsv")
    return 0


def _record(library: Library, args: argparse.Namespace) -> None:
    if not (args.keep or args.reject):
        raise CliError("say which tracks fit (--keep ID) or do not (--reject ID)")
    if overlap := set(args.keep) & set(args.reject):
        raise CliError(f"track {min(overlap)} is both kept and rejected")
    for track_id in args.keep + args.reject:
        if library.get_track(track_id) is None:
            raise CliError(f"no track {track_id} in {library.path}: see `picscore library list`")
    photos = []
    for photo in args.photos:
        if problem := file_problem(photo):
            raise CliError(f"{photo}: {problem}")
        photos.append((str(Path(photo).resolve()), file_fingerprint(photo)))
    for path, content_hash in photos:
        for track_id, kept in [(i, True) for i in args.keep] + [(i, False) for i in args.reject]:
            library.add_feedback(photo_path=path, photo_hash=content_hash, track_id=track_id, kept=kept)
    print(f"recorded {len(photos) * (len(args.keep) + len(args.reject))} feedback pairs", file=sys.stderr)


def _export(path: Path, rows: list[dict]) -> None:
    with atomic_path(path) as temporary, temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["image", "audio", "label", "source"])
        writer.writerows([row["photo_path"], row["track_path"], int(row["kept"]), row["photo_hash"]] for row in rows)
