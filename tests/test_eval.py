"""`kg eval`: scoring against gold annotations, on the real gold files."""
from __future__ import annotations

import json
from decimal import Decimal

import pytest
from click.testing import CliRunner
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS, XSD

from kg.cli import cli
from kg.evaluate import evaluate, load_gold, norm
from kg.namespace import KG

from conftest import CORPUS, GOLD, SEED

SEED_GOLD = GOLD / "000_422bfd801309c4b5.gold.json"
QINGYUAN_GOLD = GOLD / "01_qingyuanqu_2023.gold.json"
# The project's targets on the seed and on a report the rules were not written
# on (issue #3); the figures are computed on every run.
SEED_ENTITY_F1_FLOOR = 0.90
SEED_MISSION_F1_FLOOR = 0.93
SEED_RELATION_F1_FLOOR = 0.80
SEED_INDICATOR_F1_FLOOR = 0.90
QINGYUAN_ENTITY_F1_FLOOR = 0.85
QINGYUAN_MISSION_F1_FLOOR = 0.88
QINGYUAN_RELATION_F1_FLOOR = 0.65      # no target: the level reached, held
QINGYUAN_CORE_RECALL_FLOOR = 0.95


def graph_from_gold(gold: dict) -> Graph:
    """A perfect prediction: the gold itself, written as kg would write it."""
    g = Graph()
    node = {}
    for i, e in enumerate(gold["entities"]):
        n = URIRef(f"urn:test:e{i}")
        node.setdefault(e["label"], n)
        g.add((n, RDF.type, KG[e["type"]]))
        g.add((n, RDFS.label, Literal(e["label"], lang="zh")))
        for a in e.get("aliases", []):
            g.add((n, SKOS.altLabel, Literal(a, lang="zh")))
    for r in gold["relations"]:
        obj = KG[r["object"]] if r["predicate"] == "hasStatus" else node[r["object"]]
        g.add((node[r["subject"]], KG[r["predicate"]], obj))
    for i, ind in enumerate(gold["indicators"]):
        if ind["subject"] not in node:     # a group of entities as subject: a labelled node
            node[ind["subject"]] = URIRef(f"urn:test:s{i}")
            g.add((node[ind["subject"]], RDFS.label, Literal(ind["subject"], lang="zh")))
        n = URIRef(f"urn:test:i{i}")
        g.add((n, RDF.type, KG.Indicator))
        g.add((n, KG.about, node[ind["subject"]]))
        g.add((n, KG.metric, Literal(ind["metric"], lang="zh")))
        if ind["value"] is not None:
            g.add((n, KG.value, Literal(Decimal(str(ind["value"])), datatype=XSD.decimal)))
        if ind["unit"]:
            g.add((n, KG.unit, Literal(ind["unit"])))
        g.add((n, KG.year, Literal(ind["year"])))
        if ind["growth_pct"] is not None:
            g.add((n, KG.growthPct, Literal(Decimal(str(ind["growth_pct"])), datatype=XSD.decimal)))
        g.add((n, KG.kind, KG[ind["kind"]]))
    return g


@pytest.mark.parametrize("path", [SEED_GOLD, QINGYUAN_GOLD], ids=lambda p: p.stem)
def test_the_gold_itself_scores_one(path):
    gold = load_gold(path)
    report = evaluate(gold, graph_from_gold(gold))
    for score in (report.entities_typed, report.entities_label, report.mission, report.relations,
                  report.indicators, report.core_indicators):
        assert score.recall == 1.0
    assert report.entities_typed.f1 == 1.0 and report.relations.f1 == 1.0 and report.indicators.f1 == 1.0


def test_an_empty_graph_scores_zero():
    report = evaluate(load_gold(SEED_GOLD), Graph())
    assert report.entities_typed.recall == report.relations.recall == report.indicators.recall == 0.0
    assert report.entities_typed.f1 == 0.0


def test_labels_compare_without_quotes_spaces_and_width():
    assert norm("全国“四好”商会") == norm("全国四好商会")
    assert norm("蔡  刚") == norm("蔡刚")
    assert norm("Ｓ２３９省道") == norm("S239省道")


def _mini_gold():
    return {"entities": [{"label": "卫生院", "type": "Institution", "alt_types": [], "aliases": []},
                         {"label": "市一院", "type": "Institution", "alt_types": [], "aliases": ["常州一院"]}],
            "relations": [{"subject": "卫生院", "predicate": "cooperatesWith", "object": "市一院"}],
            "indicators": []}


def test_aliases_and_either_direction_of_cooperation():
    g = Graph()
    a, b = URIRef("urn:a"), URIRef("urn:b")
    g.add((a, RDF.type, KG.Institution))
    g.add((a, RDFS.label, Literal("卫生院", lang="zh")))
    g.add((b, RDF.type, KG.Institution))
    g.add((b, RDFS.label, Literal("常州一院", lang="zh")))      # the gold's alias
    g.add((b, KG.cooperatesWith, a))                           # stated the other way round
    report = evaluate(_mini_gold(), g)
    assert report.entities_typed.f1 == 1.0
    assert report.relations.f1 == 1.0


def test_a_wrong_type_counts_for_labels_only():
    g = Graph()
    a = URIRef("urn:a")
    g.add((a, RDF.type, KG.Enterprise))
    g.add((a, RDFS.label, Literal("卫生院", lang="zh")))
    report = evaluate(_mini_gold(), g)
    assert report.entities_typed.precision == 0.0
    assert report.entities_label.precision == 1.0


@pytest.fixture(scope="module")
def seed_eval_output():
    result = CliRunner().invoke(cli, ["eval", str(SEED_GOLD), str(SEED), "--per-rule", "--show", "3"])
    assert result.exit_code == 0, result.output
    return result.output


def _f1(output: str, row: str) -> float:
    line = next(l for l in output.splitlines() if l.strip().startswith(row))
    return float(line.split()[-3])


def test_kg_eval_prints_every_section(seed_eval_output):
    for section in ("Entities", "mission kinds", "Relations", "Indicators", "core, recall",
                    "Naive baselines", "Missed entities", "False entities", "Rules, worst precision first"):
        assert section in seed_eval_output
    # a false positive names the rule that made it
    false_lines = seed_eval_output.split("False entities")[1].splitlines()[1:3]
    assert all("[ent." in line for line in false_lines)


def test_seed_scores_hold_the_line(seed_eval_output):
    assert _f1(seed_eval_output, "typed (label and type)") >= SEED_ENTITY_F1_FLOOR
    assert _f1(seed_eval_output, "mission kinds, typed") >= SEED_MISSION_F1_FLOOR
    assert _f1(seed_eval_output, "subject, relation, object") >= SEED_RELATION_F1_FLOOR
    assert _f1(seed_eval_output, "all") >= SEED_INDICATOR_F1_FLOOR
    core = next(l for l in seed_eval_output.splitlines() if "core, recall" in l)
    assert float(core.split()[3]) == 1.0


def test_baselines_are_far_below_kg(seed_eval_output):
    kg = _f1(seed_eval_output, "typed (label and type)")
    lines = seed_eval_output.split("Naive baselines")[1].splitlines()
    for name in ("jieba.posseg name tags", "suffix regex"):
        f1 = float(next(l for l in lines if name in l).split(name)[1].split()[0])
        assert 0 < f1 < kg / 4


def test_a_report_the_rules_were_not_written_on():
    result = CliRunner().invoke(cli, ["eval", str(QINGYUAN_GOLD), str(CORPUS / "01_qingyuanqu_2023.txt"), "--show", "0"])
    assert result.exit_code == 0
    assert _f1(result.output, "typed (label and type)") >= QINGYUAN_ENTITY_F1_FLOOR
    assert _f1(result.output, "mission kinds, typed") >= QINGYUAN_MISSION_F1_FLOOR
    assert _f1(result.output, "subject, relation, object") >= QINGYUAN_RELATION_F1_FLOOR
    core = next(l for l in result.output.splitlines() if "core, recall" in l)
    assert float(core.split()[3]) >= QINGYUAN_CORE_RECALL_FLOOR


def test_eval_of_a_built_graph_file(tmp_path):
    from kg.build import build_graph
    build_graph([SEED], tmp_path, html=False)
    result = CliRunner().invoke(cli, ["eval", str(SEED_GOLD), "--graph", str(tmp_path / "graph.ttl"), "--show", "0"])
    assert result.exit_code == 0
    assert _f1(result.output, "typed (label and type)") >= SEED_ENTITY_F1_FLOOR


def test_a_bad_gold_file_is_one_sentence(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    import subprocess, sys
    proc = subprocess.run([sys.executable, "-m", "kg", "eval", str(bad), str(SEED)], capture_output=True, text=True)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr and "gold annotation" in proc.stderr
