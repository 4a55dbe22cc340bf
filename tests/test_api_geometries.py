"""How the service holds a province's geometries: WKB decoded per request, widened
longitude/latitude boxes for choosing candidates, the grid index and the GeoPackage's R-tree.

Expected answers are computed here by brute force (every box tested) or with geopandas, never
with the code under test."""

from __future__ import annotations

import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pyproj
import pytest
import shapely

from api.features import dumps
from api.geometries import Geometries
from api.grid_index import MAX_CELLS, GridIndex
from api.store import FileSource, _rtree_boxes
from landuse.source import Query


def _brute(bounds: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    x0, y0, x1, y1 = box
    b = bounds
    with np.errstate(invalid="ignore"):
        keep = (b[:, 0] <= x1) & (b[:, 2] >= x0) & (b[:, 1] <= y1) & (b[:, 3] >= y0)
    return np.flatnonzero(keep)


def test_the_grid_index_finds_exactly_the_boxes_a_brute_force_test_finds() -> None:
    rng = np.random.default_rng(7)
    n = 5000
    x = rng.uniform(0, 100, n)
    y = rng.uniform(0, 50, n)
    w = rng.uniform(0.05, 0.6, n)
    h = rng.uniform(0.05, 0.6, n)
    bounds = np.column_stack([x, y, x + w, y + h])
    bounds[rng.choice(n, 40, replace=False)] = np.nan  # features without a geometry
    big = rng.choice(n, 12, replace=False)  # park-sized ones, listed apart from the grid
    bounds[big, 2] = bounds[big, 0] + 30
    bounds[big, 3] = bounds[big, 1] + 20
    bounds[3] = [10, 10, 10, 10]  # a point
    index = GridIndex(bounds)
    assert len(index.apart) >= 12
    queries = [
        (10, 10, 10, 10),  # touching the point counts
        (-5, -5, 200, 200),  # everything
        (50, 20, 51, 21),
        (99.9, 49.9, 130, 60),  # across the edge of the grid
        (-20, -20, -10, -10),  # outside it: only nothing
        (150, 0, 160, 100),  # beyond it, where only a big box could reach
        (30, 0, 30.0001, 50),  # a thin strip
        (5, 5, 4, 6),  # min > max: nothing
        *((float(a), float(b), float(a) + 3, float(b) + 2) for a, b in rng.uniform(0, 95, (40, 2))),
    ]
    for q in queries:
        expected = _brute(bounds, q) if q[0] <= q[2] else np.zeros(0, dtype=np.int64)
        np.testing.assert_array_equal(index.query(*q), expected, err_msg=str(q))
    # each box listed in at most MAX_CELLS cells, nothing lost
    assert index.members.size <= MAX_CELLS * n
    assert index.nbytes < 40 * n


def test_an_empty_index_answers_nothing() -> None:
    index = GridIndex(np.full((3, 4), np.nan))
    assert index.query(-180, -90, 180, 90).tolist() == []


def test_widened_lonlat_boxes_hold_each_feature_and_the_extent_is_exact() -> None:
    """Parcels of 100 m to 20 km in a Gauss-Kruger zone (EPSG:4529): the box of a parcel's
    projected corners, once in longitude/latitude and widened, holds the parcel's exact
    longitude/latitude bounds; the collection's extent equals geopandas' own."""
    crs = pyproj.CRS.from_epsg(4529)
    rng = np.random.default_rng(3)
    n = 300
    x = rng.uniform(41_400_000, 41_600_000, n)
    y = rng.uniform(3_000_000, 3_200_000, n)
    size = np.exp(rng.uniform(np.log(100), np.log(20_000), n))
    tilt = [
        shapely.affinity.rotate(shapely.box(a, b, a + s, b + s * 0.7), r)
        for a, b, s, r in zip(x, y, size, rng.uniform(0, 90, n), strict=True)
    ]
    geoms = np.array([*tilt, None, shapely.Polygon()], dtype=object)
    held = Geometries.of(geoms, crs)
    assert held.missing.tolist() == [False] * n + [True, True]
    exact = gpd.GeoSeries(list(tilt), crs=crs).to_crs("OGC:CRS84").bounds.to_numpy()
    box = held.lonlat_bounds[:n]
    assert (box[:, 0] <= exact[:, 0]).all() and (box[:, 1] <= exact[:, 1]).all()
    assert (box[:, 2] >= exact[:, 2]).all() and (box[:, 3] >= exact[:, 3]).all()
    assert np.isnan(held.lonlat_bounds[n:]).all()
    extent = held.extent()
    assert extent == pytest.approx(
        [exact[:, 0].min(), exact[:, 1].min(), exact[:, 2].max(), exact[:, 3].max()], abs=1e-7
    )
    # decoded per request: the features asked for, in longitude/latitude (None: missing)
    some = held.lonlat(np.array([n + 1, 5, n]))
    assert some[0] is None and some[2] is None
    assert shapely.bounds(some[1]) == pytest.approx(exact[5], abs=1e-7)


def test_a_geopackage_without_its_rtree_is_served_the_same(
    sample_park_gpkg: Path, tmp_path: Path
) -> None:
    """With the R-tree, boxes come from the index (32-bit floats rounded outwards); without it
    every geometry is decoded for its bounds: same extent, same bbox answers, same pages."""
    with_index = tmp_path / "with.gpkg"
    shutil.copy(sample_park_gpkg, with_index)
    without = tmp_path / "without.gpkg"
    for layer in ("parcels", "parks"):
        df = gpd.read_file(with_index, layer=layer)
        df.to_file(without, layer=layer, engine="pyogrio", SPATIAL_INDEX="NO")
    info = pyogrio.read_info(with_index, layer="parcels")
    fids = np.arange(1, info["features"] + 1)
    boxes = _rtree_boxes(with_index, "parcels", "geom", fids)
    assert boxes is not None
    assert _rtree_boxes(without, "parcels", "geom", fids) is None
    exact = shapely.bounds(gpd.read_file(with_index, layer="parcels").geometry.to_numpy())
    have = ~np.isnan(exact[:, 0])
    assert (np.isnan(boxes[:, 0]) == ~have).all()
    assert (boxes[have, :2] <= exact[have, :2]).all() and (boxes[have, 2:] >= exact[have, 2:]).all()

    a = FileSource.of_path(with_index).view()
    b = FileSource.of_path(without).view()
    assert a.collection("parcels").bbox == pytest.approx(b.collection("parcels").bbox, abs=1e-9)
    x0, y0, x1, y1 = a.collection("parcels").bbox
    for frac in (0.2, 0.5, 0.8):
        mx, my = x0 + (x1 - x0) * frac, y0 + (y1 - y0) * frac
        query = Query(bbox=(mx - 0.003, my - 0.002, mx + 0.003, my + 0.002), limit=1000)
        pa_, pb = a.page("parcels", query), b.page("parcels", query)
        assert pa_.ids == pb.ids
        assert pa_.number_matched > 0
        box = shapely.box(*query.bbox)
        assert all(shapely.intersects(g, box) for g in pa_.geometries)
    everything = Query(limit=10_000)
    assert dumps(a.page("parcels", everything).properties) == dumps(
        b.page("parcels", everything).properties
    )  # as served (NaN as null)
