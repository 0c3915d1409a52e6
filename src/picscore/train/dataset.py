"""Training sets: pairs with their cached features as arrays, split by source item, and augmented batches."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from picscore.library.store import Library
from picscore.models.zero_shot import LinearScores, Pictures, Tracks, prepare_tracks, variant_form
from picscore.train.features import FeatureCache, FeatureError, ImageItem, MusicItem, MusicKey, image_items, music_items
from picscore.train.pairs import Pair


@dataclass(frozen=True, eq=False)
class PairSet:
    """Pairs as indices into their distinct pictures and pieces of music, with those items' features."""

    image_of_pair: np.ndarray  # [n_pairs] index into images
    music_of_pair: np.ndarray  # [n_pairs] index into music
    kept: np.ndarray  # [n_pairs] bool: False for a pairing the user rejected (a negative)
    sources: list[str]  # [n_pairs] the source item of each pair
    images: list[ImageItem]
    music: list[MusicItem]
    image_paths: list[str]
    music_keys: list[MusicKey]

    def __len__(self) -> int:
        return len(self.image_of_pair)

    @property
    def positives(self) -> np.ndarray:
        """Positions of the kept pairs."""
        return np.flatnonzero(self.kept)

    def rejected_music(self, images: np.ndarray) -> np.ndarray:
        """The distinct music rejected for any of `images` (indices into music)."""
        rejected = ~self.kept & np.isin(self.image_of_pair, images)
        return np.unique(self.music_of_pair[rejected])

    def subset(self, pairs: np.ndarray) -> PairSet:
        """The pairs at the given positions, with only the items they use (re-indexed)."""
        image_ids, image_of_pair = np.unique(self.image_of_pair[pairs], return_inverse=True)
        music_ids, music_of_pair = np.unique(self.music_of_pair[pairs], return_inverse=True)
        return PairSet(
            image_of_pair=image_of_pair,
            music_of_pair=music_of_pair,
            kept=self.kept[pairs],
            sources=[self.sources[i] for i in pairs],
            images=[self.images[i] for i in image_ids],
            music=[self.music[i] for i in music_ids],
            image_paths=[self.image_paths[i] for i in image_ids],
            music_keys=[self.music_keys[i] for i in music_ids],
        )


@dataclass(frozen=True)
class Skipped:
    """A pair left out, and why."""

    pair: Pair
    reason: str


def load_pair_set(
    pairs: list[Pair],
    cache: FeatureCache,
    *,
    library: Library | None = None,
    jobs: int = 1,
    progress: Callable[[int], None] | None = None,
) -> tuple[PairSet, list[Skipped]]:
    """The pairs' features (computed where not cached, or read from `library` for tracks it holds);
    pairs whose picture or music fails are skipped with the reason."""
    music_of = {id(p): (p.audio, p.start_seconds, p.end_seconds) for p in pairs}
    music = music_items(cache, music_of.values(), library=library, jobs=jobs, progress=progress)
    images = image_items(cache, [p.image for p in pairs], progress=progress)
    usable, skipped = [], []
    for pair in pairs:
        failure = next((f for f in (images[pair.image], music[music_of[id(pair)]]) if isinstance(f, FeatureError)), None)
        if failure is None:
            usable.append(pair)
        else:
            skipped.append(Skipped(pair, str(failure)))
    image_paths = list(dict.fromkeys(p.image for p in usable))
    music_keys = list(dict.fromkeys(music_of[id(p)] for p in usable))
    image_index = {path: i for i, path in enumerate(image_paths)}
    music_index = {key: i for i, key in enumerate(music_keys)}
    pair_set = PairSet(
        image_of_pair=np.array([image_index[p.image] for p in usable], dtype=int),
        music_of_pair=np.array([music_index[music_of[id(p)]] for p in usable], dtype=int),
        kept=np.array([p.kept for p in usable], dtype=bool),
        sources=[p.source for p in usable],
        images=[images[path] for path in image_paths],  # type: ignore[misc]  # failures were skipped
        music=[music[key] for key in music_keys],  # type: ignore[misc]
        image_paths=image_paths,
        music_keys=music_keys,
    )
    return pair_set, skipped


def split_by_source(sources: list[str], *, validation_fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Positions of training and validation pairs: whole source items go to one side, chosen by a seeded shuffle.

    The validation side gets about `validation_fraction` of the pairs, and at least one source
    item when there are two or more.
    """
    names = sorted(set(sources))
    order = np.random.default_rng(seed).permutation(len(names))
    counts = {name: 0 for name in names}
    for source in sources:
        counts[source] += 1
    held_out: set[str] = set()
    taken = 0
    for i in order:
        if len(names) < 2 or len(held_out) == len(names) - 1 or (held_out and taken >= validation_fraction * len(sources)):
            break
        held_out.add(names[i])
        taken += counts[names[i]]
    is_validation = np.array([s in held_out for s in sources])
    return np.flatnonzero(~is_validation), np.flatnonzero(is_validation)


@dataclass(frozen=True, eq=False)
class SplitArrays:
    """A split's arrays for training and validation: features, targets and the zero-shot matcher's terms."""

    pairs: PairSet
    image_views: np.ndarray  # [n_images, views, 1280]
    music_embedding: np.ndarray  # [n_music, 400] mean over each item's patches
    music_affect: np.ndarray  # [n_music, 2]
    zero_shot_pictures: LinearScores  # per picture, its variant form over `zero_shot_tracks`
    zero_shot_tracks: np.ndarray  # [n_music, d] the music's zero-shot feature rows

    def zero_shot(self, images: np.ndarray, music: np.ndarray) -> np.ndarray:
        """[len(images), len(music)] zero-shot scores of pictures against pieces of music (indices)."""
        form = self.zero_shot_pictures
        return form.weights[images] @ self.zero_shot_tracks[music].T + form.offsets[images, None]

    def music_excerpts(self, music: np.ndarray, *, rng: np.random.Generator) -> np.ndarray:
        """[len(music), 400]: per item the mean of a random run of its patches (a third to all of them), at a random one of its gains."""
        rows = []
        for i in music:
            views = self.pairs.music[i].patches
            patches = views[rng.integers(len(views))]
            length = int(rng.integers(max(1, len(patches) // 3), len(patches) + 1))
            start = int(rng.integers(0, len(patches) - length + 1))
            rows.append(patches[start : start + length].mean(axis=0))
        return np.stack(rows)


def split_arrays(pairs: PairSet, *, variant: str) -> SplitArrays:
    """Arrays of one split; the zero-shot terms are z-scored over this split's own music, as at suggestion time over a library."""
    tags = np.stack([m.tags for m in pairs.music])
    affect = np.stack([m.mood for m in pairs.music]).astype(np.float64)
    space = prepare_tracks(Tracks(affect=affect, tags={"mtt": tags[:, :50], "msd": tags[:, 50:]}))
    pictures = Pictures.read(np.stack([item.layers for item in pairs.images]), np.stack([item.probabilities for item in pairs.images]))
    return SplitArrays(
        pairs=pairs,
        image_views=np.stack([item.views for item in pairs.images]),
        music_embedding=np.stack([m.embedding for m in pairs.music]),
        music_affect=affect.astype(np.float32),
        zero_shot_pictures=variant_form(pictures, space, variant=variant),
        zero_shot_tracks=space.features.astype(np.float64),
    )
