"""Bad and hostile input: kg builds what it can, says what it cannot, never crashes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rdflib import RDFS, Graph
from rdflib.compare import isomorphic

from kg.errors import KgError
from kg.graph import add_extraction, new_graph
from kg.pipeline import extract

from conftest import CORPUS, ROOT, SEED

SEED_SENTENCES = [s for s in SEED.read_text(encoding="utf-8").split("。") if s.strip()]
HOSTILE = ['"""', "\\", "<script>alert(1)</script>", "</script>", "{{ x }}", "\n", "\u202e", "\u200b",
           "😀", "<img src=x onerror=alert(1)>", "'", "\"", "%", "#", " ", "\x00"]


def _build_text(tmp_path, text: str) -> Graph | None:
    path = tmp_path / "report.txt"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    try:
        ex = extract(path)
    except KgError:
        return None
    graph = new_graph()
    add_extraction(graph, ex)
    return graph


def _roundtrips(graph: Graph) -> None:
    for fmt in ("turtle", "nt", "json-ld"):
        data = graph.serialize(format=fmt)
        assert isomorphic(Graph().parse(data=data, format=fmt), graph), fmt


@given(st.text(min_size=0, max_size=300))
def test_any_text_builds_or_is_refused_cleanly(tmp_path, text):
    graph = _build_text(tmp_path, text.replace("\x00", "") .encode("utf-8", "replace").decode("utf-8"))
    if graph is not None:
        _roundtrips(graph)


@given(st.lists(st.tuples(st.sampled_from(SEED_SENTENCES), st.sampled_from(HOSTILE), st.integers(0, 40)),
                min_size=1, max_size=8))
def test_seed_sentences_with_hostile_edits_stay_valid_rdf(tmp_path, edits):
    """Report text with quotes, backslashes, markup, RTL marks and emoji spliced in."""
    parts = ["政府工作报告", "——2023年1月6日在常州市新北区西夏墅镇第五届人民代表大会第三次会议上", "各位代表："]
    for sentence, junk, at in edits:
        at = min(at, len(sentence))
        parts.append(sentence[:at] + junk + sentence[at:] + "。")
    graph = _build_text(tmp_path, "\n".join(parts))
    assert graph is not None
    _roundtrips(graph)


def test_hostile_names_make_valid_iris_and_literals(tmp_path):
    text = ("政府工作报告\n——2023年1月6日在常州市新北区西夏墅镇第五届人民代表大会第三次会议上\n各位代表：\n"
            "落实“<script>alert(1)</script>”工作要求，引进“{{x}}\\”、A\"B#C%20等3个项目。"
            "深化“河长制”改革，<img src=x onerror=alert(1)>、</script>等企业稳步推进。\n")
    graph = _build_text(tmp_path, text)
    assert graph is not None
    _roundtrips(graph)
    labels = {str(o) for o in graph.objects(None, None) if getattr(o, "language", None) == "zh"}
    assert any("<script>" in label for label in labels)
    for s in graph.subjects():
        assert not any(ch in str(s) for ch in ' "<>{}|\\^`'), s


def test_build_order_does_not_change_output(tmp_path):
    from kg.build import build_graph
    files = sorted(CORPUS.glob("*.txt"))[:3] + [SEED]
    build_graph(files, tmp_path / "a", html=False)
    build_graph(list(reversed(files)), tmp_path / "b", html=False)
    assert (tmp_path / "a" / "graph.ttl").read_bytes() == (tmp_path / "b" / "graph.ttl").read_bytes()


def test_parallel_build_gives_the_same_files(tmp_path):
    from kg.build import build_graph
    files = sorted(CORPUS.glob("*.txt"))[:3] + [SEED]
    one = build_graph(files, tmp_path / "one", jobs=1)
    two = build_graph(files, tmp_path / "two", jobs=2)
    assert one.documents == two.documents and len(one.graph) == len(two.graph)
    for name in ("graph.ttl", "graph.html"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


def test_hash_seed_does_not_change_output(tmp_path):
    outs = []
    for seed in ("1", "4242"):
        out = tmp_path / seed
        env = dict(os.environ, PYTHONHASHSEED=seed)
        subprocess.run([sys.executable, "-m", "kg", "build", str(SEED), "-o", str(out)],
                       check=True, capture_output=True, env=env)
        outs.append((out / "graph.ttl").read_bytes())
    assert outs[0] == outs[1]


def test_killed_build_leaves_previous_output_intact(tmp_path):
    out = tmp_path / "out"
    subprocess.run([sys.executable, "-m", "kg", "build", str(SEED), "-o", str(out)], check=True, capture_output=True)
    before = {name: (out / name).read_bytes() for name in ("graph.ttl", "graph.html")}
    proc = subprocess.Popen([sys.executable, "-m", "kg", "build", str(CORPUS), "-o", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.0)                      # segmenting, well before anything is written
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for name, data in before.items():
        assert (out / name).read_bytes() == data
    Graph().parse(out / "graph.ttl", format="turtle")


def test_interrupted_build_says_so(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "kg", "build", str(CORPUS), "-o", str(tmp_path / "o")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert "Traceback" not in err
    assert not (tmp_path / "o" / "graph.ttl").exists()


@pytest.mark.parametrize("text,value,unit", [
    ("全年实现地区生产总值８０．５７亿元，同比增长６．５％。", "80.57", "亿元"),
    ("全年实现财政收入一百二十亿元。", "120", "亿元"),
    ("全年完成投资两千三百万元。", "2300", "万元"),
])
def test_numbers_in_any_writing(tmp_path, text, value, unit):
    graph = _build_text(tmp_path, "政府工作报告\n——2023年1月6日在常州市新北区西夏墅镇第五届人民代表大会第三次会议上\n各位代表：\n2022年工作回顾\n" + text)
    rows = list(graph.query("SELECT ?v ?u WHERE { ?i a kg:Indicator ; kg:value ?v ; kg:unit ?u }"))
    assert (float(rows[0][0]), str(rows[0][1])) == (float(value), unit)


# -- very large input: read in parts, Turtle streamed from the store ------------

def test_a_long_report_is_read_in_parts_that_find_the_same_entities(monkeypatch, seed_extraction):
    """A huge file is extracted a few thousand sentences at a time (memory stays
    bounded); on the seed cut into ten parts, the parts find the whole's entities."""
    from kg.pipeline import extract_parts
    parts = list(extract_parts(SEED, part_chars=1000))
    assert len(parts) >= 8
    whole = {e.key for e in seed_extraction.entities}
    found = {e.key for part in parts for e in part.entities}
    assert {("Enterprise", "金牛研磨"), ("Village", "东南李家村")} <= whole & found
    assert len(whole & found) / len(whole) >= 0.95
    # every sentence is read by exactly one part, and offsets are the whole file's
    read = [m.sentence for part in parts for e in part.entities for m in e.mentions]
    assert max(read) > len(seed_extraction.sentences) * 0.9
    assert parts[-1].sentences is parts[0].sentences


def test_a_graph_too_big_to_sort_in_memory_is_streamed(monkeypatch, tmp_path, seed_graph):
    """Past store.IN_MEMORY_TRIPLES the Turtle comes straight from the store: the
    same graph (decimals as kg writes them), no page, and the build says why."""
    from kg import pipeline, store
    from kg.build import build_graph, load_graph
    monkeypatch.setattr(store, "IN_MEMORY_TRIPLES", 100)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "graph.html").write_text("an old page")
    result = build_graph([SEED], tmp_path / "out")
    streamed = load_graph(tmp_path / "out" / "graph.ttl")
    assert isomorphic(streamed, seed_graph)
    assert result.triples == len(seed_graph)
    assert b" 80.57 ;" in (tmp_path / "out" / "graph.ttl").read_bytes() or \
        b" 80.57 ." in (tmp_path / "out" / "graph.ttl").read_bytes()
    assert not (tmp_path / "out" / "graph.html").exists()
    assert "too big for a browser" in result.summary()
    # the same input gives the same bytes again
    first = (tmp_path / "out" / "graph.ttl").read_bytes()
    build_graph([SEED], tmp_path / "out", rebuild=True)
    assert (tmp_path / "out" / "graph.ttl").read_bytes() == first
    # parts spooled to disk (a long report) are loaded, and the spool is gone after
    monkeypatch.setattr(pipeline, "PART_CHARS", 1000)
    result = build_graph([SEED], tmp_path / "parts")
    assert result.entities["Enterprise"] >= 5
    assert not list((tmp_path / ".kg-cache").glob(".spool-*"))


@given(st.text(min_size=1, max_size=30))
def test_any_name_makes_an_iri_that_a_checking_store_accepts(label):
    """U+FFFD (left by a broken encoding), private-use characters, surrogates,
    controls: percent-encoded, so pyoxigraph (which checks IRIs, unlike rdflib)
    takes every entity kg mints, and the label survives the round trip."""
    import pyoxigraph as ox
    from urllib.parse import unquote
    from kg.iris import entity_iri
    iri = entity_iri(("江苏省", "常州市"), "Enterprise", label)
    assert ox.NamedNode(str(iri)).value == str(iri)
    assert unquote(str(iri).rsplit("/", 1)[1], errors="surrogatepass") == label


@pytest.mark.parametrize("jobs", [1, 2])
def test_two_reports_with_one_file_name_are_not_merged_into_one_document(tmp_path, jobs):
    """The first given is built, also with -j 2, where the longest files go first
    (here the second report of that name is the longer one)."""
    from kg.build import build_graph
    corpus = sorted(CORPUS.glob("*.txt"), key=lambda f: f.stat().st_size)
    for folder, name, source in (("a", "report", SEED), ("b", "report", corpus[-1]), ("c", "other", corpus[0])):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / f"{name}.txt").write_bytes(source.read_bytes())
    assert SEED.stat().st_size < corpus[-1].stat().st_size
    result = build_graph([tmp_path / "a", tmp_path / "b", tmp_path / "c"], tmp_path / "out", html=False, jobs=jobs)
    assert result.documents == ["other", "report"]
    assert len(result.failures) == 1 and "same file name" in result.failures[0]
    assert str(tmp_path / "b" / "report.txt") in result.failures[0]
    assert any(str(o) == "西夏墅镇商会" for o in result.graph.objects(None, RDFS.label))     # the seed's


def test_parallel_workers_take_the_longest_reports_first(tmp_path):
    from kg.build import _longest_first
    sizes = {"a/x.txt": 10, "b/y.txt": 30, "c/x.txt": 50, "d/z.txt": 20}
    files = []
    for name, size in sizes.items():
        (tmp_path / name).parent.mkdir()
        (tmp_path / name).write_bytes(b"x" * size)
        files.append(tmp_path / name)
    # y, then z; the two x.txt last and together, the first given first (only it is
    # built: its size places them, not the longer second one's)
    assert _longest_first(files) == [1, 3, 0, 2]


def test_a_build_that_fails_while_writing_leaves_the_old_files_and_no_temporary_one(tmp_path, monkeypatch):
    """With -j 2 the Turtle is being written by another process when the page fails."""
    from kg import html
    from kg.build import build_graph
    files = [SEED, sorted(CORPUS.glob("*.txt"))[0]]
    out = tmp_path / "out"
    build_graph(files, out, jobs=2)
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(*args, **kwargs):
        raise RuntimeError("the page could not be made")

    monkeypatch.setattr(html, "render_html", broken)
    with pytest.raises(RuntimeError):
        build_graph(files, out, jobs=2, rebuild=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
