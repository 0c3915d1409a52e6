"""Model files are refused when the features their learned heads read have changed, and kept when only the mood heads
were refitted or the audio analysis changed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest
import torch

from picscore.audio import ANALYSIS_VERSION
from picscore.models.checkpoint import load_model, save_model
from picscore.models.errors import ModelError
from picscore.models.joint import JointModel
from picscore.train.features import feature_versions


def _saved(path: Path, versions: Mapping[str, int | str]) -> tuple[Path, JointModel]:
    torch.manual_seed(0)
    model = JointModel()
    with torch.no_grad():
        model.learned_weight.fill_(0.7)
    save_model(path, model, metadata={"feature_versions": versions, "config": {"variant": "full"}})
    return path, model


def test_a_model_trained_before_the_mood_heads_were_refitted_still_loads(tmp_path: Path) -> None:
    # Files written before the mood heads left feature_versions carry their digest; the zero-shot part reads the present heads.
    path, model = _saved(tmp_path / "old.pt", feature_versions() | {"moods": "0123456789ab"})
    loaded, metadata = load_model(path, feature_versions=feature_versions())
    assert float(loaded.learned_weight) == pytest.approx(0.7)
    for name, tensor in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[name], tensor), name
    assert metadata["feature_versions"]["moods"] == "0123456789ab"


def test_a_model_trained_on_an_older_analysis_still_loads(tmp_path: Path) -> None:
    # Its learned heads read the encoders' features only; the analysis feeds the moods, which are read as they are now.
    path, _ = _saved(tmp_path / "old.pt", feature_versions() | {"analysis": ANALYSIS_VERSION - 1})
    loaded, metadata = load_model(path, feature_versions=feature_versions())
    assert float(loaded.learned_weight) == pytest.approx(0.7)
    assert metadata["feature_versions"]["analysis"] == ANALYSIS_VERSION - 1


def test_a_model_whose_image_features_changed_is_refused_with_what_changed(tmp_path: Path) -> None:
    current = feature_versions()
    path, _ = _saved(tmp_path / "stale.pt", current | {"efficientnet-lite0": -1})
    with pytest.raises(ModelError, match=rf"efficientnet-lite0 v-1 \(now v{current['efficientnet-lite0']}\); train it again"):
        load_model(path, feature_versions=current)
