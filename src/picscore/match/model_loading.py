"""The matcher `--model` names: the zero-shot variant, or a trained model loaded against this library."""

from __future__ import annotations

from pathlib import Path

from picscore.library.store import Library
from picscore.match.matchers import LearnedMatcher, Matcher, ZeroShotMatcher
from picscore.models.registry import resolve_model
from picscore.trackspace.candidates import Candidates


def load_matcher(model: str | None, candidates: Candidates, library: Library, *, variant: str) -> tuple[Matcher, str | None]:
    """The matcher for `model` (see models.registry.resolve_model) and its model file (None: zero-shot); ModelError if it cannot be used.

    A trained model keeps the zero-shot variant it was trained on, whatever `variant` says.
    """
    path = resolve_model(model)
    if path is None:
        return ZeroShotMatcher(candidates, variant=variant), None
    from picscore.models.checkpoint import load_model  # torch loads only for a trained model
    from picscore.train.features import feature_versions

    joint, metadata = load_model(path, feature_versions=feature_versions())
    return LearnedMatcher(joint, candidates, library, variant=metadata["config"]["variant"], model_file=Path(path)), str(path)
