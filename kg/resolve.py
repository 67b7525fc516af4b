"""Stage 4, resolve: mentions -> entities, one node per real thing.

Mentions with the same label are one entity; a label claimed by several types
keeps the type its strongest rule gave; the report's header adds the governed
area, its parents, the speaker and the meeting. Surface forms that differ from
the label (quoted forms, 新材料行业 for 新材料, an area without its suffix)
are kept as aliases.
"""
from __future__ import annotations

import re
from collections import defaultdict

from .model import Entity, Mention, ReportInfo, Sentence
from .rules import load_rules

_AREA_SUFFIX = re.compile(r"(省|市|区|县|镇|乡|街道)$")


def header_mentions(info: ReportInfo, sentences: list[Sentence]) -> list[Mention]:
    """The area chain, the speaker and the meeting, located in the header text."""
    found: list[Mention] = []
    header = [s for s in sentences if s.part == "header"]

    def locate(name: str, type_: str, rule: str, label: str | None = None):
        for s in header:
            i = s.text.find(name)
            if i >= 0:
                found.append(Mention(name, label or name, type_, s.index, s.start + i,
                                     s.start + i + len(name), rule, 50))
                return

    for area in info.area_chain:
        locate(area, "AdministrativeArea", "ent.header.area")
    if info.speaker:
        locate(info.speaker, "Person", "ent.header.speaker")
    if info.meeting and info.area_chain:
        # the meeting runs over a line break in many headers: point at its area
        written = _meeting_as_written(info, header)
        if any(written in s.text for s in header):
            locate(written, "Program", "ent.header.meeting", info.meeting)
        else:
            locate(info.area_chain[-1], "Program", "ent.header.meeting", info.meeting)
    return found


def _meeting_as_written(info: ReportInfo, header: list[Sentence]) -> str:
    """The meeting with the areas the header puts before it (在X市Y区第三届…);
    where it stands on one line it is the mention, so the full form is an alias."""
    text = re.sub(r"\s", "", "".join(s.text for s in header))
    i = text.find(info.meeting)
    if i < 0:
        return info.meeting
    start = i
    while any(text[:start].endswith(a) for a in info.area_chain):
        start -= next(len(a) for a in info.area_chain if text[:start].endswith(a))
    return text[start:i] + info.meeting


def resolve(mentions: list[Mention]) -> list[Entity]:
    best_type: dict[str, tuple[int, int, str]] = {}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    strongest: dict[tuple[str, str], int] = {}
    for m in mentions:
        key = (m.label, m.type)
        counts[key] += 1
        strongest[key] = max(strongest.get(key, m.priority), m.priority)
    for (label, type_), n in counts.items():
        strength = strongest[(label, type_)]
        current = best_type.get(label)
        candidate = (strength, n, type_)
        if current is None or candidate[:2] > current[:2] or (candidate[:2] == current[:2] and type_ < current[2]):
            best_type[label] = candidate
    entities: dict[tuple[str, str], Entity] = {}
    for m in mentions:
        type_ = best_type[m.label][2]
        entity = entities.setdefault((type_, m.label), Entity(m.label, type_))
        entity.mentions.append(m)
        if m.text != m.label:
            entity.aliases.add(m.text)
    _merge_abbreviations(entities)
    _merge_short_areas(entities)
    for entity in entities.values():
        if entity.type == "AdministrativeArea":
            short = _AREA_SUFFIX.sub("", entity.label)
            if len(short) >= 2 and short != entity.label:
                entity.aliases.add(short)
        entity.aliases.discard(entity.label)
    return sorted(entities.values(), key=lambda e: (e.type, e.label))


def _merge_short_areas(entities: dict[tuple[str, str], Entity]) -> None:
    """An area named without its suffix (东庄 for 东庄镇) is the same area."""
    full = {}
    for e in entities.values():
        short = _AREA_SUFFIX.sub("", e.label) if e.type == "AdministrativeArea" else ""
        if len(short) >= 2 and short != e.label:
            full.setdefault(short, e)
    for key, e in list(entities.items()):
        if e.type == "AdministrativeArea" and e.label in full:
            target = full[e.label]
            target.mentions.extend(e.mentions)
            target.aliases |= e.aliases | {e.label}
            del entities[key]


def _is_short_form(short: str, full: str, infix) -> bool:
    """短 = 全 without some infix words, keeping its first two and last two characters."""
    if len(short) < 4 or len(full) <= len(short) or short[:2] != full[:2] or short[-2:] != full[-2:]:
        return False
    i = 0
    while i < len(short) and short[i] == full[i]:
        i += 1
    inserted = full[i:len(full) - (len(short) - i)]
    return full.endswith(short[i:]) and bool(inserted) and infix.fullmatch(inserted) is not None


def _merge_abbreviations(entities: dict[tuple[str, str], Entity]) -> None:
    rule = load_rules("resolve").rules[0]
    by_type: dict[str, list[Entity]] = defaultdict(list)
    for e in entities.values():
        by_type[e.type].append(e)
    for type_, group in by_type.items():
        group.sort(key=lambda e: (len(e.label), e.label))
        # a short form shares its first two and last two characters with its full
        # name: only names with the same ends are compared (not every pair)
        ends: dict[tuple[str, str], list[Entity]] = defaultdict(list)
        for e in group:
            ends[(e.label[:2], e.label[-2:])].append(e)
        for short in group:
            fulls = [f for f in ends[(short.label[:2], short.label[-2:])]
                     if f is not short and _is_short_form(short.label, f.label, rule.pattern)]
            if len(fulls) != 1 or short.key not in entities:
                continue
            full = fulls[0]
            full.mentions.extend(short.mentions)
            full.aliases |= short.aliases | {short.label}
            del entities[short.key]
