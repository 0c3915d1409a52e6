"""The timeline planner: cuts on beats, holds by tempo, fitting a duration, and the plan as JSON."""

from __future__ import annotations

import numpy as np
import pytest

from picscore.render.plan import Plan, PlanError, Shot, plan_slideshow


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


@pytest.mark.parametrize("bpm", [120.0, 128.0, 150.0, 175.0])
def test_fast_tempi_hold_each_photo_about_a_second_with_longer_first_and_last(bpm: float) -> None:
    track = _track(bpm)
    plan = _plan(12, track)
    lengths = _lengths(plan)
    assert np.all((lengths[1:-1] >= 0.7) & (lengths[1:-1] <= 1.1))
    assert lengths[0] > lengths[1:-1].max() and lengths[-1] > lengths[1:-1].max()
    cuts = [_beat_index(plan, track, t) for t in [*plan.cuts_seconds, plan.duration_seconds]]
    assert np.allclose(cuts, np.round(cuts), atol=1e-6)  # every cut, and the end, on a beat
    start_beat = _beat_index(plan, track, 0.0)
    assert round(cuts[-1] - start_beat) % 4 == 0  # a whole number of bars: ends on a downbeat


@pytest.mark.parametrize("bpm", [60.0, 72.0, 85.0])
def test_slow_tempi_hold_each_photo_a_whole_bar(bpm: float) -> None:
    plan = _plan(6, _track(bpm))
    assert np.allclose(_lengths(plan)[1:-1], 4 * 60 / bpm)
    assert np.allclose(_lengths(plan)[0], 8 * 60 / bpm)


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
    with pytest.raises(PlanError, match="--duration 4 gives 8"):
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
