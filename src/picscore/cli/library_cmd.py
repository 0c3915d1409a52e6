"""`picscore library`: look into the library, and tidy it."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from picscore.audio.music_encoders import tag_names, top_tags
from picscore.cli.model_option import add_index_argument, add_model_argument, candidates_or_fail, matcher_or_fail
from picscore.cli.output import CliError, format_duration, format_scores, print_json, print_table
from picscore.library.moods import rescore_moods
from picscore.library.store import Library
from picscore.models.zero_shot import DEFAULT_VARIANT
from picscore.moods.plane import QUADRANTS, mood_words
from picscore.paths import library_path
from picscore.pitch_names import key_symbol, spoken_key
from picscore.trackspace.search_index import mark_build_failed, resolve_kind, search_index
from picscore.trackspace.space_cache import space_status

EPILOG = """\
examples:
  picscore library list
  picscore library show 3
  picscore library stats --json
  picscore library errors
  picscore library prune --dry-run
  picscore library search-index              # build or update the search index of a large library now
  picscore library search-index --index ivf-fp16 --model my-run --json
"""

_LIST_COLUMNS = (
    ("id", "ID"),
    ("title", "TITLE"),
    ("artist", "ARTIST"),
    ("time", "TIME"),
    ("bpm", "BPM"),
    ("initial_key", "KEY"),
    ("loudness_lufs", "LUFS"),
    ("mood", "MOOD"),
)

DESCRIPTION = "Look into the music library and tidy it."


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, helptext, handler in (
        ("list", "one line per track: id, title, artist, time, tempo, key, loudness, mood", _list),
        ("show", "every stored field of one track", _show),
        ("stats", "counts, total time, tempo range and keys", _stats),
        ("errors", "files that could not be analysed, and why", _errors),
        ("prune", "remove tracks whose file is gone from disk", _prune),
        ("search-index", "build or update the approximate search index that suggest uses for a large library", _search_index),
    ):
        sub = actions.add_parser(name, parents=[common], help=helptext, description=helptext[0].upper() + helptext[1:] + ".")
        sub.add_argument("--json", action="store_true", help="print JSON for scripts")
        sub.set_defaults(run=lambda args, handler=handler: _with_library(args, handler))
        if name == "show":
            sub.add_argument("track_id", type=int, metavar="ID", help="track id, as `picscore library list` shows")
        if name == "prune":
            sub.add_argument("--dry-run", action="store_true", help="only say what would be removed")
        if name == "errors":
            sub.add_argument("--clear", action="store_true", help="forget the recorded errors so the next index retries those files")
        if name == "search-index":
            add_index_argument(sub)
            add_model_argument(sub)
            sub.add_argument("--lock", type=Path, help=argparse.SUPPRESS)  # the lock a background build was started with


def _with_library(args: argparse.Namespace, handler) -> int:
    with Library(library_path(getattr(args, "library", None))) as library:
        rescore_moods(library)  # a library indexed by an older picscore shows the moods of today's heads
        return handler(library, args)


def _list(library: Library, args: argparse.Namespace) -> int:
    if args.json:
        print_json(
            [
                {**track, "key": spoken_key(track["initial_key"]), "mood": mood_words(valence=track["valence"], arousal=track["arousal"])}
                for track in library.list_tracks()
            ]
        )
    else:
        print_track_list(library)
    return 0


def print_track_list(library: Library) -> None:
    """The library as a table: one line per track."""
    tracks = library.list_tracks()
    if not tracks:
        print(f"the library {library.path} is empty: add music with `picscore index FOLDER`")
        return
    for track in tracks:
        track["time"] = format_duration(track["duration"])
        track["title"] = track["title"] or track["path"].rsplit("/", 1)[-1]
        track["bpm"] = round(track["bpm"]) if track["bpm"] else None
        track["mood"] = mood_words(valence=track["valence"], arousal=track["arousal"])
        track["initial_key"] = key_symbol(track["initial_key"])
    print_table(tracks, _LIST_COLUMNS)


def _show(library: Library, args: argparse.Namespace) -> int:
    track = library.get_track(args.track_id)
    if track is None:
        raise CliError(f"no track with id {args.track_id} in {library.path}")
    encodings = library.get_encodings(args.track_id)
    quadrants = dict(zip(QUADRANTS, track.pop("mood_quadrants").tolist(), strict=False))
    mood = mood_words(valence=track["valence"], arousal=track["arousal"])
    track["key"] = spoken_key(track["initial_key"])
    beets = library.beets_fields(track["path"])
    if args.json:
        for name, encoding in encodings.items():
            encoding["tags"] = dict(zip(tag_names(name), encoding["tags"].tolist(), strict=True))
        print_json({**track, "mood": mood, "mood_quadrants": quadrants, "encodings": encodings, "beets": beets})
        return 0
    beats, curve, timbre = track.pop("beats"), track.pop("energy_curve"), track.pop("timbre")
    track.pop("valence"), track.pop("arousal")
    track["mood"] = mood
    for name, value in track.items():
        shown = f"{value:.3f}" if isinstance(value, float) else value if value is not None else "-"
        print(f"{name:>20}  {shown}" + (f"  (beets: {beets[name]})" if name in beets else ""))
    print(f"{'beats':>20}  {len(beats)} beats: {', '.join(f'{b:.2f}' for b in beats[:8])}{' ...' if len(beats) > 8 else ''}")
    print(
        f"{'energy_curve':>20}  {len(curve)} points at 2 Hz, {curve.min():.1f} to {curve.max():.1f} dBFS"
        if len(curve)
        else f"{'energy_curve':>20}  -"
    )
    print(f"{'timbre':>20}  " + (f"{len(timbre)} numbers: cepstrum and octave contrast (--json lists them)" if len(timbre) else "-"))
    for name, encoding in sorted(encodings.items()):
        print(f"{name:>20}  {format_scores(top_tags(name, encoding['tags']))}")
    return 0


def _stats(library: Library, args: argparse.Namespace) -> int:
    stats = {**library.stats(), "suggestions": space_status(library)}
    if args.json:
        print_json(stats)
        return 0
    print(f"library      {stats['library']}")
    print(f"tracks       {stats['tracks']} ({format_duration(stats['total_duration_seconds'])} of music)")
    print(f"errors       {stats['errors']}")
    if stats["tracks"] and stats["track_bytes"] is not None:
        print(
            f"size         {stats['track_bytes'] / stats['tracks'] / 1024:.1f} KB a track"
            f" ({stats['track_bytes'] / 2**20:.1f} MB for the tracks and their encodings)"
        )
    if stats["tracks"]:
        bpm = stats["bpm"]
        print(f"tempo        {bpm['min']:.0f} to {bpm['max']:.0f} BPM (mean {bpm['mean']:.0f})")
        print("keys         " + ", ".join(f"{key_symbol(k)} {n}" for k, n in stats["keys"].items()))
    if stats["outdated_analysis"]:
        print(f"outdated     {stats['outdated_analysis']} tracks analysed by an older picscore: `picscore index` updates them")
    space = stats["suggestions"]
    fitted = f", fitted on {space['fitted_tracks']} tracks, {space['changed_since_fit']} changed since" if "fitted_tracks" in space else ""
    print(f"suggest      track space {space['space']}{fitted} ({space['folder']})")
    if space["search_indexes"]:
        print("indexes      " + ", ".join(space["search_indexes"]))
    return 0


def _errors(library: Library, args: argparse.Namespace) -> int:
    errors = library.errors()
    if args.clear:
        library.clear_errors(e["path"] for e in errors)
    if args.json:
        print_json(errors)
    elif not errors:
        print("no errors recorded")
    else:
        for error in errors:
            print(f"{error['path']}: {error['error']}")
        if args.clear:
            print(f"cleared {len(errors)} errors: the next `picscore index` retries those files")
    return 0


def _prune(library: Library, args: argparse.Namespace) -> int:
    missing = library.missing_tracks()
    if not args.dry_run:
        library.remove_tracks(t["id"] for t in missing)
    if args.json:
        print_json({"removed" if not args.dry_run else "would_remove": missing})
        return 0
    for track in missing:
        print(f"{'would remove' if args.dry_run else 'removed'} {track['id']}: {track['path']}")
    print(f"{len(missing)} tracks {'would be ' if args.dry_run else ''}removed")
    return 0


def _search_index(library: Library, args: argparse.Namespace) -> int:
    """Build the index now (or bring it up to date), and say what it is."""
    try:
        started = time.perf_counter()
        candidates = candidates_or_fail(library)
        matcher, _ = matcher_or_fail(args.model, candidates, library, variant=DEFAULT_VARIANT)
        kind = resolve_kind(args.index, candidates, matcher)
        index = search_index(library, candidates, matcher, kind=kind, build="now")
    except BaseException:
        if args.lock is not None:  # a background build: queries wait a while before starting another
            mark_build_failed(args.lock)
        raise
    finally:
        if args.lock is not None:
            args.lock.unlink(missing_ok=True)
    summary = {
        "kind": kind,
        "tracks": len(candidates),
        "columns": int(matcher.space.features.shape[1]),
        "bytes_per_track": None if index is None else round(index.memory_bytes() / max(len(index), 1), 1),
        "seconds": round(time.perf_counter() - started, 2),
    }
    if args.json:
        print_json(summary)
    elif index is None:
        print(f"{kind}: {len(candidates)} tracks are searched exactly; there is no index to build")
    else:
        print(f"{kind} index of {len(index)} tracks, {summary['bytes_per_track']} bytes a track, ready in {summary['seconds']} s")
    return 0
