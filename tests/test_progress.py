"""Progress classes (``progress``): 推进超过 / 正常 / 滞后 / 无进展, and 待核查 where nothing is
known, as the ``[progress]`` table of the rules defines them, worked by hand as of 2025-06-30.

Each parcel below says why it gets its class; dates are chosen so that one condition decides.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from test_analysis import run

from landuse.rules_file import load_rules
from landuse.vocab import PROGRESS_ZH

AS_OF = "2025-06-30"

PARCELS = [
    # completed 2025-03-01, due 2025-12-31; started 2024-01-01 on its due date: 推进超过
    {
        "parcel_id": "AHEAD",
        "agreed_start_date": "2024-01-01",
        "actual_start_date": "2024-01-01",
        "agreed_completion_date": "2025-12-31",
        "actual_completion_date": "2025-03-01",
    },
    # completed on its due date 2025-03-01: on time, not ahead: 正常
    {
        "parcel_id": "ONTIME",
        "agreed_start_date": "2024-01-01",
        "actual_start_date": "2024-01-01",
        "agreed_completion_date": "2025-03-01",
        "actual_completion_date": "2025-03-01",
    },
    # started 2024-01-01, due to complete 2026-12-31, not completed: within its dates: 正常
    {
        "parcel_id": "BUILDING",
        "agreed_start_date": "2024-01-01",
        "actual_start_date": "2024-01-01",
        "agreed_completion_date": "2026-12-31",
    },
    # start due 2025-12-31, not started: not yet due: 正常
    {"parcel_id": "NOTDUE", "agreed_start_date": "2025-12-31", "start_status": "not_started"},
    # started 2024-03-01, two months after its due date 2024-01-01: 滞后
    {
        "parcel_id": "LATESTART",
        "agreed_start_date": "2024-01-01",
        "actual_start_date": "2024-03-01",
        "agreed_completion_date": "2026-12-31",
    },
    # started in time, completion due 2025-01-01 passed, not completed: 滞后
    {
        "parcel_id": "OVERDUE",
        "agreed_start_date": "2023-01-01",
        "actual_start_date": "2023-01-01",
        "agreed_completion_date": "2025-01-01",
    },
    # completed early (2025-03-01, due 2025-12-31) but started late: 滞后, not 推进超过
    {
        "parcel_id": "EARLYLATE",
        "agreed_start_date": "2024-01-01",
        "actual_start_date": "2024-02-01",
        "agreed_completion_date": "2025-12-31",
        "actual_completion_date": "2025-03-01",
    },
    # inspected not started, start due 2025-01-01 passed: 无进展
    {"parcel_id": "STILL", "agreed_start_date": "2025-01-01", "start_status": "not_started"},
    # no evidence, start due 2025-01-01 passed: 待核查 (never 无进展 without an inspection)
    {"parcel_id": "UNKNOWN", "agreed_start_date": "2025-01-01"},
    # no due date at all and no evidence: nothing is overdue: 正常
    {"parcel_id": "NODATES"},
]

EXPECTED = {
    "AHEAD": "ahead",
    "ONTIME": "normal",
    "BUILDING": "normal",
    "NOTDUE": "normal",
    "LATESTART": "behind",
    "OVERDUE": "behind",
    "EARLYLATE": "behind",
    "STILL": "no_progress",
    "UNKNOWN": "unverified",
    "NODATES": "normal",
}


def test_each_class_by_hand():
    out = run(*PARCELS, as_of=AS_OF)
    assert out["progress"].astype(str).to_dict() == EXPECTED
    assert out["progress_zh"].astype(str).to_dict() == {
        k: PROGRESS_ZH[v] for k, v in EXPECTED.items()
    }
    assert PROGRESS_ZH["ahead"] == "推进超过" and PROGRESS_ZH["no_progress"] == "无进展"


def test_the_rules_file_moves_the_lines(tmp_path: Path):
    rules_file = tmp_path / "rules.toml"
    # 300 days ahead needed: AHEAD (305 days early: 2025-03-01 → 2025-12-31) still is,
    # 60 days' grace: LATESTART (60 days late: 2024-01-01 → 2024-03-01) is no longer behind
    rules_file.write_text("[progress]\nahead_days = 300\nstart_grace_days = 60\n")
    rules = load_rules(rules_file)
    assert (rules.progress.ahead_days, rules.progress.start_grace_days) == (300, 60)
    out = run(*PARCELS, as_of=AS_OF, rules=rules)["progress"].astype(str)
    assert out["AHEAD"] == "ahead" and out["LATESTART"] == "normal"
    # EARLYLATE started 31 days late (2024-01-01 → 2024-02-01): within the grace, and
    # completed 305 days early: now ahead
    assert out["EARLYLATE"] == "ahead"
    rules_file.write_text("[progress]\nahead_days = 306\n")
    out = run(*PARCELS, as_of=AS_OF, rules=load_rules(rules_file))["progress"].astype(str)
    assert out["AHEAD"] == "normal"  # 305 days early is not 306


def test_the_defaults_are_in_the_packaged_rules_file():
    packaged = Path(__file__).resolve().parents[1] / "landuse" / "default_rules.toml"
    assert tomllib.loads(packaged.read_text(encoding="utf-8"))["progress"] == {
        "ahead_days": 0,
        "start_grace_days": 0,
    }
