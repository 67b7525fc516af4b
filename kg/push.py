"""The road to a real triple store: push graphs over the SPARQL 1.1 Graph Store
HTTP Protocol, and run queries against a remote SPARQL endpoint.

Any store that speaks the protocols works: Virtuoso, Fuseki, GraphDB,
Oxigraph server. One named graph per document, named by the document's IRI,
so pushing a report again replaces only its own triples.
"""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from rdflib import Graph

from .errors import KgError


def _opener(url: str, user: str | None, password: str | None):
    handlers = []
    if user:
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, url, user, password or "")
        handlers += [urllib.request.HTTPBasicAuthHandler(manager), urllib.request.HTTPDigestAuthHandler(manager)]
    return urllib.request.build_opener(*handlers)


def _call(opener, request, what: str, timeout: float = 120) -> bytes:
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.read()
    except urllib.error.HTTPError as err:
        body = err.read().decode("utf-8", "replace").strip().splitlines()
        raise KgError(f"{what} was refused by the store: HTTP {err.code} {body[0][:200] if body else ''}".rstrip() + ".") from None
    except (urllib.error.URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise KgError(f"{what} could not reach the store ({reason}).") from None


def built_documents(graph_file: Path) -> dict[str, bytes]:
    """The documents of a built graph, from its store: {document IRI: N-Triples}."""
    from . import store
    return store.documents(graph_file)


def extracted_documents(paths: list[Path]) -> dict[str, bytes]:
    """Build report files or folders (nothing written): {document IRI: N-Triples}."""
    from .build import document_ntriples
    return document_ntriples(paths)


class _Digest:
    """Digest credentials sent with each request itself. urllib would send a
    request without them first and answer the store's 401 after; a store that
    answers before it has read a graph being PUT and closes the connection
    (Virtuoso does) breaks the pipe, and the push fails though the password
    is right."""

    def __init__(self, endpoint: str, user: str, password: str):
        manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        manager.add_password(None, endpoint, user, password)
        self.handler = urllib.request.HTTPDigestAuthHandler(manager)
        self.challenge = None
        try:                                   # a bodiless request: the 401 carries the challenge
            with urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=30):
                pass
        except urllib.error.HTTPError as err:
            header = err.headers.get("WWW-Authenticate", "")
            if err.code == 401 and header[:7].lower() == "digest ":
                self.challenge = urllib.request.parse_keqv_list(
                    [part for part in urllib.request.parse_http_list(header[7:]) if "=" in part])
        except (urllib.error.URLError, OSError):
            pass

    def sign(self, request: urllib.request.Request) -> None:
        if self.challenge:
            answer = self.handler.get_authorization(request, self.challenge)
            if answer:
                request.add_unredirected_header("Authorization", f"Digest {answer}")


def push_graphs(graphs: dict[str, Graph | bytes], endpoint: str, user: str | None = None,
                password: str | None = None) -> list[tuple[str, int]]:
    """PUT each graph (rdflib, or N-Triples bytes) as the named graph of its IRI,
    replacing what the store held under that name; returns (IRI, triples) pushed."""
    opener = _opener(endpoint, user, password)
    digest = _Digest(endpoint, user, password or "") if user else None
    sep = "&" if "?" in endpoint else "?"
    pushed = []
    for iri, graph in sorted(graphs.items()):
        url = f"{endpoint}{sep}{urllib.parse.urlencode({'graph': iri})}"
        if digest and not pushed:
            # credentials checked with a bodiless request: a wrong password is
            # then the store's clear 401, not a connection closed mid-upload
            check = urllib.request.Request(url, method="HEAD")
            digest.sign(check)
            try:
                _call(opener, check, f"Pushing <{iri}>")
            except KgError as err:
                if "HTTP 401" in str(err) or "HTTP 403" in str(err):
                    raise
        data = graph.serialize(format="nt", encoding="utf-8") if isinstance(graph, Graph) else graph
        lines = sorted({line for line in data.splitlines() if line.strip()})
        request = urllib.request.Request(url, data=b"\n".join(lines) + b"\n", method="PUT")
        request.add_header("Content-Type", "application/n-triples")
        if digest:
            digest.sign(request)
        _call(opener, request, f"Pushing <{iri}>")
        pushed.append((iri, len(lines)))
    return pushed


def remote_query(endpoint: str, query: str, user: str | None = None, password: str | None = None):
    """Run a query on a remote SPARQL endpoint; the answer as an rdflib Result.

    The query is checked as a local one is (no updates, no SERVICE), kg's
    prefixes are declared if the query does not, and the kg IRIs of a SELECT
    answer get their labels from the endpoint (for the table format)."""
    from .query import _is_ordered, _sort_key, check_query
    prepared = check_query(query, allow_dataset=True)   # the same refusals and messages as locally
    result = _remote(endpoint, query, user, password)
    if result.type == "SELECT":
        if not _is_ordered(prepared.algebra):
            result.bindings = sorted(result.bindings, key=lambda row: _sort_key(row, result.vars or []))
        from .store import labels
        result.kg_graph = labels(result, lambda q: _remote(endpoint, q, user, password))
    return result


def _remote(endpoint: str, query: str, user: str | None, password: str | None):
    from rdflib.query import Result
    from .query import PREFIXES
    declared = "".join(f"PREFIX {p}: <{ns}>\n" for p, ns in sorted(PREFIXES.items())
                       if f"PREFIX {p}:".lower() not in query.lower())
    body = urllib.parse.urlencode({"query": declared + query}).encode("utf-8")
    request = urllib.request.Request(endpoint, data=body, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    request.add_header("Accept", "application/sparql-results+json, text/turtle;q=0.9")
    data = _call(_opener(endpoint, user, password), request, "The query")
    text = data.decode("utf-8")
    if text.lstrip().startswith("{"):
        import io
        return Result.parse(io.StringIO(text), format="json")
    graph = Graph().parse(data=text, format="turtle")
    result = Result("CONSTRUCT")
    result.graph = graph
    return result
