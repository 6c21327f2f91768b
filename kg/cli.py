"""The ``kg`` command: parses options, calls one library function, prints the outcome.

Each command imports the library modules it uses when it runs, so ``kg --help``
and ``kg query`` do not pay for the view, SHACL and export libraries.
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
import datetime as dt
from pathlib import Path

import click

from .base.config import CACHE_NAME, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT
from .base.errors import InputError, KgError, UsageError, file_error
from .base.formats import (BINARY_RESULT_FORMATS, CHART_FORMATS, CHART_MARKS, CHART_NAMES, LANGS, RDF_FORMAT_NAMES,
                      RESULT_FORMATS, VIEW_FORMATS, VIEW_NAMES)
from .base.progress import QUIET, Progress

TURTLE_NAME = "gpu-kg.ttl"


def _prefix_text() -> dict[str, str]:
    from .base.ontology import PREFIXES

    return {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}


def _reports_errors(command):
    """Turn library errors into messages on stderr and the documented exit codes."""

    @functools.wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except InputError as err:
            for problem in err.problems:
                click.echo(str(problem), err=True)
            count = len(err.problems)
            click.echo(f"{count} problem{'s' if count != 1 else ''}; nothing was written.", err=True)
            sys.exit(err.exit_code)
        except KgError as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(err.exit_code)
        except BrokenPipeError:
            # The reader went away (kg query ... | head): stop quietly, as other tools do, and
            # let nothing more reach the closed pipe when Python flushes at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except OSError as err:  # a failure the library did not name: the same message all the same
            failure = file_error(err, "use")
            click.echo(f"Error: {failure}", err=True)
            sys.exit(failure.exit_code)

    return run


class _Bar(Progress):
    """A click progress bar for each stage of long work, on standard error."""

    def __init__(self) -> None:
        self.bar = None

    def stage(self, label: str, total: int) -> None:
        self.done()
        self.bar = click.progressbar(length=max(total, 1), label=label, file=sys.stderr)
        self.bar.__enter__()

    def advance(self, amount: int = 1) -> None:
        if self.bar is not None:
            self.bar.update(amount)

    def done(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


def _progress() -> Progress:
    """Bars when a person watches standard error; nothing in pipes, logs and tests."""
    return _Bar() if sys.stderr.isatty() else QUIET


facts_option = click.option(
    "--facts", "facts_dir", default="facts", show_default=True,
    type=click.Path(file_okay=False, path_type=Path), help="Folder of YAML fact files.",
)


store_option = click.option(
    "--store", "store_spec", metavar="STORE",
    help="Where the graph lives: memory (built from --facts; the default unless kg.toml names one), "
         "oxigraph:PATH (on disk), oxigraph+http://HOST:PORT, virtuoso+http://HOST:PORT, "
         "sparql+https://HOST/PATH, or a store named in kg.toml. See docs/stores.md.",
)


def _day(ctx, param, value: str | None):
    if value is None:
        return None
    from .base.values import ValueProblem, parse_day

    try:
        return parse_day(value)
    except ValueProblem as err:
        raise click.BadParameter(str(err)) from None


as_of_option = click.option(
    "--as-of", "as_of", metavar="YYYY-MM-DD", callback=_day,
    help="The graph as known on that day: only what sources published by then say, best values "
         "recomputed (built from --facts; not with a store).",
)


strict_option = click.option(
    "--strict", is_flag=True,
    help="Treat warnings (figures of several sources that conflict with no rank to settle them) as errors.",
)


def _report(warnings, notices, *, strict: bool) -> None:
    """Warnings and notes on stderr; with --strict, warnings stop the command before it writes."""
    if strict and warnings:
        raise InputError(list(warnings))
    for problem in notices:
        click.echo(f"{problem.location}: note: {problem.message}", err=True)
    for problem in warnings:
        click.echo(f"{problem.location}: warning: {problem.message}", err=True)


def _store(store_spec: str | None, facts_dir: Path, as_of: dt.date | None = None):
    """The store that holds the graph: in memory (built from the facts when first used, as known on
    ``as_of`` when given), on disk or remote."""
    from .store.open import open_store

    return open_store(store_spec, facts_dir=facts_dir, as_of=as_of)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gpu-kg")
def main() -> None:
    """Build and query a knowledge graph of the Chinese domestic GPU industry.

    Exit status: 0 success, 1 the input is wrong (every problem is listed as
    path:line:col: message), 2 wrong usage, or a file or folder that cannot be
    read or written (the message names it).
    """


@main.command()
@facts_option
@click.option("--out", "out_dir", default="out", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the outputs.")
@store_option
@click.option("--no-cache", is_flag=True,
              help=f"Read every fact file again instead of reusing what OUT/{CACHE_NAME} kept from the last build.")
@strict_option
@_reports_errors
def build(facts_dir: Path, out_dir: Path, store_spec: str | None, no_cache: bool, strict: bool) -> None:
    """Read the facts, build and check the graph, write it as Turtle.

    Files unchanged since the last build are not read again: what they gave is
    kept in OUT/.kg-cache (delete it, or give --no-cache, to read everything).

    With --store, also load the graph into that store, replacing what it held
    (all at once: a failed load leaves the previous graph in place).

    \b
    Examples:
        kg build --facts facts --out out     # writes out/gpu-kg.ttl
        kg build --store oxigraph:out/store  # and loads the on-disk store
    """
    from .build.pipeline import build_turtle
    from .build.export import check_rdf
    from .base.files import write_atomically
    from .store.core import Document, MEMORY
    from .store.open import open_store

    progress = _progress()
    built = build_turtle(facts_dir, cache_dir=None if no_cache else out_dir / CACHE_NAME, progress=progress)
    _report(built.warnings, built.notices, strict=strict)
    target = out_dir / TURTLE_NAME
    write_atomically(target, built.turtle, check=check_rdf("turtle"))
    click.echo(f"{built.triples} triples; wrote {target}")
    store = open_store(store_spec, facts_dir=facts_dir)
    if store.name != MEMORY:
        loaded = store.replace(Document(built.turtle, "turtle", built.triples), progress=progress)
        click.echo(f"loaded {loaded} triples into {store.name}")


@main.command()
@facts_option
@strict_option
@_reports_errors
def validate(facts_dir: Path, strict: bool) -> None:
    """Check the facts and the graph they build against the shapes; write nothing.

    Figures that several sources give are reconciled: agreeing, one a rounding of
    the other (the more precise is preferred), or in conflict. A conflict that no
    rank settles is a warning, and an error with --strict.

    \b
    Examples:
        kg validate --facts facts
        kg validate --strict          # as CI runs it
    """
    from . import checked_graph, load_facts

    facts = load_facts(facts_dir, progress=_progress())
    graph = checked_graph(facts)
    _report(facts.warnings, facts.notices, strict=strict)
    warned = f", {len(facts.warnings)} warning{'s' if len(facts.warnings) != 1 else ''}" if facts.warnings else ""
    click.echo(f"{len(facts.records)} facts, {len(graph)} triples: valid{warned}")


@main.command()
@facts_option
@click.option("--format", "format_name", type=click.Choice(RDF_FORMAT_NAMES),
              help="RDF format; guessed from the file suffix when not given (default turtle).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write; standard output when not given.")
@click.option("--store", "store_spec", metavar="STORE",
              help="Export the graph a store holds (e.g. oxigraph:out/store, filled by kg build --store) "
                   "instead of building it from --facts.")
@as_of_option
@_reports_errors
def export(facts_dir: Path, format_name: str | None, output: Path | None, store_spec: str | None,
           as_of: dt.date | None) -> None:
    """Export the graph as Turtle, N-Triples, JSON-LD, RDF/XML or TriG.

    \b
    Examples:
        kg export -o out/gpu-kg.nt
        kg export --format jsonld > gpu-kg.jsonld
        kg export --store oxigraph:out/store -o store.ttl   # the store's graph, read as it is
    """
    from .build.export import check_rdf, format_for, serialize
    from .base.files import write_atomically

    chosen = format_for(format_name, output)
    if as_of is not None and store_spec is not None:
        raise UsageError("--as-of builds the graph from the facts as known on a day; leave out --store (or --as-of)")
    if store_spec is None:
        from . import checked_graph, load_facts

        graph = checked_graph(load_facts(facts_dir, progress=_progress(), as_of=as_of))
    else:
        from .build.graph import FactGraph
        from .store.open import open_store

        store = open_store(store_spec, facts_dir=facts_dir)
        # An Oxigraph store is read term by term into the exports' own form; never into rdflib whole.
        graph = FactGraph(store.subjects()) if hasattr(store, "subjects") else FactGraph.from_rdflib(store.graph())
    data = serialize(graph, chosen)
    check_rdf(chosen)(data)  # what is written or printed reads back
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        write_atomically(output, data)
        click.echo(f"wrote {output} ({chosen})", err=True)


@main.command()
@facts_option
@click.argument("name", required=False, type=click.Choice(VIEW_NAMES))
@click.option("--focus", metavar="ENTITY", help="Draw what surrounds one entity, given by id or by English or Chinese name.")
@click.option("--depth", default=1, show_default=True, type=click.IntRange(0), help="How many edges out from --focus.")
@click.option("--query", "query_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Draw the triples of a CONSTRUCT query, or of a SELECT ?s ?p ?o, in this .rq file.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write; out/views/<view>.<format> when not given.")
@click.option("--format", "format_name", type=click.Choice(sorted(VIEW_FORMATS)),
              help="html (interactive page), png (a picture of the page, taken in headless Chromium), or "
                   "graphml / gexf for Gephi and Cytoscape; guessed from the -o suffix when not given (default html).")
@click.option("--lang", default="en", show_default=True, type=click.Choice(LANGS),
              help="Language of the labels (the page can switch; tooltips show both names).")
@click.option("--size-by", default="degree", show_default=True, metavar="degree|METRIC",
              help="Node size: the number of edges, or the latest figure of a metric such as revenue.")
@click.option("--allow-service", is_flag=True, help="Let --query's SERVICE, LOAD, FROM and USING fetch data over the network.")
@click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT, show_default=True,
              metavar="SECONDS", help="Stop --query's query if it runs longer than this; 0 for no limit.")
@store_option
@as_of_option
@_reports_errors
def view(facts_dir: Path, name: str | None, focus: str | None, depth: int, query_file: Path | None,
         output: Path | None, format_name: str | None, lang: str, size_by: str, allow_service: bool,
         timeout: float, store_spec: str | None, as_of: dt.date | None) -> None:
    """Write one interactive network view: a single HTML file that works offline.

    NAME is one of supply-chain, capital, products, all; or give --focus or --query instead.

    \b
    Examples:
        kg view supply-chain -o supply-chain.html
        kg view capital --lang zh
        kg view --focus 天数智芯 --depth 2
        kg view --query queries/my-view.rq
        kg view all -o gpu-kg.graphml
        kg view capital -o capital.png
    """
    from .query import catalog as queries_lib
    from .show import views as views_lib
    from .base.files import write_atomically

    views_lib.check_request(name=name, focus=focus, query_file=query_file)
    chosen = views_lib.format_for(format_name, output)
    found = None
    if query_file is not None:  # refused before any work if it asks for what was not allowed
        found = queries_lib.check_request(queries_lib.load_query(query_file), allow_service=allow_service)
    store = _store(store_spec, facts_dir, as_of)
    if found is not None:
        result = queries_lib.run(store, found, allow_service=allow_service, timeout=timeout, labels=False)
        shown = views_lib.query_view(store.graph(), result, name=query_file.stem)
    else:
        shown = views_lib.select_view(store.graph(), name=name, focus=focus, depth=depth)
    target = output or Path("out") / "views" / f"{shown.name}.{chosen}"
    data = views_lib.render(shown, chosen, lang=lang, size_by=size_by)
    write_atomically(target, data)
    click.echo(f"wrote {target} ({views_lib.counts(shown, chosen)})")


@main.command("views")
@facts_option
@click.option("--out", "out_dir", default="out/views", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the pages.")
@click.option("--lang", default="en", show_default=True, type=click.Choice(LANGS),
              help="Language of the labels.")
@store_option
@as_of_option
@_reports_errors
def views_command(facts_dir: Path, out_dir: Path, lang: str, store_spec: str | None, as_of: dt.date | None) -> None:
    """Write every named view and an index.html that links them.

    \b
    Example:
        kg views --out out/views     # then open out/views/index.html
    """
    from .show import views as views_lib

    for path, shown in views_lib.write_views(_store(store_spec, facts_dir, as_of).graph(), out_dir, lang=lang):
        click.echo(f"wrote {path}" + (f" ({views_lib.counts(shown)})" if shown else ""))


# --- saved queries ----------------------------------------------------------------------

lang_option = click.option(
    "--lang", type=click.Choice(["en", "zh"]), default=None,
    help="Language of names and labels (default en; the other language where one is missing).",
)
timeout_option = click.option(
    "--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT, show_default=True,
    metavar="SECONDS", help="Stop a query that runs longer than this; 0 for no limit.",
)
memory_option = click.option(
    "--memory-limit", "memory_mb", type=click.IntRange(min=0), default=DEFAULT_MEMORY_MB, show_default=True,
    metavar="MB", help="Stop a query whose worker needs more than this many megabytes beyond its start; 0 for no limit.",
)
catalog_option = click.option(
    "--catalog", "catalog_dir", type=click.Path(file_okay=False, path_type=Path),
    help="Folder of saved queries (default: the queries/ that ships with gpu-kg).",
)


def _param_values(pairs: tuple[str, ...]) -> dict[str, str]:
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise UsageError(f"--param expects KEY=VALUE (e.g. --param company=iluvatar), not '{pair}'")
        if key in values:
            raise UsageError(f"parameter '{key}' is given twice")
        values[key] = value
    return values


@main.command("queries")
@facts_option
@catalog_option
@click.argument("name", required=False)
@click.option("--run-all", is_flag=True, help="Run every saved query with its defaults; write NAME.csv and NAME.json.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for --run-all (e.g. out/queries).")
@click.option("--format", "format_name", type=click.Choice([f for f in RESULT_FORMATS if f not in BINARY_RESULT_FORMATS]),
              help="Format of the list (default table on a terminal, csv otherwise).")
@lang_option
@timeout_option
@store_option
@as_of_option
@_reports_errors
def queries_command(facts_dir: Path, catalog_dir: Path | None, name: str | None, run_all: bool,
                    out_dir: Path | None, format_name: str | None, lang: str | None, timeout: float,
                    store_spec: str | None, as_of: dt.date | None) -> None:
    """List the saved queries (name, title, parameters), describe one, or run them all.

    \b
    Examples:
        kg queries                               # the catalog
        kg queries company-profile               # what it answers and its parameters
        kg queries --run-all --out out/queries   # every result as CSV and JSON
    """
    from .query import catalog as queries_lib
    from .query.results import format_for as result_format_for, render

    if run_all:
        if out_dir is None:
            raise UsageError("--run-all needs --out DIR (e.g. --out out/queries)")
        written = queries_lib.write_all(_store(store_spec, facts_dir, as_of), out_dir, catalog_dir, lang=lang,
                                        timeout=timeout)
        click.echo(f"{len(written) // 2} queries; wrote {len(written)} files to {out_dir}")
        return
    if name is not None:
        click.echo(queries_lib.describe(queries_lib.find_query(name, catalog_dir)), nl=False)
        return
    chosen = result_format_for(format_name, None, terminal=sys.stdout.isatty())
    listing = queries_lib.catalog_result(queries_lib.load_catalog(catalog_dir, headers_only=True))
    click.echo(render(listing, chosen, prefixes=_prefix_text(), headings=queries_lib.headings(lang, catalog_dir)),
               nl=False)


@main.command("query")
@facts_option
@catalog_option
@click.argument("query")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A parameter value: an id, a name in English or Chinese, or an IRI for an entity. Repeat for more.")
@click.option("--format", "format_name", type=click.Choice(list(RESULT_FORMATS)),
              help="table (default on a terminal), csv (default otherwise), tsv, json, xml, md, xlsx; "
                   "guessed from the -o suffix when not given.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write (atomically); standard output when not given.")
@click.option("--bom", is_flag=True, help="Start text output with a byte-order mark, so Excel reads Chinese in a CSV file.")
@click.option("--raw", is_flag=True, help="On a terminal, show every value exactly, uncut and ungrouped.")
@click.option("--columns", "columns", metavar="NAMES",
              help="Only these columns, in this order (company,period,value), or all but these (-fact,-sources); "
                   "by name or heading.")
@lang_option
@click.option("--allow-update", is_flag=True, help="Let a SPARQL UPDATE change the graph in memory (never facts/).")
@click.option("--allow-service", is_flag=True, help="Let SERVICE, LOAD, FROM and USING fetch data over the network.")
@timeout_option
@memory_option
@click.option("--limit", type=click.IntRange(min=0), metavar="N", help="Write at most N rows.")
@click.option("--offset", type=click.IntRange(min=0), default=0, metavar="N", help="Skip the first N rows.")
@store_option
@as_of_option
@_reports_errors
def query_command(facts_dir: Path, catalog_dir: Path | None, query: str, params: tuple[str, ...],
                  format_name: str | None, output: Path | None, bom: bool, raw: bool, columns: str | None,
                  lang: str | None, allow_update: bool, allow_service: bool, timeout: float, memory_mb: int,
                  limit: int | None, offset: int, store_spec: str | None, as_of: dt.date | None) -> None:
    """Run a saved query by NAME, a .rq FILE, or inline SPARQL.

    On a terminal the table fits the window (long text cut, amounts grouped);
    --raw shows exact values, as pipes and files always get them.

    \b
    Examples:
        kg query listing-race
        kg query company-profile --param company=天数智芯 --lang zh
        kg query financial-series -p company=biren -p metric=net-loss --format md
        kg query derived-revenue-cagr -o cagr.json
        kg query listing-race -o listing-race.xlsx          # typed cells: numbers, dates
        kg query investors --lang zh -o investors.csv --bom  # Excel opens it with Chinese intact
        kg query 'SELECT ?c WHERE { ?c a gpu:ChipDesigner } ORDER BY ?c'
        kg query listing-race --store oxigraph:out/store   # no rebuild: the store kg build filled
        kg query figures --limit 20 --offset 40
        kg query figures -p entity=壁仞 --columns metric,period,value,stated
    """
    from .query import catalog as queries_lib
    from .base.files import atomic_file
    from .query.results import column_choice, format_for as result_format_for, pieces, with_columns, write

    values = _param_values(params)
    choice = column_choice(columns) if columns is not None else None
    on_terminal = output is None and sys.stdout.isatty()
    chosen = result_format_for(format_name, output, terminal=on_terminal)
    if chosen == "xlsx" and on_terminal:
        raise UsageError("xlsx is a binary format; write it to a file with -o result.xlsx")
    named = queries_lib.find_query(query, catalog_dir)
    if "lang" in values and named.param("lang") is None:  # -p lang=zh: the labels' language, as --lang gives it
        lang = _label_language(values.pop("lang"), lang)
    found = queries_lib.check_request(named, values, lang=lang, allow_update=allow_update,
                                      allow_service=allow_service, timeout=timeout)
    # Rows are written as the engine finds them, a chunk at a time: the first come at once,
    # and a long answer is never held whole.
    chunks = queries_lib.stream(_store(store_spec, facts_dir, as_of), found, values, lang=lang, allow_update=allow_update,
                                allow_service=allow_service, timeout=timeout, limit=limit, offset=offset,
                                memory_mb=memory_mb or None)
    if found.form == "update":
        chunks = list(chunks)
        click.echo("The update changed the graph in memory only; facts/ are unchanged.", err=True)
    # Headings for people (table, Markdown, Excel), in the language the labels are in.
    own = found.param("lang")
    headings = queries_lib.headings(lang or values.get("lang") or (own.default if own else None), catalog_dir)
    if choice is not None:
        chunks = with_columns(chunks, choice, headings)
    if on_terminal and chosen == "table" and not raw:
        width = shutil.get_terminal_size().columns
        for piece in pieces(chunks, chosen, prefixes=_prefix_text(), width=width, headings=headings):
            click.echo(piece, nl=False)
        return
    if output is None:
        sys.stdout.flush()
        write(chunks, chosen, sys.stdout.buffer, prefixes=_prefix_text(), bom=bom, headings=headings)
        sys.stdout.buffer.flush()
        return
    with atomic_file(output) as handle:
        count = write(chunks, chosen, handle, prefixes=_prefix_text(), bom=bom, headings=headings)
    shown = "true/false" if count is None else f"{count} row{'' if count == 1 else 's'}"
    click.echo(f"wrote {output} ({chosen}, {shown})", err=True)


def _label_language(asked: str, given: str | None) -> str:
    if asked not in LANGS:
        raise UsageError(f"parameter 'lang': '{asked}' is not one of {', '.join(LANGS)}")
    if given is not None and given != asked:
        raise UsageError(f"--lang {given} and -p lang={asked} ask for two languages; give one")
    return asked


@main.command()
@click.option("--companies", required=True, type=click.IntRange(1), help="How many chip designers to invent.")
@click.option("-o", "--output", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="New (or empty) folder to write the fact files into.")
@click.option("--seed", default=0, show_default=True, type=int, help="The same seed writes the same bytes.")
@_reports_errors
def synth(companies: int, out_dir: Path, seed: int) -> None:
    """Write a synthetic fact folder, for trying the tool at scale (about 77 triples a company).

    Realistic but invented companies, with products, suppliers, funding rounds,
    listings, figures and statements, quoting stored report texts; valid facts.

    \b
    Examples:
        kg synth --companies 1000 -o /tmp/facts-1k
        kg build --facts /tmp/facts-1k --out /tmp/out-1k
    """
    from .facts.synth import write_synthetic

    summary = write_synthetic(out_dir, companies, seed=seed)
    click.echo(f"wrote {summary.entries} entries for {summary.companies} companies in {summary.files} files under {out_dir}")


# --- the web app ------------------------------------------------------------------------


@main.command("serve")
@facts_option
@catalog_option
@click.option("--port", default=8711, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on; 0 for any free one (the address is printed).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; the default answers this machine only.")
@click.option("--allow-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A host name clients reach a --host other than loopback by (repeat for more).")
@timeout_option
@memory_option
@click.option("--workers", type=click.IntRange(min=1), metavar="N",
              help="Queries that run at once (default: four per core, at least 8); more wait, in a bounded queue.")
@click.option("--queue", type=click.IntRange(min=0), metavar="N",
              help="Queries that may wait for a worker (default: 16 per worker); past that, 503 at once.")
@store_option
@as_of_option
@_reports_errors
def serve_command(facts_dir: Path, catalog_dir: Path | None, port: int, host: str, allowed_hosts: tuple[str, ...],
                  timeout: float, memory_mb: int, workers: int | None, queue: int | None,
                  store_spec: str | None, as_of: dt.date | None) -> None:
    """Serve a local web app and a SPARQL endpoint over the graph (read-only).

    Pages: the saved queries as forms with sortable, paged results and CSV, JSON
    and Excel downloads; a page per entity with every statement's source; the
    network views; a SPARQL editor. For programs: /sparql (SPARQL 1.1
    Protocol) and /api/queries/NAME?param=value. Each query runs in a worker
    process, stopped at --timeout or --memory-limit. Needs pip install 'gpu-kg[serve]'.

    \b
    Examples:
        kg serve                                  # then open http://127.0.0.1:8711/
        kg serve --port 9000 --store oxigraph:out/store
    """
    from .web import app as serve_lib

    serve_lib.check_installed()
    store = _store(store_spec, facts_dir, as_of)  # a wrong --store is a usage error before anything starts
    # The graph is loaded while the server starts listening; a request waits for it.
    site = serve_lib.Site(store, catalog_dir=catalog_dir, timeout=timeout, memory_mb=memory_mb or None,
                          workers=workers, queue=queue, facts_dir=None if store_spec else facts_dir, as_of=as_of)
    if host not in serve_lib.LOOPBACK_NAMES:
        click.echo(f"Warning: listening on {host}: other machines can reach this server; requests must name it "
                   f"as one of {', '.join(serve_lib.host_names(host, allowed_hosts))} (--allow-host adds names)",
                   err=True)
    serve_lib.serve(site, host=host, port=port, allowed_hosts=allowed_hosts,
                    started=lambda url: click.echo(f"serving {url} (read-only; Ctrl-C to stop)", err=True))


# --- from a new article to checked facts: resolve, extract, coverage ------------------------------------

@main.command("resolve")
@facts_option
@click.argument("names", nargs=-1, required=True)
@_reports_errors
def resolve_command(facts_dir: Path, names: tuple[str, ...]) -> None:
    """Find entities by any name they go by: names in either language, aliases, legal names, tickers.

    Each name prints the id, names and kind of what it names. A name that fits
    several entities lists them all and picks none; an unknown one says so, with
    the closest names. Exit status 1 when some name does not name exactly one entity.

    \b
    Examples:
        kg resolve 壁仞 "Biren Technology Co., Ltd." 天数
        kg resolve 上海天数智芯半导体股份有限公司 688795.SH
    """
    from . import load_graph
    from .query.resolve import Resolver, describe

    resolver = Resolver(load_graph(facts_dir))
    results = [resolver.lookup(name, entities_only=True) for name in names]
    click.echo("".join(describe(result) for result in results), nl=False)
    if any(result.status != "found" for result in results):
        sys.exit(1)


@main.command("changes")
@facts_option
@click.option("--since", "since", metavar="YYYY-MM-DD", required=True, callback=_day,
              help="Show the sources published after this day.")
@click.option("--format", "format_name", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True, help="Language of names.")
@_reports_errors
def changes_command(facts_dir: Path, since: dt.date, format_name: str, lang: str) -> None:
    """What each source published after a day added and changed, oldest first.

    For each source: its entries by kind, the entities it is the first to name, the best
    values it set or moved (before -> after), the conflicts it brought and the figures of
    other sources it confirms.

    \b
    Examples:
        kg changes --since 2025-12-01
        kg changes --since 2025-12-20 --format json
    """
    from .facts.changes import as_json, as_text, changes
    from .facts.read import read_entries

    found = changes(read_entries(facts_dir, progress=_progress()), since, lang)
    click.echo(as_json(found) if format_name == "json" else as_text(found), nl=False)


@main.command("extract")
@facts_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", metavar="ID", help="The source (an id in sources) the candidates will cite.")
@click.option("--published", metavar="YYYY-MM-DD", help="Publication date, for 今日, 上周五 and month-day dates "
                                                        "(default: the source's, when the facts give it).")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of the text (default: guessed from it).")
@click.option("--format", "format_name", default="yaml", show_default=True, type=click.Choice(["yaml", "json"]),
              help="yaml: candidate entries in the facts format, evidence in comments; json: one object a figure.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="File to write (default: stdout).")
@_reports_errors
def extract_command(facts_dir: Path, file: Path, source: str | None, published: str | None, lang: str | None,
                    format_name: str, output: Path | None) -> None:
    """Find every figure of an article and propose it as a fact, compared with the graph.

    Each figure comes with its value, unit, cue words (约, 超, 近, 最高, 预计 ...), sentence, and,
    where the text says, the entity, metric and period. Status against the graph: new, same,
    more precise, less precise, conflict, or already recorded from this source. Nothing is
    written to the facts: edit the candidates, then move them into facts/.

    \b
    Examples:
        kg extract article.txt --source cnfol-biren-offering -o candidates.yaml
        kg extract article.txt --published 2025-12-23 --format json
    """
    from . import load_facts
    from .author import extract as extract_lib
    from .base.files import write_atomically

    text = extract_lib.read_text_file(file)
    day = extract_lib.parse_published(published)
    result = extract_lib.extract(text, facts=load_facts(facts_dir), source=source, published=day,
                                 path=str(file), lang=lang)
    rendered = extract_lib.render(result, format_name)
    if output is None:
        click.echo(rendered, nl=False)
    else:
        write_atomically(output, rendered.encode("utf-8"))
        click.echo(f"wrote {output} ({len(result.candidates)} candidates)", err=True)


@main.command("coverage")
@facts_option
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", metavar="ID", help="The source whose text FILE is (default: the one that stores it).")
@_reports_errors
def coverage_command(facts_dir: Path, file: Path, source: str | None) -> None:
    """Check that every number of a stored source text is recorded by a fact of that source.

    Lists each number with the statements that record it. Exit status 1 when some
    number is not recorded.

    \b
    Example:
        kg coverage facts/texts/iluvatar-hkex-hearing-article.txt
    """
    from . import checked_graph, load_facts
    from .author import coverage as coverage_lib

    facts = load_facts(facts_dir)
    result = coverage_lib.coverage(facts, checked_graph(facts).to_rdflib(), file, source)
    click.echo(coverage_lib.report(result), nl=False)
    if result.missing:
        sys.exit(1)


# --- charts and timelines --------------------------------------------------------------


@main.command("chart")
@facts_option
@catalog_option
@click.argument("name", required=False, type=click.Choice(CHART_NAMES))
@click.option("--company", metavar="ENTITY",
              help="The company of an income-statement or operations chart (id, English or Chinese name).")
@click.option("--query", "query_ref", metavar="QUERY",
              help="Chart what a query returns (a saved query's name, a .rq file or inline SPARQL) instead of NAME.")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE", help="A parameter of --query. Repeat for more.")
@click.option("--mark", type=click.Choice(CHART_MARKS), default="line", show_default=True,
              help="Figures over periods as lines or bars.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write; out/charts/<chart>.<format> when not given.")
@click.option("--format", "format_name", type=click.Choice(sorted(CHART_FORMATS)),
              help="html (interactive page), svg or png, or json (the Vega-Lite spec); guessed from the -o suffix "
                   "when not given (default html).")
@click.option("--lang", default="en", show_default=True, type=click.Choice(LANGS),
              help="Language of the labels (the page can switch).")
@timeout_option
@store_option
@as_of_option
@_reports_errors
def chart_command(facts_dir: Path, catalog_dir: Path | None, name: str | None, company: str | None,
                  query_ref: str | None, params: tuple[str, ...], mark: str, output: Path | None,
                  format_name: str | None, lang: str, timeout: float, store_spec: str | None, as_of: dt.date | None) -> None:
    """Draw one chart or timeline: an offline HTML page, or SVG / PNG for reports.

    NAME is income-statement or operations (with --company), listing-day,
    listing-race, roadmap or funding; or give --query to chart the figures, listing
    events, milestones or funding rounds any query returns (as IRIs).

    \b
    Examples:
        kg chart income-statement --company 天数智芯
        kg chart operations --company iluvatar --mark bar
        kg chart listing-race --lang zh -o listing-race.html
        kg chart listing-day -o listing-day.png
        kg chart --query figures -p entity=biren -p metric=net-loss --mark bar
    """
    from .show import charts as charts_lib
    from .query import catalog as queries_lib
    from .base.files import write_atomically

    chosen = charts_lib.format_for(format_name, output)
    if (name is None) == (query_ref is None):
        raise UsageError(f"give a chart name ({', '.join(CHART_NAMES)}) or --query QUERY, not both")
    if query_ref is None and params:
        raise UsageError("--param goes with --query")
    found, values = None, _param_values(params)
    if query_ref is not None:  # refused before any work if it is wrong
        found = queries_lib.check_request(queries_lib.find_query(query_ref, catalog_dir), values)
    store = _store(store_spec, facts_dir, as_of)
    if found is not None:
        result = queries_lib.run(store, found, values, timeout=timeout, labels=False)
        shown = charts_lib.result_chart(store, result, name=found.name, title=found.title, mark=mark)
    else:
        shown = charts_lib.named_chart(store, name, company=company, mark=mark)
    target = output or Path("out") / "charts" / f"{shown.name}.{chosen}"
    write_atomically(target, charts_lib.render(shown, chosen, lang=lang))
    click.echo(f"wrote {target} ({charts_lib.describe(shown)})")


@main.command("charts")
@facts_option
@click.option("--out", "out_dir", default="out/charts", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the pages.")
@click.option("--mark", type=click.Choice(CHART_MARKS), default="line", show_default=True,
              help="Figures over periods as lines or bars.")
@click.option("--lang", default="en", show_default=True, type=click.Choice(LANGS),
              help="Language of the labels (each page can switch).")
@store_option
@as_of_option
@_reports_errors
def charts_command(facts_dir: Path, out_dir: Path, mark: str, lang: str, store_spec: str | None, as_of: dt.date | None) -> None:
    """Write every ready-made chart and an index.html that links them.

    Each company's income statement and operating figures, the listing day, the
    listing race, the product roadmap and the funding rounds.

    \b
    Example:
        kg charts --out out/charts     # then open out/charts/index.html
    """
    from .show import charts as charts_lib

    for path, shown in charts_lib.write_charts(_store(store_spec, facts_dir, as_of), out_dir, lang=lang, mark=mark):
        click.echo(f"wrote {path}" + (f" ({charts_lib.describe(shown)})" if shown else ""))
