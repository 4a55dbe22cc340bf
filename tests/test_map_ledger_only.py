"""The map of results without geometries (ledgers alone) and with some, in headless Chromium:
the summary panel, the ranked table of parcels to act on, the message saying how to add a
parcel layer, hostile text shown as text, nothing requested outside the page (or the API).

The seven made-up parcels and every expected figure are in ``made_up_results.py`` (worked out
by hand); the real-data test maps one analysed day of land-market exports.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from made_up_results import REAL_DAY, REGION, XSS, real_day_results, write
from test_map_helpers import api_app, browser, open_page, serve

import maps
from maps.actions import list_html

__all__ = ["browser"]  # the fixture, imported for pytest

TRAP = "window.alert = () => { window.__alerted = true; };"
NO_GROUP = "（未指定园区）"
#: The rows to act on, ranked by hand: A1, A7, A3, A2, A5, each as its supervision number
#: and, as it differs, its parcel id.
RANKED = [
    "2101062016B00001 / A1",
    "2101062016B00007 / A7",
    "4201152016B00003 / A3",
    "4201152016B00002 / A2",
    "2101062016B00005 / A5",
]


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("map_ledger")


def _rows(page: Any) -> list[list[str]]:
    cells = page.eval_on_selector_all(
        ".lu-list-table tbody tr",
        "rows => rows.map(r => [...r.querySelectorAll('td')].map(td => td.innerText.trim()))",
    )
    return cells


def _assert_clean(rec: Any, allowed: set[str]) -> None:
    assert rec.page_errors == [] and rec.console_errors == []
    assert rec.outside() == [] and rec.failed == []
    assert set(rec.requests) <= allowed


def test_ledger_only_map_lists_the_parcels_to_act_on(browser: Any, folder: Path) -> None:
    results = write(folder / "ledger.gpkg")
    out = maps.cli_map(results, folder / "ledger.html")
    url = out.as_uri()
    with open_page(browser, url, init_script=TRAP) as (page, rec):
        rows = _rows(page)
        assert [r[1] for r in rows] == RANKED
        assert [r[0] for r in rows] == ["1", "2", "3", "4", "5"]
        by_key = {r[1]: r for r in rows}
        # columns: #, key, project, holder, group, status, ha, confirmed, would apply
        assert by_key[RANKED[0]][2:] == [
            "一号项目",
            "甲公司",
            "北区",
            "拟收回",
            "2.0000",
            "100.00",
            "–",
        ]
        assert by_key[RANKED[3]][4:] == [NO_GROUP, "待核查", "3.0000", "–", "50.00"]
        # the hostile project name is text, nothing ran
        assert by_key[RANKED[4]][2] == XSS and by_key[RANKED[4]][3] == XSS
        assert page.evaluate("() => window.__alerted === undefined")
        assert page.locator(".lu-list img, .lu-panel img").count() == 0
        listing = page.locator("details.lu-list")
        assert listing.get_attribute("open") is not None and listing.is_visible()
        text = listing.inner_text()
        assert "这些结果没有宗地图形（仅由台账分析）" in text
        assert "landuse analyse parcels.gpkg --ledger 台账.csv --as-of 2017-06-30" in text
        assert "共 5 宗" in text
        # the panel: groups, and confirmed apart from would-apply (145 and 80, never 225)
        panel = page.locator(".lu-panel")
        assert "7 宗无图形" in panel.inner_text()
        names = page.locator(".lu-panel .lu-park-name").all_inner_texts()
        assert names == ["合计", "北区", NO_GROUP]
        total = page.locator('details.lu-park[data-park="__total__"] summary').inner_text()
        assert "已确认 145.00 万元" in total and "待核查 80.00 万元" in total
        assert "225" not in panel.inner_text()
        # nothing drawn, nothing to measure or switch
        assert page.locator("path.lu-parcel").count() == 0
        assert page.locator(".leaflet-control-scale, .leaflet-control-layers").count() == 0
        assert "园区边界" not in page.locator(".lu-legend").inner_text()
        _assert_clean(rec, {url})


def test_plain_parquet_with_regions_groups_by_region(folder: Path) -> None:
    results = write(folder / "regions.parquet", region=True)
    page = maps.cli_map(results, folder / "regions.html").read_text(encoding="utf-8")
    assert 'data-park="北区"' in page and f'data-park="{REGION}"' in page
    assert page.index(f'data-park="{REGION}"') < page.index(f'data-park="{NO_GROUP}"')
    region_rows = re.findall(r'<td class="lu-group">([^<]*)</td>', page)
    assert region_rows == ["北区", NO_GROUP, REGION, REGION, "北区"]  # A1 A7 A3 A2 A5
    # --park takes a region as well: its two parcels, both to act on
    one = maps.cli_map(results, folder / "one_region.html", park=REGION).read_text("utf-8")
    assert re.findall(r'<td class="lu-group">([^<]*)</td>', one) == [REGION, REGION]
    # served above the tile threshold, a result without geometry is still listed, not tiled
    served = maps.render_served_page(results, "/", tile_threshold=2)
    assert "landuse-tiles.js" not in served
    assert len(re.findall(r'<td class="lu-key">', served)) == 5
    english = maps.cli_map(results, folder / "regions_en.html", lang="en")
    text = english.read_text(encoding="utf-8")
    assert "Parcels to act on (by status and amount)" in text
    assert "These results have no parcel geometries" in text
    assert "--ledger ledger.csv --as-of 2017-06-30" in text


def test_the_table_is_limited_with_a_note_of_the_rest() -> None:
    from made_up_results import parcels

    html = list_html("zh", parcels(), all_parcels=True, limit=2)
    keys = re.findall(r'<td class="lu-key">([^<]*)</td>', html)
    assert keys == RANKED[:2]
    assert "仅列出前 2 宗，另有 3 宗未列出。" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in list_html("zh", parcels(), all_parcels=True)


def test_partial_geometry_draws_what_it_can_and_lists_the_rest(browser: Any, folder: Path) -> None:
    results = write(folder / "mixed.gpkg", geometry="some", region=True)
    out = maps.cli_map(results, folder / "mixed.html")
    url = out.as_uri()
    with open_page(browser, url) as (page, rec):
        assert page.locator("path.lu-parcel").count() == 3
        assert "4 宗无图形，未在图上绘制" in page.locator(".lu-panel").inner_text()
        listing = page.locator("details.lu-list")
        assert listing.get_attribute("open") is None  # closed: the map comes first
        assert "无图形、需处理的宗地" in listing.inner_text() and "共 3 宗" in listing.inner_text()
        listing.locator("summary").click()
        assert [r[1] for r in _rows(page)] == [RANKED[1], RANKED[2], RANKED[3]]
        assert page.locator(".leaflet-control-scale").count() == 1
        _assert_clean(rec, {url})


def test_served_map_of_a_ledger_only_result(browser: Any, folder: Path) -> None:
    results = write(folder / "served.parquet")
    with serve(api_app(results)) as base, open_page(browser, f"{base}/map") as (page, rec):
        assert [r[1] for r in _rows(page)] == RANKED
        assert "landuse analyse parcels.gpkg" in page.locator("details.lu-list").inner_text()
        assert page.locator("path.lu-parcel").count() == 0
        _assert_clean(rec, {u for u in rec.requests if u.startswith(base)})


@pytest.mark.skipif(not REAL_DAY.exists(), reason=f"{REAL_DAY} not found")
def test_real_day_of_exports_maps_with_the_cli(browser: Any, tmp_path_factory) -> None:
    import pandas as pd

    results = real_day_results(tmp_path_factory)["parquet"]  # a plain Parquet file
    parcels = pd.read_parquet(results)
    act = parcels[~parcels["status"].isin(["on_track", "compliant"])]
    assert len(act) > 0
    out = tmp_path_factory.mktemp("real_day_map") / "day.html"
    done = subprocess.run(
        [sys.executable, "-m", "landuse.cli", "map", str(results), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    with open_page(browser, out.as_uri()) as (page, rec):
        rows = _rows(page)
        assert len(rows) == min(len(act), 500)
        # ledger rows: the parcel id is the supervision number, shown once
        assert {r[1] for r in rows} <= set(parcels["supervision_no"])
        first = act.sort_values("total_penalty_wan", ascending=False).iloc[0]
        if (act["status"] == "unverified").all():  # one status: ranked by amount alone
            assert rows[0][1] == first["supervision_no"]
        assert f"{len(parcels):,} 宗无图形" in page.locator(".lu-panel").inner_text()
        _assert_clean(rec, {out.as_uri()})


@pytest.mark.skipif(not REAL_DAY.exists(), reason=f"{REAL_DAY} not found")
def test_the_list_of_a_store_s_page_ends_above_the_runs_and_changes(
    browser: Any, tmp_path: Path
) -> None:
    """A store of two runs of a real day of exports (ledgers alone): the page lists the
    parcels at the top left and stacks the legend, the changes and the runs at the bottom
    left; the list ends above that stack, so no row of it is hidden behind them."""
    from api.app import create_app
    from api.settings import Settings

    store = tmp_path / "runs.sqlite"
    for as_of in ("2017-06-30", "2018-06-30"):
        done = subprocess.run(
            [sys.executable, "-m", "landuse.cli", "analyse", str(REAL_DAY)]
            + ["--as-of", as_of, "--store", str(store)],
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
    app = create_app(Settings(store_path=store, results_path=None))
    with serve(app) as base, open_page(browser, f"{base}/map") as (page, rec):
        assert len(_rows(page)) > 20  # more rows than the room left: the list scrolls
        assert page.locator("#lu-runs").is_visible() and page.locator("#lu-changes").is_visible()
        list_bottom = page.evaluate(
            "document.getElementById('lu-list').getBoundingClientRect().bottom"
        )
        stack_top = page.evaluate(
            "document.querySelector('.leaflet-bottom.leaflet-left').getBoundingClientRect().top"
        )
        assert list_bottom <= stack_top
        assert rec.page_errors == [] and rec.console_errors == []
