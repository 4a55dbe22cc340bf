"""Inspections through the service: ``POST /inspections``, ``GET /inspections``, the 待核查
queue, and the next ``landuse analyse --store`` using the findings recorded.

The hand-made park of tests/test_runs.py (three 1 ha parcels, default rules: late start 1‰ of
the land price P per day), first analysed as of 2025-03-01:

- A: P = 100 万元, start due 2024-01-01, 未开工 in the ledger → idle_fee (confirmed).
- B: P = 200 万元, start due 2025-01-01, no evidence → 待核查 (unverified), 59 days past due
  (31 + 28): would apply 200 × 0.001 × 59 = 11.80 万元, nothing confirmed. The queue holds B
  alone.
- C: started 2023-06-01 before its due date → on_track.

Then findings for B are recorded: 未开工 on 2025-02-20 (JSON), and the workbook's 待核查 form
filled in: 已开工 on 2025-03-15, actually started 2025-03-10 (upload). The second run, as of
2025-03-31, uses the later one: B started 2025-03-10, 68 days after its due date
(31 + 28 + 9) → late-start fee 200 × 0.001 × 68 = 13.60 万元, confirmed (evidence: the
inspection), nothing left to verify; status 按期推进 (on_track: started, within its completion
date 2027-12-31), progress 滞后 (behind: started late). The queue of the second run is empty.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing
from pathlib import Path

import geopandas as gpd
import httpx
import pandas as pd
import pytest
from conftest import fill_form
from test_runs import run_cli, write_park

AS_OF_1, AS_OF_2 = "2025-03-01", "2025-03-31"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    here = tmp_path_factory.mktemp("inspections_api")
    write_park(here)
    done = run_cli(
        "analyse", "park.gpkg", "--as-of", AS_OF_1, "--store", "runs.sqlite", "--out", "r1.xlsx",
        cwd=here,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return here


@pytest.fixture(scope="module")
def server(folder: Path, start_server):
    return start_server(folder / "runs.sqlite", store=True)


def _count(store: Path) -> int:
    with closing(sqlite3.connect(store)) as db:
        return db.execute("SELECT count(*) FROM inspections").fetchone()[0]


def _filled_form(folder: Path) -> Path:
    """The 待核查 sheet of the first run's workbook, filled in for B as an inspector would."""
    return fill_form(
        folder / "r1.xlsx",
        folder / "filled.xlsx",
        "B",
        {
            "核查日期": "2025-03-15",
            "核查结论": "已开工",
            "实际开工时间": "2025-03-10",
            "核查人": "李四",
        },
    )


def test_the_queue_holds_the_unverified_parcel_with_its_amount(server) -> None:
    got = server.get("/inspections/queue")
    assert got.status_code == 200, got.text
    doc = got.json()
    assert doc["run"] == 1 and doc["numberMatched"] == 1
    (item,) = doc["queue"]
    assert item["parcel"] == "B" and item["status"] == "open" and item["assigned_to"] is None
    assert item["potential_penalty_wan"] == pytest.approx(11.80)
    assert item["latest_finding"] is None


def test_bad_rows_are_refused_naming_row_and_field_and_nothing_is_recorded(
    server, folder: Path
) -> None:
    store = folder / "runs.sqlite"
    good = {"parcel_id": "C", "inspection_date": "2025-02-01", "finding": "已开工"}
    bad_finding = {"parcel_id": "B", "inspection_date": "2025-02-20", "finding": "也许"}
    got = server.post("/inspections", json=[good, bad_finding])
    assert got.status_code == 422, got.text
    body = got.json()
    assert "row 2" in body["description"] and "finding" in body["description"]
    assert body["errors"][0]["row"] == 2 and body["errors"][0]["field"] == "finding"
    assert "已开工" in body["errors"][0]["fix"]

    unknown = {"parcel_id": "Z", "inspection_date": "2025-02-20", "finding": "未开工"}
    got = server.post("/inspections", json=[good, unknown])
    assert got.status_code == 422
    assert got.json()["errors"][0]["value"] == "Z"
    assert "no parcel Z in the latest run" in got.json()["description"]

    no_date = {"宗地编号": "B", "核查结论": "未开工", "核查日期": "not a date"}
    got = server.post("/inspections", json=[no_date])
    assert got.status_code == 422
    assert any(e["field"] == "inspection_date" for e in got.json()["errors"])

    typo = {**good, "inspecton_note": "x"}
    assert server.post("/inspections", json=[typo]).status_code == 422
    got = server.post("/inspections", files={"file": ("核查表.xlsx", b"not a workbook")})
    assert got.status_code == 422
    assert "核查表.xlsx" in got.json()["description"] and "upload" not in got.json()["description"]
    assert server.post("/inspections", content=b"{not json").status_code == 422
    assert _count(store) == 0  # nothing half-recorded


def test_findings_are_recorded_listed_and_used_by_the_next_run(server, folder: Path) -> None:
    store = folder / "runs.sqlite"
    finding = {
        "parcel_id": "B",
        "inspection_date": "2025-02-20",
        "finding": "未开工",
        "inspector": "王五",
        "inspection_note": "现为空地",
    }
    got = server.post("/inspections", json=[finding], params={"recorded_by": "科员甲"})
    assert got.status_code == 201, got.text
    assert got.json()["recorded"] == 1
    (first_id,) = got.json()["ids"]

    with open(_filled_form(folder), "rb") as f:
        got = server.post("/inspections", files={"file": ("filled.xlsx", f)})
    assert got.status_code == 201, got.text
    assert got.json()["recorded"] == 1 and got.json()["source"] == "filled.xlsx"
    assert _count(store) == 2

    listed = server.get("/inspections", params={"parcel": "b"}).json()
    assert listed["numberMatched"] == 2
    latest, first = listed["inspections"]
    assert first["inspection_id"] == first_id and first["recorded_by"] == "科员甲"
    assert first["finding"] == "not_started" and first["note"] == "现为空地"
    assert first["actual_start_date"] is None and first["suspended_since"] is None  # not "NaT"
    assert latest["finding_zh"] == "已开工" and latest["actual_start_date"] == "2025-03-10"
    assert latest["inspector"] == "李四" and latest["source"] == "filled.xlsx"
    page = server.get("/inspections", params={"f": "html"})
    assert page.status_code == 200 and "李四" in page.text

    # the queue: B assigned, then done
    got = server.post("/inspections/queue/B", json={"assigned_to": "王五"})
    assert got.status_code == 200, got.text
    assert got.json()["assigned_to"] == "王五" and got.json()["status"] == "open"
    assert got.json()["latest_finding"]["inspection_date"] == "2025-03-15"
    # a Chinese name in the header, as curl sends it (UTF-8 bytes), is kept as written
    got = server.post(
        "/inspections/queue/B",
        json={"status": "done"},
        headers={"X-Recorded-By": "科员乙".encode()},
    )
    assert (got.json()["status"], got.json()["updated_by"]) == ("done", "科员乙")
    assert server.post("/inspections/queue/C", json={"status": "done"}).status_code == 404
    assert server.post("/inspections/queue/B", json={"status": "maybe"}).status_code == 422
    queue = server.get("/inspections/queue", params={"assigned_to": "王五"}).json()
    assert [i["parcel"] for i in queue["queue"]] == ["B"] and queue["queue"][0]["status"] == "done"
    page = server.get("/inspections/queue", params={"f": "html"})
    assert page.status_code == 200 and "王五" in page.text and "已开工" in page.text
    assert server.get("/inspections", params={"status": "open"}).json()["numberMatched"] == 0
    assert server.get("/inspections", params={"status": "done"}).json()["numberMatched"] == 2

    # the next run uses them
    done = run_cli(
        "analyse", "park.gpkg", "--as-of", AS_OF_2, "--store", "runs.sqlite", "--out", "r2.gpkg",
        cwd=folder,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "inspections recorded in runs.sqlite: 2 used as evidence" in done.stdout
    report = pd.read_csv(folder / "r2_load_report.csv")
    assert report.to_string().count("runs.sqlite 核查记录") >= 1
    parcels = gpd.read_file(folder / "r2.gpkg", layer="parcels").set_index("parcel_id")
    b = parcels.loc["B"]
    assert b["start_evidence"] == "inspection"
    assert str(b["actual_start_date"])[:10] == "2025-03-10"
    assert str(b["inspection_date"])[:10] == "2025-03-15"
    assert b["late_start_days"] == 68
    assert b["late_start_wan"] == pytest.approx(13.60)
    assert b["confirmed_penalty_wan"] == pytest.approx(13.60)
    assert (b["potential_penalty_wan"] or 0) == pytest.approx(0)
    assert b["status"] == "on_track"  # 按期推进: started, within its completion date
    assert b["progress"] == "behind"  # 滞后: started late
    queue = server.get("/inspections/queue").json()
    assert queue["run"] == 2 and queue["numberMatched"] == 0


def test_a_results_file_server_says_inspections_need_a_store(folder: Path, start_server) -> None:
    done = run_cli("analyse", "park.gpkg", "--as-of", AS_OF_1, "--out", "r0.gpkg", cwd=folder)
    assert done.returncode == 0, done.stderr
    server = start_server(folder / "r0.gpkg")
    got = server.post("/inspections", json=[{"parcel_id": "B"}])
    assert got.status_code == 409
    assert "--store" in got.json()["description"]
    assert server.get("/inspections").status_code == 409
    assert httpx.get(server.url + "/inspections/queue", timeout=30).status_code == 409


def test_a_store_written_before_the_inspection_tables_gets_them(folder: Path, tmp_path) -> None:
    from landuse import inspection_store

    store = tmp_path / "old.sqlite"
    store.write_bytes((folder / "runs.sqlite").read_bytes())
    with closing(sqlite3.connect(store)) as db:
        db.execute("DROP TABLE inspections")
        db.execute("DROP TABLE inspection_queue")
        db.commit()
    assert inspection_store.read_findings(store).empty
    assert inspection_store.read_queue(store) == {}
    raw = inspection_store.findings_frame(
        [{"parcel_id": "B", "inspection_date": "2025-02-20", "finding": "未开工"}]
    )
    _run, parcels = inspection_store.latest_parcels(store, inspection_store.KEYS)
    table = inspection_store.check_findings(raw, "api", parcels)
    (new_id,) = inspection_store.record_findings(store, table, source="api", recorded_by=None)
    assert _count(store) == 1
    used, recorded, later = inspection_store.stored_inspections(store, dt.date(2025, 2, 19))
    assert (len(used), recorded, later) == (0, 1, 1)  # inspected after that as-of date
    used, _, _ = inspection_store.stored_inspections(store, dt.date(2025, 3, 1))
    assert used["finding"].tolist() == ["not_started"] and used["source_row"].tolist() == [new_id]


@pytest.mark.parametrize(
    ("file_row", "expected"),
    [
        # the file's inspection is later: B started 2025-02-24, 54 days late (31 + 23)
        ("B,2025-02-25,已开工,2025-02-24", ("on_track", 54, 10.80)),
        # the store's (未开工 on 2025-02-20) is later: B not started, 59 days late (31 + 28)
        ("B,2025-02-10,已开工,2025-02-09", ("late_start", 59, 11.80)),
    ],
)
def test_a_file_and_the_store_the_later_inspection_wins(
    folder: Path, tmp_path: Path, file_row: str, expected: tuple[str, int, float]
) -> None:
    from landuse import inspection_store
    from landuse.pipeline import run_analysis
    from landuse.rules_file import load_rules

    store = tmp_path / "runs.sqlite"
    store.write_bytes((folder / "runs.sqlite").read_bytes())
    with closing(sqlite3.connect(store)) as db:
        db.execute("DELETE FROM inspections")
        db.commit()
    raw = inspection_store.findings_frame(
        [{"parcel_id": "B", "inspection_date": "2025-02-20", "finding": "未开工"}]
    )
    _run, parcels = inspection_store.latest_parcels(store, inspection_store.KEYS)
    table = inspection_store.check_findings(raw, "api", parcels)
    inspection_store.record_findings(store, table, source="api", recorded_by=None)
    csv = tmp_path / "核查.csv"
    csv.write_text("宗地编号,核查日期,核查结论,实际开工时间\n" + file_row + "\n", encoding="utf-8")
    used, _, _ = inspection_store.stored_inspections(store, dt.date(2025, 3, 1))
    results = run_analysis(
        [folder / "park.gpkg"],
        rules=load_rules(None),
        as_of="2025-03-01",
        inspections=[csv],
        stored_inspections=used,
    )
    b = results.parcels.set_index("parcel_id").loc["B"]
    assert (b["status"], b["late_start_days"]) == expected[:2]
    assert b["late_start_wan"] == pytest.approx(expected[2])
    assert b["confirmed_penalty_wan"] == pytest.approx(expected[2])
    assert results.loaded.inspections.applied == 1 and results.loaded.inspections.older == 1


def test_the_queue_ranks_by_the_amount_that_would_apply(tmp_path: Path) -> None:
    """Two parcels due 2025-01-01 with no evidence, as of 2025-03-01 (59 days): D (P = 100)
    would pay 5.90 万元, E (P = 300) 17.70 万元; E comes first, as on the workbook's sheet."""
    from landuse import inspection_store, runstore
    from landuse.pipeline import run_analysis
    from landuse.rules_file import load_rules

    write_park(
        tmp_path,
        [
            {"parcel_id": p, "agreed_start_date": "2025-01-01", "land_price_wan": price}
            for p, price in (("D", 100.0), ("E", 300.0))
        ],
        "two.gpkg",
    )
    results = run_analysis([tmp_path / "two.gpkg"], rules=load_rules(None), as_of="2025-03-01")
    store = tmp_path / "runs.sqlite"
    runstore.record_run(store, results, inputs=[], rules_path=None)
    run_id, items = inspection_store.queue(store)
    assert run_id == 1
    assert [(i["parcel"], i["potential_penalty_wan"]) for i in items] == [
        ("E", pytest.approx(17.70)),
        ("D", pytest.approx(5.90)),
    ]


def test_a_body_above_the_cap_is_refused_before_it_is_read(folder: Path, start_server) -> None:
    server = start_server(
        folder / "runs.sqlite", store=True, env={"LANDUSE_MAX_BODY_BYTES": "2048"}
    )
    finding = {"parcel_id": "B", "inspection_date": "2025-02-20", "finding": "未开工"}
    got = server.post("/inspections", json=[finding] * 100)
    assert got.status_code == 413
    assert "inspection findings" in got.json()["description"]


def test_the_queue_is_that_of_the_run_served_by_default(tmp_path: Path, start_server) -> None:
    """A month analysed again after a later one (a correction) is recorded last but is not the
    latest: the service serves the run with the latest as-of date, and its queue and its
    checks of findings are that run's. B (P = 200 万元, start due 2025-01-01, no evidence) is
    待核查 in both runs: as of 2025-03-01 59 days past due (31 + 28) → 11.80 万元 would apply;
    as of 2025-01-31 30 days → 6.00."""
    from landuse import inspection_store

    write_park(tmp_path)
    for as_of in (AS_OF_1, "2025-01-31"):  # run 1, then run 2 (earlier as-of, recorded later)
        done = run_cli(
            "analyse", "park.gpkg", "--as-of", as_of, "--store", "runs.sqlite", cwd=tmp_path
        )
        assert done.returncode == 0, done.stderr
    store = tmp_path / "runs.sqlite"
    run_id, items = inspection_store.queue(store)
    assert run_id == 1 and [(i["parcel"], i["potential_penalty_wan"]) for i in items] == [
        ("B", pytest.approx(11.80))
    ]
    server = start_server(store, store=True)
    served = server.get("/collections/parcels/items", params={"parcel_id": "B"}).json()
    assert served["features"][0]["properties"]["as_of_date"][:10] == AS_OF_1
    queue = server.get("/inspections/queue").json()
    assert queue["run"] == 1
    assert queue["queue"][0]["potential_penalty_wan"] == pytest.approx(11.80)
