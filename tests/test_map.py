"""The standalone map of the sample park in headless Chromium (``landuse map`` output).

Expected values are computed here from the results GeoPackage itself (pyogrio + pandas), not
through ``maps``: parcels with a geometry, parcels/hectares/amounts per status and park, idle
and overdue hectares per park. The browser's network is limited to loopback and every request
is checked; a standalone page must request nothing but itself.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest
import shapely
from test_map_helpers import browser, open_page, parcel_screen_point

import maps

__all__ = ["browser"]  # the fixture, imported for pytest
expect = pytest.importorskip("playwright.sync_api").expect

STATUS_ZH = {
    "recovery": "拟收回",
    "idle_fee": "闲置满一年",
    "gov_delay": "政府原因闲置",
    "late_start": "逾期未开工",
    "unverified": "待核查",
    "late_completion": "逾期未竣工",
    "below_threshold": "投资强度不达标",
    "on_track": "按期推进",
    "compliant": "已竣工达标",
}


@pytest.fixture(scope="module")
def results_gpkg(sample_park_gpkg: Path) -> Path:
    return sample_park_gpkg


@pytest.fixture(scope="module")
def parcels(results_gpkg: Path) -> pd.DataFrame:
    """The parcels layer in EPSG:4326 with a has-geometry flag and a point inside each."""
    frame = pyogrio.read_dataframe(results_gpkg, layer="parcels").to_crs("EPSG:4326")
    geoms = frame.geometry.to_numpy()
    frame["drawn"] = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    inside = shapely.point_on_surface(geoms)
    frame["lon"] = shapely.get_x(inside)
    frame["lat"] = shapely.get_y(inside)
    return frame


@pytest.fixture(scope="module")
def page_url(results_gpkg: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    out = tmp_path_factory.mktemp("map_page") / "usb stick" / "sample map.html"
    maps.cli_map(results_gpkg, out)
    return out.as_uri()


@pytest.fixture(scope="module")
def shared(browser: Any, page_url: str) -> Any:
    """One loaded page for the tests that only read it."""
    with open_page(browser, page_url) as page_and_recorder:
        yield page_and_recorder


def number(text: str) -> float:
    """A number as the page prints it (thousands separators)."""
    return float(text.replace(",", "").strip())


def cents(frame: pd.DataFrame) -> float:
    """Tolerance of a sum of amounts: the parcels layer stores each amount rounded to 0.01
    万元 while the summary (like the workbook) sums the unrounded amounts, so the two sums may
    differ by up to half a cent per parcel (plus the page's own rounding)."""
    return 0.005 * len(frame) + 0.006


def assert_clean(rec: Any, page_url: str) -> None:
    assert rec.page_errors == []
    assert rec.console_errors == []
    assert rec.outside() == []
    assert set(rec.requests) == {page_url}, "a standalone page requests nothing but itself"


def test_every_parcel_with_a_geometry_is_drawn_in_its_status_colour(
    shared: Any, page_url: str, parcels: pd.DataFrame
) -> None:
    drawn = parcels[parcels["drawn"]]
    assert len(drawn) == len(parcels) - 1  # the sample has one parcel without a geometry
    page, rec = shared
    assert page.locator("path.lu-parcel").count() == len(drawn)
    for status, n in drawn["status"].value_counts().items():
        paths = page.locator(f"path.lu-status-{status}")
        assert paths.count() == n, status
    fills = page.eval_on_selector_all(
        "path.lu-parcel",
        "ps => [...new Set(ps.map(p => [...p.classList].find(c => c.startsWith('lu-status-'))"
        " + ' ' + p.getAttribute('fill')))]",
    )
    colours = {f.split()[0].removeprefix("lu-status-"): f.split()[1].upper() for f in fills}
    assert colours == {s: maps.STATUS_COLOURS[s].upper() for s in drawn["status"].unique()}
    assert_clean(rec, page_url)


def test_legend_counts_every_parcel_by_status(
    shared: Any, page_url: str, parcels: pd.DataFrame
) -> None:
    expected = parcels["status"].value_counts()
    page, rec = shared
    rows = page.locator(".lu-legend .lu-legend-row[data-status]")
    seen = {}
    for i in range(rows.count()):
        row = rows.nth(i)
        label = row.locator(".lu-legend-label").inner_text()
        seen[label] = int(number(row.locator(".lu-legend-count").inner_text()))
    assert seen == {STATUS_ZH[s]: int(n) for s, n in expected.items()}
    assert page.locator(".lu-legend").is_visible()
    assert "园区边界" in page.locator(".lu-legend").inner_text()
    assert_clean(rec, page_url)


def money(text: str) -> float:
    """An amount as the panel prints it: ``–`` for none."""
    return 0.0 if text.strip() == "–" else number(text)


def _table_values(block: Any) -> dict[str, tuple[float, float, float, float]]:
    out = {}
    rows = block.locator("tr[data-status]")
    for i in range(rows.count()):
        row = rows.nth(i)
        out[row.get_attribute("data-status")] = (
            number(row.locator(".lu-parcels").inner_text()),
            number(row.locator(".lu-ha").inner_text()),
            money(row.locator(".lu-confirmed").inner_text()),
            money(row.locator(".lu-potential").inner_text()),
        )
    return out


def _money_of(frame: pd.DataFrame) -> tuple[float, float]:
    """Confirmed amounts and those that would apply to unverified parcels, apart."""
    confirmed = frame["amounts_confirmed"].astype(bool)
    total = frame["total_penalty_wan"]
    return float(total[confirmed].sum()), float(total[~confirmed].sum())


def test_summary_panel_totals_per_park_and_overall(
    shared: Any, page_url: str, parcels: pd.DataFrame
) -> None:
    page, rec = shared
    panel = page.locator(".lu-panel")
    assert panel.is_visible()
    assert "评价基准日 2025-12-31" in panel.inner_text()
    assert "1 宗无图形" in panel.inner_text()
    assert "待核查金额：待核查宗地经核实未开工时适用的金额" in panel.inner_text()
    blocks = {"__total__": parcels, **dict(iter(parcels.groupby("park")))}
    assert page.locator("details.lu-park").count() == len(blocks)
    for key, frame in blocks.items():
        block = page.locator(f'details.lu-park[data-park="{key}"]')
        if block.get_attribute("open") is None:
            block.locator("summary").click()
        values = _table_values(block)
        by_status = frame.groupby("status")
        for status, group in by_status:
            n, ha, confirmed, potential = values[status]
            assert n == len(group)
            assert ha == pytest.approx(group["area_ha"].sum(), abs=0.006)
            want_confirmed, want_potential = _money_of(group)
            assert confirmed == pytest.approx(want_confirmed, abs=cents(group))
            assert potential == pytest.approx(want_potential, abs=cents(group))
            # only unverified parcels carry would-apply amounts
            assert (potential > 0) == (status == "unverified" and want_potential > 0)
        n, ha, confirmed, potential = values["all"]
        assert n == len(frame)
        assert ha == pytest.approx(frame["area_ha"].sum(), abs=0.006)
        want_confirmed, want_potential = _money_of(frame)
        assert confirmed == pytest.approx(want_confirmed, abs=cents(frame))
        assert potential == pytest.approx(want_potential, abs=cents(frame))
        assert set(values) == {*frame["status"].unique(), "all"}
    total = page.locator('details.lu-park[data-park="__total__"]')
    potential_total = _money_of(parcels)[1]
    assert potential_total > 0
    assert f"待核查 {potential_total:,.2f} 万元" in total.locator("summary").inner_text()
    assert_clean(rec, page_url)


def test_bar_chart_of_idle_and_overdue_hectares_per_park(
    shared: Any, page_url: str, parcels: pd.DataFrame
) -> None:
    idle = parcels["status"].isin(["recovery", "idle_fee"])
    overdue = parcels["status"].isin(["late_start", "late_completion"])
    page, rec = shared
    svg = page.locator(".lu-panel svg.lu-chart-svg")
    assert svg.is_visible()
    for park, frame in parcels.groupby("park"):
        row = svg.locator(f'g.lu-bar-row[data-park="{park}"]')
        got_idle = float(row.locator("rect.lu-bar-idle").get_attribute("data-ha"))
        got_overdue = float(row.locator("rect.lu-bar-overdue").get_attribute("data-ha"))
        assert got_idle == pytest.approx(frame.loc[idle, "area_ha"].sum(), abs=1e-4)
        assert got_overdue == pytest.approx(frame.loc[overdue, "area_ha"].sum(), abs=1e-4)
        assert f"{got_idle:,.2f}" in row.text_content()
    widths = svg.locator("rect.lu-bar").evaluate_all("rs => rs.map(r => r.width.baseVal.value)")
    assert max(widths) > 100 and min(widths) >= 0
    assert_clean(rec, page_url)


def _clickable(page: Any, parcels: pd.DataFrame, status: str) -> tuple[pd.Series, dict]:
    """A parcel of ``status`` whose inside point is on screen and not under a control."""
    candidates = parcels[parcels["drawn"] & (parcels["status"] == status)]
    for _, row in candidates.sort_values("area_ha", ascending=False).iterrows():
        point = parcel_screen_point(page, row["lon"], row["lat"])
        hit = page.evaluate(
            "([x, y]) => { const e = document.elementFromPoint(x, y);"
            " return e ? e.getAttribute('class') : null; }",
            [point["x"], point["y"]],
        )
        if hit and "lu-parcel" in hit:
            return row, point
    raise AssertionError(f"no clickable {status} parcel on screen")


@pytest.mark.parametrize("status", ["recovery", "late_completion", "unverified"])
def test_clicking_a_parcel_opens_its_popup_with_the_facts(
    browser: Any, page_url: str, parcels: pd.DataFrame, status: str
) -> None:
    with open_page(browser, page_url) as (page, rec):
        row, point = _clickable(page, parcels, status)
        page.mouse.click(point["x"], point["y"])
        popup = page.locator(".leaflet-popup .lu-popup")
        popup.wait_for(state="visible", timeout=5000)
        assert popup.locator(".lu-popup-title").inner_text() == row["project_name"]
        text = popup.inner_text()
        assert row["parcel_id"] in text
        assert STATUS_ZH[status] in text
        assert row["legal_basis"] in text
        assert f"{row['total_penalty_wan']:,.2f}" in text
        confirmed = popup.locator('tr[data-field="amounts_confirmed"] td').inner_text()
        assert confirmed == ("是" if row["amounts_confirmed"] else "否")
        if not pd.isna(row["intensity_wan_per_ha"]):
            intensity = popup.locator('tr[data-field="intensity_wan_per_ha"] td').inner_text()
            assert f"{row['intensity_wan_per_ha']:,.2f}" in intensity
            assert f"{row['intensity_min_wan_per_ha']:,.2f}" in intensity
            assert ("不达标" in intensity) == bool(row["below_threshold"])
        for column in ("start_due_date", "completion_due_date"):
            if not pd.isna(row[column]):
                assert pd.Timestamp(row[column]).strftime("%Y-%m-%d") in text
        for column in ("late_start_days", "idle_days", "late_completion_days"):
            if not pd.isna(row[column]):
                cell = popup.locator(f'tr[data-field="{column}"] td').inner_text()
                assert number(cell.split()[0]) == row[column]
        assert_clean(rec, page_url)


def test_hovering_a_parcel_shows_project_and_parcel(
    browser: Any, page_url: str, parcels: pd.DataFrame
) -> None:
    with open_page(browser, page_url) as (page, rec):
        row, point = _clickable(page, parcels, "idle_fee")
        page.mouse.move(point["x"], point["y"])
        tip = page.locator(".leaflet-tooltip .lu-tooltip")
        tip.wait_for(state="visible", timeout=5000)
        assert tip.locator(".lu-tooltip-name").inner_text() == row["project_name"]
        assert tip.locator(".lu-tooltip-id").inner_text() == row["parcel_id"]
        assert_clean(rec, page_url)


def test_each_status_is_a_layer_that_can_be_switched_off(
    browser: Any, page_url: str, parcels: pd.DataFrame
) -> None:
    n_recovery = int((parcels["drawn"] & (parcels["status"] == "recovery")).sum())
    with open_page(browser, page_url) as (page, rec):
        control = page.locator(".leaflet-control-layers")
        control.hover()
        labels = control.locator(".leaflet-control-layers-overlays label")
        names = [labels.nth(i).inner_text().strip() for i in range(labels.count())]
        assert names == [*(STATUS_ZH[s] for s in STATUS_ZH), "园区边界"]
        box = control.locator("label", has_text="拟收回").locator("input")
        box.uncheck()
        expect(page.locator("path.lu-status-recovery")).to_have_count(0)
        assert page.locator("path.lu-parcel").count() == int(parcels["drawn"].sum()) - n_recovery
        box.check()
        expect(page.locator("path.lu-status-recovery")).to_have_count(n_recovery)
        park_box = control.locator("label", has_text="园区边界").locator("input")
        assert page.locator(".lu-park-label").count() == parcels["park"].nunique()
        park_box.uncheck()
        expect(page.locator(".lu-park-label")).to_have_count(0)  # labels fade out
        assert_clean(rec, page_url)


def test_view_fits_the_data_with_park_names_and_a_scale_bar(
    shared: Any, page_url: str, parcels: pd.DataFrame
) -> None:
    drawn = parcels[parcels["drawn"]]
    page, rec = shared
    view = page.evaluate(
        "() => { const b = LU_MAP.getBounds();"
        " return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }"
    )
    south, west, north, east = view
    minx, miny, maxx, maxy = drawn.total_bounds
    assert south <= miny and west <= minx and north >= maxy and east >= maxx
    # fitted, not merely contained: the data spans most of the view's height
    assert (maxy - miny) / (north - south) > 0.6
    labels = sorted(page.locator(".lu-park-label").all_inner_texts())
    assert labels == sorted(parcels["park"].unique())
    scale = page.locator(".leaflet-control-scale-line").first.inner_text()
    assert re.fullmatch(r"\d+ k?m", scale)
    assert_clean(rec, page_url)


def test_page_is_self_contained(page_url: str) -> None:
    html = Path(page_url.removeprefix("file://").replace("%20", " ")).read_text(encoding="utf-8")
    assert "<script src" not in html and '<link rel="stylesheet"' not in html
    for cdn in ("cdn.jsdelivr", "unpkg", "cdnjs", "bootstrapcdn", "jquery", "googleapis"):
        assert cdn not in html.lower()
    assert html.count("L.map(") == 1


def test_bureau_tile_server_as_basemap(browser: Any, results_gpkg: Path, tmp_path: Path) -> None:
    """An XYZ basemap on the bureau's own server (here a loopback stub) is drawn: its tiles
    are requested and allowed by the page's policy, and nothing else leaves the page."""
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route
    from test_map_helpers import serve

    png = (Path(maps.assets_dirs()[1]) / "images" / "layers.png").read_bytes()

    async def tile(request: Any) -> Response:
        return Response(png, media_type="image/png")

    app = Starlette(routes=[Route("/tiles/{z}/{x}/{y}.png", tile)])
    with serve(app) as base:
        out = maps.cli_map(
            results_gpkg, tmp_path / "basemap.html", basemap=f"{base}/tiles/{{z}}/{{x}}/{{y}}.png"
        )
        with open_page(browser, out.as_uri()) as (page, rec):
            page.wait_for_load_state("networkidle")
            tiles = [u for u in rec.requests if u.startswith(f"{base}/tiles/")]
            assert tiles
            loaded = page.eval_on_selector_all(
                "img.leaflet-tile", "ts => ts.filter(t => t.naturalWidth > 0).length"
            )
            assert loaded == len(page.locator("img.leaflet-tile").all()) > 0
            assert rec.console_errors == [] and rec.page_errors == [] and rec.outside() == []
            assert set(rec.requests) == {out.as_uri(), *tiles}
