"""Command line: parse arguments, call one ``run_*`` function, exit with its code (0 ok, 1 bad input, 2 usage).

Why one module over the ~400-line guide: it holds only the declarations of the commands' arguments (names,
types, help texts, the usage errors they imply), each command a few lines calling its ``run_*``; split up,
the options every command shares (``--mappings``, ``--locale``, ``--report``) would be declared apart from
the commands that use them."""

# No ``from __future__ import annotations``: typer reads every command's annotations as it builds the
# CLI, and evaluating them here once is cheaper than typer compiling each one from its text at start-up.

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import typer
from babel import Locale, UnknownLocaleError

from . import __version__
from .batch.config import CHECKPOINT_BYTES, CHUNK_RECORDS
from .engine.routing import default_routing
from .engine.table import MappingError
from .webhook_jwt import load_public_key

if TYPE_CHECKING:
    from .engine.plan import Plan
    from .report import Validation

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


class TextFormat(str, Enum):
    text = "text"
    json = "json"


class BatchReport(str, Enum):
    auto = "auto"
    text = "text"
    json = "json"
    none = "none"


class OutputFormat(str, Enum):
    auto = "auto"
    json = "json"
    ndjson = "ndjson"


def _version(value: bool) -> None:
    if value:
        from .versions import data_versions

        typer.echo(f"orders-migrate {__version__}")
        for name, version in data_versions().items():  # what shapes the output besides the input
            if name != "orders-migrate":
                typer.echo(f"  {name} {version}")
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


def _a_file(value: str | None) -> str | None:
    # These are files a run builds up (a resumable batch commits them with its checkpoints); '-' would
    # make a file of that name in the current folder, not write to stdout.
    if value == "-":
        raise typer.BadParameter("'-' is not a file here: give a file name")
    return value


def _stdin_once(value: list[str] | None) -> list[str] | None:
    # stdin is read to its end the first time: a second '-' would be an empty record of its own.
    if value is not None and value.count("-") > 1:
        raise typer.BadParameter("'-' (stdin) is given more than once: it can be read only once")
    return value


def _a_json_path(value: str | None) -> str | None:
    # A malformed path can name no field: said as a usage error, not as "no leaf at this path" of a record.
    if value is not None:
        from .paths import PathError, parse_rendered

        try:
            parse_rendered(value)
        except PathError as exc:
            raise typer.BadParameter(f"{exc} (a path such as $.totals.subtotal or $.lineItems[0].name)") from None
    return value


def _webhook_kinds() -> list[str]:
    return [spec.id for spec in default_routing().webhooks]


def _check_kind(value: str) -> str:
    if value not in ("auto", "order", *_webhook_kinds()):
        raise typer.BadParameter(f"unknown kind {value!r}: auto, order, or one of {', '.join(_webhook_kinds())}")
    return value


LocaleOption = Annotated[
    str, typer.Option("--locale", callback=_check_locale, help="Locale of formattedAmount, e.g. en_US, de_DE.")
]
MappingsFile = Annotated[
    str | None,
    typer.Option(
        "--mappings",
        metavar="FILE",
        help="Use this mapping table instead of the shipped mappings.yaml (checked as it loads).",
        show_default=False,
    ),
]


def _plan(mappings: str | None, query: bool = False) -> "Plan | None":
    """The plan of ``--mappings FILE`` (None: the shipped table). A table that does not load is a usage
    error (exit 2) naming the file, the line and the row."""
    if mappings is None:
        return None
    from .engine.compile import plan_from_file  # a user's table is compiled; the default one on first use

    try:
        plan = plan_from_file(mappings)
        if query:
            from .query.fields import build_query_fields

            build_query_fields(plan.table)  # its `search` rows, checked before the request is read
        return plan
    except MappingError as exc:
        typer.echo(f"orders-migrate: {exc}", err=True)
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        typer.echo(f"orders-migrate: cannot read the mapping table {mappings}: {reason}", err=True)
    raise typer.Exit(2)


def _check_public_key(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return load_public_key(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command()
def convert(
    files: Annotated[
        list[str] | None,
        typer.Argument(help="Stores order JSON/NDJSON files; '-' reads stdin.", show_default=False, callback=_stdin_once),
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            help="Write converted JSON to this file (or folder: one file per input), not stdout; with --to-table, "
            "this database URL.",
        ),
    ] = None,
    report: Annotated[
        BatchReport,
        typer.Option(
            "--report",
            help="Report on stderr: auto (one order: its entries; a batch: the summary), text (every order's entries), "
            "json or none.",
        ),
    ] = BatchReport.auto,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="Print only the errors of records that fail: no reports, no summary.")
    ] = False,
    report_out: Annotated[
        str | None,
        typer.Option("--report-out", callback=_a_file, help="Also write the reports to this file (NDJSON, one per order)."),
    ] = None,
    fmt: Annotated[
        OutputFormat, typer.Option("--format", help="auto: one order pretty-printed, several as NDJSON.")
    ] = OutputFormat.auto,
    locale: LocaleOption = "en_US",
    strict: Annotated[
        bool, typer.Option("--strict", help="Fail a record whose input or output does not match its schema (exit 1).")
    ] = False,
    validate: Annotated[
        bool,
        typer.Option(
            "--validate/--no-validate",
            help="Hold every order to the eCommerce model (invalid entries in the report): a converted order "
            "by construction (only what the rows cannot imply is checked), one passed through by its schema. "
            "--strict always validates.",
        ),
    ] = True,
    audit: Annotated[
        bool,
        typer.Option(
            "--audit",
            help="Also check every converted order against the whole eCommerce schema (finds what --validate "
            "finds, and costs more; --strict audits).",
        ),
    ] = False,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            callback=_check_kind,
            help=f"What the input is: auto, order, or one of the webhooks {', '.join(_webhook_kinds())}",
        ),
    ] = "auto",
    public_key: Annotated[
        str | None,
        typer.Option(
            "--public-key",
            callback=_check_public_key,
            help="Wix's public key (PEM file, PEM text or base64) to verify JWT bodies.",
        ),
    ] = None,
    rejects: Annotated[
        str | None,
        typer.Option(
            "--rejects", callback=_a_file, help="Write each failed record, with its file, line and errors, here (NDJSON)."
        ),
    ] = None,
    jobs: Annotated[
        int | None, typer.Option("--jobs", "-j", min=1, help="Worker processes (default: one per core).", show_default=False)
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted run from the checkpoint beside --output.")
    ] = False,
    chunk_size: Annotated[int, typer.Option("--chunk-size", min=1, hidden=True)] = CHUNK_RECORDS,
    # Input bytes between two checkpoints (0: after every chunk), so tests can kill and resume a small run
    # at many checkpoints; hidden, like --chunk-size: a user has no reason to trade speed for it.
    checkpoint_bytes: Annotated[int, typer.Option("--checkpoint-bytes", min=0, hidden=True)] = CHECKPOINT_BYTES,
    order_filter: Annotated[
        str | None,
        typer.Option(
            "--filter",
            metavar="JSON",
            help='Only the Stores orders this Query Orders filter matches, e.g. \'{"paymentStatus": "PAID"}\' '
            "(seed 004's fields and operators; dates as ISO text or epoch ms).",
        ),
    ] = None,
    mappings: MappingsFile = None,
    companions: Annotated[
        bool,
        typer.Option(
            "--companions",
            help='Write each order with its payments, refunds and fulfillments: {"order", "orderWithFulfillments", '
            '"orderTransactions"} (an NDJSON line each; the last two when the order has them).',
        ),
    ] = False,
    crosswalk: Annotated[
        bool,
        typer.Option(
            "--crosswalk",
            help="One order per id across the inputs: the newest by lastUpdated is converted, older versions and "
            "identical copies are left out and reported, as are two orders with one number (a first pass reads every input).",
        ),
    ] = False,
    state: Annotated[
        str | None,
        typer.Option(
            "--state",
            metavar="FILE",
            help="Remember each converted order's content here; a later run converts only new and changed orders "
            "(implies --crosswalk).",
        ),
    ] = None,
    from_sql: Annotated[
        str | None,
        typer.Option(
            "--from-sql",
            metavar="URL",
            help="Read the orders from a database table instead of files (sqlite:///FILE, postgresql://...; "
            "needs orders-migrate\\[sql]): with --table, --column, --key, and -o URL --to-table.",
        ),
    ] = None,
    table: Annotated[str | None, typer.Option("--table", help="With --from-sql: the table to read.")] = None,
    column: Annotated[
        str | None, typer.Option("--column", help="With --from-sql: the column holding each order (text, JSON or JSONB).")
    ] = None,
    key: Annotated[
        str | None, typer.Option("--key", help="With --from-sql: the unique column the rows are read (and resumed) in order of.")
    ] = None,
    to_table: Annotated[
        str | None,
        typer.Option("--to-table", help="With --from-sql: write one row per order here (created if missing) in the -o database."),
    ] = None,
) -> None:
    """Convert Stores orders and webhooks (one order, a Query Orders response, an array, NDJSON, a webhook
    body or the JWT Wix delivered; files, folders or globs) to eCommerce orders and events, streaming and in
    parallel; bad records are reported and skipped (exit 1)."""
    plan = _plan(mappings)
    validation: Validation = "audit" if audit and validate else validate
    if plan is not None and kind not in ("auto", "order", *(spec.id for spec in plan.webhooks)):
        raise typer.BadParameter(f"unknown kind {kind!r} in {mappings}", param_hint="'--kind'")
    compiled = None
    if order_filter is not None:
        from .order_filter import FilterError, compile_filter

        try:
            compiled = compile_filter(order_filter, plan)
        except FilterError as exc:
            raise typer.BadParameter(f"{exc.path}: {exc.message}", param_hint="'--filter'") from None
    if from_sql is not None or to_table is not None:
        from .sql.command import run_sql_convert

        if crosswalk or state is not None:
            # Their first pass and their state file are of files; a SQL run resumes by its committed keys.
            raise typer.BadParameter("--crosswalk and --state take files, not --from-sql", param_hint="'--crosswalk'")

        raise typer.Exit(
            run_sql_convert(
                from_sql,
                table,
                column,
                key,
                output,
                to_table,
                files=files or [],
                report=report.value,
                report_out=report_out,
                fmt=fmt.value,
                locale=locale,
                strict=strict,
                validate=validation,
                kind=None if kind == "auto" else kind,
                public_key=public_key,
                rejects=rejects,
                jobs=jobs,
                resume=resume,
                chunk_records=chunk_size,
                plan=plan,
                quiet=quiet,
                order_filter=compiled,
                companions=companions,
            )
        )
    if not files:
        raise typer.BadParameter("give the files to convert, or --from-sql", param_hint="'FILES...'")
    from .run import run_convert

    raise typer.Exit(
        run_convert(
            files,
            output,
            report.value,
            report_out,
            fmt.value,
            locale,
            strict=strict,
            validate=validation,
            kind=None if kind == "auto" else kind,
            public_key=public_key,
            rejects=rejects,
            jobs=jobs,
            resume=resume,
            chunk_records=chunk_size,
            checkpoint_bytes=checkpoint_bytes,
            plan=plan,
            quiet=quiet,
            order_filter=compiled,
            companions=companions,
            crosswalk=crosswalk,
            state=state,
        )
    )


@app.command()
def mappings(
    code: Annotated[
        bool, typer.Option("--code", help="Print the Python generated from the table, scope by scope, instead.")
    ] = False,
    mappings: MappingsFile = None,
) -> None:
    """Print the mapping table as Markdown, generated from mappings.yaml (or --mappings FILE)."""
    from .run import run_mappings

    raise typer.Exit(run_mappings(plan=_plan(mappings), code=code))


@app.command()
def explain(
    file: Annotated[
        str,
        typer.Argument(
            help="A Stores order (JSON, NDJSON, a Query Orders response), a webhook body or its JWT, or a saved "
            "Query Orders request; '-' reads stdin."
        ),
    ],
    path: Annotated[
        str | None,
        typer.Option("--path", callback=_a_json_path, help="Only this field: the input or output path, e.g. $.totals.subtotal."),
    ] = None,
    fmt: Annotated[TextFormat, typer.Option("--format", help="text (two columns) or json (one document).")] = TextFormat.text,
    record: Annotated[int, typer.Option("--record", min=1, help="Which record of the file, from 1.")] = 1,
    kind: Annotated[
        str | None,
        typer.Option(
            "--kind", help="What the record is when it alone cannot tell: order, query, or a webhook (order-paid, ...)."
        ),
    ] = None,
    public_key: Annotated[
        str | None,
        typer.Option("--public-key", callback=_check_public_key, help="Wix's public key (as for convert) to verify a JWT body."),
    ] = None,
    locale: LocaleOption = "en_US",
    mappings: MappingsFile = None,
    companions: Annotated[
        bool,
        typer.Option(
            "--companions",
            help="As convert --companions: an order's payments, refunds and fulfillments are put down in "
            "orderTransactions and orderWithFulfillments ($.orderTransactions.payments[0].amount), not as fetch.",
        ),
    ] = False,
) -> None:
    """Say where every value of one conversion came from and went: each output field with the row and the
    input paths that wrote it, each input field carried, consumed (a condition, a checked total) or reported."""
    from .explain_cmd import run_explain

    raise typer.Exit(
        run_explain(
            file,
            path=path,
            fmt=fmt.value,
            record=record,
            locale=locale,
            kind=kind,
            public_key=public_key,
            companions=companions,
            plan=_plan(mappings),
        )
    )


@app.command("diff-mappings")
def diff_mappings(
    old: Annotated[str, typer.Argument(help="The table as it is (e.g. mappings.yaml).")],
    new: Annotated[str, typer.Argument(help="The edited table.")],
    files: Annotated[list[str], typer.Argument(help="Stores order files (JSON, NDJSON) or folders to convert with both.")],
    fmt: Annotated[TextFormat, typer.Option("--format", help="text or json.")] = TextFormat.text,
    locale: LocaleOption = "en_US",
) -> None:
    """Convert the records with both tables and say which rows' output changed, in how many records, with
    examples; exit 1 when anything changed (review a table edit in CI before it is used)."""
    from .diff_mappings import run_diff_mappings

    raise typer.Exit(run_diff_mappings(old, new, files, fmt=fmt.value, locale=locale))


@app.command()
def schema(
    which: Annotated[
        str,
        # A string, the names in its help (run_schema refuses another, exit 2): as a choice the four names
        # would break mid-name at 80 columns.
        typer.Argument(
            help="stores (input), ecom (output), or a companion convert --companions writes beside the order: "
            "order-with-fulfillments, order-transactions.",
        ),
    ],
) -> None:
    """Print the JSON Schema of the Stores or the eCommerce order model, or of a companion object."""
    from .run import run_schema

    raise typer.Exit(run_schema(which))


@app.command()
def check(
    files: Annotated[list[str], typer.Argument(help="JSON/NDJSON files or folders (searched for *.json, *.ndjson, *.jsonl).")],
    fix: Annotated[bool, typer.Option("--fix", help="Rewrite files holding Stores orders as eCommerce orders in place.")] = False,
    locale: Annotated[
        str, typer.Option("--locale", callback=_check_locale, help="Locale of formattedAmount when fixing.")
    ] = "en_US",
    mappings: MappingsFile = None,
) -> None:
    """Exit 1 if a file still holds Stores orders or invalid eCommerce orders (for pre-commit and CI)."""
    from .run import run_check

    raise typer.Exit(run_check(files, fix, locale, plan=_plan(mappings)))


@app.command()
def query(
    file: Annotated[str, typer.Argument(help="A saved Stores Query Orders request body (JSON); '-' reads stdin.")],
    output: Annotated[str | None, typer.Option("--output", "-o", help="Write the Search Orders body here, not stdout.")] = None,
    report: Annotated[ReportFormat, typer.Option("--report", help="Report on stderr: text, json or none.")] = ReportFormat.text,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 1 when anything was approximated or dropped.")] = False,
    mappings: MappingsFile = None,
) -> None:
    """Translate a Stores Query Orders request (stores/v2/orders/query) into an eCommerce Search Orders request."""
    from .run import run_query

    raise typer.Exit(run_query(file, output, report.value, strict, plan=_plan(mappings, query=True)))


@app.command("import-plan")
def import_plan(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Stores order JSON/NDJSON files (or what convert --companions wrote), folders or globs; '-' reads stdin.",
            callback=_stdin_once,
        ),
    ],
    output: Annotated[str, typer.Option("--output", "-o", help="Write the plan here (NDJSON, one request a line).")],
    rejects: Annotated[
        str | None,
        typer.Option(
            "--rejects", callback=_a_file, help="Write each order that cannot be imported, with its errors, here (NDJSON)."
        ),
    ] = None,
    report_out: Annotated[
        str | None, typer.Option("--report-out", callback=_a_file, help="Write each planned order's report here (NDJSON).")
    ] = None,
    locale: LocaleOption = "en_US",
    mappings: MappingsFile = None,
) -> None:
    """Plan the eCommerce requests that import stored Stores orders into a Wix site: per order an Import
    Order request, its payments and its fulfillments, then one Set Order Number Counter; orders Import
    Order would refuse are reported (exit 1) and the rest planned."""
    from .importplan.writer import run_import_plan

    raise typer.Exit(run_import_plan(files, output, rejects, report_out, locale, plan=_plan(mappings)))


@app.command()
def requests(
    file: Annotated[
        str,
        typer.Argument(
            help="Stored Stores requests: NDJSON or a JSON array of {method, path, body}, or a HAR file; '-' reads stdin."
        ),
    ],
    output: Annotated[
        str | None, typer.Option("--output", "-o", help="Write the eCommerce requests here (NDJSON), not stdout.")
    ] = None,
    report: Annotated[ReportFormat, typer.Option("--report", help="Report on stderr: text, json or none.")] = ReportFormat.text,
    locale: LocaleOption = "en_US",
    mappings: MappingsFile = None,
) -> None:
    """Translate stored Stores Orders API requests (Create Order, Update Order Email / Shipping Address, Get
    Order, Query Orders, Create / Update / Delete Fulfillment) into the eCommerce requests that replace them."""
    from .requests.command import run_requests

    raise typer.Exit(run_requests(file, output, report.value, locale, plan=_plan(mappings, query=True)))


@app.command()
def send(
    plan: Annotated[str, typer.Argument(help="A plan written by import-plan.")],
    base_url: Annotated[str, typer.Option("--base-url", help="Where every request goes, e.g. https://www.wixapis.com.")],
    token_env: Annotated[
        str, typer.Option("--token-env", metavar="NAME", help="The environment variable holding the Authorization token.")
    ],
    log: Annotated[str, typer.Option("--log", help="The run's log (NDJSON, appended): results and the id crosswalk.")],
    rate: Annotated[float, typer.Option("--rate", min=0.01, help="At most this many requests a second.")] = 5.0,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print what would be sent; send nothing.")] = False,
    undo: Annotated[
        bool, typer.Option("--undo", help="Delete the orders this log imported (Bulk Delete Imported Orders).")
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed", help="Send again the requests the log has as failed or left in flight (check the site first)."
        ),
    ] = False,
    site_id: Annotated[
        str | None, typer.Option("--site-id", help="Send this wix-site-id header (for an account-level API key).")
    ] = None,
) -> None:
    """Send a plan to a site in order, once: results and the crosswalk (Stores id -> new id) go to --log,
    so a re-run sends only what is left."""
    from .send.run import run_send

    raise typer.Exit(
        run_send(plan, base_url, token_env, log, rate, dry_run=dry_run, undo=undo, retry_failed=retry_failed, site_id=site_id)
    )


def main() -> None:
    try:
        app()
    except MappingError as exc:
        typer.echo(f"orders-migrate: {exc}", err=True)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
