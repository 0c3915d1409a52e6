"""Tempo and key accuracy on rendered music with known answers, against librosa in the same run.

Reads one or more sets written by tools/build_analysis_set.py (FLAC files and labels.tsv),
decodes each file once, and runs on the same samples:
  * picscore's analysis (picscore.audio.analysis.analyse): its tempo and key;
  * librosa's `beat_track` tempo;
  * Krumhansl–Kessler profiles correlated with the mean of librosa's `chroma_cqt`.
Prints, per set and in total: tempo within 4 % of the truth, octave-tolerant (within 4 % of
the truth or of 1/3, 1/2, 2 or 3 times it), and the MIREX weighted key score (same key 1,
a fifth apart in the same mode 0.5, relative 0.3, parallel 0.2), with how many keys fell in
each class: the dominant and subdominant confusions apart, the relative and parallel ones
apart. --files lists every file's answers.

    python tools/build_analysis_set.py /tmp/analysis_set --pieces 40 --seed 0
    python bench/analysis_accuracy.py /tmp/analysis_set [/tmp/analysis_set2 ...] [--files] [--json]

Real recordings seldom come with a written tempo. --reference TSV (columns audio, bpm; paths relative to the TSV)
instead compares picscore's and librosa's tempo on those files with another estimator's, by relation: the same
tempo (within 4 %), double, half, 3:2, 2:3, three times, a third, or other. The docs' figures use tempo-cnn
(Schreiber & Mueller 2018, trained on human-annotated recordings; AGPL-3.0, TensorFlow 2.17) in a venv of its own:

    pip install tempocnn==0.0.8
    python -c 'import sys, keras; from tempocnn.classifier import TempoClassifier; from tempocnn.feature import read_features
    keras.utils.disable_interactive_logging(); c = TempoClassifier("ismir2018"); print("audio\\tbpm")
    for f in sys.argv[1:]: print(f"{f}\\t{c.estimate_tempo(read_features(f), interpolate=True):.2f}")' ~/clips/*/*.mp3 > reference.tsv
    python bench/analysis_accuracy.py --reference reference.tsv
"""

from __future__ import annotations

import argparse
import csv
import json
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from picscore.audio.analysis import analyse
from picscore.media.audio_decode import decode_audio
from picscore.pitch_names import initial_key, pitch_class

SR = 22050
TEMPO_TOLERANCE = 0.04
OCTAVE_FACTORS = (1 / 3, 1 / 2, 1.0, 2.0, 3.0)
MIREX_WEIGHTS = {"same": 1.0, "dominant": 0.5, "subdominant": 0.5, "relative": 0.3, "parallel": 0.2, "other": 0.0}
# Krumhansl & Kessler (1982) probe-tone ratings, tonic first: the peer's profiles.
KK_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
KK_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


@dataclass(frozen=True)
class Answer:
    """A tempo in BPM (None if not estimated) and a key as (pitch class, mode) (None if not estimated)."""

    bpm: float | None = None
    key: tuple[int, str] | None = None


@dataclass
class Tally:
    """Counts for one method on one group of files."""

    files: int = 0
    tempo_files: int = 0  # files whose tempo the method gave
    tempo_exact: int = 0
    tempo_octave: int = 0
    key_classes: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, truth: Answer, answer: Answer, seconds: float) -> None:
        self.files += 1
        self.seconds += seconds
        if answer.bpm is not None and truth.bpm is not None:
            self.tempo_files += 1
            self.tempo_exact += tempo_within(answer.bpm, truth.bpm, factors=(1.0,))
            self.tempo_octave += tempo_within(answer.bpm, truth.bpm, factors=OCTAVE_FACTORS)
        if answer.key is not None and truth.key is not None:
            self.key_classes[key_relation(answer.key, truth.key)] += 1

    @property
    def mirex(self) -> float | None:
        total = sum(self.key_classes.values())
        return sum(MIREX_WEIGHTS[c] * n for c, n in self.key_classes.items()) / total if total else None


def tempo_within(bpm: float, truth: float, *, factors: Sequence[float]) -> bool:
    """Whether `bpm` is within 4 % of `truth` times one of `factors`."""
    return any(abs(bpm - truth * f) <= TEMPO_TOLERANCE * truth * f for f in factors)


TEMPO_RELATIONS = {"same": 1.0, "double": 2.0, "half": 1 / 2, "3:2": 3 / 2, "2:3": 2 / 3, "three times": 3.0, "a third": 1 / 3}


def tempo_relation(bpm: float | None, reference: float) -> str:
    """How a tempo relates to a reference tempo: a name of TEMPO_RELATIONS (within 4 %), "other", or "-" for none."""
    if bpm is None:
        return "-"
    return next((name for name, factor in TEMPO_RELATIONS.items() if tempo_within(bpm, reference, factors=(factor,))), "other")


def key_relation(estimate: tuple[int, str] | None, truth: tuple[int, str] | None) -> str:
    """How an estimated key relates to the true one, in the MIREX classes; "-" where either is missing."""
    if estimate is None or truth is None:
        return "-"
    (tonic, mode), (true_tonic, true_mode) = estimate, truth
    interval = (tonic - true_tonic) % 12
    if mode == true_mode:
        return {0: "same", 7: "dominant", 5: "subdominant"}.get(interval, "other")
    if (true_mode == "major" and interval == 9) or (true_mode == "minor" and interval == 3):
        return "relative"
    return "parallel" if interval == 0 else "other"


def picscore_answer(samples: np.ndarray) -> Answer:
    result = analyse(samples)
    return Answer(bpm=result.bpm, key=(pitch_class(result.key_tonic), result.key_mode))


def librosa_tempo(samples: np.ndarray) -> Answer:
    import librosa

    tempo, _ = librosa.beat.beat_track(y=samples, sr=SR)
    return Answer(bpm=float(np.atleast_1d(tempo)[0]))


def krumhansl_cqt_key(samples: np.ndarray) -> Answer:
    import librosa

    profile = librosa.feature.chroma_cqt(y=samples, sr=SR).mean(axis=1)
    templates = np.stack([np.roll(p, shift) for p in (KK_MAJOR, KK_MINOR) for shift in range(12)])
    scores = [np.corrcoef(profile, template)[0, 1] for template in templates]
    best = int(np.argmax(scores))
    return Answer(key=(best % 12, "major" if best < 12 else "minor"))


METHODS: dict[str, Callable[[np.ndarray], Answer]] = {
    "picscore": picscore_answer,
    "librosa beat_track": librosa_tempo,
    "Krumhansl-Kessler on chroma_cqt": krumhansl_cqt_key,
}
TEMPO_METHODS = ("picscore", "librosa beat_track")


def quietly(method: Callable[[np.ndarray], Answer], samples: np.ndarray) -> Answer:
    """A method's answer with warnings silenced: librosa's, on quiet intros and short pieces, would bury the table."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return method(samples)


def read_labels(folder: Path) -> list[tuple[Path, Answer, dict[str, str]]]:
    """(audio path, true answer, row) for every row of the set's labels.tsv."""
    labels = folder / "labels.tsv"
    if not labels.is_file():
        raise SystemExit(f"{labels}: not found; build the set with tools/build_analysis_set.py {folder}")
    with open(labels, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    return [(folder / row["audio"], Answer(bpm=float(row["bpm"]), key=(pitch_class(row["tonic"]), row["mode"])), row) for row in rows]


def key_label(key: tuple[int, str] | None) -> str:
    return "-" if key is None else initial_key(*key)


def run(folders: Sequence[Path], *, show_files: bool) -> dict[str, dict[str, Tally]]:
    """Tallies per set (and "all") per method; prints a line per file when asked."""
    tallies: dict[str, dict[str, Tally]] = {}
    for folder in folders:
        for path, truth, row in read_labels(folder):
            samples = decode_audio(path, sr=SR).samples
            answers = {}
            for name, method in METHODS.items():
                started = time.perf_counter()
                answers[name] = quietly(method, samples)
                elapsed = time.perf_counter() - started
                for group in (str(folder), "all", f"drums {row['drums']}"):
                    tallies.setdefault(group, {}).setdefault(name, Tally()).add(truth, answers[name], elapsed)
            if show_files:
                ours, peer_tempo, peer_key = answers.values()
                print(
                    f"{path.name:10s} {row['drums']:3s} true {truth.bpm:6.1f} {key_label(truth.key):4s} | picscore {ours.bpm:6.1f} "
                    f"{key_label(ours.key):4s} {key_relation(ours.key, truth.key):11s} | librosa {peer_tempo.bpm:6.1f} | "
                    f"KS-cqt {key_label(peer_key.key):4s} {key_relation(peer_key.key, truth.key):11s} | {row['source']}",
                    flush=True,
                )
    return tallies


def read_reference(path: Path) -> list[tuple[Path, float]]:
    """(audio path, reference tempo) of every row of a reference TSV (columns audio, bpm; paths relative to it)."""
    if not path.is_file():
        raise SystemExit(f"{path}: not found")
    with open(path, encoding="utf-8") as handle:
        return [(path.parent / row["audio"], float(row["bpm"])) for row in csv.DictReader(handle, delimiter="\t")]


def run_reference(path: Path, *, show_files: bool) -> dict[str, Counter[str]]:
    """How often each tempo method's answer stands in each relation to the reference's, over the reference's files."""
    counts: dict[str, Counter[str]] = {name: Counter() for name in TEMPO_METHODS}
    for audio, reference in read_reference(path):
        samples = decode_audio(audio, sr=SR).samples
        tempi = {name: quietly(METHODS[name], samples).bpm for name in TEMPO_METHODS}
        for name, bpm in tempi.items():
            counts[name][tempo_relation(bpm, reference)] += 1
        if show_files:
            answers = " | ".join(f"{name} {bpm:6.1f}" for name, bpm in tempi.items())
            print(f"{audio.name:24s} reference {reference:6.1f} | {answers}", flush=True)
    return counts


def print_relations(counts: dict[str, Counter[str]]) -> None:
    relations = [*TEMPO_RELATIONS, "other"]
    print(f"{'tempo against the reference':28s} {'files':>5s} " + " ".join(f"{r:>11s}" for r in relations))
    for name, counter in counts.items():
        print(f"{name:28s} {sum(counter.values()):>5d} " + " ".join(f"{counter[r]:>11d}" for r in relations))


def print_table(tallies: dict[str, dict[str, Tally]]) -> None:
    classes = list(MIREX_WEIGHTS)
    order = sorted(tallies, key=lambda group: (group == "all", group.startswith("drums "), group))
    for group, methods in ((group, tallies[group]) for group in order):
        print(f"\n{group}")
        print(f"  {'method':34s} {'files':>5s} {'tempo 4%':>9s} {'octave':>7s} {'MIREX':>6s}  " + " ".join(f"{c:>11s}" for c in classes))
        for name, tally in methods.items():
            tempo = f"{tally.tempo_exact:>9d} {tally.tempo_octave:>7d}" if tally.tempo_files else f"{'-':>9s} {'-':>7s}"
            mirex = f"{tally.mirex:6.3f}" if tally.mirex is not None else f"{'-':>6s}"
            counts = " ".join(f"{tally.key_classes[c]:>11d}" if tally.key_classes else f"{'-':>11s}" for c in classes)
            print(f"  {name:34s} {tally.files:>5d} {tempo} {mirex}  {counts}")
    all_tallies = tallies.get("all", {})
    if all_tallies:
        times = ", ".join(f"{name} {tally.seconds / tally.files * 1000:.0f} ms" for name, tally in all_tallies.items())
        print(f"\nmean time a file: {times}")


def as_json(tallies: dict[str, dict[str, Tally]]) -> dict:
    return {
        group: {
            name: {
                "files": t.files,
                "tempo_within_4_percent": t.tempo_exact,
                "tempo_octave_tolerant": t.tempo_octave,
                "mirex": t.mirex,
                "key_classes": dict(t.key_classes),
                "seconds_a_file": t.seconds / t.files,
            }
            for name, t in methods.items()
        }
        for group, methods in tallies.items()
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="*", type=Path, help="folders written by tools/build_analysis_set.py")
    parser.add_argument("--reference", type=Path, metavar="TSV", help="real recordings with another estimator's tempi (audio, bpm)")
    parser.add_argument("--files", action="store_true", help="print every file's answers")
    parser.add_argument("--json", action="store_true", help="print the tallies as JSON instead of tables")
    args = parser.parse_args(argv)
    if bool(args.sets) == bool(args.reference):
        parser.error("give rendered sets or --reference TSV")
    if args.reference:
        counts = run_reference(args.reference, show_files=args.files)
        print(json.dumps(counts, indent=2)) if args.json else print_relations(counts)
        return
    tallies = run(args.sets, show_files=args.files)
    print(json.dumps(as_json(tallies), indent=2)) if args.json else print_table(tallies)


if __name__ == "__main__":
    main()
