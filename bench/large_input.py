"""One very large text file: does `kg build` finish, and does its memory stay bounded?

    .venv/bin/python bench/large_input.py [--sizes 5 50] [--corpus DIR] [--out FILE]

Makes one text file of each size (in MB of UTF-8) from the reports of the
corpus, one after another and over again, and builds it with `kg build FILE
-o OUT --rebuild` as a new process. Prints, per size: characters, seconds,
peak memory (the process's maximum resident set), triples, and what was
written. (Issue #6: "a 50 MB text: memory stays bounded, and it finishes".)

A long file is extracted in parts of ``kg.pipeline.PART_CHARS`` characters,
each part's triples spooled to disk and bulk-loaded into the store; a merge
too big to sort in memory has its Turtle streamed from the store.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT.parent / "shared" / "corpus" / "bench"


def make_text(corpus: Path, megabytes: float, path: Path) -> int:
    """Reports of ``corpus``, in name order and over again, up to ``megabytes``; returns characters."""
    reports = [f.read_text(encoding="utf-8") for f in sorted(corpus.glob("*.txt"))]
    target, size, chars = int(megabytes * 1_000_000), 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        while size < target:
            for text in reports:
                fh.write(text + "\n\n")
                size += len(text.encode("utf-8")) + 2
                chars += len(text) + 2
                if size >= target:
                    break
    return chars


def run_build(text: Path, out: Path) -> dict:
    """`kg build` as a child process: its wall time, peak memory and summary."""
    log = out.with_name(out.name + ".log")
    started = time.perf_counter()
    with open(log, "w+b") as fh:
        child = subprocess.Popen([sys.executable, "-m", "kg", "build", str(text), "-o", str(out), "--rebuild"],
                                 stdout=fh, stderr=subprocess.STDOUT, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)       # this child's own peak memory
        seconds = time.perf_counter() - started
        fh.seek(0)
        output = fh.read().decode("utf-8", "replace")
    summary = dict(line.split(None, 1) for line in output.splitlines()
                   if line[:1].isalpha() and len(line.split(None, 1)) == 2)
    return {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "code": os.waitstatus_to_exitcode(status),
            "triples": summary.get("triples", "?"), "output": output.strip(),
            "files": {p.name: p.stat().st_size for p in out.glob("graph.*")}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[5, 50], help="MB of text  [default: 5 50]")
    parser.add_argument("--corpus", type=Path, default=BENCH)
    parser.add_argument("--out", type=Path, help="also write the table (Markdown) here")
    args = parser.parse_args()
    rows = ["| MB of text | characters | seconds | peak MB | triples | graph.ttl MB | graph.html |",
            "|------------|------------|---------|---------|---------|--------------|------------|"]
    with tempfile.TemporaryDirectory() as tmp:
        for mb in args.sizes:
            text = Path(tmp) / f"large-{mb:g}MB.txt"
            chars = make_text(args.corpus, mb, text)
            r = run_build(text, Path(tmp) / f"out-{mb:g}")
            if r["code"]:
                print(f"{mb:g} MB: kg build failed ({r['code']}): {r['output']}", file=sys.stderr)
            ttl = r["files"].get("graph.ttl", 0) / 1e6
            page = f"{r['files']['graph.html'] / 1e6:.1f} MB" if "graph.html" in r["files"] else "not written"
            rows.append(f"| {mb:g} | {chars:,} | {r['seconds']:.0f} | {r['peak_mb']:.0f} | {r['triples']} "
                        f"| {ttl:.0f} | {page} |")
            print(rows[-1], flush=True)
            text.unlink()
    table = "\n".join(rows)
    print(table)
    if args.out:
        args.out.write_text(table + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
