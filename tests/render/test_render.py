"""`picscore render` end to end: decode the MP4 and check timing, cuts, sound, size and the file itself."""

from __future__ import annotations

import json
from itertools import pairwise
from pathlib import Path

import av
import numpy as np
import pytest

from picscore.cli import main
from picscore.library.indexer import index_paths
from picscore.library.store import Library
from picscore.media.audio_decode import decode_audio
from picscore.media.image_load import ImageLoadError
from picscore.render import frames
from picscore.render.soundtrack import stereo_loudness
from tests.conftest import write_clicks
from tests.curate.camera_roll import write_camera_roll
from tests.render.media import FRAME_SIZE, box_order, click_library, click_times, cut_times, luma_frames, set_taken, write_photos


@pytest.fixture(scope="module")
def clicks(tmp_path_factory) -> tuple[Path, dict]:
    """A library with a 120 BPM click track, indexed once for the module."""
    return click_library(tmp_path_factory.mktemp("clicks"))


def _render(library: Path, *arguments: str) -> int:
    return main(["--library", str(library), "render", *arguments, "-q"])


def _plan(library: Path, capsys, *arguments: str) -> dict:
    capsys.readouterr()
    assert _render(library, *arguments, "--plan-only") == 0
    return json.loads(capsys.readouterr().out)


def test_cuts_duration_audio_and_file_match_the_beats(clicks, tmp_path: Path, capsys) -> None:
    library, track = clicks
    write_photos(tmp_path / "photos", 7)
    options = [str(tmp_path / "photos"), "--track", str(track["id"]), "--size", FRAME_SIZE, "--fps", "24", "--transition", "cut"]
    plan = _plan(library, capsys, *options)
    out = tmp_path / "show.mp4"
    assert _render(library, *options, "-o", str(out)) == 0
    assert out.stat().st_mode & 0o777 == 0o644  # an ordinary file to share, not the temporary file's 0600

    fps = 24
    with av.open(str(out)) as container:
        video, sound = container.streams.video[0], container.streams.audio[0]
        assert (video.codec_context.width, video.codec_context.height, video.average_rate) == (320, 180, fps)
        assert video.codec_context.name == "h264" and video.codec_context.pix_fmt == "yuv420p"
        assert sound.codec_context.name == "aac" and sound.codec_context.channels == 2
        video_seconds = video.frames / fps
    assert video_seconds == pytest.approx(plan["duration_seconds"], abs=1 / fps)
    audio_seconds = decode_audio(out, sr=48000).duration_seconds
    assert audio_seconds == pytest.approx(video_seconds, abs=1 / fps)
    assert box_order(out).index("moov") < box_order(out).index("mdat")  # faststart

    cuts = cut_times(out)
    assert len(cuts) == 6  # one per change of photo, found in the pictures alone
    beats = track["beats"] - plan["excerpt_start_seconds"]
    assert np.abs(cuts[:, None] - beats[None, :]).min(axis=1).max() <= 1 / fps


def test_a_real_size_and_frame_rate_with_crossfades_centred_on_beats(clicks, tmp_path: Path, capsys) -> None:
    library, track = clicks
    photos = write_photos(tmp_path / "photos", 3, size=(640, 480))
    out = tmp_path / "tall.mp4"
    arguments = [
        *map(str, photos),
        "--track",
        str(track["id"]),
        "--aspect",
        "9:16",
        "--resolution",
        "720p",
        "--fps",
        "60",
        "--duration",
        "2",
        "--fade-in",  # no fade from and to black and no title: the brightness then changes only in the crossfades
        "0",
        "--fade-out",
        "0",
        "--title",
        "",
    ]
    start = _plan(library, capsys, *arguments)["excerpt_start_seconds"]
    assert _render(library, *arguments, "-o", str(out)) == 0
    with av.open(str(out)) as container:
        video = container.streams.video[0]
        assert (video.codec_context.width, video.codec_context.height, video.average_rate) == (720, 1280, 60)
        assert video.frames == 120
    # Each crossfade's halfway point (the mean brightness halfway between the two photos') falls on a beat.
    times, planes = luma_frames(out)
    brightness = planes.mean(axis=(1, 2))
    beats = track["beats"] - start
    settled = [5, 60, len(brightness) - 5]  # frames well inside each photo's time on screen
    for first, last in pairwise(settled):
        halfway = (brightness[first] + brightness[last]) / 2
        crossing = first + np.flatnonzero(np.diff(np.sign(brightness[first : last + 1] - halfway)) != 0)
        assert len(crossing) == 1
        instant = times[crossing[0] + 1]
        assert np.abs(beats - instant).min() <= 1 / 60


def test_the_music_is_normalised_and_faded(tmp_path: Path, capsys) -> None:
    library, track = click_library(tmp_path, bpm=100.0)
    write_photos(tmp_path / "photos", 4)
    out = tmp_path / "loud.mp4"
    arguments = [
        str(tmp_path / "photos"),
        "--track",
        str(track["id"]),
        "--size",
        FRAME_SIZE,
        "--fps",
        "24",
        "--fade-in",
        "1",
        "--fade-out",
        "1",
    ]
    assert _render(library, *arguments, "--loudness", "-30", "-o", str(out)) == 0
    samples = decode_audio(out, sr=48000, stereo=True).samples
    assert samples.shape[1] == 2
    assert stereo_loudness(samples, sr=48000) == pytest.approx(-30.0, abs=1.0)
    second = 48000
    middle = np.abs(samples[len(samples) // 2 - second : len(samples) // 2 + second]).max()
    assert np.abs(samples[: second // 10]).max() < 0.05 * middle  # the first 0.1 s of a 1 s fade-in is almost silent
    assert np.abs(samples[-second // 10 :]).max() < 0.05 * middle


def test_unreadable_photos_are_reported_and_skipped(clicks, tmp_path: Path, capsys) -> None:
    library, track = clicks
    write_photos(tmp_path / "photos", 3)
    broken = tmp_path / "photos" / "photo001.jpg"
    broken.write_bytes(b"not a jpeg at all")
    out = tmp_path / "show.mp4"
    options = ["--track", str(track["id"]), "--size", FRAME_SIZE, "--transition", "cut"]
    assert _render(library, str(tmp_path / "photos"), *options, "-o", str(out)) == 1
    assert f"picscore: skipped {broken}: " in capsys.readouterr().err
    assert len(cut_times(out)) == 1  # two photos shown

    for photo in (tmp_path / "photos").iterdir():
        photo.write_bytes(b"")
    assert _render(library, str(tmp_path / "photos"), "--track", str(track["id"]), "-o", str(tmp_path / "none.mp4")) == 1
    assert "picscore: error: none of the 3 photos could be read" in capsys.readouterr().err
    assert not (tmp_path / "none.mp4").exists()


def test_existing_output_is_kept_unless_forced(clicks, tmp_path: Path, capsys) -> None:
    library, track = clicks
    photos = write_photos(tmp_path / "photos", 2)
    out = tmp_path / "show.mp4"
    out.write_bytes(b"precious")
    arguments = [*map(str, photos), "--track", str(track["id"]), "--size", FRAME_SIZE, "-o", str(out)]
    assert _render(library, *arguments) == 1
    assert f"picscore: error: {out} exists; use --force to overwrite it" in capsys.readouterr().err
    assert out.read_bytes() == b"precious"
    assert _render(library, *arguments, "--force") == 0
    assert box_order(out)[0] == "ftyp"


@pytest.mark.parametrize(
    ("output", "reason"),
    [
        ("/sys/out.mp4", "cannot write in /sys ("),
        ("/proc/out.mp4", "cannot write in /proc ("),
        ("{tmp}/missing/out.mp4", "{tmp}/missing does not exist"),
        ("{tmp}/photos", "{tmp}/photos is a folder; give a file name like"),
    ],
)
def test_an_output_that_cannot_be_written_is_refused_before_any_work(clicks, tmp_path: Path, capsys, output: str, reason: str) -> None:
    library, track = clicks
    photos = write_photos(tmp_path / "photos", 2)
    output, reason = output.format(tmp=tmp_path), reason.format(tmp=tmp_path)
    assert _render(library, *map(str, photos), "--track", str(track["id"]), "--size", FRAME_SIZE, "-o", output) == 1
    err = capsys.readouterr().err
    assert err.startswith("picscore: error: ") and reason in err and len(err.strip().splitlines()) == 1  # one line, no traceback


def test_a_failed_render_leaves_no_file_behind(clicks, tmp_path: Path, capsys, monkeypatch) -> None:
    library, track = clicks
    photos = write_photos(tmp_path / "photos", 4)
    real_build = frames.build_canvas
    built = []

    def fail_on_the_third(path: str, **options):
        built.append(path)
        if len(built) == 3:
            raise ImageLoadError("the image data is truncated or corrupt (simulated)")
        return real_build(path, **options)

    monkeypatch.setattr("picscore.render.slideshow.build_canvas", fail_on_the_third)
    out = tmp_path / "out" / "show.mp4"
    out.parent.mkdir()
    assert _render(library, *map(str, photos), "--track", str(track["id"]), "--size", FRAME_SIZE, "-o", str(out)) == 1
    assert f"picscore: error: {photos[2]}: the image data is truncated or corrupt (simulated)" in capsys.readouterr().err
    assert list(out.parent.iterdir()) == []  # neither OUT.mp4 nor a temporary file


def test_a_track_whose_file_has_gone_is_a_clear_error(tmp_path: Path, capsys) -> None:
    library, track = click_library(tmp_path)
    photos = write_photos(tmp_path / "photos", 2)
    Path(track["path"]).unlink()
    assert _render(library, *map(str, photos), "--track", str(track["id"]), "-o", str(tmp_path / "x.mp4")) == 1
    err = capsys.readouterr().err
    assert f"track {track['id']}'s file is gone: {track['path']} (file not found)" in err
    assert not (tmp_path / "x.mp4").exists()


def test_an_edited_plan_renders_as_written(clicks, tmp_path: Path, capsys) -> None:
    library, track = clicks
    photos = write_photos(tmp_path / "photos", 3)
    plan = _plan(library, capsys, *map(str, photos), "--track", str(track["id"]), "--size", FRAME_SIZE, "--fps", "24")
    plan["transition"] = "cut"
    moved = plan["shots"][2]["start_seconds"] + 0.5  # a cut moved by hand, half a second later
    plan["shots"][1]["end_seconds"] = plan["shots"][2]["start_seconds"] = moved
    edited = tmp_path / "plan.json"
    edited.write_text(json.dumps(plan))
    out = tmp_path / "edited.mp4"
    assert _render(library, "--plan", str(edited), "-o", str(out)) == 0
    assert cut_times(out) == pytest.approx([plan["shots"][1]["start_seconds"], moved], abs=1 / 24)

    edited.write_text(json.dumps({**plan, "shots": []}))
    assert _render(library, "--plan", str(edited), "-o", str(tmp_path / "none.mp4")) == 1
    assert f"picscore: error: {edited}: the plan has no shots" in capsys.readouterr().err


def test_folders_globs_and_order_by_date(clicks, tmp_path: Path, capsys) -> None:
    library, track = clicks
    photos = write_photos(tmp_path / "photos", 3)
    for photo, taken in zip(photos, ("2024:05:03 10:00:00", "2024:05:01 10:00:00", "2024:05:02 10:00:00"), strict=True):
        set_taken(photo, taken)
    names = lambda plan: [Path(s["photo"]).name for s in plan["shots"]]  # noqa: E731
    options = ["--track", str(track["id"]), "--size", FRAME_SIZE]
    by_name = _plan(library, capsys, str(tmp_path / "photos" / "*.jpg"), *options, "--order", "name")
    assert names(by_name) == ["photo000.jpg", "photo001.jpg", "photo002.jpg"] and by_name["chapter_starts"] == []
    by_date = _plan(library, capsys, str(tmp_path / "photos"), *options)  # the default order
    assert names(by_date) == ["photo001.jpg", "photo002.jpg", "photo000.jpg"]
    assert by_date["chapter_starts"] == [1, 2]  # taken on three days: three chapters
    downbeats = np.array(by_date["downbeats_seconds"])
    for k in by_date["chapter_starts"]:  # each chapter opens on a downbeat
        assert np.abs(downbeats - by_date["shots"][k]["start_seconds"]).min() < 1e-6
    given = _plan(library, capsys, str(photos[2]), str(photos[0]), *options, "--order", "given")
    assert names(given) == ["photo002.jpg", "photo000.jpg"]


def test_auto_takes_the_top_suggestion(clicks, tmp_path: Path, capsys) -> None:
    library, track = clicks
    photos = write_photos(tmp_path / "photos", 2)
    capsys.readouterr()
    assert _render(library, *map(str, photos), "--auto", "--size", FRAME_SIZE, "--plan-only") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["track_id"] == track["id"]  # the only track in the library
    assert f"picscore: using track {track['id']}: " in captured.err


def test_a_length_beyond_the_track_repeats_phrases_on_the_beat_and_fades_the_picture(clicks, tmp_path: Path, capsys) -> None:
    library, track = clicks  # 30 s of clicks at 120 BPM
    photos = write_photos(tmp_path / "photos", 10)
    out = tmp_path / "long.mp4"
    arguments = [
        *map(str, photos),
        "--track",
        str(track["id"]),
        "--length",
        "60",
        "--size",
        FRAME_SIZE,
        "--fps",
        "24",
        "--transition",
        "cut",
    ]
    arguments += ["-o", str(out)]
    assert _render(library, *arguments) == 0
    assert "picscore: the music repeats " in capsys.readouterr().err
    samples = decode_audio(out, sr=48000).samples
    seconds = len(samples) / 48000
    assert abs(seconds - 60.0) <= 0.5  # the asked length, to a beat
    clicks = click_times(samples, sr=48000)
    steady = clicks[(clicks > 1.0) & (clicks < seconds - 3.0)]  # clear of the fades
    assert len(steady) > 100 and np.allclose(np.diff(steady), 0.5, atol=0.01)  # a click every beat, through every join
    grid = steady[0] + 0.5 * np.arange(-4, 130)
    cuts = cut_times(out)
    assert len(cuts) == 9 and all(np.abs(grid - cut).min() <= 1 / 24 + 0.01 for cut in cuts), (cuts, grid)  # every cut on a beat
    _, planes = luma_frames(out)
    brightness = planes.mean(axis=(1, 2))
    middle = brightness[len(brightness) // 2]
    assert brightness[0] < 0.2 * middle and brightness[-1] < 0.2 * middle  # from black, and back to it


def test_auto_takes_the_best_fitting_track_that_lasts_the_length(tmp_path: Path, capsys) -> None:
    music = tmp_path / "music"
    music.mkdir()
    write_clicks(music / "short.wav", bpm=120.0, seconds=12.0)
    write_clicks(music / "long.wav", bpm=120.0, seconds=60.0)
    library = tmp_path / "library.db"
    with Library(library) as opened:
        index_paths(opened, [music], jobs=1, encoders=(), progress=False)
        long_id = next(t["id"] for t in opened.list_tracks() if t["path"].endswith("long.wav"))
    photos = write_photos(tmp_path / "photos", 6)
    capsys.readouterr()
    assert _render(library, *map(str, photos), "--auto", "--length", "40", "--size", FRAME_SIZE, "--plan-only") == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["track_id"] == long_id and plan["music_pieces"] == []  # the short track would have had to repeat
    assert abs(plan["duration_seconds"] - 40.0) <= 0.5


def test_best_shows_only_good_frames_of_distinct_scenes(clicks, tmp_path: Path, capsys) -> None:
    library, track = clicks
    roll = write_camera_roll(tmp_path / "roll", seed=11)
    capsys.readouterr()
    assert _render(library, str(roll.folder), "--track", str(track["id"]), "--best", "6", "--size", FRAME_SIZE, "--plan-only") == 0
    captured = capsys.readouterr()
    shown = [Path(shot["photo"]).name for shot in json.loads(captured.out)["shots"]]
    assert len(shown) == 6 and len({roll.scene_of[name] for name in shown}) == 6
    assert {roll.kind_of[name] for name in shown} == {"burst"}
    assert f"picscore: showing 6 of {len(roll.scene_of)} photos" in captured.err


def test_a_title_is_written_over_the_first_photo(clicks, tmp_path: Path, capsys) -> None:
    library, track = clicks
    photos = write_photos(tmp_path / "photos", 3)
    bright = {}
    for title in ("Lisbon, May 2026", ""):
        out = tmp_path / f"titled{bool(title)}.mp4"
        assert _render(library, *map(str, photos), "--track", str(track["id"]), "--size", FRAME_SIZE, "--title", title, "-o", str(out)) == 0
        times, planes = luma_frames(out)
        first_shot = planes[(times > 1.5) & (times < 3.0)]
        band = first_shot[:, int(0.6 * planes.shape[1]) : int(0.85 * planes.shape[1])]  # the lower third, where it sits
        bright[title] = float(np.mean(band >= 200))
    assert bright[""] < 0.01 and bright["Lisbon, May 2026"] > 0.02  # white letters over the grey photo
    plan = _plan(library, capsys, *map(str, photos), "--track", str(track["id"]), "--size", FRAME_SIZE)
    assert plan["title"]  # by default the days the photos were taken


def test_a_camera_roll_becomes_a_video_of_the_asked_length_in_chapters(tmp_path: Path, capsys) -> None:
    # The check: about 300 photos of two days, and a library whose only (so best-fitting) track lasts 40 s.
    library, _ = click_library(tmp_path, bpm=120.0, seconds=40.0)
    roll = write_camera_roll(tmp_path / "Trip", seed=13, burst=(5, 9), dated=True)
    assert len(roll.scene_of) >= 280
    arguments = [str(roll.folder), "--auto", "--length", "90", "--size", FRAME_SIZE, "--fps", "24", "--transition", "cut"]
    capsys.readouterr()
    assert _render(library, *arguments, "--plan-only") == 0
    captured = capsys.readouterr()
    plan = json.loads(captured.out)
    assert "picscore: the music repeats " in captured.err and f"of {len(roll.scene_of)} photos" in captured.err
    shown = [Path(shot["photo"]).name for shot in plan["shots"]]
    assert len(shown) == 28 and len({roll.scene_of[name] for name in shown}) == 28 and {roll.kind_of[n] for n in shown} == {"burst"}
    days = [roll.scene(name) >= 15 for name in shown]
    assert days == sorted(days) and plan["chapter_starts"] == [days.index(True)]  # the second day opens a chapter
    out = tmp_path / "trip.mp4"
    assert _render(library, *arguments, "-o", str(out)) == 0
    samples = decode_audio(out, sr=48000).samples
    seconds = len(samples) / 48000
    assert abs(seconds - 90.0) <= 0.5  # 90 s, to a beat
    clicks = click_times(samples, sr=48000)
    steady = clicks[(clicks > 1.0) & (clicks < seconds - 3.0)]
    assert np.allclose(np.diff(steady), 0.5, atol=0.01)  # every join of the repeated phrases on the beat
    beats = np.array(plan["beats_seconds"])
    assert all(np.abs(beats - shot["start_seconds"]).min() < 1e-6 for shot in plan["shots"])  # every cut on a planned beat ...
    assert all(np.abs(beats - click).min() <= 0.02 for click in steady)  # ... and the planned beats are where the clicks sound
    with av.open(str(out)) as container:
        assert abs(container.streams.video[0].frames / 24 - 90.0) <= 0.5
