"""Build every report of a corpus one by one and write a summary per report.

    .venv/bin/python bench/corpus_summary.py [CORPUS] [--out bench/corpus-summary.tsv]

One row per report: file, characters, area found in the header, date,
entities, relations, indicators, and the one sentence of a report that could
not be built. Prints how many were built. (Issue #6: all 97 reports of
../shared/corpus/bench must build.)
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    from kg.build import collect_inputs
    from kg.errors import KgError
    from kg.pipeline import extract

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=ROOT.parent / "shared" / "corpus" / "bench")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "corpus-summary.tsv")
    args = parser.parse_args()
    try:
        files = collect_inputs([args.corpus])
    except KgError as err:
        print(err, file=sys.stderr)
        return 1
    rows = [["file", "characters", "area", "date", "entities", "relations", "indicators", "problem"]]
    built = 0
    for f in files:
        try:
            ex = extract(f)
        except KgError as err:
            rows.append([f.name, "", "", "", "", "", "", str(err)])
            continue
        built += 1
        rows.append([f.name, str(len(ex.document.text)), "/".join(ex.info.area_chain) or "(none)",
                     str(ex.info.date or ""), str(len(ex.entities)), str(len(ex.relations)),
                     str(len(ex.indicators)), ""])
    args.out.write_text("".join("\t".join(r) + "\n" for r in rows), encoding="utf-8")
    no_area = sum(1 for r in rows[1:] if r[2] == "(none)")
    print(f"{built} of {len(files)} reports built; {no_area} without an area in the header; wrote {args.out}")
    return 0 if built == len(files) else 1


if __name__ == "__main__":
    sys.exit(main())
