"""What a built graph holds: counts, and the shape of its entity network.

    stats = graph_stats(graph)     # a plain dict (JSON-serialisable)
    print(format_stats(stats))     # the same as readable text

Everything is ordered deterministically: counts by size then name, entities
by degree then label.
"""
from __future__ import annotations

from rdflib import RDF, Graph, Namespace

from kg.export import ENTITY_CLASSES, ENTITY_RELATIONS, KG, _merged, entity_graph

NIF = Namespace("http://persistence.uni-leipzig.org/nlp2rdf/ontologies/nif-core#")

#: How many entities ``graph_stats`` lists under ``network.top_entities``.
TOP = 10


def _count_typed(graph: Graph, cls) -> int:
    return sum(1 for _ in graph.subjects(RDF.type, cls, unique=True))


def _by_count(counts: dict[str, int]) -> dict[str, int]:
    return dict(sorted(((k, v) for k, v in counts.items() if v), key=lambda kv: (-kv[1], kv[0])))


def graph_stats(graph: Graph) -> dict:
    """Counts of documents, sentences, entities, relations, indicators, triples
    and figures of the entity network (components, degree, density)."""
    import networkx as nx

    graph = _merged(graph)
    by_type = _by_count({name: _count_typed(graph, KG[name]) for name in ENTITY_CLASSES})
    relations = _by_count({
        name: sum(1 for _ in graph.triples((None, KG[name], None)))
        for name in (*ENTITY_RELATIONS, "hasStatus")
    })

    network = entity_graph(graph)
    simple = nx.DiGraph(network)
    if network.number_of_nodes():
        components = list(nx.weakly_connected_components(network))
        largest = max(len(c) for c in components)
    else:
        components, largest = [], 0
    degree = dict(network.degree())
    ranked = sorted(
        network.nodes(data=True),
        key=lambda item: (-degree[item[0]], item[1]["label"], item[0]),
    )
    top = [
        {"label": data["label"], "type": data["type"], "degree": degree[node], "iri": node}
        for node, data in ranked[:TOP]
    ]
    return {
        "triples": len(graph),
        "documents": _count_typed(graph, KG.Document),
        "sentences": _count_typed(graph, NIF.Sentence),
        "mentions": _count_typed(graph, NIF.Phrase),
        "entities": network.number_of_nodes(),
        "entities_by_type": by_type,
        "relations": relations,
        "statements": _count_typed(graph, RDF.Statement),
        "indicators": _count_typed(graph, KG.Indicator),
        "network": {
            "nodes": network.number_of_nodes(),
            "edges": network.number_of_edges(),
            "components": len(components),
            "largest_component": largest,
            "density": nx.density(simple) if simple.number_of_nodes() > 1 else 0.0,
            "top_entities": top,
        },
    }


def format_stats(stats: dict) -> str:
    """``graph_stats`` output as readable, aligned text."""
    from kg.query import text_width

    lines: list[str] = []

    def row(name: str, value, indent: int = 0) -> None:
        pad = " " * max(1, 22 - indent - text_width(name))
        lines.append(f"{' ' * indent}{name}{pad}{value}")

    row("triples", stats["triples"])
    row("documents", stats["documents"])
    row("sentences", stats["sentences"])
    row("mentions", stats["mentions"])
    row("entities", stats["entities"])
    for name, count in stats["entities_by_type"].items():
        row(name, count, 2)
    row("relations", sum(stats["relations"].values()))
    for name, count in stats["relations"].items():
        row(name, count, 2)
    row("statements", stats["statements"])
    row("indicators", stats["indicators"])
    net = stats["network"]
    lines.append("entity network")
    row("nodes", net["nodes"], 2)
    row("edges", net["edges"], 2)
    row("components", net["components"], 2)
    row("largest component", net["largest_component"], 2)
    row("density", f"{net['density']:.4f}", 2)
    if net["top_entities"]:
        lines.append(f"  top {len(net['top_entities'])} entities by degree")
        width = max(len(str(e["degree"])) for e in net["top_entities"])
        for e in net["top_entities"]:
            label = e["label"].replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
            lines.append(f"    {e['degree']:>{width}}  {label} ({e['type']})")
    return "\n".join(lines) + "\n"
