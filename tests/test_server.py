"""`kg serve` as a SPARQL client sees it: a subprocess on a free port, plain HTTP and SPARQLWrapper."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from rdflib import Graph

from conftest import CORPUS, SEED, free_port

VILLAGES = "SELECT ?l WHERE { ?e a kg:Village ; rdfs:label ?l } ORDER BY ?l"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    from kg.build import build_graph
    out = tmp_path_factory.mktemp("serve")
    build_graph([SEED], out)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "kg", "serve", "--graph", str(out / "graph.ttl"),
                             "--page", str(out / "graph.html"), "--port", str(port), "--timeout", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/query", timeout=1)
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.1)
    else:
        proc.kill()
        raise AssertionError(proc.stderr.read())
    yield url
    proc.terminate()
    proc.wait(timeout=10)


def _get(url, query, accept="", method="GET", media=None):
    if method == "GET":
        req = urllib.request.Request(url + "/sparql?" + urllib.parse.urlencode({"query": query}))
    elif media == "application/sparql-query":
        req = urllib.request.Request(url + "/sparql", data=query.encode("utf-8"), method="POST")
        req.add_header("Content-Type", media)
    else:
        req = urllib.request.Request(url + "/sparql", data=urllib.parse.urlencode({"query": query}).encode(), method="POST")
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    if accept:
        req.add_header("Accept", accept)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type"), err.read().decode("utf-8")


@pytest.mark.parametrize("accept,check", [
    ("application/sparql-results+json", lambda t: [b["l"]["value"] for b in json.loads(t)["results"]["bindings"]]),
    ("application/sparql-results+xml", lambda t: [x.split("</literal>")[0].split(">")[-1] for x in t.split("<literal")[1:]]),
    ("text/csv", lambda t: [row[0] for row in csv.reader(io.StringIO(t))][1:]),
    ("text/tab-separated-values", lambda t: [line.split("@")[0].strip('"') for line in t.splitlines()[1:]]),
])
@pytest.mark.parametrize("method,media", [("GET", None), ("POST", "form"), ("POST", "application/sparql-query")])
def test_select_in_every_format(endpoint, accept, check, method, media):
    status, ctype, text = _get(endpoint, VILLAGES, accept, method, media)
    assert status == 200 and ctype.startswith(accept)
    assert "梅林村" in check(text)


def test_construct_as_turtle(endpoint):
    status, ctype, text = _get(endpoint, "CONSTRUCT { ?e rdfs:label ?l } WHERE { ?e a kg:Community ; rdfs:label ?l }",
                               "text/turtle")
    assert status == 200 and ctype.startswith("text/turtle")
    labels = {str(o) for o in Graph().parse(data=text, format="turtle").objects()}
    assert "浦河社区" in labels


def test_sparqlwrapper_client(endpoint):
    from SPARQLWrapper import JSON, SPARQLWrapper
    client = SPARQLWrapper(endpoint + "/sparql")
    client.setQuery("PREFIX kg: <https://w3id.org/govkg/ontology#> PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> "
                    + VILLAGES)
    client.setReturnFormat(JSON)
    rows = client.query().convert()["results"]["bindings"]
    assert "东南李家村" in [r["l"]["value"] for r in rows]


def test_updates_are_refused(endpoint):
    status, _, text = _get(endpoint, "INSERT DATA { <a:b> <a:c> <a:d> }", method="POST", media="form")
    assert 400 <= status < 500 and "refused" in text
    req = urllib.request.Request(endpoint + "/sparql", data=b"INSERT DATA { <a:b> <a:c> <a:d> }", method="POST")
    req.add_header("Content-Type", "application/sparql-update")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=10)
    assert err.value.code == 403
    status, _, text = _get(endpoint, "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }")
    assert status == 403 and "SERVICE" in text
    status, _, text = _get(endpoint, "SELECT ?x WHERE { ?x ?y }")
    assert status == 400 and "line" in text and "column" in text


def test_a_runaway_query_is_stopped(endpoint):
    started = time.monotonic()
    status, _, text = _get(endpoint, "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }")
    assert status == 503 and "time limit" in text
    assert time.monotonic() - started < 10
    assert _get(endpoint, VILLAGES)[0] == 200          # and the server still answers


def test_twenty_clients_at_once(endpoint):
    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(lambda _: _get(endpoint, VILLAGES, "text/csv"), range(20)))
    assert all(status == 200 and "梅林村" in text for status, _, text in results)


def test_pages(endpoint):
    with urllib.request.urlopen(endpoint + "/", timeout=10) as r:
        assert "vis-network" in r.read().decode("utf-8")
    with urllib.request.urlopen(endpoint + "/query", timeout=10) as r:
        page = r.read().decode("utf-8")
    assert "headline-indicators" in page and "<script src" not in page


def _csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))[1:]


def test_a_named_query_comes_in_the_order_kg_query_gives(endpoint, seed_build):
    # kg sorts the rows itself (the store's ORDER BY over expressions is slow)
    from kg import store
    from kg.query import resolve_query
    text = resolve_query("entity", {"name": "西夏墅镇"})
    status, _, answer = _get(endpoint, text, "text/csv")
    expected = store.query(seed_build[1] / "graph.ttl", text)
    assert status == 200 and len(expected.bindings) > 50
    rows = _csv_rows(answer)
    assert rows == [[str(row.get(v, "")) for v in expected.vars] for row in expected.bindings]
    # a sentence's IRI holds a comma (#char=125,289): quoted, it stays one cell
    assert any(cell.rsplit("#char=", 1)[-1].count(",") == 1 for row in rows for cell in row if "#char=" in cell)


COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def test_the_store_is_read_where_it_is_and_a_new_build_is_picked_up(tmp_path):
    from kg.build import build_graph
    from kg.server import Endpoint, Settings
    out = tmp_path / "out"
    first = build_graph([SEED], out, html=False)
    endpoint = Endpoint(Settings(graph=out / "graph.ttl"))
    try:
        assert endpoint.source.folder is not None and endpoint.source.memory is None   # nothing copied
        assert _csv_rows(endpoint.answer(COUNT, "text/csv")[2].decode()) == [[str(first.triples)]]
        worker = endpoint._idle[0]
        endpoint.answer(VILLAGES, "text/csv")
        assert endpoint._idle == [worker] and worker.process.is_alive()     # kept for the next query
        second = build_graph([CORPUS / "01_qingyuanqu_2023.txt"], out, html=False, rebuild=True)
        time.sleep(1.1)                                   # the server looks at most once a second
        assert _csv_rows(endpoint.answer(COUNT, "text/csv")[2].decode()) == [[str(second.triples)]]
        assert second.triples != first.triples
        assert not worker.process.is_alive()              # it read the old store: let go of
    finally:
        endpoint.close()


def test_while_a_build_writes_the_store_the_graph_file_is_answered_from(tmp_path):
    from kg import store
    from kg.build import build_graph
    out = tmp_path / "out"
    built = build_graph([SEED], out, html=False)
    served = store.served(out / "graph.ttl")
    with store.Update(out):                               # a build has begun: the store stands for nothing
        assert served.changed() and served.open() is None
        copy = store.served(out / "graph.ttl")
        assert copy.folder is None and store.triple_count(copy.memory) == built.triples
