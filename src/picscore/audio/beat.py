"""Tempo estimation and beat tracking on an onset-strength envelope.

Tempo: the autocorrelation of the onset envelope, read at fractional lags (so a beat period
that is not a whole number of frames keeps its whole peak), each candidate tempo scored with
its two-beat period as well and weighted by a broad log-normal prior around 120 BPM; a tempo
whose 2:3 or 3:4 relative recurs more with its half and double periods moves there. Which
metrical level of that periodicity is the beat (half it, keep it, double it) is then decided
by a model fitted on music with written tempi (tempo_octave.py).
Beats: dynamic programming (Ellis 2007) that trades onset strength against deviation from
the tempo, then sub-frame peak refinement.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from picscore.audio.pulse import autocorrelation_at, onset_autocorrelation, smoothed_autocorrelation
from picscore.audio.tempo_octave import OnsetBands, choose_octave

# Candidate tempi, log-spaced (0.22 % apart) so every octave is searched equally finely.
_CANDIDATE_BPMS = np.geomspace(40.0, 240.0, 800)
# The relatives a periodicity may move to when their metrical family recurs more, and how near each the family's
# best tempo is looked for (a song's real 2:3 relative is seldom exactly 2:3 of a tempo read 0.22 % apart).
METRICAL_RELATIVES = (2 / 3, 3 / 4, 4 / 3, 3 / 2)
RELATIVE_SEARCH_WIDTH = 0.03
# The periods read for a tempo, as multiples of its beat period, with their weights: the beat and its two-beat bar
# find the periodicity; its metrical family adds the half beat, which tells it from a 2:3 relative.
_BEAT_AND_BAR = {1.0: 1.0, 2.0: 0.5}
_METRICAL_FAMILY = {1.0: 1.0, 0.5: 1.0, 2.0: 0.5}


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


def estimate_tempo(bands: OnsetBands, *, frame_rate: float, prior_bpm: float = 120.0, prior_octaves: float = 1.0) -> tuple[float, float]:
    """Return (bpm, periodicity) of the onset envelopes; periodicity is the full band's acf peak in 0..1.

    The full band's autocorrelation gives the periodicity; the bass (kick and bass line) and the highs (cymbals)
    are the evidence, with the full band, for which pulse of it is the beat (tempo_octave.py).
    """
    found = find_periodicity(bands.full, frame_rate=frame_rate, prior=TempoPrior(bpm=prior_bpm, octaves=prior_octaves))
    if found.bpm == 0.0:
        return 0.0, 0.0
    bpm = choose_octave(found.bpm, bands=bands, smoothed_acf=found.smoothed_acf, frame_rate=frame_rate)
    return float(bpm), float(np.clip(_acf_at(found.acf, 60.0 * frame_rate / bpm), 0.0, 1.0))


@dataclass(frozen=True)
class Periodicity:
    """How often an onset envelope recurs: the periodic tempo (0 when none fits) and the autocorrelations it was read from."""

    bpm: float
    acf: np.ndarray
    smoothed_acf: np.ndarray


def find_periodicity(onset: np.ndarray, *, frame_rate: float, prior: TempoPrior) -> Periodicity:
    """The periodic tempo of an onset envelope sampled at `frame_rate` Hz, before its octave is chosen."""
    acf = onset_autocorrelation(onset)
    smoothed = smoothed_autocorrelation(acf)
    return Periodicity(periodic_tempo(smoothed, frame_rate=frame_rate, prior=prior), acf, smoothed)


def periodic_tempo(smoothed_acf: np.ndarray, *, frame_rate: float, prior: TempoPrior) -> float:
    """The candidate tempo whose beat and two-beat periods recur most, weighted by the prior, or its metrical
    relative (`metrical_relative`).

    The acf is read smoothed and at fractional lags: an onset rounded to the nearest frame
    splits a period between two whole lags, and reading either alone under-rates that tempo
    against its octave. 0 when no candidate fits in the envelope.
    """
    fits = 2 * 60.0 * frame_rate / _CANDIDATE_BPMS < len(smoothed_acf) - 1  # its two-beat period lies within the acf
    if not fits.any():
        return 0.0
    strength = _recurrence(_CANDIDATE_BPMS, _BEAT_AND_BAR, smoothed_acf=smoothed_acf, frame_rate=frame_rate)
    found = float(_CANDIDATE_BPMS[np.argmax(np.where(fits, strength * prior.weight(_CANDIDATE_BPMS), -np.inf))])
    return metrical_relative(found, candidates=_CANDIDATE_BPMS[fits], smoothed_acf=smoothed_acf, frame_rate=frame_rate, prior=prior)


def metrical_relative(bpm: float, *, candidates: np.ndarray, smoothed_acf: np.ndarray, frame_rate: float, prior: TempoPrior) -> float:
    """`bpm`, or the 2:3, 3:4, 4:3 or 3:2 relative of it whose metrical family recurs most, if that family recurs more.

    A periodicity can lock onto a level that is no octave of the beat: a fast tune in 2/4 read at two thirds of its
    beat, where a dotted figure recurs. A tempo's family is its beat, its half beat and its two-beat bar, each
    weighted by the prior; the half beat, which `periodic_tempo` does not read, is what tells the true level's
    family from the relative's. On 400 real song clips this agreed with tempo-cnn (an estimator trained on people's
    tapping) on 278 against 260, and it mended three rendered scores read at two thirds or three quarters
    (docs/how-matching-works.md). `candidates` are the tempi it may move to: those whose two-beat period was read.
    """

    def family_strength(bpms: np.ndarray) -> np.ndarray:
        return _recurrence(bpms, _METRICAL_FAMILY, smoothed_acf=smoothed_acf, frame_rate=frame_rate) * prior.weight(bpms)

    best_bpm, best_family = bpm, float(family_strength(np.array([bpm]))[0])
    for ratio in METRICAL_RELATIVES:
        if not _CANDIDATE_BPMS[0] <= bpm * ratio <= _CANDIDATE_BPMS[-1]:
            continue
        near = candidates[np.abs(np.log(candidates / (bpm * ratio))) < np.log1p(RELATIVE_SEARCH_WIDTH)]
        if len(near) == 0:
            continue
        family = family_strength(near)
        if family.max() > best_family:
            best_bpm, best_family = float(near[np.argmax(family)]), float(family.max())
    return best_bpm


def _recurrence(bpms: np.ndarray, periods: dict[float, float], *, smoothed_acf: np.ndarray, frame_rate: float) -> np.ndarray:
    """How strongly each tempo's `periods` (multiples of its beat period: weights) recur, negative autocorrelation as none."""
    lags = 60.0 * frame_rate / bpms
    return sum(weight * np.maximum(autocorrelation_at(smoothed_acf, lags * multiple), 0.0) for multiple, weight in periods.items())


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


def beat_track(bands: OnsetBands, *, frame_rate: float, frame_offset_seconds: float = 0.0) -> BeatTrack:
    """Tempo and beat times (seconds) from onset envelopes sampled at `frame_rate` Hz; the beats follow the full band.

    `frame_offset_seconds` is added to every beat time to correct the envelope's latency.
    The reported BPM is refined from the tracked beats by a least-squares fit when that
    agrees with the autocorrelation estimate within 4 %.
    """
    bpm, periodicity = estimate_tempo(bands, frame_rate=frame_rate)
    frames = track_beats(bands.full, frame_rate=frame_rate, bpm=bpm)
    times = np.maximum(frames / frame_rate + frame_offset_seconds, 0.0)
    if len(times) >= 8:
        slope = np.polyfit(np.arange(len(times)), times, 1)[0]
        fitted = 60.0 / slope if slope > 0 else bpm
        if abs(fitted - bpm) <= 0.04 * bpm:
            bpm = fitted
    return BeatTrack(bpm=float(bpm), beat_times=times.astype(np.float32), confidence=periodicity)
