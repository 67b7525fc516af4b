"""The HTML view: self-contained, injection-safe, deterministic."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from rdflib import Graph

from kg.html import render_html

HOSTILE = "<img src=x onerror=alert(1)></script>"

TTL = r"""
@prefix kg: <https://w3id.org/govkg/ontology#> .
@prefix kgid: <https://w3id.org/govkg/id/> .
@prefix nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#> .
@prefix itsrdf: <http://www.w3.org/2005/11/its/rdf#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

<https://w3id.org/govkg/id/doc/d1> a kg:Document, nif:Context ;
    dcterms:title "政府工作报告"@zh ;
    kg:area <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇> .

<https://w3id.org/govkg/id/doc/d1#char=10,40> a nif:Sentence ;
    nif:anchorOf "全年预计实现地区生产总值80.57亿元，同比增长6.5%"@zh ;
    nif:beginIndex 10 ; nif:endIndex 40 ;
    nif:referenceContext <https://w3id.org/govkg/id/doc/d1> ; kg:part "review" ; kg:year 2022 .

<https://w3id.org/govkg/id/doc/d1#char=50,90> a nif:Sentence ;
    nif:anchorOf "西夏墅镇商会荣获全国四好商会称号 & <b>粗体</b>\u2028换行"@zh ;
    nif:beginIndex 50 ; nif:endIndex 90 ;
    nif:referenceContext <https://w3id.org/govkg/id/doc/d1> ; kg:part "review" ; kg:year 2022 .

<https://w3id.org/govkg/id/doc/d1#char=100,130> a nif:Sentence ;
    nif:anchorOf "金牛研磨新建智能车间项目竣工投产"@zh ;
    nif:beginIndex 100 ; nif:endIndex 130 ;
    nif:referenceContext <https://w3id.org/govkg/id/doc/d1> ; kg:part "review" ; kg:year 2022 .

<https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇> a kg:AdministrativeArea ;
    rdfs:label "西夏墅镇"@zh ;
    prov:wasDerivedFrom <https://w3id.org/govkg/id/doc/d1#char=10,40> .

<https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Enterprise/金牛研磨> a kg:Enterprise ;
    rdfs:label "金牛研磨"@zh ;
    skos:altLabel "金牛研磨公司"@zh, "金牛\u2028研磨厂"@zh ;
    prov:wasDerivedFrom <https://w3id.org/govkg/id/doc/d1#char=100,130> ;
    kg:locatedIn <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇> .

<https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Institution/西夏墅镇商会> a kg:Institution ;
    rdfs:label "西夏墅镇商会"@zh ;
    prov:wasDerivedFrom <https://w3id.org/govkg/id/doc/d1#char=50,90> ;
    kg:receivedAward <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Award/全国四好商会> .

<https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Award/全国四好商会> a kg:Award ;
    rdfs:label "全国四好商会"@zh ;
    prov:wasDerivedFrom <https://w3id.org/govkg/id/doc/d1#char=50,90> .

<https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Project/智能车间> a kg:Project ;
    rdfs:label "智能车间"@zh ;
    kg:hasStatus kg:completed ;
    kg:involves <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Enterprise/金牛研磨> ;
    prov:wasDerivedFrom <https://w3id.org/govkg/id/doc/d1#char=100,130> .

<https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Place/%3Cimg%20src=x%3E> a kg:Place ;
    rdfs:label "<img src=x onerror=alert(1)></script>"@zh ;
    skos:altLabel "</script><script>alert(2)</script>"@zh .

<https://w3id.org/govkg/id/doc/d1/statement/abc> a rdf:Statement ;
    rdf:subject <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Institution/西夏墅镇商会> ;
    rdf:predicate kg:receivedAward ;
    rdf:object <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Award/全国四好商会> ;
    prov:wasDerivedFrom <https://w3id.org/govkg/id/doc/d1#char=50,90> ;
    kg:rule "rel.award.cue" .

<https://w3id.org/govkg/id/doc/d1/indicator/gdp-2022> a kg:Indicator ;
    kg:about <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇> ;
    kg:metric "地区生产总值"@zh ;
    kg:value 80.57 ; kg:unit "亿元" ; kg:year 2022 ; kg:growthPct 6.5 ;
    kg:kind kg:estimate ;
    prov:wasDerivedFrom <https://w3id.org/govkg/id/doc/d1#char=10,40> ;
    kg:rule "ind.amount" .

<https://w3id.org/govkg/id/doc/d1/indicator/firms-2022> a kg:Indicator ;
    kg:about <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇> ;
    kg:metric "新增企业"@zh ; kg:value 35 ; kg:unit "家" ; kg:year 2022 ; kg:kind kg:actual ;
    prov:wasDerivedFrom <https://w3id.org/govkg/id/doc/d1#char=10,40> ; kg:rule "ind.count" .

<https://w3id.org/govkg/id/doc/d1/indicator/invest-2023> a kg:Indicator ;
    kg:about <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Project/智能车间> ;
    kg:metric "总投资"@zh ; kg:value 2.0 ; kg:unit "亿元" ; kg:year 2023 ; kg:kind kg:target ;
    kg:normalizedValue 200000000 ; kg:normalizedUnit "CNY" ;
    prov:wasDerivedFrom <https://w3id.org/govkg/id/doc/d1#char=100,130> ; kg:rule "ind.amount" .

<https://w3id.org/govkg/id/doc/d1#char=50,56> a nif:Phrase ;
    nif:anchorOf "西夏墅镇商会"@zh ; nif:beginIndex 50 ; nif:endIndex 56 ;
    nif:referenceContext <https://w3id.org/govkg/id/doc/d1> ;
    nif:sentence <https://w3id.org/govkg/id/doc/d1#char=50,90> ;
    itsrdf:taIdentRef <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Institution/西夏墅镇商会> ;
    kg:rule "ent.enum.institution" .

<https://w3id.org/govkg/id/doc/d1#char=58,64> a nif:Phrase ;
    nif:anchorOf "全国四好商会"@zh ; nif:beginIndex 58 ; nif:endIndex 64 ;
    nif:referenceContext <https://w3id.org/govkg/id/doc/d1> ;
    nif:sentence <https://w3id.org/govkg/id/doc/d1#char=50,90> ;
    itsrdf:taIdentRef <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Award/全国四好商会> ;
    kg:rule "ent.enum.award" .

# offsets that do not match the text: the mark falls back to the nearest match
<https://w3id.org/govkg/id/doc/d1#char=117,121> a nif:Phrase ;
    nif:anchorOf "智能车间"@zh ; nif:beginIndex 117 ; nif:endIndex 121 ;
    nif:referenceContext <https://w3id.org/govkg/id/doc/d1> ;
    nif:sentence <https://w3id.org/govkg/id/doc/d1#char=100,130> ;
    itsrdf:taIdentRef <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Project/智能车间> ;
    kg:rule "ent.enum.project" .

# a mention is not an entity node
<https://w3id.org/govkg/id/doc/d1#char=100,104> a nif:Phrase ;
    nif:anchorOf "金牛研磨"@zh ; nif:beginIndex 100 ; nif:endIndex 104 ;
    nif:referenceContext <https://w3id.org/govkg/id/doc/d1> ;
    nif:sentence <https://w3id.org/govkg/id/doc/d1#char=100,130> ;
    itsrdf:taIdentRef <https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇/Enterprise/金牛研磨> ;
    kg:rule "ent.enum.enterprise" .
"""

BASE = "https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇"


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph().parse(data=TTL, format="turtle")


@pytest.fixture(scope="module")
def page(graph) -> str:
    return render_html(graph, title="西夏墅镇 <政府工作报告> & 知识图谱")


class _Tags(HTMLParser):
    """Collects tags and attributes (script/style contents are not parsed)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.data_json: str | None = None
        self._in_data = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.append((tag, a))
        self._in_data = tag == "script" and a.get("id") == "kg-data"

    def handle_endtag(self, tag):
        self._in_data = False

    def handle_data(self, data):
        if self._in_data:
            self.data_json = (self.data_json or "") + data


def _parse(page: str) -> _Tags:
    p = _Tags()
    p.feed(page)
    p.close()
    return p


def _data(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="kg-data">(.*?)</script>', page, re.S)
    assert m, "no kg-data block"
    return json.loads(m.group(1))


def test_no_remote_resources(page):
    tags = _parse(page).tags
    for tag, attrs in tags:
        for attr in ("src", "href"):
            value = attrs.get(attr) or ""
            assert not re.match(r"\s*(https?:)?//", value, re.I), (tag, attrs)
    assert not any(tag == "link" for tag, _ in tags)
    assert not any(tag == "script" and "src" in attrs for tag, attrs in tags)
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)\s*=\s*[\"']?(https?:)?//",
                         page, re.I)
    assert "bootstrap" not in page.lower()
    assert "@import" not in page and "fonts.googleapis" not in page
    # the page forbids any fetch
    assert "default-src 'none'" in page


def test_vis_network_inlined_with_licence(page):
    assert "vis-network" in page
    assert "@version 9.1.2" in page
    assert "vis.js is dual licensed under both" in page
    assert "The Apache 2.0 License" in page and "The MIT License" in page
    assert "new vis.Network(" in page
    assert "div.vis-tooltip" in page  # the stylesheet too
    assert 'setOptions({physics: false})' in page
    assert "stabilizationIterationsDone" in page


def test_hostile_text_is_never_markup(page):
    assert HOSTILE not in page
    assert "<img" not in page
    assert "onerror=alert" in page  # present, but only as escaped JSON text
    assert "alert(2)" in page
    assert "<b>粗体</b>" not in page
    assert "\u2028" not in page and "\u2029" not in page
    assert "\\u2028" in page
    # the only script elements are ours: data, vis-network, app
    scripts = [a for tag, a in _parse(page).tags if tag == "script"]
    assert len(scripts) == 3
    assert page.count("</script>") == 3
    assert page.count("</script") == 3
    # the title is escaped in HTML
    assert "&lt;政府工作报告&gt; &amp; 知识图谱" in page
    assert "<政府工作报告>" not in page
    # data block holds no raw markup characters
    m = re.search(r'id="kg-data">(.*?)</script>', page, re.S)
    assert not re.search(r"[<>&\u2028\u2029]", m.group(1))


def test_embedded_json(page):
    data = _data(page)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert len(nodes) == 6
    types = sorted(n["kgType"] for n in nodes.values())
    assert types == sorted(["AdministrativeArea", "Enterprise", "Institution",
                            "Award", "Project", "Place"])
    assert all(n["group"] == n["kgType"] for n in nodes.values())   # colour and shape by type
    assert set(data["options"]["groups"]) == set(data["types"])
    labels = {n["label"] for n in nodes.values()}
    assert labels == {"西夏墅镇", "金牛研磨", "西夏墅镇商会", "全国四好商会", "智能车间", HOSTILE}
    # the parsed-back JSON in the browser equals the parsed-back JSON here
    assert _parse(page).data_json is not None
    assert json.loads(_parse(page).data_json) == data
    # each sentence is stored once and referred to by number
    texts = [s["text"] for s in data["sentences"]]
    assert len(texts) == len(set(texts)) == 3
    text = lambda ref: data["sentences"][ref["s"]]["text"]

    area = nodes[BASE]
    assert data["types"][area["kgType"]] == "行政区"
    rows = area["info"]["indicators"]
    assert [(r["metric"], r["value"], r["unit"], r["year"], r["growth"], r["kind"]) for r in rows] == [
        ("地区生产总值", "80.57", "亿元", 2022, "6.5", "estimate"),
        ("新增企业", "35", "家", 2022, None, "actual")]
    assert data["sentences"][rows[0]["s"]] == {
        "text": "全年预计实现地区生产总值80.57亿元，同比增长6.5%", "doc": 0, "part": "review", "year": 2022}

    ent = nodes[BASE + "/Enterprise/金牛研磨"]
    assert ent["info"]["aliases"] == ["金牛\u2028研磨厂", "金牛研磨公司"]  # survives the \\u2028 escape
    [src] = ent["info"]["sentences"]
    assert text(src) == "金牛研磨新建智能车间项目竣工投产"
    assert src["marks"] == [[0, 4]]                     # from the NIF offsets: 100-100 .. 104-100

    proj = nodes[BASE + "/Project/智能车间"]
    assert proj["info"]["statuses"] == ["completed"]
    assert proj["info"]["sentences"][0]["marks"] == [[6, 10]]   # offsets off: nearest match
    assert [r["metric"] for r in proj["info"]["indicators"]] == ["总投资"]
    assert {"relation": "involves", "dir": "out", "other": BASE + "/Enterprise/金牛研磨"} \
        in proj["info"]["relations"]
    # statuses, indicators, sentences and mentions are not nodes
    assert not any("ontology#" in i or "#char=" in i or "/indicator/" in i for i in nodes)

    edges = data["edges"]
    assert len(edges) == 3
    pairs = {(nodes[e["from"]]["label"], nodes[e["to"]]["label"], tuple(e["relations"]))
             for e in edges}
    assert pairs == {
        ("金牛研磨", "西夏墅镇", ("locatedIn",)),
        ("西夏墅镇商会", "全国四好商会", ("receivedAward",)),
        ("智能车间", "金牛研磨", ("involves",)),
    }
    award = next(e for e in edges if e["relations"] == ["receivedAward"])
    [src] = award["sentences"]
    assert src["relation"] == "receivedAward"
    assert text(src).startswith("西夏墅镇商会荣获全国四好商会称号")
    assert src["marks"] == [[0, 6], [8, 14]]             # both ends marked

    # size grows with degree
    assert nodes[BASE + "/Enterprise/金牛研磨"]["size"] > nodes[BASE]["size"]
    assert nodes[BASE + "/Enterprise/金牛研磨"]["degree"] == 2
    assert data["options"]["physics"]["stabilization"]["enabled"] is True


def test_layout_report_area_in_the_middle(page):
    data = _data(page)
    nodes = {n["id"]: n for n in data["nodes"]}
    area = nodes[BASE]
    assert (area["x"], area["y"], area["fixed"], area["reportArea"]) == (0, 0, True, True)
    assert [n for n in nodes.values() if n.get("fixed")] == [area]
    # every other node starts at integer pixels near it
    assert all(isinstance(n["x"], int) and isinstance(n["y"], int) for n in nodes.values())
    # invisible springs tie each entity of the report to its area, unless a relation does
    assert sorted(data["links"]) == sorted([
        [BASE + "/Award/全国四好商会", BASE], [BASE + "/Institution/西夏墅镇商会", BASE],
        [BASE + "/Project/智能车间", BASE]])


def test_headline_indicators(page):
    data = _data(page)
    rows = [(r["subject"], r["metric"], r["value"], r["growth"]) for r in data["headline"]]
    # growth about the report's area, and the largest sums of money; not plain counts
    assert rows == [("智能车间", "总投资", "2", None), ("西夏墅镇", "地区生产总值", "80.57", "6.5")]
    assert all(r["doc"] == 0 for r in data["headline"])
    assert "金额最大的" in data["headlineRule"]


def test_headline_keeps_the_largest_amounts():
    from kg.html import HEADLINE_AMOUNTS, headline_indicators
    g = Graph().parse(data=TTL, format="turtle")
    extra = "".join(f"""
<https://w3id.org/govkg/id/doc/d1/indicator/x{i}> a kg:Indicator ;
    kg:about <{BASE}/Project/智能车间> ; kg:metric "投资{i}"@zh ; kg:value {i} ; kg:unit "万元" ;
    kg:year 2023 ; kg:kind kg:target ; kg:normalizedValue {i * 10000} ; kg:normalizedUnit "CNY" ;
    prov:wasDerivedFrom <https://w3id.org/govkg/id/doc/d1#char=100,130> .""" for i in range(1, 13))
    g.parse(data=TTL.split("\n<")[0] + extra, format="turtle")
    metrics = [r["metric"] for r in headline_indicators(g)]
    amounts = [m for m in metrics if m.startswith("投资")]
    assert len(amounts) == HEADLINE_AMOUNTS - 1          # 总投资 (2 亿元) is the largest
    assert "总投资" in metrics and "投资12" in amounts and "投资1" not in amounts
    assert "地区生产总值" in metrics


def test_title_names_the_report(graph):
    page = render_html(graph)
    assert "<title>西夏墅镇政府工作报告</title>" in page
    assert _data(page)["heading"] == "西夏墅镇政府工作报告"


def test_csp_allows_exactly_our_scripts(page):
    import base64
    import hashlib

    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    bodies = re.findall(r"<script>(.*?)</script>", page, re.S)
    assert len(bodies) == 2
    for body in bodies:
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]


def test_legend(page):
    for zh, count in [("行政区", 1), ("企业", 1), ("机构", 1), ("荣誉", 1), ("项目", 1),
                      ("地点", 1)]:
        assert re.search(rf"<span>{re.escape(zh)}</span><span class=\"kg-count\">{count}</span>",
                         page), zh
    assert "<span>村</span>" not in page  # absent types are not listed


def test_deterministic(graph):
    a = render_html(graph, title="t")
    b = render_html(graph, title="t")
    assert a == b
    # a freshly parsed copy (different internal order) gives the same page
    c = render_html(Graph().parse(data=TTL, format="turtle"), title="t")
    assert a == c


def test_empty_graph():
    page = render_html(Graph())
    data = _data(page)
    assert data["nodes"] == [] and data["edges"] == []
    assert "<title>kg</title>" in page


def test_kg_view_opens_or_prints_and_never_fails(tmp_path, monkeypatch):
    import webbrowser
    from click.testing import CliRunner
    from kg.cli import cli

    page = tmp_path / "graph.html"
    page.write_text("<html></html>", encoding="utf-8")
    runner = CliRunner()
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setattr("sys.platform", "linux")
    opened = []
    monkeypatch.setattr(webbrowser, "open", lambda uri: opened.append(uri) or True)
    result = runner.invoke(cli, ["view", "--graph-html", str(page)])
    assert result.exit_code == 0 and str(page.resolve()) in result.output
    assert opened == []                       # no screen: no terminal browser either

    monkeypatch.setenv("DISPLAY", ":0")
    result = runner.invoke(cli, ["view", "--graph-html", str(page)])
    assert result.exit_code == 0 and opened == [page.resolve().as_uri()]
    assert "opened" in result.output

    def broken(uri):
        raise webbrowser.Error("could not locate runnable browser")
    monkeypatch.setattr(webbrowser, "open", broken)
    result = runner.invoke(cli, ["view", "--graph-html", str(page)])
    assert result.exit_code == 0 and str(page.resolve()) in result.output

    from kg.errors import KgError
    result = runner.invoke(cli, ["view", "--graph-html", str(tmp_path / "none.html")])
    assert isinstance(result.exception, KgError) and "kg build" in str(result.exception)


def test_deterministic_whatever_the_triple_order():
    """Rows that tie on year, metric and value still come in one order."""
    ties = [f"""
<https://w3id.org/govkg/id/doc/d1/indicator/tie{i}> a kg:Indicator ;
    kg:about <{BASE}> ; kg:metric "村占"@zh ; kg:value 50 ; kg:unit "{unit}" ;
    kg:year 2022 ; kg:kind kg:actual ;
    prov:wasDerivedFrom <https://w3id.org/govkg/id/doc/d1#char=10,40> .
""" for i, unit in enumerate(["%", "万元", "个", "家", "亩"])]
    forward = render_html(Graph().parse(data=TTL + "".join(ties), format="turtle"))
    backward = render_html(Graph().parse(data=TTL + "".join(reversed(ties)), format="turtle"))
    assert forward == backward


def test_a_big_graph_settles_in_fewer_iterations():
    """The browser's layout work stops growing with the graph: the seed's page
    (a few hundred nodes) and a mid-sized one keep their iterations, a corpus's
    takes fewer, never under the floor."""
    from kg.html import LAYOUT_BUDGET, MIN_ITERATIONS, _options
    def iterations(n):
        return _options(n)["physics"]["stabilization"]["iterations"]
    assert iterations(300) == 300 and iterations(3000) == 100
    assert iterations(13_736) == 29                        # the 97 bench reports
    assert iterations(13_736) * 13_736 <= LAYOUT_BUDGET
    assert iterations(1_000_000) == MIN_ITERATIONS
