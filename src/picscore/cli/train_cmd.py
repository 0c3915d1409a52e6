"""`picscore train`: train the matching on pairs of pictures and music."""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from tqdm import tqdm

from picscore.atomic import PARTIAL_SUFFIX, atomic_path, write_text_atomically
from picscore.cli.argtypes import positive_int
from picscore.cli.output import CliError, print_json
from picscore.library.parallel import default_jobs
from picscore.library.store import Library
from picscore.models.registry import run_folder, runs_dir
from picscore.paths import data_dir, library_path
from picscore.train.config import ConfigError, TrainConfig, load_config
from picscore.train.dataset import Skipped, load_pair_set
from picscore.train.features import FeatureCache
from picscore.train.pairs import PairsError, read_pairs, too_few_sources
from picscore.train.videos import find_videos, pairs_from_videos

DESCRIPTION = (
    "Train small heads on the frozen picture and music networks so that pictures rank the music paired with them first. "
    "The untrained model is the zero-shot matcher, so a run starts from it and keeps the epoch that validates best."
)
EPILOG = """\
The pair list is a TSV with `image` and `audio` columns, and optional `start`/`end`
(seconds of the audio to use) and `source` (pairs of one source never straddle the
train/validation split; default: the audio file; at least two sources are needed, one or more
held out to validate). `picscore dataset from-videos` makes one
from your videos, or give the videos to --videos directly. Features are computed once into a cache (--cache), so later runs start fast.
Whole tracks already in your library (`picscore index`, by content) take its stored analysis
and encodings instead of being decoded again.

At the end the run is judged: its best model is recommended only when it beats both the
untrained matcher and chance on the validation pairs with p < 0.05, allowing for the best of
many epochs having been picked. With fewer than 20 validation pairs it warns that no test can
show much; `picscore models list` shows each run's verdict.

A run folder (under runs/ in your data folder, or --name) holds config.json, split.json,
metrics.csv (epoch 0 is the untrained model), best.pt, last.pt, confusion.png, curves.png and
skipped.tsv. Use the model with `picscore models use NAME` or `--model NAME`.

--config takes a JSON object overriding any of: epochs, batch_size, learning_rate, scalar_learning_rate,
weight_decay, patience_epochs, validation_fraction, seed, variant, loss_weights
({"contrastive", "affect", "mood", "mood_agreement"}: 0 switches one off), heads
({"joint_dimensions", "hidden_units", "dropout"}).

examples:
  picscore train --pairs holidays.tsv --name holidays
  picscore train --pairs holidays.tsv --epochs 60 --config small.json
  picscore train --videos ~/Videos/trips --name trips
  picscore train --resume holidays
"""


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--pairs", type=Path, metavar="FILE.tsv", help="the pair list to train on")
    source.add_argument("--videos", nargs="+", type=Path, metavar="DIR", help="train on frames and sound of these videos or folders")
    source.add_argument("--resume", metavar="RUN", help="continue an interrupted run (a name under runs/ or a run folder)")
    parser.add_argument("--name", help="the run's name under runs/ (default: the date and the pair list's name)")
    parser.add_argument("--config", type=Path, metavar="FILE.json", help="training settings (see below)")
    parser.add_argument("--epochs", type=positive_int, help="most epochs to run (default: 40, or the config's)")
    parser.add_argument("--cache", type=Path, help="feature cache file (default: training-features.db in your data folder)")
    parser.add_argument("--jobs", "-j", type=positive_int, default=default_jobs(), help="processes for music features (default: all cores)")
    parser.add_argument("--tensorboard", action="store_true", help="also log to RUN/tensorboard (needs the tensorboard package)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from picscore.train.loop import TrainingError, train  # torch loads only when training

    run_dir, pairs_file, config = _run_setup(args)
    try:
        pairs = read_pairs(pairs_file)
    except PairsError as err:
        raise CliError(str(err)) from None
    if (sources := len({pair.source for pair in pairs if pair.kept})) < 2:  # known before any feature is computed
        raise CliError(f"{pairs_file}: {too_few_sources(sources)}")
    quiet = args.quiet or args.json
    with FeatureCache(args.cache or data_dir() / "training-features.db") as cache, _indexed_library(args) as library:
        distinct = len({p.image for p in pairs}) + len({(p.audio, p.start_seconds, p.end_seconds) for p in pairs})
        with tqdm(total=distinct, desc="features", unit="item", disable=quiet, file=sys.stderr) as bar:
            pair_set, skipped = load_pair_set(pairs, cache, library=library, jobs=args.jobs, progress=bar.update)
    _write_skipped(run_dir / "skipped.tsv", skipped)
    for item in skipped:
        print(f"picscore: skipped a pair: {item.reason}", file=sys.stderr)
    if len(pair_set) < 4:
        raise CliError(f"{pairs_file}: only {len(pair_set)} usable pairs; training needs at least 4")
    on_epoch = _tensorboard_logger(run_dir) if args.tensorboard else None
    log = (lambda _line: None) if args.json else print
    try:
        result = train(
            run_dir, pair_set, config, resume=args.resume is not None, progress=not quiet, log=log, on_epoch=on_epoch, warn=_warn
        )
    except TrainingError as err:
        raise CliError(str(err)) from None
    verdict = result.verdict
    summary = {
        "run": str(run_dir),
        "pairs": len(pair_set),
        "skipped_pairs": len(skipped),
        "best_epoch": result.best_epoch,
        "best_validation_mrr": result.best_mrr,
        "untrained_validation_mrr": result.zero_shot_mrr,
        "epochs_run": result.epochs_run,
        "stopped_early": result.stopped_early,
        "model": str(run_dir / "best.pt"),
        "verdict": verdict.as_dict(),
    }
    if args.json:
        print_json(summary)
        return 0
    print(
        f"best validation MRR {verdict.best_mrr:.3f} at epoch {verdict.best_epoch} (untrained {verdict.untrained_mrr:.3f},"
        f" random {verdict.random_mrr:.3f}, on {verdict.validation_pairs} validation pairs); model {run_dir / 'best.pt'}"
    )
    if verdict.recommended:
        print(f"recommended: {verdict.reason}\nuse it with: picscore models use {run_dir.name}")
    else:
        print(f"not recommended: {verdict.reason}; suggest goes on with the model it uses now")
    return 0


def _warn(message: str) -> None:
    print(f"picscore: warning: {message}", file=sys.stderr)


@contextmanager
def _indexed_library(args: argparse.Namespace) -> Iterator[Library | None]:
    """The music library, whose stored analysis and encodings spare training the tracks it holds; None when there is none."""
    path = library_path(getattr(args, "library", None))
    if not path.exists():
        yield None
        return
    with Library(path) as library:
        yield library


def _run_setup(args: argparse.Namespace) -> tuple[Path, Path, TrainConfig]:
    """The run folder, pair list and config of a new run or of the run to resume."""
    if args.resume:
        run_dir = run_folder(args.resume)
        source_file = run_dir / "source.json"
        if not source_file.exists():
            raise CliError(f"{run_dir}: not a training run folder (no source.json)")
        pairs_file = Path(json.loads(source_file.read_text(encoding="utf-8"))["pairs"])
        return run_dir, pairs_file, _config(run_dir / "config.json", epochs=args.epochs)
    name = args.name or f"{datetime.now():%Y-%m-%d-%H%M}-{(args.pairs or args.videos[0]).stem}"
    run_dir = Path(name) if Path(name).is_absolute() else runs_dir() / name  # a new run: never a folder of the same name here
    if run_dir.exists() and not _left_by_setup(run_dir):
        raise CliError(f"{run_dir}: the run exists; continue it with --resume {name} or choose another --name")
    config = _config(args.config, epochs=args.epochs)
    run_dir.mkdir(parents=True, exist_ok=True)
    pairs_file = args.pairs or _pairs_from_videos(args.videos, run_dir / "video-pairs", quiet=args.quiet or args.json)
    write_text_atomically(run_dir / "config.json", config.as_json())  # before source.json, which marks a run to resume
    write_text_atomically(run_dir / "source.json", json.dumps({"pairs": str(pairs_file.resolve())}, indent=2) + "\n")
    return run_dir, pairs_file, config


def _left_by_setup(run_dir: Path) -> bool:
    """Whether `run_dir` is what a run killed or refused before its first epoch left (nothing of train/loop.py's yet: no
    split, metrics or model): a folder to set up again, for the same or other pairs."""
    if not run_dir.is_dir():
        return False
    setup = {"video-pairs", "config.json", "source.json", "skipped.tsv"}
    return all(entry.name in setup or entry.name.endswith(PARTIAL_SUFFIX) for entry in run_dir.iterdir())


def _pairs_from_videos(paths: list[Path], folder: Path, *, quiet: bool) -> Path:
    """Extract the videos' pairs into the run folder (as `picscore dataset from-videos` does) and return the pair list."""
    videos, missing = find_videos(paths)
    if missing:
        raise CliError(f"{missing[0]}: no such file or folder")
    if not videos:
        raise CliError(f"no video files in {', '.join(map(str, paths))}")
    summary = pairs_from_videos(videos, folder, progress=not quiet)
    for video, reason in summary.failures:
        print(f"picscore: skipped {video}: {reason}", file=sys.stderr)
    if not quiet:
        print(f"{summary.videos} videos: {summary.pairs} pairs in {summary.pairs_path}")
    return summary.pairs_path


def _config(path: Path | None, *, epochs: int | None) -> TrainConfig:
    try:
        return load_config(path, epochs=epochs)
    except ConfigError as err:
        raise CliError(str(err)) from None


def _write_skipped(path: Path, skipped: list[Skipped]) -> None:
    with atomic_path(path) as temporary, temporary.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["image", "audio", "reason"])
        writer.writerows([item.pair.image, item.pair.audio, item.reason] for item in skipped)


def _tensorboard_logger(run_dir: Path) -> Callable[[dict[str, float]], None]:
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        raise CliError("--tensorboard needs the tensorboard package: pip install tensorboard") from None
    writer = SummaryWriter(str(run_dir / "tensorboard"))

    def log_epoch(row: dict[str, float]) -> None:
        for key, value in row.items():
            if key != "epoch":
                writer.add_scalar(key, value, int(row["epoch"]))
        writer.flush()

    return log_epoch
