"""The `--model` and `--index` options of the verbs that rank music (suggest, evaluate, serve, library search-index)."""

from __future__ import annotations

import argparse

from picscore.cli.output import CliError
from picscore.library.store import Library
from picscore.match.matchers import Matcher
from picscore.match.model_loading import load_matcher
from picscore.models.errors import ModelError
from picscore.models.registry import ZERO_SHOT
from picscore.trackspace.candidates import Candidates
from picscore.trackspace.loading import load_candidates
from picscore.trackspace.search_index import INDEX_CHOICES


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        metavar="RUN",
        help=f"a trained model: run name, run folder or .pt file, or {ZERO_SHOT}"
        f" (default: the one `picscore models use` chose, else {ZERO_SHOT})",
    )


def add_index_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--index",
        choices=INDEX_CHOICES,
        default="auto",
        help="how to search the library: exact (every track scored), an approximate FAISS index (ivf-fp16: 88 bytes a track,"
        " recall@10 0.97 at 1M tracks; ivf-sq8: half the bytes, recall 0.87), or auto: exact below 200,000 tracks,"
        " ivf-fp16 above (default: %(default)s)",
    )


def candidates_or_fail(library: Library) -> Candidates:
    """The library's candidates; a CliError saying how to fill the library when it is empty."""
    candidates = load_candidates(library)
    if len(candidates) == 0:
        raise CliError(f"the library {library.path} is empty: add music with `picscore index FOLDER` first")
    return candidates


def matcher_or_fail(model: str | None, candidates: Candidates, library: Library, *, variant: str) -> tuple[Matcher, str | None]:
    """The matcher `--model` names and its model file (None: zero-shot); a CliError saying why when it cannot be used."""
    try:
        return load_matcher(model, candidates, library, variant=variant)
    except ModelError as err:
        raise CliError(str(err)) from None
