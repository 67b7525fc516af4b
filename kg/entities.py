"""Stage 3a, entities: sentences -> mentions, by the rules in rules/entities.toml.

The engine knows four kinds of rule (see the file's header) and one overlap
policy; all words and patterns are data. A mention keeps the id of the rule
that made it, so a wrong entity leads straight to its rule.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from functools import cache
from typing import Callable

from .model import Mention, Sentence
from .rules import HAN, Rule, RuleError, RuleSet, load_rules
from .segment import UNKNOWN, Token, tokens

_QUOTES = "“”‘’\"'《》「」『』"
_HAN_RE = re.compile(f"[{HAN}]")
_PAREN_TAIL = re.compile(r"[（(][^）)]{1,4}[）)]$")
_PHASE = re.compile(r"[（(][一二三四五六七八九十\d]+期[）)]$")   # 产业园（一期） keeps its phase
_MEASURES = set("个条座套家年项处名户亩所只场件次人万亿元月日期")
_COUNT = re.compile(r"(?:\d+(?:\.\d+)?|[一二三四五六七八九十两几百千万]+)[个条座套家年项处名户亩所只场件次人万亿元月日组]+")
_FOOTNOTE = re.compile(r"[\u2460-\u24ff\u2776-\u2793]+|\[\d+\]")   # ①, ❶, [5]
_NAME_MARKS = "·•"                      # 中南高科·清苑新经济产业园 is one name
_LEVEL_CHARS = set("省市区县镇乡村")
_AREA_HEAD_GENERIC = {"Project", "Place", "Program", "Industry"}   # X市重大项目 is no name; X县人民政府 is
_AREA_HEAD = re.compile(f"^[{HAN}]{{1,3}}?[省市区县](?=[{HAN}]{{3}})")
# particles and conjunctions end a name whatever the lexicon says; prepositions,
# adverbs and time words do not (jieba tags 同福茶馆's 同 p, 日月山路's 日月 t)
_FUNCTION_FLAGS = {"c", "u", "uj", "ul", "uz", "ug", "uv", "ud", "y", "e", "o"}


def _split_joined(toks: list[Token], joiners: set[str], place_joiners: set[str]) -> list[Token]:
    """jieba guesses unknown names across a conjunction (in "A街和BC市场" it tags
    和BC/nr, in "A河至B河" 河至/ns or 龙泉河至新唐河/un); a joiner inside a guessed
    name is a word of its own."""
    out = []
    for t in toks:
        cut = (joiners if t.flag in ("nr", "nrfg") else place_joiners if t.flag == "ns"
               else joiners | place_joiners if t.flag == UNKNOWN else ())
        if len(t.word) < 2 or not any(ch in cut for ch in t.word):
            out.append(t)
            continue
        piece = t.start
        for i, ch in enumerate(t.word):
            if ch in cut:
                if t.start + i > piece:
                    out.append(Token(t.word[piece - t.start:i], t.flag, piece, t.start + i))
                out.append(Token(ch, "c", t.start + i, t.start + i + 1))
                piece = t.start + i + 1
        if piece < t.end:
            out.append(Token(t.word[piece - t.start:], t.flag, piece, t.end))
    return out


@cache
def _long_words(words: frozenset[str]) -> tuple[str, ...]:
    """Boundary words of two or more characters: a token ending in one ends a name."""
    return tuple(sorted(w for w in words if len(w) >= 2))


class _Context:
    """One sentence, its tokens, and lookups the rules share."""

    def __init__(self, sentence: Sentence, rules: RuleSet):
        self.sentence = sentence
        self.text = sentence.text
        self.tokens = _split_joined(tokens(sentence.text), rules.word_set("JOINER"),
                                    rules.word_set("PLACE_JOINER"))
        self.starts = [t.start for t in self.tokens]
        self.ends = {t.end for t in self.tokens}
        self.boundary = rules.word_set("BOUNDARY")
        self.long_boundary = _long_words(self.boundary)
        self.name_verbs = rules.word_set("NAME_VERBS")
        self.counted = self._counted_tokens()

    def _counted_tokens(self) -> set[int]:
        """Indexes of tokens that are a count (490套, 4 个, 2022年): never in a name."""
        out = set()
        for i, tok in enumerate(self.tokens):
            w = tok.word
            if _COUNT.fullmatch(w) or _FOOTNOTE.search(w):
                out.add(i)
            elif w.isdigit() and i + 1 < len(self.tokens) and self.tokens[i + 1].word[:1] in _MEASURES:
                out.update((i, i + 1))
        return out

    def token_at(self, pos: int) -> int:
        i = bisect_right(self.starts, pos) - 1
        return i if i > 0 else 0

    def is_boundary(self, token: Token, index: int = -1, next_to_suffix: bool = False) -> bool:
        w = token.word
        if index in self.counted:
            return True
        if not any(ch.isalnum() or ch in _NAME_MARKS for ch in w):
            return True            # punctuation, quotes, spaces
        if token.flag in _FUNCTION_FLAGS and len(w) <= 2 and w in self.boundary:
            return True
        if next_to_suffix and w in self.name_verbs:
            # a verb right before 工程/行动 names the works: 增压提升|工程, 专项整治|行动
            return False
        if w in self.boundary or token.flag in _FUNCTION_FLAGS and len(w) <= 2:
            return True
        return len(w) >= 3 and w.endswith(self.long_boundary)

    def extend_left(self, pos: int, limit: int, floor: int = 0, stop: re.Pattern | None = None,
                    suffix_follows: bool = True) -> int:
        """Walk back from `pos` over name-like tokens; return where the name starts.

        `stop` matches a whole token that ends another name of the same kind:
        in 科技企业孵化器西夏墅…服务中心 the walk from 服务中心 stops at 孵化器."""
        start = pos
        i = self.token_at(pos - 1) if pos > 0 else -1
        if i >= 0 and self.tokens[i].start < pos < self.tokens[i].end:
            # the suffix begins inside a token: that token's head is part of the name
            start = self.tokens[i].start
            i -= 1
        while i >= 0:
            tok = self.tokens[i]
            if tok.end > pos:
                i -= 1
                continue
            # a verb right before the suffix, or before such a verb, names the works:
            # 综合治理|攻坚|行动
            verb_slot = suffix_follows and (tok.end == pos or tok.end == start and self.tokens[i + 1].word in self.name_verbs)
            if tok.start < floor or self.is_boundary(tok, i, verb_slot) or pos - tok.start > limit:
                break
            if stop is not None and tok.end < pos and len(tok.word) >= 3 and stop.fullmatch(tok.word):
                break
            if i > 0 and self.tokens[i - 1].word + tok.word in self.boundary:
                break                     # a verb jieba split in two: 打|好 污染防治攻坚战
            start = tok.start
            i -= 1
        return start


    def extend_right(self, pos: int, limit: int) -> int:
        """Walk forward from `pos` over name-like tokens; return where the name ends."""
        end = pos
        i = self.token_at(pos)
        while i < len(self.tokens):
            tok = self.tokens[i]
            if tok.start < pos:
                i += 1
                continue
            if self.is_boundary(tok, i) or tok.end - pos > limit or tok.word in ("等", "和", "及"):
                break
            end = tok.end
            i += 1
        return end


def clean_label(surface: str, type_: str, rules: RuleSet) -> str:
    label = surface if _PHASE.search(surface) else _PAREN_TAIL.sub("", surface)
    label = "".join(ch for ch in label if ch not in _QUOTES).strip()
    if type_ != "Award":
        for level in rules.lexicon("LEVEL"):
            if label.startswith(level) and len(label) > len(level) + 1:
                label = label[len(level):]
                break
    return label


def _mention(ctx: _Context, start: int, end: int, type_: str, rule: Rule, rules: RuleSet,
             label: str | None = None) -> Mention | None:
    surface = ctx.text[start:end]
    label = label if label is not None else clean_label(surface, type_, rules)
    not_names = _not_names(rules)
    if len(label) < 2 or not _HAN_RE.search(label):
        return None
    if label in not_names and rule.result.get("kind") != "lexicon":
        return None                       # a lexicon rule names its words on purpose: 政协
    if rule.result.get("kind") == "suffix" and (label[0] in _LEVEL_CHARS and label[1:] in not_names
                                                or any(label[len(v):] in not_names
                                                       for v in ctx.name_verbs if label.startswith(v))
                                                or type_ in _AREA_HEAD_GENERIC and _AREA_HEAD.sub("", label) in not_names):
        return None                       # 区重点项目, 改建通村公路, X市重大项目: a generic
                                          # noun with a level, a verb or an area in front
    s0 = ctx.sentence.start
    return Mention(surface, label, type_, ctx.sentence.index, s0 + start, s0 + end, rule.id, rule.priority)


def _not_names(rules: RuleSet) -> frozenset[str]:
    return rules.word_set("NOT_NAME")


def _apply_suffix(ctx: _Context, rule: Rule, rules: RuleSet):
    res = rule.result
    min_len, max_len = res.get("min_len", 2), res.get("max_len", 12)
    forbid = set(res.get("forbid_flags", ()))
    for m in rule.matches(ctx.text):
        if m.end() not in ctx.ends and m.end() < len(ctx.text):
            continue                      # the suffix must end a token: 村|民 is not 村
        start = ctx.extend_left(m.start(), max_len - (m.end() - m.start()), stop=rule.pattern,
                                suffix_follows=bool(res.get("verbs_in_name")))
        if start == m.start() and not res.get("bare"):
            continue
        if not (min_len <= m.end() - start <= max_len) and not (res.get("bare") and start == m.start()):
            continue
        if forbid and any(t.flag in forbid for t in ctx.tokens if start <= t.start < m.start()):
            continue                      # a verb inside: 增强|村, 撤乡 are no names
        before = ctx.token_at(start) - 1
        if (before >= 0 and before in ctx.counted and ctx.tokens[before].end == start
                and not ctx.tokens[before].word.endswith(("年", "月", "日"))):
            continue                      # 11个|社区…服务站: what is counted is a kind, not a name
        if (res.get("unquoted") and ctx.text[start - 1:start] == "“" and ctx.text[m.end():m.end() + 1] == "”"
                and re.search(res["unquoted"], m.group(0))):
            continue                      # “四好农村路”: a quoted slogan, not a road
        label = None
        if res.get("strip_suffix"):
            label = clean_label(ctx.text[start:m.start()], rule.result["type"], rules)
        mention = _mention(ctx, start, m.end(), res["type"], rule, rules, label)
        if mention:
            yield mention


def _item_type(item: str, rule: Rule, rules: RuleSet) -> str:
    if rule.result["type"] == "Village" and item.endswith("社区"):
        return "Community"
    return rule.result["type"]


def _apply_enumeration(ctx: _Context, rule: Rule, rules: RuleSet):
    res = rule.result
    separators = re.compile("[" + res.get("separators", "、及") + "]")
    item_pattern = re.compile(res["item_pattern"]) if "item_pattern" in res else None
    for m in rule.matches(ctx.text):
        items_start, items_end = m.span("items")
        parts, pos = [], items_start
        for sep in separators.finditer(ctx.text, items_start, items_end):
            parts.append((pos, sep.start()))
            pos = sep.end()
        parts.append((pos, items_end))
        first_start, first_end = parts[0]
        phase = _PHASE.search(ctx.text, first_start, first_end)
        core_end = phase.start() if phase else first_end
        if not res.get("anchored"):
            # the first item begins after the last boundary word before it: 引进|新湖印染
            parts[0] = (ctx.extend_left(core_end, 14, floor=first_start, suffix_follows=False), first_end)
        if len(parts) == 1 and core_end - parts[0][0] > res.get("single_max", 10):
            continue
        for start, end in parts:
            while start < end and ctx.text[start] in "和与及":
                start += 1
            if end - start < 2 or end - start > res.get("max_len", 16):
                continue
            item = ctx.text[start:end]
            if item_pattern and not item_pattern.search(item):
                continue
            type_ = _item_type(item, rule, rules)
            label = clean_label(item, type_, rules)
            if res.get("distribute"):
                label += m.group("head")
            if type_ == "Industry":
                label = re.sub(r"(产业|行业)$", "", label)
            mention = _mention(ctx, start, end, type_, rule, rules, label)
            if mention:
                yield mention


def _apply_span(ctx: _Context, rule: Rule, rules: RuleSet):
    for m in rule.matches(ctx.text):
        start, end = m.span("name")
        if rule.result.get("forbid_boundary") and any(
                ctx.is_boundary(t, i) for i, t in enumerate(ctx.tokens) if start <= t.start < end):
            continue                      # 加强|跑办 is no name
        mention = _mention(ctx, start, end, rule.result["type"], rule, rules)
        if mention and len(mention.label) <= rule.result.get("max_len", 30):
            yield mention


def _apply_lexicon(ctx: _Context, rule: Rule, rules: RuleSet):
    for m in rule.matches(ctx.text):
        if rule.result.get("whole_tokens") and (m.start() not in ctx.starts or m.end() not in ctx.ends):
            continue                      # 新增|城区 holds no 增城区, 天津港 no 天津
        mention = _mention(ctx, m.start(), m.end(), rule.result["type"], rule, rules, m.group(0))
        if mention:
            yield mention


def _apply_coordination(ctx: _Context, rule: Rule, rules: RuleSet, known: list[Mention]):
    """Siblings in a list share a type: in 南三环、西三环南延, once 西三环南延 is a
    Project (by its suffix), 南三环 is one too."""
    limit = rule.result.get("max_len", 14)
    s0 = ctx.sentence.start
    taken = [(m.start - s0, m.end - s0) for m in known]

    def free(a, b):
        return all(b <= x or y <= a for x, y in taken)

    for m in known:
        if m.type not in rule.result.get("types", ()):
            continue
        a, b = m.start - s0, m.end - s0
        while b < len(ctx.text) and rule.pattern.match(ctx.text, b):     # right siblings
            start = rule.pattern.match(ctx.text, b).end()
            end = ctx.extend_right(start, limit)
            if end - start < 2 or not free(start, end) or ctx.extend_right(start, 2 * limit) != end:
                break                     # cut off by the limit: …成果转移转化|示范区
            found = _mention(ctx, start, end, m.type, rule, rules)
            if found:
                yield found
            b = end
        while a > 0 and rule.pattern.search(ctx.text[max(0, a - 1):a]):  # left siblings
            end = a - 1
            start = ctx.extend_left(end, limit, suffix_follows=False)
            if end - start < 2 or not free(start, end) or ctx.extend_left(end, 2 * limit, suffix_follows=False) != start:
                break
            found = _mention(ctx, start, end, m.type, rule, rules)
            if found:
                yield found
            a = start


_KINDS: dict[str, Callable] = {
    "suffix": _apply_suffix,
    "enumeration": _apply_enumeration,
    "span": _apply_span,
    "lexicon": _apply_lexicon,
}


# A place named inside a title or an event is part of its wording, not a place
# of its own (省级幸福河湖试点, 第六届广场舞大赛); so is an event, slogan or sector
# inside a title (第四届…大赛金奖, 产业集群“领跑者”企业, 现代服务业集聚发展示范区).
_NOTHING_INSIDE = {"Award": {"Place", "Program", "Industry"}, "Program": {"Place"}}


def _swallowed(inner: Mention, outer: Mention) -> bool:
    return inner.type in _NOTHING_INSIDE.get(outer.type, ())


def prefer_specific(mentions: list[Mention]) -> list[Mention]:
    """Overlap policy: of two crossing mentions keep the higher-priority (then
    longer) one; a mention nested inside another of a different type stays
    (梅林村 inside 梅林村居民集聚点), except a place inside a title or event."""
    ordered = sorted(mentions, key=lambda m: (-m.priority, -(m.end - m.start), m.start, m.type))
    kept: list[Mention] = []
    for m in ordered:
        ok = True
        for k in kept:
            if m.end <= k.start or k.end <= m.start:
                continue
            inside = k.start <= m.start and m.end <= k.end
            contains = m.start <= k.start and k.end <= m.end
            if (not (inside or contains) or (m.start, m.end) == (k.start, k.end) or m.type == k.type
                    or (inside and _swallowed(m, k))):
                ok = False
                break
        if ok:
            kept = [k for k in kept if not (m.start <= k.start and k.end <= m.end and _swallowed(k, m))]
            kept.append(m)
    return sorted(kept, key=lambda m: (m.start, m.end, m.type))


def find_mentions(sentences: list[Sentence], policy=prefer_specific) -> list[Mention]:
    rules = load_rules("entities")
    unknown = {r.result.get("kind", "span") for r in rules.rules} - set(_KINDS) - {"coordination"}
    if unknown:
        raise RuleError(f"entities.toml: no such kind of rule: {', '.join(sorted(unknown))}")
    coordinations = [rule for rule in rules.rules if rule.result.get("kind") == "coordination"]
    found: list[Mention] = []
    for sentence in sentences:
        if sentence.part == "header":
            continue
        ctx = _Context(sentence, rules)
        candidates = []
        for rule in rules.applicable(sentence.text):
            apply = _KINDS.get(rule.result.get("kind", "span"))
            if apply is not None:
                candidates.extend(apply(ctx, rule, rules))
        kept = policy(candidates)
        for rule in coordinations:
            kept = policy(kept + list(_apply_coordination(ctx, rule, rules, kept)))
        found.extend(kept)
    return found
