"""Reading pair lists, and the one-line errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import pytest

from picscore.train.pairs import Pair, PairsError, read_pairs


def test_relative_paths_resolve_against_the_tsv(tmp_path: Path) -> None:
    (tmp_path / "sets").mkdir()
    tsv = tmp_path / "sets" / "pairs.tsv"
    tsv.write_text("image\taudio\tsource\npics/a.png\t/abs/song.ogg\tlevel1\n")
    assert read_pairs(tsv) == [Pair(str(tmp_path / "sets/pics/a.png"), "/abs/song.ogg")]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("picture\taudio\na\tb\n", "no image column in the header"),
        ("image\taudio\n", "no pairs in the file"),
        ("image\taudio\na.png\t\n", ":2: a pair needs both an image and an audio path"),
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
