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
    """常州市新北区西夏墅镇 -> (常州市, 新北区, 西夏墅镇).

    Text before the chain (政府工作报告在河北省, 较好完成了县) is dropped: the chain
    is read from the end and stops at the first piece that is no area name.
    """
    from . import gazetteer
    suffixes = load_rules("structure").lexicon("AREA_SUFFIX")
    alternatives = "|".join(sorted(map(re.escape, suffixes), key=len, reverse=True))
    place = place.rsplit("在", 1)[-1]
    parts = re.findall(rf"[\u4e00-\u9fff]+?(?:{alternatives})(?![区县])", place)
    known = gazetteer.known_names()
    chain: list[str] = []
    for part in reversed(parts):
        if part in known or (2 <= len(part) <= 5 and not _NOT_AREA.search(part)):
            chain.insert(0, part)
            continue
        tail = next((part[i:] for i in range(1, len(part) - 1) if part[i:] in known), None)
        if tail:
            chain.insert(0, tail)
        break
    return tuple(chain)


# characters that never occur in an area's own name, only in the sentence around it
_NOT_AREA = re.compile(r"[在的了上是和与会议报告完成人民政府第届]")


_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0}


def _cn_int(text: str) -> int:
    """2023, 二〇一二 (digit by digit), 十二, 二十六 -> int."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return int("".join(str(_CN_DIGITS[c]) for c in text))
    tens, _, ones = text.partition("十")
    return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)


def _date(y: str, m: str, d: str) -> str | None:
    try:
        return f"{_cn_int(y):04d}-{_cn_int(m):02d}-{_cn_int(d):02d}"
    except (KeyError, ValueError):
        return None


def read_header(doc: Document) -> ReportInfo:
    lines = [l.strip(" \t\u3000—-") for l in doc.text[:3000].split("\n")]
    lines = [l for l in lines if l][:30]
    title = next((l.split("：", 1)[1] if l.startswith("标题：") else l for l in lines), "")
    joined = "".join(lines[:12])
    meeting = None
    for m in _rule("struct.meeting").pattern.finditer(joined):
        if split_area_chain(m["place"]) or not m["place"]:
            meeting = m
            break
    date = place = meeting_name = None
    chain: tuple[str, ...] = ()
    if meeting:
        if meeting["y"]:
            date = _date(meeting["y"], meeting["m"], meeting["d"])
        chain = split_area_chain(meeting["place"])
        session = meeting["session"] if meeting["session"].startswith("第") else "第" + meeting["session"]
        if chain:
            meeting_name = chain[-1] + session + "人民代表大会" + meeting["meeting"]
    if date is None:
        for line in lines:
            m = _rule("struct.date").pattern.search(line)
            if m:
                date = _date(m["y"] or m["y2"], m["m"] or m["m2"], m["d"] or m["d2"])
                break
    speaker = _speaker(lines, has_meeting=meeting is not None)
    if not chain:
        chain = _area_from_text(lines, doc.text[:3000])
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


def _speaker(lines: list[str], has_meeting: bool) -> str | None:
    """A name alone on a short header line, or after a title (县长 闫向阳)."""
    rule = _rule("struct.speaker").pattern
    titles = load_rules("structure").lexicon("SPEAKER_TITLE")
    for line in lines[1:12]:
        if "代表" in line and "：" in line and not line.startswith("报告人"):
            break
        if "会议" in line or "年" in line or len(line) > 40:
            continue
        compact = line.replace(" ", "").replace("\u3000", "")
        if not has_meeting and not any(t in compact for t in titles):
            continue                      # a bare name means something only under a meeting line
        m = rule.search(compact)
        if m:
            return m["name"]
    return None


def _area_from_text(lines: list[str], text: str) -> tuple[str, ...]:
    """Without a meeting line: 发文单位, the title, or '我代表X人民政府' names the area."""
    rule = _rule("struct.area").pattern
    for candidate in lines + text.split("\n"):
        m = rule.search(candidate)
        if m:
            chain = split_area_chain(m["place"])
            if chain:
                return chain
    return ()


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
