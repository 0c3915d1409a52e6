"""`picscore curate`: the photos of a camera roll worth showing, and why the others are left out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from picscore.cli.argtypes import positive_int
from picscore.cli.output import CliError, print_json
from picscore.curate.roll import curate_files
from picscore.render.photos import expand_photos, order_photos

DESCRIPTION = (
    "Look at PHOTO... (files, folders or glob patterns) and keep one good frame of each scene: no "
    "screenshots or documents, no blurred or badly exposed frames, one photo of each burst or retake "
    "(the sharpest, best exposed); with --best N, the N best, preferring variety."
)
EPILOG = """\
Each photo is decoded small (JPEGs at a reduced scale) and measured: sharpness as the finest
detail against the next coarser (so haze or a soft subject is not "blurred"), use of the tonal
range and clipped pixels, and screen-like flat colour. Frames of one scene are grouped by their
layout once aligned, and judged against each other: the frame exposed as the scene usually is
and in focus wins. The kept photos are listed by capture time (EXIF, else the file's time).

examples:
  picscore curate ~/Pictures/Trip --best 30
  picscore curate 'roll/*.jpg' --json > curated.json
  picscore render ~/Pictures/Trip --best 30 -o trip.mp4
"""


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    parser.add_argument("photos", nargs="+", metavar="PHOTO", help="pictures, folders of pictures or glob patterns like 'trip/*.jpg'")
    parser.add_argument(
        "--best", type=positive_int, metavar="N", help="keep at most N photos, the best and most varied (default: every good one)"
    )
    parser.add_argument("--jobs", "-j", type=positive_int, help="worker processes (default: all cores)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    paths, unmatched = expand_photos(args.photos)
    for argument in unmatched:
        print(f"picscore: error: {argument}: no pictures found", file=sys.stderr)
    if not paths:
        raise CliError("no photos to curate")
    curation = curate_files([str(p) for p in paths], best=args.best, jobs=args.jobs, progress=not (args.quiet or args.json))
    kept = [str(p) for p in order_photos([Path(p) for p in curation.kept], order="date")]
    dropped = [v for v in curation.verdicts if not v.kept]
    if args.json:
        print_json(
            {
                "kept": kept,
                "dropped": [{"path": v.path, "reason": v.reason, "duplicate_of": v.duplicate_of} for v in dropped],
                "photos": len(paths),
            }
        )
    else:
        print(f"kept {len(kept)} of {len(paths)} photos, by capture time:")
        for path in kept:
            print(f"  {path}")
        if dropped:
            print(f"left out {len(dropped)}:")
            for verdict in dropped:
                print(f"  {verdict.path}: {verdict.reason}")
    return 1 if unmatched else 0
