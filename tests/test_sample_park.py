"""The sample park (sample_data/), analysed in-process as ``landuse demo`` does: parcels.gpkg,
ledger.xlsx, parks.gpkg and rules.toml as of 2025-12-31.

The intended outcome comes from sample_data/scenarios.csv and sample_data/README.md. The amounts
of a few parcels are worked out by hand in the tests from the ledger row (read with openpyxl)
with the arithmetic of RULES.md section 5: P = land price (万元), default rates 1‰ per day, idle
fee 20 % of P, day counts from ``datetime.date`` subtraction.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import pytest
from openpyxl import load_workbook

from landuse.analysis import analyse
from landuse.pipeline import Results
from landuse.rules_file import load_rules

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data"
AS_OF = dt.date(2025, 12, 31)
STATUSES = (
    "recovery",
    "idle_fee",
    "gov_delay",
    "late_start",
    "unverified",
    "late_completion",
    "below_threshold",
    "on_track",
    "compliant",
)
AMOUNTS = (
    "idle_fee_wan",
    "late_start_wan",
    "late_completion_wan",
    "late_payment_wan",
    "investment_shortfall_wan",
    "plot_ratio_shortfall_wan",
)
LEDGER_HEADER_ROW = 3  # README: row 1 a merged title, row 2 a note, row 3 the headers


# ------------------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def results(sample_park: Results) -> Results:
    """The sample park as of :data:`AS_OF` (shared by the session: never changed here)."""
    assert sample_park.as_of.date() == AS_OF
    return sample_park


@pytest.fixture(scope="module")
def parcels(results: Results) -> pd.DataFrame:
    frame = pd.DataFrame(results.parcels)
    assert not frame["parcel_id"].duplicated().any()
    return frame.set_index("parcel_id", drop=False)


@pytest.fixture(scope="module")
def ledger() -> list[dict[str, Any]]:
    """The ledger's data rows as read by openpyxl: header -> cell value, plus ``_row`` (the
    Excel row number)."""
    wb = load_workbook(SAMPLE / "ledger.xlsx", read_only=True, data_only=True)
    try:
        ws = wb["供地台账"]
        rows = ws.iter_rows(min_row=LEDGER_HEADER_ROW, values_only=True)
        header = [str(h) for h in next(rows)]
        out = []
        for number, values in enumerate(rows, start=LEDGER_HEADER_ROW + 1):
            if any(v not in (None, "") for v in values):
                out.append({"_row": number, **dict(zip(header, values, strict=False))})
        return out
    finally:
        wb.close()


@pytest.fixture(scope="module")
def scenarios() -> pd.DataFrame:
    return pd.read_csv(SAMPLE / "scenarios.csv", dtype=str, keep_default_na=False)


def _rows_of(ledger: list[dict[str, Any]], parcel_id: str) -> list[dict[str, Any]]:
    return [r for r in ledger if r["宗地编号"] == parcel_id]


def _one_row(ledger: list[dict[str, Any]], parcel_id: str) -> dict[str, Any]:
    rows = _rows_of(ledger, parcel_id)
    assert len(rows) == 1, parcel_id
    return rows[0]


# ------------------------------------------------------------------------------ ledger cells


def _date(value: object) -> dt.date | None:
    """A ledger date cell: an Excel date, or text like 2019年06月20日, 2019-06-20, 2019/6/20."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    m = re.fullmatch(r"\s*(\d{4})\D(\d{1,2})\D(\d{1,2})\D?\s*", str(value))
    assert m, f"not a date: {value!r}"
    return dt.date(int(m[1]), int(m[2]), int(m[3]))


def _wan(value: object) -> float | None:
    """A ledger money cell in 万元: a number, or text with the unit written in (343.7991万元)."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float):
        return float(value)
    m = re.fullmatch(r"\s*([\d.]+)\s*(万元)?\s*", str(value))
    assert m, f"not an amount: {value!r}"
    return float(m[1])


def _days(later: dt.date, earlier: dt.date) -> int:
    return (later - earlier).days


def _plus_years(day: dt.date, years: int) -> dt.date:
    """Calendar years later; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# ------------------------------------------------------------------------------ statuses


def _readme_counts() -> dict[str, int]:
    """The table "Intended status mix" of sample_data/README.md: status -> parcels."""
    text = (SAMPLE / "README.md").read_text(encoding="utf-8")
    section = text.split("## Intended status mix", 1)[1].split("\n## ", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^\| (\w+) \| (\d+) \|", section, re.M)}


def test_readme_and_scenarios_agree(scenarios: pd.DataFrame) -> None:
    counts = _readme_counts()
    assert set(STATUSES) <= set(counts)
    assert scenarios["intended_status"].value_counts().to_dict() == counts


def test_every_parcel_gets_its_intended_status(
    parcels: pd.DataFrame, scenarios: pd.DataFrame
) -> None:
    intended = scenarios.loc[scenarios["intended_status"].isin(STATUSES)]
    joined = intended.merge(
        parcels[["parcel_id", "status"]].reset_index(drop=True),
        on="parcel_id",
        how="left",
        validate="one_to_one",
    )
    wrong = joined.loc[joined["status"] != joined["intended_status"]]
    assert wrong.empty, wrong[["parcel_id", "scenario", "intended_status", "status"]].to_string()
    assert len(joined) == len(parcels)


def test_status_counts_equal_the_readme(parcels: pd.DataFrame) -> None:
    counts = _readme_counts()
    found = parcels["status"].value_counts()
    assert found[found > 0].to_dict() == {s: counts[s] for s in STATUSES}
    assert len(parcels) == sum(counts[s] for s in STATUSES) == 294


def test_no_parcel_without_a_start_due_date_is_on_track(parcels: pd.DataFrame) -> None:
    """Every sample parcel has a start due date (agreed start, extension or delivery), so none
    is 资料不全, and none is 按期推进 without one unless it has started."""
    unknown = parcels["start_due_date"].isna() & ~parcels["started"].astype(bool)
    assert not (unknown & (parcels["status"] == "on_track")).any()
    assert (parcels["status"] != "insufficient_data").all()
    assert set(parcels["start_due_basis"]) == {"agreed_start", "extended", "actual_delivery"}
    assert parcels["region_label"].eq("辽宁省沈阳市铁西区").all()  # 210106 of 电子监管号
    assert parcels["area_group"].eq(parcels["park"]).all()


def test_below_threshold_flag_follows_the_tags(
    parcels: pd.DataFrame, scenarios: pd.DataFrame
) -> None:
    """README: the flag is separate from the status (13 parcels of the first six statuses are
    flagged too); parcels meant to pass are at >= 6300 万元/公顷, under every threshold."""
    analysed = scenarios.loc[scenarios["intended_status"].isin(STATUSES)].set_index("parcel_id")
    tagged = analysed["tags"].str.split(";").map(lambda tags: "below_threshold" in tags)
    flag = parcels.loc[analysed.index, "below_threshold"].fillna(False).astype(bool)
    assert (flag == tagged).all(), analysed.index[flag != tagged].tolist()
    first_six = analysed["intended_status"].isin(STATUSES[:6])
    assert int((tagged & first_six).sum()) == 13


# ------------------------------------------------------------------------------ accounting


def test_the_accounting_adds_up(
    results: Results, parcels: pd.DataFrame, ledger: list[dict[str, Any]]
) -> None:
    features = pyogrio.read_info(SAMPLE / "parcels.gpkg")["features"]
    assert (len(ledger), features) == (300, 299)
    accounting = results.loaded.accounting
    # README: 300 rows read = 294 analysed + 6 rejected; 299 features = 293 matched + 6
    assert accounting["ledger"] == (len(ledger), 294, 6)
    assert accounting["layer"] == (features, 293, 6)
    for read, kept, rejected in accounting.values():
        assert read == kept + rejected
    kinds = results.rejects["input_kind"].value_counts().to_dict()
    assert kinds == {"ledger": 6, "layer": 6}
    assert len(parcels) == 294
    assert int(parcels.geometry.notna().sum()) == 293


def _rejects(results: Results, kind: str, parcel_id: str) -> pd.DataFrame:
    rej = results.rejects
    return rej.loc[(rej["input_kind"] == kind) & (rej["parcel_id"] == parcel_id)]


def _scenario_ids(scenarios: pd.DataFrame, scenario: str) -> list[str]:
    return scenarios.loc[scenarios["scenario"] == scenario, "parcel_id"].tolist()


def test_exact_duplicate_is_dropped_once(
    results: Results,
    parcels: pd.DataFrame,
    ledger: list[dict[str, Any]],
    scenarios: pd.DataFrame,
) -> None:
    (pid,) = _scenario_ids(scenarios, "exact_duplicate")
    first, second = _rows_of(ledger, pid)
    assert {k: v for k, v in first.items() if k != "_row"} == {
        k: v for k, v in second.items() if k != "_row"
    }
    rej = _rejects(results, "ledger", pid)
    assert len(rej) == 1
    assert int(rej["source_row"].iloc[0]) == second["_row"]
    reason = rej["reason"].iloc[0]
    assert "exact duplicate" in reason
    assert f"第 {first['_row']} 行" in reason
    assert parcels.loc[pid, "status"] == "compliant"  # the first row is analysed


def test_conflicting_pair_is_rejected(
    results: Results,
    parcels: pd.DataFrame,
    ledger: list[dict[str, Any]],
    scenarios: pd.DataFrame,
) -> None:
    (pid,) = _scenario_ids(scenarios, "conflicting_duplicate")
    rows = _rows_of(ledger, pid)
    assert len(rows) == 2
    rej = _rejects(results, "ledger", pid)
    assert sorted(rej["source_row"].astype(int)) == sorted(r["_row"] for r in rows)
    assert rej["reason"].str.contains("conflicting duplicates", regex=False).all()
    # the columns that differ are named (土地使用权人 and 成交价格 differ, README)
    assert rej["reason"].str.contains("holder", regex=False).all()
    assert rej["reason"].str.contains("land_price_wan", regex=False).all()
    assert pid not in parcels.index
    layer = _rejects(results, "layer", pid)
    assert len(layer) == 1
    assert "its ledger rows were rejected" in layer["reason"].iloc[0]


def test_non_industrial_rows_are_rejected(
    results: Results,
    parcels: pd.DataFrame,
    ledger: list[dict[str, Any]],
    scenarios: pd.DataFrame,
) -> None:
    ids = _scenario_ids(scenarios, "non_industrial")
    assert len(ids) == 3
    uses = set()
    for pid in ids:
        row = _one_row(ledger, pid)
        rej = _rejects(results, "ledger", pid)
        assert len(rej) == 1, pid
        assert int(rej["source_row"].iloc[0]) == row["_row"]
        reason = rej["reason"].iloc[0]
        assert "not industrial land" in reason
        assert row["土地用途"] in reason
        uses.add(row["土地用途"])
        assert pid not in parcels.index
        assert len(_rejects(results, "layer", pid)) == 1
    assert uses == {"仓储用地", "科教用地", "其他商服用地"}


def test_parcels_without_a_ledger_row_are_rejected(
    results: Results,
    parcels: pd.DataFrame,
    ledger: list[dict[str, Any]],
    scenarios: pd.DataFrame,
) -> None:
    ids = _scenario_ids(scenarios, "no_ledger")
    assert len(ids) == 2
    for pid in ids:
        assert _rows_of(ledger, pid) == []
        rej = _rejects(results, "layer", pid)
        assert len(rej) == 1, pid
        assert "no ledger row for this parcel" in rej["reason"].iloc[0]
        assert rej.geometry.notna().all()
        assert pid not in parcels.index


def test_ledger_row_without_a_parcel_is_analysed_with_its_declared_area(
    parcels: pd.DataFrame, ledger: list[dict[str, Any]], scenarios: pd.DataFrame
) -> None:
    (pid,) = _scenario_ids(scenarios, "no_geometry")
    row = _one_row(ledger, pid)
    got = parcels.loc[pid]
    assert got.geometry is None or got.geometry.is_empty
    assert got["area_source"] == "declared"
    assert got["area_ha"] == pytest.approx(_wan(row["面积(公顷)"]))
    assert got["park"] == row["园区"]
    assert got["status"] == "on_track"


def test_empty_parks_are_filled_from_the_park_boundaries(
    parcels: pd.DataFrame, ledger: list[dict[str, Any]], scenarios: pd.DataFrame
) -> None:
    park_of = scenarios.set_index("parcel_id")["park"]
    empty = {r["宗地编号"] for r in ledger if r["园区"] in (None, "")} & set(parcels.index)
    assert len(empty) > 50  # README: about a third of the rows
    for pid in sorted(empty):
        assert parcels.loc[pid, "park"] == park_of[pid], pid
    # and a filled park agrees with the boundary the polygon lies in
    with_geometry = parcels.loc[parcels.geometry.notna(), "park"]
    assert (with_geometry == park_of[with_geometry.index]).all()


# ------------------------------------------------------------------------------ amounts by hand


def _leap_day(row: dict[str, Any]) -> dict[str, Any]:
    """Recovery. Contract 2016-02-29, start extended to 2020-02-29, 未开工, paid in full."""
    price = _wan(row["成交价格(万元)"])
    due = _date(row["延期开工时间"])
    assert _date(row["合同签订日期"]) == dt.date(2016, 2, 29)
    assert due == dt.date(2020, 2, 29)
    assert row["开工状态"] == "未开工"
    assert row["开工违约金比例(‰)"] is None  # default rate 1‰
    assert _wan(row["已缴价款"]) == price
    assert _plus_years(due, 2) <= AS_OF  # two years idle: recovery
    days = _days(AS_OF, due)
    # completion due moves with the extension: agreed completion + (new start - agreed start)
    shift = _days(due, _date(row["约定开工时间"]))
    completion_due = _date(row["约定竣工时间"]) + dt.timedelta(days=shift)
    fee = 0.20 * price
    # the late-start fee accrues until the recovery date (rules.toml: late_fee_cap = "recovery"),
    # 2020-02-29 + 2 years = 2022-02-28: 365 + 365 = 730 days
    charged = _days(_plus_years(due, 2), due)
    assert charged == 730
    late = price * 1 / 1000 * charged
    return {
        "status": "recovery",
        "recovery_candidate": True,
        "idle_stage": "recovery",
        "idle_basis": "not_started",
        "start_due_date": due,
        "completion_due_date": completion_due,
        "late_start_days": days,
        "idle_fee_wan": fee,
        "late_start_wan": late,
        "late_fee_capped": True,
        "late_completion_wan": 0.0,  # never started: not charged twice
        "late_payment_wan": 0.0,
        "investment_shortfall_wan": 0.0,
        "plot_ratio_shortfall_wan": 0.0,
        "total_penalty_wan": fee + late,
        "amounts_confirmed": True,
    }


def _idle_one_year(row: dict[str, Any]) -> dict[str, Any]:
    """Idle fee. 未开工, start due (约定开工时间) between one and two years before."""
    price = _wan(row["成交价格(万元)"])
    due = _date(row["约定开工时间"])
    assert row["延期开工时间"] is None
    assert row["开工状态"] == "未开工"
    assert _plus_years(due, 1) <= AS_OF < _plus_years(due, 2)
    days = _days(AS_OF, due)
    fee = 0.20 * price
    late = price * 1 / 1000 * days
    return {
        "status": "idle_fee",
        "recovery_candidate": False,
        "idle_stage": "idle_fee",
        "idle_basis": "not_started",
        "start_due_date": due,
        "late_start_days": days,
        "idle_fee_wan": fee,
        "late_start_wan": late,
        "late_completion_wan": 0.0,
        "late_payment_wan": 0.0,
        "total_penalty_wan": fee + late,
    }


def _one_year_exact(row: dict[str, Any]) -> dict[str, Any]:
    """Start due 2024-12-31: on 2025-12-31 exactly one year idle, so the fee is due."""
    assert _date(row["约定开工时间"]) == dt.date(2024, 12, 31) == dt.date(AS_OF.year - 1, 12, 31)
    expected = _idle_one_year(row)
    assert expected["late_start_days"] == 365
    return expected


def _late_start_contract_rate(row: dict[str, Any]) -> dict[str, Any]:
    """Late start under one year, at the contract's own rate (开工违约金比例(‰))."""
    price = _wan(row["成交价格(万元)"])
    rate = float(row["开工违约金比例(‰)"])
    assert rate != 1.0
    due = _date(row["约定开工时间"])
    assert row["开工状态"] == "未开工"
    assert due < AS_OF < _plus_years(due, 1)
    days = _days(AS_OF, due)
    late = price * rate / 1000 * days
    return {
        "status": "late_start",
        "idle_stage": "late_start",
        "late_start_days": days,
        "idle_fee_wan": 0.0,
        "late_start_wan": late,
        "late_completion_wan": 0.0,
        "late_payment_wan": 0.0,
        "total_penalty_wan": late,
    }


def _late_payment(*, termination: bool) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def expected(row: dict[str, Any]) -> dict[str, Any]:
        """Part of the price unpaid after 价款缴纳期限; the start is not due yet."""
        price = _wan(row["成交价格(万元)"])
        paid = _wan(row["已缴价款"])
        due = _date(row["价款缴纳期限"])
        assert paid < price
        assert _date(row["约定开工时间"]) > AS_OF
        days = _days(AS_OF, due)
        assert (days > 60) is termination
        amount = (price - paid) * 1 / 1000 * days
        return {
            "status": "on_track",
            "late_payment_days": days,
            "termination_risk": termination,
            "idle_fee_wan": 0.0,
            "late_start_wan": 0.0,
            "late_completion_wan": 0.0,
            "late_payment_wan": amount,
            "total_penalty_wan": amount,
        }

    return expected


def _partial_suspended(row: dict[str, Any]) -> dict[str, Any]:
    """Started, developed under 1/3 and investment under 25 %, suspended 1-2 years: idle on the
    partial basis; it also started late and is past its completion due date."""
    price = _wan(row["成交价格(万元)"])
    area = _wan(row["面积(公顷)"])
    assert _wan(row["已开发面积"]) / area < 1 / 3
    assert _wan(row["已投资额"]) / _wan(row["总投资额"]) < 0.25
    suspended = _date(row["停工日期"])
    assert _plus_years(suspended, 1) <= AS_OF < _plus_years(suspended, 2)
    start_due = _date(row["约定开工时间"])
    started = _date(row["实际开工时间"])
    completion_due = _date(row["约定竣工时间"])
    assert row["实际竣工时间"] is None
    fee = 0.20 * price
    late_start = price * 1 / 1000 * _days(started, start_due)
    # more than two years past its completion due date: the late-completion fee accrues for two
    # years only (late_fee_cap = "recovery")
    assert _plus_years(completion_due, 2) < AS_OF
    late_completion = price * 1 / 1000 * _days(_plus_years(completion_due, 2), completion_due)
    return {
        "status": "idle_fee",
        "idle_stage": "idle_fee",
        "idle_basis": "partial",
        "recovery_candidate": False,
        "idle_days": _days(AS_OF, suspended),
        "late_start_days": _days(started, start_due),
        "late_completion_days": _days(AS_OF, completion_due),
        "idle_fee_wan": fee,
        "late_start_wan": late_start,
        "late_completion_wan": late_completion,
        "late_fee_capped": True,
        "late_payment_wan": 0.0,
        "total_penalty_wan": fee + late_start + late_completion,
    }


def _late_completion_contract_rate(row: dict[str, Any]) -> dict[str, Any]:
    """Started 10 days late (contract start rate), not completed, past its completion date
    (no completion rate in the ledger: default 1‰)."""
    price = _wan(row["成交价格(万元)"])
    rate = float(row["开工违约金比例(‰)"])
    late_start_days = _days(_date(row["实际开工时间"]), _date(row["约定开工时间"]))
    late_completion_days = _days(AS_OF, _date(row["约定竣工时间"]))
    late_start = price * rate / 1000 * late_start_days
    late_completion = price * 1 / 1000 * late_completion_days
    return {
        "status": "late_completion",
        "late_start_days": late_start_days,
        "late_completion_days": late_completion_days,
        "idle_fee_wan": 0.0,
        "late_start_wan": late_start,
        "late_completion_wan": late_completion,
        "total_penalty_wan": late_start + late_completion,
    }


def _investment_shortfall(row: dict[str, Any]) -> dict[str, Any]:
    """Completed late with actual < agreed investment; no actual plot ratio (its rule yields
    null, skipped in the total)."""
    price = _wan(row["成交价格(万元)"])
    agreed = _wan(row["固定资产总投资"])
    actual = _wan(row["实际完成投资"])
    assert actual < agreed
    assert row["实际容积率"] is None
    assert row["约定容积率下限"] > 0
    shortfall = price * (agreed - actual) / agreed
    late_start = price * 1 / 1000 * _days(_date(row["实际开工时间"]), _date(row["约定开工时间"]))
    late_completion = (
        price * 1 / 1000 * _days(_date(row["实际竣工时间"]), _date(row["约定竣工时间"]))
    )
    return {
        "status": "compliant",
        "investment_shortfall_wan": shortfall,
        "plot_ratio_shortfall_wan": None,
        "late_start_wan": late_start,
        "late_completion_wan": late_completion,
        "total_penalty_wan": shortfall + late_start + late_completion,
    }


def _plot_ratio_shortfall(row: dict[str, Any]) -> dict[str, Any]:
    """Completed on time with plot ratio 0.82 against the agreed minimum 1.0."""
    price = _wan(row["成交价格(万元)"])
    far_min, far_actual = float(row["约定容积率下限"]), float(row["实际容积率"])
    assert (far_min, far_actual) == (1.0, 0.82)
    assert _date(row["实际竣工时间"]) <= _date(row["约定竣工时间"])
    shortfall = price * (far_min - far_actual) / far_min
    return {
        "status": "compliant",
        "plot_ratio_shortfall_wan": shortfall,
        "late_completion_wan": 0.0,
        "investment_shortfall_wan": 0.0,
    }


def _unverified(row: dict[str, Any]) -> dict[str, Any]:
    """Past the start due date, no start date and no inspection: the amounts are what applies
    if an inspection finds it not started, and they are not confirmed."""
    price = _wan(row["成交价格(万元)"])
    assert row["实际开工时间"] is None
    assert row["开工状态"] is None
    due = _date(row["约定开工时间"])
    assert due < AS_OF < _plus_years(due, 1)
    late = price * 1 / 1000 * _days(AS_OF, due)
    return {
        "status": "unverified",
        "amounts_confirmed": False,
        "idle_stage_if_not_started": "late_start",
        "idle_fee_wan": 0.0,
        "late_start_wan": late,
        "total_penalty_wan": late,
    }


HAND_WORKED = {
    "210106-2016-GY-0014": _leap_day,
    "210106-2023-GY-0047": _idle_one_year,
    "210106-2024-GY-0032": _one_year_exact,
    "210106-2024-GY-0087": _late_start_contract_rate,
    "210106-2025-GY-0036": _late_payment(termination=True),
    "210106-2025-GY-0104": _late_payment(termination=False),
    "210106-2019-GY-0079": _partial_suspended,
    "210106-2021-GY-0092": _late_completion_contract_rate,
    "210106-2017-GY-0059": _investment_shortfall,
    "210106-2020-GY-0076": _plot_ratio_shortfall,
    "210106-2024-GY-0084": _unverified,
}


def test_hand_worked_parcels_are_the_scenarios(scenarios: pd.DataFrame) -> None:
    by_id = scenarios.set_index("parcel_id")
    assert by_id.loc[list(HAND_WORKED), "scenario"].to_dict() == {
        "210106-2016-GY-0014": "leap_day",
        "210106-2023-GY-0047": "idle_1y",
        "210106-2024-GY-0032": "one_year_exact",
        "210106-2024-GY-0087": "late_start",
        "210106-2025-GY-0036": "late_payment_60plus",
        "210106-2025-GY-0104": "late_payment",
        "210106-2019-GY-0079": "partial_suspended",
        "210106-2021-GY-0092": "late_completion",
        "210106-2017-GY-0059": "investment_shortfall",
        "210106-2020-GY-0076": "plot_ratio_shortfall",
        "210106-2024-GY-0084": "no_evidence",
    }


@pytest.mark.parametrize("parcel_id", list(HAND_WORKED))
def test_amounts_worked_out_by_hand(
    parcels: pd.DataFrame, ledger: list[dict[str, Any]], parcel_id: str
) -> None:
    expected = HAND_WORKED[parcel_id](_one_row(ledger, parcel_id))
    got = parcels.loc[parcel_id]
    for column, value in expected.items():
        actual = got[column]
        if value is None:
            assert pd.isna(actual), f"{column}: {actual!r} (expected null)"
        elif isinstance(value, dt.date):
            assert pd.Timestamp(actual).date() == value, column
        elif isinstance(value, bool | str):
            assert actual == value, f"{column}: {actual!r} != {value!r}"
        else:
            assert float(actual) == pytest.approx(value, rel=1e-9, abs=1e-9), column


def test_partial_idle_says_it_is_discretionary(parcels: pd.DataFrame) -> None:
    assert "也可以认定" in parcels.loc["210106-2019-GY-0079", "legal_basis"]


def test_termination_risk_cites_the_60_days(parcels: pd.DataFrame) -> None:
    assert "60日" in parcels.loc["210106-2025-GY-0036", "legal_basis"]
    assert "60日" not in parcels.loc["210106-2025-GY-0104", "legal_basis"]


@pytest.mark.parametrize(
    ("parcel_id", "as_of", "stage"),
    [
        # leap-day contract, start due 2020-02-29: one year on 2021-02-28, two on 2022-02-28
        ("210106-2016-GY-0014", dt.date(2021, 2, 27), "late_start"),
        ("210106-2016-GY-0014", dt.date(2021, 2, 28), "idle_fee"),
        ("210106-2016-GY-0014", dt.date(2022, 2, 27), "idle_fee"),
        ("210106-2016-GY-0014", dt.date(2022, 2, 28), "recovery"),
        # start due 2024-12-31: still under one year the day before the as-of date
        ("210106-2024-GY-0032", dt.date(2025, 12, 30), "late_start"),
        ("210106-2024-GY-0032", dt.date(2025, 12, 31), "idle_fee"),
    ],
)
def test_idle_stage_turns_on_the_calendar_anniversary(
    results: Results, parcel_id: str, as_of: dt.date, stage: str
) -> None:
    loaded = results.loaded.parcels
    one = loaded.loc[loaded["parcel_id"] == parcel_id]
    assert len(one) == 1
    out = analyse(one, as_of, load_rules(SAMPLE / "rules.toml")).iloc[0]
    assert out["idle_stage"] == stage
    price = float(one["land_price_wan"].iloc[0])
    fee = 0.20 * price if stage in ("idle_fee", "recovery") else 0.0
    assert out["idle_fee_wan"] == pytest.approx(fee)
    assert bool(out["recovery_candidate"]) is (stage == "recovery")
