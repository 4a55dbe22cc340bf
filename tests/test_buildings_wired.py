"""Building footprints through the product: rules file, analysis, outputs, CLI, API, map.

Expected values are worked out by hand from RULES.md and issue 10 (national defaults: late
start 1‰ of the land price P per day, capped at the recovery date two years after the start
due date; idle fee 20 % of P; footprint evidence threshold 10 % coverage; likely idle after an
empty survey at least one year after the start due date). Parcels of the hand-made layer are
100 m x 100 m (1 ha = 10,000 m²) in EPSG:4529, side by side along x.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from openpyxl import load_workbook
from test_analysis import flag, is_null, parcels
from test_api import oapif
from test_cli import _env, _landuse
from test_map_helpers import api_app, browser, open_page, serve, wait_for

from landuse.analysis import analyse
from landuse.cli import analyse_sample_park
from landuse.errors import InputError
from landuse.pipeline import BuildingInputs, run_analysis, write_results
from landuse.rules_file import load_rules
from landuse.schema import BUILDING_RESULT_COLUMNS, OUTPUT_LABELS_ZH
from maps.actions import ranked

__all__ = ["browser"]  # the fixture, imported for pytest

CRS = "EPSG:4529"
X0, Y0 = 41_500_000.0, 4_626_000.0
REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
OSM = REAL / "osm_buildings_wuhan_shanghai"
HSINCHU = REAL / "nlsc_buildings_hsinchu_science_park" / "hsinchu_buildings_3826.geojson"


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def survey(index: list[str], coverage: list[float], date: str) -> pd.DataFrame:
    """The measures of one survey on 1 ha parcels: one building where the coverage is above
    0, footprint = coverage x 10,000 m², two floors."""
    cov = np.asarray(coverage, dtype=float)
    return pd.DataFrame(
        {
            "building_count": (cov > 0).astype("int64"),
            "footprint_m2": cov * 10_000,
            "building_coverage": cov,
            "floor_area_m2": cov * 20_000,
            "plot_ratio_est": cov * 2,
            "buildings_survey_date": pd.Timestamp(date),
            "buildings_surveyed": True,
        },
        index=index,
    )


# --------------------------------------------------------------------------------------------
# Analysis (pure, hand-worked)

DUE_2020 = {"agreed_start_date": "2020-01-01", "land_price_wan": 100.0, "area_ha": 1.0}


def test_coverage_after_the_due_date_is_start_evidence_dated_by_the_first_survey():
    rows = parcels(
        {"parcel_id": "BUILT", **DUE_2020, "agreed_completion_date": "2030-01-01"},
        {"parcel_id": "EARLY", **DUE_2020, "agreed_start_date": "2023-01-01"},
        {"parcel_id": "SHED", **DUE_2020},
    )
    ids = list(rows.index)
    before = survey(ids, [0.10, 0.20, 0.0], "2021-06-30")
    after = survey(ids, [0.20, 0.20, 0.05], "2022-06-30")
    out = analyse(rows, "2023-12-31", load_rules(), buildings=[before, after])
    # BUILT: 10 % in 2021-06-30 (after the due date 2020-01-01) is already evidence: dated
    # by that first survey; not unverified any more, completion due 2030 → on track
    assert out.at["BUILT", "start_evidence"] == "buildings"
    assert out.at["BUILT", "started"]
    assert flag(out.at["BUILT", "start_evidence_buildings"]) is True
    assert out.at["BUILT", "buildings_evidence_date"] == pd.Timestamp("2021-06-30")
    assert out.at["BUILT", "status"] == "on_track"
    # the latest survey's measures, and the change between the two: 0.20 − 0.10
    assert out.at["BUILT", "building_coverage"] == pytest.approx(0.20)
    assert out.at["BUILT", "buildings_survey_date"] == pd.Timestamp("2022-06-30")
    assert out.at["BUILT", "coverage_change"] == pytest.approx(0.10)
    # started on evidence: coverage 20 % is below the 30 % control indicator
    assert flag(out.at["BUILT", "coverage_below_min"]) is True
    # EARLY: 20 % in both surveys, but both before its due date 2023-01-01: no evidence;
    # past due by 364 days as of 2023-12-31 and not a year → unverified, not likely idle
    assert out.at["EARLY", "start_evidence"] == "none"
    assert out.at["EARLY", "status"] == "unverified"
    assert flag(out.at["EARLY", "likely_idle"]) is False
    # SHED: 5 % < 10 %: no evidence; it has a building, so not likely idle either
    assert out.at["SHED", "status"] == "unverified"
    assert flag(out.at["SHED", "likely_idle"]) is False
    assert flag(out.at["SHED", "coverage_below_min"]) is None  # not started: no flag


def test_money_is_never_confirmed_from_footprints():
    rows = parcels(
        # due 2020-01-01, completion due 2021-01-01: late completion once started
        {"parcel_id": "LATE", **DUE_2020, "agreed_completion_date": "2021-01-01"},
        {"parcel_id": "EMPTY", **DUE_2020},
    )
    ids = list(rows.index)
    out = analyse(rows, "2023-12-31", load_rules(), buildings=[survey(ids, [0.4, 0], "2022-06-30")])
    # LATE started (footprints), day unknown: the late-start amount is unknown, not 0
    assert out.at["LATE", "status"] == "late_completion"
    assert is_null(out.at["LATE", "late_start_days"]) and is_null(out.at["LATE", "late_start_wan"])
    # late completion 2021-01-01 → 2023-12-31 = 1094 days, capped at the recovery date
    # 2023-01-01 (730 days): 100 × 1‰ × 730 = 73.00 万元, but not confirmed (footprints)
    assert out.at["LATE", "late_completion_wan"] == pytest.approx(73.0)
    assert not out.at["LATE", "amounts_confirmed"]
    assert out.at["LATE", "confirmed_penalty_wan"] == 0
    assert out.at["LATE", "potential_penalty_wan"] == pytest.approx(73.0)
    assert "建筑物调查" in out.at["LATE", "legal_basis"]
    # EMPTY: no building a year after its due date → likely idle, still unverified, its
    # amounts only what would apply if found not started: late start 731 days (2020-01-01 →
    # recovery cap 2022-01-01) × 100 × 1‰ = 73.10, idle fee 20 → 93.10, none confirmed
    assert out.at["EMPTY", "status"] == "unverified"
    assert flag(out.at["EMPTY", "likely_idle"]) is True
    assert out.at["EMPTY", "idle_stage"] == "none"  # never idle on footprints
    assert out.at["EMPTY", "confirmed_penalty_wan"] == 0
    assert out.at["EMPTY", "potential_penalty_wan"] == pytest.approx(93.10)


def test_likely_idle_only_for_unverified_parcels():
    rows = parcels(
        {"parcel_id": "UNV", **DUE_2020},
        {"parcel_id": "INSPECTED", **DUE_2020, "start_status": "not_started"},
        {"parcel_id": "STARTED", **DUE_2020, "start_status": "started"},
        {"parcel_id": "RECENT", **DUE_2020, "agreed_start_date": "2022-01-01"},
        {"parcel_id": "NOT_SEEN", **DUE_2020},
    )
    ids = list(rows.index)
    empty = survey(ids, [0, 0, 0, 0, 0], "2022-06-30")
    empty.loc["NOT_SEEN", "buildings_surveyed"] = False  # outside the surveyed area
    out = analyse(rows, "2023-12-31", load_rules(), buildings=[empty])
    likely = {i: flag(out.at[i, "likely_idle"]) for i in ids}
    # survey 2022-06-30 ≥ 2020-01-01 + 1 year: UNV; RECENT due 2022-01-01 + 1 year =
    # 2023-01-01 > survey date; inspected / started parcels are not unverified
    assert likely == {
        "UNV": True,
        "INSPECTED": False,
        "STARTED": False,
        "RECENT": False,
        "NOT_SEEN": False,
    }
    assert out.at["INSPECTED", "status"] == "recovery"  # the inspection decides, as before


def test_without_footprints_the_columns_are_there_and_empty():
    out = analyse(parcels({"parcel_id": "A", **DUE_2020}), "2023-12-31", load_rules())
    for name in BUILDING_RESULT_COLUMNS:
        assert name in out.columns and pd.isna(out.at["A", name]), name
    assert out.at["A", "status"] == "unverified" and out.at["A", "start_evidence"] == "none"


def test_chinese_labels_of_the_building_columns():
    assert OUTPUT_LABELS_ZH["building_count"] == "建筑物数量"
    assert OUTPUT_LABELS_ZH["building_coverage"] == "建筑系数(估算)"
    assert OUTPUT_LABELS_ZH["likely_idle"] == "疑似闲置(待核查)"
    assert set(BUILDING_RESULT_COLUMNS) <= set(OUTPUT_LABELS_ZH)


def test_buildings_table_of_the_rules_file(tmp_path):
    assert load_rules().buildings.coverage_evidence_min == 0.10
    good = tmp_path / "r.toml"
    good.write_text(
        '[buildings]\ncoverage_evidence_min = 0.2\n[buildings.fields]\nfloors = "JZCS"\n'
    )
    rules = load_rules(good)
    assert rules.buildings.coverage_evidence_min == 0.2
    assert rules.buildings.fields == {"floors": "JZCS"}
    assert rules.buildings.storey_height_m == 3.0  # defaults kept
    for text, word in (
        ("[buildings]\ncoverage_evidence_min = 2\n", "coverage_evidence_min"),
        ("[buildings]\nstorey_heigth_m = 3\n", "storey_heigth_m"),
        ('[buildings.fields]\nwidth = "W"\n', "width"),
    ):
        bad = tmp_path / "bad.toml"
        bad.write_text(text)
        with pytest.raises(InputError, match=word):
            load_rules(bad)


# --------------------------------------------------------------------------------------------
# The hand-made park through the pipeline, the outputs, the API and the map


@pytest.fixture(scope="module")
def park(tmp_path_factory) -> Path:
    """Four 1 ha parcels with their ledger columns, and two surveys of footprints.

    P1: 40 x 50 = 2000 m² in 2022 (20 %), 20 x 50 = 1000 m² in 2021 (10 %); P2: a 10 x 50 m
    shed (5 %); P3: nothing; P4: 40 x 50 m (20 %) but due 2023-01-01, after both surveys.
    Start due 2020-01-01 except P4; P3's land price is 50 万元, the others' 100.
    """
    folder = tmp_path_factory.mktemp("bldg_park")
    parcels_gdf = gpd.GeoDataFrame(
        {
            "宗地编号": ["P1", "P2", "P3", "P4"],
            "土地用途": ["工业用地"] * 4,
            "约定开工时间": ["2020-01-01", "2020-01-01", "2020-01-01", "2023-01-01"],
            "约定竣工时间": ["2030-01-01"] * 4,
            "成交价格(万元)": [100.0, 100.0, 50.0, 100.0],
        },
        geometry=[box(i * 100, 0, i * 100 + 100, 100) for i in range(4)],
        crs=CRS,
    )
    parcels_gdf.to_file(folder / "parcels.gpkg", engine="pyogrio")
    current = gpd.GeoDataFrame(
        {"id": ["a", "b", "d"], "层数": [2, 1, 3]},
        geometry=[box(10, 10, 50, 60), box(110, 10, 120, 60), box(310, 10, 350, 60)],
        crs=CRS,
    )
    current.to_file(folder / "b2022.geojson", engine="pyogrio")
    earlier = gpd.GeoDataFrame({"id": ["a"], "层数": [2]}, geometry=[box(10, 10, 30, 60)], crs=CRS)
    earlier.to_file(folder / "b2021.geojson", engine="pyogrio")
    return folder


def _analyse(folder: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_landuse(), "analyse", str(folder / "parcels.gpkg"), "--as-of", "2023-12-31"]
        + ["--out", str(out), "--overwrite", *extra],
        capture_output=True,
        text=True,
        env=_env(),
        cwd=folder,
        timeout=300,
    )


SURVEYS = (
    "--buildings",
    "b2022.geojson",
    "--buildings-date",
    "2022-06-30",
    "--buildings-before",
    "b2021.geojson",
    "--buildings-before-date",
    "2021-06-30",
)


@pytest.fixture(scope="module")
def cli_runs(park) -> dict[str, subprocess.CompletedProcess]:
    return {
        "gpkg": _analyse(park, park / "out.gpkg", *SURVEYS),
        "xlsx": _analyse(park, park / "out.xlsx", *SURVEYS),
        "bad_date": _analyse(
            park, park / "x.gpkg", "--buildings", "b2022.geojson", "--buildings-date", "2022-13-45"
        ),
        "no_date": _analyse(park, park / "y.gpkg", "--buildings", "b2022.geojson"),
        "missing": _analyse(
            park, park / "z.gpkg", "--buildings", "nowhere.shp", "--buildings-date", "2022"
        ),
        "date_alone": _analyse(park, park / "w.gpkg", "--buildings-date", "2022-06-30"),
        "workers": _analyse(
            park, park / "v.gpkg", "--buildings", "b2022.geojson", "--workers", "many"
        ),
        "single": _analyse(park, park / "single.gpkg", *SURVEYS[:4]),
        "dask": _analyse(park, park / "dask.gpkg", *SURVEYS[:4], "--workers", "1"),
    }


def test_cli_on_a_dask_worker_gives_the_same_results(cli_runs, park):
    assert cli_runs["dask"].returncode == 0, cli_runs["dask"].stderr
    single = gpd.read_file(park / "single.gpkg", layer="parcels")
    dask = gpd.read_file(park / "dask.gpkg", layer="parcels")
    pd.testing.assert_frame_equal(
        single[list(BUILDING_RESULT_COLUMNS)], dask[list(BUILDING_RESULT_COLUMNS)]
    )
    assert dask.loc[dask.parcel_id == "P1", "start_evidence"].item() == "buildings"


def test_cli_round_trip_with_two_surveys(cli_runs, park):
    run = cli_runs["gpkg"]
    assert run.returncode == 0, run.stderr
    assert "--buildings: 3 buildings (0 points), 0 outside every parcel" in run.stdout
    out = gpd.read_file(park / "out.gpkg", layer="parcels").set_index("parcel_id")
    # P1: 2000 m² footprint, 2 floors → 4000 m² floor area, plot ratio 0.4; started by the
    # first survey with ≥ 10 %: 2021-06-30 (1000 m² = 10 %); new footprint 2000 − 1000
    p1 = out.loc["P1"]
    assert (p1.building_count, p1.footprint_m2, p1.floor_area_m2) == (1, 2000.0, 4000.0)
    assert p1.building_coverage == pytest.approx(0.2) and p1.plot_ratio_est == pytest.approx(0.4)
    assert p1.start_evidence == "buildings" and p1.status == "on_track"
    assert str(p1.buildings_evidence_date)[:10] == "2021-06-30"
    assert p1.new_footprint_m2 == pytest.approx(1000.0)
    assert p1.coverage_change == pytest.approx(0.1)
    # P2: 500 m² (5 %) → unverified; P3: empty in a survey 2.5 years after due → likely idle;
    # P4: its survey precedes its due date → unverified, not likely idle
    assert out.loc["P2", "status"] == "unverified" and out.loc["P2", "footprint_m2"] == 500
    assert out.loc["P3", "likely_idle"] == 1 and out.loc["P3", "status"] == "unverified"
    assert out.loc["P4", "likely_idle"] == 0 and out.loc["P4", "start_evidence"] == "none"
    # the footprints are a layer of the results, in the parcels' CRS
    b = gpd.read_file(park / "out.gpkg", layer="buildings")
    assert len(b) == 3 and b.crs.to_epsg() == 4529
    aliases = pyogrio.read_info(park / "out.gpkg", layer="parcels")["fields"]
    assert "likely_idle" in list(aliases)


def test_workbook_inspection_sheet_puts_likely_idle_first(cli_runs, park):
    assert cli_runs["xlsx"].returncode == 0, cli_runs["xlsx"].stderr
    book = load_workbook(park / "out.xlsx", read_only=True)  # read-only: holds the file open
    try:
        rows = list(book["待核查"].iter_rows(values_only=True))
    finally:
        book.close()
    header = next(i for i, r in enumerate(rows) if r and r[0] == "电子监管号")
    ids = [r[1] for r in rows[header + 1 :] if r and r[1]]
    # P3 (likely idle, 46.55 万元 if not started) before P2 (93.10) and P4 (36.40):
    # P3: 50 × 1‰ × 731 = 36.55 + idle fee 10 = 46.55; P4: 100 × 1‰ × 364 = 36.40
    assert ids == ["P3", "P2", "P4"]
    labels = rows[header]
    assert "疑似闲置(待核查)" in labels and "建筑系数(估算)" in labels


@pytest.mark.parametrize(
    ("run", "words"),
    [
        ("bad_date", "--buildings-date '2022-13-45' is not a date"),
        ("no_date", "no survey date"),
        ("missing", "nowhere.shp not found"),
        ("date_alone", "--buildings-date needs --buildings FILE"),
        ("workers", "--workers 'many' is neither"),
    ],
)
def test_cli_footprint_mistakes_exit_2_with_a_message(cli_runs, run, words):
    result = cli_runs[run]
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert words in " ".join(result.stderr.split())


def test_ledger_only_runs_report_and_ignore_the_footprints(park, tmp_path):
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("宗地编号,土地用途,约定开工时间,成交价格(万元)\nL1,工业用地,2020-01-01,100\n")
    results = run_analysis(
        [ledger],
        rules=load_rules(),
        as_of="2023-12-31",
        buildings=BuildingInputs(paths=(park / "b2022.geojson",), date="2022-06-30"),
    )
    assert results.buildings is None
    assert results.parcels.loc[0, "status"] == "unverified"
    assert is_null(results.parcels.loc[0, "likely_idle"])
    assert any("ignored (the parcels have no geometry)" in n for n in results.loaded.report.notes)


def test_api_filters_likely_idle_and_serves_the_footprints(cli_runs, park, start_server):
    server = start_server(park / "out.gpkg")
    page = server.get("/collections/parcels/items", params={"likely_idle": "true"}).json()
    assert [f["properties"]["parcel_id"] for f in page["features"]] == ["P3"]
    assert page["features"][0]["properties"]["building_coverage"] == 0
    ids = [c["id"] for c in server.get("/collections").json()["collections"]]
    assert ids == ["parcels", "parks", "buildings"]
    # GDAL's OGC API Features client reads the footprints (a real client)
    feats = oapif(server, "buildings")
    assert sorted(feats["building_id"]) == ["a", "b", "d"]
    assert feats.crs.to_epsg() == 4326


def test_map_ranks_likely_idle_first_and_draws_the_footprints(cli_runs, park, tmp_path):
    from maps.data import read_results
    from maps.render import write_standalone_html

    results = read_results(park / "out.gpkg")
    table, n = ranked(results.parcels)
    assert list(table["key"]) == ["P3", "P2", "P4"] and n == 3
    assert len(results.buildings) == 3
    page = write_standalone_html(park / "out.gpkg", tmp_path / "map.html").read_text("utf-8")
    data = page.split("LU_DATA.buildings = ", 1)[1].split(";\n", 1)[0]
    assert len(json.loads(data)["features"]) == 3
    assert "建筑系数(估算)" in page


def test_the_map_reads_the_footprints_through_the_results_source(cli_runs, park, tmp_path):
    """The footprints come from the view's buildings collection, not from the results file:
    a source with no file behind it (a database) gives the map its footprints too."""
    from api.store import FileSource
    from maps.data import results_of_view

    view = FileSource.of_path(park / "out.gpkg").view()
    results = results_of_view(view, tmp_path / "no-such-file.gpkg")
    assert len(results.buildings) == 3 and results.buildings.crs.to_epsg() == 4326
    assert results.buildings["building_id"].notna().all()


# --------------------------------------------------------------------------------------------
# Real data through the pipeline (issue 10, point 8)


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not found (the real data folder lies beside the project)")


def test_shanghai_blocks_with_little_mapped_coverage_are_neither_started_nor_idle(tmp_path):
    """OpenStreetMap maps 1-5 % of many built-up Shanghai blocks: through the product such a
    block stays unverified (no start evidence under 10 %) and is not likely idle (it has
    buildings). Parcels: the land-use polygons (WGS84, reprojected by the loader to CGCS2000
    zone 40), due 2015-01-01; the footprints' survey 2024-01-01."""
    _need(OSM)
    land = gpd.read_file(OSM / "shanghai_landuse.geojson").dissolve("id").reset_index()
    land = land.assign(
        宗地编号=land["id"].astype(str), 约定开工时间="2015-01-01", 土地用途="工业用地"
    )
    layer = tmp_path / "blocks.gpkg"
    land[["宗地编号", "约定开工时间", "土地用途", "geometry"]].to_file(layer, engine="pyogrio")
    results = run_analysis(
        [layer],
        rules=load_rules(),
        as_of="2024-06-30",
        buildings=BuildingInputs(paths=(OSM / "shanghai_buildings.geojson",), date="2024-01-01"),
    )
    p = results.parcels
    assert p.crs.to_epsg() == 4529 and results.buildings.crs.to_epsg() == 4529
    cov = p["building_coverage"].to_numpy(dtype=float)
    sparse = (cov > 0) & (cov < 0.10)
    assert sparse.sum() >= 20  # the built-up blocks OpenStreetMap maps sparsely
    assert (p.loc[sparse, "status"] == "unverified").all()
    assert not p.loc[sparse, "likely_idle"].astype(bool).any()
    started = cov >= 0.10
    assert (p.loc[started, "start_evidence"] == "buildings").all()
    assert (p.loc[cov == 0, "likely_idle"].astype(bool)).all()
    # the coverage of every block: the union of its clipped footprints over its area, both
    # computed here in the parcels' CRS with the parts dropped (as read_buildings does)
    raw = gpd.read_file(OSM / "shanghai_buildings.geojson").to_crs(p.crs)
    whole = raw[raw["kind"] != "building_part"].dissolve("id").geometry.to_numpy()
    tree = shapely.STRtree(whole)
    geoms = p.geometry.to_numpy()
    for k in np.flatnonzero(started)[:25]:  # a sample of the blocks, one by one
        hit = whole[tree.query(geoms[k], predicate="intersects")]
        area = shapely.union_all(shapely.intersection(hit, geoms[k])).area
        assert cov[k] == pytest.approx(area / geoms[k].area, rel=1e-9)


def test_hsinchu_points_in_wgs84_parcels_count_but_give_no_coverage(tmp_path):
    """Building points (EPSG:3826, floors and heights as text) against parcels given in
    WGS84: the loader puts the parcels in CGCS2000 zone 40, the points are reprojected to it;
    points give presence and floors but no footprint, so no start evidence and, where a
    point stands, no likely idle."""
    _need(HSINCHU)
    pts = gpd.read_file(HSINCHU)
    x0, y0, x1, y1 = pts.total_bounds
    xs = np.arange(np.floor(x0) - 0.5, x1 + 500, 500)
    ys = np.arange(np.floor(y0) - 0.5, y1 + 500, 500)
    gx, gy = np.meshgrid(xs[:-1], ys[:-1], indexing="ij")
    cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + 500, gy.ravel() + 500)
    grid = gpd.GeoDataFrame(
        {"宗地编号": [f"C{i}" for i in range(len(cells))], "约定开工时间": "2010-01-01"},
        geometry=cells,
        crs="EPSG:3826",
    ).to_crs("EPSG:4326")
    layer = tmp_path / "grid.geojson"
    grid.to_file(layer, engine="pyogrio")
    results = run_analysis(
        [layer],
        rules=load_rules(),
        as_of="2021-06-30",
        buildings=BuildingInputs(paths=(HSINCHU,)),
    )
    p = results.parcels
    assert p["building_count"].sum() == 6181  # every point in one cell
    has = p["building_count"] > 0
    assert p.loc[has, "footprint_m2"].isna().all()
    assert (p["start_evidence"] == "none").all()
    assert not p.loc[has, "likely_idle"].astype(bool).any()
    # a point's floors are kept; the survey dates are the file's (2017-01 .. 2020-12)
    assert str(p["buildings_survey_date"].max())[:7] == "2020-12"


# --------------------------------------------------------------------------------------------
# The sample park's footprints in a browser (standalone page inline, served page from tiles)


@pytest.fixture(scope="module")
def sample_with_buildings(tmp_path_factory) -> Path:
    """The sample park analysed as ``landuse demo`` does, footprints included."""
    results = analyse_sample_park(Path(__file__).resolve().parents[1] / "sample_data")
    out = tmp_path_factory.mktemp("sample_bldg") / "sample_park.gpkg"
    write_results(results, out)
    return out


def _zoom_on_a_built_parcel(page) -> None:
    # the centre of the largest footprint's parcel at zoom 17
    page.evaluate(
        """(() => {
          var best = null;
          LU_MAP.eachLayer(function (l) {
            var p = l.feature && l.feature.properties;
            if (p && p.building_coverage > 0.3 && (!best || p.area_ha > best[0]))
              best = [p.area_ha, l.getBounds().getCenter()];
          });
          if (!best) {  // tile mode: the page has no parcel layers; use a known parcel
            best = [0, L.latLng(window.LU_TEST_CENTRE[1], window.LU_TEST_CENTRE[0])];
          }
          LU_MAP.setView(best[1], 17, {animate: false});
        })()"""
    )


def test_footprints_are_drawn_at_large_scales_inline_and_from_tiles(
    sample_with_buildings, tmp_path, browser
):
    from maps.render import write_standalone_html

    parcels = gpd.read_file(sample_with_buildings, layer="parcels").to_crs("EPSG:4326")
    built = parcels[parcels["building_coverage"] > 0.3]
    centre = built.geometry.iloc[0].representative_point()
    init = f"window.LU_TEST_CENTRE = [{centre.x}, {centre.y}];"
    html = write_standalone_html(sample_with_buildings, tmp_path / "map.html")
    with open_page(browser, html.as_uri(), init_script=init) as (page, rec):
        # the whole park at once: no footprint drawn; at zoom 17 they are
        assert page.evaluate("document.querySelectorAll('path.lu-footprint').length") == 0
        _zoom_on_a_built_parcel(page)
        wait_for(page, "document.querySelectorAll('path.lu-footprint').length > 0")
        assert not rec.page_errors and not rec.console_errors
    with (
        serve(api_app(sample_with_buildings, tile_threshold=10)) as base,
        open_page(browser, base + "/map", init_script=init) as (page, rec),
    ):
        _zoom_on_a_built_parcel(page)
        wait_for(
            page,
            "Array.from(document.querySelectorAll('.lu-footprint-tiles canvas'))"
            ".some(c => Number(c.getAttribute('data-footprints')) > 0)",
        )
        assert any("/collections/buildings/tiles/" in u for u in rec.requests)
        assert not rec.page_errors
