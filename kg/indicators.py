"""Stage 4c, indicators: sentences (+ entity mentions) -> Indicator values.

    extract_indicators(sentences, area=("AdministrativeArea", "西夏墅镇"), mentions={})

The patterns and word lists are data, in ``rules/indicators.toml``; this module
only reads what they match:

1. ``match()`` runs the rules over one sentence, highest priority first; a
   match whose numbers an earlier match already claimed is dropped (so skip
   rules keep years, dates and codes away from the amount rules).
2. ``apply()`` turns each match into indicators: the metric is the noun phrase
   in front of the number in the same clause, trimmed of verbs and time words
   (LEAD_STRIP / TRAIL_STRIP); the subject is an entity mention heading that
   clause or named right after the number (投资8.6亿元的X), else the area;
   the year is the sentence year unless the clause names one (到2025年); the
   kind is ``estimate`` under 预计, ``target`` in the plan part, else ``actual``.

Values and units are kept as written (80.57, 亿元); ``kg.numbers.normalize``
gives the normalised form.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import cache

from .model import Indicator, Mention, Sentence
from .numbers import is_chinese_numeral, parse_number, to_ascii
from .rules import Rule, RuleSet, load_rules

__all__ = ["extract_indicators", "match", "Hit"]

_QUOTES = "“”‘’\"'《》「」『』"
_CN_PLACE = "十百千"


@cache
def _rules() -> RuleSet:
    return load_rules("indicators")


def _rule(rule_id: str) -> Rule:
    return next(r for r in _rules().rules if r.id == rule_id)


@cache
def _lex(name: str) -> tuple[str, ...]:
    """A lexicon, longest entry first (so stripping takes the longest word)."""
    return tuple(sorted(_rules().lexicon(name), key=len, reverse=True))


@dataclass(frozen=True)
class Item:
    """One number a match stands for, with sentence-relative spans."""
    value: Decimal | None
    unit: str | None
    value_span: tuple[int, int] | None
    growth: Decimal | None = None
    growth_span: tuple[int, int] | None = None
    unit_end: int | None = None   # end of the unit as written (余 included)

    @property
    def span(self) -> tuple[int, int]:
        return self.value_span or self.growth_span  # type: ignore[return-value]


@dataclass(frozen=True)
class Hit:
    """A rule match in one sentence: what it claims and the items it yields."""
    rule: Rule
    start: int          # start of the match's first number
    end: int            # end of the whole match
    items: tuple[Item, ...]
    year: int | None = None   # set on skip.year hits

    @property
    def shape(self) -> str:
        return self.rule.result.get("shape", "amount")


# ----------------------------------------------------------------- matching

def _protected(text: str) -> list[tuple[int, int, str]]:
    """Spans inside quotation marks (“…”) and title marks (《…》)."""
    spans = []
    for open_, close, kind in (("“", "”", "quote"), ("《", "》", "title"), ("「", "」", "quote")):
        for m in re.finditer(re.escape(open_) + "[^" + re.escape(close) + "]*" + re.escape(close), text):
            spans.append((m.start(), m.end(), kind))
    return spans


def _inside(pos: int, spans, kinds) -> bool:
    return any(s <= pos < e and k in kinds for s, e, k in spans)


_number = parse_number


def _unit(written: str) -> str:
    return re.sub("[余多]", "", written)


def _valid_value(raw: str, pos: int, protected) -> bool:
    if _inside(pos, protected, ("title",)):
        return False
    if is_chinese_numeral(raw):
        # nothing in quotes (“十四五”)
        if _inside(pos, protected, ("quote",)):
            return False
        # 三十五家 yes; 十项民心工程, 一批, 两个, 千家万户 no
        if len(raw) < 2 or not any(ch in _CN_PLACE for ch in raw) or raw[0] in "百千":
            return False
    return True


def _items_of(m: re.Match, shape: str, rule: Rule, protected) -> tuple[Item, ...] | None:
    def growth_of(group: str = "growth") -> Decimal:
        g = _number(m.group(group))
        return -g if m.group("cue") in _rules().lexicon("DECLINE") else g

    if shape == "skip":
        return ()
    if shape in ("amount", "rate", "amount_growth"):
        raw = m.group("value")
        if not _valid_value(raw, m.start("value"), protected):
            return None
        unit = "%" if shape == "rate" else rule.result.get("unit") or _unit(m.group("unit"))
        unit_end = m.end("unit")
        item = Item(_number(raw), to_ascii(unit), m.span("value"), unit_end=unit_end)
        if shape == "amount_growth":
            item = Item(item.value, item.unit, item.value_span, growth_of(), m.span("growth"), unit_end)
        return (item,)
    if shape == "growth":
        return (Item(None, None, None, growth_of(), m.span("growth")),)
    values: list[Item] = []
    if shape == "list":
        base = m.start("values")
        for sub in _rule(rule.result["items"]).finditer(m.group("values")):
            if not _valid_value(sub.group("value"), base + sub.start("value"), protected):
                return None
            s, e = sub.span("value")
            values.append(Item(_number(sub.group("value")), _unit(sub.group("unit")), (base + s, base + e),
                               unit_end=base + sub.end("unit")))
    growths: list[tuple[Decimal, tuple[int, int]]] = []
    if "growths" in m.re.groupindex and m.group("growths"):
        base = m.start("growths")
        sign = -1 if m.group("cue") in _rules().lexicon("DECLINE") else 1
        for sub in _rule(rule.result["growth_items"]).finditer(m.group("growths")):
            s, e = sub.span("value")
            growths.append((sign * _number(sub.group("value")), (base + s, base + e)))
    if shape == "growth_list":
        return tuple(Item(None, None, None, g, span) for g, span in growths)
    if growths and len(growths) == len(values):
        values = [Item(v.value, v.unit, v.value_span, g, span, v.unit_end) for v, (g, span) in zip(values, growths)]
    elif growths and len(growths) == 1:
        values = [Item(v.value, v.unit, v.value_span, growths[0][0], growths[0][1], v.unit_end) for v in values]
    return tuple(values)


def match(text: str) -> list[Hit]:
    """Every rule match in ``text`` that survives the priority order, by position."""
    protected = _protected(text)
    claimed: list[tuple[int, int]] = []
    hits: list[Hit] = []
    for rule in _rules().applicable(text):
        shape = rule.result.get("shape", "amount")
        for m in rule.matches(text):
            if shape == "skip":
                spans = [m.span()]
            else:
                spans = [m.span(g) for g in ("value", "growth", "values", "growths")
                         if g in m.re.groupindex and m.group(g) is not None]
            if any(s < ce and cs < e for s, e in spans for cs, ce in claimed):
                continue
            items = _items_of(m, shape, rule, protected)
            if items is None:
                continue
            claimed.extend(spans)
            year = None
            if shape == "skip" and "year" in m.re.groupindex and m.group("year"):
                year = int(to_ascii(m.group("year")))
            start = min(s for s, _ in spans)
            hits.append(Hit(rule, start, m.end(), items, year))
    hits.sort(key=lambda h: (h.start, h.end))
    return hits


# ----------------------------------------------------------------- metrics

# a year, an ordinal (一是) or punctuation before a metric; a footnote mark [5] anywhere
_LEADING_NOISE = re.compile(r"^(?:(?:到|至|截至)?\d{4}年(?:底|末)?|[一二三四五六七八九十]+是|[^\u4e00-\u9fffA-Za-z0-9（(]+)")
_FOOTNOTE_MARK = re.compile(r"[\[〔【［]\d+[\]〕】］]")


def _strip(text: str, lead: bool = True, trail: bool = True) -> str:
    text = "".join(ch for ch in text if ch not in _QUOTES).strip()
    changed = True
    while changed and text:
        changed = False
        text = _LEADING_NOISE.sub("", text)
        text = _FOOTNOTE_MARK.sub("", text)
        if lead:
            period = _period_pattern(at_start=True).match(text)
            if period:
                text, changed = text[period.end():], True
            for w in _lex("LEAD_STRIP"):
                if text.startswith(w):
                    text, changed = text[len(w):], True
                    break
        if trail:
            # the patterns first: 年平均 is cut whole, not 均 alone
            cut = _earlier_time_pattern().search(text) or _period_pattern().search(text)
            if cut:
                text, changed = text[: cut.start()], True
            for w in _lex("TRAIL_STRIP") + _lex("APPROX_BEFORE") + _lex("ESTIMATE"):
                if text.endswith(w):
                    text, changed = text[: -len(w)], True
                    break
    return text.strip()


# A year as a time a change starts from or is compared with: 2012年, 2015年底
_YEAR_OF = r"\d{4}年(?:底|末)?"


@cache
def _earlier_time_pattern() -> re.Pattern:
    """The start of 由A增长到B left at a metric's end: 居民储蓄存款余额由2012年(的) /
    从“十二五”末(的) / 由上年(的); or the time a change is compared with (a time
    is required: 占比 stays): 单位生产总值能耗比2005年(下降20%)."""
    cues, compare, times = ("|".join(map(re.escape, _lex(name)))
                            for name in ("FROM_CUE", "COMPARE_CUE", "COMPARED_TIME"))
    when = rf"{_YEAR_OF}|{times}|[\u4e00-\u9fff]{{1,6}}末"
    return re.compile(rf"(?:(?:{cues})(?:{when})?|(?:{compare})(?:{when}))的?$")


@cache
def _period_pattern(at_start: bool = False) -> re.Pattern:
    """A span of years: at a metric's end, or an average over one there
    (五年(平均), 过去五年, 近3年来, 年平均); at its start, only one that reads
    as a time (过去五年, 近3年, 十年间, 五年来: not the 三年 of 三年行动计划).
    A year as such, 2005年, is no span."""
    leads = "|".join(map(re.escape, _lex("PERIOD_LEAD")))
    average = "|".join(map(re.escape, _lex("AVERAGE")))
    years = r"(?:[一二三四五六七八九十两]+|(?<!\d)\d{1,2})年"
    since = "(?:以来|来|间)"
    if at_start:
        return re.compile(rf"^(?:(?:{leads}){years}{since}?|{years}{since})")
    span = rf"(?:{leads})?{years}{since}?"
    return re.compile(rf"(?:(?:{span}|年)?(?:{average})|{span})$")


@cache
def _change_words() -> tuple[str, ...]:
    """What opens a change, not a counted noun: 增长到…, 增加19天. 多 and 少
    alone are left out: they open nouns too (3个多功能活动室)."""
    return _lex("CHANGE_TO") + tuple(v for v in _lex("CHANGE_VERB") if len(v) > 1)


def _clause_start(text: str, pos: int) -> int:
    puncts = _rules().lexicon("CLAUSE_PUNCT")
    return max((text.rfind(p, 0, pos) for p in puncts), default=-1) + 1


def _clause_end(text: str, pos: int) -> int:
    ends = [i for i in (text.find(p, pos) for p in _rules().lexicon("CLAUSE_PUNCT")) if i >= 0]
    return min(ends, default=len(text))


def _following_noun(text: str, pos: int) -> str:
    """The counted noun after a number's unit: 5个项目已竣工验收 -> 项目."""
    rest = text[pos:_clause_end(text, pos)]
    for w in _lex("APPROX_AFTER"):
        if rest.startswith(w):
            rest = rest[len(w):]
            break
    rest = _FOOTNOTE_MARK.sub("", "".join(ch for ch in rest if ch not in _QUOTES))
    digit = re.search(r"\d|[一二两三四五六七八九十]+(?:个|家|座|条|项)", rest)
    cut = digit.start() if digit else len(rest)
    for w in _lex("FOLLOW_STOP"):
        i = rest.find(w)
        if 0 < i < cut:
            cut = i
    noun = rest[:cut].rstrip("、和及与").lstrip("、和及与的")
    return noun[:10] if re.fullmatch(r"[\u4e00-\u9fffA-Za-z（）()、]+", noun or "-") else ""


# units whose number is a measure, not a count of the noun that follows
_MEASURE_UNITS = {"元", "万元", "亿元", "美元", "万美元", "亿美元", "%", "个百分点", "天", "个工作日",
                  "人次", "万人次", "家次", "户次", "场次", "次"}
_AREA_UNITS = {"亩", "万亩", "公顷", "平方米", "平米", "万平方米", "平方公里", "公里", "千米", "米",
               "方", "万方", "立方米", "万立方米", "吨", "万吨"}


def _shorten(metric: str, limit: int = 14) -> str:
    """A long metric keeps its last verb phrase: 聘请A和B编制各类城市设计 -> 编制各类城市设计."""
    if len(metric) <= limit:
        return metric
    verbs = _lex("COUNT_VERB")
    best = -1
    for v in verbs:
        i = metric.rfind(v)
        if 0 < i < len(metric) - len(v):
            best = max(best, i)
    if best > 0:
        # keep a verb right before it too: 改造提升城区道路
        for v in verbs:
            if metric[:best].endswith(v):
                best -= len(v)
                break
        metric = metric[best:]
    return metric[-20:]


def _count_metric(lead: str, noun: str, unit: str | None) -> str:
    verb = next((v for v in _lex("COUNT_VERB") if lead.startswith(v)), "")
    if not noun:
        return verb
    suffix = "" if (unit in _MEASURE_UNITS or unit in _AREA_UNITS or noun.endswith("数")) else "数"
    return verb + noun + suffix


# ----------------------------------------------------------------- applying

@dataclass
class _Context:
    sentence: Sentence
    area: tuple[str, str]
    mentions: list[Mention]
    estimate_from: int | None   # offset in the sentence after which 预计 governs
    hits: list[Hit]


def _subject_mentions(ctx: _Context, lo: int, hi: int) -> list[Mention]:
    types = set(_rules().lexicon("SUBJECT_TYPES"))
    base = ctx.sentence.start
    return [m for m in ctx.mentions
            if m.type in types and lo <= m.start - base and m.end - base <= hi]


def _key(m: Mention, area: tuple[str, str]) -> tuple[str, str]:
    if m.type == "AdministrativeArea" and (m.label in area[1] or area[1] in m.label):
        return area
    return (m.type, m.label)


def _head_subjects(ctx: _Context, lo: int, num_start: int) -> tuple[list[Mention], int]:
    """Mentions heading the clause [lo, num_start): A、B (行业) … or A directly before the number.

    Returns the mentions and the offset where the metric starts after them.
    """
    text = ctx.sentence.text
    cands = sorted(_subject_mentions(ctx, lo, num_start), key=lambda m: m.start)
    if not cands:
        return [], lo
    base = ctx.sentence.start
    between = text[cands[-1].end - base:num_start]
    if "等" in between[:2] or between.startswith("等"):
        return [], lo
    # a mention right before the number: 香山福园四期490套安置房
    if cands[-1].end - base == num_start:
        return [cands[-1]], lo
    # a run of mentions heading the clause, joined by 、/和 and generic heads
    head_gap = _strip(text[lo:cands[0].start - base], trail=False)
    if head_gap:
        return [], lo
    chosen, pos = [], cands[0].start - base
    generic = _lex("GENERIC_HEAD")
    for m in cands:
        if m.start - base != pos:
            break
        chosen.append(m)
        pos = m.end - base
        for g in generic:
            if text.startswith(g, pos):
                pos += len(g)
                break
        if pos < len(text) and text[pos] in "、和与及":
            pos += 1
    after = text[chosen[-1].end - base:num_start]
    # keep the name in the metric when the metric noun follows it directly
    # (现代服务业增加值); drop it when a generic head or a list follows
    if len(chosen) == 1 and not any(after.startswith(g) for g in generic) and pos == chosen[-1].end - base:
        return chosen, lo
    return chosen, pos


def _after_de_subject(ctx: _Context, end: int) -> Mention | None:
    """投资8.6亿元的泽龙高级中学: the mention right after the first 的 of the clause."""
    text = ctx.sentence.text
    stop = _clause_end(text, end)
    de = text.find("的", end, stop)
    if de < 0:
        return None
    for m in _subject_mentions(ctx, de + 1, len(text)):
        if m.start - ctx.sentence.start - (de + 1) <= 1:
            return m
    return None


def _year(ctx: _Context, lo: int, pos: int) -> int | None:
    # 由2012年的44.45亿元增长到103.75亿元: a year before 增长到 is the first figure's
    lo = max([lo] + [ctx.sentence.text.rfind(w, lo, pos) for w in _lex("CHANGE_TO")])
    years = [h.year for h in ctx.hits if h.year and lo <= h.start < pos]
    return years[-1] if years else ctx.sentence.year


def _kind(ctx: _Context, lo: int, pos: int) -> str:
    if ctx.estimate_from is not None and pos >= ctx.estimate_from:
        return "estimate"
    if ctx.sentence.part == "plan":
        return "target"
    # outside the plan part: a clause that opens with a target cue (全年力争引进1个…)
    clause = "".join(ch for ch in ctx.sentence.text[lo:pos] if ch not in _QUOTES).strip()
    targets, lead = _lex("TARGET"), [w for w in _lex("LEAD_STRIP") if w not in _lex("TARGET")]
    while clause:
        if any(clause.startswith(w) for w in targets):
            return "target"
        word = next((w for w in lead if clause.startswith(w)), None)
        if word is None:
            break
        clause = clause[len(word):]
    return "actual"


def _split_metric(metric: str, n: int) -> list[str] | None:
    """'主营业务收入和税收收入' over 2 values -> both; '城乡居民…' -> 城镇…, 农村…"""
    parts = [p for p in re.split("|".join(map(re.escape, _lex("METRIC_SEP"))), metric) if p]
    if len(parts) == n:
        return parts
    if n == 2:
        for entry in _rules().lexicon("PAIRED_PREFIX"):
            prefix, pair = entry.split("=")
            if metric.startswith(prefix):
                a, b = pair.split("|")
                return [a + metric[len(prefix):], b + metric[len(prefix):]]
    return None


@cache
def _compared_pattern() -> re.Pattern:
    cues, times, leads, verbs = ("|".join(map(re.escape, _lex(name)))
                                 for name in ("COMPARE_CUE", "COMPARED_TIME", "GROWTH_LEAD", "CHANGE_VERB"))
    return re.compile(rf"(?:(?:{cues})(?:{_YEAR_OF}|{times})?)?(?:{leads})?(?P<verb>{verbs})")


def _compared_change(metric: str) -> str | None:
    """The change verb of a metric that is only a change, perhaps since an
    earlier time: 比2006年增长 -> 增长, 提高 -> 提高."""
    m = _compared_pattern().fullmatch(metric)
    return m.group("verb") if m else None


def _only_separators(text: str) -> bool:
    """Whether ``text``, after a number (and any 以上, 左右 …), only separates clauses."""
    for word in _lex("APPROX_AFTER"):
        if text.startswith(word):
            text = text[len(word):]
            break
    return all(ch in _lex("SAME_MEASURE_SEP") or ch.isspace() for ch in text)


def _indicators_for(ctx: _Context, hit: Hit, prev_end: int, prev_metrics: tuple[str, ...],
                    prev_follow: bool) -> tuple[list[Indicator], bool]:
    """The indicators of one match; ``prev_end`` and ``prev_metrics``: where
    the sentence's previous match ended and its indicators' metrics."""
    text, sent = ctx.sentence.text, ctx.sentence
    prev_metric = prev_metrics[-1] if prev_metrics else ""
    num_start = hit.start
    clause = _clause_start(text, num_start)
    lo = max(clause, prev_end)
    shape = hit.shape
    # the metric sits before the growth cue for growth shapes, before the number otherwise
    metric_end = num_start
    if shape in ("growth", "growth_list"):
        cues = "|".join(map(re.escape, _lex("GROWTH") + _lex("DECLINE")))
        leads = "|".join(map(re.escape, _lex("GROWTH_LEAD")))
        m = re.search(f"(?:{leads})?(?:{cues})", text[lo:num_start])
        if m:
            metric_end = lo + m.start()
    subjects, metric_lo = _head_subjects(ctx, lo, metric_end)
    first = hit.items[0]
    unit_end = first.unit_end if first.unit_end is not None else hit.end
    raw = text[metric_lo:metric_end]
    if shape == "list" and "分别" in raw:
        # 分别实现销售50.52亿元、…: the metric sits between 分别 and the values
        inner = _strip(raw.rsplit("分别", 1)[1])
        raw = raw.rsplit("分别", 1)[1] if inner else raw
    shared = any(c in raw for c in _rules().lexicon("SHARE_CUE"))
    metric = _strip(raw)
    lead = _strip(raw, trail=False)
    from_follow = False
    counted = first.unit not in _MEASURE_UNITS
    if subjects and subjects[-1].end - sent.start == num_start:
        # 香山福园四期490套安置房: the subject's name, then the number, then the noun
        metric = _following_noun(text, unit_end) or metric
        from_follow = True
    elif "等" in metric:
        # 引进A、B、C等5个项目 / 通报…等问题13起: count of the noun after 等
        noun = _strip(metric.rsplit("等", 1)[1]) or _following_noun(text, unit_end)
        from_follow = not _strip(metric.rsplit("等", 1)[1])
        metric = _count_metric(lead, noun, first.unit) or metric
    elif (not metric or (prev_follow and lo == prev_end and raw.rstrip()[-1:] in "、和及与")) \
            and shape in ("amount", "list", "rate"):
        noun = _following_noun(text, unit_end)
        # 由5亿元增长到… / 由1628家增加到9400家、增长近5倍 / 比上年190天增加19天:
        # no counted noun after either (a change is none)
        if noun and not lead.startswith(_lex("CHANGE_TO")) and not noun.startswith(_change_words()):
            metric, from_follow = _count_metric(lead, noun, first.unit), True
        elif not metric and prev_metric and lo == prev_end:
            metric = prev_metric   # 50亿元、60亿元 without 分别: the second shares the metric
    elif counted and shape == "amount" and any(metric.endswith(v) for v in _lex("COUNT_VERB")):
        # 有序推进54个自然村污水管网全覆盖: verb before, counted noun after
        noun = _following_noun(text, unit_end)
        if noun:
            metric, from_follow = metric + _count_metric("", noun, first.unit), True
    metric = metric if shared else _shorten(metric)
    n = len(hit.items)
    metrics: list[str] = [metric] * n
    if n > 1:
        split = _split_metric(metric, n)
        if split:
            metrics = split
    per_metric = [metric]
    if n == 1 and shared:
        per_metric = _split_metric(metric, len(re.split("|".join(map(re.escape, _lex("METRIC_SEP"))), metric))) or [metric]
    change = _compared_change(lead)
    if not metric or (not from_follow and (change or lead.startswith(_lex("CHANGE_TO")))):
        if prev_metrics and _only_separators(text[prev_end:metric_lo]):
            # …5.94，同比下降13.16% / 由66.1亿元增长到77.2亿元: the previous number's measure(s);
            # …，比2006年增长24.47亿元: its change
            metrics = (list(prev_metrics) if len(prev_metrics) == n
                       else _split_metric(prev_metric, n) or [prev_metric] * n)
            metrics = [m + (change or "") for m in metrics]
        else:
            metrics = [""] * n                # a change, or nothing, of a measure not named
        per_metric = [metrics[0]]
    # subjects
    if subjects and len(subjects) == n:
        subj_keys = [_key(m, ctx.area) for m in subjects]
    elif len(subjects) == 1:
        subj_keys = [_key(subjects[0], ctx.area)] * n
    else:
        after = _after_de_subject(ctx, hit.end)
        subj_keys = [_key(after, ctx.area) if after else ctx.area] * n
    year = _year(ctx, clause, num_start)
    kind = _kind(ctx, clause, num_start)
    out = []
    for item, met, subj in zip(hit.items, metrics, subj_keys):
        s, e = item.span
        for name in (per_metric if n == 1 else [met]):
            if not name:
                continue                  # what is measured is not said: no indicator
            out.append(Indicator(
                subject=subj, metric=name, value=item.value, unit=item.unit, year=year,
                growth_pct=item.growth, kind=kind, sentence=sent.index,
                start=sent.start + s, end=sent.start + e, rule=hit.rule.id))
    return out, from_follow


def _estimate_from(text: str) -> int | None:
    positions = [text.find(w) for w in _lex("ESTIMATE") if w in text]
    return min(positions) if positions else None


def extract_indicators(sentences: list[Sentence], area: tuple[str, str],
                       mentions: dict[int, list[Mention]] | None = None) -> list[Indicator]:
    """All indicators the rules find in ``sentences``, in document order.

    ``area`` is the entity key of the governed area (the default subject);
    ``mentions`` maps Sentence.index to the entity mentions in that sentence.
    """
    mentions = mentions or {}
    out: list[Indicator] = []
    carry_estimate = False   # 预计 … ；(next clause-sentence) still governed
    prev_part = None
    for sent in sentences:
        if sent.part != prev_part:
            carry_estimate = False
        prev_part = sent.part
        hits = match(sent.text)
        est = 0 if carry_estimate else _estimate_from(sent.text)
        ctx = _Context(sent, area, mentions.get(sent.index, []), est, hits)
        prev_end, prev_metrics, prev_follow = 0, (), False
        for hit in hits:
            if hit.shape == "skip":
                continue
            made, prev_follow = _indicators_for(ctx, hit, prev_end, prev_metrics, prev_follow)
            out.extend(made)
            prev_end = hit.end
            if made:
                prev_metrics = tuple(dict.fromkeys(m.metric for m in made))
        stripped = sent.text.rstrip(" \t\u3000”’）)")
        carry_estimate = est is not None and stripped.endswith(("；", ";"))
    return out
