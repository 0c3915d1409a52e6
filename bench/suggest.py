"""Suggestion latency: one photo against libraries of 1k to 1M tracks, warm and cold, on one core.

Warm (in process, everything loaded; synthetic tracks, real pictures):
  * (a) a fresh 640x480 JPEG: decode, EfficientNet-Lite0 encode and the mood networks, measured
    once (it does not depend on the library size);
  * per library size: building the rows and tag arrays (their memory), prepare_tracks (the
    one-off projection when a library is loaded), and (b) suggest() with that projection cached;
    (c) = (a) + (b), the latency of a photo;
  * the obvious alternative, on the same pictures: the same math without the precomputed
    TrackSpace (score_tracks on the raw Tracks, so the track side is recomputed per query) and a
    full np.argsort instead of argpartition; also the cached space with only the full argsort.
    The speed-up is alternative / shipped; the top 10 ids of both are compared.
Cold (a new `python -m picscore --library LIB suggest PHOTO --top 10` process; the operating
system's file cache holds the library, as after any recent use):
  * real SQLite libraries of synthetic but complete tracks (rows as the indexer writes them,
    musicnn-mtt and musicnn-msd encodings with a tag curve per 3 s patch), built once per run;
  * each size twice per photo: a photo never seen (picture features computed and cached), then
    the same photo again (features read from the library);
  * a breakdown from an in-process driver doing the same steps with timers, and which of the
    heavy modules (torch, SciPy, FAISS, PyAV) a cached photo loads, through what.

Targets (one core: torch.set_num_threads(1), BLAS limited to one thread, OMP_NUM_THREADS=1 for
the CLI): warm <= 30 ms per photo at 100k tracks and <= 60 ms at 1M, cold CLI <= 3 s.

    python bench/suggest.py                          # warm 1k,10k,100k,1M; cold 1k,10k,100k
    python bench/suggest.py --sizes 1k,10k --no-cold
    python bench/suggest.py --cold-sizes 1k --keep-libraries bench/.cache/suggest
"""

from __future__ import annotations

import argparse
import ast
import gc
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image
from threadpoolctl import threadpool_limits

from picscore.audio import ANALYSIS_VERSION
from picscore.audio.music_encoders import MUSIC_ENCODERS
from picscore.audio.musicnn import PATCH_SECONDS
from picscore.library.image_features import PictureFeatures
from picscore.library.store import TRACK_COLUMNS, Library, track_values, utc_now
from picscore.match.pictures import as_pictures
from picscore.match.suggest import SuggestOptions, suggest
from picscore.media.image_load import load_image
from picscore.models.zero_shot import Pictures, Tracks, TrackSpace, score_tracks
from picscore.moods.picture import LAYER_MODELS, LAYER_SIDE, describe_pictures
from picscore.trackspace.candidates import Candidates, candidates_from_rows
from picscore.trackspace.index_kinds import choose_kind
from picscore.trackspace.space_cache import space_folder
from picscore.trackspace.vector_index import build_index
from picscore.vision.efficientnet import load_image_encoder

TOP = 10
WARM_TARGETS_MS = {100_000: 30.0, 1_000_000: 60.0}
COLD_TARGET_S = 3.0
ONE_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
KEYS = ("C", "G", "D", "A", "E", "B", "F#", "F", "Bb", "Eb", "Ab", "Db")
GENRES = ("rock", "pop", "jazz", "electronic", "classical", "folk", "hip-hop", "ambient")


# --- small helpers -----------------------------------------------------------------------


def parse_sizes(text: str) -> list[int]:
    """'1k,10k,1M' -> [1000, 10000, 1000000]."""
    sizes = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", part)
        if not match:
            raise argparse.ArgumentTypeError(f"expected sizes like 1k,10k,100k,1M, not {text!r}")
        sizes.append(int(float(match[1]) * {"": 1, "k": 1_000, "m": 1_000_000}[match[2].lower()]))
    return sizes


def label(n: int) -> str:
    return f"{n // 1_000_000}M" if n >= 1_000_000 and n % 1_000_000 == 0 else f"{n // 1000}k" if n % 1000 == 0 else str(n)


def rss_mb() -> float:
    """This process's resident memory now, in MB."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def timings(run: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    """Seconds of each of `repeats` calls, and what the last call returned."""
    out, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = run()
        out.append(time.perf_counter() - started)
    return out, result


def ms(seconds: float) -> str:
    return f"{1e3 * seconds:.1f} ms" if seconds < 10 else f"{seconds:.1f} s"


def print_table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Right-aligned columns (the first left-aligned)."""
    cells = [list(header)] + [[str(c) for c in row] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(header))]
    for line in cells:
        print("  " + "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths, strict=True))))


def write_photo(path: Path, seed: int) -> Path:
    """A photo-like 640x480 JPEG (smooth colour waves, shapes and noise), different for every seed."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:480, 0:640]
    base = np.stack([np.sin(x / rng.uniform(40, 200) + rng.uniform(0, 6)) + np.cos(y / rng.uniform(30, 150)) for _ in range(3)], axis=-1)
    for _ in range(6):
        cy, cx, r = rng.uniform(0, 480), rng.uniform(0, 640), rng.uniform(20, 120)
        base[(y - cy) ** 2 + (x - cx) ** 2 < r**2] += rng.uniform(-1.5, 1.5, size=3)
    base += 0.15 * rng.standard_normal(base.shape)
    Image.fromarray(((base - base.min()) / np.ptp(base) * 255).astype(np.uint8)).save(path, quality=90)
    return path


# --- warm ----------------------------------------------------------------------------------


def synthetic_rows(n: int, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Summary rows with the keys Library.list_tracks gives and suggest() reads; titles all distinct."""
    duration = rng.uniform(120, 360, n).round(2).tolist()
    bpm = rng.uniform(60, 180, n).round(1).tolist()
    valence, arousal = rng.uniform(-1, 1, n).round(3).tolist(), rng.uniform(-1, 1, n).round(3).tolist()
    keys = rng.integers(0, 24, n).tolist()
    return [
        {
            "id": i + 1,
            "path": f"/music/artist{i % 5000:04d}/track{i:07d}.mp3",
            "title": f"Track {i}",
            "artist": f"Artist {i % 5000}",
            "duration": duration[i],
            "bpm": bpm[i],
            "initial_key": KEYS[keys[i] % 12] + ("m" if keys[i] >= 12 else ""),
            "valence": valence[i],
            "arousal": arousal[i],
            "highlight_start": 30.0,
            "highlight_end": 60.0,
        }
        for i in range(n)
    ]


def synthetic_tags(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Tag probabilities as stored (float32): mostly low, a few high, like musicnn's (Beta(0.5, 5), mean 0.09)."""
    return {name: rng.beta(0.5, 5.0, size=(n, 50)).astype(np.float32) for name in ("mtt", "msd")}


def space_mb(space: TrackSpace) -> float:
    arrays = [v for v in vars(space).values() if isinstance(v, np.ndarray)] + list(space.tag_means.values())
    return sum(a.nbytes for a in arrays) / 2**20


def naive_top(pictures: Pictures, candidates: Candidates, tracks: Tracks, *, cached_space: bool) -> list[int]:
    """The straightforward way: score (the track side recomputed from `tracks` unless `cached_space`), full argsort."""
    scores = score_tracks(pictures, candidates.joint_space if cached_space else tracks).mean(axis=0)
    scores = (scores - scores.mean()) / max(scores.std(), 1e-12)
    return candidates.ids[np.argsort(-scores, kind="stable")[:TOP]].tolist()


def encode_photos(folder: Path, count: int) -> tuple[list[Pictures], dict[str, float], float]:
    """(a): fresh photos decoded and encoded one by one: their Pictures, median seconds per step (and best total), encoder load."""
    started = time.perf_counter()
    encoder = load_image_encoder()
    load_seconds = time.perf_counter() - started
    warmup = load_image(write_photo(folder / "warmup.jpg", seed=10_000), min_side=LAYER_SIDE)
    encoder.encode([warmup], batch_size=1)  # first calls allocate
    describe_pictures([warmup])
    steps: dict[str, list[float]] = {"decode": [], "cnn": [], "mood": [], "total": []}
    pictures = []
    for seed in range(count):
        path = write_photo(folder / f"warm{seed}.jpg", seed=seed)
        t0 = time.perf_counter()
        image = load_image(path, min_side=LAYER_SIDE)
        t1 = time.perf_counter()
        encoded = encoder.encode([image], batch_size=1)
        t2 = time.perf_counter()
        layers = describe_pictures([image])[0]
        picture = as_pictures([PictureFeatures(str(path), encoded.features[0], encoded.probabilities[0], layers)])
        t3 = time.perf_counter()
        for name, seconds in (("decode", t1 - t0), ("cnn", t2 - t1), ("mood", t3 - t2), ("total", t3 - t0)):
            steps[name].append(seconds)
        pictures.append(picture)
    summary = {name: statistics.median(values) for name, values in steps.items()}
    return pictures, {**summary, "best": min(steps["total"])}, load_seconds


def album_mood(folder: Path, count: int) -> tuple[float, float]:
    """(a'): the mood networks on the `count` photos of (a) as one album, median seconds a photo over three runs: in
    their default batches (one photo per torch thread), and in batches of 4 (the default before December 2026)."""
    images = [load_image(folder / f"warm{seed}.jpg", min_side=LAYER_SIDE) for seed in range(count)]

    def per_photo(batch_size: int | None) -> float:
        def run() -> None:
            for model in LAYER_MODELS:
                load_image_encoder(model).describe_layers(images, side=LAYER_SIDE, batch_size=batch_size)

        return statistics.median(timings(run, 3)[0]) / count

    return per_photo(None), per_photo(4)


def warm_size(n: int, pictures: list[Pictures], image_seconds: float) -> tuple[tuple[str, ...], str | None]:
    """One library size: its table row and, where there is a target, the verdict."""
    gc.collect()
    rng = np.random.default_rng(n)
    before = rss_mb()
    started = time.perf_counter()
    table = synthetic_rows(n, rng)
    build_rows = time.perf_counter() - started
    rows_mb = rss_mb() - before
    tags = synthetic_tags(n, rng)
    started = time.perf_counter()
    candidates = candidates_from_rows(table, tags, np.zeros(n, dtype=bool))
    prepare = time.perf_counter() - started
    space = candidates.joint_space
    tracks = Tracks(affect=np.array([[row["valence"], row["arousal"]] for row in table]), tags=tags)
    options = SuggestOptions(top=TOP)
    picks = [[s.track["id"] for s in suggest(p, candidates, options)] for p in pictures]  # warm-up, and the answers

    def per_photo(run: Callable[[Pictures], Any], repeats: int) -> tuple[list[float], list[Any]]:
        seconds, answers = timings(lambda: [run(p) for p in pictures], repeats)
        return [t / len(pictures) for t in seconds], answers

    repeats = max(5, min(40, 4_000_000 // n))
    shipped, _ = per_photo(lambda p: suggest(p, candidates, options), repeats)
    naive_repeats = 1 if n >= 1_000_000 else max(1, min(5, 500_000 // n))
    naive, naive_picks = per_photo(lambda p: naive_top(p, candidates, tracks, cached_space=False), naive_repeats)
    argsort, _ = per_photo(lambda p: naive_top(p, candidates, tracks, cached_space=True), repeats)
    auto = choose_kind(n, dim=space.features.shape[1])
    indexed_row = ("-", "-", "-")
    if auto != "exact":  # what `suggest --index auto` searches at this size: time it, and how often it agrees with exact
        started = time.perf_counter()
        index = build_index(space.features, candidates.ids, kind=auto)
        build_seconds = time.perf_counter() - started
        found = [[s.track["id"] for s in suggest(p, candidates, options, index=index)] for p in pictures]
        indexed, _ = per_photo(lambda p: suggest(p, candidates, options, index=index), repeats)
        overlap = statistics.mean(len(set(a) & set(b)) / TOP for a, b in zip(found, picks, strict=True))
        indexed_row = (f"{auto} {ms(statistics.median(indexed))}", f"{build_seconds:.1f} s", f"{overlap:.2f}")
        shipped = indexed
    b = statistics.median(shipped)
    total = image_seconds + b
    target = WARM_TARGETS_MS.get(n)
    met = "-" if target is None else ("yes" if 1e3 * total <= target else "NO")
    verdict = None
    if target is not None:
        verdict = f"warm {label(n)}: {1e3 * total:.1f} ms per photo (target <= {target:.0f} ms): {'met' if met == 'yes' else 'NOT met'}"
    row = (
        label(n),
        f"{build_rows:.2f} s",
        f"{rows_mb:+.0f} MB",
        f"{prepare:.2f} s",
        f"{space_mb(space):.0f} MB",
        f"{ms(b)} ({ms(min(shipped))})",
        ms(total),
        "-" if target is None else f"<= {target:.0f} ms",
        met,
        ms(statistics.median(naive)),
        f"{statistics.median(naive) / b:.0f}x",
        ms(statistics.median(argsort)),
        "yes" if naive_picks == picks else "NO",
        *indexed_row,
        f"{rss_mb():.0f} MB",
    )
    return row, verdict


def warm_sweep(sizes: list[int], folder: Path, *, photos: int) -> list[str]:
    print("warm: one photo, in process, 1 thread (torch.set_num_threads(1), BLAS 1 thread)", flush=True)
    pictures, image, encoder_load = encode_photos(folder, photos)
    print(
        f"  (a) fresh 640x480 JPEG, median of {photos} (best {ms(image['best'])}): {ms(image['total'])} = decode {ms(image['decode'])}"
        f" + EfficientNet-Lite0 {ms(image['cnn'])} + mood (Lite2 and Lite0 layers at 384 px, head) {ms(image['mood'])}"
        f"  (encoder load, once per process: {ms(encoder_load)})",
        flush=True,
    )
    album, in_fours = album_mood(folder, photos)
    print(
        f"  (a') the same {photos} photos as one album: mood networks {ms(album)} a photo"
        f" (in batches of 4, as before December 2026: {ms(in_fours)}, {in_fours / album:.2f}x)",
        flush=True,
    )
    rows, verdicts = [], []
    for n in sizes:
        row, verdict = warm_size(n, pictures, image["total"])
        rows.append(row)
        verdicts += [verdict] if verdict else []
        print(f"  {label(n)} done", flush=True)
    print()
    print(f"  (b) suggest(): median per photo (best), over {len(pictures)} photos x several runs; (c) = (a) + (b)")
    header = ("tracks", "build rows", "rows RSS", "prepare", "space", "(b) suggest", "(c) total", "target", "met")
    print_table(
        (*header, "naive (b)", "speed-up", "argsort only", "same top-10", "index", "index build", "top-10 overlap", "RSS now"), rows
    )
    print("  naive: score_tracks(pictures, candidates.tracks) (track side recomputed per query) + full np.argsort;")
    print("  argsort only: the cached space + full np.argsort; speed-up = naive / shipped (b);")
    print("  index: where `--index auto` picks an approximate index, suggest() through it (then (b) is that time), its build,")
    print("  and the share of the exact top 10 it returns;")
    print("  prepare: prepare_tracks + the id/duration/bpm columns, once per library load; RSS now: the process, this size loaded")
    print()
    return verdicts


# --- cold ----------------------------------------------------------------------------------


def build_library(path: Path, n: int, seed: int) -> None:
    """A library of n synthetic tracks with complete rows and both musicnn encodings, in one transaction."""
    rng = np.random.default_rng(seed)
    table = synthetic_rows(n, rng)
    tags = synthetic_tags(n, rng)
    curve_pool = [rng.beta(0.5, 5.0, size=(130, 50)).astype(np.float32) for _ in range(16)]
    energy_pool = rng.normal(-18, 4, size=(16, 800)).astype(np.float32)
    embedding_pool = rng.normal(0, 1, size=(16, 200)).astype(np.float32)
    indexed_at = utc_now()

    def track(i: int) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
        row = table[i]
        duration, bpm, key = row["duration"], row["bpm"], row["initial_key"]
        full = {
            **{c: row.get(c) for c in TRACK_COLUMNS},
            "size": int(duration * 40_000),
            "mtime_ns": 1_700_000_000_000_000_000 + i,
            "fingerprint": f"{i:040x}",
            "analysis_version": ANALYSIS_VERSION,
            "album": f"Album {i // 12}",
            "genre": GENRES[i % len(GENRES)],
            "year": str(1960 + i % 65),
            "codec": "mp3",
            "container": "mp3",
            "source_sample_rate": 44100,
            "channels": 2,
            "bit_rate": 320_000,
            "tempo_confidence": 0.8,
            "beats": np.arange(0.25, duration, 60.0 / bpm, dtype=np.float32),
            "key_tonic": key.rstrip("m"),
            "key_mode": "minor" if key.endswith("m") else "major",
            "key_confidence": 0.7,
            "loudness_lufs": -9.0,
            "peak_dbfs": -0.3,
            "energy_curve": energy_pool[i % 16][: int(np.ceil(duration / 0.5))],
            "brightness_hz": 2500.0,
            "indexed_at": indexed_at,
        }
        patches = max(1, int(duration // PATCH_SECONDS))
        encodings = {
            encoder: {
                "encoder_version": spec.version,
                "tags": tags[words][i],
                "tag_curve": curve_pool[(i + k) % 16][:patches],
                "embedding": embedding_pool[(i + k) % 16],
                "patch_seconds": PATCH_SECONDS,
            }
            for k, (encoder, spec, words) in enumerate(
                (name, MUSIC_ENCODERS[name], name.removeprefix("musicnn-")) for name in ("musicnn-mtt", "musicnn-msd")
            )
        }
        return full, encodings

    with Library(path) as library:
        library.save_track(*track(0))  # the public API once: the rows below are what it accepts
        db = library._db
        db.execute("PRAGMA synchronous=OFF")
        columns = ", ".join(("id", *TRACK_COLUMNS))
        insert = f"INSERT INTO tracks ({columns}) VALUES ({', '.join('?' * (len(TRACK_COLUMNS) + 1))})"
        with library.transaction() as tx:
            for start in range(1, n, 5000):
                batch = [(i, *track(i)) for i in range(start, min(n, start + 5000))]
                tx.executemany(
                    insert,
                    [(i + 1, *track_values(full)) for i, full, _ in batch],
                )
                for i, _, encodings in batch:
                    Library._write_encodings(tx, i + 1, encodings)
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


# Runs in a fresh interpreter: the steps of `picscore suggest` (cli/suggest_cmd.run) with timers.
_DRIVER = r"""
import sys, time
t = [("start", time.perf_counter())]
def mark(name): t.append((name, time.perf_counter()))
import numpy; mark("import numpy")
import torch; mark("import torch")
import picscore.cli.suggest_cmd; mark("import the suggest verb (rest)")
from pathlib import Path
from picscore.library import store
from picscore.library.image_features import picture_features
from picscore.trackspace.loading import load_candidates
from picscore.match.pictures import as_pictures
from picscore.match.suggest import SuggestOptions, suggest
import picscore.vision.efficientnet as efficientnet
spent = {"encoder load": 0.0}
def timed(name, function):
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started
    return wrapper
efficientnet.load_image_encoder = timed("encoder load", efficientnet.load_image_encoder)
mark("rest of imports")
with store.Library(sys.argv[1]) as library:
    mark("open library")
    candidates = load_candidates(library)
    mark("load_candidates")
    photos = picture_features(library, [Path(sys.argv[2])])
    mark("picture features")
    found = suggest(as_pictures(photos), candidates, SuggestOptions(top=10))
    mark("suggest")
assert len(found) == 10
steps = {b[0]: b[1] - a[1] for a, b in zip(t, t[1:])}
steps["picture features"] -= spent["encoder load"]
print(repr({**steps, "encoder load": spent["encoder load"]}))
import gc; gc.freeze()  # as the picscore command does before it exits
"""

BREAKDOWN_ORDER = (
    ("import numpy", "numpy"),
    ("import torch", "torch"),
    ("import the suggest verb (rest)", "picscore"),
    ("rest of imports", "other"),
    ("open library", "open"),
    ("load_candidates", "candidates"),
    ("encoder load", "CNN load"),
    ("picture features", "features"),
    ("suggest", "suggest"),
    ("start + exit", "start+exit"),
)


def run_cli(library: Path, photo: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "picscore", "--library", str(library), "suggest", str(photo), "--top", str(TOP)],
        env={**os.environ, **ONE_THREAD},
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0 or done.stdout.count("\n") < TOP + 2:
        raise RuntimeError(f"picscore suggest failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return seconds


def run_driver(library: Path, photo: Path) -> dict[str, float]:
    """Seconds per step of the driver, and "start + exit": its process's wall time that no step covers."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _DRIVER, str(library), str(photo)],
        env={**os.environ, **ONE_THREAD},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"breakdown driver failed:\n{done.stderr}")
    wall = time.perf_counter() - started
    steps = ast.literal_eval(done.stdout.strip().splitlines()[-1])
    return {**steps, "start + exit": wall - sum(steps.values())}


def import_chains(library: Path, photo: Path, modules: Sequence[str]) -> dict[str, str]:
    """For each module, the chain of imports that first loads it in `picscore suggest` (python -X importtime)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "picscore", "--library", str(library), "suggest", str(photo), "--top", "1"],
        env={**os.environ, **ONE_THREAD},
        capture_output=True,
        text=True,
        check=False,
    )
    entries = []  # (depth, name, cumulative microseconds), children before their parent
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match:
            entries.append((len(match[2]) // 2, match[3], int(match[1])))
    chains = {}
    for module in modules:
        found = next((k for k, (_, name, _) in enumerate(entries) if name == module), None)
        if found is None:
            continue
        depth, chain = entries[found][0], [f"{module} ({entries[found][2] / 1e6:.2f} s)"]
        for d, name, _ in entries[found + 1 :]:
            if d < depth:
                depth = d
                if name.startswith("picscore"):
                    chain.append(name)
        chains[module] = " <- ".join(chain)
    return chains


def cold_runs(sizes: list[int], folder: Path, keep: Path | None, *, pairs: int) -> list[str]:
    print("cold: a new `python -m picscore --library LIB suggest PHOTO --top 10` process, OMP_NUM_THREADS=1", flush=True)
    python_start = min(timings(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 3)[0])
    print(f"  bare interpreter start ({sys.executable} -c pass): {ms(python_start)}", flush=True)
    rows, breakdowns, verdicts = [], [], []
    photo_seed = 1000 + 100 * (time.time_ns() // 1000 % 10_000_000)  # never seen by a library kept from an earlier run
    for n in sizes:
        home = keep if keep is not None else folder
        home.mkdir(parents=True, exist_ok=True)
        library = home / f"library-{label(n)}.db"
        build = "reused"
        if not library.exists():
            print(f"  building {library} ...", flush=True)
            started = time.perf_counter()
            partial = library.with_name("partial-" + library.name)
            for suffix in ("", "-wal", "-shm"):
                Path(str(partial) + suffix).unlink(missing_ok=True)
            build_library(partial, n, seed=n)
            partial.replace(library)
            build = f"{time.perf_counter() - started:.1f} s"
        size_mb = library.stat().st_size / 2**20
        shutil.rmtree(space_folder(library), ignore_errors=True)
        # The first run fits the track space and stores it beside the library; the OS file cache then holds both, as in use.
        first_run = run_cli(library, write_photo(folder / "cache-warmup.jpg", seed=999))
        fresh, cached, fresh_steps, cached_steps = [], [], [], []
        for _ in range(pairs):
            photo_seed += 1
            photo = write_photo(folder / f"cold{photo_seed}.jpg", seed=photo_seed)
            fresh.append(run_cli(library, photo))
            cached.append(run_cli(library, photo))
        for _ in range(pairs):
            photo_seed += 1
            photo = write_photo(folder / f"cold{photo_seed}.jpg", seed=photo_seed)
            fresh_steps.append(run_driver(library, photo))
            cached_steps.append(run_driver(library, photo))
        for kind, steps in (("new photo", fresh_steps), ("cached photo", cached_steps)):
            median = {name: statistics.median(s[name] for s in steps) for name, _ in BREAKDOWN_ORDER}
            breakdowns.append((label(n), kind, *(f"{median[name]:.2f}" for name, _ in BREAKDOWN_ORDER), f"{sum(median.values()):.2f}"))
        for kind, values in (("new photo", fresh), ("cached photo", cached)):
            verdict = "met" if statistics.median(values) <= COLD_TARGET_S else "NOT met"
            verdicts.append(f"cold {label(n)}, {kind}: {statistics.median(values):.2f} s (target <= {COLD_TARGET_S:.0f} s): {verdict}")
        rows.append(
            (
                label(n),
                f"{size_mb:.0f} MB",
                build,
                f"{first_run:.2f} s",
                f"{statistics.median(fresh):.2f} s ({min(fresh):.2f})",
                f"{statistics.median(cached):.2f} s ({min(cached):.2f})",
                f"<= {COLD_TARGET_S:.0f} s",
                "yes" if statistics.median(fresh) <= COLD_TARGET_S else "NO",
                "yes" if statistics.median(cached) <= COLD_TARGET_S else "NO",
            )
        )
        print(f"  {label(n)} done", flush=True)
    print()
    print(f"  wall time of the whole process, median of {pairs} (best)")
    print_table(("tracks", "library", "build", "first run", "new photo", "cached photo", "target", "met (new)", "met (cached)"), rows)
    print("  first run: the first suggest after the library was written, which fits and stores the track space (trackspace/space_cache)")
    print()
    print("  breakdown, seconds (a driver process doing the CLI's steps with timers; median):")
    print_table(("tracks", "photo", *(short for _, short in BREAKDOWN_ORDER), "sum"), breakdowns)
    print("  candidates: load_candidates, the stored track space mapped; CNN load: torch model build + weights;")
    print("  features: fingerprint, cache lookup, decode + encode + store;")
    print("  start+exit: the process's wall time outside the steps (interpreter start, and its shutdown: torch's module teardown);")
    print("  the driver imports torch up front to time it, which the command with a cached photo does not")
    largest = home / f"library-{label(sizes[-1])}.db"
    heavy = ("torch", "scipy", "faiss", "av")
    chains = import_chains(largest, folder / f"cold{photo_seed}.jpg", heavy)
    print(f"  which of {', '.join(heavy)} a cached photo loads, and through what (python -X importtime, cumulative):")
    for chain in chains.values() or ["none"]:
        print(f"    {chain}")
    print()
    return verdicts


# --- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("1k,10k,100k,1M"), help="warm sizes (default: 1k,10k,100k,1M)")
    parser.add_argument(
        "--cold-sizes", type=parse_sizes, default=parse_sizes("1k,10k,100k"), help="cold CLI library sizes (default: 1k,10k,100k)"
    )
    parser.add_argument("--no-cold", action="store_true", help="skip the cold CLI part")
    parser.add_argument("--no-warm", action="store_true", help="skip the warm part")
    parser.add_argument("--photos", type=int, default=8, help="fresh photos for the warm part (default: %(default)s)")
    parser.add_argument("--pairs", type=int, default=2, help="cold runs per size and kind of photo (default: %(default)s)")
    parser.add_argument(
        "--keep-libraries",
        type=Path,
        metavar="DIR",
        help="build the cold libraries in DIR and reuse them next time (100k tracks take about 3 GB); default: a temporary folder",
    )
    args = parser.parse_args()

    torch.set_num_threads(1)
    verdicts = []
    folder = Path(tempfile.mkdtemp(prefix="picscore-bench-suggest-"))
    try:
        with threadpool_limits(1):
            if not args.no_warm:
                verdicts += warm_sweep(args.sizes, folder, photos=args.photos)
            if not args.no_cold:
                verdicts += cold_runs(args.cold_sizes, folder, args.keep_libraries, pairs=args.pairs)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("targets:")
    for verdict in verdicts:
        print(f"  {verdict}")


if __name__ == "__main__":
    main()
