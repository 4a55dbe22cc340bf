"""``GET /map`` on the real API (``api.app.create_app`` under uvicorn on loopback), in headless
Chromium: the small sample inline with assets served by the API, and the same results drawn
from the API's vector tiles (tile threshold lowered to 10 parcels) with popups fetched from the
items endpoint.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import pyogrio
import pytest
import shapely
import shapely.geometry
from test_map_helpers import (
    api_app,
    browser,
    open_page,
    parcel_screen_point,
    rewrite_results,
    serve,
)

import maps

__all__ = ["browser"]

FIRST_DRAW = "window.LU_FIRST_PARCELS_MS !== undefined"


@pytest.fixture(scope="module")
def results_gpkg(sample_park_gpkg: Path) -> Path:
    return sample_park_gpkg


@pytest.fixture(scope="module")
def parcels(results_gpkg: Path) -> pd.DataFrame:
    frame = pyogrio.read_dataframe(results_gpkg, layer="parcels").to_crs("EPSG:4326")
    frame = frame[~frame.geometry.isna()].copy()
    inside = shapely.point_on_surface(frame.geometry.to_numpy())
    frame["lon"] = shapely.get_x(inside)
    frame["lat"] = shapely.get_y(inside)
    return frame


@pytest.fixture(scope="module")
def base_url(results_gpkg: Path) -> Any:
    app = api_app(results_gpkg)  # GET /map with the default threshold: the sample is inline
    maps.mount_map(app, path="/map-tiles", tile_threshold=10)  # the same results from tiles
    with serve(app) as base:
        yield base


def _assert_local(rec: Any) -> None:
    assert rec.page_errors == []
    assert rec.console_errors == []
    assert rec.failed == []
    assert rec.outside() == []


def test_small_results_are_inline_with_assets_from_the_api(
    browser: Any, base_url: str, parcels: pd.DataFrame
) -> None:
    with open_page(browser, f"{base_url}/map") as (page, rec):
        assert page.locator("path.lu-parcel").count() == len(parcels)
        assert page.locator("canvas.lu-tile").count() == 0
        paths = {urlsplit(u).path for u in rec.requests}
        assert {"/map/assets/leaflet.js", "/map/assets/leaflet.css"} <= paths
        assert {"/map/assets/landuse-map.js", "/map/assets/landuse-map.css"} <= paths
        assert all(urlsplit(u).netloc == urlsplit(base_url).netloc for u in rec.requests)
        _assert_local(rec)


def _tile_parcel_ids(page: Any) -> set[str]:
    return set(
        page.evaluate(
            """() => { const z = Math.round(LU_MAP.getZoom()); const ids = new Set();
            for (const [key, entry] of LU_DATA.tileSource.cache) {
              if (Number(key.split('/')[0]) !== z || !entry.layer) continue;
              entry.layer.features.forEach(f => ids.add(f.props.parcel_id)); }
            return [...ids]; }"""
        )
    )


def test_big_results_are_drawn_from_vector_tiles(
    browser: Any, base_url: str, parcels: pd.DataFrame
) -> None:
    with open_page(browser, f"{base_url}/map-tiles", wait=FIRST_DRAW) as (page, rec):
        page.wait_for_load_state("networkidle")
        assert page.locator("path.lu-parcel").count() == 0
        drawn = page.eval_on_selector_all(
            "canvas.lu-tile", "cs => cs.reduce((n, c) => n + Number(c.dataset.parcels || 0), 0)"
        )
        assert drawn >= len(parcels)  # a parcel on a tile edge is drawn on both tiles
        assert _tile_parcel_ids(page) == set(parcels["parcel_id"])
        tiles = [u for u in rec.requests if "/tiles/WebMercatorQuad/" in u]
        assert tiles and all(urlsplit(u).path.startswith("/collections/parcels/") for u in tiles)
        assert "宗地较多" in page.locator(".lu-panel").inner_text()
        assert page.locator(".lu-legend .lu-legend-row[data-status]").count() == (
            parcels["status"].nunique()
        )
        _assert_local(rec)


def _hit(page: Any, rows: pd.DataFrame) -> tuple[pd.Series, dict]:
    for _, row in rows.sort_values("area_ha", ascending=False).iterrows():
        point = parcel_screen_point(page, row["lon"], row["lat"])
        found = page.evaluate(
            """([x, y, lat, lon]) => { const e = document.elementFromPoint(x, y);
            if (!e || e.closest('.leaflet-control')) return null;
            const f = LanduseTiles.featureAt(LU_MAP, LU_DATA, L.latLng(lat, lon));
            return f ? f.props.parcel_id : null; }""",
            [point["x"], point["y"], row["lat"], row["lon"]],
        )
        if found == row["parcel_id"]:
            return row, point
    raise AssertionError("no parcel under the pointer")


def test_clicking_a_tile_parcel_fetches_its_popup_from_the_items_endpoint(
    browser: Any, base_url: str, parcels: pd.DataFrame
) -> None:
    with open_page(browser, f"{base_url}/map-tiles", wait=FIRST_DRAW) as (page, rec):
        page.wait_for_load_state("networkidle")
        row, point = _hit(page, parcels[parcels["status"] == "late_start"])
        page.mouse.move(point["x"], point["y"])
        tip = page.locator(".leaflet-tooltip .lu-tooltip-id")
        tip.wait_for(state="visible", timeout=5000)
        assert tip.inner_text() == row["parcel_id"]
        page.mouse.click(point["x"], point["y"])
        title = page.locator(".leaflet-popup .lu-popup .lu-popup-title")
        title.wait_for(state="visible", timeout=5000)
        assert title.inner_text() == row["project_name"]
        text = page.locator(".leaflet-popup .lu-popup").inner_text()
        assert row["legal_basis"] in text and "逾期未开工" in text
        assert f"{row['late_start_days']:,.0f} 天" in text
        items = [u for u in rec.requests if "/collections/parcels/items/" in u]
        assert len(items) == 1
        _assert_local(rec)


def test_a_hidden_status_is_not_drawn_nor_clickable(
    browser: Any, base_url: str, parcels: pd.DataFrame
) -> None:
    with open_page(browser, f"{base_url}/map-tiles", wait=FIRST_DRAW) as (page, rec):
        page.wait_for_load_state("networkidle")
        row, point = _hit(page, parcels[parcels["status"] == "compliant"])
        control = page.locator(".leaflet-control-layers")
        control.hover()
        before = page.eval_on_selector_all(
            "canvas.lu-tile", "cs => cs.reduce((n, c) => n + Number(c.dataset.parcels), 0)"
        )
        control.locator("label", has_text="已竣工达标").locator("input").uncheck()
        after = page.eval_on_selector_all(
            "canvas.lu-tile", "cs => cs.reduce((n, c) => n + Number(c.dataset.parcels), 0)"
        )
        assert 0 < after < before
        page.mouse.move(5, 450)  # close the expanded layer control
        page.mouse.click(point["x"], point["y"])
        page.wait_for_timeout(300)
        assert page.locator(".leaflet-popup").count() == 0
        assert not [u for u in rec.requests if "/items/" in u]
        _assert_local(rec)


def test_geoparquet_results_get_the_park_outlines_the_api_serves(
    browser: Any, results_gpkg: Path, parcels: pd.DataFrame, tmp_path: Path
) -> None:
    src = tmp_path / "results.parquet"
    pyogrio.read_dataframe(results_gpkg, layer="parcels").to_parquet(src)
    with (
        serve(api_app(src, tile_threshold=10)) as base,
        open_page(browser, f"{base}/map", wait=FIRST_DRAW) as (page, rec),
    ):
        labels = page.locator(".lu-park-label")
        labels.first.wait_for(state="visible", timeout=5000)
        assert sorted(labels.all_inner_texts()) == sorted(parcels["park"].unique())
        # the outlines come with the page, from the same results source as the API's parks
        # collection: no page of parks is asked for (none can exceed the API's limit)
        assert not any("/collections/parks/items" in u for u in rec.requests)
        _assert_local(rec)
        _, _, body = _get(f"{base}/collections/parks/items")
        served = {f["properties"]["park"]: f["geometry"] for f in json.loads(body)["features"]}
        on_page = page.evaluate(
            "() => LU_DATA.parks.features.map(f => [f.properties.park, f.geometry])"
        )
        for name, geometry in on_page:  # the same outline, to the page's 6 decimals
            assert shapely.equals_exact(
                shapely.geometry.shape(geometry), shapely.geometry.shape(served[name]), 2e-6
            ), name


def test_english_page_on_request(browser: Any, base_url: str) -> None:
    with open_page(browser, f"{base_url}/map?lang=en") as (page, rec):
        legend = page.locator(".lu-legend").inner_text()
        assert "Parcel status" in legend and "Recovery (idle 2 years)" in legend
        assert "Idle and overdue land (ha)" in page.locator(".lu-panel").inner_text()
        _assert_local(rec)


def _get(url: str) -> tuple[int, str, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.headers.get("content-type", ""), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), ""


def test_map_routes_without_a_browser(results_gpkg: Path, tmp_path: Path) -> None:
    copy = rewrite_results(results_gpkg, tmp_path / "results.gpkg")
    with serve(api_app(copy)) as base:
        status, kind, before = _get(f"{base}/map")
        assert status == 200 and kind.startswith("text/html")
        assert "Content-Security-Policy" in before
        for asset in ("leaflet.js", "leaflet.css", "landuse-map.js", "landuse-tiles.js"):
            assert _get(f"{base}/map/assets/{asset}")[0] == 200
        assert _get(f"{base}/map/assets/images/layers.png")[0] == 200
        assert _get(f"{base}/map/assets/%2e%2e/render.py")[0] == 404
        assert _get(f"{base}/map?lang=fr")[0] == 400

        # a new results file gives a new page
        def retitle(p: pd.DataFrame, k: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
            return p.assign(project_name="新项目名称"), k

        rewrite_results(results_gpkg, tmp_path / "next.gpkg", retitle)
        (tmp_path / "next.gpkg").replace(copy)
        # the page shows what the API serves: the new file once it has settled (1 s)
        deadline = time.monotonic() + 10
        after = _get(f"{base}/map")[2]
        while after == before and time.monotonic() < deadline:
            time.sleep(0.25)
            after = _get(f"{base}/map")[2]
        assert after != before and "新项目名称" in after
