"""kg.query, kg.export and kg.stats on a small graph in the shape of ontology/README.md."""
from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import networkx as nx
import pytest
import rdflib
from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.compare import isomorphic

from kg import query as kq
from kg.errors import KgError
from kg.export import FORMATS, entity_graph, export
from kg.query import format_result, list_queries, resolve_query, run_query, text_width
from kg.stats import format_stats, graph_stats

ID = "https://w3id.org/govkg/id/"
AREA = ID + "江苏省/常州市/新北区/西夏墅镇"
DOC = ID + "doc/000_422bfd801309c4b5"
HOSTILE = 'Evil "quote" \\ <script>alert(1)</script>\nline2'
HOSTILE_IRI = AREA + "/Enterprise/Evil%20%22quote%22%20%5C%20%3Cscript%3Ealert(1)%3C%2Fscript%3E%0Aline2"

TTL = textwrap.dedent(f"""\
    @prefix kg: <https://w3id.org/govkg/ontology#> .
    @prefix nif: <http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#> .
    @prefix itsrdf: <http://www.w3.org/2005/11/its/rdf#> .
    @prefix prov: <http://www.w3.org/ns/prov#> .
    @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
    @prefix dcterms: <http://purl.org/dc/terms/> .
    @prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
    @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    @prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

    <{DOC}> a kg:Document, nif:Context ;
        dcterms:title "政府工作报告"@zh ;
        dcterms:date "2023-01-06"^^xsd:date ;
        dcterms:source "000_422bfd801309c4b5.txt" ;
        kg:meeting "西夏墅镇第五届人民代表大会第三次会议"@zh ;
        kg:speaker <{AREA}/Person/蔡刚> ;
        kg:area <{AREA}> ;
        kg:reviewYear 2022 ; kg:planYear 2023 .

    <{DOC}#char=388,432> a nif:Sentence ;
        nif:anchorOf "全年预计实现地区生产总值80.57亿元，同比增长6.5%"@zh ;
        nif:beginIndex 388 ; nif:endIndex 432 ;
        nif:referenceContext <{DOC}> ;
        kg:part "review" ;
        kg:year 2022 .

    <{AREA}> a kg:AdministrativeArea ;
        rdfs:label "西夏墅镇"@zh ;
        prov:wasDerivedFrom <{DOC}#char=388,432> .

    <{AREA}/Person/蔡刚> a kg:Person ; rdfs:label "蔡刚"@zh .

    <{AREA}/Enterprise/金牛研磨> a kg:Enterprise ;
        rdfs:label "金牛研磨"@zh ;
        skos:altLabel "金牛研磨公司"@zh ;
        prov:wasDerivedFrom <{DOC}#char=388,432> ;
        kg:locatedIn <{AREA}> ;
        kg:cooperatesWith <{HOSTILE_IRI}> .

    <{HOSTILE_IRI}> a kg:Enterprise ;
        rdfs:label "{HOSTILE.replace(chr(92), chr(92) * 2).replace('"', chr(92) + '"').replace(chr(10), chr(92) + 'n')}"@zh .

    <{AREA}/Institution/西夏墅镇商会> a kg:Institution ;
        rdfs:label "西夏墅镇商会"@zh ;
        kg:receivedAward <{AREA}/Award/全国四好商会> .

    <{AREA}/Award/全国四好商会> a kg:Award ; rdfs:label "全国四好商会"@zh .

    <{AREA}/Project/粤商工具> a kg:Project ;
        rdfs:label "粤商工具"@zh ;
        kg:hasStatus kg:completed ;
        kg:involves <{AREA}/Enterprise/金牛研磨> .

    <{DOC}#char=512,516> a nif:Phrase ;
        nif:anchorOf "金牛研磨"@zh ; nif:beginIndex 512 ; nif:endIndex 516 ;
        nif:referenceContext <{DOC}> ;
        nif:sentence <{DOC}#char=388,432> ;
        itsrdf:taIdentRef <{AREA}/Enterprise/金牛研磨> ;
        kg:rule "ent.enum.enterprise" .

    <{DOC}/statement/3f2a> a rdf:Statement ;
        rdf:subject <{AREA}/Institution/西夏墅镇商会> ;
        rdf:predicate kg:receivedAward ;
        rdf:object <{AREA}/Award/全国四好商会> ;
        prov:wasDerivedFrom <{DOC}#char=388,432> ;
        kg:rule "rel.award.cue" .

    <{DOC}/indicator/gdp-2022> a kg:Indicator ;
        kg:about <{AREA}> ;
        kg:metric "地区生产总值"@zh ;
        kg:value 80.57 ;
        kg:unit "亿元" ;
        kg:year 2022 ;
        kg:growthPct 6.5 ;
        kg:kind kg:estimate ;
        kg:normalizedValue 8057000000.0 ;
        kg:normalizedUnit "CNY" ;
        prov:wasDerivedFrom <{DOC}#char=388,432> ;
        kg:rule "ind.amount" .
""")

PREFIX = "PREFIX kg: <https://w3id.org/govkg/ontology#>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
ENTITY_QUERY = PREFIX + "SELECT ?e ?label WHERE { ?e rdfs:label ?label } ORDER BY ?label"


@pytest.fixture()
def graph() -> Graph:
    g = Graph()
    g.parse(data=TTL, format="turtle")
    return g


@pytest.fixture()
def queries_dir(tmp_path, monkeypatch) -> Path:
    (tmp_path / "entities.rq").write_text(
        "# title: Entities of one type\n"
        "# param: type — local name of the entity class\n"
        "# param: year — unused here\n"
        + PREFIX
        + "SELECT ?label WHERE {\n  ?e a ?t ; rdfs:label ?label .\n"
        "  FILTER(STRSTARTS(STR(?t), STR(kg:)))\n"
        "  FILTER(!BOUND(?param_type) || STRAFTER(STR(?t), \"#\") = STR(?param_type))\n}\n"
        "ORDER BY ?label\n",
        encoding="utf-8",
    )
    (tmp_path / "echo.rq").write_text(
        "# title: Echo a parameter\n# param: value — anything\n"
        "SELECT ?param_value WHERE { }\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(kq, "QUERIES_DIR", tmp_path)
    return tmp_path


# -- format_result -------------------------------------------------------------

def test_csv_has_header_and_rows(graph):
    out = format_result(run_query(graph, ENTITY_QUERY), "csv")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["e", "label"]
    assert len(rows) == 1 + 7
    assert HOSTILE in [r[1] for r in rows]


def test_tsv_escapes_and_has_header(graph):
    out = format_result(run_query(graph, ENTITY_QUERY), "tsv")
    lines = out.rstrip("\n").split("\n")
    assert lines[0] == "?e\t?label"
    assert len(lines) == 1 + 7
    assert all(line.count("\t") == 1 for line in lines)
    assert any('\\"quote\\"' in line and "\\n" in line for line in lines)


def test_json_is_sparql_results_json(graph):
    out = format_result(run_query(graph, ENTITY_QUERY), "json")
    doc = json.loads(out)
    assert doc["head"]["vars"] == ["e", "label"]
    assert len(doc["results"]["bindings"]) == 7
    assert {b["label"]["value"] for b in doc["results"]["bindings"]} >= {"金牛研磨", HOSTILE}


def test_table_is_aligned_with_row_count(graph):
    out = format_result(run_query(graph, ENTITY_QUERY), "table")
    lines = out.rstrip("\n").split("\n")
    assert lines[-1] == "(7 rows)"
    assert set(lines[1]) <= {"-", " "}
    # every cell starts at the same display column on every line (CJK = 2 columns)
    def cell_starts(line):
        return [text_width(line[: m.start()]) for m in re.finditer(r"(?:^|(?<=  ))\S", line)]

    assert len({tuple(cell_starts(line)) for line in [lines[0], *lines[1:-1]]}) == 1
    assert len(cell_starts(lines[0])) == 2
    # entities show as their label; the newline of the hostile label is escaped
    assert "金牛研磨  " in out
    assert "\\nline2" in out and HOSTILE not in out


def test_table_shows_literals_and_local_names(graph):
    q = PREFIX + "SELECT ?k ?v WHERE { ?i kg:kind ?k ; kg:value ?v }"
    out = format_result(run_query(graph, q), "table")
    assert out.splitlines()[2].split() == ["estimate", "80.57"]
    assert out.endswith("(1 row)\n")


def test_ask_and_construct(graph):
    assert format_result(run_query(graph, PREFIX + "ASK { ?x a kg:Indicator }"), "table") == "true\n"
    assert json.loads(format_result(run_query(graph, "ASK { ?x a <urn:none> }"), "json"))["boolean"] is False
    res = run_query(graph, PREFIX + "CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e a kg:Enterprise ; rdfs:label ?l }")
    ttl = format_result(res, "table")
    assert len(Graph().parse(data=ttl, format="turtle")) == 2
    with pytest.raises(KgError, match="table"):
        format_result(res, "csv")


def test_unknown_result_format(graph):
    with pytest.raises(KgError, match="table, csv, tsv, json"):
        format_result(run_query(graph, ENTITY_QUERY), "xlsx")


def test_unordered_select_is_deterministic(graph):
    q = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    first = format_result(run_query(graph, q), "tsv")
    g2 = Graph()
    for t in reversed(sorted(graph)):
        g2.add(t)
    assert format_result(run_query(g2, q), "tsv") == first


# -- run_query refusals and errors ---------------------------------------------

def test_malformed_query_reports_line_and_column(graph):
    with pytest.raises(KgError) as info:
        run_query(graph, "SELECT ?x WHERE {\n  ?x ?y\n  ?z ?? }")
    message = str(info.value)
    assert "line 3" in message and "column" in message
    assert message.startswith("The query is not valid SPARQL")
    assert "\n" not in message


def test_unknown_prefix_is_a_clear_error(graph):
    with pytest.raises(KgError, match="not valid SPARQL"):
        run_query(graph, "SELECT ?x WHERE { ?x nope:thing ?y }")


@pytest.mark.parametrize("update", [
    "INSERT DATA { <urn:a> <urn:b> <urn:c> }",
    "PREFIX kg: <https://w3id.org/govkg/ontology#>\nDELETE WHERE { ?s ?p ?o }",
    "CLEAR ALL",
    "DROP GRAPH <urn:g>",
    "LOAD <http://example.org/data.ttl>",
    "# a comment\nCREATE GRAPH <urn:g>",
])
def test_update_is_refused(graph, update):
    before = len(graph)
    with pytest.raises(KgError, match="SPARQL Update is refused"):
        run_query(graph, update)
    assert len(graph) == before


def test_service_and_from_are_refused(graph):
    with pytest.raises(KgError, match="SERVICE"):
        run_query(graph, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    with pytest.raises(KgError, match="FROM"):
        run_query(graph, "SELECT * FROM <http://example.org/x.ttl> WHERE { ?s ?p ?o }")


# -- named queries and parameters ----------------------------------------------

def test_list_queries(queries_dir):
    assert list_queries() == [("echo", "Echo a parameter"), ("entities", "Entities of one type")]


def test_unknown_named_query_lists_names(queries_dir):
    with pytest.raises(KgError) as info:
        resolve_query("nosuch", {})
    assert "nosuch" in str(info.value)
    assert "echo, entities" in str(info.value)


def test_named_query_with_param(graph, queries_dir):
    text = resolve_query("entities", {"type": "Enterprise"})
    assert 'VALUES ?param_type { "Enterprise"@zh }' in text
    rows = list(csv.reader(io.StringIO(format_result(run_query(graph, text), "csv"))))
    assert sorted(rows[1:]) == [[HOSTILE], ["金牛研磨"]]
    # without the parameter nothing is injected and every entity is listed
    assert "VALUES" not in resolve_query("entities", {})
    out = format_result(run_query(graph, resolve_query("entities", {})), "csv")
    assert len(list(csv.reader(io.StringIO(out)))) == 8


def test_unknown_param_lists_params(queries_dir):
    with pytest.raises(KgError) as info:
        resolve_query("entities", {"colour": "red"})
    assert "colour" in str(info.value) and "type, year" in str(info.value)


@pytest.mark.parametrize("value", [
    HOSTILE,
    '" } } ; DROP ALL ; SELECT * WHERE { "',
    "a\\\" } #",
    'ends with a quote"',
    "'''\"\"\"",
])
def test_hostile_param_stays_a_literal(graph, queries_dir, value):
    result = run_query(graph, resolve_query("echo", {"value": value}))
    rows = list(result)
    assert len(rows) == 1
    assert rows[0][0] == Literal(value, lang="zh")


def test_numeric_param_is_an_integer(graph, queries_dir):
    text = resolve_query("echo", {"value": "2022"})
    assert "VALUES ?param_value { 2022 }" in text
    rows = list(run_query(graph, text))
    assert rows[0][0] == Literal(2022)


def test_param_goes_inside_the_where_not_into_comments_or_iris(tmp_path, monkeypatch):
    (tmp_path / "tricky.rq").write_text(
        "# title: Tricky\n# param: x — a value\n"
        "# the WHERE { in this comment is not the clause\n"
        "PREFIX ex: <http://example.org/a#WHERE>\n"
        "SELECT ?param_x ?s WHERE\n{ BIND(\"WHERE {\" AS ?s) }\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(kq, "QUERIES_DIR", tmp_path)
    rows = list(run_query(Graph(), resolve_query("tricky", {"x": "v"})))
    assert [(str(a), str(b)) for a, b in rows] == [("v", "WHERE {")]


def test_rq_file_and_inline_sparql(graph, tmp_path, monkeypatch):
    monkeypatch.setattr(kq, "QUERIES_DIR", tmp_path / "none")
    path = tmp_path / "q.rq"
    path.write_text(ENTITY_QUERY, encoding="utf-8")
    assert resolve_query(str(path), {}) == ENTITY_QUERY
    assert resolve_query(ENTITY_QUERY, {}) == ENTITY_QUERY
    with pytest.raises(KgError, match="no query file"):
        resolve_query(str(tmp_path / "missing.rq"), {})
    with pytest.raises(KgError, match="Unknown query 'whatever'"):
        resolve_query("whatever", {})


# -- export --------------------------------------------------------------------

@pytest.mark.parametrize("fmt,parse_as", [
    ("ttl", "turtle"), ("turtle", "turtle"), ("nt", "nt"), ("nq", "nquads"),
    ("trig", "trig"), ("jsonld", "json-ld"),
])
def test_rdf_exports_parse_back_isomorphic(graph, fmt, parse_as):
    data = export(graph, fmt)
    assert isinstance(data, bytes)
    if parse_as in ("nquads", "trig"):
        back = Dataset()
        back.parse(data=data, format=parse_as)
        back_graph = Graph()
        for s, p, o, _ in back.quads((None, None, None, None)):
            back_graph.add((s, p, o))
    else:
        back_graph = Graph().parse(data=data, format=parse_as)
    assert isomorphic(back_graph, graph)
    assert Literal(HOSTILE, lang="zh") in set(back_graph.objects())


def test_dataset_exports_keep_named_graphs(graph):
    ds = Dataset()
    g1 = ds.graph(URIRef("urn:g:b"))
    g2 = ds.graph(URIRef("urn:g:a"))
    for i, t in enumerate(sorted(graph)):
        (g1 if i % 2 else g2).add(t)
    for fmt, parse_as in (("nq", "nquads"), ("trig", "trig")):
        back = Dataset()
        back.parse(data=export(ds, fmt), format=parse_as)
        for name in ("urn:g:a", "urn:g:b"):
            assert isomorphic(back.graph(URIRef(name)), ds.graph(URIRef(name)))
    merged = Graph().parse(data=export(ds, "nt"), format="nt")
    assert isomorphic(merged, graph)


def test_graphml_reads_back(graph):
    data = export(graph, "graphml")
    back = nx.read_graphml(io.BytesIO(data))
    assert back.number_of_nodes() == 7
    assert back.number_of_edges() == 4  # locatedIn, cooperatesWith, receivedAward, involves
    node = back.nodes[HOSTILE_IRI]
    assert node["label"] == HOSTILE and node["type"] == "Enterprise" and node["iri"] == HOSTILE_IRI
    relations = sorted(d["relation"] for _, _, d in back.edges(data=True))
    assert relations == ["cooperatesWith", "involves", "locatedIn", "receivedAward"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_is_byte_identical(graph, fmt):
    assert export(graph, fmt) == export(graph, fmt)
    g2 = Graph()
    for t in reversed(sorted(graph)):
        g2.add(t)
    assert export(g2, fmt) == export(graph, fmt)


def test_export_is_identical_across_hash_seeds(tmp_path):
    (tmp_path / "g.ttl").write_text(TTL, encoding="utf-8")
    script = (
        "import sys, hashlib, rdflib\n"
        "from kg.export import export, FORMATS\n"
        "g = rdflib.Graph().parse(sys.argv[1], format='turtle')\n"
        "print([hashlib.sha256(export(g, f)).hexdigest() for f in FORMATS])\n"
    )
    outs = set()
    for seed in ("1", "2", "3"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        run = subprocess.run(
            [sys.executable, "-c", script, str(tmp_path / "g.ttl")],
            capture_output=True, text=True, env=env, check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        outs.add(run.stdout)
    assert len(outs) == 1


def test_unknown_export_format(graph):
    with pytest.raises(KgError, match="ttl, nt, nq, trig, jsonld, graphml"):
        export(graph, "xlsx")


# -- stats ---------------------------------------------------------------------

def test_stats_counts(graph):
    stats = graph_stats(graph)
    assert stats["documents"] == 1
    assert stats["sentences"] == 1
    assert stats["mentions"] == 1
    assert stats["indicators"] == 1
    assert stats["statements"] == 1
    assert stats["triples"] == len(graph)
    assert stats["entities"] == 7
    assert stats["entities_by_type"] == {
        "Enterprise": 2, "AdministrativeArea": 1, "Project": 1,
        "Institution": 1, "Award": 1, "Person": 1,
    }
    assert stats["relations"] == {
        "locatedIn": 1, "cooperatesWith": 1, "receivedAward": 1, "involves": 1, "hasStatus": 1,
    }
    net = stats["network"]
    assert net["components"] == 3
    assert net["largest_component"] == 4
    top = net["top_entities"]
    assert top[0] == {"label": "金牛研磨", "type": "Enterprise", "degree": 3,
                      "iri": AREA + "/Enterprise/金牛研磨"}
    assert len(top) == 7
    assert [t["degree"] for t in top] == sorted((t["degree"] for t in top), reverse=True)
    assert top[-1]["label"] == "蔡刚" and top[-1]["degree"] == 0
    assert net["density"] == pytest.approx(4 / (7 * 6))


def test_stats_text(graph):
    text = format_stats(graph_stats(graph))
    assert "documents" in text and "金牛研磨" in text and "Enterprise" in text
    assert format_stats(graph_stats(graph)) == text
    empty = format_stats(graph_stats(Graph()))
    assert "0" in empty


def test_entity_graph_types(graph):
    g = entity_graph(graph)
    assert g.nodes[AREA]["type"] == "AdministrativeArea"
    assert g.nodes[AREA]["label"] == "西夏墅镇"


# -- parameters marked text, and the ORDER BY kg runs itself ------------------------

def test_a_text_param_stays_text_even_when_it_looks_like_a_number(tmp_path, monkeypatch):
    (tmp_path / "named.rq").write_text(
        "# title: One entity\n# param: name — a label, e.g. 10 (required; text)\n"
        "# param: year — a year (optional)\n"
        + PREFIX + "SELECT ?e WHERE { ?e rdfs:label ?param_name }\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(kq, "QUERIES_DIR", tmp_path)
    text = resolve_query("named", {"name": "10", "year": "2022"})
    assert 'VALUES ?param_name { "10"@zh }' in text and "VALUES ?param_year { 2022 }" in text
    g = Graph()
    g.add((URIRef(ID + "x"), rdflib.RDFS.label, Literal("10", lang="zh")))
    assert [str(row[0]) for row in run_query(g, text)] == [ID + "x"]
    # the named queries that take a name say so
    for name in ("entity", "evidence"):
        monkeypatch.setattr(kq, "QUERIES_DIR", Path(kq.__file__).resolve().parent.parent / "ontology" / "queries")
        assert 'VALUES ?param_name { "10"@zh }' in resolve_query(name, {"name": "10"})


def test_order_plan_sends_the_query_without_its_order_by():
    plan = kq.order_plan(PREFIX + "SELECT ?e ?l # the WHERE comes next\nWHERE { ?e rdfs:label ?l }\n"
                         "ORDER BY DESC(STR(?l)) STRLEN(?l) ?e  # done\n")
    assert plan.ordered and plan.text is not None and "ORDER BY" not in plan.text
    assert "(STRLEN(?l) AS ?_kg_order0)" in plan.text.split("WHERE")[0]
    assert plan.keys == [(True, "str", "l", None), (False, "var", "_kg_order0", None), (False, "var", "e", None)]
    assert plan.hidden == ["_kg_order0"]
    g = Graph().parse(data=TTL, format="turtle")
    # what is sent is a query on its own
    assert len(list(run_query(g, plan.text))) == len(list(run_query(g, ENTITY_QUERY)))


@pytest.mark.parametrize("query,ordered", [
    ("SELECT ?e WHERE { ?e ?p ?o } ORDER BY ?e LIMIT 3", True),                  # the slice needs the order
    ("SELECT DISTINCT ?e WHERE { ?e rdfs:label ?l } ORDER BY STRLEN(?l)", True),  # ?l is not shown
    ("SELECT ?t (COUNT(*) AS ?n) WHERE { ?e a ?t } GROUP BY ?t ORDER BY COUNT(*)", True),
    ("SELECT ?e WHERE { { SELECT ?e WHERE { ?e ?p ?o } ORDER BY ?e LIMIT 1 } }", False),
    ("ASK { ?s ?p ?o }", None),
])
def test_order_plan_leaves_to_the_store_what_kg_cannot_sort_itself(query, ordered):
    plan = kq.order_plan(PREFIX + query)
    assert plan.ordered is ordered and plan.text is None


def test_sort_rows_orders_as_sparql_does():
    x = rdflib.Variable("x")
    terms = [Literal("b"), Literal(2), None, URIRef("urn:z"), Literal("a"), Literal(10),
             Literal("1.5", datatype=rdflib.XSD.decimal)]
    rows = [{x: t} if t is not None else {} for t in terms]
    plan = kq.OrderPlan(True, "…", [(False, "var", "x", None)])
    with pytest.raises(kq.Unsortable):                 # strings and numbers: the store's order is its own
        kq.sort_rows(rows, plan, [x])
    no_strings = [r for r in rows if not (isinstance(r.get(x), Literal) and r[x].datatype is None)]
    out = kq.sort_rows(no_strings, plan, [x])          # unbound < IRIs < literals; numbers by value
    assert [r.get(x) for r in out] == [None, URIRef("urn:z"), Literal("1.5", datatype=rdflib.XSD.decimal),
                                       Literal(2), Literal(10)]
    plan = kq.OrderPlan(True, "…", [(True, "str", "x", None)])   # DESC(STR(?x)): by text, descending
    out = kq.sort_rows(rows, plan, [x])
    assert [str(r.get(x, "")) for r in out] == ["urn:z", "b", "a", "2", "10", "1.5", ""]
