"""Deterministic, readable IRIs (the scheme is documented in ontology/README.md).

Entities: kgid:{area path}/{Type}/{label}; areas by their full path. Names stay
readable Unicode; only characters an IRI path segment may not carry are
percent-encoded (as UTF-8), so two reports of the same place share nodes and
nothing depends on counters, hash seeds or time.
"""
from __future__ import annotations

import hashlib
import re

from rdflib import URIRef

from .namespace import KGID

_UNSAFE = set(' /?#[]@%"<>\\^`{|}')


def _allowed(cp: int) -> bool:
    """May the code point stand unencoded in an IRI path (RFC 3987's iunreserved)?
    Not: controls, surrogates, private use, noncharacters, U+FFF0–FFFF (U+FFFD,
    the replacement character a broken encoding leaves, among them)."""
    if cp < 0xA0:
        return 0x21 <= cp < 0x7F
    if 0xD800 <= cp <= 0xF8FF or 0xFDD0 <= cp <= 0xFDEF or 0xFFF0 <= cp <= 0xFFFF:
        return False
    return cp < 0xE0000 and (cp & 0xFFFE) != 0xFFFE


def _encoded_class() -> re.Pattern:
    """A character class of what ``segment`` encodes, built from ``_allowed``'s
    ranges: most labels hold none of it and are returned as they are."""
    ranges = [(0, 0x20), (0x7F, 0x9F), (0xD800, 0xF8FF), (0xFDD0, 0xFDEF), (0xFFF0, 0xFFFF),
              (0xE0000, 0x10FFFF)] + [(plane + 0xFFFE, plane + 0xFFFF) for plane in range(0x10000, 0xE0000, 0x10000)]
    singles = "".join(re.escape(ch) for ch in sorted(_UNSAFE | set("\u2028\u2029\ufeff")))
    return re.compile("[" + singles + "".join(f"{chr(a)}-{chr(b)}" for a, b in ranges) + "]")


def segment(text: str) -> str:
    if not _ENCODED.search(text):
        return text
    out = []
    for ch in text:
        if ch in _UNSAFE or not _allowed(ord(ch)) or ch in "\u2028\u2029\ufeff":
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


_ENCODED = _encoded_class()


def path_iri(*parts: str) -> URIRef:
    return URIRef(str(KGID) + "/".join(segment(p) for p in parts))


def area_iri(path: tuple[str, ...]) -> URIRef:
    return path_iri(*path)


def entity_iri(area_path: tuple[str, ...], type_: str, label: str) -> URIRef:
    return path_iri(*area_path, type_, label)


def document_iri(doc_id: str) -> URIRef:
    return path_iri("doc", doc_id)


def span_iri(doc_id: str, begin: int, end: int) -> URIRef:
    """A sentence or mention, by NIF's offset-based fragment (RFC 5147 style)."""
    return URIRef(f"{document_iri(doc_id)}#char={begin},{end}")


def statement_iri(doc_id: str, subject: URIRef, predicate: URIRef, obj: URIRef) -> URIRef:
    digest = hashlib.sha1(f"{subject}|{predicate}|{obj}".encode("utf-8")).hexdigest()[:16]
    return path_iri("doc", doc_id, "statement", digest)


def indicator_iri(doc_id: str, *key: str) -> URIRef:
    return path_iri("doc", doc_id, "indicator", *key)
