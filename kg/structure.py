"""Stage 2, structure: Document -> ReportInfo + sentences.

Finds the header (title, date, meeting, speaker, the governed area), the
review and plan parts (which decide each sentence's year and whether its
numbers are achievements or targets), the numbered sections, and splits the
text into sentences with offsets. Layout patterns live in rules/structure.toml.
"""
from __future__ import annotations

import re

from .model import Document, ReportInfo, Sentence
from .rules import load_rules

_SENTENCE_END = "。！？!?\n"
_TRAILING_CLOSERS = "”’）)」』"


def _rule(rule_id: str):
    return next(r for r in load_rules("structure").rules if r.id == rule_id)


def split_area_chain(place: str) -> tuple[str, ...]:
    """常州市新北区西夏墅镇 -> (常州市, 新北区, 西夏墅镇)."""
    suffixes = load_rules("structure").lexicon("AREA_SUFFIX")
    alternatives = "|".join(sorted(map(re.escape, suffixes), key=len, reverse=True))
    parts = re.findall(rf"[\u4e00-\u9fff]+?(?:{alternatives})(?![区县])", place)
    if "".join(parts) != place:
        tail = place[len("".join(parts)):]
        if tail:
            parts.append(tail)
    return tuple(p for p in parts if len(p) >= 2)


def read_header(doc: Document) -> ReportInfo:
    lines = [l.strip(" \t\u3000—-") for l in doc.text[:1500].split("\n")]
    lines = [l for l in lines if l]
    title = lines[0] if lines else ""
    joined = "".join(lines[:8])
    meeting = _rule("struct.meeting").pattern.search(joined)
    date = place = meeting_name = None
    chain: tuple[str, ...] = ()
    if meeting:
        y, m, d = int(meeting["y"]), int(meeting["m"]), int(meeting["d"])
        date = f"{y:04d}-{m:02d}-{d:02d}"
        place = meeting["place"]
        chain = split_area_chain(place)
        session = meeting["session"] if meeting["session"].startswith("第") else "第" + meeting["session"]
        meeting_name = (chain[-1] if chain else "") + session + "人民代表大会" + meeting["meeting"]
    speaker = None
    speaker_rule = _rule("struct.speaker").pattern
    for line in lines[1:8]:
        if "代表" in line and "：" in line:
            break
        if "会议" in line or "年" in line:
            continue
        m = speaker_rule.search(line.replace(" ", "").replace("\u3000", "")) if len(line) <= 40 else None
        if m:
            speaker = m["name"]
            break
    if not chain:
        chain = _area_from_text(doc.text[:3000])
    year = int(date[:4]) if date else None
    review_year = plan_year = None
    for line in doc.text.split("\n"):
        line = line.strip()
        for rule_id in ("struct.part.review", "struct.part.plan"):
            m = _rule(rule_id).pattern.search(line)
            if m and m["year"]:
                if rule_id.endswith("review") and review_year is None:
                    review_year = int(m["year"])
                if rule_id.endswith("plan") and plan_year is None:
                    plan_year = int(m["year"])
    if year and plan_year is None:
        plan_year = year
    if review_year is None and plan_year:
        review_year = plan_year - 1
    return ReportInfo(title=title, date=date, meeting=meeting_name, speaker=speaker,
                      area_chain=chain, review_year=review_year, plan_year=plan_year)


def _area_from_text(text: str) -> tuple[str, ...]:
    """Without a meeting line: the first '我代表X人民政府' names the area."""
    m = re.search(r"代表([\u4e00-\u9fff]{2,20}?)人民政府", text)
    return split_area_chain(m.group(1)) if m else ()


def split_sentences(doc: Document, info: ReportInfo) -> list[Sentence]:
    """Sentences at 。！？ and line ends, each with its part, year and section."""
    text = doc.text
    review, plan = _rule("struct.part.review").pattern, _rule("struct.part.plan").pattern
    problems, section_rule = _rule("struct.part.problems").pattern, _rule("struct.section").pattern
    sentences: list[Sentence] = []
    part, section = "header", ""
    start = 0
    seen_opening = False
    n = len(text)
    i = 0
    while i <= n:
        at_end = i == n or text[i] in _SENTENCE_END
        if not at_end:
            i += 1
            continue
        end = i + 1 if i < n and text[i] != "\n" else i
        while end < n and text[end] in _TRAILING_CLOSERS:
            end += 1
        raw = text[start:end]
        lead = len(raw) - len(raw.lstrip())
        s, e = start + lead, start + len(raw.rstrip())
        if e > s:
            sent = text[s:e]
            line_start = s == 0 or text[s - 1] == "\n"
            if line_start and len(sent) <= 40 and plan.search(sent):
                part, section = "plan", ""
            elif line_start and len(sent) <= 40 and review.search(sent):
                part, section = "review", ""
            elif part == "header" and (sent.startswith("各位代表") or seen_opening):
                seen_opening = True
                if "回顾" in sent or "过去" in sent or re.match(r"\d{4}年", sent):
                    part = "review" if not sent.startswith("各位代表") else part
            elif part == "review" and line_start and problems.search(sent):
                part = "problems"
            elif part == "problems" and line_start and section_rule.search(sent):
                part = "plan" if plan.search(sent) else part
            if line_start and section_rule.search(sent) and len(sent) <= 60 and not sent.endswith("。"):
                section = sent
            year = {"review": info.review_year, "problems": info.review_year,
                    "plan": info.plan_year}.get(part, info.plan_year)
            sentences.append(Sentence(len(sentences), sent, s, e, part, year, section))
        start = end
        i = max(end, i + 1)
    return sentences
