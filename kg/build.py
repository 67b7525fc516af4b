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


def build_graph(paths: list[Path] | None = None, out_dir: Path | None = DEFAULT_OUTPUT,
                html: bool = True, rebuild: bool = False) -> BuildResult:
    """Extract every report, make one graph, write graph.ttl (+ graph.html).

    With an output folder, each document's graph is added to (or replaces its
    old version in) the folder's store, and the files show the store's union;
    `rebuild` starts the store afresh."""
    from .graph import add_extraction, new_graph
    from .pipeline import extract

    started = time.perf_counter()
    files = collect_inputs(list(paths or [DEFAULT_INPUT]))
    extractions, failures = [], []
    for f in files:
        try:
            extractions.append(extract(f))
        except KgError as err:
            failures.append(str(err))
    if not extractions:
        raise KgError("No report could be built: " + " ".join(failures))
    extractions.sort(key=lambda ex: (ex.document.doc_id, ex.document.path))
    from .iris import document_iri
    graphs: dict[str, Graph] = {}
    entities: Counter = Counter()
    relations = indicators = 0
    for ex in extractions:
        graphs[str(document_iri(ex.document.doc_id))] = add_extraction(new_graph(), ex)
        entities.update(e.type for e in ex.entities)
        relations += len(ex.relations)
        indicators += len(ex.indicators)
    if out_dir is not None:
        from . import store
        graph = store.update(Path(out_dir), graphs, rebuild=rebuild)
    else:
        graph = new_graph()
        for g in graphs.values():
            graph += g
    result = BuildResult(graph, [ex.document.doc_id for ex in extractions], entities,
                         relations, indicators, failures)
    if out_dir is not None:
        result.written = write_outputs(graph, Path(out_dir), html=html)
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


def write_outputs(graph: Graph, out_dir: Path, html: bool = True) -> list[Path]:
    """Write every file to a temporary name first, then move each into place."""
    from .export import export

    out_dir.mkdir(parents=True, exist_ok=True)
    contents = {"graph.ttl": export(graph, "ttl")}
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
