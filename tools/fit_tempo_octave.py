"""Fit the model that decides a tempo's metrical level (picscore/audio/tempo_octave.py) and print how often it is right.

    python tools/build_analysis_set.py /tmp/train_a --pieces 150 --seed 10 --exclude DEV/labels.tsv ...
    python tools/fit_tempo_octave.py /tmp/train_a [/tmp/train_b ...] --held-out /tmp/analysis_set /tmp/analysis_set2

The onset autocorrelation says how often a track pulses; the model says whether the beat is half, once or twice that
rate. It learns from music whose tempo is known without asking an estimator:

  * rendered scores from tools/build_analysis_set.py (FLAC and labels.tsv; the written quarter-note tempo), and
  * picscore's own synthetic material, drawn from --seed: click tracks (accents every 1, 2 or 4 clicks), drum songs
    (compose.synth) and composed pieces (compose.composer) at tempi drawn log-uniformly from 55 to 210 BPM.

Only when asked, --reference TSV adds recordings whose tempo another estimator gave (columns audio and bpm, paths
relative to the TSV, and optionally group, e.g. the artist, kept on one side of every fold), such as tempo-cnn's for
real music (see bench/analysis_accuracy.py --reference); they are scored out of fold against that tempo. The shipped
model was not fitted with any (see docs/how-matching-works.md).

Each track is also learned from as --lossy-copies copies that went through a lossy format (MP3, AAC or Vorbis at 22.05 or
44.1 kHz, drawn per copy): an octave choice that flips when a song is encoded is no use on a user's library. The copies
share their track's fold and are not counted in the figures, except for the held-out sets' own line of copies.

A track is learned from when one of the three levels is within 4 % of the truth (otherwise the periodicity itself is
off, by 2:3 say, and no octave choice can mend it); every track counts in the figures. Printed, per set: tempo within
4 % with the learned choice and with the periodicity alone, and octave-tolerant. Training sets are scored out of fold
(--folds folds, each score source on one side, so a piece rendered twice is never judged by a model that heard it);
--held-out sets are scored by the model fitted on all training sets and never learned from. The model (gradient-boosted
trees of depth 3, 200 rounds at learning rate 0.05; chosen by the folds of the training sets, not by held-out sets) is
written to --out, by default the package's audio/weights/tempo_octave.npz, with what it was fitted on.

Needs scikit-learn (the `devset` extra) for the fitting; picscore reads the trees with NumPy alone.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypedDict, Unpack

import numpy as np
from tqdm import tqdm

from picscore.audio.analysis import DEFAULT_CONFIG, front_end
from picscore.audio.beat import TempoPrior, find_periodicity
from picscore.audio.tempo_octave import MODEL_FILE, OCTAVE_FACTORS, TreeEnsemble, best_octave, octave_features
from picscore.compose.composer import compose
from picscore.compose.synth import SongSpec, click_track, render_song
from picscore.library.parallel import WorkerPool
from picscore.media.audio_decode import decode_audio
from picscore.media.audio_encode import encode_audio

TEMPO_TOLERANCE = 0.04
OCTAVE_TOLERANT_FACTORS = (1 / 3, 1 / 2, 1.0, 2.0, 3.0)
SYNTHETIC_BPM_RANGE = (55.0, 210.0)
SYNTHETIC_SECONDS = 30.0
LOSSY_SUFFIXES = (".mp3", ".m4a", ".ogg")
LOSSY_RATES = (22050, 44100)
HYPERPARAMETERS = {"max_depth": 3, "learning_rate": 0.05, "max_iter": 200}
REFERENCE_GROUP = "reference"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "src" / "picscore" / "audio" / "weights" / MODEL_FILE


@dataclass(frozen=True)
class Example:
    """One track: where it comes from, its true tempo, the periodicity found and the model's evidence there."""

    group: str
    source: str
    lossy: bool  # a lossy copy of a track, learned from but not counted in the figures
    truth_bpm: float
    found_bpm: float
    features: np.ndarray

    @property
    def label(self) -> int:
        """The octave factor's index that is within 4 % of the truth, or -1 when none is."""
        return next((i for i, f in enumerate(OCTAVE_FACTORS) if within(self.found_bpm * f, self.truth_bpm)), -1)


def within(bpm: float, truth: float, *, factors: tuple[float, ...] = (1.0,)) -> bool:
    return any(abs(bpm - truth * f) <= TEMPO_TOLERANCE * truth * f for f in factors)


class Labels(TypedDict):
    """What an example is labelled with: its true tempo, its group (a set's folder) and where it came from."""

    truth_bpm: float
    group: str
    source: str


def example(samples: np.ndarray, *, truth_bpm: float, group: str, source: str, lossy: bool = False) -> Example:
    """The periodicity and octave evidence of mono `samples` at the analysis rate, as picscore's analysis finds them."""
    rate = DEFAULT_CONFIG.frame_rate
    onsets = front_end(samples, config=DEFAULT_CONFIG).onsets
    found = find_periodicity(onsets.full, frame_rate=rate, prior=TempoPrior())
    features = octave_features(found.bpm, bands=onsets, smoothed_acf=found.smoothed_acf, frame_rate=rate)
    return Example(group=group, source=source, lossy=lossy, truth_bpm=truth_bpm, found_bpm=found.bpm, features=features)


def lossy_examples(samples: np.ndarray, *, sr: int, copies: int, rng: np.random.Generator, **labels: Unpack[Labels]) -> list[Example]:
    """Examples of `copies` round trips of mono `samples` at `sr` Hz through lossy formats drawn from `rng`."""
    return [example(decode_round_trip(samples, sr=sr, suffix=str(rng.choice(LOSSY_SUFFIXES))), lossy=True, **labels) for _ in range(copies)]


def decode_round_trip(samples: np.ndarray, *, sr: int, suffix: str) -> np.ndarray:
    """`samples` (mono, `sr` Hz) written in the format of `suffix` and decoded at the analysis rate, as picscore reads files."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"copy{suffix}"
        encode_audio(path, samples, sr=sr)
        return decode_audio(path, sr=DEFAULT_CONFIG.sr).samples


def rendered_examples(job: tuple[Path, float, str], *, copies: int, seed: int) -> list[Example]:
    """A rendered file's example and its lossy copies' (each copy at a rate drawn from LOSSY_RATES)."""
    path, truth_bpm, source = job
    rng = np.random.default_rng([seed, *path.as_posix().encode()])
    sr = int(rng.choice(LOSSY_RATES))
    labels = Labels(truth_bpm=truth_bpm, group=path.parent.name, source=source)
    original = decode_audio(path, sr=DEFAULT_CONFIG.sr).samples
    at_copy_rate = original if sr == DEFAULT_CONFIG.sr else decode_audio(path, sr=sr).samples
    return [example(original, **labels), *lossy_examples(at_copy_rate, sr=sr, copies=copies, rng=rng, **labels)]


def synthetic_examples(job: tuple[int, int], *, copies: int) -> list[Example]:
    """Item `index` of the synthetic set drawn from `seed` (a click track, a drum song or a composed piece) and its lossy copies."""
    seed, index = job
    rng = np.random.default_rng([seed, index])
    bpm = float(np.exp(rng.uniform(*np.log(SYNTHETIC_BPM_RANGE))))
    sr = DEFAULT_CONFIG.sr
    kind = ("clicks", "drum song", "composed")[index % 3]
    if kind == "clicks":
        samples = click_track(bpm=bpm, seconds=SYNTHETIC_SECONDS, sr=sr, accent_every=int(rng.choice([1, 2, 4])))
    elif kind == "drum song":
        spec = SongSpec(
            tonic=str(rng.choice(list("CDEFGAB"))),
            mode=str(rng.choice(["major", "minor"])),
            bpm=bpm,
            seed=int(rng.integers(1 << 30)),
            brightness=float(rng.uniform(0.3, 0.8)),
            loudness=float(rng.uniform(0.3, 0.7)),
            drums=bool(rng.random() < 0.8),
            arpeggio=bool(rng.random() < 0.5),
        )
        samples = render_song(spec, seconds=SYNTHETIC_SECONDS, sr=sr)
    else:
        bpm = float(round(bpm))
        piece = compose(
            valence=rng.uniform(-1, 1),
            arousal=rng.uniform(-1, 1),
            seconds=SYNTHETIC_SECONDS,
            sr=sr,
            seed=int(rng.integers(1 << 30)),
            bpm=bpm,
        )
        samples = piece.mono
    labels = Labels(truth_bpm=bpm, group="synthetic", source=f"{kind} {index}")
    samples = samples.astype(np.float32)
    return [example(samples, **labels), *lossy_examples(samples, sr=sr, copies=copies, rng=rng, **labels)]


def reference_examples(job: tuple[Path, float, str]) -> list[Example]:
    """A recording's example with its tempo from a reference estimator, its group its fold's unit."""
    path, reference_bpm, group = job
    samples = decode_audio(path, sr=DEFAULT_CONFIG.sr).samples
    return [example(samples, truth_bpm=reference_bpm, group=REFERENCE_GROUP, source=f"{REFERENCE_GROUP} {group}")]


def read_reference(path: Path) -> list[tuple[Path, float, str]]:
    """(file, reference tempo, group) of each row of a reference TSV (a row without a group is a group of its own)."""
    if not path.is_file():
        sys.exit(f"{path}: not found")
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(path.parent / row["audio"], float(row["bpm"]), row.get("group") or row["audio"]) for row in rows]


def read_set(folder: Path) -> list[tuple[Path, float, str]]:
    """(file, tempo, score source) of each row of a set's labels.tsv."""
    labels = folder / "labels.tsv"
    if not labels.is_file():
        sys.exit(f"{labels}: not found (make the set with tools/build_analysis_set.py)")
    with open(labels, encoding="utf-8", newline="") as handle:
        return [(folder / row["audio"], float(row["bpm"]), row["source"]) for row in csv.DictReader(handle, delimiter="\t")]


def fit(examples: list[Example]) -> TreeEnsemble:
    from sklearn.ensemble import HistGradientBoostingClassifier

    learnable = [e for e in examples if e.label >= 0]
    if len({e.label for e in learnable}) < len(OCTAVE_FACTORS):
        sys.exit("the training tracks must teach every level: some whose beat is half, some twice the periodicity found")
    model = HistGradientBoostingClassifier(**HYPERPARAMETERS, random_state=0)
    model.fit(np.stack([e.features for e in learnable]), np.array([e.label for e in learnable]))
    return TreeEnsemble.from_sklearn(model)


def chosen_bpm(model: TreeEnsemble, e: Example) -> float:
    return best_octave(e.found_bpm, model.scores(e.features))


def out_of_fold(examples: list[Example], *, folds: int) -> list[float]:
    """Each rendered or reference example's tempo by a model fitted without its source's fold (a score, or a reference group)."""
    sources = sorted({e.source for e in examples if e.group != "synthetic"})
    fold_of = {source: i % folds for i, source in enumerate(np.random.default_rng(0).permutation(sources))}
    chosen = [float("nan")] * len(examples)
    for fold in range(folds):
        model = fit([e for e in examples if fold_of.get(e.source) != fold])
        for i, e in enumerate(examples):
            if fold_of.get(e.source) == fold:
                chosen[i] = chosen_bpm(model, e)
    return chosen


def extract(pool: WorkerPool, work: Callable[[Any], list[Example]], jobs: list, description: str) -> list[Example]:
    """The examples of every job, in job order, whatever order the pool's processes finish them in."""
    done = tqdm(pool.map_unordered(partial(_numbered, work), list(enumerate(jobs))), total=len(jobs), desc=description)
    return [e for _, examples in sorted(done, key=lambda numbered: numbered[0]) for e in examples]


def _numbered(work: Callable[[Any], list[Example]], numbered_job: tuple[int, Any]) -> tuple[int, list[Example]]:
    number, job = numbered_job
    return number, work(job)


def report(name: str, examples: list[Example], chosen: list[float]) -> None:
    n = len(examples)
    learned = sum(within(bpm, e.truth_bpm) for bpm, e in zip(chosen, examples, strict=True))
    alone = sum(within(e.found_bpm, e.truth_bpm) for e in examples)
    tolerant = sum(within(bpm, e.truth_bpm, factors=OCTAVE_TOLERANT_FACTORS) for bpm, e in zip(chosen, examples, strict=True))
    print(f"{name:<40} {n:>5} {learned:>8} ({learned / n:4.0%}) {alone:>10} ({alone / n:4.0%}) {tolerant:>10}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__
    )
    parser.add_argument("sets", nargs="+", type=Path, help="training sets made by tools/build_analysis_set.py")
    parser.add_argument("--held-out", nargs="*", type=Path, default=[], help="sets only scored, never learned from")
    parser.add_argument("--reference", type=Path, metavar="TSV", help="recordings with another estimator's tempi to learn from too")
    parser.add_argument("--synthetic", type=int, default=300, help="synthetic tracks to add to the training (default 300)")
    parser.add_argument("--seed", type=int, default=0, help="draws the synthetic tracks and the lossy copies (default 0)")
    parser.add_argument("--lossy-copies", type=int, default=1, help="lossy copies of each track to learn from as well (default 1)")
    parser.add_argument("--folds", type=int, default=5, help="folds for the training sets' figures (default 5)")
    parser.add_argument(
        "--workers", type=int, default=2, help="processes extracting the evidence, one thread each; 1 extracts in this one (default 2)"
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"where to write the model (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    training_jobs = [job for folder in args.sets for job in read_set(folder)]
    held_out_jobs = {folder: read_set(folder) for folder in args.held_out}
    synthetic_jobs = [(args.seed, i) for i in range(args.synthetic)]
    # Spawned workers, one thread each like the indexer's, so the evidence is what `picscore index` would find,
    # whatever --workers. (A forked pool once hung for good in a worker freeing the PyAV resampler it inherited.)
    with WorkerPool(args.workers, one_thread_here=True) as pool:
        synthetic = extract(pool, partial(synthetic_examples, copies=args.lossy_copies), synthetic_jobs, "synthetic")
        rendered_of = partial(rendered_examples, copies=args.lossy_copies, seed=args.seed)
        rendered = extract(pool, rendered_of, training_jobs, "training sets")
        held_out = {folder: extract(pool, rendered_of, jobs, folder.name) for folder, jobs in held_out_jobs.items()}
        reference = extract(pool, reference_examples, read_reference(args.reference), REFERENCE_GROUP) if args.reference else []
    examples = synthetic + rendered + reference
    oof = out_of_fold(examples, folds=args.folds)
    model = fit(examples)
    print(f"{'set':<40} {'files':>5} {'learned within 4 %':>15} {'periodicity alone':>17} {'octave-tolerant':>10}")
    for folder in args.sets:
        members = [i for i, e in enumerate(examples) if e.group == folder.name and not e.lossy]
        report(f"{folder.name} (out of fold)", [examples[i] for i in members], [oof[i] for i in members])
    if reference:
        members = [i for i, e in enumerate(examples) if e.group == REFERENCE_GROUP]
        report("reference (out of fold, its tempi)", [examples[i] for i in members], [oof[i] for i in members])
    originals = [e for e in synthetic if not e.lossy]
    report("synthetic (in sample)", originals, [chosen_bpm(model, e) for e in originals])
    for folder, items in held_out.items():
        for lossy in (False, True):
            chosen = [e for e in items if e.lossy == lossy]
            if chosen:
                report(f"{folder.name} (held out{', lossy copies' if lossy else ''})", chosen, [chosen_bpm(model, e) for e in chosen])
    set_names = ", ".join(folder.name for folder in args.sets)
    model.save(
        args.out,
        fitted=datetime.now(UTC).isoformat(timespec="seconds"),
        fitted_on=(
            f"{len(training_jobs)} rendered tracks ({set_names}) and {len(originals)} synthetic (seed {args.seed});"
            f" {args.lossy_copies} lossy {'copy' if args.lossy_copies == 1 else 'copies'} of each"
            + (f"; {len(reference)} recordings with tempi from {args.reference.name}" if reference else "")
        ),
        hyperparameters=repr(HYPERPARAMETERS),
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
