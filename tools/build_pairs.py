"""Build picture-to-music development pairs from two free games whose artists chose music for their pictures.

picscore suggests music for pictures. To measure that against human choices rather than our own guesses, this script
collects (image, music) pairs that game authors made: SuperTux 2 levels (a background picture and a music track per
sector) and the Wesnoth 1.16 campaigns (story-screen pictures and the music of their scenario). Nothing of the data is
kept in the repository: the Debian packages are fetched with `apt-get download` into a cache folder, unpacked there
with `dpkg-deb -x` (no installation, no root needed), parsed, and written as pair lists:

    supertux.tsv, wesnoth.tsv      header "image<TAB>audio<TAB>source", absolute paths

`source` names the level (SuperTux, "world1/welcome_antarctica") or scenario (Wesnoth,
"Heir_To_The_Throne/01_The_Elves_Besieged") a pair comes from, so that a split can keep items apart. Running it again
reuses the downloaded and unpacked packages.

SuperTux (supertux-data)
  Each *.stl level has sectors; a sector's `(music ...)` names a .ogg file or a .music file, a small S-expression
  `(supertux-music (file "x.ogg") ...)` whose file is relative to the .music file (and not always of the same stem:
  forest-map.music plays forestmap.ogg). Names are written with or without a leading slash, sometimes with a backslash,
  and many point to where files were before the data was sorted into sub-folders ("/images/background/fog.png" is now
  in misc/, "/music/chipdisko.ogg" in antarctic/); a name that does not exist is looked up by file name, then by stem
  (for a changed extension), under images/background or music. A sector's `(background ...)` objects are parallax
  layers; each has an `image` (its picture) and may add `image-top`/`image-bottom`, plain sky and ground tiles that
  extend it, which are not used. Overlay layers (fog, vignettes, transparent or black fills, see OVERLAY_LAYERS) are
  left out, and of the rest the largest picture in pixels stands for the sector: it is usually the backdrop the level
  was drawn for (a forest, mountains, a night sky), the smaller ones being strips in front of it. The intro and extro
  text screens (levels/*/*.txt, `(supertux-text (background "x.jpg") (music ...))`) are pictures with music too and are
  included; the developers' levels/test folder is not. One pair per sector, identical pairs of one level kept once.

Wesnoth (wesnoth-1.16-data for core story images and macros, wesnoth-1.16-music, the 16 campaign packages)
  Each scenario .cfg (WML) is preprocessed here much as the game does it: comments are removed, #ifdef takes the
  NORMAL difficulty and the campaign's own define (#ifver/#ifhave count as false), and {MACROS} from data/core/macros
  and the campaign's other .cfg files, and the scenario's own #defines, are expanded with their arguments (file and
  folder inclusions are dropped). Story pictures are `background=` of a `[story] [part]` and `image=` of its
  `[background_layer]`s, image path functions (`~BLEND(...)`) cut off but pictures drawn with `~BLIT(x)` kept; the
  first that is not the campaign map (a journey drawn on it, the same picture in most scenarios), a black fill or a
  blank canvas is used, see SKIPPED_WESNOTH_IMAGES. Many
  pictures are character portraits (portraits/, story/characters/, story/portraits/), which come back in several
  scenarios with different music. A picture is paired with the music playing under it: the last `music=` of its part
  or an earlier part of the same story, else the scenario's first track. The music macros are replaced by definitions
  that keep only the tracks the scenario names (see MUSIC_MACROS): the core {SCENARIO_MUSIC x} puts a generic
  revelation.ogg under every story screen, which would pair most pictures with one track, so its x counts as the first
  track; {INTRO_AND_SCENARIO_MUSIC intro x} makes intro (really played under the story) first; {EXTRA_SCENARIO_MUSIC}
  and {APPEND_MUSIC} only append; {DEFAULT_MUSIC_PLAYLIST} names no track, and such scenarios (all of Secrets of the
  Ancients) give no pairs. Scenarios without these macros (Dead Water) have their first `[music] name=` outside
  events, else in a prestart or start event (later events play incidental music). Images resolve against the
  campaign's images/, data/core/images/ and images/; tracks against data/core/music/.

Usage: python tools/build_pairs.py [--cache DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import re
import struct
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

DEFAULT_CACHE = Path.home() / ".cache" / "picscore" / "pairs"
SUPERTUX_PACKAGES = ("supertux-data",)
WESNOTH_CAMPAIGNS = ("did", "dm", "dw", "ei", "httt", "l", "low", "nr", "sof", "sota", "sotbe", "thot", "trow", "tsg", "ttb", "utbs")
WESNOTH_PACKAGES = ("wesnoth-1.16-data", "wesnoth-1.16-music", *(f"wesnoth-1.16-{c}" for c in WESNOTH_CAMPAIGNS))
SUPERTUX_DATA = Path("usr/share/games/supertux2")
WESNOTH_DATA = Path("usr/share/games/wesnoth/1.16")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
TSV_HEADER = ("image", "audio", "source")


@dataclass(frozen=True)
class Pair:
    image: Path
    audio: Path
    source: str


@dataclass
class Skips:
    """Why entries were left out: reason -> count, and the first few examples of each."""

    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)

    def add(self, reason: str, example: str) -> None:
        self.counts[reason] += 1
        shown = self.examples.setdefault(reason, [])
        if len(shown) < 3 and example not in shown:
            shown.append(example)


# ---------------------------------------------------------------------------------------------------- Debian packages


def run_tool(command: list[str], cwd: Path | None = None) -> str | None:
    """Run a Debian tool; None when it succeeds, else the last line it wrote to stderr."""
    try:
        result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        return f"{command[0]} not found: this needs a Debian or Ubuntu system"
    if result.returncode == 0:
        return None
    return (result.stderr.strip().splitlines() or [f"exit status {result.returncode}"])[-1]


def fetch_packages(packages: Iterable[str], debs: Path) -> list[Path]:
    """The .deb of each package, downloaded into `debs` by apt-get unless one is already there."""
    debs.mkdir(parents=True, exist_ok=True)
    missing = [p for p in packages if not list(debs.glob(f"{p}_*.deb"))]
    if missing:
        error = run_tool(["apt-get", "download", *missing], cwd=debs)
        if error:
            sys.exit(f"error: apt-get download failed ({error}); if a package is not found, run `apt-get update` as root first")
    return [sorted(debs.glob(f"{p}_*.deb"))[-1] for p in packages]


def unpack(deb: Path, root: Path) -> None:
    """Extract `deb` into `root` with dpkg-deb, once; a marker file per .deb records that it is done."""
    marker = root / ".unpacked" / deb.name
    if marker.exists():
        return
    if error := run_tool(["dpkg-deb", "-x", str(deb), str(root)]):
        sys.exit(f"error: dpkg-deb -x {deb} failed ({error}); delete the file to download it again")
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()


# ---------------------------------------------------------------------------------------------------- image headers


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) read from a PNG or JPEG header, or None when the file is neither."""
    with path.open("rb") as f:
        head = f.read(8)
        if head == b"\x89PNG\r\n\x1a\n":
            return _png_size(f)
        if head[:2] == b"\xff\xd8":
            f.seek(2)
            return _jpeg_size(f)
    return None


def _png_size(f: BinaryIO) -> tuple[int, int] | None:
    chunk = f.read(16)
    if len(chunk) < 16 or chunk[4:8] != b"IHDR":
        return None
    width, height = struct.unpack(">II", chunk[8:16])
    return width, height


def _jpeg_size(f: BinaryIO) -> tuple[int, int] | None:
    while (marker := f.read(2)) and marker[0] == 0xFF:
        if marker[1] in (0xD8, 0x01) or 0xD0 <= marker[1] <= 0xD7:
            continue
        (length,) = struct.unpack(">H", f.read(2))
        if 0xC0 <= marker[1] <= 0xCF and marker[1] not in (0xC4, 0xC8, 0xCC):
            height, width = struct.unpack(">xHH", f.read(5))
            return width, height
        f.seek(length - 2, 1)
    return None


class FileIndex:
    """Files under a folder by name and by stem, to find a file the data names by an old location or extension."""

    def __init__(self, folder: Path, suffixes: tuple[str, ...]) -> None:
        files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in suffixes)
        self.by_name: dict[str, Path] = {}
        self.by_stem: dict[str, Path] = {}
        for path in files:  # sorted, so of two files of one name the first in path order is kept
            self.by_name.setdefault(path.name.lower(), path)
            self.by_stem.setdefault(path.stem.lower(), path)

    def find(self, name: str) -> Path | None:
        base = name.rsplit("/", 1)[-1].lower()
        return self.by_name.get(base) or self.by_stem.get(base.rsplit(".", 1)[0])


def resolve(name: str, roots: Iterable[Path], index: FileIndex | None = None) -> Path | None:
    """`name` (slashes either way, maybe with a leading one) under the first root holding it, else by the index."""
    rel = name.replace("\\", "/").lstrip("/")
    if not rel:
        return None
    for root in roots:
        if (root / rel).is_file():
            return root / rel
    return index.find(rel) if index else None


# ---------------------------------------------------------------------------------------------------- S-expressions


class Symbol(str):
    """An unquoted S-expression atom (a name, a number, #t), told apart from a quoted string."""


SEXPR_TOKEN = re.compile(r'\s+|;[^\n]*|(\()|(\))|"((?:[^"\\]|\\.)*)"|([^\s()";]+)', re.S)


def parse_sexpr(text: str) -> list:
    """All top-level S-expressions of `text`, lists as lists, strings as str, other atoms as Symbol."""
    stack: list[list] = [[]]
    for m in SEXPR_TOKEN.finditer(text):
        opening, closing, string, atom = m.groups()
        if opening:
            stack.append([])
        elif closing:
            if len(stack) == 1:
                raise ValueError(f"unbalanced ')' at offset {m.start()}")
            done = stack.pop()
            stack[-1].append(done)
        elif string is not None:
            stack[-1].append(re.sub(r"\\(.)", lambda e: "\n" if e.group(1) == "n" else e.group(1), string))
        elif atom is not None:
            stack[-1].append(Symbol(atom))
    if len(stack) != 1:
        raise ValueError("unbalanced '('")
    return stack[0]


def children(expr: list, head: str) -> list[list]:
    """The sub-lists of `expr` whose first element is the symbol `head`."""
    return [e for e in expr if isinstance(e, list) and e and e[0] == head and isinstance(e[0], Symbol)]


def _is_string(atom: object) -> bool:
    return isinstance(atom, str) and not isinstance(atom, Symbol)


def string_value(expr: list, head: str) -> str | None:
    """The string of the first `(head "...")` in `expr`, or of `(head (file "..."))` as the newer music entries have it."""
    for e in children(expr, head):
        if len(e) > 1 and _is_string(e[1]):
            return e[1]
        if len(e) > 1 and isinstance(e[1], list):
            return string_value(e[1:], "file")
    return None


# ---------------------------------------------------------------------------------------------------- SuperTux

# Layers that are effects over the picture rather than a picture: mist, darkened edges, blank or transparent fills.
OVERLAY_LAYERS = re.compile(r"(^|/)(fog|vignette|transparent_up|black_800px|leaves|grid|heatshimmer[\w-]*)\.\w+$")


def sector_images(sector: list) -> list[str]:
    """The picture of each background object of a sector (or of an old-style `(background "x.jpg")`), overlays left out.

    An object's `image` is its picture; `image-top` and `image-bottom` only extend it upwards and downwards with plain sky
    or ground, so they are not used.
    """
    names = []
    for background in children(sector, "background"):
        direct = background[1] if len(background) > 1 and _is_string(background[1]) else None
        if name := direct or string_value(background, "image"):
            names.append(name)
    return [name for name in names if not OVERLAY_LAYERS.search(name.replace("\\", "/"))]


def music_target(music_file: Path) -> str | None:
    """The .ogg name a .music file plays, as written in it (relative to the .music file)."""
    for expr in parse_sexpr(music_file.read_text(encoding="utf-8", errors="replace")):
        if isinstance(expr, list) and expr and expr[0] == "supertux-music":
            return string_value(expr, "file")
    return None


@dataclass
class SuperTuxData:
    """The unpacked supertux2 data folder and indexes of its background images and music."""

    root: Path
    images: FileIndex = field(init=False)
    music: FileIndex = field(init=False)

    def __post_init__(self) -> None:
        self.images = FileIndex(self.root / "images" / "background", IMAGE_SUFFIXES)
        self.music = FileIndex(self.root / "music", (".ogg", ".music"))

    def image(self, name: str) -> Path | None:
        return resolve(name, [self.root, self.root / "images" / "background"], self.images)

    def track(self, name: str) -> Path | None:
        """The .ogg a level's music name plays, through a .music file if it names one."""
        path = resolve(name, [self.root], self.music)
        if path is None or path.suffix == ".ogg":
            return path
        target = music_target(path)
        return resolve(target, [path.parent], self.music) if target else None


def largest_image(paths: Iterable[Path]) -> Path | None:
    """The picture with the most pixels (the first of equals), skipping files that are no PNG or JPEG."""
    sized = [(size[0] * size[1], -n, path) for n, path in enumerate(paths) if (size := image_size(path))]
    return max(sized)[2] if sized else None


def screen_pair(screen: list, data: SuperTuxData, source: str, skips: Skips) -> Pair | None:
    """The pair of one sector or text screen: its largest background picture and its music, or None (counted in skips)."""
    image_names, music_name = sector_images(screen), string_value(screen, "music")
    if not image_names:
        skips.add("no background picture (none, or only overlays)", source)
        return None
    if not music_name:
        skips.add("no music", source)
        return None
    layers = {name: data.image(name) for name in image_names}
    found = [path for path in layers.values() if path]
    for name in (name for name, path in layers.items() if path is None):
        skips.add("background layer not found (others used)" if found else "background image not found", f"{source}: {name}")
    image = largest_image(found)
    track = data.track(music_name)
    if track is None:
        skips.add("music not found", f"{source}: {music_name}")
    if image is None or track is None:
        return None
    return Pair(image, track, source)


# A tilemap's `(tiles 0 0 12 ...)` is most of a level file and nothing of it is needed; it is cut before parsing.
TILE_DATA = re.compile(r"\(tiles\b[^()\"]*\)")


def supertux_pairs(data: SuperTuxData, skips: Skips) -> list[Pair]:
    """Pairs from all levels and text screens except levels/test; identical pairs within one level once."""
    levels = data.root / "levels"
    pairs: list[Pair] = []
    for path in sorted(levels.rglob("*")):
        if path.suffix not in (".stl", ".txt") or path.relative_to(levels).parts[0] == "test":
            continue
        rel = path.relative_to(levels).as_posix()
        source = rel.removesuffix(".stl")
        try:
            exprs = parse_sexpr(TILE_DATA.sub("", path.read_text(encoding="utf-8", errors="replace")))
        except ValueError as e:
            skips.add("unparsable file", f"{rel}: {e}")
            continue
        screens = [s for e in exprs if isinstance(e, list) and e for s in _screens(e)]
        seen: set[Pair] = set()
        for screen in screens:
            pair = screen_pair(screen, data, source, skips)
            if pair and pair not in seen:
                seen.add(pair)
                pairs.append(pair)
    return pairs


def _screens(top: list) -> list[list]:
    """The sectors of a level, or the text screen itself."""
    if top[0] == "supertux-level":
        return children(top, "sector")
    return [top] if top[0] == "supertux-text" else []


# ---------------------------------------------------------------------------------------------------- WML preprocessing


@dataclass(frozen=True)
class Macro:
    params: tuple[str, ...]
    body: str


# Music macros, defined here by what the scenario author chose (see the module docstring): the intro or main track
# comes first as a [music] outside events, more tracks are appended, DEFAULT_MUSIC_PLAYLIST names none.
MUSIC_MACROS = {
    "SCENARIO_MUSIC": Macro(("MUSIC",), "[music]\nname={MUSIC}\n[/music]\n"),
    "INTRO_AND_SCENARIO_MUSIC": Macro(
        ("INTRO_MUSIC", "SCENARIO_MUSIC"), "[music]\nname={INTRO_MUSIC}\n[/music]\n[music]\nname={SCENARIO_MUSIC}\nappend=yes\n[/music]\n"
    ),
    "EXTRA_SCENARIO_MUSIC": Macro(("MUSIC",), "[music]\nname={MUSIC}\nappend=yes\n[/music]\n"),
    "APPEND_MUSIC": Macro(("MUSIC",), "[music]\nname={MUSIC}\nappend=yes\n[/music]\n"),
    "DEFAULT_MUSIC_PLAYLIST": Macro((), ""),
}

DIRECTIVE = re.compile(r"\s*#(define|enddef|ifdef|ifndef|ifver|ifnver|ifhave|ifnhave|else|endif|undef)\b[ \t]*(.*)")
MAX_MACRO_DEPTH = 40
COMMENT_OR_QUOTE = re.compile(r'"|<<|#')


def strip_comment(line: str, quote: str | None) -> tuple[str, str | None, str]:
    """Split `line` into code and a trailing #comment, given and returning the open quote ('"', '<<' or None)."""
    i = 0
    while i < len(line):
        if quote == '"':
            end = line.find('"', i)
            quote, i = (None, end + 1) if end >= 0 else (quote, len(line))
        elif quote == "<<":
            end = line.find(">>", i)
            quote, i = (None, end + 2) if end >= 0 else (quote, len(line))
        else:
            m = COMMENT_OR_QUOTE.search(line, i)
            if not m:
                break
            if m.group() == "#":
                return line[: m.start()], None, line[m.start() :]
            quote, i = m.group(), m.end()
    return line, quote, ""


def _condition(word: str, arg: str, defines: frozenset[str]) -> bool:
    """Whether the first branch of `#word arg` is kept: #ifdef/#ifndef test `defines`, #ifver/#ifhave count as false."""
    if word in ("ifdef", "ifndef"):
        return ((arg.split() or [""])[0] in defines) == (word == "ifdef")
    return word.startswith("ifn")


def preprocess(text: str, macros: dict[str, Macro], defines: frozenset[str]) -> str:
    """`text` without comments and false #ifdef branches; #define adds to and #undef removes from `macros`."""
    out: list[str] = []
    branches: list[bool] = []  # one per open #ifdef: whether its current branch is kept
    define: tuple[str, tuple[str, ...]] | None = None
    body: list[str] = []
    quote: str | None = None
    for line in text.splitlines():
        m = DIRECTIVE.match(line) if quote is None else None
        if m:
            word, arg = m.groups()
            if word.startswith("if"):
                branches.append(_condition(word, arg, defines))
            elif word == "else" and branches:
                branches[-1] = not branches[-1]
            elif word == "endif" and branches:
                branches.pop()
            elif not all(branches):
                continue
            elif word == "define":
                name, *params = arg.split()
                define, body = (name, tuple(params)), []
            elif word == "enddef" and define:
                macros[define[0]] = Macro(define[1], "\n".join(body))
                define = None
            elif word == "undef":
                macros.pop(arg.strip(), None)
            continue
        if not all(branches):
            continue
        code, quote, comment = strip_comment(line, quote)
        (body if define else out).append(code)
        if define and comment.startswith("#enddef"):
            macros[define[0]] = Macro(define[1], "\n".join(body))
            define = None
    return "\n".join(out)


def matching_brace(text: str, start: int) -> int:
    """Index of the '}' closing the '{' at `start`, or -1."""
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "{":
            depth += 1
        elif text[i] == "}":
            depth -= 1
            if depth == 0:
                return i
    return -1


MACRO_ARG = re.compile(r'\s*("(?:[^"]|"")*"|\{|\(|[^\s{("]+)')


def split_macro_call(inner: str) -> list[str]:
    """Name and arguments of a macro call's text: words, "quoted" strings, (parenthesised groups) or {nested calls}."""
    parts: list[str] = []
    i = 0
    while (m := MACRO_ARG.match(inner, i)) and m.group(1):
        token, start = m.group(1), m.start(1)
        if token in "{(":
            end = matching_brace(inner, start) if token == "{" else _matching_paren(inner, start)
            end = len(inner) - 1 if end < 0 else end
            parts.append(inner[start + (token == "(") : end + (token == "{")])
            i = end + 1
        else:
            # a word glued to a quoted string or a call ("a"+{B}, x{Y}z) is one argument
            while (nxt := MACRO_ARG.match(inner, m.end())) and nxt.start(1) == m.end() and nxt.group(1) not in "({":
                m = nxt
            parts.append(inner[start : m.end()])
            i = m.end()
    return parts


def _matching_paren(text: str, start: int) -> int:
    depth, quote = 0, False
    for i in range(start, len(text)):
        c = text[i]
        if c == '"':
            quote = not quote
        elif not quote and c == "(":
            depth += 1
        elif not quote and c == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def expand(text: str, macros: dict[str, Macro], params: dict[str, str] | None = None, depth: int = 0) -> str:
    """`text` with its {MACRO args} calls replaced by their bodies; unknown calls and file inclusions become empty."""
    if depth > MAX_MACRO_DEPTH:
        return ""
    out, i = [], 0
    while (j := text.find("{", i)) >= 0:
        k = matching_brace(text, j)
        if k < 0:
            break
        out.append(text[i:j])
        out.append(_expand_call(text[j + 1 : k], macros, params or {}, depth))
        i = k + 1
    out.append(text[i:])
    return "".join(out)


def _expand_call(inner: str, macros: dict[str, Macro], params: dict[str, str], depth: int) -> str:
    name, *args = split_macro_call(inner) or [""]
    if name in params and not args:
        return params[name]
    macro = macros.get(name)
    if macro is None or len(args) != len(macro.params):
        return ""
    values = [expand(a, macros, params, depth + 1) for a in args]
    return expand(macro.body, macros, dict(zip(macro.params, values, strict=True)), depth + 1)


# ---------------------------------------------------------------------------------------------------- WML parsing


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)

    def all(self, tag: str) -> list[Node]:
        return [c for c in self.children if c.tag == tag]

    def walk(self, tag: str) -> Iterator[Node]:
        """Every node named `tag` below this one, depth first in file order."""
        for child in self.children:
            if child.tag == tag:
                yield child
            yield from child.walk(tag)


WML_TOKEN = re.compile(r'"(?:[^"]|"")*"|<<.*?>>|\[(\+?)(/?)([\w-]+)\]|\n|[^"\[\n<]+|[\[<]', re.S)


def parse_wml(text: str) -> Node:
    """A tree of the preprocessed WML `text`: tags with their key=value attributes (strings unquoted, `_` dropped)."""
    stack = [Node("")]
    line: list[str] = []
    for m in WML_TOKEN.finditer(text):
        token, tag = m.group(), m.group(3)
        if tag is None and token != "\n":
            line.append(token)
            continue
        _set_attribute(stack[-1], line)
        line = []
        if tag is None:
            continue
        amend, closing = m.group(1), m.group(2)
        if closing:
            if len(stack) > 1 and stack[-1].tag == tag:
                stack.pop()
        elif amend and (earlier := stack[-1].all(tag)):
            stack.append(earlier[-1])
        else:
            node = Node(tag)
            stack[-1].children.append(node)
            stack.append(node)
    _set_attribute(stack[-1], line)
    return stack[0]


def _set_attribute(node: Node, tokens: list[str]) -> None:
    """Set `key=value` from one logical line's tokens; lines without '=' outside strings are ignored."""
    for n, token in enumerate(tokens):
        if token.startswith(('"', "<<")) or "=" not in token:
            continue
        key, rest = token.split("=", 1)
        value = [rest, *tokens[n + 1 :]]
        if re.fullmatch(r"\s*[\w,]+\s*", "".join(tokens[:n]) + key):
            node.attrs["".join(tokens[:n]).strip() + key.strip()] = _wml_value(value)
        return


def _wml_value(tokens: list[str]) -> str:
    parts = []
    for token in tokens:
        if token.startswith('"'):
            parts.append(token[1:-1].replace('""', '"'))
        elif token.startswith("<<"):
            parts.append(token[2:-2])
        else:
            parts.append(re.sub(r"(^|\s)_(\s|$)|\+", " ", token).strip())
    return "".join(parts).strip()


# ---------------------------------------------------------------------------------------------------- Wesnoth

# Story layers that are no picture of the story: the campaign's map with the journey drawn on it (the same picture in
# most scenarios), a black fill, and a blank canvas (misc/blank-hex.png~SCALE(...)~BLIT(story/x.jpg) is the picture x).
SKIPPED_WESNOTH_IMAGES = re.compile(r"(^|/)maps/|(^|/)[\w-]*map\.png$|(^|/)black-background\.png$|(^|/)misc/blank")
BLITTED_IMAGE = re.compile(r"~BLIT\(([^,~()]+)")


def part_backgrounds(part: Node) -> list[str]:
    """Image names of a story part's `background=` and `[background_layer] image=`s; image path functions are cut
    off, and the images they draw on (`~BLIT(image,x,y)`) follow the one drawn on."""
    values = [part.attrs.get("background", ""), *(layer.attrs.get("image", "") for layer in part.all("background_layer"))]
    names = [name for value in values for name in (value.split("~", 1)[0], *BLITTED_IMAGE.findall(value))]
    return [name.strip() for name in names if name.strip()]


def story_picture(names: list[str]) -> str | None:
    """The first of a part's backgrounds that is a picture of the story."""
    return next((name for name in names if not SKIPPED_WESNOTH_IMAGES.search(name)), None)


def scenario_track(scenario: Node) -> str | None:
    """The scenario's first track: the first [music] name= outside events, else in a prestart or start event."""
    starting = [event for event in scenario.all("event") if event.attrs.get("name") in ("prestart", "start")]
    for node in (*scenario.all("music"), *(music for event in starting for music in event.all("music"))):
        if name := node.attrs.get("name", "").split(",")[0].strip():
            return name
    return None


def story_entries(scenario: Node) -> Iterator[tuple[list[str], str | None]]:
    """(background names, track name) of every story part: a part's music= plays from it on, else the scenario's track."""
    main = scenario_track(scenario)
    for story in scenario.walk("story"):
        playing = main
        for part in story.all("part"):
            playing = part.attrs.get("music") or playing
            yield part_backgrounds(part), playing


@dataclass
class Campaign:
    """The macros and #ifdef symbols one campaign's scenarios are preprocessed with."""

    defines: frozenset[str]
    macros: dict[str, Macro]

    @classmethod
    def load(cls, folder: Path, core_macros: dict[str, Macro]) -> Campaign:
        """The core macros, those of the campaign's .cfg files outside scenarios/, and MUSIC_MACROS over both."""
        main = (folder / "_main.cfg").read_text(encoding="utf-8", errors="replace")
        defines = frozenset({"NORMAL", *re.findall(r"^\s*define\s*=\s*\"?(\w+)", main, re.M)})
        macros = dict(core_macros)
        for path in sorted(folder.rglob("*.cfg")):
            if "scenarios" not in path.relative_to(folder).parts:
                preprocess(path.read_text(encoding="utf-8", errors="replace"), macros, defines)
        return cls(defines, macros | MUSIC_MACROS)

    def scenario(self, path: Path) -> Node:
        """The WML tree of a scenario file, preprocessed and with its macros expanded."""
        macros = dict(self.macros)
        text = preprocess(path.read_text(encoding="utf-8", errors="replace"), macros, self.defines)
        return parse_wml(expand(text, macros))


def core_macros(data: Path) -> dict[str, Macro]:
    """The macros of data/core/macros, which every campaign can use."""
    macros: dict[str, Macro] = {}
    for path in sorted((data / "core" / "macros").glob("*.cfg")):
        preprocess(path.read_text(encoding="utf-8", errors="replace"), macros, frozenset({"NORMAL"}))
    return macros


def wesnoth_pairs(root: Path, skips: Skips) -> list[Pair]:
    """Story pictures of all campaigns' scenarios with their music; identical pairs within one scenario once."""
    data = root / "data"
    macros = core_macros(data)
    pairs: list[Pair] = []
    for folder in sorted(p for p in (data / "campaigns").iterdir() if (p / "scenarios").is_dir()):
        campaign = Campaign.load(folder, macros)
        image_roots = [folder / "images", data / "core" / "images", root / "images"]
        for path in sorted((folder / "scenarios").rglob("*.cfg")):
            source = f"{folder.name}/{path.relative_to(folder / 'scenarios').with_suffix('').as_posix()}"
            seen: set[Pair] = set()
            for scenario in campaign.scenario(path).all("scenario"):
                for pair in _scenario_pairs(scenario, image_roots, data / "core" / "music", source, skips):
                    if pair not in seen:
                        seen.add(pair)
                        pairs.append(pair)
    return pairs


def _scenario_pairs(scenario: Node, image_roots: list[Path], music: Path, source: str, skips: Skips) -> Iterator[Pair]:
    entries = list(story_entries(scenario))
    if not entries:
        skips.add("scenario without story", source)
    for backgrounds, track_name in entries:
        image_name = story_picture(backgrounds)
        if image_name is None:
            reason = "story part with only a map, black fill or blank" if backgrounds else "story part without background (text only)"
            skips.add(reason, source)
            continue
        image = resolve(image_name, image_roots)
        track = resolve(track_name, [music]) if track_name else None
        if image is None or image_size(image) is None:
            skips.add("story picture not found", f"{source}: {image_name}")
        elif not track_name:
            skips.add("scenario names no track (e.g. DEFAULT_MUSIC_PLAYLIST)", source)
        elif track is None:
            skips.add("music not found", f"{source}: {track_name}")
        else:
            yield Pair(image, track, source)


# ---------------------------------------------------------------------------------------------------- output


def write_tsv(pairs: list[Pair], path: Path) -> None:
    """Write the pairs with a header line; paths are absolute and hold no tab."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["\t".join(TSV_HEADER)] + [f"{p.image}\t{p.audio}\t{p.source}" for p in pairs]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def summary(name: str, pairs: list[Pair], skips: Skips, tsv: Path) -> str:
    """Counts of a set, what was skipped and why, with examples."""
    images, tracks, sources = ({getattr(p, a) for p in pairs} for a in ("image", "audio", "source"))
    tracks_of: dict[Path, set[Path]] = {}
    for pair in pairs:
        tracks_of.setdefault(pair.image, set()).add(pair.audio)
    several = sum(len(t) > 1 for t in tracks_of.values())
    lines = [
        f"{name}: {len(pairs)} pairs from {len(sources)} sources, {len(images)} distinct images ({several} with several tracks), "
        f"{len(tracks)} distinct tracks -> {tsv}"
    ]
    for reason, count in skips.counts.most_common():
        lines.append(f"  skipped {count:4d} {reason} (e.g. {'; '.join(skips.examples[reason])})")
    return "\n".join(lines)


def add_folder_arguments(parser: argparse.ArgumentParser) -> None:
    """--cache (downloads and unpacked packages) and --out (the .tsv files), shared with build_more_pairs.py."""
    parser.add_argument(
        "--cache", type=Path, default=DEFAULT_CACHE, metavar="DIR", help=f"where packages are downloaded and unpacked ({DEFAULT_CACHE})"
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="where the .tsv files are written (default: the cache folder)")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Build picture-to-music development pairs from SuperTux levels and Wesnoth campaign stories. Downloads about "
        "600 MB of Debian packages with apt-get download (unpacked with dpkg-deb, about 800 MB, nothing installed) and writes "
        "supertux.tsv and wesnoth.tsv (image, audio, source; absolute paths). A second run reuses the downloads. "
        "If apt-get cannot find the packages, run `apt-get update` as root first.",
    )
    add_folder_arguments(parser)
    return parser.parse_args(argv)


SetBuilder = Callable[[Path, Path, Skips], list[Pair]]  # (unpacked packages, folder for made files, skips) -> pairs


def build_sets(args: argparse.Namespace, packages: Iterable[str], sets: dict[str, SetBuilder]) -> None:
    """Fetch and unpack `packages` in the --cache folder, then write each set's pair list to --out and summarise it."""
    cache, started = args.cache.expanduser().resolve(), time.monotonic()
    out = (args.out or cache).expanduser().resolve()
    debs = fetch_packages(packages, cache / "debs")
    print(f"{len(debs)} packages, {sum(d.stat().st_size for d in debs) / 1e6:.0f} MB in {cache / 'debs'}")
    for deb in debs:
        unpack(deb, cache / "root")
    for name, build in sets.items():
        skips = Skips()
        pairs = build(cache / "root", cache / "made", skips)
        write_tsv(pairs, out / f"{name}.tsv")
        print(summary(name, pairs, skips, out / f"{name}.tsv"))
    print(f"done in {time.monotonic() - started:.0f} s")


def main(argv: list[str] | None = None) -> None:
    sets: dict[str, SetBuilder] = {
        "supertux": lambda root, _, skips: supertux_pairs(SuperTuxData(root / SUPERTUX_DATA), skips),
        "wesnoth": lambda root, _, skips: wesnoth_pairs(root / WESNOTH_DATA, skips),
    }
    build_sets(parse_args(argv), (*SUPERTUX_PACKAGES, *WESNOTH_PACKAGES), sets)


if __name__ == "__main__":
    main()
