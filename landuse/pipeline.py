"""The main job: load, analyse as of a date, summarise and write the results."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse.analysis import REPLACED_INPUTS, analyse
from landuse.atomic import OutputSet
from landuse.buildings import parcel_building_metrics, read_buildings
from landuse.errors import InputError
from landuse.frames import geo_frame
from landuse.inspections import INSPECTION_COLUMNS
from landuse.load import Loaded, load_inputs
from landuse.memory import release_memory
from landuse.outputs import (
    GpkgParcelStream,
    check_out_path,
    drop_empty_geometry,
    layer_geometry_type,
    load_report_path,
    rejects_path,
    write_csv,
    write_gpkg,
    write_parquet,
    write_table_csv,
)
from landuse.report import LoadReport
from landuse.rules_file import RuleSet
from landuse.schema import INPUT_NAMES, SOURCE_FILE, SOURCE_ROW
from landuse.styles import style_file_paths, write_style_files
from landuse.summary import summary_table
from landuse.workbook import write_workbook


@dataclass(frozen=True)
class BuildingInputs:
    """Building footprint surveys for :func:`run_analysis` (``landuse analyse --buildings``).

    ``paths``: the layers of the current survey (any GDAL format, polygons or points; pieces
    of one building across layers are merged); ``date``: its survey date (``YYYY-MM-DD``, or
    ``YYYY-MM``, ``YYYY``) for features whose layer has no date field. ``before`` and
    ``before_date``: an earlier survey, for the new footprint area and the coverage change.
    ``workers``: None measures in this process; a number of local Dask workers or the address
    of a Dask scheduler (``tcp://host:8786``) partitions the work (the ``[dask]`` extra).
    """

    paths: tuple[Path, ...]
    date: str | None = None
    before: tuple[Path, ...] = ()
    before_date: str | None = None
    workers: int | str | None = None


#: Parcels analysed per step when a sink writes them as they come (:class:`ParcelSink`).
ANALYSIS_CHUNK_ROWS = 131_072


class ParcelSink(Protocol):
    """Where :func:`run_analysis` hands the analysed parcels as they are made, so that they are
    written while the rest is analysed (:class:`landuse.outputs.GpkgParcelStream`)."""

    def begin(self, crs, geometry_type: str | None, rows: int) -> bool:
        """Told the CRS, the layer's geometry type (None: no parcel has a geometry) and the
        number of parcels before the analysis; returns whether to stream (declined, the sink
        is told nothing more and the parcels are written with the rest)."""
        ...

    def write(self, parcels: gpd.GeoDataFrame) -> None:
        """Consecutive analysed parcels, every result column and the geometry."""
        ...


@dataclass
class Results:
    """Analysed parcels (geometry where known), rejects, summary and the load outcome;
    ``buildings``: the current survey's footprints and points (when given)."""

    parcels: gpd.GeoDataFrame
    rejects: pd.DataFrame
    summary: pd.DataFrame
    loaded: Loaded
    as_of: pd.Timestamp
    buildings: gpd.GeoDataFrame | None = None

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
    stored_inspections: pd.DataFrame | None = None,
    buildings: BuildingInputs | None = None,
    sink: ParcelSink | None = None,
) -> Results:
    """Load every input and apply every rule as of ``as_of`` (default: today).

    ``layer`` and ``encoding`` apply to every input file (see
    :func:`landuse.load.load_inputs`); the plausible dates come from ``rules.dates``, and
    ``as_of`` must be one of them (:class:`InputError` otherwise). ``sheet`` names the sheet
    of every workbook input; ``inspections`` are inspection files, whose latest finding per
    parcel on or before ``as_of`` updates the parcels before the rules run;
    ``stored_inspections``: findings recorded in a store of runs (normalised, see
    :func:`landuse.inspection_store.stored_inspections`), taken with them. ``sink``
    receives the analysed parcels as they are made (see :class:`ParcelSink`).
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
        stored_inspections=stored_inspections,
    )
    parcels = loaded.parcels
    release_memory()  # the file as read and the loading's working arrays, handed back
    surveys: list[pd.DataFrame] = []
    footprints = None
    if buildings is not None:
        progress("measuring building footprints per parcel")
        surveys, footprints = measure_buildings(
            parcels, buildings, rules=rules, report=loaded.report, encoding=encoding
        )
    progress(f"analysing {len(loaded.parcels):,} parcels as of {as_of_ts.date()}")
    streamed = sink is not None and sink.begin(
        parcels.crs, _geometry_type(parcels.geometry.to_numpy()), len(parcels)
    )
    if streamed:
        carried = _carried_columns(parcels)
        columns: list[str] = []
        pieces = []  # the columns each chunk's analysis made; the others are the parcels' own
        for start in range(0, len(parcels), ANALYSIS_CHUNK_ROWS):
            rows = parcels.iloc[start : start + ANALYSIS_CHUNK_ROWS]
            piece = _analysed(rows, analyse(rows, as_of_ts, rules, buildings=surveys))
            sink.write(piece)  # written by the sink's process while the next chunk is analysed
            columns = list(piece.columns)
            pieces.append(pd.DataFrame(piece.drop(columns=[c for c in columns if c in carried])))
            del piece, rows
            release_memory()  # the chunk's working arrays: the RSS stays near what is held

        own = pd.DataFrame(parcels[[c for c in columns if c in carried and c != "geometry"]])
        analysed = geo_frame([own, assemble(pieces)], parcels.geometry.values, parcels.crs, columns)
        del own
    else:
        analysed = _analysed(parcels, analyse(parcels, as_of_ts, rules, buildings=surveys))
    # the analysed frame carries every input column: keep one table of parcels, not two
    loaded.parcels = analysed
    del parcels
    summary = summary_table(analysed)
    return Results(
        parcels=analysed,
        rejects=drop_empty_geometry(loaded.rejects),
        summary=summary,
        loaded=loaded,
        as_of=as_of_ts,
        buildings=footprints,
    )


def _analysed(parcels: gpd.GeoDataFrame, result: pd.DataFrame) -> gpd.GeoDataFrame:
    """The result of :func:`landuse.analysis.analyse` with the parcels' provenance, what the
    inspections fed back and the geometry: the analysed parcels, on ``parcels``' index."""
    result[SOURCE_FILE] = parcels[SOURCE_FILE].array
    result[SOURCE_ROW] = parcels[SOURCE_ROW].array
    for name in INSPECTION_COLUMNS:  # what the inspections fed back (--inspections)
        if name in parcels.columns:
            result[name] = parcels[name].array
    return geo_frame([result], parcels.geometry.values, parcels.crs)


def _geometry_type(geoms: np.ndarray) -> str | None:
    """The parcels layer's geometry type (:func:`landuse.outputs.layer_geometry_type`), None
    when no parcel has a geometry (a ledger alone)."""
    if shapely.is_missing(geoms).all():
        return None
    return layer_geometry_type(geoms)


def _carried_columns(parcels: pd.DataFrame) -> set[str]:
    """Columns of the analysed parcels that are the loaded parcels' own, unchanged: the input
    columns :func:`landuse.analysis.analyse` does not replace, provenance, what inspections fed
    back and the geometry."""
    unchanged = [name for name in INPUT_NAMES if name not in REPLACED_INPUTS]
    names = {*unchanged, SOURCE_FILE, SOURCE_ROW, *INSPECTION_COLUMNS, "geometry"}
    return {name for name in names if name in parcels.columns}


def assemble(pieces: list[pd.DataFrame]) -> pd.DataFrame:
    """Consecutive row pieces of one table (same columns) as one frame, joined column by
    column; ``pieces`` is emptied, so that each column's pieces are released once joined and
    the table is never held twice."""
    if len(pieces) == 1:
        return pieces.pop()
    columns = list(pieces[0].columns)
    start = pieces[0].index[0] if len(pieces[0]) else 0
    index = pd.RangeIndex(start, start + sum(map(len, pieces)))
    parts = {name: [piece[name].array for piece in pieces] for name in columns}
    pieces.clear()
    return pd.DataFrame(
        {name: _joined(parts.pop(name)) for name in columns}, index=index, copy=False
    )


def _joined(arrays: list) -> object:
    """One column's pieces as one array of the same dtype. Categoricals whose categories
    differ between pieces (a piece may have none: all missing) are joined on the union of
    them, sorted when every piece's were (as ``pd.Categorical`` infers them), so the result
    equals the column of a single pass."""
    first = arrays[0]
    if all(a.dtype == first.dtype for a in arrays):
        return type(first)._concat_same_type(arrays)
    if all(isinstance(a.dtype, pd.CategoricalDtype) for a in arrays):
        named = [a.categories for a in arrays if len(a.categories)]
        union = named[0].append(named[1:]).unique() if named else first.categories
        if all(c.is_monotonic_increasing for c in named):
            union = union.sort_values()
        return pd.Categorical._concat_same_type([a.set_categories(union) for a in arrays])
    return pd.concat([pd.Series(a, copy=False) for a in arrays], ignore_index=True).array


def _read_survey(
    paths: Sequence[Path],
    date: str | None,
    option: str,
    *,
    rules: RuleSet,
    crs,
    encoding: str | None,
    report: LoadReport,
) -> gpd.GeoDataFrame:
    """One survey's buildings in ``crs``; its report merged into ``report``. A survey with no
    date at all is refused (it can be evidence of nothing)."""
    frame, own = read_buildings(
        paths, date=date, fields=rules.buildings.fields, target_crs=crs, encoding=encoding
    )
    report.parts.extend(own.parts)
    report.notes.extend(f"{option}: {note.removeprefix('buildings: ')}" for note in own.notes)
    if len(frame) and frame["survey_date"].isna().all():
        names = ", ".join(p.name for p in paths)
        raise InputError(
            f"{option} {names}: no survey date (no date field such as survey_date or 调查日期 "
            f"was found). Give the date the footprints were surveyed, e.g. {option}-date "
            "2024-06-30, or name the date field in [buildings.fields] date of the rules file."
        )
    return frame


def measure_buildings(
    parcels: gpd.GeoDataFrame,
    spec: BuildingInputs,
    *,
    rules: RuleSet,
    report: LoadReport,
    encoding: str | None = None,
) -> tuple[list[pd.DataFrame], gpd.GeoDataFrame | None]:
    """The building measures of every survey (earlier first; frames of
    :func:`landuse.buildings.parcel_building_metrics` indexed like the parcels that have a
    geometry) and the current survey's buildings. Parcels without any geometry (ledgers
    alone) cannot be measured: the footprints are reported and ignored (``([], None)``).

    Areas are m² in the parcels' CRS: the loader put the parcels in a projected CRS for area
    work (:func:`landuse.crs.to_area_crs`), and the footprints are reprojected to it.
    """
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    has = ~(pd.isna(geoms) | shapely.is_empty(geoms)) if len(geoms) else np.zeros(0, dtype=bool)
    names = ", ".join(p.name for p in spec.paths)
    if parcels.crs is None or not has.any():
        report.add(
            file=names,
            problem="building footprints given, but the parcels have no geometry (ledgers "
            "alone): footprints cannot be placed in parcels",
            action="footprints ignored; analyse a parcel layer with the ledger to use them",
            severity="warning",
        )
        report.note(f"--buildings {names}: ignored (the parcels have no geometry)")
        return [], None
    rb = rules.buildings
    options = {
        "storey_height_m": rb.storey_height_m,
        "tall_floor_m": rb.tall_floor_m,
        "count_tall_twice": rb.count_tall_floors_twice,
    }
    read = {"rules": rules, "crs": parcels.crs, "encoding": encoding, "report": report}
    current = _read_survey(spec.paths, spec.date, "--buildings", **read)
    before = None
    if spec.before:
        before = _read_survey(spec.before, spec.before_date, "--buildings-before", **read)
    measured = gpd.GeoSeries(geoms[has], index=parcels.index[has], crs=parcels.crs)

    def metrics(frame: gpd.GeoDataFrame, previous: gpd.GeoDataFrame | None) -> pd.DataFrame:
        if spec.workers is None or previous is not None:
            # the two-survey column is computed by the single-process path only
            return parcel_building_metrics(measured, frame, previous=previous, **options)
        from landuse.buildings_dask import parcel_building_metrics_dask

        return parcel_building_metrics_dask(measured, frame, workers=spec.workers, **options)

    surveys = []
    for option, frame, previous in (
        ("--buildings-before", before, None),
        ("--buildings", current, before),
    ):
        if frame is None:
            continue
        m = metrics(frame, previous)
        # surveyed: the parcel meets the bounding box of the survey's buildings (a parcel at
        # the edge of a surveyed area is partly in it; one far outside was not surveyed)
        x0, y0, x1, y1 = frame.total_bounds if len(frame) else (np.nan,) * 4
        box = shapely.bounds(geoms[has])
        m["buildings_surveyed"] = (
            (box[:, 0] <= x1) & (box[:, 2] >= x0) & (box[:, 1] <= y1) & (box[:, 3] >= y0)
        )
        s = m.attrs["summary"]
        s["parcels_not_surveyed"] = int((~m["buildings_surveyed"]).sum())
        report.note(
            f"{option}: {s['buildings']:,} buildings ({s['points']:,} points), "
            f"{s['outside']:,} outside every parcel (left out), {s['split']:,} in two or more "
            f"parcels; {s['parcels_with_buildings']:,} of {int(has.sum()):,} parcels with "
            f"buildings, {s['parcels_not_surveyed']:,} outside the surveyed extent"
        )
        surveys.append(m)
    return surveys, current


def write_results(
    results: Results,
    out: str | Path,
    outputs: OutputSet | None = None,
    stream: GpkgParcelStream | None = None,
) -> list[Path]:
    """Write in the format named by ``out``'s extension; returns every file written.

    With ``outputs`` the files are written under its temporary names and the caller commits
    the set (with the load report, see :func:`write_load_report`); without, they are written
    and renamed into place here, together. Either way an existing file is only replaced by a
    complete new one. ``stream``: the sink :func:`run_analysis` wrote the parcels layer of
    ``out`` (a ``.gpkg``) to, if any.
    """
    path = check_out_path(out)
    if outputs is None:
        with OutputSet() as own:
            return write_results(results, path, own)
    suffix = path.suffix.lower()
    if suffix == ".gpkg":
        streamed = stream is not None and stream.streamed
        if streamed:
            stream.close()
        write_gpkg(
            outputs.temp(path),
            results.parcels,
            results.rejects,
            results.summary,
            results.loaded.parks,
            results.crs,
            results.buildings,
            parcels_written=streamed,
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
