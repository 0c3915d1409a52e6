"""Issue 20, bad inputs: every kind of the catalogue (bad_inputs.py) through every verb that reads its media.

Each verb gets all the bad files of its media and a few good ones in one batch, in a real `picscore` process
limited to START_SECONDS plus PER_FILE_SECONDS a file (a run past that is a hang). Every bad file must be named
with a reason (or, if it is odd but valid, be used like a good one), with no traceback and no warning, and the
good files must be done. The verdicts go to test-artifacts/robustness/bad_inputs.json.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import httpx
import pytest

from picscore.library.store import Library
from picscore.media.files import shown_path
from picscore.serve.app import ServeConfig
from picscore.serve.uploads import UploadLimits, display_name
from tests.conftest import write_song
from tests.render.media import write_photos
from tests.robustness import run_picscore
from tests.robustness.bad_inputs import BadInput, Media, catalogue, good_audio, good_video, make_all, unusable_kinds
from tests.serve.server import music_library, running

pytestmark = pytest.mark.slow

START_SECONDS = 120.0  # a process's own start and the networks' loading, on a slow, busy 2-core machine
PER_FILE_SECONDS = 6.0
REPORT = Path(__file__).resolve().parents[2] / "test-artifacts" / "robustness" / "bad_inputs.json"
_REPORTED = re.compile(r"picscore: (?:skipped|error:) (?:a pair: )?(.+?): (.+)")
# Where a verb must not do what the catalogue expects of a kind in general, and why.
_PASSED_OVER = "passed over"  # a folder among the files: walked, or left alone, as a folder
_EXPECTED: dict[tuple[str, str], str] = {
    ("index", "broken-utf8-name"): "skipped",  # the library keeps paths as text
    ("index", "folder-named-like-a-file"): _PASSED_OVER,  # walked for music like any folder
    ("suggest", "folder-named-like-a-file"): _PASSED_OVER,  # a folder of photos gives the photos in it, not its folders
    ("render --length", "folder-named-like-a-file"): _PASSED_OVER,
    ("dataset from-videos", "broken-utf8-name"): "skipped",  # pairs.tsv keeps paths as text
    ("dataset from-videos", "folder-named-like-a-file"): _PASSED_OVER,
}


@dataclass(frozen=True)
class Batch:
    """One media's folder: the bad inputs made in it, and the good files beside them."""

    folder: Path
    bad: dict[Path, BadInput]
    good: list[Path]

    def files(self) -> list[Path]:
        return sorted([*self.bad, *self.good])


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> dict[Media, Batch]:
    """Every bad input of each media in a folder of its own, with good files beside them."""
    root = tmp_path_factory.mktemp("bad-inputs").resolve()
    found: dict[Media, Batch] = {}
    for media in ("audio", "picture", "video"):
        folder = root / media
        bad = make_all(folder, media)
        if media == "audio":
            good = [write_song(folder / "good-song.flac", seconds=12.0, tonic="G", mode="major", bpm=100, seed=9)]
            (folder / "good-song.mp3").write_bytes(good_audio(".mp3"))
            good.append(folder / "good-song.mp3")
        elif media == "picture":
            good = write_photos(folder, 3)
        else:
            good = [folder / f"good-clip-{i}.mp4" for i in (1, 2)]
            for path in good:
                path.write_bytes(good_video())
        found[media] = Batch(folder, bad, good)
    return found


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of three indexed tracks, for the verbs that match photos with music."""
    return music_library(tmp_path_factory.mktemp("library"))


def _limit(files: int) -> float:
    return START_SECONDS + PER_FILE_SECONDS * files


def _printed(path: Path | str) -> set[str]:
    """How a path can appear in picscore's output: bytes that are not UTF-8 escaped as \\xNN, or (stderr) \\udcNN."""
    return {shown_path(path), str(path).encode("utf-8", "backslashreplace").decode()}


def _reported(stderr: str) -> dict[str, str]:
    """{path as printed: reason} for every input a run named as left out."""
    found = {}
    for line in re.split(r"[\r\n]+", stderr):
        if match := _REPORTED.search(line):
            found[match.group(1)] = match.group(2)
    return found


def _clean(run) -> None:
    """No traceback, no unexpected failure and no warning from a library: every word on stderr is picscore's own."""
    for word in ("Traceback", "unexpected", "Warning:"):
        assert word not in run.stderr, run.stderr[-3000:]


def _verdicts(verb: str, bad: dict[Path, BadInput], reported: dict[str, str], handled: Iterable[str]) -> dict[str, dict[str, str]]:
    """Each bad input's verdict in a run: skipped (with the reason given), passed over (a folder left as one),
    handled (in `handled`, paths as given or as printed) or lost (neither named nor used), beside what was expected."""
    handled = set().union(*map(_printed, handled))
    rows = {}
    for path, kind in bad.items():
        forms = _printed(path)
        reason = next((reported[form] for form in forms if form in reported), None)
        if reason is not None:
            verdict = "skipped"
        elif path.is_dir():
            verdict = _PASSED_OVER
        elif forms & handled:
            verdict = "handled"
        else:
            verdict = "lost"
        expected = _EXPECTED.get((verb, kind.kind), kind.expect)
        rows[f"{kind.media}/{kind.kind}"] = {"verdict": verdict, "expected": expected, **({"reason": reason} if reason else {})}
    return rows


def _record(verb: str, media: list[Media], rows: dict[str, dict[str, str]], *, not_tried: dict[str, str]) -> None:
    """Add one verb's verdicts to REPORT, with the totals over every verb recorded so far, then check them."""
    report: dict[str, Any] = json.loads(REPORT.read_text()) if REPORT.exists() else {}
    verbs = report.setdefault("verbs", {})
    verbs[verb] = {"media": media, "kinds": rows, "not_tried": not_tried}
    tried = {kind for entry in verbs.values() for kind in entry["kinds"]}
    failed = {kind for entry in verbs.values() for kind, row in entry["kinds"].items() if row["verdict"] != row["expected"]}
    report["kinds"] = {
        "tried": len(tried),
        "survived": len(tried - failed),
        "distinct_names": len({kind.split("/", 1)[1] for kind in tried}),
        "in_catalogue": len(catalogue()),
        "failed": sorted(failed),
    }
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    wrong = {kind: row for kind, row in rows.items() if row["verdict"] != row["expected"]}
    assert not wrong, f"{verb}: {json.dumps(wrong, indent=2)}"


def _not_tried(*media: Media) -> dict[str, str]:
    return {f"{m}/{kind}": why for m in media for kind, why in unusable_kinds(m).items()}


def test_index_records_every_bad_file_and_indexes_the_rest(batches: dict[Media, Batch], tmp_path: Path) -> None:
    audio = batches["audio"]
    library_file = tmp_path / "library.db"
    args = ["index", str(audio.folder), "--encoders", "none", "-q"]
    run = run_picscore(args, library=library_file, limit_seconds=_limit(len(audio.files())))
    _clean(run)
    assert run.returncode == 1  # documented: 1 when anything failed
    with Library(library_file) as library:
        indexed = {track["path"] for track in library.list_tracks()}
        errors = {error["path"]: error["error"] for error in library.errors()}
    assert {str(path) for path in audio.good} <= indexed
    reported = _reported(run.stderr)
    assert reported == errors  # what it said is what `picscore library errors` says
    _record("index", ["audio"], _verdicts("index", audio.bad, reported, indexed), not_tried=_not_tried("audio"))


def test_tags_answers_for_every_good_file_and_names_every_bad_one(batches: dict[Media, Batch], tmp_path: Path) -> None:
    files = [*batches["audio"].files(), *batches["picture"].files()]
    run = run_picscore(["tags", *map(str, files), "--top", "2"], library=tmp_path / "library.db", limit_seconds=_limit(len(files)))
    _clean(run)
    assert run.returncode == 1  # documented: 1 when a file is bad, the others still answered
    answered = [line for line in run.stdout.splitlines() if line and not line[0].isspace()]
    assert {*map(shown_path, batches["audio"].good), *map(shown_path, batches["picture"].good)} <= set(answered)
    bad = {**batches["audio"].bad, **batches["picture"].bad}
    _record("tags", ["audio", "picture"], _verdicts("tags", bad, _reported(run.stderr), answered), not_tried=_not_tried("audio", "picture"))


def test_suggest_lists_tracks_for_every_readable_photo(batches: dict[Media, Batch], library: Path) -> None:
    pictures = batches["picture"]
    args = ["suggest", str(pictures.folder), "--per-photo", "--top", "1"]
    run = run_picscore(args, library=library, limit_seconds=_limit(len(pictures.files())))
    _clean(run)
    assert run.returncode == 1  # documented: 1 when a photo was skipped
    tables = re.findall(r"^for (.+), [^,\n]+:\n#.*\n1 ", run.stdout, flags=re.MULTILINE)  # a heading, and a first track
    assert {*map(shown_path, pictures.good)} <= set(tables)
    _record("suggest", ["picture"], _verdicts("suggest", pictures.bad, _reported(run.stderr), tables), not_tried=_not_tried("picture"))


def test_render_of_a_folder_at_a_length_writes_that_long_a_video(batches: dict[Media, Batch], library: Path, tmp_path: Path) -> None:
    """Over three times the photos the length shows: curation picks them, and names those it cannot read."""
    pictures, out = batches["picture"], tmp_path / "slideshow.mp4"
    args = ["render", str(pictures.folder), "-o", str(out), "--length", "4", "--size", "64x36", "--fps", "24", "--title", ""]
    run = run_picscore(args, library=library, limit_seconds=_limit(len(pictures.files())))
    _clean(run)
    assert run.returncode == 1, run.stderr  # documented: the slideshow is written, and 1 says photos were skipped
    with av.open(str(out)) as video:
        assert video.duration is not None and video.duration / av.time_base == pytest.approx(4.0, abs=1.0)
        assert video.streams.video and video.streams.audio
    # The photos it did not name were all read (curation measured them) and took their chance.
    readable = [str(p) for p in pictures.files() if not _printed(p) & set(_reported(run.stderr))]
    verdicts = _verdicts("render --length", pictures.bad, _reported(run.stderr), readable)
    _record("render --length", ["picture"], verdicts, not_tried=_not_tried("picture"))


def test_render_of_listed_photos_shows_every_readable_one(batches: dict[Media, Batch], library: Path, tmp_path: Path) -> None:
    """Every photo given by name, each ordered by its EXIF date and looked at before planning, none curated away."""
    pictures, out = batches["picture"], tmp_path / "slideshow.mp4"
    files = pictures.files()
    args = ["render", *map(str, files), "-o", str(out), "--per-photo", "0.25", "--size", "64x36", "--fps", "24", "--title", ""]
    run = run_picscore(args, library=library, limit_seconds=_limit(len(files)))
    _clean(run)
    assert run.returncode == 1
    reported = _reported(run.stderr)
    shown = [str(p) for p in files if not _printed(p) & set(reported)]
    wrote = rf"^wrote {re.escape(str(out))} \(.*, {len(shown)} photos, 64x36 at 24 fps\)$"
    assert re.search(wrote, run.stdout, flags=re.MULTILINE), run.stdout
    verdicts = _verdicts("render --per-photo", pictures.bad, reported, shown)
    _record("render --per-photo", ["picture"], verdicts, not_tried=_not_tried("picture"))


def test_dataset_from_videos_pairs_the_good_videos_and_lists_the_bad(batches: dict[Media, Batch], tmp_path: Path) -> None:
    videos, out = batches["video"], tmp_path / "pairs"
    args = ["dataset", "from-videos", str(videos.folder), "-o", str(out), "--every", "2"]
    run = run_picscore(args, library=tmp_path / "library.db", limit_seconds=_limit(len(videos.files())))
    _clean(run)
    assert run.returncode == 1  # documented: 1 when a video failed
    with (out / "pairs.tsv").open(encoding="utf-8") as handle:
        paired = {row["audio"] for row in csv.DictReader(handle, delimiter="\t")}
    with (out / "errors.tsv").open(encoding="utf-8") as handle:
        listed = {row["video"]: row["error"] for row in csv.DictReader(handle, delimiter="\t")}
    assert {str(path) for path in videos.good} <= paired
    reported = _reported(run.stderr)
    assert reported == listed  # what it said is what errors.tsv holds
    verdicts = _verdicts("dataset from-videos", videos.bad, reported, paired)
    _record("dataset from-videos", ["video"], verdicts, not_tried=_not_tried("video"))


def test_train_skips_the_pairs_of_bad_and_missing_files(batches: dict[Media, Batch], tmp_path: Path) -> None:
    """A pair list of good pairs, each bad picture beside a good song, each bad song beside a good picture, and two
    pairs whose files are missing; names that are not UTF-8 cannot be written in the (UTF-8) list at all."""
    pictures = write_photos(tmp_path / "good", 6)
    songs = [*batches["audio"].good, write_song(tmp_path / "good" / "third.wav", seconds=9.0, tonic="E", mode="minor", bpm=140, seed=4)]
    rows = [(picture, songs[i // 2]) for i, picture in enumerate(pictures)]
    bad = {path: kind for path, kind in {**batches["picture"].bad, **batches["audio"].bad}.items() if kind.kind != "broken-utf8-name"}
    rows += [(path, songs[0]) if kind.media == "picture" else (pictures[0], path) for path, kind in bad.items()]
    rows += [(tmp_path / "missing.jpg", songs[1]), (pictures[1], tmp_path / "missing.mp3")]
    pair_list = tmp_path / "pairs.tsv"
    with pair_list.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter="\t").writerows([("image", "audio"), *rows])
    args = ["train", "--pairs", str(pair_list), "--name", str(tmp_path / "run"), "--epochs", "1", "--cache", str(tmp_path / "cache.db")]
    run = run_picscore([*args, "--json"], library=tmp_path / "library.db", limit_seconds=_limit(len(rows)))
    _clean(run)
    assert run.returncode == 0, run.stderr  # skipped pairs are listed in skipped.tsv; the run itself succeeds
    reported = _reported(run.stderr)
    assert {str(tmp_path / "missing.jpg"), str(tmp_path / "missing.mp3")} <= set(reported)
    used = [str(path) for path in bad if str(path) not in reported]
    summary = json.loads(run.stdout)
    assert summary["pairs"] == len(pictures) + len(used) and summary["skipped_pairs"] == len(rows) - summary["pairs"]
    not_tried = {**_not_tried("audio", "picture"), **{f"{m}/broken-utf8-name": "a pair list is UTF-8 text" for m in ("audio", "picture")}}
    _record("train", ["audio", "picture"], _verdicts("train", bad, reported, used), not_tried=not_tried)


def test_the_upload_endpoint_stores_the_good_photos_and_skips_the_bad(batches: dict[Media, Batch], library: Path) -> None:
    """The bad pictures' bytes posted with good photos, 20 to a request; the file system's kinds (links, pipes, folders)
    have no bytes to send, but a name of 255 bytes does."""
    pictures = batches["picture"]
    sent = {path: kind for path, kind in pictures.bad.items() if not kind.on_disk or kind.kind == "name-of-255-bytes"}
    files = [(path.name, path.read_bytes()) for path in [*sent, *pictures.good]]
    stored: list[str] = []
    skipped: dict[str, str] = {}
    with running(ServeConfig(library=library, limits=UploadLimits())) as (url, _), httpx.Client(base_url=url, timeout=300) as client:
        upload_id = None
        for start in range(0, len(files), 20):
            path = "/api/uploads" if upload_id is None else f"/api/uploads/{upload_id}/photos"
            batch = [("files", (name, data, "application/octet-stream")) for name, data in files[start : start + 20]]
            response = client.post(path, files=batch)
            assert response.status_code == 201, response.text
            body = response.json()
            upload_id = body["upload_id"]
            stored += [photo["name"] for photo in body["photos"]]
            skipped |= {item["name"]: item["reason"].removeprefix(f"{item['name']}: ") for item in body["skipped"]}
    shown = {path: display_name(path.name, index=0) for path in [*sent, *pictures.good]}
    assert {shown[path] for path in pictures.good} <= set(stored)
    reported = {str(path): skipped[shown[path]] for path in sent if shown[path] in skipped}
    used = [str(path) for path in sent if shown[path] in stored]
    no_bytes = "about the file system: no bytes to send"
    not_tried = {**_not_tried("picture"), **{f"picture/{kind.kind}": no_bytes for path, kind in pictures.bad.items() if path not in sent}}
    _record("POST /api/uploads", ["picture"], _verdicts("POST /api/uploads", sent, reported, used), not_tried=not_tried)


def test_kinds_that_cannot_be_made_here_say_why() -> None:
    """The catalogue holds over 30 kinds; those this machine cannot make (a chmod-000 file, as root) are skipped here."""
    assert len(catalogue()) >= 30
    unusable = {**_not_tried("audio", "picture", "video")}
    if unusable:
        pytest.skip("; ".join(f"{kind}: {why}" for kind, why in unusable.items()))


def test_a_name_that_is_not_utf8_is_printed_under_a_desktop_locale(batches: dict[Media, Batch], tmp_path: Path) -> None:
    """This machine's C.UTF-8 locale lets Python write such names' bytes as they are; a desktop's (en_US.UTF-8) does
    not: PYTHONIOENCODING=utf-8:strict is what stdout is there."""
    (picture,) = [path for path, kind in batches["picture"].bad.items() if kind.kind == "broken-utf8-name"]
    run = run_picscore(
        ["tags", str(picture)], library=tmp_path / "library.db", limit_seconds=_limit(1), env={"PYTHONIOENCODING": "utf-8:strict"}
    )
    _clean(run)
    assert run.returncode == 0 and any(form in run.stdout for form in _printed(picture))
