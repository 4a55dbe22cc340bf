"""Evidence of building: building footprints per parcel, and what they say about the start.

A bureau's building footprints (cadastral building surveys, the change polygons of satellite
law-enforcement inspections 卫片执法, OpenStreetMap, national building datasets) are evidence
that a parcel was built on, and the survey date says by when. This module

- reads footprint layers as they come (:func:`read_buildings`): any GDAL format, polygons or
  points, the id, height, floors and survey-date fields detected under their common names;
  pieces of one building cut at tile edges merged by id, building parts dropped where their
  building is present, area fields ignored (areas are computed in the projected CRS);
- measures every parcel (:func:`parcel_building_metrics`): buildings, footprint (the union of
  the footprints inside the parcel, m²), building coverage (≈ 建筑系数), floor area (m²) and
  the estimated plot ratio, vectorised for millions of footprints;
- turns the measures of one or more surveys into evidence (:func:`building_evidence`): start
  evidence from footprints, a likely-idle flag for the inspection ranking (never a finding of
  idleness: footprint data misses buildings) and flags against the control indicators.

Areas are in square metres of the projected CRS the geometries are in (a Gauss-Krüger zone
after :func:`landuse.crs.to_area_crs`); dates are ``datetime64[ns]`` at midnight.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from landuse.building_rules import FIELD_NAMES, BuildingRules
from landuse.crs import to_area_crs
from landuse.errors import InputError
from landuse.parsing import parse_date, ymd_to_days
from landuse.readers import read_layer
from landuse.report import LoadReport
from landuse.schema import (
    BUILDING_MEASURE_COLUMNS,
    BUILDING_RESULT_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
)

__all__ = [
    "BUILDING_COLUMNS",
    "EVIDENCE_COLUMNS",
    "FIELD_NAMES",
    "METRIC_COLUMNS",
    "BuildingRules",
    "building_evidence",
    "effective_floors",
    "parcel_building_metrics",
    "read_buildings",
    "survey_dates",
]

# --------------------------------------------------------------------------------------------
# Reading

AREA_FIELD_NAMES = (
    "area",
    "shape_area",
    "shape_area_1",
    "area_m2",
    "面积",
    "占地面积",
    "基底面积",
    "建筑面积",
    "建筑占地面积",
    "jzmj",
    "zdmj",
    "volume",
)

# Columns of the frame :func:`read_buildings` returns (plus ``geometry``).
BUILDING_COLUMNS = ("building_id", "height_m", "floors", "survey_date", SOURCE_FILE, SOURCE_ROW)

_POLYGONAL = (3, 6)  # Polygon, MultiPolygon
_PUNCT = re.compile(r"[\s_:\-.()（）]+")


def _key(name: str) -> str:
    return _PUNCT.sub("", str(name)).casefold()


def _detect_fields(
    columns: Iterable[str], explicit: Mapping[str, str], label: str
) -> dict[str, str]:
    """Column for each role: the explicit mapping first, else the first common name found."""
    cols = [c for c in columns if c != "geometry"]
    by_key = {}
    for c in cols:
        by_key.setdefault(_key(c), c)
    found: dict[str, str] = {}
    for role, name in explicit.items():
        if name not in cols:
            raise InputError(
                f"{label}: the rules file maps building {role} to column {name!r}, which the "
                f"layer does not have (its columns: {', '.join(map(str, cols))}). Fix "
                f"[buildings.fields] {role} in the rules file."
            )
        found[role] = name
    for role, names in FIELD_NAMES.items():
        if role in found:
            continue
        for name in names:
            if _key(name) in by_key:
                found[role] = by_key[_key(name)]
                break
    return found


def _number(raw: pd.Series) -> np.ndarray:
    """Floats from a column of numbers or text such as ``"12.5"``, ``"12.5m"``, ``"3层"``; NaN
    where there is no number."""
    if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
        return raw.to_numpy(dtype="float64", na_value=np.nan)
    text = raw.astype("string").str.extract(r"^\s*([+-]?\d+(?:\.\d+)?)", expand=False)
    return pd.to_numeric(text, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def survey_dates(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Survey dates as ``datetime64[ns]`` and a mask of cells that held something not a date.

    Besides every form :func:`landuse.parsing.parse_date` reads, a year (``2017``, ``2017年``)
    or a year and month (``201802``, ``2018-02``, ``2018年2月``) is read as the first day of
    that period: the earliest the survey can have been, so that a survey is never taken as
    later than it was (it must be after the start due date to count as evidence, a year
    after it to make a parcel likely idle).
    """
    text = raw.astype("string").str.strip()
    # whole numbers stored as floats (201802.0) read as their digits
    text = text.str.replace(r"^(\d+)\.0+$", r"\1", regex=True)
    ym = text.str.extract(r"^(\d{4})(?:\s*[年\-/.]?\s*(\d{1,2})\s*月?)?$")
    year = pd.to_numeric(ym[0], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    month = pd.to_numeric(ym[1], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    partial = ~np.isnan(year) & (np.isnan(month) | ((month >= 1) & (month <= 12)))
    days = ymd_to_days(
        np.where(partial, year, np.nan), np.where(np.isnan(month), 1.0, month), np.ones(len(raw))
    )
    rest = ~partial
    out = np.full(len(raw), np.datetime64("NaT", "ns"))
    out[partial] = days[partial].astype("datetime64[ns]")
    bad = np.zeros(len(raw), dtype=bool)
    if rest.any():
        parsed = parse_date(raw[rest])
        out[rest] = parsed.values.to_numpy()
        bad[rest] = parsed.bad | parsed.placeholder | parsed.implausible
    bad[partial] = np.isnat(out[partial])
    return out, bad


def _as_datetime(value: Any) -> np.datetime64:
    if value is None:
        return np.datetime64("NaT", "ns")
    parsed, bad = survey_dates(pd.Series([str(value)], dtype="string"))
    if bad[0] or np.isnat(parsed[0]):
        raise InputError(
            f"--buildings-date {value!r} is not a date. Give the survey date as YYYY-MM-DD "
            f"(or YYYY-MM, YYYY), e.g. --buildings-date 2024-06-30."
        )
    return parsed[0]


def _grouped_union(
    geoms: np.ndarray, group: np.ndarray, threads: int = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Union of ``geoms`` per group label (``group`` sorted or not): ``(labels, unions)``.

    Vectorised: groups of two with ``shapely.union``; larger ones padded into rectangular
    arrays by size class (powers of two) and reduced with ``shapely.union_all(..., axis=1)``
    (missing entries are None, which union ignores). The members of a group are unioned in the
    order they come in ``geoms``.
    """
    order = np.argsort(group, kind="stable")
    g = group[order]
    labels, start, size = np.unique(g, return_index=True, return_counts=True)
    out = np.empty(len(labels), dtype=object)
    pairs = np.flatnonzero(size == 2)  # the usual case: a binary union is cheaper
    if len(pairs):
        first, second = geoms[order[start[pairs]]], geoms[order[start[pairs] + 1]]
        out[pairs] = _split_call(shapely.union, first, second, threads=threads)
    width_class = np.ceil(np.log2(np.maximum(size, 1))).astype(int)
    width_class[pairs] = -1
    for cls in np.unique(width_class[width_class >= 0]):
        sel = np.flatnonzero(width_class == cls)
        width = int(size[sel].max())
        pad = np.full((len(sel), width), None, dtype=object)
        rows = np.repeat(np.arange(len(sel)), size[sel])
        cols = np.arange(size[sel].sum()) - np.repeat(np.cumsum(size[sel]) - size[sel], size[sel])
        members = np.repeat(start[sel], size[sel]) + cols
        pad[rows, cols] = geoms[order[members]]
        out[sel] = _split_call(shapely.union_all, pad, threads=threads, axis=1)
    return labels, out


def _read_one(
    path: Path,
    *,
    fields: Mapping[str, str],
    encoding: str | None,
    layer: str | None,
    report: LoadReport,
) -> tuple[gpd.GeoDataFrame, dict[str, str], str]:
    raw = read_layer(path, layer=layer, encoding=encoding)
    label = path.name
    for note in raw.notes:
        report.add(file=label, problem=note, action="noted")
    gdf = raw.frame
    found = _detect_fields(gdf.columns, fields, label)
    return gdf, found, label


def read_buildings(
    paths: str | Path | Sequence[str | Path],
    *,
    date: str | dt.date | None = None,
    fields: Mapping[str, str] | None = None,
    target_crs: Any = None,
    encoding: str | None = None,
    layer: str | None = None,
) -> tuple[gpd.GeoDataFrame, LoadReport]:
    """Read building footprints (polygons) or building points from one or more layers.

    Returns ``(buildings, report)``. ``buildings`` has one row per building with the columns
    of :data:`BUILDING_COLUMNS` and ``geometry`` in ``target_crs`` (any pyproj input, e.g. the
    parcels' CRS), or, when None, in the projected CRS for area work of the first layer
    (:func:`landuse.crs.to_area_crs`: geographic and Web-Mercator layers go to their
    CGCS2000 Gauss-Krüger zone):

    - ``building_id`` (text, NA when the layer has none), ``height_m`` (m, NaN when missing or
      not above 0), ``floors`` (NaN when missing or not above 0), ``survey_date`` (from the
      date field, else ``date``; a year or month alone is its first day; NaT when unknown),
      ``source_file`` and ``source_row`` (the first piece's feature number, 1-based).
    - Pieces of one building (the same id, within one layer or across layers: tiles cut at
      their edges) are merged into one geometry; their other values come from the first piece
      that has them.
    - Building parts (``kind = building_part`` or a ``building:part`` tag) are dropped when
      their building (``root_id``) is present, and give it their floors when it has none (the
      floors of the parts weighted by their area); parts whose building is absent are merged
      by ``root_id`` into one building.
    - Area fields in the data (``area``, ``Shape_Area``, 面积 ...) are ignored and reported:
      areas are always computed from the geometry in the projected CRS.
    - Points (and multipoints, at their centroid) are kept as points: presence and floors,
      no footprint. Lines, empty and missing geometries are dropped and reported; invalid
      polygons are repaired (``make_valid``, polygonal parts kept) and reported.

    ``fields`` maps roles (``id``, ``height``, ``floors``, ``date``, ``part``, ``parent``) to
    column names where the common names (:data:`FIELD_NAMES`) are not used. ``report`` lists
    what was found and done, in the load report's format.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    paths = [Path(p) for p in paths]
    if not paths:
        raise InputError("--buildings needs at least one file of building footprints or points.")
    fields = dict(fields or {})
    report = LoadReport()
    default_date = _as_datetime(date)
    frames: list[gpd.GeoDataFrame] = []
    target = CRS.from_user_input(target_crs) if target_crs is not None else None
    for k, path in enumerate(paths):
        gdf, found, label = _read_one(
            path, fields=fields, encoding=encoding, layer=layer, report=report
        )
        if target is None:
            gdf, note = to_area_crs(gdf, source=label)
            if note:
                report.note(note)
            target = CRS.from_user_input(gdf.crs)
        else:
            if gdf.crs is None:
                to_area_crs(gdf, source=label)  # raises the no-CRS message
            if not CRS.from_user_input(gdf.crs).equals(target):
                report.note(
                    f"{label}: reprojected from {gdf.crs.to_string()} to {target.to_string()}"
                )
                gdf = gdf.to_crs(target)
        frames.append(_standardise(gdf, found, label, default_date, report).assign(_file=k))
    merged = pd.concat(frames, ignore_index=True)
    merged = gpd.GeoDataFrame(merged, geometry="geometry", crs=target)
    merged = _drop_parts(merged, report)
    merged = _merge_pieces(merged, report)
    buildings = merged[[*BUILDING_COLUMNS, "geometry"]].reset_index(drop=True)
    points = int((shapely.get_type_id(np.asarray(buildings.geometry.values)) == 0).sum())
    report.note(
        f"buildings: {len(buildings):,} read ({len(buildings) - points:,} footprints, "
        f"{points:,} points without outline)"
    )
    return gpd.GeoDataFrame(buildings, geometry="geometry", crs=target), report


def _standardise(
    gdf: gpd.GeoDataFrame,
    found: dict[str, str],
    label: str,
    default_date: np.datetime64,
    report: LoadReport,
) -> pd.DataFrame:
    """One layer's features in the common columns (plus ``_part`` and ``_parent``)."""
    n = len(gdf)
    out = pd.DataFrame(index=gdf.index)
    out[SOURCE_FILE] = gdf[SOURCE_FILE].astype("string")
    out[SOURCE_ROW] = gdf[SOURCE_ROW].to_numpy()
    report.add(
        file=label,
        problem="fields used: "
        + (", ".join(f"{role} = {col}" for role, col in sorted(found.items())) or "none"),
        action="noted",
    )
    ignored = [c for c in gdf.columns if _key(c) in {_key(a) for a in AREA_FIELD_NAMES}]
    if ignored:
        report.add(
            file=label,
            column=", ".join(ignored),
            problem="area field(s) in the data (computed in another projection or for the whole "
            "unclipped building)",
            action="ignored: areas are computed from the geometry in the projected CRS",
        )

    def text(role: str) -> pd.Series:
        if role not in found:
            return pd.Series(pd.NA, index=gdf.index, dtype="string")
        col = gdf[found[role]]
        if pd.api.types.is_float_dtype(col.dtype):  # ids read as floats: 12.0 -> "12"
            whole = col.notna() & (col % 1 == 0)
            return col.astype("string").where(~whole, col.astype("Int64").astype("string"))
        return col.astype("string").str.strip().replace("", pd.NA)

    out["building_id"] = text("id")
    for role, column in (("height", "height_m"), ("floors", "floors")):
        if role in found:
            values = _number(gdf[found[role]])
            given = gdf[found[role]].notna().to_numpy()
            bad = given & ~(values > 0)
            report.add_rows(
                gdf,
                bad,
                column=found[role],
                values=gdf[found[role]],
                problem=f"{role} is not a number above 0",
                action=f"{role} taken as unknown",
                severity="info",
            )
            out[column] = np.where(values > 0, values, np.nan)
        else:
            out[column] = np.nan
    dates = np.full(n, default_date)
    if "date" in found:
        parsed, bad = survey_dates(gdf[found["date"]])
        report.add_rows(
            gdf,
            bad,
            column=found["date"],
            values=gdf[found["date"]],
            problem="survey date not understood",
            action="the survey date given with the file used"
            if not np.isnat(default_date)
            else "survey date unknown",
        )
        dates = np.where(np.isnat(parsed), default_date, parsed)
    out["survey_date"] = pd.to_datetime(dates)
    part_col = text("part")
    out["_part"] = (
        (
            part_col.str.casefold().isin(["building_part", "buildingpart"])
            | (
                (found.get("part", "").casefold() in {"building:part", "building_part", "part"})
                & part_col.notna()
                & ~part_col.str.casefold().isin(["no", "false", "0"])
            )
        )
        .fillna(False)
        .to_numpy(dtype=bool)
    )
    out["_parent"] = text("parent")
    out["geometry"] = _clean_geometry(gdf, label, report)
    keep = ~pd.isna(out["geometry"]).to_numpy()
    return out.loc[keep]


def _clean_geometry(gdf: gpd.GeoDataFrame, label: str, report: LoadReport) -> np.ndarray:
    """2D polygons and points; None for what is dropped (reported)."""
    geoms = shapely.force_2d(np.asarray(gdf.geometry.values, dtype=object))
    types = shapely.get_type_id(geoms)
    missing = pd.isna(geoms) | shapely.is_empty(geoms)
    report.add_rows(
        gdf, missing, column="geometry", values=None, problem="no geometry", action="dropped"
    )
    lines = ~missing & ~np.isin(types, [0, 3, 4, 6])
    report.add_rows(
        gdf,
        lines,
        column="geometry",
        values=None,
        problem="neither a polygon nor a point (a line or a collection)",
        action="dropped",
    )
    multi = types == 4
    geoms[multi] = shapely.centroid(geoms[multi])
    poly = np.isin(types, _POLYGONAL) & ~missing
    invalid = poly & ~shapely.is_valid(geoms)
    if invalid.any():
        fixed = shapely.make_valid(geoms[invalid])
        parts, idx = shapely.get_parts(fixed, return_index=True)
        keep = np.isin(shapely.get_type_id(parts), _POLYGONAL)
        polys = np.full(int(invalid.sum()), None, dtype=object)
        if keep.any():
            pos, repaired = _grouped_union(parts[keep], idx[keep])
            polys[pos] = repaired
        geoms[invalid] = polys
        report.add_rows(
            gdf,
            invalid,
            column="geometry",
            values=None,
            problem="invalid polygon (self-intersecting ring or similar)",
            action="repaired (make_valid)",
        )
    geoms[missing | lines] = None
    return geoms


def _drop_parts(frame: gpd.GeoDataFrame, report: LoadReport) -> gpd.GeoDataFrame:
    """Drop building parts whose building is present (their floors fill the building's when it
    has none); parts whose building is absent become one building per parent."""
    part = frame["_part"].to_numpy(dtype=bool)
    if not part.any():
        return frame.drop(columns=["_part", "_parent"])
    ids = frame["building_id"]
    parent = frame["_parent"]
    has_parent = part & parent.isin(ids[~part].dropna()).to_numpy(dtype=bool)
    # a building without floors and height takes its parts' (area-weighted means)
    area = shapely.area(np.asarray(frame.geometry.values, dtype=object))
    fill = (~part) & frame["floors"].isna().to_numpy() & frame["height_m"].isna().to_numpy()
    filled_any = np.zeros(len(frame), dtype=bool)
    updates = {}
    for column in ("floors", "height_m"):
        values = frame[column].to_numpy()
        known = has_parent & ~np.isnan(values)
        parts = pd.DataFrame(
            {
                "parent": parent[known].to_numpy(),
                "a": area[known],
                "va": area[known] * values[known],
            }
        )
        sums = parts.groupby("parent")[["a", "va"]].sum()
        weighted = sums["va"] / sums["a"]
        if column == "floors":
            weighted = np.maximum(np.round(weighted), 1.0)
        fill_values = ids[fill].map(weighted).astype("float64").to_numpy()
        out = values.copy()
        out[fill] = fill_values
        filled_any[np.flatnonzero(fill)[~np.isnan(fill_values)]] = True
        updates[column] = out
    frame = frame.assign(**updates)
    filled_values = filled_any
    filled = int(filled_values.sum())
    orphan = part & ~has_parent
    report.note(
        f"buildings: {int(has_parent.sum()):,} building parts dropped (their building is "
        f"present; never counted twice), {filled:,} buildings took their floors from their "
        f"parts; {int(orphan.sum()):,} parts without their building kept as buildings, merged "
        f"by parent"
    )
    ids_out = ids.copy()
    ids_out[orphan] = parent[orphan].fillna(ids[orphan])
    frame = frame.assign(building_id=ids_out)
    return frame.loc[~has_parent].drop(columns=["_part", "_parent"])


def _merge_pieces(frame: gpd.GeoDataFrame, report: LoadReport) -> gpd.GeoDataFrame:
    """Merge features sharing a ``building_id`` into one building (union of the pieces)."""
    ids = frame["building_id"]
    dup = ids.notna() & ids.duplicated(keep=False)
    if not dup.any():
        return frame
    pieces = frame.loc[dup.to_numpy()]
    geoms = np.asarray(pieces.geometry.values, dtype=object)
    codes, uniques = pd.factorize(pieces["building_id"])
    polygonal = np.isin(shapely.get_type_id(geoms), _POLYGONAL)
    labels, unions = _grouped_union(np.where(polygonal, geoms, None), codes)
    first = pieces.groupby(codes, sort=True).first()  # first non-null value per column
    first_row = pieces.groupby(codes, sort=True)[[SOURCE_FILE, SOURCE_ROW]].nth(0)
    first[SOURCE_FILE] = first_row[SOURCE_FILE].to_numpy()
    first[SOURCE_ROW] = first_row[SOURCE_ROW].to_numpy()
    merged_geom = np.asarray(unions, dtype=object)
    # a group of points only: the first point
    no_poly = pd.isna(merged_geom) | shapely.is_empty(merged_geom)
    first_geom = np.asarray(pieces.geometry.values, dtype=object)[
        pieces.reset_index(drop=True).groupby(codes, sort=True).head(1).index.to_numpy()
    ]
    merged_geom[no_poly] = first_geom[no_poly]
    first = first.assign(geometry=merged_geom)
    first["building_id"] = uniques[labels]
    report.note(
        f"buildings: {int(dup.sum()):,} pieces sharing an id (cut at tile edges) merged into "
        f"{len(labels):,} buildings"
    )
    rest = frame.loc[~dup.to_numpy()]
    out = pd.concat([rest, first.reset_index(drop=True)], ignore_index=True)
    # keep the order of the files as given, and of the first piece within its file
    out = out.sort_values(["_file", SOURCE_ROW], kind="stable", ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=frame.crs)


# --------------------------------------------------------------------------------------------
# Per-parcel measures

METRIC_COLUMNS = (*BUILDING_MEASURE_COLUMNS, "buildings_surveyed")

# Parcels with at most this many boundary segments are tested against footprint boxes in
# numpy; parcels with more use GEOS's prepared predicates.
_NUMPY_MAX_SEGMENTS = 64
# Elements (pair x segment, or footprints) per numpy block.
_CHUNK_ELEMENTS = 131_072  # 1 MB per float64 temporary: stays in the CPU cache
# A footprint's box is widened by this much (metres) before it is tested against parcel edges:
# a footprint within 1 mm of an edge takes the exact path, so rounding never misplaces one.
_EDGE_TOLERANCE_M = 1e-3
# Pieces of a footprint cut by a parcel edge smaller than this (m²) are a footprint touching
# the edge (rounding in the clipping leaves such slivers).
_MIN_PIECE_M2 = 1e-6
# Candidate pairs of footprints per chunk in the overlap search.
_CHUNK_PAIRS = 4_000_000
# Candidate pairs (parcel, footprint) per chunk in the join of bounding boxes.
_CHUNK_JOIN = 262_144
# Parcels measured together: the temporary arrays stay in the CPU caches.
_CHUNK_PARCELS = 32_768
# Parcels with up to this many pieces have every pair of pieces tested for overlapping boxes;
# larger ones are swept in x.
_PAIRWISE_MAX = 16

_INT64_NAT = np.iinfo(np.int64).min
# The reductions giving total bounds from the columns xmin, ymin, xmax, ymax.
_EXTREMES = (np.fmin, np.fmin, np.fmax, np.fmax)
# Below this many elements a vectorised call is not split across threads.
_THREAD_MIN = 20_000


def _threads(threads: int | None) -> int:
    # one thread unless asked: two threads take 1,000,000 parcels from about 7 s to 5.5 s on
    # 2 idle cores, but on cores busy with other work they only compete (one run of four
    # took 11 s), so the default is the reliable one
    return max(1, 1 if threads is None else int(threads))


def _split_call(func: Any, *arrays: np.ndarray, threads: int = 1, **kwargs: Any) -> np.ndarray:
    """``func(*arrays, **kwargs)`` computed in ``threads`` slices of the first axis on a
    thread pool (shapely's and numpy's vectorised functions release the GIL), concatenated
    in order: the result is the same as one call."""
    n = len(arrays[0])
    if threads <= 1 or n < _THREAD_MIN:
        return func(*arrays, **kwargs)
    cuts = np.linspace(0, n, threads + 1).astype(int)
    with ThreadPoolExecutor(threads) as pool:
        parts = list(
            pool.map(
                lambda ab: func(*(a[ab[0] : ab[1]] for a in arrays), **kwargs),
                zip(cuts[:-1], cuts[1:], strict=True),
            )
        )
    return np.concatenate(parts)


def effective_floors(
    floors: np.ndarray,
    height_m: np.ndarray,
    *,
    storey_height_m: float = 3.0,
    tall_floor_m: float = 8.0,
    count_tall_twice: bool = False,
) -> np.ndarray:
    """Floors counted in the floor area, per building (float64; NaN when unknown).

    The floor count when known (> 0); else ``floor(height_m / storey_height_m)``, at least 1.
    With ``count_tall_twice``, a building whose storeys are higher than ``tall_floor_m`` on
    average (height ÷ floors, both known) counts each storey twice, as the 2008 control
    indicators count the floor area of storeys over 8 m.
    """
    floors = np.asarray(floors, dtype="float64")
    height_m = np.asarray(height_m, dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        known = floors > 0
        from_height = np.where(
            height_m > 0, np.maximum(np.floor(height_m / storey_height_m), 1.0), np.nan
        )
        out = np.where(known, floors, from_height)
        if count_tall_twice:
            tall = known & (height_m > 0) & (height_m / np.where(known, floors, 1.0) > tall_floor_m)
            out = np.where(tall, 2.0 * floors, out)
    return out


@dataclass(frozen=True)
class _Edges:
    """Boundary segments of every parcel (exterior and interior rings of every part): parcel
    ``p`` owns segments ``start[p] : start[p] + count[p]``, in ring order. Between two parcels'
    runs the arrays may hold a segment of no parcel (from one ring's closing coordinate to the
    next ring's first)."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    start: np.ndarray
    count: np.ndarray


@dataclass(frozen=True)
class _Parcels:
    """The parcels as :func:`_core` reads them, prepared once per call."""

    geoms: np.ndarray  # polygons and multipolygons; None in place of anything else
    box: np.ndarray  # (n, 4) xmin, ymin, xmax, ymax of ``geoms`` (NaN where None or empty)
    simple: np.ndarray  # polygons without holes (one ring each)


def _prepare_parcels(parcels: np.ndarray, bounds: np.ndarray) -> _Parcels:
    """``parcels`` as given and their bounds (n, 4): non-polygons become None."""
    types = shapely.get_type_id(parcels)
    polygonal = np.isin(types, _POLYGONAL)
    box = bounds
    if not polygonal.all():
        parcels = np.where(polygonal, parcels, None)
        box = bounds.copy()
        box[~polygonal] = np.nan
    simple = types == 3
    simple[simple] = shapely.get_num_interior_rings(parcels[simple]) == 0
    return _Parcels(parcels, box, simple)


def _edges(parcels: np.ndarray, simple: np.ndarray) -> _Edges:
    n = len(parcels)
    # simple polygons: one closed ring each, so consecutive coordinates of a parcel are edges,
    # read in place (coordinate i to i + 1)
    simple_parcels = parcels if simple.all() else np.where(simple, parcels, None)
    coords = shapely.get_coordinates(simple_parcels)
    n_coords = shapely.get_num_coordinates(simple_parcels).astype(np.int64)
    start = np.cumsum(n_coords) - n_coords
    count = np.maximum(n_coords - 1, 0)
    x0, y0, x1, y1 = coords[:-1, 0], coords[:-1, 1], coords[1:, 0], coords[1:, 1]
    complex_ = np.flatnonzero(~simple & ~pd.isna(parcels))
    if len(complex_):
        # holes and multipolygon parts: every ring apart (a ring's last and the next ring's
        # first coordinate are no edge), the segments of each parcel put together after those
        # of the simple polygons
        parts, part_parcel = shapely.get_parts(parcels[complex_], return_index=True)
        rings, ring_part = shapely.get_rings(parts, return_index=True)
        ring_coords, ring_of = shapely.get_coordinates(rings, return_index=True)
        seg = np.flatnonzero(ring_of[1:] == ring_of[:-1])
        seg_parcel = complex_[part_parcel[ring_part[ring_of[seg]]]]
        order = np.argsort(seg_parcel, kind="stable")
        seg, seg_parcel = seg[order], seg_parcel[order]
        n_seg = np.bincount(seg_parcel, minlength=n)[complex_]
        count[complex_] = n_seg
        start[complex_] = len(x0) + np.cumsum(n_seg) - n_seg
        x0 = np.concatenate([x0, ring_coords[seg, 0]])
        y0 = np.concatenate([y0, ring_coords[seg, 1]])
        x1 = np.concatenate([x1, ring_coords[seg + 1, 0]])
        y1 = np.concatenate([y1, ring_coords[seg + 1, 1]])
    return _Edges(x0, y0, x1, y1, start, count)


@dataclass(frozen=True)
class _Grid:
    """Footprints of one size class in the cells of their lower-left corner: cell
    ``(ix, iy)`` holds footprints ``ids[first[c] : first[c + 1]]``, c = iy * nx + ix."""

    cell: float
    ox: float
    oy: float
    nx: int
    ny: int
    first: np.ndarray
    ids: np.ndarray  # the footprints' positions, by cell


@dataclass(frozen=True)
class _Footprints:
    """Footprint boxes ready to be joined with parcel boxes (:func:`_box_pairs`)."""

    grids: list[_Grid]
    box: np.ndarray  # (m, 4) every footprint's bounds
    rest: np.ndarray  # positions of boxes with a bound at infinity


def _index_footprints(fbox: np.ndarray) -> _Footprints:
    """Footprint bounds ``fbox`` (m, 4) on grids by size class: footprints no larger than
    half a cell in the cell of their lower-left corner, sorted by cell. The base cell is the
    larger of the footprints' spacing and twice the 99th percentile of their size; larger
    footprints go on grids of cells 2, 4, 8 ... times as large. A box with NaN never pairs."""
    m = len(fbox)
    size = np.empty(m)
    for a in range(0, m, _CHUNK_ELEMENTS):  # in blocks: small temporaries
        f = fbox[a : a + _CHUNK_ELEMENTS]
        np.maximum(f[:, 2] - f[:, 0], f[:, 3] - f[:, 1], out=size[a : a + len(f)])
    finite = np.isfinite(size)  # neither NaN nor infinite bounds
    grids = []
    if finite.any():
        ids = np.flatnonzero(finite) if not finite.all() else None
        if ids is not None:
            size = size[ids]
        k = len(size)
        x0, y0 = (fbox[:, c] if ids is None else fbox[ids, c] for c in (0, 1))
        w, h = np.ptp(x0), np.ptp(y0)
        # at most about 2k cells over the footprints' extent (the percentile of a sample)
        q99 = float(np.quantile(size[:: max(1, k // 100_000)], 0.99))
        base = max(np.sqrt(w * h / k), (w + h) / k, 2.0 * q99)
        if not base > 0:
            base = 1.0
        large = size > base / 2
        if not large.any():
            grids.append(_grid(x0, y0, ids, base))
        else:
            level = np.zeros(k, dtype=np.int64)
            level[large] = np.ceil(np.log2(2.0 * size[large] / base)).astype(np.int64)
            level[large] += base * 2.0 ** level[large] < 2.0 * size[large]  # rounding
            for lv in np.unique(level):  # the size classes present (a handful)
                sel = np.flatnonzero(level == lv)
                who = sel if ids is None else ids[sel]
                grids.append(_grid(x0[sel], y0[sel], who, base * 2.0**lv))
    bad = np.flatnonzero(~finite) if m else np.empty(0, np.int64)
    rest = bad[~np.isnan(fbox[bad]).any(axis=1)]
    return _Footprints(grids, fbox, rest)


def _grid(x0: np.ndarray, y0: np.ndarray, ids: np.ndarray | None, cell: float) -> _Grid:
    """The grid of footprints ``ids`` (None: all) of lower-left corners ``x0, y0`` (finite
    boxes, none larger than half a ``cell``)."""
    ox, oy = float(x0.min()), float(y0.min())
    nx = int((x0.max() - ox) // cell) + 1
    ny = int((y0.max() - oy) // cell) + 1
    cid = np.empty(len(x0), dtype=np.int64)
    for a in range(0, len(x0), _CHUNK_ELEMENTS):  # in blocks: small temporaries
        at = slice(a, a + _CHUNK_ELEMENTS)
        iy = np.minimum(((y0[at] - oy) / cell).astype(np.int64), ny - 1)
        ix = np.minimum(((x0[at] - ox) / cell).astype(np.int64), nx - 1)
        np.add(iy * nx, ix, out=cid[at])
    by_cell = np.argsort(cid)
    counts = np.bincount(cid, minlength=nx * ny)
    del cid
    first = np.zeros(nx * ny + 1, dtype=np.int64)
    np.cumsum(counts, out=first[1:])
    return _Grid(cell, ox, oy, nx, ny, first, by_cell if ids is None else ids[by_cell])


def _box_pairs(fp: _Footprints, pbox: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs of a parcel (bounds ``pbox`` (n, 4)) and a footprint whose bounding boxes meet,
    touching included: the pairs a bulk STRtree query of the boxes gives. Returns ``(pj,
    bi)``: parcel and footprint positions, grouped by parcel in ascending order.

    Each parcel reads, on each grid, one grid row at a time, the run of cells under its box
    grown by a cell down and left, and the candidates are tested on their bounds."""
    parcels_ok = np.flatnonzero(~np.isnan(pbox).any(axis=1))
    pv = pbox if len(parcels_ok) == len(pbox) else np.take(pbox, parcels_ok, axis=0)
    parts = []
    if len(parcels_ok):
        for g in fp.grids:
            pj, bi = _grid_pairs(g, fp.box, pv)
            parts.append((parcels_ok[pj], bi))
        if len(fp.rest):  # a bound at infinity: compared with every parcel
            per = max(1, _CHUNK_PAIRS // len(parcels_ok))
            for a in range(0, len(fp.rest), per):
                r = fp.rest[a : a + per]
                fb = fp.box[r]
                meet = (fb[:, 0, None] <= pv[:, 2]) & (fb[:, 2, None] >= pv[:, 0])
                meet &= (fb[:, 1, None] <= pv[:, 3]) & (fb[:, 3, None] >= pv[:, 1])
                fi, pk = np.nonzero(meet)
                parts.append((parcels_ok[pk], r[fi]))
    if not parts:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if len(parts) == 1:
        return parts[0]
    pj = np.concatenate([p[0] for p in parts])
    by_parcel = np.argsort(pj, kind="stable")
    return pj[by_parcel], np.concatenate([p[1] for p in parts])[by_parcel]


def _grid_pairs(g: _Grid, fbox: np.ndarray, pbox: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_box_pairs` on one grid (footprint bounds ``fbox``) for parcel boxes without
    NaN: ``(parcel, footprint)``, by parcel."""
    # a footprint meeting a parcel's box has its lower-left corner at most half a cell below
    # and left of the box: one cell more on that side is safe from rounding
    cx0 = np.clip(np.floor((pbox[:, 0] - g.ox) / g.cell) - 1, 0, g.nx).astype(np.int64)
    cx1 = np.clip(np.floor((pbox[:, 2] - g.ox) / g.cell), -1, g.nx - 1).astype(np.int64)
    cy0 = np.clip(np.floor((pbox[:, 1] - g.oy) / g.cell) - 1, 0, g.ny).astype(np.int64)
    cy1 = np.clip(np.floor((pbox[:, 3] - g.oy) / g.cell), -1, g.ny - 1).astype(np.int64)
    rows = np.where(cx1 >= cx0, np.maximum(cy1 - cy0 + 1, 0), 0)
    q = np.repeat(np.arange(len(rows)), rows)  # one query per parcel and grid row
    row = np.repeat(cy0 - (np.cumsum(rows) - rows), rows) + np.arange(int(rows.sum()))
    row *= g.nx
    s = g.first[row + cx0[q]]
    cnt = g.first[row + cx1[q] + 1] - s
    some = np.flatnonzero(cnt)
    q, s, cnt = q[some], s[some], cnt[some]
    ends = np.cumsum(cnt)
    cuts = np.searchsorted(ends, np.arange(_CHUNK_JOIN, ends[-1], _CHUNK_JOIN)) if len(q) else []
    bounds = np.concatenate([[0], cuts, [len(q)]]).astype(np.int64)
    found: list[tuple[np.ndarray, np.ndarray]] = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        if a == b:
            continue
        c = cnt[a:b]
        fid = g.ids[np.repeat(s[a:b] - (np.cumsum(c) - c), c) + np.arange(int(c.sum()))]
        fb = np.take(fbox, fid, axis=0)
        qb = np.repeat(np.take(pbox, q[a:b], axis=0), c, axis=0)
        meet = (fb[:, 0] <= qb[:, 2]) & (fb[:, 2] >= qb[:, 0])
        meet &= (fb[:, 1] <= qb[:, 3]) & (fb[:, 3] >= qb[:, 1])
        hit = np.flatnonzero(meet)
        found.append((np.repeat(q[a:b], c)[hit], fid[hit]))
    if not found:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    if len(found) == 1:
        return found[0]
    return np.concatenate([f[0] for f in found]), np.concatenate([f[1] for f in found])


def _classify_numpy(
    edges: _Edges, slack: float, fbox: np.ndarray, pj: np.ndarray, bi: np.ndarray
) -> np.ndarray:
    """For pairs (parcel ``pj``, footprint ``bi`` of bounds ``fbox[bi]``): 1 when the box
    lies in the parcel's interior, 0 when it is disjoint from the parcel, 2 when a parcel edge comes
    within the tolerance of the box (the exact path decides). int8 per pair.

    Each box is tested against every segment of its parcel (separating-axis test of segment
    against box) and its corner by the crossing number (even-odd rule over all rings, so holes
    and multipolygon parts count). Coordinates are taken relative to the box corner. The
    exact tests run only where their outcome is open: on segments whose extent comes within
    ``slack`` (a few units in the last place of the largest coordinate) of the box, and on
    segments crossing the corner's horizontal (a sign test, exact in absolute coordinates)
    that are not wholly right or left of the corner. Pairs are taken in blocks of one segment
    count, as (segment, pair) arrays.
    """
    out = np.empty(len(pj), dtype=np.int8)
    k = edges.count[pj]
    counts = np.flatnonzero(np.bincount(k))
    for kv in counts:  # pairs by their parcel's segment count: (pairs, segments) blocks
        sel = np.flatnonzero(k == kv) if len(counts) > 1 else None
        n = len(pj) if sel is None else len(sel)
        rows = max(1, _CHUNK_ELEMENTS // max(int(kv), 1))
        for a in range(0, n, rows):
            at = slice(a, min(a + rows, n)) if sel is None else sel[a : a + rows]
            # (segment, pair) blocks: reductions over a pair's segments run along axis 0
            seg = edges.start[pj[at]] + np.arange(kv)[:, None]
            sx0, sy0, sx1, sy1 = edges.x0[seg], edges.y0[seg], edges.x1[seg], edges.y1[seg]
            bx0, by0, bx1, by1 = np.take(fbox, bi[at], axis=0).T
            ox = bx0 - _EDGE_TOLERANCE_M
            oy = by0 - _EDGE_TOLERANCE_M
            ex = bx1 + _EDGE_TOLERANCE_M
            ey = by1 + _EDGE_TOLERANCE_M
            x_lo, x_hi = np.minimum(sx0, sx1), np.maximum(sx0, sx1)
            near = (np.minimum(sy0, sy1) <= ey + slack) & (x_lo <= ex + slack)
            near &= (np.maximum(sy0, sy1) >= oy - slack) & (x_hi >= ox - slack)
            any_hit = np.zeros(len(ox), dtype=bool)
            c, p = np.nonzero(near)
            if len(p):
                x0, y0 = sx0[c, p] - ox[p], sy0[c, p] - oy[p]
                x1, y1 = sx1[c, p] - ox[p], sy1[c, p] - oy[p]
                w, h = (ex - ox)[p], (ey - oy)[p]
                dx, dy = x1 - x0, y1 - y0
                hit = (np.minimum(x0, x1) <= w) & (np.maximum(x0, x1) >= 0)
                hit &= (np.minimum(y0, y1) <= h) & (np.maximum(y0, y1) >= 0)
                c00 = dy * x0 - dx * y0  # side of the box corners relative to the segment's line
                c10 = c00 - dy * w
                c01 = c00 + dx * h
                c11 = c10 + dx * h
                hit &= np.minimum(np.minimum(c00, c10), np.minimum(c01, c11)) <= 0
                hit &= np.maximum(np.maximum(c00, c10), np.maximum(c01, c11)) >= 0
                any_hit[p[hit]] = True
            # crossing number of the corner (0, 0): segments crossing the ray y = 0, x > 0;
            # a segment wholly right (left) of the corner, by more than the rounding of the
            # crossing point, crosses (does not); the others are computed
            straddles = (sy0 > oy) != (sy1 > oy)
            right = x_lo > ox + 8 * slack
            odd = np.logical_xor.reduce(straddles & right, axis=0)
            c, p = np.nonzero(straddles & ~right & (x_hi >= ox - 8 * slack))
            if len(p):
                x0, y0 = sx0[c, p] - ox[p], sy0[c, p] - oy[p]
                dx, dy = (sx1[c, p] - ox[p]) - x0, (sy1[c, p] - oy[p]) - y0
                with np.errstate(invalid="ignore", divide="ignore"):
                    crossing = x0 - y0 * dx / dy > 0
                odd ^= np.bincount(p[crossing], minlength=len(ox)) % 2 == 1
            out[at] = np.where(any_hit, 2, odd)
    return out


def _classify(
    parcels: np.ndarray,
    edges: _Edges,
    pj: np.ndarray,
    bi: np.ndarray,
    geoms: np.ndarray,
    box: np.ndarray,
    slack: float,
) -> np.ndarray:
    """:func:`_classify_numpy` where parcels have few segments (``box``: the bounds of
    ``geoms``); GEOS's prepared predicates for the others (1 = contains properly,
    2 = intersects otherwise, 0 = disjoint)."""
    status = np.zeros(len(pj), dtype=np.int8)
    few = edges.count[pj] <= _NUMPY_MAX_SEGMENTS
    if few.all():
        status[:] = _classify_numpy(edges, slack, box, pj, bi)
    elif few.any():
        status[few] = _classify_numpy(edges, slack, box, pj[few], bi[few])
    many = np.flatnonzero(~few)
    if len(many):
        p, g = parcels[pj[many]], geoms[bi[many]]
        shapely.prepare(p)
        inside = shapely.contains_properly(p, g)
        touching = ~inside & shapely.intersects(p, g)
        status[many] = np.where(inside, 1, np.where(touching, 2, 0))
    return status


def _convex_orientation(edges: _Edges, simple: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Per parcel of ``which`` (positions, repeats allowed): +1 for a convex simple polygon
    with counter-clockwise exterior, -1 for a convex clockwise one, 0 otherwise (holes,
    several parts, a reflex corner). Collinear corners are allowed."""
    parcel, back = np.unique(which, return_inverse=True)
    out = np.zeros(len(parcel), dtype=np.int8)
    cnt = edges.count[parcel]
    ok = np.flatnonzero(simple[parcel] & (cnt > 0))
    if len(ok):
        c = cnt[ok]
        first = np.cumsum(c) - c
        seg = np.repeat(edges.start[parcel[ok]] - first, c) + np.arange(int(c.sum()))
        nxt = np.arange(len(seg)) + 1
        nxt[first + c - 1] = first
        dx, dy = edges.x1[seg] - edges.x0[seg], edges.y1[seg] - edges.y0[seg]
        cross = dx * dy[nxt] - dy * dx[nxt]
        length = np.hypot(dx, dy)
        tol = 1e-12 * length * length[nxt]
        owner = np.repeat(np.arange(len(ok)), c)
        any_left = np.bincount(owner, weights=cross > tol, minlength=len(ok)) > 0
        any_right = np.bincount(owner, weights=cross < -tol, minlength=len(ok)) > 0
        out[ok] = np.where(any_left != any_right, np.where(any_left, 1, -1), 0)
    return out[back]


def _clip_convex(
    subject: np.ndarray, pj: np.ndarray, edges: _Edges, orient: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Area (m²) and bounds (k, 4) of each ``subject`` polygon (simple, no holes) clipped to
    its convex parcel ``pj`` of orientation ``orient`` (+1 counter-clockwise, -1 clockwise;
    per subject) (Sutherland-Hodgman, vectorised over ragged coordinate arrays: one round per
    parcel edge, pairs grouped by their parcel's edge count).

    The clipped rings may hold zero-width spikes where a concave subject leaves and re-enters
    the parcel; they add no area. Coordinates are taken relative to the parcel's first vertex.
    Bounds of an empty result are NaN.
    """
    k = len(subject)
    area = np.zeros(k)
    bounds = np.full((k, 4), np.nan)
    # polygons without holes: their coordinates are the exterior ring's
    coords, owner = shapely.get_coordinates(subject, return_index=True)
    counts = np.bincount(owner, minlength=k) - 1  # without the closing vertex
    starts = np.cumsum(counts + 1) - counts - 1
    m_edges = edges.count[pj]
    for m in np.unique(m_edges):  # one pass per edge count (4 for rectangles ...)
        sel = np.flatnonzero(m_edges == m)
        cnt = counts[sel]
        grp = np.repeat(np.arange(len(sel)), cnt)
        idx = np.repeat(starts[sel] - (np.cumsum(cnt) - cnt), cnt) + np.arange(int(cnt.sum()))
        first = edges.start[pj[sel]]
        ox, oy = edges.x0[first], edges.y0[first]
        x, y = coords[idx, 0] - ox[grp], coords[idx, 1] - oy[grp]
        sign = orient[sel].astype(np.float64)
        for r in range(int(m)):
            if not len(x):
                break
            e = first + r
            ex0, ey0 = edges.x0[e] - ox, edges.y0[e] - oy
            edx, edy = edges.x1[e] - edges.x0[e], edges.y1[e] - edges.y0[e]
            side = sign[grp] * (edx[grp] * (y - ey0[grp]) - edy[grp] * (x - ex0[grp]))
            n_v = len(x)
            gstart = np.r_[0, np.flatnonzero(grp[1:] != grp[:-1]) + 1]
            gend = np.r_[gstart[1:], n_v]
            nxt = np.arange(1, n_v + 1)
            nxt[gend - 1] = gstart
            inside = side >= 0
            nxt_in = inside[nxt]
            with np.errstate(invalid="ignore", divide="ignore"):  # t is used at crossings only
                t = side / (side - side[nxt])
                ix = x + t * (x[nxt] - x)
                iy = y + t * (y[nxt] - y)
            crossing = inside != nxt_in
            emit = np.where(crossing, 1, 0) + nxt_in  # crossing point, then the next vertex
            pos = np.cumsum(emit) - emit
            total = int(emit.sum())
            nx, ny = np.empty(total), np.empty(total)
            ci = np.flatnonzero(crossing)
            nx[pos[ci]], ny[pos[ci]] = ix[ci], iy[ci]
            ni = np.flatnonzero(nxt_in)
            at = pos[ni] + crossing[ni]
            nx[at], ny[at] = x[nxt[ni]], y[nxt[ni]]
            grp = np.repeat(grp, emit)
            x, y = nx, ny
        if len(x):
            gstart = np.r_[0, np.flatnonzero(grp[1:] != grp[:-1]) + 1]
            gend = np.r_[gstart[1:], len(x)]
            nxt = np.arange(1, len(x) + 1)
            nxt[gend - 1] = gstart
            twice = np.add.reduceat(x * y[nxt] - x[nxt] * y, gstart)
            g = grp[gstart]
            area[sel[g]] = np.abs(twice) / 2
            bounds[sel[g]] = np.column_stack(
                [
                    np.minimum.reduceat(x, gstart) + ox[g],
                    np.minimum.reduceat(y, gstart) + oy[g],
                    np.maximum.reduceat(x, gstart) + ox[g],
                    np.maximum.reduceat(y, gstart) + oy[g],
                ]
            )
    return area, bounds


def _overlapping(pj: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Per piece: its bounding box overlaps, with area, the box of another piece in the same
    parcel (``pj``: the pieces' parcels, sorted; ``box``: their bounds, (k, 4)). Only such
    pieces can overlap; their union is formed (an exact test first would cost about as much as
    the union: most such pairs do overlap).

    In parcels of up to :data:`_PAIRWISE_MAX` pieces every pair is tested, as pieces ``i`` and
    ``i + d`` for d = 1, 2 ...; larger parcels are swept in x (:func:`_box_overlaps`).
    """
    k = len(pj)
    out = np.zeros(k, dtype=bool)
    if k < 2:
        return out
    x0, y0, x1, y1 = box.T
    starts = np.flatnonzero(np.r_[True, pj[1:] != pj[:-1]])
    size = np.diff(np.r_[starts, k])
    left = np.repeat(starts + size - 1, size)  # pieces after each in its parcel
    left -= np.arange(k)
    small = np.repeat(size <= _PAIRWISE_MAX, size)
    left[~small] = 0
    d = 1
    i = None  # while most pieces take part: whole shifted slices, then the positions
    while d < k:
        if i is None:
            meet = (left[:-d] >= d) & (x0[d:] < x1[:-d]) & (x0[:-d] < x1[d:])
            meet &= (y0[d:] < y1[:-d]) & (y0[:-d] < y1[d:])
            out[:-d] |= meet
            out[d:] |= meet
            if (left > d).sum() * 4 < k:
                i = np.flatnonzero(left > d)
        else:
            if not len(i):
                break
            j = i + d
            meet = (x0[j] < x1[i]) & (x0[i] < x1[j]) & (y0[j] < y1[i]) & (y0[i] < y1[j])
            out[i[meet]] = True
            out[j[meet]] = True
            i = i[left[i] > d]
        d += 1
    large = np.flatnonzero(~small)
    if len(large):
        ab = large[_box_overlaps(pj[large], box[large])]
        out[ab.ravel()] = True
    return out


def _box_overlaps(pj: np.ndarray, box: np.ndarray) -> np.ndarray:
    """Pairs ``(a, b)`` of positions of pieces in the same parcel whose bounding boxes overlap
    with area (``pj``: the pieces' parcels, sorted; ``box``: their bounds, (k, 4)).

    A sweep in x per parcel (sorted by parcel and left edge; a piece is paired with the
    following pieces of its parcel whose left edge lies left of its right edge), then the y
    extents.
    """
    if len(pj) < 2:
        return np.empty((2, 0), dtype=np.int64)
    # integer keys: parcel in the high bits, the left (right) edge in 0.1 mm steps from the
    # parcel's leftmost piece in the low bits, floored (ceiled): candidates are a superset.
    # ``pj`` comes sorted, so the groups' minima come from reduceat and the sort by key finds
    # runs already in order.
    x0, y0, x1, y1 = box.T
    starts = np.flatnonzero(np.r_[True, pj[1:] != pj[:-1]])
    size = np.diff(np.r_[starts, len(pj)])
    origin = np.repeat(np.minimum.reduceat(x0, starts), size)
    step = 1e-4
    high = pj.astype(np.int64) << 36
    lo = high + np.floor((x0 - origin) / step).astype(np.int64)
    hi = high + np.ceil((x1 - origin) / step).astype(np.int64)
    order = np.argsort(lo, kind="stable")
    lo_key, hi_key = lo[order], hi[order]
    end = np.searchsorted(lo_key, hi_key, side="right")
    counts = np.maximum(end - np.arange(len(order)) - 1, 0)
    found: list[np.ndarray] = []
    cum = np.cumsum(counts)
    cuts = np.searchsorted(cum, np.arange(_CHUNK_PAIRS, cum[-1], _CHUNK_PAIRS)) if cum[-1] else []
    bounds = np.concatenate([[0], cuts, [len(order)]]).astype(np.int64)
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        c = counts[s:e]
        if not c.sum():
            continue
        i = np.repeat(np.arange(s, e), c)
        j = i + 1 + (np.arange(int(c.sum())) - np.repeat(np.cumsum(c) - c, c))
        a, b = order[i], order[j]
        keep = (x0[b] < x1[a]) & (x0[a] < x1[b]) & (y0[b] < y1[a]) & (y0[a] < y1[b])
        found.append(np.stack([a[keep], b[keep]]))
    return np.concatenate(found, axis=1) if found else np.empty((2, 0), dtype=np.int64)


@dataclass(frozen=True)
class _Core:
    """Per-parcel sums (arrays of len(parcels)) and which buildings fell in some parcel."""

    count: np.ndarray
    points: np.ndarray
    footprint_m2: np.ndarray
    floor_area_m2: np.ndarray
    latest_date: np.ndarray  # int64 ns, _INT64_NAT where none
    parcels_per_building: np.ndarray  # int64 per building: parcels it has area (or lies) in
    parcels_with_overlaps: int
    points_total: int  # building points in the layer
    total_bounds: np.ndarray  # of all buildings (xmin, ymin, xmax, ymax); NaN when none


@dataclass(frozen=True)
class _Buildings:
    """Per-building inputs of :func:`_core_chunk`, shared by every chunk of parcels."""

    geoms: np.ndarray
    types: np.ndarray
    polygonal: np.ndarray
    point: np.ndarray
    area: np.ndarray  # footprint area, 0 for anything not polygonal
    floors: np.ndarray
    dates_ns: np.ndarray
    order: np.ndarray
    order_span: int  # above every value of ``order``
    index: _Footprints
    slack: float  # of the pre-tests in :func:`_classify_numpy`


def _core(
    prep: _Parcels,
    geoms: np.ndarray,
    floors: np.ndarray,
    dates_ns: np.ndarray,
    order: np.ndarray,
    threads: int = 1,
) -> _Core:
    """Allocate buildings to parcels and sum per parcel (see :func:`parcel_building_metrics`).

    ``prep``: the parcels (:func:`_prepare_parcels`); ``geoms``: polygons and points (None
    allowed); ``floors``: effective floors per building (NaN unknown); ``dates_ns``: survey
    dates as int64 ns; ``order``: a global position per building that fixes the order of every
    per-parcel sum.

    The parcels are measured in chunks of :data:`_CHUNK_PARCELS` (every sum is a parcel's own,
    so the chunks give the same results as one pass); ``threads`` measure chunks side by side.
    """
    n, m = len(prep.geoms), len(geoms)
    types = _split_call(shapely.get_type_id, geoms, threads=threads)
    polygonal = (types == 3) | (types == 6)
    point = types == 0
    box = _split_call(shapely.bounds, geoms, threads=threads)
    # (NaN when every box is: fmin and fmax skip NaN)
    total_bounds = np.array([f.reduce(box[:, k]) for k, f in enumerate(_EXTREMES)]) if m else None
    if total_bounds is None or np.isnan(total_bounds).any():
        total_bounds = np.full(4, np.nan)
    usable = polygonal | point
    if not usable.all():  # lines and collections are left out
        box[~usable] = np.nan
    area = _split_call(shapely.area, geoms, threads=threads)
    if not polygonal.all():
        area[~polygonal] = 0.0
    # the largest coordinate of the parcels and boxes sets the slack of the pre-tests
    scale = 1.0 + max(
        -np.fmin.reduce(prep.box, axis=None, initial=0.0),
        np.fmax.reduce(prep.box, axis=None, initial=0.0),
        -np.fmin.reduce(box, axis=None, initial=0.0),
        np.fmax.reduce(box, axis=None, initial=0.0),
    )
    b = _Buildings(
        geoms=geoms,
        types=types,
        polygonal=polygonal,
        point=point,
        area=area,
        floors=floors,
        dates_ns=dates_ns,
        order=order,
        order_span=int(order.max(initial=0)) + 1,
        index=_index_footprints(box),
        slack=8 * float(np.spacing(scale)) if np.isfinite(scale) else np.inf,
    )
    starts = range(0, n, _CHUNK_PARCELS)

    def run(p0: int) -> tuple:
        return _core_chunk(prep, b, p0, min(p0 + _CHUNK_PARCELS, n))

    if threads > 1 and len(starts) > 1:
        with ThreadPoolExecutor(threads) as pool:
            results = list(pool.map(run, starts))
    else:
        results = [run(p0) for p0 in starts]
    count = np.zeros(n, dtype=np.int64)
    points = np.zeros(n, dtype=np.int64)
    footprint = np.zeros(n)
    floor_area = np.zeros(n)
    latest = np.full(n, _INT64_NAT, dtype=np.int64)
    for p0, r in zip(starts, results, strict=True):
        at = slice(p0, p0 + len(r[0]))
        count[at], points[at], footprint[at], floor_area[at], latest[at] = r[:5]
    kept = np.concatenate([r[5] for r in results]) if results else np.empty(0, np.int64)
    return _Core(
        count=count,
        points=points,
        footprint_m2=footprint,
        floor_area_m2=floor_area,
        latest_date=latest,
        parcels_per_building=np.bincount(kept, minlength=m).astype(np.int64),
        parcels_with_overlaps=sum(r[6] for r in results),
        points_total=int(point.sum()),
        total_bounds=total_bounds,
    )


def _core_chunk(prep: _Parcels, b: _Buildings, p0: int, p1: int) -> tuple:
    """:func:`_core` for parcels ``p0:p1``: ``(count, points, footprint, floor area, latest
    date)`` of each, the buildings in them (one entry per parcel a building is in) and the
    parcels with overlapping footprints."""
    parcels, simple = prep.geoms[p0:p1], prep.simple[p0:p1]
    n = p1 - p0
    geoms, polygonal, point = b.geoms, b.polygonal, b.point
    edges = _edges(parcels, simple)
    # bounding-box pairs, grouped by parcel
    pj, bi = _box_pairs(b.index, prep.box[p0:p1])
    status = _classify(parcels, edges, pj, bi, geoms, b.index.box, b.slack)

    exact_poly = np.flatnonzero((status == 2) & polygonal[bi])
    # footprints crossing a parcel edge: clipped in numpy where the parcel is convex and the
    # footprint a simple polygon; GEOS's overlay for the rest
    sub = geoms[bi[exact_poly]]
    p_cut = pj[exact_poly]
    orient = _convex_orientation(edges, simple, p_cut)
    fast = (orient != 0) & (b.types[bi[exact_poly]] == 3)
    fast[fast] = shapely.get_num_interior_rings(sub[fast]) == 0
    area = b.area[bi]
    cut_area = np.empty(len(exact_poly))
    cut_box = np.empty((len(exact_poly), 4))
    if fast.any():
        f_idx = np.flatnonzero(fast)
        cut_area[f_idx], cut_box[f_idx] = _clip_convex(
            sub[f_idx], p_cut[f_idx], edges, orient[f_idx]
        )
    slow = np.flatnonzero(~fast)
    if len(slow):
        clipped_slow = shapely.intersection(sub[slow], parcels[p_cut[slow]])
        cut_area[slow] = shapely.area(clipped_slow)
        cut_box[slow] = shapely.bounds(clipped_slow)
    area[exact_poly] = cut_area
    keep = status == 1
    # a piece under a square millimetre is a footprint touching the parcel's edge
    keep[exact_poly] = cut_area > _MIN_PIECE_M2
    was_cut = np.zeros(len(status), dtype=bool)
    was_cut[exact_poly] = True
    exact_point = np.flatnonzero((status == 2) & point[bi])
    if len(exact_point):
        keep[exact_point] = shapely.intersects(parcels[pj[exact_point]], geoms[bi[exact_point]])

    sel = np.flatnonzero(keep)
    # by parcel, then the buildings' global order (pairs come grouped by parcel already)
    key = pj[sel].astype(np.int64) * b.order_span + b.order[bi[sel]]
    sel = sel[np.argsort(key, kind="stable")]
    bi, pj, area = bi[sel], pj[sel], area[sel]
    is_poly = polygonal[bi]
    cut = was_cut[sel]

    count = np.bincount(pj, minlength=n).astype(np.int64)
    points = np.bincount(pj[~is_poly], minlength=n).astype(np.int64)

    poly = np.flatnonzero(is_poly)
    # the pieces' bounds: the footprint's, or where cut by the parcel edge, the piece's
    piece_box = np.take(b.index.box, bi[poly], axis=0)
    at_cut = np.flatnonzero(cut[poly])
    piece_box[at_cut] = cut_box[np.searchsorted(exact_poly, sel[poly[at_cut]])]
    involved = np.zeros(len(bi), dtype=bool)
    involved[poly] = _overlapping(pj[poly], piece_box)
    f = b.floors[bi]
    alone = is_poly & ~involved
    # (bincount of nothing is int64: cast)
    footprint = np.bincount(pj[alone], weights=area[alone], minlength=n).astype(np.float64)
    floor_area = np.bincount(pj[alone], weights=(area * f)[alone], minlength=n).astype(np.float64)
    if involved.any():
        inv = np.flatnonzero(involved)
        pieces = geoms[bi[inv]]
        recut = np.flatnonzero(cut[inv])  # footprints cut by the parcel edge: the exact piece
        pieces[recut] = shapely.intersection(pieces[recut], parcels[pj[inv[recut]]])
        groups, unions = _grouped_union(pieces, pj[inv])
        union_m2 = shapely.area(unions)
        summed = np.bincount(pj[inv], weights=area[inv], minlength=n)[groups]
        weighted = np.bincount(pj[inv], weights=(area * f)[inv], minlength=n)[groups]
        footprint[groups] += union_m2
        # overlapping footprints: their floor area scaled to the union (area-weighted floors)
        floor_area[groups] += weighted * union_m2 / summed
        overlapping = int((summed - union_m2 > 1e-6 * summed).sum())
    else:
        overlapping = 0
    latest = np.full(n, _INT64_NAT, dtype=np.int64)
    if len(pj):
        starts = np.flatnonzero(np.r_[True, pj[1:] != pj[:-1]])
        latest[pj[starts]] = np.maximum.reduceat(b.dates_ns[bi], starts)
    return count, points, footprint, floor_area, latest, bi, overlapping


def _survey_start(dates: pd.Series) -> np.datetime64:
    d = pd.to_datetime(dates).dropna()
    return np.datetime64(d.min(), "ns") if len(d) else np.datetime64("NaT", "ns")


def _geometry_array(parcels_geom: Any) -> tuple[np.ndarray, pd.Index]:
    if isinstance(parcels_geom, gpd.GeoDataFrame):
        parcels_geom = parcels_geom.geometry
    if isinstance(parcels_geom, gpd.GeoSeries):
        return np.asarray(parcels_geom.values, dtype=object), parcels_geom.index
    arr = np.asarray(parcels_geom, dtype=object)
    return arr, pd.RangeIndex(len(arr))


def _new_pieces(current: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Each current footprint less the previous survey's footprints (None where nothing is
    new). Footprints equal to or covered by a previous one are skipped without overlay."""
    out = current.copy()
    poly_prev = previous[np.isin(shapely.get_type_id(previous), _POLYGONAL)]
    if not len(poly_prev):
        return out
    tree = shapely.STRtree(poly_prev)
    ci, pk = tree.query(current, predicate="intersects")
    if not len(ci):
        return out
    covered = shapely.covered_by(current[ci], poly_prev[pk])
    gone = np.unique(ci[covered])
    rest = ~np.isin(ci, gone)
    ci, pk = ci[rest], pk[rest]
    if len(ci):
        idx, unions = _grouped_union(poly_prev[pk], ci)
        out[idx] = shapely.difference(current[idx], unions)
    out[gone] = None
    return out


def parcel_building_metrics(
    parcels_geom: np.ndarray | gpd.GeoSeries,
    buildings: gpd.GeoDataFrame,
    *,
    storey_height_m: float = 3.0,
    tall_floor_m: float = 8.0,
    count_tall_twice: bool = False,
    extent: Any = None,
    survey_start: Any = None,
    previous: gpd.GeoDataFrame | None = None,
    order: np.ndarray | None = None,
    threads: int | None = None,
) -> pd.DataFrame:
    """Buildings, footprint, coverage, floor area and plot ratio of every parcel.

    ``parcels_geom``: the parcel polygons (array or GeoSeries, in the projected CRS of
    ``buildings``, metres). ``buildings``: a frame from :func:`read_buildings` (``geometry``
    polygons or points; ``floors``, ``height_m``, ``survey_date`` columns used when present).

    Returns one row per parcel, indexed like ``parcels_geom`` (a RangeIndex for an array):

    - ``building_count``: buildings whose footprint has area inside the parcel (a footprint
      straddling two parcels counts in both; touching the boundary is not inside), or whose
      point lies in it (int64);
    - ``footprint_m2``: area of the union of the footprints inside the parcel (overlapping
      footprints counted once; a straddling footprint's area is split by the boundary);
      NaN when the parcel holds building points, whose outline is unknown;
    - ``building_coverage``: ``footprint_m2`` / parcel area (≈ 建筑系数, which also counts
      structures and yards);
    - ``floor_area_m2``: Σ floors x footprint inside the parcel (floors from
      :func:`effective_floors`; overlapping footprints get their area-weighted floors over
      their union); NaN when any building in the parcel has neither floors nor height, or is a
      point; ``plot_ratio_est``: ``floor_area_m2`` / parcel area;
    - ``buildings_survey_date``: the latest survey date of the parcel's buildings, or for a
      parcel without any, ``survey_start`` (default: the earliest survey date of the layer:
      the earliest the parcel can have been seen empty);
    - ``buildings_surveyed``: the parcel lies within ``extent`` (a polygon, or bounds
      ``(xmin, ymin, xmax, ymax)``; by default the bounding box of all buildings): outside it,
      "no building" means "not surveyed";
    - ``new_footprint_m2`` (only with ``previous``, another survey's buildings): the part of
      ``footprint_m2`` not covered by the previous survey's footprints.

    ``frame.attrs["summary"]`` holds counts for the load report: ``buildings``, ``points``,
    ``outside`` (buildings in no parcel: counted, left out), ``split`` (footprints in two or
    more parcels), ``parcels_with_overlaps`` (parcels where footprints overlap each other),
    ``parcels_with_buildings``, ``parcels_not_surveyed``.

    Vectorised: the bounding boxes of parcels and footprints are joined on a grid in numpy
    (no spatial tree); footprints whose box lies inside a parcel (most) are classified in
    numpy and need no overlay; footprints crossing the edge of a convex parcel are clipped in
    numpy, the few others intersected by GEOS; a union is formed only where footprints' boxes
    overlap inside a parcel. Parcels are measured in chunks of 32,768. ``order`` (a global
    position per building; default the row order) fixes the order of every per-parcel sum, so
    a partitioned run gives bit-identical results. ``threads`` (default 1) measures chunks
    side by side on a thread pool (GEOS and numpy release the GIL) and splits the whole-layer
    GEOS calls: worth it only on a machine with idle cores.
    """
    out, core, geoms = _metrics(
        parcels_geom,
        buildings,
        storey_height_m=storey_height_m,
        tall_floor_m=tall_floor_m,
        count_tall_twice=count_tall_twice,
        extent=extent,
        survey_start=survey_start,
        previous=previous,
        order=order,
        threads=threads,
    )
    out.attrs["summary"] = _summary(
        geoms, core.parcels_per_building, out, core.parcels_with_overlaps, core.points_total
    )
    return out


def _summary(
    geoms: np.ndarray,
    parcels_per_building: np.ndarray,
    out: pd.DataFrame,
    overlapping: int,
    points: int | None = None,
) -> dict[str, int]:
    return {
        "buildings": len(geoms),
        "points": int((shapely.get_type_id(geoms) == 0).sum()) if points is None else points,
        "outside": int((parcels_per_building == 0).sum()),
        "split": int((parcels_per_building > 1).sum()),
        "parcels_with_overlaps": int(overlapping),
        "parcels_with_buildings": int((out["building_count"] > 0).sum()),
        "parcels_not_surveyed": int((~out["buildings_surveyed"]).sum()),
    }


def _metrics(
    parcels_geom: Any,
    buildings: gpd.GeoDataFrame,
    *,
    storey_height_m: float,
    tall_floor_m: float,
    count_tall_twice: bool,
    extent: Any,
    survey_start: Any,
    previous: gpd.GeoDataFrame | None,
    order: np.ndarray | None,
    threads: int | None,
) -> tuple[pd.DataFrame, _Core, np.ndarray]:
    """:func:`parcel_building_metrics` without the summary: ``(frame, core sums, geoms)``."""
    parcels, index = _geometry_array(parcels_geom)
    geoms = np.asarray(buildings.geometry.values, dtype=object)
    floors_col = buildings["floors"] if "floors" in buildings else np.full(len(geoms), np.nan)
    height_col = buildings["height_m"] if "height_m" in buildings else np.full(len(geoms), np.nan)
    floors = effective_floors(
        np.asarray(floors_col, dtype="float64"),
        np.asarray(height_col, dtype="float64"),
        storey_height_m=storey_height_m,
        tall_floor_m=tall_floor_m,
        count_tall_twice=count_tall_twice,
    )
    if "survey_date" in buildings:
        dates = pd.to_datetime(buildings["survey_date"]).to_numpy().astype("datetime64[ns]")
    else:
        dates = np.full(len(geoms), np.datetime64("NaT", "ns"))
    dates_ns = dates.view(np.int64)
    order = np.arange(len(geoms)) if order is None else np.asarray(order)
    threads = _threads(threads)
    pbox = _split_call(shapely.bounds, parcels, threads=threads)
    prep = _prepare_parcels(parcels, pbox)
    core = _core(prep, geoms, floors, dates_ns, order, threads)

    start = (
        _survey_start(pd.Series(dates))
        if survey_start is None
        else np.datetime64("NaT", "ns")
        if pd.isna(survey_start)
        else np.datetime64(pd.Timestamp(survey_start), "ns")
    )
    if extent is None or not isinstance(extent, shapely.Geometry):
        ebox = core.total_bounds if extent is None else np.asarray(extent, float)
        surveyed = (pbox[:, 0] >= ebox[0]) & (pbox[:, 1] >= ebox[1])
        surveyed &= (pbox[:, 2] <= ebox[2]) & (pbox[:, 3] <= ebox[3])
    else:
        shapely.prepare(extent)
        surveyed = _split_call(lambda p: shapely.covers(extent, p), parcels, threads=threads)
    area = _split_call(shapely.area, parcels, threads=threads)
    has_points = core.points > 0
    footprint = np.where(has_points, np.nan, core.footprint_m2)
    floor_area = np.where(has_points, np.nan, core.floor_area_m2)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = footprint / area
        plot_ratio = floor_area / area
    latest = np.where(core.latest_date == _INT64_NAT, start.view(np.int64), core.latest_date)
    out = pd.DataFrame(
        {
            "building_count": core.count,
            "footprint_m2": footprint,
            "building_coverage": coverage,
            "floor_area_m2": floor_area,
            "plot_ratio_est": plot_ratio,
            "buildings_survey_date": latest.view("datetime64[ns]"),
            "buildings_surveyed": surveyed,
        },
        index=index,
    )
    if previous is not None:
        new = _new_pieces(geoms, np.asarray(previous.geometry.values, dtype=object))
        new_core = _core(prep, new, floors, dates_ns, order, threads)
        out["new_footprint_m2"] = np.where(has_points, np.nan, new_core.footprint_m2)
    return out, core, geoms


# --------------------------------------------------------------------------------------------
# Evidence

# The columns of :func:`building_evidence`, in order: the evidence, then the latest usable
# survey's measures.
EVIDENCE_COLUMNS = BUILDING_RESULT_COLUMNS


def _dates_ns(values: Any, n: int) -> np.ndarray:
    if values is None:
        return np.full(n, np.datetime64("NaT", "ns"))
    return pd.to_datetime(pd.Series(values)).to_numpy(dtype="datetime64[ns]")


def _nullable_flag(applies: np.ndarray, value: np.ndarray) -> pd.arrays.BooleanArray:
    return pd.arrays.BooleanArray(np.where(applies, value, False), ~applies)


def building_evidence(
    metrics_by_survey: Sequence[pd.DataFrame],
    start_due_date: pd.Series | np.ndarray,
    as_of: Any,
    rules: BuildingRules | None = None,
    *,
    coverage_min: float = 0.30,
    far_min: pd.Series | np.ndarray | None = None,
    started: np.ndarray | pd.Series | None = None,
) -> pd.DataFrame:
    """What the footprints of one or more surveys say about each parcel, as of ``as_of``.

    ``metrics_by_survey``: frames of :func:`parcel_building_metrics`, one per survey, all
    indexed like the parcels (for two surveys, the later one computed with
    ``previous=`` the earlier one's buildings gives ``new_footprint_m2``). Surveys dated after
    ``as_of`` are not used. ``start_due_date``: per parcel (datetime64, NaT unknown), aligned
    with the frames. ``far_min``: the contract's minimum plot ratio per parcel (NaN unknown).
    ``started``: per parcel, whether the ledger already has start evidence (an actual start or
    completion date, an inspection finding); such a parcel is never ``likely_idle``.

    Returns, indexed like the frames:

    - ``start_evidence_buildings`` (bool): some survey dated after the start due date shows a
      building coverage of at least ``rules.coverage_evidence_min``;
      ``buildings_evidence_date``: the date of the first such survey (NaT otherwise);
    - ``likely_idle`` (bool): the latest survey, dated at least
      ``rules.idle_survey_after_years`` after the start due date and covering the parcel
      (``buildings_surveyed``), shows no building at all, and nothing else shows a start.
      Footprint data misses buildings (OpenStreetMap maps 1-5 % of some built-up blocks), so
      this ranks a parcel for inspection; it is never a finding of idleness;
    - ``coverage_below_min`` / ``plot_ratio_est_below_min`` (nullable bool): for started
      parcels (``started`` or start evidence from footprints), the latest survey's coverage
      below ``coverage_min`` (the 30 % control indicator) and estimated plot ratio below
      ``far_min``; NA where not started or unknown. Evidence to check, never the base of an
      amount;
    - ``new_footprint_m2`` (m², the latest survey's, NaN without a previous survey) and
      ``coverage_change`` (latest coverage minus the one before, NaN with fewer than two
      usable surveys);
    - the latest usable survey's ``building_count`` (Int64), ``footprint_m2``,
      ``building_coverage``, ``floor_area_m2``, ``plot_ratio_est``, ``buildings_survey_date``
      (NA / NaN / NaT for a parcel no usable survey dates).
    """
    rules = rules or BuildingRules()
    surveys = list(metrics_by_survey)
    if not surveys:
        raise ValueError("building_evidence needs the metrics of at least one survey")
    index = surveys[0].index
    for s in surveys[1:]:
        if not s.index.equals(index):
            raise ValueError("the metrics of every survey must be indexed like the parcels")
    n = len(index)
    as_of_ns = np.datetime64(pd.Timestamp(as_of), "ns")
    due = _dates_ns(np.asarray(start_due_date), n)
    started_mask = (
        np.zeros(n, dtype=bool)
        if started is None
        else np.asarray(pd.array(started, dtype="boolean").fillna(False), dtype=bool)
    )
    far = np.full(n, np.nan) if far_min is None else np.asarray(far_min, dtype="float64")

    def stack(column: str, fill: Any = np.nan, dtype: str = "float64") -> np.ndarray:
        return np.stack(
            [
                s[column].to_numpy(dtype=dtype, na_value=fill)
                if column in s
                else np.full(n, fill, dtype=dtype)
                for s in surveys
            ]
        )

    date = np.stack([_dates_ns(s["buildings_survey_date"].to_numpy(), n) for s in surveys])
    coverage = stack("building_coverage")
    count = stack("building_count", fill=-1, dtype="int64")
    surveyed = stack("buildings_surveyed", fill=False, dtype="bool")
    usable = ~np.isnat(date) & (date <= as_of_ns)
    due_known = ~np.isnat(due)

    with np.errstate(invalid="ignore"):
        evidence = usable & due_known & (date > due) & (coverage >= rules.coverage_evidence_min)
    ev_ns = np.where(evidence, date.view(np.int64), np.iinfo(np.int64).max).min(axis=0)
    has_evidence = evidence.any(axis=0)
    evidence_date = np.where(has_evidence, ev_ns, _INT64_NAT).view("datetime64[ns]")

    # the latest usable survey per parcel (on equal dates, the one given last), and the one
    # before it
    key = np.where(usable, date.view(np.int64), _INT64_NAT)
    rank = np.argsort(key[::-1], axis=0, kind="stable")
    latest = len(surveys) - 1 - rank[-1]
    previous = len(surveys) - 1 - rank[-2] if len(surveys) > 1 else latest
    n_usable = usable.sum(axis=0)
    cols = np.arange(n)

    def pick(values: np.ndarray, which: np.ndarray) -> np.ndarray:
        return values[which, cols]

    has_latest = n_usable >= 1
    latest_date = np.where(has_latest, pick(date, latest).view(np.int64), _INT64_NAT)
    idle_cutoff = (pd.Series(due) + pd.DateOffset(years=rules.idle_survey_after_years)).to_numpy(
        dtype="datetime64[ns]"
    )
    likely_idle = (
        has_latest
        & pick(surveyed, latest)
        & (pick(count, latest) == 0)
        & due_known
        & (latest_date >= idle_cutoff.view(np.int64))
        & ~has_evidence
        & ~started_mask
    )
    out = pd.DataFrame(index=index)
    out["start_evidence_buildings"] = has_evidence
    out["buildings_evidence_date"] = evidence_date
    out["likely_idle"] = likely_idle
    cov_latest = np.where(has_latest, pick(coverage, latest), np.nan)
    ratio_latest = np.where(has_latest, pick(stack("plot_ratio_est"), latest), np.nan)
    applies = started_mask | has_evidence
    with np.errstate(invalid="ignore"):
        out["coverage_below_min"] = _nullable_flag(
            applies & ~np.isnan(cov_latest), cov_latest < coverage_min
        )
        out["plot_ratio_est_below_min"] = _nullable_flag(
            applies & ~np.isnan(ratio_latest) & ~np.isnan(far), ratio_latest < far
        )
    new_fp = stack("new_footprint_m2")
    out["new_footprint_m2"] = np.where(has_latest & (n_usable >= 2), pick(new_fp, latest), np.nan)
    out["coverage_change"] = np.where(n_usable >= 2, cov_latest - pick(coverage, previous), np.nan)
    out["building_count"] = pd.array(np.where(has_latest, pick(count, latest), 0), dtype="Int64")
    out.loc[~has_latest, "building_count"] = pd.NA
    for column in ("footprint_m2", "building_coverage", "floor_area_m2", "plot_ratio_est"):
        out[column] = np.where(has_latest, pick(stack(column), latest), np.nan)
    out["buildings_survey_date"] = latest_date.view("datetime64[ns]")
    return out
