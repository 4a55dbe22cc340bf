"""The monthly cycle (issue 11's acceptance test) and its report (通报): three runs stored with
``landuse analyse --store``, the inspections between runs 2 and 3 recorded through ``landuse
serve --store``, then ``landuse diff``, the progress classes, ``landuse ranking`` / ``GET
/ranking`` and ``landuse report``.

Three monthly runs of a small hand-made pair of parks, six 1 ha parcels (100 m squares in
CGCS2000 zone 41, EPSG:4529), default rules (late start 1‰ of the land price P per day; the
ranking scores the share of a park's area in 拟收回 / 闲置满一年 / 逾期未开工 / 逾期未竣工,
target ≤ 10 %), as of 2025-01-31, 2025-02-28 and 2025-03-31. Between runs 2 and 3 the service
on the store records two findings: D's row of run 2's 待核查 form filled in (uploaded) and a
visit to A (JSON); run 3 has no inspections file, the stored findings are its evidence.
Run 2's queue holds D alone (the only 待核查 parcel then, 0.65 万元 would apply).

甲园
- A: P = 100 万元, start due 2024-06-30, inspected not started (in the ledger; again on
  2025-03-25 by 王五, recorded as JSON): late start in every run (idle one year only on
  2025-06-30). Days late: 2024-06-30 → 2025-01-31 = 184
  (Jul–Dec) + 31 = 215 → 21.50; → 2025-02-28 = 243 → 24.30; → 2025-03-31 = 274 → 27.40 万元
  (confirmed).
- B: P = 200 万元, started 2023-06-01 before its due date 2023-07-01 → on track, 0.
- F: P = 400 万元, start due 2025-03-21, no evidence: on track in runs 1 and 2; run 3: 10 days
  past due with no evidence → 待核查, would apply 400 × 0.001 × 10 = 4.00 万元.

乙园
- C: P = 300 万元, started before its due date → on track, 0.
- D: P = 50 万元, start due 2025-02-15, no evidence. Run 1: not due → on track. Run 2: 13 days
  past due → 待核查, would apply 50 × 0.001 × 13 = 0.65. Between runs 2 and 3 an inspection
  (核查 2025-03-10 by 张三, on the uploaded form) finds it started on 2025-02-20: run 3 on track,
  late start 5 days → 50 × 0.001 × 5 = 0.25 (confirmed).
- E: P = 80 万元, start due 2025-03-01, no evidence: on track in runs 1 and 2; run 3: 30 days
  past due → 待核查, would apply 80 × 0.001 × 30 = 2.40.

Run 3 by status: 逾期未开工 1 parcel 1 ha (A, 27.40 confirmed); 待核查 2 parcels 2 ha (E, F: 6.40
would apply); 按期推进 3 parcels 3 ha (B, C, D: 0.25 confirmed). Confirmed 27.65, would apply
6.40, never added.

Run 2 → run 3: D 待核查 → 按期推进 (resolved), E and F 按期推进 → 待核查 (newly to inspect: 2
parcels, 2 ha); A 逾期未开工 → 逾期未开工; B, C 按期推进 → 按期推进. Run 2's money: confirmed
24.30 (A), would apply 0.65 (D).

Ranking in every run: 乙园 0 % (rank 1), 甲园 1 ha of 3 = 33.3 % (rank 2, last, above 10 %):
甲园 last while missing the target in runs 1, 2, 3 → 红色预警（约谈主要负责人）, runs 1, 2, 3.

Progress (run 3; start_grace_days = 0, ahead needs completion): 甲园 A 无进展 (inspected not
started past its due date), B 正常 (started before its due date, not completed, not past
2027-12-31), F 待核查 (no evidence); 乙园 C 正常, D 滞后 (started 5 days after its due date),
E 待核查. Per park: 甲园 0 推进超过, 1 正常, 0 滞后, 1 无进展, 1 待核查; 乙园 0, 1, 1, 0, 1.

Ranking of runs 1 and 2 as in run 3 (A alone is scored: 逾期未开工; D 待核查 in run 2 is not):
after run 1 甲园 has been last and missing the target once → no warning; after run 2 twice →
黄色预警, runs 1, 2; after run 3 → 红色预警, runs 1, 2, 3.

The parcels to inspect first (run 3): F (4.00) before E (2.40): no footprints, so by money.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import httpx
import pandas as pd
import pytest
import shapely
from conftest import Server, fill_form
from test_runs import run_cli

AS_OF = ("2025-01-31", "2025-02-28", "2025-03-31")
X0, Y0 = 41_500_000, 4_600_000
SOFFICE = shutil.which("soffice")


def write_parks(here: Path) -> None:
    """The two parks as ``parks.gpkg`` (layer parcels) in ``here``."""
    started = {"start_status": "已开工", "actual_start_date": "2023-06-01"}
    rows = [
        ("A", "甲园", "2024-06-30", 100.0, {"start_status": "未开工"}),
        ("B", "甲园", "2023-07-01", 200.0, started),
        ("F", "甲园", "2025-03-21", 400.0, {}),
        ("C", "乙园", "2023-07-01", 300.0, started),
        ("D", "乙园", "2025-02-15", 50.0, {}),
        ("E", "乙园", "2025-03-01", 80.0, {}),
    ]
    frame = pd.DataFrame(
        [
            {"parcel_id": pid, "park": park, "agreed_start_date": due, "land_price_wan": p, **more}
            for pid, park, due, p, more in rows
        ]
    ).assign(
        land_use="工业用地",
        contract_date="2022-06-01",
        agreed_completion_date="2027-12-31",
        agreed_investment_wan=6000.0,
    )
    squares = [
        shapely.box(X0 + i * 200, Y0 + j * 300, X0 + i * 200 + 100, Y0 + j * 300 + 100)
        for j in range(2)
        for i in range(3)
    ]
    gpd.GeoDataFrame(frame, geometry=squares, crs="EPSG:4529").to_file(
        here / "parks.gpkg", layer="parcels"
    )


@dataclass
class Cycle:
    """The folder of the three runs, the service on their store, and what it answered between
    runs 2 and 3 (the queue before and after the findings, the findings listed)."""

    folder: Path
    server: Server
    between: dict[str, httpx.Response]
    run_3: str  # what analyse printed


@pytest.fixture(scope="module")
def cycle(tmp_path_factory, start_server) -> Cycle:
    """Runs 1 and 2 with ``landuse analyse --store``; the findings recorded through
    ``landuse serve --store`` (D on run 2's 待核查 form, uploaded; A as JSON); run 3 with no
    inspections file."""
    here = tmp_path_factory.mktemp("report")
    write_parks(here)

    def analyse(as_of: str, *more: str) -> str:
        done = run_cli(
            "analyse", "parks.gpkg", "--as-of", as_of, "--store", "runs.sqlite", *more, cwd=here
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    analyse(AS_OF[0])
    analyse(AS_OF[1], "--out", "第2期.xlsx")
    server = start_server(here / "runs.sqlite", store=True, via_serve=True)
    between = {"queue": server.get("/inspections/queue")}
    form = fill_form(
        here / "第2期.xlsx",
        here / "待核查_已填.xlsx",
        "D",
        {
            "核查日期": "2025-03-10",
            "核查结论": "已开工",
            "实际开工时间": "2025-02-20",
            "核查人": "张三",
        },
    )
    with form.open("rb") as f:
        between["upload"] = server.post("/inspections", files={"file": (form.name, f)})
    between["json"] = server.post(
        "/inspections",
        json=[
            {
                "parcel_id": "A",
                "inspection_date": "2025-03-25",
                "finding": "未开工",
                "inspector": "王五",
                "inspection_note": "现为空地",
            }
        ],
        params={"recorded_by": "科员甲"},
    )
    between["listed"] = server.get("/inspections")
    between["queue_after"] = server.get("/inspections/queue")
    return Cycle(here, server, between, analyse(AS_OF[2]))


@pytest.fixture(scope="module")
def folder(cycle: Cycle) -> Path:
    return cycle.folder


@pytest.fixture(scope="module")
def report(folder: Path) -> Path:
    done = run_cli("report", "--store", "runs.sqlite", "--out", "通报.docx", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "wrote 通报.docx" in done.stdout
    if SOFFICE is None:
        assert "no PDF: LibreOffice (soffice) is not installed" in done.stdout
    else:  # written, or said why not (a LibreOffice without Writer cannot read .docx)
        assert "wrote 通报.pdf" in done.stdout or "no PDF: " in done.stderr
    return folder / "通报.docx"


def _tables(path: Path) -> dict[str, list[list[str]]]:
    """The document's tables by their first header cell (a second table with the same first
    header gets ``#2``)."""
    from docx import Document

    out: dict[str, list[list[str]]] = {}
    for table in Document(str(path)).tables:
        rows = [[c.text for c in row.cells] for row in table.rows]
        key = rows[0][0]
        out[key if key not in out else f"{key}#2"] = rows
    return out


def _text(path: Path) -> str:
    from docx import Document

    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_headline_figures(report: Path) -> None:
    rows = _tables(report)["状态"]
    assert rows[0] == ["状态", "宗数", "面积(公顷)", "已确认金额(万元)", "待核查金额(万元)"]
    assert rows[1:] == [
        ["逾期未开工", "1", "1.00", "27.40", "0.00"],
        ["待核查", "2", "2.00", "0.00", "6.40"],
        ["按期推进", "3", "3.00", "0.25", "0.00"],
        ["合计", "6", "6.00", "27.65", "6.40"],
    ]
    text = _text(report)
    assert "评价基准日：2025-03-31" in text
    assert "已确认的违约金、闲置费等金额合计 27.65 万元" in text
    assert "待核查宗地 2 宗" in text and "将适用金额 6.40 万元" in text


def test_what_changed_since_the_previous_run(report: Path) -> None:
    tables = _tables(report)
    kinds = {r[0]: (r[1], r[2]) for r in tables["变化"][1:]}
    assert kinds == {
        "新增拟收回": ("0", "0.00"),
        "新增闲置满一年": ("0", "0.00"),
        "新增逾期": ("0", "0.00"),
        "新增待核查": ("2", "2.00"),
        "已整改（转为按期推进或已竣工达标）": ("1", "1.00"),
        "其他变化": ("0", "0.00"),
    }
    moves = sorted(tuple(r) for r in tables["上期状态"][1:])
    assert moves == sorted(
        [
            ("逾期未开工", "逾期未开工", "1", "1.00"),
            ("按期推进", "按期推进", "2", "2.00"),
            ("按期推进", "待核查", "2", "2.00"),
            ("待核查", "按期推进", "1", "1.00"),
        ]
    )
    assert "第 2 期（评价基准日 2025-02-28） → 第 3 期（评价基准日 2025-03-31）" in _text(report)
    # late start: confirmed A 24.30 → A 27.40 + D 0.25 = 27.65; would apply D 0.65 → E 2.40 +
    # F 4.00 = 6.40; no other amount
    assert tables["金额项目"][1:] == [
        ["逾期开工违约金", "24.30", "27.65", "3.35", "0.65", "6.40", "5.75"],
        ["合计金额", "24.30", "27.65", "3.35", "0.65", "6.40", "5.75"],
    ]


def test_progress_per_park(report: Path) -> None:
    rows = _tables(report)["园区"]
    assert rows[0] == ["园区", "推进超过", "正常", "滞后", "无进展", "待核查", "合计"]
    assert rows[1:] == [
        ["乙园", "0", "1", "1", "0", "1", "3"],
        ["甲园", "0", "1", "0", "1", "1", "3"],
    ]


def test_ranking_and_warnings(report: Path) -> None:
    tables = _tables(report)
    ranking = tables["名次"]
    assert [r[:7] for r in ranking[1:]] == [
        ["1", "乙园", "3", "3.00", "0.00", "0.0%", ""],
        ["2", "甲园", "3", "3.00", "1.00", "33.3%", "末位、未达目标"],
    ]
    (warning,) = tables["园区#2"][1:]
    assert warning == ["甲园", "红色预警（约谈主要负责人）", "第 1 期、第 2 期、第 3 期"]


def test_parcels_to_inspect_first(report: Path) -> None:
    rows = _tables(report)["序号"]
    assert [(r[0], r[1], r[4], r[5], r[7]) for r in rows[1:]] == [
        ("1", "F", "甲园", "1.00", "4.00"),
        ("2", "E", "乙园", "1.00", "2.40"),
    ]


def test_a_map_per_park(report: Path) -> None:
    from docx import Document

    pictures = Document(str(report)).inline_shapes
    assert len(pictures) == 2  # 甲园 and 乙园


def test_a_park_map_counts_the_parcels_it_cannot_place() -> None:
    from landuse.bulletin import map_title

    # 125 parcels in the tables, 124 with a geometry: the title says 125 and the one left out
    assert map_title("经开区北区", 125, 124) == "经开区北区（125 宗，1 宗无图形未绘出）"
    assert map_title("甲园", 3, 3) == "甲园（3 宗）"


def test_an_earlier_run_and_the_first_run(folder: Path) -> None:
    done = run_cli(
        "report",
        "--store",
        "runs.sqlite",
        "--run",
        "2",
        "--out",
        "通报2.docx",
        "--no-pdf",
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    assert not (folder / "通报2.pdf").exists()
    tables = _tables(folder / "通报2.docx")
    (warning,) = tables["园区#2"][1:]
    assert warning == ["甲园", "黄色预警", "第 1 期、第 2 期"]
    assert tables["状态"][-1] == ["合计", "6", "6.00", "24.30", "0.65"]
    done = run_cli(
        "report",
        "--store",
        "runs.sqlite",
        "--run",
        "1",
        "--out",
        "通报1.docx",
        "--no-pdf",
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr
    text = _text(folder / "通报1.docx")
    assert "本期为第一期分析" in text and "截至本期无预警" in text and "本期无待核查宗地" in text


def test_a_report_without_geometry_says_so(folder: Path, tmp_path: Path) -> None:
    from landuse.bulletin import gather, park_maps, write_docx
    from landuse.rules_file import load_rules

    bulletin = gather(folder / "runs.sqlite", None, load_rules(None))
    bulletin.parcels = bulletin.parcels.drop(columns="geometry")
    maps = park_maps(bulletin)
    assert maps == [("乙园", None), ("甲园", None)]
    write_docx(tmp_path / "r.docx", bulletin, maps)
    assert "甲园：本期数据无宗地图形，未出图。" in _text(tmp_path / "r.docx")


def test_existing_report_needs_overwrite(report: Path) -> None:
    folder = report.parent
    before = report.read_bytes()
    done = run_cli("report", "--store", "runs.sqlite", "--out", "通报.docx", cwd=folder)
    assert done.returncode == 2 and "--overwrite" in done.stderr
    assert report.read_bytes() == before
    done = run_cli("report", "--store", "runs.sqlite", "--out", "通报.txt", cwd=folder)
    assert done.returncode == 2 and ".docx" in done.stderr and "Traceback" not in done.stderr
    done = run_cli("report", "--store", "runs.sqlite", "--run", "9", "--out", "x.docx", cwd=folder)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    done = run_cli(
        "report",
        "--store",
        "runs.sqlite",
        "--out",
        "通报.docx",
        "--overwrite",
        "--no-pdf",
        cwd=folder,
    )
    assert done.returncode == 0, done.stderr


def test_the_pdf_opens(report: Path) -> None:
    """The PDF LibreOffice made (skipped without LibreOffice Writer, except under CI, which
    installs it)."""
    pdf = report.with_suffix(".pdf")
    if not pdf.exists():
        why = "LibreOffice Writer (soffice) is not installed or cannot convert a Word document"
        if os.environ.get("CI"):
            pytest.fail(f"{why}; CI installs it (.ci/run)")
        pytest.skip(why)
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "工业用地利用效率监管情况通报" in text and "红色预警" in text


def test_ranking_workbook(folder: Path) -> None:
    from openpyxl import load_workbook

    from landuse.ranking import RANKING_HEADERS_ZH

    done = run_cli("ranking", "--store", "runs.sqlite", "--xlsx", "排名.xlsx", cwd=folder)
    assert done.returncode == 0, done.stderr
    wb = load_workbook(folder / "排名.xlsx", read_only=True)
    try:
        assert wb.sheetnames == ["排名与预警"]
        rows = [r for r in wb["排名与预警"].iter_rows(values_only=True) if any(r)]
    finally:
        wb.close()
    assert rows[1][:8] == RANKING_HEADERS_ZH
    assert rows[2][:8] == (1, "乙园", 3, 3.0, 0.0, 0.0, "否", "否")
    assert rows[3][:5] == (2, "甲园", 3, 3.0, 1.0) and rows[3][5] == pytest.approx(1 / 3, abs=1e-4)
    assert rows[3][6:8] == ("是", "是")
    assert rows[5][:4] == ("分组", "预警", "预警代码", "连续期次（run）")
    assert rows[6][:4] == ("甲园", "红色预警（约谈主要负责人）", "red", "1, 2, 3")
    again = run_cli("ranking", "--store", "runs.sqlite", "--xlsx", "排名.xlsx", cwd=folder)
    assert again.returncode == 2 and "--overwrite" in again.stderr


def test_without_libreoffice(folder: Path, tmp_path: Path) -> None:
    """No soffice on PATH: the document alone, saying why; --pdf is refused, nothing written."""

    landuse = Path(sys.executable).with_name("landuse")
    env = {**os.environ, "PATH": str(tmp_path)}  # no soffice there

    def report(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(landuse), "report", "--store", str(folder / "runs.sqlite"), *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )

    done = report("--out", "a.docx", "--pdf")
    assert done.returncode == 2 and "not installed" in done.stderr
    assert not (tmp_path / "a.docx").exists()
    done = report("--out", "a.docx")
    assert done.returncode == 0, done.stderr
    assert "no PDF: LibreOffice (soffice) is not installed" in done.stdout
    assert (tmp_path / "a.docx").exists() and not (tmp_path / "a.pdf").exists()


def test_likely_idle_parcels_are_inspected_first() -> None:
    """As the workbook's 待核查 form: likely idle (footprints) first, then the money that would
    apply, then area; parcels not 待核查 are not listed."""
    from landuse.bulletin import inspect_first

    parcels = pd.DataFrame(
        {
            "parcel_id": ["p1", "p2", "p3", "p4", "p5"],
            "park": "甲园",
            "status": ["unverified", "unverified", "unverified", "late_start", "unverified"],
            "area_ha": [1.0, 2.0, 3.0, 9.0, 5.0],
            "total_penalty_wan": [9.0, 1.0, 1.0, 50.0, 3.0],
            "amounts_confirmed": [False, False, False, True, False],
            "likely_idle": pd.array([False, True, pd.NA, True, True], dtype="boolean"),
        }
    )
    table, total = inspect_first(parcels, limit=3)
    assert total == 4
    # likely idle: p5 (3.00) before p2 (1.00); then p1 (9.00) before p3 (unknown, 1.00)
    assert table["key"].tolist() == ["p5", "p2", "p1"]
    assert table["likely_idle"].tolist() == ["是", "是", "否"]
    assert table["potential_wan"].tolist() == [3.0, 1.0, 9.0]


# ------------------------------------------------------------- the cycle: service, diff, progress


def test_the_findings_are_recorded_through_the_service(cycle: Cycle) -> None:
    before = cycle.between["queue"]
    assert before.status_code == 200, before.text
    assert before.json()["run"] == 2 and before.json()["numberMatched"] == 1
    (d,) = before.json()["queue"]
    assert (d["parcel"], d["park"], d["status"], d["latest_finding"]) == ("D", "乙园", "open", None)
    assert d["potential_penalty_wan"] == pytest.approx(0.65)  # 50 × 0.001 × 13

    upload, posted = cycle.between["upload"], cycle.between["json"]
    assert upload.status_code == 201, upload.text
    assert upload.json()["recorded"] == 1 and upload.json()["source"] == "待核查_已填.xlsx"
    assert posted.status_code == 201, posted.text
    assert posted.json()["recorded"] == 1 and posted.json()["source"] == "api"

    listed = cycle.between["listed"]
    assert listed.status_code == 200 and listed.json()["numberMatched"] == 2
    a, d = listed.json()["inspections"]  # latest recorded first
    assert (a["parcel_id"], a["inspection_date"], a["finding_zh"]) == ("A", "2025-03-25", "未开工")
    assert (a["inspector"], a["recorded_by"], a["note"]) == ("王五", "科员甲", "现为空地")
    assert a["actual_start_date"] is None and a["actual_completion_date"] is None
    assert (d["parcel_id"], d["inspection_date"], d["finding_zh"]) == ("D", "2025-03-10", "已开工")
    assert (d["actual_start_date"], d["inspector"]) == ("2025-02-20", "张三")
    assert d["source"] == "待核查_已填.xlsx"

    after = cycle.between["queue_after"].json()
    (d,) = after["queue"]
    assert after["run"] == 2 and d["parcel"] == "D"
    assert d["latest_finding"]["inspection_id"] == listed.json()["inspections"][1]["inspection_id"]

    # run 3 took them from the store (no inspections file), and queues E and F by money
    assert "inspections recorded in runs.sqlite: 2 used as evidence" in cycle.run_3
    queue = cycle.server.get("/inspections/queue").json()
    assert queue["run"] == 3
    assert [(i["parcel"], i["potential_penalty_wan"]) for i in queue["queue"]] == [
        ("F", pytest.approx(4.00)),  # 400 × 0.001 × 10
        ("E", pytest.approx(2.40)),  # 80 × 0.001 × 30
    ]


def test_progress_classes_per_parcel(cycle: Cycle) -> None:
    got = cycle.server.get("/collections/parcels/items", params={"run": "3"})
    assert got.status_code == 200, got.text
    rows = {f["properties"]["parcel_id"]: f["properties"] for f in got.json()["features"]}
    assert {k: (r["progress"], r["status"], r["start_evidence"]) for k, r in rows.items()} == {
        "A": ("no_progress", "late_start", "inspection"),
        "B": ("normal", "on_track", "actual_start"),
        "F": ("unverified", "unverified", "none"),
        "C": ("normal", "on_track", "actual_start"),
        "D": ("behind", "on_track", "inspection"),
        "E": ("unverified", "unverified", "none"),
    }
    # A: 2024-06-30 → 2025-03-31 = 274 days; D: 2025-02-15 → 2025-02-20 = 5 days
    assert (rows["A"]["late_start_days"], rows["D"]["late_start_days"]) == (274, 5)
    assert rows["A"]["late_start_wan"] == pytest.approx(27.40)
    assert rows["D"]["late_start_wan"] == pytest.approx(0.25)
    assert rows["D"]["actual_start_date"][:10] == "2025-02-20"
    run_2 = cycle.server.get("/collections/parcels/items", params={"run": "2"}).json()
    d = next(f["properties"] for f in run_2["features"] if f["properties"]["parcel_id"] == "D")
    assert (d["progress"], d["status"], d["start_evidence"]) == ("unverified", "unverified", "none")


def test_what_changed_as_csv(folder: Path) -> None:
    """``landuse diff`` (default: runs 2 → 3) with ``--csv``."""
    done = run_cli("diff", "--store", "runs.sqlite", "--csv", "变化.csv", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "run 2 (as of 2025-02-28) → run 3 (as of 2025-03-31)" in done.stdout
    changed = pd.read_csv(folder / "变化.csv", encoding="utf-8-sig", dtype={"key": str})
    assert sorted(
        changed[["key", "change", "status_before", "status_after", "area_ha"]].itertuples(
            index=False, name=None
        )
    ) == [
        ("D", "resolved", "unverified", "on_track", 1.0),
        ("E", "newly_unverified", "on_track", "unverified", 1.0),
        ("F", "newly_unverified", "on_track", "unverified", 1.0),
    ]
    money = changed.set_index("key")[["total_penalty_wan_before", "total_penalty_wan_after"]]
    assert money.loc["D"].tolist() == pytest.approx([0.65, 0.25])
    assert money.loc["E"].tolist() == pytest.approx([0.0, 2.40])
    assert money.loc["F"].tolist() == pytest.approx([0.0, 4.00])

    moves = pd.read_csv(folder / "变化_transitions.csv", encoding="utf-8-sig")
    assert sorted(moves[["status_before", "status_after", "parcels", "area_ha"]].itertuples(
        index=False, name=None
    )) == sorted(
        [
            ("late_start", "late_start", 1, 1.0),  # A
            ("unverified", "on_track", 1, 1.0),  # D
            ("on_track", "unverified", 2, 2.0),  # E, F
            ("on_track", "on_track", 2, 2.0),  # B, C
        ]
    )  # fmt: skip

    amounts = pd.read_csv(folder / "变化_amounts.csv", encoding="utf-8-sig").set_index("amount")
    # confirmed: A 24.30 → A 27.40 + D 0.25 = 27.65; 待核查: D 0.65 → E 2.40 + F 4.00 = 6.40
    for rule in ("late_start_wan", "total_penalty_wan"):
        assert amounts.loc[rule].tolist() == pytest.approx([24.30, 27.65, 3.35, 0.65, 6.40, 5.75])
    others = amounts.drop(index=["late_start_wan", "total_penalty_wan"])
    assert (others == 0).all().all()


def test_ranking_and_warnings_through_the_cli_and_the_service(cycle: Cycle) -> None:
    done = run_cli("ranking", "--store", "runs.sqlite", cwd=cycle.folder)
    assert done.returncode == 0, done.stderr
    assert "甲园 · 红色预警（约谈主要负责人） (red) · runs 1, 2, 3" in done.stdout

    def ranking(run: str) -> dict:
        got = cycle.server.get("/ranking", params={"run": run})
        assert got.status_code == 200, got.text
        return got.json()

    doc = ranking("3")
    assert doc["target_share"] == 0.10
    assert [(r["rank"], r["group"], r["scored_area_ha"], r["last"], r["missed_target"])
            for r in doc["ranking"]] == [
        (1, "乙园", 0.0, False, False),  # 0 of 3 ha
        (2, "甲园", 1.0, True, True),  # A: 1 of 3 ha = 33.3 % > 10 %
    ]  # fmt: skip
    assert doc["ranking"][1]["score"] == pytest.approx(1 / 3, abs=1e-4)
    assert [(w["group"], w["level"], w["runs"]) for w in doc["warnings"]] == [
        ("甲园", "red", [1, 2, 3])
    ]
    assert [(w["group"], w["level"], w["runs"]) for w in ranking("2")["warnings"]] == [
        ("甲园", "yellow", [1, 2])
    ]
    assert ranking("1")["warnings"] == []


def test_a_province_s_report_lists_the_first_parks_and_regions(tmp_path: Path) -> None:
    """A store of ledgers from 35 counties (no geometry): the progress table lists 30 groups,
    the ranking its first 10 and last 20, and one line says that no map could be drawn."""
    from docx import Document

    from landuse.regions import region_table

    table = region_table()
    counties = table[(table["county"] != "") & (table["last_seen"] == "")]
    codes = (counties["code"] if "code" in counties.columns else counties.index)[:35]
    rows = [
        f"{code}2020B{i:05d},工业用地,2,100,2020-01-01,2022-01-01"
        for i, code in enumerate(codes, start=1)
    ]
    ledger = tmp_path / "台账.csv"
    ledger.write_text(
        "电子监管号,土地用途,面积(公顷),成交价格(万元),约定开工时间,约定竣工时间\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )
    store = tmp_path / "runs.sqlite"
    done = run_cli(
        "analyse", str(ledger), "--as-of", "2021-06-30", "--store", str(store), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    out = tmp_path / "通报.docx"
    done = run_cli("report", "--store", str(store), "--out", str(out), "--no-pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    doc = Document(str(out))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "共 35 个园区/地区，下表列出滞后、无进展与待核查宗数最多的 30 个，其余 5 个略。" in text
    assert "共 35 个参与排名，下表列出前 10 名与后 20 名" in text
    assert "第 11–15 名略" in text
    assert "本期数据无宗地图形（35 个园区/地区），未出图。" in text
    progress, ranking = (
        next(t for t in doc.tables if t.rows[0].cells[0].text == first)
        for first in ("园区", "名次")
    )
    assert len(progress.rows) == 1 + 30 and len(ranking.rows) == 1 + 30
    # every county scores 0 % (its one parcel is 待核查, not idle or overdue): tied first
    assert {r.cells[0].text for r in ranking.rows[1:]} == {"1"}
    shown = [r.cells[1].text for r in ranking.rows[1:]]
    assert len(set(shown)) == 30  # ten from the head and twenty from the tail, none twice
