"""The embedded store: pyoxigraph on disk, one named graph per document.

The store is a cache, not a source: it lives in `.kg-cache/` beside the output
folder (git-ignored), holds every document built into that output as the named
graph of the document's IRI, and is rebuilt from the Turtle when it is missing
or stale (the Turtle changed since the store was written). Queries see the
union of all graphs.
"""
from __future__ import annotations

import hashlib
import io
from pathlib import Path

from rdflib import Dataset, Graph, Literal
from rdflib.namespace import XSD

from .errors import KgError


def store_dir(out_dir: Path) -> Path:
    out_dir = Path(out_dir).resolve()
    return out_dir.parent / ".kg-cache" / out_dir.name


def _fingerprint_file(out_dir: Path) -> Path:
    return store_dir(out_dir).with_suffix(".sha256")


def _open(path: Path):
    import pyoxigraph as ox
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        return ox.Store(str(path))
    except OSError:
        import gc
        gc.collect()          # a store this process just let go of may still hold its lock
    try:
        return ox.Store(str(path))
    except OSError as err:
        raise KgError(f"{path}: the store cannot be opened ({err}); is another kg using it?") from None


def _nt(graph: Graph) -> bytes:
    return graph.serialize(format="nt", encoding="utf-8")


def update(out_dir: Path, graphs: dict[str, Graph], rebuild: bool = False) -> Graph:
    """Add or replace each document's graph; return the union of the whole store."""
    import pyoxigraph as ox
    store = _open(store_dir(out_dir))
    if rebuild:
        store.clear()
    for iri, graph in sorted(graphs.items()):
        name = ox.NamedNode(iri)
        store.remove_graph(name)
        store.load(_nt(graph), format=ox.RdfFormat.N_TRIPLES, to_graph=name)
    store.flush()
    union = _union(store)
    del store
    return union


def record(out_dir: Path, turtle: bytes) -> None:
    """Remember which Turtle the store stands for."""
    _fingerprint_file(out_dir).write_text(hashlib.sha256(turtle).hexdigest(), encoding="ascii")


def _union(store) -> Graph:
    from .graph import new_graph
    union = new_graph()
    for graph in _dataset(store).graphs():
        for triple in graph:
            union.add(triple)
    return union


def _as_written(term):
    """Oxigraph stores 138.0 as 138; kg writes decimals with their point (as Turtle does)."""
    if isinstance(term, Literal) and term.datatype == XSD.decimal and "." not in str(term):
        return Literal(f"{term}.0", datatype=XSD.decimal)
    return term


def _dataset(store) -> Dataset:
    import pyoxigraph as ox
    from .namespace import bind_prefixes
    data = store.dump(format=ox.RdfFormat.N_QUADS)
    parsed = Dataset()
    parsed.parse(data=data.decode("utf-8"), format="nquads")
    dataset = Dataset()
    bind_prefixes(dataset)
    for s, p, o, g in parsed.quads():
        dataset.add((s, p, _as_written(o), g))
    return dataset


def fresh_store(graph_file: Path):
    """The store for a built graph file, rebuilt from the Turtle if missing or stale."""
    import pyoxigraph as ox
    graph_file = Path(graph_file)
    if not graph_file.exists():
        raise KgError(f"{graph_file}: no such graph file; run `kg build` first or pass --graph FILE.")
    out_dir = graph_file.parent
    turtle = graph_file.read_bytes()
    digest = hashlib.sha256(turtle).hexdigest()
    marker = _fingerprint_file(out_dir)
    path = store_dir(out_dir)
    if path.exists() and marker.exists() and marker.read_text(encoding="ascii").strip() == digest:
        try:
            return ox.Store.read_only(str(path))   # many readers at once
        except OSError:
            pass
    store = _open(path)
    store.clear()                                # missing or stale: rebuilt from the Turtle
    try:
        store.load(turtle, format=ox.RdfFormat.TURTLE, to_graph=ox.DefaultGraph())
    except SyntaxError as err:
        raise KgError(f"{graph_file}: is not readable Turtle ({err}).") from None
    store.flush()
    record(out_dir, turtle)
    return store


def query(graph_file: Path, text: str):
    """Run a checked, read-only query on the store; the answer as an rdflib Result."""
    import pyoxigraph as ox
    from rdflib.query import Result
    from .query import PREFIXES, _is_ordered, _sort_key, check_query
    prepared = check_query(text)
    store = fresh_store(graph_file)
    try:
        answer = store.query(text, prefixes={k: str(v) for k, v in PREFIXES.items()},
                             use_default_graph_as_union=True)
    except (SyntaxError, ValueError, OSError) as err:
        raise KgError(f"The query failed while running: {err}.") from None
    if isinstance(answer, ox.QueryTriples):
        result = Result("CONSTRUCT")
        result.graph = Graph().parse(data=answer.serialize(format=ox.RdfFormat.N_TRIPLES).decode("utf-8"), format="nt")
        return result
    data = answer.serialize(format=ox.QueryResultsFormat.JSON)
    result = Result.parse(io.StringIO(data.decode("utf-8")), format="json")
    if result.type == "SELECT" and not _is_ordered(prepared.algebra):
        result.bindings = sorted(result.bindings, key=lambda row: _sort_key(row, result.vars or []))
    return result


def dataset(graph_file: Path) -> Dataset:
    """All named graphs of the store behind a built graph file (for nq/trig export)."""
    return _dataset(fresh_store(graph_file))
