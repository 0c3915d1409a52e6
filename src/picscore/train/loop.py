"""The training loop: epochs over cached features, validation metrics, checkpoints, early stopping, resume.

A run folder holds config.json, split.json (which source items validate), metrics.csv (one row
per epoch; epoch 0 is the untrained model, i.e. the zero-shot matcher), best.pt (highest
validation MRR), last.pt (with the optimiser, to resume), confusion.png (the image mood head at
the best epoch) and curves.png.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm import tqdm

from picscore.atomic import atomic_path, write_text_atomically
from picscore.models.checkpoint import load_record, save_model
from picscore.models.joint import JointModel
from picscore.models.shapes import MOOD_CLASSES, mood_class
from picscore.train import losses
from picscore.train.config import LOSSES, TrainConfig
from picscore.train.dataset import PairSet, SplitArrays, split_arrays, split_by_source
from picscore.train.features import feature_versions
from picscore.train.mood_metrics import classification_report, mean_squared_error, pearson_r
from picscore.train.pairs import too_few_sources
from picscore.train.plots import plot_confusion, plot_curves
from picscore.train.retrieval_metrics import RECALL_KS, retrieval_report, target_ranks
from picscore.train.verdict import Verdict, judge, small_validation_warning

# What last.pt keeps of a run besides the model and optimiser, to resume it where it stopped.
_STATE = ("epoch", "best_mrr", "best_mrr_p", "best_epoch", "stale_epochs", "zero_shot_mrr", "random_mrr", "epoch_reciprocal_ranks")
VALIDATION_PERMUTATIONS = 2000  # enough that the p against random survives the correction for 40 epochs


class TrainingError(Exception):
    """Training cannot start or resume; the message says why."""


@dataclass(frozen=True)
class TrainingResult:
    run_dir: Path
    best_epoch: int
    best_mrr: float
    zero_shot_mrr: float  # epoch 0: the untrained model
    epochs_run: int
    stopped_early: bool
    verdict: Verdict


def train(
    run_dir: Path,
    pairs: PairSet,
    config: TrainConfig,
    *,
    resume: bool = False,
    progress: bool = True,
    log: Callable[[str], None] = print,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
    warn: Callable[[str], None] = print,
) -> TrainingResult:
    """Train a JointModel on `pairs` into `run_dir` (see the module docstring); `on_epoch` gets each metrics.csv row,
    `warn` a line when the validation split is too small to judge the model."""
    torch.set_flush_denormal(True)
    train_positions, validation_positions = split_by_source(pairs.sources, validation_fraction=config.validation_fraction, seed=config.seed)
    if not (len(pairs.subset(validation_positions).positives) and len(pairs.subset(train_positions).positives) >= 2):
        raise TrainingError(too_few_sources(len(set(pairs.sources))))
    training = split_arrays(pairs.subset(train_positions), variant=config.variant)
    validation = split_arrays(pairs.subset(validation_positions), variant=config.variant)
    if warning := small_validation_warning(len(validation.pairs.positives)):
        warn(warning)
    torch.manual_seed(config.seed)  # the heads' first weights: a run started again repeats the one killed
    model = JointModel(config.heads)
    model.image.set_standardisation(training.image_views.reshape(-1, training.image_views.shape[-1]))
    model.music.set_standardisation(training.music_embedding)
    optimiser = _optimiser(model, config)
    state = _start(run_dir, model, optimiser, config, validation, resume=resume)
    metadata = {"feature_versions": feature_versions(), "config": config.as_dict(), "pairs": len(pairs)}
    epoch = state["epoch"]
    while epoch < config.epochs and state["stale_epochs"] < config.patience_epochs:
        epoch += 1
        row = {"epoch": epoch, **_train_epoch(model, optimiser, training, config, epoch=epoch, progress=progress)}
        report = validate(model, validation)
        row.update(report["metrics"])
        state["epoch_reciprocal_ranks"].append(report["reciprocal_ranks"])
        _append_row(run_dir / "metrics.csv", row)
        if on_epoch:
            on_epoch(row)
        if row["val_mrr"] > state["best_mrr"]:
            state.update(best_mrr=row["val_mrr"], best_epoch=epoch, best_mrr_p=row["val_mrr_p"], stale_epochs=0)
            save_model(run_dir / "best.pt", model, metadata={**metadata, "epoch": epoch, "val_mrr": row["val_mrr"]})
            plot_confusion(run_dir / "confusion.png", report["image_confusion"], MOOD_CLASSES, title=f"image mood head, epoch {epoch}")
        else:
            state["stale_epochs"] += 1
        state["epoch"] = epoch
        save_model(run_dir / "last.pt", model, metadata={**metadata, "epoch": epoch}, extra={"optimiser": optimiser.state_dict(), **state})
        log(
            f"epoch {epoch}: loss {row['loss']:.3f}, validation MRR {row['val_mrr']:.3f}"
            f" (best {state['best_mrr']:.3f} at epoch {state['best_epoch']})"
        )
    plot_curves(run_dir / "curves.png", _read_rows(run_dir / "metrics.csv"))
    verdict = judge(
        state["epoch_reciprocal_ranks"],
        best_epoch=state["best_epoch"],
        random_mrr=state["random_mrr"],
        best_p_vs_random=state["best_mrr_p"],
    )
    _record_verdict(run_dir / "best.pt", verdict)
    return TrainingResult(
        run_dir=run_dir,
        best_epoch=state["best_epoch"],
        best_mrr=state["best_mrr"],
        zero_shot_mrr=state["zero_shot_mrr"],
        epochs_run=epoch,
        stopped_early=epoch < config.epochs,
        verdict=verdict,
    )


def _record_verdict(best_file: Path, verdict: Verdict) -> None:
    """Add the verdict to best.pt's metadata, so that `picscore models list` can show it."""
    record = load_record(best_file)
    record["metadata"] = {**record["metadata"], "verdict": verdict.as_dict()}
    with atomic_path(best_file) as temporary:
        torch.save(record, temporary)


def _optimiser(model: JointModel, config: TrainConfig) -> torch.optim.Optimizer:
    """AdamW; the two scalars (the learned part's weight, the logit scale) at their own rate and without decay, so
    that a few steps can move them as far as the score's scale needs."""
    scalars = [model.learned_weight, model.log_scale]
    heads = [p for p in model.parameters() if all(p is not s for s in scalars)]
    return torch.optim.AdamW(
        [
            {"params": heads, "lr": config.learning_rate, "weight_decay": config.weight_decay},
            {"params": scalars, "lr": config.scalar_learning_rate, "weight_decay": 0.0},
        ]
    )


def _start(
    run_dir: Path, model: JointModel, optimiser: torch.optim.Optimizer, config: TrainConfig, validation: SplitArrays, *, resume: bool
) -> dict[str, Any]:
    """A new run (config, split, epoch 0 of metrics.csv, best.pt = the untrained model) or the state of the last epoch saved."""
    if resume and (run_dir / "last.pt").exists():
        record = load_record(run_dir / "last.pt")
        model.load_state_dict(record["state"])
        optimiser.load_state_dict(record["optimiser"])
        if missing := [name for name in _STATE if name not in record]:
            raise TrainingError(f"{run_dir}: made by an older picscore (no {missing[0]} in last.pt); start a new run")
        state = {name: record[name] for name in _STATE}
        _keep_rows(run_dir / "metrics.csv", last_epoch=state["epoch"])  # rows of an epoch interrupted before its last.pt
        return state
    # A new run, or one stopped before its first epoch was saved: that one starts over.
    run_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomically(run_dir / "config.json", config.as_json())
    split = {"validation_sources": sorted(set(validation.pairs.sources)), "validation_pairs": len(validation.pairs)}
    write_text_atomically(run_dir / "split.json", json.dumps(split, indent=2) + "\n")
    (run_dir / "metrics.csv").unlink(missing_ok=True)
    report = validate(model, validation)
    _append_row(run_dir / "metrics.csv", {"epoch": 0, **dict.fromkeys(("loss", *LOSSES), float("nan")), **report["metrics"]})
    metrics = report["metrics"]
    metadata = {"feature_versions": feature_versions(), "config": config.as_dict(), "epoch": 0, "val_mrr": metrics["val_mrr"]}
    save_model(run_dir / "best.pt", model, metadata=metadata)
    plot_confusion(run_dir / "confusion.png", report["image_confusion"], MOOD_CLASSES, title="image mood head, untrained")
    return {
        "epoch": 0,
        "best_mrr": metrics["val_mrr"],
        "best_mrr_p": metrics["val_mrr_p"],
        "best_epoch": 0,
        "stale_epochs": 0,
        "zero_shot_mrr": metrics["val_mrr"],
        "random_mrr": metrics["val_random_mrr"],
        "epoch_reciprocal_ranks": [report["reciprocal_ranks"]],
    }


def _train_epoch(
    model: JointModel, optimiser: torch.optim.Optimizer, data: SplitArrays, config: TrainConfig, *, epoch: int, progress: bool
) -> dict[str, float]:
    """One pass over the training pairs in shuffled batches; the mean of each loss. Seeded per epoch, so a resumed run repeats."""
    rng = np.random.default_rng([config.seed, epoch])
    torch.manual_seed(config.seed * 100_003 + epoch)
    model.train()
    order = rng.permutation(data.pairs.positives)
    batches = [order[i : i + config.batch_size] for i in range(0, len(order), config.batch_size)]
    batches = [b for b in batches if len(b) >= 2]  # a one-pair batch has no negatives
    totals = dict.fromkeys(("loss", *LOSSES), 0.0)
    for batch in tqdm(batches, desc=f"epoch {epoch}", unit="batch", disable=not progress, leave=False):
        images, music = data.pairs.image_of_pair[batch], data.pairs.music_of_pair[batch]
        # Music the user rejected for these pictures joins the batch as extra negatives.
        candidates = np.concatenate([music, data.pairs.rejected_music(images)])
        views = rng.integers(0, data.image_views.shape[1], size=len(batch))
        image_out = model.image(torch.from_numpy(data.image_views[images, views]))
        music_out = model.music(torch.from_numpy(data.music_excerpts(candidates, rng=rng)))
        zero_shot = torch.from_numpy(data.zero_shot(images, candidates).astype(np.float32))
        logits = model.log_scale.exp() * model.scores(zero_shot, image_out["embedding"], music_out["embedding"])
        paired = {name: value[: len(batch)] for name, value in music_out.items()}
        affect = torch.from_numpy(data.music_affect[music])
        classes = torch.from_numpy(mood_class(data.music_affect[music]))
        terms = {
            "contrastive": losses.contrastive(logits, torch.from_numpy(images), torch.from_numpy(music)),
            "affect": losses.affect(image_out["affect"], paired["affect"], affect),
            "mood": losses.mood(image_out["mood"], paired["mood"], classes),
            "mood_agreement": losses.mood_agreement(image_out["mood"], paired["mood"]),
        }
        loss = torch.zeros(())
        for name, value in terms.items():
            loss = loss + config.loss_weights.get(name, 0.0) * value
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        for name, value in (("loss", loss), *terms.items()):
            totals[name] += value.item() / len(batches)
    return totals


def validate(model: JointModel, data: SplitArrays) -> dict[str, Any]:
    """Validation metrics (flat, for metrics.csv) and the image mood head's confusion matrix.

    Each validation pair's picture (plain view) ranks all distinct validation music (whole excerpts).
    """
    model.eval()
    with torch.inference_mode():
        image_out = model.image(torch.from_numpy(data.image_views[:, 0]))
        music_out = model.music(torch.from_numpy(data.music_embedding))
        zero_shot = torch.from_numpy(data.zero_shot(np.arange(len(data.pairs.images)), np.arange(len(data.pairs.music))).astype(np.float32))
        scores = model.scores(zero_shot, image_out["embedding"], music_out["embedding"]).numpy()
    kept = data.pairs.positives
    images, music = data.pairs.image_of_pair[kept], data.pairs.music_of_pair[kept]
    retrieval = retrieval_report(scores[images], music, n_permutations=VALIDATION_PERMUTATIONS)
    metrics: dict[str, float] = {f"val_recall_at_{k}": retrieval.recall_at[k] for k in RECALL_KS}
    metrics.update(
        val_mrr=retrieval.mrr, val_mrr_p=retrieval.mrr_p_value, val_median_rank=retrieval.median_rank, val_random_mrr=retrieval.random_mrr
    )
    truth = data.music_affect[music]
    sides = {"image": (image_out, images, truth), "music": (music_out, np.arange(len(data.music_affect)), data.music_affect)}
    confusion = None
    for side, (out, rows, target) in sides.items():
        predicted_class = out["mood"].numpy()[rows].argmax(axis=1)
        report = classification_report(mood_class(target), predicted_class, n_classes=len(MOOD_CLASSES))
        metrics[f"{side}_mood_accuracy"] = report.accuracy
        for i, name in enumerate(MOOD_CLASSES):
            metrics.update({f"{side}_{name}_precision": report.precision[i], f"{side}_{name}_recall": report.recall[i]})
            metrics[f"{side}_{name}_f1"] = report.f1[i]
        predicted_affect = out["affect"].numpy()[rows]
        metrics[f"{side}_affect_mse"] = mean_squared_error(target, predicted_affect)
        for axis, name in enumerate(("valence", "arousal")):
            metrics[f"{side}_{name}_r"] = pearson_r(target[:, axis], predicted_affect[:, axis])
        confusion = report.confusion if side == "image" else confusion
    return {"metrics": metrics, "image_confusion": confusion, "reciprocal_ranks": (1.0 / target_ranks(scores[images], music)).tolist()}


def _append_row(path: Path, row: dict[str, Any]) -> None:
    new = not path.exists()
    with path.open("a", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        if new:
            writer.writeheader()
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})


def _keep_rows(path: Path, *, last_epoch: int) -> None:
    """Drop the rows after `last_epoch`, and a row cut short by a kill while it was written."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        rows = [row for row in reader if None not in row.values() and None not in row and int(row["epoch"]) <= last_epoch]
        fields = reader.fieldnames or []
    with atomic_path(path) as temporary, temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)


def _read_rows(path: Path) -> list[dict[str, float]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(handle)]
