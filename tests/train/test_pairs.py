"""Reading pair lists, and the one-line errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from picscore.train.pairs import Pair, PairsError, read_pairs


def test_relative_paths_resolve_against_the_tsv(tmp_path: Path) -> None:
    (tmp_path / "sets").mkdir()
    tsv = tmp_path / "sets" / "pairs.tsv"
    tsv.write_text("image\taudio\tsource\npics/a.png\t/abs/song.ogg\tlevel1\n")
    assert read_pairs(tsv) == [Pair(str(tmp_path / "sets/pics/a.png"), "/abs/song.ogg", source="level1")]


def test_excerpts_and_sources(tmp_path: Path) -> None:
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text(
        "source\tend\timage\taudio\tstart\tnote\n"
        "clip1\t4.5\ta.jpg\tclip1.mp4\t0\tfirst\n"
        "\t\tb.jpg\tsong.ogg\t\t\n"  # whole track, no source: the audio path stands in
        "clip1\t1e1\tc.jpg\tclip1.mp4\t 7.25 \tstripped\n"
    )
    first, second, third = read_pairs(tsv)
    assert (first.start_seconds, first.end_seconds, first.source) == (0.0, 4.5, "clip1")
    assert (second.start_seconds, second.end_seconds, second.source) == (None, None, str(tmp_path / "song.ogg"))
    assert (third.start_seconds, third.end_seconds, third.image) == (7.25, 10.0, str(tmp_path / "c.jpg"))


def test_a_pair_without_source_uses_its_audio() -> None:
    assert Pair("/a.png", "/b.ogg").source == "/b.ogg"
    assert Pair("/a.png", "/b.ogg", source="level 3").source == "level 3"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("picture\taudio\na\tb\n", "no image column in the header"),
        ("image\taudio\n", "no pairs in the file"),
        ("image\taudio\na.png\t\n", ":2: a pair needs both an image and an audio path"),
        ("image\taudio\tstart\tend\na\tb\t1\t2\na\tb\t3\t\n", r"p\.tsv:3: an excerpt needs both start and end \(got only start\)"),
        ("image\taudio\tend\na\tb\t2\n", r"p\.tsv:2: an excerpt needs both start and end \(got only end\)"),
        ("image\taudio\tstart\tend\na\tb\tabc\t2\n", r"p\.tsv:2: start 'abc' is not a number of seconds"),
        ("image\taudio\tstart\tend\na\tb\t1\tnan\n", r"p\.tsv:2: end 'nan' is not a number of seconds"),
        ("image\taudio\tstart\tend\na\tb\t-1\t2\n", r"p\.tsv:2: start -1 is before the beginning of the audio"),
        ("image\taudio\tstart\tend\na\tb\t2\t2\n", r"p\.tsv:2: end 2 is not after start 2"),
        ("image\taudio\tstart\tend\na\tb\t3\t1.5\n", r"p\.tsv:2: end 1.5 is not after start 3"),
    ],
)
def test_bad_pair_lists(tmp_path: Path, text: str, message: str) -> None:
    tsv = tmp_path / "p.tsv"
    tsv.write_text(text)
    with pytest.raises(PairsError, match=message):
        read_pairs(tsv)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PairsError, match="cannot read the pair list"):
        read_pairs(tmp_path / "none.tsv")


def test_label_column_marks_rejected_pairs(tmp_path: Path) -> None:
    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("image\taudio\tlabel\na.jpg\tx.mp3\t1\nb.jpg\tx.mp3\t0\nc.jpg\tx.mp3\t\n")
    assert [p.kept for p in read_pairs(tsv)] == [True, False, True]
    tsv.write_text("image\taudio\tlabel\na.jpg\tx.mp3\tyes\n")
    with pytest.raises(PairsError, match=r"pairs.tsv:2: label is 1 \(fits\) or 0"):
        read_pairs(tsv)


def test_broken_links_are_kept_as_named(tmp_path: Path) -> None:
    (tmp_path / "loop.jpg").symlink_to("loop.jpg")  # Path.resolve raised RuntimeError: the whole list was refused
    (tmp_path / "dangling.mp3").symlink_to(tmp_path / "gone.mp3")
    (tmp_path / "pairs.tsv").write_text("image\taudio\nloop.jpg\tdangling.mp3\n")
    (pair,) = read_pairs(tmp_path / "pairs.tsv")
    assert (pair.image, pair.audio) == (str(tmp_path.resolve() / "loop.jpg"), str(tmp_path.resolve() / "dangling.mp3"))
