"""A fitted linear mood head: inputs standardised with the training set's mean and spread, then one matrix.

Heads are numpy-only, so a mood costs a small matrix product and no network. Each is one npz file in
picscore/moods/weights/ with its arrays and an `about` text (what it was fitted on, and its
cross-validated figures), written by tools/fit_moods.py.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

_ARRAYS = ("mean", "scale", "weights", "bias", "output_mean", "output_sd")


@dataclass(frozen=True, eq=False)
class LinearHead:
    """outputs = ((inputs - mean) / scale) @ weights + bias, with the training outputs' mean and sd for reference."""

    mean: np.ndarray  # [d]
    scale: np.ndarray  # [d], no zeros
    weights: np.ndarray  # [d, k]
    bias: np.ndarray  # [k]
    output_mean: np.ndarray  # [k] the head's outputs over its own training inputs
    output_sd: np.ndarray  # [k]
    about: dict[str, Any] = field(default_factory=dict)

    @property
    def input_size(self) -> int:
        return len(self.mean)

    def __call__(self, inputs: np.ndarray) -> np.ndarray:
        """[n, d] inputs -> [n, k] outputs (float64); ValueError names a width that does not fit."""
        inputs = np.asarray(inputs, dtype=np.float64)
        if inputs.ndim != 2 or inputs.shape[1] != self.input_size:
            raise ValueError(f"this mood head reads {self.input_size} numbers per item, not shape {inputs.shape}")
        return ((inputs - self.mean) / self.scale) @ self.weights + self.bias

    def save(self, path: str | Path) -> None:
        np.savez(path, **{name: getattr(self, name) for name in _ARRAYS}, about=np.array(json.dumps(self.about)))


def read_head(path: str | Path) -> LinearHead:
    """A head saved with LinearHead.save."""
    with np.load(path) as npz:
        return LinearHead(**{name: npz[name].astype(np.float64) for name in _ARRAYS}, about=json.loads(str(npz["about"])))


@functools.cache
def head_version(name: str) -> str:
    """A digest of the shipped head `name`'s numbers: moods stored with another are scored again (the file's own
    bytes would change with every refit, npz archives holding their write time)."""
    digest = hashlib.blake2b(digest_size=6)
    head = load_head(name)
    for array in _ARRAYS:
        digest.update(np.ascontiguousarray(getattr(head, array), dtype="<f8").tobytes())
    return digest.hexdigest()


@functools.cache
def load_head(name: str) -> LinearHead:
    """The shipped head `name` (picscore/moods/weights/<name>.npz), loaded once per process."""
    with resources.as_file(resources.files("picscore.moods.weights").joinpath(f"{name}.npz")) as path:
        return read_head(path)
