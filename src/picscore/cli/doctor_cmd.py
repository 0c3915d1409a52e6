"""`picscore doctor`: check that this installation can do its job and that the library is whole."""

from __future__ import annotations

import argparse
import sys

from picscore.cli.output import print_json
from picscore.doctor import OK, PROBLEM, WARNING, Check, run_checks
from picscore.paths import data_dir, library_path

DESCRIPTION = (
    "Check that picscore can do its job on this machine, doing each step for real on a tiny input: write and read "
    "a tone in every audio format, write and read a short MP4, read each picture format, run the music and picture "
    "networks and mood heads once, load the trained model suggest uses, read every page of the library without "
    "changing it, and look at the free disk space and at crash reports left by unexpected failures."
)
EPILOG = """\
Each check prints `ok`, `warning` (it works, but something is missing or due) or `problem`
(a job will fail), with what to do about it. It takes about five seconds, most of it the
networks; the library check reads the whole file, so a large library adds a few seconds.

exit status: 0 when no check found a problem (warnings allowed), 1 otherwise.

examples:
  picscore doctor
  picscore doctor --library ~/Music/picscore.db
  picscore doctor --json
"""

_MARKS = {OK: "ok", WARNING: "warning", PROBLEM: "PROBLEM"}


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    parser.add_argument("--json", action="store_true", help="print the checks as JSON for scripts")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    checks: list[Check] = []
    for check in run_checks(library=library_path(getattr(args, "library", None)), data=data_dir()):
        checks.append(check)
        if not args.json:
            _print_check(check)
    problems = sum(check.status == PROBLEM for check in checks)
    warnings = sum(check.status == WARNING for check in checks)
    if args.json:
        print_json({"problems": problems, "warnings": warnings, "checks": [check.as_dict() for check in checks]})
    else:
        verdict = f"{problems} problem{'s' * (problems != 1)}" if problems else f"all {len(checks)} checks passed"
        print(f"{verdict}, {warnings} warning{'s' * (warnings != 1)}")
    return 1 if problems else 0


def _print_check(check: Check) -> None:
    print(f"{_MARKS[check.status]:<8} {check.name:<17} {check.detail}")
    if check.fix:
        print(f"{'':<8} {'':<17} fix: {check.fix}")
    sys.stdout.flush()  # each line as its check ends: the networks take seconds
