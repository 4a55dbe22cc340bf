"""GeoPackage layers written by landuse.outputs: one geometry type per layer."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from landuse.outputs import write_gpkg


def test_polygons_and_multipolygons_are_written_as_one_multipolygon_layer(tmp_path):
    square = shapely.box(0, 0, 100, 100)
    two = shapely.MultiPolygon([shapely.box(200, 0, 300, 100), shapely.box(400, 0, 500, 100)])
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["a", "b", "c"], "area_ha": [1.0, 2.0, None]},
        geometry=[square, two, None],
        crs="EPSG:4529",
    )
    path = tmp_path / "out.gpkg"
    write_gpkg(
        path, parcels, pd.DataFrame({"reason": []}), pd.DataFrame({"n": [1]}), None, parcels.crs
    )

    assert pyogrio.read_info(path, layer="parcels")["geometry_type"] == "MultiPolygon"
    back = pyogrio.read_dataframe(path, layer="parcels")
    assert back["geometry"].geom_type.tolist()[:2] == ["MultiPolygon", "MultiPolygon"]
    assert back["geometry"].iloc[2] is None
    # the square became a one-part multipolygon of the same shape; the other kept both parts
    assert shapely.equals(back["geometry"].iloc[0], square)
    assert len(back["geometry"].iloc[1].geoms) == 2
    assert back["geometry"].iloc[1].area == 20_000
