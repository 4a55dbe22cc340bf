"""The ``landuse`` command line: analyse, runs, diff, ranking, screen, map, serve, demo.

Every command runs through :class:`Commands`: a user mistake (:class:`InputError`, a usage
error, an operating-system error such as a read-only folder or a full disk) ends with one
paragraph and exit code 2; a bug shows its traceback and a request to report it, exit code 1.
``analyse`` ends with exit code 3 when no row could be analysed.
"""

import datetime as dt
import errno
import json
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

try:  # Typer 0.25 and later carry their own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older Typer on click
    from click import exceptions as click_errors

# Only light modules here: `landuse --help` and one `landuse screen` must start at once. The
# analysis (pandas, geopandas, pyogrio), the outputs, the map and the service are imported by
# the commands that use them.
from landuse.atomic import TEMP_NAME, OutputSet, atomic_file, check_outputs, os_error_fix
from landuse.errors import InputError

if TYPE_CHECKING:
    from landuse.pipeline import BuildingInputs, Results
    from landuse.rules_file import RuleSet

console = Console()
err_console = Console(stderr=True)

#: The sample park in a checkout (a source tree, or an editable install of one).
SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
#: Where a wheel installs the sample park, below the environment's data folder (sys.prefix).
SAMPLE_INSTALLED = Path("share") / "landuse" / "sample_data"
SAMPLE_FILES = ("ledger.xlsx", "parcels.gpkg", "parks.gpkg", "rules.toml", "buildings.gpkg")
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


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"landuse {version()}")
        raise typer.Exit()


def version() -> str:
    """The installed version of landuse (the package's own when it is run from a checkout)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    from landuse import __version__

    try:
        return installed("landuse")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree, not installed
        return __version__


@app.callback(
    epilog="示例：分析示例园区并在浏览器中查看结果\n\nlanduse demo\n\n"
    "示例：查看入园评审的用法\n\nlanduse screen --help"
)
def _main(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Land-use efficiency analyser for industrial parks (工业用地利用效率分析)."""


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


def load_rules(path: Path | None) -> "RuleSet":
    """:func:`landuse.rules_file.load_rules` (pydantic), imported when a command reads rules."""
    from landuse.rules_file import load_rules as load

    return load(path)


def run_analysis(*args: Any, **kwargs: Any) -> "Results":
    """:func:`landuse.pipeline.run_analysis`, imported when a command runs it."""
    from landuse.pipeline import run_analysis as run

    return run(*args, **kwargs)


def print_accounting(results: "Results") -> None:
    """The run's accounting (rows read = analysed + rejected) and a short table by status."""
    import pandas as pd
    from rich.table import Table

    from landuse.grouping import CONFIRMED, POTENTIAL, penalty_split
    from landuse.schema import STATUS_ORDER, STATUS_ZH

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
        ("已确认金额 万元 confirmed", "right"),
        ("待核查金额 万元 if not started*", "right"),
    ]:
        table.add_column(name, justify=justify)
    parcels = pd.DataFrame(results.parcels[["status", "area_ha"]])
    split = penalty_split(results.parcels)
    parcels["confirmed"] = split[CONFIRMED].to_numpy()
    parcels["potential"] = split[POTENTIAL].to_numpy()
    grouped = parcels.groupby("status", observed=True).agg(
        n=("status", "size"),
        area=("area_ha", "sum"),
        confirmed=("confirmed", "sum"),
        potential=("potential", "sum"),
    )
    for status in STATUS_ORDER:
        if status in grouped.index and grouped.loc[status].n:
            row = grouped.loc[status]
            table.add_row(
                f"{STATUS_ZH[status]} {status}",
                f"{int(row.n):,}",
                f"{row.area:,.2f}",
                f"{row.confirmed:,.2f}",
                f"{row.potential:,.2f}" if row.potential else "",
            )
    table.add_row(
        "合计 total",
        f"{len(parcels):,}",
        f"{parcels['area_ha'].sum():,.2f}",
        f"{parcels['confirmed'].sum():,.2f}",
        f"{parcels['potential'].sum():,.2f}",
        style="bold",
    )
    console.print(table)
    if parcels["potential"].any():
        console.print(
            "* 待核查金额: what would apply if an inspection finds a 待核查 (unverified) parcel "
            "not started, and the amounts of parcels whose start rests on building footprints "
            "alone (amounts_confirmed = false); never added to the confirmed amounts",
            highlight=False,
        )


def _print_report_line(results: "Results", path: Path) -> None:
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


def _stop_if_nothing_analysed(results: "Results", written: Sequence[Path]) -> None:
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
    see = (
        f"See the rejects and the load report in {where}"
        if written
        else "Run again with --out FILE.gpkg to write the rejects and the load report"
    )
    raise _fail(
        f"没有可分析的记录 (nothing analysed): {why}. {see}, correct the inputs and run again.",
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


def _survey_date(text: str | None, option: str) -> str | None:
    """A survey date option as YYYY-MM-DD (YYYY-MM and YYYY are read as their first day)."""
    if text is None:
        return None
    import pandas as pd

    from landuse.buildings import survey_dates

    parsed, bad = survey_dates(pd.Series([text], dtype="string"))
    if bad[0] or pd.isna(parsed[0]):
        raise InputError(
            f"{option} {text!r} is not a date. Write the survey date as YYYY-MM-DD, for example "
            f"{option} 2024-06-30."
        )
    return str(pd.Timestamp(parsed[0]).date())


def _workers(text: str | None) -> int | str | None:
    """``--workers``: a whole number of local Dask workers, or a scheduler address."""
    if text is None:
        return None
    text = text.strip()
    if text.isdigit():
        if int(text) < 1:
            raise InputError("--workers 0: give at least one worker, e.g. --workers 2.")
        number: int | str = int(text)
    elif "://" in text or ":" in text:
        number = text
    else:
        raise InputError(
            f"--workers {text!r} is neither a number of workers nor a scheduler address. "
            "Write e.g. --workers 2, or --workers tcp://10.0.0.5:8786 for a Dask cluster."
        )
    try:
        import dask_geopandas  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise InputError(
            "--workers needs Dask, which is not installed. Install it with "
            "`pip install 'landuse[dask]'`, or leave --workers out to measure in this process."
        ) from None
    return number


def building_options(
    paths: Sequence[Path],
    date: str | None,
    before: Sequence[Path],
    before_date: str | None,
    workers: str | None,
) -> "BuildingInputs | None":
    """The footprint options of ``analyse`` checked together (None without --buildings)."""
    from landuse.pipeline import BuildingInputs

    if not paths:
        given = [
            name
            for name, value in (
                ("--buildings-date", date),
                ("--buildings-before", list(before)),
                ("--buildings-before-date", before_date),
                ("--workers", workers),
            )
            if value
        ]
        if given:
            raise InputError(
                f"{given[0]} needs --buildings FILE (the current survey's footprints)."
            )
        return None
    if before_date and not before:
        raise InputError("--buildings-before-date needs --buildings-before FILE.")
    for path in [*paths, *before]:
        if not path.exists():
            raise InputError(
                f"Building footprints {path} not found. Check the path given to --buildings."
            )
    return BuildingInputs(
        paths=tuple(paths),
        date=_survey_date(date, "--buildings-date"),
        before=tuple(before),
        before_date=_survey_date(before_date, "--buildings-before-date"),
        workers=_workers(workers),
    )


StoreOption = Annotated[
    Path | None,
    typer.Option(
        "--store",
        help="Store of runs (one SQLite file, e.g. runs.sqlite): keep this run with every "
        "earlier one (created by the first run).",
    ),
]


#: ``--rules`` of the commands that rank runs.
RankingRulesOption = Annotated[
    Path | None,
    typer.Option("--rules", help="Rules file with a [ranking] table (default: national)."),
]
#: ``--store`` of the commands that read a store.
ExistingStore = Annotated[
    Path, typer.Option("--store", help="Store of runs written by analyse --store.")
]


def _check_store_option(store: Path, named_inputs: Sequence[tuple[str, Path | None]]) -> None:
    """Refuse, before anything is read, a --store that cannot be a store of runs or that is
    one of the inputs."""
    from landuse.runstore import check_store, check_store_name

    check_store_name(store)
    for option, path in named_inputs:
        if path is not None and path.exists() and store.exists() and path.samefile(store):
            raise InputError(
                f"--store {store} is also an input ({option}). Give the store its own file, "
                "e.g. --store runs.sqlite."
            )
    if store.exists():
        check_store(store)


@app.command()
def analyse(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Parcel layers (.gpkg .shp .zip .geojson .fgb .parquet) and/or ledgers (.csv .xlsx .xls .xlsb .ods)."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Output: .gpkg, .parquet, .csv or .xlsx.")
    ] = None,
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
    buildings: Annotated[
        list[Path] | None,
        typer.Option(
            "--buildings",
            help="Building footprints or points (any GDAL format), one option per file: "
            "evidence of start per parcel.",
        ),
    ] = None,
    buildings_date: Annotated[
        str | None,
        typer.Option(
            "--buildings-date",
            help="Survey date YYYY-MM-DD of --buildings features that have none.",
        ),
    ] = None,
    buildings_before: Annotated[
        list[Path] | None,
        typer.Option(
            "--buildings-before",
            help="An earlier survey's footprints: new footprint area and coverage change.",
        ),
    ] = None,
    buildings_before_date: Annotated[
        str | None,
        typer.Option(
            "--buildings-before-date",
            help="Survey date YYYY-MM-DD of --buildings-before features that have none.",
        ),
    ] = None,
    workers: Annotated[
        str | None,
        typer.Option(
            "--workers",
            help="Measure the footprints on Dask: a number of local worker processes, or the "
            "address of a Dask scheduler (tcp://host:8786). Default: this process.",
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Analyse parcels and ledgers as of a date and write the results (--out) and/or record
    the run in a store of runs (--store).

    Exit codes: 0 done, 2 a mistake in the command or the inputs, 3 no row could be analysed
    (the rejects and the load report are still written; nothing is recorded), 1 a bug."""
    from landuse.outputs import check_out_path, output_paths
    from landuse.pipeline import write_load_report, write_results

    as_of_date = _parse_as_of(as_of)
    named_inputs = [
        *_analyse_inputs(inputs, ledger or (), parks, rules),
        *(("--inspections", p) for p in inspections or ()),
        *(("--buildings", p) for p in buildings or ()),
        *(("--buildings-before", p) for p in buildings_before or ()),
    ]
    if out is None and store is None:
        raise InputError(
            "请指定输出 (no output): give --out FILE (.gpkg, .parquet, .csv or .xlsx) for the "
            "results, --store runs.sqlite to keep this run with the earlier ones, or both. See "
            "`landuse analyse --help`."
        )
    if out is not None:
        out = check_out_path(out)
        check_outputs(output_paths(out), inputs=named_inputs, overwrite=overwrite)
    if store is not None:
        _check_store_option(store, named_inputs)
    building_inputs = building_options(
        buildings or (), buildings_date, buildings_before or (), buildings_before_date, workers
    )
    rule_set = load_rules(rules)
    _as_of_within_rules(as_of_date, rule_set, rules)
    stored = None
    if store is not None and store.exists():
        from landuse.inspection_store import stored_inspections

        stored, recorded_n, later_n = stored_inspections(store, as_of_date or dt.date.today())
        if recorded_n:
            console.print(
                f"inspections recorded in {store}: {len(stored):,} used as evidence (the latest "
                f"per parcel, with any --inspections files)"
                + (f", {later_n:,} dated after the as-of date left out" if later_n else ""),
                highlight=False,
            )
        else:
            stored = None
    with console.status("loading…") as status:
        with OutputSet(overwrite=overwrite) as files:
            stream = None
            if out is not None and out.suffix.lower() == ".gpkg":
                from landuse.outputs import GpkgParcelStream

                # the parcels layer is written by another process while the analysis goes on
                stream = GpkgParcelStream(files.temp(out))
            try:
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
                    stored_inspections=stored,
                    sheet=sheet,
                    buildings=building_inputs,
                    sink=stream,
                )
                written: list[Path] = []
                if out is not None:
                    status.update(f"writing {out}")
                    written = write_results(results, out, files, stream=stream)
                    written.append(write_load_report(results, out, files))
            except BaseException:
                if stream is not None:
                    stream.abort()
                raise
        recorded = None
        if store is not None and len(results.parcels):
            status.update(f"recording the run in {store}")
            from landuse.runstore import input_files, record_run

            recorded = record_run(
                store, results, inputs=input_files(named_inputs), rules_path=rules
            )
    print_accounting(results)
    if written:
        _print_report_line(results, written[-1])
    for path in written:
        console.print(f"wrote {path}", highlight=False)
    if recorded is not None:
        console.print(
            f"recorded run {recorded.run_id} (as of {recorded.as_of_date}) in {store}",
            highlight=False,
        )
    elif store is not None:
        console.print(f"nothing recorded in {store}: no row could be analysed", highlight=False)
    _stop_if_nothing_analysed(results, written)


def _say(text: str | Text, style: str | None = None) -> None:
    """One line of a command's report: no highlighting, never broken at the terminal's width
    (a row's message stays one line when piped or copied)."""
    console.print(text, style=style, highlight=False, soft_wrap=True)


def _say_err(text: str) -> None:
    err_console.print(text, style="yellow", highlight=False, soft_wrap=True)


_SHARE_HELP = "0.35, 35% or 35 (a bare number above 1 is read as a percentage)"
# Options of one project, which --batch reads from its table instead.
_SINGLE_OPTIONS = (
    ("--investment-wan", "investment_wan"),
    ("--area-ha", "area_ha"),
    ("--area-mu", "area_mu"),
    ("--area-m2", "area_m2"),
    ("--park", "park"),
    ("--industry-code", "industry_code"),
    ("--plot-ratio", "plot_ratio"),
    ("--building-coverage", "building_coverage"),
    ("--green-ratio", "green_ratio"),
    ("--admin-living-share", "admin_living_share"),
    ("--json", "as_json"),
)


@app.command()
def screen(
    investment_wan: Annotated[
        float | None,
        typer.Option("--investment-wan", help="Fixed-asset investment incl. land, 万元."),
    ] = None,
    area_ha: Annotated[float | None, typer.Option("--area-ha", help="Requested area, ha.")] = None,
    area_mu: Annotated[float | None, typer.Option("--area-mu", help="Requested area, 亩.")] = None,
    area_m2: Annotated[float | None, typer.Option("--area-m2", help="Requested area, m².")] = None,
    park: Annotated[
        str | None, typer.Option("--park", help="Park (园区) as named in the rules file.")
    ] = None,
    industry_code: Annotated[
        str | None, typer.Option("--industry-code", help="GB/T 4754 code, e.g. 26 or C2611.")
    ] = None,
    plot_ratio: Annotated[
        float | None, typer.Option("--plot-ratio", help="Planned plot ratio (容积率).")
    ] = None,
    building_coverage: Annotated[
        str | None,
        typer.Option("--building-coverage", help=f"Building coverage (建筑系数): {_SHARE_HELP}."),
    ] = None,
    green_ratio: Annotated[
        str | None, typer.Option("--green-ratio", help=f"Green ratio (绿地率): {_SHARE_HELP}.")
    ] = None,
    admin_living_share: Annotated[
        str | None,
        typer.Option(
            "--admin-living-share",
            help=f"Administrative and living land (行政办公及生活服务设施用地): {_SHARE_HELP}.",
        ),
    ] = None,
    rules: Annotated[Path | None, typer.Option("--rules", help="Rules file (TOML).")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the verdict as JSON (as POST /screening).")
    ] = False,
    batch: Annotated[
        Path | None,
        typer.Option("--batch", help="Table of proposed projects (.xlsx, .csv), one per row."),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option("--sheet", help="With --batch: the sheet of a workbook to read.")
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="With --batch: verdicts as .xlsx or .csv.")
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Screen a proposed project (入园评审), or a committee's table of them (--batch).

    The investment intensity against the threshold of the rules file (per park and industry,
    else the default), the control indicators (building coverage, administrative and living
    land, green ratio, plot ratio); indicators not given are 未评审.

    Exit codes: 0 done, 2 a mistake in the command or the inputs, 3 no project of the table
    could be screened (the verdicts are still written), 1 a bug."""
    if batch is not None:
        given = locals()
        extra = [name for name, var in _SINGLE_OPTIONS if given[var] not in (None, False)]
        if extra:
            raise InputError(
                f"--batch reads every project from its table; leave out {', '.join(extra)} "
                "(or screen one project without --batch)."
            )
        _screen_batch(batch, out, rules, sheet, overwrite)
        return
    for name, value in (("--out", out), ("--sheet", sheet)):
        if value is not None:
            raise InputError(
                f"{name} goes with --batch (a table of projects): add --batch FILE.xlsx, or "
                f"leave out {name} to screen one project."
            )
    _screen_one(
        investment_wan=investment_wan,
        areas=(area_ha, area_mu, area_m2),
        park=park,
        industry_code=industry_code,
        plot_ratio=plot_ratio,
        shares={
            "building_coverage": ("--building-coverage", building_coverage),
            "green_ratio": ("--green-ratio", green_ratio),
            "admin_living_share": ("--admin-living-share", admin_living_share),
        },
        rules=rules,
        as_json=as_json,
    )


def _no_rules_hint(rules: Path | None) -> str:
    return "" if rules is not None else "；未指定 --rules，仅有全国默认标准"


def _screen_one(
    *,
    investment_wan: float | None,
    areas: tuple[float | None, float | None, float | None],
    park: str | None,
    industry_code: str | None,
    plot_ratio: float | None,
    shares: dict[str, tuple[str, str | None]],
    rules: Path | None,
    as_json: bool,
) -> None:
    """One project: the verdict in Chinese on the console, or as JSON."""
    from pydantic import ValidationError

    from landuse.screening import ProposedProject, parse_share
    from landuse.screening import screen as screen_project

    rule_set = load_rules(rules)
    values: dict[str, float | None] = {}
    notes = []
    for name, (option, text) in shares.items():
        values[name] = None
        if text is not None:
            values[name], note = parse_share(text, option)
            if note:
                notes.append(note)
    area_ha, area_mu, area_m2 = areas
    try:
        project = ProposedProject(
            investment_wan=investment_wan,
            area_ha=area_ha,
            area_mu=area_mu,
            area_m2=area_m2,
            park=park,
            industry_code=industry_code,
            plot_ratio=plot_ratio,
            **values,
        )
    except ValidationError as exc:
        msgs = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
        )
        raise InputError(
            f"The project cannot be screened: {msgs}. Give --investment-wan and exactly one "
            "of --area-ha, --area-mu or --area-m2, all positive."
        ) from None
    verdict = screen_project(project, rule_set)
    if as_json:
        for line in [*notes, *verdict.warnings]:
            _say_err(f"注意：{line}")
        typer.echo(json.dumps(verdict.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return
    _print_verdict(verdict, notes, rules)


def _figure(value: float | None, unit: str) -> str:
    """An indicator's value or limit as the committee reads it."""
    if value is None:
        return "未填写"
    if unit == "share":
        return f"{value * 100:g}%"
    if unit == "ratio":
        return f"{value:.2f}"
    return f"{value:,.2f} {unit}"


def _print_verdict(verdict: Any, notes: list[str], rules: Path | None) -> None:
    from landuse.screening import CONCLUSION_FAIL_ZH, CONCLUSION_PASS_ZH, MU_PER_HA

    style = {CONCLUSION_PASS_ZH: "bold green", CONCLUSION_FAIL_ZH: "bold red"}.get(
        verdict.conclusion_zh, "bold yellow"
    )
    line = Text("评审结论：")
    line.append(verdict.conclusion_zh, style=style)
    _say(line)
    for warning in verdict.warnings:
        hint = _no_rules_hint(rules)
        _say(f"警告：{warning}{f'（{hint[1:]}）' if hint else ''}", style="yellow")
    for note in notes:
        _say(f"说明：{note}")
    _say(
        f"用地面积 {verdict.area_ha:,.4f} 公顷（{verdict.area_ha * MU_PER_HA:,.2f} 亩）；"
        f"固定资产总投资 {verdict.investment_wan:,.2f} 万元",
    )
    _say(
        f"投资强度 {verdict.intensity_wan_per_ha:,.2f} 万元/公顷；适用标准 "
        f"{verdict.threshold_wan_per_ha:,.2f} 万元/公顷；标准来源：{verdict.threshold_source_zh}",
    )
    _say(
        f"可支持最大面积 {verdict.max_area_ha:,.4f} 公顷（{verdict.max_area_ha * MU_PER_HA:,.2f} "
        f"亩）；所需最低投资 {verdict.min_investment_wan:,.2f} 万元",
    )
    _say("各项指标：")
    for check in verdict.checks:
        symbol = {">=": "≥", "<=": "≤"}[check.comparison]
        limit = "无" if check.limit is None else f"{symbol} {_figure(check.limit, check.unit)}"
        note = (check.note or "").removesuffix(f"，{check.result_zh}")
        _say(
            f"  {check.label_zh}：{_figure(check.value, check.unit)}（标准 {limit}）"
            f"  {check.result_zh}{f'（{note}）' if note else ''}"
        )
    if verdict.unchecked:
        labels = [c.label_zh for c in verdict.checks if c.name in verdict.unchecked]
        _say(f"未评审指标：{'、'.join(labels)}")
    if verdict.reasons:
        _say("未通过原因：")
        for reason in verdict.reasons:
            _say(f"  ✗ {reason}")


def _screen_batch(
    batch: Path, out: Path | None, rules: Path | None, sheet: str | None, overwrite: bool
) -> None:
    """A committee's table: verdicts in Chinese to --out, a summary on the console."""
    from landuse.schema import SOURCE_ROW
    from landuse.screening import (
        CONCLUSION_ERROR_ZH,
        CONCLUSION_FAIL_ZH,
        CONCLUSION_PARTIAL_ZH,
        CONCLUSION_PASS_ZH,
    )
    from landuse.screening_output import committee_table, write_verdicts
    from landuse.screening_table import read_projects_table, screen_table, split_totals

    if out is None or out.suffix.lower() not in (".csv", ".xlsx"):
        raise InputError("--batch needs --out FILE.csv or FILE.xlsx for the verdicts.")
    if out.is_dir():
        raise InputError(
            f"--out {out} is an existing folder. Name a file inside it, e.g. {out / '评审结果.xlsx'}"
        )
    check_outputs([out], inputs=[("--batch", batch), ("--rules", rules)], overwrite=overwrite)
    rule_set = load_rules(rules)
    table = read_projects_table(batch, sheet=sheet)
    projects, totals = split_totals(table.frame)
    verdicts = screen_table(projects, rule_set)
    if projects.empty:
        skipped = (
            f" and {len(totals)} total row(s) (合计/小计), which are not projects"
            if len(totals)
            else ""
        )
        raise InputError(
            f"--batch {batch} holds no project to screen: no rows below its header (row "
            f"{table.header_row}){skipped}. Fill in one project per row below the header, or "
            "pass the file (--sheet: the sheet) that holds them."
        )
    rules_note = (
        f"评审规则：{rules}" if rules is not None else "评审规则：全国默认标准（未指定 --rules）"
    )
    warnings = verdicts["warning_zh"].dropna()
    by_warning = warnings.value_counts(sort=False)
    foot = [rules_note, *(f"警告：{w}（{c} 个项目）" for w, c in by_warning.items())]
    laid_out = committee_table(projects, verdicts, rule_set, totals=totals, notes=foot)
    with atomic_file(out, overwrite=overwrite) as temp:
        write_verdicts(Path(temp), laid_out)

    for note in table.notes:
        _say(f"  · {note}", style="dim")
    conclusions = verdicts["conclusion_zh"]
    count = {k: int((conclusions == k).sum()) for k in conclusions.dropna().unique()}
    passed = count.get(CONCLUSION_PASS_ZH, 0) + count.get(CONCLUSION_PARTIAL_ZH, 0)
    _say(
        f"评审 {len(verdicts):,} 个项目：通过 {passed:,}（其中部分指标未评审 "
        f"{count.get(CONCLUSION_PARTIAL_ZH, 0):,}），不通过 {count.get(CONCLUSION_FAIL_ZH, 0):,}，"
        f"无法评审 {count.get(CONCLUSION_ERROR_ZH, 0):,} → {out}",
    )
    if len(totals):
        rows = "、".join(
            f"第 {r} 行“{t}”"
            for r, t in zip(
                totals[SOURCE_ROW].tolist(), totals["total_label"].tolist(), strict=True
            )
        )
        _say(f"跳过 {len(totals):,} 行合计/小计行，未作为项目评审：{rows}")
    for warning, n in by_warning.items():
        _say(f"警告：{warning}（{n} 个项目{_no_rules_hint(rules)}）", style="yellow")
    row_label = "第 " + verdicts[SOURCE_ROW].astype("string") + " 行"
    name = verdicts["project_name"].astype("string")
    row_label = (row_label + "（" + name + "）").fillna(row_label)
    errors = (row_label + "：" + verdicts["error_zh"]).dropna()
    if len(errors):
        _say("无法评审的行：")
        for line in errors:
            _say(f"  ✗ {line}")
    for line in (row_label + "：" + verdicts["notes_zh"]).dropna():
        _say(f"说明：{line}")
    if count.get(CONCLUSION_ERROR_ZH, 0) == len(verdicts):
        raise _fail(
            f"没有可评审的项目 (nothing screened): none of the {len(verdicts):,} rows of --batch "
            f"{batch} could be screened; the problems are listed above and in the 数据问题 "
            f"column of {out}. Correct the table and run again.",
            code=EXIT_NOTHING_ANALYSED,
        )


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


def _serve(
    results: Path | None,
    host: str,
    port: int,
    rules: Path | None = None,
    *,
    store: Path | None = None,
) -> None:
    import logging

    from api.app import serve as serve_api

    base = f"http://{host}:{port}"
    # Until the results are loaded, a failure to load them is the command's one error message,
    # not also a log line of the service.
    api_log = logging.getLogger("landuse.api")
    quiet = logging.NullHandler()

    def ready() -> None:  # the rules and the results file were found usable
        api_log.removeHandler(quiet)
        console.print(
            f"serving {results if store is None else store} at {base}/  (map: {base}/map · "
            f"OGC API: {base}/collections{' · runs: ' + base + '/runs' if store else ''} · "
            "Ctrl+C to stop)",
            highlight=False,
        )

    api_log.addHandler(quiet)
    try:
        serve_api(results, host=host, port=port, rules_path=rules, on_ready=ready, store_path=store)
    finally:
        api_log.removeHandler(quiet)


Port = Annotated[int, typer.Option("--port", help="TCP port, 1-65535.")]


@app.command()
def serve(
    results: Annotated[
        Path | None,
        typer.Argument(help="Results file written by analyse (.gpkg or .parquet)."),
    ] = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Port = 8000,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules file for /screening.")
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(
            "--store",
            help="Serve a store of runs (analyse --store): the latest run, and any earlier one "
            "with ?run=ID or ?datetime=DATE.",
        ),
    ] = None,
) -> None:
    """Serve results as OGC API - Features, vector tiles, screening, summaries and the map."""
    if (results is None) == (store is None):
        raise InputError(
            "Give a results file (landuse serve 结果.gpkg) or a store of runs (landuse serve "
            "--store runs.sqlite), one of them."
        )
    if store is not None:
        from landuse.runstore import check_store

        check_store(store)
    _check_port(host, port)
    if results is not None and not results.is_file():
        raise InputError(
            f"{results}: no such results file. Give the .gpkg or .parquet written by "
            "`landuse analyse --out` (or by `landuse demo`)."
        )
    # the service reads and checks the results itself before it starts listening
    _serve(results, host, port, rules, store=store)


@app.command()
def runs(
    store: ExistingStore,
) -> None:
    """List the runs of a store: id, as-of date, when recorded, parcels, rejects, inputs."""
    from rich.table import Table

    from landuse.runstore import read_runs

    listed = read_runs(store)
    table = Table(title=f"分析记录 runs in {store}", show_lines=False)
    for name, justify, wrap in (
        ("run", "right", False),
        ("评价日期\nas of", "left", False),
        ("记录时间 UTC\nrecorded", "left", False),
        ("宗数\nparcels", "right", False),
        ("拒收\nrejects", "right", False),
        ("输入文件 SHA-256\ninputs", "left", True),
        ("规则\nrules", "left", True),
    ):
        table.add_column(name, justify=justify, no_wrap=not wrap)  # type: ignore[arg-type]
    for r in listed:
        info = r.info
        files = "\n".join(  # one line per file: its name and the start of its SHA-256
            f"{Path(f.path).name} {f.sha256[:12]}" for f in info.inputs if f.role != "--rules"
        )
        rules_shown = Path(r.rules_path).name if r.rules_path else "defaults 默认"
        table.add_row(
            str(info.run_id),
            info.as_of_date or "",
            (info.recorded_at or "")[:16].replace("T", " "),
            f"{info.parcels:,}",
            f"{info.rejects:,}" if info.rejects is not None else "",
            files,
            rules_shown,
        )
    console.print(table)
    console.print(
        f"{len(listed)} run(s); serve them with: landuse serve --store {store}", highlight=False
    )


def _write_file(final: Path, overwrite: bool, write: Callable[[Path], None]) -> None:
    """Write one output whole or not at all (``write`` is given its temporary path)."""
    with OutputSet(overwrite=overwrite) as files:
        write(files.temp(final))
    _say(f"wrote {final}")


def _diff_csv_paths(csv: Path) -> list[Path]:
    """The CSV files of ``landuse diff --csv PATH``: the parcels whose status changed, then
    the transitions and the amounts by rule beside it."""
    return [
        csv,
        csv.with_name(f"{csv.stem}_transitions.csv"),
        csv.with_name(f"{csv.stem}_amounts.csv"),
    ]


@app.command()
def diff(
    store: ExistingStore,
    before: Annotated[
        str | None, typer.Option("--from", help="Earlier run id (default: the one before --to).")
    ] = None,
    after: Annotated[
        str | None, typer.Option("--to", help="Later run id (default: the latest).")
    ] = None,
    csv: Annotated[
        Path | None,
        typer.Option(
            "--csv",
            help="Write the parcels whose status changed to this CSV, with "
            "<name>_transitions.csv and <name>_amounts.csv beside it.",
        ),
    ] = None,
    xlsx: Annotated[
        Path | None,
        typer.Option(
            "--xlsx", help="Write the same as a workbook (summary, parcels, transitions, amounts)."
        ),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """What changed between two runs of a store (default: the last two): kinds of change,
    every status transition with parcels and hectares, and the amounts by rule."""
    from rich.table import Table

    from landuse.diff import diff_store
    from landuse.outputs import write_table_csv
    from landuse.runstore import check_store
    from landuse.schema import OUTPUT_LABELS_ZH

    check_store(store)
    if csv is not None:
        if csv.suffix.lower() != ".csv":
            raise InputError(f"--csv {csv}: name the file .csv, e.g. --csv 变化.csv.")
        check_outputs(
            _diff_csv_paths(csv), inputs=[("--store", store)], overwrite=overwrite, option="--csv"
        )
    if xlsx is not None:
        if xlsx.suffix.lower() != ".xlsx":
            raise InputError(f"--xlsx {xlsx}: name the workbook .xlsx, e.g. --xlsx 变化.xlsx.")
        check_outputs([xlsx], inputs=[("--store", store)], overwrite=overwrite, option="--xlsx")
    result = diff_store(store, before, after)
    b, a = result.before, result.after
    _say(f"run {b.run_id} (as of {b.as_of_date}) → run {a.run_id} (as of {a.as_of_date}), {store}")
    kinds = Table(title="变化 changes")
    for name, justify in (("变化 change", "left"), ("宗数 parcels", "right"), ("ha", "right")):
        kinds.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in result.kind_counts().itertuples():
        kinds.add_row(f"{row.change_zh} {row.change}", f"{row.parcels:,}", f"{row.area_ha:,.2f}")
    console.print(kinds)
    moves = Table(title="状态转移 status transitions")
    for name, justify in (
        ("上期 before", "left"),
        ("本期 after", "left"),
        ("宗数 parcels", "right"),
        ("ha", "right"),
    ):
        moves.add_column(name, justify=justify)  # type: ignore[arg-type]
    for row in result.transitions.itertuples():
        moves.add_row(
            f"{row.status_before_zh} {row.status_before}",
            f"{row.status_after_zh} {row.status_after}",
            f"{row.parcels:,}",
            f"{row.area_ha:,.2f}",
        )
    console.print(moves)
    # two tables of four columns, not one of seven: every figure whole in an 80-column console
    for title, kind in (
        ("已确认金额 confirmed amounts (万元)", "confirmed"),
        ("待核查金额 would apply if not started (万元; never added to the confirmed)", "potential"),
    ):
        money = Table(title=title)
        money.add_column("")
        for name in ("上期 before", "本期 now", "变化 change"):
            money.add_column(name, justify="right", no_wrap=True)
        for row in result.amounts.to_dict("records"):
            label = OUTPUT_LABELS_ZH.get(row["amount"], row["amount"]).split("(")[0]
            money.add_row(
                f"{label} {row['amount']}",
                *(f"{row[f'{kind}_{when}']:,.2f}" for when in ("before", "after", "change")),
            )
        console.print(money)
    if result.duplicate_keys:
        _say_err(
            f"{result.duplicate_keys} parcel id(s) are held by more than one parcel of a run and "
            "were left out of the matching."
        )
    if csv is not None:
        paths = _diff_csv_paths(csv)
        with OutputSet(overwrite=overwrite) as files:
            for path, table in zip(
                paths, (result.changes, result.transitions, result.amounts), strict=True
            ):
                write_table_csv(files.temp(path), table)
        for path in paths:
            _say(f"wrote {path}")
    if xlsx is not None:
        from landuse.diff import write_diff_workbook

        _write_file(xlsx, overwrite, lambda path: write_diff_workbook(path, result))


@app.command()
def ranking(
    store: ExistingStore,
    run: Annotated[
        str | None, typer.Option("--run", help="The run to rank (default: the latest).")
    ] = None,
    rules: RankingRulesOption = None,
    xlsx: Annotated[
        Path | None,
        typer.Option(
            "--xlsx",
            help="Also write the ranking and the warnings as a workbook (sheet 排名与预警).",
        ),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Rank the groups of a run (parks and regions by default) and list the warnings standing:
    last place while missing the target in 2 consecutive runs 黄色预警, 3 红色预警, 4 or more
    组织处理建议."""
    from rich.table import Table

    from landuse.ranking import rank_runs, ranking_document
    from landuse.runstore import check_store, read_runs, read_table
    from landuse.source import ResultsError, choose_run

    check_store(store)
    if xlsx is not None:
        if xlsx.suffix.lower() != ".xlsx":
            raise InputError(f"--xlsx {xlsx}: name the workbook .xlsx, e.g. --xlsx 排名.xlsx.")
        check_outputs(
            [xlsx],
            inputs=[("--store", store), ("--rules", rules)],
            overwrite=overwrite,
            option="--xlsx",
        )
    rule_set = load_rules(rules)
    listed = [r.info for r in read_runs(store)]
    try:
        chosen = choose_run(listed, run, None)
    except ResultsError as exc:
        raise InputError(f"--run {run}: {exc}") from None

    def read(info: Any, columns: list[str]) -> Any:
        return read_table(store, info.run_id, "parcels", columns).to_pandas()  # type: ignore[union-attr]

    doc = ranking_document(rank_runs(listed, chosen, read, rule_set), rule_set)
    table = Table(
        title=f"排名 ranking · run {doc['run']} (as of {doc['as_of_date']}) · "
        f"{doc['score']} · target ≤ {doc['target_share']:.0%}"
    )
    for name, justify in (
        ("名次\nrank", "right"),
        ("分组\ngroup", "left"),
        ("宗数\nparcels", "right"),
        ("面积 ha\narea", "right"),
        ("闲置或逾期 ha\nscored", "right"),
        ("比例\nscore", "right"),
        ("\n", "left"),
    ):
        # a long name (a county's full name has no space to break at) folds, never cut short
        table.add_column(name, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for row in doc["ranking"]:  # type: ignore[attr-defined]
        notes = [
            *(["末位 last"] if row["last"] else []),
            *(["未达标 missed target"] if row["missed_target"] else []),
        ]
        score = "" if row["score"] is None else f"{row['score']:.1%}"
        table.add_row(
            "" if row["rank"] is None else str(row["rank"]),
            row["group"],
            f"{row['parcels']:,}",
            f"{row['area_ha']:,.2f}",
            f"{row['scored_area_ha']:,.2f}",
            score,
            " · ".join(notes),
        )
    console.print(table)
    alerts = doc["warnings"]
    if not alerts:
        _say("预警 warnings: none 无")
    for alert in alerts:  # type: ignore[attr-defined]
        runs_text = ", ".join(str(r) for r in alert["runs"])
        _say(
            f"预警 warning: {alert['group']} · {alert['level_zh']} ({alert['level']}) · runs {runs_text}"
        )
    if xlsx is not None:
        from landuse.ranking import write_ranking_workbook

        _write_file(xlsx, overwrite, lambda path: write_ranking_workbook(path, doc))


@app.command()
def report(
    store: ExistingStore,
    out: Annotated[
        Path, typer.Option("--out", help="The report to write, a Word document (.docx).")
    ],
    run: Annotated[
        str | None, typer.Option("--run", help="The run to report on (default: the latest).")
    ] = None,
    rules: RankingRulesOption = None,
    pdf: Annotated[
        bool | None,
        typer.Option(
            "--pdf/--no-pdf",
            help="Also write the PDF beside the document with LibreOffice (default: when "
            "soffice is installed).",
        ),
    ] = None,
    overwrite: Overwrite = False,
) -> None:
    """Write the monthly report (通报) of a run of a store as a Word document: headline figures
    (confirmed and 待核查 money apart), what changed since the previous run, progress classes
    per park, the ranking and the warnings, the parcels to inspect first and a map per park;
    with its PDF where LibreOffice is installed."""
    import shutil

    from landuse.runstore import check_store

    check_store(store)
    if out.suffix.lower() != ".docx":
        raise InputError(f"--out {out}: name the report .docx, e.g. --out 通报.docx.")
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if pdf and soffice is None:
        raise InputError(
            "--pdf: LibreOffice (soffice) is not installed, so no PDF can be written. Install "
            "it, or leave out --pdf to write the Word document alone."
        )
    make_pdf = soffice is not None if pdf is None else pdf
    outputs = [out, out.with_suffix(".pdf")] if make_pdf else [out]
    check_outputs(outputs, inputs=[("--store", store), ("--rules", rules)], overwrite=overwrite)
    from landuse.bulletin import gather, park_maps, pdf_bytes, write_docx

    rule_set = load_rules(rules)
    bulletin = gather(store, run, rule_set)
    maps = park_maps(bulletin)
    no_pdf = None
    with OutputSet(overwrite=overwrite) as files:
        docx_temp = files.temp(out)
        write_docx(docx_temp, bulletin, maps)
        if make_pdf:
            assert soffice is not None
            try:
                data = pdf_bytes(docx_temp, soffice)
            except InputError as exc:
                if pdf:  # asked for: nothing is written
                    raise
                no_pdf, outputs = str(exc), [out]
            else:
                files.temp(outputs[1]).write_bytes(data)
    _say(
        f"run {bulletin.run.run_id} (as of {bulletin.run.as_of_date}): "
        f"{int(bulletin.headline.iloc[-1]['parcels']):,} parcels, "
        f"{sum(png is not None for _, png in maps)} of {len(maps)} park map(s) drawn"
    )
    for path in outputs:
        _say(f"wrote {path}")
    if no_pdf is not None:
        _say_err(f"no PDF: {no_pdf}")
    if pdf is None and soffice is None:
        _say("no PDF: LibreOffice (soffice) is not installed")


def sample_dir() -> Path:
    """The folder of the sample park: ``sample_data/`` of a checkout when landuse runs from
    one, else the copy an installed wheel put below the environment's data folder (found
    through the installed files' record, then the install schemes). The checkout's folder when
    none holds the sample (the demo then names the missing file)."""
    import sysconfig
    from importlib.metadata import PackageNotFoundError, distribution

    candidates = [SAMPLE_DIR]
    try:
        dist = distribution("landuse")
        marker = f"{SAMPLE_INSTALLED.as_posix()}/{SAMPLE_FILES[0]}"
        for entry in dist.files or ():
            if entry.as_posix().endswith(marker):
                candidates.append(Path(str(dist.locate_file(entry))).resolve().parent)
    except PackageNotFoundError:  # pragma: no cover - run from a source tree, not installed
        pass
    schemes = [sysconfig.get_default_scheme(), sysconfig.get_preferred_scheme("user")]
    candidates += [Path(sysconfig.get_path("data", s)) / SAMPLE_INSTALLED for s in schemes]
    candidates.append(Path(sys.prefix) / SAMPLE_INSTALLED)
    for folder in candidates:
        if all((folder / name).is_file() for name in SAMPLE_FILES):
            return folder
    return SAMPLE_DIR


#: Every file ``landuse demo`` writes into its folder.
DEMO_STEM = "sample_park"
DEMO_FORMATS = (".gpkg", ".parquet", ".csv", ".xlsx")
DEMO_MAP = f"{DEMO_STEM}_map.html"


def demo_outputs(out_dir: Path) -> list[Path]:
    """The files of the demo: the results in every format (the GeoPackage first), the files
    beside them, the load report and the map."""
    from landuse.outputs import output_paths

    files = [p for suffix in DEMO_FORMATS for p in output_paths(out_dir / f"{DEMO_STEM}{suffix}")]
    return [*dict.fromkeys(files), out_dir / DEMO_MAP]


def analyse_sample_park(
    sample: Path, progress: Callable[[str], None] = lambda _msg: None
) -> "Results":
    """The sample park in ``sample`` analysed as ``landuse demo`` does: its parcels, ledger,
    park boundaries, rules file and building footprints, as of :data:`DEMO_AS_OF`."""
    from landuse.pipeline import BuildingInputs

    ledger, layer, park_layer, rules_path, footprints = (sample / name for name in SAMPLE_FILES)
    return run_analysis(
        [layer],
        rules=load_rules(rules_path),
        as_of=DEMO_AS_OF,
        ledger=[ledger],
        parks=park_layer,
        progress=progress,
        buildings=BuildingInputs(paths=(footprints,)),
    )


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
    """Analyse the sample park (as of 2025-12-31, with its building footprints), write every
    output format and the map, then serve the results (API and map) until Ctrl+C."""
    from landuse.pipeline import write_load_report, write_results

    sample = sample_dir()
    ledger, layer, park_layer, rules_path, footprints = (sample / name for name in SAMPLE_FILES)
    missing = [p for p in (ledger, layer, park_layer, rules_path, footprints) if not p.exists()]
    if missing:
        raise InputError(
            f"The sample park is not there ({missing[0]} is missing). Install landuse again "
            f"(`pip install .` or the wheel puts it in <environment>/{SAMPLE_INSTALLED.as_posix()}), "
            "or regenerate it in a checkout with `python sample_data/generate.py`."
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(
            f"--out-dir {out_dir} is a file, not a folder. Name a folder for the outputs."
        )
    if serve_results:
        _check_port(host, port)
    out_dir.mkdir(parents=True, exist_ok=True)
    planned = demo_outputs(out_dir)
    inputs = [("the sample park", p) for p in (ledger, layer, park_layer, rules_path, footprints)]
    check_outputs(planned, inputs=inputs, overwrite=overwrite, option="--out-dir", folder=out_dir)
    with console.status("analysing the sample park…") as status:
        results = analyse_sample_park(sample, progress=lambda msg: status.update(msg))
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


#: The example closing each command's --help: what it does, in Chinese, then the command line.
EXAMPLES: dict[str, str] = {
    "analyse": "示例：分析宗地图层与供地台账（按园区边界补全园区），以 2025-12-31 为评价基准日，"
    "输出会议用 Excel 工作簿\n\n"
    "landuse analyse parcels.gpkg --ledger 供地台账.xlsx --parks parks.shp --rules rules.toml "
    "--as-of 2025-12-31 --out 结果.xlsx\n\n"
    "示例：每月分析一次，把本次结果连同输入文件的哈希记入运行记录库\n\n"
    "landuse analyse parcels.gpkg --ledger 供地台账.xlsx --as-of 2025-12-31 --out 结果.gpkg "
    "--store 运行记录.sqlite",
    "runs": "示例：列出运行记录库中的每次分析\n\nlanduse runs --store 运行记录.sqlite",
    "diff": "示例：比较最近两次分析（新增闲置、新增逾期、已整改、各项金额），并写出 CSV\n\n"
    "landuse diff --store 运行记录.sqlite --csv 本月变化.csv --xlsx 本月变化.xlsx",
    "ranking": "示例：按园区（或行政区）排名最近一次分析，并列出黄色、红色预警\n\n"
    "landuse ranking --store 运行记录.sqlite --rules rules.toml --xlsx 排名与预警.xlsx",
    "report": "示例：写出最近一次分析的月度通报（Word，装有 LibreOffice 时同时写出 PDF）\n\n"
    "landuse report --store 运行记录.sqlite --out 通报-2025-12.docx",
    "screen": "示例：评审一个项目（投资 12000 万元，用地 30 亩，建筑系数 35%）\n\n"
    "landuse screen --investment-wan 12000 --area-mu 30 --park 经开区北区 --industry-code C3670 "
    "--building-coverage 35%\n\n"
    "示例：评审委员会的项目表，结论写入 Excel\n\n"
    "landuse screen --batch 入园项目.xlsx --out 评审结果.xlsx --rules rules.toml",
    "map": "示例：把分析结果画成一个离线网页地图（只含经开区北区）\n\n"
    "landuse map 结果.gpkg -o 地图.html --park 经开区北区",
    "serve": "示例：在本机 8000 端口发布分析结果（接口、地图与入园评审）\n\n"
    "landuse serve 结果.gpkg --port 8000 --rules rules.toml\n\n"
    "示例：发布运行记录库（最新一次，及以 ?run= 或 ?datetime= 选择的任一次）\n\n"
    "landuse serve --store 运行记录.sqlite",
    "demo": "示例：分析示例园区，把全部输出写入 landuse-demo 文件夹，不启动服务\n\n"
    "landuse demo --out-dir landuse-demo --no-serve",
}
for _command in app.registered_commands:
    _name = _command.name or getattr(_command.callback, "__name__", "").replace("_", "-")
    _command.epilog = _command.epilog or EXAMPLES.get(_name)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
