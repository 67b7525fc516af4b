"""The pipeline: one small stage after another, each a plain function.

    read_document -> read_header + split_sentences -> find_mentions ->
    resolve -> find_relations, extract_indicators -> add_extraction (RDF)
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from . import gazetteer
from .entities import find_mentions
from .model import Extraction
from .reader import read_document
from .relations import find_relations
from .resolve import header_mentions, resolve
from .structure import read_header, split_sentences


def extract(path: str | Path) -> Extraction:
    """Everything kg finds in one report."""
    from .indicators import extract_indicators

    document = read_document(path)
    info = read_header(document)
    sentences = split_sentences(document, info)
    mentions = header_mentions(info, sentences) + find_mentions(sentences)
    entities = resolve(mentions)
    area = ("AdministrativeArea", info.area_chain[-1]) if info.area_chain else None
    area_path = gazetteer.full_path(info.area_chain) if info.area_chain else (document.doc_id,)
    relations = find_relations(sentences, entities, info, area, area_path)
    by_sentence = defaultdict(list)
    for e in entities:
        for m in e.mentions:
            by_sentence[m.sentence].append(m)
    indicators = extract_indicators(sentences, area, dict(by_sentence)) if area else []
    indicators = [_resolved_subject(i, entities, area) for i in indicators]
    return Extraction(document, info, sentences, area_path, entities, relations, indicators)


def _resolved_subject(indicator, entities, area):
    """The entity an indicator's subject mention resolved to: resolution may have
    given the name another type, or made it an alias of a fuller name."""
    from dataclasses import replace
    keys = {e.key for e in entities}
    if indicator.subject in keys:
        return indicator
    label = indicator.subject[1]
    for e in entities:
        if e.label == label or label in e.aliases:
            return replace(indicator, subject=e.key)
    return replace(indicator, subject=area)
