"""Abuse of a real `picscore serve` on loopback: oversized and malformed bodies, hostile file names and URL parameters,
wrong tokens, more renders than the queue takes, and bad JSON.

Each case is one request. A refusal has its exact status and a one-line JSON `detail`, and keeps nothing: no file in
the server's private area, no feedback row, no render job, no crash report. A hostile file name may instead be
stored, but only under a server-chosen name inside the upload area. The token comparison is constant-time by reading
the code (`_Guard.dispatch` in serve/app.py compares with secrets.compare_digest); a test cannot time it, so the token
cases assert refusals only. The case counts go to test-artifacts/robustness/abuse.json.
"""

from __future__ import annotations

import http.client
import json
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from picscore.crash_report import CRASH_DIR_ENV
from picscore.serve.app import MAX_JSON_BODY_BYTES, ServeConfig
from picscore.serve.uploads import UploadLimits
from tests.robustness.http import feedback_rows, jpeg_bytes, photo_parts, readable_error, wait_for_render, write_artifact
from tests.serve.server import music_library, running

LIMITS = UploadLimits(max_files=4, max_file_bytes=256 * 1024, max_pixels=4_000_000)
RENDER_WORKERS = 1
MAX_WAITING_RENDERS = 2
TOKEN = "correct-horse-battery-staple"
BOUNDARY = "picscore-abuse-boundary"
MULTIPART = {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
PHOTO = jpeg_bytes(seed=1)
SAFE_FILE = re.compile(r"uploads/[0-9a-f]{24}/photo-\d+\.(jpg|png)|renders/[0-9a-f]{24}\.mp4")  # what the area may hold
COUNTS = {"cases": 0, "refused": 0}  # every abuse request sent, and those refused (4xx, or 503 when busy)


@dataclass(frozen=True)
class Served:
    """A client of the server under abuse, the server's state (`picscore.serve.app._Server`) and its library file."""

    client: httpx.Client
    url: str
    server: Any
    library: Path
    crash_reports: Path


@pytest.fixture(scope="module", autouse=True)
def abuse_counts() -> Iterator[None]:
    """Write the module's case counts once its tests have run."""
    yield
    write_artifact("abuse", COUNTS)


@pytest.fixture(scope="module")
def crash_reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the server writes a report of an unexpected failure (a 500) while these tests run: it must stay empty."""
    folder = tmp_path_factory.mktemp("crash-reports")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CRASH_DIR_ENV, str(folder))
        yield folder


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory, crash_reports: Path) -> Iterator[Served]:
    library = music_library(tmp_path_factory.mktemp("abuse-library"))
    config = ServeConfig(library=library, limits=LIMITS, render_workers=RENDER_WORKERS, max_waiting_renders=MAX_WAITING_RENDERS)
    with running(config) as (url, app), httpx.Client(base_url=url, timeout=120) as client:
        yield Served(client, url, app.state.server, library, crash_reports)


@pytest.fixture(scope="module")
def guarded(served: Served) -> Iterator[Served]:
    """A second server on the same library that wants the API token `TOKEN`."""
    config = ServeConfig(library=served.library, limits=LIMITS, token=TOKEN)
    with running(config) as (url, app), httpx.Client(base_url=url, timeout=120) as client:
        yield Served(client, url, app.state.server, served.library, served.crash_reports)


@pytest.fixture(scope="module")
def upload(served: Served) -> dict[str, Any]:
    """A good upload of two photos, with its suggestions: the ids that requests abuse."""
    response = served.client.post("/api/uploads", files=photo_parts([jpeg_bytes(seed=2), jpeg_bytes(seed=3)]))
    assert response.status_code == 201, response.text
    return {"upload_id": response.json()["upload_id"], "track_id": response.json()["suggestions"][0]["track"]["id"]}


def kept(served: Served) -> tuple[list[str], int, int, list[str]]:
    """What the server holds: the files in its private area, its feedback rows, its render jobs and crash reports.
    (The render queue has no listing, hence its private job table.)"""
    area = served.server.uploads.root
    files = sorted(str(path.relative_to(area)) for path in area.rglob("*") if path.is_file())
    return files, feedback_rows(served.library), len(served.server.renders._jobs), sorted(p.name for p in served.crash_reports.iterdir())


@contextmanager
def nothing_kept(served: Served) -> Iterator[None]:
    """Assert that the requests inside keep nothing on the server."""
    before = kept(served)
    yield
    assert kept(served) == before


def safe_area(served: Served) -> list[str]:
    """The files of the server's private area, asserting each has a name the server chose."""
    area = served.server.uploads.root
    files = [str(path.relative_to(area)) for path in area.rglob("*") if path.is_file()]
    assert all(SAFE_FILE.fullmatch(name) for name in files), files
    return files


def refused(response: httpx.Response, *, status: int, detail: str) -> str:
    """Count an abuse case and assert its refusal: the exact `status` and a readable detail starting with `detail`."""
    COUNTS["cases"] += 1
    COUNTS["refused"] += response.status_code >= 400
    assert response.status_code == status, (response.status_code, response.text[:300])
    message = readable_error(response)
    assert message.startswith(detail), message
    return message


def stored(response: httpx.Response) -> dict[str, Any]:
    """Count an abuse case the server may accept (a hostile file name), asserting it was: 201 and the upload's JSON."""
    COUNTS["cases"] += 1
    assert response.status_code == 201, (response.status_code, response.text[:300])
    return response.json()


def part(field: bytes, data: bytes, *, filename: bytes | None = None, disposition: bytes | None = None) -> bytes:
    """One multipart part with its header bytes exactly as given (no escaping: the point is to send raw bytes)."""
    if disposition is None:
        disposition = b'form-data; name="' + field + b'"' + (b'; filename="' + filename + b'"' if filename is not None else b"")
    return b"Content-Disposition: " + disposition + b"\r\nContent-Type: image/jpeg\r\n\r\n" + data


def multipart(*parts: bytes, boundary: str = BOUNDARY) -> bytes:
    """A multipart/form-data body of `parts` (see `part`) between `boundary` lines."""
    line = b"--" + boundary.encode()
    return b"".join(line + b"\r\n" + p + b"\r\n" for p in parts) + line + b"--\r\n"


def one_file(filename: bytes, data: bytes = PHOTO) -> bytes:
    """A multipart body of one file in the field `files` under the raw `filename`."""
    return multipart(part(b"files", data, filename=filename))


def raw_get(served: Served, target: str, headers: dict[str, str | bytes] | None = None) -> httpx.Response:
    """GET `target` with `headers`, both sent exactly as written (httpx resolves `..` segments in a path and refuses
    some header values before sending)."""
    connection = http.client.HTTPConnection(urlsplit(served.url).netloc, timeout=60)
    try:
        connection.request("GET", target, headers=headers or {})
        answer = connection.getresponse()
        return httpx.Response(answer.status, headers=answer.getheaders(), content=answer.read())
    finally:
        connection.close()


def fill(text: str, upload: dict[str, Any]) -> str:
    """`text` with the upload's ids for `$upload` and `$track`, and big values for `$huge`, `$digits`, `$many`, `$long`."""
    values = {"huge": str(10**30), "digits": "9" * 5000, "many": json.dumps(list(range(1001))), "long": "t" * 121}
    return Template(text).safe_substitute(values, upload=upload["upload_id"], track=upload["track_id"])


def chunks(*, total_bytes: int, chunk_bytes: int = 64 * 1024) -> Iterator[bytes]:
    """A body of `total_bytes` sent chunked (a generator gives httpx no length, so no Content-Length header)."""
    for start in range(0, total_bytes, chunk_bytes):
        yield b"x" * min(chunk_bytes, total_bytes - start)


# --- oversized and malformed bodies ---------------------------------------------------------------------------------


def test_an_upload_over_the_request_limit_is_refused_unread(served: Served) -> None:
    limit = LIMITS.max_request_bytes
    body = multipart(*(part(b"files", b"\xff" * (limit // 4), filename=f"p{i}.jpg".encode()) for i in range(4)))
    assert len(body) > limit
    with nothing_kept(served):
        refused(
            served.client.post("/api/uploads", content=body, headers=MULTIPART), status=413, detail=f"the request is {len(body):,} bytes"
        )


def test_more_photos_over_the_request_limit_are_refused_unread(served: Served, upload: dict[str, Any]) -> None:
    body = multipart(part(b"files", b"\xff" * (LIMITS.max_request_bytes + 1), filename=b"big.jpg"))
    with nothing_kept(served):
        response = served.client.post(f"/api/uploads/{upload['upload_id']}/photos", content=body, headers=MULTIPART)
        refused(response, status=413, detail=f"the request is {len(body):,} bytes, over the limit of {LIMITS.max_request_bytes:,}")


@pytest.mark.parametrize("path", ["/api/uploads", "/api/uploads/$upload/photos", "/api/renders", "/api/feedback"])
def test_a_chunked_body_without_a_length_is_refused_unread(served: Served, upload: dict[str, Any], path: str) -> None:
    headers = MULTIPART if "uploads" in path else {"Content-Type": "application/json"}
    with nothing_kept(served):
        response = served.client.post(fill(path, upload), content=chunks(total_bytes=3 << 20), headers=headers)
        refused(response, status=411, detail="send the request with a Content-Length")


@pytest.mark.parametrize("path", ["/api/renders", "/api/feedback"])
def test_a_json_body_over_its_limit_is_refused_unread(served: Served, path: str) -> None:
    body = b'{"title": "' + b"x" * MAX_JSON_BODY_BYTES + b'"}'
    with nothing_kept(served):
        response = served.client.post(path, content=body, headers={"Content-Type": "application/json"})
        refused(response, status=413, detail=f"the request is {len(body):,} bytes, over the limit of {MAX_JSON_BODY_BYTES:,}")


def test_a_photo_over_the_file_limit_is_refused(served: Served) -> None:
    with nothing_kept(served):
        response = served.client.post(
            "/api/uploads", content=one_file(b"big.jpg", b"\xff" * (LIMITS.max_file_bytes + 1)), headers=MULTIPART
        )
        refused(response, status=413, detail=f"big.jpg: larger than the limit of {LIMITS.max_file_bytes:,} bytes")


WHOLE = one_file(b"a.jpg")


@pytest.mark.parametrize(
    ("body", "content_type", "status", "detail"),
    [
        (WHOLE, "multipart/form-data", 400, "Missing boundary in multipart"),
        (WHOLE, "multipart/form-data; boundary=another-boundary", 400, "Invalid multipart data"),
        (WHOLE[: len(WHOLE) // 2], MULTIPART["Content-Type"], 422, "files: Field required"),
        (WHOLE[:40], MULTIPART["Content-Type"], 422, "files: Field required"),
        (multipart(part(b"photos", PHOTO, filename=b"a.jpg")), MULTIPART["Content-Type"], 422, "files: Field required"),
        (multipart(part(b"files", b"not a file")), MULTIPART["Content-Type"], 422, "files.0: expected a file, got a text field"),
        (multipart(), MULTIPART["Content-Type"], 422, "files: Field required"),
        (b"", MULTIPART["Content-Type"], 422, "files: Field required"),
        (multipart(part(b"files", b"", filename=b"")), MULTIPART["Content-Type"], 422, "files: Field required"),
        (one_file(b"a\rb.jpg"), MULTIPART["Content-Type"], 400, "Invalid multipart data"),
        (b'{"files": ["a.jpg"]}', "application/json", 422, "files: Field required"),
    ],
    ids=[
        "no-boundary",
        "wrong-boundary",
        "truncated-in-the-file",
        "truncated-in-the-headers",
        "no-files-field",
        "text-where-files-belong",
        "empty-file-list",
        "empty-body",
        "empty-file-input",
        "broken-part-header",
        "json-not-multipart",
    ],
)
def test_a_malformed_upload_is_refused(served: Served, body: bytes, content_type: str, status: int, detail: str) -> None:
    with nothing_kept(served):
        refused(served.client.post("/api/uploads", content=body, headers={"Content-Type": content_type}), status=status, detail=detail)


@pytest.mark.parametrize(
    ("modified", "detail"),
    [
        (b"inf", "modified: each time is in milliseconds since 1970"),
        (b"nan", "modified: each time is in milliseconds since 1970"),
        (b"1e300", "modified: each time is in milliseconds since 1970"),
        (b"-1", "modified: each time is in milliseconds since 1970"),
        (b"yesterday", "modified.0: Input should be a valid number"),
    ],
)
def test_an_impossible_file_time_is_refused(served: Served, modified: bytes, detail: str) -> None:
    body = multipart(part(b"files", PHOTO, filename=b"a.jpg"), part(b"modified", modified))
    with nothing_kept(served):
        refused(served.client.post("/api/uploads", content=body, headers=MULTIPART), status=422, detail=detail)


# --- hostile file names and URL parameters --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "shown"),
    [
        (b"../../etc/passwd.jpg", "passwd.jpg"),
        (b"/etc/passwd.jpg", "passwd.jpg"),
        (b"C:\\Windows\\..\\..\\evil.jpg", "evil.jpg"),
        (b"..", "photo 1"),
        (b"a\x00b.jpg", "a\ufffdb.jpg"),
        (b"a\nb.jpg", "a\ufffdb.jpg"),
        (b"\x1b[31mred.jpg", "\ufffd[31mred.jpg"),
        (b"\xff\xfe.jpg", "\xff\xfe.jpg"),  # bytes that are not UTF-8 read as Latin-1, as Starlette reads them
        ("café 🌅.jpg".encode(), "café 🌅.jpg"),
        (b"x" * 2000 + b".jpg", "x" * 120),
    ],
    ids=["relative-traversal", "absolute", "windows", "dot-dot", "nul", "newline", "escape", "broken-utf8", "utf8", "long"],
)
def test_a_hostile_file_name_is_shown_tamed_and_never_used_as_a_path(served: Served, filename: bytes, shown: str) -> None:
    body = stored(served.client.post("/api/uploads?suggest=false", content=one_file(filename), headers=MULTIPART))
    assert [photo["name"] for photo in body["photos"]] == [shown]
    assert f"uploads/{body['upload_id']}/photo-0.jpg" in safe_area(served)


def test_a_traversal_name_aimed_at_a_real_folder_writes_nothing_there(served: Served, tmp_path: Path) -> None:
    target = tmp_path / "escaped.jpg"
    a_upload_folder = served.server.uploads.folder("uploads") / ("0" * 24)  # where the name would be resolved from
    for name in (os.path.relpath(target, a_upload_folder), str(target)):
        stored(served.client.post("/api/uploads?suggest=false", content=one_file(name.encode()), headers=MULTIPART))
    assert not target.exists()
    safe_area(served)


@pytest.mark.parametrize(
    ("filename", "detail"),
    [
        (b"a\nb.jpg", "a\ufffdb.jpg: not an image file"),
        (b"\x1b[2J\x00.jpg", "\ufffd[2J\ufffd.jpg: not an image file"),
        (b"../../../" + b"y" * 500 + b".jpg", "y" * 120 + ": not an image file"),
    ],
    ids=["newline", "escape-and-nul", "long-traversal"],
)
def test_a_hostile_name_in_a_refusal_stays_one_line(served: Served, filename: bytes, detail: str) -> None:
    with nothing_kept(served):
        response = served.client.post("/api/uploads", content=one_file(filename, b"no pixels here"), headers=MULTIPART)
        refused(response, status=422, detail=detail)


@pytest.mark.parametrize(
    ("disposition", "status", "detail"),
    [
        (b"form-data; name=\"files\"; filename*=UTF-8''%FF%FE.jpg", 422, "files.0: expected a file, got a text field"),
        (b"form-data; name=\"files\"; filename*=UTF-8''..%2F..%2Fx.jpg", 422, "files.0: expected a file, got a text field"),
        (b'form-data; name="files"; filename="' + b"z" * 100_000 + b'.jpg"', 400, "Invalid multipart data"),
    ],
    ids=["broken-utf8-filename-star", "traversal-filename-star", "100k-name"],
)
def test_a_file_name_the_parser_will_not_take_is_refused(served: Served, disposition: bytes, status: int, detail: str) -> None:
    """Starlette takes only `filename=` (RFC 7578 forbids `filename*=` in forms): a part without it is a text field."""
    with nothing_kept(served):
        response = served.client.post("/api/uploads", content=multipart(part(b"files", PHOTO, disposition=disposition)), headers=MULTIPART)
        refused(response, status=status, detail=detail)


@pytest.mark.parametrize(
    ("target", "status", "detail"),
    [
        pytest.param("/api/uploads/../../../etc/passwd", 404, "Not Found", id="dot-segments"),
        pytest.param("/api/uploads/..%2F..%2Fetc/suggestions", 404, "Not Found", id="encoded-slashes"),
        pytest.param("/api/uploads/..%252F..%252Fetc/suggestions", 404, "no upload '..%2F..%2Fetc'", id="double-encoded"),
        pytest.param("/api/uploads/not-hex/suggestions", 404, "no upload 'not-hex'", id="not-hex"),
        pytest.param("/api/uploads/%00/suggestions", 404, "no upload '\\x00'", id="nul"),
        pytest.param("/api/uploads/" + "f" * 8000 + "/suggestions", 404, "no upload 'fff", id="8000-character-id"),
        pytest.param("/api/uploads/$upload/photos/-1/thumbnail", 404, "upload $upload has photos 0 to 1, not -1", id="negative-index"),
        pytest.param("/api/uploads/$upload/photos/$huge/thumbnail", 404, "upload $upload has photos 0 to 1, not $huge", id="huge-index"),
        pytest.param(
            "/api/uploads/$upload/photos/$digits/thumbnail", 422, "index: Unable to parse input string as an integer", id="5000-digits"
        ),
        pytest.param("/api/uploads/$upload/photos/1e3/thumbnail", 422, "index: Input should be a valid integer", id="float-index"),
        pytest.param("/api/uploads/$upload/suggestions?photos=$huge", 404, "upload $upload has photos 0 to 1, not $huge", id="huge-photo"),
        pytest.param("/api/uploads/$upload/suggestions?top=$huge", 422, "top: Input should be less than or equal to 100", id="huge-top"),
        pytest.param("/api/uploads/$upload/suggestions?mood=grumpy", 422, "unknown mood 'grumpy'", id="unknown-mood"),
        pytest.param("/api/uploads/$upload/suggestions?mood=ca%0Alm", 422, "unknown mood 'ca\\nlm'", id="newline-mood"),
        pytest.param("/api/tracks/$huge/audio", 404, "no track $huge", id="huge-track"),
        pytest.param(f"/api/tracks/{2**63}/highlight", 404, f"no track {2**63}", id="track-past-int64"),
        pytest.param("/api/tracks/-5/audio", 404, "no track -5", id="negative-track"),
        pytest.param("/api/tracks/..%2F..%2Fetc%2Fpasswd/audio", 404, "Not Found", id="track-traversal"),
        pytest.param("/api/tracks/one/audio", 422, "track_id: Input should be a valid integer", id="word-track"),
        pytest.param("/api/renders/..%252F..%252Fjob", 404, "no render '..%2F..%2Fjob'", id="render-traversal"),
        pytest.param("/api/renders/" + "0" * 24 + "/video", 404, "no render '" + "0" * 24 + "'", id="no-such-render"),
    ],
)
def test_a_hostile_url_parameter_is_refused(served: Served, upload: dict[str, Any], target: str, status: int, detail: str) -> None:
    with nothing_kept(served):
        response = raw_get(served, fill(target, upload))
        refused(response, status=status, detail=fill(detail, upload))


@pytest.mark.parametrize(
    ("byte_range", "status", "detail"),
    [
        ("bytes=abc", 400, "Range header: range must be requested"),
        ("bytes=5-1", 400, "Range header: start must be less than end"),
        ("items=0-1", 400, "Only support bytes range"),
        ("bytes=999999999-", 416, "Requested Range Not Satisfiable"),
    ],
)
def test_a_bad_audio_range_is_refused(served: Served, upload: dict[str, Any], byte_range: str, status: int, detail: str) -> None:
    with nothing_kept(served):
        response = served.client.get(f"/api/tracks/{upload['track_id']}/audio", headers={"Range": byte_range})
        refused(response, status=status, detail=detail)
    if status == 416:
        assert re.fullmatch(r"bytes \*/\d+", response.headers["content-range"])  # the size, so a player can ask again


# --- the API token --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": f"Bearer {TOKEN[:-1]}X"},  # as long as the token, one character off
        {"Authorization": f"Bearer {TOKEN[:5]}"},  # a prefix
        {"Authorization": f"Bearer {TOKEN}{TOKEN}"},  # longer, starting with the token
        {"Authorization": "Bearer "},
        {"Authorization": f"Basic {TOKEN}"},
        {"Authorization": TOKEN},
        {"Authorization": b"Bearer \xff\xfe\x80"},  # not UTF-8
        {"Cookie": f"picscore_token={TOKEN[:-1]}X"},
        {"Cookie": "picscore_token="},
        {"Authorization": "Bearer wrong", "Cookie": f"picscore_token={TOKEN}"},  # the header, when sent, is what counts
        {"X-Api-Token": TOKEN},
    ],
    ids=[
        "missing",
        "same-length",
        "prefix",
        "longer",
        "empty-bearer",
        "basic",
        "no-scheme",
        "not-utf8",
        "wrong-cookie",
        "empty-cookie",
        "wrong-header-right-cookie",
        "other-header",
    ],
)
def test_a_wrong_or_missing_token_is_refused(guarded: Served, headers: dict[str, str | bytes]) -> None:
    response = raw_get(guarded, "/api/library/stats", headers)
    refused(response, status=401, detail="missing or wrong API token")


@pytest.mark.parametrize(
    "target", ["/api/library/stats?token=" + TOKEN, "/%61pi/library/stats", "/api/library/stats/", "/api/tracks/1/audio"]
)
def test_paths_around_the_token_are_refused(guarded: Served, target: str) -> None:
    refused(raw_get(guarded, target), status=401, detail="missing or wrong API token")


def test_an_upload_or_feedback_with_a_wrong_token_keeps_nothing(guarded: Served, upload: dict[str, Any]) -> None:
    wrong = {"Authorization": f"Bearer {TOKEN[:-1]}X"}
    with nothing_kept(guarded):
        refused(guarded.client.post("/api/uploads", files=photo_parts([PHOTO]), headers=wrong), status=401, detail="missing or wrong")
        feedback = {**upload, "kept": True}  # refused at the token, before the upload or track is looked up
        refused(guarded.client.post("/api/feedback", json=feedback, headers=wrong), status=401, detail="missing or wrong")


def test_the_right_token_in_the_header_or_the_cookie_is_taken(guarded: Served) -> None:
    """The control for the refusals above (not an abuse case): the same server answers the right token."""
    for headers in ({"Authorization": f"Bearer {TOKEN}"}, {"Authorization": f"bearer  {TOKEN}"}, {"Cookie": f"picscore_token={TOKEN}"}):
        assert guarded.client.get("/api/library/stats", headers=headers).status_code == 200


# --- too many renders -----------------------------------------------------------------------------------------------


def test_renders_beyond_the_queue_are_refused_busy_and_the_accepted_finish(served: Served, upload: dict[str, Any]) -> None:
    """More preview renders at once than one worker and its queue take: the extra ones are 503 with a detail and leave
    no job; the accepted ones (at least the queue's size: a waiting place is always free to the first ones) finish."""
    attempts = RENDER_WORKERS + MAX_WAITING_RENDERS + 4
    request = {**upload, "preview": True, "duration_seconds": 12}
    jobs_before = len(served.server.renders._jobs)
    with ThreadPoolExecutor(attempts) as pool:
        responses = list(pool.map(lambda _: served.client.post("/api/renders", json=request), range(attempts)))
    assert {r.status_code for r in responses} <= {202, 503}, [r.text for r in responses]
    busy = [r for r in responses if r.status_code == 503]
    accepted = [r.json() for r in responses if r.status_code == 202]
    assert busy and len(accepted) >= MAX_WAITING_RENDERS
    for response in busy:
        refused(response, status=503, detail=f"{MAX_WAITING_RENDERS} renders are already waiting; try again when one has finished")
    assert len(served.server.renders._jobs) == jobs_before + len(accepted)
    finished = [wait_for_render(job, lambda path: served.client.get(path).json()) for job in accepted]
    assert [job and job["state"] for job in finished] == ["done"] * len(accepted), finished
    videos = {f"renders/{job['id']}.mp4" for job in accepted}
    assert videos <= set(safe_area(served))


# --- bad JSON -------------------------------------------------------------------------------------------------------

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    ("path", "body", "status", "detail"),
    [
        pytest.param("feedback", '{"upload_id": ', 422, "the body is not JSON: Expecting value at character 14", id="cut-short"),
        pytest.param("feedback", "[]", 422, "body: Input should be a valid dictionary", id="array"),
        pytest.param("feedback", '"kept"', 422, "body: Input should be a valid dictionary", id="string"),
        pytest.param(
            "feedback",
            '{"upload_id": 5, "track_id": "abc", "kept": "maybe"}',
            422,
            "upload_id: Input should be a valid string; track_id: Input should be a valid integer",
            id="wrong-types",
        ),
        pytest.param(
            "feedback",
            '{"upload_id": "$upload", "track_id": $track, "kept": true, "colour": "red"}',
            422,
            "colour: Extra inputs are not permitted",
            id="unknown-field",
        ),
        pytest.param("feedback", '{"upload_id": "$upload", "track_id": $huge, "kept": true}', 404, "no track $huge", id="huge-track"),
        pytest.param(
            "feedback",
            '{"upload_id": "$upload", "track_id": $track, "kept": true, "photos": [$huge]}',
            404,
            "upload $upload has photos 0 to 1, not $huge",
            id="huge-photo",
        ),
        pytest.param(
            "feedback",
            '{"upload_id": "$upload", "track_id": $track, "kept": true, "photos": [-1]}',
            404,
            "upload $upload has photos 0 to 1, not -1",
            id="negative-photo",
        ),
        pytest.param(
            "feedback",
            '{"upload_id": "$upload", "track_id": NaN, "kept": true}',
            422,
            "track_id: Input should be a finite number",
            id="nan",
        ),
        pytest.param(
            "feedback",
            '{"upload_id": "$upload", "track_id": 1e999, "kept": true}',
            422,
            "track_id: Input should be a finite number",
            id="1e999",
        ),
        pytest.param(
            "feedback",
            '{"upload_id": "$upload", "track_id": $digits, "kept": true}',
            400,
            "There was an error parsing the body",
            id="5000-digits",
        ),
        pytest.param("feedback", DEEP, 400, "There was an error parsing the body", id="nested-100000-deep"),
        pytest.param("feedback", '{"upload_id": "nope", "track_id": $track, "kept": false}', 404, "no upload 'nope'", id="no-such-upload"),
        pytest.param(
            "renders",
            '{"upload_id": "$upload", "track_id": $track, "duration": 5}',
            422,
            "duration: Extra inputs are not permitted",
            id="typo",
        ),
        pytest.param(
            "renders",
            '{"upload_id": "$upload", "track_id": $track, "mood": "grumpy"}',
            422,
            "mood: Extra inputs are not permitted",
            id="mood",
        ),
        pytest.param("renders", '{"upload_id": "$upload", "track_id": $huge}', 404, "no track $huge", id="huge-track"),
        pytest.param(
            "renders",
            '{"upload_id": "$upload", "track_id": $track, "duration_seconds": 1e308}',
            422,
            "duration_seconds: Input should be less than or equal to 600",
            id="huge-duration",
        ),
        pytest.param(
            "renders",
            '{"upload_id": "$upload", "track_id": $track, "duration_seconds": NaN}',
            422,
            "duration_seconds: Input should be",
            id="nan-duration",
        ),
        pytest.param(
            "renders",
            '{"upload_id": "$upload", "track_id": $track, "duration_seconds": -Infinity}',
            422,
            "duration_seconds: Input should be",
            id="minus-infinite-duration",
        ),
        pytest.param(
            "renders",
            '{"upload_id": "$upload", "track_id": $track, "width": $huge, "height": 100}',
            422,
            "width: Input should be less than or equal to 3840",
            id="huge-width",
        ),
        pytest.param(
            "renders",
            '{"upload_id": "$upload", "track_id": $track, "best": $huge}',
            422,
            "best: Input should be less than or equal to 500",
            id="huge-best",
        ),
        pytest.param(
            "renders",
            '{"upload_id": "$upload", "track_id": $track, "photos": [$huge]}',
            404,
            "upload $upload has photos 0 to 1, not $huge",
            id="huge-photo",
        ),
        pytest.param(
            "renders",
            '{"upload_id": "$upload", "track_id": $track, "photos": $many}',
            422,
            "photos: List should have at most 1000 items",
            id="1001-photos",
        ),
        pytest.param(
            "renders",
            '{"upload_id": "$upload", "track_id": $track, "aspect": "4:3", "fps": "fast"}',
            422,
            "aspect: Input should be '16:9', '9:16' or '1:1'; fps: Input should be 24, 30 or 60",
            id="unknown-choices",
        ),
        pytest.param(
            "renders",
            '{"upload_id": "$upload", "track_id": $track, "title": "$long"}',
            422,
            "title: String should have at most 120 characters",
            id="long-title",
        ),
        pytest.param("renders", "1e999", 422, "body: Input should be a valid dictionary", id="a-number"),
    ],
)
def test_bad_json_is_refused_with_one_line(served: Served, upload: dict[str, Any], path: str, body: str, status: int, detail: str) -> None:
    with nothing_kept(served):
        response = served.client.post(f"/api/{path}", content=fill(body, upload).encode(), headers={"Content-Type": "application/json"})
        refused(response, status=status, detail=fill(detail, upload))


@pytest.mark.parametrize("content_type", ["text/plain", None])
def test_json_sent_as_another_type_is_refused(served: Served, upload: dict[str, Any], content_type: str | None) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    with nothing_kept(served):
        response = served.client.post("/api/feedback", content=json.dumps({**upload, "kept": True}).encode(), headers=headers)
        refused(response, status=422, detail="body: Input should be a valid dictionary")


def test_an_unknown_mood_on_upload_keeps_nothing(served: Served) -> None:
    with nothing_kept(served):
        refused(served.client.post("/api/uploads?mood=grumpy", files=photo_parts([PHOTO])), status=422, detail="unknown mood 'grumpy'")
