"""Score a built graph against a gold annotation (`kg eval`).

The prediction is read from the RDF graph itself, so any graph built by kg, by
any version of its rules, can be scored. Labels compare after Unicode NFKC,
without quotation marks or spaces; an alias counts as the label (on both
sides). The gold format is documented in the README.
"""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import PROV, RDF, RDFS, SKOS

from .errors import KgError
from .namespace import ENTITY_CLASSES, ITSRDF, KG, NIF, RELATION_PROPERTIES

MISSION_TYPES = ("Enterprise", "Village", "Community", "AdministrativeArea", "Project",
                 "Institution", "GovernmentAgency")
_DROP = re.compile(r"[\s“”‘’\"'《》「」『』]")


def norm(label: str) -> str:
    return _DROP.sub("", unicodedata.normalize("NFKC", str(label)))


def _local(iri) -> str:
    return re.sub(r"^.*[#/]", "", str(iri))


@dataclass
class Score:
    correct_predictions: int = 0
    predictions: int = 0
    found_gold: int = 0
    gold: int = 0

    @property
    def precision(self) -> float:
        return self.correct_predictions / self.predictions if self.predictions else 0.0

    @property
    def recall(self) -> float:
        return self.found_gold / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Predicted:
    """One predicted item, with what is needed to explain it."""
    key: tuple
    text: str
    rules: tuple[str, ...]
    evidence: str


@dataclass
class EvalReport:
    entities_typed: Score
    entities_label: Score
    entities_by_type: dict[str, Score]
    mission: Score
    relations: Score
    indicators: Score
    core_indicators: Score
    misses: dict[str, list[tuple[str, str]]] = field(default_factory=dict)       # kind -> (item, evidence)
    false_positives: dict[str, list[Predicted]] = field(default_factory=dict)
    rules: dict[str, list[int]] = field(default_factory=dict)                   # rule -> [outputs, correct]
    baselines: dict[str, Score] = field(default_factory=dict)


# ------------------------------------------------------------------ reading

def load_gold(path: Path) -> dict:
    try:
        gold = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise KgError(f"{path}: no such gold file.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise KgError(f"{path}: is not a gold annotation (invalid JSON: {err}).") from None
    if not isinstance(gold, dict) or not {"entities", "relations", "indicators"} <= set(gold):
        raise KgError(f"{path}: a gold annotation needs 'entities', 'relations' and 'indicators' lists.")
    return gold


def _sentence_text(graph: Graph, node) -> str:
    for sentence in graph.objects(node, PROV.wasDerivedFrom):
        for text in graph.objects(sentence, NIF.anchorOf):
            return str(text)
    return ""


def predicted_entities(graph: Graph) -> dict[URIRef, dict]:
    classes = {URIRef(c): _local(c) for c in ENTITY_CLASSES}
    out: dict[URIRef, dict] = {}
    for cls, type_ in classes.items():
        for node in graph.subjects(RDF.type, cls):
            labels = [str(l) for l in graph.objects(node, RDFS.label)]
            aliases = [str(a) for a in graph.objects(node, SKOS.altLabel)]
            rules = sorted({str(r) for m in graph.subjects(ITSRDF.taIdentRef, node) for r in graph.objects(m, KG.rule)})
            out[node] = {"label": min(labels) if labels else _local(node), "type": type_,
                         "names": {norm(n) for n in labels + aliases}, "rules": tuple(rules),
                         "evidence": _sentence_text(graph, node)}
    return out


# ------------------------------------------------------------------ matching

class _GoldIndex:
    """Gold entities by every normalised name they go by."""

    def __init__(self, gold: dict):
        self.entities = gold["entities"]
        self.by_name: dict[str, list[int]] = defaultdict(list)
        for i, e in enumerate(self.entities):
            for name in {norm(e["label"]), *(norm(a) for a in e.get("aliases", []))}:
                self.by_name[name].append(i)

    def candidates(self, names) -> list[int]:
        return sorted({i for n in names for i in self.by_name.get(n, [])})

    def accepts(self, i: int, type_: str) -> bool:
        e = self.entities[i]
        return type_ == e["type"] or type_ in e.get("alt_types", [])

    def canonical(self, names) -> str | None:
        found = self.candidates(names)
        return norm(self.entities[found[0]]["label"]) if found else None


def _score_entities(gold: dict, index: _GoldIndex, predicted: dict, report: EvalReport):
    typed, label_only, mission = Score(), Score(), Score()
    by_type: dict[str, Score] = defaultdict(Score)
    found_typed, found_label = set(), set()
    fps = []
    for node, p in sorted(predicted.items(), key=lambda kv: (kv[1]["type"], kv[1]["label"])):
        candidates = index.candidates(p["names"])
        typed_hits = [i for i in candidates if index.accepts(i, p["type"])]
        ok = bool(typed_hits)
        typed.predictions += 1
        label_only.predictions += 1
        by_type[p["type"]].predictions += 1
        if p["type"] in MISSION_TYPES:
            mission.predictions += 1
        if ok:
            typed.correct_predictions += 1
            by_type[p["type"]].correct_predictions += 1
            mission.correct_predictions += p["type"] in MISSION_TYPES
            found_typed.update(typed_hits)
        else:
            fps.append(Predicted((p["type"], p["label"]), f"{p['type']} {p['label']}", p["rules"], p["evidence"]))
        if candidates:
            label_only.correct_predictions += 1
            found_label.update(candidates)
        for rule in p["rules"]:
            counts = report.rules.setdefault(rule, [0, 0])
            counts[0] += 1
            counts[1] += ok
    for i, e in enumerate(index.entities):
        typed.gold += 1
        label_only.gold += 1
        by_type[e["type"]].gold += 1
        if e["type"] in MISSION_TYPES:
            mission.gold += 1
        if i in found_typed:
            typed.found_gold += 1
            by_type[e["type"]].found_gold += 1
            mission.found_gold += e["type"] in MISSION_TYPES
        if i in found_label:
            label_only.found_gold += 1
    report.entities_typed, report.entities_label, report.mission = typed, label_only, mission
    report.entities_by_type = dict(sorted(by_type.items()))
    report.false_positives["entities"] = fps
    report.misses["entities"] = [(f"{e['type']} {e['label']}", e.get("evidence", ""))
                                 for i, e in enumerate(index.entities) if i not in found_typed]


def _statements(graph: Graph) -> dict[tuple, tuple[tuple[str, ...], str]]:
    out = {}
    for st in graph.subjects(RDF.type, RDF.Statement):
        key = (graph.value(st, RDF.subject), graph.value(st, RDF.predicate), graph.value(st, RDF.object))
        rules = tuple(sorted(str(r) for r in graph.objects(st, KG.rule)))
        old = out.get(key, ((), ""))
        out[key] = (tuple(sorted(set(old[0]) | set(rules))), old[1] or _sentence_text(graph, st))
    return out


def _score_relations(gold: dict, index: _GoldIndex, graph: Graph, predicted: dict, report: EvalReport):
    def canon_pred(node) -> str:
        p = predicted.get(node)
        if p is None:
            return norm(_local(node))
        return index.canonical(p["names"]) or norm(p["label"])

    def canon_gold(label: str) -> str:
        return index.canonical({norm(label)}) or norm(label)

    gold_rel = {}
    for r in gold["relations"]:
        obj = r["object"] if r["predicate"] == "hasStatus" else canon_gold(r["object"])
        gold_rel[(canon_gold(r["subject"]), r["predicate"], obj)] = r.get("evidence", "")
    statements = _statements(graph)
    predicates = [URIRef(p) for p in RELATION_PROPERTIES] + [KG.hasStatus]
    seen: dict[tuple, Predicted] = {}
    for prop in predicates:
        for s, o in graph.subject_objects(prop):
            if s not in predicted:
                continue
            name = _local(prop)
            obj = _local(o) if prop == KG.hasStatus else canon_pred(o)
            key = (canon_pred(s), name, obj)
            rules, evidence = statements.get((s, prop, o), ((), ""))
            label_o = _local(o) if prop == KG.hasStatus else predicted.get(o, {}).get("label", _local(o))
            item = seen.setdefault(key, Predicted(key, f"{predicted[s]['label']} {name} {label_o}", (), evidence))
            item.rules = tuple(sorted(set(item.rules) | set(rules)))

    def hit(key) -> tuple | None:
        if key in gold_rel:
            return key
        flipped = (key[2], key[1], key[0])
        if key[1] == "cooperatesWith" and flipped in gold_rel:
            return flipped
        return None

    score, found, fps = Score(), set(), []
    for key, item in sorted(seen.items()):
        score.predictions += 1
        matched = hit(key)
        if matched:
            score.correct_predictions += 1
            found.add(matched)
        else:
            fps.append(item)
        for rule in item.rules:
            counts = report.rules.setdefault(rule, [0, 0])
            counts[0] += 1
            counts[1] += matched is not None
    score.gold = len(gold_rel)
    score.found_gold = len(found)
    report.relations = score
    report.false_positives["relations"] = fps
    report.misses["relations"] = [(" ".join(k), ev) for k, ev in sorted(gold_rel.items()) if k not in found]


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).normalize()
    except InvalidOperation:
        return None


def _metric(text: str) -> str:
    return re.sub(r"[（）()]|同口径|数$|数量$", "", norm(text))


def _score_indicators(gold: dict, index: _GoldIndex, graph: Graph, predicted: dict, report: EvalReport):
    preds = []
    for node in graph.subjects(RDF.type, KG.Indicator):
        about = graph.value(node, KG.about)
        p = predicted.get(about)
        if p is None:                     # a subject that is no typed entity: its label, if any
            name = graph.value(about, RDFS.label) if about is not None else None
            p = {"names": {norm(name or _local(about))}, "label": str(name or _local(about))}
        subject = index.canonical(p["names"]) or norm(p["label"])
        year = graph.value(node, KG.year)
        preds.append({
            "subject": subject, "metric": str(graph.value(node, KG.metric) or ""),
            "value": _decimal(graph.value(node, KG.value)), "unit": str(graph.value(node, KG.unit) or "") or None,
            "year": int(year) if year is not None else None,
            "growth": _decimal(graph.value(node, KG.growthPct)), "kind": _local(graph.value(node, KG.kind) or ""),
            "rules": tuple(sorted(str(r) for r in graph.objects(node, KG.rule))),
            "evidence": _sentence_text(graph, node), "label": p["label"],
        })

    def matches(g: dict, q: dict) -> bool:
        subject = index.canonical({norm(g["subject"])}) or norm(g["subject"])
        if subject != q["subject"] or g.get("year") != q["year"] or g.get("kind") != q["kind"]:
            return False
        value = _decimal(g.get("value"))
        if value is not None:
            return value == q["value"] and (g.get("unit") or None) == q["unit"]
        return _decimal(g.get("growth_pct")) == q["growth"] and _metric(g["metric"]) == _metric(q["metric"])

    score, core, used, fps = Score(), Score(), set(), []
    found = set()
    for j, q in enumerate(preds):
        hits = [i for i, g in enumerate(gold["indicators"]) if i not in found and matches(g, q)]
        if not hits:
            hits = [i for i, g in enumerate(gold["indicators"]) if matches(g, q)]
        score.predictions += 1
        ok = bool(hits)
        if ok:
            score.correct_predictions += 1
            found.add(hits[0])
        else:
            text = f"{q['label']} {q['metric']} {q['value'] if q['value'] is not None else ''}{q['unit'] or ''} {q['year']} {q['kind']}"
            fps.append(Predicted((q["subject"], q["metric"]), text, q["rules"], q["evidence"]))
        for rule in q["rules"]:
            counts = report.rules.setdefault(rule, [0, 0])
            counts[0] += 1
            counts[1] += ok
    score.gold = len(gold["indicators"])
    score.found_gold = len(found)
    for g in gold["indicators"]:
        if not g.get("core"):
            continue
        core.gold += 1
        exact = any(q["value"] == _decimal(g.get("value")) and q["unit"] == (g.get("unit") or None)
                    and q["year"] == g.get("year") and q["growth"] == _decimal(g.get("growth_pct"))
                    and (g.get("value") is not None or _metric(g["metric"]) == _metric(q["metric"]))
                    for q in preds)
        core.found_gold += exact
    core.predictions = core.correct_predictions = core.found_gold
    report.indicators, report.core_indicators = score, core
    report.false_positives["indicators"] = fps
    report.misses["indicators"] = [
        (f"{g['subject']} {g['metric']} {g.get('value') if g.get('value') is not None else ''}{g.get('unit') or ''} "
         f"{g.get('year')} {g.get('kind')}", g.get("evidence", ""))
        for i, g in enumerate(gold["indicators"]) if i not in found]


def evaluate(gold: dict, graph: Graph) -> EvalReport:
    """Score `graph` against `gold`; pure: reads both, prints nothing."""
    empty = Score()
    report = EvalReport(empty, empty, {}, empty, empty, empty, empty)
    index = _GoldIndex(gold)
    predicted = predicted_entities(graph)
    _score_entities(gold, index, predicted, report)
    _score_relations(gold, index, graph, predicted, report)
    _score_indicators(gold, index, graph, predicted, report)
    return report


def score_labels(gold: dict, predicted: list[tuple[str, str]]) -> Score:
    """Typed entity score of plain (label, type) pairs — for the naive baselines."""
    index = _GoldIndex(gold)
    score, found = Score(), set()
    for label, type_ in sorted(set(predicted)):
        hits = [i for i in index.candidates({norm(label)}) if index.accepts(i, type_)]
        score.predictions += 1
        score.correct_predictions += bool(hits)
        found.update(hits)
    score.gold = len(index.entities)
    score.found_gold = len(found)
    return score


# ------------------------------------------------------------------ printing

def _row(name: str, s: Score) -> str:
    return f"  {name:<28}{s.precision:>6.3f}{s.recall:>8.3f}{s.f1:>7.3f}{s.predictions:>8}{s.gold:>7}"


def format_report(report: EvalReport, show: int = 20, per_rule: bool = False) -> str:
    head = f"  {'':<28}{'P':>6}{'R':>8}{'F1':>7}{'pred':>8}{'gold':>7}"
    lines = ["Entities", head,
             _row("typed (label and type)", report.entities_typed),
             _row("label only", report.entities_label),
             _row("mission kinds, typed", report.mission)]
    for type_, s in report.entities_by_type.items():
        lines.append(_row(f"  {type_}", s))
    lines += ["", "Relations", head, _row("subject, relation, object", report.relations),
              "", "Indicators", head, _row("all", report.indicators),
              f"  {'core, recall (exact)':<28}{'':>6}{report.core_indicators.recall:>8.3f}"
              f"{'':>7}{'':>8}{report.core_indicators.gold:>7}"]
    if report.baselines:
        lines += ["", "Naive baselines (typed entity F1)"]
        lines.append(f"  {'kg':<28}{report.entities_typed.f1:>6.3f}")
        for name, s in report.baselines.items():
            lines.append(f"  {name:<28}{s.f1:>6.3f}  (P {s.precision:.3f}, R {s.recall:.3f})")
    for kind in ("entities", "relations", "indicators"):
        misses = report.misses.get(kind, [])
        fps = report.false_positives.get(kind, [])
        if show and misses:
            lines += ["", f"Missed {kind} ({len(misses)}, first {min(show, len(misses))}):"]
            lines += [f"  - {item}  | {evidence[:60]}" for item, evidence in misses[:show]]
        if show and fps:
            lines += ["", f"False {kind} ({len(fps)}, first {min(show, len(fps))}):"]
            lines += [f"  + {p.text}  [{', '.join(p.rules) or 'no rule'}]  | {p.evidence[:60]}" for p in fps[:show]]
    if per_rule:
        lines += ["", "Rules, worst precision first", f"  {'rule':<32}{'outputs':>8}{'correct':>8}{'precision':>10}"]
        for rule, (n, ok) in sorted(report.rules.items(), key=lambda kv: (kv[1][1] / kv[1][0], -kv[1][0], kv[0])):
            lines.append(f"  {rule:<32}{n:>8}{ok:>8}{ok / n:>10.3f}")
    return "\n".join(lines)


def evaluate_command(gold_path: Path, input_path: Path | None, graph_path: Path | None,
                     show: int = 20, per_rule: bool = False) -> str:
    """What `kg eval` prints: build (or load) the graph, score it, add the baselines."""
    gold = load_gold(gold_path)
    if input_path is None and graph_path is None:
        raise KgError("give the report to build (INPUT) or a built graph (--graph FILE).")
    if graph_path is not None:
        from .build import load_graph
        graph = load_graph(graph_path)
    else:
        from .build import build_graph
        graph = build_graph([input_path], out_dir=None, html=False).graph
    report = evaluate(gold, graph)
    if input_path is not None:
        from .baselines import baseline_scores
        from .reader import read_document
        report.baselines = baseline_scores(gold, read_document(input_path).text)
    return format_report(report, show=show, per_rule=per_rule)
