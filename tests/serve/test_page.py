"""The web page in real headless Chromium against a real server: the first-time flow to a playing preview (timed,
on the demo library), curating a camera roll (left-out photos greyed, restorable), removing and reordering photos
(keys and drag), hearing and using a song, keeping it, rendering and downloading; the page at phone width; and the
states a person meets (empty library, no readable photos, a busy server) in words.

Each state's screenshot is saved under test-artifacts/screenshots/ (or $PICSCORE_TEST_ARTIFACTS/screenshots/)."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from picscore.curate.roll import curate_files
from picscore.library.store import Library
from picscore.moods.plane import MOOD_WORDS
from picscore.serve.app import ServeConfig
from tests.conftest import index_demo_library
from tests.curate.camera_roll import CameraRoll, scenes, write_camera_roll
from tests.serve.server import running

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required", "--hide-scrollbars",
)  # fmt: skip
DESKTOP = (1280, 1500)
PHONE = (390, 844)
WAIT_SECONDS = 180  # how long to wait for the page to get somewhere (a guard against hanging, not a speed requirement)
ARTIFACTS = Path(os.environ.get("PICSCORE_TEST_ARTIFACTS", Path(__file__).parents[2] / "test-artifacts"))


@pytest.fixture(scope="session")
def chromium() -> tuple[Path, Path]:
    """Debian's chromium and chromedriver, installed with apt when missing and we are root; a failure (not a skip) otherwise."""
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.geteuid() != 0 or shutil.which("apt-get") is None:
            pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed: run `apt-get install -y chromium chromium-driver` as root")
        environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"]):
            done = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=900, check=False)
            if done.returncode != 0:
                pytest.fail(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture
def open_browser(chromium: tuple[Path, Path], tmp_path: Path) -> Iterator[Callable[[tuple[int, int]], webdriver.Chrome]]:
    """Starts Chromium with a fresh profile at a window size; quits every one started at the end of the test."""
    binary, driver = chromium
    sessions: list[webdriver.Chrome] = []

    def start(size: tuple[int, int]) -> webdriver.Chrome:
        options = webdriver.ChromeOptions()
        options.binary_location = str(binary)
        for flag in (*CHROMIUM_FLAGS, f"--window-size={size[0]},{size[1]}", f"--user-data-dir={tmp_path / f'profile-{len(sessions)}'}"):
            options.add_argument(flag)
        sessions.append(webdriver.Chrome(options=options, service=Service(executable_path=str(driver))))
        emulate(sessions[-1], width=size[0], height=size[1], mobile=size[0] < DESKTOP[0])
        return sessions[-1]

    yield start
    for session in sessions:
        session.quit()


def emulate(browser: webdriver.Chrome, *, width: int, height: int, mobile: bool) -> None:
    """Chromium's device emulation: the page laid out at exactly this viewport (a window cannot be made phone-narrow)."""
    metrics = {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)


def screenshot(browser: webdriver.Chrome, name: str) -> Path:
    """The whole page as it looks now, at its viewport's width, once its images have loaded: an artifact of the run."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    width, height = browser.execute_script("return [window.innerWidth, document.documentElement.scrollHeight]")
    emulate(browser, width=width, height=height, mobile=width < DESKTOP[0])
    waiting(browser).until(
        lambda b: b.execute_script("return [...document.images].every((image) => image.complete || !image.checkVisibility())")
    )
    path = folder / f"{name}.png"
    browser.save_screenshot(str(path))
    return path


def waiting(browser: webdriver.Chrome) -> WebDriverWait:
    return WebDriverWait(browser, WAIT_SECONDS)


def text_of(browser: webdriver.Chrome, element_id: str) -> str:
    return browser.find_element(By.ID, element_id).text


def add_photos(browser: webdriver.Chrome, paths: list[Path]) -> None:
    browser.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in paths))


def shown(browser: webdriver.Chrome) -> list[WebElement]:
    return browser.find_elements(By.CSS_SELECTOR, "#photos .photo")


def attribute(element: WebElement, name: str) -> str:
    """The value of an attribute the element must have."""
    value = element.get_attribute(name)
    assert value is not None, f"no {name} attribute"
    return value


def shown_names(browser: webdriver.Chrome) -> list[str]:
    return [attribute(card.find_element(By.CSS_SELECTOR, ".name"), "title") for card in shown(browser)]


def video_playing(browser: webdriver.Chrome) -> bool:
    return browser.execute_script("const v = document.getElementById('video'); return !v.hidden && !v.paused && v.currentTime > 0.2")


@pytest.fixture(scope="module")
def twenty_photos(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """20 scenes as 480x360 JPEGs, each one curation keeps (of the 30, one is too dark and one too alike another)."""
    folder = tmp_path_factory.mktemp("twenty")
    paths = []
    for k, scene in enumerate(scenes()):
        paths.append(str(folder / f"scene {k:02d}.jpg"))
        scene.save(paths[-1], quality=90)
    return [Path(p) for p in curate_files(paths, jobs=1, progress=False).kept[:20]]


@pytest.fixture(scope="module")
def roll(tmp_path_factory: pytest.TempPathFactory) -> CameraRoll:
    """Four dated scenes in bursts of 2 with blurred and badly exposed frames, and a screenshot (17 files)."""
    return write_camera_roll(tmp_path_factory.mktemp("roll"), seed=5, n_screenshots=1, burst=(2, 2), dated=True, only=(1, 6, 16, 21))


def test_the_first_time_flow_plays_a_preview_of_twenty_photos(
    open_browser, twenty_photos: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    with running(ServeConfig(library=index_demo_library(tmp_path_factory.mktemp("demo")))) as (url, _):
        browser = open_browser(DESKTOP)
        browser.get(url)
        waiting(browser).until(lambda b: "tracks" in text_of(b, "stats"))
        add_photos(browser, twenty_photos)
        waiting(browser).until(video_playing)  # no click: the first suggestions bring a preview
        seconds = browser.execute_script("return performance.getEntriesByName('preview-playing')[0].startTime") / 1000
        assert len(shown(browser)) == 20
        assert all(m.text in MOOD_WORDS for m in browser.find_elements(By.CSS_SELECTOR, "#photos .mood"))
        assert text_of(browser, "using").startswith("Using: ")
        assert "Preview: 20 photos" in text_of(browser, "render-status")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        timing = {"photos": 20, "page_load_to_playing_preview_seconds": round(seconds, 2), "cpu_count": os.cpu_count()}
        (ARTIFACTS / "first-time-flow.json").write_text(json.dumps(timing, indent=2))
        print(f"first-time flow: page load to a playing preview of 20 photos in {seconds:.1f} s")
        screenshot(browser, "preview-playing")


def test_curating_editing_choosing_a_song_and_rendering(open_browser, serve_library: Path, roll: CameraRoll, tmp_path: Path) -> None:
    trip = Path(shutil.copytree(roll.folder, tmp_path / "trip"))
    (trip / "notes.txt").write_text("not a photo: the page leaves it out")
    with running(ServeConfig(library=serve_library)) as (url, app):
        browser = open_browser(DESKTOP)
        wait = waiting(browser)
        browser.get(url)
        browser.find_element(By.ID, "folder").send_keys(str(trip))  # a whole folder, as "choose a folder" gives it
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#tracks li")) == 3 and len(shown(b)) == 4)
        names = shown_names(browser)
        assert sorted(roll.scene(n) for n in names) == [1, 6, 16, 21] and all(roll.kind_of[n] == "burst" for n in names)
        assert [roll.scene_of[n] for n in names] == [1, 6, 16, 21]  # in the order they were taken
        assert [c.get_attribute("class") for c in shown(browser)].count("photo chapter") == 1  # 4 May starts a chapter
        assert browser.find_element(By.ID, "title").get_attribute("value") == "3–4 May 2026"
        left = browser.find_elements(By.CSS_SELECTOR, "#dropped .photo")
        assert len(left) == len(roll.scene_of) - 4
        reasons = [card.find_element(By.CSS_SELECTOR, ".reason").get_attribute("textContent") for card in left]
        assert any("screenshot" in r for r in reasons) and any(r.startswith("a near-duplicate of ") for r in reasons)
        browser.find_element(By.CSS_SELECTOR, "#left-out summary").click()
        wait.until(lambda b: text_of(b, "render-status").startswith("Preview: "))  # the docs show the page settled
        screenshot(browser, "curated")

        # Restore a left-out frame, remove a photo with the keyboard, move one with the keys and one by dragging.
        restored = left[0].get_attribute("data-index")
        left[0].find_element(By.CSS_SELECTOR, "button.restore").click()
        wait.until(lambda b: len(shown(b)) == 5)
        assert shown(browser)[-1].get_attribute("data-index") == restored
        shown(browser)[-1].send_keys(Keys.DELETE)
        wait.until(lambda b: len(shown(b)) == 4)
        wait.until(lambda b: text_of(b, "using").startswith("Using: "))  # the music is suggested again for the photos shown
        assert restored not in [c.get_attribute("data-index") for c in shown(browser)]
        order = [attribute(c, "data-index") for c in shown(browser)]
        shown(browser)[0].send_keys(Keys.ARROW_RIGHT)
        assert [c.get_attribute("data-index") for c in shown(browser)] == [order[1], order[0], *order[2:]]
        cards = shown(browser)
        browser.execute_script(
            """const [from, to] = arguments, data = new DataTransfer();
            for (const [target, type] of [[from, "dragstart"], [to, "dragover"], [to, "drop"], [from, "dragend"]])
              target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));""",
            cards[3],
            cards[0],
        )
        order = [order[3], order[1], order[0], order[2]]
        assert [c.get_attribute("data-index") for c in shown(browser)] == order

        # Hear the second suggestion, use it, keep it (a feedback row for each photo shown).
        assert len(Select(browser.find_element(By.ID, "mood")).options) == 1 + 17
        second = browser.find_elements(By.CSS_SELECTOR, "#tracks li")[1]
        track_id = int(attribute(second, "data-track-id"))
        second.find_element(By.CSS_SELECTOR, "button.play").click()
        wait.until(lambda b: b.execute_script("const p = document.getElementById('player'); return !p.paused && p.currentTime > 0.25"))
        with Library(serve_library) as library:
            rows_before = len(library.feedback())
            title = library.known_track(track_id)["title"] or Path(library.known_track(track_id)["path"]).name
        second.find_element(By.CSS_SELECTOR, "button.use").click()
        assert text_of(browser, "using") == f"Using: {title}" and "chosen" in second.get_attribute("class")
        second.find_element(By.CSS_SELECTOR, "button.keep").click()
        wait.until(lambda b: "kept" in second.find_element(By.CSS_SELECTOR, ".done").text)
        with Library(serve_library) as library:
            rows = library.feedback()
        assert len(rows) == rows_before + 4 and all(row["kept"] and row["track_id"] == track_id for row in rows[-4:])

        # The full render: square, cut transitions, a title; it names its track and downloads.
        Select(browser.find_element(By.ID, "aspect")).select_by_value("1:1")
        Select(browser.find_element(By.ID, "transition")).select_by_value("cut")
        browser.find_element(By.ID, "render-button").click()
        wait.until(lambda b: text_of(b, "render-status").startswith("Video: 4 photos"))
        assert text_of(browser, "result-track") == f"Music: {title}."
        wait.until(video_playing)
        job = max(app.state.server.renders._jobs.values(), key=lambda j: j.created)
        upload = app.state.server.uploads.get(browser.execute_script("return state.uploadId"))
        assert [shot.photo for shot in job.plan.shots] == [str(upload.photos[int(i)].path) for i in order]
        assert job.plan.track_id == track_id and job.plan.transition == "cut"
        download = httpx.get(browser.find_element(By.ID, "download").get_attribute("href"), timeout=60)
        assert download.headers["content-disposition"].startswith("attachment")
        with av.open(io.BytesIO(download.content)) as container:
            assert (container.streams.video[0].width, container.streams.video[0].height) == (720, 720)
        box = browser.execute_script("const r = document.getElementById('video').getBoundingClientRect(); return [r.width, r.height]")
        assert box[0] == pytest.approx(box[1], abs=2)  # the player takes the video's shape: no bars of its own
        screenshot(browser, "rendered")


def test_the_page_at_phone_width(open_browser, serve_library: Path, roll: CameraRoll) -> None:
    with running(ServeConfig(library=serve_library)) as (url, _):
        browser = open_browser(PHONE)
        browser.get(url)
        add_photos(browser, sorted(roll.folder.iterdir())[:6])
        waiting(browser).until(video_playing)
        assert browser.execute_script("return window.innerWidth") == PHONE[0]
        assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")  # nothing runs off the side
        for card in shown(browser):
            name = card.find_element(By.CSS_SELECTOR, ".name")
            assert name.size["width"] < card.size["width"]  # long names are cut with an ellipsis, not run into the next photo
        screenshot(browser, "phone")


def test_states_are_said_in_words(open_browser, serve_library: Path, photos: list[Path], tmp_path: Path) -> None:
    with running(ServeConfig(library=tmp_path / "empty.db")) as (url, _):
        browser = open_browser(DESKTOP)
        browser.get(url)
        waiting(browser).until(lambda b: b.find_element(By.ID, "library-state").is_displayed())
        assert text_of(browser, "library-state").startswith("Your music library is empty: add music with `picscore index")
        screenshot(browser, "empty-library")

    broken = tmp_path / "holiday.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a photo")
    with running(ServeConfig(library=serve_library, render_workers=0, max_waiting_renders=1)) as (url, _):
        browser.get(url)
        add_photos(browser, [broken])
        waiting(browser).until(lambda b: "could be read" in text_of(b, "status") or "holiday.jpg" in text_of(b, "status"))
        assert text_of(browser, "status").startswith("None of the photos could be read: holiday.jpg: ")
        screenshot(browser, "no-photos-readable")

        add_photos(browser, photos[:2])  # the automatic preview waits (no render worker), filling the one place
        waiting(browser).until(lambda b: text_of(b, "render-status") == "Waiting for the preview…")
        second = open_browser(DESKTOP)
        second.get(url)
        add_photos(second, photos[:2])
        waiting(second).until(lambda b: text_of(b, "render-status").startswith("The server is busy"))
        assert text_of(second, "render-status").endswith("(1 render is already waiting; try again when one has finished)")
        assert not second.find_element(By.ID, "video").is_displayed()
        screenshot(second, "server-busy")


def test_photos_added_before_the_server_has_said_its_limits_are_uploaded(open_browser, serve_library: Path, photos: list[Path]) -> None:
    """A slow server (here every request 1.5 s late) answers /api/options after the user has already chosen photos."""
    with running(ServeConfig(library=serve_library, render_workers=0)) as (url, _):
        browser = open_browser(DESKTOP)
        browser.execute_cdp_cmd("Network.enable", {})
        conditions = {"offline": False, "latency": 1500, "downloadThroughput": -1, "uploadThroughput": -1}
        browser.execute_cdp_cmd("Network.emulateNetworkConditions", conditions)
        browser.get(url)  # returns at the page's load, before the options' answer
        assert browser.execute_script("return document.getElementById('mood').options.length") <= 1, "the options came first"
        add_photos(browser, photos[:2])
        waiting(browser).until(lambda b: len(shown(b)) == 2)
        assert text_of(browser, "status").startswith("2 photo(s) uploaded")


def test_the_automatic_music_is_the_best_fit_that_lasts_the_length(open_browser, serve_library: Path, photos: list[Path]) -> None:
    # The library's tracks last 14, 14 and 20 s: of them, only the 20 s click track carries 15 s of two photos as it is.
    with running(ServeConfig(library=serve_library, render_workers=0)) as (url, _):
        browser = open_browser(DESKTOP)
        browser.get(url)
        waiting(browser).until(lambda b: "tracks" in text_of(b, "stats"))
        Select(browser.find_element(By.ID, "mood")).select_by_value("happier")  # steers the bright 14 s song to the top
        add_photos(browser, photos[:2])
        waiting(browser).until(lambda b: text_of(b, "using").startswith("Using: "))
        best = browser.find_elements(By.CSS_SELECTOR, "#tracks li .title")[0].text
        assert best != "clicks.wav", "the click track must not be the best fit, or this test shows nothing"
        Select(browser.find_element(By.ID, "length")).select_by_value("15")
        waiting(browser).until(lambda b: text_of(b, "using").startswith("Using: clicks.wav (the best fit that lasts the video;"))
        assert browser.find_elements(By.CSS_SELECTOR, "#tracks li .title")[0].text == best  # the ranking itself is unchanged
        Select(browser.find_element(By.ID, "length")).select_by_value("180")  # no track lasts 3 minutes: the best fit repeats
        waiting(browser).until(lambda b: text_of(b, "using").startswith(f"Using: {best} (the best fit; phrases of it repeat"))


def test_a_track_for_each_chapter(open_browser, serve_library: Path, roll: CameraRoll, tmp_path: Path) -> None:
    trip = Path(shutil.copytree(roll.folder, tmp_path / "trip"))
    with running(ServeConfig(library=serve_library)) as (url, _):
        browser = open_browser(DESKTOP)
        wait = waiting(browser)
        browser.get(url)
        assert not browser.find_element(By.ID, "per-chapter-setting").is_displayed()  # no photos, no chapters
        Select(browser.find_element(By.ID, "length")).select_by_value("90")
        browser.find_element(By.ID, "folder").send_keys(str(trip))
        wait.until(lambda b: len(shown(b)) == 4 and text_of(b, "using").startswith("Using: "))
        browser.find_element(By.ID, "per-chapter").click()  # the second day starts a chapter, so the setting is there
        assert text_of(browser, "using").startswith("Using: a track for each chapter")
        wait.until(lambda b: b.find_element(By.ID, "preview-button").is_enabled())  # the automatic preview has ended
        browser.find_element(By.ID, "preview-button").click()
        wait.until(lambda b: text_of(b, "result-track").count(", then ") == 1)
        first, second = text_of(browser, "result-track").removeprefix("Music: ").removesuffix(".").split(", then ")
        assert first != second and {first, second} <= {"bright.wav", "dusk.mp3", "clicks.wav"}
