"""The vectorised Mapbox Vector Tile encoder (api/mvt.py), decoded by the reference decoder
(mapbox-vector-tile). Expected tile coordinates are worked out by hand: a point (x, y) maps to
(x - 0, 4096 - y) with the origin at (0, 4096) and a scale of 1."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
import shapely
from mapbox_vector_tile import decode
from shapely.geometry import shape

from api.mvt import (
    EncodedProperties,
    encode_tile,
    encode_values,
    polygon_commands,
    varint_bytes,
    zigzag,
)

ORIGIN = (0.0, 4096.0)


def _encode(geoms: list, props: dict[str, pa.Array]) -> dict:
    n = len(geoms)
    geometry = polygon_commands(np.array(geoms, dtype=object), n, np.arange(n), ORIGIN, 1.0)
    encoded = EncodedProperties([encode_values(k, v) for k, v in props.items()], n)
    data = encode_tile("layer", np.arange(1, n + 1), geometry, encoded, np.arange(n))
    if not data:
        return {}
    return decode(data, default_options={"y_coord_down": True})["layer"]


def _protobuf_varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def test_varints_match_the_protobuf_definition():
    values = [0, 1, 127, 128, 300, 16383, 16384, 2**31, 2**35 + 7, 2**63 + 5]
    data, sizes = varint_bytes(np.array(values, dtype=np.uint64))
    assert data.tobytes() == b"".join(_protobuf_varint(v) for v in values)
    assert sizes.tolist() == [len(_protobuf_varint(v)) for v in values]
    assert zigzag(np.array([0, -1, 1, -2, 2])).tolist() == [0, 1, 2, 3, 4]


def test_polygon_with_hole_and_multipolygon_round_trip():
    square = shapely.box(10, 10, 100, 100)
    holed = shapely.Polygon(
        [(0, 0), (0, 50), (50, 50), (50, 0)], holes=[[(10, 10), (20, 10), (20, 20), (10, 20)]]
    )
    multi = shapely.MultiPolygon([shapely.box(200, 200, 300, 300), shapely.box(400, 400, 500, 500)])
    layer = _encode([square, holed, multi], {"name": pa.array(["a", "b", "c"])})
    by_id = {f["id"]: f for f in layer["features"]}
    first = shape(by_id[1]["geometry"])
    # y flips: 10..100 -> 4086..3996
    assert first.equals(shapely.box(10, 3996, 100, 4086))
    second = shape(by_id[2]["geometry"])
    assert len(second.interiors) == 1
    assert second.area == pytest.approx(50 * 50 - 10 * 10)
    third = shape(by_id[3]["geometry"])
    assert third.geom_type == "MultiPolygon" and len(third.geoms) == 2
    assert third.area == pytest.approx(2 * 100 * 100)
    assert [by_id[i]["properties"]["name"] for i in (1, 2, 3)] == ["a", "b", "c"]


def test_wrongly_wound_input_is_reoriented():
    # The same square listed clockwise and anticlockwise decodes to the same polygon.
    ccw = shapely.Polygon([(0, 0), (10, 0), (10, 10), (0, 10)])
    cw = shapely.Polygon([(0, 0), (0, 10), (10, 10), (10, 0)])
    layer = _encode([ccw, cw], {})
    areas = [shape(f["geometry"]).area for f in layer["features"]]
    assert areas == [100.0, 100.0]


def test_collapsed_polygons_are_dropped_and_empty_tiles_are_empty_bytes():
    tiny = shapely.box(1000, 1000, 1000.2, 1000.2)  # rounds to a point
    sliver = shapely.box(0, 0, 100, 0.3)  # rounds to a line
    assert _encode([tiny, sliver], {"name": pa.array(["x", "y"])}) == {}
    layer = _encode([tiny, shapely.box(0, 0, 5, 5)], {"name": pa.array(["x", "y"])})
    assert [f["id"] for f in layer["features"]] == [2]


def test_property_types_and_nulls():
    boxes = [shapely.box(i * 10, 0, i * 10 + 5, 5) for i in range(4)]
    layer = _encode(
        boxes,
        {
            "text": pa.array(["经开区", None, "经开区", "x"]),
            "number": pa.array([1.5, float("nan"), None, -2.25]),
            "flag": pa.array([True, False, None, True]),
            "count": pa.array([3, None, -7, 2**40]),
        },
    )
    props = {f["id"]: f["properties"] for f in layer["features"]}
    assert props[1] == {"text": "经开区", "number": 1.5, "flag": True, "count": 3}
    assert props[2] == {"flag": False}  # nulls and NaN get no tag
    assert props[3] == {"text": "经开区", "count": -7}
    assert props[4] == {"text": "x", "number": -2.25, "flag": True, "count": 2**40}
