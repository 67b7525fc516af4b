"""The embedded store: one named graph per document, added or replaced by each build."""
from __future__ import annotations

import shutil

from click.testing import CliRunner
from rdflib import Dataset, URIRef, Variable

from kg.build import build_graph
from kg.cli import cli
from kg.query import resolve_query
from kg.store import query, store_dir

from conftest import CORPUS, SEED

SEED_DOC = URIRef("https://w3id.org/govkg/id/doc/000_422bfd801309c4b5")
DOCS = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"


def _graphs(out) -> list[str]:
    return [str(row[Variable("g")]) for row in query(out / "graph.ttl", DOCS).bindings]


def test_each_document_is_its_own_named_graph_and_builds_add_up(tmp_path):
    out = tmp_path / "out"
    build_graph([SEED], out, html=False)
    assert _graphs(out) == [str(SEED_DOC)]
    other = CORPUS / "10_gaoyangxian_2018.txt"
    build_graph([other], out, html=False)                   # added, the seed stays
    assert len(_graphs(out)) == 2
    assert "闫向阳" in (out / "graph.ttl").read_text(encoding="utf-8")
    assert "蔡刚" in (out / "graph.ttl").read_text(encoding="utf-8")
    build_graph([SEED], out, html=False)                    # replaced, not doubled
    assert len(_graphs(out)) == 2
    build_graph([SEED], out, html=False, rebuild=True)      # afresh
    assert _graphs(out) == [str(SEED_DOC)]


def test_rebuilding_one_report_gives_the_same_files(tmp_path):
    out = tmp_path / "out"
    build_graph([SEED], out)
    first = (out / "graph.ttl").read_bytes()
    build_graph([SEED], out)
    assert (out / "graph.ttl").read_bytes() == first


def test_a_missing_or_stale_store_is_rebuilt_from_the_turtle(tmp_path):
    out = tmp_path / "out"
    build_graph([SEED], out, html=False)
    shutil.rmtree(store_dir(out))
    rows = query(out / "graph.ttl", "SELECT ?l WHERE { ?e a kg:Village ; rdfs:label ?l } ORDER BY ?l").bindings
    assert "梅林村" in [str(r[Variable("l")]) for r in rows]
    text = (out / "graph.ttl").read_text(encoding="utf-8").replace('"梅林村"@zh', '"梅林村（改）"@zh')
    (out / "graph.ttl").write_text(text, encoding="utf-8")            # the Turtle changed: stale
    rows = query(out / "graph.ttl", "SELECT ?l WHERE { ?e a kg:Village ; rdfs:label ?l } ORDER BY ?l").bindings
    assert "梅林村（改）" in [str(r[Variable("l")]) for r in rows]


def test_nquads_and_trig_keep_the_named_graphs(tmp_path):
    out = tmp_path / "out"
    build_graph([SEED, CORPUS / "10_gaoyangxian_2018.txt"], out, html=False)
    for fmt, parser in (("nq", "nquads"), ("trig", "trig")):
        target = tmp_path / f"g.{fmt}"
        result = CliRunner().invoke(cli, ["export", "--graph", str(out / "graph.ttl"), "--format", fmt, "-o", str(target)])
        assert result.exit_code == 0, result.output
        ds = Dataset()
        ds.parse(target, format=parser)
        names = {str(g.identifier) for g in ds.graphs() if len(g)}
        assert str(SEED_DOC) in names and len(names - {str(ds.default_graph.identifier)}) == 2


def test_the_default_graph_is_the_merge_each_triple_once(tmp_path):
    """An area two reports name (two districts of 保定市 share 河北省) is counted once, not once per report."""
    out = tmp_path / "out"
    build_graph([CORPUS / "02_manchengqu_2023.txt", CORPUS / "03_xushuiqu_2024.txt"], out, html=False)
    shared = query(out / "graph.ttl", """SELECT ?e WHERE {
        GRAPH ?a { ?e a ?t } GRAPH ?b { ?e a ?t } FILTER (STR(?a) < STR(?b)) }""").bindings
    assert shared, "the two reports share no entity: pick another pair"
    every = query(out / "graph.ttl", "SELECT ?e ?t WHERE { ?e a ?t }").bindings
    distinct = query(out / "graph.ttl", "SELECT DISTINCT ?e ?t WHERE { ?e a ?t }").bindings
    assert len(every) == len(distinct)


def test_a_store_rebuilt_from_the_turtle_gets_its_documents_back(tmp_path):
    out = tmp_path / "out"
    build_graph([SEED, CORPUS / "10_gaoyangxian_2018.txt"], out, html=False)
    per_doc = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
    before = [(str(r[Variable("g")]), int(r[Variable("n")])) for r in query(out / "graph.ttl", per_doc).bindings]
    shutil.rmtree(store_dir(out))
    after = [(str(r[Variable("g")]), int(r[Variable("n")])) for r in query(out / "graph.ttl", per_doc).bindings]
    assert [g for g, _ in after] == [g for g, _ in before] and len(after) == 2
    # an alias one report gave a shared entity is then counted for both: within a few triples
    assert all(abs(a - b) <= max(5, b // 100) for (_, a), (_, b) in zip(after, before))


# -- named queries on the store ----------------------------------------------------

def _cells(result) -> list[tuple]:
    """Rows as text; the store writes a decimal as its value (138), Turtle as kg wrote it (138.0)."""
    import re
    from decimal import Decimal, InvalidOperation

    def cell(value):
        if value is None:
            return ""
        try:
            return str(Decimal(str(value)).normalize())
        except InvalidOperation:
            return re.sub(r"(\d)\.0(?!\d)", r"\1", str(value))
    return [tuple(cell(row.get(v)) for v in result.vars) for row in result.bindings]


def test_evidence_of_an_entity_is_the_sentences_behind_it(seed_build):
    """The entity is looked up by its name first (the query once scanned every
    label and joined everything else before it: seconds on the seed, minutes
    on a province), and its sentences, relations and offsets come back."""
    import time
    from kg.query import resolve_query
    _, out = seed_build
    query(out / "graph.ttl", "ASK { ?s ?p ?o }")                       # the store opened once
    started = time.perf_counter()
    rows = query(out / "graph.ttl", resolve_query("evidence", {"name": "金牛研磨"})).bindings
    seconds = time.perf_counter() - started
    kinds = [str(r[Variable("kind")]) for r in rows]
    assert kinds.count("entity") >= 3 and "relation" in kinds
    for row in rows:
        text = str(row[Variable("text")])
        assert "金牛研磨" in text                                       # each sentence names it
        assert int(row[Variable("end")]) - int(row[Variable("begin")]) == len(text)
    assert seconds < 0.5, f"evidence took {seconds:.2f} s on the seed: is the entity still found first?"
    # an alias finds the same entity; an unknown name finds nothing
    alias = query(out / "graph.ttl", resolve_query("entity", {"name": "常州"})).bindings
    assert {str(r[Variable("entity")]) for r in alias} == {"https://w3id.org/govkg/id/江苏省/常州市"}
    assert not query(out / "graph.ttl", resolve_query("evidence", {"name": "没有这个名字"})).bindings


def test_every_named_query_gives_rdflibs_rows_in_rdflibs_order(seed_build):
    """kg runs a query's ORDER BY itself (kg.query.order_plan) and the queries are
    written for the store's planner: the same rows, in the same order, as
    rdflib's own engine gives on the same graph."""
    from rdflib import Graph
    from kg.query import _header, list_queries, resolve_query, run_query
    _, out = seed_build
    local = Graph().parse(out / "graph.ttl", format="turtle")
    for params in ({"name": "西夏墅镇", "year": "2022"}, {"name": "西夏墅镇商会"}):
        for name, _ in list_queries():
            declared = {p for p, _ in _header(resolve_query(name, require=False))[1]}
            text = resolve_query(name, {k: v for k, v in params.items() if k in declared})
            here = _cells(query(out / "graph.ttl", text))
            assert here, name
            assert here == _cells(run_query(local, text)), name


def test_kg_sorts_as_the_store_would(seed_build):
    """Where kg sorts the rows of an ORDER BY itself, the order is the store's."""
    import pyoxigraph as ox
    from kg.store import open_store, prefixes
    _, out = seed_build
    store = open_store(out / "graph.ttl")
    for text in ("SELECT ?e ?l WHERE { ?e rdfs:label ?l } ORDER BY DESC(STR(?l)) ?e",
                 "SELECT ?b ?s WHERE { ?s nif:beginIndex ?b } ORDER BY DESC(?b + 1) ?s",
                 "SELECT ?v ?s WHERE { ?s kg:value ?v } ORDER BY ?v ?s",
                 "SELECT ?t (COUNT(*) AS ?n) WHERE { ?e a ?t } GROUP BY ?t ORDER BY DESC(?n) ?t",
                 "SELECT ?o WHERE { ?s kg:year|kg:part ?o } ORDER BY ?o"):    # mixed: the store sorts
        direct = [tuple(t.value if t is not None else None for t in solution)
                  for solution in store.query(text, prefixes=prefixes())]
        mine = [tuple(str(row[v]) if v in row else None for v in result.vars)
                for result in [query(out / "graph.ttl", text)] for row in result.bindings]
        assert mine == direct, text


def test_built_in_one_go_or_report_by_report_the_files_and_store_agree(tmp_path):
    """Three ways to one graph: a first build (merge made in memory, store
    bulk-loaded), reports added one at a time (merge read from the store), and
    the same reports built again (every document replaced: loaded afresh)."""
    other = CORPUS / "10_gaoyangxian_2018.txt"
    build_graph([SEED, other], tmp_path / "once", jobs=2)
    build_graph([SEED], tmp_path / "steps", html=False)
    build_graph([other], tmp_path / "steps")
    once = (tmp_path / "once" / "graph.ttl").read_bytes()
    assert (tmp_path / "steps" / "graph.ttl").read_bytes() == once
    assert _graphs(tmp_path / "steps") == _graphs(tmp_path / "once")
    build_graph([other, SEED], tmp_path / "steps")
    assert (tmp_path / "steps" / "graph.ttl").read_bytes() == once
    assert (tmp_path / "steps" / "graph.html").read_bytes() == (tmp_path / "once" / "graph.html").read_bytes()
    assert len(_graphs(tmp_path / "steps")) == 2


def test_a_store_loaded_in_many_batches_is_compacted_and_answers_the_same(tmp_path, monkeypatch):
    """Each bulk load leaves table files of its own (queries then read them
    all); a store that took several is compacted, and answers as before."""
    from kg import store
    reports = [SEED, CORPUS / "10_gaoyangxian_2018.txt"]
    build_graph(reports, tmp_path / "whole", html=False)
    monkeypatch.setattr(store._BulkLoader, "BATCH", 1 << 16)    # a load per report
    monkeypatch.setattr(store, "COMPACT_AFTER", 2)
    files = []                                   # (loads, table files) before and after compacting
    compact = store._BulkLoader._compact

    def tables() -> int:
        return len(list(store_dir(tmp_path / "batched").glob("*.sst")))

    def counted(self):
        files.append((self.loads, tables()))
        compact(self)
        files.append((self.loads, tables()))
    monkeypatch.setattr(store._BulkLoader, "_compact", counted)
    build_graph(reports, tmp_path / "batched", html=False, jobs=2)
    (loads, before), (_, after) = files
    assert loads == 2 and after < before
    for name in ("types", "projects-by-status", "headline-indicators"):
        rows = [query(tmp_path / out / "graph.ttl", resolve_query(name)).bindings for out in ("whole", "batched")]
        assert rows[0] and rows[0] == rows[1], name
