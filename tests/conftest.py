"""Shared fixtures: the seed report built once per test session."""
from __future__ import annotations

from pathlib import Path

import os
import socket

import pytest
from hypothesis import HealthCheck, settings

# Property tests: a short run in the suite; the long fuzz run (README,
# "Robustness") is the same tests with KG_FUZZ=1.
settings.register_profile("suite", max_examples=25, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile("fuzz" if os.environ.get("KG_FUZZ") else "suite")

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_422bfd801309c4b5.txt"
DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "corpus"
GOLD = DATA / "gold"


@pytest.fixture(scope="session")
def seed_extraction():
    from kg.pipeline import extract
    return extract(SEED)


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory):
    """kg build seeds/ into a fresh folder; returns (BuildResult, out_dir)."""
    from kg.build import build_graph
    out = tmp_path_factory.mktemp("seed-build")
    return build_graph([ROOT / "seeds"], out), out


@pytest.fixture(scope="session")
def seed_graph(seed_build):
    return seed_build[0].graph


def report_sentences(paths) -> list:
    """The sentences of report files, as kg splits them."""
    from kg.reader import read_document
    from kg.structure import read_header, split_sentences
    out = []
    for path in paths:
        document = read_document(path)
        out += split_sentences(document, read_header(document))
    return out


def free_port() -> int:
    """A loopback port nobody listens on, for servers the tests start."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
