"""The `kg` command, driven as a user would: build, query, export, stats, validate."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner
from rdflib import Graph
from rdflib.compare import isomorphic

from kg.cli import cli, main

from conftest import ROOT


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli")
    result = CliRunner().invoke(cli, ["build", str(ROOT / "seeds"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


def kg(*args):
    return CliRunner().invoke(cli, list(args))


def test_build_prints_a_summary(built):
    out, output = built
    assert "documents   1" in output
    for word in ("Enterprise", "Village", "relations", "indicators", "triples", "seconds"):
        assert word in output
    assert (out / "graph.ttl").exists() and (out / "graph.html").exists()


@pytest.mark.parametrize("name,params,expected", [
    ("enterprises", [], ["金牛研磨", "宏发纵横"]),
    ("projects-by-status", [], ["粤商工具", "completed", "德利斯护理用品", "ongoing"]),
    ("headline-indicators", ["year=2022"], ["地区生产总值", "80.57", "6.5", "estimate"]),
    ("awards", [], ["西夏墅镇商会", "全国四好商会"]),
    ("cooperation", [], ["卫生院", "市一院"]),
    ("entity", ["name=金牛研磨"], ["Enterprise", "宏发纵横、金牛研磨等龙头企业"]),
    ("evidence", ["name=西夏墅镇商会"], ["获评全国“四好”商会"]),
    ("types", [], ["Enterprise", "Village", "Community"]),
    ("villages", [], ["梅林村", "浦河社区", "西夏墅镇"]),
])
def test_named_queries_return_their_rows(built, name, params, expected):
    out, _ = built
    args = ["query", name, "--graph", str(out / "graph.ttl")]
    for p in params:
        args += ["--param", p]
    result = kg(*args)
    assert result.exit_code == 0, result.output
    for text in expected:
        assert text in result.output, (name, text)


def test_every_named_query_is_listed(built):
    result = kg("query", "--list")
    names = [line.split()[0] for line in result.output.splitlines()]
    assert {"enterprises", "projects-by-status", "headline-indicators", "awards",
            "cooperation", "entity", "evidence"} <= set(names)


def test_query_formats(built):
    out, _ = built
    g = str(out / "graph.ttl")
    q = 'SELECT ?l WHERE { ?e a kg:Village ; rdfs:label ?l } ORDER BY ?l'
    data = json.loads(kg("query", q, "--graph", g, "--format", "json").output)
    labels = [b["l"]["value"] for b in data["results"]["bindings"]]
    assert "梅林村" in labels
    csv_out = kg("query", q, "--graph", g, "--format", "csv").output.splitlines()
    assert csv_out[0] == "l" and "梅林村" in csv_out
    tsv_out = kg("query", q, "--graph", g, "--format", "tsv").output.splitlines()
    assert tsv_out[0] == "?l"


@pytest.mark.parametrize("fmt,rdf_format", [("ttl", "turtle"), ("nt", "nt"), ("nq", "nquads"),
                                            ("trig", "trig"), ("jsonld", "json-ld")])
def test_export_round_trips(built, tmp_path, fmt, rdf_format):
    out, _ = built
    target = tmp_path / f"g.{fmt}"
    result = kg("export", "--graph", str(out / "graph.ttl"), "--format", fmt, "-o", str(target))
    assert result.exit_code == 0, result.output
    original = Graph().parse(out / "graph.ttl", format="turtle")
    if fmt in ("nq", "trig"):           # one named graph per document: compare their union
        from rdflib import Dataset
        ds = Dataset()
        ds.parse(target, format=rdf_format)
        union = Graph()
        for g in ds.graphs():
            union += g
        assert isomorphic(union, original)
    else:
        assert isomorphic(Graph().parse(target, format=rdf_format), original)


def test_export_graphml(built, tmp_path):
    import networkx as nx
    out, _ = built
    target = tmp_path / "g.graphml"
    assert kg("export", "--graph", str(out / "graph.ttl"), "--format", "graphml", "-o", str(target)).exit_code == 0
    g = nx.read_graphml(target)
    labels = {d.get("label") for _, d in g.nodes(data=True)}
    assert "金牛研磨" in labels and g.number_of_edges() > 10


def test_stats_and_validate(built):
    out, _ = built
    stats = kg("stats", "--graph", str(out / "graph.ttl"))
    assert stats.exit_code == 0 and "西夏墅镇" in stats.output and "component" in stats.output
    valid = kg("validate", "--graph", str(out / "graph.ttl"))
    assert valid.exit_code == 0 and "Conforms: True" in valid.output


@pytest.mark.parametrize("args,message", [
    (["build", "no/such/folder"], "no such file or folder"),
    (["query", "SELECT ?x WHERE { ?x ?y }", "--graph", "{graph}"], "line"),
    (["query", "no-such-query", "--graph", "{graph}"], "enterprises"),
    (["query", "INSERT DATA { <a:b> <a:c> <a:d> }", "--graph", "{graph}"], "refused"),
    (["query", "enterprises", "--graph", "missing.ttl"], "run `kg build` first"),
    (["export", "--format", "xls", "--graph", "{graph}"], "ttl"),
])
def test_errors_are_one_sentence_and_non_zero(built, args, message):
    out, _ = built
    args = [a.replace("{graph}", str(out / "graph.ttl")) for a in args]
    proc = subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True, cwd=out)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_folder_with_a_bad_file_builds_the_good_ones(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "good.txt").write_bytes((ROOT / "seeds" / "000_422bfd801309c4b5.txt").read_bytes())
    (src / "bad.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    proc = subprocess.run([sys.executable, "-m", "kg", "build", str(src), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert "bad.txt" in proc.stdout and "1 of 2 files were not built" in proc.stderr
    assert (tmp_path / "out" / "graph.ttl").exists()


def test_every_command_has_help_with_an_example():
    for name, command in cli.commands.items():
        result = kg(name, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output, name


def test_kg_view_prints_the_page_without_a_screen(tmp_path, monkeypatch):
    from kg.html import view
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    page = tmp_path / "graph.html"
    page.write_text("<html></html>", encoding="utf-8")
    assert str(page.resolve()) in view(page)
