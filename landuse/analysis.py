"""``analyse``: every rule of RULES.md applied to a table of parcels as of one date.

Pure: no I/O, no geometry work. The input is a table of canonical, typed columns (see
:mod:`landuse.schema`; missing columns are treated as empty) plus an optional
``geometry_area_ha`` column; the output is the same rows with every derived column added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from landuse import rules as R
from landuse.buildings import building_evidence
from landuse.grouping import group_names
from landuse.quality import issue_codes, issue_masks
from landuse.regions import regions_for
from landuse.rules_file import RuleSet, intensity_thresholds
from landuse.schema import (
    AMOUNT_COLUMNS,
    BUILDING_RESULT_COLUMNS,
    DATE_COLUMNS,
    INPUT_NAMES,
    NUMBER_COLUMNS,
    REGION_COLUMNS,
)
from landuse.vocab import (
    PROGRESS_ORDER,
    PROGRESS_ZH,
    STATUS_ORDER,
    STATUS_ZH,
    IdleBasis,
    IdleStage,
    Progress,
    StartEvidence,
    Status,
)

# Legal basis texts (RULES.md sources), one per rule.
#: The input columns :func:`analyse` returns changed (``area_ha``: the area it measures by,
#: declared or from the geometry); every other input column comes back as it went in.
REPLACED_INPUTS = ("area_ha",)

BASIS = {
    "recovery": "《闲置土地处置办法》第十四条第（二）项；《土地管理法》第三十八条",
    "idle_fee": "《闲置土地处置办法》第十四条第（一）项（土地闲置费不得列入生产成本）",
    "partial": "《闲置土地处置办法》第二条第二款（部分开发闲置，“也可以认定”，属裁量认定）",
    "gov_delay": "《闲置土地处置办法》第八条、第十二条（政府原因，不征闲置费、不收回）",
    "late_start": "《国有建设用地使用权出让合同》（GF-2008-2601）逾期开工违约条款",
    "unverified": "《闲置土地处置办法》第二条、第十四条（无开工证据，金额为核实未开工时适用，待核查）",
    "late_completion": "《国有建设用地使用权出让合同》（GF-2008-2601）逾期竣工违约条款",
    "late_payment": "国办发〔2006〕100号；《国有建设用地使用权出让合同》（GF-2008-2601）价款支付条款",
    "termination": "《城市房地产管理法》第二十六条；出让合同：价款逾期超过60日可解除合同",
    "investment_shortfall": "《国有建设用地使用权出让合同》（GF-2008-2601）投资强度违约条款",
    "plot_ratio_shortfall": "《国有建设用地使用权出让合同》（GF-2008-2601）容积率违约条款",
    "below_threshold": "《工业项目建设用地控制指标》（国土资发〔2008〕24号）；入园投资强度标准",
    "insufficient_data": "资料不全：无法确定应开工日期，闲置与逾期开工无法认定（《闲置土地处置办法》第二条）",
    "buildings": "开工依建筑物调查认定（建筑基底面积为估算，未经现场核查）：开工日期未知，逾期开工违约金不计；"
    "其余金额待核实，不计入已确认金额",
    "late_fee_cap": "逾期违约金计至拟收回日或按规则文件封顶（出让合同逾期违约条款；《民法典》第五百八十五条）",
}

ACTION = {
    Status.RECOVERY: "报经有批准权的人民政府批准后，无偿收回国有建设用地使用权",
    Status.IDLE_FEE: "下达《征缴土地闲置费决定书》，按出让价款比例征缴土地闲置费",
    Status.GOV_DELAY: "与使用权人协商处置：延长动工开发期限（不超过一年）或临时使用（不超过两年）等",
    Status.LATE_START: "催告动工，按出让合同计收逾期开工违约金",
    Status.UNVERIFIED: "现场核查是否已动工开发，按核查结论认定",
    Status.LATE_COMPLETION: "催告竣工，按出让合同计收逾期竣工违约金",
    Status.BELOW_THRESHOLD: "督促追加投资；按出让合同追究投资强度违约责任",
    Status.INSUFFICIENT_DATA: "补充出让合同约定的开工、交地日期（或延期开工协议）后重新认定",
    Status.ON_TRACK: "按期跟踪",
    Status.COMPLIANT: "无需处置",
}


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A canonical input column, or an empty one of the right type when absent."""
    if name in frame.columns:
        return frame[name]
    if name in DATE_COLUMNS:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    if name in NUMBER_COLUMNS or name == "geometry_area_ha":
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    if name == "gov_cause":
        return pd.Series(False, index=frame.index, dtype=bool)
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def _joined_texts(masks: list[tuple[np.ndarray, str]], n: int) -> pd.Categorical:
    """Per row, the texts whose masks are true, joined by ``；`` in the given order.

    Rows are grouped by their combination of masks, so the joining runs once per distinct
    combination rather than once per row. The categories are sorted, as ``pd.Categorical``
    sorts those it infers: parcels analysed in chunks join to the column of a single pass
    (:func:`landuse.pipeline.assemble`).
    """
    code = np.zeros(n, dtype=np.int64)
    for bit, (mask, _) in enumerate(masks):
        code |= mask.astype(np.int64) << bit
    uniques, inverse = np.unique(code, return_inverse=True)
    texts = ["；".join(t for bit, (_, t) in enumerate(masks) if u >> bit & 1) for u in uniques]
    order = np.argsort(np.array(texts, dtype=object), kind="stable")
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return pd.Categorical.from_codes(rank[inverse], categories=[texts[i] for i in order])


def _labels(values: np.ndarray) -> pd.Categorical:
    """A column of a few repeated labels, stored once each (``None`` = missing)."""
    return pd.Categorical(values)


def analyse(
    parcels: pd.DataFrame,
    as_of: dt.date | pd.Timestamp | str,
    rules: RuleSet,
    buildings: Sequence[pd.DataFrame] = (),
) -> pd.DataFrame:
    """Apply every rule as of ``as_of``.

    ``buildings``: the building measures of each footprint survey, oldest first (frames of
    :func:`landuse.buildings.parcel_building_metrics`, indexed like ``parcels``; rows missing
    from a frame are parcels without a geometry). A parcel with no other start evidence whose
    coverage reaches ``rules.buildings.coverage_evidence_min`` in a survey dated after its
    start due date has started (``start_evidence = "buildings"``): it is no longer unverified,
    its late-start amount is unknown (the survey bounds the start day, it does not give it)
    and its other amounts are not confirmed (``amounts_confirmed = false``). ``likely_idle``
    marks unverified parcels without any building in a survey a year or more after the due
    date: they head the inspection ranking, and stay unverified (never idle, never an amount
    from footprints). Without surveys the building columns are present and empty.

    ``parcels`` holds canonical columns: dates as ``datetime64``, numbers as float (万元, ha,
    ‰), ``start_status`` as started/not_started/unknown, ``gov_cause`` as bool, and optionally
    ``geometry_area_ha`` (area from the geometry in a projected CRS). ``area_ha`` is the declared
    area. The region columns (:data:`landuse.schema.REGION_COLUMNS`) and the load-time codes of
    ``data_issues`` are taken from ``parcels`` when the loader added them; the regions are
    otherwise looked up from ``supervision_no``. Returns a new frame with the input columns and
    every column of :data:`landuse.schema.DERIVED_COLUMNS`, on the same index.

    The work is split in stages that write their columns into the result and hand on only the
    flags later stages need, so the intermediate arrays of one stage are freed before the next.
    """
    as_of = pd.Timestamp(as_of).normalize()
    col = {name: _column(parcels, name) for name in (*INPUT_NAMES, "geometry_area_ha")}
    col["inspection_date"] = _column(parcels, "inspection_date")  # set by landuse.inspections
    out = pd.DataFrame(index=parcels.index)
    for name in INPUT_NAMES:
        out[name] = col[name]
    out["as_of_date"] = pd.Series(as_of, index=parcels.index, dtype="datetime64[ns]")
    _where(parcels, col, out)
    _size_and_intensity(col, rules, out)
    start = _start(col, as_of, out, rules, buildings)
    idle = _idle(col, as_of, rules, out, start)
    amounts = _amounts(col, as_of, rules, out, start, idle)
    _status(out, start, idle, amounts)
    _progress(col, as_of, rules, out, start)
    _data_issues(parcels, col, out, start)
    return out


@dataclass
class _Start:
    """Flags of section 4 (one bool per row)."""

    started: np.ndarray
    completed: np.ndarray
    no_evidence: np.ndarray
    confirmed_not_started: np.ndarray
    gov: np.ndarray
    due: R.DueDates
    by_buildings: np.ndarray  # started on building evidence alone
    likely_idle: pd.arrays.BooleanArray  # before the unverified condition


@dataclass
class _Idle:
    """Flags of the idle rules (one bool per row)."""

    idle_met: np.ndarray
    is_partial: np.ndarray
    unverified: np.ndarray
    recovery: np.ndarray
    late_start_stage: np.ndarray


@dataclass
class _Amounts:
    """Flags of the amount rules (one bool per row)."""

    positive: dict[str, np.ndarray]
    late_completion_now: np.ndarray
    termination: np.ndarray
    capped: np.ndarray


def _where(parcels: pd.DataFrame, col: dict[str, pd.Series], out: pd.DataFrame) -> None:
    """Region columns (carried from loading, else looked up from ``supervision_no``) and
    ``area_group``: the park where known, else the region, else （未指定园区）
    (:func:`landuse.grouping.group_names`, the rule of every summary)."""
    if all(name in parcels.columns for name in REGION_COLUMNS):
        regions = parcels[list(REGION_COLUMNS)]
    else:
        regions = regions_for(col["supervision_no"])
    for name in REGION_COLUMNS:
        out[name] = regions[name].astype("string")
    where = pd.DataFrame({"park": col["park"], "region_label": out["region_label"]})
    out["area_group"] = group_names(where).astype("string")


def _size_and_intensity(col: dict[str, pd.Series], rules: RuleSet, out: pd.DataFrame) -> None:
    """Section 3: area, intensity, its threshold and whether it falls below."""
    area, area_source, mismatch = R.area_columns(
        col["area_ha"], col["geometry_area_ha"], rules.rates.area_mismatch_tolerance
    )
    out["area_ha"] = area
    out["area_ha_declared"] = col["area_ha"].to_numpy(dtype=float, na_value=np.nan)
    out["area_source"] = _labels(area_source)
    out["area_mismatch"] = mismatch
    investment, intensity, basis = R.intensity(
        col["actual_investment_wan"], col["agreed_investment_wan"], area
    )
    out["investment_wan"] = investment
    out["intensity_wan_per_ha"] = intensity
    out["intensity_basis"] = _labels(basis)
    threshold, threshold_source = intensity_thresholds(col["park"], col["industry_code"], rules)
    out["intensity_min_wan_per_ha"] = threshold
    out["threshold_source"] = _labels(threshold_source)
    below = pd.array(intensity < threshold, dtype="boolean")
    below[np.isnan(intensity)] = pd.NA
    out["below_threshold"] = below


def _buildings(
    surveys: Sequence[pd.DataFrame],
    col: dict[str, pd.Series],
    start_due: pd.Series,
    started: np.ndarray,
    as_of: pd.Timestamp,
    rules: RuleSet,
    out: pd.DataFrame,
) -> tuple[np.ndarray, pd.arrays.BooleanArray]:
    """The columns of :data:`BUILDING_RESULT_COLUMNS` (empty without surveys); returns
    ``(start evidence from footprints, likely idle)`` per row, false / NA where unknown."""
    n = len(out)
    if not surveys:
        for name in BUILDING_RESULT_COLUMNS:
            if name == "building_count":
                out[name] = pd.array([pd.NA] * n, dtype="Int64")
            elif name.endswith("_date"):
                out[name] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
            elif name in ("start_evidence_buildings", "likely_idle") or name.endswith("_min"):
                out[name] = pd.array([pd.NA] * n, dtype="boolean")
            else:
                out[name] = np.full(n, np.nan)
        return np.zeros(n, dtype=bool), pd.array([pd.NA] * n, dtype="boolean")
    frames = []
    for survey in surveys:  # a handful of surveys, each whole
        frame = survey.reindex(out.index)
        frame["buildings_surveyed"] = frame["buildings_surveyed"].astype("boolean").fillna(False)
        frames.append(frame)
    measured = np.zeros(n, dtype=bool)
    for frame in frames:
        measured |= frame["building_count"].notna().to_numpy()
    evidence = building_evidence(
        frames,
        start_due.to_numpy(),
        as_of,
        rules.buildings,
        coverage_min=rules.control.min_building_coverage,
        far_min=col["far_min"].to_numpy(dtype=float, na_value=np.nan),
        started=started,
    )
    for name in BUILDING_RESULT_COLUMNS:
        out[name] = evidence[name].array
    flags = {}
    for name in ("start_evidence_buildings", "likely_idle"):
        flags[name] = pd.arrays.BooleanArray(evidence[name].to_numpy(dtype=bool), ~measured)
        out[name] = flags[name]
    return flags["start_evidence_buildings"].fillna(False).to_numpy(dtype=bool), flags[
        "likely_idle"
    ]


def _start(
    col: dict[str, pd.Series],
    as_of: pd.Timestamp,
    out: pd.DataFrame,
    rules: RuleSet,
    surveys: Sequence[pd.DataFrame] = (),
) -> _Start:
    """Section 3 due dates and section 4: what is known about the start, footprints
    included (a parcel with no other evidence and enough coverage in a survey after its start
    due date has started; the survey bounds the start day, it does not give it)."""
    due = R.due_dates(
        col["extended_start_date"],
        col["agreed_start_date"],
        col["actual_delivery_date"],
        col["agreed_delivery_date"],
        col["agreed_completion_date"],
        col["contract_date"],
    )
    start_due = due.start_due
    out["start_due_date"] = start_due
    out["start_due_basis"] = _labels(due.basis)
    out["completion_due_date"] = due.completion_due
    evidence, started, completed = R.start_evidence(
        col["actual_start_date"], col["actual_completion_date"], col["start_status"], as_of
    )
    # an inspection fed back (--inspections) is the newest evidence, also where it gave dates
    inspected = col["inspection_date"].notna() & col["start_status"].isin(
        ["started", "not_started"]
    )
    evidence = np.where(inspected.to_numpy(dtype=bool), "inspection", evidence).astype(object)
    from_buildings, likely_idle = _buildings(surveys, col, start_due, started, as_of, rules, out)
    by_buildings = from_buildings & (evidence == StartEvidence.NONE)
    evidence = np.where(by_buildings, StartEvidence.BUILDINGS.value, evidence).astype(object)
    started = started | by_buildings
    out["start_evidence"] = _labels(evidence)
    out["started"] = started
    out["completed"] = completed
    no_evidence = evidence == StartEvidence.NONE
    has_start_date = (col["actual_start_date"] <= as_of).to_numpy(dtype=bool)
    out["late_start_days"] = R.late_start_days(
        start_due, col["actual_start_date"], started, has_start_date, as_of
    )
    return _Start(
        started=started,
        completed=completed,
        no_evidence=no_evidence,
        confirmed_not_started=~started & ~no_evidence,
        gov=col["gov_cause"].fillna(False).to_numpy(dtype=bool),
        due=due,
        by_buildings=by_buildings,
        likely_idle=likely_idle,
    )


def _idle(
    col: dict[str, pd.Series],
    as_of: pd.Timestamp,
    rules: RuleSet,
    out: pd.DataFrame,
    start: _Start,
) -> _Idle:
    """Idle stage and basis, recovery, the idle fee (section 5)."""
    start_due = out["start_due_date"]
    started = start.started
    by_time = R.stage_by_time(start_due, as_of)
    partial = R.partial_idle_stage(
        started,
        col["developed_area_ha"],
        out["area_ha"].to_numpy(),
        col["invested_ex_land_wan"],
        col["total_investment_ex_land_wan"],
        col["suspended_since"],
        as_of,
        rules.partial_development.developed_share_below,
        rules.partial_development.invested_share_below,
    )
    is_partial = partial != IdleStage.NONE
    # started: only the partial basis can make it idle; not started (inspected): by time;
    # no evidence: never idle ("none"), unknown (None) when even the due date is missing
    stage = np.select(
        [started, start.confirmed_not_started],
        [partial, by_time],
        np.where(pd.isna(by_time), None, IdleStage.NONE.value),
    ).astype(object)
    out["idle_stage"] = _labels(stage)
    idle_met = (stage == IdleStage.IDLE_FEE) | (stage == IdleStage.RECOVERY)
    out["idle_basis"] = _labels(
        np.where(
            idle_met,
            np.where(is_partial, IdleBasis.PARTIAL.value, IdleBasis.NOT_STARTED.value),
            None,
        )
    )
    past_due = np.isin(
        by_time, [IdleStage.LATE_START.value, IdleStage.IDLE_FEE.value, IdleStage.RECOVERY.value]
    )
    unverified = start.no_evidence & ~started & past_due
    out["idle_stage_if_not_started"] = _labels(np.where(unverified, by_time, None))
    # likely idle ranks an unverified parcel for inspection; elsewhere it is false
    likely = start.likely_idle.copy()
    likely[~unverified & ~likely.isna()] = False
    out["likely_idle"] = likely
    idle_days_not_started = np.where(
        ~started, np.maximum(R.days_between(as_of, start_due), 0.0), np.nan
    )
    idle_days_partial = np.where(is_partial, R.days_between(as_of, col["suspended_since"]), np.nan)
    out["idle_days"] = np.where(is_partial, idle_days_partial, idle_days_not_started)
    recovery = (stage == IdleStage.RECOVERY) & ~start.gov
    out["recovery_candidate"] = recovery

    # the fee: confirmed idle, or what would apply to an unverified parcel
    price = col["land_price_wan"].to_numpy(dtype=float, na_value=np.nan)
    fee_stage = idle_met | (
        unverified & ((by_time == IdleStage.IDLE_FEE) | (by_time == IdleStage.RECOVERY))
    )
    idle_fee = np.where(fee_stage, rules.rates.idle_fee_share * price, 0.0)
    idle_fee = np.where(pd.isna(stage) & ~started, np.nan, idle_fee)
    out["idle_fee_wan"] = np.where(start.gov, 0.0, idle_fee)
    return _Idle(
        idle_met=idle_met,
        is_partial=is_partial,
        unverified=unverified,
        recovery=recovery,
        late_start_stage=start.confirmed_not_started & (stage == IdleStage.LATE_START),
    )


def _amounts(
    col: dict[str, pd.Series],
    as_of: pd.Timestamp,
    rules: RuleSet,
    out: pd.DataFrame,
    start: _Start,
    idle: _Idle,
) -> _Amounts:
    """Late start, late completion, late payment and shortfall amounts; the total."""
    rates = rules.rates
    price = col["land_price_wan"].to_numpy(dtype=float, na_value=np.nan)
    start_rate = col["late_start_rate_permille"].to_numpy(dtype=float, na_value=np.nan)
    start_rate = np.where(np.isnan(start_rate), rates.late_start_permille, start_rate)
    late_start, start_capped = R.late_fee(
        price,
        start_rate,
        out["late_start_days"].to_numpy(),
        out["start_due_date"],
        rates.late_fee_cap,
        rates.late_fee_cap_share,
    )
    out["late_start_wan"] = np.where(start.gov, 0.0, late_start)

    # late completion: only for parcels that started
    started, completed = start.started, start.completed
    completion_due = out["completion_due_date"]
    done_rate = col["late_completion_rate_permille"].to_numpy(dtype=float, na_value=np.nan)
    done_rate = np.where(np.isnan(done_rate), rates.late_completion_permille, done_rate)
    to_done = R.days_between(col["actual_completion_date"], completion_due)
    to_as_of = R.days_between(as_of, completion_due)
    done_days = np.where(completed, to_done, to_as_of)
    done_days = np.where(started, np.maximum(done_days, 0.0), 0.0)
    done_days = np.where(started & np.isnan(to_as_of), np.nan, done_days)
    out["late_completion_days"] = done_days
    late_completion, completion_capped = R.late_fee(
        price, done_rate, done_days, completion_due, rates.late_fee_cap, rates.late_fee_cap_share
    )
    out["late_completion_wan"] = late_completion
    capped = (start_capped & ~start.gov) | completion_capped
    out["late_fee_capped"] = capped

    pay_days, late_pay, termination = R.late_payment(
        price,
        col["price_paid_wan"],
        col["price_due_date"],
        as_of,
        rates.late_payment_permille,
        rates.termination_after_days,
    )
    out["late_payment_days"] = pay_days
    out["termination_risk"] = termination
    out["late_payment_wan"] = late_pay
    out["investment_shortfall_wan"] = R.shortfall_amount(
        price,
        col["agreed_investment_wan"].to_numpy(dtype=float, na_value=np.nan),
        col["actual_investment_wan"].to_numpy(dtype=float, na_value=np.nan),
        completed,
    )
    out["plot_ratio_shortfall_wan"] = R.shortfall_amount(
        price,
        col["far_min"].to_numpy(dtype=float, na_value=np.nan),
        col["far_actual"].to_numpy(dtype=float, na_value=np.nan),
        completed,
    )
    stacked = out[list(AMOUNT_COLUMNS)].to_numpy(dtype=float)
    total = np.nansum(stacked, axis=1)
    out["total_penalty_wan"] = total
    positive = {name: np.nan_to_num(stacked[:, i]) > 0 for i, name in enumerate(AMOUNT_COLUMNS)}
    # footprints confirm a start, never an amount: what depends on it stays to be verified
    confirmed = ~idle.unverified & ~start.by_buildings
    out["amounts_confirmed"] = confirmed
    out["confirmed_penalty_wan"] = np.where(confirmed, total, 0.0)
    out["potential_penalty_wan"] = np.where(confirmed, 0.0, total)
    return _Amounts(
        positive=positive,
        late_completion_now=started & ~completed & (to_as_of > 0),
        termination=termination,
        capped=capped,
    )


def _status(out: pd.DataFrame, start: _Start, idle: _Idle, amounts: _Amounts) -> None:
    """One status per parcel (first match wins), its legal basis and the proposed action.

    One condition per status of :data:`landuse.vocab.STATUS_PRECEDENCE`, evaluated in that
    table's order; the last status is the default."""
    gov, idle_met, recovery = start.gov, idle.idle_met, idle.recovery
    below_true = out["below_threshold"].fillna(False).to_numpy(dtype=bool)
    due_unknown = out["start_due_date"].isna().to_numpy(dtype=bool)
    conditions: dict[str, np.ndarray] = {
        Status.RECOVERY: recovery,
        Status.IDLE_FEE: idle_met & ~gov,
        Status.GOV_DELAY: idle_met & gov,
        Status.LATE_START: idle.late_start_stage,
        Status.UNVERIFIED: idle.unverified,
        Status.LATE_COMPLETION: amounts.late_completion_now,
        Status.BELOW_THRESHOLD: below_true,
        Status.INSUFFICIENT_DATA: ~start.started & due_unknown,
        Status.ON_TRACK: ~start.completed,
    }
    statuses = list(STATUS_ORDER)
    if list(conditions) != statuses[:-1]:
        raise AssertionError("status conditions must follow landuse.vocab.STATUS_PRECEDENCE")
    codes = np.select(list(conditions.values()), np.arange(len(conditions)), len(conditions))
    out["status"] = pd.Categorical.from_codes(codes, categories=statuses)
    out["status_zh"] = pd.Categorical.from_codes(codes, [STATUS_ZH[s] for s in statuses])
    positive = amounts.positive
    out["legal_basis"] = _joined_texts(
        [
            (recovery, BASIS["recovery"]),
            (idle_met & ~gov & ~recovery, BASIS["idle_fee"]),
            (idle_met & idle.is_partial & ~gov, BASIS["partial"]),
            (idle_met & gov, BASIS["gov_delay"]),
            (idle.unverified, BASIS["unverified"]),
            (start.by_buildings, BASIS["buildings"]),
            (positive["late_start_wan"], BASIS["late_start"]),
            (
                positive["late_completion_wan"] | amounts.late_completion_now,
                BASIS["late_completion"],
            ),
            (positive["late_payment_wan"], BASIS["late_payment"]),
            (amounts.termination, BASIS["termination"]),
            (positive["investment_shortfall_wan"], BASIS["investment_shortfall"]),
            (positive["plot_ratio_shortfall_wan"], BASIS["plot_ratio_shortfall"]),
            (below_true, BASIS["below_threshold"]),
            (~start.started & due_unknown, BASIS["insufficient_data"]),
            (amounts.capped, BASIS["late_fee_cap"]),
        ],
        len(out),
    )
    out["proposed_action"] = pd.Categorical.from_codes(codes, [ACTION[s] for s in statuses])


def _progress(
    col: dict[str, pd.Series], as_of: pd.Timestamp, rules: RuleSet, out: pd.DataFrame, start: _Start
) -> None:
    """The progress class of each parcel (:class:`landuse.vocab.Progress`, definitions in
    :class:`landuse.rules_file.ProgressRules`): first match of no_progress, unverified, ahead,
    behind; normal otherwise. A date that is missing satisfies no condition that needs it."""
    grace = pd.Timedelta(days=rules.progress.start_grace_days)
    ahead_by = pd.Timedelta(days=rules.progress.ahead_days)
    start_due = out["start_due_date"]
    completion_due = out["completion_due_date"]
    actual_start = col["actual_start_date"]
    actual_completion = col["actual_completion_date"]

    def holds(values: pd.Series) -> np.ndarray:
        return values.fillna(False).to_numpy(dtype=bool)

    start_overdue = holds(start_due + grace < as_of)
    started_late = start.started & holds(actual_start > start_due + grace)
    completed_late = start.completed & holds(actual_completion > completion_due)
    past_completion = start.started & ~start.completed & holds(completion_due < as_of)
    early = holds(actual_completion < completion_due) & holds(
        actual_completion <= completion_due - ahead_by
    )
    conditions = {
        Progress.NO_PROGRESS: ~start.started & ~start.no_evidence & start_overdue,
        Progress.UNVERIFIED: ~start.started & start.no_evidence & start_overdue,
        Progress.AHEAD: start.completed & early & ~started_late,
        Progress.BEHIND: start.started & (started_late | past_completion | completed_late),
    }
    order = list(PROGRESS_ORDER)
    codes = np.select(
        list(conditions.values()),
        [order.index(k) for k in conditions],
        order.index(Progress.NORMAL),
    )
    out["progress"] = pd.Categorical.from_codes(codes, categories=order)
    out["progress_zh"] = pd.Categorical.from_codes(codes, [PROGRESS_ZH[p] for p in order])


def _data_issues(
    parcels: pd.DataFrame, col: dict[str, pd.Series], out: pd.DataFrame, start: _Start
) -> None:
    """``data_issues``: the codes of :class:`landuse.vocab.DataIssue` found in the row (the
    load-time ones carried in the input's ``data_issues`` column), joined by ``;``."""
    frame: dict[str, pd.Series] = {**col, "region_label": out["region_label"]}
    if "data_issues" in parcels.columns:
        frame["data_issues"] = parcels["data_issues"]
    masks = issue_masks(frame, out.index, due=start.due, area_ha=out["area_ha"].to_numpy())
    out["data_issues"] = issue_codes(masks, len(out))
