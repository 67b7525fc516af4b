"""The two extractors a newcomer would try first, scored beside kg by `kg eval`.

They show what the rules add: jieba's own name tags, and a bare suffix regex.
"""
from __future__ import annotations

import re

# jieba.posseg's name tags and the entity type a newcomer would read them as
POSSEG_TYPES = {"nt": "Institution", "ns": "AdministrativeArea", "nr": "Person"}

# 2–10 Han characters ending in a telling suffix, and the type it suggests
SUFFIX_TYPES = {
    "社区": "Community", "村": "Village", "有限公司": "Enterprise", "公司": "Enterprise",
    "项目": "Project", "工程": "Project", "路": "Place", "河": "Place", "桥": "Place",
    "镇": "AdministrativeArea", "县": "AdministrativeArea", "区": "AdministrativeArea",
    "学校": "Institution", "中学": "Institution", "小学": "Institution", "医院": "Institution",
    "产业": "Industry", "行动": "Program", "计划": "Program",
}
_SUFFIX = re.compile("[\u4e00-\u9fff]{1,8}?(" + "|".join(sorted(map(re.escape, SUFFIX_TYPES), key=len, reverse=True)) + ")")


def posseg_entities(text: str) -> list[tuple[str, str]]:
    """jieba's default dictionary and tags, as they come (a fresh tokenizer:
    kg's own vocabulary must not help the baseline)."""
    import logging
    import jieba
    import jieba.posseg
    jieba.setLogLevel(logging.WARNING)
    tagger = jieba.posseg.POSTokenizer(jieba.Tokenizer())
    return [(p.word, POSSEG_TYPES[p.flag]) for p in tagger.cut(text) if p.flag in POSSEG_TYPES and len(p.word) >= 2]


def suffix_entities(text: str) -> list[tuple[str, str]]:
    return [(m.group(0), SUFFIX_TYPES[m.group(1)]) for m in _SUFFIX.finditer(text)]


def baseline_scores(gold: dict, text: str) -> dict:
    from .evaluate import score_labels
    return {"jieba.posseg name tags": score_labels(gold, posseg_entities(text)),
            "suffix regex": score_labels(gold, suffix_entities(text))}
