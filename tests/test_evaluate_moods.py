"""`picscore evaluate --mood-pictures / --mood-music / --congruence` on toy sets made here: every figure equals
the one computed by hand from the moods and suggestion lists the other verbs give for the same files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image, ImageEnhance
from skimage import data as samples

from picscore.cli import main
from picscore.library.moods import descriptor_matrix
from picscore.library.store import Library
from picscore.moods.music import music_moods
from picscore.moods.plane import QUADRANTS, quadrant_index
from picscore.train.mood_metrics import pearson_r
from tests.conftest import write_song

RATINGS = {"cat.png": (0.7, 0.1), "coffee.jpg": (0.5, -0.4), "dark.jpg": (-0.3, -0.5), "rocket.png": (0.2, 0.6), "page.png": (-0.1, -0.6)}
LABELS = {"a.flac": "Q1", "b.ogg": "Q2", "c.wav": "Q3", "d.mp3": "Q4"}


@pytest.fixture(scope="module")
def toy_sets(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("toy")
    Image.fromarray(samples.chelsea()).save(folder / "cat.png")
    coffee = Image.fromarray(samples.coffee())
    coffee.save(folder / "coffee.jpg")
    ImageEnhance.Color(ImageEnhance.Brightness(coffee).enhance(0.35)).enhance(0.15).save(folder / "dark.jpg")
    Image.fromarray(samples.rocket()).save(folder / "rocket.png")
    Image.fromarray(samples.page()).convert("RGB").save(folder / "page.png")
    rows = ["image\tvalence\tarousal\tcategory"] + [f"{name}\t{v}\t{a}\tObject" for name, (v, a) in RATINGS.items()]
    (folder / "ratings.tsv").write_text("\n".join(rows) + "\n")
    specs = [("D", "major", 140, True), ("E", "minor", 150, True), ("A", "minor", 66, False), ("F", "major", 80, False)]
    for (name, _), (tonic, mode, bpm, drums) in zip(LABELS.items(), specs, strict=True):
        write_song(folder / name, seconds=8.0, tonic=tonic, mode=mode, bpm=bpm, drums=drums, seed=len(name))
    (folder / "labels.tsv").write_text("audio\tquadrant\n" + "".join(f"{name}\t{q}\n" for name, q in LABELS.items()))
    return folder


def _run_object(capsys, *args: str) -> dict[str, Any]:
    """The JSON object the command prints."""
    assert main(list(args)) == 0
    value = json.loads(capsys.readouterr().out)
    assert isinstance(value, dict)
    return value


def _run_list(capsys, *args: str) -> list[Any]:
    """The JSON array the command prints."""
    assert main(list(args)) == 0
    value = json.loads(capsys.readouterr().out)
    assert isinstance(value, list)
    return value


def test_picture_figures_are_those_of_the_moods_tags_gives(toy_sets: Path, tmp_path: Path, capsys) -> None:
    cache = str(tmp_path / "cache.db")
    report = _run_object(capsys, "evaluate", "--mood-pictures", str(toy_sets / "ratings.tsv"), "--cache", cache, "--json")
    tagged = _run_list(capsys, "--library", cache, "tags", *(str(toy_sets / name) for name in RATINGS), "--json")
    moods = np.array([[t["mood"]["valence"], t["mood"]["arousal"]] for t in tagged])
    truth = np.array(list(RATINGS.values()))
    assert report["pictures"] == 5
    for k, axis in enumerate(("valence", "arousal")):
        assert report[axis]["pearson_r"] == pytest.approx(pearson_r(truth[:, k], moods[:, k]), abs=2e-3)  # tags rounds to 3 places
        assert report[axis]["sign_accuracy"] == pytest.approx(np.mean((truth[:, k] > 0) == (moods[:, k] > 0)))
    assert report["quadrant_accuracy"] == pytest.approx(np.mean(quadrant_index(*truth.T) == quadrant_index(*moods.T)))


def test_music_figures_are_those_of_the_stored_moods(toy_sets: Path, tmp_path: Path, capsys) -> None:
    cache, png = str(tmp_path / "cache.db"), tmp_path / "confusion.png"
    args = ["evaluate", "--mood-music", str(toy_sets / "labels.tsv"), "--cache", cache, "--confusion", str(png), "-j", "1"]
    report = _run_object(capsys, *args, "--json")
    listed = _run_list(capsys, "--library", cache, "library", "list", "--json")
    predicted, truth = {}, {}
    for track in listed:
        shown = _run_object(capsys, "--library", cache, "library", "show", str(track["id"]), "--json")
        name = Path(track["path"]).name
        predicted[name] = max(shown["mood_quadrants"], key=shown["mood_quadrants"].get)
        truth[name] = LABELS[name]
    hits = [predicted[name] == truth[name] for name in LABELS]
    assert report["clips"] == 4 and report["accuracy"] == pytest.approx(np.mean(hits))
    for q in QUADRANTS:
        labelled_here = [predicted[n] == q for n in LABELS if truth[n] == q]
        assert report["quadrants"][q]["recall"] == pytest.approx(np.mean(labelled_here)) and report["quadrants"][q]["clips"] == 1
    assert np.sum(report["confusion"]) == 4 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"4 clips labelled by people: accuracy {np.mean(hits):.3f}") and out[-1].endswith(str(png))


def test_music_rated_on_both_axes_gets_r_per_axis_and_the_quadrants_of_its_signs(toy_sets: Path, tmp_path: Path, capsys) -> None:
    rated = {"a.flac": (0.6, 0.5), "b.ogg": (-0.5, 0.7), "c.wav": (-0.4, -0.6), "d.mp3": (0.3, 0.0)}  # arousal 0 counts low
    ratings = tmp_path / "rated.tsv"
    ratings.write_text("audio\tvalence\tarousal\n" + "".join(f"{toy_sets / name}\t{v}\t{a}\n" for name, (v, a) in rated.items()))
    cache = str(tmp_path / "cache.db")
    args = ["evaluate", "--mood-music", str(ratings), "--cache", cache, "--confusion", str(tmp_path / "c.png"), "-j", "1"]
    report = _run_object(capsys, *args, "--json")
    stored = {Path(t["path"]).name: t for t in _run_list(capsys, "--library", cache, "library", "list", "--json")}
    truth = np.array([rated[name] for name in LABELS])
    moods = np.array([[stored[name]["valence"], stored[name]["arousal"]] for name in LABELS])
    for k, axis in enumerate(("valence", "arousal")):
        assert report[axis]["pearson_r"] == pytest.approx(pearson_r(truth[:, k], moods[:, k]))
        assert report[axis]["sign_accuracy"] == pytest.approx(np.mean((truth[:, k] > 0) == (moods[:, k] > 0)))
    assert [report["quadrants"][q]["clips"] for q in QUADRANTS] == [1, 1, 1, 1]  # d.mp3's arousal of 0 counts as low: calm
    assert report["accuracy"] == pytest.approx(np.mean(quadrant_index(*truth.T) == quadrant_index(*moods.T)))
    assert main(args) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("4 clips rated by people") and out[-3].startswith("valence") and out[-2].startswith("arousal")


def test_congruence_is_the_share_of_each_suggestion_list_in_the_pictures_quadrant(toy_sets: Path, tmp_path: Path, capsys) -> None:
    cache = str(tmp_path / "cache.db")
    files = [str(toy_sets / "ratings.tsv"), str(toy_sets / "labels.tsv")]
    report = _run_object(
        capsys, "evaluate", "--congruence", *files, "--cache", cache, "--top", "2", "--permutations", "200", "-j", "1", "--json"
    )
    assert report["pictures"] == 5 and report["music"] == 4
    shares: dict[int, list[float]] = {}
    for name, (valence, arousal) in RATINGS.items():  # each picture alone, as `suggest` lists for it from the same music
        (listed,) = _run_list(capsys, "--library", cache, "suggest", str(toy_sets / name), "--top", "2", "--json")
        quadrant = int(quadrant_index(valence, arousal))
        shares.setdefault(quadrant, []).append(
            float(np.mean([LABELS[Path(s["track"]["path"]).name] == QUADRANTS[quadrant] for s in listed["suggestions"]]))
        )
    full = report["reports"]["full"]
    assert full["share"] == pytest.approx(np.mean([np.mean(v) for v in shares.values()]))
    assert full["chance"] == 0.25 and 0 < full["p_value"] <= 1 and full["top"] == 2
    assert main(["evaluate", "--congruence", *files, "--cache", cache, "--top", "2", "--variant", "all", "--permutations", "50"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0] == "5 pictures, each ranking 4 pieces: the share of its top 2 in its human mood quadrant"
    assert [line.split()[0] for line in table[2:]] == [
        "mood",
        "mood-distance",
        "text-affect",
        "semantic",
        "valence-tags",
        "affect",
        "full",
        "random",
    ]


def test_the_timbre_head_is_scored_as_a_library_indexed_without_the_networks_reads_it(toy_sets: Path, tmp_path: Path, capsys) -> None:
    plain = str(tmp_path / "plain.db")  # what a user of `index --encoders none` has
    assert main(["--library", plain, "index", str(toy_sets), "--encoders", "none", "--jobs", "1", "--quiet"]) == 0
    capsys.readouterr()
    predicted = {}
    for track in _run_list(capsys, "--library", plain, "library", "list", "--json"):
        shown = _run_object(capsys, "--library", plain, "library", "show", str(track["id"]), "--json")
        assert shown["mood_model"].startswith("music-timbre:") and shown["encodings"] == {}
        predicted[Path(track["path"]).name] = max(shown["mood_quadrants"], key=shown["mood_quadrants"].get)
    hits = [predicted[name] == quadrant for name, quadrant in LABELS.items()]
    cache = str(tmp_path / "cache.db")
    common = ["--cache", cache, "--music-head", "timbre", "-j", "1", "--json"]
    report = _run_object(capsys, "evaluate", "--mood-music", str(toy_sets / "labels.tsv"), "--confusion", str(tmp_path / "c.png"), *common)
    assert report["clips"] == 4 and report["accuracy"] == pytest.approx(np.mean(hits))
    for track in _run_list(capsys, "--library", cache, "library", "list", "--json"):  # the networks did not run
        assert _run_object(capsys, "--library", cache, "library", "show", str(track["id"]), "--json")["encodings"] == {}
    files = [str(toy_sets / "ratings.tsv"), str(toy_sets / "labels.tsv")]
    congruence = _run_object(capsys, "evaluate", "--congruence", *files, "--top", "2", "--permutations", "50", *common)
    shares: dict[int, list[float]] = {}
    for name, (valence, arousal) in RATINGS.items():
        (listed,) = _run_list(capsys, "--library", plain, "suggest", str(toy_sets / name), "--top", "2", "--json")
        shares.setdefault(int(quadrant_index(valence, arousal)), []).append(
            float(
                np.mean(
                    [
                        LABELS[Path(s["track"]["path"]).name] == QUADRANTS[int(quadrant_index(valence, arousal))]
                        for s in listed["suggestions"]
                    ]
                )
            )
        )
    assert congruence["reports"]["full"]["share"] == pytest.approx(np.mean([np.mean(v) for v in shares.values()]))
    # Another head than the stored one scores the same cache from what it stores: the descriptors alone here.
    common[common.index("timbre")] = "descriptors"
    report = _run_object(capsys, "evaluate", "--mood-music", str(toy_sets / "labels.tsv"), "--confusion", str(tmp_path / "c.png"), *common)
    with Library(Path(cache)) as library:
        paths = {row["id"]: Path(row["path"]).name for row in library.list_tracks()}
        ids = np.array(sorted(paths), dtype=np.int64)
        quadrants = music_moods(descriptor_matrix(library, ids)).quadrants.argmax(axis=1)
    confusion = np.zeros((4, 4), dtype=int)  # rows labelled, columns predicted; on these clips unlike the timbre head's
    for track_id, quadrant in zip(ids, quadrants, strict=True):
        confusion[QUADRANTS.index(LABELS[paths[int(track_id)]]), quadrant] += 1
    assert report["confusion"] == confusion.tolist()


def test_bad_rating_files_are_one_line_errors(tmp_path: Path, capsys) -> None:
    (tmp_path / "r.tsv").write_text("image\tvalence\tarousal\nx.png\t1.5\t0\n")
    assert main(["evaluate", "--mood-pictures", str(tmp_path / "r.tsv"), "--cache", str(tmp_path / "c.db")]) == 1
    assert capsys.readouterr().err == f"picscore: error: {tmp_path / 'r.tsv'}:2: valence 1.5 is outside [-1, 1]\n"
    (tmp_path / "l.tsv").write_text("audio\tquadrant\nx.mp3\tQ5\n")
    assert main(["evaluate", "--mood-music", str(tmp_path / "l.tsv"), "--cache", str(tmp_path / "c.db")]) == 1
    assert capsys.readouterr().err == f"picscore: error: {tmp_path / 'l.tsv'}:2: quadrant is one of Q1, Q2, Q3, Q4, not 'Q5'\n"
    (tmp_path / "l.tsv").write_text("audio\tquadrant\nx.mp3\t\n")
    assert main(["evaluate", "--mood-music", str(tmp_path / "l.tsv"), "--cache", str(tmp_path / "c.db")]) == 1
    assert capsys.readouterr().err == f"picscore: error: {tmp_path / 'l.tsv'}:2: no quadrant\n"
    (tmp_path / "m.tsv").write_text("audio\tvalence\nx.mp3\t0.5\n")
    assert main(["evaluate", "--mood-music", str(tmp_path / "m.tsv"), "--cache", str(tmp_path / "c.db")]) == 1
    assert capsys.readouterr().err == (
        f"picscore: error: {tmp_path / 'm.tsv'}: no quadrant column, nor valence and arousal columns, in the header (tab-separated)\n"
    )
    (tmp_path / "m.tsv").write_text("audio\tvalence\tarousal\nx.mp3\t0.5\t\n")
    assert main(["evaluate", "--mood-music", str(tmp_path / "m.tsv"), "--cache", str(tmp_path / "c.db")]) == 1
    assert capsys.readouterr().err == f"picscore: error: {tmp_path / 'm.tsv'}:2: no arousal\n"
