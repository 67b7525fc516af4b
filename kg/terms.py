"""rdflib terms <-> pyoxigraph terms.

kg's code speaks rdflib (its namespaces, its Graph API); the store and the
fast serialisers are pyoxigraph. Callers convert many repeated terms, so each
keeps its own cache (see ``Converter``, ``ToRdflib``).
"""
from __future__ import annotations

import pyoxigraph as ox
from rdflib import Literal, URIRef
from rdflib.namespace import XSD

from .errors import KgError

_XSD_STRING = str(XSD.string)
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


class Converter:
    """Both conversions, each term converted once (rdflib's: see ToRdflib)."""

    def __init__(self):
        self._ox: dict = {}
        self.rdflib = ToRdflib(decimal_points=True)

    def ox(self, t):
        if t is None:
            return None
        if type(t) is Literal:
            return to_oxigraph(t)         # mostly met once (a sentence, an offset); hashing one costs more
        found = self._ox.get(t)
        if found is None:
            found = self._ox[t] = to_oxigraph(t)
        return found


class ToRdflib:
    """pyoxigraph terms as rdflib terms, each converted once; lexical forms
    are kept as the store gives them (as its SPARQL results would), except,
    with ``decimal_points``, a decimal the store keeps as 138 is given as kg
    writes it, 138.0.

    rdflib's Literal() checks and casts its value, several microseconds a
    literal: a string (which has nothing to cast) and an integer or decimal
    already in the form rdflib would give it are made directly, once a probe
    shows that this makes the same Literal as Literal() does."""

    def __init__(self, decimal_points: bool = False):
        from rdflib import BNode
        self.ox, self.BNode, self.decimal_points = ox, BNode, decimal_points
        self.cache: dict = {}
        self.fast: dict = {}                  # language or datatype -> the probe passed
        self.datatypes: dict = {}             # datatype IRI -> its URIRef

    def __call__(self, t):
        if t is None:
            return None
        found = self.cache.get(t)
        if found is None:
            ox = self.ox
            if isinstance(t, ox.NamedNode):
                found = self._iri(t.value)
            elif isinstance(t, ox.Literal):
                if t.language:
                    found = self._string(t.value, t.language)
                elif t.datatype.value == _XSD_STRING:
                    found = self._string(t.value, None)
                else:
                    value, datatype = t.value, t.datatype.value
                    if self.decimal_points and datatype == _XSD_DECIMAL and "." not in value:
                        value += ".0"
                    found = self._typed(value, datatype)
            elif isinstance(t, ox.BlankNode):
                found = self.BNode(t.value)
            else:
                raise KgError(f"The answer holds a term kg cannot show: {t}.")
            self.cache[t] = found
        return found

    def _iri(self, value: str):
        ok = self.fast.get("<>")
        if ok is None:
            ok = self.fast["<>"] = _same_iri(_made_iri("https://w3id.org/govkg/id/probe"),
                                             URIRef("https://w3id.org/govkg/id/probe"))
        return _made_iri(value) if ok else URIRef(value)    # the store's IRIs are valid ones

    def _string(self, value: str, language):
        ok = self.fast.get(language)
        if ok is None:
            ok = self.fast[language] = _same(_made_string("probe", language), Literal("probe", lang=language))
        return _made_string(value, language) if ok else Literal(value, lang=language)

    def _typed(self, value: str, datatype: str):
        iri = self.datatypes.get(datatype)
        if iri is None:
            iri = self.datatypes[datatype] = URIRef(datatype)
        cast = _NUMBERS.get(datatype)
        if cast is None:
            return Literal(value, datatype=iri)
        ok = self.fast.get(datatype)
        if ok is None:
            ok = self.fast[datatype] = all(_same(_made_number(p, iri, cast(p)), Literal(p, datatype=iri))
                                           for p in _PROBES[datatype])
        if ok:
            try:
                number = cast(value)
            except (ValueError, ArithmeticError):
                number = None
            if number is not None and _canonical(number) == value:
                return _made_number(value, iri, number)
        return Literal(value, datatype=iri)


def _made_iri(value: str) -> URIRef:
    return str.__new__(URIRef, value)


def _same_iri(a, b) -> bool:
    try:
        return type(a) is type(b) and a == b and hash(a) == hash(b) and a.n3() == b.n3() and vars(a) == vars(b)
    except TypeError:                         # no __dict__: nothing else to compare
        return type(a) is type(b) and a == b and hash(a) == hash(b) and a.n3() == b.n3()


def _made_string(value: str, language) -> Literal:
    term = str.__new__(Literal, value)
    term._language, term._datatype, term._value, term._ill_typed = language, None, value, None
    return term


def _made_number(value: str, datatype: URIRef, number) -> Literal:
    term = str.__new__(Literal, value)
    term._language, term._datatype, term._value, term._ill_typed = None, datatype, number, False
    return term


def _canonical(number) -> str | None:
    """The lexical form rdflib gives an int or a finite Decimal."""
    if isinstance(number, int):
        return str(number)
    return format(number, "f") if number.is_finite() else None


def _same(a, b) -> bool:
    try:
        return (type(a) is type(b) and a == b and hash(a) == hash(b) and a.language == b.language
                and a.datatype == b.datatype and a.value == b.value and a.ill_typed == b.ill_typed
                and a.n3() == b.n3())
    except Exception:
        return False


def _decimal(value: str):
    from decimal import Decimal
    return Decimal(value)


_XSD_INTEGER = "http://www.w3.org/2001/XMLSchema#integer"
_XSD_DECIMAL = "http://www.w3.org/2001/XMLSchema#decimal"
_NUMBERS = {_XSD_INTEGER: int, _XSD_DECIMAL: _decimal}
_PROBES = {_XSD_INTEGER: ("0", "-5", "388"), _XSD_DECIMAL: ("11.3", "138", "-0.5", "0.05")}
