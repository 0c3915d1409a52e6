"""A library indexed before learned moods gets them from what it stores: no audio is decoded, `index` says how many."""

from __future__ import annotations

import contextlib
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from picscore.audio.music_encoders import DEFAULT_ENCODERS
from picscore.audio.timbre import TIMBRE_WIDTH
from picscore.cli import main
from picscore.library.indexer import index_paths
from picscore.library.moods import descriptor_matrix, head_moods, rescore_moods, stale_moods, tagger_matrix
from picscore.library.store import Library
from picscore.moods.music import DESCRIPTOR_HEAD, FULL_HEAD, TIMBRE_HEAD, model_name, music_moods
from tests.conftest import write_song

_OLD_MOODS = (0.91, -0.93)  # what a hand formula stored


@pytest.fixture(scope="module")
def old_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library as an older picscore left it (schema 4: no mood columns, formula moods), with its music."""
    folder = tmp_path_factory.mktemp("old")
    (folder / "music").mkdir()
    write_song(folder / "music" / "bright.flac", seconds=8.0, tonic="D", mode="major", bpm=140, seed=1)
    write_song(folder / "music" / "dark.ogg", seconds=8.0, tonic="C", mode="minor", bpm=70, drums=False, seed=2)
    with Library(folder / "library.db") as library:
        assert index_paths(library, [folder / "music"], jobs=1, progress=False).indexed == 2
    with contextlib.closing(sqlite3.connect(folder / "library.db")) as db, db:
        db.execute("UPDATE tracks SET valence = ?, arousal = ?", _OLD_MOODS)
        db.execute("ALTER TABLE tracks DROP COLUMN mood_quadrants")
        db.execute("ALTER TABLE tracks DROP COLUMN mood_model")
        db.execute("ALTER TABLE tracks DROP COLUMN timbre")
        db.execute("UPDATE meta SET value = '4' WHERE key = 'schema_version'")
        db.execute("DELETE FROM meta WHERE key LIKE 'note:%'")
    return folder


def _copy(old_library: Path, to: Path) -> Path:
    shutil.copy(old_library / "library.db", to / "library.db")
    return to / "library.db"


def test_old_moods_are_recomputed_from_stored_analysis_without_the_audio(old_library: Path, tmp_path: Path) -> None:
    path = _copy(old_library, tmp_path)
    music, away = old_library / "music", old_library / "music-away"
    music.rename(away)  # the files are not there: nothing can be decoded
    try:
        with Library(path) as library:
            ids, heads = stale_moods(library)
            assert len(ids) == 2 and list(heads) == [FULL_HEAD, FULL_HEAD]
            assert rescore_moods(library) == 2
            expected = music_moods(descriptor_matrix(library, ids), tagger_matrix(library, ids))
            stored = library.fields(ids, ["valence", "arousal", "mood_quadrants", "mood_model"])
            assert rescore_moods(library) == 0  # current now: nothing to do
    finally:
        away.rename(music)
    np.testing.assert_allclose([row["valence"] for row in stored], expected.valence)
    np.testing.assert_allclose([row["arousal"] for row in stored], expected.arousal)
    np.testing.assert_allclose(np.stack([row["mood_quadrants"] for row in stored]), expected.quadrants, atol=1e-6)
    assert all(row["mood_model"] == model_name(FULL_HEAD) for row in stored)
    assert all((row["valence"], row["arousal"]) != pytest.approx(_OLD_MOODS) for row in stored)


def test_index_reports_the_tracks_it_rescored(old_library: Path, tmp_path: Path, capsys) -> None:
    path = _copy(old_library, tmp_path)
    assert main(["--library", str(path), "index", str(old_library / "music"), "--quiet"]) == 0
    assert "0 indexed, 0 failed (2 unchanged, 2 moods re-scored)" in capsys.readouterr().out
    assert main(["--library", str(path), "index", str(old_library / "music"), "--json"]) == 0
    assert '"rescored": 0' in capsys.readouterr().out


def test_a_track_indexed_without_taggers_gets_the_timbre_head_then_the_full_one(tmp_path: Path) -> None:
    write_song(tmp_path / "song.wav", seconds=8.0, seed=3)
    with Library(tmp_path / "library.db") as library:
        index_paths(library, [tmp_path / "song.wav"], jobs=1, encoders=(), progress=False)
        (first,) = library.fields([1], ["mood_model", "valence"])
        summary = index_paths(library, [tmp_path / "song.wav"], jobs=1, progress=False)  # the taggers added
        (second,) = library.fields([1], ["mood_model", "valence"])
    assert first["mood_model"] == model_name(TIMBRE_HEAD)
    assert summary.encoded == 1 and summary.rescored == 1
    assert second["mood_model"] == model_name(FULL_HEAD)


def test_a_track_without_taggers_analysed_before_timbre_is_analysed_again_once(tmp_path: Path) -> None:
    """Its mood falls back to the descriptor head from what is stored; `index --encoders none` then analyses it again
    for its timbre, and a copy of it made from its stored row on the next run; a track with both taggers' outputs is
    not analysed again, since its mood does not read timbre."""
    write_song(tmp_path / "plain.wav", seconds=8.0, seed=4)
    write_song(tmp_path / "tagged.wav", seconds=8.0, seed=5, drums=False)
    with Library(tmp_path / "library.db") as library:
        index_paths(library, [tmp_path / "plain.wav"], jobs=1, encoders=(), progress=False)
        index_paths(library, [tmp_path / "tagged.wav"], jobs=1, progress=False)
        (timbre,) = library.fields([1], ["timbre"])
    assert timbre["timbre"].shape == (TIMBRE_WIDTH,) and np.isfinite(timbre["timbre"]).all()
    with contextlib.closing(sqlite3.connect(tmp_path / "library.db")) as db, db:
        db.execute("UPDATE tracks SET timbre = NULL")  # as an older picscore stored them
    with Library(tmp_path / "library.db") as library:
        assert rescore_moods(library) == 1
        assert [row["mood_model"] for row in library.fields([1, 2], ["mood_model"])] == [model_name(DESCRIPTOR_HEAD), model_name(FULL_HEAD)]
        shutil.copy(tmp_path / "plain.wav", tmp_path / "copy.wav")  # stored as a copy of the old row, without timbre
        runs = [index_paths(library, [tmp_path], jobs=1, encoders=(), progress=False) for _ in range(3)]
        rows = {Path(row["path"]).name: row for row in library.fields([1, 2, 3], ["path", "mood_model", "timbre"])}
    assert [(run.indexed, run.copied, run.unchanged, run.rescored) for run in runs] == [(1, 1, 1, 0), (1, 0, 2, 0), (0, 0, 3, 0)]
    for name in ("plain.wav", "copy.wav"):
        assert rows[name]["mood_model"] == model_name(TIMBRE_HEAD)
        np.testing.assert_allclose(rows[name]["timbre"], timbre["timbre"])
    assert rows["tagged.wav"]["mood_model"] == model_name(FULL_HEAD) and rows["tagged.wav"]["timbre"].size == 0


@pytest.mark.parametrize(("encoders", "head"), [(DEFAULT_ENCODERS, FULL_HEAD), ((), TIMBRE_HEAD)])
def test_the_mood_stored_at_indexing_is_the_one_rescoring_computes_from_the_library(
    tmp_path: Path, encoders: tuple[str, ...], head: str
) -> None:
    """Indexing reads the analysis and the taggers as the library stores them (float16 where it does), so a library
    scored again after a head update holds what a fresh index would."""
    write_song(tmp_path / "song.ogg", seconds=8.0, seed=6)
    with Library(tmp_path / "library.db") as library:
        index_paths(library, [tmp_path / "song.ogg"], jobs=1, encoders=encoders, progress=False)
        (stored,) = library.fields([1], ["valence", "arousal", "mood_quadrants", "mood_model"])
        again = head_moods(library, np.array([1]), head)
    assert stored["mood_model"] == model_name(head)
    np.testing.assert_allclose(stored["mood_quadrants"], again.quadrants[0].astype(np.float32), rtol=1e-6)
    np.testing.assert_allclose([stored["valence"], stored["arousal"]], [again.valence[0], again.arousal[0]], rtol=1e-12, atol=1e-15)
