"""The ``landuse`` command line: analyse, screen, demo."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from landuse.errors import InputError
from landuse.pipeline import Results, run_analysis, write_results
from landuse.rules_file import load_rules
from landuse.schema import STATUS_ORDER, STATUS_ZH

app = typer.Typer(
    help="Land-use efficiency analyser for industrial parks (工业用地利用效率分析).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "sample_data"
DEMO_AS_OF = "2025-12-31"


def _fail(message: str) -> typer.Exit:
    text = Text("错误 (error): ", style="bold red")
    text.append(message)  # plain text: brackets in a message are not markup
    err_console.print(text, highlight=False)
    return typer.Exit(code=2)


def _parse_as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise _fail(
            f"--as-of {text!r} is not a date. Write it as YYYY-MM-DD, for example 2025-12-31."
        ) from None


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


def _write_report(results: Results, out: Path) -> Path | None:
    table = results.loaded.report.table()
    path = out.with_name(f"{out.stem}_load_report.csv")
    table.to_csv(path, index=False, encoding="utf-8-sig")
    problems = int((table["severity"] == "warning").sum())
    console.print(
        f"load report: {len(table):,} entries ({problems:,} warnings) → {path}", highlight=False
    )
    return path


@app.command()
def analyse(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="Parcel layers (.gpkg .shp .zip .geojson .fgb .parquet) and/or ledgers (.csv .xlsx)."
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
    """Analyse parcels and ledgers as of a date and write the results."""
    as_of_date = _parse_as_of(as_of)
    try:
        from landuse.outputs import check_out_path

        check_out_path(out)
        rule_set = load_rules(rules)
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
            written = write_results(results, out)
    except InputError as exc:
        raise _fail(str(exc)) from None
    print_accounting(results)
    _write_report(results, out)
    for path in written:
        console.print(f"wrote {path}", highlight=False)


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
) -> None:
    """Screen a proposed project (入园评审) against the intensity threshold and control
    indicators."""
    from pydantic import ValidationError

    from landuse.screening import ProposedProject, read_projects, screen_table
    from landuse.screening import screen as screen_one

    try:
        rule_set = load_rules(rules)
        if batch is not None:
            if out is None or out.suffix.lower() not in (".csv", ".xlsx"):
                raise InputError("--batch needs --out FILE.csv or FILE.xlsx for the verdicts.")
            verdicts = screen_table(read_projects(batch), rule_set)
            if out.suffix.lower() == ".csv":
                verdicts.to_csv(out, index=False, encoding="utf-8-sig")
            else:
                verdicts.to_excel(out, index=False, sheet_name="评审结果")
            passed = verdicts["passed"]
            console.print(
                f"{len(verdicts):,} projects: {int((passed == True).sum()):,} passed, "  # noqa: E712
                f"{int((passed == False).sum()):,} failed, "  # noqa: E712
                f"{int(passed.isna().sum()):,} with errors → {out}",
                highlight=False,
            )
            return
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
    except InputError as exc:
        raise _fail(str(exc)) from None
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
) -> None:
    """Write one self-contained HTML map (data and assets inlined; opens with no server)."""
    from maps import cli_map

    try:
        written = cli_map(results, out, park=park, lang=lang, basemap=basemap)
    except (InputError, ValueError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from None
    console.print(f"wrote {written}", highlight=False)


def _serve(results: Path, host: str, port: int, rules: Path | None = None) -> None:
    from api.app import serve as serve_api

    base = f"http://{host}:{port}"
    console.print(
        f"serving {results} at {base}/  (map: {base}/map · OGC API: {base}/collections · "
        "Ctrl+C to stop)",
        highlight=False,
    )
    try:
        serve_api(results, host=host, port=port, rules_path=rules)
    except InputError as exc:
        raise _fail(str(exc)) from None


@app.command()
def serve(
    results: Annotated[
        Path, typer.Argument(help="Results file written by analyse (.gpkg or .parquet).")
    ],
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    rules: Annotated[
        Path | None, typer.Option("--rules", help="Rules file for /screening.")
    ] = None,
) -> None:
    """Serve results as OGC API - Features, vector tiles, screening, summaries and the map."""
    if results.suffix.lower() not in (".gpkg", ".parquet") or not results.is_file():
        raise _fail(
            f"{results}: not a results file. Give the .gpkg or .parquet written by "
            "`landuse analyse --out` (or by `landuse demo`)."
        )
    _serve(results, host, port, rules)


@app.command()
def demo(
    out_dir: Annotated[Path, typer.Option("--out-dir", help="Folder for the demo outputs.")] = Path(
        "landuse-demo"
    ),
    serve_results: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the results when done.")
    ] = True,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
) -> None:
    """Analyse the sample park (as of 2025-12-31), write every output format and the map, then
    serve the results (API and map) until Ctrl+C."""
    ledger = SAMPLE_DIR / "ledger.xlsx"
    layer = SAMPLE_DIR / "parcels.gpkg"
    park_layer = SAMPLE_DIR / "parks.gpkg"
    rules_path = SAMPLE_DIR / "rules.toml"
    missing = [p for p in (ledger, layer, park_layer, rules_path) if not p.exists()]
    if missing:
        raise _fail(
            f"The sample park is not there ({missing[0]} is missing). Run the demo from a "
            "checkout installed with `pip install -e .`, or regenerate the sample with "
            "`python sample_data/generate.py`."
        )
    if out_dir.exists() and not out_dir.is_dir():
        raise _fail(f"--out-dir {out_dir} is a file, not a folder. Name a folder for the outputs.")
    out_dir.mkdir(parents=True, exist_ok=True)
    try:
        with console.status("analysing the sample park…") as status:
            results = run_analysis(
                [layer],
                rules=load_rules(rules_path),
                as_of=DEMO_AS_OF,
                ledger=[ledger],
                parks=park_layer,
                progress=lambda msg: status.update(msg),
            )
            written: list[Path] = []
            for suffix in (".gpkg", ".parquet", ".csv", ".xlsx"):
                status.update(f"writing {suffix}")
                written += write_results(results, out_dir / f"sample_park{suffix}")
    except InputError as exc:
        raise _fail(str(exc)) from None
    print_accounting(results)
    _write_report(results, out_dir / "sample_park.gpkg")
    from maps import cli_map

    written.append(cli_map(out_dir / "sample_park.gpkg", out_dir / "sample_park_map.html"))
    console.print(f"demo outputs in {out_dir.resolve()}:", highlight=False)
    for path in written:
        console.print(f"  {path.name}", highlight=False)
    if serve_results:
        _serve(out_dir / "sample_park.gpkg", host, port, rules_path)


def main() -> None:  # pragma: no cover - console entry point
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
