"""`picscore render`: a beat-synced slideshow MP4 of your photos to a track from your library."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from picscore.cli.argtypes import non_negative_number, positive_int, positive_number
from picscore.cli.model_option import add_model_argument, candidates_or_fail, matcher_or_fail
from picscore.cli.output import CliError, format_duration, nothing_readable, print_json, report_skipped
from picscore.curate.quality import PhotoQuality
from picscore.curate.roll import curate_files
from picscore.library.image_features import picture_features
from picscore.library.store import Library
from picscore.match.pictures import as_pictures
from picscore.match.suggest import SuggestOptions, suggest
from picscore.media.files import file_problem, folder_write_problem, short_reason
from picscore.models.zero_shot import DEFAULT_VARIANT
from picscore.paths import library_path
from picscore.render.chapter_music import MIN_SHARE_SECONDS
from picscore.render.loops import profiles_of_track
from picscore.render.photo_look import look_at
from picscore.render.photos import ORDERS, chapter_starts, expand_photos, order_photos, taken_at
from picscore.render.plan import TRANSITIONS, Plan, PlanError, best_for_length, clock, describe_repeats, plan_slideshow
from picscore.render.sizes import ASPECTS, FPS_CHOICES, RESOLUTIONS, frame_size
from picscore.render.slideshow import RenderError, render_slideshow
from picscore.render.title import date_range_title
from picscore.render.track_choice import AUTO_CHOICES, first_that_lasts, plan_per_chapter, playable_tracks

DESCRIPTION = (
    "Render PHOTO... (files, folders or glob patterns) as an H.264/AAC MP4 slideshow cut on the beats of a "
    "track from your library: --track ID, or --auto for the top suggestion for the photos."
)
EPILOG = """\
Cuts fall on the track's beats: each photo holds 2 to 4 seconds, a whole number of beats
(shorter for lively music, longer for calm), and the first and last photo twice as long.
The music is the track's highlight (or --start), ends on a downbeat, is faded in and out
with the picture and brought to --loudness. When the track is too short for the photos or
--length, whole phrases repeat where its bars join unnoticed; with --auto, the best-fitting
track that lasts is taken first. Photos keep their EXIF orientation, drift gently (Ken
Burns, towards what stands out) and sit on a blurred fill of themselves when their shape
differs from the frame's. Bars are counted as four beats from the excerpt's first beat.

With --track-per-chapter each chapter of the photos gets the best-fitting track for its own
photos (no track twice while others fit); a chapter under 30 s keeps the music of the one
before. Each track takes over on the downbeat that ends the chapter before, with a 0.5 s
crossfade, and every track is brought to --loudness on its own.

--plan-only prints the timeline as JSON; edit it and render it with --plan FILE.

examples:
  picscore render holiday/ -o holiday.mp4 --auto
  picscore render trip/ -o trip.mp4 --length 60 --title "Lisbon, May 2026"
  picscore render camera-roll/ -o best.mp4 --best 30 --order date
  picscore render summer-2026/ -o summer.mp4 --length 180 --track-per-chapter
  picscore render 'beach/*.jpg' -o beach.mp4 --track 12 --length 30 --aspect 9:16 --fps 60
  picscore render a.jpg b.jpg c.jpg --track 12 --plan-only > plan.json
  picscore render --plan plan.json -o edited.mp4 --force
"""


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    parser.add_argument("photos", nargs="*", metavar="PHOTO", help="pictures, folders of pictures or glob patterns like 'trip/*.jpg'")
    parser.add_argument("-o", "--output", type=Path, metavar="OUT.mp4", help="the MP4 to write")
    track = parser.add_mutually_exclusive_group()
    track.add_argument("--track", type=int, metavar="ID", help="the library track to use (see `picscore library list`)")
    track.add_argument("--auto", action="store_true", help="use the top suggestion for the photos (the default without --track)")
    track.add_argument(
        "--track-per-chapter",
        action="store_true",
        help="a track for each chapter (see --order date), the best fit for its photos; chapters under"
        f" {MIN_SHARE_SECONDS:g} s keep the music of the one before",
    )
    add_model_argument(parser)
    parser.add_argument("--plan", type=Path, metavar="FILE", help="render this plan (JSON from --plan-only, perhaps edited) instead")
    parser.add_argument("--plan-only", action="store_true", help="print the timeline as JSON and render nothing")
    timing = parser.add_mutually_exclusive_group()
    timing.add_argument(
        "--length",
        "--duration",
        dest="duration",
        type=positive_number,
        metavar="SECONDS",
        help="make the video about this long, to a downbeat (the music repeats phrases if the track is shorter)",
    )
    timing.add_argument("--per-photo", type=positive_number, metavar="SECONDS", help="show every photo this long (cuts off the beat)")
    parser.add_argument(
        "--start", type=non_negative_number, metavar="SECONDS", help="start the music at the beat nearest this time (default: highlight)"
    )
    parser.add_argument(
        "--order",
        choices=ORDERS,
        default="date",
        help="photo order: when they were taken (EXIF, else the file's time; a new day or a gap of hours starts a chapter), file"
        " name, or as given (default: %(default)s)",
    )
    parser.add_argument(
        "--best",
        type=positive_int,
        metavar="N",
        help="show only the N best photos, one of each scene, no screenshots (see `picscore curate`); with --length and over"
        " three times the photos it shows at about 3 s each, the best that many are taken without asking",
    )
    parser.add_argument(
        "--title", metavar="TEXT", help="words over the first photo (default: the days the photos were taken; --title '' for none)"
    )
    parser.add_argument("--aspect", choices=list(ASPECTS), default="16:9", help="frame shape (default: %(default)s)")
    parser.add_argument("--resolution", choices=list(RESOLUTIONS), default="1080p", help="the frame's shorter side (default: %(default)s)")
    parser.add_argument("--size", type=_frame_size, metavar="WIDTHxHEIGHT", help="any even frame size instead of --aspect/--resolution")
    parser.add_argument("--fps", type=int, choices=FPS_CHOICES, default=30, help="frames per second (default: %(default)s)")
    parser.add_argument("--transition", choices=TRANSITIONS, default="crossfade", help="between photos (default: %(default)s)")
    parser.add_argument(
        "--transition-seconds", type=non_negative_number, default=0.25, metavar="SECONDS", help="transition length (default: %(default)s)"
    )
    parser.add_argument("--fade-in", type=non_negative_number, default=0.3, metavar="SECONDS", help="audio fade-in (default: %(default)s)")
    parser.add_argument(
        "--fade-out", type=non_negative_number, default=2.0, metavar="SECONDS", help="audio fade-out (default: %(default)s)"
    )
    parser.add_argument("--loudness", type=float, default=-14.0, metavar="LUFS", help="target loudness of the music (default: %(default)s)")
    parser.add_argument("--force", action="store_true", help="overwrite OUT.mp4 if it exists")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run)


def _frame_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x", 1))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, like 640x360, not {text!r}") from None
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise argparse.ArgumentTypeError(f"width and height must be even and at least 16, not {text!r}")
    return width, height


def run(args: argparse.Namespace) -> int:
    if not args.plan_only:
        _check_output(args.output, force=args.force)
    if args.plan:
        if args.photos:
            raise CliError("give either photos or --plan FILE (the plan names its photos)")
        plan, skipped = _read_plan(args.plan), 0
    else:
        plan, skipped = _plan_from_arguments(args)
    if args.plan_only:
        print_json(plan.to_json())
        return 1 if skipped else 0
    for part in plan.music_parts:
        if problem := file_problem(part.track_path):
            raise CliError(f"the track's file is gone: {part.track_path} ({problem}); `picscore index` updates the library")
    try:
        render_slideshow(plan, args.output, progress=not args.quiet)
    except RenderError as err:
        raise CliError(str(err)) from None
    except OSError as err:  # e.g. the disk filled up while writing; the partial file is removed by the writer
        raise CliError(f"{args.output}: cannot write the video ({short_reason(err)})") from None
    if not args.quiet:
        size = f"{plan.width}x{plan.height} at {plan.fps} fps"
        print(f"wrote {args.output} ({format_duration(plan.duration_seconds)}, {len(plan.shots)} photos, {size})")
    return 1 if skipped else 0


def _check_output(output: Path | None, *, force: bool) -> None:
    if output is None:
        raise CliError("say where to write the video with -o OUT.mp4 (or use --plan-only)")
    if output.is_dir():
        raise CliError(f"{output} is a folder; give a file name like {output / 'slideshow.mp4'}")
    if output.exists() and not force:
        raise CliError(f"{output} exists; use --force to overwrite it")
    if problem := folder_write_problem(output.parent):
        raise CliError(f"{output}: {problem}")


def _read_plan(path: Path) -> Plan:
    try:
        return Plan.from_json(json.loads(path.read_text()))
    except OSError as err:
        raise CliError(f"{path}: cannot read the plan ({err.strerror or err})") from None
    except (ValueError, PlanError) as err:
        raise CliError(f"{path}: {err}") from None


def _plan_from_arguments(args: argparse.Namespace) -> tuple[Plan, int]:
    """The plan for the photos and options on the command line, and how many photos were skipped."""
    if not args.photos:
        raise CliError("give the photos to show (files, folders or glob patterns), or --plan FILE")
    paths, unmatched = expand_photos(args.photos)
    for argument in unmatched:
        print(f"picscore: error: {argument}: no pictures found", file=sys.stderr)
    best = args.best
    if best is None and args.per_photo is None:
        best = best_for_length(len(paths), seconds=args.duration)
    unreadable = 0
    if best is not None and paths:
        measured: dict[str, PhotoQuality | str] = {}
        curation = curate_files([str(p) for p in paths], best=best, progress=not args.quiet, measured=measured)
        for path in dict.fromkeys(map(str, paths)):  # curation leaves out what it cannot read: say so, as below
            if isinstance(reason := measured[path], str):
                report_skipped(path, reason)
                unreadable += 1
        print(f"picscore: showing {len(curation.kept)} of {len(paths)} photos (`picscore curate` says why)", file=sys.stderr)
        paths = [Path(p) for p in curation.kept]
    looks = [look_at(path) for path in order_photos(paths, order=args.order)]
    for look in looks:
        if look.error:
            report_skipped(look.path, look.error)
    readable = [look for look in looks if look.error is None]
    unreadable += len(looks) - len(readable)
    if not readable:
        raise nothing_readable(unreadable)
    width, height = args.size or frame_size(aspect=args.aspect, resolution=args.resolution)
    photos = [(str(Path(look.path).resolve()), look.focus) for look in readable]  # a saved plan works from any folder
    times = [taken_at(Path(look.path)) for look in readable]
    chapters = chapter_starts(times) if args.order == "date" else []
    title = date_range_title(times) if args.title is None else args.title

    def plan_for(
        track: dict[str, Any], *, repeats: bool, first: int = 0, end: int = len(photos), seconds: float | None = args.duration
    ) -> Plan:
        """The plan of photos[first:end] to `track`, lasting about `seconds`."""
        return plan_slideshow(
            photos[first:end],
            track,
            width=width,
            height=height,
            fps=args.fps,
            start_seconds=args.start if first == 0 else None,  # later tracks of --track-per-chapter start at their highlight
            duration_seconds=seconds,
            per_photo_seconds=args.per_photo,
            transition=args.transition,
            transition_seconds=args.transition_seconds,
            fade_in_seconds=args.fade_in,
            fade_out_seconds=args.fade_out,
            target_lufs=args.loudness,
            bar_profiles=profiles_of_track(track["path"]) if repeats else None,
            chapter_starts=[k - first for k in chapters if first < k < end],
            title=title if first == 0 else "",
        )

    shown = [look.path for look in readable]
    with Library(library_path(getattr(args, "library", None))) as library:
        if args.track_per_chapter:
            return _plan_per_chapter(library, args, shown, chapters=chapters, plan_for=plan_for), unreadable + len(unmatched)
        tracks = _track_choices(library, args, shown)
    plan = _first_that_lasts(tracks, plan_for)
    if repeats := describe_repeats(plan):
        print(f"picscore: {repeats}", file=sys.stderr)
    return plan, unreadable + len(unmatched)


def _plan_per_chapter(
    library: Library, args: argparse.Namespace, photos: list[str], *, chapters: list[int], plan_for: Callable[..., Plan]
) -> Plan:
    """A track for each share of the chapters (render/track_choice.plan_per_chapter), saying which plays when."""

    def said(first: int, end: int, start_seconds: float, plan: Plan) -> None:
        known = library.get_track(plan.track_id) if plan.track_id is not None else None
        track = known or {"title": None, "path": plan.track_path}
        repeats = f"; {words}" if (words := describe_repeats(plan)) else ""
        where = f"photos {first + 1}-{end} from {clock(start_seconds)}"
        print(f"picscore: {where}: track {plan.track_id}: {_name(track)}{repeats}", file=sys.stderr)

    tracks_for = _suggester(library, args)
    try:
        return plan_per_chapter(
            len(photos),
            chapters=chapters,
            seconds=args.duration,
            per_photo_seconds=args.per_photo,
            rank=lambda first, end: tracks_for(photos[first:end]),
            plan_for=plan_for,
            on_share=said,
        )
    except PlanError as err:
        raise CliError(str(err)) from None


def _first_that_lasts(tracks: list[dict[str, Any]], plan_for: Callable[..., Plan]) -> Plan:
    """render/track_choice.first_that_lasts, saying when a later suggestion was taken because the first does not last."""
    try:
        plan = first_that_lasts(tracks, plan_for)
    except PlanError as err:
        raise CliError(str(err)) from None
    if plan.track_id != tracks[0]["id"]:
        track = next(track for track in tracks if track["id"] == plan.track_id)
        print(f"picscore: using track {track['id']}: {_name(track)}, the best-fitting one that lasts", file=sys.stderr)
    return plan


def _name(track: dict[str, Any]) -> str:
    return track["title"] or Path(track["path"]).name


def _track_choices(library: Library, args: argparse.Namespace, photos: list[str]) -> list[dict[str, Any]]:
    """The --track, or the suggestions for the photos, best first (their files still there)."""
    if args.track is None:
        tracks = _suggester(library, args)(photos)
        print(f"picscore: using track {tracks[0]['id']}: {_name(tracks[0])} (the top suggestion)", file=sys.stderr)
        return tracks
    track = library.get_track(args.track)
    if track is None:
        raise CliError(f"no track with id {args.track} in {library.path}")
    if problem := file_problem(track["path"]):
        raise CliError(f"track {track['id']}'s file is gone: {track['path']} ({problem}); `picscore index` updates the library")
    return [track]


def _suggester(library: Library, args: argparse.Namespace) -> Callable[[list[str]], list[dict[str, Any]]]:
    """A function from photos to the library's tracks that fit them, best first (their files still there), with the
    matcher loaded once for every call."""
    candidates = candidates_or_fail(library)
    matcher, _ = matcher_or_fail(args.model, candidates, library, variant=DEFAULT_VARIANT)

    def tracks_for(photos: list[str]) -> list[dict[str, Any]]:
        features = [p for p in picture_features(library, [Path(p) for p in photos]) if p.error is None]
        if not features:
            raise CliError("none of the photos could be read to suggest a track")
        found = suggest(as_pictures(features), candidates, SuggestOptions(top=AUTO_CHOICES), matcher=matcher)
        if not (tracks := playable_tracks(library, found)):
            raise CliError("no track in the library fits these photos")
        return tracks

    return tracks_for
