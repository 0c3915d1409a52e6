"""The timeline planner: cuts on beats, holds by tempo, fitting a duration, and the plan as JSON."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from picscore.render.loops import BarProfiles, choose_loop
from picscore.render.plan import Plan, PlanError, Shot, clock, describe_repeats, plan_slideshow


def _track(bpm: float, *, seconds: float = 200.0, highlight: float = 0.0) -> dict:
    return {
        "id": 1,
        "path": "/music/song.flac",
        "duration": seconds,
        "bpm": bpm,
        "beats": np.arange(0.25, seconds, 60 / bpm),
        "highlight_start": highlight,
    }


def _plan(n_photos: int, track: dict, **options) -> Plan:
    photos = [(f"/photos/{i}.jpg", (0.5, 0.5)) for i in range(n_photos)]
    return plan_slideshow(photos, track, width=320, height=180, fps=30, **options)


def _lengths(plan: Plan) -> np.ndarray:
    return np.array([s.end_seconds - s.start_seconds for s in plan.shots])


def _beat_index(plan: Plan, track: dict, video_seconds: float) -> float:
    """Where a video instant falls on the track's beat grid (whole numbers are beats)."""
    return (plan.excerpt_start_seconds + video_seconds - track["beats"][0]) / (60 / track["bpm"])


@pytest.mark.parametrize("bpm", [60.0, 85.0, 120.0, 128.0, 150.0, 175.0])
def test_each_photo_holds_two_to_four_seconds_on_whole_beats_with_longer_first_and_last(bpm: float) -> None:
    track = _track(bpm)
    plan = _plan(12, track)
    lengths = _lengths(plan)
    assert np.all((lengths[1:-1] >= 2.0 - 1e-6) & (lengths[1:-1] <= 4.0 + 1e-6))
    assert lengths[0] > lengths[1:-1].max() and lengths[-1] > lengths[1:-1].max()
    cuts = [_beat_index(plan, track, t) for t in [*plan.cuts_seconds, plan.duration_seconds]]
    assert np.allclose(cuts, np.round(cuts), atol=1e-6)  # every cut, and the end, on a beat
    start_beat = _beat_index(plan, track, 0.0)
    assert round(cuts[-1] - start_beat) % 4 == 0  # a whole number of bars: ends on a downbeat


def test_lively_music_moves_on_sooner_than_calm_music() -> None:
    lively = _lengths(_plan(6, {**_track(120.0), "arousal": 0.9}))[1:-1]
    neutral = _lengths(_plan(6, _track(120.0)))[1:-1]
    calm = _lengths(_plan(6, {**_track(120.0), "arousal": -0.9}))[1:-1]
    assert np.allclose(lively, 2.0) and np.allclose(neutral, 3.0) and np.allclose(calm, 4.0)


def test_duration_is_fitted_to_a_downbeat_and_shared_out_on_beats() -> None:
    track = _track(120.0)
    plan = _plan(10, track, duration_seconds=21.4)
    assert plan.duration_seconds == pytest.approx(22.0)  # 44 beats: the nearest whole bar (11 bars) to 21.4 s
    beats = [_beat_index(plan, track, t) for t in plan.cuts_seconds]
    assert np.allclose(beats, np.round(beats), atol=1e-6)
    lengths = _lengths(plan)
    assert lengths[0] >= lengths[1:-1].max() and lengths[-1] >= lengths[1:-1].max()
    assert plan.downbeats_seconds[0] == 0.0 and plan.downbeats_seconds[-1] == pytest.approx(plan.duration_seconds)


def test_start_snaps_to_the_nearest_beat_and_the_highlight_is_the_default() -> None:
    track = _track(120.0, highlight=30.25)
    assert _plan(4, track).excerpt_start_seconds == pytest.approx(30.25)
    assert _plan(4, track, start_seconds=10.1).excerpt_start_seconds == pytest.approx(10.25)


def test_an_excerpt_near_the_end_starts_earlier_to_fit() -> None:
    track = _track(120.0, seconds=40.0, highlight=38.0)
    plan = _plan(8, track)
    assert plan.excerpt_start_seconds + plan.duration_seconds <= 40.0


def test_per_photo_overrides_the_beat_grid() -> None:
    plan = _plan(5, _track(120.0), per_photo_seconds=0.3)
    assert np.allclose(_lengths(plan), 0.3) and plan.duration_seconds == pytest.approx(1.5)


def test_too_many_photos_for_the_track_or_duration_is_a_clear_error() -> None:
    with pytest.raises(PlanError, match="the track has"):
        _plan(200, _track(120.0, seconds=20.0))
    with pytest.raises(PlanError, match="--length 4 gives 8"):
        _plan(20, _track(120.0), duration_seconds=4.0)


def test_transitions_never_take_more_than_half_a_shot() -> None:
    plan = _plan(6, _track(120.0), transition="crossfade", transition_seconds=5.0)
    assert plan.transition_seconds == pytest.approx(_lengths(plan).min() / 2)
    assert _plan(6, _track(120.0), transition="cut").transition_seconds == 0.0


def test_the_plan_round_trips_through_json_and_edits_are_checked() -> None:
    plan = _plan(5, _track(100.0))
    data = plan.to_json()
    assert Plan.from_json(data) == plan
    data["shots"][1]["start_seconds"] = data["shots"][0]["start_seconds"]
    with pytest.raises(PlanError, match="without gaps or overlaps"):
        Plan.from_json(data)
    with pytest.raises(PlanError, match="zoom"):
        Plan(
            track_path="x", excerpt_start_seconds=0, duration_seconds=1, width=32, height=32, fps=24, shots=[Shot("a", 0, 1, zoom_to=2.0)]
        ).check()
    assert Plan.from_json(plan.to_json() | {"version": 1}) == plan  # plans saved by an older picscore still render


def _phrases_of(period_bars: int, *, loud_bars: tuple[int, ...] = ()) -> BarProfiles:
    """Bar profiles of music whose harmony repeats every `period_bars` bars, 6 dB louder in `loud_bars`."""

    def profiles(bar_bounds_seconds: np.ndarray) -> np.ndarray:
        n_bars = len(bar_bounds_seconds) - 1
        chroma = np.eye(12)[[k % period_bars for k in range(n_bars)]]
        level = np.array([-20.0 + 6.0 * (k in loud_bars) for k in range(n_bars)])
        return np.column_stack([chroma, level])

    return profiles


def test_a_short_track_repeats_whole_phrases_from_downbeat_to_downbeat_to_last_the_length() -> None:
    track = _track(120.0, seconds=40.0, highlight=8.25)  # 80 beats, 19 whole bars from the highlight's grid
    plan = _plan(20, track, duration_seconds=90.0, bar_profiles=_phrases_of(8))
    beat = 60 / 120
    assert abs(plan.duration_seconds - 90.0) <= beat
    assert len(plan.music_pieces) >= 3 and plan.music_pieces[0][0] == pytest.approx(plan.excerpt_start_seconds)
    assert sum(b - a for a, b in plan.music_pieces) == pytest.approx(plan.duration_seconds)
    for a, b in plan.music_pieces:  # every piece starts and ends on a downbeat of the excerpt's bar grid
        for t in (a, b):
            bars = (t - plan.excerpt_start_seconds) / beat / 4
            assert bars == pytest.approx(round(bars), abs=1e-6)
    for (_, end), (start, _) in pairwise(plan.music_pieces):
        assert round((end - start) / beat) % 32 == 0  # back by whole 8-bar phrases: the harmony matches
    played = np.array(plan.beats_seconds)
    assert np.allclose(np.diff(played), beat) and played[0] == 0.0  # a seamless beat grid across the joins
    for cut in plan.cuts_seconds:
        assert np.min(np.abs(played - cut)) < 1e-6  # every cut on a played beat
    repeats = describe_repeats(plan)
    assert repeats is not None and repeats.startswith("the music repeats ")
    assert Plan.from_json(plan.to_json()) == plan


def test_a_loop_joins_bars_of_the_same_loudness() -> None:
    # Harmony repeats every 4 bars everywhere; bars 4-7 are louder: a jump must not land in or leave from them.
    profiles = _phrases_of(4, loud_bars=(4, 5, 6, 7))(np.arange(20.0))
    s, e = choose_loop(profiles, first_bar=0)
    assert (e - s) % 4 == 0 and not {s - 1, s, e - 1, e} & {4, 5, 6, 7}


def test_a_track_shorter_than_two_bars_repeats_its_beats() -> None:
    tiny = {**_track(120.0, seconds=2.5), "beats": np.arange(0.25, 2.5, 0.5)}  # 5 beats: not two bars
    plan = _plan(3, tiny, bar_profiles=_phrases_of(4))
    assert plan.duration_seconds > 2.5 and len(plan.music_pieces) > 1


def test_chapters_open_on_downbeats_and_are_checked() -> None:
    track = _track(120.0)
    plan = _plan(9, track, chapter_starts=[3, 6])
    assert plan.chapter_starts == [3, 6]
    for k in plan.chapter_starts:
        bars = _beat_index(plan, track, plan.shots[k].start_seconds) - _beat_index(plan, track, 0.0)
        assert round(bars) % 4 == 0 and bars == pytest.approx(round(bars))
    assert np.all(_lengths(plan) > 0)
    data = plan.to_json() | {"chapter_starts": [0]}
    with pytest.raises(PlanError, match="chapter_starts"):
        Plan.from_json(data)


def test_a_new_day_or_hours_apart_start_a_chapter() -> None:
    from datetime import datetime

    from picscore.render.photos import chapter_starts

    times = [datetime(2026, 5, 1, 9, 0), datetime(2026, 5, 1, 9, 40), datetime(2026, 5, 1, 12, 0), datetime(2026, 5, 1, 23, 50)]
    times += [datetime(2026, 5, 2, 0, 10), datetime.max]  # the next day, 20 minutes later; then a photo without any time
    assert chapter_starts(times) == [2, 3, 4]


def test_a_date_range_reads_as_a_title() -> None:
    from datetime import datetime

    from picscore.render.title import date_range_title

    day = datetime(2024, 5, 3, 10, 0)
    assert date_range_title([day]) == "3 May 2024"
    assert date_range_title([day, datetime(2024, 5, 1, 9, 0)]) == "1–3 May 2024"
    assert date_range_title([day, datetime(2024, 4, 30, 9, 0)]) == "30 April – 3 May 2024"
    assert date_range_title([day, datetime(2023, 12, 30, 9, 0)]) == "30 December 2023 – 3 May 2024"
    assert date_range_title([datetime.max]) == ""


@pytest.mark.parametrize(("seconds", "shown"), [(59.97, "1:00.0"), (59.94, "0:59.9"), (4.5, "0:04.5"), (125.0, "2:05.0")])
def test_clock_rounds_before_it_carries(seconds: float, shown: str) -> None:
    assert clock(seconds) == shown
