"""The FastAPI app of `picscore serve`: the JSON API under /api, the page at /, the OpenAPI page at /docs.

Every request opens its own Library (sqlite3 connections stay in their thread; WAL lets an
indexer write meanwhile); the candidates, matcher and image encoder are loaded once and shared.
Client input never names a file: photos are addressed by upload id and index, tracks by id,
videos by job id, each looked up in memory or in the library.
"""

from __future__ import annotations

import io
import mimetypes
import secrets
import shutil
import sys
import threading
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from importlib.resources import files as package_files
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from picscore import __version__
from picscore.crash_report import one_line_summary, write_crash_report
from picscore.library.image_features import picture_features
from picscore.library.store import Library
from picscore.match.explain import mood_json
from picscore.match.pictures import as_pictures
from picscore.match.suggest import MOODS, Suggestion, SuggestOptions, mood_direction, photos_mood, suggest, suggestion_json
from picscore.media.audio_decode import AudioDecodeError, decode_audio
from picscore.media.files import file_problem
from picscore.media.image_load import load_image
from picscore.models.zero_shot import Pictures
from picscore.render.loops import profiles_of_track
from picscore.render.photo_look import look_at
from picscore.render.photos import chapter_starts
from picscore.render.plan import TRANSITIONS, Plan, PlanError, describe_repeats, lasts, plan_slideshow
from picscore.render.sizes import ASPECTS, FPS_CHOICES, RESOLUTIONS, frame_size
from picscore.render.track_choice import AUTO_CHOICES, plan_per_chapter, playable_tracks
from picscore.render.video import X264_PRESET
from picscore.serve.catalogue import Catalogue
from picscore.serve.curation import upload_curation
from picscore.serve.jobs import QueueFull, RenderJob, RenderQueue
from picscore.serve.uploads import (
    IncomingFile,
    SkippedFile,
    StoredPhoto,
    Upload,
    UploadArea,
    UploadError,
    UploadLimits,
    capture_order,
)

TOKEN_COOKIE = "picscore_token"
THUMBNAIL_SIDE_PIXELS = 320
HIGHLIGHT_SAMPLE_RATE = 44100
PREVIEW_SHORT_SIDE_PIXELS = 240  # a preview: small frames, 24 fps and the fastest encoder preset, ready in seconds
PREVIEW_FPS = 24
PREVIEW_PRESET = "ultrafast"
MAX_JSON_BODY_BYTES = 1024 * 1024  # a render or feedback request is a few kB: a larger body is refused unread
LATEST_CLIENT_TIME_MS = 32_503_680_000_000  # 1 Jan 3000: a client file time past it (or NaN, infinite, negative) is none
_STATIC = package_files("picscore.serve") / "static"


@dataclass(frozen=True)
class ServeConfig:
    """What `picscore serve` was started with."""

    library: Path
    model: str | None = None
    index: str = "auto"  # search index kind (match/search_index.INDEX_CHOICES)
    token: str | None = None
    limits: UploadLimits = field(default_factory=UploadLimits)
    render_workers: int = 1
    max_waiting_renders: int = 4


class FeedbackRequest(BaseModel):
    """Kept or rejected: a track for the photos of an upload (all of them, or those listed)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not silently ignored
    upload_id: str
    track_id: int
    kept: bool
    photos: list[int] | None = Field(None, description="photo indices within the upload (default: all)")


class RenderRequest(BaseModel):
    """A slideshow of an upload's photos (those listed, in that order; else all in capture order) to a library track,
    or to a track for each chapter."""

    model_config = ConfigDict(extra="forbid")  # a misspelt option (`duration`) must not quietly give a full-length render
    upload_id: str
    track_id: int | None = Field(None, description="the library track to use (or track_per_chapter)")
    track_per_chapter: bool = Field(
        False, description="instead of track_id: for each chapter, the best-fitting track for its photos (as `render --track-per-chapter`)"
    )
    photos: list[int] | None = Field(None, max_length=1000, description="photo indices within the upload, in showing order")
    preview: bool = Field(False, description="a quick low-resolution draft (240 px, 24 fps) instead of the full render")
    aspect: Literal[tuple(ASPECTS)] = "16:9"  # type: ignore[valid-type]
    resolution: Literal[tuple(RESOLUTIONS)] = "720p"  # type: ignore[valid-type]
    width: int | None = Field(None, ge=16, le=3840, multiple_of=2, description="with height: any even frame size instead")
    height: int | None = Field(None, ge=16, le=3840, multiple_of=2)
    fps: Literal[FPS_CHOICES] = 30  # type: ignore[valid-type]
    duration_seconds: float | None = Field(None, gt=0, le=600, description="fit the slideshow to about this long")
    transition: Literal[TRANSITIONS] = "crossfade"  # type: ignore[valid-type]
    best: int | None = Field(
        None, ge=1, le=500, description="show only the N best photos: one good frame of each scene, no screenshots (without `photos`)"
    )
    title: str = Field("", max_length=120, description="words over the first photo")


class _Server:
    """The shared state behind the routes."""

    def __init__(self, config: ServeConfig):
        self.config = config
        self.catalogue = Catalogue(config.library, model=config.model, index=config.index)
        self.uploads = UploadArea(config.limits)
        self.renders = RenderQueue(
            self.uploads.folder("renders"),
            workers=config.render_workers,
            max_waiting=config.max_waiting_renders,
            keep_seconds=config.limits.keep_seconds,
        )
        self._threads = threading.local()
        self.encoding = threading.Lock()  # one photo batch through the CNN at a time: bounded memory, no thread contention

    def library(self) -> Library:
        """This thread's Library, opened on first use and kept: sqlite3 connections stay in their thread, and
        opening one costs milliseconds and writes to the file (which would make every request look like a change)."""
        library = getattr(self._threads, "library", None)
        if library is None:
            library = self._threads.library = Library(self.config.library)
        return library

    def load(self) -> None:
        """Load the candidates, matcher and image encoder now, so the first requests do not wait for them."""
        from picscore.vision.efficientnet import load_image_encoder

        with Library(self.config.library) as library:
            self.catalogue.current(library)
        load_image_encoder()

    def close(self) -> None:
        self.renders.close()
        self.uploads.close()

    def upload(self, upload_id: str) -> Upload:
        upload = self.uploads.get(upload_id)
        if upload is None:
            raise HTTPException(404, f"no upload {upload_id!r} (uploads are kept {self.config.limits.keep_seconds:g} s)")
        return upload

    def track(self, library: Library, track_id: int) -> dict[str, Any]:
        track = library.get_track(track_id) if abs(track_id) < 2**63 else None  # SQLite's integers are 64-bit
        if track is None:
            raise HTTPException(404, f"no track {track_id} in the library")
        if problem := file_problem(track["path"]):
            raise HTTPException(410, f"track {track_id}'s file is gone ({problem}); `picscore index` updates the library")
        return track


def create_app(config: ServeConfig) -> FastAPI:
    """The app for `config`; models load at start-up (the lifespan), the temp area is removed at shutdown."""
    server = _Server(config)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        server.load()
        yield
        server.close()

    app = FastAPI(
        title="picscore",
        version=__version__,
        description="Music from your own library for your photos: suggestions and why, previews, beat-synced slideshows, feedback.",
        lifespan=lifespan,
    )
    app.state.server = server
    app.add_middleware(_Guard, server=server)
    app.add_middleware(_ReportUnexpected)  # added last, so it wraps the guard and every route
    app.add_exception_handler(RequestValidationError, _one_line_validation_error)
    app.add_exception_handler(UploadError, lambda request, err: JSONResponse({"detail": str(err)}, status_code=err.status))
    app.mount("/static", StaticFiles(directory=str(_STATIC)), name="static")
    _routes(app, server)
    return app


class _Guard(BaseHTTPMiddleware):
    """The API token (when set) for /api, and the request-size limits checked before a body is read; plain-text
    refusals of Starlette's own (a malformed or unsatisfiable Range) become JSON like every other error."""

    def __init__(self, app: Any, *, server: _Server):
        super().__init__(app)
        self.server = server

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if not request.url.path.startswith("/api/"):
            return await call_next(request)
        token = self.server.config.token
        if token is not None and not secrets.compare_digest(_client_token(request).encode(), token.encode()):
            return JSONResponse({"detail": "missing or wrong API token (Authorization: Bearer TOKEN)"}, status_code=401)
        if request.method == "POST":
            limit = self.server.config.limits.max_request_bytes if _is_upload(request.url.path) else MAX_JSON_BODY_BYTES
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return JSONResponse({"detail": "send the request with a Content-Length"}, status_code=411)
            if int(length) > limit:
                return JSONResponse({"detail": f"the request is {int(length):,} bytes, over the limit of {limit:,}"}, status_code=413)
        return await _json_error(await call_next(request))


def _is_upload(path: str) -> bool:
    """Whether `path` takes photos (POST /api/uploads, or /api/uploads/{upload_id}/photos): the larger size limit."""
    return path == "/api/uploads" or (path.startswith("/api/uploads/") and path.endswith("/photos"))


async def _json_error(response: Response) -> Response:
    """`response`, or as JSON with a `detail` when it is an error in plain text (Starlette's range refusals)."""
    if response.status_code < 400 or response.headers.get("content-type", "").startswith("application/json"):
        return response
    body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
    detail = body.decode("utf-8", "replace").strip() or HTTPStatus(response.status_code).phrase
    kept = {name: value for name, value in response.headers.items() if name == "content-range"}  # 416 says the size
    return JSONResponse({"detail": detail}, status_code=response.status_code, headers=kept)


class _ReportUnexpected(BaseHTTPMiddleware):
    """An unexpected failure in a request: a 500 whose `detail` is one line naming the report file, not a traceback."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        try:
            return await call_next(request)
        except Exception as err:  # noqa: BLE001 -- every unexpected failure becomes a report, by design
            report = write_crash_report(err, context=f"{request.method} {request.url.path}")
            message = f"unexpected failure ({one_line_summary(err)}); full report in {report}"
            print(f"picscore serve: {request.method} {request.url.path}: {message}", file=sys.stderr)
            return JSONResponse({"detail": message}, status_code=500)


def _client_token(request: Request) -> str:
    """The token from `Authorization: Bearer ...`, else from the page's cookie (media elements send no headers)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return request.cookies.get(TOKEN_COOKIE, "")


async def _one_line_validation_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    return JSONResponse({"detail": "; ".join(_problem(e) for e in err.errors())}, status_code=422)


def _problem(error: dict[str, Any]) -> str:
    """One validation error for clients: the field and what is wrong, in words (FastAPI's own for a body that is not
    JSON gives a bare position, and for a text field where a file belongs names a Python type)."""
    if error["type"] == "json_invalid":
        return f"the body is not JSON: {error.get('ctx', {}).get('error', 'cannot decode')} at character {error['loc'][-1]}"
    where = ".".join(str(p) for p in error["loc"][1:]) or error["loc"][0]
    message = "expected a file, got a text field" if error["msg"].startswith("Value error, Expected UploadFile") else error["msg"]
    return f"{where}: {message}"


def _routes(app: FastAPI, server: _Server) -> None:
    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(str(_STATIC / "index.html"), media_type="text/html")

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        return FileResponse(str(_STATIC / "favicon.svg"), media_type="image/svg+xml")

    @app.get("/api/options", tags=["library"])
    def options() -> dict[str, Any]:
        """What requests may ask for: the moods to steer by, transitions, aspects and sizes, and the upload limits."""
        limits = server.config.limits
        return {
            "moods": list(MOODS),
            "transitions": list(TRANSITIONS),
            "aspects": list(ASPECTS),
            "resolutions": list(RESOLUTIONS),
            "fps": list(FPS_CHOICES),
            "max_files_per_request": limits.max_files,
            "max_file_bytes": limits.max_file_bytes,
            "max_request_bytes": limits.max_request_bytes,
            "max_upload_photos": limits.max_upload_photos,
        }

    @app.post("/api/uploads", status_code=201, tags=["photos"])
    def upload_photos(
        files: Annotated[list[UploadFile], File(description="the photos (JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF, HEIC)")],
        modified: Annotated[list[float] | None, Form(description="each file's time (ms since 1970), for photos without EXIF dates")] = None,
        top: Annotated[int, Query(ge=1, le=100)] = 10,
        mood: Annotated[str | None, Query(description=f"steer: {', '.join(MOODS)}")] = None,
        suggest_tracks: Annotated[bool, Query(alias="suggest", description="false: only keep the photos (more may follow)")] = True,
    ) -> dict[str, Any]:
        """Upload photos (multipart field `files`): each photo's mood and the ranked tracks for all of them, with reasons.

        Photos are checked by decoding them: one that is empty, too large or not a picture is skipped and listed under
        `skipped`; a request none of whose photos can be used is refused (413 or 422) and nothing is kept.
        Add more photos to the upload with POST /api/uploads/{upload_id}/photos.
        """
        _check_mood(mood)
        upload, skipped = server.uploads.add(_incoming(files, modified))
        if not suggest_tracks:
            return _added_json(upload, upload.photos, skipped)
        try:
            return {**_suggestions(server, upload, top=top, mood=mood), "skipped": _skipped_json(skipped)}
        except HTTPException:
            server.uploads.discard(upload.id)  # e.g. an empty library: keep nothing of a request that failed
            raise

    @app.post("/api/uploads/{upload_id}/photos", status_code=201, tags=["photos"])
    def add_photos(
        upload_id: str,
        files: Annotated[list[UploadFile], File(description="more photos for the upload")],
        modified: Annotated[list[float] | None, Form(description="each file's time (ms since 1970)")] = None,
    ) -> dict[str, Any]:
        """Add photos to an upload (a camera roll arrives in batches of at most the per-request limit); bad ones are skipped."""
        upload = server.upload(upload_id)
        added, skipped = server.uploads.extend(upload, _incoming(files, modified))
        return _added_json(upload, added, skipped)

    @app.get("/api/uploads/{upload_id}/curation", tags=["photos"])
    def curation(
        upload_id: str,
        best: Annotated[int | None, Query(ge=1, le=1000, description="keep at most this many")] = None,
        length_seconds: Annotated[float | None, Query(gt=0, le=600, description="without best: as many as this length shows")] = None,
    ) -> dict[str, Any]:
        """The photos worth showing (`kept`, in capture order), every photo's verdict and why, chapters and a date title.

        Curation drops blurred and badly exposed frames, screenshots and documents, and keeps the best frame of each
        burst; with `best` (or a `length_seconds` far shorter than the photos need) it keeps the most varied best ones.
        """
        return upload_curation(server.upload(upload_id), best=best, length_seconds=length_seconds)

    @app.get("/api/uploads/{upload_id}/suggestions", tags=["photos"])
    def suggestions(
        upload_id: str,
        top: Annotated[int, Query(ge=1, le=100)] = 10,
        mood: Annotated[str | None, Query()] = None,
        photos: Annotated[list[int] | None, Query(description="only these photos (indices; repeat the parameter)")] = None,
        length_seconds: Annotated[float | None, Query(gt=0, le=3600, description="the video length (default: as the photos need)")] = None,
    ) -> dict[str, Any]:
        """The ranked tracks for an upload's photos (all, or those listed) again, e.g. with another mood; each says whether it
        `lasts` the video (at `length_seconds`, or at its own pacing) without repeating phrases."""
        _check_mood(mood)
        return _suggestions(server, server.upload(upload_id), top=top, mood=mood, chosen=photos, length_seconds=length_seconds)

    @app.get("/api/uploads/{upload_id}/photos/{index}/thumbnail", tags=["photos"], response_class=Response)
    def thumbnail(upload_id: str, index: int) -> Response:
        """A JPEG thumbnail of an uploaded photo (upright, at most 320 px)."""
        photo = _photo(server.upload(upload_id), index)
        image = load_image(photo.path, min_side=THUMBNAIL_SIDE_PIXELS)
        image.thumbnail((THUMBNAIL_SIDE_PIXELS, THUMBNAIL_SIDE_PIXELS))
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85)
        return Response(buffer.getvalue(), media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"})

    @app.get("/api/tracks/{track_id}/audio", tags=["tracks"], response_class=FileResponse)
    def track_audio(track_id: int) -> FileResponse:
        """The track's audio file as stored, with HTTP range requests so players can seek."""
        track = server.track(server.library(), track_id)
        media_type = mimetypes.guess_type(track["path"])[0] or "application/octet-stream"
        return FileResponse(track["path"], media_type=media_type, content_disposition_type="inline")

    @app.get("/api/tracks/{track_id}/highlight", tags=["tracks"], response_class=Response)
    def track_highlight(track_id: int) -> Response:
        """The track's highlight (the part suggestions use) as a stereo 16-bit WAV."""
        track = server.track(server.library(), track_id)
        try:
            decoded = decode_audio(track["path"], sr=HIGHLIGHT_SAMPLE_RATE, stereo=True)
        except AudioDecodeError as err:
            raise HTTPException(422, f"track {track_id}: {err}") from None
        start = round((track["highlight_start"] or 0.0) * HIGHLIGHT_SAMPLE_RATE)
        end = round((track["highlight_end"] or track["duration"]) * HIGHLIGHT_SAMPLE_RATE)
        return Response(_wav(decoded.samples[start:end]), media_type="audio/wav")

    @app.post("/api/renders", status_code=202, tags=["renders"])
    def start_render(request: RenderRequest) -> dict[str, Any]:
        """Queue a beat-synced slideshow of an upload's photos to a track; poll GET /api/renders/{id} for progress."""
        upload = server.upload(request.upload_id)
        if (request.width is None) != (request.height is None):
            raise HTTPException(422, "give both width and height, or neither")
        if request.width is not None and request.height is not None:
            size = (request.width, request.height)
        else:
            size = frame_size(aspect=request.aspect, resolution=request.resolution)
        if request.preview:
            size = _preview_size(size)
        width, height = size
        if (request.track_id is None) == (not request.track_per_chapter):
            raise HTTPException(422, "give track_id, or track_per_chapter: true (not both)")
        library = server.library()
        track = server.track(library, request.track_id) if request.track_id is not None else None
        shown = _shown_photos(upload, request)
        looks = [look_at(photo.path) for photo in shown]
        chapters = chapter_starts([photo.taken_at for photo in shown])

        def plan_for(
            track: dict[str, Any], *, repeats: bool = True, first: int = 0, end: int = len(shown), seconds: float | None = None
        ) -> Plan:
            """The plan of photos first:end to `track`, about `seconds` (default: the request's length) long."""
            return plan_slideshow(
                [(look.path, look.focus) for look in looks[first:end]],
                track,
                width=width,
                height=height,
                fps=PREVIEW_FPS if request.preview else request.fps,
                duration_seconds=request.duration_seconds if seconds is None else seconds,
                transition=request.transition,
                bar_profiles=profiles_of_track(track["path"]) if repeats else None,
                chapter_starts=[k - first for k in chapters if first < k < end],
                title=request.title if first == 0 else "",
            )

        if track is not None:
            try:
                plan = plan_for(track)  # repeats phrases rather than fail when the track is short
            except (PlanError, AudioDecodeError) as err:
                raise HTTPException(422, f"track {track['id']}: {err}") from None
        else:
            try:
                plan = plan_per_chapter(
                    len(shown),
                    chapters=chapters,
                    seconds=request.duration_seconds,
                    rank=lambda first, end: _ranked_tracks(server, library, [photo.path for photo in shown[first:end]]),
                    plan_for=plan_for,
                )
            except PlanError as err:
                raise HTTPException(422, str(err)) from None
        played = [_about_track(server.track(library, part.track_id)) for part in plan.music_parts if part.track_id is not None]
        try:
            job = server.renders.submit(
                plan,
                preset=PREVIEW_PRESET if request.preview else X264_PRESET,
                preview=request.preview,
                about={"track": played[0], "tracks": played},
            )
        except QueueFull as err:
            raise HTTPException(503, str(err)) from None
        return _job_json(job)

    @app.get("/api/renders/{job_id}", tags=["renders"])
    def render_progress(job_id: str) -> dict[str, Any]:
        """A render's state (queued, running, done, failed), progress from 0 to 1, and the video's address once done."""
        return _job_json(_job(server, job_id))

    @app.get("/api/renders/{job_id}/video", tags=["renders"], response_class=FileResponse)
    def render_video(job_id: str, download: bool = False) -> FileResponse:
        """The finished MP4 (range requests supported); `?download=true` asks the browser to save it."""
        job = _job(server, job_id)
        if job.state != "done":
            raise HTTPException(409, f"render {job_id} is {job.state}, not done")
        return FileResponse(
            job.output,
            media_type="video/mp4",
            filename=f"picscore-{job_id[:8]}.mp4",
            content_disposition_type="attachment" if download else "inline",
        )

    @app.post("/api/feedback", status_code=201, tags=["feedback"])
    def record_feedback(request: FeedbackRequest) -> dict[str, Any]:
        """Record that a track fits (kept) or does not fit (rejected) an upload's photos; stored in the library for training.

        The photos are copied beside the library (feedback-photos/, by content hash) so training finds them later.
        """
        upload = server.upload(request.upload_id)
        photos = upload.photos if request.photos is None else [_photo(upload, i) for i in request.photos]
        library = server.library()
        server.track(library, request.track_id)
        for photo in photos:
            kept_copy = _keep_for_training(photo.path, content_hash=photo.content_hash, library=library)
            library.add_feedback(photo_path=str(kept_copy), photo_hash=photo.content_hash, track_id=request.track_id, kept=request.kept)
        total = len(library.feedback())
        return {"recorded": len(photos), "kept": request.kept, "track_id": request.track_id, "feedback_rows": total}

    @app.get("/api/library/stats", tags=["library"])
    def library_stats() -> dict[str, Any]:
        """Track count, total duration, tempo range, keys, analysis errors and feedback recorded."""
        library = server.library()
        return {**library.stats(), "feedback": len(library.feedback())}

    @app.get("/api/library/tracks", tags=["library"])
    def search_tracks(
        q: Annotated[str | None, Query(max_length=200, description="words in the title, artist, album, genre or file name")] = None,
        mood: Annotated[str | None, Query(description=f"rank by closeness to a mood: {', '.join(MOODS)}")] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> dict[str, Any]:
        """Search the library by text and/or mood (without a mood: in path order)."""
        _check_mood(mood)
        rows = [row for row in server.library().list_tracks() if _matches(row, q)]
        if mood:
            direction = np.array(mood_direction(mood))
            rows.sort(key=lambda row: -float(np.array([row["valence"] or 0.0, row["arousal"] or 0.0]) @ direction))
        return {"total": len(rows), "tracks": [_track_json(row) for row in rows[:limit]]}


def _about_track(track: dict[str, Any]) -> dict[str, Any]:
    """What a render's JSON says of a track it plays."""
    return {"id": track["id"], "title": track["title"], "artist": track["artist"], "file": Path(track["path"]).name}


def _ranked(
    server: _Server, library: Library, paths: list[Path], *, top: int, mood: str | None = None
) -> tuple[Pictures, list[Suggestion]]:
    """The photos as the matcher sees them, and the library's tracks ranked for them together, best first."""
    candidates, matcher, _, index = server.catalogue.current(library)
    if matcher is None:
        raise HTTPException(409, "the library is empty: add music with `picscore index FOLDER` first")
    with server.encoding:
        features = picture_features(library, paths)
    pictures = as_pictures(features)
    return pictures, suggest(pictures, candidates, SuggestOptions(top=top, mood=mood), matcher=matcher, index=index)


def _ranked_tracks(server: _Server, library: Library, paths: list[Path]) -> list[dict[str, Any]]:
    """The tracks (library rows) that fit these photos best, best first, of those whose files are still there."""
    _, found = _ranked(server, library, paths, top=AUTO_CHOICES)
    if not (tracks := playable_tracks(library, found)):
        raise HTTPException(422, "no track in the library fits these photos")
    return tracks


def _suggestions(
    server: _Server, upload: Upload, *, top: int, mood: str | None, chosen: list[int] | None = None, length_seconds: float | None = None
) -> dict[str, Any]:
    """The upload's photos (all, or the `chosen` indices) with their moods, and the tracks ranked for them together,
    each saying whether it lasts a video of those photos (`length_seconds` long, or at its own pacing) as it is."""
    library = server.library()
    shown = upload.photos if chosen is None else [_photo(upload, i) for i in dict.fromkeys(chosen)]
    if not shown:
        raise HTTPException(422, "no photos chosen: list at least one with `photos`")
    pictures, found = _ranked(server, library, [photo.path for photo in shown], top=top, mood=mood)
    moods = [mood_json(valence=v, arousal=a) for v, a in pictures.mood]
    photos = [{**_photo_json(upload, photo), "mood": mood} for photo, mood in zip(shown, moods, strict=True)]
    ranked = []
    for rank, suggestion in enumerate(found, start=1):
        entry = suggestion_json(suggestion)
        stored = library.get_track(entry["track"]["id"])
        carries = stored is not None and lasts(stored, n_photos=len(shown), duration_seconds=length_seconds)
        ranked.append({"rank": rank, **entry, "track": _track_json(entry["track"]), "lasts": carries})
    valence, arousal = photos_mood(pictures)
    return {"upload_id": upload.id, "mood": mood_json(valence=valence, arousal=arousal), "photos": photos, "suggestions": ranked}


def _photo_json(upload: Upload, photo: StoredPhoto) -> dict[str, Any]:
    return {
        "index": photo.index,
        "name": photo.name,
        "width": photo.width,
        "height": photo.height,
        "thumbnail_url": f"/api/uploads/{upload.id}/photos/{photo.index}/thumbnail",
    }


def _added_json(upload: Upload, added: list[StoredPhoto], skipped: list[SkippedFile]) -> dict[str, Any]:
    """What a request added to an upload: its photos, the files skipped and why, and the upload's photo count."""
    return {
        "upload_id": upload.id,
        "photos": [_photo_json(upload, photo) for photo in added],
        "skipped": _skipped_json(skipped),
        "total": len(upload.photos),
    }


def _skipped_json(skipped: list[SkippedFile]) -> list[dict[str, str]]:
    return [{"name": s.name, "reason": s.reason} for s in skipped]


def _incoming(files: list[UploadFile], modified: list[float] | None) -> list[IncomingFile]:
    """The request's files with their client times (milliseconds, as browsers give File.lastModified), when sent."""
    if modified is not None and len(modified) != len(files):
        raise HTTPException(422, f"modified: {len(modified)} times for {len(files)} files; send one for each file or none")
    if modified is not None and not all(0 <= ms <= LATEST_CLIENT_TIME_MS for ms in modified):  # False for NaN too
        raise HTTPException(422, "modified: each time is in milliseconds since 1970, before the year 3000")
    times = [None] * len(files) if modified is None else [ms / 1000.0 for ms in modified]
    return [IncomingFile(f.filename, f.file, seconds) for f, seconds in zip(files, times, strict=True)]


def _shown_photos(upload: Upload, request: RenderRequest) -> list[StoredPhoto]:
    """The photos a render shows: those listed in that order, else the `best` curated ones, else all; in capture order
    unless listed."""
    if request.photos is not None:
        if len(set(request.photos)) != len(request.photos):
            raise HTTPException(422, "photos: each photo may be listed once")
        if not request.photos:
            raise HTTPException(422, "photos: list at least one photo")
        return [_photo(upload, i) for i in request.photos]
    if request.best is None:
        return capture_order(upload.photos)
    kept = upload_curation(upload, best=request.best, length_seconds=None)["kept"]
    if not kept:
        raise HTTPException(422, "none of the photos is worth showing (blurred, badly exposed or screenshots)")
    return [upload.photos[i] for i in kept]


def _preview_size(size: tuple[int, int]) -> tuple[int, int]:
    """The frame size of a preview: the same shape with its shorter side PREVIEW_SHORT_SIDE_PIXELS (even sides)."""
    width, height = size
    scale = min(PREVIEW_SHORT_SIDE_PIXELS / min(width, height), 1.0)
    return 2 * round(width * scale / 2), 2 * round(height * scale / 2)


def _track_json(row: dict[str, Any]) -> dict[str, Any]:
    """A track for clients: its fields with the file's name instead of its path, and where to play it."""
    fields = {k: v for k, v in row.items() if k != "path"}
    return {**fields, "file": Path(row["path"]).name, "audio_url": f"/api/tracks/{row['id']}/audio"}


def _matches(row: dict[str, Any], query: str | None) -> bool:
    """Whether every word of `query` appears in the track's title, artist, album, genre or file name."""
    if not query:
        return True
    text = " ".join(str(row.get(k) or "") for k in ("title", "artist", "album", "genre")) + " " + Path(row["path"]).name
    return all(word in text.lower() for word in query.lower().split())


def _check_mood(mood: str | None) -> None:
    if mood:
        try:
            mood_direction(mood)
        except ValueError as err:
            raise HTTPException(422, str(err)) from None


def _photo(upload: Upload, index: int) -> StoredPhoto:
    if not 0 <= index < len(upload.photos):
        raise HTTPException(404, f"upload {upload.id} has photos 0 to {len(upload.photos) - 1}, not {index}")
    return upload.photos[index]


def _job(server: _Server, job_id: str) -> RenderJob:
    job = server.renders.get(job_id)
    if job is None:
        raise HTTPException(404, f"no render {job_id!r}")
    return job


def _job_json(job: RenderJob) -> dict[str, Any]:
    """A render's state for clients, naming the track it uses."""
    video = f"/api/renders/{job.id}/video" if job.state == "done" else None
    return {
        "id": job.id,
        "state": job.state,
        "preview": job.preview,
        "progress": round(job.progress, 3),
        "frames_done": job.frames_done,
        "frames": job.plan.n_frames,
        "photos": len(job.plan.shots),
        "width": job.plan.width,
        "height": job.plan.height,
        "duration_seconds": job.plan.duration_seconds,
        "track_id": job.plan.track_id,
        **job.about,
        "repeats": describe_repeats(job.plan),
        "error": job.error,
        "video_url": video,
        "download_url": f"{video}?download=true" if video else None,
    }


def _keep_for_training(path: Path, *, content_hash: str, library: Library) -> Path:
    """A lasting copy of an uploaded photo beside the library (the upload area is temporary)."""
    folder = library.path.parent / "feedback-photos"
    folder.mkdir(exist_ok=True)
    target = folder / f"{content_hash}{path.suffix}"
    if not target.exists():
        partial = target.with_name(f".{target.name}.partial")
        shutil.copyfile(path, partial)
        partial.replace(target)
    return target


def _wav(samples: np.ndarray) -> bytes:
    """Stereo float samples in [-1, 1] as a 16-bit WAV file."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(2)
        out.setsampwidth(2)
        out.setframerate(HIGHLIGHT_SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes())
    return buffer.getvalue()
