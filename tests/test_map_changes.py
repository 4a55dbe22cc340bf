"""What changed since the earlier run, on the served map of a store (a layer of outlines, a
legend with counts, a line in the popup) and at ``GET /runs/{run}/changes``.

The store holds the three runs of the hand-made park of ``tests/test_runs.py`` (its
``three_runs``: three 1 ha parcels A, B, C; then D added and B found started), worked by
hand there:

====  ==============  ================  ===================
      run 1           run 2             run 3
====  ==============  ================  ===================
A     late_start      idle_fee          recovery
B     on_track        unverified        on_track
C     on_track        on_track          on_track
D     --              --                on_track (new)
====  ==============  ================  ===================

So run 2 against run 1: A newly idle (逾期未开工 → 闲置满一年), B newly to inspect (按期推进 →
待核查). Run 3 against run 2: A newly due for recovery (闲置满一年 → 拟收回), B resolved (待核查
→ 按期推进), D other (新增宗地 → 按期推进). Run 3 against run 1: A newly due for recovery
(逾期未开工 → 拟收回), D other; B is on track in both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
import shapely
from conftest import Server
from test_map_helpers import browser, open_page, parcel_screen_point
from test_runs import X0, Y0, folder, run_cli, three_runs, write_park

__all__ = ["browser", "folder", "three_runs"]  # fixtures

CHANGES_2 = {"A": "newly_idle", "B": "newly_unverified"}
CHANGES_3 = {"A": "newly_recovery", "B": "resolved", "D": "other"}
CHANGES_3_SINCE_1 = {"A": "newly_recovery", "D": "other"}
KINDS = ("newly_recovery", "newly_idle", "newly_late", "newly_unverified", "resolved", "other")
FIRST_TILE = "window.LU_FIRST_PARCELS_MS !== undefined"


@pytest.fixture(scope="module")
def store(three_runs: Path) -> Path:
    return three_runs / "runs.sqlite"


@pytest.fixture(scope="module")
def server(store: Path, start_server) -> Server:
    return start_server(store, store=True)


@pytest.fixture(scope="module")
def tile_server(store: Path, start_server) -> Server:
    return start_server(store, store=True, env={"LANDUSE_MAP_TILE_THRESHOLD": "1"})


def _kinds(doc: dict) -> dict[str, str]:
    return {c["key"]: c["change"] for c in doc["changes"]}


def test_changes_route(server: Server) -> None:
    doc = server.get("/runs/3/changes").json()
    assert (doc["run"], doc["compare"], doc["compare_as_of_date"]) == (3, 2, "2025-03-01")
    assert _kinds(doc) == CHANGES_3
    moves = {c["key"]: (c["status_before_zh"], c["status_after_zh"]) for c in doc["changes"]}
    assert moves == {
        "A": ("闲置满一年", "拟收回"),
        "B": ("待核查", "按期推进"),
        "D": ("新增宗地", "按期推进"),
    }
    counts = {k["change"]: (k["parcels"], k["area_ha"]) for k in doc["kinds"]}
    assert counts == {k: ((1, 1.0) if k in CHANGES_3.values() else (0, 0.0)) for k in KINDS}
    assert _kinds(server.get("/runs/2/changes").json()) == CHANGES_2
    since_1 = server.get("/runs/3/changes", params={"compare": "1"}).json()
    assert since_1["compare"] == 1 and _kinds(since_1) == CHANGES_3_SINCE_1
    first = server.get("/runs/1/changes").json()
    assert (first["compare"], first["changes"], first["kinds"]) == (None, [], [])
    for path, params in (("/runs/9/changes", {}), ("/runs/3/changes", {"compare": "9"})):
        answer = server.get(path, params=params)
        assert answer.status_code == 404 and answer.json()["code"] == "NotFound"
    assert server.get("/runs/3/changes", params={"since": "1"}).status_code == 400
    operation = server.get("/api").json()["paths"]["/runs/{run}/changes"]["get"]
    assert {"200", "404"} <= set(operation["responses"])
    assert "compare" in {p["name"] for p in operation["parameters"]}


def _outlined(page: Any) -> dict[str, str]:
    return page.evaluate(
        """() => { const out = {}; LU_DATA.changeLayer.eachLayer(l => {
          out[l.feature.properties.parcel_id] = l.options.className.split(' ')[1]
            .replace('lu-change-', ''); }); return out; }"""
    )


def _legend(page: Any) -> dict[str, int]:
    return page.eval_on_selector_all(
        "#lu-changes li[data-kind]",
        "lis => Object.fromEntries(lis.map(li => [li.dataset.kind, Number(li.dataset.count)]))",
    )


def _clean(rec: Any) -> None:
    assert rec.page_errors == []
    assert rec.console_errors == []
    assert rec.failed == []
    assert rec.outside() == []


def _centre(parcel: int) -> tuple[float, float]:
    """Longitude and latitude of the middle of the ``parcel``-th square (A = 0)."""
    point = gpd.GeoSeries([shapely.Point(X0 + parcel * 200 + 50, Y0 + 50)], crs="EPSG:4529").to_crs(
        "EPSG:4326"
    )
    return float(point.x.iloc[0]), float(point.y.iloc[0])


def test_the_layer_outlines_the_changed_parcels_by_kind(
    browser: Any, server: Server, tmp_path: Path
) -> None:
    with open_page(browser, f"{server.url}/map?run=3") as (page, rec):
        assert _outlined(page) == CHANGES_3
        assert page.locator("path.lu-change").count() == 3
        for key, kind in CHANGES_3.items():
            assert page.locator(f"path.lu-change-{kind}").count() == 1, key
        assert _legend(page) == {k: (1 if k in CHANGES_3.values() else 0) for k in KINDS}
        legend = page.locator("#lu-changes")
        assert legend.is_visible()
        assert "本期变化（自 #2 · 2025-03-01 以来）" in legend.inner_text()
        assert "新增拟收回：1 宗 · 1.00 公顷" in legend.inner_text()
        page.screenshot(path=str(tmp_path / "changes_run3.png"))

        # the popup of a changed parcel tells the change, that of an unchanged one does not
        lon, lat = _centre(0)
        point = parcel_screen_point(page, lon, lat)
        page.mouse.click(point["x"], point["y"])
        popup = page.locator(".leaflet-popup .lu-popup-change")
        assert popup.get_attribute("data-kind") == "newly_recovery"
        assert "上期 闲置满一年 → 本期 拟收回" in popup.inner_text()
        assert "新增拟收回" in popup.inner_text()
        page.wait_for_timeout(400)  # the popup's pan
        page.screenshot(path=str(tmp_path / "changes_popup.png"))
        page.evaluate("() => LU_MAP.closePopup()")
        lon, lat = _centre(2)
        point = parcel_screen_point(page, lon, lat)
        page.mouse.click(point["x"], point["y"])
        unchanged = page.locator(".leaflet-popup .lu-popup", has_text="宗地编号 C")
        unchanged.wait_for()
        assert unchanged.locator(".lu-popup-change").count() == 0

        # the layer is switched off and on again in the layer control
        control = page.locator(".leaflet-control-layers")
        control.hover()
        box = control.locator("label", has_text="本期变化").locator("input")
        box.uncheck()
        page.wait_for_timeout(100)
        assert page.locator("path.lu-change").count() == 0
        assert page.locator("path.lu-parcel").count() == 4
        box.check()
        page.wait_for_timeout(100)
        assert page.locator("path.lu-change").count() == 3
        _clean(rec)


IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "</script><script>window.__xss=2</script>"
TRAP = "window.alert = () => { window.__alerted = true; };"
NOT_RUN = "() => window.__xss === undefined && window.__alerted === undefined"


def test_hostile_parcel_ids_are_shown_as_text(browser: Any, tmp_path: Path, start_server) -> None:
    write_park(tmp_path)
    parcels = gpd.read_file(tmp_path / "park.gpkg", layer="parcels")
    parcels["parcel_id"] = [IMG, SCRIPT, "C"]
    parcels.to_file(tmp_path / "park.gpkg", layer="parcels")
    for as_of in ("2024-06-30", "2025-03-01"):
        done = run_cli(
            "analyse", "park.gpkg", "--as-of", as_of, "--store", "runs.sqlite", cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
    server = start_server(tmp_path / "runs.sqlite", store=True)
    with open_page(browser, f"{server.url}/map?run=2", init_script=TRAP) as (page, rec):
        assert _outlined(page) == {IMG: "newly_idle", SCRIPT: "newly_unverified"}
        lon, lat = _centre(0)
        point = parcel_screen_point(page, lon, lat)
        page.mouse.click(point["x"], point["y"])
        popup = page.locator(".leaflet-popup .lu-popup")
        popup.locator(".lu-popup-change").wait_for()
        assert IMG in popup.inner_text()
        assert page.evaluate(NOT_RUN)
        _clean(rec)


def test_another_run_to_compare_with(browser: Any, server: Server) -> None:
    with open_page(browser, f"{server.url}/map?run=2") as (page, rec):
        assert _outlined(page) == CHANGES_2
        assert _legend(page) == {k: (1 if k in CHANGES_2.values() else 0) for k in KINDS}
        _clean(rec)
    with open_page(browser, f"{server.url}/map?run=3&compare=1") as (page, rec):
        assert _outlined(page) == CHANGES_3_SINCE_1
        assert "自 #1 · 2024-06-30 以来" in page.locator("#lu-changes").inner_text()
        _clean(rec)
    assert server.get("/map", params={"run": "3", "compare": "9"}).status_code == 404


def test_the_first_run_has_no_layer_and_says_why(browser: Any, server: Server) -> None:
    with open_page(browser, f"{server.url}/map?run=1") as (page, rec):
        assert page.evaluate("() => LU_DATA.changes") is None
        assert page.evaluate("() => LU_DATA.changeLayer === undefined")
        assert page.locator("path.lu-change").count() == 0
        assert "首次分析：无上期可比较" in page.locator("#lu-changes").inner_text()
        control = page.locator(".leaflet-control-layers")
        control.hover()
        assert control.locator("label", has_text="本期变化").count() == 0
        _clean(rec)


def test_english_page(browser: Any, server: Server) -> None:
    with open_page(browser, f"{server.url}/map?run=3&lang=en") as (page, rec):
        text = page.locator("#lu-changes").inner_text()
        assert "Changes since run #2 (2025-03-01)" in text
        assert "Newly due for recovery: 1 · 1.00 ha" in text.replace("：", ": ")
        _clean(rec)


def test_tile_pages_outline_the_changed_parcels_on_the_tiles(
    browser: Any, tile_server: Server, tmp_path: Path
) -> None:
    with open_page(browser, f"{tile_server.url}/map?run=3", wait=FIRST_TILE) as (page, rec):
        page.wait_for_load_state("networkidle")
        assert page.locator("path.lu-parcel").count() == 0  # drawn from tiles
        drawn = page.eval_on_selector_all(
            "canvas.lu-change-tile", "cs => cs.reduce((n, c) => n + Number(c.dataset.changes), 0)"
        )
        assert drawn >= 3  # a parcel on a tile edge is outlined on both tiles
        assert _legend(page) == {k: (1 if k in CHANGES_3.values() else 0) for k in KINDS}
        page.screenshot(path=str(tmp_path / "changes_tiles.png"))
        lon, lat = _centre(1)
        point = parcel_screen_point(page, lon, lat)
        page.mouse.click(point["x"], point["y"])
        popup = page.locator(".leaflet-popup .lu-popup-change")
        popup.wait_for()
        assert "上期 待核查 → 本期 按期推进" in popup.inner_text()
        control = page.locator(".leaflet-control-layers")
        control.hover()
        control.locator("label", has_text="本期变化").locator("input").uncheck()
        assert page.locator("canvas.lu-change-tile").count() == 0
        _clean(rec)
