"""Stage 5, graph: Extraction -> RDF, exactly as ontology/README.md shows.

Every entity, relation and indicator carries provenance: the sentence it comes
from (NIF offsets into the original file), and the id of the rule that made it.
"""
from __future__ import annotations

from decimal import Decimal
from functools import lru_cache

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV, RDF, RDFS, SKOS, XSD

from . import gazetteer
from .iris import area_iri, document_iri, entity_iri, indicator_iri, span_iri, statement_iri
from .model import Entity, Extraction
from .namespace import ITSRDF, KG, NIF, CachedTerms, bind_prefixes
from .numbers import normalize

# the writer names a few terms per mention, a hundred thousand times a province
DCTERMS, ITSRDF, KG, NIF, PROV, RDF, RDFS, SKOS, XSD = map(
    CachedTerms, (DCTERMS, ITSRDF, KG, NIF, PROV, RDF, RDFS, SKOS, XSD))


def new_graph() -> Graph:
    graph = Graph()
    bind_prefixes(graph)
    return graph


class _Minter:
    """IRIs of one extraction's entities: areas by full path, the rest under the governed area."""

    def __init__(self, ex: Extraction):
        self.path = ex.area_path
        self.by_key: dict[tuple[str, str], URIRef] = {}
        for e in ex.entities:
            self.by_key[e.key] = self._iri(e)

    def _iri(self, e: Entity) -> URIRef:
        if e.type == "AdministrativeArea":
            if e.label in self.path:
                return area_iri(self.path[: self.path.index(e.label) + 1])
            known = gazetteer.path_of(e.label, self.path)
            if known:
                return area_iri(known)
        return entity_iri(self.path, e.type, e.label)

    def __getitem__(self, key: tuple[str, str]) -> URIRef:
        found = self.by_key.get(key)
        if found is None:
            # named in another part of a long report (the governed area, in the
            # header): the same IRI, its label and type stated there
            found = self.by_key[key] = self._iri(Entity(key[1], key[0]))
        return found


def add_extraction(graph: Graph, ex: Extraction) -> Graph:
    """Add an extraction's triples to an rdflib graph."""
    for triple in extraction_triples(ex):
        graph.add(triple)
    return graph


def extraction_ntriples(ex: Extraction) -> bytes:
    """An extraction's triples as N-Triples, written by pyoxigraph: no rdflib
    Graph is built (its indexes cost more than the extraction's rules)."""
    import pyoxigraph as ox
    from .terms import Converter
    term = Converter().ox
    triples = dict.fromkeys(ox.Triple(term(s), term(p), term(o)) for s, p, o in extraction_triples(ex))
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)


class _Triples(list):
    """A list of triples with rdflib's ``graph.add`` spelling."""
    add = list.append


def extraction_triples(ex: Extraction) -> list[tuple]:
    """Every triple an extraction makes (a triple may come twice: stores and
    graphs keep it once)."""
    graph = _Triples()
    doc = ex.document
    doc_iri = document_iri(doc.doc_id)
    iris = _Minter(ex)
    written: set[URIRef] = set()

    def sentence_iri(index: int) -> URIRef:
        s = ex.sentences[index]
        begin, end = doc.original_span(s.start, s.end)
        node = span_iri(doc.doc_id, begin, end)
        if node not in written:
            written.add(node)
            graph.add((node, RDF.type, NIF.Sentence))
            graph.add((node, NIF.anchorOf, Literal(s.text, lang="zh")))
            graph.add((node, NIF.beginIndex, _integer(begin)))
            graph.add((node, NIF.endIndex, _integer(end)))
            graph.add((node, NIF.referenceContext, doc_iri))
            graph.add((node, KG.part, Literal(s.part)))
            if s.year:
                graph.add((node, KG.year, _integer(s.year)))
        return node

    info = ex.info
    graph.add((doc_iri, RDF.type, KG.Document))
    graph.add((doc_iri, RDF.type, NIF.Context))
    graph.add((doc_iri, DCTERMS.source, Literal(doc.path.replace("\\", "/").rsplit("/", 1)[-1])))
    if info.title:
        graph.add((doc_iri, DCTERMS.title, Literal(info.title, lang="zh")))
    # every report is titled 政府工作报告: the label says whose and when
    name = " ".join(p for p in ((info.area_chain[-1] if info.area_chain else "") + info.title, info.date or "") if p)
    graph.add((doc_iri, RDFS.label, Literal(name or doc.doc_id, lang="zh")))
    if info.date:
        graph.add((doc_iri, DCTERMS.date, Literal(info.date, datatype=XSD.date)))
    if info.meeting:
        graph.add((doc_iri, KG.meeting, Literal(info.meeting, lang="zh")))
    if info.review_year:
        graph.add((doc_iri, KG.reviewYear, Literal(info.review_year)))
    if info.plan_year:
        graph.add((doc_iri, KG.planYear, Literal(info.plan_year)))
    if ex.area_path:
        area_key = ("AdministrativeArea", ex.area_path[-1])
        if area_key in iris.by_key:
            graph.add((doc_iri, KG.area, iris[area_key]))
    if info.speaker and ("Person", info.speaker) in iris.by_key:
        graph.add((doc_iri, KG.speaker, iris[("Person", info.speaker)]))

    for e in ex.entities:
        node = iris[e.key]
        graph.add((node, RDF.type, KG[e.type]))
        graph.add((node, RDFS.label, Literal(e.label, lang="zh")))
        for alias in sorted(e.aliases):
            graph.add((node, SKOS.altLabel, Literal(alias, lang="zh")))
        for m in e.mentions:
            sent = sentence_iri(m.sentence)
            graph.add((node, PROV.wasDerivedFrom, sent))
            begin, end = doc.original_span(m.start, m.end)
            mention = span_iri(doc.doc_id, begin, end)
            graph.add((mention, RDF.type, NIF.Phrase))
            graph.add((mention, NIF.anchorOf, Literal(m.text, lang="zh")))
            graph.add((mention, NIF.beginIndex, _integer(begin)))
            graph.add((mention, NIF.endIndex, _integer(end)))
            graph.add((mention, NIF.referenceContext, doc_iri))
            graph.add((mention, NIF.sentence, sent))
            graph.add((mention, ITSRDF.taIdentRef, node))
            graph.add((mention, KG.rule, Literal(m.rule)))

    for r in ex.relations:
        subject = iris[r.subject]
        predicate = KG[r.predicate]
        obj = KG[r.object] if isinstance(r.object, str) else iris[r.object]
        graph.add((subject, predicate, obj))
        stmt = statement_iri(doc.doc_id, subject, predicate, obj)
        graph.add((stmt, RDF.type, RDF.Statement))
        graph.add((stmt, RDF.subject, subject))
        graph.add((stmt, RDF.predicate, predicate))
        graph.add((stmt, RDF.object, obj))
        graph.add((stmt, PROV.wasDerivedFrom, sentence_iri(r.sentence)))
        graph.add((stmt, KG.rule, Literal(r.rule)))

    used: set[URIRef] = set()
    for ind in ex.indicators:
        if ind.subject not in iris.by_key:
            continue
        key = [ind.subject[1], ind.metric, str(ind.year or "none"), ind.kind]
        node = indicator_iri(doc.doc_id, *key)
        if node in used:
            # told apart by its figure: 80.57亿元, or a growth alone 6.5%
            figure = (f"{ind.value}{ind.unit or ''}" if ind.value is not None
                      else f"{ind.growth_pct}%" if ind.growth_pct is not None else "")
            node = indicator_iri(doc.doc_id, *key, figure) if figure else node
        if node in used:
            node = indicator_iri(doc.doc_id, *key, str(doc.original_span(ind.start, ind.end)[0]))
        used.add(node)
        graph.add((node, RDF.type, KG.Indicator))
        graph.add((node, KG.about, iris[ind.subject]))
        graph.add((node, KG.metric, Literal(ind.metric, lang="zh")))
        if ind.value is not None:
            graph.add((node, KG.value, _decimal(ind.value)))
        if ind.unit:
            graph.add((node, KG.unit, Literal(ind.unit)))
        if ind.year:
            graph.add((node, KG.year, _integer(ind.year)))
        if ind.growth_pct is not None:
            graph.add((node, KG.growthPct, _decimal(ind.growth_pct)))
        graph.add((node, KG.kind, KG[ind.kind]))
        if ind.value is not None and ind.unit:
            normal = normalize(ind.value, ind.unit)
            if normal:
                graph.add((node, KG.normalizedValue, _decimal(normal[0])))
                graph.add((node, KG.normalizedUnit, Literal(normal[1])))
        graph.add((node, PROV.wasDerivedFrom, sentence_iri(ind.sentence)))
        graph.add((node, KG.rule, Literal(ind.rule)))
    return graph


@lru_cache(maxsize=1 << 16)
def _integer(n: int) -> Literal:
    """An offset or a year (the same numbers, report after report): rdflib makes an int's Literal slowly."""
    return Literal(int(n))


def _decimal(value: Decimal) -> Literal:
    """xsd:decimal in its canonical form (80.57, 138.0), which Turtle keeps as is."""
    text = format(Decimal(value).normalize(), "f")
    if "." not in text:
        text += ".0"
    return Literal(text, datatype=XSD.decimal)
