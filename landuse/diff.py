"""What changed between two runs of a store (``landuse diff``).

Parcels are matched by ``parcel_id`` (else ``supervision_no``): a parcel only in the later run
is ``new`` (status before: ``new``), one only in the earlier run is ``gone`` (status after:
``gone``); a key held by more than one row of a run is left out of the matching and counted.
Everything is done on whole columns.

- :func:`transitions`: parcels and hectares per (status before, status after), including the
  parcels whose status did not change.
- :func:`changes`: one row per parcel whose status changed, with what kind of change it is
  (:data:`CHANGE_KINDS`, first match wins): newly due for recovery (拟收回), newly idle one
  year (闲置满一年), newly late (逾期未开工 / 逾期未竣工, not from an idle status), newly to
  inspect (待核查), resolved (from a status to act on to 按期推进 or 已竣工达标), or other (a
  new parcel included).
- :func:`diff_source`: the changes of one run of a results source since the run before it (or
  a chosen one), read through the source's interface (the API's ``/runs/{run}/changes`` and
  the served map's layer of changes).
- :func:`amounts_by_rule`: per amount (万元) the confirmed sum before and after and the would-
  apply (待核查) sum before and after, never added together.

Hectares are those of the later run (the earlier run's for a gone parcel).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from landuse import runstore
from landuse.errors import InputError
from landuse.grouping import column_numbers
from landuse.schema import AMOUNT_COLUMNS, STATUS_ORDER, STATUS_ZH
from landuse.source import NotFound, ResultsSource, RunInfo, choose_run, parse_run_id
from landuse.vocab import Status

NEW, GONE = "new", "gone"
#: Statuses that call for action (all but 按期推进 and 已竣工达标).
TO_ACT_ON: tuple[str, ...] = tuple(
    s for s in STATUS_ORDER if s not in (Status.ON_TRACK.value, Status.COMPLIANT.value)
)
IDLE = (Status.IDLE_FEE.value, Status.RECOVERY.value)
LATE = (Status.LATE_START.value, Status.LATE_COMPLETION.value)
DONE = (Status.ON_TRACK.value, Status.COMPLIANT.value)

#: Kinds of change, in order of precedence, with their Chinese labels.
CHANGE_KINDS: dict[str, str] = {
    "newly_recovery": "新增拟收回",
    "newly_idle": "新增闲置满一年",
    "newly_late": "新增逾期",
    "newly_unverified": "新增待核查",
    "resolved": "已整改（转为按期推进或已竣工达标）",
    "other": "其他变化",
}
STATUS_LABELS_ZH: dict[str, str] = {**STATUS_ZH, NEW: "新增宗地", GONE: "本期无此宗地"}
#: The amounts compared: each rule, then the total.
COMPARED_AMOUNTS: tuple[str, ...] = (*AMOUNT_COLUMNS, "total_penalty_wan")
#: Columns read from each run.
READ_COLUMNS: tuple[str, ...] = (
    "parcel_id",
    "supervision_no",
    "park",
    "project_name",
    "holder",
    "status",
    "area_ha",
    "amounts_confirmed",
    *COMPARED_AMOUNTS,
)


@dataclass
class RunDiff:
    """The comparison of run ``before`` with run ``after``."""

    before: RunInfo
    after: RunInfo
    transitions: pd.DataFrame
    changes: pd.DataFrame
    amounts: pd.DataFrame
    duplicate_keys: int

    def kind_counts(self) -> pd.DataFrame:
        """Parcels and hectares per kind of change (every kind, 0 when none)."""
        grouped = self.changes.groupby("change", sort=False)
        out = pd.DataFrame(
            {
                "change": list(CHANGE_KINDS),
                "change_zh": list(CHANGE_KINDS.values()),
            }
        )
        out["parcels"] = out["change"].map(grouped.size()).fillna(0).astype(int)
        out["area_ha"] = out["change"].map(grouped["area_ha"].sum(min_count=1)).fillna(0.0)
        return out


def _keyed(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Rows indexed by their key; keys held by several rows are dropped (and counted)."""
    key = frame.get("parcel_id", pd.Series(pd.NA, index=frame.index)).astype("string")
    if "supervision_no" in frame.columns:
        key = key.fillna(frame["supervision_no"].astype("string"))
    frame = frame.assign(key=key.str.strip()).dropna(subset=["key"])
    twice = frame["key"].duplicated(keep=False)
    return frame[~twice.to_numpy()].set_index("key"), int(frame.loc[twice, "key"].nunique())


def _confirmed(frame: pd.DataFrame) -> pd.Series:
    if "amounts_confirmed" not in frame.columns:
        return pd.Series(True, index=frame.index)
    return frame["amounts_confirmed"].astype("boolean").fillna(True).astype(bool)


def compare(before: pd.DataFrame, after: pd.DataFrame, info: tuple[RunInfo, RunInfo]) -> RunDiff:
    """The diff of two runs' parcels (columns of :data:`READ_COLUMNS`, those present)."""
    old, dup_old = _keyed(before)
    new, dup_new = _keyed(after)
    both = old.index.union(new.index, sort=False)
    status_before = old["status"].astype("string").reindex(both).fillna(NEW)
    status_after = new["status"].astype("string").reindex(both).fillna(GONE)
    area = (
        column_numbers(new, "area_ha")
        .reindex(both)
        .fillna(column_numbers(old, "area_ha").reindex(both))
    )
    pairs = pd.DataFrame(
        {"status_before": status_before, "status_after": status_after, "area_ha": area}
    )
    grouped = pairs.groupby(["status_before", "status_after"], sort=False)
    table = grouped["area_ha"].sum(min_count=1).rename("area_ha").reset_index()
    table.insert(2, "parcels", grouped.size().to_numpy())
    rank = {s: i for i, s in enumerate([NEW, *STATUS_ORDER, GONE])}
    table = table.sort_values(
        ["status_before", "status_after"],
        key=lambda col: col.map(rank).fillna(len(rank)),
        kind="stable",
    ).reset_index(drop=True)
    table.insert(1, "status_before_zh", table["status_before"].map(STATUS_LABELS_ZH))
    table.insert(3, "status_after_zh", table["status_after"].map(STATUS_LABELS_ZH))
    table["area_ha"] = table["area_ha"].fillna(0.0)

    moved = pairs[pairs["status_before"] != pairs["status_after"]]
    b, a = moved["status_before"], moved["status_after"]
    kinds = np.select(
        [
            (a == Status.RECOVERY.value) & (b != Status.RECOVERY.value),
            (a == Status.IDLE_FEE.value) & ~b.isin(IDLE),
            a.isin(LATE) & ~b.isin([*LATE, *IDLE]),
            a == Status.UNVERIFIED.value,
            b.isin(TO_ACT_ON) & a.isin(DONE),
        ],
        ["newly_recovery", "newly_idle", "newly_late", "newly_unverified", "resolved"],
        "other",
    )
    facts = new.reindex(moved.index).combine_first(old.reindex(moved.index))
    changes = pd.DataFrame(
        {
            "key": moved.index,
            "park": facts.get("park", pd.Series(pd.NA, index=moved.index)).to_numpy(),
            "project_name": facts.get(
                "project_name", pd.Series(pd.NA, index=moved.index)
            ).to_numpy(),
            "holder": facts.get("holder", pd.Series(pd.NA, index=moved.index)).to_numpy(),
            "change": kinds,
            "change_zh": pd.Series(kinds).map(CHANGE_KINDS).to_numpy(),
            "status_before": b.to_numpy(),
            "status_before_zh": b.map(STATUS_LABELS_ZH).to_numpy(),
            "status_after": a.to_numpy(),
            "status_after_zh": a.map(STATUS_LABELS_ZH).to_numpy(),
            "area_ha": moved["area_ha"].to_numpy(),
            "total_penalty_wan_before": column_numbers(old, "total_penalty_wan")
            .reindex(moved.index)
            .to_numpy(),
            "total_penalty_wan_after": column_numbers(new, "total_penalty_wan")
            .reindex(moved.index)
            .to_numpy(),
        }
    )
    order = {k: i for i, k in enumerate(CHANGE_KINDS)}
    changes = changes.sort_values(
        ["change", "key"], key=lambda c: c.map(order) if c.name == "change" else c, kind="stable"
    ).reset_index(drop=True)
    return RunDiff(
        info[0],
        info[1],
        table,
        changes,
        amounts_by_rule(before, after),
        dup_old + dup_new,
    )


def amounts_by_rule(before: pd.DataFrame, after: pd.DataFrame) -> pd.DataFrame:
    """Per amount of :data:`COMPARED_AMOUNTS`: confirmed sums before and after and their
    change, then the would-apply (待核查) sums before and after and their change (万元, sums
    of the written 0.01-rounded values, rounded to 0.01)."""
    rows = []
    for name in COMPARED_AMOUNTS:
        sums = {}
        for when, frame in (("before", before), ("after", after)):
            values = column_numbers(frame, name).fillna(0.0)
            confirmed = _confirmed(frame)
            sums[f"confirmed_{when}"] = round(float(values[confirmed].sum()), 2)
            sums[f"potential_{when}"] = round(float(values[~confirmed].sum()), 2)
        rows.append(
            {
                "amount": name,
                "confirmed_before": sums["confirmed_before"],
                "confirmed_after": sums["confirmed_after"],
                "confirmed_change": round(sums["confirmed_after"] - sums["confirmed_before"], 2),
                "potential_before": sums["potential_before"],
                "potential_after": sums["potential_after"],
                "potential_change": round(sums["potential_after"] - sums["potential_before"], 2),
            }
        )
    return pd.DataFrame(rows)


def runs_to_compare(
    runs: list[RunInfo], before: str | None, after: str | None, store: Path
) -> tuple[RunInfo, RunInfo]:
    """The two runs to compare: those given, else the last two (by as-of date, then when
    recorded); :class:`InputError` naming the runs when that cannot be."""
    order = sorted(runs, key=lambda r: (r.as_of_date or "", r.recorded_at or "", r.run_id))
    listed = ", ".join(f"{r.run_id} (as of {r.as_of_date})" for r in order) or "none"

    def pick(text: str) -> RunInfo:
        try:
            wanted = parse_run_id(text)
        except NotFound:
            wanted = -1
        found = [r for r in runs if r.run_id == wanted]
        if not found:
            raise InputError(f"No run {text!r} in {store}; its runs are {listed}.")
        return found[0]

    if before is None and after is None:
        if len(order) < 2:
            raise InputError(
                f"{store} holds {len(order)} run(s) ({listed}): a comparison needs two. Record "
                "another run with `landuse analyse ... --store` first."
            )
        return order[-2], order[-1]
    later = pick(after) if after is not None else choose_run(runs, None, None)
    if before is not None:
        return pick(before), later
    earlier = [r for r in order if r != later and order.index(r) < order.index(later)]
    if not earlier:
        raise InputError(f"No run before run {later.run_id} in {store}; its runs are {listed}.")
    return earlier[-1], later


def diff_store(store: Path, before: str | None = None, after: str | None = None) -> RunDiff:
    """Compare two runs of the store at ``store`` (default: the last two)."""
    runs = [r.info for r in runstore.read_runs(store)]
    first, second = runs_to_compare(runs, before, after, store)

    def parcels(run: RunInfo) -> pd.DataFrame:
        table = runstore.read_table(store, run.run_id, "parcels", columns=READ_COLUMNS)
        assert table is not None  # every recorded run has its parcels
        return table.to_pandas()

    return compare(parcels(first), parcels(second), (first, second))


def earlier_run(runs: list[RunInfo], after: RunInfo, since: str | None) -> RunInfo | None:
    """The run to compare ``after`` with: ``since`` (a run id; :class:`NotFound` naming the
    runs when there is no such run), else the run before ``after`` by as-of date, then when
    recorded (None for the first run)."""
    if since is not None:
        wanted = parse_run_id(since)
        found = [r for r in runs if r.run_id == wanted]
        if not found:
            listed = ", ".join(str(r.run_id) for r in runs) or "none"
            raise NotFound(f"compare={since}: no such run; the runs are {listed}.")
        return found[0]
    order = sorted(runs, key=lambda r: (r.as_of_date or "", r.recorded_at or "", r.run_id))
    ids = [r.run_id for r in order]
    at = ids.index(after.run_id) if after.run_id in ids else len(ids)
    return order[at - 1] if at > 0 else None


def diff_source(source: ResultsSource, after: RunInfo, since: str | None = None) -> RunDiff | None:
    """The changes of run ``after`` of a results source since run ``since`` (default: the run
    before it; None when there is none), read through
    :meth:`~landuse.source.ResultsSource.run_columns`."""
    before = earlier_run(source.runs(), after, since)
    if before is None:
        return None
    return compare(
        source.run_columns(before, READ_COLUMNS),
        source.run_columns(after, READ_COLUMNS),
        (before, after),
    )


#: Chinese headers of the diff tables (CSV keeps the codes; the workbook shows these).
DIFF_LABELS_ZH: dict[str, str] = {
    "key": "宗地编号",
    "park": "园区",
    "project_name": "项目名称",
    "holder": "土地使用权人",
    "change": "变化代码",
    "change_zh": "变化",
    "status_before": "上期状态代码",
    "status_before_zh": "上期状态",
    "status_after": "本期状态代码",
    "status_after_zh": "本期状态",
    "parcels": "宗数",
    "area_ha": "面积(公顷)",
    "total_penalty_wan_before": "上期合计金额(万元)",
    "total_penalty_wan_after": "本期合计金额(万元)",
    "amount": "金额项目",
    "confirmed_before": "已确认 上期(万元)",
    "confirmed_after": "已确认 本期(万元)",
    "confirmed_change": "已确认 变化(万元)",
    "potential_before": "待核查 上期(万元)",
    "potential_after": "待核查 本期(万元)",
    "potential_change": "待核查 变化(万元)",
}
#: Sheets of the diff workbook, in order.
DIFF_SHEETS: tuple[str, ...] = ("变化汇总", "变化宗地", "状态转移", "金额比较")


def write_diff_workbook(path: Path, result: RunDiff) -> None:
    """The diff as a workbook: the kinds of change, the changed parcels, the transitions and
    the amounts, one sheet each, Chinese headers; text from the data is written as text, never
    as a formula or link."""
    from landuse.schema import OUTPUT_LABELS_ZH

    amounts = result.amounts.assign(
        amount=[OUTPUT_LABELS_ZH.get(a, a).split("(")[0] for a in result.amounts["amount"]]
    )
    kinds = result.kind_counts()[["change_zh", "change", "parcels", "area_ha"]]
    title = (
        f"run {result.before.run_id} (as of {result.before.as_of_date}) → "
        f"run {result.after.run_id} (as of {result.after.as_of_date})"
    )
    with pd.ExcelWriter(
        path,
        engine="xlsxwriter",
        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}},
    ) as writer:
        for sheet, table in zip(
            DIFF_SHEETS, (kinds, result.changes, result.transitions, amounts), strict=True
        ):
            table.rename(columns=DIFF_LABELS_ZH).to_excel(
                writer, sheet_name=sheet, index=False, startrow=1
            )
            writer.sheets[sheet].write_string(0, 0, title)


__all__ = [
    "CHANGE_KINDS",
    "RunDiff",
    "amounts_by_rule",
    "compare",
    "diff_source",
    "diff_store",
    "earlier_run",
    "runs_to_compare",
    "write_diff_workbook",
]
