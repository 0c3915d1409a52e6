"""Named models: training runs under the data folder, and which one suggest and evaluate use by default.

`--model` takes a run name (a folder under runs/), a run folder or a .pt file, or `zero-shot`
for the untrained matcher. Without it, the model chosen by `picscore models use` serves, or the
zero-shot matcher when none was chosen.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from picscore.atomic import write_text_atomically
from picscore.models.errors import ModelError
from picscore.paths import data_dir

ZERO_SHOT = "zero-shot"


def runs_dir() -> Path:
    return data_dir() / "runs"


def _default_file() -> Path:
    return data_dir() / "default-model.txt"


@dataclass(frozen=True)
class RunInfo:
    """A training run as `models list` shows it."""

    name: str
    path: Path
    epoch: int
    val_mrr: float | None
    pairs: int | None
    is_default: bool
    verdict: str | None  # "recommended" or why not (train/verdict.py); None for a run still training or interrupted


def run_folder(name: str) -> Path:
    """The run folder `name` means: a path as given when it is absolute or an existing folder, else runs/NAME."""
    path = Path(name).expanduser()
    return path if path.is_absolute() or path.is_dir() else runs_dir() / name


def resolve_model(name: str | None) -> Path | None:
    """The model file `name` means (see the module docstring); None for the zero-shot matcher."""
    if name is None:
        default = _default_file()
        name = default.read_text(encoding="utf-8").strip() if default.exists() else ZERO_SHOT
    if name == ZERO_SHOT:
        return None
    given = Path(name).expanduser()
    if given.is_file():
        return given
    if (run_folder(name) / "best.pt").is_file():
        return run_folder(name) / "best.pt"
    raise ModelError(f"no model {name!r}: give a run name from `picscore models list`, a run folder, a .pt file or {ZERO_SHOT}")


def use_model(name: str) -> Path | None:
    """Make `name` the default model (checked first); returns its file, None for zero-shot."""
    from picscore.models.checkpoint import load_record  # torch loads only here

    path = resolve_model(name)
    if path is not None:
        load_record(path)
    target = _default_file()
    target.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomically(target, f"{ZERO_SHOT if path is None else path.resolve()}\n")
    return path


def list_runs() -> list[RunInfo]:
    """The runs under runs_dir() that hold a best.pt, by name."""
    from picscore.models.checkpoint import load_record  # torch loads only here

    try:
        default = resolve_model(None)
    except ModelError:  # the default's files were deleted: list the others
        default = None
    runs = []
    for folder in sorted(runs_dir().glob("*/best.pt")) if runs_dir().exists() else []:
        try:
            metadata = load_record(folder)["metadata"]
        except ModelError:
            continue
        runs.append(
            RunInfo(
                name=folder.parent.name,
                path=folder.parent,
                epoch=int(metadata.get("epoch", 0)),
                val_mrr=metadata.get("val_mrr"),
                pairs=metadata.get("pairs"),
                is_default=default is not None and default.resolve() == folder.resolve(),
                verdict=_verdict_words(metadata.get("verdict")),
            )
        )
    return runs


def _verdict_words(verdict: dict | None) -> str | None:
    if verdict is None:
        return None
    return "recommended" if verdict["recommended"] else f"not recommended: {verdict['reason']}"
