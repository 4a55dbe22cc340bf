"""The closed vocabularies (landuse.vocab): labels, precedence, helpers, and that the analysis
writes only their values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landuse import schema, vocab
from landuse.analysis import analyse
from landuse.rules_file import load_rules
from landuse.vocab import (
    COLUMN_VOCABULARIES,
    LABELS_ZH,
    STATUS_PRECEDENCE,
    DataIssue,
    IdleStage,
    StartDueBasis,
    Status,
    accepted_values,
    code_of,
    data_issues_zh,
    has_code,
    join_codes,
    label_zh,
    labels_zh,
)


def test_every_value_of_every_vocabulary_has_one_chinese_label():
    for enum, labels in LABELS_ZH.items():
        assert set(labels) == {v.value for v in enum}, enum.__name__
        assert all(isinstance(text, str) and text for text in labels.values()), enum.__name__


def test_the_schema_names_other_modules_import_still_work():
    assert schema.Status is vocab.Status
    assert schema.STATUS_ORDER == vocab.STATUS_ORDER
    assert schema.STATUS_ZH == vocab.STATUS_ZH
    assert schema.STATUS_ZH["unverified"] == "待核查"
    assert schema.Status.RECOVERY == "recovery"


def test_status_precedence_is_one_ordered_table():
    order = [status for status, _, _ in STATUS_PRECEDENCE]
    assert order == list(Status)
    assert vocab.STATUS_ORDER == (
        "recovery",
        "idle_fee",
        "gov_delay",
        "late_start",
        "unverified",
        "late_completion",
        "below_threshold",
        "insufficient_data",
        "on_track",
        "compliant",
    )
    assert vocab.STATUS_ZH["insufficient_data"] == "资料不全"


def test_label_helpers():
    assert label_zh(IdleStage, "recovery") == "闲置满两年"
    assert label_zh("idle_stage_if_not_started", "idle_fee") == "闲置满一年"
    assert label_zh(StartDueBasis, StartDueBasis.AGREED_DELIVERY) == "约定交地时间加一年"
    assert label_zh(Status, "insufficient_data") == "资料不全"
    assert label_zh("start_evidence", "completion") == "实际竣工日期"
    assert label_zh("status", "not_a_status") == "not_a_status"  # shown as it is
    assert label_zh("no_such_column", "x") == "x"
    assert label_zh(Status, None) == ""
    assert label_zh(Status, np.nan) == ""
    shown = labels_zh("area_source", pd.Series(["geometry", None, "odd"], dtype=object))
    assert shown.tolist()[0] == "图形"
    assert pd.isna(shown.iloc[1])
    assert shown.iloc[2] == "odd"
    assert labels_zh("data_issues", pd.Series(["no_area;no_price"]))[0] == (
        "面积缺失或为零；成交价格缺失或为零"
    )


def test_filter_values_are_codes_or_their_chinese_labels():
    assert code_of(Status, "unverified") == "unverified"
    assert code_of(Status, "待核查") == "unverified"
    assert code_of(IdleStage, "闲置满两年") == "recovery"
    assert code_of(IdleStage, "拟收回") is None  # a status label, not an idle stage
    assert code_of(Status, "Unverified") is None
    assert code_of(Status, "") is None
    values = accepted_values(IdleStage)
    assert values == (
        "none",
        "late_start",
        "idle_fee",
        "recovery",
        "未闲置",
        "逾期未开工",
        "闲置满一年",
        "闲置满两年",
    )


def test_coded_columns_have_value_labels_for_every_vocabulary():
    for column, enum in COLUMN_VOCABULARIES.items():
        assert vocab.VALUE_LABELS_ZH[column] == LABELS_ZH[enum]
    assert vocab.VALUE_LABELS_ZH["severity"]["warning"] == "警告"


def test_codes_are_joined_in_order_and_found_whole():
    joined = join_codes(
        [
            ("start_due_unknown", np.array([True, False, False])),
            ("no_price", np.array([True, True, False])),
        ],
        3,
    )
    assert list(joined.astype(object)[:2]) == ["start_due_unknown;no_price", "no_price"]
    assert pd.isna(joined[2])
    codes = pd.Series(["no_price", "start_due_unknown;no_price", "no_price_x", None])
    assert has_code(codes, "no_price").tolist() == [True, True, False, False]
    # no code is a part of another: a search for one never finds another
    values = [c.value for c in DataIssue]
    for code in values:
        assert not has_code(pd.Series([";".join(v for v in values if v != code)]), code)[0]
    assert pd.isna(data_issues_zh(pd.Series([None], dtype="string"))[0])


# every coded column the analysis writes holds values of its vocabulary only
ROWS = (
    {"parcel_id": "A", "agreed_start_date": "2023-03-01", "start_status": "not_started",
     "land_price_wan": 1000.0, "area_ha": 1.0, "agreed_investment_wan": 4000.0},
    {"parcel_id": "B", "agreed_start_date": "2025-03-01", "land_price_wan": 1000.0},
    {"parcel_id": "C", "actual_delivery_date": "2024-01-01", "geometry_area_ha": 2.0,
     "area_ha": 1.0, "actual_investment_wan": 12000.0},
    {"parcel_id": "D", "agreed_delivery_date": "2024-01-01", "start_status": "started"},
    {"parcel_id": "E", "actual_completion_date": "2024-01-01", "developed_area_ha": 0.1,
     "area_ha": 1.0, "invested_ex_land_wan": 1.0, "total_investment_ex_land_wan": 100.0,
     "suspended_since": "2022-01-01"},
    {"parcel_id": "F", "extended_start_date": "2025-12-01", "gov_cause": True},
    {"parcel_id": "G"},
)  # fmt: skip


def _frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows))
    for name in frame.columns:
        if name.endswith("_date") or name == "suspended_since":
            frame[name] = pd.to_datetime(frame[name]).astype("datetime64[ns]")
        elif name in ("parcel_id", "start_status"):
            frame[name] = frame[name].astype("string")
        elif name == "gov_cause":
            frame[name] = frame[name].eq(True)
        else:
            frame[name] = frame[name].astype("float64")
    return frame.set_index(pd.Index(frame["parcel_id"].tolist()))


@pytest.mark.parametrize("column", sorted(COLUMN_VOCABULARIES))
def test_analysis_writes_only_vocabulary_values(column):
    out = analyse(_frame(ROWS), "2025-06-30", load_rules())
    values = set(out[column].dropna().astype(str))
    assert values, column
    assert values <= {v.value for v in COLUMN_VOCABULARIES[column]}, column
    codes = {c for text in out["data_issues"].dropna().astype(str) for c in text.split(";")}
    assert codes <= {c.value for c in DataIssue}
