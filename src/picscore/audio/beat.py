"""Tempo estimation and beat tracking on an onset-strength envelope.

Tempo: the autocorrelation of the onset envelope, read at fractional lags (so a beat period
that is not a whole number of frames keeps its whole peak), each candidate tempo scored with
its two-beat period as well and weighted by a broad log-normal prior around 120 BPM. The
metrical level is then decided from the music: halve when nothing sounds between beats and
the bass marks only every other one; double when the half-beats are as strong as the beats.
Beats: dynamic programming (Ellis 2007) that trades onset strength against deviation from
the tempo, then sub-frame peak refinement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import maximum_filter1d

# Candidate tempi, log-spaced (0.22 % apart) so every octave is searched equally finely.
_CANDIDATE_BPMS = np.geomspace(40.0, 240.0, 800)
# Octave decision (choose_metrical_level): halve below this off-beat/on-beat ratio when the
# bass alternation is below its threshold (times the prior's odds), double at or above that
# ratio; never beyond these tempi.
_HALVE_BELOW_OFF_BEAT_RATIO = 0.15
_HALVE_BELOW_BASS_ALTERNATION = 0.25
_DOUBLE_FROM_OFF_BEAT_RATIO = 0.85
_MIN_HALVED_BPM = 50.0
_MAX_DOUBLED_BPM = 210.0
# The beat grid is fitted within ±3 % of the estimated period, at 24 phases per period, to
# each 12 s of the track on its own.
_GRID_PERIOD_SCALES = np.linspace(0.97, 1.03, 13)
_GRID_PHASES = 24
_SALIENCE_WINDOW_SECONDS = 12.0


@dataclass(frozen=True)
class BeatTrack:
    """Tempo in BPM, beat times in seconds, and how periodic the onsets are (0..1)."""

    bpm: float
    beat_times: np.ndarray
    confidence: float


@dataclass(frozen=True)
class TempoPrior:
    """How readily listeners tap each tempo: log-normal around `bpm`, `octaves` wide."""

    bpm: float = 120.0
    octaves: float = 1.0

    def weight(self, bpm: np.ndarray | float) -> np.ndarray:
        return np.exp(-0.5 * (np.log2(np.asarray(bpm) / self.bpm) / self.octaves) ** 2)


@dataclass(frozen=True)
class MetricalSalience:
    """How strongly a pulse envelope sounds on the best-fitting beat grid of one period.

    `on_beat` and `off_beat` are the envelope's means on the grid and half-way between its
    points; `alternation` is the weaker over the stronger of the even and odd beats' means
    (near 0 when only every other beat sounds, 1 when all sound alike).
    """

    on_beat: float
    off_beat: float
    alternation: float

    @property
    def off_beat_ratio(self) -> float:
        return self.off_beat / self.on_beat if self.on_beat > 0 else 0.0


def onset_autocorrelation(onset: np.ndarray) -> np.ndarray:
    """Autocorrelation of the mean-removed onset envelope, normalised so lag 0 is 1."""
    x = onset - onset.mean()
    n = len(x)
    spectrum = np.fft.rfft(x, n=2 * n)
    acf = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    acf /= np.arange(n, 0, -1)  # unbiased: each lag averaged over its own overlap
    return acf / acf[0] if acf[0] > 0 else np.zeros(n)


def estimate_tempo(
    onset: np.ndarray,
    *,
    frame_rate: float,
    bass_onset: np.ndarray | None = None,
    prior_bpm: float = 120.0,
    prior_octaves: float = 1.0,
) -> tuple[float, float]:
    """Return (bpm, periodicity) of the onset envelope; periodicity is the acf peak in 0..1.

    `bass_onset` is the onset envelope of the low bands alone (kick and bass), the evidence
    for a beat on every other pulse; without it the full envelope stands in.
    """
    acf = onset_autocorrelation(onset)
    prior = TempoPrior(bpm=prior_bpm, octaves=prior_octaves)
    bpm = periodic_tempo(acf, frame_rate=frame_rate, prior=prior)
    if bpm == 0.0:
        return 0.0, 0.0
    bpm = choose_metrical_level(bpm, onset, bass_onset=onset if bass_onset is None else bass_onset, frame_rate=frame_rate, prior=prior)
    return float(bpm), float(np.clip(_acf_at(acf, 60.0 * frame_rate / bpm), 0.0, 1.0))


def periodic_tempo(acf: np.ndarray, *, frame_rate: float, prior: TempoPrior) -> float:
    """The candidate tempo whose beat and two-beat periods recur most, weighted by the prior.

    The acf is smoothed over about a frame and read at fractional lags: an onset rounded to
    the nearest frame splits a period between two whole lags, and reading either alone
    under-rates that tempo against its octave. 0 when no candidate fits in the envelope.
    """
    lags = 60.0 * frame_rate / _CANDIDATE_BPMS
    fits = 2 * lags < len(acf) - 1
    if not fits.any():
        return 0.0
    smoothed = np.convolve(acf, _gaussian(sigma_frames=1.0, half_width=3), mode="same")
    positions = np.arange(len(acf))
    strength = np.maximum(np.interp(lags, positions, smoothed), 0.0) + 0.5 * np.maximum(np.interp(2 * lags, positions, smoothed), 0.0)
    return float(_CANDIDATE_BPMS[np.argmax(np.where(fits, strength * prior.weight(_CANDIDATE_BPMS), -np.inf))])


def choose_metrical_level(bpm: float, onset: np.ndarray, *, bass_onset: np.ndarray, frame_rate: float, prior: TempoPrior) -> float:
    """Halve or double `bpm` (at most twice, one way) as the metre of the onsets says.

    Halve when almost nothing sounds half-way between beats and the bass sounds on only
    every other beat (the periodicity found was the eighth note). Double when, in the full
    band or in the bass, the half-beats are about as strong as the beats (it found the half
    note). The bass threshold for halving is scaled by the square of the prior's odds for
    the halved tempo, so a bass that only leans towards alternate beats halves a tempo
    towards 120 BPM but not away from it. (Squared: drum songs at 70-80 BPM read at the
    eighth note halve, the composer's calm 120 BPM pieces with a half-note bass do not.)
    """
    full, bass = _pulse_envelope(onset), _pulse_envelope(bass_onset)
    direction = 0
    for _ in range(2):
        period, window = 60.0 * frame_rate / bpm, round(_SALIENCE_WINDOW_SECONDS * frame_rate)
        in_full = metrical_salience(full, period_frames=period, window_frames=window)
        in_bass = metrical_salience(bass, period_frames=period, window_frames=window)
        if (
            direction <= 0
            and bpm / 2 >= _MIN_HALVED_BPM
            and in_full.off_beat_ratio < _HALVE_BELOW_OFF_BEAT_RATIO
            and in_bass.alternation < _HALVE_BELOW_BASS_ALTERNATION * (prior.weight(bpm / 2) / prior.weight(bpm)) ** 2
        ):
            bpm, direction = bpm / 2, -1
        elif (
            direction >= 0
            and 2 * bpm <= _MAX_DOUBLED_BPM
            and max(in_full.off_beat_ratio, in_bass.off_beat_ratio) >= _DOUBLE_FROM_OFF_BEAT_RATIO
        ):
            bpm, direction = 2 * bpm, 1
        else:
            break
    return bpm


def metrical_salience(envelope: np.ndarray, *, period_frames: float, window_frames: int) -> MetricalSalience:
    """The envelope's strength on the beat grids (period within ±3 %, any phase) that fit it best.

    A grid is fitted to each window of `window_frames` on its own, so a tempo estimate a
    fraction of a percent off, or a tempo that drifts, does not slide the grid off the beats
    over a long track; the windows' means are pooled, weighted by their beats.
    """
    peaks = maximum_filter1d(envelope, size=3)
    totals = np.zeros(4)  # on-beat, off-beat, stronger and weaker of even and odd beats; each summed over beats
    for start in range(0, len(peaks), window_frames):
        window = peaks[start : start + window_frames]
        grid = _best_grid(window, period_frames=period_frames)
        if len(grid) < 2:
            continue
        positions = np.arange(len(window))
        on_grid = np.interp(grid, positions, window)
        off_grid = np.interp(grid + (grid[1] - grid[0]) / 2, positions, window)
        even, odd = on_grid[0::2].mean(), on_grid[1::2].mean()
        totals += len(grid) * np.array([on_grid.mean(), off_grid.mean(), max(even, odd), min(even, odd)])
    on_beat, off_beat, stronger, weaker = totals
    if on_beat <= 0:
        return MetricalSalience(on_beat=0.0, off_beat=0.0, alternation=1.0)
    return MetricalSalience(on_beat=float(on_beat), off_beat=float(off_beat), alternation=float(weaker / stronger))


def _best_grid(peaks: np.ndarray, *, period_frames: float) -> np.ndarray:
    """Beat positions (frames) of the period within ±3 % and the phase on which `peaks` is strongest."""
    positions = np.arange(len(peaks))
    best_mean, best_grid = -1.0, np.zeros(0)
    for period in period_frames * _GRID_PERIOD_SCALES:
        beats = np.arange(0.0, len(peaks) - 1 - period, period)
        if len(beats) < 2:
            continue
        grids = beats[None, :] + period * np.arange(_GRID_PHASES)[:, None] / _GRID_PHASES
        means = np.interp(grids, positions, peaks).mean(axis=1)
        phase = int(np.argmax(means))
        if means[phase] > best_mean:
            best_mean, best_grid = float(means[phase]), grids[phase]
    return best_grid


def _pulse_envelope(onset: np.ndarray) -> np.ndarray:
    """Onsets above the track's typical level, lightly smoothed: the pulses a listener hears."""
    above = np.maximum(onset - np.median(onset), 0.0)
    return np.convolve(above, _gaussian(sigma_frames=0.7, half_width=3), mode="same")


def _gaussian(*, sigma_frames: float, half_width: int) -> np.ndarray:
    """A unit-sum Gaussian kernel over -half_width..half_width frames."""
    kernel = np.exp(-0.5 * (np.arange(-half_width, half_width + 1) / sigma_frames) ** 2)
    return kernel / kernel.sum()


def _parabolic_peak(values: np.ndarray, index: int) -> float:
    """Sub-sample position of the peak at `index` from a parabola through its neighbours."""
    if index <= 0 or index >= len(values) - 1:
        return float(index)
    left, centre, right = values[index - 1], values[index], values[index + 1]
    curvature = left - 2 * centre + right
    if curvature >= 0:
        return float(index)
    return index + float(np.clip(0.5 * (left - right) / curvature, -0.5, 0.5))


def _acf_at(acf: np.ndarray, lag: float) -> float:
    """Highest autocorrelation within one frame of a fractional lag (0 beyond the envelope).

    The tolerance absorbs the rounding of onsets to frames, which splits a peak that falls
    between two lags.
    """
    low, high = int(np.floor(lag)) - 1, int(np.ceil(lag)) + 1
    return float(acf[max(low, 0) : high + 1].max()) if high < len(acf) else 0.0


def track_beats(onset: np.ndarray, *, frame_rate: float, bpm: float, tightness: float = 100.0) -> np.ndarray:
    """Beat positions in (fractional) frames that best follow `bpm` through strong onsets."""
    if bpm <= 0 or not np.any(onset > 0):
        return np.zeros(0)
    period = 60.0 * frame_rate / bpm
    score = _smoothed_onset(onset, period=period)
    offsets = np.arange(round(period / 2), round(2 * period) + 1)
    penalty = -tightness * np.log(offsets / period) ** 2
    cumulative, backlink = _best_paths(score, offsets=offsets, penalty=penalty)
    beats = _backtrack(cumulative, backlink, score, period=period)
    beats = _trim_weak_ends(beats, score)
    return _refine_peaks(beats, onset)


def _best_paths(score: np.ndarray, *, offsets: np.ndarray, penalty: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The dynamic programme of beat tracking: each frame's best cumulative score and the frame its path came from.

    A frame adds the best of (cumulative score `offsets` frames back + that offset's `penalty`) when that is
    positive. No offset is shorter than offsets[0], so a block of that many frames depends only on frames before
    it: each block is one vectorised step.
    """
    cumulative = score.copy()
    backlink = np.full(len(score), -1)
    block = max(1, int(offsets[0]))
    for start in range(block, len(score), block):
        frames = np.arange(start, min(start + block, len(score)))
        candidates = frames[:, None] - offsets[None, :]
        totals = np.where(candidates >= 0, cumulative[np.maximum(candidates, 0)] + penalty, -np.inf)
        best = np.argmax(totals, axis=1)
        best_totals = totals[np.arange(len(frames)), best]
        improves = best_totals > 0
        cumulative[frames[improves]] += best_totals[improves]
        backlink[frames[improves]] = candidates[improves, best[improves]]
    return cumulative, backlink


def _smoothed_onset(onset: np.ndarray, *, period: float) -> np.ndarray:
    """Onset envelope normalised by its spread and smoothed with a narrow Gaussian."""
    spread = onset.std()
    normalised = onset / spread if spread > 0 else onset
    half = int(np.ceil(period))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) * 32.0 / period) ** 2)
    return np.convolve(normalised, kernel, mode="same")


def _backtrack(cumulative: np.ndarray, backlink: np.ndarray, score: np.ndarray, *, period: float) -> np.ndarray:
    """Follow back-links from the last beat.

    The last beat is the best-scoring local maximum of the cumulative score that sits on a
    clear onset within one period of the last such onset: the last clear onset alone may be
    an off-beat (a hi-hat between beats).
    """
    interior = (cumulative[1:-1] >= cumulative[:-2]) & (cumulative[1:-1] > cumulative[2:])
    peaks = np.flatnonzero(interior) + 1
    peaks = peaks[score[peaks] >= 0.5 * np.sqrt(np.mean(score**2))]
    if len(peaks) == 0:
        return np.zeros(0, dtype=int)
    final = peaks[peaks > peaks[-1] - period]
    beat = int(final[np.argmax(cumulative[final])])
    beats = [beat]
    while backlink[beat] >= 0:
        beat = int(backlink[beat])
        beats.append(beat)
    return np.array(beats[::-1], dtype=int)


def _trim_weak_ends(beats: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Drop leading and trailing beats that fall on near-silence."""
    if len(beats) == 0:
        return beats
    threshold = 0.5 * np.sqrt(np.mean(score[beats] ** 2))
    strong = np.flatnonzero(score[beats] >= threshold)
    return beats[strong[0] : strong[-1] + 1] if len(strong) else beats[:0]


def _refine_peaks(beats: np.ndarray, onset: np.ndarray) -> np.ndarray:
    """Move each beat to the onset peak within one frame, with parabolic sub-frame precision."""
    refined = beats.astype(float)
    for i, frame in enumerate(beats):
        lo, hi = max(frame - 1, 1), min(frame + 1, len(onset) - 2)
        peak = lo + int(np.argmax(onset[lo : hi + 1]))
        refined[i] = _parabolic_peak(onset, peak)
    return refined


def beat_track(
    onset: np.ndarray, *, frame_rate: float, bass_onset: np.ndarray | None = None, frame_offset_seconds: float = 0.0
) -> BeatTrack:
    """Tempo and beat times (seconds) from an onset envelope sampled at `frame_rate` Hz.

    `bass_onset` is the low bands' own onset envelope (see estimate_tempo).
    `frame_offset_seconds` is added to every beat time to correct the envelope's latency.
    The reported BPM is refined from the tracked beats by a least-squares fit when that
    agrees with the autocorrelation estimate within 4 %.
    """
    bpm, periodicity = estimate_tempo(onset, frame_rate=frame_rate, bass_onset=bass_onset)
    frames = track_beats(onset, frame_rate=frame_rate, bpm=bpm)
    times = np.maximum(frames / frame_rate + frame_offset_seconds, 0.0)
    if len(times) >= 8:
        slope = np.polyfit(np.arange(len(times)), times, 1)[0]
        fitted = 60.0 / slope if slope > 0 else bpm
        if abs(fitted - bpm) <= 0.04 * bpm:
            bpm = fitted
    return BeatTrack(bpm=float(bpm), beat_times=times.astype(np.float32), confidence=periodicity)
