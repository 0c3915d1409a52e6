"""The `picscore` command, called through main(argv) as a user would type it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from picscore.audio.timbre import TIMBRE_WIDTH
from picscore.cli import VERBS, build_parser, main
from picscore.media.audio_decode import decode_audio
from picscore.models.zero_shot import VARIANTS
from picscore.moods.music import FULL_HEAD, model_name
from picscore.moods.plane import MOOD_WORDS, mood_words


def _json_object(capsys) -> dict[str, Any]:
    """The JSON object a command printed."""
    value = json.loads(capsys.readouterr().out)
    assert isinstance(value, dict)
    return value


def _json_list(capsys) -> list[Any]:
    """The JSON array a command printed."""
    value = json.loads(capsys.readouterr().out)
    assert isinstance(value, list)
    return value


def test_index_then_list_show_stats(tmp_path: Path, music_folder: Path, capsys) -> None:
    lib = str(tmp_path / "lib.db")
    assert main(["--library", lib, "index", str(music_folder), "--jobs", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("4 indexed, 0 failed in ")

    assert main(["library", "list", "--library", lib]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split() == ["ID", "TITLE", "ARTIST", "TIME", "BPM", "KEY", "LUFS", "MOOD"]
    assert len(table) == 5 and any("a.mp3" in line and " 120 " in line and " C " in line for line in table)

    assert main(["library", "list", "--json", "--library", lib]) == 0
    tracks = _json_list(capsys)
    words = {t["path"]: mood_words(valence=t["valence"], arousal=t["arousal"]) for t in tracks}
    for track in tracks:  # the table's MOOD column says in words what --json gives in numbers
        (line,) = [line for line in table if Path(track["path"]).name in line]
        assert track["mood"] == words[track["path"]] and line.endswith(words[track["path"]])
    first = next(t for t in tracks if t["path"].endswith("b.flac"))
    assert main(["library", "show", str(first["id"]), "--json", "--library", lib]) == 0
    shown = _json_object(capsys)
    assert shown["initial_key"] == "Am" and abs(shown["bpm"] - 90) <= 2 and len(shown["beats"]) > 10
    assert shown["mood"] == words[first["path"]] and sum(shown["mood_quadrants"].values()) == pytest.approx(1.0, abs=1e-5)
    assert shown["mood_model"] == model_name(FULL_HEAD) and len(shown["timbre"]) == TIMBRE_WIDTH

    assert main(["library", "show", str(first["id"]), "--library", lib]) == 0
    shown_text = capsys.readouterr().out
    assert "initial_key  Am" in shown_text and f"mood  {words[first['path']]}\n" in shown_text and "valence" not in shown_text
    assert f"timbre  {TIMBRE_WIDTH} numbers: cepstrum and octave contrast" in shown_text

    assert main(["library", "stats", "--json", "--library", lib]) == 0
    stats = _json_object(capsys)
    assert stats["tracks"] == 4 and stats["suggestions"]["space"] == "current" and stats["suggestions"]["fitted_tracks"] == 4


def test_library_from_the_environment(tmp_path: Path, music_folder: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("PICSCORE_LIBRARY", str(tmp_path / "env.db"))
    assert main(["index", str(music_folder / "a.mp3"), "--json"]) == 0
    assert _json_object(capsys)["indexed"] == 1 and (tmp_path / "env.db").exists()


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
    assert _json_list(capsys) == []


def test_prune_removes_tracks_whose_files_are_gone(tmp_path: Path, music_folder: Path, capsys) -> None:
    lib = str(tmp_path / "lib.db")
    main(["--library", lib, "index", str(music_folder), "-j", "1", "-q"])
    (music_folder / "d.wav").unlink()
    main(["--library", lib, "index", str(music_folder), "-j", "1", "-q"])
    assert "1 tracks are no longer on disk: `picscore library prune` removes them" in capsys.readouterr().out
    assert main(["--library", lib, "library", "prune", "--dry-run"]) == 0
    assert "1 tracks would be removed" in capsys.readouterr().out
    assert main(["--library", lib, "library", "prune", "--json"]) == 0
    assert [Path(t["path"]).name for t in _json_object(capsys)["removed"]] == ["d.wav"]
    main(["--library", lib, "library", "stats", "--json"])
    assert _json_object(capsys)["tracks"] == 3


def test_unknown_track_and_missing_folder_are_one_line_errors(tmp_path: Path, capsys) -> None:
    lib = str(tmp_path / "lib.db")
    assert main(["--library", lib, "library", "show", "42"]) == 1
    assert capsys.readouterr().err == f"picscore: error: no track with id 42 in {lib}\n"
    assert main(["--library", lib, "index", str(tmp_path / "nowhere"), "-q"]) == 1
    assert capsys.readouterr().err == f"picscore: error: {tmp_path / 'nowhere'}: no such file or folder\n"


def test_a_folder_without_audio_is_named_in_a_warning(tmp_path: Path, capsys) -> None:
    """Naming the photo folder instead of the music is the likely slip: say so instead of a bare "0 indexed"."""
    photos = tmp_path / "Pictures"
    photos.mkdir()
    (photos / "beach.jpg").write_bytes(b"not music")
    (photos / "notes.txt").write_text("not music either")
    assert main(["--library", str(tmp_path / "lib.db"), "index", str(photos), "-q"]) == 0
    out, err = capsys.readouterr()
    assert out == "0 indexed, 0 failed\n"
    assert err.startswith(f"picscore: warning: {photos}: no audio files in this folder or below it (") and "mp3" in err


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
        ["curate"],
        ["serve"],
        ["doctor"],
    ],
)
def test_every_verb_has_help(verb: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*verb, "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    assert "--library" in text and len(text.splitlines()) > 5


@pytest.mark.parametrize("words", [["--help"], ["-h", "suggest"], ["--library", "x.db", "--help", "render"]])
def test_the_whole_help_lists_every_verb_even_before_a_verb(words: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(words)
    assert exit_info.value.code == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines() if re.match(r"    \S", line)]
    assert listed == list(VERBS)


def test_an_unknown_verb_is_refused_with_the_verbs_to_choose_from(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--library", "x.db", "sugest", "beach.jpg"])
    assert exit_info.value.code == 2
    error = capsys.readouterr().err
    assert "invalid choice: 'sugest'" in error and all(f"'{verb}'" in error for verb in VERBS)


@pytest.mark.parametrize(
    ("words", "listed"),
    [([], list(VERBS)), (["library"], ["list", "show", "stats", "errors", "prune", "search-index"]), (["models"], ["list", "use"])],
)
def test_a_command_short_of_its_verb_shows_what_to_choose(words: list[str], listed: list[str], capsys) -> None:
    """`picscore` alone, or a verb without its action, shows the help that lists them, then the usual error."""
    with pytest.raises(SystemExit) as exit_info:
        main(words)
    assert exit_info.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert [line.split()[0] for line in err.splitlines() if re.match(r"    \S", line)] == listed
    noun = "VERB" if not words else "ACTION"
    assert err.endswith(f"error: the following arguments are required: {noun}\n")


def _modules_loaded_by(words: list[str], names: tuple[str, ...]) -> tuple[list[str], str]:
    """Which of the modules `names` running `main(words)` in a new interpreter imports, and what it printed."""
    code = (
        "import contextlib, sys\n"
        "from picscore.cli import main\n"
        "with contextlib.suppress(SystemExit):\n"
        f"    main({words!r})\n"
        f"print('loaded:', *[name for name in {names!r} if name in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.splitlines()[-1].split()[1:], done.stdout


@pytest.mark.parametrize(
    "words",
    [["--library", "LIB", "library", "list"], ["--lib", "LIB", "library", "list"], ["suggest", "--help"], ["feedback", "--help"]],
)
def test_a_verb_starts_without_the_heavy_modules_other_verbs_need(words: list[str], tmp_path: Path) -> None:
    """Only the named verb's module is imported: listing the library or asking for help loads no torch, SciPy,
    FAISS or PyAV, which cost every start about 0.4 s when all verbs were imported."""
    words = [str(tmp_path / "lib.db") if word == "LIB" else word for word in words]
    loaded, printed = _modules_loaded_by(words, ("torch", "scipy", "faiss", "av"))
    assert loaded == []
    if "list" in words:  # the command ran, on the library it was given
        assert f"the library {tmp_path / 'lib.db'} is empty" in printed


@pytest.mark.parametrize("words", [["--help"], ["-h", "render"], ["sugest", "beach.jpg"], []])
def test_the_whole_help_and_verb_errors_import_no_verb(words: list[str]) -> None:
    verb_modules = tuple(f"picscore.cli.{verb}_cmd" for verb in VERBS)
    loaded, _ = _modules_loaded_by(words, verb_modules)
    assert loaded == []


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
    assert lines[1].split()[0] == "mood" and lines[1].split(maxsplit=1)[1] in MOOD_WORDS
    assert lines[2].split()[0] == "musicnn-mtt" and lines[3].split()[0] == "musicnn-msd"
    assert lines[4] == str(photo) and lines[5].split(maxsplit=1)[1] in MOOD_WORDS
    assert lines[6].split()[0] == "efficientnet-lite0" and any(cat in lines[6] for cat in ("tabby", "tiger cat", "Egyptian cat"))

    assert main(["--library", lib, "tags", str(photo), str(music_folder / "b.flac"), "--json"]) == 0
    picture, music = _json_list(capsys)
    assert picture["kind"] == "picture" and len(picture["tags"]["efficientnet-lite0"]) == 5
    assert {"name", "probability"} == set(picture["tags"]["efficientnet-lite0"][0])
    for result in (picture, music):
        mood = result["mood"]
        assert set(mood) == {"valence", "arousal", "words"} and -1 <= mood["valence"] <= 1 and -1 <= mood["arousal"] <= 1
        assert mood["words"] == mood_words(valence=mood["valence"], arousal=mood["arousal"])
    # the file's mood is the one `picscore index` stores for it
    assert main(["--library", lib, "index", str(music_folder / "b.flac"), "-q", "-j", "1"]) == 0
    capsys.readouterr()
    assert main(["--library", lib, "library", "list", "--json"]) == 0
    (stored,) = _json_list(capsys)
    assert (stored["valence"], stored["arousal"]) == pytest.approx((music["mood"]["valence"], music["mood"]["arousal"]), abs=1e-3)


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
    shown = _json_object(capsys)
    tags = shown["encodings"]["musicnn-mtt"]["tags"]
    assert len(tags) == 50 and "piano" in tags and len(shown["encodings"]["musicnn-mtt"]["embedding"]) == 200
    assert main(["--library", lib, "library", "show", "1"]) == 0
    assert "         musicnn-mtt  " in capsys.readouterr().out


def test_evaluate_on_pairs_whose_moods_match(tmp_path: Path, capsys) -> None:
    """Cat photos paired with a happy piece and dim, grey photos with a sad one: the learned moods pair them all."""
    from PIL import Image, ImageEnhance
    from skimage import data as samples

    from picscore.compose.composer import compose
    from picscore.media.audio_encode import encode_audio

    for name, valence, arousal in (("happy.flac", 0.8, 0.7), ("sad.flac", -0.7, -0.7)):
        piece = compose(valence=valence, arousal=arousal, seconds=15.0, sr=22050, seed=2)
        encode_audio(tmp_path / name, piece.samples, sr=piece.sr)
    cat, coffee = Image.fromarray(samples.chelsea()), Image.fromarray(samples.coffee())
    lines = ["image\taudio"]
    for i in range(4):
        box = (10 * i, 5 * i, 10 * i + 400, 5 * i + 280)
        cat.crop(box).save(tmp_path / f"cat{i}.png")
        ImageEnhance.Color(ImageEnhance.Brightness(coffee.crop(box)).enhance(0.35)).enhance(0.15).save(tmp_path / f"dim{i}.png")
        lines += [f"cat{i}.png\thappy.flac", f"dim{i}.png\tsad.flac"]
    lines.append("missing.png\thappy.flac")
    (tmp_path / "pairs.tsv").write_text("\n".join(lines) + "\n")
    args = ["evaluate", "--pairs", str(tmp_path / "pairs.tsv"), "--cache", str(tmp_path / "cache.db"), "--variant", "all", "-j", "1"]
    assert main([*args, "--json", "--permutations", "500"]) == 0
    result = _json_object(capsys)
    assert result["skipped_pairs"] == 1
    mood = result["reports"]["mood"]
    assert mood["n_queries"] == 8 and mood["n_candidates"] == 2
    assert mood["mrr"] == 1.0 and mood["random_mrr"] == 0.75 and mood["mrr_p_value"] < 0.05
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
    assert out[0].startswith("for 2 photos, ") and out[0].endswith(":") and out[0][len("for 2 photos, ") : -1] in MOOD_WORDS
    assert out[1].split() == ["#", "SCORE", "ID", "TITLE", "USE", "WHY"] and len(out) == 5

    assert main(["--library", lib, "suggest", str(cat), str(coffee), "--per-photo", "--json", "--tempo", "95-125", "--mood", "calmer"]) == 0
    lists = _json_list(capsys)
    assert [group["photos"] for group in lists] == [[str(cat)], [str(coffee)]]
    for group in lists:
        assert {Path(s["track"]["path"]).name for s in group["suggestions"]} == {"a.mp3", "d.wav"}  # 120 and 100 BPM
        assert group["mood"]["words"] == mood_words(valence=group["mood"]["valence"], arousal=group["mood"]["arousal"])
        assert all(s["track"]["mood"]["words"] in s["reasons"] for s in group["suggestions"])
        first = group["suggestions"][0]
        assert first["end_seconds"] - first["start_seconds"] == pytest.approx(12.0, abs=0.1) and "BPM" in first["reasons"]
        assert group["composed"] is None

    # Nothing reaches a score of 99: a piece is composed for the photo's mood instead.
    fallback = tmp_path / "fallback.flac"
    assert main(["--library", lib, "suggest", str(coffee), "--compose-fallback", str(fallback), "--fallback-below", "99", "--json"]) == 0
    (group,) = _json_list(capsys)
    assert group["composed"]["path"] == str(fallback) and decode_audio(fallback).duration_seconds == pytest.approx(60.0, abs=0.1)
    assert main(["--library", lib, "suggest", str(coffee), "--compose-fallback", str(tmp_path / "no.flac"), "--fallback-below", "-99"]) == 0
    assert not (tmp_path / "no.flac").exists()


def test_suggest_errors(tmp_path: Path, music_folder: Path, capsys) -> None:
    lib = str(tmp_path / "lib.db")
    main(["--library", lib, "index", str(music_folder / "a.mp3"), "-q", "--encoders", "none"])
    capsys.readouterr()
    assert main(["--library", lib, "suggest", str(tmp_path / "none.jpg")]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"picscore: skipped {tmp_path / 'none.jpg'}: file not found",  # the words render uses for the same case
        "picscore: error: none of the 1 photos could be read",
    ]
    album = tmp_path / "album"
    album.mkdir()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(album / "sunset.png")
    (album / "notes.jpg").write_text("a shopping list")
    assert main(["--library", lib, "suggest", str(album), "--json"]) == 1  # a folder, as render takes; its bad file skipped
    captured = capsys.readouterr()
    assert captured.err.splitlines()[0] == f"picscore: skipped {album / 'notes.jpg'}: not an image file, or an unsupported image format"
    assert json.loads(captured.out)[0]["photos"] == [str(album / "sunset.png")]
    assert main(["--library", lib, "suggest", str(album / "sunset.png"), "--tempo", "300-400"]) == 1
    last = capsys.readouterr().err.splitlines()[-1]
    assert last == "picscore: error: no track passes the filters: tempo 300-400 BPM keeps 0 of 1 tracks"
    assert main(["--library", lib, "suggest", str(tmp_path / "none.jpg"), "--mood", "grumpy"]) == 1
    assert "unknown mood 'grumpy'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        build_parser().parse_args(["suggest", "x.jpg", "--tempo", "fast"])
