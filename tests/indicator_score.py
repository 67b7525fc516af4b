"""Quick indicator scorer against the gold files (a script, not a test).

    .venv/bin/python tests/indicator_score.py [-v]

Splits each report the simple way (at 。；！？ and line ends; the part and year
switch at the plan heading), runs extract_indicators without entity mentions,
and matches the output against the gold indicators: a prediction matches a
gold indicator when it comes from the gold's evidence sentence and has the
same metric (after light normalisation) and year, or the same value, unit
and year. Prints precision and recall, overall and for the `core` ones.
With -v it also lists the misses and the unmatched predictions.
"""
from __future__ import annotations

import json
import re
import sys
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kg.indicators import extract_indicators  # noqa: E402
from kg.model import Indicator, Sentence  # noqa: E402

SHARED = ROOT.parent / "shared"
if not SHARED.exists():  # the checkout's sibling, or the absolute path
    SHARED = Path("/work/shared")

# The plan part opens with a short heading line naming the plan year:
# 2023年重点工作, 二、2023年政府工作目标和主要任务, 二、2024年工作安排
PLAN_HEADING = re.compile(r"^(?:[一二三四五六七八九十]+、)?(?P<year>\d{4})年\S{0,12}?(?:重点工作|工作安排|主要任务|目标任务|工作目标|发展目标|总体思路|工作谋划)")

DOCS = [
    ("seed", SHARED / "seed" / "000_422bfd801309c4b5.txt", SHARED / "gold" / "000_422bfd801309c4b5.gold.json",
     ("AdministrativeArea", "西夏墅镇")),
    ("01_qingyuanqu_2023", SHARED / "corpus" / "dev" / "01_qingyuanqu_2023.txt",
     SHARED / "gold" / "01_qingyuanqu_2023.gold.json", ("AdministrativeArea", "清苑区")),
]


def split_simple(text: str) -> list[Sentence]:
    """Sentences at 。；！？ and newlines (terminator kept); review before the plan heading."""
    plan_year = None
    for line in text.splitlines():
        m = PLAN_HEADING.match(line.strip())
        if m and len(line.strip()) <= 40:
            plan_year = int(m["year"])
            break
    sentences: list[Sentence] = []
    part, year = "review", (plan_year - 1 if plan_year else None)
    for m in re.finditer(r"[^。；！？\n]+[。；！？]?", text):
        raw = m.group(0)
        body = raw.strip()
        if not body:
            continue
        start = m.start() + raw.index(body)
        pm = PLAN_HEADING.match(body)
        if pm and len(body) <= 40 and int(pm["year"]) == plan_year:
            part, year = "plan", plan_year
        sentences.append(Sentence(len(sentences), body, start, start + len(body), part, year))
    return sentences


def norm_metric(metric: str) -> str:
    metric = re.sub(r"[“”\"'、，,（）()\s]", "", metric)
    return re.sub(r"(?:的)?(?:数量|数)$", "", metric)


def _same_sentence(evidence: str, sentence: str) -> bool:
    sentence = sentence.rstrip("。；！？")
    return evidence in sentence or (len(sentence) >= 6 and sentence in evidence)


def _matches(pred: Indicator, sent_text: str, gold: dict) -> bool:
    if not _same_sentence(gold["evidence"], sent_text) or pred.year != gold["year"]:
        return False
    if norm_metric(pred.metric) == norm_metric(gold["metric"]) and (
            gold["value"] is None or pred.value == Decimal(str(gold["value"]))):
        return True
    if gold["value"] is None:
        return (pred.value is None and pred.growth_pct is not None
                and pred.growth_pct == Decimal(str(gold["growth_pct"])))
    return pred.value == Decimal(str(gold["value"])) and pred.unit == gold["unit"]


def score(name: str, text_path: Path, gold_path: Path, area, verbose: bool = False) -> dict:
    text = text_path.read_text(encoding="utf-8")
    sentences = split_simple(text)
    preds = extract_indicators(sentences, area, {})
    golds = json.loads(gold_path.read_text(encoding="utf-8"))["indicators"]
    by_index = {s.index: s for s in sentences}
    used: set[int] = set()
    missed = []
    pairs = []
    for g in golds:
        hit = next((i for i, p in enumerate(preds)
                    if i not in used and _matches(p, by_index[p.sentence].text, g)), None)
        if hit is None:
            missed.append(g)
        else:
            used.add(hit)
            pairs.append((g, preds[hit]))
    core = [g for g in golds if g.get("core")]
    core_missed = [g for g in missed if g.get("core")]
    result = {
        "name": name,
        "gold": len(golds), "predicted": len(preds), "matched": len(used),
        "precision": len(used) / len(preds) if preds else 0.0,
        "recall": (len(golds) - len(missed)) / len(golds) if golds else 0.0,
        "core_recall": (len(core) - len(core_missed)) / len(core) if core else 1.0,
    }
    print(f"{name}: gold {result['gold']}, predicted {result['predicted']}, matched {result['matched']}; "
          f"precision {result['precision']:.2f}, recall {result['recall']:.2f}, "
          f"core recall {result['core_recall']:.2f} ({len(core) - len(core_missed)}/{len(core)})")
    kind_ok = sum(p.kind == g["kind"] for g, p in pairs)
    growth_ok = sum(p.growth_pct == (None if g["growth_pct"] is None else Decimal(str(g["growth_pct"])))
                    for g, p in pairs)
    result["kind_agreement"] = kind_ok / len(pairs) if pairs else 0.0
    print(f"  of the matched: kind agrees {kind_ok}/{len(pairs)}, growth agrees {growth_ok}/{len(pairs)}")
    if verbose:
        for g, p in pairs:
            if p.kind != g["kind"]:
                print(f"  KIND {g['kind']} != {p.kind}: {g['metric']} | {g['evidence']}")
        for g in missed:
            print(f"  MISS {'*' if g.get('core') else ' '} {g['metric']} {g['value']} {g['unit']} "
                  f"{g['year']} g={g['growth_pct']} | {g['evidence']}")
        for i, p in enumerate(preds):
            if i not in used:
                print(f"  EXTRA {p.metric} {p.value} {p.unit} {p.year} g={p.growth_pct} {p.kind} "
                      f"[{p.rule}] | {by_index[p.sentence].text[:60]}")
    return result


def main(argv: list[str]) -> None:
    verbose = "-v" in argv
    for name, text_path, gold_path, area in DOCS:
        score(name, text_path, gold_path, area, verbose)


if __name__ == "__main__":
    main(sys.argv[1:])
