"""One track per chapter: shares of the chapters, the chained plan, and a real render's music decoded and checked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from picscore.cli import main
from picscore.compose.synth import click_track
from picscore.library.indexer import index_paths
from picscore.library.store import Library
from picscore.media.audio_decode import decode_audio
from picscore.media.audio_encode import encode_audio
from picscore.render.chapter_music import share_starts
from picscore.render.plan import MusicPart, Plan, PlanError
from picscore.render.soundtrack import stereo_loudness
from tests.render.media import FRAME_SIZE, click_times, set_taken, write_photos

SR = 48000


def test_a_chapter_too_short_for_a_track_keeps_the_music_before() -> None:
    # 3 s a photo without --length: chapters at photos 12 (36 s in), 14 (6 s later) and 20; 24 photos.
    assert share_starts([12, 14, 20], n_photos=24, seconds=None) == [0, 12]  # 14 follows too soon; 20 leaves 12 s at the end
    assert share_starts([12, 14, 20], n_photos=24, seconds=480) == [0, 12, 14, 20]  # 20 s a photo: every chapter lasts
    assert share_starts([], n_photos=24, seconds=None) == [0]
    assert share_starts([5], n_photos=24, seconds=None) == [0]  # the first chapter would last 15 s
    assert share_starts([5], n_photos=24, seconds=None, per_photo_seconds=6) == [0, 5]  # 30 s at 6 s a photo


def _two_day_roll(folder: Path, *, per_day: int) -> list[Path]:
    photos = write_photos(folder, 2 * per_day)
    for i, photo in enumerate(photos):
        set_taken(photo, f"2026:05:0{3 + i // per_day} 10:{i % per_day:02d}:00")
    return photos


@pytest.fixture(scope="module")
def two_tracks(tmp_path_factory) -> tuple[Path, dict[float, int]]:
    """A library of two 60 s click tracks, 120 BPM and a 12 dB quieter 100 BPM; and their ids by tempo."""
    folder = tmp_path_factory.mktemp("two-tracks")
    (folder / "music").mkdir()
    for bpm, gain in ((120.0, 1.0), (100.0, 0.25)):
        encode_audio(folder / "music" / f"clicks{bpm:.0f}.wav", gain * click_track(bpm=bpm, seconds=60.0, sr=SR), sr=SR)
    with Library(folder / "library.db") as library:
        index_paths(library, [folder / "music"], jobs=1, encoders=(), progress=False)
        ids = {round(track["bpm"]): track["id"] for track in library.list_tracks()}
    assert set(ids) == {120, 100}
    return folder / "library.db", ids


def test_each_chapter_gets_its_own_track_joined_on_a_downbeat_at_one_loudness(two_tracks, tmp_path: Path, capsys) -> None:
    library, ids = two_tracks
    _two_day_roll(tmp_path / "photos", per_day=12)
    arguments = ["--library", str(library), "render", str(tmp_path / "photos"), "--track-per-chapter", "--length", "80"]
    arguments += ["--size", FRAME_SIZE, "--fps", "24", "--transition", "cut", "--loudness", "-30", "-q"]
    capsys.readouterr()
    assert main([*arguments, "--plan-only"]) == 0
    captured = capsys.readouterr()
    plan = json.loads(captured.out)
    (second,) = plan["chained_tracks"]
    assert {plan["track_id"], second["track_id"]} == set(ids.values())  # a track of its own for each day
    takeover = second["video_start_seconds"]
    assert plan["chapter_starts"] == [12] and plan["shots"][12]["start_seconds"] == pytest.approx(takeover)  # where day two starts
    assert np.abs(np.array(plan["downbeats_seconds"]) - takeover).min() < 1e-6
    assert abs(plan["duration_seconds"] - 80) <= 2 * 60 / 100  # the asked length, to the nearest downbeat (half a bar)
    assert "picscore: photos 1-12 from 0:00.0: track " in captured.err and "picscore: photos 13-24 from " in captured.err

    out = tmp_path / "two-days.mp4"
    assert main([*arguments, "-o", str(out)]) == 0
    samples = decode_audio(out, sr=SR, stereo=True).samples
    clicks = click_times(samples, sr=SR)
    first_step, second_step = (60 / bpm for bpm in sorted(ids, key=lambda bpm: ids[bpm] != plan["track_id"]))
    before = clicks[(clicks > 1.0) & (clicks < takeover - 0.05)]
    after = clicks[(clicks > takeover - 0.05) & (clicks < len(samples) / SR - 3.0)]
    assert np.allclose(np.diff(before), first_step, atol=0.01) and np.allclose(np.diff(after), second_step, atol=0.01)
    assert abs(after[0] - takeover) <= 0.02 and takeover - before[-1] == pytest.approx(first_step, abs=0.02)  # no beat lost or doubled
    beats = np.array(plan["beats_seconds"])
    assert all(np.abs(beats - shot["start_seconds"]).min() < 1e-6 for shot in plan["shots"])  # every cut on a planned beat ...
    heard = clicks[(clicks > 1.0) & (clicks < len(samples) / SR - 3.0)]
    assert all(np.abs(beats - click).min() <= 0.02 for click in heard)  # ... and the planned beats are where the clicks sound
    loudness = [stereo_loudness(samples[round(a * SR) : round(b * SR)], sr=SR) for a, b in ((2, takeover - 2), (takeover + 2, 75))]
    assert abs(loudness[0] - loudness[1]) < 1.0, loudness  # the quieter track brought to the same loudness (it was 12 dB apart)


def test_a_chained_plan_reads_back_and_is_checked(two_tracks, tmp_path: Path, capsys) -> None:
    library, _ = two_tracks
    _two_day_roll(tmp_path / "photos", per_day=12)
    capsys.readouterr()
    assert main(["--library", str(library), "render", str(tmp_path / "photos"), "--track-per-chapter", "--plan-only", "-q"]) == 0
    data = json.loads(capsys.readouterr().out)
    plan = Plan.from_json(data)
    assert json.loads(json.dumps(plan.to_json())) == data and isinstance(plan.chained_tracks[0], MusicPart)
    late = {**data, "chained_tracks": [{**data["chained_tracks"][0], "video_start_seconds": data["duration_seconds"] + 1}]}
    with pytest.raises(PlanError, match="take over one after another"):
        Plan.from_json(late)
    short = {**data, "chained_tracks": [{**data["chained_tracks"][0], "pieces": [[0.0, 1.0]]}]}
    with pytest.raises(PlanError, match="lasting until the next track or the end"):
        Plan.from_json(short)
