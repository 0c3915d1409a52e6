"""Throughput and latency of `picscore serve`'s suggest endpoint on loopback, with 1, 4 and 16 concurrent clients.

The server is a real `picscore serve` process on a synthetic library (10k tracks by default, built
as bench/suggest.py builds its cold libraries: complete rows and both musicnn encodings). One
photo is uploaded once; each client then asks GET /api/uploads/{id}/suggestions?top=10 again and
again (the photo's features come from the library's cache, so this is ranking plus HTTP, with the
per-request library check). Clients are threads of this process, each with its own keep-alive
connection; every level runs for --seconds after a short warm-up.

    python bench/serve.py
    python bench/serve.py --tracks 100000 --clients 1,4,16,64 --seconds 10
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from suggest import build_library, write_photo  # bench/suggest.py: `python bench/serve.py` puts bench/ on the path

WARM_UP_REQUESTS = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(library: Path, port: int) -> subprocess.Popen:
    """`picscore serve` on the library, once it answers."""
    process = subprocess.Popen(
        [sys.executable, "-m", "picscore", "--library", str(library), "serve", "--port", str(port)],
        env={**os.environ, "PICSCORE_TOKEN": ""},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited with status {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/library/stats", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.terminate()
    raise SystemExit("the server did not answer within 120 s")


def run_level(url: str, clients: int, *, seconds: float) -> tuple[float, list[float]]:
    """(requests per second, latencies in seconds) of `clients` threads asking `url` for `seconds`."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    start = threading.Barrier(clients + 1)
    stop = threading.Event()

    def client(mine: list[float]) -> None:
        with httpx.Client(timeout=60) as http:
            for _ in range(WARM_UP_REQUESTS):
                http.get(url).raise_for_status()
            start.wait()
            while not stop.is_set():
                began = time.perf_counter()
                http.get(url).raise_for_status()
                mine.append(time.perf_counter() - began)

    threads = [threading.Thread(target=client, args=(mine,)) for mine in latencies]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    every = [latency for mine in latencies for latency in mine]
    return len(every) / elapsed, every


def percentile(values: list[float], share: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[round(share * 100) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=10_000, help="synthetic library size (default: %(default)s)")
    parser.add_argument("--clients", default="1,4,16", help="concurrency levels (default: %(default)s)")
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per level (default: %(default)s)")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="picscore-bench-serve-"))
    try:
        library = folder / "library.db"
        began = time.perf_counter()
        build_library(library, args.tracks, seed=1)
        print(f"library: {args.tracks:,} synthetic tracks, built in {time.perf_counter() - began:.1f} s")
        port = free_port()
        began = time.perf_counter()
        server = start_server(library, port)
        print(f"server: up in {time.perf_counter() - began:.1f} s on port {port}, {os.cpu_count()} CPUs")
        try:
            photo = write_photo(folder / "photo.jpg", seed=1)
            base = f"http://127.0.0.1:{port}"
            with photo.open("rb") as handle:
                answer = httpx.post(f"{base}/api/uploads", files={"files": (photo.name, handle, "image/jpeg")}, timeout=120)
            answer.raise_for_status()
            url = f"{base}/api/uploads/{answer.json()['upload_id']}/suggestions?top=10"
            print(f"endpoint: GET /api/uploads/ID/suggestions?top=10, {args.seconds:g} s per level")
            print(f"{'clients':>7}  {'requests':>8}  {'req/s':>7}  {'p50 ms':>7}  {'p95 ms':>7}")
            for clients in (int(n) for n in args.clients.split(",")):
                rate, latencies = run_level(url, clients, seconds=args.seconds)
                p50, p95 = percentile(latencies, 0.50) * 1000, percentile(latencies, 0.95) * 1000
                print(f"{clients:>7}  {len(latencies):>8}  {rate:>7.1f}  {p50:>7.1f}  {p95:>7.1f}")
        finally:
            server.terminate()
            server.wait(timeout=30)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
