"""`picscore evaluate --mood-pictures / --mood-music / --congruence`: how well picscore's moods agree with people."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from picscore.audio.music_encoders import DEFAULT_ENCODERS
from picscore.cli.model_option import matcher_or_fail
from picscore.cli.output import CliError, print_json
from picscore.library.image_features import PictureFeatures, picture_features
from picscore.library.indexer import index_paths
from picscore.library.moods import forget_tracks_without_timbre, head_moods
from picscore.library.store import Library
from picscore.match.pictures import as_pictures
from picscore.match.ranking import best_tracks
from picscore.models.zero_shot import DEFAULT_VARIANT, VARIANTS
from picscore.moods.music import FULL_HEAD, MUSIC_HEAD_CHOICES, TIMBRE_HEAD, model_name
from picscore.moods.plane import QUADRANT_WORDS, QUADRANTS, quadrant_index
from picscore.trackspace.candidates import Candidates
from picscore.trackspace.loading import candidates_of_rows
from picscore.train.mood_metrics import CongruenceReport, classification_report, congruence_report, pearson_r
from picscore.train.mood_sets import MoodSetError, RatedPicture, read_music_labels, read_picture_ratings
from picscore.train.plots import plot_confusion


def run_mood_pictures(args: argparse.Namespace, library: Library) -> int:
    """Pearson r, sign accuracy per axis and quadrant accuracy of the picture moods against people's ratings."""
    rated, features = _readable_pictures(_read(read_picture_ratings, args.mood_pictures), library)
    moods = as_pictures(features).mood
    truth = np.array([[p.valence, p.arousal] for p in rated])
    axes = _axis_figures(truth, moods)
    quadrant = float(np.mean(quadrant_index(*truth.T) == quadrant_index(*moods.T)))
    report = {"pictures": len(rated), **axes, "quadrant_accuracy": quadrant}
    if args.json:
        print_json(report)
        return 0
    print(f"{len(rated)} pictures rated by people")
    _print_axes(axes)
    print(f"quadrant right {quadrant:.3f}")
    return 0


def _axis_figures(truth: np.ndarray, moods: np.ndarray) -> dict[str, dict[str, float]]:
    """Pearson r and the share of signs right, per axis, of moods [n, 2] against people's ratings [n, 2]."""
    return {
        name: {"pearson_r": pearson_r(truth[:, k], moods[:, k]), "sign_accuracy": float(np.mean((truth[:, k] > 0) == (moods[:, k] > 0)))}
        for k, name in enumerate(("valence", "arousal"))
    }


def _print_axes(axes: dict[str, dict[str, float]]) -> None:
    print(f"{'axis':10s}{'Pearson r':>11s}{'sign right':>12s}")
    for name, figures in axes.items():
        print(f"{name:10s}{figures['pearson_r']:11.3f}{figures['sign_accuracy']:12.3f}")


def run_mood_music(args: argparse.Namespace, library: Library) -> int:
    """Accuracy, per-quadrant precision, recall and F1, and a confusion-matrix PNG, of the music moods against labels;
    for music rated on both axes, also Pearson r and sign accuracy per axis."""
    labelled = _read(read_music_labels, args.mood_music)
    stored = _indexed(library, [m.audio for m in labelled], args)
    kept = [m for m in labelled if m.audio in stored]
    if not kept:
        raise CliError(f"{args.mood_music}: none of the music could be read (see `picscore --library {library.path} library errors`)")
    predicted = np.array([np.argmax(stored[m.audio]["mood_quadrants"]) for m in kept])
    report = classification_report(np.array([m.quadrant for m in kept]), predicted, n_classes=len(QUADRANTS))
    names = [f"{q} {w}" for q, w in zip(QUADRANTS, QUADRANT_WORDS, strict=True)]
    plot_confusion(args.confusion, report.confusion, names, title=f"music mood, {len(kept)} clips", truth="labelled by people")
    rows = {
        name: {"precision": float(p), "recall": float(r), "f1": float(f), "clips": int(n)}
        for name, p, r, f, n in zip(QUADRANTS, report.precision, report.recall, report.f1, report.confusion.sum(axis=1), strict=True)
    }
    result = {
        "clips": len(kept),
        "unreadable": len(labelled) - len(kept),
        "accuracy": report.accuracy,
        "macro_f1": float(report.f1.mean()),
        "quadrants": rows,
        "confusion": report.confusion.tolist(),
        "confusion_png": str(args.confusion),
    }
    rated = all(m.valence is not None and m.arousal is not None for m in kept)
    axes = {}
    if rated:
        truth = np.array([[m.valence, m.arousal] for m in kept], dtype=np.float64)
        moods = np.array([[stored[m.audio]["valence"], stored[m.audio]["arousal"]] for m in kept], dtype=np.float64)
        axes = _axis_figures(truth, moods)
        result |= axes
    if args.json:
        print_json(result)
        return 0
    unread = f" ({result['unreadable']} unreadable left out)" if result["unreadable"] else ""
    judged = "rated" if rated else "labelled"
    print(f"{len(kept)} clips {judged} by people{unread}: accuracy {report.accuracy:.3f}, macro F1 {result['macro_f1']:.3f}")
    print(f"{'quadrant':12s}{'precision':>10s}{'recall':>8s}{'F1':>7s}{'clips':>7s}")
    for name, figures in zip(names, rows.values(), strict=True):
        print(f"{name:12s}{figures['precision']:10.3f}{figures['recall']:8.3f}{figures['f1']:7.3f}{figures['clips']:7d}")
    if axes:
        _print_axes(axes)
    print(f"confusion matrix (rows labelled, columns predicted) in {args.confusion}")
    return 0


def run_congruence(args: argparse.Namespace, library: Library) -> int:
    """The share of each picture's top tracks that lies in its human mood quadrant, per variant, with p-values."""
    ratings, labels = args.congruence
    rated, features = _readable_pictures(_read(read_picture_ratings, ratings), library)
    labelled = _read(read_music_labels, labels)
    stored = _indexed(library, [m.audio for m in labelled], args)
    music = [m for m in labelled if m.audio in stored]
    if len(music) < args.top:
        raise CliError(f"{labels}: {len(music)} readable pieces of music; a top {args.top} needs more")
    candidates = candidates_of_rows(library, [stored[m.audio] for m in music])
    query = as_pictures(features)
    truth = quadrant_index(np.array([p.valence for p in rated]), np.array([p.arousal for p in rated]))
    track_quadrants = np.array([m.quadrant for m in music])
    reports = {}
    for name, ranking in _rankings(args, candidates, library).items():
        top = best_tracks(query, candidates, top=args.top, **ranking)
        reports[name] = congruence_report(top, track_quadrants, truth, n_permutations=args.permutations)
    if args.json:
        print_json({"pictures": len(rated), "music": len(music), "reports": {n: r.as_dict() for n, r in reports.items()}})
        return 0
    _print_congruence(reports, pictures=len(rated), music=len(music))
    return 0


def _rankings(args: argparse.Namespace, candidates: Candidates, library: Library) -> dict[str, dict[str, Any]]:
    """best_tracks arguments per reported row: a trained model's matcher, or the zero-shot variants asked for."""
    matcher, model_file = matcher_or_fail(args.model, candidates, library, variant=DEFAULT_VARIANT)
    if model_file is not None:
        return {Path(model_file).parent.name: {"matcher": matcher}}
    variants = list(VARIANTS) if args.variant == "all" else [args.variant]
    return {name: {"variant": name} for name in variants}


def _print_congruence(reports: dict[str, CongruenceReport], *, pictures: int, music: int) -> None:
    first = next(iter(reports.values()))
    print(f"{pictures} pictures, each ranking {music} pieces: the share of its top {first.top} in its human mood quadrant")
    print(f"{'variant':16s}{'share':>7s}" + "".join(f"{q:>6s}" for q in QUADRANTS) + f"{'p':>9s}")
    for name, report in reports.items():
        quadrants = "".join("     -" if np.isnan(v) else f"{v:6.2f}" for v in report.per_quadrant)
        print(f"{name:16s}{report.share:7.3f}{quadrants}{report.p_value:9.4f}")
    print(f"{'random':16s}{first.chance:7.3f}")


def _read(reader: Callable[[Path], list], path: Path) -> list:
    try:
        return reader(path)
    except MoodSetError as err:
        raise CliError(str(err)) from None


def _readable_pictures(rated: list[RatedPicture], library: Library) -> tuple[list[RatedPicture], list[PictureFeatures]]:
    """The pictures that could be read, and their features; unreadable ones are reported on stderr and left out."""
    features = picture_features(library, [p.image for p in rated])
    for f in features:
        if f.error:
            print(f"picscore: skipped {f.path}: {f.error}", file=sys.stderr)
    readable = [(p, f) for p, f in zip(rated, features, strict=True) if f.error is None]
    if not readable:
        raise CliError("none of the pictures could be read")
    return [p for p, _ in readable], [f for _, f in readable]


def _indexed(library: Library, paths: list[str], args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """The library rows of these music files (indexed first where needed), by path, with their moods by the music head
    of --music-head; unreadable files are missing. Only the full head needs the taggers; the timbre head needs the
    timbre statistics, which a track analysed before they were stored gets by being indexed again."""
    head = MUSIC_HEAD_CHOICES[args.music_head]
    if head == TIMBRE_HEAD:
        forget_tracks_without_timbre(library, paths)
    encoders = DEFAULT_ENCODERS if head == FULL_HEAD else ()
    index_paths(library, paths, jobs=args.jobs, encoders=encoders, progress=not args.json)
    wanted = set(paths)
    rows = {row["id"]: row for row in library.list_tracks() if row["path"] in wanted}
    rescore = []  # the tracks whose stored mood is another head's (a library's own moods are kept, as suggest reads them)
    for fields in library.fields(list(rows), ["mood_quadrants", "mood_model"]):
        rows[fields["id"]]["mood_quadrants"] = fields["mood_quadrants"]
        if fields["mood_model"] != model_name(head):
            rescore.append(fields["id"])
    if rescore:
        ids = np.array(rescore, dtype=np.int64)
        moods = head_moods(library, ids, head)
        for track_id, quadrants, valence, arousal in zip(ids, moods.quadrants, moods.valence, moods.arousal, strict=True):
            rows[int(track_id)].update(mood_quadrants=quadrants, valence=float(valence), arousal=float(arousal))
    return {row["path"]: row for row in rows.values()}
