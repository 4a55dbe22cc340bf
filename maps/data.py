"""Results in, browser-ready data out: reading a results file, GeoJSON for the page, safe JSON.

Nothing here loops over parcels in Python: geometries are written by GEOS
(:func:`shapely.to_geojson` on the whole array), properties by pandas (``to_json`` in lines
mode), and the two are joined as whole string arrays. Everything that goes into a ``<script>``
passes through :func:`script_json`, which escapes ``<``, ``>`` and ``&`` (so ``</script>`` in a
project name cannot end the script) and the two JavaScript line terminators.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from landuse.workbook import NO_PARK, summary_table
from maps.errors import MapInputError
from maps.labels import POPUP_COLUMNS

#: CRS of everything handed to Leaflet.
MAP_CRS = "EPSG:4326"
#: Decimal places of longitude/latitude in the page (6 places: about 10 cm).
COORD_DECIMALS = 6

_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def escape_json_text(text: str) -> str:
    """JSON text made safe to place inside an HTML ``<script>`` element.

    ``<``, ``>`` and ``&`` only occur inside JSON strings, where ``\\u003c`` and friends mean
    the same character, so the value is unchanged while ``</script>`` or ``<!--`` can no
    longer appear in the page source.
    """
    return text.translate(_SCRIPT_ESCAPES)


def script_json(value: Any) -> str:
    """``value`` as compact JSON, safe inside ``<script>`` (see :func:`escape_json_text`)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return escape_json_text(text)


# --------------------------------------------------------------------------- reading


@dataclass
class Results:
    """What the map needs from one results file."""

    parcels: gpd.GeoDataFrame
    parks: gpd.GeoDataFrame | None
    summary: pd.DataFrame
    source: Path


_NOT_RESULTS = (
    "Give the .gpkg or .parquet written by `landuse analyse --out` (or by `landuse demo`)."
)


def _gpkg_layers(path: Path) -> set[str]:
    try:
        return {str(row[0]) for row in pyogrio.list_layers(path)}
    except pyogrio.errors.DataSourceError as exc:
        raise MapInputError(
            f"{path} is not a GeoPackage that can be read ({exc}). {_NOT_RESULTS}"
        ) from None


def _check_columns(path: Path, names: set[str], has_geometry: bool) -> None:
    """Refuse a table that is not analysis results, or results without parcel geometries."""
    if "status" not in names:
        raise MapInputError(
            f"{path} is not a results file: its parcels have no `status` column. {_NOT_RESULTS}"
        )
    if not has_geometry:
        raise MapInputError(
            f"{path} holds no parcel geometries (results of ledgers alone have none), so there "
            "is nothing to draw. Analyse the parcel layer with the ledger (`landuse analyse "
            "parcels.gpkg --ledger ...`) and draw that result."
        )


def _parquet_schema(path: Path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_schema(path)
    except (pa.ArrowException, OSError) as exc:
        raise MapInputError(
            f"{path} is not a Parquet file that can be read ({exc}). {_NOT_RESULTS}"
        ) from None


def check_results_file(results_path: str | PathLike[str], *, geometry: bool = True) -> None:
    """Refuse, reading only the file's description, what is not a results file of ``landuse
    analyse`` (a :class:`~maps.errors.MapInputError` naming the file and the fix): a missing
    file, another extension, a file GDAL or Arrow cannot open, a GeoPackage without a
    ``parcels`` layer, parcels without ``status`` and, with ``geometry``, parcels without
    geometries."""
    path = Path(results_path)
    suffix = path.suffix.lower()
    if suffix not in (".gpkg", ".parquet"):
        raise MapInputError(
            f"{path} is not a results file: results are a .gpkg or .parquet file. {_NOT_RESULTS}"
        )
    if not path.is_file():
        raise MapInputError(f"No results file {path}: write one with `landuse analyse`.")
    if suffix == ".gpkg":
        if "parcels" not in _gpkg_layers(path):
            raise MapInputError(
                f"{path} has no `parcels` layer, so it is not a results file. {_NOT_RESULTS}"
            )
        info = pyogrio.read_info(path, layer="parcels")
        names, has_geometry = set(info["fields"]), info["geometry_type"] is not None
    else:
        schema = _parquet_schema(path)
        names = set(schema.names)
        has_geometry = b"geo" in (schema.metadata or {}) and "geometry" in names
    _check_columns(path, names, has_geometry or not geometry)


def read_results(results_path: str | PathLike[str], *, park: str | None = None) -> Results:
    """Read a results GeoPackage (layers ``parcels``, ``parks``, ``summary``) or GeoParquet.

    Only the columns the map shows are read. Parcels and parks come back in EPSG:4326. With
    ``park``, only that park's parcels, boundary and summary are kept. A file that is not
    analysis results (see :func:`check_results_file`) and an unknown park raise
    :class:`~maps.errors.MapInputError` naming the file and the fix. A file without a summary
    layer is summarised with :func:`landuse.workbook.summary_table`.
    """
    path = Path(results_path)
    check_results_file(path)
    parks: gpd.GeoDataFrame | None = None
    summary: pd.DataFrame | None = None
    if path.suffix.lower() == ".gpkg":
        layers = _gpkg_layers(path)
        fields = set(pyogrio.read_info(path, layer="parcels")["fields"])
        columns = [c for c in POPUP_COLUMNS if c in fields]
        parcels = pyogrio.read_dataframe(path, layer="parcels", columns=columns, use_arrow=True)
        if "parks" in layers:
            parks = pyogrio.read_dataframe(path, layer="parks", use_arrow=True)
        if "summary" in layers:
            summary = pyogrio.read_dataframe(
                path, layer="summary", read_geometry=False, use_arrow=True
            )
    else:
        names = set(_parquet_schema(path).names)
        columns = [c for c in POPUP_COLUMNS if c in names]
        parcels = gpd.read_parquet(path, columns=[*columns, "geometry"])
    if park is not None:
        park_of = park_names(parcels)
        known = set(park_of.dropna())
        if park not in known:
            raise MapInputError(
                f"No park {park!r} in {path}; the parks are {', '.join(sorted(known))}."
            )
        parcels = parcels[(park_of == park).to_numpy(dtype=bool)]
        if parks is not None and "park" in parks.columns:
            parks = parks[parks["park"] == park]
        summary = None  # recomputed below for the one park
    if summary is None:
        summary = summary_table(parcels)
    return Results(
        to_map_crs(parcels),
        to_map_crs(parks) if parks is not None else None,
        summary,
        path,
    )


def to_map_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` in EPSG:4326 (a frame without a CRS is refused: its position is unknown)."""
    if frame.crs is None:
        raise MapInputError("The layer has no CRS, so it cannot be placed on a map.")
    if frame.crs.to_epsg() == 4326:
        return frame
    return frame.to_crs(MAP_CRS)


def park_names(parcels: pd.DataFrame) -> pd.Series:
    """Park name of each parcel, missing ones shown as :data:`landuse.workbook.NO_PARK`."""
    if "park" not in parcels.columns:
        return pd.Series(NO_PARK, index=parcels.index, dtype="string")
    park = parcels["park"].astype("string").str.strip()
    return park.mask(park.isna() | (park == ""), NO_PARK)


def has_geometry(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Boolean mask of rows with a non-empty geometry."""
    geoms = frame.geometry.to_numpy()
    return ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))


def data_bounds(*frames: gpd.GeoDataFrame | None) -> list[list[float]] | None:
    """``[[south, west], [north, east]]`` of every geometry in ``frames`` (EPSG:4326), or None."""
    boxes = [f.total_bounds for f in frames if f is not None and has_geometry(f).any()]
    boxes = [b for b in boxes if np.all(np.isfinite(b))]
    if not boxes:
        return None
    b = np.vstack(boxes)
    return [
        [float(b[:, 1].min()), float(b[:, 0].min())],
        [float(b[:, 3].max()), float(b[:, 2].max())],
    ]


# --------------------------------------------------------------------------- GeoJSON


_DATE_KINDS = ("date", "datetime", "datetime64")


def _browser_values(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns converted to what the page shows: dates as ``YYYY-MM-DD`` text, numbers rounded,
    booleans kept, text as text (missing values stay missing)."""
    out = {}
    for name in frame.columns:
        col = frame[name]
        if col.dtype == object and pd.api.types.infer_dtype(col, skipna=True) in _DATE_KINDS:
            col = pd.to_datetime(col, errors="coerce")
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            out[name] = col.dt.strftime("%Y-%m-%d").astype(object).where(col.notna(), None)
        elif pd.api.types.is_bool_dtype(col.dtype):
            out[name] = col
        elif pd.api.types.is_numeric_dtype(col.dtype):
            digits = 4 if name.endswith("_ha") else 2
            out[name] = col.astype("float64").round(digits)
        else:
            out[name] = col.astype(object).where(col.notna(), None)
    return pd.DataFrame(out, index=frame.index)


def feature_collection_json(frame: gpd.GeoDataFrame, columns: list[str] | None = None) -> str:
    """A GeoJSON FeatureCollection of the rows of ``frame`` that have a geometry, as text.

    ``columns`` (default: every non-geometry column present) become the properties. The
    geometries are rounded to :data:`COORD_DECIMALS` and written by GEOS in one call; the
    properties by pandas in one call. The result is plain JSON: pass it through
    :func:`escape_json_text` before putting it in a page.
    """
    geom_name = frame.geometry.name
    keep = has_geometry(frame)
    frame = frame[keep]
    if columns is None:
        columns = [c for c in frame.columns if c != geom_name]
    columns = [c for c in columns if c in frame.columns]
    if len(frame) == 0:
        return '{"type":"FeatureCollection","features":[]}'
    geoms = shapely.transform(frame.geometry.to_numpy(), lambda xy: np.round(xy, COORD_DECIMALS))
    geom_json = shapely.to_geojson(geoms)
    props = _browser_values(pd.DataFrame(frame[columns]))
    lines = props.to_json(orient="records", lines=True, force_ascii=False, double_precision=6)
    prop_json = np.array(lines.rstrip("\n").split("\n"), dtype=object)
    if len(prop_json) != len(geom_json):  # pragma: no cover - pandas contract
        raise RuntimeError("property and geometry counts differ")
    features = '{"type":"Feature","geometry":' + geom_json.astype(object)
    features = features + ',"properties":' + prop_json + "}"
    return '{"type":"FeatureCollection","features":[' + ",".join(features.tolist()) + "]}"
