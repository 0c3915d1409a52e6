"""`picscore demo`: build the built-in demo library and run picscore on it."""

from __future__ import annotations

import argparse
from pathlib import Path

from picscore.cli import index_cmd, library_cmd
from picscore.cli.output import print_json
from picscore.cli.suggest_cmd import print_suggestions
from picscore.compose.demo_library import write_demo_library
from picscore.compose.demo_pictures import write_demo_pictures
from picscore.library.image_features import picture_features
from picscore.library.indexer import index_paths
from picscore.library.parallel import default_jobs
from picscore.library.store import Library
from picscore.match.explain import mood_json
from picscore.match.pictures import as_pictures
from picscore.match.suggest import SuggestOptions, suggest, suggestion_json
from picscore.paths import data_dir
from picscore.render.loops import profiles_of_track
from picscore.render.photo_look import look_at
from picscore.render.plan import plan_slideshow
from picscore.render.slideshow import render_slideshow
from picscore.trackspace.loading import load_candidates

_VIDEO_SECONDS = 16.0

EPILOG = """\
The demo needs no files of yours: it composes 24 pieces spread over the moods (happy to
sad, calm to excited) with varied tempi, keys and instruments (in MP3, OGG, M4A, FLAC, Opus,
WAV and AIFF) and draws five photos of different moods (a sunny beach, a night street, a
neon party, a foggy lake, an erupting volcano); indexes the music, lists what picscore
found, suggests music for each photo, and renders a 16-second 720p slideshow of the photos
cut on the beats of the best track for all of them (demo.mp4). Running it again reuses what
is there.

example:
  picscore demo --workdir /tmp/picscore-demo
"""

DESCRIPTION = "Compose a demo music library and draw demo photos, index the music, suggest tracks for each photo and render a slideshow."


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    parser.add_argument(
        "--workdir", type=Path, default=None, help="folder for the demo's music and library (default: demo/ in your data folder)"
    )
    parser.add_argument("--json", action="store_true", help="print the library as JSON")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    workdir = args.workdir or data_dir() / "demo"
    music = workdir / "music"
    if not args.json:
        print(f"writing the demo music and photos to {workdir} ...")
    write_demo_library(music)
    photos = write_demo_pictures(workdir / "photos")
    library_file = getattr(args, "library", None) or workdir / "library.db"
    with Library(library_file) as library:
        summary = index_paths(library, [music], jobs=default_jobs(), progress=not args.json)
        candidates = load_candidates(library)
        features = picture_features(library, photos)
        found = [(photo, suggest(as_pictures([photo]), candidates, SuggestOptions(top=3))) for photo in features]
        (album_choice,) = suggest(as_pictures(features), candidates, SuggestOptions(top=1))
        track = library.known_track(album_choice.track["id"])
        if not args.json:
            index_cmd.report(summary)
            print()
            library_cmd.print_track_list(library)
            for photo, listed in found:
                print()
                print_suggestions([photo], listed)
            print(f"\nrendering the {len(photos)} photos to {track['title']} (the top track for all of them) ...")
        video = workdir / "demo.mp4"
        plan = plan_slideshow(
            [(str(path), look_at(path).focus) for path in photos],
            track,
            width=1280,
            height=720,
            fps=30,
            duration_seconds=_VIDEO_SECONDS,
            bar_profiles=profiles_of_track(track["path"]),
        )
        render_slideshow(plan, video, progress=not args.json)
        if args.json:
            suggestions = {photo.path: [suggestion_json(s) for s in listed] for photo, listed in found}
            moods = {
                photo.path: mood_json(valence=v, arousal=a) for photo, (v, a) in zip(features, as_pictures(features).mood, strict=True)
            }
            print_json(
                {
                    "summary": summary.as_dict(),
                    "tracks": library.list_tracks(),
                    "photo_moods": moods,
                    "suggestions": suggestions,
                    "video": str(video),
                    "video_seconds": plan.duration_seconds,
                }
            )
        else:
            print(f"wrote {video} ({plan.duration_seconds:.1f} s, 1280x720, cuts on the beats of {track['title']})")
            print(f"music: {music}\nphotos: {workdir / 'photos'}\nlibrary: {library_file}")
    return 1 if summary.failed else 0
