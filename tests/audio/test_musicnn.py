"""musicnn in PyTorch against the original TensorFlow model's answers, stored by tools/convert_musicnn.py."""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
import pytest
import scipy.signal
import torch

from picscore.audio import musicnn
from picscore.audio.musicnn import MSD_TAGS, MTT_TAGS, load_musicnn, musicnn_log_mel, musicnn_patch_log_mels, musicnn_patches, tag_music

REFERENCE = Path(__file__).parent / "data" / "musicnn_reference.npz"
MODELS = {"mtt": "MTT_musicnn", "msd": "MSD_musicnn"}
CLIPS = ("piano", "rock")
TOLERANCE = 1e-3  # max abs difference of probabilities and embeddings; measured about 1e-5


@pytest.fixture(scope="module")
def reference() -> dict[str, np.ndarray]:
    with np.load(REFERENCE) as npz:
        return dict(npz)


def _tag(result: musicnn.MusicTags, name: str) -> float:
    return float(result.tags[result.tag_names.index(name)])


def test_tag_lists() -> None:
    for tags in (MTT_TAGS, MSD_TAGS):
        assert len(tags) == len(set(tags)) == 50
    assert (MTT_TAGS[0], MTT_TAGS[-1], MSD_TAGS[0], MSD_TAGS[-1]) == ("guitar", "choral", "rock", "happy")


@pytest.mark.parametrize("short", MODELS)
def test_log_mel_batch_matches_tensorflow(reference: dict[str, np.ndarray], short: str) -> None:
    with torch.inference_mode():
        tags, embedding = load_musicnn(MODELS[short])(torch.from_numpy(reference["log_mel_batch"]))
    assert tags.shape == (3, 50) and embedding.shape == (3, musicnn.EMBEDDING_SIZE)
    np.testing.assert_allclose(tags.numpy(), reference[f"log_mel_batch_{short}_tags"], rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(embedding.numpy(), reference[f"log_mel_batch_{short}_embedding"], rtol=0, atol=TOLERANCE)


@pytest.mark.parametrize("clip", CLIPS)
def test_log_mel_matches_musicnn_extractor(reference: dict[str, np.ndarray], clip: str) -> None:
    ours = musicnn_log_mel(reference[f"{clip}_samples"])
    theirs = reference[f"{clip}_log_mel"].astype(np.float32)
    assert ours.shape == theirs.shape == (563, 96)
    # Rounding of float32 FFTs now and then tips a float16 rounding of the mel or its log one step (at most 0.004
    # at the top of the range): measured 8 values in 108 096.
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=0.004)
    assert np.mean(ours != theirs) < 1e-3


@pytest.mark.parametrize("short", MODELS)
@pytest.mark.parametrize("clip", CLIPS)
def test_tag_music_matches_tensorflow_pipeline(reference: dict[str, np.ndarray], clip: str, short: str) -> None:
    result = tag_music(reference[f"{clip}_samples"], sr=16000, model=MODELS[short])
    assert result.tag_names == (MTT_TAGS if short == "mtt" else MSD_TAGS)
    assert result.tag_curve.shape == (3, 50) and result.patch_seconds == pytest.approx(2.992)
    np.testing.assert_allclose(result.tag_curve, reference[f"{clip}_{short}_tag_curve"], rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(result.tags, reference[f"{clip}_{short}_tags"], rtol=0, atol=TOLERANCE)
    np.testing.assert_allclose(result.embedding, reference[f"{clip}_{short}_embedding"], rtol=0, atol=TOLERANCE)


def test_piano_piece_is_tagged_piano_or_classical(reference: dict[str, np.ndarray]) -> None:
    top5 = [name for name, _ in tag_music(reference["piano_samples"], sr=16000).top(5)]
    assert {"piano", "classical"} & set(top5), top5


def test_rock_riff_scores_higher_on_rock_and_guitar_than_the_piano(reference: dict[str, np.ndarray]) -> None:
    piano = tag_music(reference["piano_samples"], sr=16000)
    rock = tag_music(reference["rock_samples"], sr=16000)
    for name in ("rock", "guitar"):
        assert _tag(rock, name) > _tag(piano, name), name


def test_top_is_sorted_and_named(reference: dict[str, np.ndarray]) -> None:
    result = tag_music(reference["rock_samples"], sr=16000, model="MSD_musicnn")
    top = result.top(50)
    assert [p for _, p in top] == sorted(result.tags.tolist(), reverse=True)
    assert top[0] == (MSD_TAGS[int(np.argmax(result.tags))], pytest.approx(float(result.tags.max())))


def test_batch_size_does_not_change_the_answer(reference: dict[str, np.ndarray]) -> None:
    one = tag_music(reference["piano_samples"], sr=16000, batch_size=1)
    many = tag_music(reference["piano_samples"], sr=16000, batch_size=32)
    np.testing.assert_allclose(one.tag_curve, many.tag_curve, rtol=0, atol=1e-5)


def test_other_sample_rates_are_resampled(reference: dict[str, np.ndarray]) -> None:
    samples = reference["piano_samples"]
    g = gcd(44100, 16000)
    at_44k = scipy.signal.resample_poly(samples, 44100 // g, 16000 // g).astype(np.float32)
    direct, resampled = tag_music(samples, sr=16000), tag_music(at_44k, sr=44100)
    assert resampled.tag_curve.shape == direct.tag_curve.shape
    np.testing.assert_allclose(resampled.tags, direct.tags, rtol=0, atol=0.005)


def test_patches_drop_the_tail_and_repeat_short_audio() -> None:
    log_mel = np.arange(600 * 96, dtype=np.float32).reshape(600, 96)
    patches = musicnn_patches(log_mel)
    assert patches.shape == (3, 187, 96)
    np.testing.assert_array_equal(patches[1], log_mel[187:374])
    short = musicnn_patches(log_mel[:100])
    assert short.shape == (1, 187, 96)
    np.testing.assert_array_equal(short[0, 100:187], log_mel[:87])


def test_short_audio_gives_one_patch(reference: dict[str, np.ndarray]) -> None:
    result = tag_music(reference["piano_samples"][:16000], sr=16000)
    assert result.tag_curve.shape == (1, 50) and np.isfinite(result.tags).all()


def test_loud_audio_saturates_where_musicnn_overflows(reference: dict[str, np.ndarray]) -> None:
    """musicnn's float16 log-mel is inf above mel power 6.55 (its model then answers NaN); ours holds the ceiling."""
    loud = reference["rock_samples"] * 10
    log_mel = musicnn_log_mel(loud)
    ceiling = float(np.log10(np.float16(65504)))
    assert np.isfinite(log_mel).all() and log_mel.max() == pytest.approx(ceiling, abs=1e-3)
    assert 0 < np.mean(log_mel >= ceiling - 1e-3) < 0.05
    assert np.isfinite(tag_music(loud, sr=16000).tags).all()


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="mono"):
        musicnn_log_mel(np.zeros(0, dtype=np.float32))
    with pytest.raises(ValueError, match="mono"):
        musicnn_log_mel(np.zeros((2, 16000), dtype=np.float32))
    with pytest.raises(ValueError, match="unknown musicnn model"):
        load_musicnn("MSD_vgg")


@pytest.mark.parametrize(
    ("n_patches", "count", "expected"), [(10, 4, [1, 3, 6, 8]), (80, 2, [20, 60]), (3, 8, [0, 1, 2]), (5, None, [0, 1, 2, 3, 4])]
)
def test_spread_patches_take_the_middle_of_equal_stretches(n_patches: int, count: int | None, expected: list[int]) -> None:
    assert musicnn.spread_patches(n_patches, count).tolist() == expected


def test_a_subset_of_patches_is_tagged_as_those_patches_of_the_whole(reference: dict[str, np.ndarray]) -> None:
    # The piano and the rock riff back to back, three times: a subset must sample both.
    samples = np.concatenate([reference["piano_samples"], reference["rock_samples"]] * 3)
    whole = tag_music(samples, sr=16000)
    subset = tag_music(samples, sr=16000, patches=4)
    chosen = musicnn.spread_patches(len(whole.tag_curve), 4)
    assert subset.tag_curve.shape == (4, 50) and subset.patch_seconds == pytest.approx(whole.patch_seconds * len(whole.tag_curve) / 4)
    np.testing.assert_allclose(subset.tag_curve, whole.tag_curve[chosen], atol=1e-5)
    np.testing.assert_allclose(subset.embedding, whole.embedding_curve[chosen].mean(axis=0), atol=1e-5)


@pytest.mark.parametrize("sr", [16000, 22050, 44100, 48000])
@pytest.mark.parametrize("seconds", [31.0, 8 * musicnn.PATCH_SECONDS + 0.01])  # the second: the last patch ends at the track's end
def test_patch_log_mels_are_those_patches_of_the_whole_log_mel(sr: int, seconds: float) -> None:
    samples = np.random.default_rng(sr).standard_normal(int(seconds * sr)).astype(np.float32) * 0.1
    whole = musicnn_patches(musicnn_log_mel(samples, sr=sr))
    subset = musicnn_patch_log_mels(samples, sr=sr, patches=5)  # includes the first patch and the last
    assert subset.n_patches == len(whole) >= 8
    chosen = musicnn.spread_patches(len(whole), 5)
    assert chosen[-1] == len(whole) - 1 and subset.patches.shape == (5, musicnn.PATCH_FRAMES, musicnn.N_MELS)
    # Spans are resampled apart from the rest: float rounding may tip a float16 step now and then, no more.
    np.testing.assert_allclose(subset.patches, whole[chosen], rtol=0, atol=0.004)
    assert np.mean(subset.patches != whole[chosen]) < 1e-3


def test_patch_log_mels_of_every_patch_are_the_whole_log_mel() -> None:
    samples = np.random.default_rng(0).standard_normal(22050 * 10).astype(np.float32) * 0.1
    every = musicnn_patch_log_mels(samples, sr=22050, patches=None)
    np.testing.assert_array_equal(every.patches, musicnn_patches(musicnn_log_mel(samples, sr=22050)))
    assert every.n_patches == 3


@pytest.mark.parametrize("short", MODELS)
def test_skipping_dead_filters_changes_no_output(reference: dict[str, np.ndarray], short: str, monkeypatch: pytest.MonkeyPatch) -> None:
    net = load_musicnn(MODELS[short])
    patches = torch.from_numpy(np.concatenate([musicnn_patches(musicnn_log_mel(reference[f"{clip}_samples"])) for clip in CLIPS]))
    live = [len(branch.live_filters()) for branch in (net.timbral_74, net.timbral_77)]
    assert max(live) < 0.8 * 204  # there are dead filters to skip
    with torch.inference_mode():
        pruned = net(patches)
        monkeypatch.setattr(musicnn, "_DEAD_FILTER_WEIGHT", 0.0)
        assert [len(branch.live_filters()) for branch in (net.timbral_74, net.timbral_77)] == [204, 204]
        every_filter = net(patches)
    for ours, whole in zip(pruned, every_filter, strict=True):
        np.testing.assert_allclose(ours.numpy(), whole.numpy(), rtol=0, atol=1e-5)
