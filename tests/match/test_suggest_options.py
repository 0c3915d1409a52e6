"""Filters, exclusions, variety, diversity and explanations of suggest(), on a hand-made table."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from picscore.audio.music_encoders import tag_names
from picscore.match.explain import reasons
from picscore.match.suggest import SuggestOptions, mood_direction, suggest
from picscore.models.zero_shot import VARIANTS, Pictures, component_forms, score_tracks, variant_form
from picscore.moods.heads import load_head
from picscore.moods.picture import PICTURE_HEAD
from picscore.moods.plane import mood_words
from picscore.trackspace.candidates import Candidates, candidates_from_rows
from tests.conftest import random_pictures


def _candidates(
    rng: np.random.Generator, n: int = 30, *, edit: Callable[[list[dict], dict[str, np.ndarray]], None] | None = None
) -> Candidates:
    """A hand-made table of n tracks; `edit(rows, tags)` changes it before the space is fitted."""
    rows = [
        {
            "id": i + 1,
            "path": f"/m/{i}.mp3",
            "title": f"Song {i}",
            "artist": "A",
            "duration": 60.0 + 10 * i,
            "bpm": 70.0 + 3 * i,
            "initial_key": "Am" if i % 2 else "C",
            "valence": float(np.sin(i)),
            "arousal": float(np.cos(i)),
            "highlight_start": 5.0,
            "highlight_end": 35.0,
        }
        for i in range(n)
    ]
    tags = {name: rng.beta(0.5, 5.0, size=(n, 50)) for name in ("mtt", "msd")}
    if edit is not None:
        edit(rows, tags)
    return candidates_from_rows(rows, tags, np.zeros(n, dtype=bool))


def test_a_variant_is_its_components_zscored_per_picture_and_weighted(rng: np.random.Generator) -> None:
    pictures, space = random_pictures(rng, 3), _candidates(rng).joint_space
    components = {name: form.scores(space) for name, form in component_forms(pictures, space).items()}
    assert set(components) == set().union(*VARIANTS.values()) and all(c.shape == (3, 30) for c in components.values())
    for variant, weights in VARIANTS.items():
        expected = sum(weight * _zscore_rows(components[name]) for name, weight in weights.items())
        np.testing.assert_allclose(score_tracks(pictures, space, variant=variant), expected, atol=1e-4)


def test_an_album_is_each_components_mean_over_its_pictures_zscored_once(rng: np.random.Generator) -> None:
    pictures, space = random_pictures(rng, 4), _candidates(rng).joint_space
    components = {name: form.scores(space) for name, form in component_forms(pictures, space).items()}
    for variant, weights in VARIANTS.items():
        expected = sum(weight * _zscore_rows(components[name].mean(axis=0, keepdims=True)) for name, weight in weights.items())
        np.testing.assert_allclose(variant_form(pictures, space, variant=variant, album=True).scores(space), expected, atol=1e-4)


def test_nearly_neutral_photos_do_not_turn_a_sad_album_tense(rng: np.random.Generator) -> None:
    """Two photos a hair from the typical photo's mood, towards tense, and one clearly sad one: the album is sad.
    Scored one by one, each photo had the same say, and the two hairs outvoted the sad photo."""
    head = load_head(PICTURE_HEAD)
    standard_scores = np.array([[-0.05, 0.05], [-0.05, 0.05], [-2.0, -2.0]])
    probabilities = np.full((3, 1000), 1e-3)
    album = Pictures(mood=head.output_mean + standard_scores * head.output_sd, class_probabilities=probabilities)
    found = suggest(album, _candidates(rng), SuggestOptions(top=5, variant="mood"))
    assert len(found) == 5 and all(s.track["valence"] < 0 and s.track["arousal"] < 0 for s in found)


def _zscore_rows(scores: np.ndarray) -> np.ndarray:
    return (scores - scores.mean(axis=1, keepdims=True)) / scores.std(axis=1, keepdims=True)


def test_filters_and_exclusions(rng: np.random.Generator) -> None:
    candidates = _candidates(rng)
    found = suggest(
        random_pictures(rng),
        candidates,
        SuggestOptions(top=30, min_duration_seconds=200, tempo_bpm=(100, 140), exclude_ids=frozenset({20})),
    )
    assert found and all(s.track["duration"] >= 200 and 100 <= s.track["bpm"] <= 140 and s.track["id"] != 20 for s in found)
    rows = [r for r in candidates.rows(range(len(candidates))) if r is not None]
    assert len(rows) == len(candidates)
    assert len(found) == sum(1 for r in rows if r["duration"] >= 200 and 100 <= r["bpm"] <= 140 and r["id"] != 20)


def test_seed_gives_variety_reproducibly(rng: np.random.Generator) -> None:
    candidates, pictures = _candidates(rng), random_pictures(rng)
    plain = [s.track["id"] for s in suggest(pictures, candidates, SuggestOptions(top=10))]
    seeded = [[s.track["id"] for s in suggest(pictures, candidates, SuggestOptions(top=10, seed=seed))] for seed in (1, 1, 2)]
    assert seeded[0] == seeded[1] and seeded[0] != seeded[2] and seeded[0] != plain
    assert plain == [s.track["id"] for s in suggest(pictures, candidates, SuggestOptions(top=10))]


def test_other_versions_of_a_song_are_skipped(rng: np.random.Generator) -> None:
    def versions(rows: list[dict], tags: dict[str, np.ndarray]) -> None:
        for i, title in enumerate(["Harbour", "Harbour (Live)", "Harbour - 2011 Remaster", "Other", "Harbour (Radio Edit)", "Last"]):
            rows[i]["title"] = title
        tags["mtt"][5], tags["msd"][5] = tags["mtt"][3], tags["msd"][3]  # "Last" sounds like "Other"...
        rows[5]["bpm"] = rows[3]["bpm"]  # ...at the same tempo

    candidates = _candidates(rng, n=6, edit=versions)
    titles = [s.track["title"] for s in suggest(random_pictures(rng), candidates, SuggestOptions(top=6))]
    assert sum(t.startswith("Harbour") for t in titles) == 1
    assert len(titles) == 2 and ("Other" in titles) != ("Last" in titles)


def test_explanations_tie_the_mood_to_the_photos_then_name_tempo_key_and_tags(rng: np.random.Generator) -> None:
    pictures = random_pictures(rng)
    photos = mood_words(valence=pictures.mood[0, 0], arousal=pictures.mood[0, 1])
    for found in suggest(pictures, _candidates(rng), SuggestOptions(top=30)):
        track = found.track
        words = mood_words(valence=track["valence"], arousal=track["arousal"])
        mood, facts = found.reasons.split(" · ")
        assert (mood == f"fits: {words} like the photos") if words == photos else (mood.startswith(words) and photos in mood)
        bpm, key, *tags = facts.split(", ")
        assert bpm == f"{track['bpm']:.0f} BPM" and key == ("A minor" if track["initial_key"] == "Am" else "C major")
        assert len(tags) == 4 and len(set(tags)) == 4
        assert (found.start_seconds, found.end_seconds) == (5.0, 35.0)


@pytest.mark.parametrize(
    ("valence", "arousal", "photos_words", "said"),
    [
        (0.5, -0.4, "calm and pleasant", "fits: calm and pleasant like the photos"),
        (0.6, 0.6, "pleasant", "joyful and lively, close to the pleasant photos"),
        (0.05, -0.7, "sad and quiet", "calm, close to the sad and quiet photos"),
        (-0.5, 0.6, "pleasant", "tense (the photos: pleasant)"),
        (0.8, 0.0, "neutral", "pleasant (the photos: neutral)"),
    ],
)
def test_a_mood_is_said_as_the_photos_a_shade_from_them_or_beside_them(
    valence: float, arousal: float, photos_words: str, said: str
) -> None:
    track = {"valence": valence, "arousal": arousal, "bpm": 84.0, "initial_key": "D"}
    assert reasons(track, None, {}, photos_words=photos_words) == f"{said} · 84 BPM, D major"


@pytest.mark.parametrize(
    ("valence", "arousal", "unsaid"),
    [(0.6, 0.6, {"slow", "soft", "quiet", "mellow", "sad"}), (0.2, -0.9, {"fast", "loud", "party", "beat"}), (-0.8, -0.2, {"happy"})],
)
def test_no_reason_contradicts_its_own_mood(rng: np.random.Generator, valence: float, arousal: float, unsaid: set[str]) -> None:
    """Tracks whose taggers hear the opposite of their mood above all else: those tags are left out of the reasons."""

    def opposite(rows: list[dict], tags: dict[str, np.ndarray]) -> None:
        for row in rows:
            row["valence"], row["arousal"] = valence, arousal
        for name in ("mtt", "msd"):
            for word in unsaid:
                if word in tag_names(f"musicnn-{name}") or word.capitalize() in tag_names(f"musicnn-{name}"):
                    tags[name][:, [t.lower() for t in tag_names(f"musicnn-{name}")].index(word)] = np.tile([0.99, 0.0], 4)

    for found in suggest(random_pictures(rng), _candidates(rng, n=8, edit=opposite), SuggestOptions(top=3)):
        named = set(found.reasons.split(" · ")[1].split(", ")[2:])
        assert len(named) == 4 and not named & unsaid, found.reasons


def _neutral_at(bpm: float, *, heard: str) -> Callable[[list[dict], dict[str, np.ndarray]], None]:
    """An edit for _candidates: every track neutral (a mood that rules out no tag) at `bpm`, and every other one (rows 0,
    2, 4, 6 of 8) with the MTT tag `heard` at 0.99, the rest at 0, so that it stands out above all its other tags."""

    def edit(rows: list[dict], tags: dict[str, np.ndarray]) -> None:
        for row in rows:
            row["valence"], row["arousal"], row["bpm"] = 0.0, 0.0, bpm
        tags["mtt"][:, [t.lower() for t in tag_names("musicnn-mtt")].index(heard)] = np.tile([0.99, 0.0], 4)

    return edit


@pytest.mark.parametrize(("bpm", "unsaid"), [(157.0, "slow"), (120.0, "slow"), (90.0, "fast"), (70.0, "fast")])
def test_no_reason_contradicts_its_own_tempo(rng: np.random.Generator, bpm: float, unsaid: str) -> None:
    """Tracks whose taggers hear the opposite of the tempo shown above all else: that tag is left out of the reasons."""
    for found in suggest(random_pictures(rng), _candidates(rng, n=8, edit=_neutral_at(bpm, heard=unsaid)), SuggestOptions(top=3)):
        bpm_shown, _, *named = found.reasons.split(" · ")[1].split(", ")
        assert bpm_shown == f"{bpm:.0f} BPM" and len(named) == 4 and unsaid not in named, found.reasons


def test_a_tempo_between_the_bounds_keeps_both_tempo_words(rng: np.random.Generator) -> None:
    found = suggest(random_pictures(rng), _candidates(rng, n=8, edit=_neutral_at(105.0, heard="slow")), SuggestOptions(top=8))
    heard_slow = [f.reasons for f in found if f.track["id"] % 2 == 1]  # rows 0, 2, 4, 6: the tagger's "slow" at 0.99
    assert len(heard_slow) == 4 and all("slow" in r.split(" · ")[1].split(", ") for r in heard_slow), heard_slow


def test_mood_words() -> None:
    assert mood_direction("Calmer") == (0.0, -1.0) and mood_direction("more-energetic") == (0.0, 1.0)
    with pytest.raises(ValueError, match="unknown mood 'grumpy'"):
        mood_direction("grumpy")
