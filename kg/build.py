"""Build: report files in, graph.ttl and graph.html out, never half-written."""
from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph

from .errors import KgError
from .reader import SUFFIXES

DEFAULT_INPUT = Path("seeds")
DEFAULT_OUTPUT = Path("output")


@dataclass
class BuildResult:
    graph: Graph
    documents: list[str]
    entities: Counter
    relations: int
    indicators: int
    failures: list[str] = field(default_factory=list)   # one sentence per bad file
    seconds: float = 0.0
    written: list[Path] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"documents   {len(self.documents)}",
                 f"entities    {sum(self.entities.values())}"]
        for type_, n in sorted(self.entities.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {type_:<20}{n}")
        lines += [f"relations   {self.relations}",
                  f"indicators  {self.indicators}",
                  f"triples     {len(self.graph)}",
                  f"seconds     {self.seconds:.2f}"]
        lines += [f"wrote       {p}" for p in self.written]
        if self.failures:
            lines.append(f"not built ({len(self.failures)}):")
            lines += [f"  {f}" for f in self.failures]
        return "\n".join(lines)


def collect_inputs(paths: list[Path]) -> list[Path]:
    """Files as given, and the .txt/.docx files of folders, in a stable order."""
    files: list[Path] = []
    for p in paths:
        if not p.exists():
            raise KgError(f"{p}: no such file or folder.")
        if p.is_dir():
            found = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES)
            if not found:
                raise KgError(f"{p}: the folder holds no .txt or .docx report.")
            files.extend(found)
        else:
            files.append(p)
    unique = {f.resolve(): f for f in files}
    return sorted(unique.values(), key=lambda f: (f.name, str(f)))


@dataclass
class _Document:
    """One report, extracted: what the build keeps of it (small, and picklable
    for -j: the graph travels as N-Triples, not as an rdflib Graph)."""
    doc_id: str
    path: str
    iri: str
    ntriples: bytes
    entities: Counter
    relations: int
    indicators: int


def _extract(path: Path, keep_graph: bool = False) -> tuple[_Document | None, Graph | None, str | None]:
    """Extract one report: (document, its rdflib graph if asked for, or the failure sentence)."""
    from .graph import add_extraction, new_graph
    from .iris import document_iri
    from .pipeline import extract
    try:
        ex = extract(path)
    except KgError as err:
        return None, None, str(err)
    graph = add_extraction(new_graph(), ex)
    doc = _Document(ex.document.doc_id, str(ex.document.path), str(document_iri(ex.document.doc_id)),
                    graph.serialize(format="nt", encoding="utf-8"), Counter(e.type for e in ex.entities),
                    len(ex.relations), len(ex.indicators))
    return doc, graph if keep_graph else None, None


def _extract_in_worker(path: Path):
    return _extract(path)


def _extract_all(files: list[Path], jobs: int):
    """Each file's (document, graph, failure), in the order of ``files``. With
    jobs > 1, forked workers extract (each loads the segmenter once); only a
    single report keeps its rdflib graph, so memory does not grow with every
    report's graph held twice."""
    keep = len(files) == 1
    if jobs <= 1 or len(files) == 1:
        yield from (_extract(f, keep_graph=keep) for f in files)
        return
    import multiprocessing
    from . import segment
    segment.initialize()                  # once, before the fork: the workers share it
    with multiprocessing.get_context("fork").Pool(min(jobs, len(files))) as pool:
        yield from pool.imap(_extract_in_worker, files, chunksize=1)


def build_graph(paths: list[Path] | None = None, out_dir: Path | None = DEFAULT_OUTPUT,
                html: bool = True, rebuild: bool = False, jobs: int = 1) -> BuildResult:
    """Extract every report, make one graph, write graph.ttl (+ graph.html).

    With an output folder, each document's graph is added to (or replaces its
    old version in) the folder's store, and the files show the store's merge;
    `rebuild` starts the store afresh. `jobs` reports are extracted at once."""
    from .graph import new_graph

    started = time.perf_counter()
    files = collect_inputs(list(paths or [DEFAULT_INPUT]))
    documents: list[_Document] = []
    graphs: dict[str, Graph | bytes] = {}
    failures = []
    for doc, graph, failure in _extract_all(files, jobs):
        if failure:
            failures.append(failure)
            continue
        documents.append(doc)
        graphs[doc.iri] = graph if graph is not None else doc.ntriples
    if not documents:
        raise KgError("No report could be built: " + " ".join(failures))
    documents.sort(key=lambda d: (d.doc_id, d.path))
    entities: Counter = Counter()
    for doc in documents:
        entities.update(doc.entities)
    turtle = None
    if out_dir is not None:
        from . import store
        from .export import turtle_from_ntriples
        graph, ntriples = store.update(Path(out_dir), graphs, rebuild=rebuild)
        turtle = turtle_from_ntriples(ntriples)
    else:
        graph = new_graph()
        for doc in documents:
            kept = graphs[doc.iri]
            if isinstance(kept, Graph):
                graph += kept
            else:
                graph.parse(data=kept.decode("utf-8"), format="nt")
    result = BuildResult(graph, [d.doc_id for d in documents], entities,
                         sum(d.relations for d in documents), sum(d.indicators for d in documents), failures)
    if out_dir is not None:
        result.written = write_outputs(graph, Path(out_dir), html=html, turtle=turtle)
    result.seconds = time.perf_counter() - started
    return result


def document_graphs(paths: list[Path] | None = None) -> dict[str, Graph]:
    """Each report's own graph, keyed by its document IRI (for named graphs)."""
    from .graph import add_extraction, new_graph
    from .iris import document_iri
    from .pipeline import extract

    graphs = {}
    for f in collect_inputs(list(paths or [DEFAULT_INPUT])):
        ex = extract(f)
        graphs[str(document_iri(ex.document.doc_id))] = add_extraction(new_graph(), ex)
    return graphs


def _file_mode() -> int:
    """The mode a plain new file gets here (mkstemp's own 0600 would hide output from others)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_outputs(graph: Graph, out_dir: Path, html: bool = True, turtle: bytes | None = None) -> list[Path]:
    """Write every file to a temporary name first, then move each into place
    (``turtle``: the graph's Turtle, where the caller has it already)."""
    from .export import export

    out_dir.mkdir(parents=True, exist_ok=True)
    contents = {"graph.ttl": turtle if turtle is not None else export(graph, "ttl")}
    from . import store
    store.record(out_dir, contents["graph.ttl"])
    if html:
        from .html import render_html
        contents["graph.html"] = render_html(graph, title="kg").encode("utf-8")
    return write_files({out_dir / name: data for name, data in contents.items()})


def load_graph(path: Path) -> Graph:
    """Read a built graph (Turtle, or any format rdflib guesses from the name)."""
    from rdflib.util import guess_format
    from .graph import new_graph

    if not path.exists():
        raise KgError(f"{path}: no such graph file; run `kg build` first or pass --graph FILE.")
    graph = new_graph()
    try:
        graph.parse(path, format=guess_format(str(path)) or "turtle")
    except Exception as err:  # rdflib raises many parser-specific types
        raise KgError(f"{path}: is not a readable RDF file ({str(err).splitlines()[0][:200]}).") from None
    return graph


def write_files(contents: dict[Path, bytes]) -> list[Path]:
    """Write every file under a temporary name beside it, and move them into
    place only when all are written: an interrupted write leaves the old files."""
    staged = []
    try:
        for path, data in contents.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp, _file_mode())
            staged.append((tmp, path))
        for tmp, final in staged:
            os.replace(tmp, final)
    finally:
        for tmp, _ in staged:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return [final for _, final in staged]


def write_bytes(path: Path, data: bytes) -> None:
    """Write one file atomically: a temporary file beside it, then a rename."""
    write_files({path: data})
