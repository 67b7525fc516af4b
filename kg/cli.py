"""The `kg` command: parses arguments, calls one library function, maps errors.

Each command's docstring carries an example that shows in `--help`.
"""
from __future__ import annotations

import sys
from pathlib import Path

import click

from .errors import KgError

DEFAULT_GRAPH = Path("output") / "graph.ttl"
graph_option = click.option("--graph", "graph_path", type=click.Path(path_type=Path),
                            default=DEFAULT_GRAPH, show_default=True, help="The built graph to read.")


def _fail(message: str, code: int = 1):
    click.echo(f"kg: {message}", err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="kg")
def cli():
    """kg: knowledge graphs from Chinese government work reports (政府工作报告)."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=Path("output"),
              show_default=True, help="Folder for graph.ttl and graph.html.")
@click.option("--rebuild", is_flag=True, help="Start the output's store afresh instead of adding to it.")
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Reports extracted at once (processes); the output is the same.")
def build(paths, out_dir, rebuild, jobs):
    """Build the graph of report files or folders (default: seeds/).

    Each report is added to (or replaces its old version in) the output's
    store, one named graph per document; the files show them all.

    Example: kg build seeds/ -o output/
    """
    from .build import build_graph
    result = build_graph(list(paths) or None, out_dir, rebuild=rebuild, jobs=jobs)
    click.echo(result.summary())
    if result.failures:
        _fail(f"{len(result.failures)} of {len(result.failures) + len(result.documents)} files were not built (listed above).")


@cli.command()
@click.argument("query", required=False)
@graph_option
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "tsv", "json"]), default="table", show_default=True)
@click.option("--param", "params", multiple=True, metavar="NAME=VALUE", help="A parameter of a named query.")
@click.option("--list", "list_only", is_flag=True, help="List the named queries.")
@click.option("--endpoint", help="Run the query on this remote SPARQL endpoint instead of the built graph.")
@click.option("--user", help="With --endpoint: user name, if the endpoint asks for one.")
@click.option("--password", envvar="KG_PASSWORD", help="Password for --user (or set KG_PASSWORD).")
def query(query, graph_path, fmt, params, list_only, endpoint, user, password):
    """Run SPARQL (text, a .rq file, or a named query) over the built graph.

    The built graph's store answers: each report is a named graph (GRAPH,
    FROM and FROM NAMED select them), the default graph is their merge.

    Example: kg query projects-by-status    or    kg query entity --param name=金牛研磨
    """
    from .query import format_result, list_queries, resolve_query
    if list_only:
        for name, title in list_queries():
            click.echo(f"{name:<22}{title}")
        return
    if not query:
        raise KgError("give a query (SPARQL text, a .rq file or a name); `kg query --list` shows the names.")
    values = {}
    for p in params:
        if "=" not in p:
            raise KgError(f"--param {p!r} must look like NAME=VALUE.")
        name, value = p.split("=", 1)
        values[name.strip()] = value
    text = resolve_query(query, values)
    if endpoint:
        from .push import remote_query
        click.echo(format_result(remote_query(endpoint, text, user, password), fmt).rstrip("\n"))
        return
    from . import store
    click.echo(format_result(store.query(graph_path, text), fmt).rstrip("\n"))


@cli.command()
@graph_option
@click.option("--format", "fmt", default="ttl", show_default=True,
              help="ttl, nt, nq, trig, jsonld or graphml.")
@click.option("-o", "--output", "out", type=click.Path(path_type=Path), help="Write to this file instead of stdout.")
def export(graph_path, fmt, out):
    """Export the built graph in another RDF format, or GraphML for Gephi/yEd.

    Example: kg export --format nt -o graph.nt
    """
    from .export import export as export_graph
    if fmt in ("nq", "nquads", "trig"):          # the store keeps one named graph per document
        from . import store
        data = export_graph(store.dataset(graph_path), fmt)
    else:
        from .build import load_graph
        data = export_graph(load_graph(graph_path), fmt)
    if out:
        from .build import write_bytes
        write_bytes(Path(out), data)
    else:
        sys.stdout.buffer.write(data)


@cli.command()
@graph_option
def stats(graph_path):
    """Counts, and graph figures: most connected entities, components.

    Example: kg stats
    """
    from .build import load_graph
    from .stats import format_stats, graph_stats
    click.echo(format_stats(graph_stats(load_graph(graph_path))))


@cli.command()
@graph_option
def validate(graph_path):
    """Check the graph against the SHACL shapes in ontology/shapes.ttl.

    Example: kg validate --graph output/graph.ttl
    """
    from .build import load_graph
    from .validate import validate as shacl_validate
    conforms, report = shacl_validate(load_graph(graph_path))
    click.echo(report.rstrip("\n"))
    if not conforms:
        _fail("the graph does not conform to the SHACL shapes.")


@cli.command()
@click.argument("page", required=False, type=click.Path(path_type=Path))
@click.option("--graph-html", "graph_html", type=click.Path(path_type=Path), default=None,
              help="The graph page to open  [default: output/graph.html]")
def view(page, graph_html):
    """Open the graph page in your browser (or print where it is).

    Example: kg view --graph-html output/graph.html
    """
    from .html import view as open_page
    click.echo(open_page(graph_html or page or Path("output") / "graph.html"))


@cli.command()
@graph_option
@click.option("--page", type=click.Path(path_type=Path), default=None,
              help="The graph page served at /  [default: graph.html beside the graph]")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; loopback by default, 0.0.0.0 for every interface.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--timeout", default=10.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds a query may run before it is stopped.")
@click.option("--max-mb", default=50.0, show_default=True, type=click.FloatRange(min=0.001),
              help="Largest answer, in megabytes; a larger one is stopped and refused.")
def serve(graph_path, page, host, port, timeout, max_mb):
    """Serve the graph as a read-only SPARQL 1.1 endpoint at /sparql.

    / is the graph page, /query a query page with the named queries.

    Example: kg serve --port 8000   then   curl 'http://127.0.0.1:8000/sparql?query=ASK{?s?p?o}'
    """
    from .server import Settings, serve as run_server
    run_server(Settings(graph_path, page, timeout=timeout, max_bytes=int(max_mb * 1_000_000)),
               host, port, say=click.echo)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--endpoint", required=True, help="The store's Graph Store Protocol URL, e.g. http://localhost:8890/sparql-graph-crud-auth")
@click.option("--graph", "graph_iri", help="Push everything into this one named graph instead of one per document.")
@click.option("--user", help="User name, if the store asks for one.")
@click.option("--password", envvar="KG_PASSWORD", help="Password for --user (or set KG_PASSWORD).")
@click.option("--from", "source", type=click.Path(path_type=Path), default=DEFAULT_GRAPH, show_default=True,
              help="The built graph whose documents are pushed (when no report is given).")
def push(paths, endpoint, graph_iri, user, password, source):
    """Load the built graph into a triple store over the SPARQL 1.1 Graph Store
    HTTP Protocol, one named graph per document (named by its IRI).

    With report files or folders, those are built and pushed instead.

    Example: kg push --endpoint http://localhost:3030/kg/data
    """
    from .push import built_documents, extracted_documents, push_graphs
    documents = extracted_documents(list(paths)) if paths else built_documents(source)
    if graph_iri:
        documents = {graph_iri: b"".join(documents.values())}
    elif "" in documents:
        raise KgError(f"{source}: some triples belong to no document; push them all into one graph with --graph IRI.")
    for iri, triples in push_graphs(documents, endpoint, user, password):
        click.echo(f"pushed {triples:>7} triples  <{iri}>")


@cli.command(name="eval")
@click.argument("gold", type=click.Path(path_type=Path))
@click.argument("input_path", metavar="[INPUT]", required=False, type=click.Path(path_type=Path))
@click.option("--graph", "graph_path", type=click.Path(path_type=Path), help="Score this built graph instead of building INPUT.")
@click.option("--per-rule", is_flag=True, help="Each rule's outputs and precision, worst first.")
@click.option("--show", default=20, show_default=True, help="How many misses and false positives to list per kind.")
def evaluate(gold, input_path, graph_path, per_rule, show):
    """Score extraction against a gold annotation: P/R/F1 for entities, relations, indicators.

    Example: kg eval gold.json seeds/000_422bfd801309c4b5.txt --per-rule
    """
    from .evaluate import evaluate_command
    click.echo(evaluate_command(gold, input_path, graph_path, show=show, per_rule=per_rule))


def main(argv=None):
    """Entry point: KgError becomes one line on stderr and exit status 1."""
    try:
        cli.main(args=argv, prog_name="kg", standalone_mode=False)
    except KgError as err:
        _fail(str(err))
    except click.exceptions.Abort:
        _fail("interrupted.", 130)
    except click.ClickException as err:
        err.show()
        sys.exit(err.exit_code)
    except KeyboardInterrupt:
        _fail("interrupted.", 130)
    except BrokenPipeError:
        sys.exit(0)
