"""How results are grouped in summaries, and their money split into confirmed and would-apply.

One rule for every summary (the API's park summaries, the map's panel, ...):

- **group** (:func:`group_names`): the parcel's ``park`` when it is not blank; else its
  ``region_label`` (the region its supervision number names, e.g. ``湖北省武汉市江夏区``) when the
  results carry that column and it is not blank; else :data:`NO_GROUP` （未指定园区）.
  :func:`group_kinds` says which of the three applies (``park``, ``region``, ``none``).
- **money** (:func:`penalty_split`): amounts that apply (``amounts_confirmed = true``) and
  amounts that would apply if an inspection finds an unverified (待核查) parcel not started
  (``amounts_confirmed = false``) are two figures, never added together. Results that carry
  ``confirmed_penalty_wan`` and ``potential_penalty_wan`` are read as they are; older results
  are split from ``total_penalty_wan`` and ``amounts_confirmed``.

Everything works on whole columns (no loop over parcels).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landuse.vocab import NO_AREA_GROUP

#: The group of a parcel with neither a park nor a region.
NO_GROUP = NO_AREA_GROUP
#: What a group names, in the order summaries list them.
GROUP_KINDS: tuple[str, ...] = ("park", "region", "none")
#: The two money figures of a summary.
CONFIRMED = "confirmed_penalty_wan"
POTENTIAL = "potential_penalty_wan"
#: Columns the rules read from a results table (those present are used).
GROUPING_COLUMNS: tuple[str, ...] = ("park", "region_label")
MONEY_COLUMNS: tuple[str, ...] = (
    "total_penalty_wan",
    "amounts_confirmed",
    "status",
    CONFIRMED,
    POTENTIAL,
)
UNVERIFIED = "unverified"


def _names(frame: pd.DataFrame, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Column ``name`` as (names, given): each row's text stripped (an object array) and
    whether it is there and not blank. The text work is done once per distinct value."""
    n = len(frame)
    if name not in frame.columns:
        return np.full(n, None, dtype=object), np.zeros(n, dtype=bool)
    codes, uniques = pd.factorize(frame[name])
    cleaned = pd.Series(uniques, dtype=object).astype("string").str.strip()
    usable = (cleaned.notna() & (cleaned != "")).to_numpy(dtype=bool)
    text = np.append(cleaned.astype(object).to_numpy(), None)  # code -1 (missing): None
    given = np.append(usable, False)[codes]
    return text[codes], given


def group_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``group`` and ``group_kind`` of every row of ``frame`` (same index), by the rule of
    this module (whole columns; text work once per distinct value)."""
    park, has_park = _names(frame, "park")
    region, has_region = _names(frame, "region_label")
    group = np.where(has_park, park, np.where(has_region, region, NO_GROUP))
    kind = np.where(has_park, "park", np.where(has_region, "region", "none")).astype(object)
    return pd.DataFrame({"group": group, "group_kind": kind}, index=frame.index)


def group_names(frame: pd.DataFrame) -> pd.Series:
    """The summary group of every row: its park, else its region, else （未指定园区）."""
    return group_frame(frame)["group"].rename("group")


def group_kinds(frame: pd.DataFrame) -> pd.Series:
    """What :func:`group_names` gave each row: ``park``, ``region`` or ``none``."""
    return group_frame(frame)["group_kind"].rename("group_kind")


def group_order(groups: pd.DataFrame) -> pd.DataFrame:
    """``groups`` (columns ``group``, ``group_kind``, one row per group) in the order
    summaries list them: parks, then regions, each by name, then :data:`NO_GROUP`."""
    rank = (
        groups["group_kind"].map({k: i for i, k in enumerate(GROUP_KINDS)}).fillna(len(GROUP_KINDS))
    )
    return (
        groups.assign(_rank=rank.to_numpy())
        .sort_values(["_rank", "group"], kind="stable")
        .drop(columns="_rank")
    )


def column_numbers(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as float64 on ``frame``'s index (NaN where missing, not a number, or
    where the column is absent)."""
    if name not in frame.columns:
        return pd.Series(np.nan, index=frame.index, dtype="float64")
    values = pd.to_numeric(frame[name], errors="coerce")
    return pd.Series(values.to_numpy(dtype=float, na_value=np.nan), index=frame.index)


def column_text(frame: pd.DataFrame, name: str) -> pd.Series:
    """Column ``name`` as stripped text (``<NA>`` where blank, missing or absent)."""
    if name not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    text = frame[name].astype("string").str.strip()
    return text.mask(text == "")


def amounts_confirmed(frame: pd.DataFrame) -> pd.Series:
    """Whether each row's amounts apply (True) or would apply after an inspection (False):
    ``amounts_confirmed`` where given, else ``status != "unverified"`` (True without a
    status)."""
    fallback = (
        frame["status"].astype("string").ne(UNVERIFIED).fillna(True)
        if "status" in frame.columns
        else pd.Series(True, index=frame.index)
    )
    if "amounts_confirmed" not in frame.columns:
        return fallback.astype(bool)
    given = frame["amounts_confirmed"]
    if not pd.api.types.is_bool_dtype(given.dtype):
        text = given.astype("string").str.strip().str.lower()
        given = text.map({"true": True, "1": True, "false": False, "0": False}).astype("boolean")
    return given.astype("boolean").fillna(fallback).astype(bool)


def penalty_split(frame: pd.DataFrame) -> pd.DataFrame:
    """``confirmed_penalty_wan`` and ``potential_penalty_wan`` of every row (万元, same index).

    Read from those columns when the results have both; else ``total_penalty_wan`` goes to
    the one :func:`amounts_confirmed` says (the other gets 0; a missing total stays missing).
    """
    if CONFIRMED in frame.columns and POTENTIAL in frame.columns:
        return pd.DataFrame(
            {
                CONFIRMED: column_numbers(frame, CONFIRMED),
                POTENTIAL: column_numbers(frame, POTENTIAL),
            },
            index=frame.index,
        )
    return split_amounts(frame, ["total_penalty_wan"]).set_axis([CONFIRMED, POTENTIAL], axis=1)


def split_amounts(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Each amount column of ``columns`` twice: as it is where the amounts are confirmed
    (0 elsewhere), then as ``potential_<name>`` where they would apply (0 elsewhere)."""
    confirmed = amounts_confirmed(frame).to_numpy(dtype=bool)
    out: dict[str, np.ndarray] = {}
    potential: dict[str, np.ndarray] = {}
    for name in columns:  # a handful of amount columns, each whole
        values = column_numbers(frame, name).to_numpy()
        out[name] = np.where(confirmed, values, 0.0)
        potential[f"potential_{name}"] = np.where(confirmed, 0.0, values)
    return pd.DataFrame({**out, **potential}, index=frame.index)
