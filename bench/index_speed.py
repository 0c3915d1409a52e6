"""Indexing speed: picscore's decode + analysis against a straightforward librosa pipeline, and with the taggers.

Generates (once, cached in bench/.cache) a library of synthetic songs of known tempo and
key, encoded as MP3, OGG Vorbis and FLAC, then in one run:
  * indexes it with picscore on 1 core and on every core (fresh library each time);
  * analyses the same files with librosa (load, beat_track, chroma_stft + Krumhansl key,
    pyloudnorm LUFS, spectral centroid, RMS highlight) on 1 core and on every core;
and prints tracks/s, real-time factors (audio seconds per wall second) per core and in
total, the speed ratio, and each pipeline's tempo and key accuracy on the known answers.
Then indexes it on every core with both musicnn taggers as `picscore index` runs them: on
the default few patches a track, and on every patch (--tagger-patches all); and shows where a
track's time goes on one core: decoding, the analysis, the taggers' input and each tagger.

    python bench/index_speed.py                  # 50 tracks of 3 minutes
    python bench/index_speed.py --tracks 8 --seconds 60
    python bench/index_speed.py --music ~/Music/some-albums   # the same figures on real files (no accuracy: no known answers)
"""

from __future__ import annotations

import argparse
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from picscore.audio.music_encoders import DEFAULT_ENCODERS, DEFAULT_TAGGER_PATCHES
from picscore.compose.synth import SongSpec, render_song
from picscore.library.indexer import index_paths
from picscore.library.parallel import default_jobs
from picscore.library.scan import scan_audio_files
from picscore.library.store import Library
from picscore.media.audio_encode import encode_audio
from picscore.pitch_names import SHARP_NAMES, pitch_class

CACHE = Path(__file__).parent / ".cache"
FORMATS = (".mp3", ".ogg", ".flac")
PROGRESSIONS = ((0, 3, 4, 0), (0, 5, 3, 4), (0, 4, 5, 3))


def song_specs(n_tracks: int) -> list[SongSpec]:
    """Varied, reproducible songs: tempi 70-165 BPM, all 24 keys, with and without drums."""
    rng = np.random.default_rng(7)
    return [
        SongSpec(
            tonic=SHARP_NAMES[i % 12],
            mode="major" if (i // 12) % 2 == 0 else "minor",
            bpm=float(rng.integers(70, 166)),
            progression=PROGRESSIONS[i % 3],
            drums=i % 4 != 3,
            brightness=float(rng.uniform(0.3, 0.8)),
            loudness=float(rng.uniform(0.3, 0.95)),
            seed=i,
        )
        for i in range(n_tracks)
    ]


def build_library(n_tracks: int, seconds: float) -> tuple[Path, dict[str, SongSpec]]:
    folder = CACHE / f"library_{n_tracks}x{int(seconds)}s"
    folder.mkdir(parents=True, exist_ok=True)
    truth = {}
    for i, spec in enumerate(song_specs(n_tracks)):
        path = folder / f"track{i:03d}{FORMATS[i % len(FORMATS)]}"
        if not path.exists():
            print(f"  generating {path.name} ({spec.tonic} {spec.mode}, {spec.bpm:.0f} BPM)", flush=True)
            partial = path.with_name("partial-" + path.name)
            encode_audio(partial, render_song(spec, seconds=seconds, sr=44100), sr=44100)
            partial.replace(path)
        truth[str(path.resolve())] = spec
    return folder, truth


# --- the librosa pipeline ------------------------------------------------------------------

_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])


def librosa_analyse(path: str) -> dict:
    """What a developer would write with librosa and pyloudnorm for the same descriptors."""
    import librosa
    import pyloudnorm

    y, sr = librosa.load(path, sr=22050, mono=True)
    tempo, beats = librosa.beat.beat_track(y=y, sr=sr, units="time")
    chroma = librosa.feature.chroma_stft(y=y, sr=sr).mean(axis=1)
    templates = [np.roll(p, k) for p in (_MAJOR, _MINOR) for k in range(12)]
    best = int(np.argmax([np.corrcoef(chroma, t)[0, 1] for t in templates]))
    lufs = pyloudnorm.Meter(sr).integrated_loudness(y.astype(np.float64))
    centroid = float(librosa.feature.spectral_centroid(y=y, sr=sr).mean())
    log_mel = librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr))
    rms = librosa.feature.rms(y=y)[0]
    window = int(30 * sr / 512)
    highlight_start = float(np.argmax(np.convolve(rms, np.ones(window), "valid")) * 512 / sr) if len(rms) > window else 0.0
    return {
        "path": path,
        "duration": len(y) / sr,
        "bpm": float(np.atleast_1d(tempo)[0]),
        "key": (SHARP_NAMES[best % 12], "major" if best < 12 else "minor"),
        "lufs": lufs,
        "centroid": centroid,
        "mel_frames": log_mel.shape[1],
        "beats": len(beats),
        "highlight": highlight_start,
    }


def _single_thread() -> None:
    import threadpoolctl

    threadpoolctl.threadpool_limits(1)


def run_librosa(paths: list[str], *, jobs: int) -> tuple[list[dict], float]:
    started = time.perf_counter()
    if jobs == 1:
        _single_thread()
        results = [librosa_analyse(p) for p in paths]
    else:
        with multiprocessing.get_context("spawn").Pool(jobs, initializer=_single_thread) as pool:
            results = pool.map(librosa_analyse, paths, chunksize=1)
    return results, time.perf_counter() - started


def run_picscore(
    folder: Path, *, jobs: int, encoders: tuple[str, ...] = (), tagger_patches: int | None = DEFAULT_TAGGER_PATCHES
) -> tuple[list[dict], float]:
    """Index the folder into a fresh library: decode and analysis, and the taggers named in `encoders`."""
    with tempfile.TemporaryDirectory() as tmp, Library(Path(tmp) / "bench.db") as library:
        summary = index_paths(library, [folder], jobs=jobs, encoders=encoders, tagger_patches=tagger_patches, progress=False)
        assert summary.failed == 0, summary.failures
        tracks = [library.known_track(t["id"]) for t in library.list_tracks()]
    results = [{"path": t["path"], "duration": t["duration"], "bpm": t["bpm"], "key": (t["key_tonic"], t["key_mode"])} for t in tracks]
    return results, summary.wall_seconds


def stage_seconds(paths: list[str]) -> dict[str, float]:
    """Mean seconds a track of each stage of a file's indexing work, in this process on one core."""
    import torch

    from picscore.audio.analysis import DEFAULT_CONFIG, analyse
    from picscore.audio.music_encoders import MUSIC_ENCODERS
    from picscore.audio.musicnn import load_musicnn, musicnn_patch_log_mels, tag_patches
    from picscore.media.audio_decode import decode_audio

    _single_thread()
    torch.set_num_threads(1)
    for encoder in DEFAULT_ENCODERS:
        load_musicnn(MUSIC_ENCODERS[encoder].model)
    totals: dict[str, float] = {}

    def timed(stage: str, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        result = work(*args, **kwargs)
        totals[stage] = totals.get(stage, 0.0) + time.perf_counter() - started
        return result

    for path in paths:
        decoded = timed("decode to 22 050 Hz mono", decode_audio, path, sr=DEFAULT_CONFIG.sr)
        timed("analysis (tempo, beats, key, loudness...)", analyse, decoded.samples, config=DEFAULT_CONFIG)
        log_mels = timed(
            "taggers' input (log-mel of the patches)",
            musicnn_patch_log_mels,
            decoded.samples,
            sr=decoded.sr,
            patches=DEFAULT_TAGGER_PATCHES,
        )
        for encoder in DEFAULT_ENCODERS:
            timed(f"tagger {encoder}", tag_patches, log_mels, model=MUSIC_ENCODERS[encoder].model)
    return {stage: seconds / len(paths) for stage, seconds in totals.items()}


# --- accuracy on the known answers ---------------------------------------------------------


def accuracy(results: list[dict], truth: dict[str, SongSpec]) -> dict[str, float]:
    tempo_exact = tempo_octave = key_exact = 0
    for result in results:
        spec = truth[str(Path(result["path"]).resolve())]
        ratio = result["bpm"] / spec.bpm
        tempo_exact += abs(ratio - 1) <= 0.04
        tempo_octave += any(abs(ratio * f - 1) <= 0.04 for f in (1, 2, 0.5, 3, 1 / 3))
        key_exact += (pitch_class(result["key"][0]), result["key"][1]) == (pitch_class(spec.tonic), spec.mode)
    n = max(len(results), 1)
    return {"tempo within 4%": tempo_exact / n, "tempo, octave-tolerant": tempo_octave / n, "key exact": key_exact / n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tracks", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="cores for the parallel runs (default: all)")
    parser.add_argument("--music", type=Path, help="time these audio files (a folder) instead of the generated songs")
    args = parser.parse_args()

    truth: dict[str, SongSpec] | None = None
    if args.music:
        folder = args.music
        paths = [file.path for file in scan_audio_files([folder]).files]
        print(f"library: {len(paths)} audio files under {folder}, {args.jobs} cores")
    else:
        print(f"library: {args.tracks} tracks x {args.seconds:.0f} s ({', '.join(FORMATS)}), {args.jobs} cores")
        folder, truth = build_library(args.tracks, args.seconds)
        paths = sorted(truth)

    librosa_analyse(paths[0])  # compile librosa's numba kernels outside the timing
    rows = []
    pipelines = (("picscore", lambda jobs: run_picscore(folder, jobs=jobs)), ("librosa", lambda jobs: run_librosa(paths, jobs=jobs)))
    for name, runner in pipelines:
        for jobs in sorted({1, args.jobs}):
            results, seconds = runner(jobs)
            rows.append((name, jobs, seconds, results))
            print(f"  {name:8s} {jobs} core(s): {seconds:7.1f} s", flush=True)
    durations = {str(Path(result["path"]).resolve()): result["duration"] for result in rows[0][3]}
    audio_seconds = sum(durations.values())
    print(f"  {len(paths)} tracks, {audio_seconds / 3600:.2f} h of audio")

    print()
    print(f"{'pipeline':10s} {'cores':>5s} {'wall s':>8s} {'tracks/s':>9s} {'RTF total':>10s} {'RTF/core':>9s}")
    for name, jobs, seconds, _ in rows:
        rtf = audio_seconds / seconds
        print(f"{name:10s} {jobs:5d} {seconds:8.1f} {len(paths) / seconds:9.2f} {rtf:9.0f}x {rtf / jobs:8.0f}x")
    by_key = {(name, jobs): seconds for name, jobs, seconds, _ in rows}
    for jobs in sorted({1, args.jobs}):
        print(f"picscore is {by_key['librosa', jobs] / by_key['picscore', jobs]:.1f}x faster than librosa on {jobs} core(s)")

    print()
    print(f"with both taggers, {args.jobs} cores (what `picscore index` runs by default):")
    modes = ((f"{DEFAULT_TAGGER_PATCHES} patches a track (default)", DEFAULT_TAGGER_PATCHES), ("every patch (--tagger-patches all)", None))
    for label, patches in modes:
        _, seconds = run_picscore(folder, jobs=args.jobs, encoders=DEFAULT_ENCODERS, tagger_patches=patches)
        print(f"  {label:40s} {seconds:7.1f} s, {audio_seconds / seconds:5.0f}x real time", flush=True)

    print()
    print(f"where a track's time goes, 1 core, mean of {min(len(paths), 10)} tracks:")
    stages = stage_seconds(paths[:10])
    for stage, seconds in stages.items():
        print(f"  {stage:45s} {seconds:6.3f} s  {seconds / sum(stages.values()):4.0%}")
    mean_seconds = float(np.mean([durations[str(Path(path).resolve())] for path in paths[:10]]))
    print(f"  {'all':45s} {sum(stages.values()):6.3f} s  ({mean_seconds / sum(stages.values()):.0f}x real time on one core)")

    if truth is None:
        return
    print()
    print(f"{'accuracy on known answers':28s} {'picscore':>9s} {'librosa':>9s}")
    ours = accuracy(rows[0][3], truth)
    theirs = accuracy(next(r for r in rows if r[0] == "librosa")[3], truth)
    for metric in ours:
        print(f"{metric:28s} {ours[metric]:9.0%} {theirs[metric]:9.0%}")


if __name__ == "__main__":
    main()
