"""Pairs from videos, checked on real H.264/AAC MP4 and VP9/Opus WebM files written here with PyAV."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from picscore.cli import main
from picscore.media.audio_decode import decode_audio
from picscore.train.pairs import read_pairs
from picscore.train.videos import Sampling, find_videos, pairs_from_videos

FPS = 10
WIDTH, HEIGHT = 80, 48
BLACK, RED, GREEN, BLUE = (0, 0, 0), (220, 30, 30), (30, 200, 40), (30, 40, 220)
YELLOW, MAGENTA, CYAN, WHITE = (210, 200, 30), (200, 40, 200), (40, 200, 210), (240, 240, 240)
# party.mp4, one colour per second: 4 s black, three 2-s colours, 6 s of a static (noisy) shot,
# three more 2-s colours; its soundtrack stops at 19 s, before the picture does.
PARTY = [BLACK] * 4 + [RED] * 2 + [GREEN] * 2 + [BLUE] * 2 + [YELLOW] * 6 + [MAGENTA] * 2 + [CYAN] * 2 + [WHITE] * 2
PARTY_AUDIO_SECONDS = 19.0
STATIC = range(10, 16)
WALK = [RED] * 2 + [GREEN] * 2 + [BLUE] * 2
SAMPLING = Sampling(every_seconds=2.0, window_seconds=4.0)


def write_video(
    path: Path,
    picture: Callable[[int], np.ndarray],
    *,
    seconds: float,
    audio_seconds: float | None,
    codecs: tuple[str, str] = ("libx264", "aac"),
    sr: int = 22050,
    rotation_degrees: int = 0,
    audio_delay_seconds: float = 0.0,
) -> Path:
    """Encode picture(frame_index) at FPS, and a 440 Hz tone of `audio_seconds` from `audio_delay_seconds` (None: no audio stream)."""
    video_codec, audio_codec = codecs
    options = {"deadline": "realtime", "cpu-used": "8"} if "vpx" in video_codec else {"preset": "veryfast", "crf": "16"}
    with av.open(str(path), "w") as container:
        video = container.add_stream(video_codec, rate=FPS, options=options)
        assert isinstance(video, av.VideoStream)
        first = picture(0)
        video.width, video.height, video.pix_fmt = first.shape[1], first.shape[0], "yuv420p"
        if rotation_degrees:
            video.set_display_rotation(rotation_degrees)
        sound = container.add_stream(audio_codec, rate=sr, layout="mono") if audio_seconds is not None else None
        assert sound is None or isinstance(sound, av.AudioStream)
        for index in range(round(seconds * FPS)):
            frame = av.VideoFrame.from_ndarray(picture(index), format="rgb24")
            frame.pts, frame.time_base = index, Fraction(1, FPS)
            container.mux(video.encode(frame))
        container.mux(video.encode(None))
        if sound is not None:
            assert audio_seconds is not None  # the stream was added for it
            tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(round(audio_seconds * sr)) / sr)).astype(np.float32)
            for start in range(0, len(tone), 1024):
                chunk = av.AudioFrame.from_ndarray(tone[None, start : start + 1024], format="flt", layout="mono")
                chunk.sample_rate, chunk.pts, chunk.time_base = sr, start + round(audio_delay_seconds * sr), Fraction(1, sr)
                container.mux(sound.encode(chunk))
            container.mux(sound.encode(None))
    return path


def colour_frames(colours: list[tuple[int, int, int]], *, noisy_seconds: range = range(0)) -> Callable[[int], np.ndarray]:
    """One flat colour per second; in `noisy_seconds`, ±3 levels of fresh noise on every frame (a static shot)."""
    rng = np.random.default_rng(7)

    def picture(index: int) -> np.ndarray:
        second = index // FPS
        image = np.full((HEIGHT, WIDTH, 3), colours[second], dtype=np.int16)
        if second in noisy_seconds:
            image += rng.integers(-3, 4, image.shape, dtype=np.int16)
        return image.clip(0, 255).astype(np.uint8)

    return picture


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """party.mp4 and walk.webm with sound, silent.mp4 without, truncated.mp4 cut in half, and a text file."""
    folder = tmp_path_factory.mktemp("videos")
    party = write_video(
        folder / "party.mp4", colour_frames(PARTY, noisy_seconds=STATIC), seconds=len(PARTY), audio_seconds=PARTY_AUDIO_SECONDS
    )
    write_video(
        folder / "walk.webm", colour_frames(WALK), seconds=len(WALK), audio_seconds=len(WALK), codecs=("libvpx-vp9", "libopus"), sr=48000
    )
    write_video(folder / "silent.mp4", colour_frames(WALK), seconds=2, audio_seconds=None)
    data = party.read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 2])
    (folder / "notes.txt").write_text("not a video")
    return folder


def _rows(tsv: Path) -> list[dict[str, str]]:
    with tsv.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _mean_colour(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"), dtype=np.float64)[8:-8, 8:-8].mean(axis=(0, 1))


def test_find_videos_walks_folders_by_extension(videos: Path) -> None:
    found, missing = find_videos([videos, videos / "notes.txt", videos / "nowhere.mp4"])
    names = [p.name for p in found]
    assert names == ["notes.txt", "party.mp4", "silent.mp4", "truncated.mp4", "walk.webm"]  # a file named directly counts
    assert missing == [str(videos / "nowhere.mp4")]


def test_pairs_from_videos(videos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    found, _ = find_videos([videos])
    summary = pairs_from_videos(found, out, sampling=SAMPLING, progress=False)

    # party: samples at 0 and 2 s are black, 12 and 14 s repeat the static shot at 10 s, 20 s is past the soundtrack.
    assert (summary.videos, summary.pairs, summary.black_frames, summary.duplicate_frames) == (4, 9, 2, 2)
    rows = _rows(out / "pairs.tsv")
    assert list(rows[0]) == ["image", "audio", "start", "end", "source", "time"]
    party = [r for r in rows if r["audio"] == str(videos / "party.mp4")]
    walk = [r for r in rows if r["audio"] == str(videos / "walk.webm")]
    assert len(party) == 6 and len(walk) == 3
    assert [float(r["time"]) for r in party] == pytest.approx([4, 6, 8, 10, 16, 18], abs=0.05)
    assert [float(r["time"]) for r in walk] == pytest.approx([0, 2, 4], abs=0.05)

    # Each JPEG shows the colour of the second its row claims.
    for row, colours in [(r, PARTY) for r in party] + [(r, WALK) for r in walk]:
        expected = colours[int(float(row["time"]) + 0.05)]
        assert _mean_colour(out / row["image"]) == pytest.approx(expected, abs=25), row

    # Windows of 4 s centred on the frame, clipped to the start and to the soundtrack's end.
    party_seconds = decode_audio(videos / "party.mp4").duration_seconds
    assert party_seconds == pytest.approx(PARTY_AUDIO_SECONDS, abs=0.06)
    windows = np.array([(float(r["start"]), float(r["end"])) for r in party + walk])
    assert windows[:5] == pytest.approx(np.array([(2, 6), (4, 8), (6, 10), (8, 12), (14, 18)]), abs=0.05)
    assert windows[5] == pytest.approx([16, party_seconds], abs=0.002)
    assert windows[6:8, 0].tolist() == [0.0, 0.0] and windows[6:8, 1] == pytest.approx([2, 4], abs=0.05)  # walk: clipped at 0 s

    pairs = read_pairs(out / "pairs.tsv")
    assert len(pairs) == 9 and {p.source for p in pairs} == {str(videos / "party.mp4"), str(videos / "walk.webm")}
    assert all(Path(p.image).is_file() and p.audio == p.source for p in pairs)
    assert (pairs[0].start_seconds, pairs[0].end_seconds) == (float(party[0]["start"]), float(party[0]["end"]))

    errors = {Path(r["video"]).name: r["error"] for r in _rows(out / "errors.tsv")}
    assert errors.keys() == {"silent.mp4", "truncated.mp4"}
    assert errors["silent.mp4"].startswith("no audio stream in the file")
    assert errors["truncated.mp4"].startswith("not a readable media file")
    assert summary.failures == [(str(videos / n), errors[n]) for n in ("silent.mp4", "truncated.mp4")]


def test_rerun_rewrites_instead_of_adding(videos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    pairs_from_videos([videos / "walk.webm"], out, sampling=SAMPLING, progress=False)
    first = (out / "pairs.tsv").read_text()
    (out / "frames" / "stale.jpg").touch()  # not a frame folder of ours: left alone
    again = pairs_from_videos([videos / "walk.webm"], out, sampling=Sampling(every_seconds=4.0, window_seconds=4.0), progress=False)
    rows = _rows(out / "pairs.tsv")
    assert again.pairs == len(rows) == 2 and len(first.splitlines()) == 4
    (frames,) = [p for p in (out / "frames").iterdir() if p.is_dir()]
    assert sorted(p.name for p in frames.iterdir()) == ["00000000ms.jpg", "00004000ms.jpg"]  # the 2-s frame of the first run is gone
    assert (out / "frames" / "stale.jpg").exists() and not list(out.glob(".*partial"))


def test_rotated_video_is_written_upright(tmp_path: Path) -> None:
    """A phone's portrait video: stored landscape, red on the left, with a display matrix turning it 90° clockwise."""

    def picture(index: int) -> np.ndarray:
        image = np.full((HEIGHT, WIDTH, 3), BLUE, dtype=np.uint8)
        image[:, : WIDTH // 2] = RED
        return image

    video = write_video(tmp_path / "portrait.mp4", picture, seconds=1, audio_seconds=1, rotation_degrees=-90)
    summary = pairs_from_videos([video], tmp_path / "out", sampling=SAMPLING, progress=False)
    assert summary.pairs == 1
    image = Image.open(tmp_path / "out" / _rows(tmp_path / "out" / "pairs.tsv")[0]["image"]).convert("RGB")
    assert image.size == (HEIGHT, WIDTH)
    pixels = np.asarray(image, dtype=np.float64)
    assert pixels[: WIDTH // 2 - 4].mean(axis=(0, 1)) == pytest.approx(RED, abs=25)  # the left side turned to the top
    assert pixels[WIDTH // 2 + 4 :].mean(axis=(0, 1)) == pytest.approx(BLUE, abs=25)


def test_soundtrack_starting_late(tmp_path: Path) -> None:
    """An MKV whose sound starts 4 s in: frames before it get no pair, times and windows count from the sound's start."""
    colours = [*WALK, YELLOW, YELLOW]
    video = write_video(tmp_path / "late.mkv", colour_frames(colours), seconds=len(colours), audio_seconds=4, audio_delay_seconds=4)
    summary = pairs_from_videos([video], tmp_path / "out", sampling=SAMPLING, progress=False)
    rows = _rows(tmp_path / "out" / "pairs.tsv")
    assert (summary.pairs, summary.black_frames, summary.duplicate_frames) == (2, 0, 0)
    assert [Path(r["image"]).name for r in rows] == ["00004000ms.jpg", "00006000ms.jpg"]  # video time 4 s = sound time 0 s
    times = np.array([(float(r["time"]), float(r["start"]), float(r["end"])) for r in rows])
    assert times == pytest.approx(np.array([(0, 0, 2), (2, 0, 4)]), abs=0.05)
    for row, second in zip(rows, (4, 6), strict=True):
        assert _mean_colour(tmp_path / "out" / row["image"]) == pytest.approx(colours[second], abs=25)


def test_cli_summary_and_exit_status(videos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    argv = ["dataset", "from-videos", str(videos), "-o", str(out), "--every", "2", "--window", "4"]
    assert main(argv) == 1  # two videos failed
    captured = capsys.readouterr()
    assert captured.out == (
        f"4 videos: 9 pairs written to {out}/pairs.tsv (2 black and 2 near-duplicate frames skipped, "
        f"2 videos failed: see {out}/errors.tsv)\n"
    )
    assert f"picscore: skipped {videos / 'silent.mp4'}: no audio stream in the file" in captured.err

    assert main([*argv[:2], str(videos / "walk.webm"), "-o", str(out), "--every", "2", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["videos"], report["pairs"], report["failed"]) == (1, 3, [])
    assert len(read_pairs(out / "pairs.tsv")) == 3  # the second run replaced the first's rows

    assert main([*argv[:2], str(tmp_path / "nothing"), "-o", str(out)]) == 1
    assert "picscore: error: no such file or folder: " in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([*argv[:2], str(videos), "-o", str(out), "--every", "0"])
    assert "argument --every: must be more than 0, not 0" in capsys.readouterr().err
