"""The HTTP API on a real server: uploads and suggestions, audio with range requests, a render round trip,
feedback, library search, bad inputs (each refused with the right status, nothing kept) and the token."""

from __future__ import annotations

import io
import json
import threading
import time
import wave
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
import httpx
import numpy as np
import pytest
from PIL import Image

from picscore.cli import main
from picscore.crash_report import CRASH_DIR_ENV
from picscore.library.indexer import index_paths
from picscore.library.store import Library
from picscore.moods.plane import MOOD_WORDS
from picscore.serve.app import ServeConfig
from picscore.serve.jobs import QueueFull, RenderQueue
from picscore.serve.uploads import UploadLimits
from tests.conftest import write_song
from tests.render.media import write_photos
from tests.serve.server import music_library, running

LIMITS = UploadLimits(max_files=4, max_file_bytes=2 * 1024 * 1024, max_pixels=4_000_000)


@pytest.fixture(scope="module")
def served(serve_library: Path) -> Iterator[tuple[httpx.Client, object]]:
    """A client of a server on the session library with small limits, and the server's state."""
    with running(ServeConfig(library=serve_library, limits=LIMITS)) as (url, app), httpx.Client(base_url=url, timeout=120) as client:
        yield client, app.state.server


@pytest.fixture(scope="module")
def uploaded(served, photos: list[Path]) -> dict:
    """The response to uploading the beach and the night street."""
    client, _ = served
    response = client.post("/api/uploads", files=[("files", (p.name, p.read_bytes(), "image/png")) for p in photos[:2]])
    assert response.status_code == 201, response.text
    return response.json()


def stored_uploads(server) -> list[str]:
    return sorted(p.name for p in server.uploads.folder("uploads").iterdir())


def image_feature_rows(library_file: Path) -> int:
    with Library(library_file) as library:
        return library._db.execute("SELECT count(*) FROM image_features").fetchone()[0]


def png_bytes(size: tuple[int, int], *, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, 90).save(buffer, format="PNG")
    return buffer.getvalue()


def test_upload_gives_moods_and_ranked_explained_suggestions(served, uploaded: dict, photos: list[Path], tmp_path: Path, capsys) -> None:
    client, _ = served
    assert [p["name"] for p in uploaded["photos"]] == ["sunny_beach.png", "night_street.png"]
    assert all(p["mood"]["words"] in MOOD_WORDS and -1 <= p["mood"]["valence"] <= 1 for p in uploaded["photos"])
    beach, night = uploaded["photos"]
    for photo in (beach, night):  # the learned picture mood, as `picscore tags` gives it
        assert main(["--library", str(tmp_path / "other.db"), "tags", str(photos[0].parent / photo["name"]), "--json"]) == 0
        assert json.loads(capsys.readouterr().out)[0]["mood"] == photo["mood"]
    assert uploaded["mood"]["valence"] == pytest.approx((beach["mood"]["valence"] + night["mood"]["valence"]) / 2, abs=1e-3)
    ranked = uploaded["suggestions"]
    assert [s["rank"] for s in ranked] == [1, 2, 3]
    assert [s["score"] for s in ranked] == sorted((s["score"] for s in ranked), reverse=True)
    assert {s["track"]["file"] for s in ranked} == {"bright.wav", "dusk.mp3", "clicks.wav"}
    assert all("BPM" in s["reasons"] and s["end_seconds"] > s["start_seconds"] >= 0 for s in ranked)
    assert all("path" not in s["track"] for s in ranked)  # clients see file names, never server paths
    thumbnail = client.get(beach["thumbnail_url"])
    assert thumbnail.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(thumbnail.content)).size == (320, 240)  # the 480x360 photo, at most 320 px


def test_suggestions_again_with_a_mood(served, uploaded: dict) -> None:
    client, _ = served
    calmer = client.get(f"/api/uploads/{uploaded['upload_id']}/suggestions", params={"mood": "calmer", "top": 2})
    assert calmer.status_code == 200
    assert len(calmer.json()["suggestions"]) == 2
    wrong = client.get(f"/api/uploads/{uploaded['upload_id']}/suggestions", params={"mood": "grumpy"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"].startswith("unknown mood 'grumpy'")


def test_audio_supports_range_requests_and_the_highlight_plays_as_wav(served, uploaded: dict, serve_library: Path) -> None:
    client, _ = served
    track = uploaded["suggestions"][0]["track"]
    with Library(serve_library) as library:
        row = library.known_track(track["id"])
    data = Path(row["path"]).read_bytes()
    whole = client.get(track["audio_url"])
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["accept-ranges"] == "bytes"
    part = client.get(track["audio_url"], headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
    assert part.content == data[1000:2000]
    highlight = client.get(f"/api/tracks/{track['id']}/highlight")
    with wave.open(io.BytesIO(highlight.content)) as excerpt:
        assert excerpt.getnchannels() == 2 and excerpt.getframerate() == 44100
        seconds = excerpt.getnframes() / 44100
    assert seconds == pytest.approx(row["highlight_end"] - row["highlight_start"], abs=0.01)


def test_render_job_round_trip(served, uploaded: dict) -> None:
    client, _ = served
    track_id = uploaded["suggestions"][0]["track"]["id"]
    request = {"upload_id": uploaded["upload_id"], "track_id": track_id, "width": 320, "height": 180, "fps": 24, "duration_seconds": 4}
    started = client.post("/api/renders", json=request)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["state"] in ("queued", "running") and job["frames"] == round(job["duration_seconds"] * 24)
    seen = [job["progress"]]
    deadline = time.monotonic() + 300  # a guard against hanging, not a speed requirement
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = client.get(f"/api/renders/{job['id']}").json()
        seen.append(job["progress"])
    assert job["state"] == "done", job
    assert seen == sorted(seen) and seen[-1] == 1.0
    video = client.get(job["video_url"])
    assert video.headers["content-type"] == "video/mp4"
    with av.open(io.BytesIO(video.content), "r") as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (320, 180)
        assert len(container.streams.audio) == 1
        assert container.duration is not None
        assert float(container.duration / av.time_base) == pytest.approx(job["duration_seconds"], abs=0.1)
    assert client.get(job["video_url"], headers={"Range": "bytes=0-99"}).status_code == 206
    download = client.get(job["download_url"])
    assert download.headers["content-disposition"].startswith("attachment")


def test_feedback_is_stored_with_a_lasting_copy_of_the_photos(served, uploaded: dict, serve_library: Path) -> None:
    client, _ = served
    track_id = uploaded["suggestions"][1]["track"]["id"]
    with Library(serve_library) as library:
        earlier = len(library.feedback())  # the library is shared with other test files, which may have rated tracks
    response = client.post("/api/feedback", json={"upload_id": uploaded["upload_id"], "track_id": track_id, "kept": False, "photos": [1]})
    assert response.status_code == 201
    assert response.json()["recorded"] == 1
    with Library(serve_library) as library:
        rows = library.feedback()[earlier:]
    assert len(rows) == 1 and rows[0]["kept"] is False and rows[0]["track_id"] == track_id
    kept_copy = Path(rows[0]["photo_path"])
    assert kept_copy.parent == serve_library.parent / "feedback-photos" and kept_copy.stat().st_size > 0
    unknown = client.post("/api/feedback", json={"upload_id": uploaded["upload_id"], "track_id": 9999, "kept": True})
    assert unknown.status_code == 404


def test_library_stats_and_search(served, serve_library: Path) -> None:
    client, _ = served
    assert client.get("/api/library/stats").json()["tracks"] == 3
    clicks = client.get("/api/library/tracks", params={"q": "CLICKS"}).json()
    assert [t["file"] for t in clicks["tracks"]] == ["clicks.wav"]
    calm = client.get("/api/library/tracks", params={"mood": "calm"}).json()["tracks"]
    arousal = [t["arousal"] for t in calm]
    assert len(calm) == 3 and arousal == sorted(arousal)  # calm points straight down the arousal axis


GOOD = png_bytes((64, 48))


@pytest.mark.parametrize(
    ("files", "status", "message"),
    [
        ([("notes.jpg", b"these are not pixels " * 50)], 422, "notes.jpg: not an image file"),
        ([("empty.png", b"")], 422, "empty.png: the file is empty (0 bytes)"),
        ([("huge.png", png_bytes((2400, 1800), mode="L"))], 422, "huge.png: image too large: 2400x1800 pixels"),
        ([("big.png", np.random.default_rng(1).bytes(3 * 1024 * 1024))], 413, "big.png: larger than the limit of 2,097,152 bytes"),
        ([(f"p{i}.png", GOOD) for i in range(5)], 413, "too many files: 5, at most 4 per request"),
        ([("notes.png", b"words " * 9), ("broken.png", GOOD[:40])], 422, "none of the 2 photos can be used: notes.png: not an image"),
        ([("whole.png", b"\0" * (10 * 1024 * 1024))], 413, "the request is 10,485,"),
    ],
    ids=["not-an-image", "zero-bytes", "too-many-pixels", "too-many-bytes", "too-many-files", "two-bad", "request-too-big"],
)
def test_bad_uploads_are_refused_and_nothing_is_kept(served, serve_library: Path, files, status: int, message: str) -> None:
    client, server = served
    before = (stored_uploads(server), image_feature_rows(serve_library))
    response = client.post("/api/uploads", files=[("files", (name, data, "image/png")) for name, data in files])
    assert response.status_code == status
    assert response.json()["detail"].startswith(message)
    assert (stored_uploads(server), image_feature_rows(serve_library)) == before


def test_a_bad_photo_beside_good_ones_is_skipped_and_reported(served) -> None:
    client, server = served
    response = client.post("/api/uploads", files=[("files", (n, d, "image/png")) for n, d in [("ok.png", GOOD), ("broken.png", GOOD[:40])]])
    assert response.status_code == 201
    body = response.json()
    assert [p["name"] for p in body["photos"]] == ["ok.png"]
    assert [s["name"] for s in body["skipped"]] == ["broken.png"] and body["skipped"][0]["reason"].startswith("broken.png: ")
    assert [p.path.name for p in server.uploads.get(body["upload_id"]).photos] == ["photo-0.png"]


def test_a_phone_photo_over_the_pixel_limit_is_taken_through_a_reduced_decode(served) -> None:
    client, _ = served
    buffer = io.BytesIO()
    Image.new("RGB", (8000, 5400), (120, 140, 90)).save(buffer, format="JPEG", quality=80)  # 43 MP against a 4 MP limit
    response = client.post("/api/uploads", files=[("files", ("phone.jpg", buffer.getvalue(), "image/jpeg"))])
    assert response.status_code == 201, response.text
    photo = response.json()["photos"][0]
    assert (photo["width"], photo["height"]) == (8000, 5400)
    with Image.open(io.BytesIO(client.get(photo["thumbnail_url"]).content)) as thumbnail:
        assert max(thumbnail.size) == 320


def test_path_like_names_never_reach_the_file_system(served, tmp_path: Path) -> None:
    client, server = served
    [photo] = write_photos(tmp_path / "in", 1)
    name = "../../../escaped.jpg"
    response = client.post("/api/uploads", files=[("files", (name, photo.read_bytes(), "image/jpeg"))])
    assert response.status_code == 201
    assert response.json()["photos"][0]["name"] == "escaped.jpg"
    upload = server.uploads.get(response.json()["upload_id"])
    assert [p.path.name for p in upload.photos] == ["photo-0.jpg"]
    assert not list(server.uploads.root.parent.glob("**/escaped.jpg"))
    assert client.get("/api/uploads/..%2F..%2Fetc/suggestions").status_code == 404
    assert client.get(f"/api/uploads/{upload.id}/photos/7/thumbnail").status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"track_id": 9999}, 404, "no track 9999"),
        ({"upload_id": "nope"}, 404, "no upload 'nope'"),
        ({"width": 320}, 422, "give both width and height"),
        ({"fps": 25}, 422, "fps: Input should be 24, 30 or 60"),
        ({"width": 321, "height": 180}, 422, "width: Input should be a multiple of 2"),
    ],
)
def test_bad_render_requests(served, uploaded: dict, change: dict, status: int, message: str) -> None:
    client, _ = served
    request = {"upload_id": uploaded["upload_id"], "track_id": uploaded["suggestions"][0]["track"]["id"], **change}
    response = client.post("/api/renders", json=request)
    assert response.status_code == status
    assert response.json()["detail"].startswith(message)


def test_the_token_is_required_when_set(serve_library: Path) -> None:
    with running(ServeConfig(library=serve_library, token="s3cret")) as (url, app), httpx.Client(base_url=url) as client:
        private_area = app.state.server.uploads.root
        assert private_area.stat().st_mode & 0o077 == 0  # only this user may look inside
        assert client.get("/api/library/stats").status_code == 401
        assert client.get("/api/library/stats", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/api/library/stats", headers={"Authorization": "Bearer s3cret"}).json()["tracks"] == 3
        with httpx.Client(base_url=url, cookies={"picscore_token": "s3cret"}) as page_client:  # what the page's audio and video send
            assert page_client.get("/api/library/stats").status_code == 200
        refused = client.post("/api/uploads", files=[("files", ("a.png", GOOD, "image/png"))], headers={"Authorization": "Bearer no"})
        assert refused.status_code == 401
        assert client.get("/").status_code == 200  # the page itself holds no data
        assert "/api/uploads" in client.get("/openapi.json").json()["paths"]
    assert not private_area.exists()  # removed when the server stops


def test_the_render_queue_is_bounded(tmp_path: Path, serve_library: Path, photos: list[Path]) -> None:
    from picscore.render.plan import plan_slideshow

    with Library(serve_library) as library:
        track = library.known_track(library.list_tracks()[0]["id"])
    plan = plan_slideshow([(str(photos[0]), (0.5, 0.5))], track, width=64, height=36, fps=24)
    renders = RenderQueue(tmp_path, workers=0, max_waiting=2)
    renders.submit(plan)
    renders.submit(plan)
    with pytest.raises(QueueFull, match="2 renders are already waiting"):
        renders.submit(plan)


def test_serving_beyond_localhost_needs_a_token(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.delenv("PICSCORE_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0"]) == 1
    assert "set an API token with --token or $PICSCORE_TOKEN" in capsys.readouterr().err


def test_suggestions_while_the_indexer_adds_a_track(tmp_path: Path, photos: list[Path]) -> None:
    library_file = music_library(tmp_path / "lib")
    late = tmp_path / "late"
    late.mkdir()
    write_song(late / "late.flac", tonic="D", mode="major", bpm=100, seed=9, seconds=10.0)
    with running(ServeConfig(library=library_file)) as (url, _), httpx.Client(base_url=url, timeout=120) as client:
        party = [("files", (photos[2].name, photos[2].read_bytes(), "image/png"))]
        upload_id = client.post("/api/uploads", files=party).json()["upload_id"]

        def index() -> None:
            with Library(library_file) as library:
                index_paths(library, [late], jobs=1, encoders=(), progress=False)

        indexer = threading.Thread(target=index)
        indexer.start()
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: client.get(f"/api/uploads/{upload_id}/suggestions").status_code, range(40)))
        indexer.join()
        assert answers == [200] * 40
        after = client.get(f"/api/uploads/{upload_id}/suggestions").json()["suggestions"]
        assert "late.flac" in {s["track"]["file"] for s in after}  # the server reloaded the grown library
        assert client.get("/api/library/stats").json()["tracks"] == 4
    with Library(library_file) as library:
        assert library._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_an_empty_library_serves_but_suggests_nothing(tmp_path: Path, photos: list[Path]) -> None:
    with running(ServeConfig(library=tmp_path / "empty.db")) as (url, app), httpx.Client(base_url=url, timeout=120) as client:
        assert client.get("/api/library/stats").json()["tracks"] == 0
        response = client.post("/api/uploads", files=[("files", (photos[0].name, photos[0].read_bytes(), "image/png"))])
        assert response.status_code == 409
        assert response.json()["detail"] == "the library is empty: add music with `picscore index FOLDER` first"
        assert stored_uploads(app.state.server) == []


def test_a_render_of_the_best_photos_keeps_one_frame_of_each_scene(served) -> None:
    from tests.curate.camera_roll import scenes

    client, _ = served
    shots = [scenes()[0], scenes()[0].transform((480, 360), Image.Transform.AFFINE, (0.97, 0, 6, 0, 0.97, 4)), scenes()[4]]
    files = []
    for k, shot in enumerate(shots):
        buffer = io.BytesIO()
        shot.save(buffer, format="JPEG", quality=90)
        files.append(("files", (f"frame{k}.jpg", buffer.getvalue(), "image/jpeg")))
    upload = client.post("/api/uploads", files=files).json()
    track_id = upload["suggestions"][0]["track"]["id"]
    request = {"upload_id": upload["upload_id"], "track_id": track_id, "width": 64, "height": 36, "fps": 24, "best": 5, "title": "Trip"}
    started = client.post("/api/renders", json=request)
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["photos"] == 2  # the two frames of the first scene count once


def test_an_unexpected_failure_is_a_500_with_one_line_naming_its_report(served, tmp_path: Path, monkeypatch) -> None:
    client, _ = served
    monkeypatch.setenv(CRASH_DIR_ENV, str(tmp_path))

    def broken_stats(self: Library) -> dict:
        raise KeyError("a bug in picscore")

    monkeypatch.setattr(Library, "stats", broken_stats)
    response = client.get("/api/library/stats")
    assert response.status_code == 500
    [report] = tmp_path.iterdir()
    assert response.json() == {"detail": f"unexpected failure (KeyError: 'a bug in picscore'); full report in {report}"}
    assert "context: GET /api/library/stats" in report.read_text() and "broken_stats" in report.read_text()
