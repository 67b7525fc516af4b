"""Numbers as the reports write them, read into exact Decimals.

    parse_number("８０．５７")    -> Decimal('80.57')   full-width digits
    parse_number("1,234.5")      -> Decimal('1234.5')  thousands separators
    parse_number("两千三百")      -> Decimal('2300')    Chinese numerals
    parse_number("1.3万")         -> Decimal('13000')   mixed forms
    parse_number("2.45万人")      -> Decimal('24500')   a trailing unit is ignored
    split_quantity("2.45万人")    -> (Decimal('2.45'), '万人')   value and unit as written
    normalize(Decimal("80.57"), "亿元") -> (Decimal('8057000000'), 'CNY')

Unit factors live in ``rules/units.toml`` (data, not code). Everything is
Decimal: no float ever touches a value.
"""
from __future__ import annotations

import re
import tomllib
from decimal import Decimal, InvalidOperation
from functools import cache

from .rules import RULES_DIR

__all__ = ["parse_number", "split_quantity", "normalize", "to_ascii", "is_chinese_numeral"]

_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10**4, "亿": 10**8}
_CN_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL) + "".join(_CN_BIG)
# one token: an Arabic number (with optional thousands separators and decimals),
# or one Chinese numeral character
_TOKEN = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?|[" + _CN_CHARS + "]")
_LEADING_NUMBER = re.compile(r"^(?:\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|\d+(?:\.\d+)?|[" + _CN_CHARS + r"]+)")


def to_ascii(text: str) -> str:
    """Full-width digits, point, comma and percent sign to ASCII."""
    return text.translate(_FULLWIDTH)


def is_chinese_numeral(text: str) -> bool:
    return bool(text) and all(ch in _CN_CHARS for ch in text)


def _plain(value: Decimal) -> Decimal:
    """Drop exponent notation: 8.057E+9 -> 8057000000, 2.50 stays 2.50."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value


def parse_number(text: str) -> Decimal:
    """Read the number at the start of ``text``; a unit after it is ignored.

    Raises ValueError when ``text`` does not start with a number.
    """
    s = to_ascii(text.strip())
    head = _LEADING_NUMBER.match(s)
    if not head:
        raise ValueError(f"not a number: {text!r}")
    # take the number plus any 万/亿 multipliers that directly follow it
    end = head.end()
    while end < len(s) and s[end] in _CN_BIG:
        end += 1
    tokens = _TOKEN.findall(s[:end])
    total = Decimal(0)     # everything closed by 亿 / 万
    section = Decimal(0)   # the part below the next 万 / 亿
    number: Decimal | None = None
    last_was_digit = False
    for tok in tokens:
        if tok in _CN_DIGITS:
            d = Decimal(_CN_DIGITS[tok])
            # 二〇三五: consecutive digits without a place word read as a digit string
            number = number * 10 + d if (last_was_digit and number is not None) else d
            last_was_digit = True
            continue
        last_was_digit = False
        if tok in _CN_SMALL:
            section += (number if number is not None else Decimal(1)) * _CN_SMALL[tok]
            number = None
        elif tok in _CN_BIG:
            unit = _CN_BIG[tok]
            group = section + (number or 0)
            if unit == 10**8:
                total = (total + group) * unit
            else:
                total += (group if group else Decimal(1)) * unit
            section, number = Decimal(0), None
        else:
            try:
                number = Decimal(tok.replace(",", ""))
            except InvalidOperation:  # pragma: no cover - the regex only admits numbers
                raise ValueError(f"not a number: {text!r}") from None
    return _plain(total + section + (number or 0))


def split_quantity(text: str) -> tuple[Decimal, str]:
    """'2.45万人' -> (Decimal('2.45'), '万人'): the value and the unit as written.

    Approximation words between number and unit (余, 多) are dropped:
    '1000余万元' -> (1000, '万元'), '5万余人次' -> (5, '万人次').
    """
    s = to_ascii(text.strip())
    head = _LEADING_NUMBER.match(s)
    if not head:
        raise ValueError(f"not a number: {text!r}")
    number = head.group(0)
    value = parse_number(number) if is_chinese_numeral(number) else Decimal(number.replace(",", ""))
    unit = re.sub(r"[余多]", "", s[head.end():]).strip()
    return value, unit


@cache
def _units() -> tuple[dict[str, tuple[Decimal, str]], dict[str, Decimal]]:
    data = tomllib.loads((RULES_DIR / "units.toml").read_text(encoding="utf-8"))
    units = {name: (Decimal(spec["factor"]), spec["to"]) for name, spec in data.get("unit", {}).items()}
    prefixes = {name: Decimal(f) for name, f in data.get("prefix", {}).items()}
    return units, prefixes


def known_units() -> tuple[str, ...]:
    """Every unit units.toml lists, for callers that want to check a unit."""
    return tuple(_units()[0])


def normalize(value: Decimal | int | str, unit: str | None) -> tuple[Decimal, str] | None:
    """The value in its normalised unit, or None when the unit is unknown.

    normalize(Decimal("80.57"), "亿元") -> (Decimal('8057000000'), 'CNY')
    normalize(Decimal("3"), "万户")      -> (Decimal('30000'), '户')
    """
    if unit is None or value is None:
        return None
    value = value if isinstance(value, Decimal) else Decimal(str(value))
    units, prefixes = _units()
    unit = to_ascii(unit.strip())
    if unit in units:
        factor, to = units[unit]
        return _plain(value * factor), to
    for prefix in sorted(prefixes, key=len, reverse=True):
        rest = unit[len(prefix):]
        if unit.startswith(prefix) and rest in units:
            factor, to = units[rest]
            return _plain(value * prefixes[prefix] * factor), to
    return None
