"""Music mood, learned from human judgements: the probabilities of the four quadrants of the mood
plane, and valence and arousal in [-1, 1], from what the analysis and the taggers store for a track.

Three heads, all multinomial logistic regressions fitted by tools/fit_moods.py on the 4-quadrant
music-emotion set (Panda, Malheiro & Paiva 2018), artists kept on one side of each fold; a track is
read by the first whose inputs the library holds for it:

- "music-full": both musicnn taggers' mean embeddings (200 each) and tag probabilities (50 each),
  and the descriptors below;
- "music-timbre": the timbre statistics (audio/timbre.py) and the descriptors, for tracks indexed
  without the taggers (`--encoders none`);
- "music-descriptors": the descriptors alone, for such tracks analysed before timbre was stored.

Valence is P(Q1) + P(Q4) - P(Q2) - P(Q3) and arousal P(Q1) + P(Q2) - P(Q3) - P(Q4): the expected
sign on each axis, so a track the head is unsure of sits near the middle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from picscore.audio.timbre import TIMBRE_WIDTH
from picscore.moods.fitting import softmax
from picscore.moods.heads import head_version, load_head
from picscore.moods.plane import AROUSAL_SIGNS, VALENCE_SIGNS

DESCRIPTORS = (
    "bpm", "tempo_confidence", "mode", "key_confidence", "loudness_lufs", "peak_dbfs", "brightness_hz", "energy_mean_db", "energy_sd_db",
    "energy_p10_db", "energy_median_db", "energy_p90_db", "quiet_share", "energy_change_db", "beat_interval_cv", "beats_per_second",
)  # fmt: skip
# The taggers whose outputs the full head reads, in column order, and the width of each output.
TAGGERS = ("musicnn-mtt", "musicnn-msd")
EMBEDDING_WIDTH, TAG_WIDTH = 200, 50
FULL_HEAD, TIMBRE_HEAD, DESCRIPTOR_HEAD = "music-full", "music-timbre", "music-descriptors"
MUSIC_HEADS = (FULL_HEAD, TIMBRE_HEAD, DESCRIPTOR_HEAD)
# The heads by the short names commands take (`evaluate --music-head timbre`).
MUSIC_HEAD_CHOICES = {head.removeprefix("music-"): head for head in MUSIC_HEADS}


@dataclass(frozen=True, eq=False)
class MusicMoods:
    """Moods of n tracks: quadrant probabilities [n, 4] (plane.QUADRANTS order), valence and arousal [n], and the
    head (MUSIC_HEADS) that gave them."""

    quadrants: np.ndarray
    valence: np.ndarray
    arousal: np.ndarray
    head: str


def head_for(*, taggers: bool, timbre: bool) -> str:
    """The head that reads a track with (or without) both taggers' outputs and timbre statistics."""
    return FULL_HEAD if taggers else TIMBRE_HEAD if timbre else DESCRIPTOR_HEAD


def model_name(head: str) -> str:
    """What the library stores as a track's `mood_model`: the head and its version (a refit of another head keeps it)."""
    return f"{head}:{head_version(head)}"


def descriptor_row(track: Mapping[str, Any]) -> np.ndarray:
    """[len(DESCRIPTORS)] of a track's stored fields (a library row or an analysis row): mode is +1 major, -1 minor.

    The energy curve (dBFS every 0.5 s) gives its mean, spread, 10th, 50th and 90th percentiles, the share of it below
    its mean and its mean change from one half second to the next; the beats give how evenly they fall (the spread of
    their intervals over their mean) and how many there are a second. With them the full head agreed with people on 0.730
    of the rated clips against 0.721, out of fold over ten fold seeds (docs/how-matching-works.md).
    """
    energy = np.asarray(track["energy_curve"], dtype=np.float64)
    energy = energy if energy.size else np.zeros(1)
    beats = np.asarray(track["beats"], dtype=np.float64)
    intervals = np.diff(beats)
    evenness = intervals.std() / intervals.mean() if len(intervals) >= 2 and intervals.mean() > 0 else 0.0
    return np.array(
        [
            track["bpm"],
            track["tempo_confidence"],
            1.0 if track["key_mode"] == "major" else -1.0,
            track["key_confidence"],
            max(track["loudness_lufs"], -70.0),  # silence reads -inf LUFS
            max(track["peak_dbfs"], -120.0),
            track["brightness_hz"],
            energy.mean(),
            energy.std(),
            *np.percentile(energy, [10, 50, 90]),
            np.mean(energy < energy.mean()),
            np.abs(np.diff(energy)).mean() if energy.size > 1 else 0.0,
            evenness,
            len(beats) / max(track["duration"], 1e-9) if len(beats) >= 2 else 0.0,
        ],
        dtype=np.float64,
    )


def timbre_row(track: Mapping[str, Any]) -> np.ndarray | None:
    """A track's stored timbre statistics [TIMBRE_WIDTH], or None where it was analysed before they were stored."""
    timbre = track.get("timbre")
    return None if timbre is None or len(timbre) != TIMBRE_WIDTH else np.asarray(timbre, dtype=np.float64)


def tagger_inputs(encodings: Mapping[str, Mapping[str, np.ndarray]]) -> np.ndarray:
    """[400 + 100] the TAGGERS' mean embeddings side by side, then their tag probabilities, from encoder records."""
    return np.concatenate([encodings[name]["embedding"] for name in TAGGERS] + [encodings[name]["tags"] for name in TAGGERS])


def has_taggers(encodings: Mapping[str, Any]) -> bool:
    """Whether the full head can read these encodings."""
    return all(name in encodings for name in TAGGERS)


def music_moods(descriptors: np.ndarray, taggers: np.ndarray | None = None, timbre: np.ndarray | None = None) -> MusicMoods:
    """Moods of tracks from their descriptor rows [n, len(DESCRIPTORS)] and, for the full head, their tagger inputs
    [n, 500], else for the timbre head, their timbre statistics [n, TIMBRE_WIDTH]; by the descriptor head without either."""
    head = head_for(taggers=taggers is not None, timbre=timbre is not None)
    beside = {FULL_HEAD: taggers, TIMBRE_HEAD: timbre, DESCRIPTOR_HEAD: None}[head]
    descriptors = np.atleast_2d(descriptors)
    inputs = descriptors if beside is None else np.hstack([np.atleast_2d(beside), descriptors])
    quadrants = softmax(load_head(head)(inputs))
    return MusicMoods(quadrants, quadrants @ VALENCE_SIGNS, quadrants @ AROUSAL_SIGNS, head)


def stored_fields(moods: MusicMoods) -> list[dict[str, Any]]:
    """Per track, the library fields valence, arousal, mood_quadrants and mood_model of these moods."""
    name = model_name(moods.head)
    return [
        {"valence": float(v), "arousal": float(a), "mood_quadrants": q.astype(np.float32), "mood_model": name}
        for v, a, q in zip(moods.valence, moods.arousal, moods.quadrants, strict=True)
    ]


def mood_of_samples(samples: np.ndarray, *, sr: int) -> dict[str, Any]:
    """The mood_fields of mono float32 samples at the analysis rate (audio/analysis.py DEFAULT_CONFIG.sr), by the
    full head: the descriptor analysis and both taggers run on them, as `picscore index` would run them."""
    from picscore.audio.analysis import DEFAULT_CONFIG, analyse
    from picscore.audio.music_encoders import encode_music

    if sr != DEFAULT_CONFIG.sr:
        raise ValueError(f"samples at {sr} Hz; the analysis reads {DEFAULT_CONFIG.sr} Hz")
    encodings = encode_music(samples, sr=sr, encoders=TAGGERS)
    return mood_fields(analyse(samples, config=DEFAULT_CONFIG).as_row(), encodings)


def mood_fields(track: Mapping[str, Any], encodings: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, Any]:
    """The stored_fields of one track, by the full head where both taggers' outputs are given, else by the timbre head
    where the track has timbre statistics, else by the descriptor head."""
    taggers = tagger_inputs(encodings) if has_taggers(encodings) else None
    return stored_fields(music_moods(descriptor_row(track), taggers, timbre_row(track)))[0]
