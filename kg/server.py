"""`kg serve`: a read-only SPARQL 1.1 Protocol endpoint over the built graph.

- ``/sparql``: GET ``?query=``, POST form-encoded (``query=``) or
  ``application/sparql-query``; results by ``Accept``: SPARQL JSON, XML, CSV,
  TSV for SELECT/ASK; Turtle, N-Triples, JSON-LD for CONSTRUCT/DESCRIBE.
- Read-only: SPARQL Update (and LOAD), SERVICE and FROM are refused with a
  4xx and one sentence, the same checks as `kg query`.
- Each query runs in a forked worker that is killed at the time limit, so a
  runaway query cannot hold the server; an answer larger than the size limit
  is refused with 413. Requests are served by threads, many at once.
- ``/`` serves the graph page; ``/query`` a page with the named queries.

The graph is loaded once into pyoxigraph's in-memory store; queries see the
union of its graphs.
"""
from __future__ import annotations

import hashlib
import base64
import html
import json
import multiprocessing
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from .errors import KgError

# media type -> pyoxigraph format name; the first of each list is the default
RESULT_TYPES = {
    "application/sparql-results+json": "JSON", "application/json": "JSON",
    "application/sparql-results+xml": "XML", "application/xml": "XML",
    "text/csv": "CSV", "text/tab-separated-values": "TSV",
}
GRAPH_TYPES = {
    "text/turtle": "TURTLE", "application/n-triples": "N_TRIPLES",
    "application/ld+json": "JSON_LD", "text/plain": "N_TRIPLES",
}


@dataclass
class Settings:
    graph: Path
    page: Path
    timeout: float = 10.0
    max_bytes: int = 50_000_000


def _negotiate(accept: str, table: dict[str, str]) -> tuple[str, str]:
    """The first media type of Accept we can write (q-values in order), else the default."""
    offered = []
    for i, part in enumerate((accept or "").split(",")):
        bits = [b.strip() for b in part.split(";")]
        q = 1.0
        for b in bits[1:]:
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        offered.append((-q, i, bits[0].lower()))
    for _, _, media in sorted(offered):
        if media in table:
            return media, table[media]
    media = next(iter(table))
    return media, table[media]


def _run(store, query: str, accept: str, conn) -> None:
    """In the worker: run the query, serialize, send (status, media type, bytes)."""
    import pyoxigraph as ox
    from .query import PREFIXES
    try:
        prefixes = {k: str(v) for k, v in PREFIXES.items()}
        result = store.query(query, prefixes=prefixes, use_default_graph_as_union=True)
        if isinstance(result, ox.QueryTriples):
            media, fmt = _negotiate(accept, GRAPH_TYPES)
            data = result.serialize(format=getattr(ox.RdfFormat, fmt))
        else:
            media, fmt = _negotiate(accept, RESULT_TYPES)
            data = result.serialize(format=getattr(ox.QueryResultsFormat, fmt))
        conn.send((200, media, data))
    except Exception as err:  # a query that fails while running
        conn.send((400, "text/plain", f"The query failed while running: {err}".encode("utf-8")))
    finally:
        conn.close()


class Endpoint:
    """The store and the query runner; independent of HTTP so tests can call it."""

    def __init__(self, settings: Settings):
        import pyoxigraph as ox
        if not settings.graph.exists():
            raise KgError(f"{settings.graph}: no such graph file; run `kg build` first or pass --graph FILE.")
        self.settings = settings
        self.store = ox.Store()
        try:
            self.store.bulk_load(path=str(settings.graph), format=ox.RdfFormat.TURTLE)
        except (SyntaxError, ValueError, OSError) as err:
            raise KgError(f"{settings.graph}: is not readable Turtle ({err}).") from None
        self._fork = multiprocessing.get_context("fork")

    def answer(self, query: str, accept: str) -> tuple[int, str, bytes]:
        from .query import check_query
        try:
            check_query(query)
        except KgError as err:
            return 400, "text/plain; charset=utf-8", (str(err) + "\n").encode("utf-8")
        receive, send = self._fork.Pipe(duplex=False)
        worker = self._fork.Process(target=_run, args=(self.store, query, accept, send), daemon=True)
        worker.start()
        send.close()
        if not receive.poll(self.settings.timeout):
            worker.kill()
            worker.join()
            return 503, "text/plain; charset=utf-8", (
                f"The query ran past the time limit of {self.settings.timeout:g} s and was stopped.\n").encode("utf-8")
        try:
            status, media, data = receive.recv()
        except EOFError:
            status, media, data = 500, "text/plain", b"The query worker stopped without an answer.\n"
        worker.join()
        if len(data) > self.settings.max_bytes:
            return 413, "text/plain; charset=utf-8", (
                f"The answer is larger than {self.settings.max_bytes} bytes; add a LIMIT.\n").encode("utf-8")
        if media.startswith(("text/", "application/sparql-results", "application/ld+json", "application/n-triples")):
            media += "; charset=utf-8"
        return status, media, data


def _refusal(body: str) -> tuple[int, str, bytes]:
    return 403, "text/plain; charset=utf-8", (body + "\n").encode("utf-8")


class Handler(BaseHTTPRequestHandler):
    endpoint: Endpoint
    server_version = "kg"

    def log_message(self, fmt, *args):  # quiet: one line per request on stderr is noise for tests
        pass

    def _send(self, status: int, media: str, data: bytes, extra: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/":
            page = self.endpoint.settings.page
            if not page.exists():
                return self._send(404, "text/plain; charset=utf-8", b"No graph page; run `kg build` first.\n")
            return self._send(200, "text/html; charset=utf-8", page.read_bytes())
        if url.path == "/query":
            body, csp = query_page()
            return self._send(200, "text/html; charset=utf-8", body.encode("utf-8"),
                              {"Content-Security-Policy": csp})
        if url.path == "/sparql":
            params = parse_qs(url.query)
            if "update" in params:
                return self._send(*_refusal("kg serve only reads: SPARQL Update is refused."))
            if "query" not in params:
                return self._send(400, "text/plain; charset=utf-8", b"Give the query as ?query=...\n")
            return self._send(*self.endpoint.answer(params["query"][0], self.headers.get("Accept", "")))
        return self._send(404, "text/plain; charset=utf-8", b"Not found: try /, /query or /sparql.\n")

    do_HEAD = do_GET

    def do_POST(self):
        url = urlparse(self.path)
        if url.path != "/sparql":
            return self._send(404, "text/plain; charset=utf-8", b"Not found: POST to /sparql.\n")
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        media = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if media == "application/sparql-update":
            return self._send(*_refusal("kg serve only reads: SPARQL Update is refused."))
        if media == "application/sparql-query":
            query = body
        elif media == "application/x-www-form-urlencoded":
            form = parse_qs(body)
            if "update" in form:
                return self._send(*_refusal("kg serve only reads: SPARQL Update is refused."))
            if "query" not in form:
                return self._send(400, "text/plain; charset=utf-8", b"Give the query as query=...\n")
            query = form["query"][0]
        else:
            return self._send(415, "text/plain; charset=utf-8",
                              b"POST a query as application/sparql-query or a form with query=...\n")
        return self._send(*self.endpoint.answer(query, self.headers.get("Accept", "")))


_QUERY_JS = r"""
(function () {
  "use strict";
  var queries = JSON.parse(document.getElementById("kg-queries").textContent);
  var pick = document.getElementById("pick"), text = document.getElementById("text");
  var out = document.getElementById("out"), note = document.getElementById("note");
  Object.keys(queries).sort().forEach(function (name) {
    var o = document.createElement("option"); o.value = name; o.textContent = name; pick.appendChild(o);
  });
  pick.addEventListener("change", function () { text.value = queries[pick.value] || ""; });
  document.getElementById("run").addEventListener("click", function () {
    note.textContent = "…"; out.textContent = "";
    fetch("/sparql", {method: "POST", body: text.value,
      headers: {"Content-Type": "application/sparql-query", "Accept": "application/sparql-results+json"}})
      .then(function (r) { return r.text().then(function (t) { return [r.ok, t]; }); })
      .then(function (res) {
        if (!res[0]) { note.textContent = res[1]; return; }
        var data = JSON.parse(res[1]);
        if (data.boolean !== undefined) { note.textContent = String(data.boolean); return; }
        var table = document.createElement("table"), head = document.createElement("tr");
        data.head.vars.forEach(function (v) { var th = document.createElement("th"); th.textContent = v; head.appendChild(th); });
        table.appendChild(head);
        data.results.bindings.forEach(function (b) {
          var tr = document.createElement("tr");
          data.head.vars.forEach(function (v) {
            var td = document.createElement("td"); td.textContent = b[v] ? b[v].value : ""; tr.appendChild(td);
          });
          table.appendChild(tr);
        });
        out.appendChild(table);
        note.textContent = data.results.bindings.length + " rows";
      });
  });
})();
"""


def query_page() -> tuple[str, str]:
    """The /query page: named queries as ready examples, results as a table."""
    from .query import QUERIES_DIR
    queries = {p.stem: p.read_text(encoding="utf-8") for p in sorted(QUERIES_DIR.glob("*.rq"))}
    data = (json.dumps(queries, ensure_ascii=False, sort_keys=True)
            .replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))
    digest = base64.b64encode(hashlib.sha256(_QUERY_JS.encode("utf-8")).digest()).decode()
    csp = f"default-src 'none'; script-src 'sha256-{digest}'; style-src 'unsafe-inline'; connect-src 'self'"
    body = ("<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\"><title>kg SPARQL</title>"
            "<style>body{font-family:sans-serif;margin:16px}textarea{width:100%;height:240px;font-family:monospace}"
            "table{border-collapse:collapse;margin-top:8px}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}"
            "</style></head><body><h1>kg SPARQL</h1>"
            "<p>Named query: <select id=\"pick\"><option value=\"\">—</option></select> "
            "<button id=\"run\">Run</button> <span id=\"note\"></span></p>"
            "<textarea id=\"text\">SELECT ?label WHERE { ?e a kg:Enterprise ; rdfs:label ?label } ORDER BY ?label</textarea>"
            f"<div id=\"out\"></div><script type=\"application/json\" id=\"kg-queries\">{data}</script>"
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


def serve(settings: Settings, host: str, port: int, say=print) -> None:
    server = make_server(settings, host, port)
    where = f"http://{host}:{server.server_address[1]}"
    say(f"kg serves {settings.graph} at {where}/sparql (graph page {where}/, query page {where}/query)")
    if host in ("127.0.0.1", "localhost", "::1"):
        say("Only this machine can connect; use --host 0.0.0.0 to let others in.")
    try:
        server.serve_forever()
    finally:
        server.server_close()
