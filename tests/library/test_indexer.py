"""Incremental indexing: only new and changed work is done, moves are recognised, bad files skipped."""

from __future__ import annotations

import dataclasses
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from picscore.audio.analysis import TooShortError
from picscore.audio.music_encoders import MUSIC_ENCODERS
from picscore.library import indexer
from picscore.library.indexer import index_paths
from picscore.library.store import Library
from tests.conftest import write_song


def _index(library: Library, folder: Path, *, jobs: int = 1, encoders: tuple[str, ...] = ()) -> indexer.IndexSummary:
    """Index without the neural encoders unless a test is about them: they dominate the time."""
    return index_paths(library, [folder], jobs=jobs, encoders=encoders, progress=False)


def _by_name(library: Library) -> dict[str, dict]:
    return {Path(t["path"]).name: library.known_track(t["id"]) for t in library.list_tracks()}


def test_first_run_indexes_every_audio_file(library: Library, music_folder: Path) -> None:
    summary = _index(library, music_folder, jobs=2)
    assert (summary.indexed, summary.failed, summary.unchanged) == (4, 0, 0)
    tracks = _by_name(library)
    assert set(tracks) == {"a.mp3", "b.flac", "c.ogg", "d.wav"}
    assert tracks["a.mp3"]["bpm"] == pytest.approx(120, abs=2) and tracks["a.mp3"]["initial_key"] == "C"
    assert tracks["b.flac"]["bpm"] == pytest.approx(90, abs=2) and tracks["b.flac"]["initial_key"] == "Am"
    assert tracks["c.ogg"]["codec"] == "vorbis" and tracks["d.wav"]["duration"] == pytest.approx(12.0, abs=0.01)
    assert summary.audio_seconds == pytest.approx(48.0, abs=0.5)


def test_new_tracks_are_numbered_as_their_files_sort_whatever_order_they_finish_in(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "music"
    folder.mkdir()
    write_song(folder / "a.flac", seconds=240.0, bpm=100, seed=1)  # the first file takes longest: it finishes last
    for k, name in enumerate("bcd", start=2):
        write_song(folder / f"{name}.flac", seconds=6.0, bpm=100 + 10 * k, seed=k)
    summary = _index(library, folder, jobs=2)
    assert summary.indexed == 4
    assert [Path(t["path"]).name for t in sorted(library.list_tracks(), key=lambda t: t["id"])] == ["a.flac", "b.flac", "c.flac", "d.flac"]


def test_second_run_on_an_unchanged_folder_does_no_work(library: Library, music_folder: Path, monkeypatch) -> None:
    _index(library, music_folder)
    before = _by_name(library)

    def must_not_analyse(*args, **kwargs):
        raise AssertionError("an unchanged file was analysed again")

    monkeypatch.setattr(indexer, "decode_audio", must_not_analyse)
    monkeypatch.setattr(indexer, "file_fingerprint", must_not_analyse)
    summary = _index(library, music_folder)
    assert (summary.indexed, summary.unchanged) == (0, 4)
    assert {name: t["indexed_at"] for name, t in _by_name(library).items()} == {name: t["indexed_at"] for name, t in before.items()}


def test_changed_file_is_analysed_again(library: Library, music_folder: Path) -> None:
    _index(library, music_folder)
    write_song(music_folder / "a.mp3", tonic="A", mode="minor", bpm=90, seed=11)
    summary = _index(library, music_folder)
    assert (summary.indexed, summary.unchanged) == (1, 3)
    assert _by_name(library)["a.mp3"]["initial_key"] == "Am"


def test_touched_file_with_same_content_is_not_analysed(library: Library, music_folder: Path) -> None:
    _index(library, music_folder)
    os.utime(music_folder / "b.flac", ns=(1, 1))
    summary = _index(library, music_folder)
    assert (summary.indexed, summary.unchanged) == (0, 4)
    assert _by_name(library)["b.flac"]["mtime_ns"] == 1


def test_moved_and_renamed_files_keep_their_analysis(library: Library, music_folder: Path) -> None:
    _index(library, music_folder)
    before = _by_name(library)["b.flac"]
    (music_folder / "moved").mkdir()
    shutil.move(music_folder / "b.flac", music_folder / "moved" / "renamed.flac")
    summary = _index(library, music_folder)
    assert (summary.indexed, summary.moved, summary.missing) == (0, 1, [])
    after = _by_name(library)["renamed.flac"]
    assert after["id"] == before["id"] and after["indexed_at"] == before["indexed_at"]
    assert len(library.list_tracks()) == 4


def test_a_copy_reuses_the_analysis(library: Library, music_folder: Path) -> None:
    _index(library, music_folder)
    shutil.copy(music_folder / "d.wav", music_folder / "d copy.wav")
    summary = _index(library, music_folder)
    assert (summary.indexed, summary.copied) == (0, 1)
    tracks = _by_name(library)
    assert tracks["d copy.wav"]["bpm"] == tracks["d.wav"]["bpm"] and tracks["d copy.wav"]["id"] != tracks["d.wav"]["id"]


def test_deleted_files_are_reported_then_pruned(library: Library, music_folder: Path) -> None:
    _index(library, music_folder)
    (music_folder / "a.mp3").unlink()
    summary = _index(library, music_folder)
    assert [Path(p).name for p in summary.missing] == ["a.mp3"]
    assert [Path(t["path"]).name for t in library.missing_tracks()] == ["a.mp3"]
    library.remove_tracks(t["id"] for t in library.missing_tracks())
    assert len(library.list_tracks()) == 3


def test_a_short_or_truncated_file_gets_a_plain_reason(library: Library, tmp_path: Path) -> None:
    folder = tmp_path / "music"
    folder.mkdir()
    write_song(folder / "one.mp3", seconds=1.0)
    whole = write_song(tmp_path / "whole.mp3", seconds=8.0).read_bytes()
    (folder / "cut.mp3").write_bytes(whole[: len(whole) // 5])  # a download that stopped after about 1.6 s
    summary = _index(library, folder)
    errors = {Path(e["path"]).name: e["error"] for e in library.errors()}
    assert summary.failed == 2
    assert errors["one.mp3"] == "too short to analyse: 1.0 s; at least 3 s needed"
    assert errors["cut.mp3"].startswith("too short to analyse: 1.") and errors["cut.mp3"].endswith("; at least 3 s needed")


def test_bad_files_are_recorded_and_the_run_goes_on(library: Library, music_folder: Path) -> None:
    (music_folder / "fake.mp3").write_text("not audio\n" * 50)
    (music_folder / "empty.ogg").write_bytes(b"")
    write_song(music_folder / "blip.wav", seconds=0.4)
    unreadable = music_folder / "locked.flac"
    shutil.copy(music_folder / "b.flac", unreadable)
    unreadable.chmod(0)
    summary = _index(library, music_folder, jobs=2)
    unreadable.chmod(0o644)
    errors = {Path(e["path"]).name: e["error"] for e in library.errors()}
    assert summary.indexed == 4 + (1 if os.geteuid() == 0 else 0)  # root reads a mode-0 file anyway
    assert "empty" in errors["empty.ogg"] and "too short" in errors["blip.wav"] and "fake.mp3" in errors
    assert summary.failed == len(errors)


def test_links_pipes_and_names_the_library_cannot_keep_are_recorded(library: Library, music_folder: Path) -> None:
    (music_folder / "loop.mp3").symlink_to("loop.mp3")  # Path.resolve raised RuntimeError: the scan stopped
    (music_folder / "dangling.mp3").symlink_to(music_folder / "gone.mp3")  # passed over without a word
    os.mkfifo(music_folder / "pipe.mp3")  # fingerprinting it waited for a writer forever
    shutil.copy(music_folder / "a.mp3", music_folder / os.fsdecode(b"caf\xe9.mp3"))  # SQLite keeps text: it crashed the run
    summary = _index(library, music_folder)
    errors = {Path(e["path"]).name: e["error"] for e in library.errors()}
    assert errors == {
        "loop.mp3": "cannot read the file (Too many levels of symbolic links)",
        "dangling.mp3": "a broken link: the file it points to is missing",
        "pipe.mp3": "not a regular file but a named pipe",
        "caf\\xe9.mp3": "the file name is not valid UTF-8: rename the file to use it",
    }
    assert (summary.indexed, summary.failed) == (4, 4)


def test_a_file_just_short_of_the_minimum_does_not_show_as_the_minimum() -> None:
    assert str(TooShortError(2.97)) == "too short to analyse: 2.9 s; at least 3 s needed"
    assert str(TooShortError(1.04)) == "too short to analyse: 1.0 s; at least 3 s needed"


def test_known_failures_are_not_retried_until_the_file_changes(library: Library, music_folder: Path) -> None:
    bad = music_folder / "fake.mp3"
    bad.write_text("not audio\n" * 50)
    _index(library, music_folder)
    again = _index(library, music_folder)
    assert (again.failed, again.known_failures) == (0, 1)
    write_song(bad, seconds=5.0)
    fixed = _index(library, music_folder)
    assert (fixed.indexed, fixed.failed) == (1, 0) and library.errors() == []


def test_a_newer_analyser_redoes_old_rows(library: Library, music_folder: Path, monkeypatch) -> None:
    _index(library, music_folder)
    monkeypatch.setattr(indexer, "ANALYSIS_VERSION", indexer.ANALYSIS_VERSION + 1)
    summary = _index(library, music_folder)
    assert summary.indexed == 4


def test_missing_root_is_reported(library: Library, tmp_path: Path) -> None:
    summary = _index(library, tmp_path / "nowhere")
    assert summary.missing_roots == [str(tmp_path / "nowhere")] and summary.indexed == 0


def test_a_folder_without_audio_is_reported_and_one_with_some_is_not(library: Library, music_folder: Path, tmp_path: Path) -> None:
    (tmp_path / "photos" / "deeper").mkdir(parents=True)
    (tmp_path / "photos" / "deeper" / "song.mp3.jpg").write_bytes(b"a picture")
    summary = index_paths(library, [tmp_path / "photos", music_folder], jobs=1, encoders=(), progress=False)
    assert summary.empty_roots == [str(tmp_path / "photos")] and summary.missing_roots == [] and summary.indexed == 4
    again = index_paths(library, [music_folder, music_folder / "."], jobs=1, encoders=(), progress=False)
    assert again.empty_roots == [] and again.unchanged == 4  # a folder named twice holds its music both times


def test_encoders_store_tags_curves_and_embeddings(library: Library, music_folder: Path) -> None:
    summary = _index(library, music_folder, jobs=2, encoders=("musicnn-mtt", "musicnn-msd"))
    assert (summary.indexed, summary.failed) == (4, 0)
    for track in library.list_tracks():
        encodings = library.get_encodings(track["id"])
        assert set(encodings) == {"musicnn-mtt", "musicnn-msd"}
        for encoding in encodings.values():
            assert encoding["tags"].shape == (50,) and encoding["embedding"].shape == (200,)
            assert encoding["tag_curve"].shape == (4, 50)  # 12 s of music in 2.99 s patches
            # Both stored in float16: equal to its 11 significant bits (2.4e-4 of a value below 0.5).
            np.testing.assert_allclose(encoding["tag_curve"].mean(axis=0), encoding["tags"], rtol=1e-3, atol=1e-6)


def test_a_new_encoder_runs_alone_on_already_analysed_tracks(library: Library, music_folder: Path, monkeypatch) -> None:
    _index(library, music_folder)
    before = {t["id"]: library.known_track(t["id"])["indexed_at"] for t in library.list_tracks()}

    def must_not_analyse(*args, **kwargs):
        raise AssertionError("the descriptors were analysed again")

    monkeypatch.setattr(indexer, "analysis_row", must_not_analyse)
    summary = _index(library, music_folder, encoders=("musicnn-mtt",))
    assert (summary.indexed, summary.encoded, summary.unchanged, summary.failed) == (0, 4, 0, 0)
    assert all(set(library.get_encodings(i)) == {"musicnn-mtt"} for i in before)
    assert {i: library.known_track(i)["indexed_at"] for i in before} == before
    again = _index(library, music_folder, encoders=("musicnn-mtt",))
    assert (again.encoded, again.unchanged) == (0, 4)


def test_the_progress_says_when_the_networks_load(library: Library, music_folder: Path, capsys) -> None:
    index_paths(library, [music_folder / "a.mp3"], jobs=1, encoders=(), progress=True)
    assert "loading the music networks" not in capsys.readouterr().err
    index_paths(library, [music_folder / "b.flac"], jobs=1, encoders=("musicnn-mtt",), progress=True)
    err = capsys.readouterr().err
    assert err.index("loading the music networks…") < err.index("analysing")


def test_the_taggers_run_on_the_patches_asked(library: Library, music_folder: Path) -> None:
    # 12 s songs hold four 3-second patches: two of them spread over the song, or all four.
    index_paths(library, [music_folder / "a.mp3"], jobs=1, encoders=("musicnn-mtt",), tagger_patches=2, progress=False)
    index_paths(library, [music_folder / "b.flac"], jobs=1, encoders=("musicnn-mtt",), tagger_patches=None, progress=False)
    tracks = _by_name(library)
    curves = {name: library.get_encodings(tracks[name]["id"])["musicnn-mtt"]["tag_curve"] for name in ("a.mp3", "b.flac")}
    assert curves["a.mp3"].shape == (2, 50) and curves["b.flac"].shape == (4, 50)


def test_an_encoder_upgrade_recomputes_only_that_encoder(library: Library, music_folder: Path, monkeypatch) -> None:
    _index(library, music_folder, encoders=("musicnn-mtt",))
    upgraded = dataclasses.replace(MUSIC_ENCODERS["musicnn-mtt"], version=MUSIC_ENCODERS["musicnn-mtt"].version + 1)
    monkeypatch.setitem(MUSIC_ENCODERS, "musicnn-mtt", upgraded)
    summary = _index(library, music_folder, encoders=("musicnn-mtt",))
    assert (summary.indexed, summary.encoded) == (0, 4)
    assert {library.get_encodings(t["id"])["musicnn-mtt"]["encoder_version"] for t in library.list_tracks()} == {upgraded.version}


def test_copies_share_and_changed_content_drops_encodings(library: Library, music_folder: Path) -> None:
    _index(library, music_folder, encoders=("musicnn-msd",))
    shutil.copy(music_folder / "d.wav", music_folder / "d copy.wav")
    write_song(music_folder / "a.mp3", tonic="A", mode="minor", bpm=90, seed=11)
    summary = _index(library, music_folder)  # no encoders this time
    assert (summary.indexed, summary.copied) == (1, 1)
    tracks = _by_name(library)
    np.testing.assert_array_equal(
        library.get_encodings(tracks["d copy.wav"]["id"])["musicnn-msd"]["embedding"],
        library.get_encodings(tracks["d.wav"]["id"])["musicnn-msd"]["embedding"],
    )
    assert library.get_encodings(tracks["a.mp3"]["id"]) == {}, "tags of the old content must not describe the new"
