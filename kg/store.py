"""The embedded store: pyoxigraph on disk, one named graph per document.

The store is a cache, not a source. It lives in ``.kg-cache/`` beside the
output folder (git-ignored) and holds:

- one named graph per document, named by the document's IRI
  (``https://w3id.org/govkg/id/doc/{doc id}``), exactly the triples that
  document's extraction produced;
- the default graph: the RDF merge of them all (each triple once), which is
  what queries see unless they say ``GRAPH``, ``FROM`` or ``FROM NAMED``.
  (Oxigraph's own "default graph as union" repeats a triple once per graph
  that holds it, so shared entities would be counted twice: kg keeps the
  merge itself instead.)

A build adds or replaces its documents' graphs (and adjusts the merge: a
triple leaves the default graph only when no other document still states
it); ``rebuild`` starts afresh. A fingerprint beside the store says which
Turtle it stands for; when the store is missing or stale it is rebuilt from
the Turtle, each document's graph recovered from the provenance the Turtle
carries (see ``_partition``).
"""
from __future__ import annotations

import hashlib
import io
import os
import re
from collections import defaultdict
from pathlib import Path

from rdflib import Dataset, Graph, Literal, URIRef, Variable
from rdflib.namespace import XSD

from .errors import KgError

#: Bumped whenever what the store holds changes: older caches become stale.
LAYOUT = "kg-store 2"
DOC = "https://w3id.org/govkg/id/doc/"
GRAPH_FILE = "graph.ttl"

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_KG = "https://w3id.org/govkg/ontology#"
_DERIVED = "http://www.w3.org/ns/prov#wasDerivedFrom"
_STATEMENT_PARTS = (_RDF + "subject", _RDF + "predicate", _RDF + "object")
# doc-scoped nodes pointing at the entities a document names
_POINTERS = {_RDF + "subject", _RDF + "object", _KG + "about", _KG + "area", _KG + "speaker"}


# -- where -------------------------------------------------------------------

def store_dir(out_dir: Path) -> Path:
    """The store of an output folder: ``.kg-cache/{folder name}`` beside it."""
    out_dir = Path(out_dir).resolve()
    return out_dir.parent / ".kg-cache" / out_dir.name


def _location(graph_file: Path) -> Path:
    """The store standing for a graph file (a build's graph.ttl: its folder's store)."""
    graph_file = Path(graph_file).resolve()
    base = store_dir(graph_file.parent)
    return base if graph_file.name == GRAPH_FILE else base.with_name(f"{base.name}@{graph_file.name}")


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".fingerprint")


def _fingerprint(data: bytes) -> str:
    return f"{LAYOUT} sha256:{hashlib.sha256(data).hexdigest()}"


def _is_fresh(path: Path, data: bytes) -> bool:
    marker = _marker(path)
    try:
        return path.is_dir() and marker.read_text(encoding="ascii").strip() == _fingerprint(data)
    except (OSError, UnicodeDecodeError):
        return False


def _seen(path: Path) -> Path:
    return path.with_name(path.name + ".seen")


def _seen_key(path: Path, graph_file: Path) -> str | None:
    """The store's fingerprint and the graph file's size, time and inode: when
    unchanged since the file was last hashed, it need not be read and hashed
    again (tens of MB for a province: longer than the query itself)."""
    try:
        st = graph_file.stat()
        return f"{_marker(path).read_text(encoding='ascii').strip()} {st.st_size} {st.st_mtime_ns} {st.st_ino}"
    except (OSError, UnicodeDecodeError):
        return None


def _remember_seen(path: Path, graph_file: Path) -> None:
    key = _seen_key(path, graph_file)
    try:
        if key:
            tmp = _seen(path).with_name(_seen(path).name + f".{os.getpid()}")
            tmp.write_text(key, encoding="ascii")
            os.replace(tmp, _seen(path))
    except OSError:
        pass                                  # a read-only folder: hashed every time


def _forget(path: Path) -> None:
    """The store is about to change: until record(), it stands for no Turtle."""
    try:
        _marker(path).unlink()
    except FileNotFoundError:
        pass


def record(out_dir: Path, turtle: bytes) -> None:
    """Remember which Turtle the output folder's store stands for."""
    path = store_dir(out_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _marker(path).with_name(_marker(path).name + f".{os.getpid()}")
    tmp.write_text(_fingerprint(turtle), encoding="ascii")
    os.replace(tmp, _marker(path))


class StoreBusy(KgError):
    pass


def _open(path: Path):
    import pyoxigraph as ox
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise KgError(f"{path.parent}: the store's folder cannot be made ({err.strerror or err}).") from None
    try:
        return ox.Store(str(path))
    except OSError:
        import gc
        gc.collect()          # a store this process just let go of may still hold its lock
    try:
        return ox.Store(str(path))
    except OSError as err:
        raise StoreBusy(f"{path}: the store cannot be opened ({err}); is another kg building into it?") from None


# -- what ----------------------------------------------------------------------

def doc_of(iri: str) -> str | None:
    """The document IRI a document-scoped IRI lives under (kgid:doc/{id}[#…|/…])."""
    if not iri.startswith(DOC):
        return None
    rest = re.split(r"[#/]", iri[len(DOC):], maxsplit=1)[0]
    return DOC + rest if rest else None


def _rdf_format(name: str):
    import pyoxigraph as ox
    suffix = Path(name).suffix.lstrip(".").lower()
    return (ox.RdfFormat.from_extension(suffix) if suffix else None) or ox.RdfFormat.TURTLE


def _merge_into_default(store) -> None:
    store.update("INSERT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }")


def _partition(store) -> None:
    """Give each document its graph back, from the merged triples in the default graph.

    A triple whose subject is document-scoped (the report, its sentences,
    mentions, statements, indicators) belongs to that document; an entity's
    ``prov:wasDerivedFrom`` to the document of the sentence; a relation
    between entities to the documents whose ``rdf:Statement`` states it; any
    other triple about an entity (type, label, aliases) to every document that
    names it. For graphs kg built this gives back each document's graph
    exactly, except that an alias one report gave a shared entity is then
    attributed to every report naming it. Triples no document accounts for
    stay in the default graph only.
    """
    import pyoxigraph as ox
    triples = [(q.subject, q.predicate, q.object)
               for q in store.quads_for_pattern(None, None, None, ox.DefaultGraph())]
    named_by: dict = defaultdict(set)          # entity -> documents naming it
    parts: dict = defaultdict(dict)            # statement node -> its subject/predicate/object
    for s, p, o in triples:
        if not isinstance(s, ox.NamedNode):
            continue
        doc = doc_of(s.value)
        if doc:
            if p.value in _POINTERS and isinstance(o, ox.NamedNode) and not doc_of(o.value):
                named_by[o].add(doc)
            if p.value in _STATEMENT_PARTS:
                parts[s][p.value] = o
        elif p.value == _DERIVED and isinstance(o, ox.NamedNode) and doc_of(o.value):
            named_by[s].add(doc_of(o.value))
    stated: dict = defaultdict(set)            # (s, p, o) -> documents with a statement of it
    for node, spo in parts.items():
        if len(spo) == 3:
            stated[tuple(spo[k] for k in _STATEMENT_PARTS)].add(doc_of(node.value))
    quads = []
    for s, p, o in triples:
        doc = doc_of(s.value) if isinstance(s, ox.NamedNode) else None
        if doc:
            targets = {doc}
        elif p.value == _DERIVED and isinstance(o, ox.NamedNode) and doc_of(o.value):
            targets = {doc_of(o.value)}
        elif (s, p, o) in stated:
            targets = stated[(s, p, o)]
        else:
            targets = named_by.get(s, ())
        quads.extend(ox.Quad(s, p, o, ox.NamedNode(t)) for t in sorted(targets))
    store.extend(quads)


def _load(store, data: bytes, fmt, where: str) -> None:
    """Fill an empty store from a graph file's bytes: named graphs, and their merge."""
    import pyoxigraph as ox
    try:
        if fmt.supports_datasets:
            store.load(data, format=fmt)
        else:
            store.load(data, format=fmt, to_graph=ox.DefaultGraph())
    except (SyntaxError, ValueError) as err:
        raise KgError(f"{where}: is not readable {fmt.name} ({str(err).splitlines()[0][:200]}).") from None
    if not any(True for _ in store.named_graphs()):
        _partition(store)
    else:
        _merge_into_default(store)


# -- building ------------------------------------------------------------------

def _nt(graph: Graph) -> bytes:
    return graph.serialize(format="nt", encoding="utf-8")


def _replace(store, iri: str, data: bytes) -> None:
    """Put a document's graph in place of its old version; keep the merge in step."""
    import pyoxigraph as ox
    name = ox.NamedNode(iri)
    if store.contains_named_graph(name):
        # its old triples leave the merge, unless another document states them too
        store.update(f"DELETE {{ ?s ?p ?o }} WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} "
                     f"FILTER NOT EXISTS {{ GRAPH ?g {{ ?s ?p ?o }} FILTER (?g != <{iri}>) }} }}")
        store.remove_graph(name)
    # bulk_load: several times faster than load, and the store is marked stale meanwhile
    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=name)
    store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())


def update(out_dir: Path, graphs: dict[str, Graph | bytes], rebuild: bool = False) -> tuple[Graph, bytes]:
    """Add or replace each document's graph (rdflib, or N-Triples bytes) in the
    output folder's store; return the merge, as an rdflib Graph and as N-Triples.

    A store that does not stand for the folder's current graph.ttl (missing,
    stale, or of an older layout) is first rebuilt from that Turtle; with no
    graph.ttl, or with ``rebuild``, the store starts empty.
    """
    import pyoxigraph as ox
    out_dir = Path(out_dir)
    path = store_dir(out_dir)
    turtle_file = out_dir / GRAPH_FILE
    turtle = turtle_file.read_bytes() if turtle_file.is_file() and not rebuild else None
    fresh = turtle is not None and _is_fresh(path, turtle)
    store = _open(path)
    _forget(path)
    if not fresh:
        store.clear()
        if turtle is not None:
            try:
                _load(store, turtle, _rdf_format(turtle_file.name), str(turtle_file))
            except KgError as err:
                raise KgError(f"{str(err).rstrip('.')}; `kg build --rebuild` starts afresh.") from None
    for iri, graph in sorted(graphs.items()):
        _replace(store, iri, _nt(graph) if isinstance(graph, Graph) else graph)
    store.flush()
    data = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    only = next(iter(graphs.values())) if len(graphs) == 1 else None
    if isinstance(only, Graph) and [g.value for g in store.named_graphs()] == list(graphs):
        merged = only                 # the store holds just this graph: no need to read it back
    else:
        merged = _graph_of(store, ox.DefaultGraph())
    del store
    return merged, data


def _graph_of(store, graph_name) -> Graph:
    """One graph of the store as an rdflib Graph, term by term (three times
    faster than writing N-Triples for rdflib to parse, and a third of the memory).
    Oxigraph keeps a decimal's value (138), kg writes it with its point (138.0)."""
    import pyoxigraph as ox
    from .graph import new_graph
    graph, terms = new_graph(), {}

    def term(t):
        found = terms.get(t)
        if found is None:
            if isinstance(t, ox.NamedNode):
                found = URIRef(t.value)
            elif isinstance(t, ox.Literal):
                value, datatype = t.value, t.datatype.value
                if t.language:
                    found = Literal(value, lang=t.language)
                elif datatype == _XSD_STRING:
                    found = Literal(value)
                else:
                    if datatype == _XSD_DECIMAL and "." not in value:
                        value += ".0"
                    found = Literal(value, datatype=URIRef(datatype))
            else:
                raise KgError(f"The store holds a blank node or triple term kg never writes: {t}.")
            terms[t] = found
        return found

    graph.addN((term(q.subject), term(q.predicate), term(q.object), graph)
               for q in store.quads_for_pattern(None, None, None, graph_name))
    return graph


_XSD_STRING = str(XSD.string)
_XSD_DECIMAL = str(XSD.decimal)


# -- reading -------------------------------------------------------------------

def open_store(graph_file: Path):
    """The store for a graph file, rebuilt from the file if missing or stale.

    Fresh stores open read-only (any number of readers at once); where the
    store cannot be written (another kg is building into it, or the folder
    is read-only) the graph is loaded into memory instead.
    """
    import pyoxigraph as ox
    graph_file = Path(graph_file)
    if not graph_file.is_file():
        raise KgError(f"{graph_file}: no such graph file; run `kg build` first or pass --graph FILE.")
    path = _location(graph_file)
    key = _seen_key(path, graph_file)
    if key and path.is_dir():
        try:
            if _seen(path).read_text(encoding="ascii") == key:
                return ox.Store.read_only(str(path))
        except (OSError, UnicodeDecodeError):
            pass
    data = graph_file.read_bytes()
    fmt = _rdf_format(graph_file.name)
    if _is_fresh(path, data):
        try:
            store = ox.Store.read_only(str(path))
            _remember_seen(path, graph_file)
            return store
        except OSError:
            pass
    try:
        store = _open(path)
    except KgError:
        store = None
    if store is None:
        store = ox.Store()                  # in memory, for this run only
        _load(store, data, fmt, str(graph_file))
        return store
    _forget(path)
    store.clear()
    _load(store, data, fmt, str(graph_file))
    store.flush()
    _marker(path).write_text(_fingerprint(data), encoding="ascii")
    _remember_seen(path, graph_file)
    return store


def memory_copy(graph_file: Path):
    """An in-memory store with the same graphs (what `kg serve` answers from)."""
    import pyoxigraph as ox
    source = open_store(graph_file)
    copy = ox.Store()
    copy.bulk_load(source.dump(format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
    return copy


def documents(graph_file: Path) -> dict[str, bytes]:
    """Each named graph of the store, as sorted N-Triples; "" for triples in no document."""
    import pyoxigraph as ox
    store = open_store(graph_file)
    out = {}
    for name in sorted(store.named_graphs(), key=lambda g: g.value):
        out[name.value] = store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=name)
    loose = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o FILTER NOT EXISTS { GRAPH ?g { ?s ?p ?o } } }")
    data = loose.serialize(format=ox.RdfFormat.N_TRIPLES)
    if data.strip():
        out[""] = data
    return out


def dataset(graph_file: Path) -> Dataset:
    """The documents' named graphs (and any triple in none, in the default graph), for nq/trig."""
    from .export import with_decimal_points
    from .namespace import bind_prefixes
    result = Dataset()
    bind_prefixes(result)
    for iri, data in documents(graph_file).items():
        target = result.graph(URIRef(iri)) if iri else result.default_graph
        target.parse(data=with_decimal_points(data).decode("utf-8"), format="nt")
    return result


# -- querying ------------------------------------------------------------------

def prefixes() -> dict[str, str]:
    from .query import PREFIXES
    return {k: str(v) for k, v in PREFIXES.items()}


def run(store, text: str, default_graph=None, named_graphs=None):
    """pyoxigraph's answer to a query (already checked) on a store."""
    import pyoxigraph as ox
    kwargs = {}
    if default_graph:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph]
    if named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    return store.query(text, prefixes=prefixes(), **kwargs)


def to_result(answer):
    """A pyoxigraph answer as an rdflib Result (what kg's formatting takes)."""
    import pyoxigraph as ox
    from rdflib.query import Result
    if isinstance(answer, ox.QueryTriples):
        result = Result("CONSTRUCT")
        result.graph = Graph().parse(data=answer.serialize(format=ox.RdfFormat.N_TRIPLES).decode("utf-8"),
                                     format="nt")
        return result
    data = answer.serialize(format=ox.QueryResultsFormat.JSON)
    return Result.parse(io.StringIO(data.decode("utf-8")), format="json")


def query(graph_file: Path, text: str):
    """Run a checked, read-only query on the store of a graph file; an rdflib Result.

    Rows of a SELECT without ORDER BY are sorted (the same graph always gives
    the same output), and the kg IRIs in the answer carry their labels for
    the table format.
    """
    from .query import _is_ordered, _sort_key, check_query
    prepared = check_query(text, allow_dataset=True)
    store = open_store(graph_file)
    try:
        result = to_result(run(store, text))
    except (SyntaxError, ValueError, OSError) as err:
        raise KgError(f"The query failed while running: {str(err).strip().rstrip('.')}.") from None
    if result.type == "SELECT" and not _is_ordered(prepared.algebra):
        result.bindings = sorted(result.bindings, key=lambda row: _sort_key(row, result.vars or []))
    result.kg_graph = labels(result, lambda q: to_result(run(store, q)))
    return result


def labels(result, select) -> Graph | None:
    """The rdfs:labels of the kg IRIs in a SELECT answer, fetched with ``select(query)``."""
    from rdflib import RDFS
    from .namespace import KGID
    if result.type != "SELECT":
        return None
    iris = sorted({term for row in result.bindings for term in row.values()
                   if isinstance(term, URIRef) and str(term).startswith(str(KGID))})
    graph = Graph()
    for start in range(0, len(iris), 500):
        chunk = " ".join(term.n3() for term in iris[start:start + 500])
        try:
            found = select(f"SELECT ?e ?l WHERE {{ VALUES ?e {{ {chunk} }} ?e rdfs:label ?l }}")
        except KgError:
            return graph
        for row in found.bindings:
            graph.add((row[Variable("e")], RDFS.label, row[Variable("l")]))
    return graph
