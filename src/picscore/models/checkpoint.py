"""Model files: the heads' weights with what they were trained on, written atomically, refused on a mismatch.

A model is only valid on the features it was trained on, so its file records the versions of
the encoders that made them (train/features.py, `feature_versions`); loading against other
versions fails with a message that says which, instead of suggesting nonsense.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from picscore.atomic import atomic_path
from picscore.models.errors import ModelError
from picscore.models.joint import JointModel
from picscore.models.shapes import HeadConfig

FORMAT_VERSION = 1


def save_model(path: str | Path, model: JointModel, *, metadata: dict[str, Any], extra: dict[str, Any] | None = None) -> None:
    """Write `model` and its metadata (and any training state in `extra`) to `path`, atomically."""
    record = {"format": FORMAT_VERSION, "head_config": model.config_dict(), "state": model.state_dict(), "metadata": metadata}
    with atomic_path(path) as temporary:
        torch.save({**record, **(extra or {})}, temporary)


def load_record(path: str | Path) -> dict[str, Any]:
    """The whole saved record (model, metadata and any training state)."""
    path = Path(path)
    try:
        record = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ModelError(f"{path}: no such model file") from None
    except Exception as err:  # noqa: BLE001 - torch raises many kinds for a damaged file
        raise ModelError(f"{path}: not a picscore model file ({type(err).__name__})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT_VERSION:
        raise ModelError(f"{path}: not a picscore model file of format {FORMAT_VERSION}")
    return record


def load_model(path: str | Path, *, feature_versions: Mapping[str, int | str]) -> tuple[JointModel, dict[str, Any]]:
    """The model at `path` in eval mode and its metadata; ModelError when its features' versions differ from `feature_versions`."""
    record = load_record(path)
    metadata = record["metadata"]
    trained = metadata.get("feature_versions", {})
    changed = [
        f"{name} v{trained.get(name)} (now v{version})" for name, version in feature_versions.items() if trained.get(name) != version
    ]
    if changed:
        raise ModelError(f"{path}: trained on features of {', '.join(changed)}; train it again with this picscore")
    model = JointModel(HeadConfig(**record["head_config"]))
    model.load_state_dict(record["state"])
    return model.eval().requires_grad_(False), metadata
