"""`picscore serve`: the web page and HTTP API (FastAPI on uvicorn)."""

from __future__ import annotations

import argparse
import ipaddress
import os

from picscore.cli.argtypes import positive_int, positive_number
from picscore.cli.model_option import add_index_argument, add_model_argument
from picscore.cli.output import CliError
from picscore.models.errors import ModelError
from picscore.models.registry import resolve_model
from picscore.paths import library_path

DESCRIPTION = (
    "Serve a web page (drop photos, hear and rate the suggestions, render a slideshow) and the HTTP API "
    "behind it, documented at /docs. The library and models load once, at start-up."
)
TOKEN_ENV = "PICSCORE_TOKEN"
EPILOG = f"""\
Binding to anything but localhost needs an API token (--token or ${TOKEN_ENV}); clients send
it as `Authorization: Bearer TOKEN` (the page asks for it once and keeps it in a cookie).
The page takes a whole camera roll (sent in requests of --max-files photos), shows the photos
curation keeps and those it leaves out, plays a quick preview and renders the video.
Uploaded photos and rendered videos live in a private temporary folder, removed after an
hour and when the server stops; photos you keep or reject are copied beside the library
(feedback-photos/) so `picscore train` can use them.

examples:
  picscore serve                                   http://127.0.0.1:8000/
  picscore serve --port 9000 --render-workers 2
  PICSCORE_TOKEN=s3cret picscore serve --host 0.0.0.0
"""


def configure(parser: argparse.ArgumentParser, common: argparse.ArgumentParser) -> None:
    """Add this verb's arguments to its sub-parser."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default: %(default)s)")
    parser.add_argument("--token", help=f"API token clients must send (default: ${TOKEN_ENV}); required beyond localhost")
    add_model_argument(parser)
    add_index_argument(parser)
    parser.add_argument("--max-files", type=positive_int, default=20, metavar="N", help="photos per request (default: %(default)s)")
    parser.add_argument(
        "--max-upload-photos",
        type=positive_int,
        default=1000,
        metavar="N",
        help="photos in one upload, sent in requests of --max-files (default: %(default)s)",
    )
    parser.add_argument("--max-file-mb", type=positive_number, default=25.0, metavar="MB", help="bytes per photo (default: %(default)s MB)")
    parser.add_argument(
        "--max-megapixels", type=positive_number, default=50.0, metavar="MP", help="pixels per photo (default: %(default)s megapixels)"
    )
    parser.add_argument("--render-workers", type=positive_int, default=1, metavar="N", help="renders at once (default: %(default)s)")
    parser.add_argument("--max-waiting-renders", type=positive_int, default=4, metavar="N", help="queued before 503 (default: %(default)s)")
    parser.set_defaults(run=run)


def is_loopback(host: str) -> bool:
    """Whether `host` is only reachable from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(args: argparse.Namespace) -> int:
    token = args.token or os.environ.get(TOKEN_ENV) or None
    if token is None and not is_loopback(args.host):
        raise CliError(f"binding to {args.host} lets other machines in: set an API token with --token or ${TOKEN_ENV}")
    if not 0 < args.port < 65536:
        raise CliError(f"--port must be between 1 and 65535, not {args.port}")
    try:
        resolve_model(args.model)  # a wrong --model fails here, in one line, not in the server's start-up
    except ModelError as err:
        raise CliError(str(err)) from None
    import uvicorn  # the web stack loads only for this verb

    from picscore.serve.app import ServeConfig, create_app
    from picscore.serve.uploads import UploadLimits

    limits = UploadLimits(
        max_files=args.max_files,
        max_file_bytes=round(args.max_file_mb * 1024 * 1024),
        max_pixels=round(args.max_megapixels * 1e6),
        max_upload_photos=args.max_upload_photos,
    )
    config = ServeConfig(
        library=library_path(getattr(args, "library", None)),
        model=args.model,
        index=args.index,
        token=token,
        limits=limits,
        render_workers=args.render_workers,
        max_waiting_renders=args.max_waiting_renders,
    )
    print(f"picscore: serving {config.library} on http://{args.host}:{args.port}/ (API docs at /docs)", flush=True)
    uvicorn.run(create_app(config), host=args.host, port=args.port, log_level="warning")
    return 0
