"""Ranking per run and warnings over runs (landuse/ranking.py), worked by hand.

Two parks of 10 ha each over five runs; the default score is the share of a park's area that is
拟收回, 闲置满一年, 逾期未开工 or 逾期未竣工, the target 10 %:

| run | 甲 idle/overdue ha → score | 乙 → score | last | streak after the run |
|---|---|---|---|---|
| 1 | 2 → 0.20 | 0 → 0 | 甲 (misses) | 甲 [1] |
| 2 | 3 → 0.30 | 0 → 0 | 甲 (misses) | 甲 [1, 2]: 黄色预警 |
| 3 | 3 → 0.30 | 5 → 0.50 | 乙 (misses) | 乙 [3] (甲's ends) |
| 4 | 0 → 0 | 5 → 0.50 | 乙 | 乙 [3, 4]: 黄色预警 |
| 5 | 0 → 0 | 5 → 0.50 | 乙 | 乙 [3, 4, 5]: 红色预警 |
"""

from __future__ import annotations

import pandas as pd
import pytest

from landuse.errors import InputError
from landuse.ranking import rank, ranking_document, warnings
from landuse.rules_file import load_rules
from landuse.source import RunInfo


def park(name: str, bad_ha: float, status: str = "idle_fee") -> pd.DataFrame:
    """10 ha of ``name``: ``bad_ha`` in ``status``, the rest on track, in 1 ha parcels."""
    bad = int(bad_ha)
    return pd.DataFrame(
        {
            "area_group": name,
            "park": name,
            "status": [status] * bad + ["on_track"] * (10 - bad),
            "area_ha": 1.0,
        }
    )


RUNS = [
    pd.concat([park("甲", 2), park("乙", 0)]),
    pd.concat([park("甲", 3, "late_start"), park("乙", 0)]),
    pd.concat([park("甲", 3, "recovery"), park("乙", 5, "late_completion")]),
    pd.concat([park("甲", 0), park("乙", 5)]),
    pd.concat([park("甲", 0), park("乙", 5)]),
]


def infos(n: int) -> list[RunInfo]:
    return [RunInfo(i, f"2025-{i:02d}-28", None, 20) for i in range(1, n + 1)]


def test_rank_one_run():
    table = rank(RUNS[2], load_rules()).set_index("group")
    assert table.loc["甲", "score"] == pytest.approx(0.30)
    assert table.loc["乙", "score"] == pytest.approx(0.50)
    assert (table.loc["甲", "rank"], table.loc["乙", "rank"]) == (1, 2)
    assert table["last"].to_dict() == {"甲": False, "乙": True}
    assert table["missed_target"].to_dict() == {"甲": True, "乙": True}


@pytest.mark.parametrize(
    ("upto", "expected"),
    [
        (1, []),
        (2, [("甲", "yellow", (1, 2))]),
        (3, []),
        (4, [("乙", "yellow", (3, 4))]),
        (5, [("乙", "red", (3, 4, 5))]),
    ],
)
def test_warnings_follow_the_streaks(upto, expected):
    rules = load_rules()
    rankings = [(info, rank(frame, rules)) for info, frame in zip(infos(upto), RUNS, strict=False)]
    assert [(w.group, w.level, w.runs) for w in warnings(rankings)] == expected


def test_a_fourth_run_gives_an_organisational_proposal():
    rules = load_rules()
    frames = [*RUNS[2:], RUNS[4]]  # 乙 last and missing in runs 1-4
    rankings = [(info, rank(frame, rules)) for info, frame in zip(infos(4), frames, strict=True)]
    (alert,) = warnings(rankings)
    assert (alert.group, alert.level, alert.level_zh, alert.runs) == (
        "乙",
        "organisational",
        "组织处理建议",
        (1, 2, 3, 4),
    )


def test_last_but_on_target_and_unestablished_statuses_give_no_warning():
    rules = load_rules()
    # 甲 0.05 ≤ 0.10: last, on target. 乙: 待核查 and 政府原因闲置 do not count by default
    frames = [
        pd.concat([park("甲", 0), park("乙", 5, "unverified")]),
        pd.concat([park("甲", 0), park("乙", 5, "gov_delay")]),
    ]
    for frame in frames:
        table = rank(frame, rules)
        assert table["score"].tolist() == [0.0, 0.0] and table["last"].all()
    one = pd.concat([park("甲", 1), park("乙", 0)])
    one.loc[one.index[:1], "area_ha"] = 0.5  # 0.5 of 9.5 ha = 0.0526
    table = rank(one, rules).set_index("group")
    assert table.loc["甲", "last"] and not table.loc["甲", "missed_target"]
    rankings = [(info, rank(one, rules)) for info in infos(3)]
    assert warnings(rankings) == []


def test_one_group_is_never_last_and_the_column_must_exist(tmp_path):
    table = rank(park("甲", 5), load_rules())
    assert not table["last"].any() and table["missed_target"].all()
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text('[ranking]\ngroup_by = "responsible_unit"\n', encoding="utf-8")
    with pytest.raises(InputError, match="responsible_unit"):
        rank(park("甲", 5), load_rules(rules_file))
    rules_file.write_text('[ranking]\nscore_statuses = ["idle"]\n', encoding="utf-8")
    with pytest.raises(InputError, match="idle"):
        load_rules(rules_file)


def test_a_group_without_area_is_not_ranked_and_never_last():
    """丙 has a parcel but no area: no score, so no rank, and 甲 (3 of 10 ha = 0.30, missing
    the 0.10 target) stays last; two such runs give 甲 its 黄色预警."""
    rules = load_rules()
    no_area = pd.DataFrame(
        {"area_group": ["丙"], "park": ["丙"], "status": ["idle_fee"], "area_ha": [None]}
    )
    frame = pd.concat([park("甲", 3), park("乙", 0), no_area])
    table = rank(frame, rules)
    assert table["group"].tolist() == ["乙", "甲", "丙"]  # the unscored group after the others
    by_group = table.set_index("group")
    assert pd.isna(by_group.loc["丙", "score"]) and pd.isna(by_group.loc["丙", "rank"])
    assert by_group["last"].to_dict() == {"乙": False, "甲": True, "丙": False}
    rankings = [(info, rank(frame, rules)) for info in infos(2)]
    assert [(w.group, w.level, w.runs) for w in warnings(rankings)] == [("甲", "yellow", (1, 2))]
    doc = ranking_document(rankings, rules)
    assert [(r["group"], r["rank"], r["last"]) for r in doc["ranking"]] == [
        ("乙", 1, False),
        ("甲", 2, True),
        ("丙", None, False),
    ]
    # one group with a score and one without: nobody is last
    alone = rank(pd.concat([park("甲", 3), no_area]), rules)
    assert not alone["last"].any()
