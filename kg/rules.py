"""The rule engine: reads rule files, knows no rules.

A rule file (``kg/rules/*.toml``) is data, in the spirit of CoreNLP's
TokensRegex files: a header of shared lexicons, then the rules.

    [lexicon]
    # named word lists; a pattern refers to one as {NAME}
    VILLAGE_SUFFIX = ["村", "社区"]

    [[rule]]
    id = "ent.suffix.village"      # unique; recorded on every fact the rule makes
    pattern = '(?P<name>\\p{Han}{2,6}){VILLAGE_SUFFIX}'   # a Python regex
    priority = 10                  # higher wins when two rules overlap
    active = true                  # false keeps a rule on file, switched off
    example = "深化东南李家村美丽乡村建设"   # a sentence the pattern must match
    # any other keys are the rule's result fields (type = "Village", ...)

Fields: ``id``, ``pattern`` and ``example`` are required. ``{NAME}`` in a
pattern expands to a regex alternation of the lexicon NAME, longest first,
so ``{VILLAGE_SUFFIX}`` becomes ``(?:社区|村)``. ``\\p{Han}`` expands to the
CJK ideograph range (Python's ``re`` has no Unicode property classes).
A lexicon entry may itself be a file: ``NAME = "@lexicon/file.txt"`` reads entries
separated by spaces or lines (``#`` starts a comment), so long lists stay readable;
``NAME = "@py:module:function"`` takes the list from a maintained data source
(kg's gazetteer of administrative divisions).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache, cached_property
from pathlib import Path
from typing import Any

RULES_DIR = Path(__file__).resolve().parent / "rules"
HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_MACRO = re.compile(r"\{([A-Z][A-Z0-9_]*)\}")
_RESERVED = {"id", "pattern", "priority", "active", "example"}


class RuleError(ValueError):
    """A rule file is malformed; the message names the file and the rule."""


@dataclass(frozen=True)
class Rule:
    id: str
    written: str                   # the pattern as the rule file gives it, {LEXICON}s and all
    priority: int
    example: str
    result: dict[str, Any] = field(default_factory=dict)
    #: characters one of which every match holds (None: no such set is known)
    needs: frozenset[str] | None = field(default=None, compare=False, repr=False)
    #: a faster finder of the same matches, for a pattern made only of lexicons
    words: _WordFinder | None = field(default=None, compare=False, repr=False)
    lexicons: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)
    compiled: re.Pattern | None = field(default=None, compare=False, repr=False)

    @cached_property
    def pattern(self) -> re.Pattern:
        """The compiled regex. A lexicon-only pattern's (the gazetteer's: a
        tenth of a second to expand and compile) is made only if asked for:
        its words finder does the matching."""
        if self.compiled is not None:
            return self.compiled
        return re.compile(expand(self.written, self.lexicons, self.id))

    def finditer(self, text: str):
        """The pattern's matches; a sentence without any of the characters a
        match needs is not searched (Python's re tries a pattern at every
        position, and most rules match few sentences)."""
        if self.needs is not None and self.needs.isdisjoint(text):
            return iter(())
        return self.matches(text)

    def matches(self, text: str):
        """The pattern's matches, looked for whatever the text (for a text
        ``RuleSet.applicable`` already chose this rule for)."""
        if self.words is not None:
            return self.words.finditer(text)
        return self.pattern.finditer(text)


@dataclass(frozen=True)
class RuleSet:
    name: str
    lexicons: dict[str, tuple[str, ...]]
    rules: tuple[Rule, ...]
    _sets: dict = field(default_factory=dict, compare=False, repr=False)    # word_set's, made on first use
    _index: list = field(default_factory=list, compare=False, repr=False)   # applicable's, made on first use

    def lexicon(self, name: str) -> tuple[str, ...]:
        return self.lexicons[name]

    def applicable(self, text: str) -> list[Rule]:
        """The rules, in order, less those that cannot match ``text``: a rule
        whose every match needs one of a few characters the text lacks. (One
        look-up per character of the text, not one test per rule.)"""
        if not self._index:
            always, by_char = 0, {}
            for bit, rule in enumerate(self.rules):
                if rule.needs is None:
                    always |= 1 << bit
                for ch in rule.needs or ():
                    by_char[ch] = by_char.get(ch, 0) | 1 << bit
            self._index.extend((always, by_char))
        mask, by_char = self._index
        for ch in set(text):
            mask |= by_char.get(ch, 0)
        return [rule for bit, rule in enumerate(self.rules) if mask >> bit & 1]

    def word_set(self, name: str) -> frozenset[str]:
        """A lexicon as a set, made once (the engines test words against it per sentence)."""
        found = self._sets.get(name)
        if found is None:
            found = self._sets[name] = frozenset(self.lexicons[name])
        return found


def required_chars(pattern: str) -> frozenset[str] | None:
    """Characters one of which every match of ``pattern`` (a regex) contains,
    read off its parse: an element the match cannot skip (a literal, a small
    class, a group or alternation of such, a repeat of at least one) gives
    one; of several, the smallest set. None when no element qualifies."""
    try:
        from re import _parser
        parsed = _parser.parse(pattern)
        if parsed.state.flags & re.IGNORECASE:
            return None
        return _required_in(list(parsed))
    except Exception:          # a private module; without it, no shortcut
        return None


def _stand_in(words: tuple[str, ...]) -> str:
    """What a lexicon's alternation needs, as one class: the first characters
    of its words (the alternation, a trie of thousands of branches, gives
    ``required_chars`` just these, and takes a long time to parse)."""
    firsts = sorted({w[0] for w in words if w})
    if not firsts:
        return "(?!)" if not words else "(?:)"
    return "(?:[" + "".join(map(re.escape, firsts)) + "])" + ("?" if "" in words else "")


def _required_in(sequence) -> frozenset[str] | None:
    from re import _constants as c
    best = None
    for op, arg in sequence:
        found = None
        if op is c.LITERAL:
            found = frozenset(chr(arg))
        elif op is c.IN and all(kind is c.LITERAL for kind, _ in arg):
            found = frozenset(chr(v) for _, v in arg)
        elif op is c.SUBPATTERN and not arg[1] & re.IGNORECASE:     # (?i:…) folds case
            found = _required_in(arg[-1])
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[0] >= 1:
            found = _required_in(arg[2])
        elif op is c.BRANCH:
            parts = [_required_in(branch) for branch in arg[1]]
            found = None if None in parts else frozenset().union(*parts)
        if found is not None and (best is None or len(found) < len(best)):
            best = found
    return best


class _Found:
    """The parts of an ``re.Match`` the engine reads, for a word found by _WordFinder."""
    __slots__ = ("string", "_start", "_end")

    def __init__(self, string: str, start: int, end: int):
        self.string, self._start, self._end = string, start, end

    def start(self, group=0) -> int:
        return self._start

    def end(self, group=0) -> int:
        return self._end

    def span(self, group=0) -> tuple[int, int]:
        return self._start, self._end

    def group(self, group=0) -> str:
        return self.string[self._start:self._end]


class _WordFinder:
    """finditer for a pattern made only of lexicons, ``{A}|{B}``, by set
    look-ups: the gazetteer's few thousand names as one regex cost a third of
    all extraction time (re tries every branch at every position). It finds
    what the regex finds: from left to right, at the first position where a
    word starts, the longest word of the first lexicon that has one there."""

    def __init__(self, lexicons: list[tuple[str, ...]]):
        self.lexicons = []
        for words in lexicons:
            words = frozenset(w for w in words if w)
            lengths: dict[str, set[int]] = {}
            for w in words:
                lengths.setdefault(w[0], set()).add(len(w))
            self.lexicons.append((words, {ch: sorted(n, reverse=True) for ch, n in lengths.items()}))
        firsts = sorted({ch for _, lengths in self.lexicons for ch in lengths})
        self.first = re.compile("[" + "".join(map(re.escape, firsts)) + "]" if firsts else "(?!)")

    def finditer(self, text: str):
        after, size = 0, len(text)
        for m in self.first.finditer(text):
            i = m.start()
            if i < after:
                continue
            ch = text[i]
            for words, lengths in self.lexicons:
                for n in lengths.get(ch, ()):
                    if i + n <= size and text[i:i + n] in words:
                        after = i + n
                        break
                if after > i:
                    yield _Found(text, i, after)
                    break


_LEXICONS_ONLY = re.compile(r"\{[A-Z][A-Z0-9_]*\}(?:\|\{[A-Z][A-Z0-9_]*\})*")


def read_lexicon_file(path: Path) -> tuple[str, ...]:
    """Entries separated by spaces or lines; ``#`` starts a comment."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        entries.extend(line.split("#", 1)[0].split())
    return tuple(entries)


def _provided(spec: str, where: str) -> tuple[str, ...]:
    """A lexicon computed from a maintained data source: "@py:module:function"."""
    import importlib
    module, _, function = spec.partition(":")
    try:
        return tuple(getattr(importlib.import_module(module), function)())
    except (ImportError, AttributeError) as err:
        raise RuleError(f"{where}: cannot load {spec} ({err})") from None


def alternation(words: tuple[str, ...] | list[str]) -> str:
    """A pattern matching any of the words, longest first, as a trie:
    河北|河北省|河南 becomes 河(?:北(?:省)?|南). Python's re tries a flat
    alternation's branches one by one at every position (thousands, for the
    gazetteer); the trie follows one path. The words that match at a position
    are prefixes of one another, so they lie on one path of the trie, and
    children before the end of a word keeps the longest first, as before."""
    trie: dict = {}
    for word in set(words):
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}
    return "(?:" + _trie_pattern(trie) + ")" if trie else "(?!)"


def _trie_pattern(node: dict) -> str:
    branches = [re.escape(ch) + _trie_pattern(child) for ch, child in sorted(node.items()) if ch]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if "" in node:
        return f"(?:{body})?"
    return body


def _words(lexicons: dict[str, tuple[str, ...]], name: str, where: str) -> tuple[str, ...]:
    if name not in lexicons:
        raise RuleError(f"{where}: unknown lexicon {{{name}}}")
    return lexicons[name]


def expand(pattern: str, lexicons: dict[str, tuple[str, ...]], where: str, lexicon=alternation) -> str:
    """The pattern as a Python regex: each {NAME} as ``lexicon(words)``, \\p{Han} as a class."""
    expanded = _MACRO.sub(lambda m: lexicon(_words(lexicons, m.group(1), where)), pattern)
    # inside a character class \p{Han} is a range; elsewhere it becomes a class
    expanded = expanded.replace(r"[^\p{Han}", f"[^{HAN}").replace(r"[\p{Han}", f"[{HAN}")
    return expanded.replace(r"\p{Han}", f"[{HAN}]")


@cache
def load_rules(name: str) -> RuleSet:
    """Load ``kg/rules/NAME.toml``; every rule's example must match its pattern."""
    path = RULES_DIR / f"{name}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise RuleError(f"{path.name}: {err}") from None
    lexicons: dict[str, tuple[str, ...]] = {}
    for key, value in data.get("lexicon", {}).items():
        if isinstance(value, str) and value.startswith("@py:"):
            lexicons[key] = _provided(value[4:], f"{path.name} lexicon {key}")
        elif isinstance(value, str) and value.startswith("@"):
            lexicons[key] = read_lexicon_file(RULES_DIR / value[1:])
        else:
            lexicons[key] = tuple(value)
    rules, seen = [], set()
    for raw in data.get("rule", []):
        rule_id = raw.get("id")
        where = f"{path.name} rule {rule_id!r}"
        if not rule_id or "pattern" not in raw or "example" not in raw:
            raise RuleError(f"{where}: id, pattern and example are required")
        if rule_id in seen:
            raise RuleError(f"{where}: duplicate id")
        seen.add(rule_id)
        if not raw.get("active", True):
            continue
        written, compiled, needs = raw["pattern"], None, None
        if _LEXICONS_ONLY.fullmatch(written):
            words = _WordFinder([_words(lexicons, name, where) for name in _MACRO.findall(written)])
            found = any(words.finditer(raw["example"]))
        else:
            words = None
            try:
                compiled = re.compile(expand(written, lexicons, where))
            except re.error as err:
                raise RuleError(f"{where}: bad pattern: {err}") from None
            found = compiled.search(raw["example"])
            needs = required_chars(expand(written, lexicons, where, lexicon=_stand_in))
        if not found:
            raise RuleError(f"{where}: pattern does not match its example")
        result = {k: v for k, v in raw.items() if k not in _RESERVED}
        rules.append(Rule(rule_id, written, int(raw.get("priority", 0)), raw["example"], result,
                          needs, words, lexicons, compiled))
    rules.sort(key=lambda r: (-r.priority, r.id))
    return RuleSet(name, lexicons, tuple(rules))
