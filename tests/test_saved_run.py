"""The results of a run are the same values as a run saved before the speed work.

``tests/data/saved_run/`` holds the CSV outputs (parcels, rejects, load report) of two runs made
with landuse 0.1.0 at commit 02500d2, before the analysis was made faster:

- the sample park: ``analyse sample_data/parcels.gpkg --ledger sample_data/ledger.xlsx --parks
  sample_data/parks.gpkg --rules sample_data/rules.toml --as-of 2025-12-31 --out x.csv``;
- the real land-market month 2016-06 (``../shared/data/real``, skipped where absent):
  ``analyse .../2016/06/*.csv --as-of 2017-06-30 --out x.csv`` (its rejects kept as reason and
  source only).

Every column saved must still be written with the same values (numbers to 1e-9, text exactly);
columns added since are allowed. Every load-report line must still be there with its count. The
count of a line said once for many rows (empty rows of a file, null markers of a column, a data
issue, a 行业分类 name) was 1 when the runs were saved and is now the rows it stands for: the
saved line gives them in its own text (``: 26 行``, ``: 20 个单元格``, the empty rows' value).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from landuse.cli import app

REPO = Path(__file__).resolve().parents[1]
SAVED = Path(__file__).parent / "data" / "saved_run"
SAMPLE = REPO / "sample_data"
REAL_MONTH = REPO.parent / "shared" / "data" / "real" / "landchina_forfudan" / "landchina"
REAL_MONTH = REAL_MONTH / "2016" / "06"
REPORT_KEY = ["file", "column", "code", "count", "rows"]
ROWS_IN_TEXT = re.compile(r": (\d+) (?:行|个单元格)")


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


def _same_values(saved: pd.DataFrame, now: pd.DataFrame, what: str) -> None:
    missing = [c for c in saved.columns if c not in now.columns]
    assert not missing, f"{what}: columns no longer written: {missing}"
    assert len(now) == len(saved), f"{what}: {len(now)} rows, saved {len(saved)}"
    for column in saved.columns:
        old, new = saved[column], now[column]
        old_num = pd.to_numeric(old.where(old != ""), errors="coerce")
        new_num = pd.to_numeric(new.where(new != ""), errors="coerce")
        numeric = old_num.notna() & new_num.notna()
        assert np.allclose(old_num[numeric], new_num[numeric], rtol=1e-12, atol=1e-9), (
            f"{what}: numbers of {column} differ"
        )
        texts = ~numeric
        differ = old[texts] != new[texts]
        assert not differ.any(), (
            f"{what}: {column} differs in {int(differ.sum())} rows, e.g. "
            f"{old[texts][differ].iloc[0]!r} -> {new[texts][differ].iloc[0]!r}"
        )


def _rows_of(line: pd.Series) -> str:
    """The rows a saved load-report line stands for (see the module's docstring)."""
    said = ROWS_IN_TEXT.search(line["problem"])
    if said is not None:
        return said[1]
    if line["code"] == "empty_rows_skipped":
        return line["value"]
    return line["count"]


def _run(args: list[str], out: Path) -> None:
    result = CliRunner().invoke(app, ["analyse", *args, "--out", str(out)])
    assert result.exit_code == 0, result.output


def _compare(stem: str, out: Path, rejects_columns: list[str] | None = None) -> None:
    _same_values(_read(SAVED / f"{stem}.csv.gz"), _read(out), f"{stem} parcels")
    rejects = _read(out.with_name(f"{out.stem}_rejects.csv"))
    saved_rejects = _read(SAVED / f"{stem}_rejects.csv.gz")
    _same_values(saved_rejects, rejects[rejects_columns or rejects.columns], f"{stem} rejects")
    report = _read(out.with_name(f"{out.stem}_load_report.csv"))
    saved_report = _read(SAVED / f"{stem}_load_report.csv.gz")
    saved_report["count"] = [_rows_of(line) for _, line in saved_report.iterrows()]
    lines = set(map(tuple, report[REPORT_KEY].to_numpy()))
    lost = [tuple(r) for r in saved_report[REPORT_KEY].to_numpy() if tuple(r) not in lines]
    assert not lost, f"{stem}: load-report lines no longer written: {lost[:5]}"


def test_the_sample_park_gives_the_saved_results(tmp_path):
    out = tmp_path / "sample_park.csv"
    _run(
        [
            str(SAMPLE / "parcels.gpkg"),
            "--ledger",
            str(SAMPLE / "ledger.xlsx"),
            "--parks",
            str(SAMPLE / "parks.gpkg"),
            "--rules",
            str(SAMPLE / "rules.toml"),
            "--as-of",
            "2025-12-31",
        ],
        out,
    )
    _compare("sample_park", out)


@pytest.mark.skipif(not REAL_MONTH.is_dir(), reason="real data not present")
def test_a_real_month_gives_the_saved_results(tmp_path):
    out = tmp_path / "landchina_2016_06.csv"
    files = [str(p) for p in sorted(REAL_MONTH.glob("*.csv"))]
    _run([*files, "--as-of", "2017-06-30"], out)
    _compare("landchina_2016_06", out, ["reason", "source_file", "source_row"])
