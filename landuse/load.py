"""Loading what bureaus really have: parcel layers, ledgers and park boundaries.

``load_inputs`` reads every input, maps it to canonical columns, repairs or rejects geometries,
drops duplicates and non-industrial rows into the rejects (with a reason), joins parcels to
their ledger rows and assigns parks. Every input row ends up in ``parcels`` or ``rejects``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from landuse import crs as crs_mod
from landuse import inspections as inspections_mod
from landuse.enrich import add_where_and_what
from landuse.errors import InputError
from landuse.frames import geo_frame
from landuse.normalise import canonical_frame, fix_column_types
from landuse.quality import issue_masks, merge_issue_codes, report_issues
from landuse.readers import (
    check_encoding,
    is_layer_path,
    is_table_path,
    read_layer,
    read_layers,
    read_table,
)
from landuse.report import LoadReport
from landuse.rules_file import DateRules
from landuse.schema import INDUSTRIAL_LAND_USES, INPUT_NAMES, SOURCE_FILE, SOURCE_ROW

# region code + year + letter + serial; a split parcel adds -N (3714812013B00179-1)
SUPERVISION_NO_PATTERN = r"^\d{6}(?:19|20)\d{2}[A-Za-z]\d{5,6}(?:-\d{1,3})?$"
PARK_NAME_FIELDS = (
    "name",
    "park",
    "名称",
    "园区名称",
    "园区",
    "开发区名称",
    "NAME",
    "Name",
    "PARK",
)


@dataclass
class Loaded:
    """The outcome of loading.

    ``parcels``: canonical columns, ``geometry`` (projected CRS, metres; None for ledger rows
    without a parcel) and ``geometry_area_ha`` (after :func:`landuse.pipeline.run_analysis`,
    the analysed frame, which carries the same columns). ``rejects``: the rows not analysed, with
    ``reason`` and ``input_kind`` (``ledger`` / ``layer``). ``accounting``: per input kind,
    ``(rows read, rows analysed, rows rejected)``; with a layer joined to a ledger the layer's
    "analysed" count is its parcels matched to a ledger row. ``per_source``: the same three
    counts for each ``source_file`` (a file, or ``file:layer`` for each layer of a file read
    whole), in the order read; a file with no data rows is there with zeros.
    """

    parcels: gpd.GeoDataFrame
    rejects: pd.DataFrame
    report: LoadReport
    parks: gpd.GeoDataFrame | None = None
    accounting: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    empty_rows: int = 0  # ledger rows with no value in any cell, skipped by the reader
    per_source: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    # what became of the rows of the inspection files (--inspections), when given
    inspections: inspections_mod.InspectionSummary | None = None


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f.columns)]
    if len(frames) == 1:
        return frames[0]
    return pd.concat(frames, ignore_index=True)


def _keep(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """The rows of ``mask``; the frame itself (no copy) when every row is kept."""
    return frame if mask.all() else frame.loc[mask]


def _reject(frame: pd.DataFrame, mask: np.ndarray, reason: str | pd.Series) -> pd.DataFrame:
    picked = frame.loc[mask].copy()
    picked["reason"] = reason[mask].to_numpy() if isinstance(reason, pd.Series) else reason
    return picked


def display_names(paths: Sequence[Path]) -> dict[Path, str]:
    """The shortest trailing part of each path that tells the inputs apart
    (``2013/06/01.csv`` and ``2014/06/01.csv`` rather than ``01.csv`` twice)."""
    parts = {p: p.resolve().parts for p in paths}
    names: dict[Path, str] = {}
    for p in paths:
        depth = 1
        while depth < len(parts[p]):
            tail = parts[p][-depth:]
            if all(q == p or parts[q][-depth:] != tail for q in paths):
                break
            depth += 1
        names[p] = "/".join(parts[p][-depth:])
    return names


def _file_notes(report: LoadReport, file: str, notes: list[str]) -> None:
    for text in notes:
        report.add(file=file, problem=text, action="noted")


def read_ledgers(
    paths: Sequence[Path],
    report: LoadReport,
    names: dict[Path, str],
    *,
    encoding: str | None = None,
    dates: DateRules | None = None,
    rows_read: dict[str, int] | None = None,
    sheet: str | None = None,
) -> tuple[pd.DataFrame, int]:
    """Read and normalise ledger tables, read as one when several are given.

    Tables with the same headers (a month of daily exports) are stacked before normalising,
    so the parsing runs once per column, not once per file. A table with a header and no data
    rows adds no rows (said in the notes); a ``.txt`` file without known headers is refused. Returns the frame and the count of empty rows
    skipped; ``rows_read``, when given, receives the data rows of each file.
    """
    groups: dict[tuple[str, ...], list[tuple[Path, pd.DataFrame]]] = {}
    empty_rows = 0
    for path in paths:
        raw = read_table(path, encoding=encoding, sheet=sheet, require_txt_header=True)
        if inspections_mod.looks_like_inspections(raw.frame.columns):
            raise InputError(
                inspections_mod.inspection_file_message(names[path], raw.frame.columns)
            )
        _file_notes(report, names[path], raw.notes)
        if raw.cell_problems is not None:
            report.add_cells(names[path], raw.cell_problems)
        empty_rows += raw.empty_rows
        if rows_read is not None:
            rows_read[names[path]] = len(raw.frame)
        if raw.frame.empty:
            report.note(f"{names[path]}: header only, 0 data rows read")
        raw.frame[SOURCE_FILE] = names[path]
        groups.setdefault(tuple(raw.frame.columns), []).append((path, raw.frame))
    frames = []
    for group in groups.values():
        stacked = _concat([frame for _, frame in group]).reset_index(drop=True)
        files = names[group[0][0]] if len(group) == 1 else f"{len(group)} files"
        frames.append(canonical_frame(stacked, files, report, dates=dates))
    return fix_column_types(_concat(frames).reset_index(drop=True)), empty_rows


def read_parcel_layers(
    paths: Sequence[Path],
    report: LoadReport,
    names: dict[Path, str],
    *,
    assume_crs: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    dates: DateRules | None = None,
    rows_read: dict[str, int] | None = None,
) -> tuple[gpd.GeoDataFrame, GeometryFacts]:
    """Read parcel layers (every parcel layer of a file, see
    :func:`landuse.readers.read_layers`), put them in one projected CRS and keep their
    canonical columns. ``rows_read``, when given, receives the features of each layer.

    Returns the layer and the :class:`GeometryFacts` of its rows, measured on a second thread
    while the attributes are put in canonical form (shapely releases the GIL)."""
    parts: list[gpd.GeoDataFrame] = []
    facts: list[Future[GeometryFacts]] = []
    target = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        for path in paths:
            raws = read_layers(path, layer=layer, encoding=encoding)
            if len(raws) > 1:
                counts = ", ".join(f"{raw.layer} {len(raw.frame):,}" for raw in raws)
                report.note(f"{names[path]}: {len(raws)} parcel layers read (features: {counts})")
            for raw in raws:
                _file_notes(report, names[path], raw.notes)
                label = names[path] if len(raws) == 1 else f"{names[path]}:{raw.layer}"
                raw.frame[SOURCE_FILE] = label
                if rows_read is not None:
                    rows_read[label] = len(raw.frame)
                frame = crs_mod.set_crs_if_missing(raw.frame, assume_crs)
                frame, note = crs_mod.to_area_crs(frame, source=label)
                if note:
                    report.note(note)
                if target is None:
                    target = frame.crs
                elif frame.crs != target:
                    frame = frame.to_crs(target)
                    report.note(
                        f"{label}: reprojected to {target.to_string()} to match the first layer"
                    )
                facts.append(pool.submit(GeometryFacts.of, frame.geometry.to_numpy()))
                attrs = canonical_frame(
                    pd.DataFrame(frame).drop(columns="geometry"), label, report, dates=dates
                )
                parts.append(geo_frame([attrs], frame.geometry.values, target))
    facts_of_rows = GeometryFacts.concat([f.result() for f in facts])
    if len(parts) == 1:
        merged = parts[0]
        layer_frame = geo_frame(
            [fix_column_types(pd.DataFrame(merged).drop(columns="geometry"))],
            merged.geometry.values,
            target,
        )
        return layer_frame, facts_of_rows
    merged = pd.concat(parts, ignore_index=True)
    merged = gpd.GeoDataFrame(fix_column_types(merged), geometry="geometry", crs=target)
    return merged, facts_of_rows


@dataclass(frozen=True)
class GeometryFacts:
    """What :func:`check_geometries` needs to know of each geometry (one value per row):
    missing or empty, shapely's type id, valid (true for rows not checked: missing, empty
    or not polygonal) and area in hectares (of the geometry as read)."""

    missing: np.ndarray
    type_id: np.ndarray
    valid: np.ndarray
    area_ha: np.ndarray

    @classmethod
    def of(cls, geoms: np.ndarray) -> GeometryFacts:
        missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
        type_id = shapely.get_type_id(geoms)
        checked = ~missing & np.isin(type_id, [3, 6])  # Polygon, MultiPolygon
        valid = np.ones(len(geoms), dtype=bool)
        valid[checked] = shapely.is_valid(geoms[checked])
        return cls(missing, type_id, valid, shapely.area(geoms) / 10_000.0)

    @classmethod
    def concat(cls, parts: Sequence[GeometryFacts]) -> GeometryFacts:
        if len(parts) == 1:
            return parts[0]
        return cls(
            *(
                np.concatenate([getattr(p, f) for p in parts])
                for f in ("missing", "type_id", "valid", "area_ha")
            )
        )


def check_geometries(
    layer: gpd.GeoDataFrame, report: LoadReport, facts: GeometryFacts | None = None
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Repair invalid polygons (reported), reject empty and non-polygonal ones.

    ``facts``: the rows' :class:`GeometryFacts` when already measured. Returns the kept rows
    with ``geometry_area_ha`` (from the projected geometry) and the rejected rows with
    ``reason``.
    """
    geoms = layer.geometry.to_numpy()
    facts = facts if facts is not None else GeometryFacts.of(geoms)
    missing, type_id = facts.missing, facts.type_id
    polygonal = np.isin(type_id, [3, 6])  # Polygon, MultiPolygon
    invalid = ~missing & polygonal & ~facts.valid
    area_ha = facts.area_ha
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        repaired = shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        geoms = geoms.copy()
        geoms[invalid] = repaired
        area_ha = area_ha.copy()
        area_ha[invalid] = shapely.area(repaired) / 10_000.0
        unrepairable = np.zeros(len(geoms), dtype=bool)
        unrepairable[invalid] = shapely.is_empty(repaired)
        fixed = invalid & ~unrepairable
        problem = np.full(len(geoms), "", dtype=object)
        problem[invalid] = np.char.add("几何无效 (invalid geometry): ", reasons.astype(str))
        report.add_rows(
            layer,
            fixed,
            column="geometry",
            values=None,
            problem=pd.Series(problem, index=layer.index),
            action="repaired with make_valid (structure method)",
        )
        layer = geo_frame([pd.DataFrame(layer).drop(columns="geometry")], geoms, layer.crs)
    else:
        unrepairable = np.zeros(len(geoms), dtype=bool)
    bad = missing | ~polygonal | unrepairable
    reason = np.full(len(geoms), "", dtype=object)  # texts only for the rows rejected
    reason[bad] = np.select(
        [missing[bad], ~polygonal[bad]],
        ["几何为空 (empty geometry)", "几何不是面 (not a polygon)"],
        "几何无效且无法修复 (invalid, not repairable)",
    )
    rejects = _reject(layer, bad, pd.Series(reason, index=layer.index, dtype=object))
    kept = _keep(layer, ~bad)
    kept["geometry_area_ha"] = area_ha[~bad]
    return kept, rejects


def _row_key(frame: pd.DataFrame) -> pd.Series:
    return frame["supervision_no"].fillna(frame["parcel_id"])


def drop_duplicates(
    frame: pd.DataFrame, report: LoadReport, *, with_geometry: bool = False
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Exact duplicates (same key, same content) keep their first row; rows sharing a key with
    different content are all rejected with the reason and the columns that differ.

    Only rows whose key occurs more than once are hashed and compared.
    """
    key = _row_key(frame)
    candidate = (key.notna() & key.duplicated(keep=False)).to_numpy(dtype=bool)
    exact = np.zeros(len(frame), dtype=bool)
    conflict = np.zeros(len(frame), dtype=bool)
    rejects = []
    if candidate.any():
        sub = frame.loc[candidate]
        sub_key = key[candidate]
        content_cols = [c for c in INPUT_NAMES if c in frame.columns]
        content = sub[content_cols].copy()
        if with_geometry:
            content["geometry"] = shapely.to_wkb(sub.geometry.to_numpy())
        digest = pd.util.hash_pandas_object(content, index=False)
        groups = [sub_key, digest]
        sub_exact = pd.DataFrame({"k": sub_key, "h": digest}).duplicated(keep="first")
        first_row = sub[SOURCE_ROW].groupby(groups).transform("first")
        first_file = sub[SOURCE_FILE].groupby(groups).transform("first")
        exact_reason = (
            "完全重复行，与 "
            + first_file.astype("string")
            + " 第 "
            + first_row.astype("string")
            + " 行相同 (exact duplicate)"
        )
        exact[candidate] = sub_exact.to_numpy(dtype=bool)
        rejects.append(_reject(sub, sub_exact.to_numpy(dtype=bool), exact_reason))
        rest_key = sub_key.where(~sub_exact)
        sub_conflict = (rest_key.notna() & rest_key.duplicated(keep=False)).to_numpy(dtype=bool)
        conflict[candidate] = sub_conflict
        if sub_conflict.any():
            rows_c = sub.loc[sub_conflict]
            key_c = sub_key[sub_conflict].to_numpy()
            differing = content.loc[sub_conflict].groupby(key_c).nunique(dropna=False)
            diff_cols = differing.apply(lambda r: "、".join(r.index[r > 1]), axis=1)
            where = (
                (rows_c[SOURCE_FILE].astype(str) + ":" + rows_c[SOURCE_ROW].astype(str))
                .groupby(key_c)
                .agg("，".join)
            )
            keys = pd.Series(key_c, index=rows_c.index, dtype="string")
            text = (
                "编号 "
                + keys
                + " 有多条内容不同的记录（"
                + keys.map(where).astype("string")
                + "；不同列："
                + keys.map(diff_cols).astype("string")
                + "），均不采用，请核对后保留一条 (conflicting duplicates)"
            )
            rejects.append(rows_c.assign(reason=text.to_numpy()))
    kept = _keep(frame, ~exact & ~conflict)
    n_exact, n_conflict = int(exact.sum()), int(conflict.sum())
    if n_exact or n_conflict:
        report.note(
            f"duplicates: {n_exact} exact duplicate rows dropped, {n_conflict} rows with "
            "conflicting content rejected"
        )
    empty = frame.iloc[0:0].assign(reason=pd.Series(dtype="string"))
    return kept, _concat(rejects) if rejects else empty


def split_industrial(
    frame: pd.DataFrame, report: LoadReport, *, land_use_present: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep industrial land (工业用地 / 工矿仓储用地); skip other uses into the rejects.

    An empty land use is kept as industrial and reported; when the inputs have no land-use
    column at all every row is taken as industrial (said once in the notes).
    """
    land_use = frame["land_use"].astype("string").str.strip()
    if not land_use_present:
        report.note("no 土地用途 (land_use) column: every row is taken as industrial land")
        return frame, frame.iloc[0:0].assign(reason=pd.Series(dtype="string"))
    is_industrial = land_use.isin(INDUSTRIAL_LAND_USES) | land_use.str.startswith("工业")
    empty = land_use.isna()
    report.add_rows(
        frame,
        empty.to_numpy(dtype=bool),
        column="land_use",
        values=None,
        problem="土地用途为空 (no land use)",
        action="analysed as industrial land",
    )
    skip = (~is_industrial.fillna(False) & ~empty).to_numpy(dtype=bool)
    reason = (
        "非工业用地（土地用途：" + land_use.fillna("") + "），不在分析范围 (not industrial land)"
    )
    return _keep(frame, ~skip), _reject(frame, skip, reason)


def check_keys(frame: pd.DataFrame, report: LoadReport) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reject rows with neither parcel id nor supervision number; warn on odd supervision
    numbers (validated loosely: region code + year + letter + serial)."""
    no_key = (frame["parcel_id"].isna() & frame["supervision_no"].isna()).to_numpy(dtype=bool)
    sup = frame["supervision_no"].astype("string")
    odd = (sup.notna() & ~sup.str.match(SUPERVISION_NO_PATTERN).fillna(False)).to_numpy(dtype=bool)
    report.add_rows(
        frame,
        odd,
        column="supervision_no",
        values=sup,
        problem="电子监管号格式异常 (expected 6-digit region + year + letter + serial)",
        action="kept",
    )
    reason = "缺少宗地编号和电子监管号，无法识别宗地 (no parcel_id or supervision_no)"
    return _keep(frame, ~no_key), _reject(frame, no_key, reason)


def join_layer_and_ledger(
    layer: gpd.GeoDataFrame,
    ledger: pd.DataFrame,
    report: LoadReport,
    rejected_ledger: pd.DataFrame | None = None,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Attach geometry to ledger rows on ``parcel_id`` (else ``supervision_no``).

    Ledger values win; the layer fills columns the ledger leaves empty (a park name, say).
    Ledger rows without a parcel are analysed with their declared area and reported; parcels
    without a ledger row are rejected with the reason.
    """
    key = None
    for candidate in ("parcel_id", "supervision_no"):
        # an empty side (a layer without features, a header-only ledger) matches nothing on
        # any key: its counterpart's rows are then all unmatched, not an error
        in_layer = layer.empty or layer[candidate].notna().any()
        in_ledger = ledger.empty or ledger[candidate].notna().any()
        if in_layer and in_ledger:
            key = candidate
            break
    if key is None:
        raise InputError(
            "The parcel layer and the ledger share no key: neither 宗地编号 (parcel_id) nor "
            "电子监管号 (supervision_no) is filled in both. Add one of these columns to the "
            "parcel layer's attribute table (or to the ledger) so parcels can be matched."
        )
    layer_attrs = layer.drop(columns=[SOURCE_FILE, SOURCE_ROW])
    layer_keys = layer_attrs[key]
    dup_layer = layer_keys.duplicated(keep="first") & layer_keys.notna()
    if dup_layer.any():
        report.note(f"{int(dup_layer.sum())} parcels share a {key} with another parcel; first used")
    lookup = layer_attrs.loc[~dup_layer & layer_keys.notna()].set_index(key)
    matched = ledger[key].isin(lookup.index).to_numpy(dtype=bool)
    joined = pd.DataFrame(ledger).copy()
    idx = ledger.loc[matched, key]
    joined["geometry"] = None
    joined.loc[matched, "geometry"] = lookup.loc[idx, "geometry"].to_numpy()
    joined["geometry_area_ha"] = np.nan
    joined.loc[matched, "geometry_area_ha"] = lookup.loc[idx, "geometry_area_ha"].to_numpy()
    for name in INPUT_NAMES:
        if name == key:
            continue
        fill = lookup[name].reindex(ledger[key].to_numpy())
        fill.index = joined.index
        joined[name] = (
            joined[name].where(joined[name].notna(), fill)
            if name != "gov_cause"
            else (joined[name] | fill.fillna(False).astype(bool))
        )
    if "data_issues" in lookup.columns:
        layer_issues = lookup["data_issues"].reindex(ledger[key].to_numpy())
        layer_issues.index = joined.index
        joined["data_issues"] = merge_issue_codes(
            joined.get("data_issues", pd.Series(pd.NA, index=joined.index)).astype("string"),
            layer_issues.astype("string"),
        )
    report.add_rows(
        ledger,
        ~matched,
        column=key,
        values=ledger[key],
        problem="台账记录无对应宗地图形 (no parcel in the layer)",
        action="analysed with the declared area",
    )
    unmatched = ~layer_keys.isin(ledger[key].dropna()).to_numpy(dtype=bool)
    was_rejected = np.zeros(len(layer), dtype=bool)
    if rejected_ledger is not None and key in rejected_ledger.columns:
        was_rejected = layer_keys.isin(rejected_ledger[key].dropna()).to_numpy(dtype=bool)
    reason = np.where(
        was_rejected,
        "宗地的台账记录未被采用，原因见 rejects 中同一编号的台账行 (its ledger rows were rejected)",
        "宗地无对应台账记录 (no ledger row for this parcel)",
    )
    layer_rejects = _reject(layer, unmatched, pd.Series(reason, index=layer.index))
    out = gpd.GeoDataFrame(joined, geometry="geometry", crs=layer.crs)
    return out, layer_rejects


def read_parks(
    path: Path,
    report: LoadReport,
    *,
    name_field: str | None = None,
    target_crs=None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Park boundaries: ``park`` (name), ``area_ha`` (in the layer's own projected CRS, or its
    Gauss-Krüger zone when geographic) and geometry in ``target_crs`` when given."""
    raw = read_layer(path, encoding=encoding)
    _file_notes(report, path.name, raw.notes)
    frame = raw.frame.drop(columns=[SOURCE_FILE, SOURCE_ROW], errors="ignore")
    if name_field is None:
        name_field = next((f for f in PARK_NAME_FIELDS if f in frame.columns), None)
    if name_field is None or name_field not in frame.columns:
        fields = ", ".join(c for c in frame.columns if c != "geometry")
        raise InputError(
            f"Park layer {path.name}: no park-name field "
            f"{'named ' + repr(name_field) if name_field else 'found'}. Its fields are: {fields}. "
            "Name the field with --park-name-field FIELD."
        )
    projected, note = crs_mod.to_area_crs(frame, source=path.name)
    if note:
        report.note(note)
    area_ha = shapely.area(projected.geometry.to_numpy()) / 10_000.0
    parks = gpd.GeoDataFrame(
        {"park": frame[name_field].astype("string").str.strip(), "area_ha": area_ha},
        geometry=projected.geometry.to_numpy(),
        crs=projected.crs,
    )
    extra = [c for c in frame.columns if c not in ("geometry", name_field)]
    for c in extra:
        parks[f"src_{c}"] = frame[c].to_numpy()
    if target_crs is not None and parks.crs != target_crs:
        parks = parks.to_crs(target_crs)
    report.note(f"{path.name}: {len(parks)} park boundaries, names from field {name_field!r}")
    return parks


def assign_parks(parcels: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, report: LoadReport) -> None:
    """Fill an empty ``park`` with the name of the park the parcel lies in (its representative
    point within the boundary), in place."""
    has_geom = ~(shapely.is_missing(parcels.geometry.to_numpy()))
    need = parcels["park"].isna().to_numpy(dtype=bool) & has_geom
    if not need.any():
        return
    points = shapely.point_on_surface(parcels.geometry.to_numpy()[need])
    park_geoms = parks.to_crs(parcels.crs).geometry.to_numpy()
    tree = shapely.STRtree(park_geoms)
    pt_idx, park_idx = tree.query(points, predicate="within")
    first = pd.Series(park_idx).groupby(pt_idx).first()
    names = np.full(int(need.sum()), None, dtype=object)
    names[first.index.to_numpy()] = parks["park"].to_numpy()[first.to_numpy()]
    rows = np.flatnonzero(need)
    parcels.loc[parcels.index[rows], "park"] = pd.array(names, dtype="string")
    outside = np.zeros(len(parcels), dtype=bool)
    outside[rows[pd.isna(names)]] = True
    report.add_rows(
        parcels,
        outside,
        column="park",
        values=None,
        problem="不在任何园区边界内 (outside every park boundary)",
        action="park left empty",
    )
    report.note(
        f"parks: {int((~pd.isna(names)).sum())} of {int(need.sum())} parcels without a park "
        "name were placed in a park by location"
    )


def load_inputs(
    inputs: Sequence[str | Path],
    *,
    ledger: Sequence[str | Path] = (),
    parks: str | Path | None = None,
    park_name_field: str | None = None,
    assume_crs: str | None = None,
    layer: str | None = None,
    encoding: str | None = None,
    dates: DateRules | None = None,
    sheet: str | None = None,
    inspections: Sequence[str | Path] = (),
    as_of: dt.date | pd.Timestamp | str | None = None,
    stored_inspections: pd.DataFrame | None = None,
) -> Loaded:
    """Read parcel layers and ledger tables (by extension), join, clean and account for every
    row. Raises :class:`InputError` for a mistake that stops the run.

    ``layer`` picks the layer of every multi-layer parcel file (GeoPackage, zip); ``encoding``
    is the text encoding of every CSV/TXT ledger, shapefile, GeoJSON and park layer (formats
    that are UTF-8 by definition ignore it); ``dates`` are the plausible-date limits of the
    rules file. Inputs with a header and no data rows give an empty, well-formed result (0
    rows read, said in the notes), not an error. ``sheet`` names the sheet of every workbook
    input. ``inspections`` are inspection files: per parcel, the latest inspection on or before
    ``as_of`` (default today) is applied to the parcels (see :mod:`landuse.inspections`);
    ``stored_inspections`` are findings recorded in a store of runs, applied with them.
    """
    if encoding is not None:
        encoding = check_encoding(encoding)
    report = LoadReport()
    paths = [Path(p) for p in inputs]
    layer_paths = [p for p in paths if is_layer_path(p)]
    table_paths = [p for p in paths if is_table_path(p)] + [Path(p) for p in ledger]
    unknown = [p for p in paths if not is_layer_path(p) and not is_table_path(p)]
    if unknown:
        raise InputError(
            f"Cannot tell what {unknown[0]} is from its extension. Give parcel layers as "
            ".gpkg, .shp, .zip, .geojson, .fgb or .parquet and ledgers as .csv, .xlsx, .xls, .xlsb or .ods."
        )
    if not layer_paths and not table_paths:
        raise InputError("No input given: name a parcel layer and/or a ledger table.")

    rejects: list[pd.DataFrame] = []
    rows_read: dict[str, int] = {}
    per_source_read: dict[str, int] = {}
    inspection_paths = [Path(p) for p in inspections]
    names = display_names([*layer_paths, *table_paths, *inspection_paths])
    parcel_layer = None
    empty_rows = 0
    if layer_paths:
        parcel_layer, geometry_facts = read_parcel_layers(
            layer_paths,
            report,
            names,
            assume_crs=assume_crs,
            layer=layer,
            encoding=encoding,
            dates=dates,
            rows_read=per_source_read,
        )
        rows_read["layer"] = len(parcel_layer)
        parcel_layer, bad_geom = check_geometries(parcel_layer, report, geometry_facts)
        rejects.append(bad_geom)
    layer_sources = set(per_source_read)
    table = None
    if table_paths:
        table, empty_rows = read_ledgers(
            table_paths,
            report,
            names,
            encoding=encoding,
            dates=dates,
            rows_read=per_source_read,
            sheet=sheet,
        )
        rows_read["ledger"] = len(table)
    if not any(rows_read.values()):
        report.note("no data rows in any input: nothing to analyse (0 rows read)")

    def clean(frame: pd.DataFrame, with_geometry: bool) -> pd.DataFrame:
        frame, bad = check_keys(frame, report)
        rejects.append(bad)
        has_land_use = frame["land_use"].notna().any()
        frame, skipped = split_industrial(frame, report, land_use_present=bool(has_land_use))
        rejects.append(skipped)
        frame, dups = drop_duplicates(frame, report, with_geometry=with_geometry)
        rejects.append(dups)
        return frame

    if parcel_layer is not None and table is not None:
        n_before = len(rejects)
        table = clean(table, with_geometry=False)
        ledger_rejects = _concat([r for r in rejects[n_before:] if len(r)] or [table.iloc[0:0]])
        parcel_layer, layer_dups = drop_duplicates(parcel_layer, report, with_geometry=True)
        rejects.append(layer_dups)
        parcels, unmatched = join_layer_and_ledger(parcel_layer, table, report, ledger_rejects)
        rejects.append(unmatched)
    elif parcel_layer is not None:
        parcels = clean(parcel_layer, with_geometry=True)
    else:
        assert table is not None
        parcels = gpd.GeoDataFrame(table.assign(geometry=None), geometry="geometry")
        parcels["geometry_area_ha"] = np.nan
        parcels = clean(parcels, with_geometry=False)

    parcels = gpd.GeoDataFrame(parcels, geometry="geometry", crs=getattr(parcels, "crs", None))
    park_layer = None
    if parks is not None:
        park_layer = read_parks(
            Path(parks),
            report,
            name_field=park_name_field,
            target_crs=parcels.crs,
            encoding=encoding,
        )
        if parcels.crs is not None:
            assign_parks(parcels, park_layer, report)
    add_where_and_what(parcels, report)
    report_issues(parcels, issue_masks(parcels, parcels.index), report)
    kept = [r for r in rejects if len(r)]
    if kept:
        rejected = pd.DataFrame(_concat(kept))
    else:
        rejected = pd.DataFrame({SOURCE_FILE: [], SOURCE_ROW: [], "reason": []})
    rejected["input_kind"] = np.where(rejected[SOURCE_FILE].isin(layer_sources), "layer", "ledger")
    accounting = {}
    for kind, read in rows_read.items():
        n_rejected = int((rejected["input_kind"] == kind).sum())
        accounting[kind] = (read, read - n_rejected, n_rejected)
    if "ledger" in accounting and len(parcels) != accounting["ledger"][1]:
        raise AssertionError("ledger accounting does not add up")
    inspected = None
    if inspection_paths or stored_inspections is not None:
        parcels, inspected = inspections_mod.feed_back(
            inspection_paths,
            parcels,
            rejected,
            report,
            as_of=as_of,
            names=names,
            encoding=encoding,
            sheet=sheet,
            dates=dates,
            stored=stored_inspections,
        )
    rejected_by_source = rejected[SOURCE_FILE].value_counts()
    per_source = {}
    for source, read in per_source_read.items():
        n_rejected = int(rejected_by_source.get(source, 0))
        per_source[source] = (read, read - n_rejected, n_rejected)
    return Loaded(
        parcels=parcels.reset_index(drop=True),
        rejects=rejected.reset_index(drop=True),
        report=report,
        parks=park_layer,
        accounting=accounting,
        empty_rows=empty_rows,
        per_source=per_source,
        inspections=inspected,
    )
