"""Stage 5 and the built graph: contract, IRIs, provenance, SHACL, determinism."""
from __future__ import annotations

from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import RDF, RDFS

from kg.build import build_graph
from kg.iris import segment
from kg.namespace import KG, KGID
from kg.query import run_query

from conftest import ROOT

AREA = "江苏省/常州市/新北区/西夏墅镇"


def _node(label: str, type_: str) -> URIRef:
    return URIRef(f"{KGID}{AREA}/{type_}/{label}")


def test_entities_follow_the_contract(seed_graph):
    assert (_node("金牛研磨", "Enterprise"), RDF.type, KG.Enterprise) in seed_graph
    assert (_node("金牛研磨", "Enterprise"), RDFS.label, Literal("金牛研磨", lang="zh")) in seed_graph
    assert (_node("梅林村", "Village"), RDF.type, KG.Village) in seed_graph
    assert (_node("浦河社区", "Community"), RDF.type, KG.Community) in seed_graph


def test_areas_are_named_by_their_full_path(seed_graph):
    town = URIRef(f"{KGID}{AREA}")
    district = URIRef(f"{KGID}江苏省/常州市/新北区")
    assert (town, RDF.type, KG.AdministrativeArea) in seed_graph
    assert (town, KG.partOf, district) in seed_graph
    assert (_node("梅林村", "Village"), KG.partOf, town) in seed_graph


def test_iri_segments_are_percent_encoded_only_where_needed():
    assert segment("金牛研磨") == "金牛研磨"
    assert segment("A/B C#1") == "A%2FB%20C%231"
    assert segment("<x>") == "%3Cx%3E"


def test_indicator_with_normalised_value(seed_graph):
    rows = list(run_query(seed_graph, """
        SELECT ?value ?unit ?growth ?kind ?norm ?nunit WHERE {
          ?i a kg:Indicator ; kg:metric "地区生产总值"@zh ; kg:year 2022 ;
             kg:value ?value ; kg:unit ?unit ; kg:growthPct ?growth ; kg:kind ?kind ;
             kg:normalizedValue ?norm ; kg:normalizedUnit ?nunit . }"""))
    assert len(rows) == 1
    value, unit, growth, kind, norm, nunit = rows[0]
    assert (float(value), str(unit), float(growth), kind) == (80.57, "亿元", 6.5, KG.estimate)
    assert (int(norm.toPython()), str(nunit)) == (8057000000, "CNY")


def test_every_fact_leads_to_its_sentence_and_rule(seed_graph):
    rows = list(run_query(seed_graph, """
        SELECT ?text ?begin ?end ?rule WHERE {
          ?st a rdf:Statement ; rdf:subject ?s ; rdf:predicate kg:receivedAward ; rdf:object ?o ;
              kg:rule ?rule ; prov:wasDerivedFrom ?sent .
          ?s rdfs:label "西夏墅镇商会"@zh .
          ?sent nif:anchorOf ?text ; nif:beginIndex ?begin ; nif:endIndex ?end . }"""))
    assert len(rows) == 1
    text, begin, end, rule = rows[0]
    original = (ROOT / "seeds" / "000_422bfd801309c4b5.txt").read_text(encoding="utf-8")
    assert original[int(begin):int(end)] == str(text)
    assert "获评全国“四好”商会" in str(text)
    assert str(rule) == "rel.award.cue"
    orphans = list(run_query(seed_graph, """
        SELECT ?x WHERE { { ?x a kg:Indicator } UNION { ?x a rdf:Statement }
                          FILTER NOT EXISTS { ?x prov:wasDerivedFrom ?s . ?s nif:anchorOf ?t } }"""))
    assert orphans == []


def test_turtle_round_trips(seed_build):
    result, out = seed_build
    reread = Graph().parse(out / "graph.ttl", format="turtle")
    assert isomorphic(reread, result.graph)


def test_graph_conforms_to_shapes(seed_graph):
    from kg.validate import validate
    conforms, report = validate(seed_graph)
    assert conforms, report


def test_two_builds_are_byte_identical(seed_build, tmp_path):
    _, first = seed_build
    build_graph([ROOT / "seeds"], tmp_path)
    for name in ("graph.ttl", "graph.html"):
        assert (tmp_path / name).read_bytes() == (first / name).read_bytes(), name


def test_committed_output_is_up_to_date(seed_build):
    """output/ is what `kg build` writes for seeds/; rebuild and compare."""
    _, fresh = seed_build
    for name in ("graph.ttl", "graph.html"):
        committed = ROOT / "output" / name
        assert committed.exists(), f"output/{name} is missing: run `kg build`"
        assert committed.read_bytes() == (fresh / name).read_bytes(), f"output/{name} is stale: run `kg build`"


def test_every_indicator_says_what_it_measures(tmp_path):
    # a scraped report with an air-quality index, a number with no unit
    # (空气综合指数5.67，同比下降2.24%): such growths once became indicators with
    # an empty metric and IRIs ending "//2019/actual/None"
    report = ROOT / "tests" / "data" / "scraped" / "baoding_laiyuan_2020.txt"
    result = build_graph([report], None)
    graph = result.graph
    metrics = [str(m) for m in graph.objects(None, KG.metric)]
    assert len(metrics) > 100 and all(m.strip() for m in metrics)
    indicators = set(graph.subjects(RDF.type, KG.Indicator))
    assert len(indicators) == len(metrics)
    assert not [i for i in indicators if "None" in i or "//" in i.split("/indicator/")[1]]
