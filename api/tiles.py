"""Vector tiles of a collection in the WebMercatorQuad tile matrix set (EPSG:3857, z/y/x).

A :class:`TileSource` is built once per results file: the features' tile properties already
encoded (:mod:`api.mvt`). Rendering a tile is a bounding-box query on the collection's STRtree,
the geometries of only those features in Web Mercator metres, a clip of only the features that
cross the (buffered) tile edge, and the vectorised encoder.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import numpy as np
import pyarrow as pa
import shapely

from api.grid_index import GridIndex
from api.mvt import EncodedProperties, encode_tile, encode_values, polygon_commands

EARTH_RADIUS_M = 6_378_137.0
ORIGIN_M = math.pi * EARTH_RADIUS_M  # half the world's width in EPSG:3857
TILE_MATRIX_SET = "WebMercatorQuad"
TILE_MATRIX_SET_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
MVT_MEDIA_TYPE = "application/vnd.mapbox-vector-tile"


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """``(minx, miny, maxx, maxy)`` of tile ``z/x/y`` in EPSG:3857 metres (row ``y`` from the
    top)."""
    size = 2 * ORIGIN_M / (1 << z)
    minx = -ORIGIN_M + x * size
    maxy = ORIGIN_M - y * size
    return minx, maxy - size, minx + size, maxy


def mercator_to_lonlat(x: float, y: float) -> tuple[float, float]:
    """EPSG:3857 metres to longitude/latitude degrees (exact inverse of the projection)."""
    lon = math.degrees(x / EARTH_RADIUS_M)
    lat = math.degrees(math.atan(math.sinh(y / EARTH_RADIUS_M)))
    return lon, lat


def lonlat_to_tile(lon: float, lat: float, z: int) -> tuple[int, int]:
    """``(x, y)`` of the zoom-``z`` tile holding a longitude/latitude."""
    n = 1 << z
    x = int((lon + 180.0) / 360.0 * n)
    lat_r = math.radians(max(min(lat, 85.05112878), -85.05112878))
    y = int((1.0 - math.asinh(math.tan(lat_r)) / math.pi) / 2.0 * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


class TileSource:
    """The features of one collection ready to be cut into Mapbox Vector Tiles.

    ``mercator(positions)`` gives the geometries of the features at ``positions`` in
    EPSG:3857; ``tree`` is a spatial index of boxes that hold the same features in
    longitude/latitude (a Web Mercator tile is a longitude/latitude rectangle, so one tree
    serves both the items ``bbox`` and the tiles), ``ids`` the feature ids and ``properties`` the
    attribute columns written into every feature (same order as the features).
    """

    def __init__(
        self,
        name: str,
        ids: np.ndarray,
        mercator: Callable[[np.ndarray], np.ndarray],
        tree: GridIndex,
        properties: Mapping[str, pa.Array | pa.ChunkedArray],
        *,
        extent: int = 4096,
        buffer: int = 64,
    ) -> None:
        self.name = name
        self.ids = np.asarray(ids, dtype=np.uint64)
        self.mercator = mercator
        self.tree = tree
        self.extent = extent
        self.buffer = buffer
        self.properties = EncodedProperties(
            [encode_values(key, values) for key, values in properties.items()], len(self.ids)
        )

    @property
    def fields(self) -> dict[str, str]:
        """Property name -> description (for TileJSON ``vector_layers``)."""
        return {key: key for key in self.properties.keys}

    def render(self, z: int, x: int, y: int) -> bytes:
        """The encoded tile ``z/x/y`` (row ``y`` from the top); empty bytes when no feature
        falls in it."""
        minx, miny, maxx, maxy = tile_bounds(z, x, y)
        size = maxx - minx
        scale = self.extent / size
        pad = self.buffer / scale
        lo_x, lo_y, hi_x, hi_y = minx - pad, miny - pad, maxx + pad, maxy + pad
        lon0, lat0 = mercator_to_lonlat(lo_x, max(lo_y, -ORIGIN_M))
        lon1, lat1 = mercator_to_lonlat(hi_x, min(hi_y, ORIGIN_M))
        candidates = self.tree.query(lon0, lat0, lon1, lat1)
        if len(candidates) == 0:
            return b""
        # the tree's boxes are widened: keep the features whose own box meets the tile's
        geoms = self.mercator(candidates)
        b = shapely.bounds(geoms)
        meets = (
            (b[:, 0] <= hi_x)
            & (b[:, 2] >= lo_x)
            & (b[:, 1] <= min(hi_y, ORIGIN_M))
            & (b[:, 3] >= max(lo_y, -ORIGIN_M))
        )
        if not meets.all():
            candidates, geoms, b = candidates[meets], geoms[meets], b[meets]
            if len(candidates) == 0:
                return b""
        unit = 1.0 / scale
        tiny = ((b[:, 2] - b[:, 0]) < unit) & ((b[:, 3] - b[:, 1]) < unit)
        crossing = ~tiny & (
            (b[:, 0] < lo_x) | (b[:, 1] < lo_y) | (b[:, 2] > hi_x) | (b[:, 3] > hi_y)
        )
        if crossing.any():
            geoms[crossing] = shapely.clip_by_rect(geoms[crossing], lo_x, lo_y, hi_x, hi_y)
        if tiny.any():
            # A feature smaller than one tile unit: the unit square holding its centre.
            gx = np.floor(((b[tiny, 0] + b[tiny, 2]) / 2 - minx) * scale)
            gy = np.floor((maxy - (b[tiny, 1] + b[tiny, 3]) / 2) * scale)
            geoms[tiny] = shapely.box(
                minx + gx / scale,
                maxy - (gy + 1) / scale,
                minx + (gx + 1) / scale,
                maxy - gy / scale,
            )
        n = len(candidates)
        geometry = polygon_commands(geoms, n, np.arange(n), (minx, maxy), scale)
        return encode_tile(
            self.name,
            self.ids[candidates],
            geometry,
            self.properties,
            candidates,
            self.extent,
        )
