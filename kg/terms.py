"""rdflib terms <-> pyoxigraph terms.

kg's code speaks rdflib (its namespaces, its Graph API); the store and the
fast serialisers are pyoxigraph. Callers convert many repeated terms, so each
keeps its own cache (see ``Converter``).
"""
from __future__ import annotations

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from .errors import KgError

_XSD_STRING = str(XSD.string)
_XSD_DECIMAL = str(XSD.decimal)


_DATATYPES: dict = {}          # rdflib datatype IRI -> oxigraph's


def to_oxigraph(t) -> ox.NamedNode | ox.Literal:
    if isinstance(t, Literal):
        if t.language:
            return ox.Literal(str(t), language=t.language)
        if t.datatype is not None:
            datatype = _DATATYPES.get(t.datatype)
            if datatype is None:
                datatype = _DATATYPES[t.datatype] = ox.NamedNode(str(t.datatype))
            return ox.Literal(str(t), datatype=datatype)
        return ox.Literal(str(t))
    return ox.NamedNode(str(t))


def to_rdflib(t) -> URIRef | Literal:
    """Oxigraph keeps a decimal's value (138); kg writes it with its point (138.0)."""
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.Literal):
        value, datatype = t.value, t.datatype.value
        if t.language:
            return Literal(value, lang=t.language)
        if datatype == _XSD_STRING:
            return Literal(value)
        if datatype == _XSD_DECIMAL and "." not in value:
            value += ".0"
        return Literal(value, datatype=URIRef(datatype))
    raise KgError(f"The store holds a blank node or triple term kg never writes: {t}.")


class Converter:
    """Both conversions, each term converted once."""

    def __init__(self):
        self._ox: dict = {}
        self._rdflib: dict = {}

    def ox(self, t):
        if t is None:
            return None
        if type(t) is Literal:
            return to_oxigraph(t)         # mostly met once (a sentence, an offset); hashing one costs more
        found = self._ox.get(t)
        if found is None:
            found = self._ox[t] = to_oxigraph(t)
        return found

    def rdflib(self, t):
        found = self._rdflib.get(t)
        if found is None:
            found = self._rdflib[t] = to_rdflib(t)
        return found
