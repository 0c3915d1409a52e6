"""`picscore models`: the trained models, and which one suggest and evaluate use."""

from __future__ import annotations

import argparse

from picscore.cli.output import CliError, print_json, print_table
from picscore.models.errors import ModelError
from picscore.models.registry import ZERO_SHOT, list_runs, runs_dir, use_model

DESCRIPTION = "List the models `picscore train` made, and choose the one `suggest` and `evaluate` use without --model."
EPILOG = f"""\
A model is a run name from the list, a run folder or a .pt file; `{ZERO_SHOT}` is the
untrained matcher (the default until you choose another).

examples:
  picscore models list
  picscore models use holidays
  picscore models use {ZERO_SHOT}
"""


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", parents=[common], help="the trained runs, their validation MRR, and the default")
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    listing.set_defaults(run=_list)
    use = actions.add_parser("use", parents=[common], help="make a model the default")
    use.add_argument("model", metavar="RUN", help=f"a run name, a run folder, a .pt file, or {ZERO_SHOT}")
    use.set_defaults(run=_use)


def _list(args: argparse.Namespace) -> int:
    runs = list_runs()
    if args.json:
        print_json([{**vars(run), "path": str(run.path)} for run in runs])
        return 0
    if not runs:
        print(f"no trained models in {runs_dir()}: train one with `picscore train --pairs FILE.tsv`")
        return 0
    rows = [
        {
            "default": "*" if run.is_default else "",
            "name": run.name,
            "epoch": run.epoch,
            "mrr": _figure(run.val_mrr),
            "verdict": run.verdict,
        }
        for run in runs
    ]
    print_table(rows, (("default", ""), ("name", "NAME"), ("epoch", "BEST EPOCH"), ("mrr", "VALIDATION MRR"), ("verdict", "VERDICT")))
    return 0


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _use(args: argparse.Namespace) -> int:
    try:
        path = use_model(args.model)
    except ModelError as err:
        raise CliError(str(err)) from None
    print(f"suggest and evaluate now use {ZERO_SHOT if path is None else path}")
    return 0
