"""Read-only SPARQL over a built graph: named queries, parameters, output.

A *named query* is the file ``ontology/queries/NAME.rq``.  Its first comment
lines describe it::

    # title: Indicators of one year
    # param: year — the year the figures are about
    PREFIX kg: <https://w3id.org/govkg/ontology#>
    SELECT ?metric ?value WHERE { ?i kg:year ?param_year ; ... }

A parameter ``year`` given as ``2022`` is supplied by injecting
``VALUES ?param_year { 2022 }`` as the first thing inside the first
``WHERE {``; text values become ``"…"@zh`` literals, written by rdflib so
that quotes and backslashes cannot break out of the literal.  A parameter
that is not given injects nothing.

    text = resolve_query("indicators", {"year": "2022"})
    result = run_query(graph, text)          # refuses updates and SERVICE
    print(format_result(result, "table"))    # or csv, tsv, json
"""
from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from pathlib import Path
from typing import Mapping

import rdflib
from rdflib import RDFS, BNode, Literal, URIRef, Variable
from rdflib.namespace import XSD
from rdflib.query import Result

import kg
from kg.errors import KgError
from kg.export import KGID, PREFIXES, export, label_of, local_name

#: Where the named queries live (tests monkeypatch this).
QUERIES_DIR = Path(kg.__file__).resolve().parent.parent / "ontology" / "queries"

#: The output formats of ``format_result``.
RESULT_FORMATS = ("table", "csv", "tsv", "json")

_SPARQL_WORDS = re.compile(
    r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE|PREFIX|BASE|INSERT|DELETE|LOAD|CLEAR|DROP|CREATE)\b",
    re.IGNORECASE,
)
_UPDATE_WORDS = {
    "INSERT", "DELETE", "LOAD", "CLEAR", "DROP", "CREATE", "ADD", "MOVE", "COPY", "WITH",
}

# Just enough of the SPARQL lexer to skip IRIs, strings and comments while
# looking for keywords.  Order matters: earlier alternatives win.
_TOKENS = re.compile(
    r"""
      (?P<iri><[^<>"{}|^`\\\s]*>)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n\r]|\\.)*"
               |'(?:[^'\\\n\r]|\\.)*')
    | (?P<comment>\#[^\n\r]*)
    | (?P<var>[?$]\w+)
    | (?P<where>\bWHERE\s*\{)
    | (?P<brace>\{)
    | (?P<pname>(?:[A-Za-z_][\w.-]*)?:[^\s{}()<>;,]*)
    | (?P<word>[A-Za-z_]\w*)
    """,
    re.VERBOSE | re.IGNORECASE | re.DOTALL,
)


# -- named queries -----------------------------------------------------------

def _header(text: str) -> tuple[str, list[tuple[str, str]]]:
    """The title and the (name, description) params of a query's first comments."""
    title, params = "", []
    for line in text.lstrip("\ufeff").splitlines():
        line = line.strip()
        if not line:
            continue
        if not line.startswith("#"):
            break
        body = line.lstrip("#").strip()
        key, sep, value = body.partition(":")
        if not sep:
            continue
        key, value = key.strip().lower(), value.strip()
        if key == "title" and not title:
            title = value
        elif key == "param" and value:
            m = re.match(r"(\w+)\s*(?:[—–-]+|:)?\s*(.*)", value)
            if m:
                params.append((m.group(1), m.group(2).strip()))
    return title, params


def _query_files() -> dict[str, Path]:
    directory = Path(QUERIES_DIR)
    if not directory.is_dir():
        return {}
    return {p.stem: p for p in sorted(directory.glob("*.rq")) if p.is_file()}


def list_queries() -> list[tuple[str, str]]:
    """The named queries as sorted (name, title) pairs."""
    return [
        (name, _header(path.read_text(encoding="utf-8-sig"))[0])
        for name, path in sorted(_query_files().items())
    ]


def _as_rq_file(text: str) -> Path | None:
    if "\n" in text or "\x00" in text or not text.strip().lower().endswith(".rq"):
        return None
    path = Path(text.strip()).expanduser()
    try:
        return path if path.is_file() else None
    except (OSError, ValueError):
        return None


def resolve_query(text_or_file_or_name: str, params: Mapping[str, str] | None = None) -> str:
    """The SPARQL text for a .rq file path, a named query or SPARQL text, with params.

    Raises KgError for an unknown query name or a parameter the query does
    not declare.
    """
    source = text_or_file_or_name
    params = dict(params or {})
    named = _query_files()
    path = _as_rq_file(source)
    if path is not None:
        text = path.read_text(encoding="utf-8-sig")
        what = f"query file {str(path)!r}"
    elif source.strip() in named:
        text = named[source.strip()].read_text(encoding="utf-8-sig")
        what = f"query {source.strip()!r}"
    elif _SPARQL_WORDS.search(source) and re.search(r"\s|\{", source.strip()):
        text = source
        what = "the query"
    else:
        shown = source.strip()
        if shown.lower().endswith(".rq"):
            raise KgError(f"There is no query file {shown!r}.")
        names = ", ".join(sorted(named)) or "(none)"
        raise KgError(f"Unknown query {shown!r}: the named queries are {names}.")
    return _inject(text, params, what) if params else text


def _sparql_value(value: str) -> str:
    """A parameter value as a SPARQL term: a number as is, text as "…"@zh."""
    value = str(value)
    stripped = value.strip()
    if re.fullmatch(r"[+-]?\d+", stripped):
        return str(int(stripped))  # a plain integer literal, e.g. a year
    if re.fullmatch(r"[+-]?\d*\.\d+", stripped):
        return str(Decimal(stripped))  # a plain decimal literal
    return Literal(value, lang="zh").n3()


def _inject(text: str, params: Mapping[str, str], what: str) -> str:
    _, declared = _header(text)
    names = [name for name, _ in declared]
    for name in params:
        if name not in names:
            known = ", ".join(names) if names else "none"
            raise KgError(f"Unknown parameter {name!r} for {what}: its parameters are {known}.")
    lines = []
    for name in names:  # declaration order: deterministic
        if name in params:
            var = f"param_{name}"
            if not re.search(rf"[?$]{var}\b", text) and re.search(rf"[?$]{name}\b", text):
                var = name  # the query uses the bare name: bind that
            lines.append(f"VALUES ?{var} {{ {_sparql_value(params[name])} }}")
    position = _where_position(text)
    if position is None:
        raise KgError(f"Cannot supply parameters to {what}: it has no WHERE {{ … }} clause.")
    block = "\n  " + "\n  ".join(lines) + "\n"
    return text[:position] + block + text[position:]


def _where_position(text: str) -> int | None:
    """The offset just after the first ``WHERE {`` (else the first ``{``)."""
    first_brace = None
    for m in _TOKENS.finditer(text):
        if m.lastgroup == "where":
            return m.end()
        if m.lastgroup == "brace" and first_brace is None:
            first_brace = m.end()
    return first_brace


def _first_keyword(text: str) -> str:
    """The first keyword of the query after its prologue (PREFIX/BASE)."""
    for m in _TOKENS.finditer(text):
        if m.lastgroup == "word":
            word = m.group().upper()
            if word not in ("PREFIX", "BASE"):
                return word
        elif m.lastgroup in ("where", "brace", "var"):
            return m.group().split()[0].upper() if m.lastgroup == "where" else ""
    return ""


# -- running -----------------------------------------------------------------

def _parse_error(error: Exception) -> KgError:
    lineno, col = getattr(error, "lineno", None), getattr(error, "col", None)
    if lineno is None or col is None:
        text = str(error).strip().rstrip(".") or type(error).__name__
        return KgError(f"The query is not valid SPARQL: {text}.")
    message = (getattr(error, "msg", "") or "").strip()
    found = getattr(error, "found", None)
    if found:
        message += f", found {found}"
    elif getattr(error, "loc", 0) >= len(getattr(error, "pstr", "") or ""):
        message += ", found the end of the query"
    return KgError(
        f"The query is not valid SPARQL at line {lineno}, column {col}: {message}."
    )


def _walk(node):
    """Every CompValue in a query's algebra."""
    from rdflib.plugins.sparql.parserutils import CompValue

    stack, seen = [node], set()
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, CompValue):
            yield item
            stack.extend(item.values())
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def _is_ordered(algebra) -> bool:
    """Whether the query fixes its own row order (a top-level ORDER BY)."""
    node = algebra
    while node is not None and getattr(node, "name", None) in (
        "SelectQuery", "Slice", "Distinct", "Reduced", "Project", "ToMultiSet",
    ):
        node = node.get("p")
    return getattr(node, "name", None) == "OrderBy"


def _sort_key(row, variables):
    key = []
    for var in variables:
        term = row.get(var)
        if term is None:
            key.append((0, "", "", ""))
        elif isinstance(term, BNode):
            key.append((1, "", "", ""))  # stable sort keeps their order
        elif isinstance(term, URIRef):
            key.append((2, str(term), "", ""))
        else:
            key.append((3, str(term), str(term.datatype or ""), term.language or ""))
    return key


class QueryRefused(KgError):
    """A query kg will not run: an update, SERVICE, or FROM where it is not allowed."""


def check_query(query: str, allow_dataset: bool = False):
    """Parse a query and refuse what kg never does; return rdflib's prepared query.

    Raises KgError for SPARQL Update, for SERVICE (kg never goes to the
    network), for FROM and FROM NAMED unless ``allow_dataset`` (a store
    answers them from its own named graphs; rdflib would fetch them), and for
    a syntax error (with its line and column). Shared by `kg query` and the
    `kg serve` endpoint.
    """
    from pyparsing import ParseBaseException
    from rdflib.plugins.sparql import prepareQuery
    from rdflib.plugins.sparql.parser import parseUpdate

    if _first_keyword(query) in _UPDATE_WORDS:
        raise QueryRefused("kg only reads: SPARQL Update is refused")
    try:
        prepared = prepareQuery(query, initNs=PREFIXES)
    except ParseBaseException as error:
        try:
            parseUpdate(query)
        except Exception:
            raise _parse_error(error) from None
        raise QueryRefused("kg only reads: SPARQL Update is refused") from None
    except Exception as error:  # e.g. an unknown prefix
        raise _parse_error(error) from None

    for node in _walk(prepared.algebra):
        if node.name == "ServiceGraphPattern":
            raise QueryRefused("kg does not go to the network: SERVICE is refused.")
    if prepared.algebra.get("datasetClause") and not allow_dataset:
        raise QueryRefused("kg queries only the loaded graph: FROM and FROM NAMED are refused.")
    return prepared


def run_query(graph: rdflib.Graph, query: str) -> Result:
    """Run a read-only SPARQL query (see check_query); the result is fully
    evaluated. A SELECT without ORDER BY has its rows sorted, so the same
    graph always gives the same output."""
    prepared = check_query(query)
    try:
        result = graph.query(prepared)
        if result.type == "SELECT":
            rows = list(result.bindings)
            if not _is_ordered(prepared.algebra):
                rows.sort(key=lambda row: _sort_key(row, result.vars or []))
            result.bindings = rows
    except KgError:
        raise
    except Exception as error:
        text = str(error).strip().rstrip(".") or type(error).__name__
        raise KgError(f"The query failed while running: {text}.") from None
    result.kg_graph = graph  # lets format_result show entity labels
    return result


# -- output ------------------------------------------------------------------

def _char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def text_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    return sum(_char_width(ch) for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - text_width(text))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(text: str) -> str:
    """Keep a table cell on one line: control characters are shown escaped."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return _CONTROL.sub(lambda m: named.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


class _CellNamer:
    """Shows terms in a table: entities by label, other IRIs by local name."""

    def __init__(self, graph: rdflib.Graph | None):
        self.graph = graph
        self.labels: dict[URIRef, str] = {}
        self.bnodes: dict[BNode, str] = {}

    def __call__(self, term) -> str:
        if term is None:
            return ""
        if isinstance(term, URIRef):
            if term not in self.labels:
                self.labels[term] = self._label(term)
            return self.labels[term]
        if isinstance(term, BNode):
            return self.bnodes.setdefault(term, f"_:b{len(self.bnodes)}")
        return _one_line(str(term))

    def _label(self, iri: URIRef) -> str:
        if self.graph is not None and str(iri).startswith(str(KGID)):
            return _one_line(label_of(self.graph, iri) or str(iri))
        return _one_line(local_name(iri) or str(iri))


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [text_width(h) for h in header]
    for row in rows:
        widths = [max(w, text_width(c)) for w, c in zip(widths, row)]
    lines = ["  ".join(_pad(c, w) for c, w in zip(header, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(_pad(c, w) for c, w in zip(row, widths)).rstrip())
    count = len(rows)
    lines.append(f"({count} row{'' if count == 1 else 's'})")
    return "\n".join(lines) + "\n"


_TSV_PLAIN = {
    XSD.integer: re.compile(r"[+-]?\d+"),
    XSD.decimal: re.compile(r"[+-]?\d*\.\d+"),
    XSD.double: re.compile(r"[+-]?(\d+\.\d*|\.?\d+)[eE][+-]?\d+"),
    XSD.boolean: re.compile(r"true|false"),
}


def _tsv_term(term, bnodes: dict) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return bnodes.setdefault(term, f"_:b{len(bnodes)}")
    if isinstance(term, URIRef):
        return "<" + re.sub(r"[\x00-\x20<>\"{}|^`\\]", lambda m: f"%{ord(m.group()):02X}", str(term)) + ">"
    lexical = str(term)
    plain = _TSV_PLAIN.get(term.datatype)
    if plain is not None and plain.fullmatch(lexical):
        return lexical
    escaped = (
        lexical.replace("\\", "\\\\").replace('"', '\\"')
        .replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    )
    if term.language:
        return f'"{escaped}"@{term.language}'
    if term.datatype and term.datatype != XSD.string:
        return f'"{escaped}"^^<{term.datatype}>'
    return f'"{escaped}"'


def _results_json(result: Result) -> str:
    """SPARQL 1.1 Query Results JSON, by rdflib, with "head" first."""
    import json

    doc = json.loads(result.serialize(format="json", encoding="utf-8"))
    ordered = {"head": doc.pop("head", {}), **doc}
    return json.dumps(ordered, ensure_ascii=False) + "\n"


def format_result(result: Result, fmt: str, graph: rdflib.Graph | None = None) -> str:
    """The result as ``table``, ``csv``, ``tsv`` or ``json`` text.

    ``json`` is SPARQL 1.1 Query Results JSON and ``csv``/``tsv`` the SPARQL
    1.1 CSV/TSV formats.  ``table`` is an aligned text table of the rows
    (entities shown by label, other IRIs by local name, literals by lexical
    form) ending in ``(N rows)``; an ASK result is ``true`` or ``false``; a
    CONSTRUCT/DESCRIBE result is Turtle, in ``table`` only.  ``graph``
    (default: the graph ``run_query`` ran on) is where labels are looked up.
    """
    fmt = fmt.strip().lower()
    if fmt not in RESULT_FORMATS:
        raise KgError(
            f"Unknown result format {fmt!r}: choose one of {', '.join(RESULT_FORMATS)}."
        )
    if graph is None:
        graph = getattr(result, "kg_graph", None)

    if result.type in ("CONSTRUCT", "DESCRIBE"):
        if fmt != "table":
            raise KgError(
                f"A {result.type} query gives a graph, not rows: use the table format "
                f"to see it as Turtle, or kg export for other RDF formats."
            )
        return export(result.graph, "ttl").decode("utf-8")

    if result.type == "ASK":
        answer = "true" if result.askAnswer else "false"
        if fmt == "json":
            return _results_json(result)
        return answer + "\n"

    variables = [str(v) for v in (result.vars or [])]
    rows = list(result.bindings)
    if fmt == "json":
        return _results_json(result)
    if fmt == "csv":
        return result.serialize(format="csv", encoding="utf-8").decode("utf-8")
    if fmt == "tsv":
        bnodes: dict = {}
        lines = ["\t".join(f"?{v}" for v in variables)]
        for row in rows:
            lines.append("\t".join(_tsv_term(row.get(Variable(v)), bnodes) for v in variables))
        return "\n".join(lines) + "\n"
    namer = _CellNamer(graph)
    cells = [[namer(row.get(Variable(v))) for v in variables] for row in rows]
    return _table(variables, cells)
