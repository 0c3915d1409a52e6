"""Training settings: defaults, overridden by a JSON file (`picscore train --config FILE`), saved with each run."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from picscore.models.shapes import HeadConfig
from picscore.models.zero_shot import DEFAULT_VARIANT, VARIANTS

LOSSES = ("contrastive", "affect", "mood", "mood_agreement")  # the functions of train.losses


class ConfigError(Exception):
    """A config file cannot be used; the message names the file and the cause."""


def _default_loss_weights() -> dict[str, float]:
    return {"contrastive": 1.0, "affect": 0.3, "mood": 0.3, "mood_agreement": 0.1}


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 40
    batch_size: int = 32
    learning_rate: float = 3e-3  # of the heads
    scalar_learning_rate: float = 0.1  # of the learned part's weight and the logit scale
    weight_decay: float = 0.05
    patience_epochs: int = 8  # stop when validation MRR has not improved for this many epochs
    validation_fraction: float = 0.2
    seed: int = 0
    variant: str = DEFAULT_VARIANT  # the zero-shot matcher the model starts from
    loss_weights: dict[str, float] = field(default_factory=_default_loss_weights)  # 0 switches a loss off
    heads: HeadConfig = field(default_factory=HeadConfig)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def as_json(self) -> str:
        """The text of a run's config.json, which `load_config` reads back."""
        return json.dumps(self.as_dict(), indent=2) + "\n"


def load_config(path: str | Path | None, **overrides: Any) -> TrainConfig:
    """Defaults, then the JSON file's keys (a partial object is fine), then `overrides` that are not None."""
    config = TrainConfig()
    if path is not None:
        config = _from_file(Path(path))
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    _check(config, source=str(path or "the defaults"))
    return config


def _from_file(path: Path) -> TrainConfig:
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the config ({err.strerror or err})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not a JSON file ({err})") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: the config must be a JSON object")
    known = {f.name for f in fields(TrainConfig)}
    if unknown := sorted(set(values) - known):
        raise ConfigError(f"{path}: unknown setting {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    heads = values.pop("heads", {})
    head_names = {f.name for f in fields(HeadConfig)}
    if not isinstance(heads, dict) or set(heads) - head_names:
        raise ConfigError(f"{path}: `heads` takes {', '.join(sorted(head_names))}")
    weights = {**_default_loss_weights(), **values.pop("loss_weights", {})}
    return TrainConfig(**values, loss_weights=weights, heads=HeadConfig(**heads))


def _check(config: TrainConfig, *, source: str) -> None:
    problems = []
    if unknown := sorted(set(config.loss_weights) - set(LOSSES)):
        problems.append(f"unknown loss {', '.join(unknown)} (losses: {', '.join(LOSSES)})")
    if any(weight < 0 for weight in config.loss_weights.values()) or config.loss_weights.get("contrastive", 0) <= 0:
        problems.append("loss weights must be >= 0, and the contrastive loss's > 0")
    if config.variant not in VARIANTS:
        problems.append(f"unknown variant {config.variant!r} (variants: {', '.join(VARIANTS)})")
    if not 0 < config.validation_fraction < 1:
        problems.append("validation_fraction must lie between 0 and 1")
    if min(config.epochs, config.batch_size, config.patience_epochs) < 1 or config.batch_size < 2:
        problems.append("epochs and patience_epochs must be >= 1 and batch_size >= 2")
    if problems:
        raise ConfigError(f"{source}: {'; '.join(problems)}")
