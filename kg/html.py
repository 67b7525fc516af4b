"""One self-contained HTML page that draws a built graph with vis-network.

The page works opened from disk with no network: the vis-network script and
stylesheet that ship inside the pyvis package are inlined (their licence
header comment is kept), nothing is fetched, and a Content-Security-Policy
allows only the page's own two scripts (by hash) and no requests at all.

All text taken from documents (labels, aliases, sentences) is data, never
markup: it travels as JSON inside ``<script type="application/json">`` with
``<``, ``>``, ``&``, U+2028 and U+2029 escaped, and the page only ever puts
it into the DOM through ``textContent`` (vis-network draws labels on a
canvas).  The same graph always gives byte-identical HTML.
"""
from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import json
import math
from functools import lru_cache
from pathlib import Path

import networkx as nx
from pyvis.network import Network
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

__all__ = ["render_html", "ENTITY_STYLE", "RELATION_ZH"]

KG = Namespace("https://w3id.org/govkg/ontology#")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
ITSRDF = Namespace("http://www.w3.org/2005/11/its/rdf#")

VIS_VERSION = "9.1.2"

# type -> (zh name, colour, vis shape); the order is the legend's order
ENTITY_STYLE: dict[str, tuple[str, str, str]] = {
    "Enterprise": ("企业", "#4e79a7", "dot"),
    "Village": ("村", "#59a14f", "triangle"),
    "Community": ("社区", "#8cd17d", "triangleDown"),
    "AdministrativeArea": ("行政区", "#e15759", "hexagon"),
    "Project": ("项目", "#f28e2b", "square"),
    "Institution": ("机构", "#76b7b2", "dot"),
    "GovernmentAgency": ("政府机关", "#b07aa1", "diamond"),
    "Industry": ("产业", "#edc948", "star"),
    "Place": ("地点", "#9c755f", "triangle"),
    "Award": ("荣誉", "#ff9da7", "star"),
    "Program": ("计划/政策", "#5b5f97", "square"),
    "Person": ("人物", "#17becf", "dot"),
}
RELATION_ZH: dict[str, str] = {
    "partOf": "隶属于",
    "locatedIn": "位于",
    "belongsToIndustry": "所属产业",
    "cooperatesWith": "合作",
    "receivedAward": "获得荣誉",
    "awardedBy": "授予方",
    "involves": "涉及",
}
STATUS_ZH = {"planned": "计划中", "ongoing": "推进中", "completed": "已完成"}
KIND_ZH = {"actual": "实际", "estimate": "预计", "target": "目标"}

MAX_SENTENCES = 2
MAX_INDICATORS = 5
MAX_SENTENCE_CHARS = 160

_CLASS_TO_TYPE = {KG[t]: t for t in ENTITY_STYLE}
_RELATIONS = {KG[r]: r for r in RELATION_ZH}


# --------------------------------------------------------------------------
# reading the graph

def _local(iri) -> str:
    s = str(iri)
    for sep in ("#", "/"):
        if sep in s:
            s = s.rsplit(sep, 1)[1]
    return s


def _pick_text(values) -> str | None:
    """A deterministic choice among literals: @zh first, then untagged, then any."""
    lits = [v for v in values if isinstance(v, Literal)]
    if not lits:
        return None

    def rank(lit: Literal):
        lang = (lit.language or "").lower()
        return (0 if lang.startswith("zh") else 1 if not lang else 2, str(lit), lang)

    return str(min(lits, key=rank))


def _clip(text: str, limit: int = MAX_SENTENCE_CHARS) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _int(value, default=0) -> int:
    try:
        return int(value.toPython() if isinstance(value, Literal) else value)
    except (TypeError, ValueError):
        return default


class _Sentences:
    """Sentence nodes -> their text, sorted by document and offset."""

    def __init__(self, g: Graph):
        self.g = g
        self._cache: dict = {}

    def key(self, s):
        doc = self.g.value(s, NIF.referenceContext)
        begin = self.g.value(s, NIF.beginIndex)
        return (str(doc or ""), _int(begin, 0), str(s))

    def texts(self, subject) -> list[str]:
        """Distinct sentence texts that ``subject`` was derived from, in order."""
        sources = sorted(set(self.g.objects(subject, PROV.wasDerivedFrom)), key=self.key)
        out: list[str] = []
        for s in sources:
            t = _pick_text(self.g.objects(s, NIF.anchorOf))
            if t and t not in out:
                out.append(t)
        return out


def _entity_types(g: Graph) -> dict:
    """entity IRI -> its one entity type (first in legend order if several)."""
    found: dict = {}
    order = list(ENTITY_STYLE)
    for cls, name in _CLASS_TO_TYPE.items():
        for s in g.subjects(RDF.type, cls):
            if not isinstance(s, URIRef):
                continue
            if s not in found or order.index(name) < order.index(found[s]):
                found[s] = name
    return found


def _marks(text: str, anchors: list[tuple[int, str]]) -> list[list[int]]:
    """Where each mention stands in its sentence text: [[begin, end], ...]."""
    out = []
    for hint, anchor in sorted(anchors):
        i = text.find(anchor, max(0, hint - 2)) if anchor else -1
        if i < 0:
            i = text.find(anchor)
        if i >= 0 and [i, i + len(anchor)] not in out:
            out.append([i, i + len(anchor)])
    return sorted(out)


def _indicator_row(g: Graph, ind) -> dict:
    def text(p):
        v = g.value(ind, p)
        if v is None:
            return None
        v = str(v)
        return v[:-2] if v.endswith(".0") else v      # 138.0 is shown as written: 138
    kind = g.value(ind, KG.kind)
    return {"metric": _pick_text(g.objects(ind, KG.metric)) or "", "value": text(KG.value),
            "unit": text(KG.unit), "year": _int(g.value(ind, KG.year), 0) or None,
            "growth": text(KG.growthPct), "kind": _local(kind) if kind is not None else ""}


def _row_key(row: dict) -> tuple:
    return (-(row["year"] or 0), row["metric"], row["value"] or "", row["kind"])


def build_nx(graph: Graph) -> nx.DiGraph:
    """The entity graph: one node per typed entity, one edge per related pair.

    Node attributes: ``label``, ``type``, ``title`` (plain-text hover) and
    ``info`` (aliases, statuses, sentences with the mention marked,
    indicators, relations) for the side panel. Edge attributes:
    ``relations`` (predicate local names), ``title``, ``sentences``.
    """
    g = graph
    sentences = _Sentences(g)
    types = _entity_types(g)
    G = nx.DiGraph()

    indicators: dict = {}
    for ind in g.subjects(RDF.type, KG.Indicator):
        for about in g.objects(ind, KG.about):
            if about in types:
                indicators.setdefault(about, []).append(_indicator_row(g, ind))
    # mentions: entity -> sentence -> [(offset in sentence, text)]
    mentions: dict = {}
    for m in g.subjects(ITSRDF.taIdentRef, None):
        entity = g.value(m, ITSRDF.taIdentRef)
        sentence = g.value(m, NIF.sentence)
        if entity in types and sentence is not None:
            hint = _int(g.value(m, NIF.beginIndex), 0) - _int(g.value(sentence, NIF.beginIndex), 0)
            anchor = _pick_text(g.objects(m, NIF.anchorOf)) or ""
            mentions.setdefault(entity, {}).setdefault(sentence, []).append((hint, anchor))
    areas = {str(a) for a in g.objects(None, KG.area)}

    for node in sorted(types, key=str):
        etype = types[node]
        zh = ENTITY_STYLE[etype][0]
        label = _pick_text(g.objects(node, RDFS.label)) or _local(node)
        aliases = sorted({str(a) for a in g.objects(node, SKOS.altLabel)
                          if isinstance(a, Literal)} - {label})
        statuses = sorted({_local(s) for s in g.objects(node, KG.hasStatus)})
        lines = [label, f"类型：{zh}（{etype}）"]
        if aliases:
            lines.append("别名：" + "、".join(aliases))
        if statuses:
            lines.append("状态：" + "、".join(
                f"{STATUS_ZH.get(s, s)}（{s}）" for s in statuses))
        texts = sentences.texts(node)
        if texts:
            lines.append(f"来源句（共 {len(texts)} 句）：")
            lines.extend("· " + _clip(t) for t in texts[:MAX_SENTENCES])
        rows = sorted(indicators.get(node, []), key=_row_key)
        if rows:
            lines.append(f"指标（共 {len(rows)} 项）：")
            lines.extend("· " + _row_text(r) for r in rows[:MAX_INDICATORS])
            if len(rows) > MAX_INDICATORS:
                lines.append(f"… 另有 {len(rows) - MAX_INDICATORS} 项")
        sources = []
        for sent in sorted(set(g.objects(node, PROV.wasDerivedFrom)), key=sentences.key):
            text = _pick_text(g.objects(sent, NIF.anchorOf))
            if text:
                sources.append({"text": text, "marks": _marks(text, mentions.get(node, {}).get(sent, []))})
        G.add_node(str(node), label=label, type=etype, title="\n".join(lines), iri=str(node),
                   area=str(node) in areas,
                   info={"aliases": aliases, "statuses": statuses, "sentences": sources,
                         "indicators": rows, "relations": []})

    stmt_texts: dict = {}
    for st in g.subjects(RDF.type, RDF.Statement):
        key = (g.value(st, RDF.subject), g.value(st, RDF.predicate), g.value(st, RDF.object))
        if key[1] in _RELATIONS:
            stmt_texts.setdefault(key, []).append(st)

    edges: dict = {}
    for pred, rel in _RELATIONS.items():
        for s, o in g.subject_objects(pred):
            if s in types and o in types:
                edges.setdefault((str(s), str(o)), {})[rel] = (s, pred, o)
    for (s, o) in sorted(edges):
        rels = edges[(s, o)]
        names = [r for r in RELATION_ZH if r in rels]
        lines = [f"{G.nodes[s]['label']} → {G.nodes[o]['label']}"]
        edge_sentences = []
        for r in names:
            lines.append(f"{RELATION_ZH[r]}（{r}）")
            texts: list[str] = []
            for st in sorted(stmt_texts.get(rels[r], []), key=str):
                for t in sentences.texts(st):
                    if t not in texts:
                        texts.append(t)
            lines.extend("· " + _clip(t) for t in texts[:MAX_SENTENCES])
            edge_sentences.extend({"relation": r, "text": t} for t in texts)
            G.nodes[s]["info"]["relations"].append({"relation": r, "dir": "out", "other": o})
            G.nodes[o]["info"]["relations"].append({"relation": r, "dir": "in", "other": s})
        G.add_edge(s, o, relations=names, title="\n".join(lines), sentences=edge_sentences)
    return G


def _row_text(r: dict) -> str:
    parts = [r["metric"], f"{r['value']}{r['unit'] or ''}" if r["value"] is not None else (r["unit"] or "")]
    if r["year"]:
        parts.append(f"{r['year']}年")
    if r["growth"] is not None:
        parts.append(f"增长{r['growth']}%" if not r["growth"].startswith("-") else f"下降{r['growth'][1:]}%")
    if r["kind"] in KIND_ZH:
        parts.append(f"({KIND_ZH[r['kind']]})")
    return " ".join(p for p in parts if p)


# Headline indicators: what a reader of the report looks for first — every
# figure reported with its growth, and every amount in 亿元 (the scale of a
# town's or county's economy). Listed by year, subject and metric.
HEADLINE_UNITS = ("亿元",)


def headline_indicators(graph: Graph) -> list[dict]:
    rows = []
    for ind in graph.subjects(RDF.type, KG.Indicator):
        row = _indicator_row(graph, ind)
        if row["growth"] is None and row["unit"] not in HEADLINE_UNITS:
            continue
        about = graph.value(ind, KG.about)
        row["subject"] = _pick_text(graph.objects(about, RDFS.label)) or _local(about)
        row["id"] = str(about)
        rows.append(row)
    return sorted(rows, key=lambda r: (-(r["year"] or 0), r["subject"], r["metric"], r["value"] or ""))


# --------------------------------------------------------------------------
# the page

@lru_cache(maxsize=1)
def _vis_assets() -> tuple[str, str]:
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pyvis is not installed")
    lib = Path(list(spec.submodule_search_locations)[0]) / "lib" / f"vis-{VIS_VERSION}"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    css = (lib / "vis-network.css").read_text(encoding="utf-8")
    # inlined verbatim, so they must not be able to close their element
    if "</script" in js.lower() or "<!--" in js:
        raise RuntimeError("vis-network.min.js cannot be inlined safely")
    if "</style" in css.lower():
        raise RuntimeError("vis-network.css cannot be inlined safely")
    return js, css


def _json_for_script(data) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def _network(G: nx.DiGraph) -> Network:
    net = Network(directed=True, cdn_resources="in_line")
    # the reports' own areas in the middle: one at the centre, several on a small ring
    areas = [n for n in G.nodes if G.nodes[n]["area"]]
    ring = 0 if len(areas) < 2 else 80 * len(areas)
    centre = {n: (round(ring * math.cos(2 * math.pi * i / len(areas))),
                  round(ring * math.sin(2 * math.pi * i / len(areas)))) for i, n in enumerate(areas)}
    for n in G.nodes:  # already sorted
        a = G.nodes[n]
        _, colour, shape = ENTITY_STYLE[a["type"]]
        deg = G.degree(n)
        extra = {"x": centre[n][0], "y": centre[n][1], "fixed": True} if n in centre else {}
        net.add_node(
            n, label=a["label"], shape=shape, size=round(10 + 5 * math.sqrt(deg), 1),
            color={"background": colour, "border": "#333333",
                   "highlight": {"background": colour, "border": "#000000"},
                   "hover": {"background": colour, "border": "#000000"}},
            title=a["title"], kgType=a["type"], kgTypeZh=ENTITY_STYLE[a["type"]][0],
            degree=deg, info=a["info"], **extra,
        )
    for i, (s, o) in enumerate(sorted(G.edges)):
        a = G.edges[s, o]
        net.add_edge(s, o, id=f"e{i}", title=a["title"], relations=a["relations"],
                     sentences=a["sentences"])
    net.force_atlas_2based(gravity=-60, central_gravity=0.01, spring_length=110,
                           spring_strength=0.06, damping=0.5, overlap=0.2)
    # a large graph (several reports) settles in fewer, cheaper iterations
    net.options.physics.stabilization.iterations = 400 if len(G) <= 400 else 150
    net.options.physics.stabilization.updateInterval = 25
    net.options.edges.toggle_smoothness("continuous" if len(G) <= 400 else "dynamic")
    net.options.edges.inherit_colors(False)
    return net


def _options(net: Network, n_nodes: int) -> dict:
    opts = json.loads(net.options.to_json())
    opts["configure"] = {"enabled": False}
    opts["edges"].update({
        "arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
        "color": {"color": "#9a9a9a", "highlight": "#333333", "hover": "#555555"},
        "width": 1.2,
    })
    opts["nodes"] = {
        "borderWidth": 1,
        "font": {"size": 14, "face": "sans-serif", "color": "#222222",
                 "strokeWidth": 3, "strokeColor": "#ffffff"},
        "widthConstraint": {"maximum": 180},
    }
    opts["interaction"].update({"hover": True, "tooltipDelay": 120,
                                "multiselect": False, "navigationButtons": False})
    # a fixed seed keeps the browser's layout reproducible too
    opts["layout"] = {"randomSeed": 7, "improvedLayout": n_nodes <= 200}
    if n_nodes > 400:
        opts["edges"]["smooth"] = False          # straight edges: a big graph stays responsive
    return opts


_APP_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  var status = document.getElementById("kg-status");
  var panel = document.getElementById("kg-panel");
  var RELZH = data.relationsZh, STATUSZH = data.statusZh, KINDZH = data.kindZh;

  function el(tag, text, cls) {          // every document text goes in as text, never markup
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function tip(text) { var d = el("div", text, "kg-tip"); return d; }

  var byId = {};
  var nodes = data.nodes.map(function (n) {
    byId[n.id] = n;
    var o = Object.assign({}, n);
    delete o.info;
    o.title = tip(n.title);
    return o;
  });
  var edgeById = {};
  var edges = data.edges.map(function (e) {
    edgeById[e.id] = e;
    var o = Object.assign({}, e);
    delete o.sentences;
    o.title = tip(e.title);
    return o;
  });
  window.kgData = {nodes: data.nodes.length, edges: data.edges.length};
  if (nodes.length === 0) { status.textContent = "图中没有实体"; return; }

  var nodeSet = new vis.DataSet(nodes);
  var network = new vis.Network(document.getElementById("kg-network"),
    {nodes: nodeSet, edges: new vis.DataSet(edges)}, data.options);
  window.kgNetwork = network;
  window.kgNodes = nodeSet;
  status.textContent = "布局中…";
  network.on("stabilizationProgress", function (p) {
    status.textContent = "布局中… " + Math.round(100 * p.iterations / p.total) + "%";
  });
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({physics: false});        // the layout settles, then stays still
    status.textContent = "";
    document.body.setAttribute("data-kg-ready", "1");
  });

  // ---- side panel
  function section(title) { var s = el("section"); s.appendChild(el("h3", title)); panel.appendChild(s); return s; }
  function marked(text, marks) {
    var p = el("p", null, "kg-sentence"), at = 0;
    (marks || []).forEach(function (m) {
      if (m[0] < at) { return; }
      p.appendChild(document.createTextNode(text.slice(at, m[0])));
      p.appendChild(el("mark", text.slice(m[0], m[1])));
      at = m[1];
    });
    p.appendChild(document.createTextNode(text.slice(at)));
    return p;
  }
  function select(id) {
    var ids = [id].concat(network.getConnectedNodes(id));
    network.selectNodes(ids);
    network.focus(id, {scale: 1.1, animation: {duration: 300}});
    openNode(id);
  }
  function openNode(id) {
    var n = byId[id]; if (!n) { return; }
    var info = n.info;
    panel.textContent = "";
    panel.hidden = false;
    var close = el("button", "×", "kg-close");
    close.addEventListener("click", function () { panel.hidden = true; network.unselectAll(); });
    panel.appendChild(close);
    panel.appendChild(el("h2", n.label));
    panel.appendChild(el("div", n.kgTypeZh + "（" + n.kgType + "）", "kg-type"));
    if (info.aliases.length) { section("别名").appendChild(el("p", info.aliases.join("、"))); }
    if (info.statuses.length) {
      section("状态").appendChild(el("p", info.statuses.map(function (s) { return (STATUSZH[s] || s) + "（" + s + "）"; }).join("、")));
    }
    if (info.relations.length) {
      var ul = el("ul", null, "kg-relations");
      info.relations.forEach(function (r) {
        var other = byId[r.other], li = el("li");
        li.appendChild(el("span", r.dir === "out" ? (RELZH[r.relation] || r.relation) + " → " : "← " + (RELZH[r.relation] || r.relation) + " ", "kg-rel"));
        var a = el("button", other ? other.label : r.other, "kg-link");
        a.addEventListener("click", function () { select(r.other); });
        li.appendChild(a);
        ul.appendChild(li);
      });
      section("关系").appendChild(ul);
    }
    if (info.indicators.length) {
      var table = el("table", null, "kg-table"), head = el("tr");
      ["指标", "数值", "单位", "年份", "增长%", "类别"].forEach(function (h) { head.appendChild(el("th", h)); });
      table.appendChild(head);
      info.indicators.forEach(function (r) {
        var tr = el("tr");
        [r.metric, r.value, r.unit, r.year, r.growth, KINDZH[r.kind] || r.kind].forEach(function (v) { tr.appendChild(el("td", v === null ? "" : v)); });
        table.appendChild(tr);
      });
      section("指标").appendChild(table);
    }
    var src = section("来源句（" + info.sentences.length + "）");
    info.sentences.forEach(function (s) { src.appendChild(marked(s.text, s.marks)); });
  }
  function openEdge(id) {
    var e = edgeById[id]; if (!e) { return; }
    panel.textContent = ""; panel.hidden = false;
    var close = el("button", "×", "kg-close");
    close.addEventListener("click", function () { panel.hidden = true; });
    panel.appendChild(close);
    panel.appendChild(el("h2", (byId[e.from] || {}).label + " → " + (byId[e.to] || {}).label));
    panel.appendChild(el("div", e.relations.map(function (r) { return (RELZH[r] || r) + "（" + r + "）"; }).join("、"), "kg-type"));
    var src = section("来源句");
    e.sentences.forEach(function (s) { src.appendChild(el("p", s.text, "kg-sentence")); });
  }
  network.on("click", function (p) {
    if (p.nodes.length) { openNode(p.nodes[0]); }
    else if (p.edges.length) { openEdge(p.edges[0]); }
    else { panel.hidden = true; }
  });
  window.kgSelect = select;

  // ---- legend as a filter
  var hidden = {};
  Array.prototype.forEach.call(document.querySelectorAll("#kg-legend li[data-type]"), function (li) {
    li.addEventListener("click", function () {
      var t = li.getAttribute("data-type");
      hidden[t] = !hidden[t];
      li.classList.toggle("kg-off", hidden[t]);
      nodeSet.update(data.nodes.filter(function (n) { return n.kgType === t; })
        .map(function (n) { return {id: n.id, hidden: hidden[t]}; }));
    });
  });

  // ---- search by name or alias
  var search = document.getElementById("kg-search");
  function find(q) {
    var exact = [], part = [];
    data.nodes.forEach(function (n) {
      var names = [n.label].concat(n.info.aliases);
      if (names.indexOf(q) >= 0) { exact.push(n); }
      else if (names.some(function (x) { return x.indexOf(q) >= 0; })) { part.push(n); }
    });
    return exact.concat(part);
  }
  search.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter") { return; }
    var q = search.value.trim(); if (!q) { return; }
    var hit = find(q);
    if (!hit.length) { status.textContent = "未找到：" + q; return; }
    status.textContent = hit.length > 1 ? ("找到 " + hit.length + " 个，显示第一个") : "";
    if (hidden[hit[0].kgType]) { status.textContent = "“" + q + "”的类型已隐藏"; }
    select(hit[0].id);
  });

  // ---- headline indicators
  var headline = document.getElementById("kg-headline");
  var toggle = document.getElementById("kg-headline-toggle");
  toggle.addEventListener("click", function () { headline.hidden = !headline.hidden; });
  if (data.headline.length) {
    var table = el("table", null, "kg-table"), head = el("tr");
    ["主体", "指标", "数值", "单位", "年份", "增长%", "类别"].forEach(function (h) { head.appendChild(el("th", h)); });
    table.appendChild(head);
    data.headline.forEach(function (r) {
      var tr = el("tr"), who = el("td"), b = el("button", r.subject, "kg-link");
      b.addEventListener("click", function () { if (byId[r.id]) { select(r.id); } });
      who.appendChild(b); tr.appendChild(who);
      [r.metric, r.value, r.unit, r.year, r.growth, KINDZH[r.kind] || r.kind].forEach(function (v) { tr.appendChild(el("td", v === null ? "" : v)); });
      table.appendChild(tr);
    });
    headline.appendChild(table);
  } else {
    headline.appendChild(el("p", "没有带增速或以亿元计的指标"));
  }
})();
"""

_PAGE_CSS = """
html, body { margin: 0; padding: 0; height: 100%; background: #fafafa; color: #222;
  font-family: "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei",
  "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; }
#kg-header { position: absolute; top: 0; left: 0; right: 0; height: 44px;
  display: flex; align-items: center; gap: 16px; padding: 0 16px;
  background: #fff; border-bottom: 1px solid #ddd; box-sizing: border-box; z-index: 3; }
#kg-header h1 { font-size: 17px; margin: 0; font-weight: 600; white-space: nowrap;
  overflow: hidden; text-overflow: ellipsis; }
#kg-header .kg-stats { color: #666; font-size: 13px; white-space: nowrap; }
#kg-status { color: #b05a00; font-size: 13px; }
#kg-search { margin-left: auto; font: inherit; font-size: 13px; padding: 4px 8px;
  border: 1px solid #ccc; border-radius: 4px; width: 180px; }
#kg-network { position: absolute; top: 44px; left: 0; right: 0; bottom: 0; }
#kg-legend { position: absolute; top: 56px; left: 12px; z-index: 2; background: rgba(255,255,255,.93);
  border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; font-size: 13px; }
#kg-legend h2 { font-size: 13px; margin: 0 0 6px; font-weight: 600; }
#kg-legend ul { list-style: none; margin: 0; padding: 0; }
#kg-legend li { display: flex; align-items: center; gap: 8px; line-height: 22px; }
#kg-legend .kg-count { margin-left: auto; padding-left: 12px; color: #666;
  font-variant-numeric: tabular-nums; }
.kg-swatch { display: inline-block; width: 13px; height: 13px; border: 1px solid #333;
  box-sizing: border-box; }
.kg-shape-dot { border-radius: 50%; }
.kg-shape-square { border-radius: 1px; }
.kg-shape-diamond { transform: rotate(45deg) scale(.8); }
.kg-shape-triangle, .kg-shape-triangleDown, .kg-shape-star, .kg-shape-hexagon { border: 0; }
.kg-shape-triangle { clip-path: polygon(50% 0, 100% 100%, 0 100%); }
.kg-shape-triangleDown { clip-path: polygon(0 0, 100% 0, 50% 100%); }
.kg-shape-hexagon { clip-path: polygon(25% 0, 75% 0, 100% 50%, 75% 100%, 25% 100%, 0 50%); }
.kg-shape-star { clip-path: polygon(50% 0, 61% 35%, 98% 35%, 68% 57%, 79% 91%, 50% 70%,
  21% 91%, 32% 57%, 2% 35%, 39% 35%); }
#kg-details { position: absolute; right: 12px; bottom: 12px; z-index: 2; max-width: 460px;
  max-height: 45%; overflow: auto; background: rgba(255,255,255,.96); border: 1px solid #ddd;
  border-radius: 6px; padding: 10px 12px; font-size: 13px; white-space: pre-wrap;
  line-height: 1.5; }
div.vis-tooltip { white-space: normal; font-family: inherit; font-size: 13px;
  max-width: 440px; }
.kg-tip { white-space: pre-wrap; line-height: 1.5; word-break: break-word; }
#kg-legend li[data-type] { cursor: pointer; user-select: none; }
#kg-legend li.kg-off { opacity: .35; text-decoration: line-through; }
#kg-panel { position: absolute; top: 56px; right: 12px; bottom: 12px; width: 420px; z-index: 3;
  overflow: auto; background: #fff; border: 1px solid #ddd; border-radius: 6px;
  padding: 10px 14px; font-size: 13px; line-height: 1.5; box-shadow: 0 2px 8px rgba(0,0,0,.08); }
#kg-panel h2 { font-size: 17px; margin: 2px 24px 2px 0; word-break: break-all; }
#kg-panel h3 { font-size: 13px; margin: 12px 0 4px; color: #555; }
#kg-panel .kg-type { color: #666; }
#kg-panel ul { margin: 0; padding-left: 18px; }
.kg-close { position: absolute; top: 6px; right: 8px; border: 0; background: none;
  font-size: 20px; cursor: pointer; color: #666; }
.kg-link { border: 0; background: none; padding: 0; color: #1f5fa8; cursor: pointer;
  font: inherit; text-align: left; }
.kg-link:hover { text-decoration: underline; }
.kg-rel { color: #666; }
.kg-sentence { margin: 4px 0 8px; white-space: pre-wrap; word-break: break-word; }
.kg-sentence mark { background: #ffe08a; padding: 0 1px; }
.kg-table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
.kg-table th, .kg-table td { border-bottom: 1px solid #eee; padding: 2px 6px 2px 0;
  text-align: left; vertical-align: top; }
.kg-table th { color: #555; font-weight: 600; }
#kg-headline-toggle { font: inherit; font-size: 13px; padding: 3px 8px; border: 1px solid #ccc;
  border-radius: 4px; background: #fff; cursor: pointer; white-space: nowrap; }
#kg-headline { position: absolute; left: 12px; bottom: 12px; z-index: 3; max-width: 640px;
  max-height: 40%; overflow: auto; background: #fff; border: 1px solid #ddd; border-radius: 6px;
  padding: 8px 12px; font-size: 13px; }
"""


def _legend(G: nx.DiGraph) -> str:
    counts: dict[str, int] = {}
    for n in G.nodes:
        t = G.nodes[n]["type"]
        counts[t] = counts.get(t, 0) + 1
    items = []
    for etype, (zh, colour, shape) in ENTITY_STYLE.items():
        if etype not in counts:
            continue
        items.append(
            f'<li data-type="{etype}"><span class="kg-swatch kg-shape-{shape}" '
            f'style="background:{colour}"></span><span>{html.escape(zh)}</span>'
            f'<span class="kg-count">{counts[etype]}</span></li>')
    body = "\n".join(items) if items else "<li>（无）</li>"
    return f'<div id="kg-legend"><h2>实体类型</h2><ul>\n{body}\n</ul></div>'


def render_html(graph: Graph, title: str = "kg") -> str:
    """Render ``graph`` (in the shape of ontology/README.md) as one HTML page.

    Nodes are the entities (one colour and shape per type, size by degree);
    edges are the entity-to-entity relations.  Hovering a node shows its
    label, type, aliases, project status, up to two source sentences and its
    indicators; hovering an edge shows the relation and its sentence.
    """
    G = build_nx(graph)
    net = _network(G)
    data = {
        "nodes": net.nodes,
        "edges": net.edges,
        "options": _options(net, G.number_of_nodes()),
        "title": title,
        "headline": headline_indicators(graph),
        "relationsZh": RELATION_ZH, "statusZh": STATUS_ZH, "kindZh": KIND_ZH,
    }
    vis_js, vis_css = _vis_assets()
    app_js = _APP_JS
    csp = ("default-src 'none'; "
           f"script-src {_csp_hash(vis_js)} {_csp_hash(app_js)}; "
           "style-src 'unsafe-inline'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    t = html.escape(title, quote=True)
    stats = f"{G.number_of_nodes()} 个实体 · {G.number_of_edges()} 条关系"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{t}</title>\n"
        f"<style>\n{vis_css}\n</style>\n"
        f"<style>{_PAGE_CSS}</style>\n"
        "</head>\n<body>\n"
        f'<div id="kg-header"><h1>{t}</h1><span class="kg-stats">{stats}</span>'
        '<span id="kg-status"></span>'
        '<button id="kg-headline-toggle" type="button">主要指标</button>'
        '<input id="kg-search" type="search" placeholder="查找实体或别名…" autocomplete="off">'
        "</div>\n"
        '<div id="kg-network"></div>\n'
        f"{_legend(G)}\n"
        '<div id="kg-panel" hidden></div>\n'
        '<div id="kg-headline" hidden><h2 class="kg-h">主要指标（带增速或以亿元计）</h2></div>\n'
        f'<script type="application/json" id="kg-data">{_json_for_script(data)}</script>\n'
        f"<script>{vis_js}</script>\n"
        f"<script>{app_js}</script>\n"
        "</body>\n</html>\n"
    )


def view(page: Path) -> str:
    """Open a built page in the user's browser; say where it is when there is none."""
    import webbrowser
    if not page.exists():
        from .errors import KgError
        raise KgError(f"{page}: no such page; run `kg build` first.")
    import os
    import sys
    uri = page.resolve().as_uri()
    graphical = sys.platform in ("darwin", "win32") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    opened = False
    if graphical:          # without a screen, webbrowser may start a text browser in this terminal
        try:
            opened = webbrowser.open(uri)
        except webbrowser.Error:
            opened = False
    return f"opened {uri}" if opened else f"no browser here; open {page.resolve()} in one"
