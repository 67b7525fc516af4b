"""The graph page in a real browser: Debian's chromium, headless, driven by selenium.

Skipped (with the reason) where chromium or chromedriver is not installed;
.ci/run installs both, so CI runs these.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import RDF

from kg.build import build_graph
from kg.namespace import ENTITY_CLASSES

from conftest import ROOT, SEED

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER),
                                reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1400,900", f"--user-data-dir={tmp_path_factory.mktemp('chrome')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    # no network at all: the page must work from disk alone
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions",
                           {"offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
    yield driver
    driver.quit()


def _open(driver, page: Path, timeout: float = 60) -> float:
    started = time.monotonic()
    driver.get(page.resolve().as_uri())
    while time.monotonic() - started < timeout:
        if driver.execute_script("return document.body && document.body.getAttribute('data-kg-ready')") == "1":
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError("the layout never settled")


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("page")
    result = build_graph([SEED], out)
    return out / "graph.html", result.graph


def _entity_count(graph) -> int:
    return len({s for c in ENTITY_CLASSES for s in graph.subjects(RDF.type, URIRef(c))})


def test_page_loads_offline_without_errors_and_draws_every_entity(browser, seed_page):
    page, graph = seed_page
    seconds = _open(browser, page)
    errors = [e for e in browser.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []
    drawn = browser.execute_script("return kgNodes.length")
    assert drawn == _entity_count(graph)
    requests = browser.execute_script(
        "return performance.getEntriesByType('resource').map(function (r) { return r.name; })")
    assert [r for r in requests if r.startswith("http")] == []
    # the picture in the README: the town selected, its neighbours lit, its panel open
    browser.execute_script(
        "kgSelect(kgNodes.get({filter: function (n) { return n.label === '西夏墅镇'; }})[0].id)")
    time.sleep(0.6)
    shot = Path(os.environ.get("KG_SCREENSHOT", page.with_suffix(".png")))
    browser.save_screenshot(str(shot))
    print(f"seed page settled in {seconds:.1f} s")


def test_search_selects_a_node_by_name_and_alias(browser, seed_page):
    page, _ = seed_page
    _open(browser, page)
    from selenium.webdriver.common.keys import Keys
    box = browser.find_element("id", "kg-search")
    for query, label in (("金牛研磨", "金牛研磨"), ("西夏墅幼儿园", "西夏墅镇中心幼儿园")):
        box.clear()
        box.send_keys(query, Keys.ENTER)
        selected = browser.execute_script("return kgNetwork.getSelectedNodes()")
        labels = browser.execute_script(
            "return arguments[0].map(function (id) { return kgNodes.get(id).label; })", selected)
        assert label in labels
        assert browser.find_element("css selector", "#kg-panel h2").text == label


def test_legend_hides_and_shows_a_type(browser, seed_page):
    page, _ = seed_page
    _open(browser, page)
    item = browser.find_element("css selector", '#kg-legend li[data-type="Village"]')
    count = lambda: browser.execute_script(
        "return kgNodes.get({filter: function (n) { return n.kgType === 'Village' && !n.hidden; }}).length")
    before = count()
    assert before > 0
    item.click()
    assert count() == 0
    item.click()
    assert count() == before


def test_clicking_a_node_shows_its_panel_with_the_sentence(browser, seed_page):
    page, _ = seed_page
    _open(browser, page)
    node = browser.execute_script(
        "return kgNodes.get({filter: function (n) { return n.label === '西夏墅镇商会'; }})[0].id")
    position = browser.execute_script("return kgNetwork.canvasToDOM(kgNetwork.getPositions([arguments[0]])[arguments[0]])", node)
    canvas = browser.find_element("css selector", "#kg-network canvas")
    from selenium.webdriver.common.action_chains import ActionChains
    browser.execute_script("kgNetwork.moveTo({position: kgNetwork.getPositions([arguments[0]])[arguments[0]], scale: 1.5})", node)
    time.sleep(0.3)
    position = browser.execute_script("return kgNetwork.canvasToDOM(kgNetwork.getPositions([arguments[0]])[arguments[0]])", node)
    rect = browser.execute_script("return arguments[0].getBoundingClientRect()", canvas)
    ActionChains(browser).move_to_element_with_offset(
        canvas, int(position["x"] - rect["width"] / 2), int(position["y"] - rect["height"] / 2)).click().perform()
    panel = browser.find_element("id", "kg-panel")
    assert panel.is_displayed()
    assert "西夏墅镇商会获评全国“四好”商会" in panel.text
    assert browser.find_element("css selector", "#kg-panel mark").text == "西夏墅镇商会"
    assert "全国四好商会" in panel.text                      # its relation, clickable
    browser.find_element("xpath", "//button[@class='kg-link' and text()='全国四好商会']").click()
    assert browser.find_element("css selector", "#kg-panel h2").text == "全国四好商会"


def test_headline_indicators_panel(browser, seed_page):
    page, _ = seed_page
    _open(browser, page)
    browser.find_element("id", "kg-headline-toggle").click()
    text = browser.find_element("id", "kg-headline").text
    assert "地区生产总值" in text and "80.57" in text


def test_hostile_text_stays_text(browser, tmp_path):
    report = tmp_path / "hostile.txt"
    report.write_text(
        "政府工作报告\n——2023年1月6日在常州市新北区西夏墅镇第五届人民代表大会第三次会议上\n各位代表：\n"
        "2022年工作回顾\n出台《关于<img src=x onerror=alert(1)>的通知》，印发《关于</script><b>粗体</b>的意见》。\n",
        encoding="utf-8")
    build_graph([report], tmp_path)
    _open(browser, tmp_path / "graph.html")
    from selenium.common.exceptions import NoAlertPresentException
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text
    assert browser.find_elements("css selector", "img") == []
    assert browser.find_elements("css selector", "b") == []
    browser.execute_script(
        "kgSelect(kgNodes.get({filter: function (n) { return n.label.indexOf('onerror') >= 0; }})[0].id)")
    assert "关于<img src=x onerror=alert(1)>的通知" in browser.find_element("id", "kg-panel").text
    assert browser.execute_script("return kgNodes.get({filter: function (n) { return n.label.indexOf('</script>') >= 0; }}).length") == 1


def test_several_reports_together_open_and_settle(browser, tmp_path):
    """All dev reports in one graph: over a thousand nodes, still usable."""
    from conftest import CORPUS
    result = build_graph([CORPUS], tmp_path)
    seconds = _open(browser, tmp_path / "graph.html", timeout=120)
    assert browser.execute_script("return kgNodes.length") == _entity_count(result.graph)
    browser.execute_script("kgSelect(kgNodes.get()[0].id)")
    assert browser.find_element("id", "kg-panel").is_displayed()
    print(f"{_entity_count(result.graph)} entities settled in {seconds:.1f} s")

