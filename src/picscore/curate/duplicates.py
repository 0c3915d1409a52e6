"""Near-duplicates: frames of one scene (a burst, a retake, a blurred or badly exposed copy), grouped.

Two photos are near-duplicates when their detail thumbnails (quality.detail_thumbnail) correlate
strongly once the better of a few small shifts aligns them: a burst moves the camera a little
between frames.
"""

from __future__ import annotations

import numpy as np

from picscore.curate.quality import DETAIL_SIDE

SAME_SCENE_CORRELATION = 0.45  # the mean correlation within a group (frames of a burst: about 0.85; different scenes: about 0.1)
MAX_SHIFT = 3  # thumbnail pixels (about 6 % of the frame) either way
_FFT_SIDE = 64  # DETAIL_SIDE zero-padded: shifts of up to MAX_SHIFT do not wrap into each other
_ROWS_AT_ONCE = 8  # rows of the pair matrix per FFT batch: about 130 MB for 1,000 photos


def aligned_correlations(details: np.ndarray) -> np.ndarray:
    """[n, n] the best correlation of each pair of detail thumbnails [n, side, side] over shifts of up to MAX_SHIFT."""
    n = len(details)
    spectra = np.fft.rfft2(details.astype(np.float32), s=(_FFT_SIDE, _FFT_SIDE)).astype(np.complex64)
    shifts = np.r_[0 : MAX_SHIFT + 1, _FFT_SIDE - MAX_SHIFT : _FFT_SIDE]
    best = np.empty((n, n))
    for start in range(0, n, _ROWS_AT_ONCE):
        rows = spectra[start : start + _ROWS_AT_ONCE]
        correlation = np.fft.irfft2(rows[:, None] * np.conj(spectra)[None], s=(_FFT_SIDE, _FFT_SIDE))
        best[start : start + len(rows)] = correlation[:, :, shifts][:, :, :, shifts].reshape(len(rows), n, -1).max(axis=2)
    return best


def near_duplicate_groups(details: np.ndarray) -> list[list[int]]:
    """Indices of the photos grouped into scenes, each group sorted: average-linkage clusters whose members
    correlate SAME_SCENE_CORRELATION on average. An average, unlike a single link, does not chain two
    scenes together through one chance likeness between a frame of each."""
    if len(details) < 2:
        return [[0]] if len(details) else []
    assert details.shape[1:] == (DETAIL_SIDE, DETAIL_SIDE)
    import scipy.cluster.hierarchy
    import scipy.spatial.distance

    correlation = aligned_correlations(details)
    distance = 1.0 - np.clip(np.maximum(correlation, correlation.T), -1.0, 1.0)
    np.fill_diagonal(distance, 0.0)
    tree = scipy.cluster.hierarchy.linkage(scipy.spatial.distance.squareform(distance, checks=False), method="average")
    labels = scipy.cluster.hierarchy.fcluster(tree, t=1.0 - SAME_SCENE_CORRELATION, criterion="distance")
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return sorted(groups.values())
