"""The in-memory implementations of the results source (:mod:`landuse.source`).

:class:`LoadedResults` is a :class:`~landuse.source.ResultsView` held in memory: one run's
parcels and park summaries, indexed and cached. :class:`FileSource` serves a results file
(GeoPackage or GeoParquet, one run): :class:`StoreProvider` hands out the
:class:`ResultsStore` of the file as it is now: the file's identity (resolved path,
modification time, size) is checked with one ``stat`` per request, and a new results file is
loaded (under a lock, while requests keep the store they hold) before it replaces the old one.
:class:`RunStoreSource` serves a store of runs (:mod:`landuse.runstore`): each run is loaded
when first asked for and the most recently used are kept. Counts, filter results, tiles and
park summaries live in the view, so new results invalidate them all at once.

Nothing here imports FastAPI: the map builds a :class:`FileSource` for ``landuse map``.

Nothing here scans all parcels per request: equality filters read precomputed per-value
position arrays (:class:`ValueIndex`), ``bbox`` reads an STRtree, the unfiltered count is the
collection's size, and filter results (with their counts) and tiles sit in LRU caches.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sqlite3
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pyogrio
import pyproj
import shapely

from api.cache import LRUCache
from api.features import PropertyTable
from api.geometries import CRS84 as CRS84_CRS
from api.geometries import Geometries, to_lonlat
from api.grid_index import GridIndex
from api.settings import Settings
from api.summaries import SUMMARY_INPUTS, park_table
from api.tiles import TileSource
from landuse import runstore
from landuse.errors import InputError
from landuse.grouping import group_names
from landuse.memory import release_memory
from landuse.outlines import park_hulls
from landuse.source import (
    CRS84,
    BBox,
    CollectionInfo,
    InspectionLog,
    InvalidQuery,
    NotFound,
    Page,
    Query,
    ResultsSource,
    ResultsUnavailable,
    ResultsView,
    RunInfo,
    choose_run,
)

log = logging.getLogger("landuse.api")

#: Parcel columns that take ``?column=value`` equality filters (those present in the file).
PARCEL_QUERYABLES: tuple[str, ...] = (
    "parcel_id",
    "park",
    "region_label",
    "status",
    "below_threshold",
    "recovery_candidate",
    "termination_risk",
    "idle_stage",
    "started",
    "completed",
    "amounts_confirmed",
    "industry_code",
    "likely_idle",
    "progress",
)
PARK_QUERYABLES: tuple[str, ...] = ("park", "group_kind")

#: Properties written into each vector tile feature.
PARCEL_TILE_PROPERTIES: tuple[str, ...] = (
    "parcel_id",
    "park",
    "status",
    "status_zh",
    "intensity_wan_per_ha",
    "total_penalty_wan",
    "building_coverage",
    "likely_idle",
)
#: Properties of each footprint in the tiles of the buildings collection.
BUILDING_TILE_PROPERTIES: tuple[str, ...] = ("building_id", "floors", "height_m", "survey_date")
BUILDING_QUERYABLES: tuple[str, ...] = ("building_id",)
PARK_TILE_PROPERTIES: tuple[str, ...] = (
    "park",
    "group_kind",
    "parcels",
    "area_ha",
    "confirmed_penalty_wan",
    "potential_penalty_wan",
    "mean_intensity_wan_per_ha",
)
ENUM_MAX = 50  # queryables with at most this many distinct values list them in the schema


# --------------------------------------------------------------------------- file identity


@dataclass(frozen=True)
class FileIdentity:
    """What makes a results file "the same file": resolved path, mtime (ns) and size."""

    path: Path
    mtime_ns: int
    size: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity:
        """The identity of ``path`` now (resolved first unless absolute);
        :class:`ResultsUnavailable` when it is missing."""
        resolved = path if path.is_absolute() else path.expanduser().resolve()
        try:
            st = os.stat(resolved)
        except OSError as exc:
            raise ResultsUnavailable(
                f"结果文件不可用 The results file {resolved} cannot be read ({exc.strerror}). "
                "Write it with `landuse analyse ... --out FILE.gpkg` (or .parquet); it is "
                "served as soon as it is there."
            ) from None
        return cls(resolved, st.st_mtime_ns, st.st_size)

    @property
    def etag(self) -> str:
        """A short validator for HTTP caching."""
        return f"{self.mtime_ns:x}-{self.size:x}"


# --------------------------------------------------------------------------- reading


@dataclass
class Layer:
    """Features read from a results file: ids, properties and geometries (WKB, with CRS)."""

    ids: np.ndarray
    properties: PropertyTable
    geometries: Geometries

    @property
    def crs(self) -> pyproj.CRS:
        return self.geometries.crs


#: Columns every results file has (written by ``landuse analyse``).
RESULT_COLUMNS: tuple[str, ...] = ("parcel_id", "park", "status")

WHAT_RESULTS_ARE = (
    "A results file is what `landuse analyse ... --out FILE` writes: a GeoPackage (.gpkg) with "
    "a `parcels` layer (parcels with the columns "
    f"{', '.join(RESULT_COLUMNS)} among others, and their polygons where the inputs had them; "
    "optionally a `parks` layer of park boundaries), or a (Geo)Parquet file (.parquet) of "
    "those parcels."
)


def _not_results(path: Path, why: str) -> ResultsUnavailable:
    return ResultsUnavailable(
        f"不是结果文件 {path} is not a results file: {why}. {WHAT_RESULTS_ARE} Run `landuse analyse` with "
        "--out results.gpkg and serve that file."
    )


def _check_columns(path: Path, names: list[str], where: str) -> None:
    missing = [c for c in RESULT_COLUMNS if c not in names]
    if missing:
        raise _not_results(path, f"{where} has no column {', '.join(missing)}")


def _geometries(
    path: Path,
    wkb: pa.Array | pa.ChunkedArray | None,
    n: int,
    crs: Any,
    boxes: np.ndarray | None = None,
) -> Geometries:
    """The geometries of a layer from its WKB column (None: a table without geometries, e.g.
    the results of ledgers alone). Empty geometries count as missing. ``boxes``: see
    :class:`~api.geometries.Geometries`."""
    if wkb is None:
        return Geometries.none(n)
    if crs is None:
        if wkb.null_count == len(wkb):
            return Geometries.none(n)
        geometries = Geometries(wkb, pyproj.CRS.from_user_input("OGC:CRS84"))
        if geometries.any:
            raise _not_results(path, "its parcels have no coordinate reference system")
        return geometries  # nothing to place: any CRS will do
    return Geometries(wkb, pyproj.CRS.from_user_input(crs), boxes=boxes)


def _rtree_boxes(path: Path, layer: str, geom_col: str, fids: np.ndarray) -> np.ndarray | None:
    """The bounds of each feature from the GeoPackage's R-tree index (``rtree_<layer>_<geom>``:
    boxes rounded outwards to 32-bit floats, so each holds its feature), NaN for a feature
    that is not in the index (no geometry, or an empty one); None without such an index or
    when it does not match the layer."""
    name = f"rtree_{layer}_{geom_col}"
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        ) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
            ).fetchone()
        if found is None:
            return None
        quoted = name.replace('"', '""')
        _, table = pyogrio.read_arrow(
            path, sql=f'SELECT id, minx, miny, maxx, maxy FROM "{quoted}"'
        )
    except (sqlite3.Error, pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError):
        return None
    ids = table.column("id").to_numpy()
    at = np.searchsorted(fids, ids)
    if len(ids) and (at.max() >= len(fids) or not np.array_equal(fids[at], ids)):
        return None  # an index of other features: not to be trusted
    boxes = np.full((len(fids), 4), np.nan)
    for k, col in enumerate(("minx", "miny", "maxx", "maxy")):
        boxes[at, k] = table.column(col).to_numpy()
    return boxes


def _layer_from_arrow(
    path: Path, table: pa.Table, geom_col: str | None, fids: np.ndarray, crs: Any
) -> Layer:
    """A layer from an Arrow table whose ``geom_col`` holds WKB (None: a table without
    geometries). The table's columns are converted one at a time (:meth:`PropertyTable.from_table`)."""
    wkb = None
    if geom_col is not None and geom_col in table.column_names:
        wkb = table.column(geom_col)
        table = table.drop_columns([geom_col])
    n = table.num_rows
    geometries = _geometries(path, wkb, n, crs)
    del wkb
    return Layer(np.asarray(fids, dtype=np.int64), PropertyTable.from_table(table), geometries)


#: Reading a GeoPackage layer goes in passes of at most this many values (rows x columns), so
#: that GDAL's buffers of a province's file are never held whole beside their conversion.
READ_PASS_VALUES = 50_000_000


def _read_gpkg_layer(path: Path, layer: str) -> Layer:
    """One layer of a GeoPackage, its fields read in passes of :data:`READ_PASS_VALUES`
    values with GDAL's threads, each pass converted and let go before the next."""
    pyogrio.set_gdal_config_options({"OGR_GPKG_NUM_THREADS": "ALL_CPUS"})
    info = pyogrio.read_info(path, layer=layer)
    fields = [str(f) for f in info["fields"]]
    rows = max(int(info.get("features") or 0), 1)
    per_pass = max(1, READ_PASS_VALUES // rows)
    passes = [fields[i : i + per_pass] for i in range(0, len(fields), per_pass)] or [[]]
    parts: list[PropertyTable] = []
    geometries: Geometries | None = None
    fids: np.ndarray | None = None
    for k, names in enumerate(passes):
        meta, table = pyogrio.read_arrow(
            path, layer=layer, columns=names, read_geometry=k == 0, return_fids=k == 0
        )
        if k == 0:
            fid_col = meta.get("fid_column") or "OGC_FID"
            geom_col = meta.get("geometry_name") or "wkb_geometry"
            if fid_col in table.column_names:
                fids = table.column(fid_col).to_numpy()
                table = table.drop_columns([fid_col])
            else:
                fids = np.arange(1, table.num_rows + 1)
            wkb = boxes = None
            if geom_col in table.column_names:  # else an attribute table (ledgers alone)
                wkb = table.column(geom_col)
                table = table.drop_columns([geom_col])
                if np.all(np.diff(fids) > 0):
                    boxes = _rtree_boxes(path, layer, geom_col, fids)
            geometries = _geometries(path, wkb, table.num_rows, meta.get("crs"), boxes)
            del wkb
        parts.append(PropertyTable.from_table(table))
        del table
        release_memory()
    assert geometries is not None and fids is not None
    return Layer(np.asarray(fids, dtype=np.int64), PropertyTable.joined(parts), geometries)


def _geo_metadata(path: Path, schema: pa.Schema, *, parcels: bool = True) -> tuple[str | None, Any]:
    """The geometry column and CRS of a GeoParquet schema; ``(None, None)`` for a plain
    Parquet file of results (what ``landuse analyse`` writes when no parcel has a geometry).
    ``_not_results`` when it is neither."""
    try:
        meta = json.loads((schema.metadata or {}).get(b"geo", b"{}") or b"{}")
    except ValueError:
        meta = {}
    if not isinstance(meta, dict) or not meta:
        if parcels:
            _check_columns(path, list(schema.names), "the file")
        return None, None
    geom_col = meta.get("primary_column", "geometry")
    if geom_col not in schema.names:
        raise _not_results(path, f"its geometry column {geom_col!r} is missing")
    columns = meta.get("columns")
    column_meta = columns.get(geom_col, {}) if isinstance(columns, dict) else {}
    crs = column_meta.get("crs", "OGC:CRS84")  # GeoParquet: a missing crs means OGC:CRS84
    if isinstance(crs, dict):
        crs = json.dumps(crs)
    if parcels:
        _check_columns(path, list(schema.names), "the file")
    return geom_col, crs


def geoparquet_layer(path: Path, table: pa.Table, *, parcels: bool = True) -> Layer:
    """A layer from a (Geo)Parquet table of results (``path``: where it comes from, for
    messages); feature ids 1..n in row order. ``parcels``: the table must have the result
    columns (not so for a run's park boundaries)."""
    geom_col, crs = _geo_metadata(path, table.schema, parcels=parcels)
    return _layer_from_arrow(path, table, geom_col, np.arange(1, table.num_rows + 1), crs)


def _read_geoparquet(path: Path) -> Layer:
    return geoparquet_layer(path, pq.read_table(path))


def _gpkg_layers(path: Path) -> set[str]:
    names = {str(row[0]) for row in pyogrio.list_layers(path)}
    if "parcels" not in names:
        listed = ", ".join(sorted(names)) or "none"
        raise _not_results(path, f"it has no `parcels` layer (its layers: {listed})")
    info = pyogrio.read_info(path, layer="parcels")
    _check_columns(path, [str(f) for f in info["fields"]], "its `parcels` layer")
    return names


_READ_ERRORS = (
    OSError,
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pa.ArrowException,
)


def _reading(path: Path, exc: Exception) -> ResultsUnavailable:
    if not path.exists():
        return ResultsUnavailable(
            f"结果文件不存在 The results file {path} does not exist. {WHAT_RESULTS_ARE}"
        )
    if isinstance(exc, pyogrio.errors.DataSourceError | pyogrio.errors.DataLayerError):
        why = "GDAL cannot open it as a GeoPackage"
    elif isinstance(exc, pa.ArrowException):
        why = "it is not a Parquet file Arrow can read"
    else:
        why = f"it cannot be read ({getattr(exc, 'strerror', None) or exc})"
    return _not_results(path, why)


def check_results_file(path: Path) -> None:
    """Raise :class:`ResultsUnavailable` (an :class:`~landuse.errors.InputError` too: one
    paragraph naming the file and what a results file is) unless ``path`` looks like a results
    file. Cheap: reads the layer list and schema, not the features."""
    path = path.expanduser()
    suffix = path.suffix.lower()
    if suffix not in (".gpkg", ".parquet"):
        raise _not_results(path, "its name does not end in .gpkg or .parquet")
    try:
        if not path.is_file():
            raise FileNotFoundError(path)
        if suffix == ".gpkg":
            _gpkg_layers(path)
        else:
            _geo_metadata(path, pq.read_schema(path))
    except _READ_ERRORS as exc:
        raise _reading(path, exc) from None


def read_results(path: Path) -> tuple[Layer, Layer | None, Layer | None]:
    """The ``parcels`` layer and, when the file has them, the ``parks`` layer and the
    ``buildings`` layer (footprints, ``landuse analyse --buildings``) of a results file
    (GeoPackage written by ``landuse analyse``, or its GeoParquet).

    Raises :class:`ResultsUnavailable` (also an :class:`~landuse.errors.InputError`) naming the
    file and what a results file is, when it is missing, unreadable or not a results file."""
    suffix = path.suffix.lower()
    if suffix not in (".gpkg", ".parquet"):
        raise _not_results(path, "its name does not end in .gpkg or .parquet")
    try:
        if suffix == ".gpkg":
            names = _gpkg_layers(path)
            parks = _read_gpkg_layer(path, "parks") if "parks" in names else None
            buildings = _read_gpkg_layer(path, "buildings") if "buildings" in names else None
            return _read_gpkg_layer(path, "parcels"), parks, buildings
        return _read_geoparquet(path), None, None
    except _READ_ERRORS as exc:
        raise _reading(path, exc) from None


# --------------------------------------------------------------------------- indexes


@dataclass(frozen=True)
class ValueIndex:
    """Positions of the features holding each distinct value of one column.

    ``order[starts[c]:starts[c + 1]]`` are the (ascending) positions whose value is
    ``values[c]``; nulls are in no slice.
    """

    kind: str
    values: pa.Array
    order: np.ndarray
    starts: np.ndarray

    @classmethod
    def build(cls, column: pa.Array | pa.ChunkedArray, kind: str) -> ValueIndex:
        """Index one column (strings or booleans)."""
        if isinstance(column, pa.ChunkedArray):
            column = column.combine_chunks()
        if kind == "boolean":
            codes = pc.fill_null(column.cast(pa.int8()), -1).to_numpy(zero_copy_only=False)
            values = pa.array([False, True])
        else:
            encoded = column.dictionary_encode()
            codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
            values = encoded.dictionary
        return cls.of_codes(kind, values, codes)

    @classmethod
    def of_codes(cls, kind: str, values: pa.Array, codes: np.ndarray) -> ValueIndex:
        """Index codes into ``values`` (-1: null)."""
        codes = codes.astype(np.int64)
        order = np.argsort(codes, kind="stable")
        n_null = int((codes < 0).sum())
        counts = np.bincount(codes[codes >= 0], minlength=len(values))
        starts = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        return cls(kind, values, order[n_null:], starts)

    @classmethod
    def of_property(cls, properties: PropertyTable, name: str) -> ValueIndex:
        """Index one text or boolean property (from its codes when it is held as codes)."""
        kind = properties.kinds[name]
        held = properties.codes(name)
        if held is None:
            column = properties.arrow([name], np.arange(properties.size)).column(0)
            return cls.build(column, kind)
        held_codes, objects = held
        codes = held_codes.astype(np.int64)
        codes[codes == len(objects) - 1] = -1  # the None object: null
        if kind == "boolean":  # objects False, True, None
            return cls.of_codes(kind, pa.array([False, True]), codes)
        return cls.of_codes(kind, pa.array(objects[:-1].tolist(), pa.string()), codes)

    def positions(self, value: Any) -> np.ndarray:
        """Ascending positions of the features whose value equals ``value``."""
        if self.kind == "boolean":
            code = int(bool(value))
        else:
            code = pc.index(self.values, pa.scalar(str(value), self.values.type)).as_py()
        if code < 0:
            return np.zeros(0, dtype=np.int64)
        return self.order[self.starts[code] : self.starts[code + 1]]

    def enum(self) -> list[Any] | None:
        """The distinct values when there are few (for the queryables schema)."""
        if self.kind == "boolean" or len(self.values) > ENUM_MAX:
            return None
        return sorted(v for v in self.values.to_pylist() if v is not None)


def intersect_sorted(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Values in both ascending unique arrays (``a`` should be the shorter)."""
    if len(a) == 0 or len(b) == 0:
        return np.zeros(0, dtype=np.int64)
    i = np.searchsorted(b, a)
    i[i >= len(b)] = len(b) - 1
    return a[b[i] == a]


# --------------------------------------------------------------------------- collections


class Collection:
    """One feature collection held in memory: properties, geometries, indexes and caches.

    Position ``i`` (0-based) is feature ``ids[i]``; ids ascend. Geometries are held as WKB
    and decoded per request (:class:`~api.geometries.Geometries`). The value indexes, the
    spatial index and the tile source are built when first needed (a service that is only
    paged through never builds them).
    """

    def __init__(
        self,
        collection_id: str,
        title: str,
        description: str,
        ids: np.ndarray,
        properties: PropertyTable,
        geometries: Geometries,
        queryables: tuple[str, ...],
        tile_properties: tuple[str, ...],
        settings: Settings,
    ) -> None:
        order = np.argsort(ids, kind="stable")
        if not np.all(order == np.arange(len(ids))):
            ids = ids[order]
            properties, geometries = properties.take(order), geometries.take(order)
        self.id = collection_id
        self.title = title
        self.description = description
        self.ids = np.asarray(ids, dtype=np.int64)
        self.properties = properties
        self.geometries = geometries
        self.size = len(self.ids)
        self.without_geometry = int(geometries.missing.sum())
        self.all_positions = np.arange(self.size, dtype=np.int64)
        self._info: CollectionInfo | None = None
        self._bbox: tuple[list[float] | None] | None = None
        kinds = properties.kinds
        self.queryables = [name for name in queryables if kinds.get(name) in ("string", "boolean")]
        self._tile_names = [name for name in tile_properties if name in kinds]
        self._indexes: dict[str, ValueIndex] = {}
        self._settings = settings
        self._tree: GridIndex | None = None
        self._tiles_source: TileSource | None = None
        self._build_lock = threading.Lock()
        self._index_lock = threading.Lock()
        self._matches: LRUCache[np.ndarray] = LRUCache(settings.query_cache_size)
        self._sorted: LRUCache[np.ndarray] = LRUCache(settings.query_cache_size)
        self._tiles: LRUCache[bytes] = LRUCache(settings.tile_cache_size)

    # ---- lazily built

    @property
    def bounds(self) -> np.ndarray:
        """Longitude/latitude boxes of the features, widened: for choosing candidates that
        are then tested exactly (:func:`~api.geometries.lonlat_bounds`)."""
        return self.geometries.lonlat_bounds

    @property
    def bbox(self) -> list[float] | None:
        """The exact CRS84 extent of the features with a geometry (None: none has one)."""
        return self.info().bbox

    def index(self, name: str) -> ValueIndex:
        """The value index of the queryable ``name``."""
        found = self._indexes.get(name)
        if found is None:
            with self._index_lock:
                found = self._indexes.get(name)
                if found is None:
                    found = ValueIndex.of_property(self.properties, name)
                    self._indexes[name] = found
        return found

    def enum(self, name: str) -> list[Any] | None:
        """The distinct values of a text queryable when there are few (for the queryables
        schema); None for booleans and for text with many values."""
        if self.properties.kinds[name] == "boolean":
            return None
        values = self.properties.distinct(name)
        if values is None:  # held as text: more distinct values than a code table takes
            return None
        if len(values) > ENUM_MAX:
            return None
        return sorted(v for v in values if v is not None)

    @property
    def tree(self) -> GridIndex:
        """Spatial index of the boxes holding the features in longitude/latitude."""
        if self._tree is None:
            with self._build_lock:
                if self._tree is None:
                    self._tree = GridIndex(self.bounds)
        return self._tree

    @property
    def tiles(self) -> TileSource:
        """The features ready to be cut into vector tiles."""
        if self._tiles_source is None:
            tree = self.tree
            with self._build_lock:
                if self._tiles_source is None:
                    columns = self.properties.arrow(self._tile_names, self.all_positions)
                    self._tiles_source = TileSource(
                        self.id,
                        self.ids,
                        self.geometries.mercator,
                        tree,
                        {name: columns.column(name) for name in self._tile_names},
                        extent=self._settings.tile_extent,
                        buffer=self._settings.tile_buffer,
                    )
                    release_memory()  # the encoder's working arrays
        return self._tiles_source

    def info(self) -> CollectionInfo:
        """The collection's description (:class:`~landuse.source.CollectionInfo`; computed
        once: a collection never changes)."""
        if self._info is None:
            with self._index_lock:
                if self._info is None:
                    self._info = self._describe()
        return self._info

    def _extent(self) -> list[float] | None:
        if self._bbox is None:
            with self._build_lock:
                if self._bbox is None:
                    self._bbox = (self.geometries.extent(),)
        return self._bbox[0]

    def _describe(self) -> CollectionInfo:
        kinds = self.properties.kinds
        return CollectionInfo(
            id=self.id,
            title=self.title,
            description=self.description,
            size=self.size,
            without_geometry=self.without_geometry,
            extent=self._extent,
            kinds=dict(kinds),
            queryables={name: self.enum(name) for name in self.queryables},
            tile_fields={key: kinds.get(key, "string") for key in self._tile_names},
        )

    # ---- lookups

    def position(self, feature_id: str) -> int:
        """Position of the feature with id ``feature_id`` (404 when there is none)."""
        try:
            fid = int(feature_id)
        except ValueError:
            fid = None
        if fid is not None and 0 < fid < 2**63:
            i = int(np.searchsorted(self.ids, fid))
            if i < self.size and self.ids[i] == fid:
                return i
        raise NotFound(f"Collection {self.id!r} has no feature {feature_id!r}.")

    def _bbox_positions(self, bbox: BBox) -> np.ndarray:
        """Ascending positions of features intersecting ``bbox`` (lon/lat; an antimeridian-
        crossing box, minx > maxx, is split in two)."""
        minx, miny, maxx, maxy = bbox
        boxes = [(minx, miny, maxx, maxy)]
        if minx > maxx:
            boxes = [(minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy)]
        found = []
        for x0, y0, x1, y1 in boxes:
            box = shapely.box(x0, y0, x1, y1)
            cand = self.tree.query(x0, y0, x1, y1)
            b = self.bounds[cand]
            inside = (b[:, 0] >= x0) & (b[:, 1] >= y0) & (b[:, 2] <= x1) & (b[:, 3] <= y1)
            edge = cand[~inside]
            hit = edge[shapely.intersects(self.geometries.lonlat(edge), box)] if len(edge) else edge
            found.append(cand[inside])
            found.append(hit)
        return np.unique(np.concatenate(found)).astype(np.int64)

    def check_filters(self, filters: dict[str, Any]) -> None:
        """:class:`InvalidQuery` naming the queryables when a filter is on another property."""
        wrong = sorted(name for name in filters if name not in self.queryables)
        if wrong:
            raise InvalidQuery(
                f"{', '.join(wrong)}: not queryable in collection {self.id!r}; its queryables "
                f"are {', '.join(self.queryables) or 'none'}."
            )

    def match(self, filters: dict[str, Any], bbox: BBox | None) -> np.ndarray:
        """Ascending positions of the features passing every equality filter and ``bbox``
        (cached, so paging through a result costs one computation)."""
        self.check_filters(filters)
        if not filters and bbox is None:
            return self.all_positions
        key = (tuple(sorted(filters.items())), bbox)

        def compute() -> np.ndarray:
            sets = [self.index(name).positions(value) for name, value in filters.items()]
            if bbox is not None:
                sets.append(self._bbox_positions(bbox))
            sets.sort(key=len)
            result = sets[0]
            for other in sets[1:]:
                result = intersect_sorted(result, other)
            return result

        return self._matches.get_or_make(key, compute)

    def sorted_positions(self, query: Query) -> np.ndarray:
        """The matched positions of ``query`` in its ``sortby`` order (ids break ties; nulls
        last), cached with the match."""
        matched = self.match(dict(query.filters), query.bbox)
        if not query.sortby:
            return matched
        keys = []
        for key in query.sortby:
            name, descending = (key[1:], True) if key.startswith("-") else (key.lstrip("+"), False)
            if name not in self.properties.kinds:
                raise InvalidQuery(
                    f"sortby={key}: {self.id!r} has no property {name!r}. Sort by a property "
                    "of the collection's schema, with - before it for descending, e.g. "
                    "sortby=-total_penalty_wan."
                )
            keys.append((name, descending))
        cache_key = (tuple(sorted(query.filters.items())), query.bbox, tuple(keys))

        def compute() -> np.ndarray:
            table = self.properties.arrow(
                [name for name, _ in keys], matched
            )  # only the matched rows, only the keys
            order = pc.sort_indices(
                table,
                sort_keys=[(name, "descending" if desc else "ascending") for name, desc in keys],
                null_placement="at_end",
            ).to_numpy()
            return matched[order]

        return self._sorted.get_or_make(cache_key, compute)

    def page(self, query: Query) -> Page:
        """One page of ``query`` (:class:`~landuse.source.Page`)."""
        positions = self.sorted_positions(query)
        total = len(positions)
        page = positions[min(query.offset, total) : min(query.offset + query.limit, total)]
        return Page(
            total, self.ids[page].tolist(), self.geometries.lonlat(page), self.properties.rows(page)
        )

    def feature(self, feature_id: str) -> Page:
        """The feature ``feature_id`` as a page of one (404 when there is none)."""
        pos = self.position(feature_id)
        page = self.all_positions[pos : pos + 1]
        return Page(
            1, self.ids[page].tolist(), self.geometries.lonlat(page), self.properties.rows(page)
        )

    def tile(self, z: int, x: int, y: int) -> bytes:
        """The encoded vector tile ``z/x/y`` (cached; empty bytes = no feature)."""
        return self._tiles.get_or_make((z, x, y), lambda: self.tiles.render(z, x, y))

    def cached_tile(self, z: int, x: int, y: int) -> bytes | None:
        """The tile when it is already cached, else None (no work)."""
        return self._tiles.get((z, x, y))

    def json_schema(self) -> dict[str, dict[str, Any]]:
        """JSON Schema of every property."""
        return self.properties.json_schema_properties()


# --------------------------------------------------------------------------- one run in memory


PARCELS_DESCRIPTION = (
    "Every analysed parcel: all result columns (statuses, flags, day counts, amounts in 万元, "
    "intensity in 万元/公顷, legal basis), geometry in CRS84 longitude/latitude where the "
    "results have one.{without} Results as of {as_of}{run}."
)
PARKS_DESCRIPTION = (
    "One feature per summary group: a park where the parcels name one, else the region "
    "of their supervision numbers (`group_kind`), else （未指定园区）. A park's boundary "
    "comes from the results' parks layer, else it is the concave hull of its parcels; a region "
    "has none (`geometry: null`). Each carries its summary: parcels and hectares per "
    "status, amounts per kind (万元) with confirmed amounts and the amounts that would "
    "apply to unverified (待核查) parcels kept apart, mean intensity (万元/公顷) and the "
    "as-of date."
)


class LoadedResults(ResultsView):
    """The results of one run held in memory (a :class:`~landuse.source.ResultsView`).

    Built from the run's ``parcels`` layer and optional ``parks`` layer (boundaries): the
    parcels collection, the park summaries and the parks collection (one feature per summary
    group, its outline from the parks layer, else the concave hull of its parcels); with a
    ``buildings`` layer (``analyse --buildings``), the buildings collection too."""

    def __init__(
        self,
        parcels: Layer,
        parks_layer: Layer | None,
        settings: Settings,
        *,
        run: RunInfo | None = None,
        etag: str,
        label: str,
        run_note: str = "",
        buildings: Layer | None = None,
    ) -> None:
        t0 = time.perf_counter()
        has_geom = ~parcels.geometries.missing  # empty ones count as missing
        self.parcels_without_geometry = int((~has_geom).sum())
        as_of = _first_date(parcels.properties, "as_of_date")
        self.run = run or RunInfo(1, as_of, None, len(parcels.ids))
        self.etag = etag
        self.source_crs = parcels.crs.to_string() if has_geom.any() else None
        without = (
            f" {self.parcels_without_geometry:,} of {len(has_geom):,} parcels have no geometry "
            '(`"geometry": null`): they are read as a table, match no `bbox` and are in no '
            "tile."
            if self.parcels_without_geometry
            else ""
        )
        self.parcels = Collection(
            "parcels",
            "宗地 Parcels",
            PARCELS_DESCRIPTION.format(without=without, as_of=as_of or "unknown", run=run_note),
            parcels.ids,
            parcels.properties,
            parcels.geometries,
            PARCEL_QUERYABLES,
            PARCEL_TILE_PROPERTIES,
            settings,
        )
        self._as_of = as_of
        self._park_rows: pd.DataFrame | None = None
        self._parks: Collection | None = None
        self._parks_inputs: tuple[Any, ...] | None = (parcels, parks_layer, has_geom, settings)
        self._parks_lock = threading.Lock()
        self._buildings: Collection | None = None
        if buildings is not None:
            self._buildings = Collection(
                "buildings",
                "建筑物 Buildings",
                "The building footprints (and building points) the analysis measured per "
                "parcel (`landuse analyse --buildings`): id, floors, height (m) and survey date, "
                "geometry in CRS84 longitude/latitude. Draw them at large scales.",
                buildings.ids,
                buildings.properties,
                buildings.geometries,
                BUILDING_QUERYABLES,
                BUILDING_TILE_PROPERTIES,
                settings,
            )
        release_memory()  # the file as read, and the temporary tables, are gone now
        log.info(
            "loaded %s: %d parcels (%d without geometry) in %.1f s",
            label,
            self.parcels.size,
            self.parcels_without_geometry,
            time.perf_counter() - t0,
        )
        # What only some requests need (the parcels' spatial boxes, the park summaries, the
        # park outlines: seconds for a province) is made in the background while the service
        # already answers pages; a request that needs it first waits for it.
        threading.Thread(target=self._prepare, name="landuse-prepare", daemon=True).start()

    def _prepare(self) -> None:
        try:
            _ = self.parcels.bbox  # the boxes in longitude/latitude, and the extent
            _ = self.parks
        except Exception:  # asked for again by the request that needs it, which reports it
            log.debug("preparing the results failed", exc_info=True)

    @property
    def park_rows(self) -> pd.DataFrame:
        """The summary of every group (park, else region), indexed by its name (computed
        once, when first needed or in the background after loading)."""
        if self._park_rows is None:
            with self._parks_lock:
                if self._park_rows is None:
                    self._park_rows = self._summaries()
        return self._park_rows

    def _summaries(self) -> pd.DataFrame:
        properties = self.parcels.properties
        summary = park_table(
            properties.arrow(
                [c for c in SUMMARY_INPUTS if c in properties.kinds], self.parcels.all_positions
            ),
            self._as_of,
            ~self.parcels.geometries.missing,
        )
        return summary.set_index("park", drop=False)

    @property
    def parks(self) -> Collection:
        """The parks collection: one feature per summary group (built once, when first
        needed or in the background after loading)."""
        if self._parks is None:
            summary = self.park_rows.reset_index(drop=True)
            with self._parks_lock:
                if self._parks is None:
                    assert self._parks_inputs is not None
                    self._parks = self._parks_collection(summary, *self._parks_inputs)
                    self._parks_inputs = None
                    release_memory()  # the hulls' working arrays
        return self._parks

    @property
    def _collections(self) -> dict[str, Collection]:
        found = {"parcels": self.parcels, "parks": self.parks}
        if self._buildings is not None:
            found["buildings"] = self._buildings
        return found

    def _parks_collection(
        self,
        summary: pd.DataFrame,
        parcels: Layer,
        parks_layer: Layer | None,
        has_geom: np.ndarray,
        settings: Settings,
    ) -> Collection:
        """One feature per summary group. A park's boundary comes from the results' parks
        layer, else it is the hull of its parcels; a region (or no group) has no boundary
        (``geometry: null``), nor has a park none of whose parcels has a geometry."""
        names = [str(n) for n in summary["park"].tolist()]
        is_park = (summary["group_kind"] == "park").to_numpy(dtype=bool)
        boundary = np.full(len(names), None, dtype=object)
        source = np.full(len(names), "none", dtype=object)
        self.unanalysed_outlines = pd.DataFrame(
            {"park": [], "boundary_source": [], "geometry": []}, dtype=object
        )
        if parks_layer is not None and "park" in parks_layer.properties.kinds:
            everything = np.arange(parks_layer.properties.size)
            layer_names = parks_layer.properties.column("park", everything)
            lonlat_layer = parks_layer.geometries.lonlat(everything)
            position = {str(n): i for i, n in enumerate(layer_names) if n is not None}
            for i in np.flatnonzero(is_park):  # one per park
                j = position.get(names[i])
                if j is not None and lonlat_layer[j] is not None:
                    boundary[i] = lonlat_layer[j]
                    source[i] = "parks layer"
            # boundaries of parks none of whose parcels were analysed: outlines, no summary
            groups = set(names)
            extra = [
                j
                for j, n in enumerate(layer_names)
                if n is not None and str(n) not in groups and lonlat_layer[j] is not None
            ]
            if extra:
                self.unanalysed_outlines = pd.DataFrame(
                    {
                        "park": [str(layer_names[j]) for j in extra],
                        "boundary_source": "parks layer",
                        "geometry": lonlat_layer[extra],
                    }
                )
        missing = np.flatnonzero(is_park & pd.isna(pd.Series(boundary)).to_numpy())
        if len(missing) and has_geom.any():
            park_col = group_names(  # the park (or no group): regions get no hull
                parcels.properties.frame([c for c in ("park",) if c in parcels.properties.kinds])
            )[has_geom]
            hulls = park_hulls(
                parcels.geometries.bounds[has_geom],
                park_col.reset_index(drop=True),
                [names[i] for i in missing],
            )
            boundary[missing] = to_lonlat(hulls, parcels.crs)
            source[missing[~shapely.is_missing(hulls)]] = "hull of parcels"
        table = pa.Table.from_pandas(summary.reset_index(drop=True), preserve_index=False)
        table = table.append_column("boundary_source", pa.array(source.tolist(), pa.string()))
        return Collection(
            "parks",
            "园区 Parks",
            PARKS_DESCRIPTION,
            np.arange(1, len(names) + 1, dtype=np.int64),
            PropertyTable.from_table(table),
            Geometries.of(np.asarray(boundary, dtype=object), CRS84_CRS),
            PARK_QUERYABLES,
            PARK_TILE_PROPERTIES,
            settings,
        )

    # ---- the ResultsView interface

    def collection_of(self, collection_id: str) -> Collection:
        """The in-memory collection ``collection_id`` (404 when there is none)."""
        if collection_id == "parcels":
            return self.parcels
        if collection_id == "parks":
            return self.parks
        if collection_id == "buildings" and self._buildings is not None:
            return self._buildings
        names = ["parcels", "parks", *(["buildings"] if self._buildings is not None else [])]
        raise NotFound(f"No collection {collection_id!r}; the collections are {', '.join(names)}.")

    def collections(self) -> list[CollectionInfo]:
        return [c.info() for c in self._collections.values()]

    def collection(self, collection_id: str) -> CollectionInfo:
        return self.collection_of(collection_id).info()

    def page(self, collection_id: str, query: Query) -> Page:
        return self.collection_of(collection_id).page(query)

    def feature(self, collection_id: str, feature_id: str) -> Page:
        return self.collection_of(collection_id).feature(feature_id)

    def tile(self, collection_id: str, z: int, x: int, y: int) -> bytes:
        return self.collection_of(collection_id).tile(z, x, y)

    def cached_tile(self, collection_id: str, z: int, x: int, y: int) -> bytes | None:
        return self.collection_of(collection_id).cached_tile(z, x, y)

    def json_schema(self, collection_id: str) -> dict[str, dict[str, Any]]:
        """JSON Schema of every property of a collection."""
        return self.collection_of(collection_id).json_schema()

    def park_summaries(self) -> pd.DataFrame:
        return self.park_rows

    def park_summary(self, park: str) -> pd.Series:
        """The summary row of ``park`` (a park, region or （未指定园区）; 404 when no parcel
        is in that group)."""
        if park not in self.park_rows.index:
            raise NotFound(
                f"No park or region {park!r} in the results; the summary groups are "
                f"{', '.join(map(str, self.park_rows.index))}."
            )
        return self.park_rows.loc[park]

    def park_outlines(self) -> pd.DataFrame:
        parks = self.parks
        positions = parks.all_positions[~parks.geometries.missing]
        outlines = pd.DataFrame(
            {
                "park": parks.properties.column("park", positions),
                "boundary_source": parks.properties.column("boundary_source", positions),
                "geometry": parks.geometries.lonlat(positions),
            }
        )
        if len(self.unanalysed_outlines) == 0:
            return outlines
        return pd.concat([outlines, self.unanalysed_outlines], ignore_index=True)

    def parcel_table(self, columns: Sequence[str], *, geometry: bool = True) -> pd.DataFrame:
        parcels = self.parcels
        present = [c for c in dict.fromkeys(columns) if c in parcels.properties.kinds]
        frame = parcels.properties.frame(present)
        if geometry:
            frame["geometry"] = parcels.geometries.all_lonlat()
        else:
            frame["has_geometry"] = ~parcels.geometries.missing
        return frame


def _first_date(properties: PropertyTable, name: str) -> str | None:
    """The first date of a date (or date-time) property, ``YYYY-MM-DD``."""
    value = properties.first(name)
    return None if value is None else str(value)[:10]


class ResultsStore(LoadedResults):
    """Everything served from one results file, computed once when it is loaded."""

    def __init__(self, identity: FileIdentity, settings: Settings) -> None:
        self.identity = identity
        parcels, parks_layer, buildings = read_results(identity.path)
        as_of = _first_date(parcels.properties, "as_of_date")
        recorded = dt.datetime.fromtimestamp(identity.mtime_ns / 1e9, dt.UTC)
        run = RunInfo(
            1,
            as_of,
            recorded.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            len(parcels.ids),
        )
        super().__init__(
            parcels,
            parks_layer,
            settings,
            run=run,
            etag=identity.etag,
            label=str(identity.path),
            buildings=buildings,
        )

    @property
    def as_of(self) -> str | None:
        return self.run.as_of_date


# --------------------------------------------------------------------------- provider


class StoreProvider:
    """The current :class:`ResultsStore` of the configured results file.

    ``get()`` costs one ``stat`` when the file has not changed. A changed file is loaded once
    it has been still for ``settle_s`` seconds (a file being written is not read half-way);
    until then, and while another request loads it, the previous store keeps serving. A file
    that is gone, or a changed file that cannot be loaded, drops the previous store and answers
    :class:`ResultsUnavailable` (503) naming the file, until a readable file is back at the
    path: results whose file is no longer there are never served.
    """

    def __init__(self, settings: Settings, settle_s: float = 1.0) -> None:
        self.settings = settings
        self.path = settings.results_path.expanduser().resolve()
        self.settle_s = settle_s
        self._store: ResultsStore | None = None
        self._failed: tuple[FileIdentity, str] | None = None
        self._loaded_once = False
        self._lock = threading.Lock()

    def fresh(self) -> ResultsStore | None:
        """The loaded store when the file has not changed since, else None (never loads nor
        raises; for async handlers, which must not block the event loop on a reload)."""
        store = self._store
        if store is None:
            return None
        try:
            identity = FileIdentity.of(self.path)
        except ResultsUnavailable:
            return None  # get() gives the answer
        return store if store.identity == identity else None

    def _known_failure(self, identity: FileIdentity) -> None:
        failed = self._failed
        if failed is not None and failed[0] == identity:
            raise ResultsUnavailable(failed[1])

    def _fail(self, identity: FileIdentity, message: str) -> ResultsUnavailable:
        self._store = None  # never again the results of a file that is not there
        self._failed = (identity, message)
        log.warning("results unavailable: %s", message)
        return ResultsUnavailable(message)

    def get(self) -> ResultsStore:
        """The store for the results file as it is now (:class:`ResultsUnavailable` when the
        file is gone or cannot be served)."""
        try:
            identity = FileIdentity.of(self.path)
        except ResultsUnavailable:
            self._store = None
            raise
        store = self._store
        if store is not None and store.identity == identity:
            return store
        self._known_failure(identity)
        if time.time() - identity.mtime_ns / 1e9 < self.settle_s:
            if store is not None:
                return store  # a new file being written: the old results until it is done
            if self._loaded_once:
                raise ResultsUnavailable(
                    f"结果文件正在写入 The results file {identity.path} is being written; "
                    "try again in a moment."
                )
        if store is not None and not self._lock.acquire(blocking=False):
            return store  # another request is loading the new file
        if store is None:
            self._lock.acquire()
        try:
            current = self._store
            if current is not None and current.identity == identity:
                return current
            self._known_failure(identity)
            try:
                new = ResultsStore(identity, self.settings)
            except ResultsUnavailable as exc:
                raise self._fail(identity, str(exc)) from None
            except Exception as exc:  # a half-written or foreign file
                raise self._fail(
                    identity,
                    f"结果文件不可用 The results file {identity.path} cannot be served: {exc}. "
                    + WHAT_RESULTS_ARE,
                ) from exc
            self._store = new
            self._failed = None
            self._loaded_once = True
            return new
        finally:
            self._lock.release()


__all__ = [
    "CRS84",
    "WHAT_RESULTS_ARE",
    "check_results_file",
    "read_results",
    "Collection",
    "FileIdentity",
    "ResultsStore",
    "StoreProvider",
    "ValueIndex",
]


# --------------------------------------------------------------------------- sources


class FileSource(ResultsSource):
    """A results file (``landuse analyse --out FILE.gpkg`` or ``.parquet``) as a results
    source: one run, whose id is 1, served from memory and reloaded when the file changes
    (:class:`StoreProvider`)."""

    def __init__(self, settings: Settings, provider: StoreProvider | None = None) -> None:
        if settings.results_path is None:
            raise ValueError("FileSource needs settings.results_path")
        self.provider = provider if provider is not None else StoreProvider(settings)
        self.path = settings.results_path
        self.name = settings.results_path.stem

    @classmethod
    def of_path(cls, path: str | os.PathLike[str]) -> FileSource:
        """The source of one results file with the default settings."""
        return cls(Settings(results_path=Path(path), store_path=None))

    def runs(self) -> list[RunInfo]:
        return [self.provider.get().run]

    def view(self, run: str | None = None, datetime: str | None = None) -> ResultsStore:
        store = self.provider.get()
        choose_run([store.run], run, datetime)  # 404/400 for another run or a bad date
        return store

    def fresh_view(self) -> ResultsStore | None:
        return self.provider.fresh()

    def load(self) -> None:
        """Load the results now (:class:`ResultsUnavailable` when they cannot be)."""
        self.provider.get()


class RunStoreSource(ResultsSource):
    """A store of runs (:mod:`landuse.runstore`, ``landuse analyse --store``) as a results
    source: every recorded run, the latest by default.

    The list of runs is read again when the store file changes (one ``stat`` per request); a
    run is loaded when first asked for, and the ``settings.run_cache_size`` most recently used
    runs stay in memory (runs never change, so a loaded run is never stale). Only the
    ``parcels`` and ``parks`` tables of a run are read.
    """

    def __init__(self, settings: Settings) -> None:
        if settings.store_path is None:
            raise ValueError("RunStoreSource needs settings.store_path")
        self.settings = settings
        self.path = settings.store_path.expanduser().resolve()
        self.name = self.path.stem
        self._listing: tuple[tuple[int, int], list[RunInfo], str] | None = None
        self._views: OrderedDict[tuple[str, int], LoadedResults] = OrderedDict()
        self._lock = threading.Lock()
        self._load_lock = threading.Lock()

    @property
    def multiple_runs(self) -> bool:
        return True

    def _unavailable(self, why: str) -> ResultsUnavailable:
        return ResultsUnavailable(
            f"运行记录库不可用 The store of runs {self.path} cannot be served: {why}. "
            + runstore.WHAT_A_STORE_IS
        )

    def _runs(self) -> tuple[list[RunInfo], str]:
        try:
            identity = runstore.store_identity(self.path)
        except OSError as exc:
            raise self._unavailable(exc.strerror or str(exc)) from None
        listing = self._listing
        if listing is not None and listing[0] == identity:
            return listing[1], listing[2]
        try:
            runs = [r.info for r in runstore.read_runs(self.path)]
            sid = runstore.store_id(self.path)
        except InputError as exc:
            raise self._unavailable(str(exc)) from None
        self._listing = (identity, runs, sid)
        return runs, sid

    def runs(self) -> list[RunInfo]:
        return self._runs()[0]

    def view(self, run: str | None = None, datetime: str | None = None) -> LoadedResults:
        runs, sid = self._runs()
        chosen = choose_run(runs, run, datetime)
        key = (sid, chosen.run_id)
        with self._lock:
            if key in self._views:
                self._views.move_to_end(key)
                return self._views[key]
        with self._load_lock:  # one load at a time: two requests for a run load it once
            with self._lock:
                if key in self._views:
                    return self._views[key]
            loaded = self._load(chosen, sid)
            with self._lock:
                self._views[key] = loaded
                while len(self._views) > self.settings.run_cache_size:
                    self._views.popitem(last=False)
        return loaded

    def _load(self, run: RunInfo, sid: str) -> LoadedResults:
        label = Path(f"{self.path} (run {run.run_id})")
        try:
            table = runstore.read_table(self.path, run.run_id, "parcels")
            parks_table = runstore.read_table(self.path, run.run_id, "parks")
        except (sqlite3.DatabaseError, pa.ArrowException) as exc:
            raise self._unavailable(f"run {run.run_id} cannot be read ({exc})") from None
        if table is None:
            raise self._unavailable(f"run {run.run_id} has no parcels table")
        parcels = geoparquet_layer(label, table)
        parks = (
            geoparquet_layer(label, parks_table, parcels=False) if parks_table is not None else None
        )
        return LoadedResults(
            parcels,
            parks,
            self.settings,
            run=run,
            etag=f"{sid[:12]}-{run.run_id}",
            label=str(label),
            run_note=f" (run {run.run_id})",
        )

    def inspections(self) -> InspectionLog:
        from landuse.inspection_store import StoreInspectionLog

        return StoreInspectionLog(self.path)

    def run_columns(self, run: RunInfo, columns: Sequence[str]) -> pd.DataFrame:
        table = runstore.read_table(self.path, run.run_id, "parcels", columns=list(columns))
        if table is None:
            raise self._unavailable(f"run {run.run_id} has no parcels table")
        return table.to_pandas()

    def fresh_view(self) -> LoadedResults | None:
        listing = self._listing
        if listing is None:
            return None
        try:
            if runstore.store_identity(self.path) != listing[0]:
                return None
        except OSError:
            return None
        latest = choose_run(listing[1], None, None) if listing[1] else None
        if latest is None:
            return None
        with self._lock:
            return self._views.get((listing[2], latest.run_id))
