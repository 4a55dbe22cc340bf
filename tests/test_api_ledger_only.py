"""Serving results without geometries (every real land-market export is a ledger alone) and
with some: the real server in a child process, read by GDAL's OGC API Features driver.

The seven made-up parcels and every expected figure are in ``made_up_results.py`` (worked out
by hand); the real-data test analyses one day of land-market exports and serves it.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from made_up_results import REAL_DAY, REGION, WITH_GEOMETRY, real_day_results, write
from made_up_results import parcels as parcels_of
from test_api import MVT, _decode, _tile_of, oapif

import maps.data

NO_GROUP = "（未指定园区）"


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("ledger_only")
    return {
        "gpkg": write(folder / "ledger.gpkg"),
        "parquet": write(folder / "ledger.parquet"),
        "mixed": write(folder / "mixed.parquet", geometry="some", region=True),
    }


@pytest.fixture(scope="module")
def ledger_server(start_server, files):
    return start_server(files["gpkg"])


@pytest.fixture(scope="module")
def mixed_server(start_server, files):
    return start_server(files["mixed"])


def _parks(server) -> dict[str, dict]:
    return {p["park"]: p for p in server.get("/parks").json()["parks"]}


# --------------------------------------------------------------------------- no geometry at all


def test_gdal_reads_a_ledger_only_result_as_a_table(ledger_server):
    frame = oapif(ledger_server, "parcels")
    assert len(frame) == 7
    assert frame.geometry.isna().all()
    assert sorted(frame["parcel_id"]) == ["A1", "A2", "A3", "A4", "A5", "A6", "A7"]
    by_id = frame.set_index("parcel_id")
    assert by_id.loc["A5", "project_name"] == "<img src=x onerror=alert(1)>"
    assert by_id.loc["A2", "total_penalty_wan"] == 50.0
    assert not by_id.loc["A2", "amounts_confirmed"]
    doc = ledger_server.get("/collections/parcels/items", params={"limit": 3}).json()
    assert doc["numberMatched"] == 7 and doc["numberReturned"] == 3
    assert [f["geometry"] for f in doc["features"]] == [None, None, None]
    assert '"geometry":null' in ledger_server.get("/collections/parcels/items/1").text


def test_no_geometry_means_no_bbox_match_no_tile_and_no_tilejson(ledger_server):
    doc = ledger_server.get("/collections/parcels/items", params={"bbox": "-180,-90,180,90"})
    assert doc.status_code == 200 and doc.json()["numberMatched"] == 0
    assert ledger_server.get("/collections/parcels/tiles/WebMercatorQuad/0/0/0").status_code == 204
    tilejson = ledger_server.get("/collections/parcels/tiles/WebMercatorQuad/tilejson.json")
    assert tilejson.status_code == 404
    assert "landuse analyse parcels.gpkg --ledger" in tilejson.json()["description"]
    coll = ledger_server.get("/collections/parcels").json()
    assert coll["itemCount"] == 7 and "extent" not in coll
    assert not any("tiles" in link["href"] for link in coll["links"])
    schema = ledger_server.get("/collections/parcels/schema").json()
    assert schema["properties"]["geometry"]["type"] == ["object", "null"]


def test_ledger_only_summaries_by_hand(ledger_server):
    parks = _parks(ledger_server)
    assert list(parks) == ["北区", NO_GROUP]  # no region column: A2, A3 have no group
    north, none = parks["北区"], parks[NO_GROUP]
    assert (north["group_kind"], north["parcels"], north["area_ha"]) == ("park", 3, 8.5)
    assert north["confirmed_penalty_wan"] == 100.0 and north["potential_penalty_wan"] == 30.0
    assert north["amounts_wan"]["idle_fee_wan"] == 20.0
    assert north["potential_amounts_wan"]["idle_fee_wan"] == 6.0
    assert north["amounts_wan"]["late_start_wan"] == 80.0
    assert north["potential_amounts_wan"]["late_start_wan"] == 24.0
    assert north["parcels_without_geometry"] == 3
    assert (none["group_kind"], none["parcels"], none["area_ha"]) == ("none", 4, 10.5)
    assert none["confirmed_penalty_wan"] == 45.0 and none["potential_penalty_wan"] == 50.0
    by_status = {s["status"]: s["parcels"] for s in none["by_status"] if s["parcels"]}
    assert by_status == {"unverified": 1, "late_start": 1, "on_track": 1, "idle_fee": 1}
    # the park's items link finds its three parcels; （未指定园区） has no filter of its own
    items = next(link for link in north["links"] if link["rel"] == "items")
    assert len(ledger_server.get(items["href"][len(ledger_server.url) :]).json()["features"]) == 3
    assert not any(link["rel"] == "items" for link in none["links"])
    one = ledger_server.get(f"/parks/{quote(NO_GROUP)}/summary").json()
    assert one["parcels"] == 4
    html = ledger_server.get("/parks/%E5%8C%97%E5%8C%BA/summary?f=html").text
    assert "已确认 confirmed" in html and "100.0" in html and "30.0" in html
    # the parks collection holds the groups, without boundaries
    features = ledger_server.get("/collections/parks/items").json()["features"]
    assert [f["geometry"] for f in features] == [None, None]
    assert {f["properties"]["boundary_source"] for f in features} == {"none"}
    assert len(oapif(ledger_server, "parks")) == 2


def test_a_plain_parquet_result_opens_in_parquet_readers_and_is_served(start_server, files):
    path = files["parquet"]
    table = pq.read_table(path)
    assert table.num_rows == 7 and b"geo" not in (table.schema.metadata or {})
    assert "geometry" not in table.column_names  # plain Parquet: no row had a geometry
    assert pd.read_parquet(path)["parcel_id"].tolist()[:2] == ["A1", "A2"]
    with pytest.raises(ValueError, match="geo metadata"):
        gpd.read_parquet(path)  # what geopandas says of a plain Parquet file
    maps.data.check_results_file(path, geometry=True)  # what `landuse serve` checks
    server = start_server(path, via_serve=True)
    assert len(oapif(server, "parcels")) == 7
    parks = _parks(server)
    assert parks["北区"]["potential_penalty_wan"] == 30.0
    assert parks[NO_GROUP]["confirmed_penalty_wan"] == 45.0


# --------------------------------------------------------------------------- some geometries


def test_a_geoparquet_with_null_geometries_opens_everywhere(files, tmp_path):
    # as written here, and by `landuse analyse`'s own writer
    for path in (files["mixed"], write(tmp_path / "analysed.parquet", geometry="some")):
        assert pq.read_table(path).num_rows == 7
        assert pd.read_parquet(path).shape[0] == 7
        frame = gpd.read_parquet(path)
        assert sorted(frame.loc[frame.geometry.notna(), "parcel_id"]) == WITH_GEOMETRY
        assert frame.crs.to_epsg() == 4529
        assert json.loads(pq.read_schema(path).metadata[b"geo"])["primary_column"] == "geometry"


def test_gdal_reads_parcels_with_and_without_geometry(mixed_server, files):
    frame = oapif(mixed_server, "parcels")
    assert len(frame) == 7
    assert sorted(frame.loc[frame.geometry.notna(), "parcel_id"]) == WITH_GEOMETRY
    expected = gpd.read_parquet(files["mixed"]).to_crs("OGC:CRS84").set_index("parcel_id")
    got = frame.set_index("parcel_id")
    for pid in WITH_GEOMETRY:
        assert got.loc[pid, "geometry"].equals_exact(expected.loc[pid, "geometry"], 1e-6)


def test_bbox_and_tiles_hold_only_the_parcels_with_geometry(mixed_server, files):
    lonlat = gpd.read_parquet(files["mixed"]).to_crs("OGC:CRS84")
    drawn = lonlat[lonlat.geometry.notna()]
    minx, miny, maxx, maxy = drawn.total_bounds
    box = f"{minx - 0.01},{miny - 0.01},{maxx + 0.01},{maxy + 0.01}"
    doc = mixed_server.get("/collections/parcels/items", params={"bbox": box}).json()
    assert sorted(f["properties"]["parcel_id"] for f in doc["features"]) == WITH_GEOMETRY
    # the first parcel's tile at zoom 14 holds drawn parcels only
    centre = drawn.geometry.iloc[0].centroid
    x, y = _tile_of(centre.x, centre.y, 14)
    tile = mixed_server.get(f"/collections/parcels/tiles/WebMercatorQuad/14/{y}/{x}")
    assert tile.status_code == 200 and tile.headers["content-type"] == MVT
    ids = {f["properties"]["parcel_id"] for f in _decode(tile.content)["parcels"]["features"]}
    assert "A1" in ids and ids <= set(WITH_GEOMETRY)
    tj = mixed_server.get("/collections/parcels/tiles/WebMercatorQuad/tilejson.json").json()
    assert np.allclose(tj["bounds"], drawn.total_bounds, atol=1e-6)
    assert mixed_server.get("/collections/parcels").json()["itemCount"] == 7


def test_summaries_group_by_park_else_region(mixed_server):
    parks = _parks(mixed_server)
    assert list(parks) == ["北区", REGION, NO_GROUP]
    region = parks[REGION]
    assert (region["group_kind"], region["parcels"], region["area_ha"]) == ("region", 2, 4.0)
    assert region["confirmed_penalty_wan"] == 5.0 and region["potential_penalty_wan"] == 50.0
    assert region["parcels_without_geometry"] == 2
    none = parks[NO_GROUP]
    assert (none["parcels"], none["confirmed_penalty_wan"], none["potential_penalty_wan"]) == (
        2,
        40.0,
        0.0,
    )
    assert parks["北区"]["parcels_without_geometry"] == 0
    # a region's items link filters on region_label
    link = next(link for link in region["links"] if link["rel"] == "items")
    assert "region_label=" in link["href"]
    found = mixed_server.get(link["href"][len(mixed_server.url) :]).json()["features"]
    assert sorted(f["properties"]["parcel_id"] for f in found) == ["A2", "A3"]
    summary = mixed_server.get(f"/parks/{quote(REGION)}/summary").json()
    assert summary["park"] == REGION and summary["parcels"] == 2
    # only the park gets a boundary (the hull of its parcels); regions have none
    features = mixed_server.get("/collections/parks/items").json()["features"]
    by_name = {f["properties"]["park"]: f for f in features}
    assert by_name["北区"]["properties"]["boundary_source"] == "hull of parcels"
    hull = shapely.geometry.shape(by_name["北区"]["geometry"])
    assert hull.area > 0
    assert by_name[REGION]["geometry"] is None and by_name[NO_GROUP]["geometry"] is None
    kinds = mixed_server.get("/collections/parks/items", params={"group_kind": "region"}).json()
    assert [f["properties"]["park"] for f in kinds["features"]] == [REGION]
    # the Chinese label of a group kind names it too
    kinds = mixed_server.get("/collections/parks/items", params={"group_kind": "行政区"}).json()
    assert [f["properties"]["park"] for f in kinds["features"]] == [REGION]


# --------------------------------------------------------------------------- real data


@pytest.mark.skipif(not REAL_DAY.exists(), reason=f"{REAL_DAY} not found")
def test_a_real_day_of_exports_is_served_to_gdal(start_server, tmp_path_factory):
    out = real_day_results(tmp_path_factory)["gpkg"]
    written = pyogrio.read_dataframe(out, layer="parcels", read_geometry=False)
    analysed = len(written)
    assert analysed > 20
    assert pyogrio.read_info(out, layer="parcels")["geometry_type"] is None
    server = start_server(out, via_serve=True)
    frame = oapif(server, "parcels")
    assert len(frame) == analysed
    assert frame.geometry.isna().all()
    assert sorted(frame["supervision_no"]) == sorted(written["supervision_no"])
    parks = server.get("/parks").json()["parks"]
    assert sum(p["parcels"] for p in parks) == analysed
    unverified = written["status"] == "unverified"
    assert sum(p["potential_penalty_wan"] for p in parks) == pytest.approx(
        written.loc[unverified, "total_penalty_wan"].sum(), abs=0.01
    )
    assert sum(p["confirmed_penalty_wan"] for p in parks) == pytest.approx(
        written.loc[~unverified, "total_penalty_wan"].sum(), abs=0.01
    )


def test_results_load_in_process_without_a_warning(files):
    """The store built in this process, where any warning is an error (the served tests run
    the server in a child process)."""
    from api.settings import Settings
    from api.store import FileIdentity, ResultsStore

    # and a result with an unknown status and a drawn parcel outside any park
    odd = parcels_of(geometry="some", region=True)
    odd.loc[odd["parcel_id"] == "A4", "status"] = "insufficient_data"
    odd.loc[odd["parcel_id"] == "A2", "geometry"] = shapely.box(
        41_523_000, 4_626_000, 41_523_100, 4_626_100
    )
    odd.to_parquet(files["mixed"].with_name("odd.parquet"))
    paths = {**files, "odd": files["mixed"].with_name("odd.parquet")}
    expected = {"gpkg": (7, 7, 2), "parquet": (7, 7, 2), "mixed": (7, 4, 3), "odd": (7, 3, 3)}
    for name, (parcels, without, groups) in expected.items():
        path = paths[name]
        store = ResultsStore(FileIdentity.of(path), Settings(results_path=path))
        assert store.parcels.size == parcels
        assert store.parcels_without_geometry == store.parcels.without_geometry == without
        assert store.parks.size == groups
    odd_store = ResultsStore(FileIdentity.of(paths["odd"]), Settings(results_path=paths["odd"]))
    region = odd_store.park_summary(REGION)
    assert region["parcels"] == 2 and region["parcels_without_geometry"] == 1
    assert odd_store.park_summary(NO_GROUP)["parcels"] == 2  # A4 counted, its status unknown
