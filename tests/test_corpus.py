"""Reports the rules were not written on: each builds and yields varied entities."""
from __future__ import annotations

from collections import Counter

import pytest

from kg.pipeline import extract

from conftest import CORPUS

REPORTS = sorted(CORPUS.glob("*.txt"))


@pytest.mark.parametrize("path", REPORTS, ids=lambda p: p.stem)
def test_dev_report_builds_with_five_entity_types(path):
    ex = extract(path)
    types = Counter(e.type for e in ex.entities)
    assert len(types) >= 5, types
    assert ex.indicators, "no indicator found"
    assert ex.area_path and ex.area_path[0].endswith("省")
