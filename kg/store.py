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
import queue
import re
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rdflib import Dataset, Graph, Literal, URIRef, Variable

from .errors import KgError

if TYPE_CHECKING:
    from .terms import ToRdflib

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


def _fingerprint(data: bytes | Path) -> str:
    """Of a graph file's bytes, or of the file (read in pieces: it may be huge)."""
    if isinstance(data, Path):
        with open(data, "rb") as fh:
            digest = hashlib.file_digest(fh, "sha256")
    else:
        digest = hashlib.sha256(data)
    return f"{LAYOUT} sha256:{digest.hexdigest()}"


def _is_fresh(path: Path, data: bytes | Path) -> bool:
    marker = _marker(path)
    try:
        return path.is_dir() and marker.read_text(encoding="ascii").strip() == _fingerprint(data)
    except (OSError, UnicodeDecodeError):
        return False


def _seen(path: Path) -> Path:
    return path.with_name(path.name + ".seen")


def _stamp(graph_file: Path) -> str | None:
    """The graph file's time, size and inode (None if it cannot be read)."""
    try:
        st = graph_file.stat()
    except OSError:
        return None
    return f"{st.st_mtime_ns} {st.st_size} {st.st_ino}"


def _seen_key(path: Path, graph_file: Path) -> str | None:
    """The store's fingerprint and the graph file's stamp: when unchanged
    since the file was last hashed, it need not be read and hashed again
    (tens of MB for a province: longer than the query itself)."""
    stamp = _stamp(graph_file)
    try:
        return f"{_marker(path).read_text(encoding='ascii').strip()} {stamp}" if stamp else None
    except (OSError, UnicodeDecodeError):
        return None


def _seen_is(path: Path, key: str | None) -> bool:
    """Whether the store was last seen standing for the graph file of ``key``."""
    try:
        return key is not None and _seen(path).read_text(encoding="ascii") == key
    except (OSError, UnicodeDecodeError):
        return False


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


def record(out_dir: Path, turtle: bytes | Path) -> None:
    """Remember which Turtle (bytes, or a file) the output folder's store stands for."""
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
    for piece in _pieces(data):
        store.bulk_load(piece, format=ox.RdfFormat.N_TRIPLES, to_graph=name)
        store.bulk_load(piece, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())


def _pieces(data: bytes | Path, size: int = 32 << 20):
    """N-Triples in pieces of about ``size`` bytes, cut between lines: the bulk
    loader holds what it is given in memory (a 1 GB file at once took 2 GB)."""
    if not isinstance(data, Path):
        yield data
        return
    with open(data, "rb") as fh:
        while piece := fh.read(size):
            yield piece + fh.readline()


#: A store given this many bulk loads or more is compacted afterwards (see
#: compact); fewer leave few files, and a compaction costs some 0.15 s even
#: for one report.
COMPACT_AFTER = 4


def compact(store, loads: int) -> None:
    """Compact a store that took ``loads`` bulk loads, if that is several:
    each leaves files of its own, which every look-up then reads; compacted,
    queries on the whole corpus ran two to three times faster (for 2.5 s of
    work)."""
    if loads >= COMPACT_AFTER:
        store.optimize()


#: A merge of more triples than this is not copied out of the store to be sorted
#: (sorting holds it several times over: 600k triples, some 130 reports, peak near 1 GB):
#: its Turtle is streamed from the store (export.write_turtle_from_store).
IN_MEMORY_TRIPLES = 600_000


class Update:
    """A build's documents going into the output folder's store.

        with Update(out_dir, rebuild=False, background=False) as update:
            for iri, ntriples in documents:
                update.add(iri, ntriples)
            ntriples = update.merge_ntriples()   # the merge (None if too big to hold)
            view = update.take_view()           # ... and a view of it, for the page
            update.start_loading()              # (after any fork) ... write the files
        record(out_dir, turtle)                 # the store is complete once the block is left

    A store that does not stand for the folder's current graph.ttl (missing,
    stale, or of an older layout) is first rebuilt from that Turtle; with no
    graph.ttl, or with ``rebuild``, the store starts empty.

    Most builds replace every document the store holds (a first build, a
    rebuild, the same folder built again). Then the merge is just the union
    of the new graphs: it is made in memory as documents arrive (an on-disk
    store reads ten times slower), and the store is bulk-loaded, documents
    batched, with ``background`` on a thread of its own (pyoxigraph lets go
    of Python's lock while it loads: the store fills while kg writes the
    page). A build that keeps other documents updates the store in place
    and reads the merge from it.
    """

    def __init__(self, out_dir: Path, rebuild: bool = False, background: bool = False):
        import pyoxigraph as ox
        out_dir = Path(out_dir)
        path = store_dir(out_dir)
        turtle_file = out_dir / GRAPH_FILE
        turtle = turtle_file.read_bytes() if turtle_file.is_file() and not rebuild else None
        fresh = turtle is not None and _is_fresh(path, turtle)
        self.store = _open(path)
        _forget(path)
        if not fresh:
            self.store.clear()
            if turtle is not None:
                try:
                    _load(self.store, turtle, _rdf_format(turtle_file.name), str(turtle_file))
                except KgError as err:
                    raise KgError(f"{str(err).rstrip('.')}; `kg build --rebuild` starts afresh.") from None
        self.background = background
        self.loader = None if any(True for _ in self.store.named_graphs()) else _BulkLoader(self.store, background)
        self.kept: list[tuple[str, bytes | Path]] = []     # for a store that holds documents already
        self.memory, self.triples = ox.Store(), 0

    def add(self, iri: str, data: bytes | Path) -> None:
        """A document's graph, as N-Triples (bytes, or a file of them)."""
        import pyoxigraph as ox
        for piece in _pieces(data) if self.memory is not None else ():
            self.triples += piece.count(b"\n")
            if self.triples > IN_MEMORY_TRIPLES:
                self.memory = None            # too big to hold: the merge is read from the store
                break
            # in memory, load is twice as fast as bulk_load
            self.memory.load(piece, format=ox.RdfFormat.N_TRIPLES, to_graph=ox.DefaultGraph())
        if self.loader is not None:
            self.loader.add(iri, data)
        else:
            self.kept.append((iri, data))

    def merge_ntriples(self) -> bytes | None:
        """The merged graph as N-Triples, or None when too big to hold."""
        import pyoxigraph as ox
        if self.kept:
            if {g.value for g in self.store.named_graphs()} <= {iri for iri, _ in self.kept}:
                self.store.clear()            # every document is replaced: load afresh
                self.loader = _BulkLoader(self.store, self.background)
                for iri, data in self.kept:
                    self.loader.add(iri, data)
            else:
                for iri, data in sorted(self.kept):
                    _replace(self.store, iri, data)
                compact(self.store, 2 * len(self.kept))     # two bulk loads each
                self.memory = None            # the merge holds other documents too
            self.kept = []
        if self.memory is not None:
            return self.memory.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
        self._finish()
        if len(self.store) > 2 * IN_MEMORY_TRIPLES:   # named graphs and their merge: each triple twice or more
            return None
        return self.store.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())

    def start_loading(self) -> None:
        """Fill the store with what is held back (with ``background``, from
        now on, beside whatever comes next). Call it after any fork: a
        process forked while a thread runs may inherit a lock held."""
        if self.loader is not None:
            self.loader.start()

    def take_view(self) -> StoreGraph:
        """A read view of the merged graph (after merge_ntriples). The view
        holds the only reference to the in-memory merge: dropping it frees it."""
        if self.memory is None:
            return StoreGraph(self.store)
        memory, self.memory = self.memory, None
        return StoreGraph(memory)

    def _finish(self) -> None:
        if self.loader is not None:
            loader, self.loader = self.loader, None
            loader.finish()
        self.store.flush()

    def __enter__(self) -> Update:
        return self

    def __exit__(self, kind, error, trace) -> None:
        self.memory = None
        try:
            self._finish()
        except BaseException:
            if kind is None:
                raise                         # else the first error is the one to tell


class _BulkLoader:
    """Documents' graphs into an empty store: each triple into the document's
    named graph and into the merge (the default graph), as N-Quads, in
    batches of about ``BATCH`` bytes (a bulk load costs some 10 ms more than
    its quads; one for everything holds it all in memory, several times over).

    Without ``background`` a batch is loaded as soon as there is one. With
    it, documents are held back until ``start()`` (the extraction is over:
    its processes no longer need the cores) or until they pass ``HOLD``
    bytes, and are loaded on a thread of its own, beside the page and the
    Turtle (pyoxigraph lets go of Python's lock while it loads); ``finish()``,
    called once those are written, loads beside the thread until all is in
    (the cores are free by then, and so is the page's memory: at -j 2 the
    corpus built some 5% faster)."""

    BATCH = 8 << 20
    HOLD = 128 << 20

    def __init__(self, store, background: bool):
        self.store, self.background = store, background
        self.queue: queue.Queue = queue.Queue()
        self.held, self.thread, self.error = 0, None, None
        self.loads = 0
        self.forming = threading.Lock()
        self.document = None        # the one being cut into batches: (its graph's line end, its pieces)

    def add(self, iri: str, data: bytes | Path) -> None:
        self.queue.put((iri, data))
        self.held += 0 if isinstance(data, Path) else len(data)     # a spooled file holds no memory
        if self.held > (self.HOLD if self.background else self.BATCH // 2):
            self.start()

    def start(self) -> None:
        """Load what is queued, and with ``background`` what comes after too."""
        self.held = 0
        if not self.background:
            self._run(wait=False)
        elif self.thread is None:
            self.thread = threading.Thread(target=self._run, args=(True,), name="kg-store-load", daemon=True)
            self.thread.start()

    def finish(self) -> None:
        """Load the rest (with ``background``, beside the thread), and compact
        the store (see compact)."""
        self.start()
        if self.thread is not None:
            self.queue.put(None)
            self._run(wait=True)
            self.thread.join()
            if self.error is not None:
                raise self.error
        self._compact()

    def _run(self, wait: bool) -> None:
        """Load batches until the queue is empty (``wait``: until its end, None)."""
        while batch := self._next_batch(wait):
            self._load(batch)

    def _next_batch(self, wait: bool) -> list[bytes]:
        """The next batch of N-Quads cut from the queued documents; [] at the end."""
        with self.forming:
            batch, size = [], 0
            while size < self.BATCH:
                if self.document is None:
                    try:
                        item = self.queue.get() if wait else self.queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        self.queue.put(None)        # the end, for the other loading thread too
                        break
                    iri, data = item
                    # every line of pyoxigraph's N-Triples ends " .\n" (a literal's line breaks are escaped)
                    self.document = (b" <" + iri.encode("utf-8") + b"> .\n", _pieces(data))
                named, pieces = self.document
                piece = next(pieces, None)
                if piece is None:
                    self.document = None
                    continue
                batch += [piece.replace(b" .\n", named), piece]
                size += 2 * len(piece)
            self.loads += bool(batch)
            return batch

    def _load(self, batch: list[bytes]) -> None:
        import pyoxigraph as ox
        self._guarded(lambda: self.store.bulk_load(b"".join(batch), format=ox.RdfFormat.N_QUADS))

    def _compact(self) -> None:
        compact(self.store, self.loads)

    def _guarded(self, step) -> None:
        """Run a step unless one failed; on the loading thread, keep its error for finish()."""
        if self.error is not None:
            return
        try:
            step()
        except BaseException as err:
            if threading.current_thread() is not self.thread:
                raise
            self.error = err                   # told by finish(), in the building thread


def triple_count(store) -> int:
    """Triples in the store's default graph (the merge)."""
    answer = store.query("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    return int(next(iter(answer))[0].value)


class StoreGraph:
    """One graph of a pyoxigraph store, read through the lookups of rdflib's
    Graph that kg's page makes (triples, subjects, objects, subject_objects).

    The page of a whole province then needs no rdflib Graph (about 2 kB a
    triple; an oxigraph store, on disk or in memory, a few hundred bytes).
    Only the properties the page asks for are kept, one dict each. Terms come
    back as rdflib terms; oxigraph keeps a decimal's value (138), kg writes
    it with its point (138.0)."""

    def __init__(self, store, graph_name=None):
        import pyoxigraph as ox
        from .terms import Converter
        self.store = store
        self.name = graph_name if graph_name is not None else ox.DefaultGraph()
        self.terms = Converter()
        self._values: dict = {}

    def __len__(self) -> int:
        return sum(1 for _ in self.store.quads_for_pattern(None, None, None, self.name))

    def _quads(self, s, p, o):
        ox = self.terms.ox
        return self.store.quads_for_pattern(ox(s), ox(p), ox(o), self.name)

    def triples(self, pattern):
        term = self.terms.rdflib
        for q in self._quads(*pattern):
            yield term(q.subject), term(q.predicate), term(q.object)

    def subjects(self, predicate=None, object=None, unique=False):
        found = (self.terms.rdflib(q.subject) for q in self._quads(None, predicate, object))
        return iter(dict.fromkeys(found)) if unique else found

    def objects(self, subject=None, predicate=None, unique=False):
        if subject is not None and predicate is not None:
            found = iter(self._values_of(predicate).get(subject, ()))
        else:
            found = (self.terms.rdflib(q.object) for q in self._quads(subject, predicate, None))
        return iter(dict.fromkeys(found)) if unique else found

    def _values_of(self, predicate) -> dict:
        """Every subject's values of one property, read in one scan of the
        store's predicate index: the page asks thousands of nodes for the same
        few properties (a sentence: its text, offset, document, part, year),
        and one look-up per node and property cost five times more."""
        found = self._values.get(predicate)
        if found is None:
            found = self._values[predicate] = {}
            term = self.terms.rdflib
            for q in self._quads(None, predicate, None):
                found.setdefault(term(q.subject), []).append(term(q.object))
        return found

    def subject_objects(self, predicate=None, unique=False):
        term = self.terms.rdflib
        found = ((term(q.subject), term(q.object)) for q in self._quads(None, predicate, None))
        return iter(dict.fromkeys(found)) if unique else found



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
    if path.is_dir() and _seen_is(path, key):
        return ox.Store.read_only(str(path))
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


@dataclass
class Served:
    """What `kg serve` answers from (see ``served``): a fresh store's folder,
    which each of its worker processes opens read-only, or else an in-memory copy."""
    graph_file: Path
    key: str | None                  # the store's key (_seen_key) or, for a copy, the file's stamp
    folder: Path | None = None
    memory: object = None

    def changed(self) -> bool:
        """Whether the graph file, or the store standing for it, changed since (a new build)."""
        if self.folder is not None:
            return _seen_key(self.folder, self.graph_file) != self.key
        return _stamp(self.graph_file) != self.key

    def open(self):
        """The store, in a worker process; None while a build rewrites it."""
        import pyoxigraph as ox
        if self.folder is None:
            return self.memory
        try:
            store = ox.Store.read_only(str(self.folder))
        except OSError:
            return None
        return store if not self.changed() else None


def served(graph_file: Path) -> Served:
    """What `kg serve` answers from. The graph file's store, made fresh if it
    has to be, is answered from where it is: each worker process opens it
    read-only, once, so the server copies nothing, starts at once and stays
    small whatever the graph's size (a copy of the 97-report corpus in memory
    took 12-18 s to make and kept 440 MB, and answered the heavy named queries
    no faster). Where the store cannot be made fresh (a build is writing it,
    or its folder is read-only), the graph is loaded into memory instead."""
    graph_file = Path(graph_file)
    path = _location(graph_file)
    stamp = _stamp(graph_file)
    store = open_store(graph_file)
    key = _seen_key(path, graph_file)
    # fresh (its .seen says so, or, in a read-only folder, its hash): else
    # open_store gave a copy in memory
    if key is not None and (_seen_is(path, key) or _is_fresh(path, graph_file)):
        del store                            # let go of it: a build must be able to write it
        return Served(graph_file, key, folder=path)
    return Served(graph_file, stamp, memory=store)


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
#
# `kg query` on the built graph: the store (opened read-only, and kept open
# while it stands for the same file) parses and answers the query; kg refuses
# what it never runs (see kg.query.must_check_first), does a top-level ORDER BY
# itself (kg.query.order_plan: the store's sort looks terms up on disk at each
# comparison), takes the rows as rdflib terms, and looks labels up only when
# the table format shows them, all in one query.

_PREFIXES: dict[str, str] | None = None
#: Read-only stores kept open, the latest last: location -> (what they stand for, store)
_READERS: dict = {}
_KEEP = 4


def prefixes() -> dict[str, str]:
    global _PREFIXES
    if _PREFIXES is None:
        from .query import PREFIXES
        _PREFIXES = {k: str(v) for k, v in PREFIXES.items()}
    return dict(_PREFIXES)


def run(store, text: str, default_graph=None, named_graphs=None):
    """pyoxigraph's answer to a query (already checked) on a store."""
    import pyoxigraph as ox
    kwargs = {}
    if default_graph:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graph]
    if named_graphs:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs]
    return store.query(text, prefixes=prefixes(), **kwargs)


def to_result(answer, terms: ToRdflib | None = None):
    """A pyoxigraph answer as an rdflib Result (what kg's formatting takes)."""
    import pyoxigraph as ox
    from rdflib.query import Result
    if isinstance(answer, ox.QueryTriples):
        result = Result("CONSTRUCT")
        result.graph = Graph().parse(data=answer.serialize(format=ox.RdfFormat.N_TRIPLES).decode("utf-8"),
                                     format="nt")
        return result
    if isinstance(answer, ox.QueryBoolean):
        result = Result("ASK")
        result.askAnswer = bool(answer)
        return result
    result = Result("SELECT")
    result.vars, result.bindings = _rdflib_rows(answer, terms)
    return result


def _rdflib_rows(answer, terms: ToRdflib | None = None, keep: list | None = None):
    """A SELECT answer's variables and rows (dicts of rdflib terms); each row's
    pyoxigraph terms are appended to ``keep``, if given."""
    from .terms import ToRdflib
    variables = [Variable(v.value) for v in answer.variables]
    term = terms if terms is not None else ToRdflib()
    known, rows = term.cache, []
    for solution in answer:
        row = {}
        values = tuple(solution)
        for var, value in zip(variables, values):
            if value is not None:
                found = known.get(value)
                row[var] = found if found is not None else term(value)
        rows.append(row)
        if keep is not None:
            keep.append(values)
    return variables, rows


def ordered_rows(store, plan, default_graph=None, named_graphs=None):
    """The rows of a SELECT that kg sorts itself, as `kg query` does (the
    store's ORDER BY, with expressions, took seconds where kg takes tens of
    milliseconds): the variables shown and the rows as pyoxigraph terms, in
    the ORDER BY's order. None where the answer is not a SELECT's or kg
    cannot reproduce the store's order. ``plan``: query.order_plan's, with
    a text to send."""
    import pyoxigraph as ox
    from .query import Unsortable, sort_rows
    answer = run(store, plan.text, default_graph, named_graphs)
    if not isinstance(answer, ox.QuerySolutions):
        return None
    solutions: list = []
    variables, rows = _rdflib_rows(answer, keep=solutions)
    try:
        ordered = sort_rows(rows, plan, variables)
    except Unsortable:
        return None
    where = {id(row): n for n, row in enumerate(rows)}
    hidden = set(plan.hidden)
    shown = [n for n, var in enumerate(variables) if str(var) not in hidden]
    return ([variables[n] for n in shown],
            [tuple(solutions[where[id(row)]][n] for n in shown) for row in ordered])


def _reader_key(path: Path, graph_file: Path):
    """What an open read-only store stands for: the graph file as last hashed,
    and the store's folder (any writer changes its files)."""
    key = _seen_key(path, graph_file)
    try:
        return (key, path.stat().st_mtime_ns) if key else None
    except OSError:
        return None


def reader(graph_file: Path):
    """The store of a graph file, as open_store gives it; a fresh read-only
    store stays open for the next query of this process while the graph file
    and the store are unchanged (opening one takes tens of milliseconds)."""
    graph_file = Path(graph_file)
    path = _location(graph_file)
    key = _reader_key(path, graph_file)
    kept = _READERS.pop(path, None)
    if key is not None and kept is not None and kept[0] == key:
        _READERS[path] = kept                # the latest again
        return kept[1]
    fresh = key is not None and _seen_is(path, key[0])
    store = open_store(graph_file)
    if fresh and _reader_key(path, graph_file) == key:
        _READERS[path] = (key, store)        # open_store opened it read-only, as it was
        while len(_READERS) > _KEEP:         # each holds the store's files open
            _READERS.pop(next(iter(_READERS)))
    return store


def _failed(err: Exception) -> KgError:
    return KgError(f"The query failed while running: {str(err).strip().rstrip('.')}.")


def query(graph_file: Path, text: str):
    """Run a checked, read-only query on the store of a graph file; an rdflib Result.

    Rows of a SELECT without ORDER BY are sorted (the same graph always gives
    the same output), and the kg IRIs in the answer are shown by their labels
    in the table format.
    """
    from .query import Unsortable, _is_ordered, _sort_key, check_query, must_check_first, order_plan, sort_rows
    if must_check_first(text) or not Path(graph_file).is_file():
        check_query(text, allow_dataset=True)          # refusals, with rdflib's messages
    store = reader(graph_file)
    plan = order_plan(text)
    from .terms import ToRdflib
    terms = ToRdflib()
    result = None
    if plan.text is not None:
        try:
            result = to_result(run(store, plan.text), terms)
        except (SyntaxError, ValueError, OSError):
            result = None                             # kg's rewriting: the query as written tells
        if result is not None and result.type == "SELECT":
            try:
                result.bindings = sort_rows(result.bindings, plan, result.vars)
                hidden = set(plan.hidden)
                result.vars = [v for v in result.vars if str(v) not in hidden]
            except Unsortable:
                result = None                         # the store sorts, as the query says
    if result is None:
        try:
            result = to_result(run(store, text), terms)
        except SyntaxError as err:
            check_query(text, allow_dataset=True)     # rdflib says where the query is wrong
            raise _failed(err) from None
        except (ValueError, OSError) as err:
            raise _failed(err) from None
    if result.type == "SELECT":
        ordered = plan.ordered
        if ordered is None:
            ordered = _is_ordered(check_query(text, allow_dataset=True).algebra)
        if not ordered:
            result.bindings = sorted(result.bindings, key=lambda row: _sort_key(row, result.vars or []))
        result.kg_graph = StoreLabels(store)
    return result


class StoreLabels:
    """The labels of kg IRIs, looked up in a store when a table shows them
    (``label_texts``): one query for all the IRIs of an answer."""

    def __init__(self, store):
        self.store = store

    def label_texts(self, iris) -> dict:
        """IRI -> its rdfs:label (the first @zh one, else the first), for those that have one."""
        import pyoxigraph as ox
        from .query import prefer_label
        iris = list(dict.fromkeys(iris))
        found: dict = defaultdict(list)
        for start in range(0, len(iris), 20000):
            chunk = iris[start:start + 20000]
            rows = " ".join(f"({n} <{iri}>)" for n, iri in enumerate(chunk))
            if len(chunk) > 1000:   # many: one pass over all labels beats a look-up each
                pattern = "{ SELECT ?e ?l WHERE { ?e rdfs:label ?l } }"
            else:
                pattern = "?e rdfs:label ?l ."
            try:
                answer = run(self.store, f"SELECT ?n ?l WHERE {{ VALUES (?n ?e) {{ {rows} }} {pattern} }}")
                for n, label in answer:
                    if isinstance(label, ox.Literal):
                        found[chunk[int(n.value)]].append((label.value, label.language))
            except (SyntaxError, ValueError, OSError):
                continue
        return {iri: prefer_label(labels) for iri, labels in found.items()}


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
