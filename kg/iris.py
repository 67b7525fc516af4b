"""Deterministic, readable IRIs (the scheme is documented in ontology/README.md).

Entities: kgid:{area path}/{Type}/{label}; areas by their full path. Names stay
readable Unicode; only characters an IRI path segment may not carry are
percent-encoded (as UTF-8), so two reports of the same place share nodes and
nothing depends on counters, hash seeds or time.
"""
from __future__ import annotations

import hashlib

from rdflib import URIRef

from .namespace import KGID

_UNSAFE = set(' /?#[]@%"<>\\^`{|}')


def segment(text: str) -> str:
    out = []
    for ch in text:
        if ch in _UNSAFE or ord(ch) < 0x21 or 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029\ufeff":
            out.extend(f"%{b:02X}" for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


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
