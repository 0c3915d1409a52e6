"""The `picscore` command, called through main(argv) as a user would type it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from picscore.cli import build_parser, main
from picscore.media.audio_decode import decode_audio
from picscore.models.zero_shot import VARIANTS


def _json(capsys) -> object:
    return json.loads(capsys.readouterr().out)


def test_index_then_list_show_stats(tmp_path: Path, music_folder: Path, capsys) -> None:
    lib = str(tmp_path / "lib.db")
    assert main(["--library", lib, "index", str(music_folder), "--jobs", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4 indexed, 0 failed in ")

    assert main(["library", "list", "--library", lib]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["ID", "TITLE", "ARTIST", "TIME", "BPM", "KEY", "LUFS", "VAL", "ARO"]
    assert len(table) == 5 and any("a.mp3" in line and " 120 " in line and " C " in line for line in table)

    assert main(["library", "list", "--json", "--library", lib]) == 0
    tracks = _json(capsys)
    first = next(t for t in tracks if t["path"].endswith("b.flac"))
    assert main(["library", "show", str(first["id"]), "--json", "--library", lib]) == 0
    shown = _json(capsys)
    assert shown["initial_key"] == "Am" and abs(shown["bpm"] - 90) <= 2 and len(shown["beats"]) > 10

    assert main(["library", "show", str(first["id"]), "--library", lib]) == 0
    assert "initial_key  Am" in capsys.readouterr().out

    assert main(["library", "stats", "--json", "--library", lib]) == 0
    stats = _json(capsys)
    assert stats["tracks"] == 4 and stats["suggestions"]["space"] == "current" and stats["suggestions"]["fitted_tracks"] == 4


def test_library_from_the_environment(tmp_path: Path, music_folder: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PICSCORE_LIBRARY", str(tmp_path / "env.db"))
    assert main(["index", str(music_folder / "a.mp3"), "--json"]) == 0
    assert _json(capsys)["indexed"] == 1 and (tmp_path / "env.db").exists()


def test_failures_are_summarised_listed_and_exit_non_zero(tmp_path: Path, music_folder: Path, capsys) -> None:
    lib = str(tmp_path / "lib.db")
    (music_folder / "broken.mp3").write_bytes(b"\xff\xfb" + b"\x00" * 300)
    assert main(["--library", lib, "index", str(music_folder), "-j", "1", "-q"]) == 1
    captured = capsys.readouterr()
    assert "4 indexed, 1 failed: see `picscore library errors`" in captured.out
    assert f"picscore: skipped {music_folder.resolve() / 'broken.mp3'}: " in captured.err
    assert main(["--library", lib, "library", "errors"]) == 0
    assert "broken.mp3: " in capsys.readouterr().out
    assert main(["--library", lib, "library", "errors", "--clear"]) == 0
    capsys.readouterr()
    assert main(["--library", lib, "library", "errors", "--json"]) == 0
    assert _json(capsys) == []


def test_prune_removes_tracks_whose_files_are_gone(tmp_path: Path, music_folder: Path, capsys) -> None:
    lib = str(tmp_path / "lib.db")
    main(["--library", lib, "index", str(music_folder), "-j", "1", "-q"])
    (music_folder / "d.wav").unlink()
    main(["--library", lib, "index", str(music_folder), "-j", "1", "-q"])
    assert "1 tracks are no longer on disk: `picscore library prune` removes them" in capsys.readouterr().out
    assert main(["--library", lib, "library", "prune", "--dry-run"]) == 0
    assert "1 tracks would be removed" in capsys.readouterr().out
    assert main(["--library", lib, "library", "prune", "--json"]) == 0
    assert [Path(t["path"]).name for t in _json(capsys)["removed"]] == ["d.wav"]
    main(["--library", lib, "library", "stats", "--json"])
    assert _json(capsys)["tracks"] == 3


def test_unknown_track_and_missing_folder_are_one_line_errors(tmp_path: Path, capsys) -> None:
    lib = str(tmp_path / "lib.db")
    assert main(["--library", lib, "library", "show", "42"]) == 1
    assert capsys.readouterr().err == f"picscore: error: no track with id 42 in {lib}\n"
    assert main(["--library", lib, "index", str(tmp_path / "nowhere"), "-q"]) == 1
    assert capsys.readouterr().err == f"picscore: error: {tmp_path / 'nowhere'}: no such file or folder\n"


def test_a_library_path_that_is_not_a_database(tmp_path: Path, capsys) -> None:
    bogus = tmp_path / "bogus.db"
    bogus.write_text("hello")
    assert main(["--library", str(bogus), "library", "list"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"picscore: error: {bogus}: not a usable picscore library") and err.count("\n") == 1


def test_empty_library_says_how_to_fill_it(tmp_path: Path, capsys) -> None:
    assert main(["--library", str(tmp_path / "new.db"), "library", "list"]) == 0
    assert "is empty: add music with `picscore index FOLDER`" in capsys.readouterr().out


@pytest.mark.parametrize(
    "verb",
    [
        [],
        ["index"],
        ["tags"],
        ["suggest"],
        ["evaluate"],
        ["library"],
        ["library", "list"],
        ["library", "show"],
        ["library", "stats"],
        ["library", "errors"],
        ["library", "prune"],
        ["demo"],
        ["render"],
        ["compose"],
        ["feedback"],
        ["dataset", "from-videos"],
        ["train"],
        ["models", "list"],
        ["models", "use"],
    ],
)
def test_every_verb_has_help(verb: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*verb, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "--library" in text and len(text.splitlines()) > 5


def test_console_script_is_installed() -> None:
    result = subprocess.run([Path(sys.executable).with_name("picscore"), "--version"], capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.startswith("picscore ")


def test_tags_of_music_and_pictures(tmp_path: Path, music_folder: Path, capsys) -> None:
    from PIL import Image
    from skimage import data as samples

    photo = tmp_path / "cat.jpg"
    Image.fromarray(samples.chelsea()).save(photo)
    lib = str(tmp_path / "lib.db")
    assert main(["--library", lib, "tags", str(music_folder / "b.flac"), str(photo), "--top", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == str(music_folder / "b.flac")
    assert lines[1].split()[0] == "musicnn-mtt" and lines[2].split()[0] == "musicnn-msd"
    assert lines[3] == str(photo) and lines[4].split()[0] == "efficientnet-lite0"
    assert any(cat in lines[4] for cat in ("tabby", "tiger cat", "Egyptian cat"))

    assert main(["--library", lib, "tags", str(photo), "--json"]) == 0
    (result,) = _json(capsys)
    assert result["kind"] == "picture" and len(result["tags"]["efficientnet-lite0"]) == 5
    assert {"name", "probability"} == set(result["tags"]["efficientnet-lite0"][0])


def test_tags_reports_bad_files_one_line_each(tmp_path: Path, capsys) -> None:
    fake_picture, fake_song = tmp_path / "fake.png", tmp_path / "fake.mp3"
    fake_picture.write_text("no")
    fake_song.write_text("no")
    assert main(["--library", str(tmp_path / "lib.db"), "tags", str(fake_picture), str(fake_song)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == [
        f"picscore: error: {fake_picture}: not an image file, or an unsupported image format",
        f"picscore: error: {fake_song}: not a readable media file (Invalid data found when processing input)",
    ]


def test_library_show_includes_named_tags(tmp_path: Path, music_folder: Path, capsys) -> None:
    lib = str(tmp_path / "lib.db")
    assert main(["--library", lib, "index", str(music_folder / "a.mp3"), "-q", "--encoders", "musicnn-mtt"]) == 0
    capsys.readouterr()
    assert main(["--library", lib, "library", "show", "1", "--json"]) == 0
    shown = _json(capsys)
    tags = shown["encodings"]["musicnn-mtt"]["tags"]
    assert len(tags) == 50 and "piano" in tags and len(shown["encodings"]["musicnn-mtt"]["embedding"]) == 200
    assert main(["--library", lib, "library", "show", "1"]) == 0
    assert "         musicnn-mtt  " in capsys.readouterr().out


def test_evaluate_on_pairs_whose_moods_match(tmp_path: Path, capsys) -> None:
    import numpy as np
    from PIL import Image

    from tests.conftest import write_song

    write_song(tmp_path / "fast_major.flac", seconds=15.0, tonic="D", mode="major", bpm=140, seed=5)
    write_song(tmp_path / "slow_minor.flac", seconds=15.0, tonic="D", mode="minor", bpm=70, seed=5)
    y, x = np.mgrid[0:120, 0:160]
    lines = ["image\taudio"]
    for i in range(4):
        sunny = np.stack([np.full_like(x, 250), 150 + 60 * np.sin(x / (9 + i)) ** 2, np.full_like(x, 40)], axis=-1)
        gloomy = np.stack([np.full_like(x, 30 + 5 * i), 35 + 10 * np.sin(y / (7 + i)) ** 2, np.full_like(x, 45)], axis=-1)
        Image.fromarray(sunny.astype(np.uint8)).save(tmp_path / f"sunny{i}.png")
        Image.fromarray(gloomy.astype(np.uint8)).save(tmp_path / f"gloomy{i}.png")
        lines += [f"sunny{i}.png\tfast_major.flac", f"gloomy{i}.png\tslow_minor.flac"]
    lines.append("missing.png\tfast_major.flac")
    (tmp_path / "pairs.tsv").write_text("\n".join(lines) + "\n")
    args = ["evaluate", "--pairs", str(tmp_path / "pairs.tsv"), "--cache", str(tmp_path / "cache.db"), "--variant", "all", "-j", "1"]
    assert main([*args, "--json", "--permutations", "500"]) == 0
    result = _json(capsys)
    assert result["skipped_pairs"] == 1
    colour = result["reports"]["colour-affect"]
    assert colour["n_queries"] == 8 and colour["n_candidates"] == 2
    assert colour["mrr"] == 1.0 and colour["random_mrr"] == 0.75 and colour["mrr_p_value"] < 0.05
    assert set(result["reports"]) == set(VARIANTS)

    assert main(args[:-2]) == 0  # cached now; the table for people
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "8 pictures, each ranking 2 tracks (1 unreadable pairs left out)"
    assert out[1].split() == ["variant", "R@1", "R@5", "R@10", "MRR", "median", "p(MRR)"]
    assert out[-1].split()[0] == "random"


def test_evaluate_rejects_a_bad_pair_list(tmp_path: Path, capsys) -> None:
    (tmp_path / "bad.tsv").write_text("img\tsong\n")
    assert main(["evaluate", "--pairs", str(tmp_path / "bad.tsv"), "--cache", str(tmp_path / "c.db")]) == 1
    assert (
        capsys.readouterr().err == f"picscore: error: {tmp_path / 'bad.tsv'}: no audio and no image column in the header (tab-separated)\n"
    )


def test_suggest_lists_album_and_per_photo(tmp_path: Path, music_folder: Path, capsys) -> None:
    from PIL import Image
    from skimage import data as samples

    lib = str(tmp_path / "lib.db")
    cat, coffee = tmp_path / "cat.jpg", tmp_path / "coffee.png"
    Image.fromarray(samples.chelsea()).save(cat)
    Image.fromarray(samples.coffee()).save(coffee)
    assert main(["--library", lib, "suggest", str(cat)]) == 1
    assert "is empty: add music with `picscore index FOLDER` first" in capsys.readouterr().err
    main(["--library", lib, "index", str(music_folder), "-q", "-j", "1"])
    capsys.readouterr()

    assert main(["--library", lib, "suggest", str(cat), str(coffee), "--top", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "for 2 photos:" and out[1].split() == ["#", "SCORE", "ID", "TITLE", "USE", "WHY"] and len(out) == 5

    assert main(["--library", lib, "suggest", str(cat), str(coffee), "--per-photo", "--json", "--tempo", "95-125", "--mood", "calmer"]) == 0
    lists = _json(capsys)
    assert [group["photos"] for group in lists] == [[str(cat)], [str(coffee)]]
    for group in lists:
        assert {Path(s["track"]["path"]).name for s in group["suggestions"]} == {"a.mp3", "d.wav"}  # 120 and 100 BPM
        first = group["suggestions"][0]
        assert first["end_seconds"] - first["start_seconds"] == pytest.approx(12.0, abs=0.1) and "BPM" in first["reasons"]
        assert group["composed"] is None

    # Nothing reaches a score of 99: a piece is composed for the photo's mood instead.
    fallback = tmp_path / "fallback.flac"
    assert main(["--library", lib, "suggest", str(coffee), "--compose-fallback", str(fallback), "--fallback-below", "99", "--json"]) == 0
    (group,) = _json(capsys)
    assert group["composed"]["path"] == str(fallback) and decode_audio(fallback).duration_seconds == pytest.approx(60.0, abs=0.1)
    assert main(["--library", lib, "suggest", str(coffee), "--compose-fallback", str(tmp_path / "no.flac"), "--fallback-below", "-99"]) == 0
    assert not (tmp_path / "no.flac").exists()


def test_suggest_errors(tmp_path: Path, music_folder: Path, capsys) -> None:
    lib = str(tmp_path / "lib.db")
    main(["--library", lib, "index", str(music_folder / "a.mp3"), "-q", "--encoders", "none"])
    capsys.readouterr()
    assert main(["--library", lib, "suggest", str(tmp_path / "none.jpg")]) == 1
    assert capsys.readouterr().err.splitlines()[0] == f"picscore: error: {tmp_path / 'none.jpg'}: file not found"
    assert main(["--library", lib, "suggest", str(tmp_path / "none.jpg"), "--mood", "grumpy"]) == 1
    assert "unknown mood 'grumpy'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["suggest", "x.jpg", "--tempo", "fast"])
