"""Hand-worked tests of ``landuse.analysis.analyse`` against RULES.md sections 3-5.

Every expected value is a literal worked out by hand from RULES.md, with the arithmetic in a
comment beside it. Unless a test says otherwise the national defaults apply: threshold
5000 万元/公顷, late start / completion / payment 1‰ per day, idle fee 20 % of the land price P,
termination risk past 60 days, area tolerance 5 %. Day counts are ``(later - earlier).days``.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from landuse.analysis import analyse
from landuse.parsing import parse_date
from landuse.rules_file import load_rules
from landuse.vocab import data_issues_zh

AS_OF = "2025-06-30"
TEXT_COLUMNS = {"parcel_id", "park", "industry_code", "start_status", "supervision_no"}


def parcels(*rows: dict) -> pd.DataFrame:
    """A frame of canonical, typed columns indexed by ``parcel_id`` (absent cells are missing)."""
    frame = pd.DataFrame(list(rows))
    for name in frame.columns:
        if name.endswith("_date") or name == "suspended_since":
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ns]")
        elif name in TEXT_COLUMNS:
            frame[name] = frame[name].astype("string")
        elif name == "gov_cause":
            frame[name] = frame[name].eq(True)
        else:
            frame[name] = frame[name].astype("float64")
    frame.index = pd.Index(frame["parcel_id"].tolist())
    return frame


def run(*rows: dict, as_of: str = AS_OF, rules=None) -> pd.DataFrame:
    return analyse(parcels(*rows), as_of, rules if rules is not None else load_rules())


def is_null(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def flag(value) -> bool | None:
    """A nullable boolean cell as True / False / None, so ``is`` comparisons are exact."""
    return None if is_null(value) else bool(value)


# ---------------------------------------------------------------- section 3: area


def test_area_from_geometry_when_it_differs_by_more_than_five_percent():
    out = run(
        {"parcel_id": "UP6", "area_ha": 10.0, "geometry_area_ha": 10.6},
        {"parcel_id": "UP5", "area_ha": 10.0, "geometry_area_ha": 10.5},
        {"parcel_id": "DOWN5", "area_ha": 10.0, "geometry_area_ha": 9.5},
        {"parcel_id": "DOWN6", "area_ha": 10.0, "geometry_area_ha": 9.4},
        {"parcel_id": "DECL", "area_ha": 4.0},
        {"parcel_id": "GEOM", "geometry_area_ha": 3.0},
    )
    # |10.6 − 10| / 10 = 6 % > 5 % → geometry kept, declared kept aside, mismatch
    assert out.at["UP6", "area_ha"] == pytest.approx(10.6)
    assert out.at["UP6", "area_ha_declared"] == pytest.approx(10.0)
    assert out.at["UP6", "area_mismatch"]
    assert out.at["UP6", "area_source"] == "geometry"
    # |10.5 − 10| / 10 = exactly 5 %: not "more than 5 %"; the geometry is still the area
    assert out.at["UP5", "area_ha"] == pytest.approx(10.5)
    assert not out.at["UP5", "area_mismatch"]
    # |9.5 − 10| / 10 = exactly 5 % → no mismatch
    assert not out.at["DOWN5", "area_mismatch"]
    # |9.4 − 10| / 10 = 6 % → mismatch, area 9.4 from the geometry
    assert out.at["DOWN6", "area_mismatch"]
    assert out.at["DOWN6", "area_ha"] == pytest.approx(9.4)
    # declared only: area = declared 4 ha, nothing to compare
    assert out.at["DECL", "area_ha"] == pytest.approx(4.0)
    assert out.at["DECL", "area_source"] == "declared"
    assert not out.at["DECL", "area_mismatch"]
    # geometry only: area 3 ha, no declared area to keep
    assert out.at["GEOM", "area_ha"] == pytest.approx(3.0)
    assert is_null(out.at["GEOM", "area_ha_declared"])
    assert not out.at["GEOM", "area_mismatch"]


def test_area_exactly_five_percent_on_small_parcels_is_not_a_mismatch():
    out = run(
        {"parcel_id": "A", "area_ha": 1.0, "geometry_area_ha": 1.05},
        {"parcel_id": "B", "area_ha": 1.0, "geometry_area_ha": 0.95},
        {"parcel_id": "C", "area_ha": 2.0, "geometry_area_ha": 2.1},
    )
    # 0.05 / 1.00 = 5 %; 0.05 / 1.00 = 5 %; 0.10 / 2.00 = 5 %: none is more than 5 %
    assert out["area_mismatch"].tolist() == [False, False, False]


# ---------------------------------------------------------------- section 3: intensity


def test_intensity_uses_actual_then_agreed_investment_then_none():
    out = run(
        {"parcel_id": "ACT", "area_ha": 2.0, "actual_investment_wan": 12000.0,
         "agreed_investment_wan": 9000.0},
        {"parcel_id": "AGR", "area_ha": 2.0, "agreed_investment_wan": 9000.0},
        {"parcel_id": "NONE", "area_ha": 2.0},
        {"parcel_id": "GEO", "area_ha": 2.0, "geometry_area_ha": 2.5,
         "actual_investment_wan": 12000.0},
        {"parcel_id": "EQ", "area_ha": 2.0, "agreed_investment_wan": 10000.0},
        {"parcel_id": "NOAREA", "agreed_investment_wan": 10000.0},
    )  # fmt: skip
    # 12000 / 2 = 6000 ≥ 5000 (actual wins over agreed)
    assert out.at["ACT", "intensity_basis"] == "actual"
    assert out.at["ACT", "intensity_wan_per_ha"] == pytest.approx(6000.0)
    assert flag(out.at["ACT", "below_threshold"]) is False
    # 9000 / 2 = 4500 < 5000
    assert out.at["AGR", "intensity_basis"] == "agreed"
    assert out.at["AGR", "intensity_wan_per_ha"] == pytest.approx(4500.0)
    assert flag(out.at["AGR", "below_threshold"]) is True
    # no investment: intensity null, basis "none", below_threshold null (not False)
    assert out.at["NONE", "intensity_basis"] == "none"
    assert is_null(out.at["NONE", "intensity_wan_per_ha"])
    assert is_null(out.at["NONE", "below_threshold"])
    # geometry 2.5 ha differs by 25 % → area 2.5; 12000 / 2.5 = 4800 < 5000
    assert out.at["GEO", "intensity_wan_per_ha"] == pytest.approx(4800.0)
    assert flag(out.at["GEO", "below_threshold"]) is True
    # 10000 / 2 = 5000, not < 5000
    assert flag(out.at["EQ", "below_threshold"]) is False
    # no area: intensity cannot be computed → null, never an error
    assert is_null(out.at["NOAREA", "intensity_wan_per_ha"])
    assert is_null(out.at["NOAREA", "below_threshold"])
    # the default threshold applies to every row
    assert out["intensity_min_wan_per_ha"].tolist() == [5000.0] * 6


def test_threshold_precedence_park_industry_then_park_then_industry_then_default(tmp_path):
    rules_path = tmp_path / "bureau.toml"
    rules_path.write_text(
        "[intensity.parks]\n"
        '"阜阳经开区" = 4000.0\n'
        "[intensity.industries]\n"
        '"26" = 3000.0\n'
        '"13" = 2500.0\n'
        '[intensity.park_industries."阜阳经开区"]\n'
        '"26" = 6000.0\n',
        encoding="utf-8",
    )
    rules = load_rules(rules_path)
    out = run(
        {"parcel_id": "PI", "park": "阜阳经开区", "industry_code": "C2611", "area_ha": 1.0,
         "agreed_investment_wan": 5500.0},
        {"parcel_id": "P", "park": "阜阳经开区", "industry_code": "C1310", "area_ha": 1.0,
         "agreed_investment_wan": 4500.0},
        {"parcel_id": "I", "park": "颍东园区", "industry_code": "C2611", "area_ha": 1.0,
         "agreed_investment_wan": 3500.0},
        {"parcel_id": "D", "park": "颍东园区", "industry_code": "C3411", "area_ha": 1.0,
         "agreed_investment_wan": 4500.0},
        {"parcel_id": "NONE", "area_ha": 1.0, "agreed_investment_wan": 5000.0},
        rules=rules,
    )  # fmt: skip
    # park + industry rule (阜阳经开区, "C2611" → "26") = 6000; 5500 / 1 < 6000
    assert out.at["PI", "intensity_min_wan_per_ha"] == 6000.0
    assert out.at["PI", "threshold_source"] == "park_industry"
    assert flag(out.at["PI", "below_threshold"]) is True
    # no pair rule for 13 in that park → park rule 4000 beats industry 13 (2500); 4500 ≥ 4000
    assert out.at["P", "intensity_min_wan_per_ha"] == 4000.0
    assert out.at["P", "threshold_source"] == "park"
    assert flag(out.at["P", "below_threshold"]) is False
    # park without a rule → industry rule "26" = 3000; 3500 ≥ 3000
    assert out.at["I", "intensity_min_wan_per_ha"] == 3000.0
    assert out.at["I", "threshold_source"] == "industry"
    assert flag(out.at["I", "below_threshold"]) is False
    # no rule for that park or for "34" → default 5000; 4500 < 5000
    assert out.at["D", "intensity_min_wan_per_ha"] == 5000.0
    assert out.at["D", "threshold_source"] == "default"
    assert flag(out.at["D", "below_threshold"]) is True
    # no park, no code → default 5000; 5000 is not < 5000
    assert out.at["NONE", "intensity_min_wan_per_ha"] == 5000.0
    assert out.at["NONE", "threshold_source"] == "default"
    assert flag(out.at["NONE", "below_threshold"]) is False


# ---------------------------------------------------------------- section 3: due dates


def test_start_due_date_precedence_and_completion_shift():
    out = run(
        {"parcel_id": "EXT", "extended_start_date": "2023-07-01",
         "agreed_start_date": "2023-01-01", "actual_delivery_date": "2021-05-01",
         "agreed_completion_date": "2024-12-31"},
        {"parcel_id": "AGR", "agreed_start_date": "2023-01-01",
         "actual_delivery_date": "2021-05-01", "agreed_completion_date": "2024-12-31"},
        {"parcel_id": "DEL", "actual_delivery_date": "2021-03-01"},
        {"parcel_id": "LEAP", "actual_delivery_date": "2020-02-29"},
        {"parcel_id": "NONE", "agreed_completion_date": "2024-12-31"},
    )  # fmt: skip
    # the extension wins over the agreed start and over delivery
    assert out.at["EXT", "start_due_date"] == pd.Timestamp("2023-07-01")
    # extension length 2023-01-01 → 2023-07-01 = 181 days; 2024-12-31 + 181 days = 2025-06-30
    assert out.at["EXT", "completion_due_date"] == pd.Timestamp("2025-06-30")
    # no extension: the agreed start, completion unchanged
    assert out.at["AGR", "start_due_date"] == pd.Timestamp("2023-01-01")
    assert out.at["AGR", "completion_due_date"] == pd.Timestamp("2024-12-31")
    # actual delivery 2021-03-01 + 1 calendar year = 2022-03-01
    assert out.at["DEL", "start_due_date"] == pd.Timestamp("2022-03-01")
    # 2020-02-29 + 1 calendar year = 2021-02-28
    assert out.at["LEAP", "start_due_date"] == pd.Timestamp("2021-02-28")
    # nothing to derive it from → null; completion due = agreed completion
    assert pd.isna(out.at["NONE", "start_due_date"])
    assert out.at["NONE", "completion_due_date"] == pd.Timestamp("2024-12-31")


def test_completion_shift_when_the_extension_replaces_a_delivery_based_due_date():
    out = run(
        {"parcel_id": "X", "extended_start_date": "2023-07-01",
         "actual_delivery_date": "2022-01-01", "agreed_completion_date": "2024-12-31"},
    )  # fmt: skip
    # original due 2022-01-01 + 1 year = 2023-01-01; extension to 2023-07-01 = 181 days;
    # 2024-12-31 + 181 days = 2025-06-30
    assert out.at["X", "start_due_date"] == pd.Timestamp("2023-07-01")
    assert out.at["X", "completion_due_date"] == pd.Timestamp("2025-06-30")


# ---------------------------------------------------------------- idle timing


@pytest.mark.parametrize(
    ("as_of", "stage", "days", "idle_fee", "late_start"),
    [
        # 2024-12-31 → 2025-12-30 = 364 days: under one year; 1000 × 1‰ × 364 = 364
        ("2025-12-30", "late_start", 364.0, 0.0, 364.0),
        # 2024-12-31 + 1 year = 2025-12-31 = as-of: idle one year; fee 0.20 × 1000 = 200;
        # 1000 × 1‰ × 365 = 365
        ("2025-12-31", "idle_fee", 365.0, 200.0, 365.0),
    ],
)
def test_idle_one_year_exactly_on_the_as_of_date(as_of, stage, days, idle_fee, late_start):
    out = run(
        {"parcel_id": "X", "agreed_start_date": "2024-12-31", "start_status": "not_started",
         "land_price_wan": 1000.0},
        as_of=as_of,
    )  # fmt: skip
    row = out.loc["X"]
    assert row["idle_stage"] == stage
    assert row["status"] == stage
    assert row["late_start_days"] == days
    assert row["idle_fee_wan"] == pytest.approx(idle_fee)
    assert row["late_start_wan"] == pytest.approx(late_start)
    assert not row["recovery_candidate"]


@pytest.mark.parametrize(
    ("as_of", "stage", "days", "recovery"),
    [
        # 2023-12-31 → 2025-12-30 = 366 + 364 = 730 days: one year, not yet two
        ("2025-12-30", "idle_fee", 730.0, False),
        # 2023-12-31 + 2 years = 2025-12-31 = as-of: idle two years (366 + 365 = 731 days)
        ("2025-12-31", "recovery", 731.0, True),
    ],
)
def test_idle_two_years_exactly_on_the_as_of_date(as_of, stage, days, recovery):
    out = run(
        {"parcel_id": "X", "agreed_start_date": "2023-12-31", "start_status": "not_started",
         "land_price_wan": 1000.0},
        as_of=as_of,
    )  # fmt: skip
    row = out.loc["X"]
    assert row["idle_stage"] == stage
    assert row["status"] == stage
    assert row["late_start_days"] == days
    assert bool(row["recovery_candidate"]) is recovery
    # the idle fee is charged once from the one-year mark on: 0.20 × 1000 = 200 in both
    assert row["idle_fee_wan"] == pytest.approx(200.0)


@pytest.mark.parametrize(
    ("as_of", "stage", "days"),
    [
        # one-year mark of 2020-02-29 is 2021-02-28; the day before: 364 days
        ("2021-02-27", "late_start", 364.0),
        ("2021-02-28", "idle_fee", 365.0),
        # two-year mark 2022-02-28; the day before: 729 days
        ("2022-02-27", "idle_fee", 729.0),
        ("2022-02-28", "recovery", 730.0),
    ],
)
def test_29_february_marks_fall_on_28_february(as_of, stage, days):
    out = run(
        {"parcel_id": "X", "agreed_start_date": "2020-02-29", "start_status": "not_started",
         "land_price_wan": 1000.0},
        as_of=as_of,
    )  # fmt: skip
    assert out.at["X", "idle_stage"] == stage
    assert out.at["X", "status"] == stage
    assert out.at["X", "late_start_days"] == days


def test_start_due_on_the_as_of_date_is_not_late():
    out = run(
        {"parcel_id": "X", "agreed_start_date": AS_OF, "start_status": "not_started",
         "land_price_wan": 1000.0},
    )  # fmt: skip
    # 0 days past due: not late, not idle
    assert out.at["X", "late_start_days"] == 0.0
    assert out.at["X", "late_start_wan"] == 0.0
    assert out.at["X", "idle_stage"] == "none"
    assert out.at["X", "status"] == "on_track"


def test_recovery_candidate_shows_the_idle_fee_too():
    out = run(
        {"parcel_id": "X", "agreed_start_date": "2023-03-01", "start_status": "not_started",
         "land_price_wan": 1000.0},
    )  # fmt: skip
    row = out.loc["X"]
    # 2023-03-01 + 2 years = 2025-03-01 ≤ 2025-06-30
    assert row["status"] == "recovery"
    assert row["status_zh"] == "拟收回"
    assert row["idle_stage"] == "recovery"
    assert row["idle_basis"] == "not_started"
    assert row["recovery_candidate"]
    assert row["amounts_confirmed"]
    # 2023-03-01 → 2025-06-30 = 731 + 121 = 852 days
    assert row["late_start_days"] == 852.0
    assert row["idle_days"] == 852.0
    # 0.20 × 1000 = 200
    assert row["idle_fee_wan"] == pytest.approx(200.0)
    # the late-start fee accrues until the recovery date (default cap "recovery"):
    # 2023-03-01 → 2025-03-01 = 366 + 365 = 731 days; 1000 × 1‰ × 731 = 731
    assert row["late_start_wan"] == pytest.approx(731.0)
    assert row["late_fee_capped"]
    # 200 + 731 = 931
    assert row["total_penalty_wan"] == pytest.approx(931.0)
    assert "《闲置土地处置办法》第十四条第（二）项" in row["legal_basis"]


def test_placeholder_dates_read_through_parsing_are_missing():
    raw = pd.DataFrame(
        {
            "parcel_id": ["PH1", "PH2"],
            "agreed_start_date": ["1900年01月01日", "2024/3/1"],
            "actual_delivery_date": ["2023年05月10日", None],
            "actual_start_date": ["1900-01-01", "1900年01月01日"],
            "actual_completion_date": ["1901-01-02", None],
            "start_status": [None, "not_started"],
            "land_price_wan": [1000.0, 1000.0],
        },
        dtype=object,
    )
    frame = pd.DataFrame(index=pd.Index(["PH1", "PH2"]))
    frame["parcel_id"] = pd.array(["PH1", "PH2"], dtype="string")
    for name in ("agreed_start_date", "actual_delivery_date", "actual_start_date",
                 "actual_completion_date"):  # fmt: skip
        frame[name] = parse_date(raw[name].set_axis(frame.index))[0].to_numpy()
    frame["start_status"] = pd.array([pd.NA, "not_started"], dtype="string")
    frame["land_price_wan"] = [1000.0, 1000.0]
    out = analyse(frame, AS_OF, load_rules())

    ph1 = out.loc["PH1"]
    # the 1900 agreed start is a placeholder → actual delivery 2023-05-10 + 1 year
    assert ph1["start_due_date"] == pd.Timestamp("2024-05-10")
    # the 1900 start and 1901 completion are placeholders → no evidence of start
    assert ph1["start_evidence"] == "none"
    assert ph1["status"] == "unverified"
    # 2024-05-10 + 1 year = 2025-05-10 ≤ 2025-06-30 → idle one year if found not started
    assert ph1["idle_stage_if_not_started"] == "idle_fee"
    # 2024-05-10 → 2025-06-30 = 365 + 51 = 416 days; 1000 × 1‰ × 416 = 416
    assert ph1["late_start_wan"] == pytest.approx(416.0)
    # 0.20 × 1000 = 200
    assert ph1["idle_fee_wan"] == pytest.approx(200.0)
    assert not ph1["amounts_confirmed"]

    ph2 = out.loc["PH2"]
    # 2024/3/1 parses; the 1900 start date is a placeholder, the inspection says not started
    assert ph2["start_due_date"] == pd.Timestamp("2024-03-01")
    assert ph2["start_evidence"] == "inspection"
    assert ph2["status"] == "idle_fee"
    # 2024-03-01 → 2025-06-30 = 365 + 121 = 486 days
    assert ph2["late_start_days"] == 486.0


# ---------------------------------------------------------------- section 4: start evidence


def test_start_evidence_kinds():
    due = {"agreed_start_date": "2024-01-01", "land_price_wan": 1000.0}
    out = run(
        {"parcel_id": "ON_ASOF", "actual_start_date": AS_OF, **due},
        {"parcel_id": "AFTER", "actual_start_date": "2025-07-01", **due},
        {"parcel_id": "AFTER_NS", "actual_start_date": "2025-07-01",
         "start_status": "not_started", **due},
        {"parcel_id": "INSP_S", "start_status": "started", **due},
        {"parcel_id": "INSP_NS", "start_status": "not_started", **due},
        {"parcel_id": "UNKNOWN", "start_status": "unknown", **due},
        {"parcel_id": "DONE", "actual_completion_date": "2025-06-01", **due},
    )  # fmt: skip
    evidence = out["start_evidence"].to_dict()
    assert evidence == {
        "ON_ASOF": "actual_start",  # 2025-06-30 is not after the as-of date
        "AFTER": "none",  # 2025-07-01 is after the as-of date: not evidence
        "AFTER_NS": "inspection",
        "INSP_S": "inspection",
        "INSP_NS": "inspection",
        "UNKNOWN": "none",
        "DONE": "completion",  # completed on 2025-06-01 ≤ as-of, so it started
    }
    assert out["started"].to_dict() == {
        "ON_ASOF": True,
        "AFTER": False,
        "AFTER_NS": False,
        "INSP_S": True,
        "INSP_NS": False,
        "UNKNOWN": False,
        "DONE": True,
    }
    # 2024-01-01 → 2025-06-30 = 366 + 180 = 546 days late; 1000 × 1‰ × 546 = 546
    assert out.at["ON_ASOF", "late_start_days"] == 546.0
    assert out.at["ON_ASOF", "late_start_wan"] == pytest.approx(546.0)
    assert out.at["ON_ASOF", "idle_stage"] == "none"  # started: not idle for not starting
    # started on a future date counts as not started as of 2025-06-30: 546 days to the as-of
    assert out.at["AFTER", "late_start_days"] == 546.0
    assert out.at["AFTER", "status"] == "unverified"
    assert out.at["AFTER_NS", "status"] == "idle_fee"  # 2025-01-01 ≤ as-of < 2026-01-01
    # started on an unknown day after its due date → days unknown → null, never 0
    assert is_null(out.at["INSP_S", "late_start_days"])
    assert is_null(out.at["INSP_S", "late_start_wan"])
    assert out.at["INSP_NS", "status"] == "idle_fee"
    assert out.at["UNKNOWN", "status"] == "unverified"
    assert out.at["DONE", "completed"]
    assert out.at["DONE", "status"] == "compliant"


def test_no_evidence_past_due_is_unverified_with_hypothetical_amounts():
    out = run(
        {"parcel_id": "U2Y", "agreed_start_date": "2023-03-01", "land_price_wan": 1000.0},
        {"parcel_id": "U1Y", "agreed_start_date": "2024-03-01", "land_price_wan": 1000.0},
        {"parcel_id": "U0", "agreed_start_date": "2025-03-01", "land_price_wan": 1000.0},
        {"parcel_id": "NOTDUE", "agreed_start_date": "2025-12-01", "land_price_wan": 1000.0},
    )
    u2 = out.loc["U2Y"]
    assert u2["status"] == "unverified"
    assert u2["status_zh"] == "待核查"
    assert u2["idle_stage"] == "none"  # never called idle without evidence
    assert is_null(u2["idle_basis"])
    # 2023-03-01 + 2 years ≤ as-of: would be recovery if found not started
    assert u2["idle_stage_if_not_started"] == "recovery"
    assert not u2["recovery_candidate"]
    assert not u2["amounts_confirmed"]
    # what would apply if not started: 0.20 × 1000 = 200; the late start accrues until the
    # recovery date 2025-03-01 (731 days, default cap): 1000 × 1‰ × 731 = 731
    assert u2["idle_fee_wan"] == pytest.approx(200.0)
    assert u2["late_start_wan"] == pytest.approx(731.0)
    # 200 + 731 = 931, all of it potential, none confirmed
    assert u2["total_penalty_wan"] == pytest.approx(931.0)
    assert u2["potential_penalty_wan"] == pytest.approx(931.0)
    assert u2["confirmed_penalty_wan"] == 0.0
    assert "待核查" in u2["legal_basis"]

    u1 = out.loc["U1Y"]
    assert u1["status"] == "unverified"
    assert u1["idle_stage_if_not_started"] == "idle_fee"
    # 0.20 × 1000 = 200; 2024-03-01 → 2025-06-30 = 486 days → 486
    assert u1["idle_fee_wan"] == pytest.approx(200.0)
    assert u1["late_start_wan"] == pytest.approx(486.0)
    assert not u1["amounts_confirmed"]

    u0 = out.loc["U0"]
    assert u0["status"] == "unverified"
    assert u0["idle_stage_if_not_started"] == "late_start"
    # under one year: no idle fee; 2025-03-01 → 2025-06-30 = 121 days → 121
    assert u0["idle_fee_wan"] == 0.0
    assert u0["late_start_wan"] == pytest.approx(121.0)

    # not yet due without evidence: nothing to verify yet
    nd = out.loc["NOTDUE"]
    assert nd["status"] == "on_track"
    assert is_null(nd["idle_stage_if_not_started"])
    assert nd["amounts_confirmed"]
    assert nd["late_start_wan"] == 0.0

    # without evidence, never idle_fee or recovery
    assert not out["status"].isin(["idle_fee", "recovery"]).any()
    assert not out["recovery_candidate"].any()


# ---------------------------------------------------------------- section 5: late start


def test_late_start_amount_and_contract_rate():
    out = run(
        {"parcel_id": "NS", "agreed_start_date": "2025-03-01", "start_status": "not_started",
         "land_price_wan": 1000.0},
        {"parcel_id": "NS_RATE", "agreed_start_date": "2025-03-01",
         "start_status": "not_started", "land_price_wan": 1000.0,
         "late_start_rate_permille": 0.5},
        {"parcel_id": "LATE", "agreed_start_date": "2023-03-01",
         "actual_start_date": "2023-04-10", "land_price_wan": 500.0},
        {"parcel_id": "LATE_RATE", "agreed_start_date": "2023-03-01",
         "actual_start_date": "2023-04-10", "land_price_wan": 500.0,
         "late_start_rate_permille": 2.0},
        {"parcel_id": "EARLY", "agreed_start_date": "2023-03-01",
         "actual_start_date": "2023-02-20", "land_price_wan": 500.0},
        {"parcel_id": "ONDAY", "agreed_start_date": "2023-03-01",
         "actual_start_date": "2023-03-01", "land_price_wan": 500.0},
        {"parcel_id": "ODD", "agreed_start_date": "2025-06-23", "start_status": "not_started",
         "land_price_wan": 333.33},
    )  # fmt: skip
    # 2025-03-01 → 2025-06-30 = 121 days; 1000 × 1‰ × 121 = 121
    assert out.at["NS", "late_start_days"] == 121.0
    assert out.at["NS", "late_start_wan"] == pytest.approx(121.0)
    assert out.at["NS", "status"] == "late_start"
    assert out.at["NS", "status_zh"] == "逾期未开工"
    # per-contract 0.5‰: 1000 × 0.5‰ × 121 = 60.5
    assert out.at["NS_RATE", "late_start_wan"] == pytest.approx(60.5)
    # started late: 2023-03-01 → 2023-04-10 = 40 days (to the start, not to the as-of)
    assert out.at["LATE", "late_start_days"] == 40.0
    # 500 × 1‰ × 40 = 20
    assert out.at["LATE", "late_start_wan"] == pytest.approx(20.0)
    # 500 × 2‰ × 40 = 40
    assert out.at["LATE_RATE", "late_start_wan"] == pytest.approx(40.0)
    # started before / on the due date: 0 days, 0
    assert out.at["EARLY", "late_start_days"] == 0.0
    assert out.at["EARLY", "late_start_wan"] == 0.0
    assert out.at["ONDAY", "late_start_days"] == 0.0
    assert out.at["ONDAY", "late_start_wan"] == 0.0
    # no rounding inside the math: 333.33 × 1‰ × 7 = 2.33331 (not 2.33)
    assert out.at["ODD", "late_start_days"] == 7.0
    assert out.at["ODD", "late_start_wan"] == pytest.approx(2.33331, abs=1e-9)


# ---------------------------------------------------------------- partial development


def test_partial_development_idle_on_the_partial_basis():
    started = {
        "agreed_start_date": "2022-03-01",
        "actual_start_date": "2022-03-01",
        "area_ha": 3.0,
        "land_price_wan": 1000.0,
    }
    out = run(
        {"parcel_id": "DEV", "developed_area_ha": 0.9, "suspended_since": "2024-06-30",
         **started},
        {"parcel_id": "INV", "developed_area_ha": 2.0, "invested_ex_land_wan": 20.0,
         "total_investment_ex_land_wan": 100.0, "suspended_since": "2023-06-30", **started},
        {"parcel_id": "EXACT", "developed_area_ha": 1.0, "invested_ex_land_wan": 25.0,
         "total_investment_ex_land_wan": 100.0, "suspended_since": "2023-06-30", **started},
        {"parcel_id": "SHORT", "developed_area_ha": 0.9, "suspended_since": "2024-07-01",
         **started},
        {"parcel_id": "NOSUSP", "developed_area_ha": 0.9, **started},
    )  # fmt: skip
    dev = out.loc["DEV"]
    # 0.9 / 3 = 0.30 < 1/3; suspended 2024-06-30 + 1 year = 2025-06-30 = as-of
    assert dev["idle_stage"] == "idle_fee"
    assert dev["idle_basis"] == "partial"
    assert dev["status"] == "idle_fee"
    assert not dev["recovery_candidate"]
    # 2024-06-30 → 2025-06-30 = 365 days suspended
    assert dev["idle_days"] == 365.0
    # 0.20 × 1000 = 200; started on the due date → late start 0
    assert dev["idle_fee_wan"] == pytest.approx(200.0)
    assert dev["late_start_wan"] == 0.0
    # discretionary basis named: [IDLE] art. 2 para 2, "也可以认定"
    assert "第二条第二款" in dev["legal_basis"]
    assert "也可以认定" in dev["legal_basis"]
    assert "裁量" in dev["legal_basis"]

    inv = out.loc["INV"]
    # 2 / 3 is fine but 20 / 100 = 0.20 < 0.25; suspended 2023-06-30 + 2 years = as-of
    assert inv["idle_stage"] == "recovery"
    assert inv["idle_basis"] == "partial"
    assert inv["status"] == "recovery"
    assert inv["recovery_candidate"]
    # 2023-06-30 → 2025-06-30 = 366 + 365 = 731 days
    assert inv["idle_days"] == 731.0
    # 0.20 × 1000 = 200, shown for a recovery candidate too
    assert inv["idle_fee_wan"] == pytest.approx(200.0)
    assert "第二条第二款" in inv["legal_basis"]

    # 1 / 3 is not < 1/3 and 25 / 100 = 0.25 is not < 0.25: not partly developed
    exact = out.loc["EXACT"]
    assert exact["idle_stage"] == "none"
    assert is_null(exact["idle_basis"])
    assert exact["idle_fee_wan"] == 0.0
    assert exact["status"] == "on_track"
    # 2024-07-01 → 2025-06-30 = 364 days: suspended less than one year
    assert out.at["SHORT", "idle_stage"] == "none"
    assert out.at["SHORT", "idle_fee_wan"] == 0.0
    # no suspension date: not idle
    assert out.at["NOSUSP", "idle_stage"] == "none"
    assert out.at["NOSUSP", "status"] == "on_track"


# ---------------------------------------------------------------- government cause


def test_government_cause_removes_fee_recovery_and_late_start_amount():
    gov = {"gov_cause": True, "land_price_wan": 1000.0}
    out = run(
        {"parcel_id": "G2", "agreed_start_date": "2023-03-01", "start_status": "not_started",
         **gov},
        {"parcel_id": "G1", "agreed_start_date": "2024-03-01", "start_status": "not_started",
         **gov},
        {"parcel_id": "G0", "agreed_start_date": "2025-03-01", "start_status": "not_started",
         **gov},
        {"parcel_id": "GS", "agreed_start_date": "2023-03-01", "actual_start_date": "2023-04-10",
         **gov},
        {"parcel_id": "GP", "agreed_start_date": "2022-03-01", "actual_start_date": "2022-03-01",
         "area_ha": 3.0, "developed_area_ha": 0.9, "suspended_since": "2023-06-30", **gov},
        {"parcel_id": "GU", "agreed_start_date": "2023-03-01", **gov},
    )  # fmt: skip
    g2 = out.loc["G2"]
    assert g2["status"] == "gov_delay"
    assert g2["status_zh"] == "政府原因闲置"
    # idle_stage keeps the stage by elapsed time (2 years); the consequence is in the status
    assert g2["idle_stage"] == "recovery"
    assert not g2["recovery_candidate"]
    assert g2["idle_fee_wan"] == 0.0
    assert g2["late_start_wan"] == 0.0
    assert g2["total_penalty_wan"] == 0.0
    assert "第八条" in g2["legal_basis"]
    assert "第十二条" in g2["legal_basis"]
    assert "第十四条第（二）项" not in g2["legal_basis"]

    assert out.at["G1", "status"] == "gov_delay"
    assert out.at["G1", "idle_stage"] == "idle_fee"
    assert out.at["G1", "idle_fee_wan"] == 0.0
    # under one year (121 days): idle conditions not met, still late_start; amount removed
    assert out.at["G0", "status"] == "late_start"
    assert out.at["G0", "late_start_days"] == 121.0
    assert out.at["G0", "late_start_wan"] == 0.0
    # started 40 days late: late-start amount removed by the government cause
    assert out.at["GS", "late_start_days"] == 40.0
    assert out.at["GS", "late_start_wan"] == 0.0
    # partly developed (0.9 / 3 < 1/3), suspended 2 years, government cause
    assert out.at["GP", "status"] == "gov_delay"
    assert not out.at["GP", "recovery_candidate"]
    assert out.at["GP", "idle_fee_wan"] == 0.0
    # no evidence: still unverified, never idle_fee / recovery, and no amounts either
    assert out.at["GU", "status"] == "unverified"
    assert not out.at["GU", "recovery_candidate"]
    assert out.at["GU", "idle_fee_wan"] == 0.0
    assert out.at["GU", "late_start_wan"] == 0.0


# ---------------------------------------------------------------- late completion


def test_late_completion_only_for_started_parcels():
    started = {"agreed_start_date": "2023-02-01", "actual_start_date": "2023-01-10",
               "land_price_wan": 1000.0}  # fmt: skip
    out = run(
        {"parcel_id": "LC", "agreed_completion_date": "2024-06-30", **started},
        {"parcel_id": "LC_RATE", "agreed_completion_date": "2024-06-30",
         "late_completion_rate_permille": 0.5, **started},
        {"parcel_id": "NEVER", "agreed_start_date": "2023-02-01", "start_status": "not_started",
         "agreed_completion_date": "2024-06-30", "land_price_wan": 1000.0},
        {"parcel_id": "UNV", "agreed_start_date": "2023-02-01",
         "agreed_completion_date": "2024-06-30", "land_price_wan": 1000.0},
        {"parcel_id": "DONE_LATE", "agreed_completion_date": "2024-06-30",
         "actual_completion_date": "2024-08-15", **started},
        {"parcel_id": "DUE_TODAY", "agreed_completion_date": "2025-01-31", **started},
        {"parcel_id": "NO_DUE", **started},
        as_of="2025-01-31",
    )  # fmt: skip
    # 2024-06-30 → 2025-01-31 = 215 days; 1000 × 1‰ × 215 = 215
    assert out.at["LC", "late_completion_days"] == 215.0
    assert out.at["LC", "late_completion_wan"] == pytest.approx(215.0)
    assert out.at["LC", "status"] == "late_completion"
    assert out.at["LC", "status_zh"] == "逾期未竣工"
    assert "逾期竣工" in out.at["LC", "legal_basis"]
    # per-contract 0.5‰: 1000 × 0.5‰ × 215 = 107.5
    assert out.at["LC_RATE", "late_completion_wan"] == pytest.approx(107.5)
    # never started: handled by late start / idle only, no completion charge
    never = out.loc["NEVER"]
    assert never["late_completion_days"] == 0.0
    assert never["late_completion_wan"] == 0.0
    # 2023-02-01 + 1 year ≤ 2025-01-31 < 2023-02-01 + 2 years = 2025-02-01
    assert never["status"] == "idle_fee"
    # 2023-02-01 → 2025-01-31 = 365 + 365 = 730 days → 730; fee 0.20 × 1000 = 200
    assert never["late_start_wan"] == pytest.approx(730.0)
    assert never["idle_fee_wan"] == pytest.approx(200.0)
    # 200 + 730 + 0 = 930
    assert never["total_penalty_wan"] == pytest.approx(930.0)
    # unverified: the hypothetical amounts are those of a not-started parcel: no completion fee
    assert out.at["UNV", "late_completion_wan"] == 0.0
    # completed late: 2024-06-30 → 2024-08-15 = 46 days; 1000 × 1‰ × 46 = 46
    assert out.at["DONE_LATE", "late_completion_days"] == 46.0
    assert out.at["DONE_LATE", "late_completion_wan"] == pytest.approx(46.0)
    assert out.at["DONE_LATE", "status"] == "compliant"
    # due on the as-of date: 0 days, not late
    assert out.at["DUE_TODAY", "late_completion_days"] == 0.0
    assert out.at["DUE_TODAY", "late_completion_wan"] == 0.0
    assert out.at["DUE_TODAY", "status"] == "on_track"
    # started, no completion due date: days and amount unknown → null
    assert is_null(out.at["NO_DUE", "late_completion_days"])
    assert is_null(out.at["NO_DUE", "late_completion_wan"])


# ---------------------------------------------------------------- late payment


def test_late_payment_and_termination_after_sixty_days():
    p = {"land_price_wan": 1000.0}
    out = run(
        {"parcel_id": "D60", "price_paid_wan": 600.0, "price_due_date": "2025-01-01", **p},
        {"parcel_id": "D61", "price_paid_wan": 600.0, "price_due_date": "2024-12-31", **p},
        {"parcel_id": "PAID", "price_paid_wan": 1000.0, "price_due_date": "2024-12-31", **p},
        {"parcel_id": "NOTDUE", "price_paid_wan": 0.0, "price_due_date": "2025-04-01", **p},
        {"parcel_id": "NOPAID", "price_due_date": "2024-12-31", **p},
        {"parcel_id": "NODUE", "price_paid_wan": 600.0, **p},
        {"parcel_id": "NOP", "price_paid_wan": 600.0, "price_due_date": "2024-12-31"},
        as_of="2025-03-02",
    )
    # 2025-01-01 → 2025-03-02 = 31 + 28 + 1 = 60 days; (1000 − 600) × 1‰ × 60 = 24
    assert out.at["D60", "late_payment_days"] == 60.0
    assert out.at["D60", "late_payment_wan"] == pytest.approx(24.0)
    assert not out.at["D60", "termination_risk"]  # 60 is not past 60
    assert "国办发〔2006〕100号" in out.at["D60", "legal_basis"]
    # 2024-12-31 → 2025-03-02 = 61 days; 400 × 1‰ × 61 = 24.4
    assert out.at["D61", "late_payment_days"] == 61.0
    assert out.at["D61", "late_payment_wan"] == pytest.approx(24.4)
    assert out.at["D61", "termination_risk"]
    assert "《城市房地产管理法》第二十六条" in out.at["D61", "legal_basis"]
    # paid in full: nothing outstanding → 0 days, 0
    assert out.at["PAID", "late_payment_days"] == 0.0
    assert out.at["PAID", "late_payment_wan"] == 0.0
    assert not out.at["PAID", "termination_risk"]
    # not yet due: 0 days, 0
    assert out.at["NOTDUE", "late_payment_days"] == 0.0
    assert out.at["NOTDUE", "late_payment_wan"] == 0.0
    # paid amount / due date / price missing → null, no risk claimed
    for pid in ("NOPAID", "NODUE", "NOP"):
        assert is_null(out.at[pid, "late_payment_wan"]), pid
        assert not out.at[pid, "termination_risk"], pid
    assert is_null(out.at["NOPAID", "late_payment_days"])
    assert is_null(out.at["NODUE", "late_payment_days"])


# ---------------------------------------------------------------- shortfalls


def test_investment_and_plot_ratio_shortfalls_on_completed_parcels():
    done = {
        "agreed_start_date": "2023-01-01",
        "actual_start_date": "2023-01-01",
        "agreed_completion_date": "2025-06-01",
        "actual_completion_date": "2025-01-01",
        "area_ha": 1.0,
        "land_price_wan": 800.0,
    }
    out = run(
        {"parcel_id": "INV", "agreed_investment_wan": 6000.0, "actual_investment_wan": 4500.0,
         **done},
        {"parcel_id": "INV_MET", "agreed_investment_wan": 6000.0,
         "actual_investment_wan": 6500.0, **done},
        {"parcel_id": "FAR", "far_min": 1.2, "far_actual": 0.9, **done},
        {"parcel_id": "FAR_ZERO", "far_min": 0.0, "far_actual": 0.5, **done},
        {"parcel_id": "FAR_MET", "far_min": 1.0, "far_actual": 1.0, **done},
        {"parcel_id": "FAR_MISSING", "far_min": 1.0, **done},
        {"parcel_id": "OPEN", "agreed_start_date": "2023-01-01",
         "actual_start_date": "2023-01-01", "agreed_completion_date": "2025-12-31",
         "area_ha": 1.0, "land_price_wan": 800.0, "agreed_investment_wan": 6000.0,
         "actual_investment_wan": 4500.0, "far_min": 1.2, "far_actual": 0.9},
    )  # fmt: skip
    # 800 × (6000 − 4500) / 6000 = 800 × 0.25 = 200
    assert out.at["INV", "investment_shortfall_wan"] == pytest.approx(200.0)
    assert "投资强度违约条款" in out.at["INV", "legal_basis"]
    # 4500 / 1 < 5000 and completed → below_threshold
    assert out.at["INV", "status"] == "below_threshold"
    # 6500 ≥ 6000 → 0
    assert out.at["INV_MET", "investment_shortfall_wan"] == 0.0
    # 800 × (1.2 − 0.9) / 1.2 = 800 × 0.25 = 200
    assert out.at["FAR", "plot_ratio_shortfall_wan"] == pytest.approx(200.0)
    assert "容积率违约条款" in out.at["FAR", "legal_basis"]
    # far_min 0 means no minimum → 0
    assert out.at["FAR_ZERO", "plot_ratio_shortfall_wan"] == 0.0
    # 1.0 ≥ 1.0 → 0
    assert out.at["FAR_MET", "plot_ratio_shortfall_wan"] == 0.0
    # actual plot ratio missing on a completed parcel → null
    assert is_null(out.at["FAR_MISSING", "plot_ratio_shortfall_wan"])
    # not completed: no shortfall charged yet
    assert out.at["OPEN", "investment_shortfall_wan"] == 0.0
    assert out.at["OPEN", "plot_ratio_shortfall_wan"] == 0.0


# ---------------------------------------------------------------- missing inputs and totals


def test_missing_inputs_give_null_amounts_not_zero_and_no_error():
    out = run(
        {"parcel_id": "NOP", "agreed_start_date": "2023-03-01", "start_status": "not_started"},
        {"parcel_id": "NODATE", "start_status": "not_started", "land_price_wan": 1000.0},
        {"parcel_id": "NOP_LATE", "agreed_start_date": "2023-03-01",
         "actual_start_date": "2023-04-10"},
    )  # fmt: skip
    nop = out.loc["NOP"]
    # the rule applies (idle two years) but P is missing → null amounts
    assert nop["status"] == "recovery"
    assert nop["recovery_candidate"]
    assert nop["late_start_days"] == 852.0
    assert is_null(nop["idle_fee_wan"])
    assert is_null(nop["late_start_wan"])
    # nothing non-null to add → 0
    assert nop["total_penalty_wan"] == 0.0
    # no start due date at all: days and amounts unknown → null
    nodate = out.loc["NODATE"]
    assert pd.isna(nodate["start_due_date"])
    assert is_null(nodate["late_start_days"])
    assert is_null(nodate["late_start_wan"])
    assert is_null(nodate["idle_fee_wan"])
    assert nodate["total_penalty_wan"] == 0.0
    # started 40 days late with no price → null, not 0
    assert out.at["NOP_LATE", "late_start_days"] == 40.0
    assert is_null(out.at["NOP_LATE", "late_start_wan"])


def test_total_penalty_sums_the_non_null_amounts():
    out = run(
        {"parcel_id": "SUM", "agreed_start_date": "2023-03-01", "start_status": "not_started",
         "land_price_wan": 1000.0, "price_paid_wan": 600.0, "price_due_date": "2025-05-01"},
        {"parcel_id": "SKIP", "agreed_start_date": "2025-03-01", "start_status": "not_started",
         "land_price_wan": 1000.0, "price_due_date": "2025-05-01"},
        {"parcel_id": "ZERO", "agreed_start_date": "2025-12-01", "start_status": "not_started",
         "land_price_wan": 1000.0, "price_paid_wan": 1000.0, "price_due_date": "2025-05-01"},
    )  # fmt: skip
    # late payment: 2025-05-01 → 2025-06-30 = 60 days; (1000 − 600) × 1‰ × 60 = 24
    assert out.at["SUM", "late_payment_wan"] == pytest.approx(24.0)
    # idle fee 200 + late start 731 (capped at the recovery date 2025-03-01) + late payment 24
    # + 0 + 0 + 0 = 955
    assert out.at["SUM", "total_penalty_wan"] == pytest.approx(955.0)
    # late start 121 + late payment null (nothing paid recorded) skipped = 121
    assert is_null(out.at["SKIP", "late_payment_wan"])
    assert out.at["SKIP", "total_penalty_wan"] == pytest.approx(121.0)
    # not due, fully paid: no rule applies → 0
    assert out.at["ZERO", "total_penalty_wan"] == 0.0


# ---------------------------------------------------------------- statuses


def test_every_status_once_in_one_frame():
    p = {"land_price_wan": 1000.0}
    done = {
        "agreed_start_date": "2022-03-01",
        "actual_start_date": "2022-03-01",
        "agreed_completion_date": "2024-12-31",
        "actual_completion_date": "2024-10-01",
        "area_ha": 2.0,
    }
    out = run(
        {"parcel_id": "REC", "agreed_start_date": "2023-03-01", "start_status": "not_started",
         "area_ha": 1.0, "agreed_investment_wan": 4000.0, **p},
        {"parcel_id": "IDLE", "agreed_start_date": "2024-03-01", "start_status": "not_started",
         **p},
        {"parcel_id": "GOV", "agreed_start_date": "2024-03-01", "start_status": "not_started",
         "gov_cause": True, **p},
        {"parcel_id": "LATE", "agreed_start_date": "2025-03-01", "start_status": "not_started",
         **p},
        {"parcel_id": "UNV", "agreed_start_date": "2025-03-01", "start_status": "unknown", **p},
        {"parcel_id": "LCOMP", "agreed_start_date": "2023-03-01",
         "actual_start_date": "2023-02-15", "agreed_completion_date": "2025-05-31", **p},
        {"parcel_id": "BELOW", "agreed_investment_wan": 9000.0,
         "actual_investment_wan": 9000.0, **done, **p},
        {"parcel_id": "INSUF", "contract_date": "2024-05-01", **p},
        {"parcel_id": "ONT", "agreed_start_date": "2025-12-01", **p},
        {"parcel_id": "COMP", "agreed_investment_wan": 12000.0,
         "actual_investment_wan": 12000.0, **done, **p},
    )  # fmt: skip
    assert out["status"].tolist() == [
        "recovery",  # 2023-03-01 + 2 years ≤ as-of (also below threshold: 4000 < 5000)
        "idle_fee",  # 2024-03-01 + 1 year ≤ as-of < + 2 years
        "gov_delay",  # same, government cause
        "late_start",  # 121 days past due, inspected not started
        "unverified",  # 121 days past due, no evidence
        "late_completion",  # started, 2025-05-31 passed, not completed
        "below_threshold",  # completed, 9000 / 2 = 4500 < 5000
        "insufficient_data",  # no start, delivery or extension date: start due unknown
        "on_track",  # due 2025-12-01
        "compliant",  # completed, 12000 / 2 = 6000 ≥ 5000
    ]
    assert out["status_zh"].tolist() == [
        "拟收回",
        "闲置满一年",
        "政府原因闲置",
        "逾期未开工",
        "待核查",
        "逾期未竣工",
        "投资强度不达标",
        "资料不全",
        "按期推进",
        "已竣工达标",
    ]
    # recovery parcel is below threshold too; the flag is still carried separately
    assert flag(out.at["REC", "below_threshold"]) is True
    # 200 + 731 (capped at 2025-03-01) = 931; 200 + 486 = 686; gov: 0; 121; 121 (hypothetical)
    assert out.at["REC", "total_penalty_wan"] == pytest.approx(931.0)
    assert out.at["IDLE", "total_penalty_wan"] == pytest.approx(686.0)
    assert out.at["GOV", "total_penalty_wan"] == 0.0
    assert out.at["LATE", "total_penalty_wan"] == pytest.approx(121.0)
    assert out.at["UNV", "total_penalty_wan"] == pytest.approx(121.0)
    # 2025-05-31 → 2025-06-30 = 30 days; 1000 × 1‰ × 30 = 30; started before due → 0 late start
    assert out.at["LCOMP", "late_completion_days"] == 30.0
    assert out.at["LCOMP", "total_penalty_wan"] == pytest.approx(30.0)
    # started on the due date, completed before the due date, investment as agreed → 0
    assert out.at["BELOW", "total_penalty_wan"] == 0.0
    assert out.at["COMP", "total_penalty_wan"] == 0.0
    assert out.at["ONT", "total_penalty_wan"] == 0.0
    # only the unverified parcel has unconfirmed amounts
    assert out["amounts_confirmed"].tolist() == [True] * 4 + [False] + [True] * 5
    # nothing to charge without a start due date: 0, and the row says why
    assert out.at["INSUF", "total_penalty_wan"] == 0.0
    assert out.at["INSUF", "data_issues"] == "start_due_unknown;no_area"  # no area given either
    assert "资料不全" in out.at["INSUF", "legal_basis"]
    # the idle_fee parcel names art. 14(1)
    assert "第十四条第（一）项" in out.at["IDLE", "legal_basis"]
    # as-of date written into every row
    assert (out["as_of_date"] == pd.Timestamp(AS_OF)).all()


def test_status_precedence_cases():
    p = {"land_price_wan": 1000.0, "area_ha": 1.0, "agreed_investment_wan": 4000.0}
    out = run(
        {"parcel_id": "IDLE_PAY", "agreed_start_date": "2024-03-01",
         "start_status": "not_started", "price_paid_wan": 0.0,
         "price_due_date": "2024-01-01", **p},
        {"parcel_id": "LATE_BELOW", "agreed_start_date": "2025-03-01",
         "start_status": "not_started", **p},
        {"parcel_id": "UNV_BELOW", "agreed_start_date": "2025-03-01", **p},
        {"parcel_id": "LC_BELOW", "agreed_start_date": "2023-03-01",
         "actual_start_date": "2023-03-01", "agreed_completion_date": "2025-05-31", **p},
        {"parcel_id": "ONT_BELOW", "agreed_start_date": "2025-12-01", **p},
        {"parcel_id": "ONT_STARTED", "agreed_start_date": "2024-03-01",
         "actual_start_date": "2024-02-01", "agreed_completion_date": "2026-03-01",
         "land_price_wan": 1000.0},
    )  # fmt: skip
    # idle one year beats a termination risk (2024-01-01 → 2025-06-30 = 546 days > 60)
    assert out.at["IDLE_PAY", "status"] == "idle_fee"
    assert out.at["IDLE_PAY", "termination_risk"]
    # 4000 / 1 < 5000 everywhere below, but earlier statuses win
    assert out.at["LATE_BELOW", "status"] == "late_start"
    assert out.at["UNV_BELOW", "status"] == "unverified"
    assert out.at["LC_BELOW", "status"] == "late_completion"
    # not yet due but below threshold: below_threshold comes before on_track
    assert out.at["ONT_BELOW", "status"] == "below_threshold"
    assert out["below_threshold"].iloc[:5].tolist() == [True] * 5
    # started on time, within its completion date, intensity unknown → on_track
    assert out.at["ONT_STARTED", "status"] == "on_track"
    assert out.at["ONT_STARTED", "total_penalty_wan"] == 0.0


# ---------------------------------------------------------------- start due: fallback and basis


def test_start_due_falls_back_in_order_and_says_its_basis():
    delivery = {"actual_delivery_date": "2021-05-01", "agreed_delivery_date": "2021-04-01"}
    out = run(
        {"parcel_id": "EXT", "extended_start_date": "2023-07-01",
         "agreed_start_date": "2023-01-01", **delivery},
        {"parcel_id": "AGR", "agreed_start_date": "2023-01-01", **delivery},
        {"parcel_id": "ACT", **delivery},
        {"parcel_id": "AGRDEL", "agreed_delivery_date": "2022-04-01", "land_price_wan": 1000.0},
        {"parcel_id": "LEAP", "agreed_delivery_date": "2024-02-29"},
        {"parcel_id": "SHIFT", "extended_start_date": "2023-07-01",
         "agreed_delivery_date": "2022-01-01", "agreed_completion_date": "2024-12-31"},
        {"parcel_id": "NONE", "agreed_completion_date": "2024-12-31", "land_price_wan": 1000.0},
    )  # fmt: skip
    due = out["start_due_date"].to_dict()
    basis = out["start_due_basis"].astype(object).to_dict()
    # the extension first, then the agreed start, then actual delivery + 1 year, then agreed
    # delivery + 1 year
    assert (due["EXT"], basis["EXT"]) == (pd.Timestamp("2023-07-01"), "extended")
    assert (due["AGR"], basis["AGR"]) == (pd.Timestamp("2023-01-01"), "agreed_start")
    # actual delivery 2021-05-01 + 1 year wins over agreed delivery 2021-04-01 + 1 year
    assert (due["ACT"], basis["ACT"]) == (pd.Timestamp("2022-05-01"), "actual_delivery")
    assert (due["AGRDEL"], basis["AGRDEL"]) == (pd.Timestamp("2023-04-01"), "agreed_delivery")
    # 2024-02-29 + 1 calendar year = 2025-02-28
    assert due["LEAP"] == pd.Timestamp("2025-02-28")
    # the extension replaced agreed delivery 2022-01-01 + 1 year = 2023-01-01: 181 days later;
    # completion due 2024-12-31 + 181 days = 2025-06-30
    assert out.at["SHIFT", "completion_due_date"] == pd.Timestamp("2025-06-30")
    assert pd.isna(due["NONE"]) and basis["NONE"] == "none"

    # an agreed-delivery due date works like any other: no evidence of start, past due
    # 2023-04-01 + 2 years = 2025-04-01 ≤ as-of → would be recovery; the late start accrues
    # until then: 2023-04-01 → 2025-04-01 = 366 + 365 = 731 days → 1000 × 1‰ × 731 = 731
    agrdel = out.loc["AGRDEL"]
    assert agrdel["status"] == "unverified"
    assert agrdel["idle_stage_if_not_started"] == "recovery"
    assert agrdel["late_start_wan"] == pytest.approx(731.0)
    # 0.20 × 1000 + 731 = 931, all of it potential
    assert agrdel["potential_penalty_wan"] == pytest.approx(931.0)
    assert agrdel["confirmed_penalty_wan"] == 0.0
    # nothing to derive a start due from: 资料不全, never 按期推进, and no amount
    none = out.loc["NONE"]
    assert none["status"] == "insufficient_data"
    assert none["status_zh"] == "资料不全"
    assert is_null(none["late_start_wan"]) and is_null(none["idle_fee_wan"])
    assert none["total_penalty_wan"] == 0.0
    assert "start_due_unknown" in none["data_issues"]


def test_start_dates_before_the_contract_are_flagged_and_not_used():
    contract = {"contract_date": "2013-06-01", "area_ha": 1.0, "land_price_wan": 1000.0}
    out = run(
        # 2007 for a 2013 contract: passed over, agreed delivery 2013-09-01 + 1 year is used
        {"parcel_id": "AGR_EARLY", "agreed_start_date": "2007-06-01",
         "agreed_delivery_date": "2013-09-01", **contract},
        {"parcel_id": "AGR_EARLY_ONLY", "agreed_start_date": "2007-06-01", **contract},
        # an extension before the contract is no extension: the agreed start is used and the
        # completion due date is not shifted
        {"parcel_id": "EXT_EARLY", "extended_start_date": "2013-01-01",
         "agreed_start_date": "2013-12-01", "agreed_completion_date": "2015-12-01",
         **contract},
        # on the contract day is not before it
        {"parcel_id": "ON_DAY", "agreed_start_date": "2013-06-01", **contract},
        # actual delivery 2012-03-01 + 1 year = 2013-03-01 < contract: agreed delivery used
        {"parcel_id": "DEL_EARLY", "actual_delivery_date": "2012-03-01",
         "agreed_delivery_date": "2013-07-01", **contract},
        # without a contract date nothing can be checked: the agreed start is used as written
        {"parcel_id": "NO_CONTRACT", "agreed_start_date": "2007-06-01", "area_ha": 1.0,
         "land_price_wan": 1000.0},
        as_of="2014-12-31",
    )  # fmt: skip
    early = out.loc["AGR_EARLY"]
    assert early["start_due_date"] == pd.Timestamp("2014-09-01")
    assert early["start_due_basis"] == "agreed_delivery"
    assert early["data_issues"] == "agreed_start_before_contract"
    # fees from 2014-09-01, not from 2007: 2014-09-01 → 2014-12-31 = 121 days → 121
    assert early["late_start_days"] == 121.0
    assert early["late_start_wan"] == pytest.approx(121.0)
    assert early["status"] == "unverified"

    only = out.loc["AGR_EARLY_ONLY"]
    assert pd.isna(only["start_due_date"])
    assert only["status"] == "insufficient_data"
    assert only["data_issues"] == "start_due_unknown;agreed_start_before_contract"
    assert data_issues_zh(out["data_issues"]).at["AGR_EARLY_ONLY"] == (
        "无法确定应开工日期（无延期开工、约定开工、交地日期）；约定开工日期早于合同签订日期（未采用）"
    )

    ext = out.loc["EXT_EARLY"]
    assert (ext["start_due_date"], ext["start_due_basis"]) == (
        pd.Timestamp("2013-12-01"),
        "agreed_start",
    )
    assert ext["completion_due_date"] == pd.Timestamp("2015-12-01")
    assert ext["data_issues"] == "extended_start_before_contract"

    assert out.at["ON_DAY", "start_due_date"] == pd.Timestamp("2013-06-01")
    assert is_null(out.at["ON_DAY", "data_issues"])

    dele = out.loc["DEL_EARLY"]
    assert dele["start_due_date"] == pd.Timestamp("2014-07-01")
    assert dele["start_due_basis"] == "agreed_delivery"
    assert dele["data_issues"] == "delivery_year_before_contract"

    assert out.at["NO_CONTRACT", "start_due_date"] == pd.Timestamp("2007-06-01")
    assert is_null(out.at["NO_CONTRACT", "data_issues"])


def test_insufficient_data_only_for_parcels_not_known_to_have_started():
    out = run(
        {"parcel_id": "NOTHING"},
        {"parcel_id": "INSP_NS", "start_status": "not_started"},
        {"parcel_id": "GOV", "start_status": "not_started", "gov_cause": True},
        {"parcel_id": "STARTED", "actual_start_date": "2024-01-01"},
        {"parcel_id": "INSP_S", "start_status": "started"},
        {"parcel_id": "DONE", "actual_completion_date": "2025-01-01"},
        {"parcel_id": "BELOW", "area_ha": 1.0, "agreed_investment_wan": 4000.0},
    )
    assert out["status"].astype(object).to_dict() == {
        "NOTHING": "insufficient_data",
        "INSP_NS": "insufficient_data",  # known not started, but since when is unknown
        "GOV": "insufficient_data",  # idle conditions cannot be judged without a due date
        "STARTED": "on_track",  # evidence of start keeps the status it had
        "INSP_S": "on_track",
        "DONE": "compliant",
        "BELOW": "below_threshold",  # 4000 / 1 < 5000: a finding, ranked before 资料不全
    }
    assert out["start_due_date"].isna().all()
    assert out["data_issues"].astype(str).str.startswith("start_due_unknown").all()
    # the status is also the proposed action: complete the dates
    assert "补充" in out.at["NOTHING", "proposed_action"]
    # never 按期推进 without a start due date unless started
    unknown = out["start_due_date"].isna() & ~out["started"]
    assert not (unknown & (out["status"] == "on_track")).any()


# ---------------------------------------------------------------- data issues


def test_data_issues_codes_and_labels():
    out = run(
        {"parcel_id": "OK", "agreed_start_date": "2025-12-01", "area_ha": 1.0,
         "land_price_wan": 100.0},
        {"parcel_id": "NOAREA", "agreed_start_date": "2025-12-01", "land_price_wan": 100.0},
        {"parcel_id": "ZEROPRICE", "agreed_start_date": "2025-12-01", "area_ha": 1.0,
         "land_price_wan": 0.0},
        {"parcel_id": "NOPRICE", "agreed_start_date": "2025-12-01", "area_ha": 1.0},
        {"parcel_id": "BACKWARDS", "agreed_start_date": "2024-06-01",
         "agreed_completion_date": "2024-01-01", "area_ha": 1.0, "land_price_wan": 100.0},
    )  # fmt: skip
    assert out["data_issues"].astype(object).where(out["data_issues"].notna(), None).to_dict() == {
        "OK": None,
        "NOAREA": "no_area",
        "ZEROPRICE": "no_price",
        "NOPRICE": "no_price",
        "BACKWARDS": "completion_before_start",  # completion due 2024-01-01 < start 2024-06-01
    }
    zh = data_issues_zh(out["data_issues"])
    assert zh["NOAREA"] == "面积缺失或为零"
    assert zh["BACKWARDS"] == "应竣工日期早于应开工日期"
    assert pd.isna(zh["OK"])


# ---------------------------------------------------------------- late-fee cap


def _cap_rules(tmp_path, text: str):
    path = tmp_path / "cap.toml"
    path.write_text(f"[rates]\n{text}\n", encoding="utf-8")
    return load_rules(path)


CAP_ROWS = (
    # 2022-01-01 → 2025-06-30 = 365 + 365 + 366 + 180 = 1276 days not started
    {"parcel_id": "LONG", "agreed_start_date": "2022-01-01", "start_status": "not_started",
     "land_price_wan": 1000.0},
    # 2025-03-01 → 2025-06-30 = 121 days: under every cap
    {"parcel_id": "SHORT", "agreed_start_date": "2025-03-01", "start_status": "not_started",
     "land_price_wan": 1000.0},
    # started on time, completion due 2021-01-01, not completed:
    # 2021-01-01 → 2025-06-30 = 365 + 365 + 365 + 366 + 180 = 1641 days late
    {"parcel_id": "LC", "agreed_start_date": "2020-01-01", "actual_start_date": "2020-01-01",
     "agreed_completion_date": "2021-01-01", "land_price_wan": 1000.0},
    {"parcel_id": "GOV", "agreed_start_date": "2022-01-01", "start_status": "not_started",
     "gov_cause": True, "land_price_wan": 1000.0},
)  # fmt: skip


@pytest.mark.parametrize(
    ("setting", "long_start", "lc_completion"),
    [
        # no limit: 1000 × 1‰ × 1276 = 1276; 1000 × 1‰ × 1641 = 1641
        ('late_fee_cap = "none"', 1276.0, 1641.0),
        # until due + 2 years: 2022-01-01 → 2024-01-01 = 730 days → 730;
        # 2021-01-01 → 2023-01-01 = 730 days → 730
        ('late_fee_cap = "recovery"', 730.0, 730.0),
        # at most 0.5 × 1000 = 500 each
        ('late_fee_cap = "price_share"\nlate_fee_cap_share = 0.5', 500.0, 500.0),
        # the default share is the whole price: min(1276, 1000) = 1000; min(1641, 1000) = 1000
        ('late_fee_cap = "price_share"', 1000.0, 1000.0),
    ],
)
def test_late_fee_cap(tmp_path, setting, long_start, lc_completion):
    out = run(*CAP_ROWS, rules=_cap_rules(tmp_path, setting))
    capped_mode = "none" not in setting
    # the days stay the days elapsed; only the amount is capped
    assert out.at["LONG", "late_start_days"] == 1276.0
    assert out.at["LONG", "late_start_wan"] == pytest.approx(long_start)
    assert bool(out.at["LONG", "late_fee_capped"]) is capped_mode
    # recovery stage, confirmed: idle fee 0.20 × 1000 = 200 on top
    assert out.at["LONG", "total_penalty_wan"] == pytest.approx(200.0 + long_start)
    assert out.at["LONG", "confirmed_penalty_wan"] == pytest.approx(200.0 + long_start)
    assert out.at["LC", "late_completion_days"] == 1641.0
    assert out.at["LC", "late_completion_wan"] == pytest.approx(lc_completion)
    assert bool(out.at["LC", "late_fee_capped"]) is capped_mode
    # under every cap: 1000 × 1‰ × 121 = 121, not capped
    assert out.at["SHORT", "late_start_wan"] == pytest.approx(121.0)
    assert not out.at["SHORT", "late_fee_capped"]
    # a government cause removes the fee: nothing to cap
    assert out.at["GOV", "late_start_wan"] == 0.0
    assert not out.at["GOV", "late_fee_capped"]


def test_the_default_cap_is_the_recovery_date():
    rules = load_rules()
    assert rules.rates.late_fee_cap == "recovery"
    assert rules.rates.late_fee_cap_share == 1.0


# ---------------------------------------------------------------- confirmed and potential money


def test_confirmed_and_potential_totals_never_mix():
    out = run(
        # inspected, not started, one year idle: 0.20 × 1000 + 1000 × 1‰ × 486 = 686 confirmed
        {"parcel_id": "CONF", "agreed_start_date": "2024-03-01", "start_status": "not_started",
         "land_price_wan": 1000.0},
        # no evidence: the same 686 would apply if found not started
        {"parcel_id": "POT", "agreed_start_date": "2024-03-01", "land_price_wan": 1000.0},
        {"parcel_id": "ZERO", "agreed_start_date": "2025-12-01", "land_price_wan": 1000.0},
    )  # fmt: skip
    got = out[["total_penalty_wan", "confirmed_penalty_wan", "potential_penalty_wan"]]
    assert got.loc["CONF"].tolist() == pytest.approx([686.0, 686.0, 0.0])
    assert got.loc["POT"].tolist() == pytest.approx([686.0, 0.0, 686.0])
    assert got.loc["ZERO"].tolist() == [0.0, 0.0, 0.0]
    assert out["amounts_confirmed"].tolist() == [True, False, True]


# ---------------------------------------------------------------- where: regions and groups


def test_region_columns_and_area_group_from_the_supervision_number():
    out = run(
        {"parcel_id": "A", "supervision_no": "4201152016B00001"},
        {"parcel_id": "B", "supervision_no": "4201152016B00002", "park": "东湖高新区"},
        {"parcel_id": "C", "supervision_no": "9912342016B00001"},
        {"parcel_id": "D", "park": "  "},
    )
    a = out.loc["A"]
    assert (a["region_code"], a["province"], a["city"], a["county"]) == (
        "420115",
        "湖北省",
        "武汉市",
        "江夏区",
    )
    assert a["region_label"] == "湖北省武汉市江夏区"
    assert a["area_group"] == "湖北省武汉市江夏区"  # no park: the county
    assert out.at["B", "area_group"] == "东湖高新区"  # the park wins
    assert out.at["B", "region_label"] == "湖北省武汉市江夏区"  # and the region is still there
    # 99 is no province: region unknown, flagged; grouped as （未指定园区）
    assert is_null(out.at["C", "region_label"])
    assert "region_unknown" in out.at["C", "data_issues"]
    assert out.at["C", "area_group"] == "（未指定园区）"
    # no supervision number, a blank park: nothing to flag about the region
    assert out.at["D", "area_group"] == "（未指定园区）"
    assert "region_unknown" not in out.at["D", "data_issues"]
