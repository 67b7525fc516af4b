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
whose description notes it is text (``(required; text)``) is always given as
text, even a value that looks like a number (a name such as ``10``).  A
parameter that is not given injects nothing.

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
_LEXEMES = r"""
      (?P<iri><[^<>"{}|^`\\\s]*>)
    | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
               |'''(?:[^'\\]|\\.|'(?!''))*'''
               |"(?:[^"\\\n\r]|\\.)*"
               |'(?:[^'\\\n\r]|\\.)*')
    | (?P<comment>\#[^\n\r]*)
    | (?P<var>[?$]\w+)
"""
_TOKENS = re.compile(
    _LEXEMES + r"""
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


def resolve_query(text_or_file_or_name: str, params: Mapping[str, str] | None = None,
                  require: bool = True) -> str:
    """The SPARQL text for a .rq file path, a named query or SPARQL text, with params.

    Raises KgError for an unknown query name, a parameter the query does
    not declare, or (with ``require``) a required one, marked "(required" in
    its header, not given: without it the query would match every entity.
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
    missing = [name for name, about in _header(text)[1]
               if name not in params and re.search(r"\(required\b", about)]
    if missing and require:
        raise KgError(f"The {what} needs " + ", ".join(f"--param {m}=…" for m in missing)
                      + " (see kg query --list).")
    return _inject(text, params, what) if params else text


def _is_text(about: str) -> bool:
    """Whether a param's description notes that it is text: "(…text…)"."""
    return any(re.search(r"\btext\b", note) for note in re.findall(r"\(([^()]*)\)", about))


def _sparql_value(value: str, text: bool = False) -> str:
    """A parameter value as a SPARQL term: a number as is, text as "…"@zh."""
    value = str(value)
    if text:
        return Literal(value, lang="zh").n3()
    stripped = value.strip()
    if re.fullmatch(r"[+-]?\d+", stripped):
        return str(int(stripped))  # a plain integer literal, e.g. a year
    if re.fullmatch(r"[+-]?\d*\.\d+", stripped):
        return str(Decimal(stripped))  # a plain decimal literal
    return Literal(value, lang="zh").n3()


def _inject(text: str, params: Mapping[str, str], what: str) -> str:
    _, declared = _header(text)
    names = [name for name, _ in declared]
    about = dict(declared)
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
            lines.append(f"VALUES ?{var} {{ {_sparql_value(params[name], _is_text(about[name]))} }}")
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


# -- answering on the store: checks and ORDER BY done by kg --------------------
#
# The store (kg.store.query) parses the query itself; kg then needs only to
# refuse what it never runs, and to know whether the query orders its rows.
# Oxigraph's ORDER BY looks a term's text up on disk at every comparison
# (n log n lookups: most of the time of a query of a few thousand rows), so
# kg sorts such rows itself: the query goes to the store without its ORDER BY
# (an expression kg cannot evaluate becomes an extra, hidden column) and the
# rows come back sorted the way the store would have sorted them.

# The same lexer, with parentheses and closing braces (nesting) and a catch-all.
_SHAPE_TOKENS = re.compile(
    _LEXEMES + r"""
    | (?P<open>[{(])
    | (?P<close>[})])
    | (?P<pname>(?:[A-Za-z_][\w.-]*)?:[^\s{}()<>;,]*)
    | (?P<word>[A-Za-z_]\w*)
    | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)
_AGGREGATES = {"COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT"}
_NOT_DETERMINISTIC = {"RAND", "NOW", "UUID", "STRUUID", "BNODE"}
_MODIFIERS = {"GROUP", "HAVING", "ORDER", "LIMIT", "OFFSET", "VALUES"}
_HIDDEN = "_kg_order"


class OrderPlan:
    """What kg knows of a query's top-level ORDER BY (see ``order_plan``).

    ``ordered``: True for a SELECT with a top-level ORDER BY, False for a
    SELECT without, None when not a SELECT or not read with certainty.
    ``text``: the query to send instead, without its ORDER BY, for kg to sort
    the rows (None: send the query as it is). ``keys``: the conditions, as
    (descending, kind, variable, default) with kind ``var``, ``str``
    (``STR(?v)``) or ``coalesce`` (``COALESCE(STR(?v), "default")``).
    ``hidden``: the extra columns of ``text`` to drop once sorted."""

    def __init__(self, ordered, text=None, keys=(), hidden=()):
        self.ordered, self.text, self.keys, self.hidden = ordered, text, list(keys), list(hidden)


def _shape_tokens(text: str) -> list[tuple[str, str, int, int]]:
    return [(m.lastgroup, m.group(), m.start(), m.end())
            for m in _SHAPE_TOKENS.finditer(text) if m.lastgroup != "comment"]


def _matching(tokens, i: int) -> int | None:
    """The index of the token closing the bracket opened at ``tokens[i]``."""
    pairs = {"{": "}", "(": ")"}
    stack = []
    for j in range(i, len(tokens)):
        kind, value = tokens[j][0], tokens[j][1]
        if kind == "open":
            stack.append(pairs[value])
        elif kind == "close":
            if not stack or stack.pop() != value:
                return None
            if not stack:
                return j
    return None


def _conditions(tokens, text: str) -> list[tuple[bool, str]] | None:
    """ORDER BY's conditions as (descending, expression text); None if unsure."""
    out, i = [], 0
    while i < len(tokens):
        kind, value, start, _ = tokens[i]
        if kind == "var":
            out.append((False, value))
            i += 1
            continue
        if kind == "open" and value == "(":
            end = _matching(tokens, i)
            if end is None:
                return None
            out.append((False, text[tokens[i][3]:tokens[end][2]]))
            i = end + 1
            continue
        if kind in ("word", "pname", "iri") and i + 1 < len(tokens) and tokens[i + 1][1] == "(":
            end = _matching(tokens, i + 1)
            if end is None:
                return None
            if kind == "word" and value.upper() in ("ASC", "DESC"):
                out.append((value.upper() == "DESC", text[tokens[i + 1][3]:tokens[end][2]]))
            else:
                out.append((False, text[start:tokens[end][3]]))
            i = end + 1
            continue
        return None
    return out


def order_plan(text: str) -> OrderPlan:
    """Whether a query orders its rows, and how kg can do that ORDER BY itself."""
    tokens = _shape_tokens(text)
    i = 0
    while i < len(tokens) and tokens[i][0] == "word" and tokens[i][1].upper() in ("PREFIX", "BASE"):
        i += 3 if tokens[i][1].upper() == "PREFIX" else 2
    unsure = OrderPlan(None)
    if i >= len(tokens) or tokens[i][0] != "word" or tokens[i][1].upper() != "SELECT":
        return unsure
    i += 1
    distinct = i < len(tokens) and tokens[i][0] == "word" and tokens[i][1].upper() in ("DISTINCT", "REDUCED")
    # the projection, up to FROM, WHERE or the group's brace
    projected, star, aggregate, depth, j = set(), False, False, 0, i
    while j < len(tokens):
        kind, value = tokens[j][0], tokens[j][1]
        if depth == 0 and (value == "{" or (kind == "word" and value.upper() in ("WHERE", "FROM"))):
            break
        if kind == "open":
            depth += 1
        elif kind == "close":
            depth -= 1
        elif kind == "var" and (depth == 0 or (j and tokens[j - 1][1].upper() == "AS")):
            projected.add(value[1:])
        elif kind == "other" and value == "*" and depth == 0:
            star = True
        elif kind == "word" and value.upper() in _AGGREGATES:
            aggregate = True
        j += 1
    projection_end = j
    while j < len(tokens) and tokens[j][1] != "{":
        j += 1
    if j >= len(tokens):
        return unsure
    end = _matching(tokens, j)
    if end is None:
        return unsure
    # the solution modifiers after the group
    found, k = {}, end + 1
    while k < len(tokens):
        kind, value = tokens[k][0], tokens[k][1]
        if kind == "open":
            close = _matching(tokens, k)
            if close is None:
                return unsure
            k = close + 1
            continue
        if kind == "word" and value.upper() in _MODIFIERS and value.upper() not in found:
            found[value.upper()] = k
        k += 1
    if "ORDER" not in found:
        return OrderPlan(False)
    order = found["ORDER"]
    if order + 1 >= len(tokens) or tokens[order + 1][1].upper() != "BY":
        return unsure
    if "LIMIT" in found or "OFFSET" in found:
        return OrderPlan(True)              # the slice needs the order: the store sorts
    after = [found[m] for m in ("VALUES",) if m in found and found[m] > order]
    stop = min(after) if after else len(tokens)
    conditions = _conditions(tokens[order + 2:stop], text)
    if not conditions:
        return OrderPlan(True)
    grouped = aggregate or "GROUP" in found
    keys, hidden = [], []
    for descending, expression in conditions:
        expression = expression.strip()
        m = (re.fullmatch(r"[?$](\w+)", expression)
             or re.fullmatch(r"(?i:STR)\s*\(\s*[?$](\w+)\s*\)", expression)
             or re.fullmatch(r'(?i:COALESCE)\s*\(\s*(?i:STR)\s*\(\s*[?$](\w+)\s*\)\s*,\s*"([^"\\\n\r]*)"\s*\)',
                             expression))
        if m and (star or m.group(1) in projected):
            kind = "var" if expression[0] in "?$" else ("str" if m.lastindex == 1 else "coalesce")
            keys.append((descending, kind, m.group(1), m.group(2) if m.lastindex == 2 else None))
            continue
        # an expression for the store to compute, as a hidden column
        words = {v.upper() for k, v, _, _ in _shape_tokens(expression) if k == "word"}
        used = {v[1:] for k, v, _, _ in _shape_tokens(expression) if k == "var"}
        if star or words & (_AGGREGATES | _NOT_DETERMINISTIC) or "EXISTS" in words:
            return OrderPlan(True)
        if (distinct or grouped) and not used <= projected:
            return OrderPlan(True)
        name = f"{_HIDDEN}{len(hidden)}"
        if re.search(rf"[?$]{name}\b", text):
            return OrderPlan(True)
        hidden.append((name, expression))
        keys.append((descending, "var", name, None))
    cut_end = tokens[stop][2] if stop < len(tokens) else len(text)
    at = tokens[projection_end - 1][3]          # just after the projection's last token
    extra = "".join(f" ({expression} AS ?{name})" for name, expression in hidden)
    sent = text[:at] + extra + text[at:tokens[order][2]] + text[cut_end:]
    return OrderPlan(True, sent, keys, [name for name, _ in hidden])


class Unsortable(Exception):
    """Rows whose order kg cannot reproduce exactly (the store must sort them)."""


_NUMERIC = {str(XSD.integer), str(XSD.decimal), str(XSD.double), str(XSD.float)}
_STRING = str(XSD.string)


def _order_value(term):
    """A term as a sort key in the store's order: unbound < IRIs < literals;
    strings by code point, numbers by value. Raises Unsortable for what the
    store compares otherwise (blank nodes, language strings, other types)."""
    if term is None:
        return (0, 0, "")
    kind = type(term)
    if kind is URIRef or (kind is not Literal and isinstance(term, URIRef)):
        return (1, 0, str(term))
    if (kind is Literal or isinstance(term, Literal)) and not term.language:
        datatype = term.datatype
        if datatype is None or datatype == XSD.string:
            return (2, 0, str(term))
        if str(datatype) in _NUMERIC:
            value = term.toPython()
            if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool) and value == value:
                return (2, 1, value)
    raise Unsortable()


def _store_text(term) -> str:
    """STR(term) as the store gives it. rdflib may write a typed literal
    otherwise than the store (a double, a non-canonical number): Unsortable."""
    if type(term) is Literal or isinstance(term, Literal):
        datatype = term.datatype
        if datatype is not None and datatype != XSD.string:
            value, text = term.toPython(), str(term)
            if not ((datatype == XSD.integer and isinstance(value, int) and str(value) == text)
                    or (datatype == XSD.decimal and isinstance(value, Decimal) and value.is_finite()
                        and format(value, "f") == text)):
                raise Unsortable()
    return str(term)


def sort_rows(rows: list, plan: OrderPlan, variables: list) -> list:
    """The rows (dicts of Variable -> term) in the plan's order, their hidden
    columns dropped (from the rows themselves); rows the ORDER BY leaves tied
    keep kg's own order of their terms (as rows of a query without ORDER BY
    do). ``variables``: the answer's variables, hidden ones included. Raises
    Unsortable, before changing anything, when the store's order cannot be
    reproduced."""
    named = {str(v): v for v in variables}
    columns = []
    for descending, kind, name, default in plan.keys:
        var = named.get(name, Variable(name))
        if kind == "var":
            seen: dict = {}                       # id(term) -> its key: terms repeat
            values = []
            for row in rows:
                term = row.get(var)
                key = seen.get(id(term))
                if key is None:
                    key = seen[id(term)] = _order_value(term)
                values.append(key)
        else:
            missing = (0, 0, "") if kind == "str" else (2, 0, default)
            seen = {}
            values = []
            for row in rows:
                term = row.get(var)
                key = seen.get(id(term))
                if key is None:
                    if term is None or isinstance(term, BNode):
                        key = missing
                    else:
                        key = (2, 0, _store_text(term))
                    seen[id(term)] = key
                values.append(key)
        kinds = {v[1] for v in values if v[0] == 2}
        if len(kinds) > 1:
            raise Unsortable()            # strings and numbers: the store leaves them unordered
        columns.append((descending, values))
    hidden = {named[name] for name in plan.hidden if name in named}
    shown = [v for v in variables if v not in hidden]
    order = list(range(len(rows)))
    keys = list(zip(*(values for _, values in columns)))
    directions = {descending for descending, _ in columns}
    if len(directions) == 1:
        order.sort(key=keys.__getitem__, reverse=directions.pop())
    else:
        for descending, values in reversed(columns):
            order.sort(key=values.__getitem__, reverse=descending)
    # rows the conditions leave tied, and that differ, in kg's own order
    start = 0
    for end in range(1, len(order) + 1):
        if end < len(order) and keys[order[end]] == keys[order[start]]:
            continue
        if end - start > 1 and any(rows[i] != rows[order[start]] for i in order[start + 1:end]):
            order[start:end] = sorted(order[start:end], key=lambda i: _sort_key(rows[i], shown))
        start = end
    out = [rows[i] for i in order]
    for row in out if hidden else ():
        for var in hidden:
            row.pop(var, None)
    return out


def must_check_first(text: str) -> bool:
    """Whether a query needs rdflib's full check before the store sees it:
    an update, SERVICE anywhere, or \\u escapes (which could hide either)."""
    if "\\u" in text or "\\U" in text:
        return True
    if _first_keyword(text) in _UPDATE_WORDS:
        return True
    return any(m.lastgroup == "word" and m.group().upper() == "SERVICE" for m in _TOKENS.finditer(text))


# -- output ------------------------------------------------------------------

def _char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


class _Widths(dict):
    def __missing__(self, ch: str) -> int:
        width = self[ch] = _char_width(ch)
        return width


_WIDTHS = _Widths()


def text_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (CJK characters take two)."""
    if text.isascii():
        return len(text)
    return sum(map(_WIDTHS.__getitem__, text))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _one_line(text: str) -> str:
    """Keep a table cell on one line: control characters are shown escaped."""
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return _CONTROL.sub(lambda m: named.get(m.group(), f"\\x{ord(m.group()):02x}"), text)


def prefer_label(labels) -> str | None:
    """The label kg shows among a node's rdfs:labels, given as (text, language)
    pairs: the first @zh one, else the first (as kg.export.label_of)."""
    labels = list(labels)
    if not labels:
        return None
    zh = sorted(text for text, language in labels if (language or "").lower().startswith("zh"))
    return zh[0] if zh else sorted(text for text, _ in labels)[0]


class _CellNamer:
    """Shows terms in a table: entities by label, other IRIs by local name.

    ``graph`` is where labels are found: an rdflib Graph, or an object with
    ``label_texts(iris)`` (IRI -> label, for all the IRIs of a table at once)."""

    def __init__(self, graph):
        self.graph = graph
        self.labels: dict[URIRef, str] = {}
        self.bnodes: dict[BNode, str] = {}

    def prefetch(self, terms) -> None:
        """Look up the labels of these terms' kg IRIs together, where the graph can."""
        fetch = getattr(self.graph, "label_texts", None)
        if fetch is None:
            return
        prefix = str(KGID)
        iris = {t for t in terms if (type(t) is URIRef or (type(t) is not Literal and isinstance(t, URIRef)))
                and t.startswith(prefix)}
        iris = [t for t in iris if t not in self.labels]
        if not iris:
            return
        found = fetch(iris)
        for iri in iris:
            self.labels[iri] = _one_line(found.get(iri) or local_name(iri) or str(iri))

    def __call__(self, term) -> str:
        if term is None:
            return ""
        if type(term) is Literal:
            return _one_line(str(term))
        if isinstance(term, URIRef):
            found = self.labels.get(term)
            if found is None:
                found = self.labels[term] = self._label(term)
            return found
        if isinstance(term, BNode):
            return self.bnodes.setdefault(term, f"_:b{len(self.bnodes)}")
        return _one_line(str(term))

    def _label(self, iri: URIRef) -> str:
        if self.graph is not None and str(iri).startswith(str(KGID)):
            if hasattr(self.graph, "label_texts"):
                found = self.graph.label_texts([iri]).get(iri)
                return _one_line(found or local_name(iri) or str(iri))
            return _one_line(label_of(self.graph, iri) or str(iri))
        return _one_line(local_name(iri) or str(iri))


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [text_width(h) for h in header]
    known: dict[str, int] = {}                # cells repeat (labels, kinds, sentences)

    def width(cell: str) -> int:
        found = known.get(cell)
        if found is None:
            found = known[cell] = text_width(cell)
        return found

    sized = []
    for row in rows:
        cells = [(c, width(c)) for c in row]
        widths = [max(w, cw) for w, (_, cw) in zip(widths, cells)]
        sized.append(cells)

    def line(cells) -> str:
        return "  ".join(c + " " * (w - cw) for (c, cw), w in zip(cells, widths)).rstrip()

    lines = [line([(h, text_width(h)) for h in header])]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(line(cells) for cells in sized)
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
    keys = list(result.vars or [])            # the rows' own keys: found by identity
    namer.prefetch(term for row in rows for term in row.values())
    cells = [[namer(row.get(k)) for k in keys] for row in rows]
    return _table(variables, cells)
