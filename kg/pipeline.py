"""The pipeline: one small stage after another, each a plain function.

    read_document -> read_header + split_sentences -> find_mentions ->
    resolve -> find_relations, extract_indicators -> add_extraction (RDF)
"""
from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

from . import gazetteer
from .entities import find_mentions
from .model import Extraction
from .reader import read_document
from .relations import find_relations
from .resolve import header_mentions, resolve
from .structure import read_header, split_sentences


#: Longer documents are extracted in parts of about this many characters, so
#: that memory stays bounded whatever the file's size (a report is some 10–40k).
PART_CHARS = 300_000


def extract(path: str | Path) -> Extraction:
    """Everything kg finds in one report, read as one part whatever its length."""
    return next(extract_parts(path, part_chars=sys.maxsize))


def extract_parts(path: str | Path, part_chars: int | None = None):
    """The extraction of one report, in parts of about ``part_chars`` characters
    cut between sentences: one part for any real report; a huge file yields
    part after part, each resolved on its own (names are IRIs, so the parts'
    entities meet again in the graph)."""
    part_chars = part_chars or PART_CHARS
    document = read_document(path)
    info = read_header(document)
    sentences = split_sentences(document, info)
    part, size, first = [], 0, True
    for sentence in sentences:
        part.append(sentence)
        size += len(sentence.text)
        if size >= part_chars:
            yield _extract_part(document, info, sentences, part, first)
            part, size, first = [], 0, False
    if part or first:
        yield _extract_part(document, info, sentences, part, first)


def _extract_part(document, info, sentences, part, first: bool) -> Extraction:
    """``part``: the sentences to read; ``sentences``: all of the document's (by index)."""
    from .indicators import extract_indicators

    mentions = (header_mentions(info, part) if first else []) + find_mentions(part)
    entities = resolve(mentions)
    area = ("AdministrativeArea", info.area_chain[-1]) if info.area_chain else None
    area_path = gazetteer.full_path(info.area_chain) if info.area_chain else (document.doc_id,)
    relations = find_relations(part, entities, info, area, area_path)
    by_sentence = defaultdict(list)
    for e in entities:
        for m in e.mentions:
            by_sentence[m.sentence].append(m)
    indicators = extract_indicators(part, area, dict(by_sentence)) if area else []
    if indicators:
        keys = {e.key for e in entities}
        by_name = {}
        for e in entities:
            for name in (e.label, *sorted(e.aliases)):
                by_name.setdefault(name, e.key)
        indicators = [_resolved_subject(i, keys, by_name, area) for i in indicators]
    return Extraction(document, info, sentences, area_path, entities, relations, indicators)


def _resolved_subject(indicator, keys, by_name, area):
    """The entity an indicator's subject mention resolved to: resolution may have
    given the name another type, or made it an alias of a fuller name."""
    from dataclasses import replace
    if indicator.subject in keys:
        return indicator
    return replace(indicator, subject=by_name.get(indicator.subject[1], area))
