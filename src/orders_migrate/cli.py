"""Command line: parse arguments, call one ``run_*`` function, exit with its code (0 ok, 1 bad input, 2 usage)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated

import typer
from babel import Locale, UnknownLocaleError

from . import __version__
from .run import run_convert, run_mappings
from .table import MappingError

app = typer.Typer(
    name="orders-migrate",
    help="Convert stored Wix Stores Orders payloads into Wix eCommerce Orders shapes.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class ReportFormat(str, Enum):
    text = "text"
    json = "json"
    none = "none"


class OutputFormat(str, Enum):
    auto = "auto"
    json = "json"
    ndjson = "ndjson"


def _version(value: bool) -> None:
    if value:
        typer.echo(f"orders-migrate {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool | None, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = None,
) -> None:
    """Convert stored Wix Stores Orders payloads into Wix eCommerce Orders shapes."""


def _check_locale(value: str) -> str:
    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError) as exc:
        raise typer.BadParameter(f"unknown locale {value!r}") from exc
    return value


@app.command()
def convert(
    files: Annotated[list[str], typer.Argument(help="Stores order JSON/NDJSON files; '-' reads stdin.")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write converted JSON here instead of stdout.")] = None,
    report: Annotated[ReportFormat, typer.Option("--report", help="Report on stderr: text, json or none.")] = ReportFormat.text,
    report_out: Annotated[str | None, typer.Option("--report-out", help="Also write the reports as JSON to this file.")] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="auto: one order pretty-printed, several as NDJSON.")
    ] = OutputFormat.auto,
    locale: Annotated[
        str, typer.Option("--locale", callback=_check_locale, help="Locale of formattedAmount, e.g. en_US, de_DE.")
    ] = "en_US",
) -> None:
    """Convert Stores orders (one order, a Query Orders response, an array, or NDJSON) to eCommerce orders."""
    raise typer.Exit(run_convert(files, output, report.value, report_out, fmt.value, locale))


@app.command()
def mappings() -> None:
    """Print the mapping table as Markdown, generated from mappings.yaml."""
    raise typer.Exit(run_mappings())


def main() -> None:
    try:
        app()
    except MappingError as exc:
        typer.echo(f"orders-migrate: {exc}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
