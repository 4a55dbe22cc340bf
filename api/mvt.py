"""Mapbox Vector Tile (MVT 2.1) encoding on whole arrays: numpy + shapely 2, no per-feature loop.

A tile is one protobuf ``Tile`` holding one ``Layer``. Everything variable-length is built as
flat arrays with offsets: the geometry command stream of every feature, the tags, the property
values; then all protobuf varints of the layer are written by one vectorised call
(:func:`varint_bytes`). Coordinates are in tile units (0..extent, y down); polygons are
clipped to the tile plus a buffer, quantised, cleaned of repeated points, oriented as the spec
wants (exterior rings positive area in tile coordinates, holes negative) and dropped when they
collapse. A feature smaller than one tile unit becomes a one-unit square, so tiny parcels stay
visible at low zoom.

Property values are prepared once per results file by :func:`encode_values`: for each property,
an integer code per feature (-1 = null, no tag) and the encoded ``Value`` message of each
distinct value. A tile then only gathers the codes of its features.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

# Protobuf keys (field number << 3 | wire type).
_TILE_LAYERS = 0x1A  # Tile.layers = 3, length-delimited
_LAYER_NAME = 0x0A  # Layer.name = 1
_LAYER_FEATURES = 0x12  # Layer.features = 2
_LAYER_KEYS = 0x1A  # Layer.keys = 3
_LAYER_VALUES = 0x22  # Layer.values = 4
_LAYER_EXTENT = 0x28  # Layer.extent = 5, varint
_LAYER_VERSION = 0x78  # Layer.version = 15, varint
_FEATURE_ID = 0x08  # Feature.id = 1, varint
_FEATURE_TAGS = 0x12  # Feature.tags = 2, packed
_FEATURE_TYPE = 0x18  # Feature.type = 3, varint
_FEATURE_GEOMETRY = 0x22  # Feature.geometry = 4, packed
_VALUE_STRING = 0x0A  # Value.string_value = 1
_VALUE_DOUBLE = 0x19  # Value.double_value = 3, 64-bit
_VALUE_SINT = 0x30  # Value.sint_value = 6, zigzag varint
_VALUE_BOOL = 0x38  # Value.bool_value = 7, varint

POLYGON = 3  # GeomType.POLYGON
_MOVE_TO_1 = (1 & 0x7) | (1 << 3)
_CLOSE_PATH = (7 & 0x7) | (1 << 3)
_LINE_TO = 2


# --------------------------------------------------------------------------- array helpers


def ragged_positions(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Indices ``starts[i] + 0 .. starts[i] + lengths[i] - 1`` for every ``i``, concatenated."""
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    out_starts = np.cumsum(lengths) - lengths
    return np.repeat(np.asarray(starts, dtype=np.int64) - out_starts, lengths) + np.arange(total)


def ragged_take(
    flat: np.ndarray, offsets: np.ndarray, index: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Rows ``index`` of a ragged array (``flat`` values, ``offsets`` of length rows + 1)."""
    starts = offsets[index]
    lengths = offsets[index + 1] - starts
    out_offsets = np.zeros(len(index) + 1, dtype=np.int64)
    np.cumsum(lengths, out=out_offsets[1:])
    return flat[ragged_positions(starts, lengths)], out_offsets


_VARINT_LIMITS = np.array([1 << (7 * k) for k in range(1, 10)], dtype=np.uint64)


def varint_sizes(values: np.ndarray) -> np.ndarray:
    """Bytes each unsigned value takes as a protobuf varint (1..10)."""
    v = np.asarray(values, dtype=np.uint64)
    return np.searchsorted(_VARINT_LIMITS, v, side="right").astype(np.int64) + 1


def varint_bytes(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every value as a protobuf varint, concatenated; returns ``(uint8 bytes, sizes)``."""
    v = np.asarray(values, dtype=np.uint64)
    sizes = varint_sizes(v)
    out = np.empty(int(sizes.sum()), dtype=np.uint8)
    starts = np.cumsum(sizes) - sizes
    for k in range(int(sizes.max(initial=0))):
        has = sizes > k
        chunk = (v[has] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = np.where(sizes[has] > k + 1, np.uint64(0x80), np.uint64(0))
        out[starts[has] + k] = (chunk | more).astype(np.uint8)
    return out, sizes


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def zigzag(values: np.ndarray) -> np.ndarray:
    """Signed integers as protobuf zigzag unsigned integers."""
    v = np.asarray(values, dtype=np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def _interleave(
    head: np.ndarray, head_sizes: np.ndarray, body: np.ndarray, body_sizes: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Entry ``i`` = ``head_i + body_i`` for ragged byte arrays; returns flat bytes + offsets."""
    sizes = head_sizes + body_sizes
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    out = np.empty(int(offsets[-1]), dtype=np.uint8)
    out[ragged_positions(offsets[:-1], head_sizes)] = head
    out[ragged_positions(offsets[:-1] + head_sizes, body_sizes)] = body
    return out, offsets


# --------------------------------------------------------------------------- property values


@dataclass(frozen=True)
class EncodedProperty:
    """One property of a tile layer: per-feature codes into its distinct values.

    ``codes[i]`` is the index of feature ``i``'s value in the distinct values (-1 = null, the
    feature gets no tag); ``value_bytes[value_offsets[j]:value_offsets[j + 1]]`` is distinct
    value ``j`` encoded as a complete ``Layer.values`` entry (key, length, ``Value`` message).
    """

    key: str
    codes: np.ndarray
    value_bytes: np.ndarray
    value_offsets: np.ndarray


def _wrap_values(messages: np.ndarray, sizes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``Value`` messages -> ``Layer.values`` entries (key 0x22 + varint length + message)."""
    tokens = np.column_stack([np.full(len(sizes), _LAYER_VALUES), sizes]).ravel()
    head, head_sizes = varint_bytes(tokens)
    return _interleave(head, head_sizes.reshape(-1, 2).sum(axis=1), messages, sizes)


def _string_values(dictionary: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    strings = dictionary.cast(pa.large_string())
    data = np.frombuffer(strings.buffers()[2] or b"", dtype=np.uint8)
    offs = np.frombuffer(strings.buffers()[1], dtype=np.int64)[
        strings.offset : strings.offset + len(strings) + 1
    ]
    lengths = np.diff(offs)
    body = data[ragged_positions(offs[:-1], lengths)]
    tokens = np.column_stack([np.full(len(lengths), _VALUE_STRING), lengths]).ravel()
    head, head_sizes = varint_bytes(tokens)
    messages, moffs = _interleave(head, head_sizes.reshape(-1, 2).sum(axis=1), body, lengths)
    return _wrap_values(messages, np.diff(moffs))


def _double_values(uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(uniques)
    messages = np.empty((n, 9), dtype=np.uint8)
    messages[:, 0] = _VALUE_DOUBLE
    messages[:, 1:] = np.ascontiguousarray(uniques, dtype="<f8").view(np.uint8).reshape(n, 8)
    return _wrap_values(messages.ravel(), np.full(n, 9, dtype=np.int64))


def _varint_values(key: int, uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    n = len(uniques)
    tokens = np.column_stack([np.full(n, key, dtype=np.uint64), uniques.astype(np.uint64)])
    messages, sizes = varint_bytes(tokens.ravel())
    return _wrap_values(messages, sizes.reshape(-1, 2).sum(axis=1))


def encode_values(key: str, values: pa.Array | pa.ChunkedArray) -> EncodedProperty:
    """Codes and encoded distinct values of one property (strings, floats, ints or booleans;
    nulls and NaN get no tag). Runs once per results file."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    kind = values.type
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_dictionary(kind):
        encoded = values.dictionary_encode() if not pa.types.is_dictionary(kind) else values
        codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
        value_bytes, offsets = _string_values(encoded.dictionary)
        return EncodedProperty(key, codes.astype(np.int64), value_bytes, offsets)
    if pa.types.is_boolean(kind):
        arr = pc.fill_null(values.cast(pa.int8()), -1).to_numpy(zero_copy_only=False)
        value_bytes, offsets = _varint_values(_VALUE_BOOL, np.array([0, 1]))
        return EncodedProperty(key, arr.astype(np.int64), value_bytes, offsets)
    if pa.types.is_integer(kind):
        arr = values.cast(pa.int64())
        valid = ~np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        nums = pc.fill_null(arr, 0).to_numpy(zero_copy_only=False)
        uniques, inverse = np.unique(nums[valid], return_inverse=True)
        codes = np.full(len(nums), -1, dtype=np.int64)
        codes[valid] = inverse
        value_bytes, offsets = _varint_values(_VALUE_SINT, zigzag(uniques))
        return EncodedProperty(key, codes, value_bytes, offsets)
    nums = pc.fill_null(values.cast(pa.float64()), np.nan).to_numpy(zero_copy_only=False)
    valid = np.isfinite(nums)
    uniques, inverse = np.unique(nums[valid], return_inverse=True)
    codes = np.full(len(nums), -1, dtype=np.int64)
    codes[valid] = inverse
    value_bytes, offsets = _double_values(uniques)
    return EncodedProperty(key, codes, value_bytes, offsets)


class EncodedProperties:
    """Several :class:`EncodedProperty` merged for one layer: ``codes[i, k]`` is feature
    ``i``'s value of property ``k`` as an index into all properties' distinct values (-1 =
    null), whose encoded ``Layer.values`` entries are ``value_bytes`` split by
    ``value_offsets``. A tile then needs one gather and one ``unique`` for all its tags."""

    def __init__(self, properties: list[EncodedProperty], n: int) -> None:
        self.keys = [p.key for p in properties]
        distinct = sum(len(p.value_offsets) - 1 for p in properties)
        self.codes = np.full(
            (n, len(properties)), -1, dtype=np.int32 if distinct < 2**31 else np.int64
        )
        chunks: list[np.ndarray] = []
        offsets: list[np.ndarray] = [np.zeros(1, dtype=np.int64)]
        base = 0
        end = 0
        for k, prop in enumerate(properties):
            valid = prop.codes >= 0
            self.codes[valid, k] = prop.codes[valid] + base
            base += len(prop.value_offsets) - 1
            chunks.append(prop.value_bytes)
            offsets.append(prop.value_offsets[1:] + end)
            end += int(prop.value_offsets[-1])
        self.value_bytes = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint8)
        self.value_offsets = np.concatenate(offsets)
        self.key_bytes = b"".join(
            bytes([_LAYER_KEYS]) + _varint(len(kb)) + kb for kb in (k.encode() for k in self.keys)
        )


# --------------------------------------------------------------------------- geometry


def _polygon_parts(geoms: np.ndarray, owners: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-empty polygons of ``geoms`` (multi-polygons and collections exploded), with the
    feature each came from, in feature order."""
    parts, where = shapely.get_parts(geoms, return_index=True)
    owner = owners[where]
    kinds = shapely.get_type_id(parts)
    nested = kinds >= 4  # Multi* and GeometryCollection (clipping can make them)
    while nested.any():
        sub, sub_where = shapely.get_parts(parts[nested], return_index=True)
        parts = np.concatenate([parts[~nested], sub])
        owner = np.concatenate([owner[~nested], owner[nested][sub_where]])
        kinds = shapely.get_type_id(parts)
        nested = kinds >= 4
    keep = (kinds == 3) & ~shapely.is_empty(parts)
    parts, owner = parts[keep], owner[keep]
    order = np.argsort(owner, kind="stable")
    return parts[order], owner[order]


def polygon_commands(
    geoms: np.ndarray,
    n_features: int,
    owners: np.ndarray,
    origin: tuple[float, float],
    scale: float,
) -> tuple[np.ndarray, np.ndarray]:
    """MVT command streams of polygonal geometries.

    ``geoms`` (projected, e.g. EPSG:3857) belong to features ``owners`` (0 .. n_features - 1,
    ascending); a point ``(x, y)`` maps to tile units ``((x - origin[0]) * scale,
    (origin[1] - y) * scale)``, rounded. Returns ``(tokens uint64, offsets)`` with feature ``i``'s
    commands in ``tokens[offsets[i]:offsets[i + 1]]`` (empty when everything collapsed).
    """
    parts, part_owner = _polygon_parts(geoms, owners)
    empty = np.zeros(0, dtype=np.uint64), np.zeros(n_features + 1, dtype=np.int64)
    if len(parts) == 0:
        return empty
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    coords = shapely.get_coordinates(rings)
    ring_offsets = np.zeros(len(rings) + 1, dtype=np.int64)
    np.cumsum(shapely.get_num_coordinates(rings), out=ring_offsets[1:])
    poly_offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(ring_part, minlength=len(parts)), out=poly_offsets[1:])
    qx = np.rint((coords[:, 0] - origin[0]) * scale).astype(np.int64)
    qy = np.rint((origin[1] - coords[:, 1]) * scale).astype(np.int64)
    n_rings = len(ring_offsets) - 1
    ring_of_point = np.repeat(np.arange(n_rings), np.diff(ring_offsets))

    # Drop each ring's closing point, then repeated points (after quantisation).
    keep = np.ones(len(qx), dtype=bool)
    keep[ring_offsets[1:][np.diff(ring_offsets) > 0] - 1] = False
    qx, qy, ring_of_point = qx[keep], qy[keep], ring_of_point[keep]
    same = np.zeros(len(qx), dtype=bool)
    same[1:] = (ring_of_point[1:] == ring_of_point[:-1]) & (qx[1:] == qx[:-1]) & (qy[1:] == qy[:-1])
    qx, qy, ring_of_point = qx[~same], qy[~same], ring_of_point[~same]
    counts = np.bincount(ring_of_point, minlength=n_rings)
    starts = np.cumsum(counts) - counts
    # A ring whose last point came back onto its first loses the last point.
    has = counts > 1
    last = starts[has] + counts[has] - 1
    back = (qx[last] == qx[starts[has]]) & (qy[last] == qy[starts[has]])
    if back.any():
        drop = np.zeros(len(qx), dtype=bool)
        drop[last[back]] = True
        qx, qy, ring_of_point = qx[~drop], qy[~drop], ring_of_point[~drop]
        counts = np.bincount(ring_of_point, minlength=n_rings)
        starts = np.cumsum(counts) - counts

    # Signed area (surveyor's formula, tile units, y down): exteriors > 0, holes < 0.
    nxt = np.arange(1, len(qx) + 1)
    ends = starts + counts - 1
    nxt[ends[counts > 0]] = starts[counts > 0]
    cross = qx * qy[nxt] - qx[nxt] * qy
    area2 = np.bincount(ring_of_point, weights=cross, minlength=n_rings)
    poly_of_ring = np.repeat(np.arange(len(poly_offsets) - 1), np.diff(poly_offsets))
    exterior = np.zeros(n_rings, dtype=bool)
    exterior[poly_offsets[:-1][np.diff(poly_offsets) > 0]] = True
    usable = (counts >= 3) & (area2 != 0)
    poly_ok = np.zeros(len(poly_offsets) - 1, dtype=bool)
    poly_ok[poly_of_ring[exterior & usable]] = True
    ring_ok = usable & poly_ok[poly_of_ring]
    if not ring_ok.any():
        return empty

    # Reverse rings with the wrong orientation.
    reverse = np.where(exterior, area2 < 0, area2 > 0)
    order = np.arange(len(qx))
    flip = reverse[ring_of_point]
    r = ring_of_point[flip]
    order[flip] = starts[r] + (counts[r] - 1) - (order[flip] - starts[r])
    qx, qy = qx[order], qy[order]

    point_ok = ring_ok[ring_of_point]
    qx, qy, ring_of_point = qx[point_ok], qy[point_ok], ring_of_point[point_ok]
    rings = np.flatnonzero(ring_ok)
    counts = counts[rings]
    ring_owner = part_owner[poly_of_ring[rings]]
    point_owner = np.repeat(ring_owner, counts)

    # Deltas from the cursor, which starts at (0, 0) for each feature.
    dx = np.diff(qx, prepend=0)
    dy = np.diff(qy, prepend=0)
    first = np.ones(len(qx), dtype=bool)
    first[1:] = point_owner[1:] != point_owner[:-1]
    dx[first] = qx[first]
    dy[first] = qy[first]

    ring_tokens = 2 * counts + 3  # MoveTo, dx, dy, LineTo(n - 1), 2 (n - 1) deltas, ClosePath
    ring_start = np.cumsum(ring_tokens) - ring_tokens
    tokens = np.empty(int(ring_tokens.sum()), dtype=np.uint64)
    tokens[ring_start] = _MOVE_TO_1
    tokens[ring_start + 3] = (_LINE_TO | ((counts - 1) << 3)).astype(np.uint64)
    tokens[ring_start + ring_tokens - 1] = _CLOSE_PATH
    point_start = np.repeat(ring_start, counts)
    j = np.arange(len(qx)) - np.repeat(np.cumsum(counts) - counts, counts)
    pos = np.where(j == 0, point_start + 1, point_start + 2 * j + 2)
    tokens[pos] = zigzag(dx)
    tokens[pos + 1] = zigzag(dy)

    per_feature = np.bincount(ring_owner, weights=ring_tokens, minlength=n_features)
    offsets = np.zeros(n_features + 1, dtype=np.int64)
    np.cumsum(per_feature.astype(np.int64), out=offsets[1:])
    return tokens, offsets


# --------------------------------------------------------------------------- layer and tile


def encode_tile(
    name: str,
    ids: np.ndarray,
    geometry: tuple[np.ndarray, np.ndarray],
    properties: EncodedProperties,
    positions: np.ndarray,
    extent: int = 4096,
) -> bytes:
    """A ``Tile`` with one layer ``name``; empty bytes when no feature has a geometry.

    ``ids`` are the feature ids (unsigned), ``geometry`` the ``(tokens, offsets)`` of
    :func:`polygon_commands`, ``positions`` the rows of ``properties`` of these features (same
    order as ``ids``).
    """
    tokens, offsets = geometry
    geom_counts = np.diff(offsets)
    present = geom_counts > 0
    if not present.any():
        return b""
    n = int(present.sum())
    ids = np.asarray(ids, dtype=np.uint64)[present]
    geom_tokens, geom_offsets = ragged_take(tokens, offsets, np.flatnonzero(present))
    geom_counts = np.diff(geom_offsets)

    # Tags: (key index, value index) pairs; values deduplicated within the tile.
    codes = properties.codes[np.asarray(positions)[present]]
    valid = codes >= 0
    uniques, inverse = np.unique(codes[valid], return_inverse=True)
    keys = np.broadcast_to(np.arange(codes.shape[1]), codes.shape)[valid]
    tags = np.column_stack([keys, inverse]).ravel().astype(np.uint64)
    tag_counts = 2 * valid.sum(axis=1)
    tag_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(tag_counts, out=tag_offsets[1:])
    values, _ = ragged_take(properties.value_bytes, properties.value_offsets, uniques)

    # Byte lengths of the packed fields and of each feature message.
    tag_sizes = varint_sizes(tags)
    geom_sizes = varint_sizes(geom_tokens)
    tag_len = np.add.reduceat(np.append(tag_sizes, 0), tag_offsets[:-1]) * (tag_counts > 0)
    geom_len = np.add.reduceat(np.append(geom_sizes, 0), geom_offsets[:-1]) * (geom_counts > 0)
    feature_len = (
        1
        + varint_sizes(ids)
        + 1
        + varint_sizes(tag_len)
        + tag_len
        + 2
        + 1
        + varint_sizes(geom_len)
        + geom_len
    )

    # One token stream for all features:
    # [features key, len, id key, id, tags key, len, tags.., type key, 3, geometry key, len, ..]
    per_feature = 10 + tag_counts + geom_counts
    start = np.cumsum(per_feature) - per_feature
    stream = np.empty(int(per_feature.sum()), dtype=np.uint64)
    stream[start] = _LAYER_FEATURES
    stream[start + 1] = feature_len.astype(np.uint64)
    stream[start + 2] = _FEATURE_ID
    stream[start + 3] = ids
    stream[start + 4] = _FEATURE_TAGS
    stream[start + 5] = tag_len.astype(np.uint64)
    stream[ragged_positions(start + 6, tag_counts)] = tags
    mid = start + 6 + tag_counts
    stream[mid] = _FEATURE_TYPE
    stream[mid + 1] = POLYGON
    stream[mid + 2] = _FEATURE_GEOMETRY
    stream[mid + 3] = geom_len.astype(np.uint64)
    stream[ragged_positions(mid + 4, geom_counts)] = geom_tokens
    features, _ = varint_bytes(stream)

    name_bytes = name.encode()
    head = bytes([_LAYER_VERSION, 2, _LAYER_NAME]) + _varint(len(name_bytes)) + name_bytes
    tail = bytes([_LAYER_EXTENT]) + _varint(extent)
    layer = b"".join((head, features.tobytes(), properties.key_bytes, values.tobytes(), tail))
    return bytes([_TILE_LAYERS]) + _varint(len(layer)) + layer
