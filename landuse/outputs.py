"""Writing results: GeoPackage, GeoParquet, CSV and the Excel workbook, chosen by extension.

Amounts are rounded to 0.01 万元 here, when written, never inside the analysis.
"""

from __future__ import annotations

import errno
import itertools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyogrio
import shapely

from landuse.errors import InputError
from landuse.inspections import INSPECTION_COLUMNS
from landuse.layer_writer import LayerWriter
from landuse.schema import (
    DERIVED_COLUMNS,
    INPUT_NAMES,
    MONEY_COLUMNS,
    SOURCE_FILE,
    SOURCE_ROW,
)
from landuse.styles import (
    GPKG_DATASET_OPTIONS,
    style_file_paths,
    style_geopackage,
)
from landuse.workbook import formula_like

OUTPUT_SUFFIXES = (".gpkg", ".parquet", ".csv", ".xlsx")


def output_columns(frame: pd.DataFrame) -> list[str]:
    """Result columns in their public order: inputs, derived, provenance (geometry last)."""
    order = [*INPUT_NAMES, *DERIVED_COLUMNS, *INSPECTION_COLUMNS, SOURCE_FILE, SOURCE_ROW]
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


def layer_frame(frame: pd.DataFrame, crs) -> pd.DataFrame:
    """A GeoDataFrame when some row has a geometry, else a plain attribute table."""
    if "geometry" in frame.columns and frame["geometry"].notna().any():
        return gpd.GeoDataFrame(frame, geometry="geometry", crs=crs)
    return pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))


def _arrow_column(values: pd.Series, name: str) -> pa.Array:
    """One column as Arrow without an intermediate pandas copy: amounts rounded to 0.01 万元,
    datetimes as dates, text as UTF-8 strings."""
    array = _to_arrow(values, name)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _to_arrow(values: pd.Series, name: str) -> pa.Array | pa.ChunkedArray:
    dtype = values.dtype
    if name in MONEY_COLUMNS:
        rounded_wan = np.round(values.to_numpy(dtype=float, na_value=np.nan), 2)
        return pa.array(rounded_wan, from_pandas=True)
    if pd.api.types.is_datetime64_any_dtype(dtype):
        days = values.to_numpy().astype("datetime64[D]")
        return pa.array(days, type=pa.date32(), from_pandas=True)
    if isinstance(dtype, pd.CategoricalDtype):
        # GDAL takes plain strings, not dictionary-encoded ones
        decoded = pa.array(values, from_pandas=True).dictionary_decode()
        return decoded if not pa.types.is_null(decoded.type) else decoded.cast(pa.string())
    if isinstance(dtype, pd.StringDtype) or pd.api.types.is_object_dtype(dtype):
        return pa.array(values, type=pa.string(), from_pandas=True)
    return pa.array(values, from_pandas=True)


def _multi(geoms: np.ndarray) -> np.ndarray:
    """Polygons as one-part MultiPolygons so a layer has one geometry type."""
    single = shapely.get_type_id(geoms) == 3
    if single.any():
        geoms = geoms.copy()
        idx = np.flatnonzero(single)
        geoms[idx] = shapely.multipolygons(geoms[idx], indices=np.arange(len(idx)))
    return geoms


BATCH_ROWS = 65_536
#: Little-endian WKB header of a MultiPolygon of one part: a Polygon's WKB after it makes one.
_ONE_PART_MULTIPOLYGON = b"\x01\x06\x00\x00\x00\x01\x00\x00\x00"


def _wkb(geoms: np.ndarray, promote: bool) -> pa.Array:
    """Little-endian WKB of ``geoms`` (None stays null); with ``promote``, polygons become
    one-part MultiPolygons by prefixing their WKB (no geometry is rebuilt)."""
    wkb = pa.array(shapely.to_wkb(geoms, byte_order=1), type=pa.binary())
    if not promote:
        return wkb
    single = shapely.get_type_id(geoms) == 3
    if not single.any():
        return wkb
    if shapely.has_z(geoms[single]).any():  # the header differs with Z; rebuild instead
        return pa.array(shapely.to_wkb(_multi(geoms), byte_order=1), type=pa.binary())
    prefixed = pc.binary_join_element_wise(
        pa.scalar(_ONE_PART_MULTIPOLYGON, pa.binary()), wkb, pa.scalar(b"", pa.binary())
    )
    return pc.if_else(pa.array(single), prefixed, wkb)


def layer_geometry_type(geoms: np.ndarray) -> str:
    """``Polygon`` when every geometry is one, ``MultiPolygon`` when polygons and
    multipolygons mix (the polygons are then promoted), else ``Unknown``."""
    kinds = set(np.unique(shapely.get_type_id(geoms[~shapely.is_missing(geoms)])).tolist())
    if kinds <= {3}:
        return "Polygon"
    if kinds <= {3, 6}:
        return "MultiPolygon"
    return "Unknown"


def _arrow_batches(
    frame: pd.DataFrame,
    promote: bool = False,
    geometry: bool | None = None,
    rows: int = BATCH_ROWS,
) -> tuple[pa.Schema, Iterator[pa.RecordBatch], bool]:
    """The frame as Arrow record batches of ``rows`` rows (geometry as WKB), so only
    one batch of text and WKB is materialised at a time; also says whether it has geometry
    (whether some row has one, unless ``geometry`` says). ``promote`` turns polygons into
    one-part multipolygons."""
    names = [c for c in frame.columns if c != "geometry"]
    has_geometry = "geometry" in frame.columns and (
        bool(frame["geometry"].notna().any()) if geometry is None else geometry
    )

    def batch(start: int) -> pa.RecordBatch:
        part = frame.iloc[start : start + rows]
        arrays = [_arrow_column(part[c], c) for c in names]
        if has_geometry:
            geoms = np.asarray(part["geometry"].to_numpy(), dtype=object)
            arrays.append(_wkb(geoms, promote))
        return pa.RecordBatch.from_arrays(arrays, names=[*names, *(["geometry"] * has_geometry)])

    first = batch(0)

    def batches() -> Iterator[pa.RecordBatch]:
        yield first
        for start in range(rows, len(frame), rows):
            yield batch(start).cast(first.schema)

    return first.schema, batches(), has_geometry


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """The whole frame as one Arrow table (geometry as WKB)."""
    schema, batches, _ = _arrow_batches(frame)
    return pa.Table.from_batches(list(batches), schema=schema)


def _write_layer(path: Path, name: str, frame: pd.DataFrame, crs) -> None:
    geometry_type = "Unknown"
    if "geometry" in frame.columns:
        geometry_type = layer_geometry_type(np.asarray(frame["geometry"].to_numpy(), dtype=object))
    schema, batches, has_geometry = _arrow_batches(frame, promote=geometry_type == "MultiPolygon")
    first = next(batches, None)
    needed = _layer_bytes(first, len(frame))
    batches = itertools.chain([first] if first is not None else [], batches)
    options = _layer_options(path, name, has_geometry, geometry_type, crs)
    try:
        if len(frame) >= CHILD_WRITER_ROWS:
            # GDAL writes on the other core while the next batches are converted
            with LayerWriter(path, **options) as writer:
                for batch in batches:
                    writer.write(batch)
        else:
            pyogrio.write_arrow(pa.RecordBatchReader.from_batches(schema, batches), path, **options)
    except RuntimeError as exc:
        os_error = _os_error_of(exc, path, needed)
        if os_error is None:
            raise
        raise os_error from exc


def _layer_bytes(batch: pa.RecordBatch | None, rows: int) -> int:
    """About the bytes a layer of ``rows`` rows takes in a GeoPackage, from one of its batches
    (the file holds about as many bytes as the Arrow data)."""
    if batch is None or batch.num_rows == 0:
        return 0
    return int(batch.nbytes / batch.num_rows * rows)


#: Layers of this many rows or more are written by a child process (:mod:`landuse.layer_writer`).
CHILD_WRITER_ROWS = 131_072
#: Rows per batch sent to the child: about 45 MB of a result row's hundred columns.
STREAM_BATCH_ROWS = 32_768


def _layer_options(path: Path, name: str, has_geometry: bool, geometry_type: str, crs) -> dict:
    """:func:`pyogrio.write_arrow`'s options for layer ``name`` of the GeoPackage ``path``."""
    append = path.exists()
    options: dict = {
        "layer": name,
        "driver": "GPKG",
        "append": append,
        # the GeoPackage version is fixed when the file is created (first layer)
        "dataset_options": None if append else GPKG_DATASET_OPTIONS,
    }
    if has_geometry:
        options["geometry_name"] = "geometry"
        options["geometry_type"] = geometry_type
        options["crs"] = crs.to_wkt() if crs is not None else None
    return options


# What GDAL and SQLite say when the disk, not the data, is the problem.
_GDAL_OS_ERRORS = (
    ("disk is full", errno.ENOSPC),
    ("no space left on device", errno.ENOSPC),
    ("read-only file system", errno.EROFS),
    ("attempt to write a readonly database", errno.EROFS),
    ("permission denied", errno.EACCES),
)


def _os_error_of(exc: RuntimeError, path: Path, needed_bytes: int = 0) -> OSError | None:
    """The OSError behind a GDAL writing error (a full disk, a read-only disk, no permission),
    so that it is reported as what it is; None for any other error. GDAL may report only
    SQLite's failed rollback after the disk filled up (the file then shrinks back): a failure
    with less free space in the folder than the layer needs (``needed_bytes``) is a full disk."""
    text = str(exc).lower()
    for phrase, code in _GDAL_OS_ERRORS:
        if phrase in text:
            return OSError(code, os.strerror(code), str(path))
    if needed_bytes and _free_bytes(path.parent) < needed_bytes:
        return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    return None


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 2**63  # unknown: never taken for a full disk


def write_gpkg(
    path: Path,
    parcels: pd.DataFrame,
    rejects: pd.DataFrame,
    summary: pd.DataFrame,
    parks: gpd.GeoDataFrame | None,
    crs,
    buildings: gpd.GeoDataFrame | None = None,
    *,
    parcels_written: bool = False,
) -> None:
    """Layers ``parcels`` (with geometry where there is one), ``rejects``, table ``summary``,
    when park boundaries were given, ``parks``, and when footprints were given, ``buildings``
    (the footprints and points as read, in the parcels' CRS). With ``parcels_written`` the
    file already holds the parcels layer (written by a :class:`GpkgParcelStream`)."""
    if not parcels_written:
        if path.exists():
            path.unlink()
        _write_layer(path, "parcels", parcels[output_columns(parcels)], crs)
    _write_layer(path, "rejects", rejects, crs)
    _write_layer(path, "summary", pd.DataFrame(summary), None)
    if parks is not None:
        _write_layer(path, "parks", parks, parks.crs)
    if buildings is not None:
        _write_layer(path, "buildings", buildings, buildings.crs)
    style_geopackage(path)


class GpkgParcelStream:
    """The ``parcels`` layer of a results GeoPackage at ``path`` (a new file), written by a
    child process (:class:`landuse.layer_writer.LayerWriter`) while the analysis goes on: a
    :class:`landuse.pipeline.ParcelSink`. Layers of fewer than :data:`CHILD_WRITER_ROWS`
    parcels, or without geometry, are declined and written by :func:`write_gpkg` as usual.
    After the analysis :meth:`close` (or :meth:`abort` on failure); :attr:`streamed` says
    whether the layer was written here."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.streamed = False
        self._writer: LayerWriter | None = None
        self._schema: pa.Schema | None = None
        self._promote = False
        self._rows = 0
        self._needed_bytes = 0

    def begin(self, crs, geometry_type: str | None, rows: int) -> bool:
        if geometry_type is None or rows < CHILD_WRITER_ROWS:
            return False
        self.path.unlink(missing_ok=True)
        self._promote = geometry_type == "MultiPolygon"
        self._rows = rows
        options = _layer_options(self.path, "parcels", True, geometry_type, crs)
        self._writer = LayerWriter(self.path, **options)
        self.streamed = True
        return True

    def write(self, parcels: gpd.GeoDataFrame) -> None:
        if self._writer is None:
            return
        frame = parcels[output_columns(parcels)]
        _, batches, _ = _arrow_batches(
            frame, promote=self._promote, geometry=True, rows=STREAM_BATCH_ROWS
        )
        for batch in batches:
            if self._schema is None:
                self._schema = batch.schema
                self._needed_bytes = _layer_bytes(batch, self._rows)
            self._writer.write(batch if batch.schema == self._schema else batch.cast(self._schema))

    def close(self) -> None:
        """Wait for the layer to be written; a full or read-only disk raises OSError."""
        if self._writer is None:
            return
        writer, self._writer = self._writer, None
        try:
            writer.close()
        except RuntimeError as exc:
            os_error = _os_error_of(exc, self.path, self._needed_bytes)
            if os_error is None:
                raise
            raise os_error from exc

    def abort(self) -> None:
        """Stop the child and remove what it wrote, SQLite's journal files included."""
        if self._writer is not None:
            self._writer.abort()
            self._writer = None
            for suffix in ("", "-journal", "-wal", "-shm"):
                Path(f"{self.path}{suffix}").unlink(missing_ok=True)


def rejects_path(out: str | Path) -> Path:
    """Where the rejects of a ``.parquet`` or ``.csv`` output go: ``<stem>_rejects<suffix>``."""
    path = Path(out)
    return path.with_name(f"{path.stem}_rejects{path.suffix}")


def load_report_path(out: str | Path) -> Path:
    """Where the load report of an output goes: ``<stem>_load_report.csv`` beside it."""
    path = Path(out)
    return path.with_name(f"{path.stem}_load_report.csv")


def output_paths(out: str | Path) -> list[Path]:
    """Every file ``landuse analyse --out out`` writes: ``out`` first, then the rejects beside
    a ``.parquet`` or ``.csv`` output (the ``.qml`` and ``.sld`` styles beside a ``.gpkg``),
    then the load report."""
    path = Path(out)
    suffix = path.suffix.lower()
    beside: list[Path] = []
    if suffix in (".parquet", ".csv"):
        beside = [rejects_path(path)]
    elif suffix == ".gpkg":
        beside = list(style_file_paths(path))
    return [path, *beside, load_report_path(path)]


def write_parquet(
    path: Path, parcels: pd.DataFrame, rejects: pd.DataFrame, crs, rejects_to: Path | None = None
) -> Path:
    """GeoParquet of the parcels; the rejects beside it as ``<stem>_rejects.parquet`` (or at
    ``rejects_to``), whose path is returned."""
    frame = rounded(parcels[output_columns(parcels)])
    layer_frame(frame, crs).to_parquet(path, index=False)
    beside = rejects_to or rejects_path(path)
    layer_frame(rejects, crs).to_parquet(beside, index=False)
    return beside


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell that Excel would take as a formula prefixed with ``'``
    (the workbook's rule, :func:`landuse.workbook.formula_like`), so that Excel shows
    ``=HYPERLINK(...)`` or ``@SUM(1)`` from the data as text. Numbers stay numbers."""
    changed: dict[object, pd.Series] = {}
    for name in frame.columns:  # a loop over columns; each column is converted whole
        risky = formula_like(frame[name])
        if risky.any():
            values = frame[name].to_numpy(dtype=object).copy()
            values[risky] = np.char.add("'", values[risky].astype(str)).astype(object)
            changed[name] = pd.Series(values, index=frame.index, name=name)
    if not changed:
        return frame
    out = frame.copy(deep=False)
    for name, column in changed.items():
        out[name] = column
    return out


def write_table_csv(path: Path, frame: pd.DataFrame) -> None:
    """One table as CSV for Excel: UTF-8 with a BOM (Excel then shows the Chinese text), dates
    as YYYY-MM-DD, formula-like text made safe with :func:`csv_safe`."""
    csv_safe(frame).to_csv(path, index=False, encoding="utf-8-sig", date_format="%Y-%m-%d")


def write_csv(
    path: Path, parcels: pd.DataFrame, rejects: pd.DataFrame, rejects_to: Path | None = None
) -> Path:
    """The analysed rows, one per parcel, column names of RULES.md (no geometry); rejects
    beside it as ``<stem>_rejects.csv`` (or at ``rejects_to``) with ``reason`` first, whose
    path is returned. Both through :func:`write_table_csv`."""
    cols = [c for c in output_columns(parcels) if c != "geometry"]
    write_table_csv(path, rounded(parcels[cols]))
    beside = rejects_to or rejects_path(path)
    rej_cols = ["reason", *[c for c in rejects.columns if c not in ("reason", "geometry")]]
    write_table_csv(beside, rejects[rej_cols])
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
