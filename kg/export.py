"""Write a built graph in one of several formats.

Organised like rdflib's plugin registry (``rdflib/plugin.py``): ``EXPORTERS``
maps each format name and its aliases to the name of the function that writes
it, and the function (with whatever it imports, e.g. networkx for GraphML) is
only looked up when that format is asked for.  Every exporter takes a graph
and returns bytes, and the same graph always gives the same bytes.

    export(graph, "ttl")      # Turtle            (alias: turtle)
    export(graph, "nt")       # N-Triples, sorted (aliases: ntriples, n-triples)
    export(graph, "nq")       # N-Quads, sorted   (aliases: nquads, n-quads)
    export(graph, "trig")     # TriG
    export(graph, "jsonld")   # JSON-LD with a @context of the kg prefixes (alias: json-ld)
    export(graph, "graphml")  # the entity graph, for Gephi, yEd, Cytoscape
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Callable

from rdflib import RDF, RDFS, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.graph import ConjunctiveGraph

from kg.errors import KgError

KG = Namespace("https://w3id.org/govkg/ontology#")
KGID = Namespace("https://w3id.org/govkg/id/")

#: The prefixes of ontology/README.md, bound in Turtle/TriG output and used
#: as the JSON-LD @context (and as the default prefixes of kg queries).
PREFIXES: dict[str, str] = {
    "kg": str(KG),
    "kgid": str(KGID),
    "nif": "http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#",
    "itsrdf": "http://www.w3.org/2005/11/its/rdf#",
    "prov": "http://www.w3.org/ns/prov#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
}

#: The twelve entity classes (exactly one per entity node) and the relations
#: between entity nodes, in the order of ontology/README.md.
ENTITY_CLASSES: tuple[str, ...] = (
    "Enterprise", "Village", "Community", "AdministrativeArea", "Project",
    "Institution", "GovernmentAgency", "Industry", "Place", "Award",
    "Program", "Person",
)
ENTITY_RELATIONS: tuple[str, ...] = (
    "partOf", "locatedIn", "belongsToIndustry", "cooperatesWith",
    "receivedAward", "awardedBy", "involves",
)

#: format name or alias -> name of the exporter function in this module.
EXPORTERS: dict[str, str] = {
    "ttl": "_export_turtle",
    "turtle": "_export_turtle",
    "nt": "_export_ntriples",
    "ntriples": "_export_ntriples",
    "n-triples": "_export_ntriples",
    "nq": "_export_nquads",
    "nquads": "_export_nquads",
    "n-quads": "_export_nquads",
    "trig": "_export_trig",
    "jsonld": "_export_jsonld",
    "json-ld": "_export_jsonld",
    "graphml": "_export_graphml",
}

#: The canonical format names, e.g. for a CLI choice.
FORMATS: tuple[str, ...] = ("ttl", "nt", "nq", "trig", "jsonld", "graphml")


def export(graph: Graph | Dataset, fmt: str) -> bytes:
    """Serialise ``graph`` as ``fmt`` (see ``FORMATS``); deterministic bytes."""
    name = EXPORTERS.get(fmt.strip().lower())
    if name is None:
        raise KgError(
            f"Unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}."
        )
    exporter: Callable[[Graph], bytes] = globals()[name]
    return exporter(graph)


# -- helpers ---------------------------------------------------------------

def _is_dataset(graph: Graph) -> bool:
    return isinstance(graph, ConjunctiveGraph) or graph.context_aware


def _merged(graph: Graph) -> Graph:
    """A plain Graph of every triple of ``graph`` (all named graphs merged)."""
    if not _is_dataset(graph):
        return graph
    merged = Graph()
    for s, p, o, _ in graph.quads((None, None, None, None)):
        merged.add((s, p, o))
    return merged


def _bind_prefixes(graph: Graph) -> None:
    for prefix, iri in PREFIXES.items():
        graph.bind(prefix, iri, override=True, replace=True)


def _sorted_lines(data: bytes) -> bytes:
    lines = sorted({line for line in data.decode("utf-8").splitlines() if line.strip()})
    return ("\n".join(lines) + "\n").encode("utf-8") if lines else b""


# -- exporters -------------------------------------------------------------

# A store keeps a decimal's value (138) where kg writes it with its point (138.0)
_DECIMAL_WITHOUT_POINT = re.compile(rb'"(-?[0-9]+)"(\^\^<http://www\.w3\.org/2001/XMLSchema#decimal>)')


def with_decimal_points(ntriples: bytes) -> bytes:
    """N-Triples from a store, with decimals as kg writes them (138 -> 138.0)."""
    return _DECIMAL_WITHOUT_POINT.sub(rb'"\1.0"\2', ntriples)


def turtle_from_ntriples(data: bytes) -> bytes:
    """Readable, deterministic Turtle from N-Triples, written by pyoxigraph
    (some thirty times faster than rdflib's serialiser): triples sorted, so a
    subject's triples sit together under it, and a blank line between subjects.

    kgid: is not used as a prefix: kg's IRIs carry / # = , which a prefixed
    name would have to escape (kgid:doc\\/…), and some stores read no escapes.
    """
    import itertools
    import pyoxigraph as ox
    lines = data.split(b"\n")
    for i, line in enumerate(lines):
        if b"#decimal>" in line:
            lines[i] = with_decimal_points(line)
    lines.sort()
    triples = itertools.chain.from_iterable(ox.parse(piece, format=ox.RdfFormat.N_TRIPLES)
                                            for piece in _sorted_pieces(lines))
    out = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=_turtle_prefixes())
    return b"\n".join(_tidied(out.split(b"\n"))).rstrip(b"\n") + b"\n"


def _sorted_pieces(lines: list[bytes], size: int = 1 << 16):
    """Sorted N-Triples lines, each once, joined a piece at a time: a whole
    province's N-Triples are not copied again at once (memory, issue #7)."""
    previous = None
    for start in range(0, len(lines), size):
        piece = []
        for line in lines[start:start + size]:
            if line != previous and line.strip():
                piece.append(line)
            previous = line
        yield b"\n".join(piece)


def write_turtle_from_store(store, path: Path) -> None:
    """Turtle of a store's default graph, streamed to ``path``: for graphs too
    big to sort in memory. Subjects come in the store's own order, which
    depends only on the triples (oxigraph orders them by a fixed hash of each
    term), so the same graph still gives the same bytes."""
    import pyoxigraph as ox
    raw = path.with_name(path.name + ".raw")
    try:
        store.dump(str(raw), format=ox.RdfFormat.TURTLE, from_graph=ox.DefaultGraph(),
                   prefixes=_turtle_prefixes())
        with open(raw, "rb") as source, open(path, "wb") as target:
            for line in _tidied((line.rstrip(b"\n") for line in source), store_decimals=True):
                target.write(line + b"\n")
    finally:
        raw.unlink(missing_ok=True)


def _turtle_prefixes() -> dict[str, str]:
    return {p: ns for p, ns in sorted(PREFIXES.items()) if p != "kgid"}


# a decimal as the store writes it, "138"^^xsd:decimal, and as kg does: 138.0
_STORE_DECIMAL = re.compile(rb'(?<!\\)"(-?\d+)(\.\d+)?"\^\^xsd:decimal')


def _tidied(lines, store_decimals: bool = False):
    """pyoxigraph's Turtle lines, with the @prefix lines in a fixed order and a
    blank line before each subject."""
    prefixes, body = [], False
    for line in lines:
        if not body:
            if line.startswith(b"@prefix"):
                prefixes.append(line)
                continue
            yield from sorted(prefixes)
            body = True
        if line and not line.startswith(b"\t"):
            yield b""
        if store_decimals and b"decimal" in line:
            line = _STORE_DECIMAL.sub(lambda m: m.group(1) + (m.group(2) or b".0"), line)
        yield line
    if not body:
        yield from sorted(prefixes)


def _export_turtle(graph: Graph) -> bytes:
    return turtle_from_ntriples(_merged(graph).serialize(format="nt", encoding="utf-8"))


def _export_ntriples(graph: Graph) -> bytes:
    return _sorted_lines(_merged(graph).serialize(format="nt", encoding="utf-8"))


def _export_nquads(graph: Graph) -> bytes:
    if _is_dataset(graph):
        return _sorted_lines(graph.serialize(format="nquads", encoding="utf-8"))
    data = graph.serialize(format="nt", encoding="utf-8")
    if isinstance(graph.identifier, URIRef):
        # A plain graph with a name: every triple goes into that named graph.
        label = f" <{graph.identifier}> .".encode("utf-8")
        data = b"\n".join(
            line[:-2].rstrip() + label if line.endswith(b" .") else line
            for line in data.splitlines()
        )
    return _sorted_lines(data)


def _export_trig(graph: Graph) -> bytes:
    from rdflib.plugins.serializers.trig import TrigSerializer

    if not _is_dataset(graph):
        # a plain Graph: its triples in the named graph it names, else in the
        # default graph (never under its random blank-node identifier)
        dataset = Dataset()
        target = (
            dataset.graph(graph.identifier)
            if isinstance(graph.identifier, URIRef)
            else dataset.default_graph
        )
        for triple in graph:
            target.add(triple)
        graph = dataset
    _bind_prefixes(graph)
    serializer = TrigSerializer(graph)
    # the store keeps its graphs in a set: order them, default graph first
    default = serializer.default_context
    serializer.contexts = sorted(
        serializer.contexts,
        key=lambda c: (c.identifier != default, str(c.identifier)),
    )
    stream = io.BytesIO()
    serializer.serialize(stream, encoding="utf-8")
    return stream.getvalue()


def _export_jsonld(graph: Graph) -> bytes:
    import json

    data = graph.serialize(format="json-ld", context=dict(PREFIXES), encoding="utf-8")
    doc = _normalise_jsonld(json.loads(data))
    return (json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _jsonld_key(value) -> str:
    import json

    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _normalise_jsonld(value, key: str | None = None):
    """Sort the unordered parts of a JSON-LD document: node arrays and value arrays."""
    if isinstance(value, dict):
        return {k: (v if k == "@context" else _normalise_jsonld(v, k)) for k, v in value.items()}
    if isinstance(value, list):
        items = [_normalise_jsonld(v) for v in value]
        if key == "@list":  # an RDF list: order is meaning
            return items
        return sorted(items, key=_jsonld_key)
    return value


# -- GraphML: the entity graph ----------------------------------------------

_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


def local_name(iri: str) -> str:
    """The part of an IRI after its last '/' or '#', percent-decoded."""
    from urllib.parse import unquote

    return unquote(re.split(r"[/#]", str(iri).rstrip("/#"))[-1])


def label_of(graph: Graph, node) -> str:
    """The node's rdfs:label (preferring @zh), else its local name."""
    labels = [o for o in graph.objects(node, RDFS.label) if isinstance(o, Literal)]
    if labels:
        zh = sorted(str(o) for o in labels if (o.language or "").lower().startswith("zh"))
        return zh[0] if zh else sorted(str(o) for o in labels)[0]
    return local_name(node)


def entity_graph(graph: Graph):
    """The entities and their relations as a ``networkx.MultiDiGraph``.

    Nodes are the IRIs (as strings) of nodes typed with one of the twelve kg
    entity classes, with attributes ``label``, ``type`` and ``iri``; edges are
    the kg relation properties between two entity nodes, keyed and labelled
    by the relation's local name (``relation``).  Nodes and edges are added
    in sorted order, so the result does not depend on the store's order.
    """
    import networkx as nx

    graph = _merged(graph)
    types: dict[URIRef, str] = {}
    for name in ENTITY_CLASSES:
        for node in graph.subjects(RDF.type, KG[name]):
            if isinstance(node, URIRef):
                # exactly one entity class per node; if not, keep the first by name
                types[node] = min(types.get(node, name), name)
    g = nx.MultiDiGraph()
    for node in sorted(types):
        g.add_node(
            str(node),
            label=_xml_safe(label_of(graph, node)),
            type=types[node],
            iri=str(node),
        )
    edges = []
    for name in ENTITY_RELATIONS:
        for s, o in graph.subject_objects(KG[name]):
            if s in types and o in types:
                edges.append((str(s), str(o), name))
    for s, o, name in sorted(edges):
        g.add_edge(s, o, key=name, relation=name)
    return g


def _export_graphml(graph: Graph) -> bytes:
    import networkx as nx

    stream = io.BytesIO()
    nx.write_graphml(entity_graph(graph), stream, encoding="utf-8")
    return stream.getvalue()
