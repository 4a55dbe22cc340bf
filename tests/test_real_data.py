"""End-to-end tests on the real public data in ``../shared/data/real`` (see its README.md).

The expected counts are made independently of the package: rows with the ``csv`` module,
duplicates with pandas ``duplicated``, park names and areas with pyogrio and shapely.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely

from landuse.load import load_inputs
from landuse.pipeline import run_analysis
from landuse.rules_file import load_rules

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
LANDCHINA = REAL / "landchina_forfudan" / "landchina"
TAIWAN_PARKS = REAL / "taiwan_parks" / "parks.shp"
MONTHS = ("2013", "2014", "2016")
AS_OF = pd.Timestamp("2017-06-30")
INDUSTRIAL = ("工业用地", "工矿仓储用地")

if not REAL.is_dir():
    pytest.skip(
        f"real data folder {REAL} not found (CI checks out ../shared beside the project)",
        allow_module_level=True,
    )


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not found in the real data folder")


# --------------------------------------------------------------------------------------------
# landchina: three months of supply results


@pytest.fixture(scope="module")
def month_files() -> list[Path]:
    _need(LANDCHINA)
    files = sorted(f for year in MONTHS for f in (LANDCHINA / year / "06").glob("*.csv"))
    assert len(files) == 90
    return files


@pytest.fixture(scope="module")
def raw(month_files) -> dict:
    """The files as the csv module reads them: data rows (with the file as the package names
    it, ``2013/06/01.csv``, and the line number) and the count of rows with every cell empty."""
    header = None
    rows, empty = [], 0
    for path in month_files:
        name = "/".join(path.parts[-3:])
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            file_header = next(reader)
            assert header is None or file_header == header
            header = file_header
            line = reader.line_num
            for cells in reader:
                if all(not c.strip() for c in cells):
                    empty += 1
                else:
                    rows.append([name, line + 1, *cells])
                line = reader.line_num
    frame = pd.DataFrame(rows, columns=["file", "line", *header])
    return {"frame": frame, "header": header, "empty": empty}


@pytest.fixture(scope="module")
def months(month_files):
    return run_analysis(month_files, rules=load_rules(), as_of=AS_OF.date().isoformat())


@pytest.fixture(scope="module")
def industrial(raw) -> pd.DataFrame:
    frame = raw["frame"]
    return frame[frame["土地用途"].str.strip().isin(INDUSTRIAL)]


def test_accounting_adds_up(months, raw):
    loaded = months.loaded
    read, analysed, rejected = loaded.accounting["ledger"]
    assert set(loaded.accounting) == {"ledger"}
    assert read == analysed + rejected
    assert analysed == len(months.parcels)
    assert rejected == len(months.rejects)
    assert read == len(raw["frame"])
    assert loaded.empty_rows == raw["empty"]
    assert read + loaded.empty_rows == len(raw["frame"]) + raw["empty"] == 45_636  # README


def test_exact_duplicates_rejected(months, industrial):
    header_cols = list(industrial.columns[2:])  # the file's 22 columns, not file and line
    expected = int(industrial.duplicated(subset=header_cols, keep="first").sum())
    assert expected > 0

    rejects = months.rejects
    exact = rejects[rejects["reason"].str.contains("exact duplicate", regex=False)]
    assert len(exact) == expected
    # each names the row that was kept, and that row is analysed
    named = exact["reason"].str.extract(r"与 (\S+) 第 (\d+) 行相同")
    kept = set(zip(months.parcels["source_file"], months.parcels["source_row"], strict=True))
    assert named.notna().all().all()
    assert all((f, int(r)) in kept for f, r in named.itertuples(index=False))


def test_every_industrial_row_is_analysed_or_a_duplicate(months, industrial):
    expected = set(zip(industrial["file"], industrial["line"], strict=True))
    assert len(expected) == len(industrial) == 10_131  # README

    analysed = set(zip(months.parcels["source_file"], months.parcels["source_row"], strict=True))
    rejects = months.rejects
    dups = rejects[rejects["reason"].str.contains("exact duplicate", regex=False)]
    duplicate = set(zip(dups["source_file"], dups["source_row"], strict=True))
    assert not analysed & duplicate
    assert analysed | duplicate == expected
    # every other reject is a skipped non-industrial row
    others = rejects.drop(index=dups.index)
    assert others["reason"].str.contains("not industrial", regex=False).all()


def test_no_confirmed_penalty_without_start_dates(months):
    parcels = months.parcels
    assert parcels["actual_start_date"].isna().all()
    assert parcels["actual_completion_date"].isna().all()
    forbidden = {"recovery", "idle_fee", "late_start", "late_completion"}
    assert not set(parcels["status"]) & forbidden
    assert not parcels["recovery_candidate"].any()


def test_past_due_parcels_are_unverified(months):
    parcels = months.parcels
    past_due = (parcels["start_due_date"] < AS_OF).to_numpy()
    assert past_due.sum() > 0
    assert (parcels.loc[past_due, "status"] == "unverified").all()
    assert not parcels.loc[past_due, "amounts_confirmed"].any()
    assert (parcels.loc[~past_due, "status"] != "unverified").all()


def test_source_files_tell_the_months_apart(months):
    files = pd.concat([months.parcels["source_file"], months.rejects["source_file"]])
    assert files.str.fullmatch(r"20(13|14|16)/06/\d\d\.csv").all()
    months_seen = set(files.str[:8])
    assert months_seen == {"2013/06/", "2014/06/", "2016/06/"}
    for month in months_seen:
        assert (months.parcels["source_file"].str.startswith(month)).any()


def _dates(text: pd.Series) -> pd.Series:
    """The system's dates (2016年06月01日); placeholders (1900, 1901) and blanks missing."""
    dates = pd.to_datetime(text, format="%Y年%m月%d日", errors="coerce")
    return dates.where(dates.dt.year > 1901)


def test_where_and_what_are_filled(months):
    parcels = months.parcels
    # every supervision number of the three months names a county (first six digits)
    assert parcels["region_label"].notna().mean() >= 0.99
    named = parcels["industry"].notna() & ~parcels["industry"].isin(["其它", "其他"])
    assert named.sum() > 7_000
    assert (parcels.loc[named, "industry_code"].notna()).mean() >= 0.95
    assert parcels.loc[~named, "industry_code"].isna().all()  # 其它 names no industry
    assert (parcels["area_group"] == parcels["region_label"]).all()  # no park in this source


def test_start_due_is_known_or_the_parcel_is_insufficient_data(months, industrial):
    parcels = months.parcels
    # the file's own cells of each analysed row, read with the csv module
    cells = industrial.set_index(["file", "line"]).loc[
        list(zip(parcels["source_file"], parcels["source_row"], strict=True))
    ]
    start = _dates(cells["约定开工时间"]).to_numpy()
    delivery = _dates(cells["约定交地时间"])
    contract = _dates(cells["合同签订日期"]).to_numpy()
    usable_start = ~pd.isna(start) & ~(start < contract)
    next_year = (delivery + pd.DateOffset(years=1)).to_numpy()
    usable_delivery = ~pd.isna(next_year) & ~(next_year < contract)
    unknown = ~usable_start & ~usable_delivery
    assert unknown.sum() > 0
    assert (parcels.loc[unknown, "status"] == "insufficient_data").all()
    assert (parcels.loc[~unknown, "status"] != "insufficient_data").all()
    assert not ((parcels["status"] == "on_track") & parcels["start_due_date"].isna()).any()
    # an agreed start before the contract (2007 for a 2013 contract) is flagged, not used
    early = start < contract
    assert early.sum() > 0
    issues = parcels["data_issues"].astype("string")
    flagged = issues.str.contains("agreed_start_before_contract").fillna(False).to_numpy()
    assert (flagged == early).all()
    assert (parcels.loc[early, "start_due_basis"] != "agreed_start").all()


def test_money_is_potential_and_late_fees_stop_at_the_recovery_date(months):
    parcels = months.parcels
    assert parcels["confirmed_penalty_wan"].sum() == 0.0  # no evidence of start anywhere
    assert parcels["potential_penalty_wan"].sum() == pytest.approx(
        parcels["total_penalty_wan"].sum()
    )
    # at the default 1‰ a late start accrues for at most two calendar years (≤ 731 days)
    price = parcels["land_price_wan"]
    assert (parcels["late_start_wan"].fillna(0) <= price.fillna(0) * 0.731 + 1e-9).all()


# --------------------------------------------------------------------------------------------
# Taiwan industrial parks: a Big5 shapefile without .cpg, EPSG:3826


@pytest.fixture(scope="module")
def taiwan_raw() -> gpd.GeoDataFrame:
    _need(TAIWAN_PARKS)
    assert not TAIWAN_PARKS.with_suffix(".cpg").exists()
    return pyogrio.read_dataframe(TAIWAN_PARKS, encoding="cp950")


def _lone_park(parks: gpd.GeoDataFrame) -> tuple[int, shapely.Polygon]:
    """The first park with a 20 m box around its representative point that touches no other
    park, and that box."""
    geoms = parks.geometry.to_numpy()
    tree = shapely.STRtree(geoms)
    for i, geom in enumerate(geoms):
        pt = geom.representative_point()
        square = shapely.box(pt.x - 10, pt.y - 10, pt.x + 10, pt.y + 10)
        if geom.contains(square) and list(tree.query(square, predicate="intersects")) == [i]:
            return i, square
    raise AssertionError("no park found for the test parcel")


def test_taiwan_park_names_and_areas(tmp_path, taiwan_raw):
    assert taiwan_raw.crs.to_epsg() == 3826
    i, square = _lone_park(taiwan_raw)
    expected_name = taiwan_raw["NAME"].iloc[i].strip()
    assert re.search(r"[\u4e00-\u9fff]", expected_name)
    parcel_path = tmp_path / "parcel.gpkg"
    gpd.GeoDataFrame(
        {"宗地编号": ["T1"], "土地用途": ["工业用地"]}, geometry=[square], crs="EPSG:3826"
    ).to_file(parcel_path, engine="pyogrio")

    loaded = load_inputs([parcel_path], parks=TAIWAN_PARKS)

    assert loaded.accounting == {"layer": (1, 1, 0)}
    notes = loaded.report.table()
    detected = notes[(notes["file"] == "parks.shp") & notes["problem"].str.contains("no .cpg")]
    assert detected["problem"].str.contains("cp950").any()  # the detection is reported
    assert loaded.parcels["park"].tolist() == [expected_name]
    assert loaded.parcels["geometry_area_ha"].tolist() == pytest.approx([0.04])  # 20 m x 20 m

    parks = loaded.parks
    assert len(parks) == 212
    assert parks.crs.to_epsg() == 3826
    assert parks["park"].tolist() == taiwan_raw["NAME"].str.strip().tolist()
    for k in (0, 1, i, 100, 211):
        expected_ha = shapely.area(taiwan_raw.geometry.iloc[k]) / 10_000
        assert parks["area_ha"].iloc[k] == pytest.approx(expected_ha, rel=1e-9)
