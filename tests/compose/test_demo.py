"""The built-in demo: synthetic tracks in every format, indexed with the moods they were made with,
and suggestions that follow its two photos' moods."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from picscore.cli import main
from picscore.compose.demo_library import DEMO_TRACKS


def test_demo_builds_and_indexes_its_library(tmp_path: Path, capsys) -> None:
    assert main(["demo", "--workdir", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["summary"]["indexed"] == len(DEMO_TRACKS) and result["summary"]["failed"] == 0
    by_title = {t["title"]: t for t in result["tracks"]}
    for demo in DEMO_TRACKS:
        track = by_title[demo.title]
        assert track["initial_key"] == demo.spec.tonic + ("m" if demo.spec.mode == "minor" else "")
        if demo.spec.drums:  # with a drum kit the beat is unambiguous
            assert track["bpm"] == pytest.approx(demo.spec.bpm, abs=2)
    assert by_title["Festival Lights"]["arousal"] > by_title["Rain on the Window"]["arousal"]
    assert by_title["Sunny Parade"]["valence"] > by_title["Old Letters"]["valence"]
    assert {p.suffix for p in (tmp_path / "music").iterdir()} == {".mp3", ".ogg", ".m4a", ".flac", ".opus", ".wav", ".aiff"}
    beach, night = (result["suggestions"][str(tmp_path / "photos" / name)] for name in ("sunny_beach.png", "night_street.png"))
    valence = {t["id"]: t["valence"] for t in result["tracks"]}
    assert len(beach) == len(night) == 3
    assert np.mean([valence[s["track"]["id"]] for s in beach]) > np.mean([valence[s["track"]["id"]] for s in night]) + 0.5

    assert main(["demo", "--workdir", str(tmp_path)]) == 0
    assert "0 indexed, 0 failed (8 unchanged)" in capsys.readouterr().out
