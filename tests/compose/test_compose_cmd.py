"""`picscore compose`: writes stereo audio for a mood or photos, safely, with a report."""

from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image, ImageEnhance
from skimage import data as samples

from picscore.audio.analysis import analyse
from picscore.cli import main
from picscore.media.audio_decode import decode_audio


def _channels(path: Path) -> np.ndarray:
    """Decoded samples of both channels, shape (2, n)."""
    planar = av.AudioResampler(format="fltp")
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray() for frame in container.decode(audio=0) for f in planar.resample(frame)], axis=1)


def test_compose_for_a_mood_writes_stereo_at_the_tempo_asked(tmp_path: Path, capsys) -> None:
    out = tmp_path / "calm.flac"
    assert (
        main(["compose", "--valence", "0.7", "--arousal", "0.3", "--seconds", "12", "--bpm", "104", "--sr", "22050", "-o", str(out)]) == 0
    )
    printed = capsys.readouterr().out
    assert f"wrote {out}: 12 s" in printed and "104 BPM" in printed
    left, right = _channels(out)
    assert len(left) == 12 * 22050 and not np.array_equal(left, right)
    assert analyse(decode_audio(out, sr=22050).samples).bpm == pytest.approx(104, abs=3)
    assert [p.name for p in tmp_path.iterdir()] == ["calm.flac"]  # no partial file left behind


def test_existing_output_needs_force(tmp_path: Path, capsys) -> None:
    out = tmp_path / "piece.wav"
    out.write_bytes(b"keep me")
    args = ["compose", "--valence", "0", "--arousal", "0", "--seconds", "5", "--sr", "22050", "-o", str(out)]
    assert main(args) == 1
    assert "exists: use --force" in capsys.readouterr().err and out.read_bytes() == b"keep me"
    assert main([*args, "--force"]) == 0 and out.stat().st_size > 5 * 22050 * 2 * 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--valence", "0.5"], "give the mood with --valence and --arousal"),
        (["--valence", "0", "--arousal", "0", "--key", "H"], "unknown key 'H'"),
        (["--for", "missing.jpg"], "missing.jpg: file not found"),
    ],
)
def test_user_errors_are_one_line(tmp_path: Path, capsys, args: list[str], message: str) -> None:
    assert main(["compose", *args, "-o", str(tmp_path / "x.wav")]) == 1
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_compose_for_photos_follows_their_mood(tmp_path: Path, capsys) -> None:
    """A coffee in daylight reads more pleasant than the same photo dimmed and greyed: its piece is happier."""
    bright, dim = tmp_path / "coffee.jpg", tmp_path / "dim.jpg"
    Image.fromarray(samples.coffee()).save(bright)
    ImageEnhance.Color(ImageEnhance.Brightness(Image.fromarray(samples.coffee())).enhance(0.35)).enhance(0.15).save(dim)
    library = str(tmp_path / "library.db")
    moods = {}
    for photo in (bright, dim):
        out = tmp_path / f"{photo.stem}.ogg"
        args = ["--library", library, "compose", "--for", str(photo), "--seconds", "6", "--sr", "22050", "-o", str(out), "--json"]
        assert main(args) == 0
        moods[photo.stem] = json.loads(capsys.readouterr().out)
        (read,) = json.loads(_tags(capsys, library, photo))
        assert moods[photo.stem]["photos"] == [{"path": str(photo), "mood": read["mood"]}] and out.exists()
        assert moods[photo.stem]["valence"] == pytest.approx(read["mood"]["valence"], abs=1e-3)  # the piece is asked the photo's mood
    assert moods["coffee"]["valence"] > moods["dim"]["valence"] + 0.2


def _tags(capsys, library: str, photo: Path) -> str:
    assert main(["--library", library, "tags", str(photo), "--json"]) == 0
    return capsys.readouterr().out
