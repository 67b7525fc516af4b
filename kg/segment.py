"""jieba, loaded once and lazily, with kg's domain vocabulary.

Like jieba's own ``initialize()``: nothing is loaded at import; the first call
to :func:`tokens` builds the segmenter, adds ``rules/userdict.txt`` and keeps
jieba's dictionary cache in a per-user folder so later runs start fast.
"""
from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from .rules import RULES_DIR

_lock = threading.Lock()
_posseg = None


@dataclass(frozen=True)
class Token:
    word: str
    flag: str
    start: int   # offset in the sentence
    end: int


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = Path(base) / "kg"
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        import tempfile
        path = Path(tempfile.gettempdir())
    return path


def initialize():
    global _posseg
    with _lock:
        if _posseg is None:
            import logging
            import jieba
            import jieba.posseg
            jieba.setLogLevel(logging.WARNING)
            jieba.dt.tmp_dir = str(_cache_dir())
            jieba.dt.initialize()
            jieba.load_userdict(str(RULES_DIR / "userdict.txt"))
            _posseg = jieba.posseg.dt
    return _posseg


def tokens(text: str) -> list[Token]:
    """Segment and tag one sentence; offsets are relative to the sentence."""
    posseg = initialize()
    out, pos = [], 0
    for pair in posseg.cut(text):
        word, flag = pair.word, pair.flag
        out.append(Token(word, flag, pos, pos + len(word)))
        pos += len(word)
    return out
