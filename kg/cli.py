"""The ``kg`` command: parses options, calls one library function, prints the outcome."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from . import load_facts, load_graph, check_facts, serialize, write_atomically
from .errors import InputError, KgError
from .export import FORMATS, format_for

TURTLE_NAME = "gpu-kg.ttl"


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

    return run


facts_option = click.option(
    "--facts", "facts_dir", default="facts", show_default=True,
    type=click.Path(file_okay=False, path_type=Path), help="Folder of YAML fact files.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="gpu-kg")
def main() -> None:
    """Build and query a knowledge graph of the Chinese domestic GPU industry.

    Exit status: 0 success, 1 the input is wrong (every problem is listed as
    path:line:col: message), 2 wrong usage.
    """


@main.command()
@facts_option
@click.option("--out", "out_dir", default="out", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Folder for the outputs.")
@_reports_errors
def build(facts_dir: Path, out_dir: Path) -> None:
    """Read the facts, build and check the graph, write it as Turtle.

    \b
    Example:
        kg build --facts facts --out out     # writes out/gpu-kg.ttl
    """
    graph = load_graph(facts_dir)
    target = out_dir / TURTLE_NAME
    write_atomically(target, serialize(graph, "turtle"))
    click.echo(f"{len(graph)} triples; wrote {target}")


@main.command()
@facts_option
@_reports_errors
def validate(facts_dir: Path) -> None:
    """Check the facts and the graph they build against the shapes; write nothing.

    \b
    Example:
        kg validate --facts facts
    """
    facts = load_facts(facts_dir)
    graph = check_facts(facts)
    click.echo(f"{len(facts.records)} facts, {len(graph)} triples: valid")


@main.command()
@facts_option
@click.option("--format", "format_name", type=click.Choice(sorted(FORMATS)),
              help="RDF format; guessed from the file suffix when not given (default turtle).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
              help="File to write; standard output when not given.")
@_reports_errors
def export(facts_dir: Path, format_name: str | None, output: Path | None) -> None:
    """Export the graph as Turtle, N-Triples, JSON-LD, RDF/XML or TriG.

    \b
    Examples:
        kg export -o out/gpu-kg.nt
        kg export --format jsonld > gpu-kg.jsonld
    """
    chosen = format_for(format_name, output)
    data = serialize(load_graph(facts_dir), chosen)
    if output is None:
        click.echo(data.decode("utf-8"), nl=False)
    else:
        write_atomically(output, data)
        click.echo(f"wrote {output} ({chosen})", err=True)
