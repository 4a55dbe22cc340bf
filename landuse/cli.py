"""The ``landuse`` command line: analyse, screen, map, serve, demo.

Every command runs through :class:`Commands`: a user mistake (:class:`InputError`, a usage
error, an operating-system error such as a read-only folder or a full disk) ends with one
paragraph and exit code 2; a bug shows its traceback and a request to report it, exit code 1.
``analyse`` ends with exit code 3 when no row could be analysed.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

try:  # Typer 0.25 and later carry their own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older Typer on click
    from click import exceptions as click_errors

from landuse.atomic import TEMP_NAME, OutputSet, atomic_file, check_outputs, os_error_fix
from landuse.errors import InputError
from landuse.outputs import check_out_path, output_paths, write_table_csv
from landuse.pipeline import Results, run_analysis, write_load_report, write_results
from landuse.rules_file import load_rules
from landuse.schema import STATUS_ORDER, STATUS_ZH

console = Console()
err_console = Console(stderr=True)

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
DEMO_AS_OF = "2025-12-31"
#: The plausible range of ``--as-of`` when the rules file sets none.
EARLIEST_AS_OF = dt.date(1949, 1, 1)
LATEST_AS_OF = dt.date(2100, 12, 31)
#: Exit codes: 0 done, 1 a bug in landuse, 2 a user mistake, 3 nothing could be analysed.
EXIT_BUG, EXIT_USER, EXIT_NOTHING_ANALYSED = 1, 2, 3
BUG_REPORT = (
    "这是 landuse 的缺陷，请报告 (this is a bug in landuse; please report it with the command "
    "and the traceback above)."
)

_T = TypeVar("_T")


def _fail(message: str, code: int = EXIT_USER) -> typer.Exit:
    text = Text("错误 (error): ", style="bold red")
    text.append(message)  # plain text: brackets in a message are not markup
    err_console.print(text, highlight=False)
    return typer.Exit(code=code)


def _shown_path(name: str | None) -> str:
    """A path as the user knows it: a temporary output name is shown as its final name."""
    if not name:
        return ""
    path = Path(name)
    m = TEMP_NAME.match(path.name)
    return str(path.with_name(m["name"])) if m else str(path)


def _os_error_message(exc: OSError) -> str:
    """One paragraph for an operating-system error: the path, what went wrong, the fix."""
    where = _shown_path(exc.filename)
    if exc.filename2:
        where += f" → {_shown_path(exc.filename2)}"
    reason = exc.strerror or str(exc)
    fix = os_error_fix(exc)
    return f"{where + ': ' if where else ''}{reason}. 请处理后重试 (fix): {fix}."


def _usage_message(exc: click_errors.UsageError) -> str:
    names = []  # the subcommand, named as the user types it (not as `python -m ...` runs it)
    ctx = exc.ctx
    while ctx is not None and ctx.parent is not None:
        names.append(ctx.info_name)
        ctx = ctx.parent
    command = " ".join(["landuse", *reversed(names)])
    text = exc.format_message().strip()
    return f"{text}{'' if text.endswith(('.', '。', ')')) else '.'} See `{command} --help`."


def _guarded(call: Callable[[], _T]) -> _T:
    """Run a command: user mistakes become one paragraph and exit code 2; anything else is a
    bug and keeps its traceback, followed by a request to report it (exit code 1)."""
    try:
        return call()
    except click_errors.NoArgsIsHelpError:  # `landuse` alone: the help, as asked
        raise
    except click_errors.UsageError as exc:
        raise _fail(_usage_message(exc)) from None
    except (typer.Exit, typer.Abort, click_errors.ClickException):
        raise
    except InputError as exc:
        raise _fail(str(exc)) from None
    except OSError as exc:
        if exc.errno == errno.EPIPE:  # the reader of our output went away (`| head`)
            raise
        raise _fail(_os_error_message(exc)) from None
    except Exception:
        traceback.print_exc(file=sys.stderr)
        err_console.print(Text(BUG_REPORT, style="bold red"), highlight=False)
        raise typer.Exit(code=EXIT_BUG) from None


class Commands(TyperGroup):
    """The ``landuse`` command group: every command, in-process (tests) or from the console
    script, runs through :func:`_guarded`."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: Any = None,
        **extra: Any,
    ) -> Any:
        return _guarded(
            lambda: super(Commands, self).make_context(info_name, args, parent, **extra)
        )

    def invoke(self, ctx: Any) -> Any:
        return _guarded(lambda: super(Commands, self).invoke(ctx))


app = typer.Typer(
    cls=Commands,
    help="Land-use efficiency analyser for industrial parks (工业用地利用效率分析).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _parse_as_of(text: str | None) -> dt.date | None:
    """``--as-of`` as a date between 1949-01-01 and 2100-12-31 (None: today)."""
    if text is None:
        return None
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(
            f"--as-of {text!r} is not a date. Write it as YYYY-MM-DD, for example 2025-12-31."
        ) from None
    return _check_as_of(date, EARLIEST_AS_OF, LATEST_AS_OF, "")


def _check_as_of(date: dt.date, earliest: Any, latest: Any, source: str) -> dt.date:
    if not earliest <= date <= latest:
        raise InputError(
            f"--as-of {date.isoformat()} is not a plausible evaluation date: it must lie "
            f"between {earliest.isoformat()} and {latest.isoformat()}{source}. Write the date "
            "the results are judged on, for example 2025-12-31 (or leave --as-of out for today)."
        )
    return date


def _as_of_within_rules(date: dt.date | None, rules: Any, rules_path: Path | None) -> None:
    """``--as-of`` within the ``[dates]`` limits of the rules file, when it sets them."""
    dates = getattr(rules, "dates", None)
    if date is None or dates is None:
        return

    def limit(name: str, default: dt.date) -> dt.date:
        value = dates.get(name) if isinstance(dates, dict) else getattr(dates, name, None)
        if value is None:
            return default
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        return dt.date.fromisoformat(str(value))

    earliest = limit("earliest", EARLIEST_AS_OF)
    latest = limit("latest", LATEST_AS_OF)
    _check_as_of(date, earliest, latest, f" ([dates] of the rules file {rules_path})")


Overwrite = Annotated[
    bool,
    typer.Option(
        "--overwrite",
        help="Replace existing output files (without it, an existing one stops the run).",
    ),
]


def print_accounting(results: Results) -> None:
    """The run's accounting (rows read = analysed + rejected) and a short table by status."""
    for kind, (read, kept, rejected) in results.loaded.accounting.items():
        label = {"ledger": "ledger rows", "layer": "parcel features"}[kind]
        verb = (
            "matched" if kind == "layer" and "ledger" in results.loaded.accounting else "analysed"
        )
        empty = results.loaded.empty_rows if kind == "ledger" else 0
        skipped = f" ({empty:,} empty rows skipped)" if empty else ""
        console.print(
            f"{label}: rows read {read:,} = {verb} {kept:,} + rejected {rejected:,}{skipped}",
            highlight=False,
        )
    for note in results.loaded.report.notes:
        console.print(f"  · {note}", highlight=False, style="dim")
    table = Table(title=f"按状态汇总 (as of {results.as_of.date()})")
    for name, justify in [
        ("状态 status", "left"),
        ("宗数 parcels", "right"),
        ("面积 ha", "right"),
        ("金额 万元", "right"),
    ]:
        table.add_column(name, justify=justify)
    parcels = results.parcels
    grouped = parcels.groupby("status").agg(
        n=("status", "size"), area=("area_ha", "sum"), money=("total_penalty_wan", "sum")
    )
    for status in STATUS_ORDER:
        if status in grouped.index:
            row = grouped.loc[status]
            mark = "*" if status == "unverified" else ""
            table.add_row(
                f"{STATUS_ZH[status]} {status}",
                f"{int(row.n):,}",
                f"{row.area:,.2f}",
                f"{row.money:,.2f}{mark}",
            )
    confirmed = parcels["amounts_confirmed"].to_numpy(dtype=bool)
    table.add_row(
        "合计 total",
        f"{len(parcels):,}",
        f"{parcels['area_ha'].sum():,.2f}",
        f"{parcels['total_penalty_wan'].sum():,.2f}",
        style="bold",
    )
    console.print(table)
    if not confirmed.all():
        console.print(
            "* 待核查 unverified: amounts that would apply if an inspection finds the parcel "
            "not started (amounts_confirmed = false); the total includes them",
            highlight=False,
        )


def _print_report_line(results: Results, path: Path) -> None:
    table = results.loaded.report.table()
    problems = int((table["severity"] == "warning").sum())
    console.print(
        f"load report: {len(table):,} entries ({problems:,} warnings) → {path}", highlight=False
    )


def _commonest_reason(rejects: Any) -> tuple[str, int]:
    """The commonest reason for rejecting a row and how many rows it holds. Reasons with values
    in them ("… (not industrial land)") are grouped by their closing English words."""
    reasons = rejects["reason"].astype("string").fillna("(no reason given)")
    kind = reasons.str.extract(r"\(([^()]*)\)\s*$", expand=False).fillna(reasons)
    counts = kind.value_counts(sort=True)
    top = counts.index[0]
    example = reasons[(kind == top).to_numpy(dtype=bool)].iloc[0]
    shown = top if example == top else f"{top}, e.g. “{example}”"
    return shown, int(counts.iloc[0])


def _stop_if_nothing_analysed(results: Results, written: Sequence[Path]) -> None:
    """Exit code 3 with the reason when no row could be analysed (the rejects and the load
    report are written by then, so the user can read them)."""
    if len(results.parcels):
        return
    rejects = results.rejects
    where = ", ".join(str(p) for p in written)
    if len(rejects) == 0:
        why = "the inputs hold no rows"
    else:
        reason, count = _commonest_reason(rejects)
        why = (
            f"all {len(rejects):,} rows read were rejected; the commonest reason "
            f"({count:,} of them): {reason}"
        )
    raise _fail(
        f"没有可分析的记录 (nothing analysed): {why}. See the rejects and the load report in "
        f"{where}, correct the inputs and run again.",
        code=EXIT_NOTHING_ANALYSED,
    )


def _analyse_inputs(
    inputs: Sequence[Path], ledger: Sequence[Path], parks: Path | None, rules: Path | None
) -> list[tuple[str, Path | None]]:
    """Every file a run reads, with how the user named it (for the output checks)."""
    return [
        *(("INPUT", p) for p in inputs),
        *(("--ledger", p) for p in ledger),
        ("--parks", parks),
        ("--rules", rules),
    ]


@app.command()
def analyse(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Parcel layers (.gpkg .shp .zip .geojson .fgb .parquet) and/or ledgers (.csv .xlsx .xls .xlsb .ods)."
        ),
    ],
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Output: .gpkg, .parquet, .csv or .xlsx.")
    ],
    ledger: Annotated[
        list[Path] | None, typer.Option("--ledger", help="Ledger table(s) to join to the parcels.")
    ] = None,
    parks: Annotated[Path | None, typer.Option("--parks", help="Park boundary layer.")] = None,
    park_name_field: Annotated[
        str | None, typer.Option("--park-name-field", help="Field of the park layer with the name.")
    ] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Rules file (TOML).")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluation date YYYY-MM-DD (default today).")
    ] = None,
    crs: Annotated[
        str | None, typer.Option("--crs", help="CRS for layers that have none, e.g. EPSG:4529.")
    ] = None,
    layer: Annotated[
        str | None,
        typer.Option(
            "--layer", help="Layer of a GeoPackage or zip to read (default: every parcel layer)."
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding", help="Text encoding of the inputs, e.g. gbk (default: detected)."
        ),
    ] = None,
    overwrite: Overwrite = False,
    inspections: Annotated[
        list[Path] | None,
        typer.Option(
            "--inspections",
            help="Inspection file(s) (核查结论): CSV/XLSX/XLS/XLSB/ODS, one option per file.",
        ),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option(
            "--sheet",
            help="Sheet of every workbook input to read (default: the first with known headers).",
        ),
    ] = None,
) -> None:
    """Analyse parcels and ledgers as of a date and write the results.

    Exit codes: 0 done, 2 a mistake in the command or the inputs, 3 no row could be analysed
    (the rejects and the load report are still written), 1 a bug."""
    as_of_date = _parse_as_of(as_of)
    out = check_out_path(out)
    check_outputs(
        output_paths(out),
        inputs=[
            *_analyse_inputs(inputs, ledger or (), parks, rules),
            *(("--inspections", p) for p in inspections or ()),
        ],
        overwrite=overwrite,
    )
    rule_set = load_rules(rules)
    _as_of_within_rules(as_of_date, rule_set, rules)
    with console.status("loading…") as status:
        results = run_analysis(
            inputs,
            rules=rule_set,
            as_of=as_of_date,
            ledger=ledger or (),
            parks=parks,
            park_name_field=park_name_field,
            assume_crs=crs,
            layer=layer,
            encoding=encoding,
            progress=lambda msg: status.update(msg),
            inspections=inspections or (),
            sheet=sheet,
        )
        status.update(f"writing {out}")
        with OutputSet(overwrite=overwrite) as files:
            written = write_results(results, out, files)
            report = write_load_report(results, out, files)
    print_accounting(results)
    _print_report_line(results, report)
    for path in written:
        console.print(f"wrote {path}", highlight=False)
    _stop_if_nothing_analysed(results, [*written, report])


@app.command()
def screen(
    investment_wan: Annotated[
        float | None,
        typer.Option("--investment-wan", help="Fixed-asset investment incl. land, 万元."),
    ] = None,
    area_ha: Annotated[float | None, typer.Option("--area-ha", help="Requested area, ha.")] = None,
    area_mu: Annotated[float | None, typer.Option("--area-mu", help="Requested area, 亩.")] = None,
    area_m2: Annotated[float | None, typer.Option("--area-m2", help="Requested area, m².")] = None,
    park: Annotated[str | None, typer.Option("--park")] = None,
    industry_code: Annotated[
        str | None, typer.Option("--industry-code", help="GB/T 4754 code, e.g. 26 or C2611.")
    ] = None,
    plot_ratio: Annotated[float | None, typer.Option("--plot-ratio")] = None,
    building_coverage: Annotated[float | None, typer.Option("--building-coverage")] = None,
    green_ratio: Annotated[float | None, typer.Option("--green-ratio")] = None,
    admin_living_share: Annotated[float | None, typer.Option("--admin-living-share")] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Rules file (TOML).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON.")] = False,
    batch: Annotated[
        Path | None, typer.Option("--batch", help="CSV/XLSX of proposed projects, one per row.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="With --batch: verdicts as .csv or .xlsx.")
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Screen a proposed project (入园评审) against the intensity threshold and control
    indicators."""
    from pydantic import ValidationError

    from landuse.screening import ProposedProject, read_projects, screen_table
    from landuse.screening import screen as screen_one

    if batch is not None:
        if out is None or out.suffix.lower() not in (".csv", ".xlsx"):
            raise InputError("--batch needs --out FILE.csv or FILE.xlsx for the verdicts.")
        check_outputs([out], inputs=[("--batch", batch), ("--rules", rules)], overwrite=overwrite)
        rule_set = load_rules(rules)
        verdicts = screen_table(read_projects(batch), rule_set)
        with atomic_file(out, overwrite=overwrite) as temp:
            if out.suffix.lower() == ".csv":
                write_table_csv(temp, verdicts)
            else:
                from landuse.workbook import write_table_workbook

                write_table_workbook(temp, verdicts, sheet="评审结果")
        passed = verdicts["passed"]
        console.print(
            f"{len(verdicts):,} projects: {int((passed == True).sum()):,} passed, "  # noqa: E712
            f"{int((passed == False).sum()):,} failed, "  # noqa: E712
            f"{int(passed.isna().sum()):,} with errors → {out}",
            highlight=False,
        )
        return
    rule_set = load_rules(rules)
    try:
        project = ProposedProject(
            investment_wan=investment_wan,
            area_ha=area_ha,
            area_mu=area_mu,
            area_m2=area_m2,
            park=park,
            industry_code=industry_code,
            plot_ratio=plot_ratio,
            building_coverage=building_coverage,
            green_ratio=green_ratio,
            admin_living_share=admin_living_share,
        )
    except ValidationError as exc:
        msgs = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        raise InputError(
            f"The project cannot be screened: {msgs}. Give --investment-wan and exactly one "
            "of --area-ha, --area-mu or --area-m2, all positive."
        ) from None
    verdict = screen_one(project, rule_set)
    if as_json:
        typer.echo(json.dumps(verdict.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    mark = "[bold green]通过 PASS[/]" if verdict.passed else "[bold red]不通过 FAIL[/]"
    console.print(mark)
    console.print(
        f"投资强度 {verdict.intensity_wan_per_ha:,.2f} 万元/公顷 (标准 "
        f"{verdict.threshold_wan_per_ha:,.0f}, {verdict.threshold_source}); 可支持最大面积 "
        f"{verdict.max_area_ha:,.4f} 公顷; 所需最低投资 {verdict.min_investment_wan:,.2f} 万元",
        highlight=False,
    )
    for reason in verdict.reasons:
        console.print(f"  ✗ {reason}", highlight=False)


@app.command("map")
def map_command(
    results: Annotated[Path, typer.Argument(help="Results file (.gpkg or .parquet).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML file to write.")],
    park: Annotated[str | None, typer.Option("--park", help="Only this park.")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh (default) or en.")] = "zh",
    basemap: Annotated[
        str | None,
        typer.Option(
            "--basemap",
            help="None (default), tianditu:KEY, or an XYZ URL of the bureau's tile server.",
        ),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Write one self-contained HTML map (data and assets inlined; opens with no server)."""
    from maps import Basemap, cli_map
    from maps.errors import MapInputError

    if out.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--out {out}: the map is an HTML file; name it .html.")
    if lang not in ("zh", "en"):
        raise InputError(f"--lang {lang!r}: write zh (Chinese, the default) or en (English).")
    try:
        Basemap.parse(basemap, lang=lang)
    except MapInputError as exc:
        raise InputError(f"--basemap {basemap!r}: {exc}") from None
    out.parent.mkdir(parents=True, exist_ok=True)
    check_outputs([out], inputs=[("RESULTS", results)], overwrite=overwrite)
    with OutputSet(overwrite=overwrite) as files:
        written = cli_map(results, out, park=park, lang=lang, basemap=basemap, outputs=files)
    console.print(f"wrote {written}", highlight=False)


def _check_port(host: str, port: int) -> None:
    """Refuse, before loading anything, a port out of range, a host that is not this
    machine's or a port in use."""
    import socket

    if not 1 <= port <= 65535:
        raise InputError(
            f"--port {port}: a port is a number from 1 to 65535. Choose a free one, e.g. "
            "--port 8000."
        )

    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise InputError(
            f"--host {host}: {reason}. Give an address of this machine, e.g. 127.0.0.1 (this "
            "computer only) or 0.0.0.0 (every network)."
        ) from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise InputError(
                    f"--port {port}: the port is in use on {host} (another `landuse serve`, or "
                    f"another program). Stop it, or choose another port, e.g. --port {port + 1}."
                ) from None
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise InputError(
                    f"--port {port}: ports below 1024 need administrator rights. Choose "
                    "--port 8000 or another port from 1024 to 65535."
                ) from None
            raise InputError(
                f"--host {host} --port {port}: cannot listen there ({exc.strerror}). Give an "
                "address of this machine, e.g. 127.0.0.1, and a free port."
            ) from None


def _serve(results: Path, host: str, port: int, rules: Path | None = None) -> None:
    from api.app import serve as serve_api

    base = f"http://{host}:{port}"
    console.print(
        f"serving {results} at {base}/  (map: {base}/map · OGC API: {base}/collections · "
        "Ctrl+C to stop)",
        highlight=False,
    )
    serve_api(results, host=host, port=port, rules_path=rules)


Port = Annotated[int, typer.Option("--port", help="TCP port, 1-65535.")]


@app.command()
def serve(
    results: Annotated[
        Path, typer.Argument(help="Results file written by analyse (.gpkg or .parquet).")
    ],
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Port = 8000,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules file for /screening.")
    ] = None,
) -> None:
    """Serve results as OGC API - Features, vector tiles, screening, summaries and the map."""
    _check_port(host, port)
    if not results.is_file():
        raise InputError(
            f"{results}: no such results file. Give the .gpkg or .parquet written by "
            "`landuse analyse --out` (or by `landuse demo`)."
        )
    # the service reads and checks the file itself before it starts listening
    _serve(results, host, port, rules)


#: Every file ``landuse demo`` writes into its folder.
DEMO_STEM = "sample_park"
DEMO_FORMATS = (".gpkg", ".parquet", ".csv", ".xlsx")
DEMO_MAP = f"{DEMO_STEM}_map.html"


def demo_outputs(out_dir: Path) -> list[Path]:
    """The files of the demo: the results in every format (the GeoPackage first), the files
    beside them, the load report and the map."""
    files = [p for suffix in DEMO_FORMATS for p in output_paths(out_dir / f"{DEMO_STEM}{suffix}")]
    return [*dict.fromkeys(files), out_dir / DEMO_MAP]


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Folder for the demo outputs.")] = Path(
        "landuse-demo"
    ),
    serve_results: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the results when done.")
    ] = True,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Port = 8000,
    overwrite: Overwrite = False,
) -> None:
    """Analyse the sample park (as of 2025-12-31), write every output format and the map, then
    serve the results (API and map) until Ctrl+C."""
    ledger = SAMPLE_DIR / "ledger.xlsx"
    layer = SAMPLE_DIR / "parcels.gpkg"
    park_layer = SAMPLE_DIR / "parks.gpkg"
    rules_path = SAMPLE_DIR / "rules.toml"
    missing = [p for p in (ledger, layer, park_layer, rules_path) if not p.exists()]
    if missing:
        raise InputError(
            f"The sample park is not there ({missing[0]} is missing). Run the demo from a "
            "checkout installed with `pip install -e .`, or regenerate the sample with "
            "`python sample_data/generate.py`."
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(
            f"--out-dir {out_dir} is a file, not a folder. Name a folder for the outputs."
        )
    if serve_results:
        _check_port(host, port)
    out_dir.mkdir(parents=True, exist_ok=True)
    planned = demo_outputs(out_dir)
    inputs = [("the sample park", p) for p in (ledger, layer, park_layer, rules_path)]
    check_outputs(planned, inputs=inputs, overwrite=overwrite, option="--out-dir", folder=out_dir)
    with console.status("analysing the sample park…") as status:
        results = run_analysis(
            [layer],
            rules=load_rules(rules_path),
            as_of=DEMO_AS_OF,
            ledger=[ledger],
            parks=park_layer,
            progress=lambda msg: status.update(msg),
        )
        gpkg = out_dir / f"{DEMO_STEM}.gpkg"
        with OutputSet(overwrite=overwrite) as files:
            written: list[Path] = []
            for suffix in DEMO_FORMATS:
                status.update(f"writing {suffix}")
                written += write_results(results, out_dir / f"{DEMO_STEM}{suffix}", files)
            report = write_load_report(results, gpkg, files)
            status.update("drawing the map")
            from maps import cli_map

            written.append(
                cli_map(files.temp(gpkg), out_dir / DEMO_MAP, name=DEMO_STEM, outputs=files)
            )
    print_accounting(results)
    _print_report_line(results, report)
    console.print(f"demo outputs in {out_dir.resolve()}:", highlight=False)
    for path in written:
        console.print(f"  {path.name}", highlight=False)
    if serve_results:
        _serve(gpkg, host, port, rules_path)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
