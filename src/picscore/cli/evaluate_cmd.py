"""`picscore evaluate`: how well picscore ranks the music that really goes with each picture, and how well its
moods agree with people's."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from picscore.audio.music_encoders import DEFAULT_ENCODERS
from picscore.cli.argtypes import positive_int
from picscore.cli.evaluate_moods import run_congruence, run_mood_music, run_mood_pictures
from picscore.cli.model_option import add_model_argument, matcher_or_fail
from picscore.cli.output import CliError, print_json
from picscore.library.image_features import picture_features
from picscore.library.indexer import index_paths
from picscore.library.parallel import default_jobs
from picscore.library.store import Library
from picscore.match.pictures import as_pictures
from picscore.models.zero_shot import DEFAULT_VARIANT, VARIANTS, score_tracks
from picscore.moods.music import MUSIC_HEAD_CHOICES
from picscore.paths import data_dir
from picscore.trackspace.loading import load_candidates
from picscore.train.pairs import PairsError, read_pairs
from picscore.train.retrieval_metrics import RECALL_KS, RetrievalReport, retrieval_report

DESCRIPTION = (
    "With --pairs: for each picture of the pair list, rank all distinct tracks of the list and report "
    "Recall@1/5/10, MRR and median rank beside a random ranking's, with a permutation-test p-value for MRR. "
    "With --mood-pictures, --mood-music or --congruence: how well picscore's moods agree with people's."
)
EPILOG = """\
All files are TSVs with a header; paths are relative to the TSV or absolute; other columns
are ignored. Music is analysed and encoded into a cache library (--cache) and pictures'
features are cached there too, so a second run is quick. Unreadable files are left out and
counted.

  --pairs           `image` and `audio` columns: pictures and the music that goes with them
  --mood-pictures   `image`, `valence`, `arousal` (people's mean ratings, each in [-1, 1]):
                    Pearson r and sign accuracy per axis, and how often the quadrant is right
  --mood-music      `audio` and `quadrant` (Q1 happy, Q2 tense, Q3 sad, Q4 calm): accuracy,
                    precision, recall and F1 per quadrant, and a confusion-matrix PNG (--confusion);
                    or `audio`, `valence`, `arousal` (music rated on both axes, each in [-1, 1]):
                    the same for the quadrants of the ratings' signs, and Pearson r and sign
                    accuracy per axis, as for pictures
  --congruence      a ratings file and a music file (either kind above): the music becomes a
                    library, each picture is ranked against it as `suggest` ranks, and it reports the share of each
                    picture's top 10 in its human quadrant, averaged per quadrant then over
                    quadrants (random: 0.25 for balanced music), with a permutation p-value
                    (the music's labels shuffled)

examples:
  picscore evaluate --pairs supertux.tsv
  picscore evaluate --pairs wesnoth.tsv --variant all --json
  picscore evaluate --pairs wesnoth.tsv --model supertux
  picscore evaluate --mood-pictures oasis/ratings.tsv
  picscore evaluate --mood-music music4q/labels.tsv --confusion music.png
  picscore evaluate --mood-music music4q/labels.tsv --music-head timbre   # as with index --encoders none
  picscore evaluate --congruence oasis/ratings.tsv music4q/labels.tsv --variant all
"""


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--pairs", type=Path, metavar="FILE.tsv", help="the pair list")
    what.add_argument("--mood-pictures", type=Path, metavar="RATINGS.tsv", help="pictures with people's valence and arousal")
    what.add_argument("--mood-music", type=Path, metavar="LABELS.tsv", help="music with its mood quadrant, or its valence and arousal")
    what.add_argument(
        "--congruence", type=Path, nargs=2, metavar=("RATINGS.tsv", "LABELS.tsv"), help="rank the labelled music for the rated pictures"
    )
    parser.add_argument(
        "--variant",
        default=DEFAULT_VARIANT,
        choices=[*VARIANTS, "all"],
        help=f"which zero-shot matcher, for --pairs and --congruence (default: %(default)s); 'all' reports each: {', '.join(VARIANTS)}",
    )
    add_model_argument(parser)
    parser.add_argument(
        "--cache", type=Path, default=None, help="cache library for the pairs' files (default: evaluate.db in your data folder)"
    )
    parser.add_argument("--permutations", type=positive_int, default=10_000, help="permutations for the p-value (default: %(default)s)")
    parser.add_argument(
        "--jobs", "-j", type=positive_int, default=default_jobs(), help="worker processes for analysis (default: all cores)"
    )
    parser.add_argument(
        "--music-head",
        choices=list(MUSIC_HEAD_CHOICES),
        default="full",
        help="which music mood head scores the music, for --mood-music and --congruence: full (both musicnn taggers and the"
        " descriptors, what `index` stores), timbre (the timbre statistics and the descriptors, what a library indexed"
        " with --encoders none reads) or descriptors (alone, for tracks analysed before timbre was stored);"
        " default: %(default)s",
    )
    parser.add_argument("--top", type=positive_int, default=10, help="list length for --congruence (default: %(default)s)")
    parser.add_argument(
        "--confusion",
        type=Path,
        default=Path("mood-music-confusion.png"),
        metavar="PNG",
        help="where --mood-music draws its confusion matrix (default: %(default)s)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    modes = {"mood_pictures": run_mood_pictures, "mood_music": run_mood_music, "congruence": run_congruence}
    for name, handler in modes.items():
        if getattr(args, name):
            with Library(args.cache or data_dir() / "evaluate.db") as library:
                return handler(args, library)
    return _run_pairs(args)


def _run_pairs(args: argparse.Namespace) -> int:
    try:
        pairs = read_pairs(args.pairs)
    except PairsError as err:
        raise CliError(str(err)) from None
    cache = args.cache or data_dir() / "evaluate.db"
    audio_paths = sorted({p.audio for p in pairs})
    image_paths = sorted({p.image for p in pairs})
    with Library(cache) as library:
        index_paths(library, audio_paths, jobs=args.jobs, encoders=DEFAULT_ENCODERS, progress=not args.json)
        indexed = {row["path"] for row in library.list_tracks()}
        tracks = [p for p in audio_paths if p in indexed]
        pictures = {f.path: f for f in picture_features(library, image_paths) if f.error is None}
        candidates = load_candidates(library, paths=tracks)
        matcher, model_file = matcher_or_fail(args.model, candidates, library, variant=DEFAULT_VARIANT)
    usable = [p for p in pairs if p.audio in indexed and p.image in pictures]
    if len(tracks) < 2 or not usable:
        raise CliError(f"{args.pairs}: too few readable pairs to evaluate ({len(usable)} pairs, {len(tracks)} tracks)")
    query_images = [pictures[p.image] for p in usable]
    targets = np.array([tracks.index(p.audio) for p in usable])
    query = as_pictures(query_images)
    if model_file is not None:
        scores = {Path(model_file).parent.name: matcher.form(query).scores(matcher.space)}
    else:
        variants = list(VARIANTS) if args.variant == "all" else [args.variant]
        scores = {name: score_tracks(query, candidates.joint_space, variant=name) for name in variants}
    reports = {name: retrieval_report(s, targets, n_permutations=args.permutations) for name, s in scores.items()}
    skipped = len(pairs) - len(usable)
    if args.json:
        print_json({"pairs": str(args.pairs), "skipped_pairs": skipped, "reports": {n: r.as_dict() for n, r in reports.items()}})
    else:
        _print(reports, skipped=skipped)
    return 0


def _print(reports: dict[str, RetrievalReport], *, skipped: int) -> None:
    first = next(iter(reports.values()))
    print(
        f"{first.n_queries} pictures, each ranking {first.n_candidates} tracks"
        + (f" ({skipped} unreadable pairs left out)" if skipped else "")
    )
    heading = "".join(f"{f'R@{k}':>8s}" for k in RECALL_KS)
    print(f"{'variant':16s}{heading}{'MRR':>8s}{'median':>8s}{'p(MRR)':>9s}")
    for name, report in reports.items():
        recalls = "".join(f"{report.recall_at[k]:8.3f}" for k in RECALL_KS)
        print(f"{name:16s}{recalls}{report.mrr:8.3f}{report.median_rank:8.1f}{report.mrr_p_value:9.4f}")
    recalls = "".join(f"{first.random_recall_at[k]:8.3f}" for k in RECALL_KS)
    print(f"{'random':16s}{recalls}{first.random_mrr:8.3f}{first.random_median_rank:8.1f}")
    if len(reports) == 1 and first.mrr_p_value >= 0.05:
        print("not significantly better than random (p >= 0.05)", file=sys.stderr)
