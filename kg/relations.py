"""Stage 3b, relations: mentions in sentences -> relations, by rules/relations.toml.

Like the entity engine, this module knows kinds of rule, not words: cue rules
look inside one clause, name rules compare labels, and the header gives the
chain of areas. Every relation keeps the id of the rule that made it.
"""
from __future__ import annotations

import re
from collections import defaultdict

from .model import Entity, Mention, ReportInfo, Relation, Sentence
from .rules import Rule, load_rules

_CLAUSE = re.compile(r"[^，；。！？,;]+")


def _key_of(entities: list[Entity]) -> dict[tuple[int, int], tuple[str, str]]:
    """Mention span -> the entity key it resolved to."""
    out = {}
    for e in entities:
        for m in e.mentions:
            out[(m.start, m.end)] = e.key
    return out


def _clauses(sentence: Sentence):
    for m in _CLAUSE.finditer(sentence.text):
        yield sentence.start + m.start(), sentence.start + m.end()


def find_relations(sentences: list[Sentence], entities: list[Entity], info: ReportInfo,
                   area: tuple[str, str] | None, area_path: tuple[str, ...] = ()) -> list[Relation]:
    rules = load_rules("relations")
    span_key = _key_of(entities)
    by_sentence: dict[int, list[Mention]] = defaultdict(list)
    for e in entities:
        for m in e.mentions:
            by_sentence[m.sentence].append(m)
    relations: list[Relation] = []
    relations += _header_relations(info, entities)
    for sentence in sentences:
        mentions = sorted(by_sentence.get(sentence.index, []), key=lambda m: (m.start, m.end))
        if not mentions:
            continue
        for rule in rules.applicable(sentence.text):
            kind = rule.result.get("kind")
            if kind != "status" and sentence.part not in rule.result.get("parts", (sentence.part,)):
                continue                  # 常态化创建文明城市 in the plan is a goal, no award yet
            if kind == "cue":
                relations += _cue(rule, sentence, mentions, span_key, area)
            elif kind == "between":
                relations += _between(rule, sentence, mentions, span_key, area)
            elif kind == "status" and sentence.part in rule.result.get("parts", ()):
                relations += _status(rule, sentence, mentions, span_key)
            elif kind == "sentence":
                relations += _sentence(rule, sentence, mentions, span_key)
    named_pairs: set = set()             # one name rule per pair: locatedIn before involves
    for rule in rules.rules:
        if rule.result.get("kind") == "name":
            for r in _by_name(rule, entities, set(area_path)):
                if (r.subject, r.object) not in named_pairs:
                    named_pairs.add((r.subject, r.object))
                    relations.append(r)
        elif rule.result.get("kind") == "gazetteer":
            relations += _by_gazetteer(rule, entities, area_path)
        elif rule.result.get("kind") == "town" and area:
            relations += _towns(rule, entities, area)
    if area:
        for e in entities:
            if e.type in ("Village", "Community") and area[1] != e.label:
                m = e.mentions[0]
                relations.append(Relation(e.key, "partOf", area, m.sentence, "rel.partof.settlement"))
    return _unique(relations)


def _header_relations(info: ReportInfo, entities: list[Entity]) -> list[Relation]:
    areas = {e.label: e for e in entities if e.type == "AdministrativeArea"}
    out = []
    chain = [a for a in info.area_chain if a in areas]
    for parent, child in zip(chain, chain[1:]):
        m = areas[child].mentions[0]
        out.append(Relation(areas[child].key, "partOf", areas[parent].key, m.sentence, "rel.partof.header"))
    return out


def _in_clause(mentions, start, end):
    """The mentions of a clause, leaving out those nested in a longer one
    (江苏省 inside 江苏省常州技师学院 is not a partner of its own)."""
    inside = [m for m in mentions if m.start >= start and m.end <= end]
    return [m for m in inside
            if not any(o is not m and o.start <= m.start and m.end <= o.end and (o.end - o.start) > (m.end - m.start)
                       for o in inside)]


def _qualifies(m: Mention, mentions) -> bool:
    """An area written right before another name qualifies it: 浙江|余姚."""
    return m.type == "AdministrativeArea" and any(o.start == m.end for o in mentions)


def _subject_before(mentions, pos, exclude_types=("Award",)):
    before = [m for m in mentions if m.end <= pos and m.type not in exclude_types]
    return before[-1] if before else None


def _clause_matches(rule: Rule, sentence: Sentence, mentions):
    """(clause start, clause text, its outermost mentions, a match of the rule in it)."""
    for cstart, cend in _clauses(sentence):
        clause = sentence.text[cstart - sentence.start:cend - sentence.start]
        found = list(rule.finditer(clause))
        if found:                         # most clauses match no rule: their mentions are not sorted out
            in_clause = _in_clause(mentions, cstart, cend)
            for m in found:
                yield cstart, clause, in_clause, m


def _cue(rule: Rule, sentence: Sentence, mentions, span_key, area):
    types = set(rule.result.get("object_types", ()))
    for cstart, clause, in_clause, cue in _clause_matches(rule, sentence, mentions):
        pos = cstart + cue.start()
        passive = clause.rfind("被", 0, cue.start())
        if passive >= 0:
            pos = cstart + passive        # 被X评定为: X is the giver, the subject stands before 被
        objects = [m for m in in_clause if m.start >= cstart + cue.end() and m.type in types
                   and not _qualifies(m, in_clause)]
        subject = _subject_before(in_clause, pos)
        subjects = _listed_with(subject, in_clause, sentence) if subject and rule.result.get("subject_list") else [subject]
        for subject in subjects:
            subject_key = span_key.get((subject.start, subject.end)) if subject else area
            if not subject_key:
                continue
            for obj in objects:
                obj_key = span_key.get((obj.start, obj.end))
                if obj_key and obj_key != subject_key:
                    yield Relation(subject_key, rule.result["relation"], obj_key, sentence.index, rule.id)


def _listed_with(last: Mention, mentions, sentence: Sentence) -> list[Mention]:
    """The subject and the names listed before it: A、B、C通过…评定 -> A, B, C."""
    out = [last]
    for m in reversed([m for m in mentions if m.end <= last.start]):
        gap = sentence.text[m.end - sentence.start:out[-1].start - sentence.start]
        if gap not in ("、", "和", "及", "与"):
            break
        out.append(m)
    return out


def _between(rule: Rule, sentence: Sentence, mentions, span_key, area):
    types = set(rule.result.get("object_types", ()))
    for cstart, _, in_clause, m in _clause_matches(rule, sentence, mentions):
        b0, b1 = cstart + m.start("between"), cstart + m.end("between")
        objects = [x for x in in_clause if x.start >= b0 and x.end <= b1 and x.type in types]
        if rule.result.get("subject_role") == "award_after":
            subjects = [x for x in in_clause if x.start >= cstart + m.end() and x.type == "Award"]
        else:
            s = _subject_before(in_clause, cstart + m.start())
            subjects = [s] if s else []
        subject_keys = [span_key.get((s.start, s.end)) for s in subjects] or ([area] if area and not rule.result.get("subject_role") else [])
        for sk in subject_keys:
            for obj in objects:
                ok = span_key.get((obj.start, obj.end))
                if sk and ok and ok != sk:
                    yield Relation(sk, rule.result["relation"], ok, sentence.index, rule.id)


def _status(rule: Rule, sentence: Sentence, mentions, span_key):
    types = set(rule.result.get("subject_types", ("Project",)))
    for cstart, cend in _clauses(sentence):
        clause = sentence.text[cstart - sentence.start:cend - sentence.start]
        cues = list(rule.finditer(clause))
        if not cues:
            continue
        follows = {cstart + c.end() for c in cues}
        for m in _in_clause(mentions, cstart, cend):
            if rule.result.get("object_follows") and m.start not in follows:
                continue
            key = span_key.get((m.start, m.end))
            # the type the rule gave this mention counts: 粤商工具、金牛研磨等4个项目
            # are projects here even where the name resolves to an enterprise
            if key and (m.type in types or key[0] in types):
                yield Relation(key, "hasStatus", rule.result["status"], sentence.index, rule.id)


def _sentence(rule: Rule, sentence: Sentence, mentions, span_key):
    anchors = [m for m in mentions if m.type in rule.result["object_types"]]
    if len({span_key.get((m.start, m.end)) for m in anchors}) != 1:
        return
    anchor = anchors[0]
    target = span_key.get((anchor.start, anchor.end))
    for m in mentions:
        key = span_key.get((m.start, m.end))
        if m.start >= anchor.end and key and key[0] in rule.result["subject_types"] and key != target:
            yield Relation(key, rule.result["relation"], target, sentence.index, rule.id)


def _by_gazetteer(rule: Rule, entities: list[Entity], area_path: tuple[str, ...]):
    """Parents by the division table; an area written without its suffix (余姚,
    河北) is looked up with each of `suffixes` (余姚市) and found by its short name."""
    from . import gazetteer
    areas = {e.label: e for e in entities if e.type == "AdministrativeArea"}
    by_name = dict(areas)
    for e in areas.values():
        for alias in e.aliases:
            by_name.setdefault(alias, e)
    suffixes = rule.result.get("suffixes", ())
    for label, e in sorted(areas.items()):
        path = gazetteer.path_of(label, area_path)
        if not path or path[-1] != label:
            found = [p for p in (gazetteer.path_of(label + s, area_path) for s in suffixes) if p]
            path = found[0] if len(found) == 1 else None
        if not path or len(path) < 2:
            continue
        # the nearest ancestor the report names: 余姚市 -> (宁波市) -> 浙江
        parent = next((by_name[n] for p in reversed(path[:-1]) for n in (p, gazetteer._short(p)) if n in by_name), None)
        if parent and parent.key != e.key:
            yield Relation(e.key, rule.result["relation"], parent.key, e.mentions[0].sentence, rule.id)


def _towns(rule: Rule, entities: list[Entity], area: tuple[str, str]):
    """Towns a county's report names lie in the county: X镇, Y乡 -> the county."""
    suffixes = tuple(rule.result.get("suffixes", ()))
    if area[1].endswith(suffixes):
        return                            # a town's report: other towns are its neighbours
    for e in entities:
        if e.type != "AdministrativeArea" or e.key == area:
            continue
        if e.label.endswith(suffixes) or any(m.rule in rule.result.get("from_rules", ()) for m in e.mentions):
            yield Relation(e.key, rule.result["relation"], area, e.mentions[0].sentence, rule.id)


def _names_of(entity: Entity, strip: tuple[str, ...]) -> list[str]:
    """The label, the aliases, and each without a generic suffix (梅林村 -> 梅林)."""
    names = [entity.label, *sorted(entity.aliases)]
    for name in list(names):
        for suffix in strip:
            if name.endswith(suffix) and len(name) - len(suffix) >= 2:
                names.append(name[: -len(suffix)])
    return [n for n in names if len(n) >= 2]


def _by_name(rule: Rule, entities: list[Entity], own_areas: set[str] = frozenset()):
    subjects = [e for e in entities if e.type in rule.result["subject_types"]]
    targets = [e for e in entities if e.type in rule.result["contained_types"] and e.label not in own_areas]
    prefix = rule.result.get("position") == "prefix"
    strip = tuple(rule.result.get("strip_suffixes", ()))
    # each target under each of its names: a subject's label is then looked up
    # piece by piece, not compared with every target (a report names hundreds)
    by_name: dict[str, list[int]] = {}
    for i, t in enumerate(targets):
        for name in _names_of(t, strip):
            found = by_name.setdefault(name, [])
            if not found or found[-1] != i:
                found.append(i)
    longest = max(map(len, by_name), default=0)
    for s in subjects:
        label = s.label
        if prefix:
            pieces = (label[:n] for n in range(2, min(len(label) - 1, longest) + 1))
        else:
            pieces = (label[a:a + n] for n in range(2, min(len(label) - 1, longest) + 1)
                      for a in range(len(label) - n + 1))
        hits = sorted({i for piece in pieces for i in by_name.get(piece, ())})
        for t in (targets[i] for i in hits):
            if t.key != s.key and t.label != label:
                yield Relation(s.key, rule.result["relation"], t.key, s.mentions[0].sentence, rule.id)


def _unique(relations: list[Relation]) -> list[Relation]:
    """One relation per (subject, predicate, object, sentence); statuses: one per
    project and sentence, the first rule (completed before ongoing) winning."""
    seen, out = set(), []
    for r in relations:
        key = (r.subject, r.predicate, r.object if r.predicate != "hasStatus" else "", r.sentence)
        if key in seen:
            continue
        seen.add(key)
        out.append(r)
    return out
