"""Whether tagging a few patches a track moves the figures that depend on the taggers: one `picscore evaluate`, twice.

Runs the given `picscore evaluate` arguments as `picscore index` encodes music by default (taggers on a few
patches spread over each track, stored as the library stores them) and again with the taggers on every patch
(`--tagger-patches all`), each into its own cache library under --work, and prints every figure of the two
JSON reports side by side with their difference in points (hundredths).

    python bench/tagger_evaluate.py --work /tmp/te -- --mood-music ../shared/data/affect/music4q/labels.tsv
    python bench/tagger_evaluate.py --work /tmp/te -- --congruence RATINGS.tsv LABELS.tsv --variant all
    python bench/tagger_evaluate.py --work /tmp/te -- --pairs supertux.tsv --variant all
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from picscore.audio.music_encoders import DEFAULT_TAGGER_PATCHES

# Runs one evaluate in a fresh interpreter, with index_paths' tagger_patches default set to argv[1] ("all": every patch).
_DRIVER = r"""
import sys
from picscore.cli import main
from picscore.library import indexer
indexer.index_paths.__kwdefaults__["tagger_patches"] = None if sys.argv[1] == "all" else int(sys.argv[1])
sys.exit(main(["evaluate", *sys.argv[2:]]))
"""


def evaluate(patches: str, arguments: list[str], *, work: Path) -> dict[str, Any]:
    """The JSON report of `picscore evaluate ARGUMENTS` with the taggers on `patches` patches a track."""
    cache = work / f"evaluate-{patches}-patches.db"
    command = [sys.executable, "-c", _DRIVER, patches, *arguments, "--cache", str(cache), "--json"]
    if "--mood-music" in arguments:
        command += ["--confusion", str(work / f"confusion-{patches}.png")]
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"evaluate with {patches} patches failed (exit {done.returncode})")
    return json.loads(done.stdout)


def figures(report: Any, prefix: str = "") -> Iterator[tuple[str, float]]:
    """(dotted name, value) of every fraction in a JSON report (counts, which are integers, are left out)."""
    if isinstance(report, dict):
        for key, value in report.items():
            yield from figures(value, f"{prefix}{key}.")
    elif isinstance(report, list):
        for k, value in enumerate(report):
            yield from figures(value, f"{prefix}{k}.")
    elif isinstance(report, float):
        yield prefix.rstrip("."), report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", type=Path, required=True, help="folder for the two cache libraries (kept: a second run is quick)")
    parser.add_argument("evaluate", nargs=argparse.REMAINDER, help="-- then the arguments of `picscore evaluate`")
    args = parser.parse_args()
    arguments = args.evaluate[1:] if args.evaluate[:1] == ["--"] else args.evaluate
    args.work.mkdir(parents=True, exist_ok=True)
    subset = dict(figures(evaluate(str(DEFAULT_TAGGER_PATCHES), arguments, work=args.work)))
    every = dict(figures(evaluate("all", arguments, work=args.work)))
    print(f"{'figure':<48} {DEFAULT_TAGGER_PATCHES:>2} patches  every patch  difference (points)")
    for name in [name for name in subset if name in every]:
        if abs(subset[name]) <= 1.0 and abs(every[name]) <= 1.0:  # shares, accuracies, correlations: in points
            print(f"{name:<48} {subset[name]:>10.3f}  {every[name]:>11.3f}  {100 * (subset[name] - every[name]):>+8.1f}")


if __name__ == "__main__":
    main()
