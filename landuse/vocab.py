"""The closed vocabularies of the result columns, their Chinese labels and the status precedence.

Every coded column of the results (``status``, ``idle_stage``, ``start_evidence`` ...) takes its
values from one :class:`enum.StrEnum` here, and each value has one Chinese label, kept beside
the enum. :data:`STATUS_PRECEDENCE` is the order in which the status conditions are evaluated
(first match wins); :mod:`landuse.analysis` builds one mask per status and evaluates them in this
order. Column names and code values are a public interface (RULES.md); labels are for display.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # numpy and pandas are imported by the functions that use them
    import numpy as np
    import pandas as pd


class Status(StrEnum):
    """One status per parcel, in order of precedence (first match wins)."""

    RECOVERY = "recovery"
    IDLE_FEE = "idle_fee"
    GOV_DELAY = "gov_delay"
    LATE_START = "late_start"
    UNVERIFIED = "unverified"
    LATE_COMPLETION = "late_completion"
    BELOW_THRESHOLD = "below_threshold"
    INSUFFICIENT_DATA = "insufficient_data"
    ON_TRACK = "on_track"
    COMPLIANT = "compliant"


STATUS_PRECEDENCE: tuple[tuple[Status, str, str], ...] = (
    (Status.RECOVERY, "拟收回", "idle two years (not started, or partly developed), no gov cause"),
    (Status.IDLE_FEE, "闲置满一年", "idle one year, no government cause"),
    (Status.GOV_DELAY, "政府原因闲置", "idle conditions met, government cause"),
    (Status.LATE_START, "逾期未开工", "inspected not started, past start due, under one year"),
    (Status.UNVERIFIED, "待核查", "past start due, no evidence of start"),
    (Status.LATE_COMPLETION, "逾期未竣工", "started, past completion due, not completed"),
    (Status.BELOW_THRESHOLD, "投资强度不达标", "intensity below the applicable threshold"),
    (Status.INSUFFICIENT_DATA, "资料不全", "not started (or no evidence) and start due unknown"),
    (Status.ON_TRACK, "按期推进", "not completed: not yet due, or started within its dates"),
    (Status.COMPLIANT, "已竣工达标", "otherwise: completed, meets the threshold"),
)
"""``(status, Chinese label, condition)`` in order of precedence: the first condition that holds
gives the status; the last one is the default."""

STATUS_ORDER: tuple[str, ...] = tuple(s.value for s, _, _ in STATUS_PRECEDENCE)
STATUS_ZH: dict[str, str] = {s: zh for s, zh, _ in STATUS_PRECEDENCE}
assert tuple(s.value for s in Status) == STATUS_ORDER, "Status lists the statuses in precedence"


class Progress(StrEnum):
    """``progress``: the construction progress class of the municipal ranking
    (推进超过 / 正常 / 滞后 / 无进展), as the ``[progress]`` table of the rules defines it;
    ``unverified`` where the start is due and nothing says whether it happened (待核查: not
    ranked as 无进展 before an inspection)."""

    AHEAD = "ahead"
    NORMAL = "normal"
    BEHIND = "behind"
    NO_PROGRESS = "no_progress"
    UNVERIFIED = "unverified"


PROGRESS_ZH: dict[str, str] = {
    Progress.AHEAD: "推进超过",
    Progress.NORMAL: "正常",
    Progress.BEHIND: "滞后",
    Progress.NO_PROGRESS: "无进展",
    Progress.UNVERIFIED: "待核查",
}
PROGRESS_ORDER: tuple[str, ...] = tuple(p.value for p in Progress)


class IdleStage(StrEnum):
    """``idle_stage`` / ``idle_stage_if_not_started``: the stage by elapsed time (or partial
    development); missing when the start due date is unknown."""

    NONE = "none"
    LATE_START = "late_start"
    IDLE_FEE = "idle_fee"
    RECOVERY = "recovery"


class IdleBasis(StrEnum):
    """``idle_basis``: why an idle parcel is idle (missing when it is not idle)."""

    NOT_STARTED = "not_started"
    PARTIAL = "partial"


class StartEvidence(StrEnum):
    """``start_evidence``: what is known about the start (RULES.md section 4)."""

    ACTUAL_START = "actual_start"
    COMPLETION = "completion"
    INSPECTION = "inspection"
    BUILDINGS = "buildings"
    NONE = "none"


class StartStatus(StrEnum):
    """``start_status``: the inspection finding as read from the input."""

    STARTED = "started"
    NOT_STARTED = "not_started"
    UNKNOWN = "unknown"


class StartDueBasis(StrEnum):
    """``start_due_basis``: where ``start_due_date`` comes from, in order of use."""

    EXTENDED = "extended"
    AGREED_START = "agreed_start"
    ACTUAL_DELIVERY = "actual_delivery"
    AGREED_DELIVERY = "agreed_delivery"
    NONE = "none"


class IntensityBasis(StrEnum):
    """``intensity_basis``: which investment the intensity uses."""

    ACTUAL = "actual"
    AGREED = "agreed"
    NONE = "none"


class ThresholdSource(StrEnum):
    """``threshold_source``: which rule of the rules file gives the intensity threshold."""

    PARK_INDUSTRY = "park_industry"
    PARK = "park"
    INDUSTRY = "industry"
    DEFAULT = "default"


class AreaSource(StrEnum):
    """``area_source``: where ``area_ha`` comes from."""

    GEOMETRY = "geometry"
    DECLARED = "declared"
    NONE = "none"


class AreaGroupKind(StrEnum):
    """What ``area_group`` names: a park, a region (from the supervision number) or neither."""

    PARK = "park"
    REGION = "region"
    NONE = "none"


class LateFeeCap(StrEnum):
    """``[rates] late_fee_cap`` of the rules file: how far late-start and late-completion fees
    accrue."""

    NONE = "none"
    RECOVERY = "recovery"
    PRICE_SHARE = "price_share"


class DataIssue(StrEnum):
    """Codes of ``data_issues`` (joined by ``;`` in the order of this enum)."""

    START_DUE_UNKNOWN = "start_due_unknown"
    EXTENDED_START_BEFORE_CONTRACT = "extended_start_before_contract"
    AGREED_START_BEFORE_CONTRACT = "agreed_start_before_contract"
    DELIVERY_YEAR_BEFORE_CONTRACT = "delivery_year_before_contract"
    COMPLETION_BEFORE_START = "completion_before_start"
    DATE_IMPLAUSIBLE = "date_implausible"
    NO_AREA = "no_area"
    NO_PRICE = "no_price"
    INDUSTRY_UNMATCHED = "industry_unmatched"
    REGION_UNKNOWN = "region_unknown"


DATA_ISSUE_SEPARATOR = ";"

LABELS_ZH: dict[type[StrEnum], dict[str, str]] = {
    Status: STATUS_ZH,
    Progress: PROGRESS_ZH,
    IdleStage: {
        IdleStage.NONE: "未闲置",
        IdleStage.LATE_START: "逾期未开工",
        IdleStage.IDLE_FEE: "闲置满一年",
        IdleStage.RECOVERY: "闲置满两年",
    },
    IdleBasis: {IdleBasis.NOT_STARTED: "未动工开发", IdleBasis.PARTIAL: "部分开发（裁量认定）"},
    StartEvidence: {
        StartEvidence.ACTUAL_START: "实际开工日期",
        StartEvidence.COMPLETION: "实际竣工日期",
        StartEvidence.INSPECTION: "核查结论",
        StartEvidence.BUILDINGS: "建筑物调查（覆盖率达标）",
        StartEvidence.NONE: "无",
    },
    StartStatus: {
        StartStatus.STARTED: "已开工",
        StartStatus.NOT_STARTED: "未开工",
        StartStatus.UNKNOWN: "未知",
    },
    StartDueBasis: {
        StartDueBasis.EXTENDED: "延期开工时间",
        StartDueBasis.AGREED_START: "约定开工时间",
        StartDueBasis.ACTUAL_DELIVERY: "实际交地时间加一年",
        StartDueBasis.AGREED_DELIVERY: "约定交地时间加一年",
        StartDueBasis.NONE: "无法确定",
    },
    IntensityBasis: {
        IntensityBasis.ACTUAL: "实际投资",
        IntensityBasis.AGREED: "约定投资",
        IntensityBasis.NONE: "无",
    },
    ThresholdSource: {
        ThresholdSource.PARK_INDUSTRY: "园区+行业标准",
        ThresholdSource.PARK: "园区标准",
        ThresholdSource.INDUSTRY: "行业标准",
        ThresholdSource.DEFAULT: "默认标准",
    },
    AreaSource: {AreaSource.GEOMETRY: "图形", AreaSource.DECLARED: "申报", AreaSource.NONE: "无"},
    AreaGroupKind: {
        AreaGroupKind.PARK: "园区",
        AreaGroupKind.REGION: "行政区",
        AreaGroupKind.NONE: "未指定",
    },
    LateFeeCap: {
        LateFeeCap.NONE: "不封顶",
        LateFeeCap.RECOVERY: "计至拟收回日（应开工或应竣工日后满两年）",
        LateFeeCap.PRICE_SHARE: "不超过出让价款的一定比例",
    },
    DataIssue: {
        DataIssue.START_DUE_UNKNOWN: "无法确定应开工日期（无延期开工、约定开工、交地日期）",
        DataIssue.EXTENDED_START_BEFORE_CONTRACT: "延期开工日期早于合同签订日期（未采用）",
        DataIssue.AGREED_START_BEFORE_CONTRACT: "约定开工日期早于合同签订日期（未采用）",
        DataIssue.DELIVERY_YEAR_BEFORE_CONTRACT: "交地日期早于合同签订日期一年以上（未采用）",
        DataIssue.COMPLETION_BEFORE_START: "应竣工日期早于应开工日期",
        DataIssue.DATE_IMPLAUSIBLE: "日期超出合理范围（按缺失处理）",
        DataIssue.NO_AREA: "面积缺失或为零",
        DataIssue.NO_PRICE: "成交价格缺失或为零",
        DataIssue.INDUSTRY_UNMATCHED: "行业分类无法对应行业代码",
        DataIssue.REGION_UNKNOWN: "电子监管号无法确定行政区",
    },
}
"""Chinese label of every value of every vocabulary."""

NO_AREA_GROUP = "（未指定园区）"
"""``area_group`` of a parcel with neither a park nor a known region."""

# Result columns (and report columns) whose values come from a vocabulary.
COLUMN_VOCABULARIES: dict[str, type[StrEnum]] = {
    "status": Status,
    "progress": Progress,
    "idle_stage": IdleStage,
    "idle_stage_if_not_started": IdleStage,
    "idle_basis": IdleBasis,
    "start_evidence": StartEvidence,
    "start_status": StartStatus,
    "start_due_basis": StartDueBasis,
    "intensity_basis": IntensityBasis,
    "threshold_source": ThresholdSource,
    "area_source": AreaSource,
}

VALUE_LABELS_ZH: dict[str, dict[str, str]] = {
    **{column: dict(LABELS_ZH[vocab]) for column, vocab in COLUMN_VOCABULARIES.items()},
    "input_kind": {"ledger": "台账", "layer": "图层"},
    "severity": {"info": "提示", "warning": "警告", "error": "错误"},
}
"""Column name -> code value -> Chinese label, for every coded column a table shows
(``data_issues`` holds several codes: see :func:`data_issues_zh`)."""


def label_zh(vocab: type[StrEnum] | str, value: object) -> str:
    """The Chinese label of ``value`` in ``vocab`` (an enum class of this module, or a column
    name of :data:`VALUE_LABELS_ZH`). A value without a label is returned as text; a missing
    value gives ``""``."""
    if value is None or (isinstance(value, float) and value != value):  # None or NaN
        return ""
    pandas = sys.modules.get("pandas")  # pd.NA exists only once pandas is loaded
    if pandas is not None and value is pandas.NA:
        return ""
    table = VALUE_LABELS_ZH.get(vocab, {}) if isinstance(vocab, str) else LABELS_ZH[vocab]
    text = str(value)
    return table.get(text, text)


def accepted_values(vocab: type[StrEnum]) -> tuple[str, ...]:
    """What a filter on a coded column accepts: the codes of ``vocab``, then their Chinese
    labels (``unverified`` or ``待核查``)."""
    codes = tuple(v.value for v in vocab)
    return codes + tuple(label for label in LABELS_ZH[vocab].values() if label not in codes)


def code_of(vocab: type[StrEnum], text: str) -> str | None:
    """The code ``text`` names in ``vocab``: a code as it is, a Chinese label as its code;
    ``None`` for anything else."""
    if text in {v.value for v in vocab}:
        return text
    return next((str(code) for code, label in LABELS_ZH[vocab].items() if label == text), None)


def labels_zh(column: str, values: pd.Series) -> pd.Series:
    """A coded column shown in Chinese (vectorised over distinct values): labels from
    :data:`VALUE_LABELS_ZH` (``data_issues`` through :func:`data_issues_zh`); values without a
    label stay as they are, missing stays missing."""
    if column == "data_issues":
        return data_issues_zh(values)
    table = VALUE_LABELS_ZH.get(column)
    text = values.astype("string")
    if not table:
        return text
    return text.map(table).fillna(text).astype("string")


def data_issues_zh(codes: pd.Series, separator: str = "；") -> pd.Series:
    """``data_issues`` codes as Chinese labels joined by ``separator`` (each distinct
    combination translated once)."""
    import numpy as np
    import pandas as pd

    text = codes.astype("string")
    positions, uniques = pd.factorize(text, use_na_sentinel=True)
    labels = LABELS_ZH[DataIssue]
    translated = [
        separator.join(
            labels.get(code, code) for code in str(u).split(DATA_ISSUE_SEPARATOR) if code
        )
        for u in uniques
    ]
    translated.append(pd.NA)
    idx = np.where(positions < 0, len(translated) - 1, positions)
    out = pd.Series(np.asarray(translated, dtype=object)[idx], index=codes.index, dtype="string")
    return out.mask(out == "")


def join_codes(masks: Iterable[tuple[str, np.ndarray]], n: int) -> pd.Categorical:
    """Per row, the codes whose masks are true, joined by ``;`` in the given order; missing
    where none is. Rows are grouped by their combination of codes, so the joining runs once per
    distinct combination."""
    import numpy as np
    import pandas as pd

    masks = list(masks)
    code = np.zeros(n, dtype=np.int64)
    for bit, (_, mask) in enumerate(masks):
        code |= np.asarray(mask, dtype=bool).astype(np.int64) << bit
    uniques, inverse = np.unique(code, return_inverse=True)
    texts = [
        DATA_ISSUE_SEPARATOR.join(c for bit, (c, _) in enumerate(masks) if u >> bit & 1)
        for u in uniques
    ]
    if "" in texts:
        empty = texts.index("")
        inverse = np.where(inverse == empty, -1, np.where(inverse > empty, inverse - 1, inverse))
        texts.pop(empty)
    return pd.Categorical.from_codes(inverse, categories=texts)


def has_code(codes: pd.Series, code: str) -> np.ndarray:
    """Rows whose ``;``-joined ``codes`` contain ``code`` (as a whole code)."""
    text = codes.astype("string")
    found = text.str.contains(
        rf"(?:^|{DATA_ISSUE_SEPARATOR}){code}(?:{DATA_ISSUE_SEPARATOR}|$)", regex=True
    )
    return found.fillna(False).to_numpy(dtype=bool)
