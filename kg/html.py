"""One self-contained HTML page to explore a built graph, drawn with vis-network.

What the page offers (see ``_APP_JS``):

- one node per entity, a colour and a shape per type; the legend counts the
  types and is a filter (click a type to hide or show its nodes); node size
  grows with the node's degree (networkx); the report's own area (the
  document's ``kg:area``) is pinned in the middle, several reports' areas on a
  small ring around it;
- a search box that finds a name or an alias (exact matches first, then
  partial ones by degree; Enter again steps to the next hit), selects the
  node, lights up its neighbours and dims the rest;
- a side panel for the clicked node: type, reports it comes from, aliases,
  project status, relations (each a link to the other node), its indicators
  as one small table per year, and its source sentences with each mention
  marked; a click on an edge shows the sentences that state the relation,
  both ends marked;
- indicators are table rows, never nodes; the 主要指标 panel lists the
  headline indicators of each report (rule: ``headline_indicators``);
- the layout settles, then physics is switched off and nothing moves.
  Besides the drawn relations, every entity is tied to the area of each
  report it comes from by an invisible spring (vis keeps hidden edges in the
  physics), so a report's entities gather around its area instead of
  drifting as a cloud of isolated dots.

The page works opened from disk with no network: vis-network's script from
the pyvis package is inlined with its licence header (its stylesheet is not
needed: the page styles the one vis element it uses, the tooltip); nothing is
fetched, and a Content-Security-Policy allows only the page's own two scripts
(by hash) and no requests at all.

All text taken from documents (labels, aliases, sentences) is data, never
markup: it travels as JSON inside ``<script type="application/json">`` with
``<``, ``>``, ``&``, U+2028 and U+2029 escaped, and the page only ever puts
it into the DOM as text nodes (``textContent``, ``createTextNode``; marks are
``<mark>`` elements around text nodes); vis-network draws labels on a canvas.
The same graph always gives byte-identical HTML.
"""
from __future__ import annotations

import base64
import hashlib
import html
import importlib.util
import json
import math
import os
import sys
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import networkx as nx
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS

from .namespace import ITSRDF, KG, NIF, CachedTerms

__all__ = ["render_html", "page_data", "build_nx", "headline_indicators", "view",
           "ENTITY_STYLE", "RELATION_ZH"]

# the page looks terms up hundreds of thousands of times: each is made once
DCTERMS, ITSRDF, KG, NIF, PROV, RDF, RDFS, SKOS = map(
    CachedTerms, (DCTERMS, ITSRDF, KG, NIF, PROV, RDF, RDFS, SKOS))

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
PART_ZH = {"header": "报告抬头", "review": "工作回顾", "problems": "问题与不足",
           "plan": "工作安排", "closing": "结束语"}

# Headline indicators, per report: every indicator about the report's own
# area that is stated with a growth rate (增长/下降 x%: the figures a report
# leads with), and the HEADLINE_AMOUNTS largest sums of money in the report
# (亿元, 万元, 元 … compared by kg:normalizedValue in CNY), whatever their subject.
HEADLINE_AMOUNTS = 8
HEADLINE_RULE = (f"每份报告：关于报告所辖区域、带增速的指标，"
                 f"以及报告中金额最大的 {HEADLINE_AMOUNTS} 项（亿元、万元等，换算成元后比较）")

# physics: a bigger graph settles in fewer iterations. Up to SMALL_GRAPH nodes
# 300; then 100, and past LAYOUT_BUDGET // 100 nodes as many as keep the work
# (nodes × iterations) at LAYOUT_BUDGET, never under MIN_ITERATIONS: an
# iteration costs the browser about 18 µs a node (97 reports, 13,736 nodes:
# 0.25 s each in headless chromium; settled after 100 of them in 27 s, after
# 29 in 11 s, page loading included).
# The nodes start near their report's area (see _start_positions), so a
# few iterations already show each report's cluster.
SMALL_GRAPH = 400
LAYOUT_BUDGET = 400_000
MIN_ITERATIONS = 20

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


def _int(value, default=0) -> int:
    try:
        return int(value.toPython() if isinstance(value, Literal) else value)
    except (TypeError, ValueError, ArithmeticError):
        return default


def _number(value) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except (InvalidOperation, ValueError):
        return None


def _as_written(value) -> str | None:
    if value is None:
        return None
    v = str(value)
    return v[:-2] if v.endswith(".0") else v      # 138.0 is shown as written: 138


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


def _one(g: Graph, subject, predicate):
    """The value of a property; if there are several, the same one every time."""
    values = list(g.objects(subject, predicate))
    if len(values) <= 1:
        return values[0] if values else None
    return min(values, key=lambda v: (str(v), type(v).__name__))


def _label(g: Graph, node) -> str:
    return _pick_text(g.objects(node, RDFS.label)) or _local(node)


class _Reader:
    """The parts of a graph the page shows, read once."""

    def __init__(self, g: Graph):
        self.g = g
        self.types = _entity_types(g)
        self.documents = sorted(g.subjects(RDF.type, KG.Document), key=str)
        self.doc_index = {d: i for i, d in enumerate(self.documents)}
        # sentences, numbered in document and offset order
        self._sentences: dict = {}
        self.sentence_list: list[dict] = []
        self._keys: dict = {}                   # sentence -> its sort key (asked for again and again)
        self._texts: dict = {}
        # mentions: entity -> sentence -> [(offset in sentence, text)]
        self.mentions: dict = {}
        for m, entity in g.subject_objects(ITSRDF.taIdentRef):
            if entity not in self.types:
                continue
            anchor = _pick_text(g.objects(m, NIF.anchorOf)) or ""
            for sentence in g.objects(m, NIF.sentence):
                hint = _int(_one(g, m, NIF.beginIndex), 0) - _int(_one(g, sentence, NIF.beginIndex), 0)
                self.mentions.setdefault(entity, {}).setdefault(sentence, []).append((hint, anchor))

    def sentence_key(self, s):
        key = self._keys.get(s)
        if key is None:
            key = self._keys[s] = (str(_one(self.g, s, NIF.referenceContext) or ""), _int(_one(self.g, s, NIF.beginIndex), 0), str(s))
        return key

    def sources(self, subject) -> list:
        """The sentences ``subject`` was derived from that have a text, in order."""
        out = []
        for s in sorted(set(self.g.objects(subject, PROV.wasDerivedFrom)), key=self.sentence_key):
            if self.text(s) is not None:
                out.append(s)
        return out

    def text(self, s) -> str | None:
        if s not in self._texts:
            self._texts[s] = _pick_text(self.g.objects(s, NIF.anchorOf))
        return self._texts[s]

    def doc_of(self, s) -> int:
        return self.doc_index.get(_one(self.g, s, NIF.referenceContext), -1)

    def number_sentences(self, used: set) -> None:
        """Give every sentence the page refers to its index in ``sentence_list``."""
        for s in sorted(used, key=self.sentence_key):
            self._sentences[s] = len(self.sentence_list)
            part = _one(self.g, s, KG.part)
            self.sentence_list.append({
                "text": self.text(s), "doc": self.doc_of(s),
                "part": str(part) if part is not None else "",
                "year": _int(_one(self.g, s, KG.year), 0) or None})

    def index(self, s) -> int:
        return self._sentences[s]

    def marks(self, sentence, entities) -> list[list[int]]:
        """Where the mentions of ``entities`` stand in the sentence: [[begin, end], ...],
        from the NIF offsets (mention begin minus sentence begin), checked
        against the text; overlapping marks keep the earlier, longer one."""
        text = self.text(sentence) or ""
        found = []
        for entity in entities:
            for hint, anchor in sorted(self.mentions.get(entity, {}).get(sentence, [])):
                if not anchor:
                    continue
                if text[hint:hint + len(anchor)] == anchor:
                    i = hint
                else:                       # offsets off (e.g. a normalised text): nearest match
                    i = text.find(anchor, max(0, hint - 2))
                    if i < 0:
                        i = text.find(anchor)
                if i >= 0:
                    found.append((i, -(i + len(anchor))))
        out: list[list[int]] = []
        for begin, neg_end in sorted(set(found)):
            if not out or begin >= out[-1][1]:
                out.append([begin, -neg_end])
        return out


def _indicator_row(g: Graph, ind) -> dict:
    kind = _one(g, ind, KG.kind)
    return {"metric": _pick_text(g.objects(ind, KG.metric)) or "",
            "value": _as_written(_one(g, ind, KG.value)),
            "unit": _as_written(_one(g, ind, KG.unit)),
            "year": _int(_one(g, ind, KG.year), 0) or None,
            "growth": _as_written(_one(g, ind, KG.growthPct)),
            "kind": _local(kind) if kind is not None else ""}


def _row_key(row: dict) -> tuple:
    return (-(row["year"] or 0), row["metric"], row["value"] or "", row["unit"] or "",
            row["growth"] or "", row["kind"], row.get("s", -1))


def build_nx(graph: Graph) -> nx.DiGraph:
    """The entity graph: one node per typed entity, one edge per related pair.

    Nodes are keyed by IRI string; attributes: ``iri``, ``label``, ``type``,
    ``area`` (is it a report's area), ``aliases``, ``statuses``. Edge
    attributes: ``relations`` (predicate local names, in legend order) and
    ``statements`` (relation -> its rdf:Statement IRIs). The degree of a node
    here is the size of its node on the page."""
    g = graph
    types = _entity_types(g)
    areas = set(g.objects(None, KG.area))
    G = nx.DiGraph()
    for node in sorted(types, key=str):
        label = _label(g, node)
        aliases = sorted({str(a) for a in g.objects(node, SKOS.altLabel)
                          if isinstance(a, Literal)} - {label})
        G.add_node(str(node), iri=node, label=label, type=types[node], area=node in areas,
                   aliases=aliases, statuses=sorted({_local(s) for s in g.objects(node, KG.hasStatus)}))
    statements: dict = {}
    for st in g.subjects(RDF.type, RDF.Statement):
        key = (_one(g, st, RDF.subject), _one(g, st, RDF.predicate), _one(g, st, RDF.object))
        if key[1] in _RELATIONS:
            statements.setdefault(key, []).append(st)
    for pred, rel in _RELATIONS.items():
        for s, o in g.subject_objects(pred):
            if s in types and o in types and s != o:
                if not G.has_edge(str(s), str(o)):
                    G.add_edge(str(s), str(o), relations=[], statements={})
                e = G.edges[str(s), str(o)]
                e["statements"][rel] = sorted(statements.get((s, pred, o), []), key=str)
    for s, o, e in G.edges(data=True):
        e["relations"] = [r for r in RELATION_ZH if r in e["statements"]]
    return G


def headline_indicators(graph: Graph, reader: _Reader | None = None) -> list[dict]:
    """The headline indicators of each report, as rows for the 主要指标 panel.

    Per document: every indicator about the document's ``kg:area`` stated
    with a growth rate, then the ``HEADLINE_AMOUNTS`` largest amounts of money
    (``kg:normalizedUnit "CNY"``) the document reports about anything; a
    document without an area takes every indicator with a growth rate. An
    indicator belongs to the document of the sentence it was derived from.
    Rows carry ``doc`` (index into the documents), ``subject`` (label),
    ``id`` (subject IRI) and ``s`` (source sentence index, -1 if none)."""
    r = reader or _Reader(graph)
    g = graph
    per_doc: dict[int, list] = {}
    for ind in sorted(g.subjects(RDF.type, KG.Indicator), key=str):
        srcs = r.sources(ind)
        doc = r.doc_of(srcs[0]) if srcs else -1
        per_doc.setdefault(doc, []).append((ind, srcs))
    rows = []
    for doc in sorted(per_doc):
        area = _one(g, r.documents[doc], KG.area) if doc >= 0 else None
        picked, amounts = [], []
        for ind, srcs in per_doc[doc]:
            about = _one(g, ind, KG.about)
            growth = _one(g, ind, KG.growthPct) is not None
            if growth and (area is None or about == area):
                picked.append((ind, srcs, about))
            elif str(_one(g, ind, KG.normalizedUnit) or "") == "CNY":
                amount = _number(_one(g, ind, KG.normalizedValue))
                if amount is not None:
                    amounts.append((-amount, str(ind), ind, srcs, about))
        amounts.sort()
        picked += [(ind, srcs, about) for _, _, ind, srcs, about in amounts[:HEADLINE_AMOUNTS]]
        doc_rows = []
        for ind, srcs, about in picked:
            row = _indicator_row(g, ind)
            row.update(doc=doc, id=str(about) if about is not None else "",
                       subject=_label(g, about) if about is not None else "",
                       s=r.index(srcs[0]) if srcs and reader is not None else -1,
                       area=about is not None and about == area)
            cny = str(_one(g, ind, KG.normalizedUnit) or "") == "CNY"
            amount = (_number(_one(g, ind, KG.normalizedValue)) if cny else None) or Decimal(0)
            doc_rows.append(((-(row["year"] or 0), not row["area"], row["growth"] is None, -amount,
                              row["subject"], row["metric"], row["value"] or "", str(ind)), row))
        rows.extend(row for _, row in sorted(doc_rows, key=lambda kr: kr[0]))
    return rows


# --------------------------------------------------------------------------
# the data the page draws

def _ring(areas: list[str]) -> dict[str, tuple[int, int]]:
    """The reports' areas in the middle: one at the centre, several on a small ring."""
    if len(areas) == 1:
        return {areas[0]: (0, 0)}
    radius = 120 * len(areas)
    return {n: (round(radius * math.cos(2 * math.pi * i / len(areas))),
                round(radius * math.sin(2 * math.pi * i / len(areas)))) for i, n in enumerate(areas)}


def _start_positions(nodes: list[dict], homes: dict, centre: dict) -> None:
    """Where physics starts: each entity on a spiral around its report's area
    (the middle of its reports' areas if several; the origin if none), hubs
    first. Only a start: the layout still settles in the browser, but from
    here it needs far fewer iterations. Integer pixels, so deterministic."""
    clusters: dict[tuple, list[dict]] = {}
    for node in nodes:
        if node.get("fixed"):
            continue
        home = [centre[a] for a in homes.get(node["id"], [])]
        cx = round(sum(x for x, _ in home) / len(home)) if home else 0
        cy = round(sum(y for _, y in home) / len(home)) if home else 0
        clusters.setdefault((cx, cy), []).append(node)
    for (cx, cy), members in clusters.items():
        members.sort(key=lambda m: (-m["degree"], m["id"]))
        for i, node in enumerate(members):
            radius, angle = 60 + 26 * math.sqrt(i), i * 2.399963
            node["x"] = cx + round(radius * math.cos(angle))
            node["y"] = cy + round(radius * math.sin(angle))


def _iterations(n_nodes: int) -> int:
    """How many physics iterations settle a graph of ``n_nodes`` (see LAYOUT_BUDGET)."""
    if n_nodes <= SMALL_GRAPH:
        return 300
    return max(MIN_ITERATIONS, min(100, LAYOUT_BUDGET // n_nodes))


def _options(n_nodes: int) -> dict:
    small = n_nodes <= SMALL_GRAPH
    groups = {t: {"shape": shape,
                  "color": {"background": colour, "border": "#333333",
                            "highlight": {"background": colour, "border": "#000000"},
                            "hover": {"background": colour, "border": "#000000"}}}
              for t, (_, colour, shape) in ENTITY_STYLE.items()}
    return {
        "autoResize": True,
        "groups": groups,
        "nodes": {"borderWidth": 1, "borderWidthSelected": 3,
                  "font": {"size": 14, "face": "sans-serif", "color": "#222222",
                           "strokeWidth": 3, "strokeColor": "#ffffff"},
                  "widthConstraint": {"maximum": 180}},
        "edges": {"arrows": {"to": {"enabled": True, "scaleFactor": 0.6}},
                  "color": {"color": "#9a9a9a", "highlight": "#333333", "hover": "#555555",
                            "inherit": False},
                  "width": 1.2, "selectionWidth": 1.5,
                  "smooth": {"enabled": True, "type": "continuous", "roundness": 0.5} if small
                  else False},
        "physics": {
            "enabled": True, "solver": "forceAtlas2Based",
            "forceAtlas2Based": {"gravitationalConstant": -60, "centralGravity": 0.01,
                                 "springLength": 110, "springConstant": 0.06,
                                 "damping": 0.5, "avoidOverlap": 0.2},
            "maxVelocity": 50, "minVelocity": 0.75, "timestep": 0.5,
            "stabilization": {"enabled": True, "iterations": _iterations(n_nodes),
                              "updateInterval": 25, "fit": True},
        },
        "interaction": {"hover": True, "tooltipDelay": 150, "multiselect": False,
                        "navigationButtons": False, "keyboard": False,
                        "hideEdgesOnDrag": not small},
        # a fixed seed keeps the browser's layout reproducible too
        "layout": {"randomSeed": 7, "improvedLayout": n_nodes <= 200},
    }


def _heading(g: Graph, documents: list) -> str:
    """What the page is about: the report, or how many reports."""
    if not documents:
        return ""
    if len(documents) == 1:
        d = documents[0]
        area = _one(g, d, KG.area)
        title = _pick_text(g.objects(d, DCTERMS.title)) or "政府工作报告"
        date = _one(g, d, DCTERMS.date)
        head = (_label(g, area) if area is not None else "") + title
        return head + (f"（{date}）" if date is not None else "")
    names = [_label(g, a) for a in (_one(g, d, KG.area) for d in documents) if a is not None]
    names = list(dict.fromkeys(names))
    shown = "、".join(names[:6]) + ("等" if len(names) > 6 else "")
    return f"{len(documents)} 份政府工作报告" + (f"：{shown}" if shown else "")


def page_data(graph: Graph, title: str = "kg") -> dict:
    """Everything the page shows, as JSON-ready data (deterministic order)."""
    g = graph
    r = _Reader(g)
    G = build_nx(g)

    indicators: dict = {}
    for ind in g.subjects(RDF.type, KG.Indicator):
        for about in g.objects(ind, KG.about):
            if about in r.types:
                indicators.setdefault(str(about), []).append(ind)

    # every sentence the page refers to, numbered once
    used: set = set()
    node_sources = {n: r.sources(G.nodes[n]["iri"]) for n in G.nodes}
    for srcs in node_sources.values():
        used.update(srcs)
    ind_sources = {ind: r.sources(ind) for inds in indicators.values() for ind in inds}
    for ind in g.subjects(RDF.type, KG.Indicator):
        ind_sources.setdefault(ind, r.sources(ind))
    for srcs in ind_sources.values():
        used.update(srcs[:1])
    edge_sources = {}
    for s, o, e in G.edges(data=True):
        for rel in e["relations"]:
            for st in e["statements"][rel]:
                edge_sources[st] = r.sources(st)
                used.update(edge_sources[st])
    r.number_sentences(used)

    nodes, links = [], []
    areas = [n for n in G.nodes if G.nodes[n]["area"]]
    centre = _ring(areas)
    relations = {n: [] for n in G.nodes}
    for s, o, e in sorted(G.edges(data=True)):
        for rel in e["relations"]:
            relations[s].append({"relation": rel, "dir": "out", "other": o})
            relations[o].append({"relation": rel, "dir": "in", "other": s})
    area_of_doc = {i: str(a) for i, d in enumerate(r.documents) for a in g.objects(d, KG.area)}
    homes: dict[str, list[str]] = {}
    for n in G.nodes:                       # sorted by IRI
        a = G.nodes[n]
        rows = []
        for ind in indicators.get(n, []):
            row = _indicator_row(g, ind)
            srcs = ind_sources[ind]
            row["s"] = r.index(srcs[0]) if srcs else -1
            rows.append((_row_key(row), str(ind), row))
        info = {"aliases": a["aliases"], "statuses": a["statuses"],
                "sentences": [{"s": r.index(s), "marks": r.marks(s, [a["iri"]])}
                              for s in node_sources[n]],
                "indicators": [row for _, _, row in sorted(rows, key=lambda x: x[:2])],
                "relations": relations[n]}
        deg = G.degree(n)
        node = {"id": n, "label": a["label"], "group": a["type"], "kgType": a["type"],
                "degree": deg, "size": round(10 + 5 * math.sqrt(deg), 1), "info": info}
        if n in centre:
            node.update(x=centre[n][0], y=centre[n][1], fixed=True, borderWidth=3, reportArea=True)
        nodes.append(node)
        # the invisible springs: an entity stays near the area of each report it comes from
        docs = sorted({r.sentence_list[r.index(s)]["doc"] for s in node_sources[n]} - {-1})
        homes[n] = sorted({area_of_doc[d] for d in docs if area_of_doc.get(d) in centre})
        for area in homes[n]:
            if area != n and not G.has_edge(n, area) and not G.has_edge(area, n):
                links.append([n, area])
    _start_positions(nodes, homes, centre)

    edges = []
    for i, (s, o) in enumerate(sorted(G.edges)):
        e = G.edges[s, o]
        sents = []
        for rel in e["relations"]:
            seen = set()
            for st in e["statements"][rel]:
                for sent in edge_sources[st]:
                    if sent not in seen:
                        seen.add(sent)
                        sents.append({"relation": rel, "s": r.index(sent),
                                      "marks": r.marks(sent, [G.nodes[s]["iri"], G.nodes[o]["iri"]])})
        edges.append({"id": f"e{i}", "from": s, "to": o, "relations": e["relations"],
                      "sentences": sents})

    documents = []
    for d in r.documents:
        area = _one(g, d, KG.area)
        date = _one(g, d, DCTERMS.date)
        documents.append({
            "id": str(d), "title": _pick_text(g.objects(d, DCTERMS.title)) or "政府工作报告",
            "date": str(date) if date is not None else "",
            "meeting": _pick_text(g.objects(d, KG.meeting)) or "",
            "area": str(area) if area is not None else None,
            "areaLabel": _label(g, area) if area is not None else ""})

    counts = {t: 0 for t in ENTITY_STYLE}
    for n in G.nodes:
        counts[G.nodes[n]["type"]] += 1
    heading = _heading(g, r.documents)
    return {
        "title": title if title and title != "kg" else (heading or title or "kg"),
        "heading": heading,
        "documents": documents,
        "sentences": r.sentence_list,
        "nodes": nodes,
        "edges": edges,
        "links": links,
        "headline": headline_indicators(g, r),
        "headlineRule": HEADLINE_RULE,
        "options": _options(len(nodes)),
        "types": {t: ENTITY_STYLE[t][0] for t in ENTITY_STYLE},
        "counts": {t: c for t, c in counts.items() if c},
        "relationsZh": RELATION_ZH, "statusZh": STATUS_ZH, "kindZh": KIND_ZH, "partZh": PART_ZH,
    }


# --------------------------------------------------------------------------
# the page

@lru_cache(maxsize=1)
def _vis_js() -> str:
    spec = importlib.util.find_spec("pyvis")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("pyvis is not installed")
    lib = Path(list(spec.submodule_search_locations)[0]) / "lib" / f"vis-{VIS_VERSION}"
    js = (lib / "vis-network.min.js").read_text(encoding="utf-8")
    # inlined verbatim, so it must not be able to close its element
    if "</script" in js.lower() or "<!--" in js:
        raise RuntimeError("vis-network.min.js cannot be inlined safely")
    return js


def _json_for_script(data) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _csp_hash(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


_APP_JS = r"""
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("kg-data").textContent);
  function $(id) { return document.getElementById(id); }
  var status = $("kg-status"), panel = $("kg-panel");
  var RELZH = data.relationsZh, STATUSZH = data.statusZh, KINDZH = data.kindZh,
      PARTZH = data.partZh, TYPEZH = data.types, SENT = data.sentences, DOCS = data.documents;

  function el(tag, text, cls) {          // every document text goes in as text, never markup
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  function ready() {
    window.kgSettledMs = performance.now();
    status.textContent = "";
    document.body.setAttribute("data-kg-ready", "1");
  }
  function docName(i) {
    var d = DOCS[i]; if (!d) { return ""; }
    return (d.areaLabel || "") + d.title + (d.date ? "（" + d.date + "）" : "");
  }
  function relZh(r) { return RELZH[r] || r; }

  // ---- nodes and edges for vis (the panel data stays here)
  var byId = {}, edgeById = {}, adj = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; adj[n.id] = []; });
  data.edges.forEach(function (e) {
    edgeById[e.id] = e;
    adj[e.from].push(e.to); adj[e.to].push(e.from);
  });
  function nodeTip(n) {
    var i = n.info, lines = [n.label, "类型：" + (TYPEZH[n.kgType] || n.kgType)];
    if (n.reportArea) { lines.push("本报告所辖区域"); }
    if (i.aliases.length) { lines.push("别名：" + i.aliases.join("、")); }
    if (i.statuses.length) { lines.push("状态：" + i.statuses.map(function (s) { return STATUSZH[s] || s; }).join("、")); }
    lines.push(i.relations.length + " 条关系 · " + i.indicators.length + " 项指标 · " + i.sentences.length + " 句来源");
    lines.push("点击查看详情");
    return el("div", lines.join("\n"), "kg-tip");
  }
  var nodes = data.nodes.map(function (n) {
    var o = Object.assign({}, n);
    delete o.info;
    o.title = nodeTip(n);
    return o;
  });
  var edges = data.edges.map(function (e) {
    return {id: e.id, from: e.from, to: e.to, title: el("div",
      byId[e.from].label + " → " + byId[e.to].label + "\n" + e.relations.map(relZh).join("、") + "\n点击查看来源句", "kg-tip")};
  });
  // invisible springs: drawn nowhere, but they keep each report's entities together
  var links = data.links.map(function (l, i) {
    return {id: "l" + i, from: l[0], to: l[1], hidden: true, length: 260,
            physics: true, arrows: {to: {enabled: false}}};
  });
  window.kgData = {nodes: data.nodes.length, edges: data.edges.length};
  if (nodes.length === 0) { status.textContent = "图中没有实体"; ready(); return; }

  var nodeSet = new vis.DataSet(nodes), edgeSet = new vis.DataSet(edges.concat(links));
  var network = new vis.Network($("kg-network"), {nodes: nodeSet, edges: edgeSet}, data.options);
  window.kgNetwork = network;
  window.kgNodes = nodeSet;
  window.kgEdges = edgeSet;
  status.textContent = "布局中…";
  network.on("stabilizationProgress", function (p) {
    status.textContent = "布局中… " + Math.round(100 * p.iterations / p.total) + "%";
  });
  network.once("stabilizationIterationsDone", function () {
    network.setOptions({physics: false});        // the layout settles, then stays still
    ready();
  });

  // ---- highlight: the chosen nodes bright, the rest faded
  var lit = null;
  function highlight(ids) {
    var keep = null;
    if (ids) { keep = {}; ids.forEach(function (i) { keep[i] = true; }); }
    if (!keep && !lit) { return; }
    lit = keep;
    nodeSet.update(data.nodes.map(function (n) {
      var on = !keep || keep[n.id];
      return {id: n.id, opacity: on ? 1 : 0.15, font: {color: on ? "#222222" : "#c8c8c8"}};
    }));
    edgeSet.update(data.edges.map(function (e) {
      return {id: e.id, color: {opacity: !keep || (keep[e.from] && keep[e.to]) ? 1 : 0.1}};
    }));
  }

  // ---- side panel
  function clear() {
    panel.textContent = "";
    panel.hidden = false;
    panel.scrollTop = 0;
    var close = el("button", "×", "kg-close");
    close.title = "关闭";
    close.addEventListener("click", closePanel);
    panel.appendChild(close);
  }
  function closePanel() { panel.hidden = true; network.unselectAll(); highlight(null); }
  function section(title) { var s = el("section"); s.appendChild(el("h3", title)); panel.appendChild(s); return s; }
  function marked(text, marks) {                   // text nodes and <mark> elements, never markup
    var p = el("p", null, "kg-sentence"), at = 0;
    (marks || []).forEach(function (m) {
      if (m[0] < at || m[1] > text.length) { return; }
      p.appendChild(document.createTextNode(text.slice(at, m[0])));
      p.appendChild(el("mark", text.slice(m[0], m[1])));
      at = m[1];
    });
    p.appendChild(document.createTextNode(text.slice(at)));
    return p;
  }
  function caption(s) {
    var parts = [];
    if (DOCS.length > 1 && s.doc >= 0) { parts.push(docName(s.doc)); }
    if (s.part) { parts.push(PARTZH[s.part] || s.part); }
    if (s.year) { parts.push(s.year + "年"); }
    return el("div", parts.join(" · "), "kg-caption");
  }
  function sentenceBlock(ref, extra) {
    var s = SENT[ref.s], box = el("div", null, "kg-source");
    box.appendChild(caption(s));
    if (extra) { box.appendChild(el("div", extra, "kg-caption")); }
    box.appendChild(marked(s.text, ref.marks));
    return box;
  }
  function cell(v) { return el("td", v === null || v === undefined ? "" : v); }
  function indicatorTables(rows) {                   // one small table per year
    var box = el("div"), years = [];
    rows.forEach(function (r) { var y = r.year || 0; if (years.indexOf(y) < 0) { years.push(y); } });
    years.forEach(function (y) {
      var table = el("table", null, "kg-table"), head = el("tr");
      table.appendChild(el("caption", y ? y + " 年" : "年份未知"));
      ["指标", "数值", "单位", "年份", "增长%", "类别"].forEach(function (h) { head.appendChild(el("th", h)); });
      table.appendChild(head);
      rows.filter(function (r) { return (r.year || 0) === y; }).forEach(function (r) {
        var tr = el("tr");
        [r.metric, r.value, r.unit, r.year, r.growth, KINDZH[r.kind] || r.kind].forEach(function (v) { tr.appendChild(cell(v)); });
        if (r.s >= 0) { tr.title = SENT[r.s].text; }
        table.appendChild(tr);
      });
      box.appendChild(table);
    });
    return box;
  }
  function link(id, text) {
    var b = el("button", text, "kg-link");
    b.type = "button";
    b.addEventListener("click", function () { select(id, true); });
    return b;
  }
  function openNode(id) {
    var n = byId[id]; if (!n) { return; }
    var info = n.info;
    clear();
    panel.setAttribute("data-node", id);
    panel.appendChild(el("h2", n.label));
    panel.appendChild(el("div", (TYPEZH[n.kgType] || n.kgType) + "（" + n.kgType + "）" +
      (n.reportArea ? " · 本报告所辖区域" : ""), "kg-type"));
    if (DOCS.length > 1) {
      var docs = [];
      info.sentences.forEach(function (r) { var d = SENT[r.s].doc; if (d >= 0 && docs.indexOf(d) < 0) { docs.push(d); } });
      if (docs.length) { section("出自").appendChild(el("p", docs.map(docName).join("；"))); }
    }
    if (info.aliases.length) { section("别名").appendChild(el("p", info.aliases.join("、"))); }
    if (info.statuses.length) {
      section("状态").appendChild(el("p", info.statuses.map(function (s) { return (STATUSZH[s] || s) + "（" + s + "）"; }).join("、")));
    }
    if (info.relations.length) {
      var ul = el("ul", null, "kg-relations");
      info.relations.forEach(function (r) {
        var other = byId[r.other], li = el("li");
        li.appendChild(el("span", r.dir === "out" ? relZh(r.relation) + " → " : "← " + relZh(r.relation) + " ", "kg-rel"));
        li.appendChild(link(r.other, other ? other.label : r.other));
        ul.appendChild(li);
      });
      section("关系（" + info.relations.length + "）").appendChild(ul);
    }
    if (info.indicators.length) {
      section("指标（" + info.indicators.length + "）").appendChild(indicatorTables(info.indicators));
    }
    var src = section("来源句（" + info.sentences.length + "）");
    info.sentences.forEach(function (r) { src.appendChild(sentenceBlock(r)); });
  }
  function openEdge(id) {
    var e = edgeById[id]; if (!e) { return; }
    clear();
    panel.setAttribute("data-edge", id);
    var h = el("h2");
    h.appendChild(link(e.from, byId[e.from].label));
    h.appendChild(document.createTextNode(" → "));
    h.appendChild(link(e.to, byId[e.to].label));
    panel.appendChild(h);
    panel.appendChild(el("div", e.relations.map(function (r) { return relZh(r) + "（" + r + "）"; }).join("、"), "kg-type"));
    var src = section("来源句（" + e.sentences.length + "）");
    e.sentences.forEach(function (r) { src.appendChild(sentenceBlock(r, relZh(r.relation))); });
    if (!e.sentences.length) { src.appendChild(el("p", "（没有记录来源句）")); }
    network.selectEdges([id]);
    highlight([e.from, e.to]);
  }
  function select(id, focus) {
    var n = byId[id]; if (!n) { return; }
    if (hidden[n.kgType]) { setHidden(n.kgType, false); }
    var ids = [id].concat(adj[id]);
    network.selectNodes(ids);
    highlight(ids);
    if (focus) { network.focus(id, {scale: Math.max(network.getScale(), 1.0), animation: {duration: 300}}); }
    openNode(id);
  }
  network.on("click", function (p) {
    if (p.nodes.length) { select(p.nodes[0], false); }
    else if (p.edges.length) { openEdge(p.edges[0]); }
    else { closePanel(); }
  });
  window.kgSelect = function (id) { select(id, true); };
  window.kgOpenEdge = openEdge;

  // ---- legend as a filter
  var hidden = {};
  function setHidden(t, hide) {
    hidden[t] = hide;
    var li = document.querySelector('#kg-legend li[data-type="' + t + '"]');
    if (li) { li.classList.toggle("kg-off", hide); li.setAttribute("aria-pressed", hide ? "false" : "true"); }
    nodeSet.update(data.nodes.filter(function (n) { return n.kgType === t; })
      .map(function (n) { return {id: n.id, hidden: hide}; }));
  }
  Array.prototype.forEach.call(document.querySelectorAll("#kg-legend li[data-type]"), function (li) {
    var t = li.getAttribute("data-type");
    function toggle() { setHidden(t, !hidden[t]); }
    li.addEventListener("click", toggle);
    li.addEventListener("keydown", function (ev) { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); toggle(); } });
  });

  // ---- search by name or alias
  var search = $("kg-search"), names = {}, list = $("kg-names");
  data.nodes.forEach(function (n) { [n.label].concat(n.info.aliases).forEach(function (x) { names[x] = true; }); });
  Object.keys(names).sort().forEach(function (x) { var o = document.createElement("option"); o.value = x; list.appendChild(o); });
  function find(q) {
    var exact = [], part = [];
    data.nodes.forEach(function (n) {
      var all = [n.label].concat(n.info.aliases);
      if (all.indexOf(q) >= 0) { exact.push(n); }
      else if (all.some(function (x) { return x.indexOf(q) >= 0; })) { part.push(n); }
    });
    function byDegree(a, b) { return b.degree - a.degree || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0); }
    return exact.sort(byDegree).concat(part.sort(byDegree));
  }
  var last = {q: null, i: 0};
  function run() {
    var q = search.value.trim(); if (!q) { return; }
    var hit = find(q);
    if (!hit.length) { status.textContent = "未找到：" + q; return; }
    last.i = last.q === q ? (last.i + 1) % hit.length : 0;
    last.q = q;
    status.textContent = hit.length > 1 ? ("找到 " + hit.length + " 个（第 " + (last.i + 1) + " 个，回车看下一个）") : "";
    select(hit[last.i].id, true);
  }
  search.addEventListener("keydown", function (ev) {   // Enter that confirms an IME candidate is not a search
    if (ev.key === "Enter" && !ev.isComposing && ev.keyCode !== 229) { ev.preventDefault(); run(); }
  });
  search.addEventListener("input", function (ev) {   // a pick from the suggestions
    if ((ev.inputType === undefined || ev.inputType === "insertReplacementText") && names[search.value]) { run(); }
  });

  // ---- headline indicators, per report
  var headline = $("kg-headline"), toggle = $("kg-headline-toggle");
  toggle.addEventListener("click", function () {
    headline.hidden = !headline.hidden;
    toggle.setAttribute("aria-expanded", headline.hidden ? "false" : "true");
  });
  var close = el("button", "×", "kg-close");
  close.title = "关闭";
  close.addEventListener("click", function () { headline.hidden = true; toggle.setAttribute("aria-expanded", "false"); });
  headline.insertBefore(close, headline.firstChild);
  headline.appendChild(el("p", data.headlineRule, "kg-caption"));
  if (!data.headline.length) { headline.appendChild(el("p", "没有符合条件的指标")); }
  var doc = null, table = null;
  data.headline.forEach(function (r) {
    if (r.doc !== doc || !table) {
      doc = r.doc;
      if (DOCS.length > 1 || !DOCS.length) { headline.appendChild(el("h3", r.doc >= 0 ? docName(r.doc) : "其他")); }
      table = el("table", null, "kg-table");
      var head = el("tr");
      ["主体", "指标", "数值", "单位", "年份", "增长%", "类别"].forEach(function (h) { head.appendChild(el("th", h)); });
      table.appendChild(head);
      headline.appendChild(table);
    }
    var tr = el("tr"), who = el("td");
    who.appendChild(byId[r.id] ? link(r.id, r.subject) : el("span", r.subject));
    tr.appendChild(who);
    [r.metric, r.value, r.unit, r.year, r.growth, KINDZH[r.kind] || r.kind].forEach(function (v) { tr.appendChild(cell(v)); });
    if (r.s >= 0) { tr.title = SENT[r.s].text; }
    table.appendChild(tr);
  });
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
  overflow: hidden; text-overflow: ellipsis; min-width: 0; }
#kg-header .kg-stats { color: #666; font-size: 13px; white-space: nowrap; }
#kg-status { color: #b05a00; font-size: 13px; white-space: nowrap; }
#kg-search { margin-left: auto; font: inherit; font-size: 13px; padding: 4px 8px;
  border: 1px solid #ccc; border-radius: 4px; width: 200px; flex: none; }
#kg-network { position: absolute; top: 44px; left: 0; right: 0; bottom: 0; outline: none; }
#kg-legend { position: absolute; top: 56px; left: 12px; z-index: 2; background: rgba(255,255,255,.93);
  border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; font-size: 13px; }
#kg-legend h2 { font-size: 13px; margin: 0 0 6px; font-weight: 600; }
#kg-legend ul { list-style: none; margin: 0; padding: 0; }
#kg-legend li { display: flex; align-items: center; gap: 8px; line-height: 22px; }
#kg-legend li[data-type] { cursor: pointer; user-select: none; }
#kg-legend li[data-type]:hover span:nth-child(2) { text-decoration: underline; }
#kg-legend li.kg-off { opacity: .35; text-decoration: line-through; }
#kg-legend .kg-count { margin-left: auto; padding-left: 12px; color: #666;
  font-variant-numeric: tabular-nums; }
#kg-legend .kg-hint { color: #888; font-size: 12px; margin: 6px 0 0; }
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
.kg-swatch.kg-area { border: 3px solid #333; border-radius: 2px; background: #fff; }
div.vis-tooltip { position: absolute; visibility: hidden; padding: 6px 8px; white-space: normal;
  font-family: inherit; font-size: 13px; color: #000; background: #fffef5;
  border: 1px solid #999; border-radius: 4px; box-shadow: 2px 2px 8px rgba(0,0,0,.15);
  pointer-events: none; max-width: 440px; z-index: 5; }
.kg-tip { white-space: pre-wrap; line-height: 1.5; word-break: break-word; }
#kg-panel { position: absolute; top: 56px; right: 12px; max-height: calc(100% - 68px); width: 440px; max-width: 45vw;
  z-index: 3; overflow: auto; background: #fff; border: 1px solid #ddd; border-radius: 6px;
  padding: 10px 14px; font-size: 13px; line-height: 1.5; box-shadow: 0 2px 8px rgba(0,0,0,.08);
  box-sizing: border-box; }
#kg-panel h2 { font-size: 17px; margin: 2px 24px 2px 0; word-break: break-all; }
#kg-panel h2 .kg-link { font-size: 17px; font-weight: 600; }
#kg-panel h3, #kg-headline h3 { font-size: 13px; margin: 12px 0 4px; color: #555; }
#kg-panel .kg-type { color: #666; }
#kg-panel ul { margin: 0; padding-left: 18px; }
#kg-panel p { margin: 2px 0; }
.kg-close { position: absolute; top: 6px; right: 8px; border: 0; background: none;
  font-size: 20px; cursor: pointer; color: #666; }
.kg-link { border: 0; background: none; padding: 0; color: #1f5fa8; cursor: pointer;
  font: inherit; text-align: left; }
.kg-link:hover { text-decoration: underline; }
.kg-rel { color: #666; }
.kg-source { margin: 4px 0 10px; }
.kg-caption { color: #888; font-size: 12px; }
.kg-sentence { margin: 0; white-space: pre-wrap; word-break: break-word; }
.kg-sentence mark { background: #ffe08a; padding: 0 1px; }
.kg-table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums;
  margin-bottom: 6px; }
.kg-table caption { text-align: left; color: #555; font-weight: 600; padding: 2px 0; }
.kg-table th, .kg-table td { border-bottom: 1px solid #eee; padding: 2px 8px 2px 0;
  text-align: left; vertical-align: top; }
.kg-table th { color: #555; font-weight: 600; white-space: nowrap; }
.kg-table td:not(:first-child) { white-space: nowrap; }
#kg-headline-toggle { font: inherit; font-size: 13px; padding: 3px 8px; border: 1px solid #ccc;
  border-radius: 4px; background: #fff; cursor: pointer; white-space: nowrap; flex: none; }
#kg-headline { position: absolute; left: 12px; bottom: 12px; z-index: 3; width: 640px;
  max-width: calc(100vw - 500px); min-width: 320px; max-height: 45%; overflow: auto;
  background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px;
  font-size: 13px; box-sizing: border-box; }
#kg-headline h2 { font-size: 15px; margin: 0 24px 4px 0; }
"""


def _legend(counts: dict[str, int], with_area: bool) -> str:
    items = []
    for etype, (zh, colour, shape) in ENTITY_STYLE.items():
        if etype not in counts:
            continue
        items.append(
            f'<li data-type="{etype}" tabindex="0" role="button" aria-pressed="true" '
            f'title="点击隐藏或显示"><span class="kg-swatch kg-shape-{shape}" '
            f'style="background:{colour}"></span><span>{html.escape(zh)}</span>'
            f'<span class="kg-count">{counts[etype]}</span></li>')
    body = "\n".join(items) if items else "<li>（无）</li>"
    hint = '<p class="kg-hint">点击类型：隐藏/显示</p>' if items else ""
    if with_area:
        hint += '<p class="kg-hint"><span class="kg-swatch kg-area"></span> 粗框：报告所辖区域</p>'
    return f'<div id="kg-legend"><h2>实体类型</h2><ul>\n{body}\n</ul>{hint}</div>'


def render_html(graph: Graph, title: str = "kg") -> str:
    """Render ``graph`` (in the shape of ontology/README.md) as one HTML page.

    ``title`` names the page; the default ``"kg"`` is replaced by what the
    graph is about (the report's area, title and date, or the number of
    reports). See the module docstring for what the page does."""
    data = page_data(graph, title)
    vis_js = _vis_js()
    app_js = _APP_JS
    csp = ("default-src 'none'; "
           f"script-src {_csp_hash(vis_js)} {_csp_hash(app_js)}; "
           "style-src 'unsafe-inline'; img-src data:; "
           "base-uri 'none'; form-action 'none'")
    t = html.escape(data["title"], quote=True)
    stats = f"{len(data['nodes'])} 个实体 · {len(data['edges'])} 条关系"
    if len(data["documents"]) > 1:
        stats = f"{len(data['documents'])} 份报告 · " + stats
    return (
        "<!DOCTYPE html>\n"
        '<html lang="zh">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{t}</title>\n"
        f"<style>{_PAGE_CSS}</style>\n"
        "</head>\n<body>\n"
        f'<div id="kg-header"><h1 title="{t}">{t}</h1><span class="kg-stats">{stats}</span>'
        '<span id="kg-status" role="status"></span>'
        '<button id="kg-headline-toggle" type="button" aria-expanded="false" '
        'aria-controls="kg-headline">主要指标</button>'
        '<input id="kg-search" type="search" list="kg-names" placeholder="查找实体或别名…" '
        'autocomplete="off" aria-label="查找实体或别名"><datalist id="kg-names"></datalist>'
        "</div>\n"
        '<div id="kg-network"></div>\n'
        f"{_legend(data['counts'], any(n.get('reportArea') for n in data['nodes']))}\n"
        '<div id="kg-panel" hidden></div>\n'
        '<div id="kg-headline" hidden><h2>主要指标</h2></div>\n'
        f'<script type="application/json" id="kg-data">{_json_for_script(data)}</script>\n'
        f"<script>{vis_js}</script>\n"
        f"<script>{app_js}</script>\n"
        "</body>\n</html>\n"
    )


def view(page: Path) -> str:
    """Open a built page in the user's browser; say where it is when there is none.

    Never raises for want of a browser: without a screen (no DISPLAY or
    WAYLAND_DISPLAY, outside macOS and Windows) it only returns the path, since
    ``webbrowser`` would start a text browser in this terminal; if opening
    fails in any way it returns the path too."""
    page = Path(page)
    if not page.is_file():
        from .errors import KgError
        raise KgError(f"{page}: no such page; run `kg build` first.")
    uri = page.resolve().as_uri()
    graphical = (sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY"))
                 or bool(os.environ.get("WAYLAND_DISPLAY")))
    opened = False
    if graphical:
        try:
            import webbrowser
            opened = bool(webbrowser.open(uri))
        except Exception:                 # no usable browser: fall back to the path
            opened = False
    return f"opened {uri}" if opened else f"no browser here; open {page.resolve()} in one"
