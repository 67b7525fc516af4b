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


@pytest.mark.parametrize("name", RULE_FILES)
def test_the_fast_paths_find_what_each_pattern_finds(name):
    """A rule skips a sentence without the characters its matches need, and a
    lexicon-only pattern is matched by set look-ups: on real reports both must
    find exactly what the regex finds."""
    from conftest import CORPUS, SEED, report_sentences
    texts = [s.text for s in report_sentences([SEED, *sorted(CORPUS.glob("*.txt"))[:3]])]
    for rule in load_rules(name).rules:
        for text in texts:
            fast = [(m.start(), m.end(), m.group(0)) for m in rule.finditer(text)]
            assert fast == [(m.start(), m.end(), m.group(0)) for m in rule.pattern.finditer(text)], rule.id


def test_characters_every_match_needs():
    from kg.rules import required_chars

    def needs(pattern):
        found = required_chars(pattern)
        return "".join(sorted(found)) if found is not None else None

    assert needs("(?P<items>[^，。]{2,20})等(?P<head>村|社区)") == "等"
    assert needs("(?:等|两大|三大)产业") == "产"               # the smallest set, the first of equals
    assert needs("(?:等|两大|三大)(?:产|行)?") == "三两等"      # an alternation: any branch's character
    assert needs("A?B*[^x]{2}") is None                         # nothing a match cannot skip
    assert needs("(?:项目)+") == "项"
    assert needs("(?i)abc") is None                             # case folding: no shortcut
    assert needs("x?(?i:abc)") is None
    assert needs("工程|(?:项目)?") is None                      # a branch that needs nothing


@pytest.mark.parametrize("name", RULE_FILES)
def test_what_a_rule_needs_is_read_without_expanding_its_lexicons(name):
    """Each {LEXICON} stands in as the class of its words' first characters:
    the same characters as from the whole alternation, read in far less time."""
    from kg.rules import expand, required_chars
    rules = load_rules(name)
    for rule in rules.rules:
        if rule.words is None:
            assert rule.needs == required_chars(expand(rule.written, rules.lexicons, rule.id)), rule.id


def test_lexicon_only_rules_are_found_by_set_lookups():
    rules = load_rules("entities")
    gazetteer = next(r for r in rules.rules if r.id == "ent.area.gazetteer")
    assert gazetteer.words is not None
    text = "主动对标浙江余姚、河南长垣等地区，保定市满城区"
    assert [m.group(0) for m in gazetteer.finditer(text)] == [m.group(0) for m in gazetteer.pattern.finditer(text)]
    assert "保定市" in [m.group(0) for m in gazetteer.finditer(text)]
