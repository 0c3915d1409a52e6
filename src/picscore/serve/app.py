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
import threading
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib.resources import files as package_files
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import FastAPI, File, HTTPException, Query, Request, UploadFile
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from picscore import __version__
from picscore.curate.roll import curate_files
from picscore.library.image_features import picture_features
from picscore.library.store import Library
from picscore.match.explain import mood_json
from picscore.match.pictures import as_pictures
from picscore.match.suggest import MOODS, SuggestOptions, mood_direction, photos_mood, suggest, suggestion_json
from picscore.media.audio_decode import AudioDecodeError, decode_audio
from picscore.media.files import file_problem
from picscore.media.image_load import load_image
from picscore.render.loops import profiles_of_track
from picscore.render.photos import look_at
from picscore.render.plan import TRANSITIONS, PlanError, plan_slideshow
from picscore.render.sizes import ASPECTS, FPS_CHOICES, RESOLUTIONS, frame_size
from picscore.serve.catalogue import Catalogue
from picscore.serve.jobs import QueueFull, RenderJob, RenderQueue
from picscore.serve.uploads import StoredPhoto, Upload, UploadArea, UploadError, UploadLimits

TOKEN_COOKIE = "picscore_token"
THUMBNAIL_SIDE_PIXELS = 320
HIGHLIGHT_SAMPLE_RATE = 44100
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

    upload_id: str
    track_id: int
    kept: bool
    photos: list[int] | None = Field(None, description="photo indices within the upload (default: all)")


class RenderRequest(BaseModel):
    """A slideshow of an upload's photos (in upload order) to a library track."""

    upload_id: str
    track_id: int
    aspect: Literal[tuple(ASPECTS)] = "16:9"  # type: ignore[valid-type]
    resolution: Literal[tuple(RESOLUTIONS)] = "720p"  # type: ignore[valid-type]
    width: int | None = Field(None, ge=16, le=3840, multiple_of=2, description="with height: any even frame size instead")
    height: int | None = Field(None, ge=16, le=3840, multiple_of=2)
    fps: Literal[FPS_CHOICES] = 30  # type: ignore[valid-type]
    duration_seconds: float | None = Field(None, gt=0, le=600, description="fit the slideshow to about this long")
    transition: Literal[TRANSITIONS] = "crossfade"  # type: ignore[valid-type]
    best: int | None = Field(None, ge=1, le=500, description="show only the N best photos: one good frame of each scene, no screenshots")
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
        track = library.get_track(track_id)
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
    app.add_exception_handler(RequestValidationError, _one_line_validation_error)
    app.add_exception_handler(UploadError, lambda request, err: JSONResponse({"detail": str(err)}, status_code=err.status))
    app.mount("/static", StaticFiles(directory=str(_STATIC)), name="static")
    _routes(app, server)
    return app


class _Guard(BaseHTTPMiddleware):
    """The API token (when set) for /api, and the request-size limit checked before an upload is read."""

    def __init__(self, app: Any, *, server: _Server):
        super().__init__(app)
        self.server = server

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if not request.url.path.startswith("/api/"):
            return await call_next(request)
        token = self.server.config.token
        if token is not None and not secrets.compare_digest(_client_token(request).encode(), token.encode()):
            return JSONResponse({"detail": "missing or wrong API token (Authorization: Bearer TOKEN)"}, status_code=401)
        if request.method == "POST" and request.url.path == "/api/uploads":
            limit = self.server.config.limits.max_request_bytes
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                return JSONResponse({"detail": "send the upload with a Content-Length"}, status_code=411)
            if int(length) > limit:
                return JSONResponse({"detail": f"the request is {int(length):,} bytes, over the limit of {limit:,}"}, status_code=413)
        return await call_next(request)


def _client_token(request: Request) -> str:
    """The token from `Authorization: Bearer ...`, else from the page's cookie (media elements send no headers)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value:
        return value.strip()
    return request.cookies.get(TOKEN_COOKIE, "")


async def _one_line_validation_error(request: Request, err: Exception) -> JSONResponse:
    assert isinstance(err, RequestValidationError)
    problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or e['loc'][0]}: {e['msg']}" for e in err.errors())
    return JSONResponse({"detail": problems}, status_code=422)


def _routes(app: FastAPI, server: _Server) -> None:
    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(str(_STATIC / "index.html"), media_type="text/html")

    @app.post("/api/uploads", status_code=201, tags=["photos"])
    def upload_photos(
        files: Annotated[list[UploadFile], File(description="the photos (JPEG, PNG, WebP, GIF, BMP, TIFF, AVIF, HEIC)")],
        top: Annotated[int, Query(ge=1, le=100)] = 10,
        mood: Annotated[str | None, Query(description=f"steer: {', '.join(MOODS)}")] = None,
    ) -> dict[str, Any]:
        """Upload photos (multipart field `files`): each photo's mood and the ranked tracks for all of them, with reasons.

        Photos are checked by decoding them; a request with any bad photo is refused whole (413 or 422) and nothing is kept.
        """
        _check_mood(mood)
        upload = server.uploads.add([(f.filename, f.file) for f in files])
        try:
            return _suggestions(server, upload, top=top, mood=mood)
        except HTTPException:
            server.uploads.discard(upload.id)  # e.g. an empty library: keep nothing of a request that failed
            raise

    @app.get("/api/uploads/{upload_id}/suggestions", tags=["photos"])
    def suggestions(
        upload_id: str, top: Annotated[int, Query(ge=1, le=100)] = 10, mood: Annotated[str | None, Query()] = None
    ) -> dict[str, Any]:
        """The ranked tracks for an upload's photos again, e.g. with another mood or length."""
        _check_mood(mood)
        return _suggestions(server, server.upload(upload_id), top=top, mood=mood)

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
        size = (request.width, request.height) if request.width else frame_size(aspect=request.aspect, resolution=request.resolution)
        width, height = size
        track = server.track(server.library(), request.track_id)
        paths = [str(photo.path) for photo in upload.photos]
        if request.best is not None:
            paths = curate_files(paths, best=request.best, jobs=1, progress=False).kept
            if not paths:
                raise HTTPException(422, "none of the photos is worth showing (blurred, badly exposed or screenshots)")
        looks = [look_at(Path(path)) for path in paths]
        try:
            plan = plan_slideshow(
                [(look.path, look.focus) for look in looks],
                track,
                width=width,
                height=height,
                fps=request.fps,
                duration_seconds=request.duration_seconds,
                transition=request.transition,
                bar_profiles=profiles_of_track(track["path"]),  # repeat phrases rather than fail when the track is short
                title=request.title,
            )
        except (PlanError, AudioDecodeError) as err:
            raise HTTPException(422, f"track {track['id']}: {err}") from None
        try:
            job = server.renders.submit(plan)
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


def _suggestions(server: _Server, upload: Upload, *, top: int, mood: str | None) -> dict[str, Any]:
    """The upload's photos with their moods, and the tracks ranked for all of them together."""
    library = server.library()
    candidates, matcher, _, index = server.catalogue.current(library)
    if matcher is None:
        raise HTTPException(409, "the library is empty: add music with `picscore index FOLDER` first")
    with server.encoding:
        features = picture_features(library, [photo.path for photo in upload.photos])
    pictures = as_pictures(features)
    found = suggest(pictures, candidates, SuggestOptions(top=top, mood=mood), matcher=matcher, index=index)
    photos = [
        {
            "index": photo.index,
            "name": photo.name,
            "width": photo.width,
            "height": photo.height,
            "thumbnail_url": f"/api/uploads/{upload.id}/photos/{photo.index}/thumbnail",
            "mood": mood_json(valence=v, arousal=a),
        }
        for photo, (v, a) in zip(upload.photos, pictures.mood, strict=True)
    ]
    ranked = []
    for rank, suggestion in enumerate(found, start=1):
        entry = suggestion_json(suggestion)
        ranked.append({"rank": rank, **entry, "track": _track_json(entry["track"])})
    valence, arousal = photos_mood(pictures)
    return {"upload_id": upload.id, "mood": mood_json(valence=valence, arousal=arousal), "photos": photos, "suggestions": ranked}


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
    video = f"/api/renders/{job.id}/video" if job.state == "done" else None
    return {
        "id": job.id,
        "state": job.state,
        "progress": round(job.progress, 3),
        "frames_done": job.frames_done,
        "frames": job.plan.n_frames,
        "photos": len(job.plan.shots),
        "duration_seconds": job.plan.duration_seconds,
        "track_id": job.plan.track_id,
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
