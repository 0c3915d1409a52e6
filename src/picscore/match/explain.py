"""Why a track was suggested, in words a person uses: its mood beside the photos', its tempo and key, and
what the taggers hear most in it, leaving out any tag that would contradict the mood or the tempo it is shown with."""

from __future__ import annotations

from typing import Any

import numpy as np

from picscore.audio.music_encoders import tag_names
from picscore.moods.plane import mood_words, neighbouring_words, word_direction
from picscore.pitch_names import spoken_key
from picscore.trackspace.candidates import TAG_SOURCES

# Tags that say the opposite of a mood: shown beside it, they would contradict it.
_CALM_TAGS = frozenset({"slow", "soft", "quiet", "ambient", "mellow", "chill", "chillout", "easy listening", "new age"})
_LIVELY_TAGS = frozenset({"fast", "loud", "beat", "beats", "dance", "party"})
_SAD_TAGS = frozenset({"sad"})
_HAPPY_TAGS = frozenset({"happy", "party"})
_CLEAR = 0.3  # a mood whose words lean this far along an axis rule out the tags of its other end
# A tagger can hear a ballad as "slow" where the beat tracker counts its eighth notes: beside the tempo shown, the
# tag would contradict it. From allegro's lower bound up, no "slow"; from andante's middle down, no "fast".
_NO_SLOW_TAG_FROM_BPM = 120.0
_NO_FAST_TAG_UP_TO_BPM = 90.0


def reasons(track: dict[str, Any], tags: np.ndarray | None, tag_means: dict[str, np.ndarray], *, photos_words: str) -> str:
    """e.g. "fits: calm and pleasant like the photos · 84 BPM, D major, piano, soft". `tags` are the track's
    TAG_SOURCES side by side (None: not tagged), `tag_means` each tagger's library mean."""
    mood = _mood_beside_the_photos(mood_words(valence=track["valence"], arousal=track["arousal"]), photos_words)
    facts = [f"{track['bpm']:.0f} BPM", spoken_key(track["initial_key"])]
    if tags is not None:
        facts += distinctive_tags(tags, tag_means, valence=track["valence"], arousal=track["arousal"], bpm=track["bpm"])
    return f"{mood} · {', '.join(facts)}"


def _mood_beside_the_photos(words: str, photos_words: str) -> str:
    """The track's mood words tied to the photos': the same, a shade apart, or otherwise different."""
    if words == photos_words:
        return f"fits: {words} like the photos"
    if neighbouring_words(words, photos_words):
        return f"{words}, close to the {photos_words} photos"
    return f"{words} (the photos: {photos_words})"


def distinctive_tags(
    tags: np.ndarray, tag_means: dict[str, np.ndarray], *, valence: float, arousal: float, bpm: float, per_tagger: int = 2
) -> list[str]:
    """The tags most above their library mean, `per_tagger` from each tagger, none contradicting the mood or the tempo."""
    unsaid = _contradicting(valence=valence, arousal=arousal) | _contradicting_tempo(bpm)
    words: list[str] = []
    for k, (encoder, source) in enumerate(TAG_SOURCES.items()):
        names = tag_names(encoder)
        lift = tags[k * len(names) : (k + 1) * len(names)] - tag_means[source]
        fitting = [names[j].lower() for j in np.argsort(-lift) if names[j].lower() not in unsaid and names[j].lower() not in words]
        words += fitting[:per_tagger]
    return words


def _contradicting(*, valence: float, arousal: float) -> frozenset[str]:
    """The tags that would contradict the words the mood is shown with (judged by the words' direction, so that
    "joyful and lively" never comes with "quiet", whatever the exact numbers)."""
    valence, arousal = word_direction(valence=valence, arousal=arousal)
    unsaid: set[str] = set()
    if arousal > _CLEAR:
        unsaid |= _CALM_TAGS
    if arousal < -_CLEAR:
        unsaid |= _LIVELY_TAGS
    if valence > _CLEAR:
        unsaid |= _SAD_TAGS
    if valence < -_CLEAR:
        unsaid |= _HAPPY_TAGS
    return frozenset(unsaid)


def _contradicting_tempo(bpm: float) -> frozenset[str]:
    """The tempo words that `bpm`, shown beside them, would contradict."""
    if bpm >= _NO_SLOW_TAG_FROM_BPM:
        return frozenset({"slow"})
    if bpm <= _NO_FAST_TAG_UP_TO_BPM:
        return frozenset({"fast"})
    return frozenset()


def mood_json(*, valence: float, arousal: float) -> dict[str, Any]:
    """A mood for JSON output: its numbers and its words."""
    return {"valence": round(float(valence), 3), "arousal": round(float(arousal), 3), "words": mood_words(valence=valence, arousal=arousal)}
