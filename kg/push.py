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


def push_graphs(graphs: dict[str, Graph], endpoint: str, user: str | None = None,
                password: str | None = None) -> list[tuple[str, int]]:
    """PUT each graph as the named graph of its IRI; returns (IRI, triples) pushed."""
    opener = _opener(endpoint, user, password)
    pushed = []
    for iri, graph in sorted(graphs.items()):
        data = "".join(sorted(graph.serialize(format="nt").splitlines(keepends=True))).encode("utf-8")
        sep = "&" if "?" in endpoint else "?"
        request = urllib.request.Request(f"{endpoint}{sep}{urllib.parse.urlencode({'graph': iri})}",
                                         data=data, method="PUT")
        request.add_header("Content-Type", "application/n-triples")
        _call(opener, request, f"Pushing {iri}")
        pushed.append((iri, len(graph)))
    return pushed


def remote_query(endpoint: str, query: str, user: str | None = None, password: str | None = None):
    """Run a query on a remote SPARQL endpoint; the answer as an rdflib Result."""
    from rdflib.query import Result
    from .query import PREFIXES, check_query
    check_query(query)                      # the same refusals and messages as locally
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
