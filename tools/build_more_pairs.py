"""Build picture-to-music pair lists from eight more games, to test whether matching learned on some games carries over.

`tools/build_pairs.py` makes the two development sets (SuperTux, Wesnoth). A matcher tuned on two sets can fit their
quirks, so this script adds other games whose authors chose a piece of music for a picture: SuperTuxKart, Hedgewars,
Warmux, Blob Wars, Ardentryst, Pingus, Neverball and MegaGlest. What each game's data says, and what is left out, is
in the docstring of its parser in tools/pair_games/. As with build_pairs.py, the Debian packages are fetched with
`apt-get download` into the cache folder and unpacked there with `dpkg-deb -x` (nothing is installed and nothing is
committed); pictures or audio a parser has to make (composited backdrops, re-tagged or rendered tracks) go to
made/ in the cache folder. Pingus's tracker music is rendered with `openmpt123` when it is installed
(`apt-get install openmpt123`); without it those levels are skipped and counted.

Writes <game>.tsv for each game (header "image<TAB>audio<TAB>source", absolute paths), which `picscore evaluate`,
`picscore train` and tools/transfer_study.py read.

Usage: python tools/build_more_pairs.py [--cache DIR] [--out DIR] [--games supertuxkart,hedgewars,...]
"""

from __future__ import annotations

import argparse
import importlib
from types import ModuleType

from build_pairs import add_folder_arguments, build_sets

GAMES = ("supertuxkart", "hedgewars", "warmux", "blobwars", "ardentryst", "pingus", "neverball", "megaglest")


def parser_of(game: str) -> ModuleType:
    """The game's parser module in tools/pair_games/."""
    return importlib.import_module(f"pair_games.{game}")


def game_list(text: str) -> list[str]:
    """The --games value: comma-separated names from GAMES."""
    games = [name.strip() for name in text.split(",") if name.strip()]
    if unknown := sorted(set(games) - set(GAMES)):
        raise argparse.ArgumentTypeError(f"unknown game {', '.join(unknown)}; known: {', '.join(GAMES)}")
    return games


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Build picture-to-music pairs from eight more games (SuperTuxKart, Hedgewars, Warmux, Blob Wars, "
        "Ardentryst, Pingus, Neverball, MegaGlest). Downloads about 1.2 GB of Debian packages with apt-get download "
        "(unpacked with dpkg-deb, nothing installed) and writes GAME.tsv (image, audio, source; absolute paths) for each. "
        "A second run reuses the downloads. If apt-get cannot find a package, run `apt-get update` as root first.",
    )
    add_folder_arguments(parser)
    parser.add_argument("--games", type=game_list, default=list(GAMES), help=f"which games, comma-separated (default: {','.join(GAMES)})")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    parsers = {game: parser_of(game) for game in args.games}
    packages = list(dict.fromkeys(p for parser in parsers.values() for p in parser.PACKAGES))
    build_sets(args, packages, {game: parser.pairs for game, parser in parsers.items()})


if __name__ == "__main__":
    main()
