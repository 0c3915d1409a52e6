"""`picscore suggest`: the tracks of your library that fit your photos, and why."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from picscore.cli.argtypes import positive_int
from picscore.cli.model_option import add_index_argument, add_model_argument, candidates_or_fail, matcher_or_fail
from picscore.cli.output import CliError, format_duration, nothing_readable, print_json, print_table, report_skipped
from picscore.library.image_features import PictureFeatures, picture_features
from picscore.library.store import Library
from picscore.match.explain import mood_json
from picscore.match.pictures import as_pictures
from picscore.match.suggest import (
    MOODS,
    Suggestion,
    SuggestOptions,
    filters_left,
    mood_direction,
    photos_mood,
    suggest,
    suggestion_json,
)
from picscore.models.zero_shot import DEFAULT_VARIANT, VARIANTS
from picscore.moods.plane import mood_words
from picscore.paths import library_path
from picscore.render.photos import expand_photos
from picscore.trackspace.search_index import resolve_kind, search_index

DESCRIPTION = (
    "Rank the tracks of your library for PHOTO... (together, as one album, or --per-photo) and say "
    "which part of each to use and why. Index your music first with `picscore index`."
)
EPILOG = f"""\
The score matches the photos' mood with each track's (both learned from how people rate
pictures and music: valence, unpleasant to pleasant, and arousal, calm to excited), and what
EfficientNet sees in the photos with what musicnn hears in the tracks (see `picscore
evaluate --congruence` for how often the list shares the photos' mood). In an album, a photo
of a clear mood counts for more than a nearly neutral one. The photos' mood is shown above
the list, and each reason ties the track to it. Other versions of a song
already listed are skipped. Libraries of more than 200,000 tracks are searched through an
approximate index kept beside the library (see --index and `picscore library search-index`).

moods for --mood: {", ".join(MOODS)}

examples:
  picscore suggest beach.jpg
  picscore suggest holiday/*.jpg --top 5 --mood calmer --min-duration 60
  picscore suggest party.jpg --tempo 110-140 --exclude 12 --exclude 40 --seed 3 --json
  picscore suggest beach.jpg --index exact      # score every track even in a large library
"""


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    parser.add_argument(
        "photos", nargs="+", metavar="PHOTO", help="pictures (JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF, HEIC): files, folders, glob patterns"
    )
    parser.add_argument("--top", type=positive_int, default=10, help="how many tracks (default: %(default)s)")
    parser.add_argument("--per-photo", action="store_true", help="a list for each photo instead of one for all")
    parser.add_argument("--mood", help="steer the mood: calmer, more energetic, happier, sadder, or a mood word below")
    parser.add_argument("--min-duration", type=float, default=0.0, metavar="SECONDS", help="only tracks at least this long")
    parser.add_argument("--tempo", type=_tempo_range, metavar="LOW-HIGH", help="only tracks whose tempo is in this BPM range, e.g. 90-130")
    parser.add_argument("--exclude", type=int, action="append", default=[], metavar="ID", help="leave out this track id (repeatable)")
    parser.add_argument("--seed", type=int, help="shuffle near-equal tracks for variety; the same seed gives the same list")
    parser.add_argument(
        "--variant", default=DEFAULT_VARIANT, choices=list(VARIANTS), help="zero-shot matcher variant (default: %(default)s)"
    )
    add_model_argument(parser)
    add_index_argument(parser)
    parser.add_argument(
        "--compose-fallback",
        type=Path,
        metavar="PATH",
        help="when no track scores --fallback-below or more, compose a piece for the photos' mood into PATH (e.g. fallback.flac)",
    )
    parser.add_argument(
        "--fallback-below", type=float, default=1.0, metavar="SCORE", help="the score under which to compose (default: %(default)s)"
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(run=run)


def _tempo_range(text: str) -> tuple[float, float]:
    try:
        low, high = (float(part) for part in text.split("-", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LOW-HIGH in BPM, like 90-130, not {text!r}") from None
    if not 0 < low <= high:
        raise argparse.ArgumentTypeError(f"expected 0 < LOW <= HIGH, not {text!r}")
    return low, high


def run(args: argparse.Namespace) -> int:
    if args.mood:
        try:
            mood_direction(args.mood)
        except ValueError as err:
            raise CliError(str(err)) from None
    options = SuggestOptions(
        top=args.top,
        mood=args.mood,
        min_duration_seconds=args.min_duration,
        tempo_bpm=args.tempo,
        exclude_ids=frozenset(args.exclude),
        seed=args.seed,
        variant=args.variant,
    )
    with Library(library_path(getattr(args, "library", None))) as library:
        candidates = candidates_or_fail(library)
        matcher, _ = matcher_or_fail(args.model, candidates, library, variant=args.variant)
        kind = resolve_kind(args.index, candidates, matcher)
        index = search_index(library, candidates, matcher, kind=kind)
        paths, unmatched = expand_photos(args.photos)
        for argument in unmatched:
            print(f"picscore: error: {argument}: no pictures found", file=sys.stderr)
        photos = picture_features(library, paths)
    if index is None and kind != "exact":
        print(f"picscore: note: building the {kind} search index in the background; searching exactly meanwhile", file=sys.stderr)
    for photo in photos:
        if photo.error:
            report_skipped(photo.path, photo.error)
    readable = [p for p in photos if p.error is None]
    if not readable:
        raise nothing_readable(len(photos))
    if candidates.untagged.any():
        print(
            f"picscore: note: {int(candidates.untagged.sum())} tracks have no musicnn tags yet: `picscore index` adds them", file=sys.stderr
        )
    groups = [[p] for p in readable] if args.per_photo else [readable]
    results = [(group, suggest(as_pictures(group), candidates, options, matcher=matcher, index=index)) for group in groups]
    if not any(found for _, found in results):
        raise CliError(f"no track passes the filters: {'; '.join(filters_left(candidates, options)) or 'none set'}")
    fallbacks = [_fallback(args, group, found, index=i, of=len(groups)) for i, (group, found) in enumerate(results)]
    if args.json:
        print_json([_group_json(group, found, composed) for (group, found), composed in zip(results, fallbacks, strict=True)])
    else:
        for (group, found), composed in zip(results, fallbacks, strict=True):
            print_suggestions(group, found)
            if composed:
                print(
                    f"nothing scores {args.fallback_below:+.2f} or more: composed {composed['path']} for these photos"
                    f" ({composed['key']}, {composed['bpm']:g} BPM, {mood_words(valence=composed['valence'], arousal=composed['arousal'])})"
                )
    return 0 if len(readable) == len(photos) and not unmatched else 1


def _group_json(group: list[PictureFeatures], found: list[Suggestion], composed: dict | None) -> dict:
    valence, arousal = photos_mood(as_pictures(group))
    return {
        "photos": [p.path for p in group],
        "mood": mood_json(valence=valence, arousal=arousal),
        "suggestions": [suggestion_json(s) for s in found],
        "composed": composed,
    }


def _fallback(args: argparse.Namespace, group: list[PictureFeatures], found: list[Suggestion], *, index: int, of: int) -> dict | None:
    """With --compose-fallback, when the best score is under --fallback-below: compose for the group's mood; its description."""
    if args.compose_fallback is None or (found and found[0].score >= args.fallback_below):
        return None
    from picscore.cli.compose_cmd import write_piece  # the composer loads only when it is needed
    from picscore.compose.composer import compose

    path = args.compose_fallback if of == 1 else args.compose_fallback.with_stem(f"{args.compose_fallback.stem}-{index + 1}")
    valence, arousal = photos_mood(as_pictures(group))
    piece = compose(valence=valence, arousal=arousal, seconds=60.0, seed=args.seed or 0)
    write_piece(path, piece)
    return {"path": str(path), **piece.describe()}


def print_suggestions(photos: list[PictureFeatures], found: list[Suggestion]) -> None:
    """The suggestion table for a group of photos."""
    label = photos[0].path if len(photos) == 1 else f"{len(photos)} photos"
    valence, arousal = photos_mood(as_pictures(photos))
    print(f"for {label}, {mood_words(valence=valence, arousal=arousal)}:")
    rows = [
        {
            "rank": rank,
            "score": f"{s.score:+.2f}",
            "id": s.track["id"],
            "title": s.track["title"] or Path(s.track["path"]).name,
            "use": f"{format_duration(s.start_seconds)}-{format_duration(s.end_seconds)}",
            "why": s.reasons,
        }
        for rank, s in enumerate(found, start=1)
    ]
    print_table(rows, (("rank", "#"), ("score", "SCORE"), ("id", "ID"), ("title", "TITLE"), ("use", "USE"), ("why", "WHY")))
