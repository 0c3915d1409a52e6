"""tools/pair_games/warmux.py on a tiny synthetic warmux-data tree."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from build_pairs import Skips
from PIL import Image

from pair_games import warmux
from picscore.media.audio_decode import decode_audio
from tests.pair_games.files import write

IN_ROOT = f"root/{warmux.DATA}"  # where the data folder shows in the paths run() returns
RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def track(path: Path, album: str = "Apnée", tag_encoding: str = "utf-8") -> Path:
    """A 0.1 s silent FLAC-in-Ogg track whose album tag is written in `tag_encoding` (Latin-1 as three Warmux tracks)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="ogg", metadata_encoding=tag_encoding) as out:
        stream = out.add_stream("flac", rate=8000, layout="mono")
        stream.metadata["ALBUM"] = album
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 800), dtype=np.int16), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 8000, 0
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            out.mux(packet)
    return path


def solid(path: Path, size: tuple[int, int], colour: tuple[int, ...]) -> Path:
    """A picture of one colour (RGBA when `colour` has four values)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA" if len(colour) == 4 else "RGB", size, colour).save(path)
    return path


def terrain(path: Path, size: tuple[int, int] = (8, 4)) -> Path:
    """A terrain picture: transparent above, opaque blue ground in its bottom row."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    image.paste((*BLUE, 255), (0, size[1] - 1, size[0], size[1]))
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return path


def music_profile(data: Path, playlists: dict[str, list[str]]) -> None:
    """music/profile.xml with one ingame/<type>.m3u per playlist type, and the .m3u files listing `playlists`' tracks."""
    rows = "".join(f'  <music type="{kind}" playlist="ingame/{kind}.m3u" />\n' for kind in playlists)
    write(data / "music/profile.xml", f'<?xml version="1.0" encoding="UTF-8"?>\n<profile>\n{rows}</profile>\n')
    for kind, tracks in playlists.items():
        write(data / f"music/ingame/{kind}.m3u", "\n".join(tracks))  # some real lists lack the final newline


def warmux_map(data: Path, name: str, playlist: str | None, surfaces: dict[str, str], sky_layers: int = 0) -> Path:
    """A map folder with a config.xml in the game's style (the surfaces' files are not made)."""
    lines = [f'  <surface name="{surface}" file="{file}" />' for surface, file in surfaces.items()]
    lines += [f"  <sky_layer>{sky_layers}</sky_layer>"] if sky_layers else []
    lines += [f"  <name>{name.title()}</name>", "  <water>water</water>", "  <is_open>1</is_open>"]
    lines += [f"  <music_playlist>{playlist}</music_playlist>"] if playlist else ["  <!--<music_playlist>NAME</music_playlist>-->"]
    header = '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE resources SYSTEM "../map.dtd" []>\n<resources>\n'
    write(data / "map" / name / "config.xml", header + "\n".join(lines) + "\n</resources>\n")
    return data / "map" / name


def run(tmp_path: Path) -> tuple[list[tuple[str, str, str]], Skips]:
    """pairs() of tmp_path/root, made files in tmp_path/made: the pairs as (image, audio, source), paths relative to
    tmp_path, and the skips."""
    skips = Skips()
    found = warmux.pairs(tmp_path / "root", tmp_path / "made", skips)
    return [(str(p.image.relative_to(tmp_path)), str(p.audio.relative_to(tmp_path)), p.source) for p in found], skips


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "root" / warmux.DATA


def test_composite_backdrop_pairs_with_each_playlist_track(data: Path, tmp_path: Path) -> None:
    music_profile(data, {"sea": ["Apnee2.ogg", "# a comment", "", "Apnee.ogg", "Apnee2.ogg"], "menu": ["flute.ogg"]})
    track(data / "music/ingame/Apnee2.ogg")
    track(data / "music/ingame/Apnee.ogg", tag_encoding="latin-1")
    abyss = warmux_map(data, "abyss", "sea", {"sky": "background.png", "map": "foreground.png", "preview": "preview.jpg"})
    solid(abyss / "background.png", (4, 2), RED)
    terrain(abyss / "foreground.png")

    pairs, skips = run(tmp_path)

    label = "abyss (Abyss; playlist sea)"
    assert pairs == [
        ("made/warmux/abyss.png", f"{IN_ROOT}/music/ingame/Apnee.ogg", label),
        ("made/warmux/abyss.png", f"{IN_ROOT}/music/ingame/Apnee2.ogg", label),
    ]
    assert not skips.counts
    assert sorted(p.name for p in (tmp_path / "made/warmux").iterdir()) == ["abyss.png"]
    with Image.open(tmp_path / "made/warmux/abyss.png") as image:
        assert (image.size, image.mode) == ((8, 4), "RGB")
        assert (image.getpixel((0, 0)), image.getpixel((7, 3))) == (RED, BLUE)


def test_latin1_tags_stop_a_plain_pyav_open_but_not_picscore(data: Path) -> None:
    latin1 = track(data / "music/ingame/Apnee.ogg", tag_encoding="latin-1")
    with pytest.raises(UnicodeDecodeError):
        av.open(str(latin1))
    decoded = decode_audio(latin1)
    assert decoded.tags["album"].startswith("Apn") and decoded.duration_seconds == pytest.approx(0.1, abs=0.01)


def test_maps_without_a_usable_playlist_or_backdrop_and_missing_tracks_are_skipped(data: Path, tmp_path: Path) -> None:
    music_profile(data, {"sea": ["Apnee2.ogg"], "fear": ["gone.ogg", "Etrange.ogg"], "lost": ["gone.ogg"]})
    track(data / "music/ingame/Apnee2.ogg")
    track(data / "music/ingame/Etrange.ogg")
    backdrop = {"sky": "sky.png", "map": "map.png"}
    for name, playlist in (("halloween", "fear"), ("plain", None), ("montagnes", "NAMEOFMUSICFILE"), ("silent", "lost")):
        folder = warmux_map(data, name, playlist, backdrop)
        solid(folder / "sky.png", (4, 2), RED)
        terrain(folder / "map.png")
    solid(warmux_map(data, "paint", "sea", {"sky": "sky.png", "preview": "preview.jpg"}) / "sky.png", (4, 2), RED)
    terrain(warmux_map(data, "nosky", "sea", {"sky": "gone.png", "map": "map.png"}) / "map.png")
    write(data / "map/broken/config.xml", "<resources><name>Broken</resources>")

    pairs, skips = run(tmp_path)

    assert pairs == [("made/warmux/halloween.png", f"{IN_ROOT}/music/ingame/Etrange.ogg", "halloween (Halloween; playlist fear)")]
    assert skips.examples == {
        "config.xml is not well-formed XML": ["broken"],
        "no <music_playlist> (the game plays its 'ingame' list at random)": ["plain"],
        "playlist not in music/profile.xml": ["montagnes: NAMEOFMUSICFILE"],
        "no sky or no terrain picture": ["nosky", "paint"],
        "playlist track not found": ["gone.ogg"],
    }
    assert sorted(p.name for p in (tmp_path / "made/warmux").iterdir()) == ["halloween.png"]  # none for silent


def test_composite_draws_sky_layers_back_to_front_under_the_terrain(tmp_path: Path) -> None:
    sky = solid(tmp_path / "sky.jpg", (2, 1), RED)
    back = Image.new("RGBA", (8, 4), (0, 0, 0, 0))
    back.paste((*GREEN, 255), (0, 0, 4, 4))  # the left half
    back.save(tmp_path / "layer0.png")
    front = Image.new("RGBA", (8, 4), (0, 0, 0, 0))
    front.paste((255, 255, 255, 255), (0, 0, 2, 2))  # the top left corner, over the back layer
    front.save(tmp_path / "layer1.png")

    made = warmux.composite(sky, [tmp_path / "layer0.png", tmp_path / "layer1.png"], terrain(tmp_path / "map.png"), tmp_path / "x.png")

    with Image.open(made) as image:
        assert image.size == (8, 4)
        corner, left, right, ground = (image.getpixel(xy) for xy in ((0, 0), (3, 0), (7, 0), (4, 3)))
    assert (corner, left, ground) == ((255, 255, 255), GREEN, BLUE)
    assert isinstance(right, tuple) and right[0] > 200 and right[1] < 40  # the JPEG sky, scaled to cover the terrain


def test_composite_is_downscaled_to_max_side(tmp_path: Path) -> None:
    sky = solid(tmp_path / "sky.png", (10, 10), RED)

    made = warmux.composite(sky, [], terrain(tmp_path / "map.png", (warmux.MAX_SIDE * 2, 6)), tmp_path / "x.png")

    with Image.open(made) as image:
        assert image.size == (warmux.MAX_SIDE, 3)
