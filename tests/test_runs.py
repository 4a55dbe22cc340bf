"""The store of runs: ``landuse analyse --store``, ``landuse runs``, ``landuse serve --store``.

A hand-made park of three 1 ha parcels (100 m squares in CGCS2000 zone 41, EPSG:4529) analysed
as of 2024-06-30 and as of 2025-03-01, default rules (1‰ per day, idle fee 20 % of the land
price P):

- A: P = 100 万元, start due 2024-01-01, inspected not started.
  Run 1: 181 days late (2024-01-01 → 2024-06-30; 2024 is a leap year: 31+29+31+30+31+29)
  → late_start, 100 × 0.001 × 181 = 18.10 万元.
  Run 2: idle one year since 2025-01-01 → idle_fee: fee 0.20 × 100 = 20.00 万元, late start
  2024-01-01 → 2025-03-01 = 366 + 59 = 425 days → 42.50 万元; total 62.50 (confirmed).
- B: P = 200 万元, start due 2025-01-01, no evidence.
  Run 1: not yet due → on_track. Run 2: 59 days past due (31 + 28) with no evidence →
  unverified, would apply 200 × 0.001 × 59 = 11.80 万元 (potential, not confirmed).
- C: P = 300 万元, started 2023-06-01 before its due date, 6000 万元/公顷 → on_track twice.

The service runs as users run it (a child process) and is read through GDAL's OGC API
Features driver, a vector tile decoder and httpx.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import mapbox_vector_tile
import pandas as pd
import pyogrio
import pytest
import shapely
from conftest import Server

AS_OF_1, AS_OF_2 = "2024-06-30", "2025-03-01"
X0, Y0 = 41_500_000, 4_600_000
STATUS_1 = {"A": "late_start", "B": "on_track", "C": "on_track"}
STATUS_2 = {"A": "idle_fee", "B": "unverified", "C": "on_track"}
LANDUSE = Path(sys.executable).with_name("landuse")


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [str(LANDUSE), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def write_park(here: Path, rows: list[dict] | None = None, name: str = "park.gpkg") -> None:
    """The hand-made park (or ``rows`` on the same terms) as ``name`` in ``here``."""
    rows = rows or [
        {
            "parcel_id": "A",
            "agreed_start_date": "2024-01-01",
            "start_status": "未开工",
            "land_price_wan": 100.0,
        },
        {"parcel_id": "B", "agreed_start_date": "2025-01-01", "land_price_wan": 200.0},
        {
            "parcel_id": "C",
            "agreed_start_date": "2023-07-01",
            "actual_start_date": "2023-06-01",
            "start_status": "已开工",
            "land_price_wan": 300.0,
        },
    ]
    frame = pd.DataFrame(rows).assign(
        park="试验园",
        land_use="工业用地",
        contract_date="2022-06-01",
        agreed_completion_date="2027-12-31",
        agreed_investment_wan=6000.0,
    )
    squares = [
        shapely.box(X0 + i * 200, Y0, X0 + i * 200 + 100, Y0 + 100) for i in range(len(rows))
    ]
    gpd.GeoDataFrame(frame, geometry=squares, crs="EPSG:4529").to_file(here / name, layer="parcels")


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """The hand-made park as a GeoPackage, two runs recorded in ``runs.sqlite``."""
    here = tmp_path_factory.mktemp("runs")
    write_park(here)
    for as_of in (AS_OF_1, AS_OF_2):
        done = run_cli("analyse", "park.gpkg", "--as-of", as_of, "--store", "runs.sqlite", cwd=here)
        assert done.returncode == 0, done.stderr
        assert f"(as of {as_of}) in runs.sqlite" in done.stdout
    return here


def _query(path: Path, sql: str, *params: object) -> list[tuple]:
    with closing(sqlite3.connect(path)) as db:
        return db.execute(sql, params).fetchall()


# --------------------------------------------------------------------------- the store


def test_every_run_is_kept_with_its_inputs_and_rules(folder: Path) -> None:
    store = folder / "runs.sqlite"
    runs = _query(store, "SELECT run_id, as_of_date, parcels, rejects, rules_toml FROM runs")
    assert [r[:4] for r in runs] == [(1, AS_OF_1, 3, 0), (2, AS_OF_2, 3, 0)]
    assert all("late_start_rate_permille" in r[4] or "[" in r[4] for r in runs)  # TOML text
    digest = hashlib.sha256((folder / "park.gpkg").read_bytes()).hexdigest()
    assert _query(store, "SELECT run_id, role, path, sha256 FROM run_inputs") == [
        (1, "INPUT", "park.gpkg", digest),
        (2, "INPUT", "park.gpkg", digest),
    ]
    tables = _query(store, "SELECT DISTINCT run_id, name FROM run_tables ORDER BY 1, 2")
    assert tables == [(i, n) for i in (1, 2) for n in ("load_report", "parcels", "rejects")]


def test_runs_lists_them(folder: Path) -> None:
    done = run_cli("runs", "--store", "runs.sqlite", cwd=folder)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stdout.splitlines() if AS_OF_1 in line or AS_OF_2 in line]
    assert len(lines) == 2 and AS_OF_1 in lines[0] and AS_OF_2 in lines[1]
    digest = hashlib.sha256((folder / "park.gpkg").read_bytes()).hexdigest()
    assert digest[:12] in done.stdout
    assert "2 run(s)" in done.stdout


def test_a_run_is_recorded_whole_or_not_at_all(folder: Path, tmp_path: Path) -> None:
    """A failure half-way through recording (here: while the tables are inserted, after the
    run's row and its inputs) leaves the store as it was."""
    from landuse import runstore
    from landuse.pipeline import run_analysis
    from landuse.rules_file import load_rules

    store = tmp_path / "runs.sqlite"
    store.write_bytes((folder / "runs.sqlite").read_bytes())
    results = run_analysis([folder / "park.gpkg"], rules=load_rules(None), as_of="2025-06-30")
    before = {t: _query(store, f"SELECT count(*) FROM {t}") for t in ("runs", "run_inputs")}

    def broken(_data: bytes) -> list[bytes]:
        raise OSError(28, "No space left on device")

    original = runstore._parts
    runstore._parts = broken
    try:
        with pytest.raises(OSError):
            runstore.record_run(
                store,
                results,
                inputs=runstore.input_files([("INPUT", folder / "park.gpkg")]),
                rules_path=None,
            )
    finally:
        runstore._parts = original
    after = {t: _query(store, f"SELECT count(*) FROM {t}") for t in ("runs", "run_inputs")}
    assert after == before == {"runs": [(2,)], "run_inputs": [(2,)]}
    assert _query(store, "SELECT max(run_id) FROM run_tables") == [(2,)]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["analyse", "park.gpkg", "--as-of", AS_OF_1], "--store runs.sqlite"),
        (["analyse", "park.gpkg", "--store", "runs.gpkg"], "runs.gpkg"),
        (["analyse", "park.gpkg", "--store", "park.gpkg"], "park.gpkg"),
        (["runs", "--store", "missing.sqlite"], "missing.sqlite"),
        (["runs", "--store", "not_a_store.sqlite"], "not a store of runs"),
        (["serve", "--store", "missing.sqlite", "--port", "0"], "missing.sqlite"),
        (["serve", "park.gpkg", "--store", "runs.sqlite"], "one of them"),
    ],
)
def test_mistakes_with_stores_are_named_without_a_traceback(
    folder: Path, args: list[str], needle: str
) -> None:
    (folder / "not_a_store.sqlite").write_text("hello", encoding="utf-8")
    done = run_cli(*args, cwd=folder)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    assert needle in done.stderr.replace("\n", "")


# --------------------------------------------------------------------------- the service


@pytest.fixture(scope="module")
def server(folder: Path, start_server) -> Server:
    return start_server(folder / "runs.sqlite", store=True, via_serve=True)


def oapif(server: Server, query: str = "") -> dict[str, str]:
    """Status per parcel id as GDAL's OGC API Features driver reads them (GDAL keeps the
    query of the landing page on every request it makes)."""
    frame = pyogrio.read_dataframe(f"OAPIF:{server.url}/{query}", layer="parcels")
    return dict(zip(frame["parcel_id"], frame["status"], strict=True))


def test_runs_route_lists_the_runs(server: Server) -> None:
    doc = server.get("/runs").json()
    assert [(r["run"], r["as_of_date"], r["latest"]) for r in doc["runs"]] == [
        (1, AS_OF_1, False),
        (2, AS_OF_2, True),
    ]
    assert doc["runs"][0]["inputs"][0]["path"] == "park.gpkg"
    page = server.get("/runs", params={"f": "html"})
    assert page.headers["content-type"].startswith("text/html") and AS_OF_1 in page.text


def test_gdal_reads_the_latest_run_or_the_one_asked_for(server: Server) -> None:
    assert oapif(server) == STATUS_2
    assert oapif(server, "?run=1") == STATUS_1
    assert oapif(server, "?datetime=2024-12-31") == STATUS_1  # as of 2024-06-30 then


def test_summaries_per_run_keep_confirmed_and_unverified_money_apart(server: Server) -> None:
    def park(query: dict[str, str]) -> dict:
        return server.get("/parks/试验园/summary", params=query).json()

    first, latest = park({"run": "1"}), park({})
    assert (first["run"], latest["run"]) == (1, 2)
    assert (first["as_of_date"], first["confirmed_penalty_wan"]) == (AS_OF_1, 18.10)
    assert first["potential_penalty_wan"] == 0
    assert latest["as_of_date"] == AS_OF_2
    assert latest["confirmed_penalty_wan"] == pytest.approx(62.50)  # 20.00 + 42.50
    assert latest["potential_penalty_wan"] == pytest.approx(11.80)
    assert latest["amounts_wan"]["idle_fee_wan"] == pytest.approx(20.00)

    # progress classes: run 1 A inspected not started past its due date (无进展), B not yet
    # due and C started in time (正常); run 2 B due with no evidence (待核查)
    def progress(doc: dict) -> dict[str, int]:
        return {row["progress"]: row["parcels"] for row in doc["by_progress"] if row["parcels"]}

    assert progress(first) == {"no_progress": 1, "normal": 2}
    assert progress(latest) == {"no_progress": 1, "unverified": 1, "normal": 1}
    listing = server.get("/parks", params={"datetime": "2025-02-01"}).json()
    assert (listing["run"], listing["as_of_date"]) == (1, AS_OF_1)


def test_tiles_of_each_run(server: Server) -> None:
    lon, lat = (
        pyogrio.read_dataframe(f"OAPIF:{server.url}/", layer="parcels")
        .geometry.iloc[0]
        .centroid.coords[0]
    )
    import math

    z = 16
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    path = f"/collections/parcels/tiles/WebMercatorQuad/{z}/{y}/{x}"

    def statuses(query: dict[str, str]) -> tuple[dict[str, str], str]:
        resp = server.get(path, params=query)
        assert resp.status_code == 200
        layer = mapbox_vector_tile.decode(resp.content)["parcels"]
        found = {f["properties"]["parcel_id"]: f["properties"]["status"] for f in layer["features"]}
        return found, resp.headers["etag"]

    latest, etag_latest = statuses({})
    first, etag_first = statuses({"run": "1"})
    assert latest and all(STATUS_2[k] == v for k, v in latest.items())
    assert first.keys() == latest.keys() and all(STATUS_1[k] == v for k, v in first.items())
    assert etag_first != etag_latest
    tilejson = server.get("/collections/parcels/tiles/WebMercatorQuad/tilejson.json?run=1").json()
    assert tilejson["tiles"][0].endswith("/{z}/{y}/{x}?run=1")


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"run": "99"}, 404),
        ({"run": "abc"}, 404),
        ({"run": "0"}, 404),
        ({"datetime": "2024-01-01"}, 404),  # before the first run
        ({"datetime": "yesterday"}, 400),
        ({"datetime": "2024-01-01/2025-01-01"}, 400),
        ({"run": "1", "datetime": "2025-01-01"}, 400),
    ],
)
def test_a_bad_run_or_datetime_is_a_client_error(server: Server, query, status) -> None:
    for path in (
        "/collections/parcels/items",
        "/parks",
        "/collections/parcels/tiles/WebMercatorQuad/0/0/0",
        "/map",
    ):
        resp = server.get(path, params=query)
        assert resp.status_code == status, (path, query, resp.text)
        if path != "/map":
            assert resp.json()["description"]


def test_links_keep_the_run(server: Server) -> None:
    doc = server.get("/collections/parcels/items", params={"run": "1", "limit": "1"}).json()
    assert all("run=1" in link["href"] for link in doc["links"])
    landing = server.get("/", params={"run": "1"}).json()
    assert all("run=1" in link["href"] for link in landing["links"] if "/api" not in link["href"])


def test_the_map_has_a_run_selector(server: Server) -> None:
    page = server.get("/map", params={"run": "1"}).text
    assert 'id="lu-runs"' in page
    assert "#2 · 2025-03-01" in page and 'href="?run=2"' in page
    assert "<b>#1 · 2024-06-30</b>" in page  # the run shown
    start = page.index("LU_DATA.parcels = ") + len("LU_DATA.parcels = ")
    parcels = json.JSONDecoder().raw_decode(page[start:])[0]["features"]
    assert {f["properties"]["parcel_id"]: f["properties"]["status"] for f in parcels} == STATUS_1


def test_items_sort_by_a_property(server: Server) -> None:
    doc = server.get(
        "/collections/parcels/items", params={"sortby": "-total_penalty_wan,parcel_id"}
    ).json()
    # run 2: A 62.50, B 11.80 (would apply if not started: still its amount), C 0
    assert [f["properties"]["parcel_id"] for f in doc["features"]] == ["A", "B", "C"]
    wrong = server.get("/collections/parcels/items", params={"sortby": "no_such_column"})
    assert wrong.status_code == 400 and "no_such_column" in wrong.json()["description"]


# --------------------------------------------------------------------------- diff


@pytest.fixture(scope="module")
def three_runs(folder: Path, tmp_path_factory) -> Path:
    """A copy of the store with a third run as of 2026-03-01, where B was found started on
    2025-02-01 and a parcel D (P = 50 万元, start due 2026-06-30) was added:

    - A: idle two years on 2026-01-01 → recovery; fee 20.00, late start capped at the recovery
      date: 2024-01-01 → 2026-01-01 = 366 + 365 = 731 days → 73.10; total 93.10.
    - B: started 31 days late (2025-01-01 → 2025-02-01) → on_track, late start 200 × 0.001 ×
      31 = 6.20 (confirmed now).
    - C: on_track again, 0. D: new, not yet due → on_track, 0.
    """
    here = tmp_path_factory.mktemp("three_runs")
    parcels = gpd.read_file(folder / "park.gpkg", layer="parcels")
    parcels.loc[parcels["parcel_id"] == "B", ["actual_start_date", "start_status"]] = [
        "2025-02-01",
        "已开工",
    ]
    d = parcels[parcels["parcel_id"] == "C"].assign(
        parcel_id="D",
        land_price_wan=50.0,
        agreed_start_date="2026-06-30",
        actual_start_date=None,
        start_status=None,
        geometry=[shapely.box(X0 + 600, Y0, X0 + 700, Y0 + 100)],
    )
    pd.concat([parcels, d]).to_file(here / "park3.gpkg", layer="parcels")
    (here / "runs.sqlite").write_bytes((folder / "runs.sqlite").read_bytes())
    done = run_cli(
        "analyse", "park3.gpkg", "--as-of", "2026-03-01", "--store", "runs.sqlite", cwd=here
    )
    assert done.returncode == 0, done.stderr
    return here


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False)


def test_diff_of_the_last_two_runs(three_runs: Path) -> None:
    done = run_cli("diff", "--store", "runs.sqlite", "--csv", "changes.csv", cwd=three_runs)
    assert done.returncode == 0, done.stderr
    assert "run 2 (as of 2025-03-01) → run 3 (as of 2026-03-01)" in done.stdout
    changes = _read_csv(three_runs / "changes.csv").set_index("key")
    assert changes[["change", "status_before", "status_after"]].to_dict("index") == {
        "A": {"change": "newly_recovery", "status_before": "idle_fee", "status_after": "recovery"},
        "B": {"change": "resolved", "status_before": "unverified", "status_after": "on_track"},
        "D": {"change": "other", "status_before": "new", "status_after": "on_track"},
    }
    assert changes.loc["A", "total_penalty_wan_after"] == pytest.approx(93.10)
    moves = _read_csv(three_runs / "changes_transitions.csv")
    assert sorted(
        zip(
            moves["status_before"],
            moves["status_after"],
            moves["parcels"],
            moves["area_ha"],
            strict=True,
        )
    ) == sorted(
        [
            ("idle_fee", "recovery", 1, 1.0),
            ("unverified", "on_track", 1, 1.0),
            ("on_track", "on_track", 1, 1.0),
            ("new", "on_track", 1, 1.0),
        ]
    )
    amounts = _read_csv(three_runs / "changes_amounts.csv").set_index("amount")
    late = amounts.loc["late_start_wan"]
    # confirmed 42.50 (A) → 73.10 (A) + 6.20 (B) = 79.30; would-apply 11.80 (B) → 0
    assert (late["confirmed_before"], late["confirmed_after"]) == (42.50, 79.30)
    assert late["confirmed_change"] == pytest.approx(36.80)
    assert (late["potential_before"], late["potential_after"]) == (11.80, 0.0)
    total = amounts.loc["total_penalty_wan"]
    assert (total["confirmed_before"], total["confirmed_after"]) == (62.50, 99.30)
    assert amounts.loc["idle_fee_wan", "confirmed_change"] == 0.0


def test_diff_between_chosen_runs(three_runs: Path) -> None:
    done = run_cli("diff", "--store", "runs.sqlite", "--from", "1", "--to", "2", cwd=three_runs)
    assert done.returncode == 0, done.stderr
    assert "run 1 (as of 2024-06-30) → run 2 (as of 2025-03-01)" in done.stdout
    kinds = {
        line.split("│")[1].strip().split()[-1]: line.split("│")[2].strip()
        for line in done.stdout.splitlines()
        if line.startswith("│") and ("newly" in line or "resolved" in line or "other" in line)
    }
    # A late_start → idle_fee (newly idle), B on_track → unverified (newly to inspect)
    assert kinds == {
        "newly_recovery": "0",
        "newly_idle": "1",
        "newly_late": "0",
        "newly_unverified": "1",
        "resolved": "0",
        "other": "0",
    }


def test_diff_amounts_are_whole_in_an_80_column_console(three_runs: Path) -> None:
    """Every amount of the comparison is printed whole (no "…") in a console of 80 columns,
    the width of a terminal as it opens and of output that is not a terminal."""
    from landuse.diff import diff_store

    env = {**os.environ, "COLUMNS": "80"}
    done = subprocess.run(
        [str(LANDUSE), "diff", "--store", "runs.sqlite", "--from", "1", "--to", "3"],
        cwd=three_runs,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "…" not in done.stdout
    assert max(len(line) for line in done.stdout.splitlines()) <= 80
    amounts = diff_store(three_runs / "runs.sqlite", "1", "3").amounts
    rows = {
        line.split("│")[1].split()[-1]: [cell.strip() for cell in line.split("│")[2:5]]
        for line in done.stdout.splitlines()
        if line.startswith("│") and "_wan" in line
    }
    total = amounts.set_index("amount").loc["total_penalty_wan"]
    assert rows["total_penalty_wan"] == [
        f"{total[c]:,.2f}" for c in ("potential_before", "potential_after", "potential_change")
    ]  # the second table (would apply) overwrote the first's row of the same name
    assert total["confirmed_after"] > 0 and f"{total['confirmed_after']:,.2f}" in done.stdout


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--from", "7"], "No run '7'"),
        (["--csv", "changes.txt"], ".csv"),
    ],
)
def test_diff_mistakes(three_runs: Path, args: list[str], needle: str) -> None:
    done = run_cli("diff", "--store", "runs.sqlite", *args, cwd=three_runs)
    assert done.returncode == 2 and needle in done.stderr and "Traceback" not in done.stderr


def test_diff_needs_two_runs(tmp_path: Path, folder: Path) -> None:
    done = run_cli(
        "analyse",
        str(folder / "park.gpkg"),
        "--as-of",
        AS_OF_1,
        "--store",
        "one.sqlite",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    done = run_cli("diff", "--store", "one.sqlite", cwd=tmp_path)
    assert done.returncode == 2 and "needs two" in done.stderr


def test_pages_carry_the_etag_of_their_run(server: Server) -> None:
    items = "/collections/parcels/items"
    latest = server.get(items)
    first = server.get(items, params={"run": "1"})
    assert latest.headers["etag"] != first.headers["etag"]
    again = server.get(items, headers={"If-None-Match": latest.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    # the tag of another run does not match: the page itself
    other = server.get(items, headers={"If-None-Match": first.headers["etag"]})
    assert other.status_code == 200 and other.json()["numberMatched"] == 3
    summary = server.get("/parks", params={"run": "1"})
    assert summary.headers["etag"] == first.headers["etag"]


# --------------------------------------------------------------------------- ranking


def test_ranking_route(server: Server) -> None:
    # one park only: ranked, never last (a ranking needs two groups); run 2: A idle one year
    # (1 ha of 3) → 0.3333, above the 10 % target
    doc = server.get("/ranking").json()
    assert (doc["run"], doc["group_by"], doc["target_share"]) == (2, "area_group", 0.10)
    (row,) = doc["ranking"]
    assert (row["group"], row["rank"], row["score"]) == ("试验园", 1, pytest.approx(0.3333))
    assert row["missed_target"] and not row["last"]
    assert doc["warnings"] == []
    assert server.get("/ranking", params={"run": "1"}).json()["as_of_date"] == AS_OF_1
    assert server.get("/ranking", params={"run": "9"}).status_code == 404
    assert server.get("/ranking", params={"datetime": "soon"}).status_code == 400


def test_ranking_by_a_unit_column_gives_warnings(three_runs: Path) -> None:
    # ranked by parcel: A is last and idle or overdue in runs 1 (逾期未开工), 2 (闲置满一年) and
    # 3 (拟收回): 红色预警 after run 3, 黄色预警 after run 2
    (three_runs / "rank.toml").write_text('[ranking]\ngroup_by = "parcel_id"\n', encoding="utf-8")
    done = run_cli("ranking", "--store", "runs.sqlite", "--rules", "rank.toml", cwd=three_runs)
    assert done.returncode == 0, done.stderr
    assert "预警 warning: A · 红色预警（约谈主要负责人） (red) · runs 1, 2, 3" in done.stdout
    done = run_cli(
        "ranking", "--store", "runs.sqlite", "--rules", "rank.toml", "--run", "2", cwd=three_runs
    )
    assert "预警 warning: A · 黄色预警 (yellow) · runs 1, 2" in done.stdout
    done = run_cli("ranking", "--store", "runs.sqlite", "--run", "9", cwd=three_runs)
    assert done.returncode == 2 and "no such run" in done.stderr


# --------------------------------------------------------------------------- a new run arrives


def test_landuse_serve_store_picks_up_a_new_run(folder: Path, tmp_path: Path) -> None:
    """`landuse serve --store` (the command) serves the latest run; a run recorded while it
    serves becomes the latest at once, and the earlier ones stay."""
    import time

    import httpx
    from conftest import free_port

    store = tmp_path / "runs.sqlite"
    store.write_bytes((folder / "runs.sqlite").read_bytes())
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [str(LANDUSE), "serve", "--store", str(store), "--port", str(port)],
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(base + "/runs", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (
                tmp_path / "serve.log"
            ).read_text(errors="replace")
            time.sleep(0.3)
        assert httpx.get(base + "/parks").json()["run"] == 2
        done = run_cli(
            "analyse",
            str(folder / "park.gpkg"),
            "--as-of",
            "2025-06-30",
            "--store",
            str(store),
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        runs = httpx.get(base + "/runs").json()["runs"]
        assert [(r["run"], r["latest"]) for r in runs] == [(1, False), (2, False), (3, True)]
        latest = httpx.get(base + "/parks").json()
        assert (latest["run"], latest["as_of_date"]) == (3, "2025-06-30")
        assert httpx.get(base + "/parks", params={"run": "1"}).json()["as_of_date"] == AS_OF_1
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        log.close()
    assert b"serving" in (tmp_path / "serve.log").read_bytes()


def test_diff_workbook(three_runs: Path) -> None:
    from openpyxl import load_workbook

    done = run_cli("diff", "--store", "runs.sqlite", "--xlsx", "变化.xlsx", cwd=three_runs)
    assert done.returncode == 0, done.stderr
    wb = load_workbook(three_runs / "变化.xlsx", read_only=True)
    try:
        assert wb.sheetnames == ["变化汇总", "变化宗地", "状态转移", "金额比较"]
        rows = list(wb["变化宗地"].iter_rows(values_only=True))
        assert rows[0][0] == "run 2 (as of 2025-03-01) → run 3 (as of 2026-03-01)"
        header = rows[1]
        by_key = {r[header.index("宗地编号")]: r for r in rows[2:]}
        assert by_key["A"][header.index("变化")] == "新增拟收回"
        assert by_key["B"][header.index("本期状态")] == "按期推进"
        amounts = list(wb["金额比较"].iter_rows(values_only=True))
        head = amounts[1]
        late = next(r for r in amounts[2:] if r[0] == "逾期开工违约金")
        assert late[head.index("已确认 本期(万元)")] == pytest.approx(79.30)
        assert late[head.index("待核查 上期(万元)")] == pytest.approx(11.80)
    finally:
        wb.close()
    again = run_cli("diff", "--store", "runs.sqlite", "--xlsx", "变化.xlsx", cwd=three_runs)
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_the_map_shows_the_warnings_standing(three_runs: Path, start_server) -> None:
    rules = three_runs / "rank_map.toml"
    rules.write_text('[ranking]\ngroup_by = "parcel_id"\n', encoding="utf-8")
    server = start_server(
        three_runs / "runs.sqlite", store=True, env={"LANDUSE_RULES_PATH": str(rules)}
    )
    warnings = server.get("/ranking").json()["warnings"]
    assert warnings == [
        {"group": "A", "level": "red", "level_zh": "红色预警（约谈主要负责人）", "runs": [1, 2, 3]}
    ]
    page = server.get("/map").text
    assert "A · 红色预警（约谈主要负责人） · runs 1, 2, 3" in page
    # the ranking's last places: A is 拟收回, its whole area idle or overdue, so it is last
    ranking = server.get("/ranking").json()["ranking"]
    ranks = {r["group"]: r["rank"] for r in ranking if r["rank"] is not None}
    assert ranks["A"] == max(ranks.values()) == len(ranks)
    assert f"排名（共 {len(ranks)} 个" in page
    assert f"<li>{len(ranks)} · A · 100.0% · 未达标</li>" in page
    assert 'href="ranking?run=3"' in page
    earlier = server.get("/map", params={"run": "2"}).text
    assert "A · 黄色预警 · runs 1, 2" in earlier
    assert "红色预警" not in earlier


def test_a_run_with_park_boundaries_is_served(sample_park, tmp_path: Path) -> None:
    """A run recorded with --parks keeps the boundaries as its ``parks`` table (no result
    columns): the store serves the run, and the parks collection draws those boundaries."""
    from api.settings import Settings
    from api.store import RunStoreSource
    from landuse import runstore

    store = tmp_path / "runs.sqlite"
    runstore.record_run(store, sample_park, inputs=[], rules_path=None)
    view = RunStoreSource(Settings(store_path=store)).view()
    parks = view.collection("parks")
    assert view.collection("parcels").size == len(sample_park.parcels)
    # the sample park's three parks, each with its boundary from the parks layer
    assert parks.size == 3 and parks.without_geometry == 0
    outlines = view.park_outlines()
    assert sorted(outlines["park"]) == sorted(sample_park.loaded.parks["park"])
