"""The API for the page's camera-roll flow on a real server: an upload in batches (a broken file skipped, the
others kept), curation with its verdicts in capture order, chapters and a date title, suggestions for the photos
chosen, and a preview render of those photos in the order given, naming its track."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path

import av
import httpx
import pytest

from picscore.serve.app import PREVIEW_FPS, PREVIEW_SHORT_SIDE_PIXELS, ServeConfig
from picscore.serve.uploads import UploadLimits
from tests.curate.camera_roll import CameraRoll, write_camera_roll
from tests.serve.server import running

LIMITS = UploadLimits(max_files=4, max_file_bytes=2 * 1024 * 1024, max_pixels=4_000_000, max_upload_photos=40)
SCENES = (0, 3, 17)  # 0 and 3 taken on 3 May 2026, 17 on 4 May (camera_roll.py's dates)


@pytest.fixture(scope="module")
def served(serve_library: Path) -> Iterator[httpx.Client]:
    with running(ServeConfig(library=serve_library, limits=LIMITS)) as (url, _), httpx.Client(base_url=url, timeout=120) as client:
        yield client


@pytest.fixture(scope="module")
def roll(tmp_path_factory: pytest.TempPathFactory) -> CameraRoll:
    """Three dated scenes, each a burst of 2 frames, a blurred, an over- and an under-exposed one; one screenshot."""
    return write_camera_roll(tmp_path_factory.mktemp("roll"), seed=3, n_screenshots=1, burst=(2, 2), dated=True, only=SCENES)


def finished(client: httpx.Client, job: dict) -> dict:
    """The render job's state once it has ended (done, asserted)."""
    deadline = time.monotonic() + 300  # a guard against hanging, not a speed requirement
    while job["state"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
        job = client.get(f"/api/renders/{job['id']}").json()
    assert job["state"] == "done", job
    return job


def send(client: httpx.Client, path: str, files: list[tuple[str, bytes]]) -> httpx.Response:
    return client.post(path, files=[("files", (name, data, "application/octet-stream")) for name, data in files])


@pytest.fixture(scope="module")
def uploaded(served: httpx.Client, roll: CameraRoll) -> dict:
    """The roll sent as the page sends it: a first request that only keeps the photos, then batches of 4, one of them
    with a broken file; returns the upload id and every response."""
    files = [(name, (roll.folder / name).read_bytes()) for name in sorted(roll.scene_of)]
    files.insert(5, ("broken.jpg", files[0][1][:300]))
    first = send(served, "/api/uploads?suggest=false", files[:4])
    assert first.status_code == 201, first.text
    upload_id = first.json()["upload_id"]
    more = [send(served, f"/api/uploads/{upload_id}/photos", files[i : i + 4]) for i in range(4, len(files), 4)]
    return {"upload_id": upload_id, "responses": [first, *more], "names": [name for name, _ in files if name != "broken.jpg"]}


def test_a_roll_arrives_in_batches_and_a_broken_file_is_skipped(uploaded: dict, roll: CameraRoll) -> None:
    responses = uploaded["responses"]
    assert [r.status_code for r in responses] == [201] * len(responses)
    assert "suggestions" not in responses[0].json()
    skipped = [s for r in responses for s in r.json()["skipped"]]
    assert [s["name"] for s in skipped] == ["broken.jpg"] and skipped[0]["reason"].startswith("broken.jpg: ")
    assert responses[-1].json()["total"] == len(roll.scene_of)
    indices = [p["index"] for r in responses for p in r.json()["photos"]]
    assert indices == list(range(len(roll.scene_of)))  # the skipped file takes no place


def test_curation_keeps_one_good_frame_of_each_scene_in_capture_order(served: httpx.Client, uploaded: dict, roll: CameraRoll) -> None:
    curation = served.get(f"/api/uploads/{uploaded['upload_id']}/curation").json()
    names = uploaded["names"]
    kept = [names[i] for i in curation["kept"]]
    assert sorted(roll.scene(n) for n in kept) == sorted(SCENES)  # one of each scene, no screenshot
    assert all(roll.kind_of[n] == "burst" for n in kept)
    assert [roll.scene_of[n] for n in kept] == sorted(SCENES)  # in the order they were taken
    assert curation["chapters"] == [curation["kept"][2]]  # the next day starts a chapter
    assert curation["title"] == "3–4 May 2026"
    verdicts = {names[v["index"]]: v for v in curation["photos"]}
    screenshot = next(n for n, kind in roll.kind_of.items() if kind == "screenshot")
    assert not verdicts[screenshot]["kept"] and "screenshot" in verdicts[screenshot]["reason"]
    duplicates = [v for n, v in verdicts.items() if v["reason"].startswith("a near-duplicate of ")]
    assert duplicates and all(v["reason"].removeprefix("a near-duplicate of ") in kept for v in duplicates)  # named as the user knows it
    assert "/" not in "".join(v["reason"] for v in curation["photos"])  # no server paths


def test_curation_for_a_short_length_keeps_fewer(served: httpx.Client, uploaded: dict) -> None:
    curation = served.get(f"/api/uploads/{uploaded['upload_id']}/curation", params={"best": 2}).json()
    assert len(curation["kept"]) == 2 and curation["best"] == 2
    assert sum(v["reason"].startswith("not among the best") for v in curation["photos"]) == 1


def test_suggestions_for_the_chosen_photos_and_a_preview_in_their_order(served: httpx.Client, uploaded: dict) -> None:
    upload_id = uploaded["upload_id"]
    kept = served.get(f"/api/uploads/{upload_id}/curation").json()["kept"]
    chosen = [kept[2], kept[0]]
    result = served.get(f"/api/uploads/{upload_id}/suggestions", params={"photos": chosen}).json()
    assert [p["index"] for p in result["photos"]] == chosen and all(p["mood"]["words"] for p in result["photos"])
    track = result["suggestions"][0]["track"]
    request = {"upload_id": upload_id, "track_id": track["id"], "photos": chosen, "preview": True, "aspect": "9:16", "title": "Trip"}
    job = served.post("/api/renders", json=request).json()
    assert job["preview"] and job["photos"] == 2 and job["track"]["id"] == track["id"] and job["track"]["file"] == track["file"]
    job = finished(served, job)
    with av.open(io.BytesIO(served.get(job["video_url"]).content)) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (PREVIEW_SHORT_SIDE_PIXELS, 2 * round(PREVIEW_SHORT_SIDE_PIXELS * 16 / 9 / 2))
        assert stream.average_rate is not None and float(stream.average_rate) == PREVIEW_FPS


def test_a_track_for_each_chapter(served: httpx.Client, uploaded: dict) -> None:
    upload_id = uploaded["upload_id"]
    curation = served.get(f"/api/uploads/{upload_id}/curation").json()
    kept = curation["kept"]  # three photos; the third starts the second day
    request = {"upload_id": upload_id, "photos": kept, "preview": True, "duration_seconds": 90, "track_per_chapter": True}
    job = finished(served, served.post("/api/renders", json=request).json())
    first, second = job["tracks"]  # 90 s of three photos: 60 s for the first day's two, 30 s for the next day's one
    assert first["id"] != second["id"] and job["track"] == first
    repeats = job["repeats"].split("; ")  # every track here is shorter than its share: each repeats phrases, and says so
    assert len(repeats) == 2 and all(f"of track {t['id']} " in r for r, t in zip(repeats, (first, second), strict=True))
    with av.open(io.BytesIO(served.get(job["video_url"]).content)) as container:
        audio = container.streams.audio[0]
        assert audio.duration is not None and audio.time_base is not None
        assert abs(audio.duration * audio.time_base - 90) <= 2 * 60 / 84  # half a bar
    assert served.post("/api/renders", json={**request, "track_id": first["id"]}).status_code == 422  # one or the other
    assert served.post("/api/renders", json={**request, "track_per_chapter": False}).status_code == 422


def test_suggestions_say_which_tracks_last_the_asked_length(served: httpx.Client, uploaded: dict) -> None:
    # The library's tracks last 14, 14 and 20 s: a 17 s video of two photos fits only in the 20 s one as it is.
    upload_id = uploaded["upload_id"]
    chosen = served.get(f"/api/uploads/{upload_id}/curation").json()["kept"][:2]
    lasting = {}
    for seconds in (17, 60):
        params = {"photos": chosen, "length_seconds": seconds}
        found = served.get(f"/api/uploads/{upload_id}/suggestions", params=params).json()["suggestions"]
        lasting[seconds] = {s["track"]["file"] for s in found if s["lasts"]}
        assert len(found) == 3
    assert lasting == {17: {"clicks.wav"}, 60: set()}
    assert served.get(f"/api/uploads/{upload_id}/suggestions", params={"length_seconds": 0}).status_code == 422


@pytest.mark.parametrize(
    ("photos", "status", "message"),
    [([0, 0], 422, "photos: each photo may be listed once"), ([0, 99], 404, "upload "), ([], 422, "photos: list at least one")],
)
def test_bad_photo_lists_are_refused(served: httpx.Client, uploaded: dict, photos: list[int], status: int, message: str) -> None:
    track_id = served.get("/api/library/tracks").json()["tracks"][0]["id"]
    response = served.post("/api/renders", json={"upload_id": uploaded["upload_id"], "track_id": track_id, "photos": photos})
    assert response.status_code == status and response.json()["detail"].startswith(message)


def test_an_upload_holds_at_most_its_limit(served: httpx.Client, roll: CameraRoll) -> None:
    photo = (roll.folder / sorted(roll.scene_of)[0]).read_bytes()
    upload_id = send(served, "/api/uploads?suggest=false", [("first.jpg", photo)]).json()["upload_id"]
    while (response := send(served, f"/api/uploads/{upload_id}/photos", [("more.jpg", photo)] * 4)).status_code == 201:
        pass
    assert response.status_code == 413 and response.json()["detail"].startswith("too many photos: ")
    assert response.json()["detail"].endswith(f"at most {LIMITS.max_upload_photos} in one upload")


def test_the_options_the_page_offers_and_its_icon(served: httpx.Client) -> None:
    options = served.get("/api/options").json()
    assert len(options["moods"]) == 17 and "melancholic" in options["moods"]
    assert options["aspects"] == ["16:9", "9:16", "1:1"] and "slide" in options["transitions"]
    assert options["max_files_per_request"] == LIMITS.max_files
    icon = served.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
