"""Headless chromium for the graph page: Debian's chromium and chromium-driver,
driven by selenium, offline, with no browser or driver ever downloaded.

Used by tests/test_browser.py; also runnable by hand to measure a page and
take a screenshot:

    .venv/bin/python tests/headless.py output/graph.html /tmp/graph.png
"""
from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if os.path.exists("/usr/bin/chromedriver") else None)

FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
         "--disable-default-apps", "--disable-sync", "--window-size=1400,900")


def missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM:
        return "needs Debian's chromium (apt-get install chromium)"
    if not DRIVER:
        return "needs Debian's chromium-driver (apt-get install chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "needs selenium (pip install -e '.[test]')"
    return None


def start(profile: Path):
    """A fresh headless chromium with its own profile, offline, logging the console."""
    os.environ["SE_OFFLINE"] = "true"          # selenium-manager must never fetch a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + (f"--user-data-dir={profile}",):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_script_timeout(30)
    # no network at all: the page must work from disk alone. chromedriver's own
    # network conditions hold for every page (chromium 150 kept navigator.onLine
    # true under the DevTools command alone); the command stays for older drivers.
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                           {"offline": True, "latency": 0, "downloadThroughput": -1,
                            "uploadThroughput": -1})
    driver.set_network_conditions(offline=True, latency=0, download_throughput=0, upload_throughput=0)
    return driver


def open_page(driver, page: Path, timeout: float = 60) -> float:
    """Load ``page`` from file:// and wait until its layout has settled.

    Returns the seconds the page itself reports from navigation start to the
    moment physics was switched off."""
    started = time.monotonic()
    driver.get(page.resolve().as_uri())
    while time.monotonic() - started < timeout:
        if driver.execute_script(
                "return document.body && document.body.getAttribute('data-kg-ready')") == "1":
            return driver.execute_script("return window.kgSettledMs") / 1000
        time.sleep(0.1)
    raise AssertionError(f"{page}: the layout did not settle within {timeout} s")


def main(argv: list[str]) -> int:
    if len(argv) < 1:
        print(__doc__)
        return 2
    why = missing()
    if why:
        print(why)
        return 1
    page = Path(argv[0])
    with tempfile.TemporaryDirectory() as profile:
        driver = start(Path(profile))
        try:
            seconds = open_page(driver, page, timeout=300)
            nodes = driver.execute_script("return kgNodes.length")
            moving = driver.execute_script("return kgNetwork.physics.physicsEnabled")
            print(f"{page}: {nodes} nodes, settled in {seconds:.2f} s, physics on: {moving}, "
                  f"{page.stat().st_size} bytes")
            if len(argv) > 1:
                driver.save_screenshot(argv[1])
                print(f"screenshot {argv[1]}")
        finally:
            driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
