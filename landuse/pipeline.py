"""The main job: load, analyse as of a date, summarise and write the results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from landuse.analysis import analyse
from landuse.atomic import OutputSet
from landuse.errors import InputError
from landuse.inspections import INSPECTION_COLUMNS
from landuse.load import Loaded, load_inputs
from landuse.outputs import (
    check_out_path,
    drop_empty_geometry,
    load_report_path,
    rejects_path,
    write_csv,
    write_gpkg,
    write_parquet,
    write_table_csv,
)
from landuse.rules_file import RuleSet
from landuse.schema import SOURCE_FILE, SOURCE_ROW
from landuse.styles import style_file_paths, write_style_files
from landuse.summary import summary_table
from landuse.workbook import write_workbook


@dataclass
class Results:
    """Analysed parcels (geometry where known), rejects, summary and the load outcome."""

    parcels: gpd.GeoDataFrame
    rejects: pd.DataFrame
    summary: pd.DataFrame
    loaded: Loaded
    as_of: pd.Timestamp

    @property
    def crs(self):
        return self.parcels.crs


def _day(value: dt.date | str | None) -> dt.date:
    """The evaluation day: today when None; a date, a datetime or ``YYYY-MM-DD`` text."""
    if value is None:
        return dt.date.today()
    if isinstance(value, dt.datetime):  # pd.Timestamp included
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value).strip()[:10])


def run_analysis(
    inputs: Sequence[str | Path],
    *,
    rules: RuleSet,
    as_of: dt.date | str | None = None,
    ledger: Sequence[str | Path] = (),
    parks: str | Path | None = None,
    park_name_field: str | None = None,
    assume_crs: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    progress: Callable[[str], None] = lambda _msg: None,
    sheet: str | None = None,
    inspections: Sequence[str | Path] = (),
) -> Results:
    """Load every input and apply every rule as of ``as_of`` (default: today).

    ``layer`` and ``encoding`` apply to every input file (see
    :func:`landuse.load.load_inputs`); the plausible dates come from ``rules.dates``, and
    ``as_of`` must be one of them (:class:`InputError` otherwise). ``sheet`` names the sheet
    of every workbook input; ``inspections`` are inspection files, whose latest finding per
    parcel on or before ``as_of`` updates the parcels before the rules run.
    """
    as_of_day = _day(as_of)
    if not rules.dates.earliest <= as_of_day <= rules.dates.latest:
        raise InputError(
            f"The evaluation date (--as-of) {as_of_day} is outside the plausible dates "
            f"{rules.dates.earliest} .. {rules.dates.latest} (the [dates] table of the rules "
            f"file). Give a date between them, e.g. --as-of {dt.date.today()}."
        )
    as_of_ts = pd.Timestamp(as_of_day)
    progress("reading inputs")
    loaded = load_inputs(
        inputs,
        ledger=ledger,
        parks=parks,
        park_name_field=park_name_field,
        assume_crs=assume_crs,
        layer=layer,
        encoding=encoding,
        dates=rules.dates,
        sheet=sheet,
        inspections=inspections,
        as_of=as_of_ts,
    )
    progress(f"analysing {len(loaded.parcels):,} parcels as of {as_of_ts.date()}")
    parcels = loaded.parcels
    result = analyse(parcels, as_of_ts, rules)
    result[SOURCE_FILE] = parcels[SOURCE_FILE].to_numpy()
    result[SOURCE_ROW] = parcels[SOURCE_ROW].to_numpy()
    for name in INSPECTION_COLUMNS:  # what the inspections fed back (--inspections)
        if name in parcels.columns:
            result[name] = parcels[name].array
    # assigned as a column: building the frame around it would consolidate (copy) every column
    result["geometry"] = parcels.geometry.values
    analysed = gpd.GeoDataFrame(result, geometry="geometry", crs=parcels.crs, copy=False)
    # the analysed frame carries every input column: keep one table of parcels, not two
    loaded.parcels = analysed
    del parcels, result
    summary = summary_table(analysed)
    return Results(
        parcels=analysed,
        rejects=drop_empty_geometry(loaded.rejects),
        summary=summary,
        loaded=loaded,
        as_of=as_of_ts,
    )


def write_results(
    results: Results, out: str | Path, outputs: OutputSet | None = None
) -> list[Path]:
    """Write in the format named by ``out``'s extension; returns every file written.

    With ``outputs`` the files are written under its temporary names and the caller commits
    the set (with the load report, see :func:`write_load_report`); without, they are written
    and renamed into place here, together. Either way an existing file is only replaced by a
    complete new one.
    """
    path = check_out_path(out)
    if outputs is None:
        with OutputSet() as own:
            return write_results(results, path, own)
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        write_gpkg(
            outputs.temp(path),
            results.parcels,
            results.rejects,
            results.summary,
            results.loaded.parks,
            results.crs,
        )
        qml_path, sld_path = style_file_paths(path)
        write_style_files(path, outputs.temp(qml_path), outputs.temp(sld_path))
        return [path, qml_path, sld_path]
    if suffix in (".parquet", ".csv"):
        main, beside = outputs.temp(path), outputs.temp(rejects_path(path))
        if suffix == ".parquet":
            write_parquet(main, results.parcels, results.rejects, results.crs, beside)
        else:
            write_csv(main, results.parcels, results.rejects, beside)
        return [path, rejects_path(path)]
    write_workbook(
        outputs.temp(path),
        results.parcels,
        results.rejects,
        as_of=results.as_of.date(),
        report=results.loaded.report.table(),
    )
    return [path]


def write_load_report(results: Results, out: str | Path, outputs: OutputSet) -> Path:
    """The load report as ``<stem>_load_report.csv`` beside ``out`` (written to ``outputs``'
    temporary name); returns its final path."""
    path = load_report_path(out)
    write_table_csv(outputs.temp(path), results.loaded.report.table())
    return path
