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

from landuse.grouping import GROUPING_COLUMNS, MONEY_COLUMNS, group_names
from landuse.workbook import NO_PARK
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
    buildings: gpd.GeoDataFrame | None = None  # footprints meeting the drawn parcels


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


def _check_columns(path: Path, names: set[str]) -> None:
    """Refuse a table that is not analysis results."""
    if "status" not in names:
        raise MapInputError(
            f"{path} is not a results file: its parcels have no `status` column. {_NOT_RESULTS}"
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


def _is_geoparquet(schema: Any) -> bool:
    return b"geo" in (schema.metadata or {}) and "geometry" in schema.names


def check_results_file(results_path: str | PathLike[str], *, geometry: bool = False) -> None:
    """Refuse, reading only the file's description, what is not a results file of ``landuse
    analyse`` (a :class:`~maps.errors.MapInputError` naming the file and the fix): a missing
    file, another extension, a file GDAL or Arrow cannot open, a GeoPackage without a
    ``parcels`` layer, parcels without ``status``.

    Results without any parcel geometry (ledgers alone: a GeoPackage layer without geometry, a
    plain Parquet file) are results too: the map lists their parcels and the API serves them
    as a table. ``geometry`` is accepted for the callers that pass it and changes nothing."""
    del geometry
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
        names = set(pyogrio.read_info(path, layer="parcels")["fields"])
    else:
        names = set(_parquet_schema(path).names)
    _check_columns(path, names)


def results_have_geometry(results_path: str | PathLike[str]) -> bool:
    """Whether the parcels of a results file can have geometries at all (a GeoPackage layer
    with a geometry column, a GeoParquet file); False for results of ledgers alone."""
    path = Path(results_path)
    if path.suffix.lower() == ".parquet":
        return _is_geoparquet(_parquet_schema(path))
    return pyogrio.read_info(path, layer="parcels").get("geometry_type") is not None


#: Columns read for the map besides the popup's: grouping, money and the parcel list.
EXTRA_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [*GROUPING_COLUMNS, *MONEY_COLUMNS, "supervision_no", "amounts_confirmed", "progress"]
    )
)


def map_columns() -> list[str]:
    """Every parcel column the map reads (those present in a file are read)."""
    return list(dict.fromkeys([*POPUP_COLUMNS, *EXTRA_COLUMNS]))


def as_geodataframe(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    """``frame`` as a GeoDataFrame; a plain table (results of ledgers alone) gets an empty
    geometry column in EPSG:4326 (nothing to place, so any CRS will do)."""
    if isinstance(frame, gpd.GeoDataFrame):
        return frame
    geometry = gpd.GeoSeries([None] * len(frame), index=frame.index, crs=MAP_CRS)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=MAP_CRS)


def results_of_view(view: Any, source: Path, *, park: str | None = None) -> Results:
    """What the map needs from the results of one run (a
    :class:`~landuse.source.ResultsView`): its parcels (the map's columns, EPSG:4326,
    parcels without a geometry kept), the park outlines as the source defines them (the
    results' parks layer, else the concave hull of each park's parcels: the outlines the API's
    parks collection serves), the building footprints within the parcels' extent (the
    ``buildings`` collection: :func:`footprints_of_view`) and the summary, computed from the
    parcels (:func:`maps.panel.summary_frame`), grouped by park, else region. With ``park``,
    only the parcels, outline, footprints and summary of that group (a park, else a region:
    :func:`landuse.grouping.group_names`); an unknown one raises
    :class:`~maps.errors.MapInputError` naming the groups."""
    from maps.panel import summary_frame

    frame = view.parcel_table([*map_columns(), "as_of_date"])
    geometry = gpd.GeoSeries(frame.pop("geometry").to_numpy(), index=frame.index, crs=MAP_CRS)
    parcels = gpd.GeoDataFrame(frame, geometry=geometry, crs=MAP_CRS)
    outlines = view.park_outlines()
    parks = gpd.GeoDataFrame(
        outlines.drop(columns="geometry"),
        geometry=gpd.GeoSeries(outlines["geometry"].to_numpy(), crs=MAP_CRS),
        crs=MAP_CRS,
    )
    if park is not None:
        park_of = group_names(parcels)
        known = set(park_of.dropna())
        if park not in known:
            raise MapInputError(
                f"No park or region {park!r} in {source}; they are {', '.join(sorted(known))}."
            )
        parcels = parcels[(park_of == park).to_numpy(dtype=bool)]
        parks = parks[parks["park"] == park]
    buildings = footprints_of_view(view, parcels)
    if buildings is not None and park is not None:
        buildings = footprints_in(buildings, parcels)
    return Results(parcels, parks, summary_frame(parcels), source, buildings)


def footprints_of_view(view: Any, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The building footprints of the results (``building_id``, EPSG:4326) within the extent
    of the drawn ``parcels`` (EPSG:4326), read through the results source: the view's
    ``buildings`` collection (``landuse analyse --buildings``). None when the results carry
    no footprints."""
    from landuse.source import Query

    if not any(info.id == "buildings" for info in view.collections()):
        return None
    drawn = has_geometry(parcels)
    if not drawn.any():
        return gpd.GeoDataFrame({"building_id": []}, geometry=[], crs=MAP_CRS)
    box = tuple(float(v) for v in shapely.total_bounds(parcels.geometry.to_numpy()[drawn]))
    size = view.collection("buildings").size
    page = view.page("buildings", Query(bbox=box, limit=max(size, 1)))  # type: ignore[arg-type]
    return gpd.GeoDataFrame(
        {"building_id": [p.get("building_id") for p in page.properties]},
        geometry=list(page.geometries),
        crs=MAP_CRS,
    )


def open_view(results_path: str | PathLike[str]) -> Any:
    """The results of a results file through the results source
    (:class:`api.store.FileSource`), after :func:`check_results_file`; a file that cannot be
    served raises :class:`~maps.errors.MapInputError` naming it."""
    from api.store import FileSource
    from landuse.source import ResultsUnavailable

    path = Path(results_path)
    check_results_file(path)
    try:
        return FileSource.of_path(path).view()
    except ResultsUnavailable as exc:
        raise MapInputError(str(exc)) from None


def read_results(results_path: str | PathLike[str], *, park: str | None = None) -> Results:
    """Read a results GeoPackage (layers ``parcels``, ``parks``) or (Geo)Parquet through the
    results source (:func:`open_view`, :func:`results_of_view`).

    Parcels and parks come back in EPSG:4326; parcels without a geometry (all of them for
    results of ledgers alone) are kept, with a missing geometry. A file that is not analysis
    results (see :func:`check_results_file`) and an unknown park raise
    :class:`~maps.errors.MapInputError` naming the file and the fix.
    """
    path = Path(results_path)
    return results_of_view(open_view(path), path, park=park)


def footprints_in(buildings: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The footprints (and building points) that meet a drawn parcel (one bulk STRtree
    query; both frames in the same CRS)."""
    geoms = np.asarray(parcels.geometry.values, dtype=object)
    geoms = geoms[has_geometry(parcels)]
    if not len(geoms) or not len(buildings):
        return buildings.iloc[0:0]
    hit = shapely.STRtree(geoms).query(
        np.asarray(buildings.geometry.values, dtype=object), predicate="intersects"
    )[0]
    return buildings.iloc[np.unique(hit)]


def to_map_crs(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` in EPSG:4326 (a frame without a CRS is refused when it has geometries: their
    position is unknown; without any geometry it is simply labelled EPSG:4326)."""
    frame = as_geodataframe(frame)
    if frame.crs is None:
        if not has_geometry(frame).any():
            return frame.set_crs(MAP_CRS)
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
