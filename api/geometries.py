"""The geometries of a collection, held compactly and decoded where a request needs them.

A results file of a province holds millions of parcels. Their geometries are kept as WKB in
the file's CRS (about 100 bytes per parcel: a shapely geometry costs three times that, and
once more in longitude/latitude); a page of features, a ``bbox`` test at a query's edge or a
tile decodes and projects only its own features. What every query needs is kept for all
features: the bounds in the file's CRS (park outlines) and in longitude/latitude, the latter
widened by a small margin so that each holds its feature's exact longitude/latitude bounds
(projecting a box's corners is not exact: its edges bend), which makes them safe for
choosing candidates that are then tested exactly.
"""

from __future__ import annotations

import threading

import numpy as np
import pyarrow as pa
import pyproj
import shapely

from api.tiles import EARTH_RADIUS_M

COORD_DECIMALS = 7  # ~1 cm in longitude/latitude: the GeoJSON output's precision
CRS84 = pyproj.CRS.from_user_input("OGC:CRS84")
#: Decoding all geometries (for their bounds) goes in chunks of this many features.
DECODE_CHUNK = 100_000


def to_lonlat(geometry: np.ndarray, crs: pyproj.CRS, decimals: int = COORD_DECIMALS) -> np.ndarray:
    """Geometries in OGC:CRS84 (longitude, latitude), coordinates rounded to ``decimals``
    (1e-7 degree is about 1 cm: shorter GeoJSON; topology is not rebuilt)."""
    if crs.equals(CRS84, ignore_axis_order=True):
        return shapely.transform(geometry, lambda xy: np.round(xy, decimals))
    transformer = _to_crs84(crs)
    return shapely.transform(
        geometry,
        lambda xy: np.round(np.column_stack(transformer.transform(xy[:, 0], xy[:, 1])), decimals),
    )


def lonlat_to_mercator(geometry: np.ndarray) -> np.ndarray:
    """Longitude/latitude geometries in EPSG:3857 metres (spherical formulas, vectorised)."""
    limit = 85.05112878

    def project(xy: np.ndarray) -> np.ndarray:
        lat = np.radians(np.clip(xy[:, 1], -limit, limit))
        return np.column_stack(
            [
                np.radians(xy[:, 0]) * EARTH_RADIUS_M,
                np.log(np.tan(np.pi / 4 + lat / 2)) * EARTH_RADIUS_M,
            ]
        )

    return shapely.transform(geometry, project)


_TRANSFORMERS: dict[str, pyproj.Transformer] = {}


def _to_crs84(crs: pyproj.CRS) -> pyproj.Transformer:
    key = crs.to_wkt()
    if key not in _TRANSFORMERS:
        _TRANSFORMERS[key] = pyproj.Transformer.from_crs(crs, CRS84, always_xy=True)
    return _TRANSFORMERS[key]


def lonlat_bounds(bounds: np.ndarray, crs: pyproj.CRS) -> np.ndarray:
    """Longitude/latitude boxes (n x 4; NaN rows stay NaN) holding the features whose
    bounds in ``crs`` are ``bounds``: the box of the projected corners, widened by 1e-6
    degree (rounding to 1e-7, and the bend of a parcel-sized edge between two corners: about
    2e-7 degree for 1 km) plus 1 % of its size (the bend of a long edge)."""
    if len(bounds) == 0:
        return np.empty((0, 4))
    if crs.equals(CRS84, ignore_axis_order=True):
        out = bounds.astype(np.float64, copy=True)
    else:
        x0, y0, x1, y1 = bounds.T
        xs = np.concatenate([x0, x1, x1, x0])
        ys = np.concatenate([y0, y0, y1, y1])
        _to_crs84(crs).transform(xs, ys, inplace=True)
        lon, lat = xs.reshape(4, -1), ys.reshape(4, -1)
        out = np.column_stack([lon.min(0), lat.min(0), lon.max(0), lat.max(0)])
    pad = 1e-6 + 0.01 * np.maximum(out[:, 2] - out[:, 0], out[:, 3] - out[:, 1])
    out[:, :2] -= pad[:, None]
    out[:, 2:] += pad[:, None]
    return out


class Geometries:
    """The geometries of one collection (position ``i`` = feature ``i``).

    ``wkb``: one WKB value per feature (null: no geometry), in ``crs``. Empty geometries count
    as missing. ``bounds`` (n x 4, NaN where missing) are in ``crs``; ``lonlat_bounds`` in
    longitude/latitude, widened (see :func:`lonlat_bounds`).
    """

    def __init__(self, wkb: pa.Array, crs: pyproj.CRS, *, boxes: np.ndarray | None = None) -> None:
        """``boxes``: bounds in ``crs`` known without decoding (n x 4, NaN where a feature has
        no geometry, each box holding its feature: a GeoPackage's R-tree index); without
        them every geometry is decoded once for its bounds."""
        if isinstance(wkb, pa.ChunkedArray):
            wkb = wkb.combine_chunks()
        self.wkb = wkb
        self.crs = crs
        self._exact: np.ndarray | None = None
        if boxes is None:
            boxes = self._decoded_bounds()
            self._exact = boxes
        self.missing = np.isnan(boxes[:, 0])
        self._boxes: np.ndarray | None = boxes
        self._lonlat: np.ndarray | None = None
        self._lock = threading.Lock()

    @property
    def lonlat_bounds(self) -> np.ndarray:
        """Longitude/latitude boxes (n x 4, NaN where missing), each widened to hold its
        feature (:func:`lonlat_bounds`); projected once, when first asked for."""
        if self._lonlat is None:
            with self._lock:
                if self._lonlat is None:
                    assert self._boxes is not None
                    self._lonlat = lonlat_bounds(self._boxes, self.crs)
                    self._boxes = None
        return self._lonlat

    def _decoded_bounds(self) -> np.ndarray:
        wkb, n = self.wkb, len(self.wkb)
        bounds = np.full((n, 4), np.nan)
        for start in range(0, n, DECODE_CHUNK):  # a chunk's geometries are let go at once
            stop = min(start + DECODE_CHUNK, n)
            geoms = shapely.from_wkb(wkb.slice(start, stop - start).to_numpy(False))
            gone = shapely.is_missing(geoms) | shapely.is_empty(geoms)
            part = shapely.bounds(geoms)
            part[gone] = np.nan
            bounds[start:stop] = part
        return bounds

    @property
    def bounds(self) -> np.ndarray:
        """Exact bounds in the geometries' CRS (n x 4, NaN where missing); decoded once when
        first asked for when the geometries came with boxes."""
        if self._exact is None:
            exact = self._decoded_bounds()
            exact[self.missing] = np.nan
            self._exact = exact
        return self._exact

    @classmethod
    def of(cls, geoms: np.ndarray, crs: pyproj.CRS) -> Geometries:
        """From shapely geometries (None: no geometry)."""
        return cls(pa.array(shapely.to_wkb(np.asarray(geoms, dtype=object)), pa.binary()), crs)

    @classmethod
    def none(cls, n: int) -> Geometries:
        """``n`` features without a geometry."""
        return cls(pa.nulls(n, pa.binary()), CRS84)

    def __len__(self) -> int:
        return len(self.wkb)

    @property
    def any(self) -> bool:
        """Whether any feature has a geometry."""
        return not bool(self.missing.all())

    def take(self, positions: np.ndarray) -> Geometries:
        """The geometries at ``positions``, in that order."""
        return Geometries(self.wkb.take(pa.array(positions, pa.int64())), self.crs)

    def source(self, positions: np.ndarray) -> np.ndarray:
        """The geometries at ``positions`` in their own CRS (None where missing)."""
        positions = np.asarray(positions, dtype=np.int64)
        geoms = shapely.from_wkb(
            self.wkb.take(pa.array(positions, pa.int64())).to_numpy(zero_copy_only=False)
        )
        geoms[self.missing[positions]] = None
        return geoms

    def lonlat(self, positions: np.ndarray) -> np.ndarray:
        """The geometries at ``positions`` in CRS84, rounded as :func:`to_lonlat` does."""
        return to_lonlat(self.source(positions), self.crs)

    def mercator(self, positions: np.ndarray) -> np.ndarray:
        """The geometries at ``positions`` in EPSG:3857 (through the rounded CRS84 ones)."""
        return lonlat_to_mercator(self.lonlat(positions))

    def all_lonlat(self) -> np.ndarray:
        """Every geometry in CRS84 (for the map's table of every parcel)."""
        n = len(self)
        out = np.empty(n, dtype=object)
        for start in range(0, n, DECODE_CHUNK):
            stop = min(start + DECODE_CHUNK, n)
            out[start:stop] = self.lonlat(np.arange(start, stop))
        return out

    def extent(self) -> list[float] | None:
        """The exact CRS84 extent of the features that have a geometry (None: none has one).

        Only the features whose widened box reaches the widened extent's edge bands can hold
        an extreme coordinate; those few are decoded."""
        b = self.lonlat_bounds
        present = np.flatnonzero(~self.missing)
        if len(present) == 0:
            return None
        b = b[present]
        width = b[:, 2:] - b[:, :2]
        band = 2 * (1e-6 + 0.01 * width.max(axis=1)) + 1e-9
        near = (
            (b[:, 0] <= b[:, 0].min() + band.max())
            | (b[:, 1] <= b[:, 1].min() + band.max())
            | (b[:, 2] >= b[:, 2].max() - band.max())
            | (b[:, 3] >= b[:, 3].max() - band.max())
        )
        exact = shapely.bounds(self.lonlat(present[near]))
        return [
            float(np.nanmin(exact[:, 0])),
            float(np.nanmin(exact[:, 1])),
            float(np.nanmax(exact[:, 2])),
            float(np.nanmax(exact[:, 3])),
        ]


__all__ = ["Geometries", "lonlat_bounds", "lonlat_to_mercator", "to_lonlat"]
