"""Rules are data: every rule file loads, and no report's local names hide in them."""
from __future__ import annotations

import json

import pytest

from kg.rules import RULES_DIR, RuleError, load_rules

from conftest import GOLD

RULE_FILES = sorted(p.stem for p in RULES_DIR.glob("*.toml") if "[[rule]]" in p.read_text(encoding="utf-8"))
LOCAL_TYPES = {"Enterprise", "Village", "Community", "Project", "Place", "Person"}
# Common nouns that a gold file happens to label as a Place; they are general
# vocabulary (any county has a 开发区), so a rule may name them.
GENERIC = {"开发区", "老镇区", "新镇区", "镇区"}


@pytest.mark.parametrize("name", RULE_FILES)
def test_rule_file_loads_and_examples_match(name):
    rules = load_rules(name)
    assert rules.rules
    for rule in rules.rules:
        assert rule.pattern.search(rule.example), rule.id


def test_a_rule_that_misses_its_example_is_refused(tmp_path, monkeypatch):
    import kg.rules as engine
    (tmp_path / "broken.toml").write_text(
        '[[rule]]\nid = "x"\npattern = "村"\nexample = "没有"\n', encoding="utf-8")
    monkeypatch.setattr(engine, "RULES_DIR", tmp_path)
    with pytest.raises(RuleError, match="does not match its example"):
        engine.load_rules.__wrapped__("broken")


def _rule_text() -> str:
    """All rule and lexicon data, without comments and examples (which quote reports)."""
    chunks = []
    for path in sorted(RULES_DIR.rglob("*")):
        if path.suffix not in (".toml", ".txt"):
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split("#", 1)[0]
            if line.strip().startswith("example"):
                continue
            chunks.append(line)
    return "\n".join(chunks)


@pytest.mark.parametrize("gold", sorted(GOLD.glob("*.gold.json")), ids=lambda p: p.stem)
def test_no_local_name_from_a_report_in_the_rules(gold):
    text = _rule_text()
    entities = json.loads(gold.read_text(encoding="utf-8"))["entities"]
    leaked = sorted({e["label"] for e in entities
                     if e["type"] in LOCAL_TYPES and e["label"] not in GENERIC and e["label"] in text})
    assert leaked == []
