"""Suggestions: rank the library for pictures, steer by mood, filter, diversify and explain."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from picscore.match.explain import mood_json, reasons
from picscore.match.matchers import Matcher, ZeroShotMatcher
from picscore.models.zero_shot import AFFECT, DEFAULT_VARIANT, LinearScores, Pictures, TrackSpace
from picscore.moods.plane import mood_words
from picscore.pitch_names import spoken_key
from picscore.trackspace.candidates import TAG_SOURCES, TAG_WIDTH, Candidates

if TYPE_CHECKING:
    from picscore.trackspace.vector_index import VectorIndex

# Mood words a user can steer with: (valence, arousal) direction.
MOODS: dict[str, tuple[float, float]] = {
    "calmer": (0.0, -1.0), "calm": (0.0, -1.0), "peaceful": (0.5, -1.0), "relaxed": (0.3, -1.0),
    "more energetic": (0.0, 1.0), "energetic": (0.0, 1.0), "exciting": (0.3, 1.0), "tense": (-0.7, 0.8), "epic": (0.2, 1.0),
    "happier": (1.0, 0.0), "happy": (1.0, 0.3), "joyful": (1.0, 0.6), "romantic": (0.6, -0.4),
    "sadder": (-1.0, 0.0), "sad": (-1.0, -0.3), "melancholic": (-0.8, -0.6), "dark": (-0.8, 0.2),
}  # fmt: skip
_MOOD_STRENGTH = 1.0  # in standard deviations of the score, per unit of direction
_JITTER = 0.35  # Gumbel noise scale for --seed variety, in standard deviations of the score
_SEEDED_POOL = 4  # --seed shuffles among this many times the usual pool of best tracks
_EXACT_FILTER_ROWS = 20_000  # filters allowing at most this many tracks: scoring them beats probing the index
_VERSION_WORDS = re.compile(r"\s*[\(\[\-–].*?(remix|mix|edit|live|version|remaster(ed)?|acoustic|demo|radio).*$", re.IGNORECASE)


@dataclass(frozen=True)
class SuggestOptions:
    """What a user can ask of a suggestion list."""

    top: int = 10
    mood: str | None = None
    min_duration_seconds: float = 0.0
    tempo_bpm: tuple[float, float] | None = None
    exclude_ids: frozenset[int] = field(default_factory=frozenset)
    seed: int | None = None
    variant: str = DEFAULT_VARIANT


@dataclass(frozen=True)
class Suggestion:
    """One suggested track: its library row, score, the part to use, and why."""

    track: dict[str, Any]
    score: float
    start_seconds: float
    end_seconds: float
    reasons: str


def suggest(
    pictures: Pictures,
    candidates: Candidates,
    options: SuggestOptions = SuggestOptions(),
    *,
    matcher: Matcher | None = None,
    index: VectorIndex | None = None,
) -> list[Suggestion]:
    """The best tracks for all `pictures` together (an album), best first; by the zero-shot `options.variant`
    unless a `matcher` (e.g. a trained model's) is given. With an `index` of the matcher's track rows (see
    trackspace/search_index.py) a large library is searched approximately instead of scored track by track."""
    if len(candidates) == 0:
        return []
    scorer: Matcher = matcher or ZeroShotMatcher(candidates, variant=options.variant)
    # The album's score, in standard deviations over the library.
    album = scorer.form(pictures, album=True).standardised(scorer.space)
    if options.mood:
        # Track affect columns hold z-scores halved: a push of _MOOD_STRENGTH sd per unit of direction.
        album.weights[0, AFFECT] += 2.0 * _MOOD_STRENGTH * np.array(mood_direction(options.mood))
    pool = 8 * options.top  # enough spares for the versions skipped
    if options.seed is not None:
        pool *= _SEEDED_POOL
    positions, scores = _best(album, scorer.space, candidates, _blocked(candidates, options), index, count=min(pool, len(candidates)))
    if options.seed is not None:
        scores = scores + _JITTER * np.random.default_rng(options.seed).gumbel(size=len(scores))
        order = np.argsort(-scores, kind="stable")
        positions, scores = positions[order], scores[order]
    valence, arousal = photos_mood(pictures)
    return _diverse_top(positions, scores, candidates, k=options.top, photos_words=mood_words(valence=valence, arousal=arousal))


def _best(
    album: LinearScores, space: TrackSpace, candidates: Candidates, blocked: np.ndarray | None, index: VectorIndex | None, *, count: int
) -> tuple[np.ndarray, np.ndarray]:
    """Positions and scores of the `count` best allowed tracks, best first: through the index, or every allowed track
    scored where few are allowed or the cells the index probed held fewer than `count` of them (a small index)."""
    allowed = None if blocked is None else np.flatnonzero(~blocked)
    if index is not None and (allowed is None or len(allowed) > _EXACT_FILTER_ROWS):
        allowed_ids = None if allowed is None else candidates.ids[allowed]
        found, ids = index.search(album.weights.astype(np.float32), k=count, allowed_ids=allowed_ids)
        positions = candidates.positions_of(ids[0])
        known = positions >= 0
        if known.sum() >= min(count, len(candidates) if allowed is None else len(allowed)):
            return positions[known], found[0][known].astype(np.float64) + album.offsets[0]
    features = space.features if allowed is None else space.features[allowed]  # no copy of every row when nothing is filtered
    scores = (features @ album.weights[0].astype(features.dtype)).astype(np.float64) + album.offsets[0]
    top = np.argpartition(-scores, count - 1)[:count] if count < len(scores) else np.arange(len(scores))
    top = top[np.argsort(-scores[top], kind="stable")]
    return (top if allowed is None else allowed[top]), scores[top]


def mood_direction(mood: str) -> tuple[float, float]:
    """The (valence, arousal) direction of a mood word; ValueError names the words known."""
    key = mood.strip().lower().replace("-", " ")
    if key not in MOODS:
        raise ValueError(f"unknown mood {mood!r}; use one of: {', '.join(MOODS)}")
    return MOODS[key]


def _blocked(candidates: Candidates, options: SuggestOptions) -> np.ndarray | None:
    """Which tracks the options' filters leave out (None when no filter is set: a million-track mask costs milliseconds)."""
    blocked = None
    for _, keeps in _filters(candidates, options):
        blocked = _either(blocked, ~keeps)
    return blocked


def filters_left(candidates: Candidates, options: SuggestOptions) -> list[str]:
    """Each filter the options set, in words, with how many of the library's tracks it keeps on its own
    (e.g. "tempo 300-400 BPM keeps 0 of 24 tracks"): what to say when nothing passes them all."""
    total = len(candidates.ids)
    return [f"{words} keeps {int(keeps.sum())} of {total} tracks" for words, keeps in _filters(candidates, options)]


def _filters(candidates: Candidates, options: SuggestOptions) -> list[tuple[str, np.ndarray]]:
    """The filters the options set: each in words, with the tracks it keeps."""
    filters = []
    if options.min_duration_seconds > 0:
        filters.append((f"at least {options.min_duration_seconds:g} s long", candidates.duration >= options.min_duration_seconds))
    if options.exclude_ids:
        filters.append(("the excluded ids", ~np.isin(candidates.ids, list(options.exclude_ids))))
    if options.tempo_bpm:
        low, high = options.tempo_bpm
        filters.append((f"tempo {low:g}-{high:g} BPM", (candidates.bpm >= low) & (candidates.bpm <= high)))
    return filters


def _either(a: np.ndarray | None, b: np.ndarray) -> np.ndarray:
    return b if a is None else a | b


@dataclass(frozen=True)
class _Pool:
    """The best-scoring tracks' positions, scores, rows and tags (the TAG_SOURCES side by side), best first."""

    positions: np.ndarray
    scores: np.ndarray
    rows: list[dict[str, Any]]
    tags: np.ndarray
    untagged: np.ndarray


def _diverse_top(positions: np.ndarray, scores: np.ndarray, candidates: Candidates, *, k: int, photos_words: str) -> list[Suggestion]:
    """The k best of these tracks (best first), skipping other versions of a song already chosen (same
    base title and artist, or near-identical tags and tempo)."""
    pool = _pool(positions, scores, candidates)
    chosen: list[int] = []
    for r in range(len(pool.positions)):
        if len(chosen) == k or not np.isfinite(pool.scores[r]):
            break
        if not any(_same_song(pool, r, c) for c in chosen):
            chosen.append(r)
    return [_explain(candidates, pool, r, photos_words=photos_words) for r in chosen]


def _pool(positions: np.ndarray, scores: np.ndarray, candidates: Candidates) -> _Pool:
    """The pool of these tracks, less any removed from the library since the candidates were read."""
    rows = candidates.rows(positions)
    present = np.array([row is not None for row in rows], dtype=bool)
    positions, scores = positions[present], scores[present]
    tags = candidates.tags(positions)
    side_by_side = np.concatenate([tags[n] for n in TAG_SOURCES.values()], axis=1)
    return _Pool(positions, scores, [row for row in rows if row is not None], side_by_side, candidates.untagged[positions])


def _same_song(pool: _Pool, i: int, j: int) -> bool:
    a, b = pool.rows[i], pool.rows[j]
    if a["title"] and b["title"] and _base_title(a["title"]) == _base_title(b["title"]) and a["artist"] == b["artist"]:
        return True
    if pool.untagged[i] or pool.untagged[j]:
        return False
    x, y = pool.tags[i], pool.tags[j]
    cosine = float(x @ y) / max(float(np.linalg.norm(x) * np.linalg.norm(y)), 1e-12)
    return cosine > 0.995 and abs((a["bpm"] or 0) - (b["bpm"] or 0)) < 1.5


def _base_title(title: str) -> str:
    return _VERSION_WORDS.sub("", title).strip().lower()


def _explain(candidates: Candidates, pool: _Pool, r: int, *, photos_words: str) -> Suggestion:
    row = pool.rows[r]
    tag_means = candidates.joint_space.tag_means if len(candidates) > 1 else {name: np.zeros(TAG_WIDTH) for name in TAG_SOURCES.values()}
    why = reasons(row, None if pool.untagged[r] else pool.tags[r], tag_means, photos_words=photos_words)
    return Suggestion(row, float(pool.scores[r]), row["highlight_start"] or 0.0, row["highlight_end"] or row["duration"], why)


def suggestion_json(suggestion: Suggestion) -> dict[str, Any]:
    """A suggestion for JSON output: score, part to use, reasons and the track's main fields and mood."""
    track = suggestion.track
    return {
        **replace(suggestion, track={}).__dict__,
        "track": {
            **{k: track[k] for k in ("id", "path", "title", "artist", "duration", "bpm", "initial_key")},
            "key": spoken_key(track["initial_key"]),
            "mood": mood_json(valence=track["valence"], arousal=track["arousal"]),
        },
    }


def photos_mood(pictures: Pictures) -> tuple[float, float]:
    """The photos' mood as one album: the mean of their valence and arousal."""
    valence, arousal = pictures.mood.mean(axis=0)
    return float(valence), float(arousal)
