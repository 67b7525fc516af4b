"""The ontology, the SHACL shapes, the named queries and kg.namespace agree.

tests/data/mini.ttl is a hand-written graph in exactly the shape of
ontology/README.md; every named query is run over it with known answers.
"""
from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, PROV, RDF, RDFS, SKOS, XSD
from rdflib.plugins.sparql import prepareQuery

from kg.namespace import (
    ENTITY_CLASSES,
    ITSRDF,
    KG,
    KGID,
    NIF,
    ONTOLOGY_DIR,
    RELATION_PROPERTIES,
    bind_prefixes,
)
from kg.validate import validate

KG_NS = str(KG._NS)
DATA = Path(__file__).parent / "data"
QUERIES = ONTOLOGY_DIR / "queries"
AREA = "https://w3id.org/govkg/id/江苏省/常州市/新北区/西夏墅镇"
DOC = URIRef("https://w3id.org/govkg/id/doc/000_422bfd801309c4b5")
TERM_TYPES = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.NamedIndividual}
QUERY_NAMES = sorted(p.stem for p in QUERIES.glob("*.rq"))


def node(path: str) -> URIRef:
    return URIRef(f"{AREA}/{path}")


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ONTOLOGY_DIR / "kg.ttl", format="turtle")


@pytest.fixture(scope="module")
def mini() -> Graph:
    return Graph().parse(DATA / "mini.ttl", format="turtle")


def namespace_terms() -> set[URIRef]:
    return {KG[name] for name in KG.__annotations__ if not name.startswith("_")}


def copy(graph: Graph) -> Graph:
    g = Graph()
    for t in graph:
        g.add(t)
    return g


# --------------------------------------------------------------------------
# ontology <-> kg.namespace
# --------------------------------------------------------------------------

def test_ontology_parses_and_declares_itself(ontology):
    assert (URIRef("https://w3id.org/govkg/ontology"), RDF.type, OWL.Ontology) in ontology
    assert len(ontology) > 300


def test_every_namespace_term_is_declared_with_labels_and_definition(ontology):
    for term in sorted(namespace_terms()):
        types = set(ontology.objects(term, RDF.type))
        assert types & TERM_TYPES, f"{term} is not declared in kg.ttl"
        langs = {lbl.language for lbl in ontology.objects(term, RDFS.label)}
        assert {"zh", "en"} <= langs, f"{term} lacks a zh or en rdfs:label"
        definitions = list(ontology.objects(term, SKOS.definition))
        assert any(d.language == "en" for d in definitions), f"{term} lacks an @en skos:definition"


def test_every_ontology_term_is_in_the_namespace(ontology):
    used = {t for triple in ontology for t in triple
            if isinstance(t, URIRef) and str(t).startswith(KG_NS)}
    assert used == namespace_terms()


def test_entity_classes(ontology):
    from kg.model import ENTITY_TYPES

    assert [str(c)[len(KG_NS):] for c in ENTITY_CLASSES] == list(ENTITY_TYPES)
    for cls in ENTITY_CLASSES:
        supers = set(ontology.transitive_objects(cls, RDFS.subClassOf))
        assert KG.NamedEntity in supers and PROV.Entity in supers, cls
        # aligned to at least one vocabulary outside kg:
        assert any(not str(s).startswith(KG_NS) and s != PROV.Entity for s in supers), cls
    assert (KG.GovernmentAgency, RDFS.subClassOf, KG.Institution) in ontology


def test_properties_and_individuals(ontology):
    for prop in RELATION_PROPERTIES + (KG.hasStatus, KG.about, KG.kind, KG.speaker, KG.area):
        assert (prop, RDF.type, OWL.ObjectProperty) in ontology, prop
    assert (KG.cooperatesWith, RDF.type, OWL.SymmetricProperty) in ontology
    assert (KG.hasStatus, RDFS.range, KG.ProjectStatus) in ontology
    for prop, rng in ((KG.value, XSD.decimal), (KG.year, XSD.integer),
                      (KG.metric, RDF.langString), (KG.unit, XSD.string)):
        assert (prop, RDF.type, OWL.DatatypeProperty) in ontology
        assert (prop, RDFS.range, rng) in ontology
    for ind in (KG.planned, KG.ongoing, KG.completed):
        assert (ind, RDF.type, KG.ProjectStatus) in ontology
    for ind in (KG.actual, KG.estimate, KG.target):
        assert (ind, RDF.type, KG.IndicatorKind) in ontology


def test_namespace_module():
    assert (ONTOLOGY_DIR / "kg.ttl").is_file() and (ONTOLOGY_DIR / "shapes.ttl").is_file()
    assert str(KGID) == "https://w3id.org/govkg/id/"
    assert NIF.Sentence == URIRef("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#Sentence")
    assert ITSRDF.taIdentRef == URIRef("http://www.w3.org/2005/11/its/rdf#taIdentRef")
    with pytest.raises(AttributeError):
        KG.partof  # closed namespace  # noqa: B018
    g = bind_prefixes(Graph())
    bound = dict(g.namespaces())
    for prefix in ("kg", "kgid", "nif", "itsrdf", "prov", "skos", "dcterms", "xsd", "rdfs", "owl"):
        assert prefix in bound, prefix
    assert str(bound["kg"]) == KG_NS


# --------------------------------------------------------------------------
# SHACL
# --------------------------------------------------------------------------

def test_shapes_parse():
    shapes = Graph().parse(ONTOLOGY_DIR / "shapes.ttl", format="turtle")
    assert len(shapes) > 100


def test_mini_conforms(mini):
    conforms, report = validate(mini)
    assert conforms, report


def test_indicator_without_about_does_not_conform(mini):
    g = copy(mini)
    indicator = next(g.subjects(KG.metric, Literal("销售", lang="zh")))
    g.remove((indicator, KG.about, None))
    conforms, report = validate(g)
    assert not conforms
    assert "about" in report
    assert len(mini) == len(g) + 1  # validate did not touch the graphs


def _set(g, s, p, o):
    g.remove((s, p, None))
    g.add((s, p, o))


BROKEN = {
    "status outside planned/ongoing/completed":
        lambda g: g.add((node("Project/粤商工具"), KG.hasStatus, KG.estimate)),
    "two @zh labels":
        lambda g: g.add((node("Enterprise/金牛研磨"), RDFS.label, Literal("金牛", lang="zh"))),
    "label without language":
        lambda g: _set(g, node("Enterprise/金牛研磨"), RDFS.label, Literal("金牛研磨")),
    "entity without sentence":
        lambda g: g.remove((node("Enterprise/宏发纵横"), PROV.wasDerivedFrom, None)),
    "integer kg:value":
        lambda g: _set(g, next(g.subjects(KG.metric, Literal("销售", lang="zh"))), KG.value, Literal(53)),
    "kind as a literal":
        lambda g: _set(g, next(g.subjects(KG.metric, Literal("销售", lang="zh"))), KG.kind, Literal("estimate")),
    "receivedAward to a non-award":
        lambda g: g.add((node("Institution/卫生院"), KG.receivedAward, node("Institution/市一院"))),
    "partOf from an enterprise":
        lambda g: g.add((node("Enterprise/金牛研磨"), KG.partOf, URIRef(AREA))),
    "reified triple not asserted":
        lambda g: g.remove((node("Project/粤商工具"), KG.hasStatus, KG.completed)),
    "sentence without document":
        lambda g: g.remove((URIRef(f"{DOC}#char=400,510"), NIF.referenceContext, None)),
    "mention without rule":
        lambda g: g.remove((URIRef(f"{DOC}#char=656,660"), KG.rule, None)),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_graphs_do_not_conform(mini, case):
    g = copy(mini)
    BROKEN[case](g)
    conforms, _ = validate(g)
    assert not conforms, case


def test_legitimate_variations_conform(mini):
    g = copy(mini)
    project = node("Project/粤商工具")
    g.add((project, KG.hasStatus, KG.ongoing))          # several statuses
    g.add((project, PROV.wasDerivedFrom, URIRef(f"{DOC}#char=12,50")))  # several sentences
    g.add((project, RDFS.label, Literal("Yueshang Tools", lang="en")))   # extra non-zh label
    g.add((node("Award/优秀"), KG.awardedBy, URIRef(AREA)))  # given by an area
    s = URIRef(f"{DOC}#char=51,55")
    _set(g, s, NIF.beginIndex, Literal(51))                # plain xsd:integer offsets
    conforms, report = validate(g)
    assert conforms, report


# --------------------------------------------------------------------------
# named queries
# --------------------------------------------------------------------------

def query_text(name: str) -> str:
    return (QUERIES / f"{name}.rq").read_text(encoding="utf-8")


def inject(text: str, params: dict[str, Literal]) -> str:
    """Bind parameters as the runner does: VALUES after the first 'WHERE {'."""
    if not params:
        return text
    at = text.index("WHERE {") + len("WHERE {")
    values = "".join(f"\n  VALUES ?param_{k} {{ {v.n3()} }}" for k, v in params.items())
    return text[:at] + values + text[at:]


def py(term):
    if term is None:
        return None
    if isinstance(term, Literal) and term.datatype in (XSD.integer, XSD.decimal, XSD.nonNegativeInteger):
        return term.toPython()
    return str(term)


def rows(graph: Graph, query: str, **params) -> list[tuple]:
    result = graph.query(inject(query_text(query), params))
    return [tuple(py(x) for x in row) for row in result]


def test_the_queries_we_expect_exist():
    assert set(QUERY_NAMES) >= {
        "enterprises", "projects-by-status", "headline-indicators", "awards",
        "cooperation", "entity", "evidence", "types", "villages",
    }


@pytest.mark.parametrize("name", QUERY_NAMES)
def test_query_file_header_and_syntax(name):
    text = query_text(name)
    lines = text.splitlines()
    assert re.match(r"# title: \S", lines[0]), "first line must be '# title: …'"
    header = [ln for ln in lines if ln.startswith("#")]
    declared = {m.group(1) for ln in header if (m := re.match(r"# param: (\w+) — \S", ln))}
    body = "\n".join(ln for ln in lines if not ln.startswith("#"))
    used = set(re.findall(r"\?param_(\w+)", body))
    assert declared == used, "every ?param_X is documented as '# param: X — …' and vice versa"
    # the injection point is the query's own first WHERE, not a comment
    assert "WHERE {" in body and "WHERE {" not in "\n".join(header)
    assert "ORDER BY" in body
    prepareQuery(text)
    for p in declared:
        prepareQuery(inject(text, {p: Literal("x")}))


def test_enterprises(mini):
    assert [(r[0], r[2], r[3]) for r in rows(mini, "enterprises")] == [
        ("宏发纵横", str(DOC), 1),
        ("金牛研磨", str(DOC), 1),
    ]


def test_projects_by_status(mini):
    assert [r[:3] for r in rows(mini, "projects-by-status")] == [
        ("ongoing", "推进中", "德利斯护理用品"),
        ("ongoing", "推进中", "梅林村居民集聚点"),
        ("completed", "已完成", "粤商工具"),
        ("completed", "已完成", "金牛研磨"),
    ]


def test_headline_indicators_all_years(mini):
    assert rows(mini, "headline-indicators") == [
        ("西夏墅镇", "地区生产总值", Decimal("80.57"), "亿元", 2022, Decimal("6.5"), "estimate"),
        ("刀工具", "销售", Decimal("53.12"), "亿元", 2022, Decimal("5.2"), "estimate"),
        ("西夏墅镇", "地区生产总值", None, None, 2023, Decimal("10"), "target"),
    ]  # 服务业增加值 (no growth given) is not a headline indicator


@pytest.mark.parametrize("year", [Literal(2022), Literal("2022")])
def test_headline_indicators_one_year(mini, year):
    assert [(r[0], r[1], r[4]) for r in rows(mini, "headline-indicators", year=year)] == [
        ("西夏墅镇", "地区生产总值", 2022),
        ("刀工具", "销售", 2022),
    ]


def test_awards(mini):
    assert rows(mini, "awards") == [
        ("西夏墅工具产业创业服务中心", "Institution", "优秀", "科技部火炬中心"),
        ("西夏墅镇商会", "Institution", "全国四好商会", None),
    ]


def test_cooperation_pairs_once(mini):
    assert [r[:2] for r in rows(mini, "cooperation")] == [("卫生院", "市一院")]
    g = copy(mini)  # stating the other direction too must not duplicate the pair
    g.add((node("Institution/市一院"), KG.cooperatesWith, node("Institution/卫生院")))
    assert [r[:2] for r in rows(g, "cooperation")] == [("卫生院", "市一院")]


def test_entity_by_label(mini):
    result = rows(mini, "entity", name=Literal("金牛研磨", lang="zh"))
    entities = {r[0] for r in result}
    assert entities == {str(node("Enterprise/金牛研磨")), str(node("Project/金牛研磨"))}
    project = [r[1:4] for r in result if r[0] == str(node("Project/金牛研磨"))]
    assert ("out", str(KG.hasStatus), "completed") in project
    assert ("out", str(RDF.type), "Project") in project
    assert ("out", str(PROV.wasDerivedFrom),
            "粤商工具、金牛研磨等4个项目已竣工验收，德利斯护理用品等5个新建项目稳步推进。") in project
    # mentions and reified statements are not listed
    assert all(r[2] not in (str(ITSRDF.taIdentRef), str(RDF.subject), str(RDF.object)) for r in result)


def test_entity_by_alias_and_incoming(mini):
    result = rows(mini, "entity", name=Literal("常州一院", lang="zh"))
    assert {r[0] for r in result} == {str(node("Institution/市一院"))}
    assert ("in", str(KG.cooperatesWith), "卫生院") in [r[1:4] for r in result]

    area = [r[1:4] for r in rows(mini, "entity", name=Literal("西夏墅镇", lang="zh"))]
    assert ("out", str(KG.partOf), "新北区") in area
    assert ("in", str(KG.partOf), "梅林村") in area
    assert ("in", str(KG.about), "地区生产总值") in area          # an indicator reads as its metric
    assert ("in", str(KG.area), "000_422bfd801309c4b5") in area


def test_entity_without_parameter_is_refused():
    """Unbound, the name would match every label: kg asks for it instead."""
    from kg.errors import KgError
    from kg.query import resolve_query
    with pytest.raises(KgError, match="needs --param name="):
        resolve_query("entity", {})
    assert "?param_name" in resolve_query("entity", require=False)


def test_evidence(mini):
    result = rows(mini, "evidence", name=Literal("西夏墅镇", lang="zh"))
    kinds = [r[0] for r in result]
    assert kinds == sorted(kinds)
    summary = [(r[0], r[1], r[3], r[4]) for r in result]
    assert summary == [
        ("entity", "AdministrativeArea 西夏墅镇", 12, 50),
        ("indicator", "地区生产总值 2022 (estimate): 80.57亿元, growth 6.5%", 400, 510),
        ("indicator", "服务业增加值 2022 (actual): 30亿元", 679, 742),
        ("indicator", "地区生产总值 2023 (target), growth 10%", 4537, 4630),
        ("relation", "西夏墅镇 partOf 新北区", 12, 50),
        ("relation", "梅林村 partOf 西夏墅镇", 1587, 1616),
        ("relation", "浦河社区 partOf 西夏墅镇", 1688, 1730),
        ("relation", "浦西村 partOf 西夏墅镇", 1688, 1730),
    ]
    assert all(r[5] == str(DOC) for r in result)
    assert result[1][2].startswith("全年预计实现地区生产总值80.57亿元")


def test_evidence_text_matches_the_source_file(mini):
    seed = Path(__file__).resolve().parent.parent / "seeds" / "000_422bfd801309c4b5.txt"
    if not seed.is_file():
        pytest.skip("seed report not present")
    text = seed.read_text(encoding="utf-8")
    result = rows(mini, "evidence", name=Literal("全国“四好”商会", lang="zh"))
    assert [(r[0], r[1]) for r in result] == [
        ("entity", "Award 全国四好商会"),
        ("relation", "西夏墅镇商会 receivedAward 全国四好商会"),
    ]
    for _, _, sentence, begin, end, _ in result:
        assert text[begin:end] == sentence


def test_types(mini):
    assert rows(mini, "types") == [
        ("Institution", 4), ("Project", 4), ("AdministrativeArea", 3),
        ("Award", 2), ("Enterprise", 2), ("Industry", 2), ("Village", 2),
        ("Community", 1), ("GovernmentAgency", 1), ("Person", 1),
    ]


def test_villages(mini):
    assert [r[:3] for r in rows(mini, "villages")] == [
        ("Community", "浦河社区", "西夏墅镇"),
        ("Village", "梅林村", "西夏墅镇"),
        ("Village", "浦西村", "西夏墅镇"),
    ]
