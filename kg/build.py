"""Build: report files in, graph.ttl and graph.html out, never half-written."""
from __future__ import annotations

import os
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from rdflib import Graph

from .errors import KgError
from .reader import SUFFIXES

DEFAULT_INPUT = Path("seeds")
DEFAULT_OUTPUT = Path("output")


@dataclass
class BuildResult:
    ntriples: bytes | None          # the built graph (the store's merge) as N-Triples; None if huge
    documents: list[str]
    entities: Counter
    relations: int
    indicators: int
    failures: list[str] = field(default_factory=list)   # one sentence per bad file
    seconds: float = 0.0
    written: list[Path] = field(default_factory=list)
    triple_count: int | None = None

    @property
    def triples(self) -> int:
        return self.triple_count if self.ntriples is None else self.ntriples.count(b"\n")

    @cached_property
    def graph(self) -> Graph:
        """The graph as rdflib's in-memory Graph, made when first asked for
        (a build itself never needs one)."""
        from .export import with_decimal_points
        from .graph import new_graph
        if self.ntriples is None:
            return load_graph(next(p for p in self.written if p.suffix == ".ttl"))
        return new_graph().parse(data=with_decimal_points(self.ntriples).decode("utf-8"), format="nt")

    def summary(self) -> str:
        lines = [f"documents   {len(self.documents)}",
                 f"entities    {sum(self.entities.values())}"]
        for type_, n in sorted(self.entities.items(), key=lambda kv: (-kv[1], kv[0])):
            lines.append(f"  {type_:<20}{n}")
        lines += [f"relations   {self.relations}",
                  f"indicators  {self.indicators}",
                  f"triples     {self.triples}",
                  f"seconds     {self.seconds:.2f}"]
        lines += [f"wrote       {p}" for p in self.written]
        if self.ntriples is None and self.written:
            lines.append("no graph.html: the graph is too big for a browser to lay out; "
                         "explore it with `kg query` or `kg serve`")
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
    """One report, extracted: what the build keeps of it (small, and picklable for -j)."""
    doc_id: str
    path: str
    iri: str
    ntriples: bytes | Path          # a file, for a report too long to hold
    entities: Counter
    relations: int
    indicators: int


def _extract(path: Path, spool: Path | None = None) -> tuple[_Document | None, str | None]:
    """Extract one report: (document, or the failure sentence). A report long
    enough to be read in parts has its N-Triples written to a file in
    ``spool`` part by part, where one is given, not held in memory."""
    from .graph import extraction_ntriples
    from .iris import document_iri
    from .pipeline import extract_parts
    entities: dict = {}
    relations = indicators = 0
    ntriples: list[bytes] = []
    spooled = None
    try:
        for ex in extract_parts(path):
            entities.update((e.key, e.type) for e in ex.entities)
            relations += len(ex.relations)
            indicators += len(ex.indicators)
            ntriples.append(extraction_ntriples(ex))
            if spool is not None and (spooled or len(ntriples) > 1):
                if spooled is None:
                    fd, name = tempfile.mkstemp(suffix=".nt", dir=spool)
                    spooled = (os.fdopen(fd, "wb"), Path(name))
                spooled[0].write(b"".join(ntriples))
                ntriples.clear()
    except KgError as err:
        return None, str(err)
    finally:
        if spooled:
            spooled[0].close()
    doc = ex.document
    return _Document(doc.doc_id, str(doc.path), str(document_iri(doc.doc_id)),
                     spooled[1] if spooled else b"".join(ntriples),
                     Counter(entities.values()), relations, indicators), None


def _extract_all(files: list[Path], jobs: int, spool: Path | None = None):
    """Each file's (its index in ``files``, document, failure). With jobs > 1,
    forked workers extract (each loads the segmenter once), in the order of
    ``_longest_first``; otherwise in the order of ``files``."""
    if jobs <= 1 or len(files) == 1:
        yield from ((n, *_extract(f, spool)) for n, f in enumerate(files))
        return
    import multiprocessing
    from functools import partial
    from . import segment
    segment.initialize()                  # once, before the fork: the workers share it
    order = _longest_first(files)
    with multiprocessing.get_context("fork").Pool(min(jobs, len(files))) as pool:
        for n, result in zip(order, pool.imap(partial(_extract, spool=spool), [files[n] for n in order],
                                              chunksize=1)):
            yield (n, *result)


def _longest_first(files: list[Path]) -> list[int]:
    """The indexes of ``files``, longest file first: a long report handed out
    last would keep one worker busy while the others sit idle. Files with the
    same name stay together and in their order (the first is the one built)."""
    def size(path: Path) -> int:
        try:
            return path.stat().st_size
        except OSError:
            return 0                      # _extract tells what is wrong with it
    named: dict[str, list[int]] = {}
    for n, f in enumerate(files):
        named.setdefault(f.stem, []).append(n)
    groups = sorted(named.values(), key=lambda group: (-size(files[group[0]]), group[0]))
    return [n for group in groups for n in group]


def build_graph(paths: list[Path] | None = None, out_dir: Path | None = DEFAULT_OUTPUT,
                html: bool = True, rebuild: bool = False, jobs: int = 1) -> BuildResult:
    """Extract every report, make one graph, write graph.ttl (+ graph.html).

    With an output folder, each document's graph is added to (or replaces its
    old version in) the folder's store, and the files show the store's merge;
    `rebuild` starts the store afresh. `jobs` reports are extracted at once."""
    started = time.perf_counter()
    files = collect_inputs(list(paths or [DEFAULT_INPUT]))
    if out_dir is None:
        documents, failures = _extracted(files, jobs)
        return _finish(documents, failures, started, b"".join(doc.ntriples for doc in documents))
    from . import store
    out_dir = Path(out_dir)
    cache = store.store_dir(out_dir).parent
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise KgError(f"{cache}: the store's folder cannot be made ({err.strerror or err}).") from None
    with tempfile.TemporaryDirectory(prefix=".spool-", dir=cache) as spool:
        with store.Update(out_dir, rebuild=rebuild, background=jobs > 1) as update:
            documents, failures = _extracted(files, jobs, Path(spool), update.add)
            ntriples = update.merge_ntriples()
            written = write_outputs(update.take_view(), ntriples, out_dir, html=html, jobs=jobs,
                                    meanwhile=update.start_loading)
        store.record(out_dir, out_dir / store.GRAPH_FILE)
        result = _finish(documents, failures, started, ntriples, written)
        if ntriples is None:
            result.triple_count = store.triple_count(update.store)
        del update
    return result


def _extracted(files: list[Path], jobs: int, spool: Path | None = None, take=None):
    """The documents extracted from ``files`` and the failures; ``take(iri,
    ntriples)`` is given each document's graph as soon as it is extracted."""
    documents: list[_Document] = []
    failures: list[tuple[int, str]] = []
    first: dict[str, str] = {}
    for n, doc, failure in _extract_all(files, jobs, spool):
        if failure:
            failures.append((n, failure))
        elif doc.iri in first:
            failures.append((n, f"{doc.path}: another report has the same file name "
                                f"({first[doc.iri]}); only that one is built."))
        else:
            first[doc.iri] = doc.path
            documents.append(doc)
            if take is not None:
                take(doc.iri, doc.ntriples)
                doc.ntriples = b""            # taken: not held twice
    told = [failure for _, failure in sorted(failures)]         # in the order the files were given
    if not documents:
        raise KgError("No report could be built: " + " ".join(told))
    documents.sort(key=lambda d: (d.doc_id, d.path))
    return documents, told


def _finish(documents: list[_Document], failures: list[str], started: float,
            ntriples: bytes | None, written=()) -> BuildResult:
    entities: Counter = Counter()
    for doc in documents:
        entities.update(doc.entities)
    result = BuildResult(ntriples, [d.doc_id for d in documents], entities,
                         sum(d.relations for d in documents), sum(d.indicators for d in documents),
                         failures, written=list(written))
    result.seconds = time.perf_counter() - started
    return result


def document_ntriples(paths: list[Path] | None = None) -> dict[str, bytes]:
    """Each report's own graph as N-Triples, keyed by its document IRI (for named graphs)."""
    out = {}
    for f in collect_inputs(list(paths or [DEFAULT_INPUT])):
        doc, failure = _extract(f)
        if failure:
            raise KgError(failure)
        out[doc.iri] = doc.ntriples
    return out


def _file_mode() -> int:
    """The mode a plain new file gets here (mkstemp's own 0600 would hide output from others)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_outputs(graph, ntriples: bytes | None, out_dir: Path, html: bool = True, jobs: int = 1,
                  meanwhile=None) -> list[Path]:
    """Write every file to a temporary name first, then move each into place.
    ``graph`` is a view of the merged graph, let go of once the page is made
    (the caller keeps no other reference: it may be large); ``ntriples`` the
    same graph as N-Triples (None: too big to hold; its Turtle is then
    streamed from the store). With ``jobs`` > 1, a forked process writes
    the Turtle while this one writes the page. ``meanwhile()`` is called
    before the page is made, after the fork (it may start a thread)."""
    from .export import turtle_from_ntriples, write_turtle_from_store

    out_dir.mkdir(parents=True, exist_ok=True)
    turtle, writer, page = None, None, None
    try:
        if ntriples is None:
            turtle = _staged(out_dir / "graph.ttl")
            write_turtle_from_store(graph.store, turtle)
        elif jobs > 1:
            turtle = _staged(out_dir / "graph.ttl")
            writer = _forked(_write_turtle, ntriples, turtle)
        if meanwhile is not None:
            meanwhile()
        if html and ntriples is not None:
            from .html import render_html
            page = render_html(graph, title="kg").encode("utf-8")
        del graph
        if writer is not None:
            writer.join()
            if writer.exitcode != 0:
                raise KgError(f"{out_dir / 'graph.ttl'}: the Turtle could not be written "
                              f"(its process ended with code {writer.exitcode}).")
        elif turtle is None:
            turtle = turtle_from_ntriples(ntriples)
    except BaseException:
        if writer is not None:
            writer.kill()
            writer.join()
        if isinstance(turtle, Path):
            turtle.unlink(missing_ok=True)    # no temporary file is left behind
        raise
    contents = {"graph.ttl": turtle}
    if page is not None:
        contents["graph.html"] = page
    written = write_files({out_dir / name: data for name, data in contents.items()})
    if html and ntriples is None:
        # no browser lays out a graph this big; the old page would show another graph
        (out_dir / "graph.html").unlink(missing_ok=True)
    return written


def _write_turtle(ntriples: bytes, path: Path) -> None:
    from .export import turtle_from_ntriples
    path.write_bytes(turtle_from_ntriples(ntriples))


def _forked(work, *args):
    """``work(*args)`` in a forked process (it inherits the data: nothing is pickled)."""
    import multiprocessing
    process = multiprocessing.get_context("fork").Process(target=work, args=args, daemon=True)
    process.start()
    return process


def _staged(path: Path) -> Path:
    """A new empty temporary file beside ``path`` (write_files moves it into place)."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    return Path(tmp)


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


def write_files(contents: dict[Path, bytes | Path]) -> list[Path]:
    """Write every file under a temporary name beside it, and move them into
    place only when all are written: an interrupted write leaves the old files.
    A value that is a Path is a file already written beside its target."""
    staged = []
    try:
        for path, data in contents.items():
            if isinstance(data, Path):
                staged.append((str(data), path))
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = str(_staged(path))
            with open(tmp, "wb") as fh:
                fh.write(data)
            staged.append((tmp, path))
        for tmp, _ in staged:
            os.chmod(tmp, _file_mode())
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
