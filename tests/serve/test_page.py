"""The web page in headless Chromium: upload two photos, see their moods and the tracks, play one from its
highlight, keep it (a feedback row appears), render and watch the video load. Leaves a screenshot."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

from picscore.library.store import Library
from picscore.moods.plane import MOOD_WORDS
from picscore.serve.app import ServeConfig
from tests.serve.server import running

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--window-size=1200,1600", "--autoplay-policy=no-user-gesture-required",
)  # fmt: skip
WAIT_SECONDS = 120  # how long to wait for the page to get somewhere (a guard against hanging, not a speed requirement)


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
def browser(chromium: tuple[Path, Path], tmp_path: Path) -> Iterator[webdriver.Chrome]:
    binary, driver = chromium
    options = webdriver.ChromeOptions()
    options.binary_location = str(binary)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    session = webdriver.Chrome(options=options, service=Service(executable_path=str(driver)))
    try:
        yield session
    finally:
        session.quit()


def test_the_page_suggests_plays_keeps_and_renders(
    browser: webdriver.Chrome, serve_library: Path, photos: list[Path], tmp_path: Path
) -> None:
    with running(ServeConfig(library=serve_library)) as (url, _):
        wait = WebDriverWait(browser, WAIT_SECONDS)
        browser.get(url)
        browser.find_element(By.ID, "files").send_keys("\n".join(str(p) for p in photos[3:5]))
        wait.until(lambda b: len(b.find_elements(By.CSS_SELECTOR, "#tracks li")) == 3)
        moods = [caption.text for caption in browser.find_elements(By.CSS_SELECTOR, "#photos figcaption")]
        assert [m.split(":")[0] for m in moods] == ["foggy_lake.png", "stormy_sea.png"]
        assert all(m.split(": ")[1] in MOOD_WORDS for m in moods)  # words, not numbers

        first = browser.find_element(By.CSS_SELECTOR, "#tracks li")
        track_id = int(first.get_attribute("data-track-id"))
        with Library(serve_library) as library:
            start_seconds = library.get_track(track_id)["highlight_start"]
        first.find_element(By.CSS_SELECTOR, "button.play").click()
        wait.until(lambda b: b.execute_script("const p = document.getElementById('player'); return !p.paused && p.readyState >= 2"))
        playing_from = browser.execute_script("return document.getElementById('player').currentTime")
        wait.until(lambda b: b.execute_script("return document.getElementById('player').currentTime") > playing_from + 0.25)
        assert playing_from >= start_seconds - 0.1  # it starts at the highlight (the seek needs range requests)

        with Library(serve_library) as library:
            rows_before = len(library.feedback())
        first.find_element(By.CSS_SELECTOR, "button.keep").click()
        wait.until(lambda b: "kept" in first.find_element(By.CSS_SELECTOR, ".done").text)
        with Library(serve_library) as library:
            rows = library.feedback()
        assert len(rows) == rows_before + 2  # one row for each photo
        assert all(row["kept"] and row["track_id"] == track_id for row in rows[-2:])

        Select(browser.find_element(By.ID, "length")).select_by_value("10")
        browser.find_element(By.ID, "render-button").click()
        wait.until(lambda b: b.execute_script("const v = document.getElementById('video'); return !v.hidden && v.readyState >= 1"))
        assert browser.execute_script("return document.getElementById('render-progress').value") == 1
        assert browser.execute_script("return document.getElementById('video').duration") > 5
        assert browser.find_element(By.ID, "download").get_attribute("href").endswith("/video?download=true")
        screenshot = tmp_path / "picscore-page.png"
        browser.save_screenshot(str(screenshot))
        print(f"screenshot of the page: {screenshot}")
