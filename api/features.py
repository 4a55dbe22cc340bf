"""GeoJSON of feature pages: typed properties and pre-serialised geometries, written by orjson.

Properties keep their types: numbers as JSON numbers (NaN and infinities as null), booleans as
true/false, dates as ``YYYY-MM-DD`` strings, text as strings. Work is per page (at most
``max_limit`` features): one Arrow ``take`` and one conversion per column; the only per-feature
step is assembling the feature dicts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

#: JSON Schema type and format of each property kind.
JSON_TYPES: dict[str, dict[str, str]] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "integer": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "date-time": {"type": "string", "format": "date-time"},
}


def kind_of(arrow_type: pa.DataType) -> str:
    """The property kind (a key of :data:`JSON_TYPES`) of an Arrow column type."""
    if pa.types.is_boolean(arrow_type):
        return "boolean"
    if pa.types.is_integer(arrow_type):
        return "integer"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "number"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_timestamp(arrow_type):
        return "date-time"
    return "string"


def normalise_column(
    col: pa.Array | pa.ChunkedArray,
) -> tuple[pa.Array | pa.ChunkedArray, str]:
    """One column ready to serve and its kind (chunks are kept: :class:`PropertyTable`
    converts them without joining them first).

    Timestamps at midnight everywhere (the results' dates, as GeoParquet stores them) become
    dates (``date32``); other timestamps become ISO text (their kind remembers what they are);
    numbers become float64; text stays text (dictionary-encoded text stays so).
    """
    if isinstance(col, pa.ChunkedArray) and col.num_chunks == 1:
        col = col.chunk(0)
    if pa.types.is_dictionary(col.type) and pa.types.is_string(col.type.value_type):
        return col, "string"
    kind = kind_of(col.type)
    if kind == "date-time":
        as_date = col.cast(pa.date32())
        back = as_date.cast(col.type)
        if pc.all(pc.or_kleene(pc.equal(back, col), pc.is_null(col))).as_py() is not False:
            return as_date, "date"
        return pc.strftime(col, format="%Y-%m-%dT%H:%M:%S"), kind
    if kind == "date":
        return col.cast(pa.date32()), kind
    if kind == "number":
        return col.cast(pa.float64()), kind
    if kind == "string" and not pa.types.is_string(col.type):
        return col.cast(pa.string()), kind
    return col, kind


DICTIONARY_MAX = 200_000  # text columns with at most this many distinct values share objects


def _small_codes(codes: np.ndarray, null: int) -> np.ndarray:
    """``codes`` (-1 for null) with null as ``null`` (the index of the None object), in the
    smallest unsigned type that holds them: one or two bytes per value for most columns."""
    dtype = np.uint8 if null < 1 << 8 else np.uint16 if null < 1 << 16 else np.int32
    out = codes.astype(dtype)
    out[codes < 0] = null
    return out


_NULL_TYPES: dict[str, pa.DataType] = {
    "number": pa.float64(),
    "integer": pa.int64(),
    "boolean": pa.bool_(),
}


@dataclass(frozen=True)
class _Column:
    """One property prepared for fast page extraction.

    Either ``codes`` into ``objects`` (distinct Python values, the last one None, which null
    values point to: text with few distinct values, dates, booleans; codes take one or two
    bytes each), or ``numbers`` (float64, NaN = null), or ``integers`` with ``missing``, or
    ``text`` (an Arrow array: text with many distinct values), or none of them when every
    value is null (``size`` values).
    """

    name: str
    kind: str
    size: int
    codes: np.ndarray | None = None
    objects: np.ndarray | None = None
    numbers: np.ndarray | None = None
    integers: np.ndarray | None = None
    missing: np.ndarray | None = None
    text: pa.Array | None = None

    @property
    def empty(self) -> bool:
        """Whether every value is null (nothing is held)."""
        return (
            self.codes is None
            and self.numbers is None
            and self.integers is None
            and self.text is None
        )

    @classmethod
    def build(cls, name: str, kind: str, col: pa.Array | pa.ChunkedArray) -> _Column:
        size = len(col)
        if size and col.null_count == size:
            return cls(name, kind, size)
        if kind == "number":  # float64 (normalised): a null becomes NaN
            return cls(name, kind, size, numbers=col.to_numpy(zero_copy_only=False))
        if kind == "integer":
            missing = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            ints = pc.fill_null(col, 0).to_numpy(zero_copy_only=False).astype(np.int64)
            return cls(name, kind, size, integers=ints, missing=missing if missing.any() else None)
        if kind == "boolean":
            codes = pc.fill_null(col.cast(pa.int8()), 2).to_numpy(zero_copy_only=False)
            objects = np.array([False, True, None], dtype=object)
            return cls(name, kind, size, codes=codes.astype(np.uint8), objects=objects)
        encoded = col if pa.types.is_dictionary(col.type) else col.dictionary_encode()
        if isinstance(encoded, pa.ChunkedArray):  # chunks that share one dictionary
            encoded = (
                encoded.combine_chunks()
                if encoded.num_chunks
                else pa.DictionaryArray.from_arrays(
                    pa.array([], pa.int32()), pa.array([], col.type)
                )
            )
        if len(encoded.dictionary) <= DICTIONARY_MAX:
            codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
            distinct = encoded.dictionary
            if kind == "date":  # dates as ISO text, converted once per distinct date
                distinct = distinct.cast(pa.date32()).cast(pa.string())
            objects = np.array([*distinct.to_pylist(), None], dtype=object)
            return cls(
                name, kind, size, codes=_small_codes(codes, len(objects) - 1), objects=objects
            )
        if isinstance(col, pa.ChunkedArray):
            col = col.combine_chunks()
        if pa.types.is_dictionary(col.type):
            col = col.dictionary.take(col.indices)
        if kind == "date":
            col = col.cast(pa.date32()).cast(pa.string())
        return cls(name, kind, size, text=col)

    def values(self, positions: np.ndarray) -> list[Any]:
        """Python values at ``positions`` (None for null; NaN for a missing number, which
        orjson writes as null)."""
        if self.codes is not None and self.objects is not None:
            return self.objects[self.codes[positions]].tolist()
        if self.numbers is not None:
            return self.numbers[positions].tolist()
        if self.integers is not None:
            ints = self.integers[positions].tolist()
            if self.missing is not None:
                gone = self.missing[positions]
                ints = [None if m else v for v, m in zip(ints, gone.tolist(), strict=True)]
            return ints
        if self.text is not None:
            return self.text.take(pa.array(positions, type=pa.int64())).to_pylist()
        return [math.nan if self.kind == "number" else None] * len(positions)

    def array(self, positions: np.ndarray) -> pa.Array:
        """Values at ``positions`` as an Arrow array (missing numbers as null)."""
        if self.codes is not None and self.objects is not None:
            codes = self.codes[positions]
            distinct = self.objects[:-1]
            kind = pa.bool_() if self.kind == "boolean" else pa.string()
            values = pa.array(distinct.tolist(), type=kind)
            indices = pa.array(codes, mask=codes == len(distinct)).cast(pa.int32())
            return values.take(indices)
        if self.numbers is not None:
            numbers = self.numbers[positions]
            return pa.array(numbers, type=pa.float64(), mask=np.isnan(numbers))
        if self.integers is not None:
            mask = None if self.missing is None else self.missing[positions]
            return pa.array(self.integers[positions], type=pa.int64(), mask=mask)
        if self.text is not None:
            return self.text.take(pa.array(positions, type=pa.int64()))
        return pa.nulls(len(positions), _NULL_TYPES.get(self.kind, pa.string()))

    def series(self) -> pd.Series:
        """Every value as a pandas Series (text and dates as objects, numbers as float64 with
        NaN, integers as Int64, booleans as objects with None)."""
        if self.codes is not None and self.objects is not None:
            return pd.Series(self.objects[self.codes], name=self.name, dtype=object)
        if self.numbers is not None:
            return pd.Series(self.numbers, name=self.name)
        if self.integers is not None:
            values = pd.array(self.integers, dtype="Int64")
            if self.missing is not None:
                values[self.missing] = pd.NA
            return pd.Series(values, name=self.name)
        if self.text is not None:
            return pd.Series(self.text.to_numpy(zero_copy_only=False), name=self.name, dtype=object)
        if self.kind == "number":
            return pd.Series(np.full(self.size, np.nan), name=self.name)
        if self.kind == "integer":
            return pd.Series(pd.array([pd.NA] * self.size, dtype="Int64"), name=self.name)
        return pd.Series([None] * self.size, name=self.name, dtype=object)


class PropertyTable:
    """The properties of a collection's features (position ``i`` = feature ``i``), held as
    numpy arrays and shared Python objects so that a page costs one gather per column."""

    def __init__(self, columns: Sequence[_Column], size: int) -> None:
        self._columns = list(columns)
        self.names: list[str] = [c.name for c in self._columns]
        self.kinds: dict[str, str] = {c.name: c.kind for c in self._columns}
        self.size = size

    @classmethod
    def from_table(cls, table: pa.Table) -> PropertyTable:
        """The properties of an Arrow table, one column at a time: each column of ``table``
        is normalised (:func:`normalise_column`) and converted, then let go, so that the
        table and its conversion are never held whole at once (when the caller holds no other
        reference to ``table``)."""
        size = table.num_rows
        columns = []
        for name in list(table.column_names):
            col, kind = normalise_column(table.column(name))
            table = table.drop_columns([name])
            columns.append(_Column.build(name, kind, col))
            del col
        return cls(columns, size)

    @classmethod
    def joined(cls, parts: Sequence[PropertyTable]) -> PropertyTable:
        """The columns of ``parts`` (tables of the same features) side by side, in order."""
        size = parts[0].size if parts else 0
        return cls([col for part in parts for col in part._columns], size)

    def take(self, positions: np.ndarray) -> PropertyTable:
        """The properties of the features at ``positions``, in that order."""
        positions = np.asarray(positions, dtype=np.int64)
        table = pa.table(
            [c.array(positions) for c in self._columns], names=[c.name for c in self._columns]
        )
        columns = [
            _Column.build(c.name, c.kind, table.column(c.name).combine_chunks())
            for c in self._columns
        ]
        return PropertyTable(columns, len(positions))

    def distinct(self, name: str) -> list[Any] | None:
        """The distinct non-null values of a text or date property held as codes (None for
        other properties, and for text with many distinct values)."""
        col = self._columns[self.names.index(name)]
        if col.kind == "boolean" or col.objects is None:
            return None
        return [v for v in col.objects[:-1].tolist() if v is not None]

    def codes(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """``(codes, objects)`` of a property held as codes (``objects[codes]`` are its
        values; the last object is None, and a null's code is its index), else None."""
        col = self._columns[self.names.index(name)]
        if col.codes is None or col.objects is None:
            return None
        return col.codes, col.objects

    def first(self, name: str) -> Any:
        """The first non-null value of a property (None when it has none or is absent)."""
        if name not in self.kinds:
            return None
        col = self._columns[self.names.index(name)]
        if col.codes is not None and col.objects is not None:
            present = np.flatnonzero(col.codes < len(col.objects) - 1)  # the last is None
            return col.objects[col.codes[present[0]]] if len(present) else None
        values = col.array(np.arange(self.size, dtype=np.int64))
        valid = pc.drop_null(values)
        return valid[0].as_py() if len(valid) else None

    def rows(self, positions: np.ndarray) -> list[dict[str, Any]]:
        """The properties of the features at ``positions`` as dicts (typed values)."""
        positions = np.asarray(positions, dtype=np.int64)
        values = [col.values(positions) for col in self._columns]
        names = self.names
        return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]

    def column(self, name: str, positions: np.ndarray) -> list[Any]:
        """One property's values at ``positions``."""
        return self._columns[self.names.index(name)].values(np.asarray(positions, np.int64))

    def arrow(self, names: Sequence[str], positions: np.ndarray) -> pa.Table:
        """The properties ``names`` at ``positions`` as an Arrow table (e.g. to sort them)."""
        positions = np.asarray(positions, dtype=np.int64)
        columns = [self._columns[self.names.index(name)].array(positions) for name in names]
        return pa.table(columns, names=list(names))

    def frame(self, names: Sequence[str]) -> pd.DataFrame:
        """The properties ``names`` of every feature as a pandas DataFrame (position order)."""
        return pd.DataFrame(
            {name: self._columns[self.names.index(name)].series() for name in names},
            index=pd.RangeIndex(self.size),
        )

    def json_schema_properties(self) -> dict[str, dict[str, Any]]:
        """JSON Schema of every property (single types; a value may be null)."""
        return {name: {"title": name, **JSON_TYPES[self.kinds[name]]} for name in self.names}


def geometry_json(geoms: np.ndarray) -> list[orjson.Fragment | None]:
    """GeoJSON geometry text of each geometry, ready to embed (no re-parsing); None (JSON
    ``null``, as OGC API Features allows) for a feature without a geometry."""
    return [
        None if text is None else orjson.Fragment(text)
        for text in shapely.to_geojson(geoms).tolist()
    ]


def features(
    ids: Sequence[int], geoms: np.ndarray, properties: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """GeoJSON Feature dicts (geometry already serialised)."""
    return [
        {"type": "Feature", "id": fid, "geometry": geom, "properties": props}
        for fid, geom, props in zip(ids, geometry_json(geoms), properties, strict=True)
    ]


def dumps(document: Any) -> bytes:
    """JSON bytes (UTF-8, NaN as null, numpy scalars and arrays allowed)."""
    return orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY)
