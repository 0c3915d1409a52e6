"""Schema 7's migration: the float32 arrays of a library written before it, rewritten as float16 in place.

Tags, tag curves and embeddings (track_encodings) and energy curves (tracks) become float16; nothing is decoded
or analysed again. It runs in the transaction that opens the library, so an interrupted migration leaves the
library as it was, to be migrated on its next opening. A row already in float16 is told apart by its length
and left alone, so running it twice changes nothing.
"""

from __future__ import annotations

import sqlite3

import numpy as np

# The encoders of libraries before schema 7 are musicnn's, whose embedding has 200 values: 800 bytes in float32.
_FLOAT32_EMBEDDING_BYTES = 4 * 200
_ENERGY_POINTS_A_SECOND = 2.0  # audio/loudness.energy_curve's default: one point every half second


def _half(blob: bytes | None) -> bytes | None:
    """A little-endian float32 array's bytes as float16."""
    return None if blob is None else np.frombuffer(blob, dtype="<f4").astype("<f2").tobytes()


def compact_arrays(db: sqlite3.Connection) -> int:
    """Rewrite every float32 encoding and energy curve as float16, in the caller's transaction; rows rewritten."""
    db.create_function("picscore_half", 1, _half, deterministic=True)
    encodings = db.execute(
        "UPDATE track_encodings SET tags = picscore_half(tags), tag_curve = picscore_half(tag_curve),"
        " embedding = picscore_half(embedding) WHERE length(embedding) = ?",
        (_FLOAT32_EMBEDDING_BYTES,),
    ).rowcount
    # An energy curve holds about two points a second: its length in float32 is twice that in float16.
    tracks = db.execute(
        "UPDATE tracks SET energy_curve = picscore_half(energy_curve) WHERE energy_curve IS NOT NULL"
        " AND abs(length(energy_curve) / 4.0 - ? * duration) < abs(length(energy_curve) / 2.0 - ? * duration)",
        (_ENERGY_POINTS_A_SECOND, _ENERGY_POINTS_A_SECOND),
    ).rowcount
    return encodings + tracks
