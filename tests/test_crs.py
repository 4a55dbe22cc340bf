"""Tests of landuse.crs: Gauss-Krüger zones, reprojection for area work, missing CRS."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from pyproj import CRS

from landuse.crs import AreaCRS, area_crs, gk_zone_epsg, set_crs_if_missing, to_area_crs
from landuse.errors import InputError


@pytest.mark.parametrize(
    ("lon", "epsg"),
    [
        (123.3, 4529),
        (75.0, 4513),
        (135.0, 4533),
        (73.5, 4513),
        (136.5, 4533),
        (121.4, 4528),
        (121.6, 4529),
    ],
)
def test_gk_zone_epsg(lon, epsg):
    assert gk_zone_epsg(lon) == epsg


def test_gk_zone_epsg_names_match_pyproj():
    assert CRS.from_epsg(gk_zone_epsg(123.3)).name == "CGCS2000 / 3-degree Gauss-Kruger zone 41"


@pytest.mark.parametrize("lon", [73.4, 137.0, -120.0, float("nan")])
def test_gk_zone_epsg_outside_china(lon):
    with pytest.raises(ValueError, match="outside China"):
        gk_zone_epsg(lon)


def _hectare(crs: str = "EPSG:4529") -> gpd.GeoDataFrame:
    """A 100 m x 100 m square near 123°E, 31.6°N, built in GK zone 41, moved to ``crs``."""
    x0, y0 = 41_500_000.0, 3_500_000.0
    square = gpd.GeoDataFrame(
        {"id": [1]}, geometry=[shapely.box(x0, y0, x0 + 100, y0 + 100)], crs="EPSG:4529"
    )
    return square.to_crs(crs)


def test_geographic_layer_is_reprojected_to_gk_zone():
    gdf = _hectare("EPSG:4490")
    assert gdf.crs.is_geographic

    projected, note = to_area_crs(gdf, source="parcels.gpkg")

    assert projected.crs.to_epsg() == 4529
    assert projected.geometry.iloc[0].area / 10_000 == pytest.approx(1.0, rel=1e-6)
    assert note == (
        "parcels.gpkg: EPSG:4490 is geographic; reprojected to EPSG:4529 "
        "(CGCS2000 / 3-degree Gauss-Kruger zone 41) for area work"
    )
    assert gdf.crs.to_epsg() == 4490  # the input is not modified


def test_wgs84_layer_is_reprojected():
    projected, note = to_area_crs(_hectare("EPSG:4326"), source="a.geojson")
    assert projected.crs.to_epsg() == 4529
    assert projected.geometry.iloc[0].area / 10_000 == pytest.approx(1.0, rel=1e-6)
    assert note.startswith("a.geojson: EPSG:4326 is geographic; reprojected to EPSG:4529")


def test_web_mercator_is_reprojected():
    gdf = _hectare("EPSG:3857")
    # At 31.6°N Web Mercator overstates the area by 1 / cos²(31.6°) = 1.38.
    assert gdf.geometry.iloc[0].area / 10_000 == pytest.approx(1.38, abs=0.01)

    projected, note = to_area_crs(gdf, source="web.gpkg")

    assert projected.crs.to_epsg() == 4529
    assert projected.geometry.iloc[0].area / 10_000 == pytest.approx(1.0, rel=1e-6)
    assert "EPSG:3857 is a Mercator projection (overstates areas 1.38x at 32°)" in note


def test_projected_metres_are_kept():
    gdf = _hectare("EPSG:4529")
    projected, note = to_area_crs(gdf, source="gk.shp")
    assert projected is gdf
    assert note is None
    choice = area_crs(gdf, source="gk.shp")
    assert choice == AreaCRS(CRS.from_epsg(4529), reproject=False, note=None)


def test_projected_feet_are_converted():
    # NAD83 / New York Long Island (US survey feet): outside China, so a UTM zone is used.
    square = gpd.GeoDataFrame(
        {"id": [1]}, geometry=[shapely.box(590_000, 160_000, 590_100, 160_100)], crs="EPSG:32618"
    ).to_crs("EPSG:2263")
    projected, note = to_area_crs(square, source="ny.shp")
    assert projected.crs.to_epsg() == 32618
    assert projected.geometry.iloc[0].area == pytest.approx(10_000, rel=1e-6)
    assert "is in US survey foot, not metres" in note


def test_no_crs_is_refused():
    gdf = _hectare().set_crs(None, allow_override=True)
    with pytest.raises(InputError) as err:
        to_area_crs(gdf, source="parcels.shp")
    message = str(err.value)
    assert message.startswith("parcels.shp has no coordinate reference system")
    assert ".prj" in message and "Set CRS" in message and "--crs EPSG:4490" in message


def test_metres_labelled_as_degrees_are_refused():
    gdf = _hectare().set_crs("EPSG:4490", allow_override=True)
    with pytest.raises(InputError, match=r"wrong\.shp: its CRS EPSG:4490 is in degrees"):
        to_area_crs(gdf, source="wrong.shp")


def test_set_crs_if_missing():
    gdf = _hectare()
    assert set_crs_if_missing(gdf, None) is gdf
    assert set_crs_if_missing(gdf, "EPSG:4490") is gdf  # a layer keeps its own CRS

    bare = gdf.set_crs(None, allow_override=True)
    fixed = set_crs_if_missing(bare, "EPSG:4529")
    assert fixed.crs.to_epsg() == 4529
    assert bare.crs is None
    assert to_area_crs(fixed, source="x")[1] is None

    with pytest.raises(InputError, match=r"--crs 'EPSG:99999999' is not a coordinate"):
        set_crs_if_missing(bare, "EPSG:99999999")
