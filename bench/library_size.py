"""Bytes a track in the library: what `library stats` shows, and which stored values they go to.

Indexes the given music folders (as `picscore index` does, both taggers on) into a library (kept: a second run
only measures), then prints the bytes a track on disk (SQLite pages of the tracks, their encodings and their
indexes, as `library stats`), the mean bytes a track of each stored array, and what 10,000 tracks would take.

    python bench/library_size.py --library /tmp/size.db /tmp/gamemusic ../shared/data/affect/music4q
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
from pathlib import Path

from picscore.library.indexer import index_paths
from picscore.library.store import Library

_ARRAYS = {
    "tracks": ("beats", "energy_curve", "mood_quadrants", "timbre"),
    "track_encodings": ("tags", "tag_curve", "embedding"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="+", type=Path, help="music folders or files")
    parser.add_argument("--library", type=Path, required=True, help="the library file to fill and measure")
    args = parser.parse_args()
    with Library(args.library) as library:
        summary = index_paths(library, args.folders, jobs=None)
        print(f"indexed {summary.indexed} new tracks, {summary.failed} failed")
        stats = library.stats()
    tracks, seconds = stats["tracks"], stats["total_duration_seconds"]
    with contextlib.closing(sqlite3.connect(args.library)) as db:
        print(f"{tracks} tracks, {seconds / max(tracks, 1) / 60:.1f} min a track on average")
        print(
            f"on disk: {stats['track_bytes'] / tracks / 1000:.2f} KB a track ({stats['track_bytes'] / 1e6:.1f} MB in all; "
            f"10,000 such tracks: {stats['track_bytes'] / tracks * 10_000 / 1e6:.0f} MB)"
        )
        for table, columns in _ARRAYS.items():
            for column in columns:
                total = db.execute(f"SELECT coalesce(sum(length({column})), 0) FROM {table}").fetchone()[0]
                print(f"  {table}.{column:<16} {total / tracks:>7.0f} bytes a track")
        path_bytes = db.execute("SELECT sum(length(path)) FROM tracks").fetchone()[0]
        print(f"  tracks.path             {path_bytes / tracks:>7.0f} bytes a track (stored twice: the row and its index)")


if __name__ == "__main__":
    main()
