"""kg's benchmark: prints a table of figures, each beside what it is compared with.

Not part of the test suite. Every comparison is a ratio measured in the same
run on the same machine (these machines are shared and noisy); short figures
are medians of several runs.

    .venv/bin/python bench/run.py                    # everything, ~15 minutes
    .venv/bin/python bench/run.py --quick            # no 30/97-report growth steps, no rdflib Turtle
    .venv/bin/python bench/run.py --out bench/results.md

Sections (issue #7): 1 one report cold, 2 extraction throughput and -j 2,
3 whole corpus, 4 named queries on the whole-corpus store, 5 the viewer,
6 growth with the number of reports.
"""
from __future__ import annotations

import argparse
import datetime
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))          # headless.py, for the viewer
KG = [sys.executable, "-m", "kg"]
BENCH = ROOT.parent / "shared" / "corpus" / "bench"

# A child's wall time, peak memory and CPU time (its own and its children's,
# user and system): the wrapper's only child is the command.
_MEASURE = ("import resource, subprocess, sys, time\n"
            "t = time.perf_counter()\n"
            "r = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)\n"
            "t = time.perf_counter() - t\n"
            "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
            "sys.stdout.buffer.write(r.stdout)\n"
            "print(f'@@ {t} {u.ru_maxrss} {u.ru_utime + u.ru_stime} {r.returncode}')\n")


class Run(NamedTuple):
    seconds: float
    peak_mb: float
    output: str
    cpu_seconds: float


# Commands run as on a user's machine, where Python keeps the modules it has
# compiled: with PYTHONDONTWRITEBYTECODE set (as on these machines) every
# kg command compiled its own modules again (some 50 ms), while jieba's were
# compiled once, when pip installed it.
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str]) -> Run:
    """Run a command as a new process and measure it."""
    out = subprocess.run([sys.executable, "-c", _MEASURE, *cmd], capture_output=True, text=True,
                         cwd=ROOT, env=_ENV).stdout
    body, _, last = out.rpartition("@@ ")
    seconds, kb, cpu, code = last.split()
    if code != "0":
        raise SystemExit(f"{' '.join(cmd)} failed:\n{body}")
    return Run(float(seconds), int(kb) / 1024, body, float(cpu))


def median_of(runs: int, fn) -> float:
    return statistics.median(fn() for _ in range(runs))


def table(title: str, header: list[str], rows: list[list], lines: list[str]) -> None:
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)]
    text = [f"### {title}", "", "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |",
            "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    text += ["| " + " | ".join(str(x).ljust(w) for x, w in zip(row, widths)) + " |" for row in rows]
    print("\n".join(text) + "\n", flush=True)
    lines += text + [""]


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def reports(n: int | None = None) -> list[Path]:
    files = sorted(BENCH.glob("*.txt"))
    return files if n is None else files[:n]


def chars_of(files: list[Path]) -> int:
    from kg.reader import read_document
    return sum(len(read_document(f).text) for f in files)


# -- 1 -----------------------------------------------------------------------

def one_report_cold(runs: int, work: Path, lines: list[str]) -> None:
    jieba_cmd = [sys.executable, "-c", "import jieba; jieba.initialize()"]
    kg_cmd = KG + ["build", "seeds/", "-o", str(work / "cold"), "--rebuild"]
    measure(jieba_cmd), measure(kg_cmd)                      # caches warm, as a user's are
    jieba_s, kg_s = [], []
    for _ in range(runs):                                    # interleaved: the same noise for both
        jieba_s.append(measure(jieba_cmd)[0])
        kg_s.append(measure(kg_cmd)[0])
    j, k = statistics.median(jieba_s), statistics.median(kg_s)
    table("1. One report, cold (new process, median of %d)" % runs, ["command", "seconds", "ratio", "target ≤ 1.5×"],
          [["python -c 'import jieba; jieba.initialize()'", f"{j:.2f}", "1.00", ""],
           ["kg build seeds/", f"{k:.2f}", f"{k / j:.2f}", verdict(k / j <= 1.5)]], lines)


# -- 2 -----------------------------------------------------------------------

def throughput(files: list[Path], lines: list[str]) -> dict:
    import jieba
    import jieba.posseg
    from kg import segment
    from kg.pipeline import extract
    from kg.reader import read_document
    texts = [read_document(f).text for f in files]
    chars = sum(map(len, texts))
    tagger = jieba.posseg.POSTokenizer(jieba.Tokenizer())
    tagger.initialize()
    t = time.perf_counter()
    for text in texts:
        for _ in tagger.cut(text):
            pass
    posseg_s = time.perf_counter() - t
    segment.initialize()
    t = time.perf_counter()
    for f in files:
        extract(f)
    kg_s = time.perf_counter() - t
    ratio = posseg_s / kg_s
    table(f"2a. Extraction throughput, one process ({len(files)} reports, {chars:,} characters)",
          ["what", "seconds", "characters/s", "kg ÷ posseg", "target ≥ 1"],
          [["jieba.posseg.cut alone", f"{posseg_s:.1f}", f"{chars / posseg_s:,.0f}", "", ""],
           ["kg extraction (read, segment, rules, resolve)", f"{kg_s:.1f}", f"{chars / kg_s:,.0f}",
            f"{ratio:.2f}", verdict(ratio >= 1)]], lines)
    return {"chars": chars}


def parallel(files: list[Path], work: Path, one: Run, runs: int, lines: list[str]) -> None:
    """-j 2 against -j 1, interleaved (the same noise for both), median of ``runs`` each;
    ``one`` is a -j 1 run already made (the growth table's last step)."""
    ones, twos = [one], []
    for i in range(runs):
        twos.append(measure(KG + ["build", *map(str, files), "-o", str(work / "j2"), "--rebuild", "-j", "2"]))
        if i < runs - 1:
            ones.append(measure(KG + ["build", *map(str, files), "-o", str(work / "j1"), "--rebuild", "-j", "1"]))
    j1, j2 = (Run(statistics.median(r.seconds for r in rs), max(r.peak_mb for r in rs), "",
                  statistics.median(r.cpu_seconds for r in rs)) for rs in (ones, twos))
    speedup = j1.seconds / j2.seconds
    # the most -j 2 could give: its CPU time spread over both cores with none idle
    # (-j 1 already uses more than one core: oxigraph's bulk loader runs threads of its own)
    ceiling = j1.seconds / (j2.cpu_seconds / 2)
    table(f"2b. kg build of {len(files)} reports, -j 2 against -j 1 ({os.cpu_count()} CPUs; "
          f"median of {runs}, runs interleaved; peak: the largest of the runs; CPU: user and system, "
          f"all processes; at most: -j 1's seconds against -j 2's CPU seconds over 2 cores)",
          ["command", "seconds", "peak MB", "CPU s", "cores busy", "speed-up", "at most", "target ≥ 1.7×"],
          [["kg build -j 1", *_build_cells(j1), "1.00", "", ""],
           ["kg build -j 2", *_build_cells(j2), f"{speedup:.2f}", f"{ceiling:.2f}", verdict(speedup >= 1.7)]],
          lines)


def _build_cells(run: Run) -> list[str]:
    """Seconds, peak MB, CPU seconds and cores busy, for table 2b."""
    return [f"{run.seconds:.1f}", f"{run.peak_mb:.0f}", f"{run.cpu_seconds:.1f}",
            f"{run.cpu_seconds / run.seconds:.2f}"]


# -- 3 -----------------------------------------------------------------------

def _summary_value(output: str, key: str) -> int:
    for line in output.splitlines():
        if line.startswith(key):
            return int(line.split()[1])
    return 0


def whole_corpus(files: list[Path], out: Path, one: Run, rdflib_turtle: bool, lines: list[str]):
    import pyoxigraph as ox
    from kg import store
    from kg.export import turtle_from_ntriples, with_decimal_points
    from kg.graph import new_graph
    seconds, peak = one.seconds, one.peak_mb
    oxi = store.open_store(out / "graph.ttl")
    data = oxi.dump(format=ox.RdfFormat.N_TRIPLES, from_graph=ox.DefaultGraph())
    t = time.perf_counter()
    turtle_from_ntriples(data)
    ox_s = time.perf_counter() - t
    graph = new_graph().parse(data=with_decimal_points(data).decode("utf-8"), format="nt")   # rdflib's, to compare
    rows = [["kg build (-j 1)", f"{seconds:.1f} s", f"peak {peak:.0f} MB (target < 1,000: {verdict(peak < 1000)})"],
            ["triples", f"{len(graph):,}", ""],
            ["Turtle, kg (pyoxigraph, sorted)", f"{ox_s:.1f} s", ""]]
    if rdflib_turtle:
        rd_s = _seconds_within(lambda: graph.serialize(format="turtle"), RDFLIB_LIMIT * 5)
        rows.append(["Turtle, rdflib's serialiser", f"{rd_s:.1f} s" if rd_s else f"> {RDFLIB_LIMIT * 5:.0f} s (stopped)",
                     f"kg is {(rd_s or RDFLIB_LIMIT * 5) / ox_s:.0f}× faster" if rd_s else
                     f"kg is > {RDFLIB_LIMIT * 5 / ox_s:.0f}× faster"])
    table(f"3. Whole corpus: {len(files)} reports into one store", ["what", "figure", "note"], rows, lines)
    return oxi, graph


# -- 4 -----------------------------------------------------------------------

def queries(graph_file: Path, graph, runs: int, lines: list[str]) -> None:
    from rdflib import Variable
    from kg import store
    from kg.query import PREFIXES, list_queries, resolve_query
    # a required name: the entity the corpus says most about (a heavy but real
    # case: thousands of rows), and a typical one: of the areas the reports
    # govern, the median by what the corpus says about them
    busiest = store.query(graph_file, """SELECT ?l (COUNT(?s) AS ?n) WHERE {
        ?e rdfs:label ?l ; prov:wasDerivedFrom ?s } GROUP BY ?l ORDER BY DESC(?n) ?l LIMIT 1""").bindings
    areas = store.query(graph_file, """SELECT ?l (COUNT(?s) AS ?n) WHERE {
        { SELECT DISTINCT ?e WHERE { ?d kg:area ?e } } ?e rdfs:label ?l ; prov:wasDerivedFrom ?s }
        GROUP BY ?l ORDER BY DESC(?n) ?l""").bindings
    names = [str(busiest[0][Variable("l")]), str(areas[len(areas) // 2][Variable("l")])]
    rows = []
    server, ask, started = _server(graph_file)
    for name, params in _runs_of(list_queries(), names):
        text = resolve_query(name, params)
        shown = name + "".join(f" {p}={v}" for p, v in params.items())
        served = f"{1000 * median_of(runs, lambda: ask(text)):.0f}"

        def ours():
            t = time.perf_counter()
            store.query(graph_file, text)          # what `kg query NAME` runs, rows sorted and labelled
            return time.perf_counter() - t

        first = _seconds_within(lambda: store.query(graph_file, text), RDFLIB_LIMIT)
        if first is None:
            rows.append([shown, f"> {RDFLIB_LIMIT * 1000:.0f} (stopped)", "", "", verdict(False), served])
            continue
        kg_ms = 1000 * (first if first > 5 else median_of(runs, ours))
        first = _rdflib_seconds(graph, text, PREFIXES, RDFLIB_LIMIT)
        if first is None:
            rows.append([shown, f"{kg_ms:.0f}", f"> {RDFLIB_LIMIT * 1000:.0f} (stopped)",
                         f"> {RDFLIB_LIMIT * 1000 / kg_ms:.0f}×", verdict(kg_ms <= 100), served])
            continue
        more = [first] if first > 5 else [first] + [_rdflib_seconds(graph, text, PREFIXES, 60) or 60
                                                     for _ in range(2)]
        rd_ms = 1000 * statistics.median(more)
        rows.append([shown, f"{kg_ms:.0f}", f"{rd_ms:.0f}", f"{rd_ms / kg_ms:.0f}×",
                     verdict(kg_ms <= 100 and rd_ms / kg_ms >= 10), served])
    server.terminate()
    server.wait()
    table("4. Named queries on the whole-corpus store (median ms; kg: `kg query`'s own path, "
          "store opened, rows sorted and labelled; kg serve: a request over HTTP, CSV, "
          f"the server ready {started:.1f} s after it was started)",
          ["query", "kg store", "rdflib in memory", "kg faster by", "target ≤ 100 ms and ≥ 10×",
           "kg serve"], rows, lines)


def _server(graph_file: Path):
    """`kg serve` on a graph, started as a user would; (process, ask(query), seconds to be ready)."""
    import socket
    import urllib.parse
    import urllib.request
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/sparql"

    def ask(query: str) -> float:
        t = time.perf_counter()
        request = urllib.request.Request(url, data=urllib.parse.urlencode({"query": query}).encode(),
                                         headers={"Accept": "text/csv"})
        with urllib.request.urlopen(request, timeout=120) as answer:
            answer.read()
        return time.perf_counter() - t

    t = time.perf_counter()
    server = subprocess.Popen(KG + ["serve", "--graph", str(graph_file), "--port", str(port), "--timeout", "60"],
                              env=_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while True:
        try:
            ask("ASK {}")
            break
        except OSError:
            if server.poll() is not None:
                raise SystemExit("kg serve did not start")
            time.sleep(0.05)
    return server, ask, time.perf_counter() - t


def _runs_of(named_queries, names: list[str]):
    """Each named query once, and once per name if it needs one."""
    from kg.query import _header, resolve_query
    for query, _ in named_queries:
        required = [p for p, about in _header(resolve_query(query, require=False))[1] if "required" in about]
        for name in names if required else [None]:
            yield query, {p: name for p in required}


RDFLIB_LIMIT = 60.0      # seconds; rdflib's engine needs minutes for some queries on a province


def _rdflib_seconds(graph, text: str, prefixes, limit: float) -> float | None:
    return _seconds_within(lambda: list(graph.query(text, initNs=prefixes)), limit)


def _seconds_within(work, limit: float) -> float | None:
    """The time ``work()`` takes, in a forked child (the graph is shared, not
    copied) that is stopped at ``limit``: None when it was."""
    import multiprocessing

    def child(conn):
        t = time.perf_counter()
        work()
        conn.send(time.perf_counter() - t)

    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    worker = ctx.Process(target=child, args=(send,), daemon=True)
    worker.start()
    answer = receive.recv() if receive.poll(limit) else None
    worker.kill()
    worker.join()
    return answer


# -- 5 -----------------------------------------------------------------------

def viewer(pages: list[tuple[str, Path]], lines: list[str]) -> None:
    rows = []
    try:
        import headless
        why = headless.missing()
    except ImportError as err:
        why = str(err)
    driver = None
    profile = tempfile.mkdtemp()
    try:
        if not why:
            driver = headless.start(Path(profile))
        for name, page in pages:
            settle = f"{headless.open_page(driver, page, timeout=300):.1f}" if driver else f"({why})"
            rows.append([name, f"{page.stat().st_size / 1e6:.1f}", settle])
    finally:
        if driver:
            driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
    table("5. Viewer: graph.html", ["graph", "MB", "layout settled, s (headless chromium)"], rows, lines)


# -- 6 -----------------------------------------------------------------------

def growth(steps: list[int], work: Path, lines: list[str]) -> dict:
    runs, rows, base = {}, [], None
    for n in steps:
        files = reports(n)
        result = measure(KG + ["build", *map(str, files), "-o", str(work / f"n{n}"), "--rebuild", "-j", "1"])
        runs[n] = result
        chars = chars_of(files)
        per = result.seconds / chars * 1e5
        base = base or per
        rows.append([n, f"{chars:,}", f"{result.seconds:.1f}", f"{per:.2f}", f"{per / base:.2f}", f"{result.peak_mb:.0f}",
                     f"{_summary_value(result.output, 'triples'):,}"])
    table("6. Growth: kg build of the first n reports (-j 1)",
          ["reports", "characters", "seconds", "s per 100k chars", "relative", "peak MB", "triples"], rows, lines)
    return runs


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{datetime.date.today()}, {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs "
            f"({model or 'unknown'}), {mem:.0f} GiB, Python {platform.python_version()}")


def main() -> int:
    global BENCH
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of the short measurements (median)")
    parser.add_argument("--quick", action="store_true", help="skip the 30-report step and rdflib's Turtle")
    parser.add_argument("--out", type=Path, help="also write the tables (Markdown) here")
    parser.add_argument("--corpus", type=Path, default=BENCH, help="folder of reports  [default: %(default)s]")
    args = parser.parse_args()
    BENCH = args.corpus.resolve()
    if not BENCH.is_dir():
        print(f"{BENCH}: the benchmark corpus is not there.", file=sys.stderr)
        return 1
    lines = [f"Machine: {machine()}", ""]
    print(lines[0] + "\n", flush=True)
    work = Path(tempfile.mkdtemp(prefix="kg-bench-"))
    try:
        one_report_cold(args.runs, work, lines)
        files = reports()
        throughput(files, lines)
        n = len(files)
        steps = [k for k in ((1, 10) if args.quick else (1, 10, 30)) if k < n] + [n]
        runs = growth(steps, work, lines)
        parallel(files, work, runs[n], 3, lines)
        oxi, graph = whole_corpus(files, work / f"n{n}", runs[n], not args.quick, lines)
        del oxi
        queries(work / f"n{n}" / "graph.ttl", graph, args.runs, lines)
        del graph
        viewer([("seed", work / "cold" / "graph.html"), (f"{n} reports", work / f"n{n}" / "graph.html")], lines)
    finally:
        shutil.rmtree(work, ignore_errors=True)          # the outputs' stores are in work/.kg-cache
    if args.out:
        args.out.write_text("\n".join(lines), encoding="utf-8")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
