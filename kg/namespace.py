"""The kg vocabulary as Python names, plus the other namespaces a graph uses.

``KG`` mirrors ``ontology/kg.ttl`` term for term (``tests/test_ontology.py``
checks that the two agree); it is closed (``_fail = True``), so a typo such as
``KG.partof`` raises instead of silently minting a new IRI.
"""
from __future__ import annotations

from pathlib import Path

from rdflib import Graph
from rdflib.namespace import (
    DCTERMS,
    OWL,
    PROV,
    RDF,
    RDFS,
    SKOS,
    XSD,
    DefinedNamespace,
    Namespace,
)
from rdflib.term import URIRef

ONTOLOGY_DIR: Path = Path(__file__).resolve().parent.parent / "ontology"

KGID = Namespace("https://w3id.org/govkg/id/")
NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")
ITSRDF = Namespace("http://www.w3.org/2005/11/its/rdf#")


class KG(DefinedNamespace):
    """
    kg: the govkg ontology for knowledge graphs of Chinese government work reports.

    Source: ontology/kg.ttl (ontology IRI https://w3id.org/govkg/ontology)
    """

    _fail = True
    _NS = Namespace("https://w3id.org/govkg/ontology#")

    # http://www.w3.org/2002/07/owl#Class
    NamedEntity: URIRef  # A specific, named thing that a government work report talks about; the common superclass of the twelve entity classes.
    Enterprise: URIRef  # A company, named under its full or short name.
    Village: URIRef  # An administrative village (村).
    Community: URIRef  # A residential community (社区).
    AdministrativeArea: URIRef  # A province, city, district, county, town or street as a unit of government.
    Project: URIRef  # A named project, works or construction.
    Institution: URIRef  # An organisation that is not a company: school, hospital, research institute, incubator, chamber of commerce, service centre, station.
    GovernmentAgency: URIRef  # A party or state body; a kind of Institution.
    Industry: URIRef  # An industry or economic sector.
    Place: URIRef  # A named road, bridge, river, ditch, park, zone, estate or site.
    Award: URIRef  # A title, honour or rating that something received.
    Program: URIRef  # A named campaign, policy, plan, mechanism or brand.
    Person: URIRef  # A named person.
    Indicator: URIRef  # A measured, estimated or planned number about a subject for one period.
    Document: URIRef  # A government work report as a text (a NIF context).
    ProjectStatus: URIRef  # The stage a project is in: planned, ongoing or completed.
    IndicatorKind: URIRef  # Whether an indicator's number is an actual value, an estimate or a target.

    # http://www.w3.org/2002/07/owl#ObjectProperty
    partOf: URIRef  # An administrative area, village or community is part of a larger administrative area.
    locatedIn: URIRef  # An entity is located in an administrative area, village, community or place.
    belongsToIndustry: URIRef  # An enterprise or project belongs to an industry.
    cooperatesWith: URIRef  # Two organisations cooperate with each other (symmetric).
    receivedAward: URIRef  # An entity received an award, title or rating.
    awardedBy: URIRef  # An award was given by an institution, agency or area government.
    involves: URIRef  # A project or program names or involves an entity.
    hasStatus: URIRef  # The status of a project as reported.
    about: URIRef  # The entity an indicator measures.
    kind: URIRef  # Whether an indicator is actual, estimated or a target.
    speaker: URIRef  # The person who delivered the report.
    area: URIRef  # The administrative area the report's government governs.

    # http://www.w3.org/2002/07/owl#DatatypeProperty
    metric: URIRef  # What an indicator measures, as written (a Chinese string).
    value: URIRef  # The amount of an indicator as written in the report (xsd:decimal).
    unit: URIRef  # The unit of an indicator's value as written, e.g. 亿元.
    year: URIRef  # The year an indicator or a sentence is about (xsd:integer).
    growthPct: URIRef  # Year-on-year growth of an indicator, in percent (xsd:decimal).
    normalizedValue: URIRef  # The indicator's amount converted to a base unit (xsd:decimal).
    normalizedUnit: URIRef  # The base unit of normalizedValue, e.g. CNY, m3.
    rule: URIRef  # Identifier of the extraction rule that produced a mention, statement or indicator.
    part: URIRef  # The part of the report a sentence belongs to: header, review, problems, plan or closing.
    meeting: URIRef  # The meeting at which the report was delivered.
    reviewYear: URIRef  # The year the report reviews.
    planYear: URIRef  # The year the report plans for.

    # http://www.w3.org/2002/07/owl#NamedIndividual
    planned: URIRef  # Project status: announced or planned, not yet started.
    ongoing: URIRef  # Project status: under way.
    completed: URIRef  # Project status: finished, completed or accepted.
    actual: URIRef  # Indicator kind: a reported actual value.
    estimate: URIRef  # Indicator kind: an estimate (预计) for a period not yet closed.
    target: URIRef  # Indicator kind: a planned target (预期目标).


# The twelve entity classes, in the order of kg.model.ENTITY_TYPES.
ENTITY_CLASSES: tuple[URIRef, ...] = (
    KG.Enterprise,
    KG.Village,
    KG.Community,
    KG.AdministrativeArea,
    KG.Project,
    KG.Institution,
    KG.GovernmentAgency,
    KG.Industry,
    KG.Place,
    KG.Award,
    KG.Program,
    KG.Person,
)

# Object properties between entity nodes (hasStatus is not one: its object is
# a kg:ProjectStatus individual).
RELATION_PROPERTIES: tuple[URIRef, ...] = (
    KG.partOf,
    KG.locatedIn,
    KG.belongsToIndustry,
    KG.cooperatesWith,
    KG.receivedAward,
    KG.awardedBy,
    KG.involves,
)


class CachedTerms:
    """A namespace whose terms are each made once: rdflib makes a new URIRef
    at every ``NS.term`` (a closed namespace checks the name too), and the
    graph writer and the page look terms up hundreds of thousands of times.
    A name the namespace refuses is refused here too."""

    def __init__(self, namespace):
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:
        if name.startswith("__"):
            raise AttributeError(name)
        term = getattr(self._namespace, name)
        setattr(self, name, term)
        return term

    def __getitem__(self, name: str) -> URIRef:
        return getattr(self, name)


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project's prefixes on ``graph`` (replacing clashing bindings)."""
    for prefix, ns in (
        ("kg", KG._NS),
        ("kgid", KGID),
        ("nif", NIF),
        ("itsrdf", ITSRDF),
        ("prov", PROV),
        ("skos", SKOS),
        ("dcterms", DCTERMS),
        ("xsd", XSD),
        ("rdf", RDF),
        ("rdfs", RDFS),
        ("owl", OWL),
    ):
        graph.bind(prefix, ns, override=True, replace=True)
    return graph


__all__ = [
    "KG",
    "KGID",
    "NIF",
    "ITSRDF",
    "ONTOLOGY_DIR",
    "ENTITY_CLASSES",
    "RELATION_PROPERTIES",
    "bind_prefixes",
    "CachedTerms",
]
