"""`picscore dataset`: build training pair lists from your own media."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from picscore.cli.argtypes import positive_number
from picscore.cli.output import CliError, print_json
from picscore.train.videos import BLACK_LUMA, DUPLICATE_DIFFERENCE, DatasetSummary, Sampling, find_videos, pairs_from_videos

DESCRIPTION = "Build pair lists for training picscore's matching on your own media, where pictures and music already go together."
EPILOG = f"""\
from-videos samples a frame every --every seconds of each video (MP4, MOV, MKV, WebM and
whatever else FFmpeg reads), skips black frames (mean luma below {BLACK_LUMA:g} of 255) and
near-duplicates of the previous kept frame (32x32 grey thumbnails differing by less than
{DUPLICATE_DIFFERENCE:g} grey levels on average), writes each kept frame as a JPEG under
OUT/frames/ and pairs it with the --window seconds of soundtrack around it in OUT/pairs.tsv
(columns image, audio, start, end, source, time). Videos without sound or that cannot be
decoded are listed in OUT/errors.tsv. Running again rewrites both files for the videos given.

examples:
  picscore dataset from-videos ~/Videos/holidays -o ~/picscore-pairs
  picscore dataset from-videos clip1.mp4 clip2.mov -o pairs --every 5 --window 10
  picscore dataset from-videos ~/Videos -o pairs --json
"""


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's sub-commands and their arguments to its sub-parser."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    videos = actions.add_parser(
        "from-videos",
        parents=[common],
        help="frames of your videos paired with the music playing under them",
        description="Pair frames of VIDEO... (files, or folders walked recursively) with the soundtrack around them.",
    )
    videos.add_argument("paths", nargs="+", metavar="VIDEO", help="video files or folders of them")
    videos.add_argument("-o", "--output", required=True, type=Path, metavar="OUT", help="folder for frames/, pairs.tsv and errors.tsv")
    videos.add_argument(
        "--every",
        type=positive_number,
        default=Sampling.every_seconds,
        metavar="SECONDS",
        help="seconds between sampled frames (default: %(default)s)",
    )
    videos.add_argument(
        "--window",
        type=positive_number,
        default=Sampling.window_seconds,
        metavar="SECONDS",
        help="seconds of soundtrack per frame, centred on it (default: %(default)s)",
    )
    videos.add_argument("--json", action="store_true", help="print the summary as JSON")
    videos.set_defaults(run=_from_videos)


def _from_videos(args: argparse.Namespace) -> int:
    videos, missing = find_videos(args.paths)
    if missing:
        raise CliError(f"no such file or folder: {', '.join(missing)}")
    if not videos:
        raise CliError(f"no video files in {', '.join(args.paths)}")
    if args.output.exists() and not args.output.is_dir():
        raise CliError(f"{args.output} is a file: the output must be a folder")
    summary = pairs_from_videos(
        videos, args.output, sampling=Sampling(every_seconds=args.every, window_seconds=args.window), progress=not args.json
    )
    if args.json:
        print_json(
            {
                "videos": summary.videos,
                "pairs": summary.pairs,
                "black_frames": summary.black_frames,
                "duplicate_frames": summary.duplicate_frames,
                "failed": [{"video": video, "error": error} for video, error in summary.failures],
                "pairs_path": str(summary.pairs_path),
                "errors_path": str(summary.errors_path),
            }
        )
    else:
        for video, error in summary.failures:
            print(f"picscore: skipped {video}: {error}", file=sys.stderr)
        print(summary_line(summary))
    return 1 if summary.failures else 0


def summary_line(summary: DatasetSummary) -> str:
    """`3 videos: 41 pairs written to OUT/pairs.tsv (5 black and 12 near-duplicate frames skipped, 1 video failed: see OUT/errors.tsv)`."""
    failed = len(summary.failures)
    details = f"{summary.black_frames} black and {summary.duplicate_frames} near-duplicate frames skipped"
    if failed:
        details += f", {_count(failed, 'video')} failed: see {summary.errors_path}"
    return f"{_count(summary.videos, 'video')}: {_count(summary.pairs, 'pair')} written to {summary.pairs_path} ({details})"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
