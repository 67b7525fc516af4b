"""kg against a real triple store: Debian's Virtuoso, started on loopback by the test.

`kg push` loads the seed's graph (one named graph per document) over the
SPARQL 1.1 Graph Store HTTP Protocol; every named query then runs there with
`kg query --endpoint` and in kg's own engine, and gives the same rows.
Skipped where Virtuoso is not installed; .ci/run installs it.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
import urllib.request
from decimal import Decimal, InvalidOperation
from pathlib import Path

import pytest

from kg.build import build_graph
from kg.push import remote_query
from kg.query import list_queries, resolve_query, run_query

from conftest import SEED, free_port

VIRTUOSO = shutil.which("virtuoso-t")
INI = Path("/etc/virtuoso-opensource-7/virtuoso.ini")
pytestmark = pytest.mark.skipif(not (VIRTUOSO and INI.exists()),
                                reason="needs Debian's virtuoso-opensource (apt-get install virtuoso-opensource)")
PARAMS = {"entity": {"name": "西夏墅镇"}, "evidence": {"name": "西夏墅镇"}, "headline-indicators": {"year": "2022"}}


@pytest.fixture(scope="module")
def virtuoso(tmp_path_factory):
    home = tmp_path_factory.mktemp("virtuoso")
    sql_port, http_port = free_port(), free_port()
    ini = INI.read_text(encoding="utf-8").replace("/var/lib/virtuoso-opensource-7/db/", f"{home}/")
    ini = re.sub(r"(\[Parameters\][^\[]*?)ServerPort\s*=\s*\d+", rf"\1ServerPort = 127.0.0.1:{sql_port}", ini, flags=re.S)
    ini = re.sub(r"(\[HTTPServer\][^\[]*?)ServerPort\s*=\s*\d+", rf"\1ServerPort = 127.0.0.1:{http_port}", ini, flags=re.S)
    (home / "virtuoso.ini").write_text(ini, encoding="utf-8")
    proc = subprocess.Popen([VIRTUOSO, "+foreground", "+configfile", str(home / "virtuoso.ini")],
                            cwd=home, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{http_port}"
    for _ in range(120):
        try:
            urllib.request.urlopen(url + "/sparql?query=ASK%7B%7D", timeout=2)
            break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("Virtuoso did not start")
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def _cell(value) -> str:
    """Stores write the same decimal differently (138.0 or 138): compare numbers as numbers."""
    if value is None:
        return ""
    text = str(value)
    try:
        return str(Decimal(text).normalize())
    except InvalidOperation:
        return re.sub(r"(\d)\.0(?!\d)", r"\1", text)


def _rows(result) -> list[tuple]:
    return sorted(tuple(_cell(row[v]) if v in row else "" for v in result.vars) for row in result.bindings)


def test_push_then_every_named_query_gives_the_same_rows(virtuoso, tmp_path):
    local = build_graph([SEED], tmp_path, html=False).graph
    proc = subprocess.run([sys.executable, "-m", "kg", "push", str(SEED), "--endpoint",
                           virtuoso + "/sparql-graph-crud-auth", "--user", "dba", "--password", "dba"],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "<https://w3id.org/govkg/id/doc/000_422bfd801309c4b5>" in proc.stdout
    for name, _ in list_queries():
        query = resolve_query(name, PARAMS.get(name, {}))
        here = _rows(run_query(local, query))
        there = _rows(remote_query(virtuoso + "/sparql", query))
        assert here, name
        assert here == there, name


def test_query_endpoint_from_the_command_line(virtuoso):
    proc = subprocess.run([sys.executable, "-m", "kg", "query", "villages", "--endpoint", virtuoso + "/sparql"],
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "梅林村" in proc.stdout


def test_pushing_again_replaces_the_documents_graph(virtuoso):
    count = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/govkg/id/doc/000_422bfd801309c4b5> { ?s ?p ?o } }"
    def triples() -> int:
        return int(next(iter(remote_query(virtuoso + "/sparql", count).bindings[0].values())))
    before = triples()
    assert before > 1000
    subprocess.run([sys.executable, "-m", "kg", "push", str(SEED), "--endpoint", virtuoso + "/sparql-graph-crud-auth",
                    "--user", "dba", "--password", "dba"], check=True, capture_output=True)
    assert triples() == before


def test_a_wrong_password_is_one_sentence(virtuoso):
    proc = subprocess.run([sys.executable, "-m", "kg", "push", str(SEED), "--endpoint",
                           virtuoso + "/sparql-graph-crud-auth", "--user", "dba", "--password", "wrong"],
                          capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "refused" in proc.stderr


def test_the_password_goes_with_the_graph_not_after_it(virtuoso):
    """kg signs each PUT itself (Digest), so the store never answers an unsigned
    upload with 401 and closes the connection while the graph is still being sent."""
    from kg.push import _Digest
    endpoint = virtuoso + "/sparql-graph-crud-auth"
    digest = _Digest(endpoint, "dba", "dba")
    assert digest.challenge and digest.challenge.get("nonce")
    request = urllib.request.Request(endpoint + "?graph=urn%3Akg%3Anone", method="HEAD")
    digest.sign(request)
    assert request.unredirected_hdrs["Authorization"].startswith("Digest ")
    try:
        urllib.request.urlopen(request, timeout=30)       # no auth handler: the header alone must do
    except urllib.error.HTTPError as err:
        assert err.code != 401
