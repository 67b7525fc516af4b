"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint over the built graph.

- ``/sparql``: GET ``?query=``, POST form-encoded (``query=``) or
  ``application/sparql-query``; ``default-graph-uri`` and ``named-graph-uri``
  as the protocol says. Results by ``Accept``: SPARQL JSON, XML, CSV, TSV for
  SELECT/ASK; Turtle, N-Triples, JSON-LD, RDF/XML for CONSTRUCT/DESCRIBE.
  Cross-origin requests are allowed (browser clients such as YASGUI).
- Read-only: SPARQL Update (``LOAD`` included) and ``SERVICE`` are refused
  with 403 and one sentence, a malformed query with 400 and its line and
  column: the same checks as `kg query`.
- Queries run in forked worker processes, kept for the next query; one past
  the time limit is killed, so a runaway query cannot hold the server; an
  answer that grows past the size limit is stopped and refused with 413.
  Requests are served by threads, many at once; at most ``workers`` queries
  run at a time, the others wait their turn.
- ``/`` serves the graph page; ``/query`` a page with the named queries as
  ready examples and results as a table.

The graphs are read from the graph file's embedded store (one named graph per
document, their merge as the default graph), which each worker opens
read-only: the server copies nothing, whatever the graph's size. A new
`kg build` is picked up when it ends; while it rewrites the store, the graph
file it had not yet replaced is answered from, loaded into memory.
"""
from __future__ import annotations

import base64
import hashlib
import json
import multiprocessing
import os
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from .errors import KgError

# media type -> pyoxigraph format name; the first of each is the default
RESULT_TYPES = {
    "application/sparql-results+json": "JSON", "application/json": "JSON",
    "application/sparql-results+xml": "XML", "application/xml": "XML", "text/xml": "XML",
    "text/csv": "CSV", "text/tab-separated-values": "TSV",
}
GRAPH_TYPES = {
    "text/turtle": "TURTLE", "application/x-turtle": "TURTLE",
    "application/n-triples": "N_TRIPLES", "text/plain": "N_TRIPLES",
    "application/ld+json": "JSON_LD", "application/rdf+xml": "RDF_XML",
}
MAX_REQUEST = 1_000_000          # bytes of a POSTed query
TEXT = "text/plain; charset=utf-8"


@dataclass
class Settings:
    graph: Path
    page: Path | None = None          # default: graph.html beside the graph
    timeout: float = 10.0             # seconds a query may run
    max_bytes: int = 50_000_000       # largest answer
    workers: int = 0                  # queries at once; 0: twice the CPUs, at least 4

    def __post_init__(self):
        self.graph = Path(self.graph)
        self.page = Path(self.page) if self.page else self.graph.with_name("graph.html")
        if not self.workers:
            self.workers = max(4, 2 * (os.cpu_count() or 1))


def _negotiate(accept: str, table: dict[str, str]) -> tuple[str, str]:
    """The best media type of Accept we can write (by q, then order), else the default."""
    offered = []
    for i, part in enumerate((accept or "").split(",")):
        bits = [b.strip() for b in part.split(";")]
        q = 1.0
        for b in bits[1:]:
            if b.replace(" ", "").startswith("q="):
                try:
                    q = float(b.split("=", 1)[1])
                except ValueError:
                    q = 0.0
        if q > 0:
            offered.append((-q, i, bits[0].lower()))
    for _, _, media in sorted(offered):
        if media in table:
            return media, table[media]
    media = next(iter(table))
    return media, table[media]


class _Capped:
    """A file-like sink that stops the serializer once the answer is too large."""

    class Full(Exception):
        pass

    def __init__(self, limit: int):
        self.limit, self.parts, self.size = limit, [], 0

    def write(self, data) -> int:
        self.size += len(data)
        if self.size > self.limit:
            raise self.Full()
        self.parts.append(bytes(data))
        return len(data)

    def flush(self):
        pass


def _answer(store, query: str, accept: str, dataset: tuple, limit: int) -> tuple[int, str, bytes]:
    """Run a query and serialize its answer: (status, media type, bytes). A
    SELECT's ORDER BY is done by kg where it can, as in `kg query`."""
    import pyoxigraph as ox
    from .query import order_plan
    from .store import ordered_rows, run
    try:
        found, answer, plan = None, None, order_plan(query)
        if plan.text is not None:
            try:
                found = ordered_rows(store, plan, *dataset)
            except (SyntaxError, ValueError, OSError):
                found = None                  # kg's rewriting: the query as written tells
        if found is None:
            answer = run(store, query, *dataset)
        if isinstance(answer, ox.QueryTriples):
            media, fmt = _negotiate(accept, GRAPH_TYPES)
            fmt = getattr(ox.RdfFormat, fmt)
        else:
            media, fmt = _negotiate(accept, RESULT_TYPES)
            fmt = getattr(ox.QueryResultsFormat, fmt)
        sink = _Capped(limit)
        if fmt == ox.QueryResultsFormat.CSV and found is not None:
            _write_csv([str(var) for var in found[0]], found[1], sink)   # kg's rows, as sorted
        elif fmt == ox.QueryResultsFormat.CSV and isinstance(answer, ox.QuerySolutions):
            _write_csv([var.value for var in answer.variables], answer, sink)
        else:
            if found is not None:
                answer = _in_order(*found)
                if answer is None:            # a blank node: the store answers, as written
                    answer = run(store, query, *dataset)
            answer.serialize(sink, format=fmt)
        return 200, media, b"".join(sink.parts)
    except SyntaxError as err:
        return UNPARSED, TEXT, f"The query is not valid SPARQL: {str(err).strip().rstrip('.')}.\n".encode("utf-8")
    except _Capped.Full:
        return 413, TEXT, (f"The answer is larger than {limit:,} bytes and was stopped; "
                           f"add a LIMIT or ask for less.\n").encode("utf-8")
    except Exception as err:  # a query that fails while running
        text = str(err).strip().rstrip(".") or type(err).__name__
        return 400, TEXT, f"The query failed while running: {text}.\n".encode("utf-8")


def _write_csv(variables: list[str], rows, sink: _Capped) -> None:
    """SPARQL 1.1 CSV results: a header of ``variables``, then ``rows`` (of
    pyoxigraph terms, None where unbound). pyoxigraph's own CSV leaves an IRI
    with a comma unquoted (kg's sentence IRIs end ``#char=125,289``), which
    splits it in two."""
    import csv
    import pyoxigraph as ox

    class Text:
        def write(self, text: str) -> int:
            return sink.write(text.encode("utf-8"))

    out = csv.writer(Text(), lineterminator="\r\n")
    out.writerow(variables)
    for solution in rows:
        out.writerow(["" if term is None else "_:" + term.value if isinstance(term, ox.BlankNode)
                      else term.value if isinstance(term, (ox.NamedNode, ox.Literal)) else str(term)
                      for term in solution])


def _in_order(variables: list, rows: list):
    """Rows kg has sorted, as an answer pyoxigraph serializes in their order: a
    VALUES table on an empty store. None for a row VALUES cannot hold (a blank node)."""
    import pyoxigraph as ox
    if not variables:
        return None
    table = []
    for row in rows:
        if not all(term is None or isinstance(term, (ox.NamedNode, ox.Literal)) for term in row):
            return None
        table.append("(" + " ".join("UNDEF" if term is None else str(term) for term in row) + ")")
    names = " ".join(f"?{var}" for var in variables)
    return ox.Store().query(f"SELECT {names} WHERE {{ VALUES ({names}) {{ {' '.join(table)} }} }}")


UNPARSED = 0            # _answer's status for a query the store could not parse (see Endpoint.answer)
REWRITING = (503, TEXT, b"kg build is writing the graph's store just now; try again in a moment.\n")


def _work(source, conn, server: int) -> None:
    """A worker process: answers the queries it is sent, one at a time, from
    ``source`` opened once (its caches stay warm from one query to the next).
    It ends when the server lets go of it, or is gone."""
    store = None
    while True:
        try:
            while not conn.poll(1.0):
                if os.getppid() != server:
                    return
            request = conn.recv()
        except (EOFError, OSError):
            return
        if store is None:
            store = source.open()
        conn.send(REWRITING if store is None else _answer(store, *request))


class _Worker:
    """A forked process that answers queries from one source (see _work)."""

    def __init__(self, fork, source):
        self.source = source
        self.conn, theirs = fork.Pipe()
        self.process = fork.Process(target=_work, args=(source, theirs, os.getpid()), daemon=True)
        self.process.start()
        theirs.close()

    def ask(self, request: tuple, limit: float) -> tuple[int, str, bytes] | None:
        """The answer, or None past ``limit`` seconds (the worker is then stopped)."""
        try:
            self.conn.send(request)
            if self.conn.poll(limit):
                return self.conn.recv()
        except (EOFError, OSError):
            self.stop()
            return 500, TEXT, b"The query worker stopped without an answer.\n"
        self.stop()
        return None

    def stop(self) -> None:
        self.process.kill()
        self.process.join()
        self.conn.close()


class Endpoint:
    """The graphs and the query runner; independent of HTTP so tests can call it.

    Queries run in worker processes, started as needed (at most ``workers``)
    and kept for the next query while the graph is unchanged: a worker past
    the time limit is killed, and one reading a graph a build has since
    replaced is let go of."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._fork = multiprocessing.get_context("fork")
        self._slots = threading.BoundedSemaphore(settings.workers)
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._idle_lock = threading.Lock()
        self._closed = False
        self._checked = 0.0
        self.source = self._load()

    def _load(self):
        from .store import served
        if not self.settings.graph.is_file():
            raise KgError(f"{self.settings.graph}: no such graph file; run `kg build` first or pass --graph FILE.")
        return served(self.settings.graph)

    def current(self):
        """What queries are answered from, looked up again if a build changed
        the graph (checked at most once a second)."""
        now = time.monotonic()
        if now - self._checked < 1.0:
            return self.source
        with self._lock:
            if now - self._checked < 1.0:
                return self.source
            self._checked = now
            try:
                if self.source.changed():
                    self.source = self._load()
            except (OSError, KgError):
                pass                     # the file is being replaced, or unreadable: keep the old graphs
            return self.source

    def _take(self, source) -> _Worker:
        """An idle worker answering from ``source``, or a new one."""
        with self._idle_lock:
            stale = [w for w in self._idle if w.source is not source]
            kept = [w for w in self._idle if w.source is source]
            self._idle = kept[:-1]
        for worker in stale:
            worker.stop()
        return kept[-1] if kept else _Worker(self._fork, source)

    def _give_back(self, worker: _Worker) -> None:
        with self._idle_lock:
            if worker.source is self.source and not self._closed:
                self._idle.append(worker)
                return
        worker.stop()

    def close(self) -> None:
        """Stop the idle workers (busy ones stop once their query is answered)."""
        with self._idle_lock:
            self._closed = True
            idle, self._idle = self._idle, []
        for worker in idle:
            worker.stop()

    def answer(self, query: str, accept: str = "", default_graphs=(), named_graphs=()) -> tuple[int, str, bytes]:
        from .query import must_check_first
        # rdflib's full check takes 50-250 ms for a named query: it runs first
        # only where the store could be asked what kg refuses (as in `kg query`)
        refused = _refusal_of(query) if must_check_first(query) else None
        if refused is not None:
            return refused
        source = self.current()
        limit = self.settings.timeout
        if not self._slots.acquire(timeout=limit):
            return 503, TEXT, b"The server is busy with other queries; try again.\n"
        try:
            worker = self._take(source)
            reply = worker.ask((query, accept, (list(default_graphs), list(named_graphs)),
                                self.settings.max_bytes), limit)
            if reply is None:
                return 503, TEXT, (f"The query ran past the time limit of {limit:g} s and was stopped; "
                                   f"ask for less, or start kg serve with a larger --timeout.\n").encode("utf-8")
            if worker.process.is_alive() and reply[0] != 500:
                self._give_back(worker)
        finally:
            self._slots.release()
        status, media, data = reply
        if status == UNPARSED:                 # rdflib says where, if it can
            return _refusal_of(query) or (400, TEXT, data)
        if status == 200 and (media.startswith("text/") or "json" in media or "xml" in media
                              or media == "application/n-triples"):
            media += "; charset=utf-8"
        return status, media, data


def _refusal_of(query: str) -> tuple[int, str, bytes] | None:
    """kg's check of a query: 403 for what kg refuses, 400 with the line and
    column of a syntax error, None for a query that may run."""
    from .query import QueryRefused, check_query
    try:
        check_query(query, allow_dataset=True)
    except QueryRefused as err:
        return 403, TEXT, (str(err).rstrip(".") + ".\n").encode("utf-8")
    except KgError as err:
        return 400, TEXT, (str(err) + "\n").encode("utf-8")
    return None


def _refusal(what: str) -> tuple[int, str, bytes]:
    return 403, TEXT, f"kg serve only reads: {what} is refused.\n".encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    endpoint: Endpoint
    server_version = "kg"
    quiet = True

    def log_message(self, fmt, *args):
        if not self.quiet:
            super().log_message(fmt, *args)

    def _send(self, status: int, media: str, data: bytes, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Access-Control-Allow-Origin", "*")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_OPTIONS(self):
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "Content-Type, Accept")
        self.send_header("Access-Control-Max-Age", "86400")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _query(self, params: dict, body: str | None = None):
        if "update" in params:
            return self._send(*_refusal("SPARQL Update"))
        if body is None:
            if len(params.get("query", [])) != 1:
                return self._send(400, TEXT, b"Give exactly one query, as query=... (the query page is /query).\n")
            body = params["query"][0]
        answer = self.endpoint.answer(body, self.headers.get("Accept", ""),
                                      params.get("default-graph-uri", []), params.get("named-graph-uri", []))
        return self._send(*answer)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/":
            page = self.endpoint.settings.page
            if not page.is_file():
                return self._send(404, TEXT, b"No graph page; run `kg build` first.\n")
            return self._send(200, "text/html; charset=utf-8", page.read_bytes())
        if url.path == "/query":
            body, csp = query_page()
            return self._send(200, "text/html; charset=utf-8", body.encode("utf-8"),
                              {"Content-Security-Policy": csp})
        if url.path == "/sparql":
            return self._query(parse_qs(url.query))
        return self._send(404, TEXT, b"Not found: try /, /query or /sparql.\n")

    do_HEAD = do_GET

    def do_POST(self):
        url = urlparse(self.path)
        if url.path != "/sparql":
            return self._send(404, TEXT, b"Not found: POST queries to /sparql.\n")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_REQUEST:
            self.close_connection = True
            return self._send(413, TEXT, f"A query may be at most {MAX_REQUEST:,} bytes.\n".encode("utf-8"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        params = parse_qs(url.query)
        if media == "application/sparql-update":
            return self._send(*_refusal("SPARQL Update"))
        if media == "application/sparql-query":
            return self._query(params, body)
        if media == "application/x-www-form-urlencoded":
            form = parse_qs(body)
            for key in ("default-graph-uri", "named-graph-uri"):
                params[key] = params.get(key, []) + form.get(key, [])
            if "update" in form:
                return self._send(*_refusal("SPARQL Update"))
            params["query"] = form.get("query", [])
            return self._query(params)
        return self._send(415, TEXT, b"POST a query as application/sparql-query, or as a form with query=...\n")


_QUERY_JS = r"""
(function () {
  "use strict";
  var queries = JSON.parse(document.getElementById("kg-queries").textContent);
  var pick = document.getElementById("pick"), text = document.getElementById("text");
  var out = document.getElementById("out"), note = document.getElementById("note");
  var about = document.getElementById("about");
  Object.keys(queries).sort().forEach(function (name) {
    var o = document.createElement("option");
    o.value = name; o.textContent = name + " — " + queries[name].title; pick.appendChild(o);
  });
  pick.addEventListener("change", function () {
    var q = queries[pick.value];
    text.value = q ? q.text : "";
    about.textContent = q && q.params.length ?
      "Parameters (a VALUES line binds one; unbound means all): " +
      q.params.map(function (p) { return p[0] + " — " + p[1]; }).join("; ") : "";
  });
  function cell(term) {
    if (!term) { return ""; }
    if (term.type === "literal" && term["xml:lang"]) { return term.value + " @" + term["xml:lang"]; }
    return term.value;
  }
  function show(ok, type, body) {
    out.textContent = "";
    if (!ok) { note.textContent = body; return; }
    if (type.indexOf("json") < 0) {
      var pre = document.createElement("pre"); pre.textContent = body; out.appendChild(pre);
      note.textContent = ""; return;
    }
    var data = JSON.parse(body);
    if (data.boolean !== undefined) { note.textContent = String(data.boolean); return; }
    var table = document.createElement("table"), head = document.createElement("tr");
    data.head.vars.forEach(function (v) {
      var th = document.createElement("th"); th.textContent = v; head.appendChild(th);
    });
    table.appendChild(head);
    data.results.bindings.forEach(function (b) {
      var tr = document.createElement("tr");
      data.head.vars.forEach(function (v) {
        var td = document.createElement("td"); td.textContent = cell(b[v]); tr.appendChild(td);
      });
      table.appendChild(tr);
    });
    out.appendChild(table);
    var n = data.results.bindings.length;
    note.textContent = n + (n === 1 ? " row" : " rows");
  }
  function run() {
    note.textContent = "…"; out.textContent = "";
    fetch("/sparql", {method: "POST", body: text.value, headers: {
      "Content-Type": "application/sparql-query",
      "Accept": "application/sparql-results+json, text/turtle;q=0.9"}})
      .then(function (r) {
        return r.text().then(function (t) { show(r.ok, r.headers.get("Content-Type") || "", t); });
      })
      .catch(function (e) { note.textContent = "The server did not answer: " + e; });
  }
  document.getElementById("run").addEventListener("click", run);
  text.addEventListener("keydown", function (e) { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { run(); } });
})();
"""

_QUERY_CSS = ("body{font-family:sans-serif;margin:16px;color:#222}"
              "textarea{width:100%;height:260px;font-family:monospace;font-size:13px}"
              "table{border-collapse:collapse;margin-top:8px}"
              "td,th{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}"
              "th{background:#f4f4f4}#note{color:#555;white-space:pre-wrap}#about{color:#555}"
              "pre{white-space:pre-wrap}")


def query_page() -> tuple[str, str]:
    """The /query page and its Content-Security-Policy: the named queries as
    ready examples, results as a table. All data is escaped: the queries are
    JSON in a non-executed script element, results are set as text."""
    from .query import _header, list_queries, resolve_query
    queries = {}
    for name, title in list_queries():
        text = resolve_query(name, require=False)     # shown with its parameters unset
        queries[name] = {"title": title, "text": text, "params": _header(text)[1]}
    data = (json.dumps(queries, ensure_ascii=False, sort_keys=True)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    script = base64.b64encode(hashlib.sha256(_QUERY_JS.encode("utf-8")).digest()).decode()
    style = base64.b64encode(hashlib.sha256(_QUERY_CSS.encode("utf-8")).digest()).decode()
    csp = (f"default-src 'none'; script-src 'sha256-{script}'; style-src 'sha256-{style}'; "
           "connect-src 'self'; base-uri 'none'; form-action 'none'")
    body = ("<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>kg SPARQL</title><style>{_QUERY_CSS}</style></head><body>"
            "<h1>kg SPARQL</h1>"
            "<p>Named query: <select id=\"pick\"><option value=\"\">—</option></select> "
            "<button id=\"run\">Run</button> (Ctrl+Enter) <span id=\"note\"></span></p>"
            "<p id=\"about\"></p>"
            "<textarea id=\"text\" spellcheck=\"false\">"
            "SELECT ?label WHERE { ?e a kg:Enterprise ; rdfs:label ?label } ORDER BY ?label</textarea>"
            "<p>The prefixes kg:, kgid:, rdfs:, prov:, nif:, skos:, dcterms:, xsd: … are predeclared; "
            "each report is a named graph (<code>GRAPH ?doc { … }</code>). "
            "Endpoint for other clients: <code>/sparql</code>.</p>"
            "<div id=\"out\"></div>"
            f"<script type=\"application/json\" id=\"kg-queries\">{data}</script>"
            f"<script>{_QUERY_JS}</script></body></html>\n")
    return body, csp


def make_server(settings: Settings, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    endpoint = Endpoint(settings)
    handler = type("KgHandler", (Handler,), {"endpoint": endpoint})
    try:
        server = ThreadingHTTPServer((host, port), handler)
    except OSError as err:
        raise KgError(f"cannot listen on {host}:{port} ({err.strerror or err}).") from None
    server.daemon_threads = True
    return server


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def serve(settings: Settings, host: str, port: int, say=print) -> None:
    server = make_server(settings, host, port)
    shown = f"[{host}]" if ":" in host else host
    where = f"http://{shown}:{server.server_address[1]}"
    say(f"kg serves {settings.graph} at {where}/sparql (graph page {where}/, query page {where}/query)")
    if host in LOOPBACK:
        say("Only this machine can connect; use --host 0.0.0.0 to let others in.")
    else:
        say(f"Listening on {host}: anyone who can reach this machine can query the graph.")
    say(f"Queries stop after {settings.timeout:g} s; answers over {settings.max_bytes:,} bytes are refused. "
        "Ctrl+C stops the server.", )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.RequestHandlerClass.endpoint.close()
