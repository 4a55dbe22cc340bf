"""Outputs never destroy data: atomic output sets, runs killed while writing, CSV cells that
Excel would run as formulas.

The kill tests run ``landuse analyse`` (and ``landuse map``) with ``--overwrite`` over a previous
good output made as of 2024-12-31, as of 2025-12-31, and stop them with SIGKILL at several
moments: when the first temporary file appears, when the last one appears (just before the
files are renamed into place), and after fixed delays; once with SIGTERM. Afterwards every file
is either byte-identical to the previous one or a complete new file as of 2025-12-31; none is
missing, none is partial. The five formats run side by side, so the whole file takes about
half a minute.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook
from test_cli import _env, _landuse
from typer.testing import CliRunner

from landuse import atomic, cli
from landuse.atomic import OutputSet, check_outputs, remove_stale_temps
from landuse.errors import InputError
from landuse.outputs import csv_safe
from landuse.report import TABLE_COLUMNS
from landuse.workbook import formula_like, write_table_workbook

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
OLD_AS_OF, NEW_AS_OF = "2024-12-31", "2025-12-31"
ANALYSED, REJECTED = 294, 12  # sample_data/README.md
ERROR_PREFIX = "错误 (error):"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _hidden_temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if atomic.TEMP_NAME.match(p.name))


# ------------------------------------------------------------------------------ OutputSet


def test_a_set_is_renamed_into_place_together(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("old a")
    with OutputSet() as files:
        ta, tb = files.temp(a), files.temp(b)
        assert ta.parent == tmp_path and tb.parent == tmp_path
        assert ta.name.startswith(".a.csv.") and ta.suffix == ".csv"  # hidden, keeps the suffix
        ta.write_text("new a")
        assert a.read_text() == "old a"  # nothing replaced while writing
        tb.write_text("new b")
        assert not b.exists()
    assert (a.read_text(), b.read_text()) == ("new a", "new b")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "b.csv"]


def test_an_error_replaces_nothing_and_removes_the_temporary_files(tmp_path: Path) -> None:
    a, b = tmp_path / "a.gpkg", tmp_path / "b.csv"
    a.write_text("old a")
    with pytest.raises(ZeroDivisionError), OutputSet() as files:
        files.temp(a).write_text("new a, complete")
        files.temp(b).write_text("new b, half")
        Path(str(files.temp(a)) + "-journal").write_text("sqlite side file")
        _ = 1 / 0
    assert a.read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.gpkg"]


def test_a_file_never_written_is_a_bug_and_nothing_is_replaced(tmp_path: Path) -> None:
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    a.write_text("old a")
    with pytest.raises(RuntimeError, match="never written"), OutputSet() as files:
        files.temp(a).write_text("new a")
        files.temp(b)
    assert a.read_text() == "old a"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_the_first_file_asked_for_is_renamed_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new main file means every file of its set is new."""
    renamed = []
    real = os.replace

    def record(src: Path, dst: Path) -> None:
        renamed.append(Path(dst).name)
        real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", record)
    with OutputSet() as files:
        for name in ("r.parquet", "r_rejects.parquet", "r_load_report.csv"):
            files.temp(tmp_path / name).write_text(name)
    assert renamed == ["r_load_report.csv", "r_rejects.parquet", "r.parquet"]


def test_without_overwrite_a_file_that_appeared_meanwhile_is_kept(tmp_path: Path) -> None:
    a = tmp_path / "a.csv"
    with pytest.raises(InputError, match="--overwrite"), OutputSet(overwrite=False) as files:
        files.temp(a).write_text("ours")
        a.write_text("someone else's")
    assert a.read_text() == "someone else's"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]


def test_the_signal_handler_alone_removes_the_temporary_files(tmp_path: Path) -> None:
    """A stop signal may land on the first line of ``__exit__``, before its ``finally`` is
    armed: the handler itself removes the files and gives the previous handlers back."""
    before = signal.getsignal(signal.SIGTERM)
    files = OutputSet().__enter__()
    files.temp(tmp_path / "a.csv").write_text("new")
    assert signal.getsignal(signal.SIGTERM) != before
    with pytest.raises(SystemExit) as stopped:
        files._on_signal(signal.SIGTERM, None)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []
    assert signal.getsignal(signal.SIGTERM) == before


def test_temporary_files_of_dead_processes_are_removed(tmp_path: Path) -> None:
    final = tmp_path / "r.gpkg"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".r.gpkg.{dead_pid}-0123abcd.tmp.gpkg"
    stale_journal = tmp_path / f".r.gpkg.{dead_pid}-0123abcd.tmp.gpkg-journal"
    live = tmp_path / f".r.gpkg.{os.getppid()}-89abcdef.tmp.gpkg"  # the parent is running
    other = tmp_path / f".r_rejects.gpkg.{dead_pid}-0123abcd.tmp.gpkg"  # another output's
    for p in (stale, stale_journal, live, other):
        p.write_text("x")
    assert remove_stale_temps(final) == sorted([stale, stale_journal])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, other.name])


# ------------------------------------------------------------------------------ checks


def test_an_output_that_is_an_input_is_refused_also_through_links(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.csv"
    ledger.write_text("宗地编号\nP1\n")
    (tmp_path / "sym.csv").symlink_to(ledger)
    os.link(ledger, tmp_path / "hard.csv")
    (tmp_path / "sub").mkdir()
    for out in ("ledger.csv", "sym.csv", "hard.csv", "sub/../ledger.csv"):
        with pytest.raises(InputError, match="is the input --ledger") as exc:
            check_outputs([tmp_path / out], inputs=[("--ledger", ledger)], overwrite=True)
        assert out in str(exc.value)
    # a side file that would land on an input
    with pytest.raises(InputError, match="written beside --out"):
        check_outputs(
            [tmp_path / "r.csv", tmp_path / "ledger.csv"],
            inputs=[("INPUT", ledger)],
            overwrite=True,
        )
    assert ledger.read_text() == "宗地编号\nP1\n"


def test_an_existing_output_needs_overwrite(tmp_path: Path) -> None:
    out, side = tmp_path / "r.csv", tmp_path / "r_load_report.csv"
    side.write_text("old")
    with pytest.raises(InputError) as exc:
        check_outputs([out, side], overwrite=False)
    assert "r_load_report.csv" in str(exc.value) and "--overwrite" in str(exc.value)
    assert check_outputs([out, side], overwrite=True) == [out, side]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r_load_report.csv"]  # probe removed


# ------------------------------------------------------------------------------ CSV for Excel

PAYLOADS = [
    '=HYPERLINK("http://example.com/x","点击")',
    "+cmd|' /C calc'!A0",
    "@SUM(1)",
    "-2+3",
    "\tTAB",
    "\rCR",
]


def test_csv_safe_prefixes_formula_like_text_only() -> None:
    frame = pd.DataFrame(
        {
            "text": ["=1+1", "plain", None, "-x", "中文=1"],
            "number": [-3.5, 2.0, np.nan, -1.0, 0.0],
            "integer": [-2, 1, 0, -7, 3],
            "mixed": ["@x", 5, None, -3.5, "ok"],
            "when": pd.to_datetime(["2025-01-01"] * 5),
        }
    )
    safe = csv_safe(frame)
    assert safe["text"].tolist()[:2] == ["'=1+1", "plain"]
    assert pd.isna(safe["text"].iloc[2])
    assert safe["text"].tolist()[3:] == ["'-x", "中文=1"]
    assert safe["number"].tolist()[:2] == [-3.5, 2.0] and safe["number"].dtype == float
    assert safe["integer"].tolist() == [-2, 1, 0, -7, 3]
    assert safe["mixed"].tolist()[:2] == ["'@x", 5] and safe["mixed"].iloc[3] == -3.5
    assert frame["text"].iloc[0] == "=1+1"  # the input is not changed


def test_workbook_and_csv_use_one_rule() -> None:
    """The cells the workbook writes with Excel's quote prefix are those the CSV escapes."""
    texts = pd.Series([*PAYLOADS, "plain", "a=b", " =x", "", "'quoted"], dtype="string")
    escaped = csv_safe(pd.DataFrame({"t": texts}))["t"]
    changed = (escaped != texts).fillna(False).to_numpy(dtype=bool)
    assert changed.tolist() == formula_like(texts).tolist()
    assert changed.tolist() == [True] * len(PAYLOADS) + [False] * 5


def _csv_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _payload_ledger(folder: Path) -> Path:
    """Three ledger rows: two analysed (payloads as project and holder), one rejected as not
    industrial (payload as its project name); an area written as a formula for the report."""
    rows = [
        [
            "宗地编号",
            "项目名称",
            "土地使用权人",
            "土地用途",
            "面积(公顷)",
            "成交价格(万元)",
            "约定开工时间",
        ],
        ["P1", PAYLOADS[0], PAYLOADS[1], "工业用地", "1.5", "600", "2025-06-30"],
        ["P2", PAYLOADS[2], PAYLOADS[3], "工业用地", "=1+1", "100", "2025-01-01"],
        ["P3", "@cmd", "x", "住宅用地", "1", "1", "2025-01-01"],
    ]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path = folder / "ledger.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


@pytest.fixture
def runner(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setattr(cli.console, "width", 400)
    monkeypatch.setattr(cli.err_console, "width", 400)
    return CliRunner()


def test_analyse_csv_outputs_are_safe_to_open_in_excel(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _payload_ledger(tmp_path)
    result = runner.invoke(
        cli.app, ["analyse", "ledger.csv", "--as-of", NEW_AS_OF, "--out", "r.csv"]
    )
    assert result.exit_code == 0, result.output
    parcels = {r["parcel_id"]: r for r in _csv_rows(tmp_path / "r.csv")}
    assert parcels["P1"]["project_name"] == "'" + PAYLOADS[0]
    assert parcels["P1"]["holder"] == "'" + PAYLOADS[1]
    assert parcels["P2"]["project_name"] == "'" + PAYLOADS[2]
    assert parcels["P2"]["holder"] == "'" + PAYLOADS[3]
    assert parcels["P1"]["area_ha"] == "1.5"  # numbers stay numbers
    # 600 万元 x 1‰ x 184 days (2025-06-30 .. 2025-12-31)
    assert parcels["P1"]["late_start_wan"] == "110.4"
    rejects = _csv_rows(tmp_path / "r_rejects.csv")
    assert [r["project_name"] for r in rejects] == ["'@cmd"]
    report = _csv_rows(tmp_path / "r_load_report.csv")
    assert [r["value"] for r in report if r["column"] == "面积(公顷)"] == ["'=1+1"]


def test_screening_verdicts_are_safe_in_csv_and_xlsx(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "projects.csv").write_text(
        "项目名称,固定资产总投资(万元),用地面积(公顷)\n"
        f'"{PAYLOADS[0].replace(chr(34), chr(34) * 2)}",12000,2\n@SUM(1),3200,1\n',
        encoding="utf-8",
    )
    for out in ("v.csv", "v.xlsx"):
        result = runner.invoke(cli.app, ["screen", "--batch", "projects.csv", "--out", out])
        assert result.exit_code == 0, result.output
    names = [r["项目名称"] for r in _csv_rows(tmp_path / "v.csv")]
    assert names == ["'" + PAYLOADS[0], "'@SUM(1)"]
    wb = load_workbook(tmp_path / "v.xlsx")
    ws = wb["评审结果"]
    header = [c.value for c in ws[1]]
    col = header.index("项目名称") + 1
    cells = [ws.cell(row=r, column=col) for r in (2, 3)]
    assert [c.value for c in cells] == [PAYLOADS[0], "@SUM(1)"]
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)
    conclusion = ws.cell(row=2, column=header.index("评审结论") + 1).value
    assert conclusion == "通过（部分指标未评审）"  # 12000 / 2 = 6000 >= 5000


def test_table_workbook_keeps_column_names(tmp_path: Path) -> None:
    write_table_workbook(
        tmp_path / "t.xlsx", pd.DataFrame({"area_ha": [1.5], "x": ["=1"]}), sheet="s"
    )
    ws = load_workbook(tmp_path / "t.xlsx")["s"]
    assert [c.value for c in ws[1]] == ["area_ha", "x"]
    assert ws["A2"].value == 1.5 and ws["B2"].value == "=1" and ws["B2"].data_type == "s"


# ------------------------------------------------------------------------------ failures in-process


def _old_csv_outputs(runner: CliRunner, folder: Path) -> dict[str, str]:
    _payload_ledger(folder)
    result = runner.invoke(
        cli.app, ["analyse", "ledger.csv", "--as-of", OLD_AS_OF, "--out", "r.csv"]
    )
    assert result.exit_code == 0, result.output
    return {p.name: _sha(p) for p in folder.iterdir() if p.name.startswith("r")}


def test_a_full_disk_while_writing_leaves_the_previous_files(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = _old_csv_outputs(runner, tmp_path)
    from landuse import outputs

    real = outputs.write_table_csv

    def full_disk(path: Path, frame: pd.DataFrame) -> None:
        if "rejects" in path.name:  # the main file is complete, its rejects run out of space
            path.write_text("reason,source_fi", encoding="utf-8")
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, frame)

    monkeypatch.setattr(outputs, "write_table_csv", full_disk)
    args = ["analyse", "ledger.csv", "--as-of", NEW_AS_OF, "--out", "r.csv", "--overwrite"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert message.startswith(ERROR_PREFIX)
    assert "r_rejects.csv: No space left on device" in message
    assert "disk is full" in message
    assert ".tmp" not in message  # the user is told the file's own name
    assert "Traceback" not in result.output
    assert {p.name: _sha(p) for p in tmp_path.iterdir() if p.name.startswith("r")} == before
    assert _hidden_temps(tmp_path) == []


def test_a_full_disk_under_gdal_is_reported_as_a_full_disk(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _payload_ledger(tmp_path)
    from landuse import outputs

    def full(*args: object, **kwargs: object) -> None:
        raise pyogrio.errors.DataLayerError("sqlite3_step() failed: database or disk is full (13)")

    monkeypatch.setattr(outputs.pyogrio, "write_arrow", full)
    result = runner.invoke(
        cli.app, ["analyse", "ledger.csv", "--as-of", NEW_AS_OF, "--out", "r.gpkg"]
    )
    assert result.exit_code == 2, result.output
    message = " ".join(result.stderr.split())
    assert message.startswith(f"{ERROR_PREFIX} r.gpkg: No space left on device"), message
    assert "disk is full" in message and "Traceback" not in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.csv"]


@pytest.mark.parametrize("free_bytes", [0, 2**40])
def test_a_full_disk_that_gdal_reports_as_a_failed_rollback(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, free_bytes: int
) -> None:
    """Seen on a full tmpfs: GDAL's last error is SQLite's failed rollback, the file shrinks
    back, and only the free space (less than the layer needs) tells a full disk; with room to
    spare the same error stays a bug."""
    monkeypatch.chdir(tmp_path)
    _payload_ledger(tmp_path)
    from landuse import outputs

    def rollback(*args: object, **kwargs: object) -> None:
        raise pyogrio.errors.DataLayerError(
            "Error while writing batch to OGR layer: sqlite3_exec(ROLLBACK) failed: cannot "
            "rollback - no transaction is active"
        )

    monkeypatch.setattr(outputs.pyogrio, "write_arrow", rollback)
    monkeypatch.setattr(outputs, "_free_bytes", lambda folder: free_bytes)
    result = runner.invoke(
        cli.app, ["analyse", "ledger.csv", "--as-of", NEW_AS_OF, "--out", "r.gpkg"]
    )
    message = " ".join(result.stderr.split())
    if free_bytes == 0:
        assert result.exit_code == 2, result.output
        assert message.startswith(f"{ERROR_PREFIX} r.gpkg: No space left on device"), message
    else:
        assert result.exit_code == 1, result.output
        assert "ROLLBACK" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.csv"]


def test_other_gdal_errors_stay_bugs(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    _payload_ledger(tmp_path)
    from landuse import outputs

    def broken(*args: object, **kwargs: object) -> None:
        raise pyogrio.errors.FieldError("Field type 13 not supported")

    monkeypatch.setattr(outputs.pyogrio, "write_arrow", broken)
    result = runner.invoke(
        cli.app, ["analyse", "ledger.csv", "--as-of", NEW_AS_OF, "--out", "r.gpkg"]
    )
    assert result.exit_code == 1
    assert "FieldError: Field type 13 not supported" in result.stderr
    assert "这是 landuse 的缺陷" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.csv"]


def test_ctrl_c_while_writing_leaves_the_previous_files(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    before = _old_csv_outputs(runner, tmp_path)
    from landuse import outputs

    def interrupted(path: Path, frame: pd.DataFrame) -> None:
        path.write_text("parcel_id,supervision_no\nP1,", encoding="utf-8")
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs, "write_table_csv", interrupted)
    args = ["analyse", "ledger.csv", "--as-of", NEW_AS_OF, "--out", "r.csv", "--overwrite"]
    result = runner.invoke(cli.app, args)
    assert result.exit_code == 130
    assert {p.name: _sha(p) for p in tmp_path.iterdir() if p.name.startswith("r")} == before
    assert _hidden_temps(tmp_path) == []


# ------------------------------------------------------------------------------ killed runs


def _analyse(out: str, as_of: str) -> list[str]:
    return [
        "analyse",
        str(SAMPLE / "parcels.gpkg"),
        "--ledger",
        str(SAMPLE / "ledger.xlsx"),
        "--parks",
        str(SAMPLE / "parks.gpkg"),
        "--rules",
        str(SAMPLE / "rules.toml"),
        "--as-of",
        as_of,
        "--out",
        out,
    ]


def _as_of_gpkg(path: Path) -> str:
    assert {"parcels", "rejects", "summary", "parks"} <= {n for n, _ in pyogrio.list_layers(path)}
    assert pyogrio.read_info(path, layer="rejects")["features"] == REJECTED
    parcels = pyogrio.read_dataframe(path, layer="parcels", columns=["as_of_date"])
    assert len(parcels) == ANALYSED
    (as_of,) = set(pd.to_datetime(parcels["as_of_date"]).dt.strftime("%Y-%m-%d"))
    return as_of


def _as_of_parquet(path: Path) -> str:
    parcels = gpd.read_parquet(path, columns=["as_of_date", "geometry"])
    assert len(parcels) == ANALYSED
    (as_of,) = set(pd.to_datetime(parcels["as_of_date"]).dt.strftime("%Y-%m-%d"))
    return as_of


def _rejects_parquet(path: Path) -> None:
    assert len(pd.read_parquet(path)) == REJECTED


def _as_of_csv(path: Path) -> str:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert len(rows) == ANALYSED
    assert {len(r) for r in rows} == {len(header)}
    (as_of,) = {r[header.index("as_of_date")] for r in rows}
    assert path.read_bytes().endswith(b"\n")
    return as_of


def _rejects_csv(path: Path) -> None:
    rows = _csv_rows(path)
    assert len(rows) == REJECTED and all(r["reason"] for r in rows)


def _load_report(path: Path) -> None:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        header, *rows = list(csv.reader(fh))
    assert header == list(TABLE_COLUMNS)
    assert rows and {len(r) for r in rows} == {len(header)}


def _as_of_xlsx(path: Path) -> str:
    wb = load_workbook(path, read_only=True)
    try:
        title, _header, *rows = list(wb["全部宗地"].iter_rows(values_only=True))
    finally:
        wb.close()
    assert len(rows) == ANALYSED
    return re.search(r"评价基准日 (\d{4}-\d{2}-\d{2})", str(title[0])).group(1)


def _as_of_html(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    assert text.rstrip().endswith("</html>")
    assert text.count("</script>") >= 3
    (as_of,) = set(re.findall(r"评价基准日 (\d{4}-\d{2}-\d{2})", text))
    return as_of


@dataclass
class Format:
    """One output format: the command that rewrites it and how to read each of its files
    (a reader returns the file's as-of date, or None when the file carries none)."""

    name: str
    files: dict[str, Callable[[Path], str | None]]
    args: Callable[[str], list[str]]  # the command for an as-of date
    setup: list[list[str]] = field(default_factory=list)  # run once before the previous output


FORMATS = [
    Format(
        "gpkg",
        {"r.gpkg": _as_of_gpkg, "r_load_report.csv": _load_report},
        lambda d: _analyse("r.gpkg", d),
    ),
    Format(
        "parquet",
        {
            "r.parquet": _as_of_parquet,
            "r_rejects.parquet": _rejects_parquet,
            "r_load_report.csv": _load_report,
        },
        lambda d: _analyse("r.parquet", d),
    ),
    Format(
        "csv",
        {"r.csv": _as_of_csv, "r_rejects.csv": _rejects_csv, "r_load_report.csv": _load_report},
        lambda d: _analyse("r.csv", d),
    ),
    Format(
        "xlsx",
        {"r.xlsx": _as_of_xlsx, "r_load_report.csv": _load_report},
        lambda d: _analyse("r.xlsx", d),
    ),
    Format(
        "html",
        {"map.html": _as_of_html},
        lambda d: ["map", f"{d}.gpkg", "-o", "map.html"],
        setup=[_analyse(f"{d}.gpkg", d) for d in (OLD_AS_OF, NEW_AS_OF)],
    ),
]
# When to stop a run: on its first temporary file, on the temporary file of the last file it
# writes (the set is complete, the renames are next), and after fixed delays taken from when
# those two appeared: half-way to the first (reading or analysing), half-way between them
# (writing) and 20 ms after the last (renaming, or done), as the machine's load allows.
MOMENTS = ["first temp", "last temp", "delay: reading", "delay: writing", "delay: renaming"]


@dataclass
class Outcome:
    moment: str
    returncode: int
    saw_temp: bool  # a temporary file of this run was seen before the signal
    files: dict[str, str]  # name -> "previous" | "new"
    temps_left: list[str]  # every temporary file in the folder afterwards
    own_temps_left: list[str]  # those of this run


def _spawn(args: list[str], cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [*_landuse(), *args],
        cwd=cwd,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _own_temps(folder: Path, pid: int, names: list[str] | None = None) -> list[str]:
    """The temporary files (not the probes of the output checks) of process ``pid``."""
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            m = atomic.TEMP_NAME.match(entry.name)
            if (
                m
                and int(m["pid"]) == pid
                and ".tmp" in entry.name
                and (names is None or m["name"] in names)
            ):
                found.append(entry.name)
    return sorted(found)


def _wait_for_temp(
    proc: subprocess.Popen, folder: Path, names: list[str], timeout_s: float
) -> bool:
    """Poll (every millisecond) until the run writes a temporary file of one of ``names``."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and proc.poll() is None:
        if _own_temps(folder, proc.pid, names):
            return True
        time.sleep(0.001)
    return False


def _state(fmt: Format, folder: Path, previous: dict[str, str]) -> dict[str, str]:
    """Each file is the previous one (same bytes) or a complete new one as of NEW_AS_OF."""
    state = {}
    for name, read in fmt.files.items():
        path = folder / name
        assert path.is_file(), f"{fmt.name}: {name} is gone"
        if _sha(path) == previous[name]:
            state[name] = "previous"
            continue
        try:
            as_of = read(path)
        except Exception as exc:  # any failure to read means a partial file
            raise AssertionError(
                f"{fmt.name}: {name} is neither the previous file nor complete: {exc!r}"
            ) from exc
        assert as_of in (None, NEW_AS_OF), f"{fmt.name}: {name} as of {as_of}"
        state[name] = "new"
    return state


def _run(args: list[str], folder: Path) -> float:
    start = time.monotonic()
    subprocess.run([*_landuse(), *args], cwd=folder, env=_env(), capture_output=True, check=True)
    return time.monotonic() - start


def _kill_run(
    fmt: Format,
    folder: Path,
    moment: str,
    good: dict[str, bytes],
    previous: dict[str, str],
    seen_s: dict[str, float],
) -> Outcome:
    """One run over the previous good output, stopped at ``moment``."""
    for name, data in good.items():  # every run starts from the previous good output
        (folder / name).write_bytes(data)
    start = time.monotonic()
    proc = _spawn([*fmt.args(NEW_AS_OF), "--overwrite"], folder)
    saw_temp = False
    if moment in ("first temp", "last temp", "SIGTERM"):
        names = list(fmt.files)[-1:] if moment == "last temp" else list(fmt.files)
        saw_temp = _wait_for_temp(proc, folder, names, 60)
        seen_s[moment] = time.monotonic() - start
    elif moment.startswith("delay"):
        first, last = seen_s["first temp"], seen_s["last temp"]
        delay_s = {
            "delay: reading": first / 2,
            "delay: writing": (first + last) / 2,
            "delay: renaming": last + 0.02,
        }[moment]
        time.sleep(max(0.0, delay_s - (time.monotonic() - start)))
        saw_temp = bool(_own_temps(folder, proc.pid))
    if moment != "finish" and proc.poll() is None:
        proc.send_signal(signal.SIGTERM if moment == "SIGTERM" else signal.SIGKILL)
    _, stderr = proc.communicate(timeout=120)
    assert b"Traceback" not in stderr, stderr.decode()
    state = _state(fmt, folder, previous)
    left = _hidden_temps(folder)
    return Outcome(moment, proc.returncode, saw_temp, state, left, _own_temps(folder, proc.pid))


def _kill_runs(fmt: Format, folder: Path) -> list[Outcome]:
    for args in fmt.setup:
        _run(args, folder)
    _run(fmt.args(OLD_AS_OF), folder)
    for name, read in fmt.files.items():
        assert read(folder / name) in (None, OLD_AS_OF)
    good = {name: (folder / name).read_bytes() for name in fmt.files}
    previous = {name: hashlib.sha256(data).hexdigest() for name, data in good.items()}
    outcomes = []
    seen_s: dict[str, float] = {}  # when the first and the last temporary file appeared
    for moment in [*MOMENTS, "SIGTERM", "finish"]:
        # A run may end before the poller (every millisecond, on a loaded machine) sees the
        # temporary file it waits for: such an attempt shows nothing and is made again.
        for _attempt in range(4):
            outcome = _kill_run(fmt, folder, moment, good, previous, seen_s)
            missed = moment in ("first temp", "last temp", "SIGTERM") and not outcome.saw_temp
            if not (missed and outcome.returncode == 0):
                break
        outcomes.append(outcome)
    return outcomes


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Outcome]]:
    with ThreadPoolExecutor(max_workers=3) as pool:
        futures = {
            f.name: pool.submit(_kill_runs, f, tmp_path_factory.mktemp(f"kill_{f.name}"))
            for f in FORMATS
        }
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("fmt", [f.name for f in FORMATS])
def test_a_killed_run_leaves_the_previous_files_or_complete_new_ones(
    killed: dict[str, list[Outcome]], fmt: str
) -> None:
    """Checked for every run in ``_state``: no file is missing, partial or of another date."""
    outcomes = {o.moment: o for o in killed[fmt]}
    assert list(outcomes) == [*MOMENTS, "SIGTERM", "finish"]
    for o in outcomes.values():
        assert o.returncode in (0, -signal.SIGKILL, 128 + signal.SIGTERM), o
        if o.returncode == 0:  # finished before the signal: the main file is new
            assert o.files[next(iter(o.files))] == "new", o


@pytest.mark.parametrize("fmt", [f.name for f in FORMATS])
def test_a_kill_on_a_temporary_file_lands_while_writing(
    killed: dict[str, list[Outcome]], fmt: str
) -> None:
    """Killed as soon as its first (or its last) temporary file appeared, a run leaves that
    file behind and the previous main file in place."""
    for moment in ("first temp", "last temp"):
        o = next(o for o in killed[fmt] if o.moment == moment)
        assert o.saw_temp, o
        assert o.returncode == -signal.SIGKILL, o
        assert o.files[next(iter(o.files))] == "previous", o
        assert o.own_temps_left, o


@pytest.mark.parametrize("fmt", [f.name for f in FORMATS])
def test_sigterm_removes_the_temporary_files(killed: dict[str, list[Outcome]], fmt: str) -> None:
    term = next(o for o in killed[fmt] if o.moment == "SIGTERM")
    assert term.saw_temp
    assert term.returncode in (0, 128 + signal.SIGTERM), term
    assert term.own_temps_left == []
    if term.returncode != 0:
        # stopped before the renames (the previous set) or, when the signal was held while
        # the files were renamed, right after them (the new set): never a mixture
        assert len(set(term.files.values())) == 1, term


@pytest.mark.parametrize("fmt", [f.name for f in FORMATS])
def test_a_finished_run_writes_every_file_and_clears_old_temporary_files(
    killed: dict[str, list[Outcome]], fmt: str
) -> None:
    """The runs killed with SIGKILL before it leave temporary files; the finished run removes
    them (their processes are gone)."""
    assert any(o.temps_left for o in killed[fmt][:-1])
    done = killed[fmt][-1]
    assert done.moment == "finish" and done.returncode == 0
    assert done.files[next(iter(done.files))] == "new"
    assert done.temps_left == []
