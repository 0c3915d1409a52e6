"""Training end to end on media made here: a hidden factor links pictures and music; the model must learn it."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path
from typing import TypedDict

import numpy as np
import pytest
from PIL import Image

from picscore.cli import main
from picscore.train.config import load_config
from picscore.train.dataset import load_pair_set, split_by_source
from picscore.train.features import FeatureCache
from picscore.train.loop import train
from picscore.train.pairs import read_pairs
from tests.conftest import write_song
from tests.train.test_videos import colour_frames, write_video


class Song(TypedDict, total=False):
    """The SongSpec fields that a hidden factor fixes."""

    tonic: str
    mode: str
    bpm: float
    drums: bool
    brightness: float
    arpeggio: bool


# Each hidden factor fixes a picture palette and a kind of music; the pairing is arbitrary, so the
# zero-shot priors have no systematic way to it.
FACTORS: tuple[tuple[tuple[int, int, int], Song], ...] = (
    ((40, 90, 200), {"tonic": "C", "mode": "major", "bpm": 150, "drums": True, "brightness": 0.9}),
    ((220, 200, 40), {"tonic": "A", "mode": "minor", "bpm": 70, "drums": False, "brightness": 0.3}),
    ((30, 160, 60), {"tonic": "E", "mode": "minor", "bpm": 120, "drums": True, "brightness": 0.4, "arpeggio": False}),
    ((200, 40, 60), {"tonic": "F", "mode": "major", "bpm": 90, "drums": False, "brightness": 0.8}),
    ((120, 40, 160), {"tonic": "D", "mode": "major", "bpm": 105, "drums": True, "brightness": 0.6, "arpeggio": False}),
    ((240, 140, 30), {"tonic": "G", "mode": "minor", "bpm": 135, "drums": False, "brightness": 0.5}),
)
TRACKS_PER_FACTOR = 5
PICTURES_PER_TRACK = 2


def _picture(path: Path, colour: tuple[int, int, int], *, rng: np.random.Generator) -> Path:
    """A textured picture around `colour`: noise, and a few lighter and darker blobs."""
    size = 160
    pixels = np.array(colour, dtype=np.float64) + rng.normal(0, 25, size=(size, size, 3))
    yy, xx = np.mgrid[:size, :size]
    for _ in range(4):
        cy, cx = rng.uniform(0, size, 2).tolist()
        radius = rng.uniform(10, 40)
        pixels[(yy - cy) ** 2 + (xx - cx) ** 2 < radius**2] *= rng.uniform(0.6, 1.4)
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture(scope="module")
def factor_pairs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A pair list of 6 factors x 5 tracks x 2 pictures; each track is its pairs' source."""
    folder = tmp_path_factory.mktemp("factor_pairs")
    rng = np.random.default_rng(7)
    rows = []
    for factor, (colour, song) in enumerate(FACTORS):
        for track in range(TRACKS_PER_FACTOR):
            audio = write_song(folder / f"f{factor}_t{track}.wav", seconds=9.0, seed=100 * factor + track, **song)
            for picture in range(PICTURES_PER_TRACK):
                image = _picture(folder / f"f{factor}_t{track}_p{picture}.png", colour, rng=rng)
                rows.append((image.name, audio.name))
    with (folder / "pairs.tsv").open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["image", "audio"])
        writer.writerows(rows)
    return folder / "pairs.tsv"


def test_split_keeps_each_source_on_one_side() -> None:
    sources = [f"s{i % 7}" for i in range(70)]
    train_positions, validation_positions = split_by_source(sources, validation_fraction=0.3, seed=1)
    train_sources = {sources[i] for i in train_positions}
    validation_sources = {sources[i] for i in validation_positions}
    assert not train_sources & validation_sources and train_sources | validation_sources == set(sources)
    assert 15 <= len(validation_positions) <= 30
    again = split_by_source(sources, validation_fraction=0.3, seed=1)
    assert np.array_equal(again[1], validation_positions)


def test_training_learns_a_hidden_factor_the_zero_shot_matcher_misses(factor_pairs: Path, tmp_path: Path) -> None:
    with FeatureCache(tmp_path / "features.db") as cache:
        pair_set, skipped = load_pair_set(read_pairs(factor_pairs), cache, jobs=2)
    assert not skipped and len(pair_set) == len(FACTORS) * TRACKS_PER_FACTOR * PICTURES_PER_TRACK
    config = load_config(None, epochs=60, validation_fraction=0.3, seed=3)
    result = train(tmp_path / "run", pair_set, config, progress=False, log=lambda _: None)
    rows = list(csv.DictReader((tmp_path / "run" / "metrics.csv").open()))
    untrained, best = float(rows[0]["val_mrr"]), result.best_mrr
    # 9 validation tracks, random MRR about 0.31; telling factors apart (not tracks within one) reaches about 0.75.
    assert best >= 0.55 and best >= untrained + 0.2, (untrained, best)
    assert float(rows[result.best_epoch]["val_mrr_p"]) < 0.01


def test_train_cli_run_folder_model_reload_and_evaluate(
    factor_pairs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    cache = ["--cache", str(tmp_path / "features.db")]
    assert main(["train", "--pairs", str(factor_pairs), "--name", "factors", "--epochs", "2", "--quiet", *cache]) == 0
    run = tmp_path / "data" / "picscore" / "runs" / "factors"
    for name in ("config.json", "split.json", "source.json", "metrics.csv", "best.pt", "last.pt", "confusion.png", "curves.png"):
        assert (run / name).is_file() and (run / name).stat().st_size > 0, name
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [int(r["epoch"]) for r in rows] == [0, 1, 2]
    for column in ("val_recall_at_1", "val_mrr", "image_mood_accuracy", "image_happy_f1", "music_affect_mse", "image_valence_r"):
        assert column in rows[0]
    assert Image.open(run / "confusion.png").size[0] > 100
    # Resume continues from the last epoch saved, with the run's own settings.
    assert main(["train", "--resume", "factors", "--epochs", "3", "--quiet", *cache]) == 0
    assert [int(r["epoch"]) for r in csv.DictReader((run / "metrics.csv").open())] == [0, 1, 2, 3]
    assert json.loads((run / "config.json").read_text())["epochs"] == 2  # the file keeps the first settings
    # The model evaluates and suggests; models use makes it the default.
    evaluate_cache = ["--cache", str(tmp_path / "evaluate.db"), "--permutations", "100"]
    assert main(["evaluate", "--pairs", str(factor_pairs), "--model", "factors", "--json", *evaluate_cache]) == 0
    photo = str(read_pairs(factor_pairs)[0].image)
    capsys.readouterr()
    outputs = []
    for _ in range(2):  # the second run reads the tracks' learned embeddings stored beside the library by the first
        assert main(["--library", str(tmp_path / "evaluate.db"), "suggest", photo, "--model", "factors", "--top", "3", "--json"]) == 0
        outputs.append(json.loads(capsys.readouterr().out))
    assert outputs[0] == outputs[1] and len(outputs[0][0]["suggestions"]) == 3
    album = [photo, str(read_pairs(factor_pairs)[1].image)]  # an album: one list for both, by the model too
    assert main(["--library", str(tmp_path / "evaluate.db"), "suggest", *album, "--model", "factors", "--top", "3", "--json"]) == 0
    (both,) = json.loads(capsys.readouterr().out)
    scores = [s["score"] for s in both["suggestions"]]
    assert len(both["photos"]) == 2 and len(scores) == 3 and scores == sorted(scores, reverse=True)
    assert len(list((tmp_path / "evaluate.db-space").glob("model-*.json"))) == 1
    assert main(["models", "use", "factors"]) == 0
    assert main(["evaluate", "--pairs", str(factor_pairs), "--json", *evaluate_cache]) == 0
    assert main(["models", "use", "no-such-run"]) == 1


def test_train_on_videos_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    colours = [(200, 40, 40), (40, 200, 40), (40, 40, 200), (200, 200, 40), (40, 200, 200), (200, 40, 200)] * 2
    (tmp_path / "videos").mkdir()
    for name in ("beach.mp4", "forest.mp4"):
        write_video(tmp_path / "videos" / name, colour_frames(colours), seconds=len(colours), audio_seconds=len(colours))
    arguments = ["train", "--videos", str(tmp_path / "videos"), "--name", "clips", "--epochs", "1", "--quiet"]
    assert main([*arguments, "--cache", str(tmp_path / "features.db")]) == 0
    run = tmp_path / "data" / "picscore" / "runs" / "clips"
    pairs = read_pairs(run / "video-pairs" / "pairs.tsv")
    assert len(pairs) == 8 and {Path(p.source).name for p in pairs} == {"beach.mp4", "forest.mp4"}
    for p in pairs:  # each pair is an excerpt of its video
        assert p.start_seconds is not None and p.end_seconds is not None
        assert p.end_seconds - p.start_seconds == pytest.approx(6.0, abs=0.01) or p.start_seconds == 0
    assert [int(r["epoch"]) for r in csv.DictReader((run / "metrics.csv").open())] == [0, 1]
    assert json.loads((run / "split.json").read_text())["validation_sources"][0].endswith(".mp4")


def test_rejected_music_is_an_extra_negative_of_the_contrastive_loss() -> None:
    import torch

    from picscore.train import losses

    ids = torch.tensor([0, 1])
    logits = torch.tensor([[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]])
    plain = losses.contrastive(logits[:, :2], ids, ids)
    assert losses.contrastive(logits, ids, ids) > plain  # a third candidate takes probability from the positives
    rejected_scores_high = logits.clone()
    rejected_scores_high[:, 2] = 3.0
    assert losses.contrastive(rejected_scores_high, ids, ids) > losses.contrastive(logits, ids, ids) + 0.5


def test_feedback_export_reads_back_as_kept_and_rejected_pairs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    music = tmp_path / "music"
    music.mkdir()
    for name, bpm in (("a.wav", 100), ("b.wav", 140)):
        write_song(music / name, seconds=6.0, bpm=bpm)
    photo = _picture(tmp_path / "photo.png", (200, 120, 40), rng=np.random.default_rng(1))
    library = ["--library", str(tmp_path / "lib.db")]
    assert main([*library, "index", str(music), "-q", "-j", "1", "--encoders", "none"]) == 0
    assert main([*library, "feedback", str(photo), "--keep", "1", "--reject", "2"]) == 0
    assert main([*library, "feedback", str(photo), "--keep", "2"]) == 0  # the latest word wins
    assert main([*library, "feedback", "--export", str(tmp_path / "feedback.tsv")]) == 0
    pairs = read_pairs(tmp_path / "feedback.tsv")
    assert sorted((Path(p.audio).name, p.kept) for p in pairs) == [("a.wav", True), ("b.wav", True)]
    assert main([*library, "feedback", str(photo), "--reject", "1"]) == 0
    assert main([*library, "feedback", "--export", str(tmp_path / "feedback.tsv")]) == 0
    assert sorted((Path(p.audio).name, p.kept) for p in read_pairs(tmp_path / "feedback.tsv")) == [("a.wav", False), ("b.wav", True)]
    assert main([*library, "feedback", str(photo), "--keep", "7"]) == 1
    assert "no track 7" in capsys.readouterr().err


def test_a_few_unrelated_pairs_warn_reuse_the_library_and_recommend_nothing(
    factor_pairs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The case from the issue: 18 pairs, a handful of them validating, tracks already indexed."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    pairs = read_pairs(factor_pairs)
    pictures = [p.image for p in pairs[::2][:18]]
    tracks = sorted({p.audio for p in pairs})[:6]
    unrelated = tmp_path / "unrelated.tsv"  # each track with three pictures of other factors' colours
    unrelated.write_text("image\taudio\n" + "".join(f"{picture}\t{tracks[(i * 5) % 6]}\n" for i, picture in enumerate(pictures)))
    library = tmp_path / "library.db"
    (tmp_path / "music").mkdir()
    for track in tracks:
        (tmp_path / "music" / Path(track).name).symlink_to(track)
    assert main(["--library", str(library), "index", str(tmp_path / "music"), "--quiet"]) == 0
    cache = tmp_path / "features.db"
    command = ["--library", str(library), "train", "--pairs", str(unrelated), "--name", "few", "--epochs", "3", "--quiet"]
    assert main([*command, "--cache", str(cache)]) == 0
    out, err = capsys.readouterr()
    assert re.fullmatch(r"picscore: warning: only [3-9] validation pairs: too few to tell a better model from luck .*\n", err)
    assert "not recommended: " in out and "use it with" not in out
    with sqlite3.connect(cache) as db:  # the indexed tracks came from the library, not from decoding and encoding them again
        assert db.execute("SELECT count(*) FROM items WHERE key LIKE 'music:%'").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM items WHERE key LIKE 'image:%'").fetchone()[0] == 18
    assert main(["models", "list"]) == 0
    [row] = [line for line in capsys.readouterr().out.splitlines() if line.split()[:1] == ["few"]]
    assert re.search(r"few +\d+ +\d\.\d{3} +(recommended|not recommended: )", row)


def test_pairs_of_one_source_are_refused_before_any_feature_and_the_name_stays_free(
    factor_pairs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    pairs = read_pairs(factor_pairs)[:12]  # six tracks, two pictures each
    one_video = tmp_path / "one-video.tsv"
    one_video.write_text("image\taudio\tsource\n" + "".join(f"{p.image}\t{p.audio}\ttrip.mp4\n" for p in pairs))
    cache = tmp_path / "features.db"
    command = ["train", "--name", "trip", "--epochs", "1", "--quiet", "--cache", str(cache)]
    assert main([*command, "--pairs", str(one_video)]) == 1
    err = capsys.readouterr().err
    assert err == f"picscore: error: {one_video}: need pairs from at least two source items to hold some out for validation (1 found)\n"
    assert not cache.exists()  # refused before a picture or a track was read
    per_track = tmp_path / "per-track.tsv"  # the same pairs, each track its own source: the same name may be used now
    per_track.write_text("image\taudio\n" + "".join(f"{p.image}\t{p.audio}\n" for p in pairs))
    assert main([*command, "--pairs", str(per_track)]) == 0
    run = tmp_path / "data" / "picscore" / "runs" / "trip"
    assert json.loads((run / "source.json").read_text())["pairs"] == str(per_track.resolve())
    assert (run / "best.pt").exists()
