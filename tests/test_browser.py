"""The graph page in a real browser: Debian's chromium, headless, driven by selenium
through Debian's chromedriver (tests/headless.py), with the network switched off.

Skipped (with the reason) where chromium, chromedriver or selenium is missing;
.ci/run installs them, so CI runs these.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from rdflib import URIRef
from rdflib.namespace import RDF

import headless
from conftest import CORPUS, ROOT
from kg.build import build_graph
from kg.namespace import ENTITY_CLASSES

pytestmark = pytest.mark.skipif(headless.missing() is not None, reason=str(headless.missing()))

SETTLE_LIMIT_SEED = 15          # seconds; about 1.5 s here
SETTLE_LIMIT_CORPUS = 40        # seconds; about 4 s here


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    d = headless.start(tmp_path_factory.mktemp("chromium-profile"))
    yield d
    d.quit()


@pytest.fixture(autouse=True)
def no_console_errors(driver):
    """Every test ends with a clean console: no script error, no CSP violation, no failed load."""
    driver.get_log("browser")                       # drop what earlier tests left
    yield
    errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    assert errors == []


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed-page")
    result = build_graph([ROOT / "seeds"], out)
    return out / "graph.html", result.graph


def _entity_count(graph) -> int:
    assert len(ENTITY_CLASSES) == 12
    return len({s for c in ENTITY_CLASSES for s in graph.subjects(RDF.type, URIRef(c))})


def _node_id(driver, label: str) -> str:
    ids = driver.execute_script(
        "var q = arguments[0]; return kgNodes.getIds({filter: function (n) { return n.label === q; }})", label)
    assert len(ids) == 1, (label, ids)
    return ids[0]


def _panel_title(driver) -> str:
    return driver.find_element("css selector", "#kg-panel h2").text


def test_page_loads_offline_without_errors_and_draws_every_entity(driver, seed):
    page, graph = seed
    seconds = headless.open_page(driver, page)
    print(f"\nseed page ({page.stat().st_size} bytes) settled in {seconds:.2f} s")
    assert seconds < SETTLE_LIMIT_SEED
    assert driver.execute_script("return navigator.onLine") is False       # really offline
    assert driver.execute_script("return kgNodes.length") == _entity_count(graph)
    assert driver.execute_script("return kgData.nodes") == _entity_count(graph)
    requests = driver.execute_script(
        "return performance.getEntriesByType('resource').map(function (r) { return r.name; })")
    assert [r for r in requests if not r.startswith(("file:", "data:"))] == []
    # the layout has stopped: physics off, nothing moves any more
    assert driver.execute_script("return kgNetwork.physics.physicsEnabled") is False
    before = driver.execute_script("return kgNetwork.getPositions()")
    time.sleep(0.5)
    assert driver.execute_script("return kgNetwork.getPositions()") == before
    # the report's own area sits in the middle
    area = _node_id(driver, "西夏墅镇")
    assert before[area] == {"x": 0, "y": 0}
    # the picture in the README: the town selected, its neighbours lit, its panel open
    driver.execute_script("kgSelect(arguments[0])", area)
    time.sleep(0.6)
    shot = Path(os.environ.get("KG_SCREENSHOT") or page.with_name("graph.png"))
    shot.parent.mkdir(parents=True, exist_ok=True)
    assert driver.save_screenshot(str(shot))
    assert shot.stat().st_size > 10_000


def test_search_selects_a_node_by_name_or_alias_and_lights_its_neighbours(driver, seed):
    page, _ = seed
    headless.open_page(driver, page)
    from selenium.webdriver.common.keys import Keys
    box = driver.find_element("id", "kg-search")
    for query, label in (("金牛研磨", "金牛研磨"), ("西夏墅镇商会", "西夏墅镇商会"),
                         ("西夏墅幼儿园", "西夏墅镇中心幼儿园")):          # the last one an alias
        box.clear()
        box.send_keys(query, Keys.ENTER)
        node = _node_id(driver, label)
        selected = driver.execute_script("return kgNetwork.getSelectedNodes()")
        assert node in selected
        assert _panel_title(driver) == label
        neighbours = driver.execute_script(
            "var id = arguments[0]; return kgEdges.get({filter: function (e) { return !e.hidden && (e.from === id || e.to === id); }})"
            ".map(function (e) { return e.from === id ? e.to : e.from; })", node)
        assert set(selected) == {node, *neighbours}
        faded = driver.execute_script(
            "return kgNodes.get({filter: function (n) { return n.opacity < 1; }}).map(function (n) { return n.id; })")
        assert faded and not set(faded) & set(selected)
    box.clear()
    box.send_keys("没有这个名字", Keys.ENTER)
    assert "未找到" in driver.find_element("id", "kg-status").text


def test_legend_hides_and_shows_a_type(driver, seed):
    page, _ = seed
    headless.open_page(driver, page)
    item = driver.find_element("css selector", '#kg-legend li[data-type="Village"]')
    shown = lambda: driver.execute_script(
        "return kgNodes.get({filter: function (n) { return n.kgType === 'Village'; }})"
        ".filter(function (n) { return !kgNetwork.body.nodes[n.id].options.hidden; }).length")
    others = driver.execute_script(
        "return kgNodes.get({filter: function (n) { return n.kgType !== 'Village' && !n.hidden; }}).length")
    before = shown()
    assert before == 3
    item.click()
    assert shown() == 0
    assert "kg-off" in item.get_attribute("class")
    assert driver.execute_script(
        "return kgNodes.get({filter: function (n) { return n.kgType !== 'Village' && !n.hidden; }}).length") == others
    item.click()
    assert shown() == before


def test_clicking_a_node_shows_its_panel_with_the_marked_sentence(driver, seed):
    page, _ = seed
    headless.open_page(driver, page)
    from selenium.webdriver.common.action_chains import ActionChains
    node = _node_id(driver, "西夏墅镇商会")
    driver.execute_script("kgNetwork.moveTo({position: kgNetwork.getPositions([arguments[0]])[arguments[0]], scale: 1.5})", node)
    time.sleep(0.2)
    at = driver.execute_script("return kgNetwork.canvasToDOM(kgNetwork.getPositions([arguments[0]])[arguments[0]])", node)
    canvas = driver.find_element("css selector", "#kg-network canvas")
    size = canvas.size
    ActionChains(driver).move_to_element_with_offset(
        canvas, int(at["x"] - size["width"] / 2), int(at["y"] - size["height"] / 2)).click().perform()
    panel = driver.find_element("id", "kg-panel")
    assert panel.is_displayed()
    assert _panel_title(driver) == "西夏墅镇商会"
    assert "机构" in panel.text
    assert "西夏墅镇商会获评全国“四好”商会" in panel.text
    assert driver.find_element("css selector", "#kg-panel .kg-sentence mark").text == "西夏墅镇商会"
    # relations are links to the other node
    driver.find_element("xpath", "//div[@id='kg-panel']//button[@class='kg-link' and text()='全国四好商会']").click()
    assert _panel_title(driver) == "全国四好商会"
    assert driver.execute_script("return kgNetwork.getSelectedNodes()")[0] == _node_id(driver, "全国四好商会")


def test_node_panel_shows_indicators_as_tables_per_year(driver, seed):
    page, _ = seed
    headless.open_page(driver, page)
    driver.execute_script("kgSelect(arguments[0])", _node_id(driver, "西夏墅镇"))
    captions = [c.text for c in driver.find_elements("css selector", "#kg-panel table caption")]
    assert captions == ["2023 年", "2022 年"]
    heads = [th.text for th in driver.find_elements("css selector", "#kg-panel table:first-of-type th")]
    assert heads[:6] == ["指标", "数值", "单位", "年份", "增长%", "类别"]
    rows = driver.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('#kg-panel table tr'), function (tr) {"
        "  return Array.prototype.map.call(tr.querySelectorAll('td'), function (td) { return td.textContent; }); })")
    assert ["地区生产总值", "80.57", "亿元", "2022", "6.5", "预计"] in rows


def test_clicking_an_edge_shows_the_sentence_that_states_it(driver, seed):
    page, _ = seed
    headless.open_page(driver, page)
    from selenium.webdriver.common.action_chains import ActionChains
    a, b = _node_id(driver, "西夏墅镇商会"), _node_id(driver, "全国四好商会")
    edge = driver.execute_script(
        "var a = arguments[0], b = arguments[1];"
        "return kgEdges.getIds({filter: function (e) { return e.from === a && e.to === b && !e.hidden; }})[0]", a, b)
    assert edge
    # a real click at the middle of the edge when nothing else is there; otherwise the
    # network's own click event with that edge, which runs the same handler
    driver.execute_script("""
        var p = kgNetwork.getPositions([arguments[0], arguments[1]]); var m = {x: (p[arguments[0]].x + p[arguments[1]].x) / 2,
        y: (p[arguments[0]].y + p[arguments[1]].y) / 2}; kgNetwork.moveTo({position: m, scale: 2});""", a, b)
    time.sleep(0.2)
    mid = driver.execute_script("""
        var p = kgNetwork.getPositions([arguments[0], arguments[1]]);
        return kgNetwork.canvasToDOM({x: (p[arguments[0]].x + p[arguments[1]].x) / 2,
                                      y: (p[arguments[0]].y + p[arguments[1]].y) / 2});""", a, b)
    clear = driver.execute_script(
        "return kgNetwork.getNodeAt(arguments[0]) === undefined && kgNetwork.getEdgeAt(arguments[0]) === arguments[1]",
        mid, edge)
    print("real click on the edge" if clear else "click event for the edge")
    if clear:
        canvas = driver.find_element("css selector", "#kg-network canvas")
        ActionChains(driver).move_to_element_with_offset(
            canvas, int(mid["x"] - canvas.size["width"] / 2), int(mid["y"] - canvas.size["height"] / 2)).click().perform()
    else:
        driver.execute_script("kgNetwork.emit('click', {nodes: [], edges: [arguments[0]], pointer: {}})", edge)
    panel = driver.find_element("id", "kg-panel")
    assert panel.get_attribute("data-edge") == edge
    assert "获得荣誉（receivedAward）" in panel.text
    assert "西夏墅镇商会获评全国“四好”商会" in panel.text
    marks = [m.text for m in driver.find_elements("css selector", "#kg-panel .kg-sentence mark")]
    assert marks == ["西夏墅镇商会", "全国“四好”商会"]                     # both ends, as written


def test_headline_indicators_panel(driver, seed):
    page, _ = seed
    headless.open_page(driver, page)
    headline = driver.find_element("id", "kg-headline")
    assert not headline.is_displayed()
    driver.find_element("id", "kg-headline-toggle").click()
    assert headline.is_displayed()
    assert "地区生产总值" in headline.text and "80.57" in headline.text
    driver.find_element("xpath", "//div[@id='kg-headline']//button[@class='kg-link' and text()='西夏墅镇']").click()
    assert _panel_title(driver) == "西夏墅镇"


def test_hostile_text_is_shown_and_runs_nothing(driver, tmp_path):
    report = tmp_path / "hostile.txt"
    report.write_text(
        "政府工作报告\n——2023年1月6日在常州市新北区西夏墅镇第五届人民代表大会第三次会议上\n各位代表：\n"
        "2022年工作回顾\n出台《关于<img src=x onerror=alert(1)>的通知》，印发《关于</script><b>粗体</b>的意见》。\n",
        encoding="utf-8")
    build_graph([report], tmp_path)
    headless.open_page(driver, tmp_path / "graph.html")
    from selenium.common.exceptions import NoAlertPresentException
    hostile = driver.execute_script(
        "return kgNodes.get({filter: function (n) { return n.label.indexOf('onerror') >= 0; }}).map(function (n) { return n.id; })")
    assert len(hostile) == 1
    assert driver.execute_script(
        "return kgNodes.get({filter: function (n) { return n.label.indexOf('</script>') >= 0; }}).length") == 1
    driver.execute_script("kgSelect(arguments[0])", hostile[0])
    panel = driver.find_element("id", "kg-panel").text
    assert "关于<img src=x onerror=alert(1)>的通知" in panel                  # shown as characters
    assert "<img src=x onerror=alert(1)>" in driver.find_element("css selector", "#kg-panel h2").text
    assert "</script><b>粗体</b>" in panel
    driver.find_element("id", "kg-search").send_keys("</script>", "\n")        # search it too
    time.sleep(0.3)
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text
    assert driver.find_elements("css selector", "img") == []
    assert driver.find_elements("css selector", "b") == []
    assert len(driver.find_elements("css selector", "script")) == 3


def test_six_reports_together_open_settle_and_stay_usable(driver, tmp_path):
    from kg.html import render_html
    result = build_graph([CORPUS], None)
    page = tmp_path / "graph.html"
    page.write_text(render_html(result.graph), encoding="utf-8")
    seconds = headless.open_page(driver, page, timeout=120)
    n = _entity_count(result.graph)
    print(f"\n{len(result.documents)} reports, {n} entities ({page.stat().st_size} bytes) settled in {seconds:.2f} s")
    assert n > 1000
    assert seconds < SETTLE_LIMIT_CORPUS
    assert driver.execute_script("return kgNodes.length") == n
    assert driver.execute_script("return kgNetwork.physics.physicsEnabled") is False
    # every report's area is pinned on a ring in the middle
    areas = driver.execute_script("return kgNodes.get({filter: function (n) { return n.reportArea; }}).length")
    assert areas == len(result.documents)
    # usable: search, select and filter answer quickly
    started = time.monotonic()
    driver.execute_script("kgSelect(kgNodes.get({filter: function (n) { return n.reportArea; }})[0].id)")
    assert driver.find_element("id", "kg-panel").is_displayed()
    driver.find_element("css selector", '#kg-legend li[data-type="Place"]').click()
    assert driver.execute_script(
        "return kgNodes.get({filter: function (n) { return n.kgType === 'Place' && !n.hidden; }}).length") == 0
    assert time.monotonic() - started < 5
