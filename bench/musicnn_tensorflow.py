"""Time the original TensorFlow musicnn (MTT) on log-mel patches; run by bench/encoders.py.

Runs in a Python that has tensorflow and the musicnn wheel (see tools/convert_musicnn.py);
prints {"seconds": best of 3} for the whole batch of patches given as a .npy file.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))

import musicnn
from convert_musicnn import Graph, link_checkpoint


def main() -> None:
    patches = np.load(sys.argv[1])
    with tempfile.TemporaryDirectory() as tmp:
        graph = Graph(link_checkpoint(Path(musicnn.__file__).parent / "MTT_musicnn", Path(tmp)))
        feeds = {graph.x: patches, graph.is_training: False}
        graph.session.run(graph.fetches, feeds)  # warm-up
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            graph.session.run(graph.fetches, feeds)
            best = min(best, time.perf_counter() - started)
    print(json.dumps({"seconds": best}))


if __name__ == "__main__":
    main()
