"""Uploaded photos: limits, validation by decoding, and a private temporary area that cleans itself up.

Client file names never reach the file system: each upload gets a random id and its photos are
stored as `photo-<n>.<format>` inside it, the format being what the decoder found. An upload is
checked whole before anything is kept, so a rejected request leaves nothing behind.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import BinaryIO

from PIL import Image

from picscore.media.fingerprint import file_fingerprint
from picscore.media.image_load import ImageLoadError, load_image

_SUFFIXES = {
    "JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif", "BMP": "bmp", "TIFF": "tif", "AVIF": "avif", "HEIF": "heic",
}  # fmt: skip
_COPY_CHUNK_BYTES = 1 << 20


class UploadError(Exception):
    """A request the upload area refuses: `status` is the HTTP status, the message one line for the client."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class UploadLimits:
    """How much one upload request may carry."""

    max_files: int = 20
    max_file_bytes: int = 25 * 1024 * 1024
    max_pixels: int = 50_000_000
    keep_seconds: float = 3600.0  # uploads and renders older than this are deleted

    @property
    def max_request_bytes(self) -> int:
        """The largest request body accepted (all files at their limit, plus room for the multipart framing)."""
        return self.max_files * self.max_file_bytes + 1024 * 1024


@dataclass(frozen=True)
class StoredPhoto:
    """One accepted photo: where it lies, what the client called it (for display only) and its size."""

    index: int
    path: Path
    name: str
    format: str
    width: int
    height: int
    content_hash: str


@dataclass
class Upload:
    """One request's photos, kept together under a random id."""

    id: str
    folder: Path
    photos: list[StoredPhoto]
    created: float = field(default_factory=time.monotonic)


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

    def add(self, files: list[tuple[str | None, BinaryIO]]) -> Upload:
        """Check and keep (client name, file) pairs as one upload; UploadError (413/422) keeps none of them."""
        if not files:
            raise UploadError(422, "no photos in the request: send them as multipart form field `files`")
        if len(files) > self.limits.max_files:
            raise UploadError(413, f"too many files: {len(files)}, at most {self.limits.max_files} per request")
        self.remove_expired()
        upload_id = secrets.token_hex(12)
        folder = self.folder("uploads") / upload_id
        folder.mkdir(mode=0o700)
        try:
            photos = [self._keep(folder, index, name, handle) for index, (name, handle) in enumerate(files)]
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        upload = Upload(upload_id, folder, photos)
        with self._lock:
            self._uploads[upload_id] = upload
        return upload

    def _keep(self, folder: Path, index: int, name: str | None, handle: BinaryIO) -> StoredPhoto:
        shown = display_name(name, index=index)
        incoming = folder / f"incoming-{index}"
        copied = _copy_limited(handle, incoming, max_bytes=self.limits.max_file_bytes)
        if copied > self.limits.max_file_bytes:
            raise UploadError(413, f"{shown}: larger than the limit of {self.limits.max_file_bytes:,} bytes")
        if copied == 0:
            raise UploadError(422, f"{shown}: the file is empty (0 bytes)")
        try:
            image = load_image(incoming, max_pixels=self.limits.max_pixels)
            with Image.open(incoming) as header:
                kind = header.format or ""
        except ImageLoadError as err:
            raise UploadError(422, f"{shown}: {err}") from None
        path = incoming.rename(folder / f"photo-{index}.{_SUFFIXES.get(kind, 'img')}")
        return StoredPhoto(index, path, shown, kind, image.width, image.height, file_fingerprint(path))

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
    """The client's file name without any folders, for messages and the page only; `photo N` when there is none."""
    base = PurePath((name or "").replace("\\", "/")).name.strip()
    return base[:120] if base and base not in (".", "..") else f"photo {index + 1}"


def _copy_limited(source: BinaryIO, target: Path, *, max_bytes: int) -> int:
    """Copy `source` into a new file, stopping one chunk past `max_bytes`; the number of bytes copied."""
    copied = 0
    with target.open("xb") as out:
        while copied <= max_bytes and (chunk := source.read(_COPY_CHUNK_BYTES)):
            out.write(chunk)
            copied += len(chunk)
    return copied
