"""Text from the data is shown as text, never run: the sample park's results with hostile
project names, holders, legal bases, parcel ids, park names and a forged status, opened in
headless Chromium as a standalone file and as the API's tile-backed page.

``window.alert`` is replaced before the page loads, and every payload sets a window flag if
it ever runs; both must stay unset after the page is loaded, hovered and clicked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest
import shapely
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

ALERT = "<img src=x onerror=alert(1)>"
IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "</script><script>window.__xss=2</script>"
SVG = "<svg onload=window.__xss=3>"
TEMPLATE = "{{ 7*7 }}"
PARK_IMG = "<img src=x onerror=window.__xss=4>"
PARK_ATTR = 'x" autofocus onfocus="window.__xss=5'
STATUS = "<img src=x onerror=window.__xss=6>"
TRAP = "window.alert = () => { window.__alerted = true; };"
NOT_RUN = "() => window.__xss === undefined && window.__alerted === undefined"


@pytest.fixture(scope="module")
def hostile_gpkg(tmp_path_factory: pytest.TempPathFactory, sample_park_gpkg: Path) -> Path:
    src = sample_park_gpkg

    def change(parcels: pd.DataFrame, parks: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        parcels = parcels.copy()
        recovery = parcels["status"] == "recovery"
        parcels.loc[recovery, "project_name"] = ALERT
        parcels.loc[recovery, "holder"] = SCRIPT
        parcels.loc[recovery, "legal_basis"] = SVG
        parcels.loc[recovery, "parcel_id"] = parcels.loc[recovery, "parcel_id"] + TEMPLATE
        parcels.loc[parcels["status"] == "idle_fee", "project_name"] = IMG
        forged = parcels.index[parcels["status"] == "compliant"][0]
        parcels.loc[forged, ["status", "status_zh"]] = STATUS
        first, second = sorted(parcels["park"].unique())[:2]
        renames = {first: PARK_IMG, second: PARK_ATTR}
        parcels["park"] = parcels["park"].replace(renames)
        parks = parks.copy()
        parks["park"] = parks["park"].replace(renames)
        return parcels, parks

    return rewrite_results(src, tmp_path_factory.mktemp("hostile") / "hostile.gpkg", change)


@pytest.fixture(scope="module")
def hostile_parcels(hostile_gpkg: Path) -> pd.DataFrame:
    frame = pyogrio.read_dataframe(hostile_gpkg, layer="parcels").to_crs("EPSG:4326")
    inside = shapely.point_on_surface(frame.geometry.to_numpy())
    frame["lon"] = shapely.get_x(inside)
    frame["lat"] = shapely.get_y(inside)
    return frame[~frame.geometry.isna()]


def _point_on(page: Any, rows: pd.DataFrame, selector: str | None) -> tuple[pd.Series, dict]:
    """A row whose inside point is on screen, not under a map control, and over an element
    matching ``selector`` (inline mode) or over that parcel in a loaded tile (tile mode)."""
    for _, row in rows.sort_values("area_ha", ascending=False).iterrows():
        point = parcel_screen_point(page, row["lon"], row["lat"])
        ok = page.evaluate(
            """([x, y, sel, lat, lon, id]) => {
                const e = document.elementFromPoint(x, y);
                if (!e || e.closest('.leaflet-control')) return false;
                if (sel) return e.matches(sel);
                const f = LanduseTiles.featureAt(LU_MAP, LU_DATA, L.latLng(lat, lon));
                return !!f && f.props.parcel_id === id;
            }""",
            [point["x"], point["y"], selector, row["lat"], row["lon"], row["parcel_id"]],
        )
        if ok:
            return row, point
    raise AssertionError("no parcel on screen")


def _check_page(page: Any, rec: Any, rows: pd.DataFrame, selector: str | None) -> None:
    row, point = _point_on(page, rows, selector)
    page.mouse.move(point["x"], point["y"])
    tip = page.locator(".leaflet-tooltip .lu-tooltip").first
    tip.wait_for(state="visible", timeout=5000)
    page.mouse.click(point["x"], point["y"])
    popup = page.locator(".leaflet-popup .lu-popup")
    popup.wait_for(state="visible", timeout=5000)
    page.wait_for_timeout(300)  # give any injected handler the chance to run
    assert page.evaluate(NOT_RUN), "a payload from the data ran"
    assert popup.locator(".lu-popup-title").inner_text() == ALERT
    text = popup.inner_text()
    assert SCRIPT in text and SVG in text and TEMPLATE in text
    injected = "img, [onerror], [onload], [onfocus], [autofocus], [onmouseover]"
    assert page.evaluate(f"() => document.querySelectorAll('{injected}').length") == 0
    assert rec.page_errors == [] and rec.console_errors == []
    assert rec.outside() == []


def test_standalone_page_shows_hostile_text_as_text(
    browser: Any, hostile_gpkg: Path, hostile_parcels: pd.DataFrame, tmp_path: Path
) -> None:
    out = maps.cli_map(hostile_gpkg, tmp_path / "hostile.html")
    source = out.read_text(encoding="utf-8")
    assert "</script><script>" not in source
    assert ALERT not in source and PARK_IMG not in source and PARK_ATTR not in source
    with open_page(browser, out.as_uri(), init_script=TRAP) as (page, rec):
        assert page.evaluate(NOT_RUN)
        names = set(page.locator(".lu-panel .lu-park-name").all_inner_texts())
        assert {PARK_IMG, PARK_ATTR} <= names
        labels = set(page.locator(".lu-park-label").all_inner_texts())
        assert {PARK_IMG, PARK_ATTR} <= labels
        chart = page.locator(".lu-chart-svg title").all_text_contents()
        assert PARK_IMG in chart and PARK_ATTR in chart
        other = page.locator('.lu-legend-row[data-status="other"]')
        assert other.locator(".lu-legend-label").inner_text() == "其他"
        assert other.locator(".lu-legend-count").inner_text() == "1"
        assert page.locator("path.lu-status-other").count() == 1
        rows = hostile_parcels[hostile_parcels["status"] == "recovery"]
        _check_page(page, rec, rows, "path.lu-parcel")
        # the idle-fee parcels' names, in their tooltips
        row, point = _point_on(
            page, hostile_parcels[hostile_parcels["status"] == "idle_fee"], "path.lu-parcel"
        )
        page.mouse.move(point["x"], point["y"])
        names = page.locator(".leaflet-tooltip .lu-tooltip-name")
        names.first.wait_for(state="visible", timeout=5000)
        assert IMG in names.all_inner_texts()
        assert page.evaluate(NOT_RUN)


def test_tile_page_popup_fetched_from_the_api_shows_hostile_text_as_text(
    browser: Any, hostile_gpkg: Path, hostile_parcels: pd.DataFrame
) -> None:
    app = api_app(hostile_gpkg, path="/map-tiles", tile_threshold=10)
    with serve(app) as base:
        url = f"{base}/map-tiles"
        wait = "window.LU_FIRST_PARCELS_MS !== undefined"
        with open_page(browser, url, init_script=TRAP, wait=wait) as (page, rec):
            assert page.locator("path.lu-parcel").count() == 0  # drawn from tiles
            page.wait_for_timeout(500)  # let the visible tiles arrive
            rows = hostile_parcels[hostile_parcels["status"] == "recovery"]
            _check_page(page, rec, rows, None)
            names = set(page.locator(".lu-panel .lu-park-name").all_inner_texts())
            assert {PARK_IMG, PARK_ATTR} <= names
