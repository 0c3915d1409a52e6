"""Uploaded photos: limits, validation by decoding, and a private temporary area that cleans itself up.

Client file names never reach the file system: each upload gets a random id and its photos are
stored as `photo-<n>.<format>` inside it, the format being what the decoder found. A request's
limits (how many files, how many bytes) are checked before anything is kept; a photo that is
empty, too large or not a picture is skipped and reported, so one broken file in a camera roll
does not lose the rest, and a request none of whose photos can be read leaves nothing behind.
An upload grows by further requests (`extend`), so a whole camera roll arrives in batches.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePath
from typing import BinaryIO

from picscore.curate.quality import PhotoQuality
from picscore.media.fingerprint import file_fingerprint
from picscore.media.image_load import ImageLoadError, load_image, open_header
from picscore.render.photos import taken_at

_SUFFIXES = {
    "JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp", "TIFF": "tif", "AVIF": "avif", "HEIF": "heic",
}  # fmt: skip
_COPY_CHUNK_BYTES = 1 << 20
# Photos are checked by decoding them whole; a JPEG at a reduced scale keeping this shorter side (a 200-megapixel phone
# photo decodes at 1/4 or 1/8), so max_pixels limits what is decoded and every later use reads it reduced too.
CHECK_SIDE_PIXELS = 1080


class UploadError(Exception):
    """A request the upload area refuses: `status` is the HTTP status, the message one line for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UploadLimits:
    """How much one upload request may carry."""

    max_files: int = 20  # per request
    max_file_bytes: int = 25 * 1024 * 1024
    max_upload_photos: int = 1000  # per upload, over all its requests
    max_pixels: int = 50_000_000
    keep_seconds: float = 3600.0  # uploads and renders older than this are deleted

    @property
    def max_request_bytes(self) -> int:
        """The largest request body accepted (all files at their limit, plus room for the multipart framing)."""
        return self.max_files * self.max_file_bytes + 1024 * 1024


@dataclass(frozen=True)
class StoredPhoto:
    """One accepted photo: where it lies, what the client called it (for display only), its size and when it was taken
    (EXIF, else the client's file time; datetime.max when neither is known), read once here for ordering and chapters."""

    index: int
    path: Path
    name: str
    format: str
    width: int
    height: int
    content_hash: str
    taken_at: datetime


def capture_order(photos: list[StoredPhoto]) -> list[StoredPhoto]:
    """The photos in the order they were taken (ties in upload order)."""
    return sorted(photos, key=lambda photo: (photo.taken_at, photo.index))


@dataclass(frozen=True)
class SkippedFile:
    """A file of a request that was not kept, and why (one line)."""

    name: str
    reason: str
    status: int  # the HTTP status it would have alone: 413 for a size limit, 422 for content


@dataclass
class IncomingFile:
    """A file as a request brings it: the client's name, its bytes and (optionally) the client's file time."""

    name: str | None
    handle: BinaryIO
    modified_seconds: float | None = None


@dataclass
class Upload:
    """The photos of one or more requests, kept together under a random id."""

    id: str
    folder: Path
    photos: list[StoredPhoto]
    created: float = field(default_factory=time.monotonic)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)  # one change or curation at a time
    measures: dict[str, PhotoQuality | str] = field(default_factory=dict, repr=False)  # curation's measures, taken once a photo


class UploadArea:
    """A private (0700) temporary folder holding uploads by random id; old ones are removed as new ones arrive."""

    def __init__(self, limits: UploadLimits):
        self.limits = limits
        self.root = Path(tempfile.mkdtemp(prefix="picscore-serve-"))
        self._uploads: dict[str, Upload] = {}
        self._lock = threading.Lock()

    def folder(self, name: str) -> Path:
        """A fixed sub-folder of the private area (e.g. for rendered videos), created on first use."""
        path = self.root / name
        path.mkdir(mode=0o700, exist_ok=True)
        return path

    def add(self, files: list[IncomingFile]) -> tuple[Upload, list[SkippedFile]]:
        """Keep the readable files as a new upload, and say which were skipped; UploadError (413/422) keeps nothing."""
        self._check_request(files, already=0)
        self.remove_expired()
        upload_id = secrets.token_hex(12)
        folder = self.folder("uploads") / upload_id
        folder.mkdir(mode=0o700)
        try:
            photos, skipped = self._keep_all(folder, files, first_index=0)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        upload = Upload(upload_id, folder, photos)
        with self._lock:
            self._uploads[upload_id] = upload
        return upload, skipped

    def extend(self, upload: Upload, files: list[IncomingFile]) -> tuple[list[StoredPhoto], list[SkippedFile]]:
        """Add a further request's readable files to `upload`: the photos added, and the files skipped."""
        with upload.lock:
            self._check_request(files, already=len(upload.photos))
            photos, skipped = self._keep_all(upload.folder, files, first_index=len(upload.photos))
            upload.photos.extend(photos)
        return photos, skipped

    def _check_request(self, files: list[IncomingFile], *, already: int) -> None:
        if not files:
            raise UploadError(422, "no photos in the request: send them as multipart form field `files`")
        if len(files) > self.limits.max_files:
            raise UploadError(413, f"too many files: {len(files)}, at most {self.limits.max_files} per request")
        if already + len(files) > self.limits.max_upload_photos:
            raise UploadError(413, f"too many photos: {already} + {len(files)}, at most {self.limits.max_upload_photos} in one upload")

    def _keep_all(self, folder: Path, files: list[IncomingFile], *, first_index: int) -> tuple[list[StoredPhoto], list[SkippedFile]]:
        """The files that are photos, kept as photo-<n>; UploadError when none is (the one reason, or them all)."""
        photos: list[StoredPhoto] = []
        skipped: list[SkippedFile] = []
        for offset, incoming in enumerate(files):
            index = first_index + len(photos)
            try:
                photos.append(self._keep(folder, index, incoming))
            except UploadError as err:
                skipped.append(SkippedFile(display_name(incoming.name, index=first_index + offset), str(err), err.status))
        if not photos:
            if len(skipped) == 1:
                raise UploadError(skipped[0].status, skipped[0].reason)
            reasons = "; ".join(s.reason for s in skipped[:3]) + ("; ..." if len(skipped) > 3 else "")
            raise UploadError(max(s.status for s in skipped), f"none of the {len(skipped)} photos can be used: {reasons}")
        return photos, skipped

    def _keep(self, folder: Path, index: int, incoming: IncomingFile) -> StoredPhoto:
        shown = display_name(incoming.name, index=index)
        received = folder / f"incoming-{index}"
        try:
            copied = _copy_limited(incoming.handle, received, max_bytes=self.limits.max_file_bytes)
            if copied > self.limits.max_file_bytes:
                raise UploadError(413, f"{shown}: larger than the limit of {self.limits.max_file_bytes:,} bytes")
            if copied == 0:
                raise UploadError(422, f"{shown}: the file is empty (0 bytes)")
            try:
                load_image(received, max_pixels=self.limits.max_pixels, min_side=CHECK_SIDE_PIXELS)
                with open_header(received) as header:
                    kind, (width, height) = header.format or "", header.size
            except ImageLoadError as err:
                raise UploadError(422, f"{shown}: {err}") from None
        except UploadError:
            received.unlink(missing_ok=True)
            raise
        path = received.rename(folder / f"photo-{index}.{_SUFFIXES.get(kind, 'img')}")
        if incoming.modified_seconds is not None:  # the client's file time: photos without EXIF dates sort by it
            os.utime(path, (incoming.modified_seconds, incoming.modified_seconds))
        return StoredPhoto(index, path, shown, kind, width, height, file_fingerprint(path), taken_at(path))

    def get(self, upload_id: str) -> Upload | None:
        """The upload with this id (a dictionary lookup: the id never becomes a path), or None."""
        with self._lock:
            return self._uploads.get(upload_id)

    def discard(self, upload_id: str) -> None:
        """Forget an upload and delete its photos (e.g. when the request that brought it failed after all)."""
        with self._lock:
            upload = self._uploads.pop(upload_id, None)
        if upload is not None:
            shutil.rmtree(upload.folder, ignore_errors=True)

    def remove_expired(self) -> None:
        """Delete uploads older than limits.keep_seconds."""
        cutoff = time.monotonic() - self.limits.keep_seconds
        with self._lock:
            expired = [upload for upload in self._uploads.values() if upload.created < cutoff]
            for upload in expired:
                del self._uploads[upload.id]
        for upload in expired:
            shutil.rmtree(upload.folder, ignore_errors=True)

    def close(self) -> None:
        """Delete the whole area (at shutdown)."""
        with self._lock:
            self._uploads.clear()
        shutil.rmtree(self.root, ignore_errors=True)


def display_name(name: str | None, *, index: int) -> str:
    """The client's file name without any folders, for messages and the page only; `photo N` when there is none.
    Control characters and line breaks show as U+FFFD, so that a name (and a message naming it) stays one line."""
    base = PurePath((name or "").replace("\\", "/")).name
    base = "".join("\ufffd" if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in base).strip()
    return base[:120] if base and base not in (".", "..") else f"photo {index + 1}"


def _copy_limited(source: BinaryIO, target: Path, *, max_bytes: int) -> int:
    """Copy `source` into a new file, stopping one chunk past `max_bytes`; the number of bytes copied."""
    copied = 0
    with target.open("xb") as out:
        while copied <= max_bytes and (chunk := source.read(_COPY_CHUNK_BYTES)):
            out.write(chunk)
            copied += len(chunk)
    return copied
