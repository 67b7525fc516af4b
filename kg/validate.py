"""Validate a built graph against ``ontology/shapes.ttl`` (SHACL, via pyshacl)."""
from __future__ import annotations

from functools import lru_cache

from rdflib import Graph

from kg.namespace import ONTOLOGY_DIR

SHAPES_FILE = ONTOLOGY_DIR / "shapes.ttl"
ONTOLOGY_FILE = ONTOLOGY_DIR / "kg.ttl"


@lru_cache(maxsize=1)
def _shapes() -> Graph:
    return Graph().parse(SHAPES_FILE, format="turtle")


@lru_cache(maxsize=1)
def _ontology() -> Graph:
    return Graph().parse(ONTOLOGY_FILE, format="turtle")


def validate(graph: Graph) -> tuple[bool, str]:
    """Check ``graph`` against the project's SHACL shapes.

    The ontology is passed as pyshacl's ``ont_graph`` (so ``sh:class`` sees the
    ``rdfs:subClassOf`` axioms of kg.ttl, e.g. a GovernmentAgency is an
    Institution) and no inference is run. ``graph`` itself is not modified.

    Returns ``(conforms, report)``; ``report`` is pyshacl's human-readable
    results text.
    """
    from pyshacl import validate as shacl_validate  # imported lazily: slow import

    conforms, _results_graph, results_text = shacl_validate(
        data_graph=graph,
        shacl_graph=_shapes(),
        ont_graph=_ontology(),
        inference="none",
        abort_on_first=False,
        allow_infos=True,
        allow_warnings=True,
        meta_shacl=False,
        advanced=False,
        inplace=False,
    )
    return bool(conforms), str(results_text)
