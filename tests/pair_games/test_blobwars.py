"""tools/pair_games/blobwars.py on a tiny synthetic blobwars-data tree."""

from __future__ import annotations

from pathlib import Path

from build_pairs import Pair, Skips

from pair_games import REPEATED_PAIR, blobwars

TILE_ROW = " ".join(["0"] * 300) + "\n"  # the map rows that come before a stage's settings


def stage(game: Path, name: str, **fields: str) -> None:
    """A stage file as the game has them: tile rows, then "EMH KEY value" lines."""
    lines = "".join(f"EMH {key} {value}\n" for key, value in fields.items())
    path = game / "data" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TILE_ROW * 3 + "\n" + lines + "\nEMH START 10 305\nX TIMELIMIT 8 0\n", encoding="latin-1")


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def run(root: Path) -> tuple[list[tuple[str, str, str]], Skips]:
    """pairs() as (image, audio, source) relative to the game folder, and the skips."""
    skips = Skips()
    game = root / blobwars.GAME
    found = blobwars.pairs(root, root.parent / "made", skips)
    return [(str(p.image.relative_to(game)), str(p.audio.relative_to(game)), p.source) for p in found], skips


def test_stage_pairs_background_with_music_named_without_extension(tmp_path):
    root = tmp_path / "root"
    game = root / blobwars.GAME
    touch(game / "gfx/caves/background.jpg")
    touch(game / "music/cave")
    touch(game / "music/cave.tags")
    stage(game, "caves1", STAGENAME='"Inner Cave Network, Part 1"', BACKGROUND="gfx/caves/background.jpg", MUSIC="music/cave")

    found, skips = run(root)

    assert found == [("gfx/caves/background.jpg", "music/cave", "caves1")]
    assert not skips.counts


def test_first_line_of_a_key_counts_and_quotes_are_removed(tmp_path):
    root = tmp_path / "root"
    game = root / blobwars.GAME
    touch(game / "gfx/a.png")
    touch(game / "music/first")
    stage(game, "level", STAGENAME='"A"', BACKGROUND='"gfx/a.png"', MUSIC="music/first")
    with (game / "data/level").open("a", encoding="latin-1") as f:
        f.write("EMH MUSIC music/second\n")

    assert run(root)[0] == [("gfx/a.png", "music/first", "level")]


def test_files_without_stagename_are_not_stages_and_not_counted(tmp_path):
    root = tmp_path / "root"
    game = root / blobwars.GAME
    (game / "data/de").mkdir(parents=True)  # a translation folder
    (game / "data/titleWidgets").write_text('MENU "Start Game" 0\n', encoding="latin-1")
    (game / "data/hub").write_text('"Grasslands" "data/grasslands1" 100 50 "@none@"\n', encoding="latin-1")

    found, skips = run(root)

    assert found == []
    assert not skips.counts


def test_training_intro_missing_fields_and_missing_files_are_skipped(tmp_path):
    root = tmp_path / "root"
    game = root / blobwars.GAME
    touch(game / "gfx/day.png")
    touch(game / "music/grasslands")
    stage(game, "practice", STAGENAME='"Training Mission"', BACKGROUND="gfx/day.png", MUSIC="music/grasslands")
    stage(game, "introMap", STAGENAME='"Intro"', BACKGROUND="gfx/day.png")
    stage(game, "silent", STAGENAME='"Silent"', BACKGROUND="gfx/day.png")
    stage(game, "nobg", STAGENAME='"No picture"', BACKGROUND="gfx/gone.png", MUSIC="music/grasslands")
    stage(game, "nomusic", STAGENAME='"No track"', BACKGROUND="gfx/day.png", MUSIC="music/gone")

    found, skips = run(root)

    assert found == []
    assert skips.examples == {
        "background file missing": ["nobg: gfx/gone.png"],
        "training mission or intro, not a stage of the game": ["introMap (intro)", "practice (training mission)"],
        "music file missing": ["nomusic: music/gone"],
        "stage without BACKGROUND or MUSIC": ["silent"],
    }


def test_stages_sharing_picture_and_music_give_one_pair_for_the_first(tmp_path):
    root = tmp_path / "root"
    game = root / blobwars.GAME
    for name in ("gfx/caves/background.jpg", "gfx/mech/space.png", "music/cave", "music/final", "music/space"):
        touch(game / name)
    stage(game, "caves2", STAGENAME='"Part 2"', BACKGROUND="gfx/caves/background.jpg", MUSIC="music/cave")
    stage(game, "caves1", STAGENAME='"Part 1"', BACKGROUND="gfx/caves/background.jpg", MUSIC="music/cave")
    stage(game, "spaceStation", STAGENAME='"Space Station"', BACKGROUND="gfx/mech/space.png", MUSIC="music/space")
    stage(game, "finalBattle", STAGENAME='"Final Battle"', BACKGROUND="gfx/mech/space.png", MUSIC="music/final")

    found, skips = run(root)

    assert found == [
        ("gfx/caves/background.jpg", "music/cave", "caves1"),
        ("gfx/mech/space.png", "music/final", "finalBattle"),
        ("gfx/mech/space.png", "music/space", "spaceStation"),
    ]
    assert skips.examples == {REPEATED_PAIR: ["caves2 (as caves1)"]}


def test_drop_repeated_pairs_sorts_by_source_and_keeps_the_first():
    a, b = Path("/a.png"), Path("/b.ogg")
    skips = Skips()

    kept = blobwars.drop_repeated_pairs([Pair(a, b, "z"), Pair(a, b, "m"), Pair(b, a, "a")], skips)

    assert kept == [Pair(b, a, "a"), Pair(a, b, "m")]
    assert skips.examples == {REPEATED_PAIR: ["z (as m)"]}
