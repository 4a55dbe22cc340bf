"""The HTTP service (api/) against the real server: uvicorn in a child process on a loopback
port, serving the sample park's results, read by real clients (GDAL's OGC API Features driver
through pyogrio, a vector tile decoder, httpx).

Expected values come from the written results file read back with pyogrio, or are worked out
here (tile maths, intensities), never from the code under test.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import httpx
import mapbox_vector_tile
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import REPO, RULES, Server

from landuse.pipeline import Results, write_results
from landuse.schema import STATUS_ORDER, STATUS_ZH

XSS = "<img src=x onerror=alert(1)>"
MVT = "application/vnd.mapbox-vector-tile"


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def results(sample_park: Results) -> Results:
    """The sample park analysed as of 2025-12-31 (as `landuse demo` does)."""
    return sample_park


@pytest.fixture(scope="module")
def results_dir(tmp_path_factory, results) -> Path:
    """The results written as GeoPackage and GeoParquet, plus one whose first parcel has a
    project name and holder that are HTML."""
    folder = tmp_path_factory.mktemp("api_results")
    write_results(results, folder / "sample_park.gpkg")
    write_results(results, folder / "sample_park.parquet")
    parcels = results.parcels.copy()
    first = parcels.index[parcels.geometry.notna()][0]
    parcels.loc[first, "project_name"] = XSS
    parcels.loc[first, "holder"] = XSS
    write_results(dataclasses.replace(results, parcels=parcels), folder / "xss.gpkg")
    return folder


@pytest.fixture(scope="module")
def written(results_dir) -> gpd.GeoDataFrame:
    """The ``parcels`` layer as written (what the service must publish)."""
    return pyogrio.read_dataframe(results_dir / "sample_park.gpkg", layer="parcels")


@pytest.fixture(scope="module")
def server(start_server, results_dir) -> Server:
    """The service on the sample park's GeoPackage results."""
    return start_server(results_dir / "sample_park.gpkg")


def oapif(server: Server, layer: str, **options) -> gpd.GeoDataFrame:
    return pyogrio.read_dataframe(f"OAPIF:{server.url}", layer=layer, **options)


# --------------------------------------------------------------------------- OGC API Features


def test_landing_page_links_the_parts_clients_need(server):
    doc = server.get("/").json()
    by_rel = {link["rel"]: link for link in doc["links"]}
    assert {"self", "service-desc", "service-doc", "conformance", "data"} <= set(by_rel)
    assert by_rel["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert by_rel["data"]["href"] == server.url + "/collections"
    api = httpx.get(by_rel["service-desc"]["href"], timeout=30)
    assert api.headers["content-type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert api.json()["openapi"].startswith("3.0.")
    assert {"/collections/parcels/items", "/collections/parks/items"} <= set(api.json()["paths"])
    doc_page = httpx.get(by_rel["service-doc"]["href"], timeout=30)
    assert doc_page.headers["content-type"].startswith("text/html")
    assert "<script" not in doc_page.text  # nothing fetched from a CDN


def test_conformance_declares_core_geojson_and_oas30(server):
    classes = server.get("/conformance").json()["conformsTo"]
    for part in ("core", "geojson", "oas30"):
        assert f"http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/{part}" in classes


def test_collections_describe_parcels_and_parks(server, written):
    doc = server.get("/collections").json()
    ids = [c["id"] for c in doc["collections"]]
    assert ids == ["parcels", "parks"]
    parcels = server.get("/collections/parcels").json()
    # Every analysed parcel, also the one without a geometry; the extent is of the others.
    assert parcels["itemCount"] == len(written) == 294
    ((minx, miny, maxx, maxy),) = parcels["extent"]["spatial"]["bbox"]
    lonlat = written[written.geometry.notna()].to_crs("OGC:CRS84").total_bounds
    assert np.allclose([minx, miny, maxx, maxy], lonlat, atol=1e-6)
    rels = {link["rel"] for link in parcels["links"]}
    assert {"self", "items", "describedby"} <= rels


def test_queryables_are_a_json_schema_with_the_filters(server):
    resp = server.get("/collections/parcels/queryables")
    assert resp.headers["content-type"] == "application/schema+json"
    props = resp.json()["properties"]
    for name in ("status", "park", "below_threshold", "recovery_candidate"):
        assert name in props
    assert props["below_threshold"]["type"] == "boolean"
    assert set(props["status"]["enum"]) <= set(STATUS_ORDER)
    parks = server.get("/collections/parks/queryables").json()["properties"]
    assert parks.keys() == {"park", "group_kind"}
    assert parks["group_kind"]["enum"] == ["park"]  # every parcel of the sample has a park


def test_gdal_reads_every_parcel_with_typed_fields(server, written):
    frame = oapif(server, "parcels")
    with_geometry = written[written.geometry.notna()]
    assert len(with_geometry) == 293
    assert len(frame) == len(written) == 294
    # The ledger row without a parcel polygon comes with a null geometry.
    no_geometry = written.loc[written.geometry.isna(), "parcel_id"].tolist()
    assert frame.loc[frame.geometry.isna(), "parcel_id"].tolist() == no_geometry
    assert frame.geometry.notna().sum() == 293
    assert pd.api.types.is_float_dtype(frame["area_ha"])
    assert pd.api.types.is_float_dtype(frame["total_penalty_wan"])
    assert pd.api.types.is_datetime64_any_dtype(frame["contract_date"])
    assert pd.api.types.is_bool_dtype(frame["below_threshold"])
    assert pd.api.types.is_integer_dtype(frame["source_row"])
    # Same values as the file, parcel by parcel.
    merged = frame.merge(written, on="parcel_id", suffixes=("_api", "_file"))
    assert len(merged) == len(written)
    assert (merged["status_api"] == merged["status_file"]).all()
    assert np.allclose(
        merged["total_penalty_wan_api"], merged["total_penalty_wan_file"], equal_nan=True
    )
    file_dates = pd.to_datetime(merged["contract_date_file"])
    assert (merged["contract_date_api"].dt.date == file_dates.dt.date).all()
    assert (merged["below_threshold_api"] == merged["below_threshold_file"]).all()


def test_gdal_follows_next_links_with_a_small_page_size(server, written):
    frame = oapif(server, "parcels", PAGE_SIZE=40)
    assert len(frame) == len(written)
    assert frame["parcel_id"].is_unique


def test_gdal_reads_parks_with_their_summaries(server, written):
    parks = oapif(server, "parks")
    assert sorted(parks["park"]) == sorted(written["park"].dropna().unique())
    assert pd.api.types.is_integer_dtype(parks["parcels"])
    expected = written.groupby("park").size()
    assert dict(zip(parks["park"], parks["parcels"], strict=True)) == expected.to_dict()


def test_gdal_pushes_an_attribute_filter(server, written):
    frame = oapif(server, "parcels", where="status = 'recovery'")
    expected = written[written["status"] == "recovery"]
    assert sorted(frame["parcel_id"]) == sorted(expected["parcel_id"])


def test_paging_links_cover_every_feature_once(server, written):
    seen: list[int] = []
    url = server.url + "/collections/parcels/items?limit=100"
    pages = 0
    while url:
        doc = httpx.get(url, timeout=30).json()
        pages += 1
        assert doc["numberMatched"] == 294
        assert doc["numberReturned"] == len(doc["features"])
        seen += [f["id"] for f in doc["features"]]
        links = {link["rel"]: link for link in doc["links"]}
        if pages > 1:
            assert links["prev"]["type"] == "application/geo+json"
        url = links["next"]["href"] if "next" in links else None
        if url:
            assert links["next"]["type"] == "application/geo+json"
    assert pages == 3
    assert len(seen) == len(set(seen)) == 294


def test_feature_properties_are_typed(server, written):
    doc = server.get("/collections/parcels/items", params={"limit": 1000}).json()
    props = pd.DataFrame([f["properties"] for f in doc["features"]])
    first = doc["features"][0]["properties"]
    assert isinstance(first["area_ha"], float)
    assert isinstance(first["below_threshold"], bool)
    assert isinstance(first["source_row"], int)
    assert first["as_of_date"] == "2025-12-31"
    # Missing numbers are null, never NaN text or 0.
    missing = written["late_start_days"].isna()
    assert missing.any()
    api_missing = props.set_index("parcel_id")["late_start_days"].isna()
    assert api_missing.loc[written.loc[missing, "parcel_id"]].all()
    raw = server.get("/collections/parcels/items", params={"limit": 1000}).text
    assert "NaN" not in raw


def test_browsers_on_other_hosts_may_call_the_api(server):
    resp = server.get("/collections", headers={"Origin": "http://maps.bureau.local"})
    assert resp.headers["access-control-allow-origin"] == "*"


def test_single_feature_and_its_links(server):
    feature = server.get("/collections/parcels/items/1").json()
    assert feature["type"] == "Feature" and feature["id"] == 1
    assert {link["rel"] for link in feature["links"]} >= {"self", "collection"}
    assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")


@pytest.mark.parametrize(
    ("query", "expect"),
    [
        ({"status": "recovery"}, lambda w: w["status"] == "recovery"),
        # a Chinese label names its code
        ({"status": "拟收回"}, lambda w: w["status"] == "recovery"),
        ({"idle_stage": "闲置满一年"}, lambda w: w["idle_stage"] == "idle_fee"),
        ({"idle_stage": "late_start"}, lambda w: w["idle_stage"] == "late_start"),
        ({"progress": "待核查"}, lambda w: w["progress"] == "unverified"),
        ({"below_threshold": "true"}, lambda w: w["below_threshold"]),
        ({"recovery_candidate": "false"}, lambda w: ~w["recovery_candidate"]),
        (
            {"park": "经开区北区", "status": "late_completion"},
            lambda w: (w["park"] == "经开区北区") & (w["status"] == "late_completion"),
        ),
    ],
)
def test_equality_filters(server, written, query, expect):
    doc = server.get("/collections/parcels/items", params={**query, "limit": 1000}).json()
    expected = written[expect(written)]
    assert doc["numberMatched"] == len(expected) > 0
    got = sorted(f["properties"]["parcel_id"] for f in doc["features"])
    assert got == sorted(expected["parcel_id"])


def test_bbox_filter_matches_geometry_intersection(server, written):
    lonlat = written[written.geometry.notna()].to_crs("OGC:CRS84")
    minx, miny, maxx, maxy = lonlat.total_bounds
    box = (minx, miny, (minx + maxx) / 2, (miny + maxy) / 2)
    expected = lonlat[lonlat.intersects(shapely.box(*box))]
    doc = server.get(
        "/collections/parcels/items",
        params={"bbox": ",".join(f"{v:.7f}" for v in box), "limit": 1000},
    ).json()
    got = {f["properties"]["parcel_id"] for f in doc["features"]}
    assert 0 < len(got) < len(lonlat)
    # Boundary parcels may differ by the 1e-7 degree rounding of the output coordinates.
    assert abs(len(got ^ set(expected["parcel_id"]))) <= 2


# --------------------------------------------------------------------------- client mistakes


@pytest.mark.parametrize(
    "path",
    [
        "/collections/parcels/items?colour=red",
        "/collections/parcels/items?bbox=1,2,3",
        "/collections/parcels/items?bbox=a,b,c,d",
        "/collections/parcels/items?bbox=0,50,10,40",
        "/collections/parcels/items?bbox=0,0,200,10",
        "/collections/parcels/items?bbox=0,0,1,nan",
        "/collections/parcels/items?bbox-crs=EPSG:4326&bbox=0,0,1,1",
        "/collections/parcels/items?limit=0",
        "/collections/parcels/items?limit=10001",
        "/collections/parcels/items?limit=ten",
        "/collections/parcels/items?offset=-1",
        "/collections/parcels/items?below_threshold=maybe",
        "/collections/parcels/items?status=dormant",
        "/collections/parcels/items?status=休眠",
        "/collections/parcels/items?status=Recovery",
        "/collections/parcels/items?idle_stage=dormant",
        "/collections/parcels/items?idle_stage=拟收回",  # a status label, not an idle stage
        "/collections/parcels/items?progress=slow",
        "/collections/parks/items?group_kind=county",
        "/collections/parcels/items?limit=5&limit=6",
        "/collections/parks/items?status=recovery",
        "/collections/parcels/items?f=xml",
        "/?unknown=1",
    ],
)
def test_bad_query_parameters_answer_400_with_a_message(server, path):
    resp = server.get(path)
    assert resp.status_code == 400, resp.text
    body = resp.json()
    assert body["code"] == "InvalidParameterValue" and body["description"]


@pytest.mark.parametrize(
    "path",
    [
        "/collections/roads",
        "/collections/roads/items",
        "/collections/parcels/items/99999",
        "/collections/parcels/items/0",
        "/collections/parcels/items/abc",
        "/parks/不存在的园区/summary",
        "/collections/parcels/tiles/WebMercatorQuad/14/99999/1",
        "/collections/parcels/tiles/WebMercatorQuad/40/0/0",
        "/collections/parcels/tiles/WebMercatorQuad/x/0/0",
        "/no/such/route",
    ],
)
def test_unknown_things_answer_404(server, path):
    resp = server.get(path)
    assert resp.status_code == 404, resp.text
    assert resp.json()["code"] == "NotFound"


# --------------------------------------------------------------------------- vector tiles


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    """Web Mercator tile (x, y) holding a point (slippy-map formulas)."""
    n = 2**z
    x = math.floor((lon + 180.0) / 360.0 * n)
    y = math.floor((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def _tile_box(z: int, x: int, y: int, pad: float = 0.0) -> shapely.Polygon:
    """Longitude/latitude rectangle of tile z/x/y, grown by ``pad`` tiles on each side."""
    n = 2**z

    def lat(row: float) -> float:
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * row / n))))

    return shapely.box(
        (x - pad) / n * 360 - 180, lat(y + 1 + pad), (x + 1 + pad) / n * 360 - 180, lat(y - pad)
    )


def _decode(content: bytes) -> dict:
    return mapbox_vector_tile.decode(content, default_options={"y_coord_down": True})


@pytest.mark.parametrize("z", [11, 14, 16])
def test_tile_holds_the_parcels_it_covers(server, written, z):
    lonlat = written[written.geometry.notna()].to_crs("OGC:CRS84")
    centre = lonlat.geometry.union_all().centroid
    x, y = _tile_of(centre.x, centre.y, z)
    resp = server.get(f"/collections/parcels/tiles/WebMercatorQuad/{z}/{y}/{x}")
    assert resp.status_code == 200
    assert resp.headers["content-type"] == MVT
    layer = _decode(resp.content)["parcels"]
    got = {f["properties"]["parcel_id"] for f in layer["features"]}
    # Every parcel whose centre is in the tile must be there; nothing beyond the buffer
    # (64 of 4096 units, taken as 2/64 of a tile here) may be.
    centres = lonlat.geometry.representative_point()
    must = set(lonlat.loc[centres.within(_tile_box(z, x, y)), "parcel_id"])
    may = set(lonlat.loc[lonlat.intersects(_tile_box(z, x, y, pad=2 / 64)), "parcel_id"])
    assert must, "the chosen tile should hold parcels"
    assert must <= got <= may
    # The properties a map colours and labels by, as in the results file.
    by_id = written.set_index("parcel_id")
    for feature in layer["features"]:
        props = feature["properties"]
        row = by_id.loc[props["parcel_id"]]
        assert props["status"] == row["status"]
        assert props["status_zh"] == STATUS_ZH[row["status"]]
        assert props["park"] == row["park"]
        assert props.get("total_penalty_wan") == pytest.approx(row["total_penalty_wan"])
        if pd.notna(row["intensity_wan_per_ha"]):
            assert props["intensity_wan_per_ha"] == pytest.approx(row["intensity_wan_per_ha"])
        assert feature["geometry"]["type"] in ("Polygon", "MultiPolygon")
        assert isinstance(feature["id"], int) and feature["id"] > 0


def test_tile_feature_id_is_the_items_id(server):
    feature = server.get("/collections/parcels/items/5").json()
    lon, lat = shapely.geometry.shape(feature["geometry"]).representative_point().coords[0]
    x, y = _tile_of(lon, lat, 15)
    layer = _decode(server.get(f"/collections/parcels/tiles/WebMercatorQuad/15/{y}/{x}").content)
    ids = {f["id"]: f["properties"]["parcel_id"] for f in layer["parcels"]["features"]}
    assert ids[5] == feature["properties"]["parcel_id"]


def test_empty_tile_is_204_and_tilejson_gives_the_template(server):
    assert server.get("/collections/parcels/tiles/WebMercatorQuad/14/0/0").status_code == 204
    tj = server.get("/collections/parcels/tiles/WebMercatorQuad/tilejson.json").json()
    assert tj["tiles"] == [server.url + "/collections/parcels/tiles/WebMercatorQuad/{z}/{y}/{x}"]
    fields = tj["vector_layers"][0]["fields"]
    assert set(fields) == {
        "parcel_id",
        "park",
        "status",
        "status_zh",
        "intensity_wan_per_ha",
        "total_penalty_wan",
        "building_coverage",
        "likely_idle",
    }
    parks = server.get("/collections/parks/tiles/WebMercatorQuad/tilejson.json").json()
    assert parks["vector_layers"][0]["id"] == "parks"


def test_parks_tile_has_every_park(server, written):
    lonlat = written[written.geometry.notna()].to_crs("OGC:CRS84")
    centre = lonlat.geometry.union_all().centroid
    x, y = _tile_of(centre.x, centre.y, 10)
    layer = _decode(server.get(f"/collections/parks/tiles/WebMercatorQuad/10/{y}/{x}").content)
    assert {f["properties"]["park"] for f in layer["parks"]["features"]} == set(
        written["park"].dropna()
    )


# --------------------------------------------------------------------------- screening


PROJECT = {
    "project_name": "年产 5 万套汽车零部件项目",
    "investment_wan": 12000,
    "area_mu": 30,
    "park": "经开区北区",
    "industry_code": "C3670",
    "plot_ratio": 1.2,
    "building_coverage": 0.45,
    "green_ratio": 0.15,
    "admin_living_share": 0.05,
}


def test_screening_gives_the_cli_verdict(server):
    resp = server.post("/screening", json=PROJECT)
    assert resp.status_code == 200, resp.text
    verdict = resp.json()
    assert verdict["area_ha"] == pytest.approx(2.0)  # 30 亩 / 15
    assert verdict["intensity_wan_per_ha"] == pytest.approx(6000.0)  # 12000 万元 / 2 ha
    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "landuse.cli",
            "screen",
            "--investment-wan",
            "12000",
            "--area-mu",
            "30",
            "--park",
            "经开区北区",
            "--industry-code",
            "C3670",
            "--plot-ratio",
            "1.2",
            "--building-coverage",
            "0.45",
            "--green-ratio",
            "0.15",
            "--admin-living-share",
            "0.05",
            "--rules",
            str(RULES),
            "--json",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    expected = json.loads(cli.stdout)
    expected["project_name"] = PROJECT["project_name"]  # the CLI has no --project-name
    assert verdict == expected


def test_screening_a_list_gives_a_list_in_order(server):
    small = {**PROJECT, "investment_wan": 1000}
    resp = server.post("/screening", json=[PROJECT, small])
    assert resp.status_code == 200
    first, second = resp.json()
    assert first["investment_wan"] == 12000 and second["investment_wan"] == 1000
    assert second["intensity_wan_per_ha"] == pytest.approx(500.0)
    assert second["passed"] is False and second["reasons"]


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({"area_mu": 30}, ["body", "investment_wan"]),
        ({"investment_wan": -5, "area_ha": 1}, ["body", "investment_wan"]),
        ({"investment_wan": 100, "area_ha": 1, "colour": "red"}, ["body", "colour"]),
        ({"investment_wan": 100, "area_ha": 1, "green_ratio": 15}, ["body", "green_ratio"]),
        ([PROJECT, {"investment_wan": "lots", "area_ha": 1}], ["body", 1, "investment_wan"]),
        ({"investment_wan": 100}, ["body"]),
        ("just text", ["body"]),
    ],
)
def test_screening_rejects_bad_bodies_naming_the_field(server, body, loc):
    resp = server.post("/screening", json=body)
    assert resp.status_code == 422, resp.text
    errors = resp.json()["errors"]
    assert loc in [e["loc"] for e in errors]


def test_screening_rejects_text_that_is_not_json(server):
    resp = server.post("/screening", content=b"{investment: 1", headers={"content-type": "x"})
    assert resp.status_code == 422
    assert resp.json()["code"] == "InvalidBody"


# --------------------------------------------------------------------------- park summaries


def test_park_summary_counts_parcels_hectares_and_amounts(server, written):
    park = "经开区南区"
    doc = server.get(f"/parks/{park}/summary").json()
    rows = written[written["park"] == park]
    assert doc["park"] == park and doc["as_of_date"] == "2025-12-31"
    assert doc["parcels"] == len(rows)
    assert doc["area_ha"] == pytest.approx(rows["area_ha"].sum(), abs=1e-3)
    by_status = {s["status"]: s for s in doc["by_status"]}
    assert list(by_status) == list(STATUS_ORDER)
    for status in STATUS_ORDER:
        part = rows[rows["status"] == status]
        assert by_status[status]["parcels"] == len(part)
        assert by_status[status]["area_ha"] == pytest.approx(part["area_ha"].sum(), abs=1e-3)
        assert by_status[status]["status_zh"] == STATUS_ZH[status]
    # Confirmed amounts and those that would apply to unverified parcels, never added.
    confirmed = rows["amounts_confirmed"].astype(bool)
    assert (~confirmed).sum() > 0 and (rows.loc[~confirmed, "status"] == "unverified").all()
    assert doc["confirmed_penalty_wan"] == pytest.approx(
        rows.loc[confirmed, "total_penalty_wan"].sum(), abs=0.01
    )
    assert doc["potential_penalty_wan"] == pytest.approx(
        rows.loc[~confirmed, "total_penalty_wan"].sum(), abs=0.01
    )
    assert doc["potential_penalty_wan"] > 0
    assert "total_penalty_wan" not in doc["amounts_wan"]
    assert doc["amounts_wan"]["idle_fee_wan"] == pytest.approx(
        rows.loc[confirmed, "idle_fee_wan"].sum(), abs=0.01
    )
    assert doc["potential_amounts_wan"]["late_start_wan"] == pytest.approx(
        rows.loc[~confirmed, "late_start_wan"].sum(), abs=0.01
    )
    assert doc["group_kind"] == "park" and doc["parcels_without_geometry"] == 0
    assert doc["mean_intensity_wan_per_ha"] == pytest.approx(rows["intensity_wan_per_ha"].mean())
    listing = server.get("/parks").json()
    assert [p["park"] for p in listing["parks"]] == sorted(written["park"].dropna().unique())


# --------------------------------------------------------------------------- HTML escaping


def test_html_never_shows_data_text_unescaped(start_server, results_dir):
    server = start_server(results_dir / "xss.gpkg")
    found = server.get("/collections/parcels/items", params={"limit": 1000}).json()
    feature = next(f for f in found["features"] if f["properties"]["project_name"] == XSS)
    fid, park = feature["id"], feature["properties"]["park"]
    pages = [
        "/?f=html",
        "/conformance?f=html",
        "/collections?f=html",
        "/collections/parcels?f=html",
        "/collections/parks?f=html",
        "/collections/parcels/items?f=html&limit=1000",
        f"/collections/parcels/items?f=html&park={park}",
        f"/collections/parcels/items/{fid}?f=html",
        "/collections/parks/items?f=html",
        f"/parks/{park}/summary?f=html",
        "/api.html",
    ]
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    for path in pages:
        resp = server.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["content-type"].startswith("text/html"), path
        assert "<img" not in resp.text, path
        assert "onerror=alert(1)>" not in resp.text, path
    item = server.get(f"/collections/parcels/items/{fid}", headers={"accept": "text/html"})
    assert item.headers["content-type"].startswith("text/html")
    assert escaped in item.text
    assert escaped in server.get("/collections/parcels/items?f=html&limit=1000").text


# --------------------------------------------------------------------------- files and caching


def test_geoparquet_results_are_served_alike(start_server, results_dir, written):
    server = start_server(results_dir / "sample_park.parquet", via_serve=True, log_level="info")
    doc = server.get("/collections/parcels/items", params={"limit": 1000}).json()
    assert doc["numberMatched"] == len(written)
    schema = server.get("/collections/parcels/schema").json()
    props = schema["properties"]["properties"]["properties"]
    assert props["contract_date"] == {"title": "contract_date", "type": "string", "format": "date"}
    first = written[written.geometry.notna()].iloc[0]
    got = next(f for f in doc["features"] if f["properties"]["parcel_id"] == first["parcel_id"])
    assert got["properties"]["contract_date"] == str(pd.Timestamp(first["contract_date"]).date())
    assert len(oapif(server, "parcels")) == doc["numberMatched"]
    # No parks layer in GeoParquet: the parks are the hulls of their parcels.
    parks = server.get("/collections/parks/items").json()["features"]
    assert {f["properties"]["boundary_source"] for f in parks} == {"hull of parcels"}


def test_a_new_results_file_replaces_the_cached_one(start_server, results_dir, results):
    served = results_dir / "replaced.gpkg"
    shutil.copy(results_dir / "sample_park.gpkg", served)
    server = start_server(served)
    before = server.get("/collections/parcels/items?status=recovery").json()["numberMatched"]
    tile_path = "/collections/parcels/tiles/WebMercatorQuad/10/0/0"
    assert server.get(tile_path).status_code == 204
    # A new analysis keeps one park only.
    parcels = results.parcels[results.parcels["park"] == "化工产业园"]
    fresh = results_dir / "fresh.gpkg"
    write_results(dataclasses.replace(results, parcels=parcels), fresh)
    os.replace(fresh, served)
    expected = int((parcels["status"] == "recovery").sum())
    assert expected != before
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        doc = server.get("/collections/parcels/items?status=recovery").json()
        if doc["numberMatched"] == expected:
            break
        time.sleep(0.5)
    assert doc["numberMatched"] == expected
    assert server.get("/collections/parcels").json()["itemCount"] == len(parcels)
    assert [p["park"] for p in server.get("/parks").json()["parks"]] == ["化工产业园"]


# --------------------------------------------------------------------------- property-based


def test_schemathesis_finds_no_server_error(server, tmp_path):
    """A bounded schemathesis run over the OpenAPI document: every operation, generated valid
    and invalid inputs; the only check is that nothing answers 5xx."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            server.url + "/api",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "25",
            "--seed",
            "20251231",
            "--generation-database",
            "none",
            "--workers",
            "2",
            "--no-color",
            "--report-dir",
            str(tmp_path),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    # /runs, /runs/{run}/changes, /ranking, buildings, and the four /inspections operations
    # (409 on a results file)
    assert "Operations:       23 selected / 23 total" in proc.stdout
