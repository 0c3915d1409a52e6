"""The `--model` option of the verbs that rank music (suggest, evaluate)."""

from __future__ import annotations

import argparse

from picscore.cli.output import CliError
from picscore.library.store import Library
from picscore.match.candidates import Candidates
from picscore.match.matchers import Matcher
from picscore.match.model_loading import load_matcher
from picscore.models.errors import ModelError
from picscore.models.registry import ZERO_SHOT


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        metavar="RUN",
        help=f"a trained model: run name, run folder or .pt file, or {ZERO_SHOT}"
        f" (default: the one `picscore models use` chose, else {ZERO_SHOT})",
    )


def matcher_or_fail(model: str | None, candidates: Candidates, library: Library, *, variant: str) -> tuple[Matcher, str | None]:
    """The matcher `--model` names and its model file (None: zero-shot); a CliError saying why when it cannot be used."""
    try:
        return load_matcher(model, candidates, library, variant=variant)
    except ModelError as err:
        raise CliError(str(err)) from None
