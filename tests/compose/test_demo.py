"""The built-in demo: composed tracks in every format, indexed with the moods they were composed for,
and suggestions that follow its photos' moods."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

from picscore.cli import main
from picscore.compose.demo_library import DEMO_TRACKS, write_demo_library
from picscore.media.audio_decode import decode_audio
from picscore.pitch_names import parse_initial_key, pitch_class

SECONDS = 24.0  # long enough for the slideshow of the five photos at the slowest tempo


def test_demo_tracks_cover_the_mood_plane_with_varied_music() -> None:
    plans = [track.plan(seconds=SECONDS) for track in DEMO_TRACKS]
    moods = np.array([[t.valence, t.arousal] for t in DEMO_TRACKS])
    assert len(DEMO_TRACKS) == 24 and len({t.filename for t in DEMO_TRACKS}) == 24
    for quadrant in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
        assert np.sum(np.all(np.sign(moods) == quadrant, axis=1)) >= 4
    assert max(p.bpm for p in plans) - min(p.bpm for p in plans) > 60
    assert len({p.tonic for p in plans}) >= 10 and len({p.mode for p in plans}) >= 3
    assert len({(p.lead, p.chords, p.pad) for p in plans}) >= 8


def test_demo_builds_and_indexes_its_library(tmp_path: Path, capsys) -> None:
    # Shorter pieces at the analysis rate keep the test quick; the demo keeps existing files.
    write_demo_library(tmp_path / "music", seconds=SECONDS, sr=22050)
    assert main(["demo", "--workdir", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["summary"]["indexed"] == len(DEMO_TRACKS) and result["summary"]["failed"] == 0
    by_title = {t["title"]: t for t in result["tracks"]}
    keys_heard = []
    for demo in DEMO_TRACKS:
        track, plan = by_title[demo.title], demo.plan(seconds=SECONDS)
        assert track["bpm"] == pytest.approx(plan.bpm, abs=3), demo.title
        if plan.mode in ("major", "minor"):
            keys_heard.append(parse_initial_key(track["initial_key"]) == (pitch_class(demo.key), plan.mode))
    assert np.mean(keys_heard) >= 0.85, keys_heard
    affect = {t["title"]: (t["valence"], t["arousal"]) for t in result["tracks"]}
    assert affect["Festival Lights"][1] > affect["Rain on the Window"][1] + 0.5
    assert affect["Sunny Parade"][0] > affect["Old Letters"][0] + 0.5
    composed = np.array([[d.valence, d.arousal] for d in DEMO_TRACKS])
    measured = np.array([affect[d.title] for d in DEMO_TRACKS])
    assert np.corrcoef(composed[:, 1], measured[:, 1])[0, 1] > 0.7  # arousal as composed, as picscore hears it
    assert np.corrcoef(composed[:, 0], measured[:, 0])[0, 1] > 0.5
    assert {p.suffix for p in (tmp_path / "music").iterdir()} == {".mp3", ".ogg", ".m4a", ".flac", ".opus", ".wav", ".aiff"}
    # Each photo's suggestions follow its learned mood: against the least pleasant photo, the most pleasant one lifts
    # the library's pleasant tracks (its scores minus the other's rise with the tracks' valence).
    photos = sorted(result["photo_moods"], key=lambda path: result["photo_moods"][path]["valence"])
    assert all(len(result["suggestions"][photo]) == 3 for photo in photos)
    least, most = (_all_scores(capsys, tmp_path / "library.db", photo) for photo in (photos[0], photos[-1]))
    valence = {t["id"]: t["valence"] for t in result["tracks"]}
    ids = sorted(set(least) & set(most))
    lift = [most[i] - least[i] for i in ids]
    assert len(ids) >= 20 and np.corrcoef(lift, [valence[i] for i in ids])[0, 1] > 0.5, result["photo_moods"]
    # The drawn scenes reach different parts of the plane: the first suggestion for the neon party was composed
    # pleasant and lively, for the volcano unpleasant and lively, for the foggy lake calm.
    composed_for = {demo.title: (demo.valence, demo.arousal) for demo in DEMO_TRACKS}
    first = {Path(photo).stem: composed_for[listed[0]["track"]["title"]] for photo, listed in result["suggestions"].items()}
    assert first["neon_party"][0] > 0 and first["neon_party"][1] > 0, first
    assert first["volcano"][0] < 0 and first["volcano"][1] > 0, first
    assert first["foggy_lake"][1] < 0, first

    # The slideshow of the photos: its length, its soundtrack, and the demo's own photos.
    video = decode_audio(result["video"])
    assert result["video"] == str(tmp_path / "demo.mp4") and abs(result["video_seconds"] - 16.0) < 2.0  # whole bars
    assert video.duration_seconds == pytest.approx(result["video_seconds"], abs=0.1)
    with av.open(result["video"]) as container:
        assert (container.streams.video[0].width, container.streams.video[0].height) == (1280, 720)

    assert main(["demo", "--workdir", str(tmp_path)]) == 0
    assert f"0 indexed, 0 failed ({len(DEMO_TRACKS)} unchanged)" in capsys.readouterr().out


def _all_scores(capsys: pytest.CaptureFixture[str], library: Path, photo: str) -> dict[int, float]:
    """Every track's score for `photo`, as `suggest` ranks the library."""
    capsys.readouterr()
    assert main(["--library", str(library), "suggest", photo, "--top", str(len(DEMO_TRACKS)), "--json"]) == 0
    return {s["track"]["id"]: s["score"] for s in json.loads(capsys.readouterr().out)[0]["suggestions"]}
