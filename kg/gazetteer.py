"""China's administrative divisions, from the `cpca` package's adcode table.

Province, prefecture and county names with their 12-digit codes; the code's
prefix gives the parents (320411 新北区 -> 3204 常州市 -> 32 江苏省). We read
cpca's CSV directly instead of importing cpca, which would load pandas.
"""
from __future__ import annotations

import csv
import importlib.util
from functools import cache
from pathlib import Path


@cache
def _table() -> tuple[dict[str, str], dict[str, list[str]]]:
    spec = importlib.util.find_spec("cpca")
    if spec is None or not spec.submodule_search_locations:
        return {}, {}
    path = Path(spec.submodule_search_locations[0]) / "resources" / "adcodes.csv"
    names: dict[str, str] = {}
    codes: dict[str, list[str]] = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            code = row["adcode"][:6]
            names[code] = row["name"]
            codes.setdefault(row["name"], []).append(code)
    return names, codes


def _parents(code: str) -> list[str]:
    names, _ = _table()
    chain = [code[:2] + "0000", code[:4] + "00", code]
    out = []
    for c in chain:
        if c in names and c not in out:
            out.append(c)
    return out


def full_path(chain: tuple[str, ...]) -> tuple[str, ...]:
    """('常州市','新北区','西夏墅镇') -> ('江苏省','常州市','新北区','西夏墅镇').

    The lowest name the table knows is located, consistent with the names
    above it; names below county level (towns) are kept as written.
    """
    names, codes = _table()
    for i in range(len(chain) - 1, -1, -1):
        candidates = codes.get(chain[i], [])
        consistent = [c for c in candidates
                      if all(any(names.get(p) == a for p in _parents(c)) for a in chain[:i])]
        if len(consistent) == 1:
            path = tuple(names[p] for p in _parents(consistent[0]))
            return path + tuple(chain[i + 1:])
    return tuple(chain)


def path_of(name: str, within: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Full path of one area name, preferring one inside `within`'s province."""
    names, codes = _table()
    candidates = codes.get(name, [])
    if within:
        inside = [c for c in candidates if names.get(_parents(c)[0]) == within[0]]
        candidates = inside or candidates
    if len(candidates) != 1:
        return None
    return tuple(names[p] for p in _parents(candidates[0]))


_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def province_names() -> list[str]:
    """Provinces in full and short form: 河北省, 河北; 北京市, 北京."""
    names, _ = _table()
    out = set()
    for code, name in names.items():
        if code.endswith("0000"):
            out.update({name, _short(name)})
    return sorted(out)


def province_short_names() -> list[str]:
    return sorted({_short(n) for c, n in _table()[0].items() if c.endswith("0000")})


def division_names() -> list[str]:
    """Prefecture and county names in full (保定市, 清苑区, 余姚市); the names
    that are also common words (市辖区, 城区, 郊区, 矿区 ...) are left out."""
    names, _ = _table()
    generic = {"市辖区", "城区", "郊区", "矿区", "新区", "开发区", "县", "自治县", "高新区", "经济开发区"}
    return sorted({n for c, n in names.items() if not c.endswith("0000") and len(n) >= 3 and n not in generic})


def county_short_names() -> list[str]:
    """County-level names without their suffix (余姚, 长垣), for use only right
    after a province's name (浙江余姚)."""
    names, _ = _table()
    out = set()
    for code, name in names.items():
        if not code.endswith("00") and len(name) >= 3 and name[-1] in "市县区旗":
            out.add(name[:-1])
    return sorted(n for n in out if len(n) >= 2)


@cache
def known_names() -> frozenset[str]:
    """Every province, prefecture and county name in the table."""
    return frozenset(_table()[0].values())
