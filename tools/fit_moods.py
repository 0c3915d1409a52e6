"""Fit picscore's mood heads on human ratings and print their cross-validated agreement with people.

    python tools/fit_moods.py --data ../shared/data/affect

The data folder holds two research sets (see its README; nothing of them is copied into the project):

    oasis/ratings.tsv     image, valence, arousal (means of about 100 raters, mapped to [-1, 1]), category
    music4q/labels.tsv    audio, quadrant (Q1..Q4), valence_sign, arousal_sign, artist

Pictures are read by picscore's own picture pipeline (EfficientNet-Lite2's and -Lite0's layers and Lite0's ImageNet
classes, library/image_features.py; their words in the text space, moods/picture.py) and the
clips are indexed by `picscore index`'s own code into a cache library (--cache), so the heads see exactly what they
will read in use. Four heads are fitted and written to --out (by default the package's moods/weights/):

    picture.npz            ridge regression of valence and arousal on the picture's layer description and words
    music-full.npz         4-quadrant logistic regression on both musicnn taggers' embeddings and tags and the descriptors
    music-timbre.npz       the same on the timbre statistics and the descriptors (libraries indexed with --encoders none)
    music-descriptors.npz  the same on the descriptors alone (such libraries' tracks analysed before timbre was stored)

The figures printed are cross-validated: --folds folds, each picture theme ("Dog 3" and "Dog 7" are one theme) and
each artist on one side of every fold, repeated with --repeats seeds (mean and spread over the repeats). The last
table ranks the held-out clips for each held-out picture with `suggest`'s own code, using out-of-fold moods on both
sides, for every zero-shot variant: the share of each picture's top 10 in its human mood quadrant (chance 0.25).
Two more rows give the default variant's share with the pictures' moods taken from people's ratings, and with the
clips' moods taken from their labelled quadrants: how far each side's head holds the matching back. The last rows
rank the clips for random albums of held-out pictures together, as `suggest` does for several photos, each album
judged by the quadrant of its pictures' mean rating.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from tqdm import tqdm

import picscore.moods.weights as weights
from picscore.audio.music_encoders import DEFAULT_ENCODERS
from picscore.library.image_features import picture_features
from picscore.library.indexer import index_paths
from picscore.library.moods import descriptor_matrix, forget_tracks_without_timbre, tagger_matrix, timbre_matrix
from picscore.library.store import Library
from picscore.match.ranking import album_tracks, best_tracks
from picscore.models.zero_shot import DEFAULT_VARIANT, VARIANTS, Pictures
from picscore.moods.fitting import fit_logistic, fit_ridge, group_folds, out_of_fold, softmax
from picscore.moods.heads import LinearHead, head_version, load_head
from picscore.moods.music import DESCRIPTOR_HEAD, FULL_HEAD, TIMBRE_HEAD
from picscore.moods.picture import PICTURE_HEAD, picture_input_weights, picture_mood_inputs
from picscore.moods.plane import AROUSAL_SIGNS, QUADRANTS, VALENCE_SIGNS, quadrant_index
from picscore.paths import data_dir
from picscore.trackspace.candidates import Candidates, candidates_from_rows, read_tags
from picscore.train.mood_metrics import CongruenceReport, classification_report, congruence_report, pearson_r
from picscore.train.mood_sets import read_music_labels, read_picture_ratings

# Penalties chosen on these folds among 300-10000 (pictures) and 0.01-1 (music): the figures printed for them are
# therefore a little optimistic; the next value either way changed r or accuracy by about 0.01.
PICTURE_PENALTY = 3000.0
FULL_PENALTY = 0.3
TIMBRE_PENALTY = 0.3
DESCRIPTOR_PENALTY = 0.01
_PICTURE_BATCH = 16
# The albums whose suggestions are judged beside the single pictures' (see _album_congruence).
ALBUM_SIZES = (3, 10)
ALBUMS_PER_SEED = 400


@dataclass(frozen=True)
class PictureData:
    inputs: np.ndarray  # [n, d] what the picture head reads (moods/picture.py)
    probabilities: np.ndarray  # [n, 1000]
    ratings: np.ndarray  # [n, 2]
    themes: np.ndarray  # [n]


@dataclass(frozen=True)
class MusicData:
    ids: np.ndarray  # [m] track ids in the cache library
    descriptors: np.ndarray  # [m, len(DESCRIPTORS)]
    taggers: np.ndarray  # [m, 500]
    timbre: np.ndarray  # [m, TIMBRE_WIDTH]
    quadrants: np.ndarray  # [m]
    artists: np.ndarray  # [m]


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    with Library(args.cache) as library:
        pictures = _pictures(library, args.data / "oasis" / "ratings.tsv")
        music = _music(library, args.data / "music4q" / "labels.tsv", jobs=args.jobs)
        print(
            f"{len(pictures.ratings)} pictures in {len(set(pictures.themes))} themes; "
            f"{len(music.quadrants)} clips by {len(set(music.artists))} artists"
        )
        seeds = range(args.repeats)
        picture_moods = _report_pictures(pictures, folds=args.folds, seeds=seeds)
        full_moods = _report_music(music, "full head", np.hstack([music.taggers, music.descriptors]), FULL_PENALTY, args.folds, seeds)
        timbre_inputs = np.hstack([music.timbre, music.descriptors])
        _report_music(music, "timbre head", timbre_inputs, TIMBRE_PENALTY, args.folds, seeds)
        _report_music(music, "descriptor head", music.descriptors, DESCRIPTOR_PENALTY, args.folds, seeds)
        full_inputs = np.hstack([music.taggers, music.descriptors])
        heads = {
            PICTURE_HEAD: _about(_picture_head(pictures, np.arange(len(pictures.ratings))), "OASIS", len(pictures.ratings)),
            FULL_HEAD: _about(_logistic(full_inputs, music.quadrants, FULL_PENALTY), "4Q", len(music.ids)),
            TIMBRE_HEAD: _about(_logistic(timbre_inputs, music.quadrants, TIMBRE_PENALTY), "4Q", len(music.ids)),
            DESCRIPTOR_HEAD: _about(_logistic(music.descriptors, music.quadrants, DESCRIPTOR_PENALTY), "4Q", len(music.ids)),
        }
        args.out.mkdir(parents=True, exist_ok=True)
        for name, head in heads.items():
            head.save(args.out / f"{name}.npz")
        load_head.cache_clear()  # the matcher standardises picture moods by the picture head just written
        head_version.cache_clear()
        print(f"wrote {', '.join(f'{name}.npz' for name in heads)} to {args.out}")
        _report_congruence(library, pictures, music, picture_moods, full_moods, permutations=args.permutations)
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the affect data folder (oasis/ and music4q/)")
    parser.add_argument("--cache", type=Path, default=data_dir() / "fit-moods.db", help="library for the clips and pictures' features")
    parser.add_argument("--out", type=Path, default=Path(weights.__file__).parent, help="where the heads are written")
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default: %(default)s)")
    parser.add_argument(
        "--repeats",
        type=int,
        default=10,
        help="cross-validations with other fold seeds; one seed's figures differ from the next by about 0.02 (default: %(default)s)",
    )
    parser.add_argument("--permutations", type=int, default=2000, help="for the congruence p-values (default: %(default)s)")
    parser.add_argument("--jobs", type=int, default=None, help="indexing worker processes (default: all cores)")
    return parser


def _pictures(library: Library, ratings_path: Path) -> PictureData:
    rated = read_picture_ratings(ratings_path)
    features = []
    for start in tqdm(range(0, len(rated), _PICTURE_BATCH), desc="pictures", unit="batch", file=sys.stderr):
        features += picture_features(library, [r.image for r in rated[start : start + _PICTURE_BATCH]])
    failed = [f for f in features if f.error]
    if failed:
        raise SystemExit(f"fit_moods: {failed[0].path}: {failed[0].error} ({len(failed)} pictures unreadable)")
    _, probabilities, layers = (np.stack(arrays).astype(np.float64) for arrays in zip(*(f.loaded() for f in features), strict=True))
    return PictureData(
        picture_mood_inputs(layers, probabilities),
        probabilities,
        np.array([[r.valence, r.arousal] for r in rated]),
        np.array([r.theme for r in rated]),
    )


def _music(library: Library, labels_path: Path, *, jobs: int | None) -> MusicData:
    labelled = read_music_labels(labels_path)
    if forgotten := forget_tracks_without_timbre(library, [m.audio for m in labelled]):
        print(f"{forgotten} clips in {library.path} were analysed before timbre statistics were stored: indexing them again")
    index_paths(library, [m.audio for m in labelled], jobs=jobs, encoders=DEFAULT_ENCODERS)
    by_path = {row["path"]: row["id"] for row in library.list_tracks()}
    missing = [m.audio for m in labelled if m.audio not in by_path]
    if missing:
        raise SystemExit(f"fit_moods: {missing[0]}: not indexed (see `picscore --library {library.path} library errors`)")
    order = np.argsort([by_path[m.audio] for m in labelled], kind="stable")  # the library reads tracks in id order
    labelled = [labelled[k] for k in order]
    ids = np.array([by_path[m.audio] for m in labelled], dtype=np.int64)
    quadrants, artists = np.array([m.quadrant for m in labelled]), np.array([m.artist for m in labelled])
    return MusicData(ids, descriptor_matrix(library, ids), tagger_matrix(library, ids), timbre_matrix(library, ids), quadrants, artists)


def _picture_head(data: PictureData, train: np.ndarray) -> LinearHead:
    weights = picture_input_weights(data.inputs.shape[1])
    return fit_ridge(data.inputs[train], data.ratings[train], penalty=PICTURE_PENALTY, input_weights=weights)


def _logistic(inputs: np.ndarray, quadrants: np.ndarray, penalty: float) -> LinearHead:
    return fit_logistic(inputs, quadrants, n_classes=len(QUADRANTS), penalty=penalty)


def _report_pictures(data: PictureData, *, folds: int, seeds: range) -> list[np.ndarray]:
    """Print the picture head's cross-validated figures; the out-of-fold moods of each seed."""
    rows, each = [], []
    for seed in seeds:
        fold = group_folds(data.themes, folds=folds, seed=seed)
        moods = np.clip(out_of_fold(lambda train: _picture_head(data, train), data.inputs, fold), -1, 1)
        each.append(moods)
        truth, guess = quadrant_index(*data.ratings.T), quadrant_index(*moods.T)
        rows.append(
            [pearson_r(data.ratings[:, 0], moods[:, 0]), pearson_r(data.ratings[:, 1], moods[:, 1])]
            + [float(np.mean(np.sign(data.ratings[:, k]) == np.sign(moods[:, k]))) for k in (0, 1)]
            + [float(np.mean(truth == guess))]
        )
    print(f"\npicture mood: ridge (penalty {PICTURE_PENALTY:g}) on EfficientNet-Lite2 and -Lite0 layers and class words,", end=" ")
    print(f"{folds} folds by theme, {len(seeds)} repeats")
    _print_rows(["valence r", "arousal r", "valence sign", "arousal sign", "quadrant"], np.array(rows))
    return each


def _report_music(data: MusicData, name: str, inputs: np.ndarray, penalty: float, folds: int, seeds: range) -> list[np.ndarray]:
    """Print a music head's cross-validated figures; the out-of-fold quadrant probabilities of each seed."""
    rows, each = [], []
    for seed in seeds:
        fold = group_folds(data.artists, folds=folds, seed=seed)
        probabilities = softmax(out_of_fold(lambda train: _logistic(inputs[train], data.quadrants[train], penalty), inputs, fold))
        each.append(probabilities)
        report = classification_report(data.quadrants, probabilities.argmax(axis=1), n_classes=len(QUADRANTS))
        signs = [float(np.mean(np.sign(probabilities @ axis) == axis[data.quadrants])) for axis in (VALENCE_SIGNS, AROUSAL_SIGNS)]
        rows.append([report.accuracy, float(report.f1.mean()), *report.f1, *signs])
    print(f"\nmusic mood, {name}: logistic regression (penalty {penalty:g}), {folds} folds by artist, {len(seeds)} repeats")
    _print_rows(["accuracy", "macro F1", *(f"F1 {q}" for q in QUADRANTS), "valence sign", "arousal sign"], np.array(rows))
    return each


def _print_rows(names: list[str], rows: np.ndarray) -> None:
    for name, column in zip(names, rows.T, strict=True):
        print(f"  {name:14s} {column.mean():.3f}  (± {column.std():.3f} over repeats)")


def _about(head: LinearHead, data: str, count: int) -> LinearHead:
    sources = {
        "OASIS": "OASIS photographs (Kurdi, Lozano & Banaji 2017), mean valence/arousal ratings mapped to [-1, 1]",
        "4Q": "4-quadrant music-emotion set (Panda, Malheiro & Paiva 2018), AllMusic-derived quadrant labels",
    }
    about = {"fitted_on": sources[data], "items": count, "fitted": datetime.now(UTC).date().isoformat(), "by": "tools/fit_moods.py"}
    return replace(head, about=about)


def _report_congruence(
    library: Library,
    pictures: PictureData,
    music: MusicData,
    picture_moods: list[np.ndarray],
    quadrant_probabilities: list[np.ndarray],
    *,
    permutations: int,
) -> None:
    """Every variant's congruence with out-of-fold moods on both sides (each fold seed in turn), ranked by `suggest`;
    then the default variant's with one side's moods replaced by what people said, which shows which side limits it."""
    rows = {row["id"]: row for row in library.list_tracks()}
    tags, untagged = read_tags(library, music.ids)
    truth = quadrant_index(*pictures.ratings.T)

    def clips(probabilities: np.ndarray) -> Candidates:
        """The clips as suggest's candidates, with the moods of these quadrant probabilities."""
        track_rows = [
            {**rows[int(i)], "valence": float(p @ VALENCE_SIGNS), "arousal": float(p @ AROUSAL_SIGNS)}
            for i, p in zip(music.ids, probabilities, strict=True)
        ]
        return candidates_from_rows(track_rows, tags, untagged)

    def congruence(moods: np.ndarray, candidates: Candidates, variant: str) -> CongruenceReport:
        top = best_tracks(Pictures(moods, pictures.probabilities), candidates, top=10, variant=variant)
        return congruence_report(top, music.quadrants, truth, n_permutations=permutations)

    labelled_clips = clips(np.eye(len(QUADRANTS))[music.quadrants])
    reports: dict[str, list[CongruenceReport]] = {variant: [] for variant in VARIANTS}
    bounds: dict[str, list[CongruenceReport]] = {"people's picture moods": [], "the clips' own quadrants": []}
    sizes = [size for size in ALBUM_SIZES if size <= len(pictures.ratings)]
    albums: dict[str, list[CongruenceReport]] = {f"{size} photos": [] for size in sizes}
    for seed, (moods, probabilities) in enumerate(zip(picture_moods, quadrant_probabilities, strict=True)):
        candidates = clips(probabilities)
        for variant in VARIANTS:
            reports[variant].append(congruence(moods, candidates, variant))
        bounds["people's picture moods"].append(congruence(pictures.ratings, candidates, DEFAULT_VARIANT))
        bounds["the clips' own quadrants"].append(congruence(moods, labelled_clips, DEFAULT_VARIANT))
        for size in sizes:
            albums[f"{size} photos"].append(_album_congruence(pictures, moods, candidates, music.quadrants, size=size, seed=seed))
    print(f"\ncongruence: out-of-fold moods, each picture's top 10 of {len(music.ids)} clips by suggest (chance 0.25),")
    print(f"mean and spread over {len(picture_moods)} fold seeds; p: the largest of theirs")
    _print_congruence("variant", reports)
    print(f"\nthe {DEFAULT_VARIANT} variant with one side's moods taken from people instead of its head:")
    _print_congruence("moods from", bounds)
    if not sizes:
        return
    print(f"\nalbums: {ALBUMS_PER_SEED} random albums of held-out pictures a fold seed, ranked together by suggest ({DEFAULT_VARIANT});")
    print("the share of each album's top 10 in the quadrant of its pictures' mean human rating:")
    _print_congruence("album of", albums)


def _album_congruence(
    pictures: PictureData, moods: np.ndarray, candidates: Candidates, clip_quadrants: np.ndarray, *, size: int, seed: int
) -> CongruenceReport:
    """Congruence of `suggest`'s lists for random albums of `size` pictures, each judged by its mean human rating."""
    rng = np.random.default_rng(seed)
    members = [rng.choice(len(moods), size=size, replace=False) for _ in range(ALBUMS_PER_SEED)]
    top = album_tracks([Pictures(moods[m], pictures.probabilities[m]) for m in members], candidates, top=10)
    truth = np.array([quadrant_index(*pictures.ratings[m].mean(axis=0)) for m in members])
    return congruence_report(top, clip_quadrants, truth, n_permutations=200)


def _print_congruence(first: str, reports: dict[str, list[CongruenceReport]]) -> None:
    width = max(len(first), *map(len, reports))
    print(f"  {first:{width}s} {'share':>6s} {'± seeds':>7s} " + " ".join(f"{q:>5s}" for q in QUADRANTS) + f" {'p':>7s}")
    for name, each in reports.items():
        quadrants = " ".join(f"{v:5.2f}" for v in np.mean([r.per_quadrant for r in each], axis=0))
        shares, p_value = [r.share for r in each], max(r.p_value for r in each)
        print(f"  {name:{width}s} {np.mean(shares):6.3f} {np.std(shares):7.3f} {quadrants} {p_value:7.4f}")


if __name__ == "__main__":
    raise SystemExit(main())
