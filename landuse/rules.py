"""The rules of RULES.md sections 3-5 as functions of whole columns.

Every function takes pandas Series (or numpy arrays) aligned on one index and returns arrays of
the same length. Dates are ``datetime64[ns]`` at midnight (NaT = missing), money in 万元, areas in
hectares, day counts as float64 (NaN = unknown). Missing inputs give NaN amounts, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from landuse.vocab import (
    AreaSource,
    IdleStage,
    IntensityBasis,
    LateFeeCap,
    StartDueBasis,
    StartEvidence,
    StartStatus,
)

NaT = np.datetime64("NaT", "ns")
_NS_FIRST_DAY = np.datetime64("1677-09-22", "D")
_NS_LAST_DAY = np.datetime64("2262-04-11", "D")


def add_years(dates: pd.Series, years: int) -> pd.Series:
    """Calendar years later: 2021-03-01 + 1 -> 2022-03-01; 2020-02-29 + 1 -> 2021-02-28."""
    return dates + pd.DateOffset(years=years)


def _days(dates: pd.Series | pd.Timestamp) -> np.ndarray:
    """Dates as ``datetime64[D]`` (whole days), NaT where missing."""
    if isinstance(dates, pd.Series):
        return dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return np.datetime64(pd.Timestamp(dates).date(), "D")


def days_between(later: pd.Series | pd.Timestamp, earlier: pd.Series) -> np.ndarray:
    """``(later - earlier).days`` as float64, NaN where either is missing.

    Counted in whole days (``datetime64[D]``), which cannot overflow: nanoseconds hold
    differences of at most 292 years."""
    delta = _days(later) - _days(earlier)
    return np.where(np.isnat(delta), np.nan, delta.astype("int64").astype(float))


def area_columns(
    declared_ha: pd.Series, geometry_ha: pd.Series, tolerance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``area_ha`` (geometry when present, else declared), ``area_source`` and ``area_mismatch``.

    ``area_mismatch`` is true where both exist and differ by more than ``tolerance`` (a share of
    the declared area).
    """
    geom = geometry_ha.to_numpy(dtype=float, na_value=np.nan)
    decl = declared_ha.to_numpy(dtype=float, na_value=np.nan)
    has_geom = ~np.isnan(geom)
    area = np.where(has_geom, geom, decl)
    source = np.where(
        has_geom,
        AreaSource.GEOMETRY.value,
        np.where(np.isnan(decl), AreaSource.NONE.value, AreaSource.DECLARED.value),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.abs(geom - decl) / decl
    # a small epsilon keeps "exactly 5 %" (1.05 vs 1.00, inexact in binary) from counting
    mismatch = has_geom & ~np.isnan(decl) & (decl > 0) & (rel > tolerance + 1e-9)
    return area, source.astype(object), mismatch


def intensity(
    actual_wan: pd.Series, agreed_wan: pd.Series, area_ha: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Investment used, intensity (万元/公顷) and its basis (``actual``/``agreed``/``none``).

    Actual investment is used when present, else the agreed one. Intensity is NaN where there is
    no investment or the area is missing or zero.
    """
    actual = actual_wan.to_numpy(dtype=float, na_value=np.nan)
    agreed = agreed_wan.to_numpy(dtype=float, na_value=np.nan)
    has_actual = ~np.isnan(actual)
    investment = np.where(has_actual, actual, agreed)
    basis = np.where(
        has_actual,
        IntensityBasis.ACTUAL.value,
        np.where(np.isnan(agreed), IntensityBasis.NONE.value, IntensityBasis.AGREED.value),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(area_ha > 0, investment / area_ha, np.nan)
    return investment, value, basis.astype(object)


@dataclass
class DueDates:
    """The outcome of :func:`due_dates` (every array one value per row).

    ``start_due`` and ``completion_due``: ``datetime64[ns]`` Series (NaT = unknown);
    ``basis``: the :class:`landuse.vocab.StartDueBasis` value of ``start_due`` (object array);
    ``before_contract``: per candidate basis, the rows where that candidate was given but lies
    before the contract date, so it was not used.
    """

    start_due: pd.Series
    completion_due: pd.Series
    basis: np.ndarray
    before_contract: dict[str, np.ndarray]


def due_dates(
    extended_start: pd.Series,
    agreed_start: pd.Series,
    actual_delivery: pd.Series,
    agreed_delivery: pd.Series,
    agreed_completion: pd.Series,
    contract_date: pd.Series | None = None,
) -> DueDates:
    """``start_due_date``, its basis and ``completion_due_date`` ([IDLE] art. 22, [CONTRACT]).

    Start due, first usable of: the extension's new start date (``extended``), the agreed start
    (``agreed_start``), actual delivery + 1 calendar year (``actual_delivery``), agreed delivery
    + 1 calendar year (``agreed_delivery``); else unknown (``none``). A candidate that lies
    before ``contract_date`` is not usable: a contract cannot have agreed a start before it was
    signed, so the date is a slip, and the next candidate is used (``before_contract`` says
    which were passed over). Completion due: the agreed completion shifted by the extension's
    length in days, measured from the start due date the extension replaced.
    """
    index = agreed_completion.index
    contract = (
        contract_date
        if contract_date is not None
        else pd.Series(pd.NaT, index=index, dtype="datetime64[ns]")
    )
    candidates = (
        (StartDueBasis.EXTENDED, extended_start),
        (StartDueBasis.AGREED_START, agreed_start),
        (StartDueBasis.ACTUAL_DELIVERY, add_years(actual_delivery, 1)),
        (StartDueBasis.AGREED_DELIVERY, add_years(agreed_delivery, 1)),
    )
    usable: dict[str, pd.Series] = {}
    before_contract: dict[str, np.ndarray] = {}
    for basis, dates in candidates:
        early = (dates < contract).to_numpy(dtype=bool)  # NaT compares false
        before_contract[basis.value] = early
        usable[basis.value] = dates.mask(early)
    original_due = (
        usable[StartDueBasis.AGREED_START]
        .fillna(usable[StartDueBasis.ACTUAL_DELIVERY])
        .fillna(usable[StartDueBasis.AGREED_DELIVERY])
    )
    extended = usable[StartDueBasis.EXTENDED]
    start_due = extended.fillna(original_due)
    basis = np.full(len(index), StartDueBasis.NONE.value, dtype=object)
    for candidate, _ in reversed(candidates):
        basis = np.where(usable[candidate.value].notna().to_numpy(), candidate.value, basis)
    # in whole days, which cannot overflow; a completion due date that nanoseconds cannot hold
    # (only possible with extensions of centuries) is unknown
    shift = _days(extended) - _days(original_due)
    shift = np.where(np.isnat(shift), np.timedelta64(0, "D"), shift)
    completion = _days(agreed_completion) + shift
    representable = (completion >= _NS_FIRST_DAY) & (completion <= _NS_LAST_DAY)
    completion = np.where(representable, completion, np.datetime64("NaT", "D"))
    completion_due = pd.Series(completion.astype("datetime64[ns]"), index=index)
    return DueDates(start_due, completion_due, basis.astype(object), before_contract)


def start_evidence(
    actual_start: pd.Series,
    actual_completion: pd.Series,
    start_status: pd.Series,
    as_of: pd.Timestamp,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """What is known about the start: ``(evidence, started, completed)``.

    ``evidence`` is ``actual_start`` (a start date on or before ``as_of``), ``completion`` (a
    completion date on or before ``as_of``: a finished project has started), ``inspection``
    (``start_status`` is started or not_started) or ``none``.
    """
    has_start = (actual_start.notna() & (actual_start <= as_of)).to_numpy(dtype=bool)
    completed = (actual_completion.notna() & (actual_completion <= as_of)).to_numpy(dtype=bool)
    status = start_status.fillna("unknown").to_numpy(dtype=object)
    inspected = (status == StartStatus.STARTED) | (status == StartStatus.NOT_STARTED)
    evidence = np.select(
        [has_start, completed, inspected],
        [
            StartEvidence.ACTUAL_START.value,
            StartEvidence.COMPLETION.value,
            StartEvidence.INSPECTION.value,
        ],
        StartEvidence.NONE.value,
    ).astype(object)
    started = has_start | completed | (status == StartStatus.STARTED)
    return evidence, started, completed


def late_start_days(
    start_due: pd.Series,
    actual_start: pd.Series,
    started: np.ndarray,
    has_start_date: np.ndarray,
    as_of: pd.Timestamp,
) -> np.ndarray:
    """Days from ``start_due`` to the actual start, or to ``as_of`` when not started; 0 when on
    time. NaN when the due date is missing, or when the parcel started on an unknown day after
    its due date."""
    to_start = days_between(actual_start, start_due)
    to_as_of = days_between(as_of, start_due)
    days = np.where(
        started,
        np.where(has_start_date, to_start, np.where(to_as_of <= 0, 0.0, np.nan)),
        to_as_of,
    )
    return np.where(np.isnan(days), np.nan, np.maximum(days, 0.0))


def stage_by_time(start_due: pd.Series, as_of: pd.Timestamp) -> np.ndarray:
    """Idle stage by elapsed time after the start due date: ``none`` (not due),
    ``late_start`` (past due, under one year), ``idle_fee`` (one calendar year or more),
    ``recovery`` (two years or more); ``None`` where the due date is missing."""
    one = (as_of >= add_years(start_due, 1)).to_numpy(dtype=bool)
    two = (as_of >= add_years(start_due, 2)).to_numpy(dtype=bool)
    past = (as_of > start_due).to_numpy(dtype=bool)
    stage = np.select(
        [two, one, past],
        [IdleStage.RECOVERY.value, IdleStage.IDLE_FEE.value, IdleStage.LATE_START.value],
        IdleStage.NONE.value,
    )
    return np.where(start_due.isna().to_numpy(), None, stage).astype(object)


def partial_idle_stage(
    started: np.ndarray,
    developed_ha: pd.Series,
    area_ha: np.ndarray,
    invested_ex_land_wan: pd.Series,
    total_ex_land_wan: pd.Series,
    suspended_since: pd.Series,
    as_of: pd.Timestamp,
    developed_share_below: float,
    invested_share_below: float,
) -> np.ndarray:
    """[IDLE] art. 2 para 2: started, developed area under 1/3 or investment (excl. land) under
    25 %, and suspended for one year (``idle_fee``) or two (``recovery``); else ``none``.
    A share that cannot be computed does not count as too small."""
    dev = developed_ha.to_numpy(dtype=float, na_value=np.nan)
    inv = invested_ex_land_wan.to_numpy(dtype=float, na_value=np.nan)
    tot = total_ex_land_wan.to_numpy(dtype=float, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        dev_share = np.where(area_ha > 0, dev / area_ha, np.nan)
        inv_share = np.where(tot > 0, inv / tot, np.nan)
    small = (dev_share < developed_share_below) | (inv_share < invested_share_below)
    one = (as_of >= add_years(suspended_since, 1)).to_numpy(dtype=bool)
    two = (as_of >= add_years(suspended_since, 2)).to_numpy(dtype=bool)
    eligible = started & small
    return np.select(
        [eligible & two, eligible & one],
        [IdleStage.RECOVERY.value, IdleStage.IDLE_FEE.value],
        IdleStage.NONE.value,
    ).astype(object)


def per_mille_amount(
    base_wan: np.ndarray, rate_permille: np.ndarray, days: np.ndarray
) -> np.ndarray:
    """``base × rate‰ × days``; 0 when ``days`` is 0 (even with the base missing), NaN when
    the days are unknown or the base is missing for a positive day count."""
    amount = base_wan * rate_permille / 1000.0 * days
    return np.where(days == 0, 0.0, amount)


def late_fee(
    price_wan: np.ndarray,
    rate_permille: np.ndarray,
    days: np.ndarray,
    due: pd.Series,
    cap: str,
    cap_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """A late-start or late-completion fee, ``P × rate‰ × days``, with the rules file's cap.

    ``cap`` (:class:`landuse.vocab.LateFeeCap`): ``none`` lets the fee accrue for every late
    day; ``recovery`` counts the days only up to ``due`` + 2 calendar years (for a late start,
    the day the parcel is liable to recovery); ``price_share`` limits the fee to ``cap_share``
    × P. Returns ``(amount 万元, capped)``: ``capped`` is true where the cap lowered the fee.
    Missing inputs give NaN as in :func:`per_mille_amount`.
    """
    uncapped = per_mille_amount(price_wan, rate_permille, days)
    if cap == LateFeeCap.RECOVERY:
        limit_days = days_between(add_years(due, 2), due)
        capped = days > limit_days  # NaN compares false
        charged = np.where(capped, limit_days, days)
        return per_mille_amount(price_wan, rate_permille, charged), capped
    if cap == LateFeeCap.PRICE_SHARE:
        limit = cap_share * price_wan
        capped = uncapped > limit
        return np.where(capped, limit, uncapped), capped
    return uncapped, np.zeros(len(uncapped), dtype=bool)


def late_payment(
    price_wan: np.ndarray,
    paid_wan: pd.Series,
    price_due: pd.Series,
    as_of: pd.Timestamp,
    rate_permille: float,
    termination_after_days: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Late payment of the land price ([GOV2006], [CONTRACT]).

    Returns ``(days overdue, amount 万元, termination_risk)``: the amount is
    ``(price − paid) × rate‰ × days`` past ``price_due``; days and amount are 0 when nothing is
    outstanding or the due date has not passed, NaN when an input is missing.
    ``termination_risk`` is true more than ``termination_after_days`` days overdue.
    """
    paid = paid_wan.to_numpy(dtype=float, na_value=np.nan)
    outstanding = price_wan - paid
    past = days_between(as_of, price_due)
    owing = outstanding > 0
    days = np.where(
        np.isnan(past) | np.isnan(outstanding), np.nan, np.where(owing, np.maximum(past, 0.0), 0.0)
    )
    amount = per_mille_amount(np.where(owing, outstanding, 0.0), rate_permille, days)
    risk = days > termination_after_days
    return days, amount, risk


def shortfall_amount(
    price_wan: np.ndarray, required: np.ndarray, achieved: np.ndarray, completed: np.ndarray
) -> np.ndarray:
    """``P × (required − achieved) / required`` for completed parcels that fall short
    ([CONTRACT] investment and plot-ratio clauses).

    0 for parcels not completed, for a requirement of 0 (none) and when the requirement is met;
    NaN for a completed parcel whose figures are missing.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.where(required > 0, np.maximum(required - achieved, 0.0) / required, 0.0)
    gap = np.where(np.isnan(required) | ((required > 0) & np.isnan(achieved)), np.nan, gap)
    amount = np.where(gap == 0, 0.0, price_wan * gap)
    return np.where(completed, amount, 0.0)
