"""GeoJSON of feature pages: typed properties and pre-serialised geometries, written by orjson.

Properties keep their types: numbers as JSON numbers (NaN and infinities as null), booleans as
true/false, dates as ``YYYY-MM-DD`` strings, text as strings. Work is per page (at most
``max_limit`` features): one Arrow ``take`` and one conversion per column; the only per-feature
step is assembling the feature dicts.
"""

from __future__ import annotations

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


def normalise_table(table: pa.Table) -> tuple[pa.Table, dict[str, str]]:
    """Properties ready to serve, and the kind of each column.

    Timestamps at midnight everywhere (the results' dates, as GeoParquet stores them) become
    dates; dates and timestamps are then stored as ISO text (their kind remembers what they
    are), floats stay floats, everything is one contiguous chunk.
    """
    columns: list[pa.Array] = []
    kinds: dict[str, str] = {}
    for name, col in zip(table.column_names, table.columns, strict=True):
        kind = kind_of(col.type)
        if kind == "date-time":
            as_date = col.cast(pa.date32())
            back = as_date.cast(col.type)
            if pc.all(pc.or_kleene(pc.equal(back, col), pc.is_null(col))).as_py() is not False:
                col, kind = as_date, "date"
            else:
                col = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")
        if kind == "date":
            col = col.cast(pa.date32()).cast(pa.string())
        elif kind == "number":
            col = col.cast(pa.float64())
        elif kind == "string" and not pa.types.is_string(col.type):
            col = col.cast(pa.string())
        columns.append(col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col)
        kinds[name] = kind
    return pa.table(columns, names=table.column_names), kinds


DICTIONARY_MAX = 200_000  # text columns with at most this many distinct values share objects


@dataclass(frozen=True)
class _Column:
    """One property prepared for fast page extraction.

    Either ``codes`` into ``objects`` (distinct Python values, the last one None: text with
    few distinct values, dates, booleans), or ``numbers`` (float64, NaN = null), or
    ``integers`` with ``missing``, or ``text`` (an Arrow array: text with many distinct values).
    """

    name: str
    kind: str
    codes: np.ndarray | None = None
    objects: np.ndarray | None = None
    numbers: np.ndarray | None = None
    integers: np.ndarray | None = None
    missing: np.ndarray | None = None
    text: pa.Array | None = None

    @classmethod
    def build(cls, name: str, kind: str, col: pa.Array) -> _Column:
        if kind == "number":
            return cls(name, kind, numbers=pc.fill_null(col, np.nan).to_numpy(zero_copy_only=False))
        if kind == "integer":
            missing = np.asarray(col.is_null().to_numpy(zero_copy_only=False), dtype=bool)
            ints = pc.fill_null(col, 0).to_numpy(zero_copy_only=False).astype(np.int64)
            return cls(name, kind, integers=ints, missing=missing if missing.any() else None)
        if kind == "boolean":
            codes = pc.fill_null(col.cast(pa.int8()), 2).to_numpy(zero_copy_only=False)
            objects = np.array([False, True, None], dtype=object)
            return cls(name, kind, codes=codes.astype(np.int32), objects=objects)
        encoded = col.dictionary_encode()
        if len(encoded.dictionary) <= DICTIONARY_MAX:
            codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
            objects = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)
            return cls(name, kind, codes=codes.astype(np.int32), objects=objects)
        return cls(name, kind, text=col)

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
        assert self.text is not None
        return self.text.take(pa.array(positions, type=pa.int64())).to_pylist()

    def array(self, positions: np.ndarray) -> pa.Array:
        """Values at ``positions`` as an Arrow array (missing numbers as null)."""
        if self.codes is not None and self.objects is not None:
            codes = self.codes[positions]
            distinct = self.objects[:-1]
            if self.kind == "boolean":
                values = pa.array(distinct.tolist(), type=pa.bool_())
                codes = np.where(codes == 2, -1, codes)
            else:
                values = pa.array(distinct.tolist(), type=pa.string())
            indices = pa.array(codes, type=pa.int32(), mask=codes < 0)
            return values.take(indices)
        if self.numbers is not None:
            numbers = self.numbers[positions]
            return pa.array(numbers, type=pa.float64(), mask=np.isnan(numbers))
        if self.integers is not None:
            mask = None if self.missing is None else self.missing[positions]
            return pa.array(self.integers[positions], type=pa.int64(), mask=mask)
        assert self.text is not None
        return self.text.take(pa.array(positions, type=pa.int64()))

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
        assert self.text is not None
        return pd.Series(self.text.to_numpy(zero_copy_only=False), name=self.name, dtype=object)


class PropertyTable:
    """The properties of a collection's features (position ``i`` = feature ``i``), held as
    numpy arrays and shared Python objects so that a page costs one gather per column."""

    def __init__(self, table: pa.Table, kinds: dict[str, str]) -> None:
        self.kinds = kinds
        self.names: list[str] = list(table.column_names)
        self.size = table.num_rows
        self._columns = [
            _Column.build(name, kinds[name], table.column(name).combine_chunks())
            for name in self.names
        ]

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
