"""Writing results: GeoPackage, GeoParquet, CSV and the Excel workbook, chosen by extension.

Amounts are rounded to 0.01 万元 here, when written, never inside the analysis.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from landuse.errors import InputError
from landuse.schema import AMOUNT_COLUMNS, DERIVED_COLUMNS, INPUT_NAMES, SOURCE_FILE, SOURCE_ROW

OUTPUT_SUFFIXES = (".gpkg", ".parquet", ".csv", ".xlsx")
MONEY_COLUMNS = (*AMOUNT_COLUMNS, "total_penalty_wan")


def output_columns(frame: pd.DataFrame) -> list[str]:
    """Result columns in their public order: inputs, derived, provenance (geometry last)."""
    order = [*INPUT_NAMES, *DERIVED_COLUMNS, SOURCE_FILE, SOURCE_ROW]
    cols = [c for c in order if c in frame.columns]
    if "geometry" in frame.columns:
        cols.append("geometry")
    return cols


def rounded(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with amounts rounded to 0.01 万元 (for writing only)."""
    out = frame.copy()
    for c in MONEY_COLUMNS:
        if c in out.columns:
            out[c] = out[c].round(2)
    return out


def _dates_as_dates(frame: pd.DataFrame) -> pd.DataFrame:
    """datetime64 columns as Arrow dates, so GeoPackage and Parquet store a Date field."""
    out = frame.copy()
    for c in out.columns:
        if c != "geometry" and pd.api.types.is_datetime64_any_dtype(out[c].dtype):
            out[c] = out[c].astype("date32[pyarrow]")
    return out


def _has_geometry(frame: pd.DataFrame) -> bool:
    return isinstance(frame, gpd.GeoDataFrame) and bool(frame.geometry.notna().any())


def _layer(frame: pd.DataFrame, crs) -> pd.DataFrame:
    """A GeoDataFrame when some row has a geometry, else a plain attribute table."""
    if "geometry" in frame.columns and frame["geometry"].notna().any():
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)
    return pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))


def write_gpkg(
    path: Path,
    parcels: pd.DataFrame,
    rejects: pd.DataFrame,
    summary: pd.DataFrame,
    parks: gpd.GeoDataFrame | None,
    crs,
) -> None:
    """Layers ``parcels`` (with geometry where there is one), ``rejects``, table ``summary``
    and, when park boundaries were given, ``parks``."""
    if path.exists():
        path.unlink()
    layers = [
        ("parcels", _layer(rounded(parcels[output_columns(parcels)]), crs)),
        ("rejects", _layer(rejects, crs)),
        ("summary", pd.DataFrame(summary)),
    ]
    if parks is not None:
        layers.append(("parks", parks))
    for name, frame in layers:
        is_geo = isinstance(frame, gpd.GeoDataFrame)
        pyogrio.write_dataframe(
            _dates_as_dates(frame),
            path,
            layer=name,
            driver="GPKG",
            use_arrow=True,
            promote_to_multi=is_geo or None,
            append=path.exists(),
        )


def write_parquet(path: Path, parcels: pd.DataFrame, rejects: pd.DataFrame, crs) -> Path:
    """GeoParquet of the parcels; the rejects beside it as ``<stem>_rejects.parquet``."""
    frame = rounded(parcels[output_columns(parcels)])
    table = _layer(frame, crs)
    if isinstance(table, gpd.GeoDataFrame):
        table.to_parquet(path, index=False)
    else:
        table.to_parquet(path, index=False)
    beside = path.with_name(f"{path.stem}_rejects.parquet")
    rej = _layer(rejects, crs)
    rej.to_parquet(beside, index=False)
    return beside


def write_csv(path: Path, parcels: pd.DataFrame, rejects: pd.DataFrame) -> Path:
    """The analysed rows, one per parcel, column names of RULES.md (no geometry), UTF-8 with
    a BOM so Excel shows the Chinese text; rejects beside it as ``<stem>_rejects.csv``."""
    cols = [c for c in output_columns(parcels) if c != "geometry"]
    rounded(parcels[cols]).to_csv(path, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
    beside = path.with_name(f"{path.stem}_rejects.csv")
    rej_cols = ["reason", *[c for c in rejects.columns if c not in ("reason", "geometry")]]
    rejects[rej_cols].to_csv(beside, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")
    return beside


def check_out_path(out: str | Path) -> Path:
    """The ``--out`` path, refused early (before any work) when its kind or folder is wrong."""
    path = Path(out)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputError(
            f"--out {path}: cannot tell the output format from {path.suffix or 'no extension'!r}. "
            "End the name with .gpkg (QGIS), .parquet (GeoParquet), .csv or .xlsx (Excel)."
        )
    if path.is_dir():
        raise InputError(
            f"--out {path} is an existing folder. Name a file inside it, e.g. {path / 'results'}"
            f"{path.suffix.lower()}."
        )
    if not path.parent.exists():
        raise InputError(
            f"--out {path}: the folder {path.parent} does not exist. Create it first or "
            "choose another folder."
        )
    return path


def drop_empty_geometry(frame: pd.DataFrame) -> pd.DataFrame:
    """Rejected rows keep their geometry column only when some row has one."""
    if "geometry" in frame.columns and not np.any(frame["geometry"].notna()):
        return frame.drop(columns="geometry")
    return frame
