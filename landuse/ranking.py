"""Ranking per run and warnings over runs (municipal practice: 排名通报、黄色预警、红色预警).

Each run ranks groups of parcels — parks and regions (``area_group``, the default), or any
column such as a responsible unit — by a score, as the ``[ranking]`` table of the rules says.
The default score is the share of the group's supplied area (``area_ha``) whose status is idle
or overdue: 拟收回, 闲置满一年, 逾期未开工, 逾期未竣工 (``score_statuses``; 政府原因闲置 is not the
unit's doing and 待核查 is not established, so neither counts by default). Lower is better;
rank 1 is the best; the groups with the worst score share last place (only when at least two
groups are ranked). A group without area (its score cannot be computed) gets no rank and is
never last. A group *misses the target* when its score is above ``target_share``.

Warnings: a group in last place while missing the target in consecutive runs, up to and
including the run looked at, gets 黄色预警 after 2 such runs, 红色预警 (with an interview of its
head) after 3, 组织处理建议 after 4 or more; each warning lists the runs that caused it. A run in
which the group is absent, not last, or meets the target ends the streak.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from landuse.errors import InputError
from landuse.rules_file import RuleSet
from landuse.source import RunInfo

#: Warning levels by the length of the streak (the longest level reached applies).
WARNING_LEVELS: tuple[tuple[int, str, str], ...] = (
    (2, "yellow", "黄色预警"),
    (3, "red", "红色预警（约谈主要负责人）"),
    (4, "organisational", "组织处理建议"),
)
NO_GROUP = "（未指定）"


def columns_needed(rules: RuleSet) -> list[str]:
    """The parcel columns a ranking reads."""
    return list(
        dict.fromkeys([rules.ranking.group_by, "park", "region_label", "status", "area_ha"])
    )


def rank(parcels: pd.DataFrame, rules: RuleSet) -> pd.DataFrame:
    """The ranking of one run: one row per group with ``group``, ``parcels``, ``area_ha``,
    ``scored_area_ha`` (area in the score's statuses), ``score`` (their share, NaN without
    area), ``rank`` (1 = best; equal scores share a rank; null for a group without a score),
    ``last`` (bool; only among at least two groups with a score), ``missed_target`` (bool),
    best first, the groups without a score after the others."""
    settings = rules.ranking
    column = settings.group_by
    if column not in parcels.columns:
        if column == "area_group":  # results written before area_group: park, else region
            from landuse.grouping import group_names

            groups = group_names(parcels)
        else:
            raise InputError(
                f"The ranking groups parcels by {column!r} ([ranking] group_by in the rules), "
                "a column these results do not have. Use area_group (park, else region), park, "
                "or a column of the results such as holder."
            )
    else:
        groups = parcels[column]
    group = groups.astype("string").str.strip().replace("", pd.NA).fillna(NO_GROUP)
    area = pd.to_numeric(parcels.get("area_ha"), errors="coerce").astype(float).fillna(0.0)
    status = parcels.get("status", pd.Series(pd.NA, index=parcels.index)).astype("string")
    scored = status.isin(list(settings.score_statuses)).fillna(False).to_numpy(dtype=bool)
    frame = pd.DataFrame(
        {
            "group": group.to_numpy(),
            "area_ha": area.to_numpy(),
            "scored": np.where(scored, area, 0.0),
        }
    )
    by = frame.groupby("group", sort=True)
    out = pd.DataFrame(
        {
            "parcels": by.size(),
            "area_ha": by["area_ha"].sum(),
            "scored_area_ha": by["scored"].sum(),
        }
    ).reset_index()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["score"] = np.where(out["area_ha"] > 0, out["scored_area_ha"] / out["area_ha"], np.nan)
    # a group without area has no score: it is listed after the ranked groups, without a
    # rank, and never takes last place (it would hide the group that is really last)
    out["rank"] = out["score"].rank(method="min", ascending=True).astype("Int64")
    ranked = int(out["score"].notna().sum()) >= 2
    worst = out["rank"].max() if ranked else None
    out["last"] = (out["rank"] == worst).fillna(False).astype(bool) if ranked else False
    out["missed_target"] = (out["score"] > settings.target_share).fillna(False)
    return out.sort_values(["rank", "group"], kind="stable", na_position="last").reset_index(
        drop=True
    )


@dataclass(frozen=True)
class Alert:
    """A warning to ``group``: its ``level`` (yellow, red, organisational), Chinese label and
    the runs of its streak (oldest first)."""

    group: str
    level: str
    level_zh: str
    runs: tuple[int, ...]


def warnings(rankings: Sequence[tuple[RunInfo, pd.DataFrame]]) -> list[Alert]:
    """The warnings standing after the last of ``rankings`` (runs in order, each with its
    :func:`rank`): one per group whose streak of last place while missing the target reaches
    two runs."""
    streaks: dict[str, list[int]] = {}
    for run, table in rankings:
        flagged = set(table.loc[table["last"] & table["missed_target"], "group"])
        streaks = {g: [*streaks.get(g, []), run.run_id] for g in flagged}
    out = []
    for group, runs in sorted(streaks.items()):
        reached = [lvl for lvl in WARNING_LEVELS if len(runs) >= lvl[0]]
        if reached:
            _, level, label = reached[-1]
            out.append(Alert(group, level, label, tuple(runs)))
    return out


def rank_runs(
    runs: Sequence[RunInfo],
    chosen: RunInfo,
    read: Callable[[RunInfo, list[str]], pd.DataFrame],
    rules: RuleSet,
) -> list[tuple[RunInfo, pd.DataFrame]]:
    """The rankings of every run up to and including ``chosen`` (in as-of order, then as
    recorded): ``read(run, columns)`` gives a run's parcel columns."""
    order = sorted(runs, key=lambda r: (r.as_of_date or "", r.recorded_at or "", r.run_id))
    upto = order[: order.index(chosen) + 1]
    columns = columns_needed(rules)
    return [(run, rank(read(run, columns), rules)) for run in upto]


def ranking_document(
    rankings: Sequence[tuple[RunInfo, pd.DataFrame]], rules: RuleSet
) -> dict[str, object]:
    """The ranking of the last run and the warnings standing after it, as JSON-ready data."""
    run, table = rankings[-1]
    settings = rules.ranking
    return {
        "run": run.run_id,
        "as_of_date": run.as_of_date,
        "group_by": settings.group_by,
        "score": "share of area_ha in " + ", ".join(settings.score_statuses),
        "target_share": settings.target_share,
        "ranking": [
            {
                "rank": None if pd.isna(r.rank) else int(r.rank),
                "group": str(r.group),
                "parcels": int(r.parcels),
                "area_ha": round(float(r.area_ha), 4),
                "scored_area_ha": round(float(r.scored_area_ha), 4),
                "score": None if pd.isna(r.score) else round(float(r.score), 4),
                "last": bool(r.last),
                "missed_target": bool(r.missed_target),
            }
            for r in table.itertuples()
        ],
        "warnings": [
            {"group": w.group, "level": w.level, "level_zh": w.level_zh, "runs": list(w.runs)}
            for w in warnings(rankings)
        ],
    }


#: Sheet of the ranking workbook (``landuse ranking --xlsx``).
RANKING_SHEET = "排名与预警"
RANKING_HEADERS_ZH: tuple[str, ...] = (
    "名次",
    "分组",
    "宗数",
    "面积(公顷)",
    "闲置或逾期面积(公顷)",
    "比例",
    "末位",
    "未达目标",
)
WARNING_HEADERS_ZH: tuple[str, ...] = ("分组", "预警", "预警代码", "连续期次（run）")


def write_ranking_workbook(path: object, doc: dict[str, object]) -> None:
    """:func:`ranking_document` as a one-sheet workbook (:data:`RANKING_SHEET`): the ranking
    of the run, then the warnings standing, each with the runs that caused it. Text from the
    data is written as text, never as a formula or link."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    try:
        bold = book.add_format({"bold": True, "font_size": 12})
        head = book.add_format(
            {"bold": True, "bg_color": "#D9D9D9", "border": 1, "text_wrap": True}
        )
        cell = book.add_format({"border": 1})
        ha = book.add_format({"border": 1, "num_format": "#,##0.00"})
        share = book.add_format({"border": 1, "num_format": "0.0%"})
        ws = book.add_worksheet(RANKING_SHEET)
        ws.write_string(
            0,
            0,
            f"排名与预警：第 {doc['run']} 期（评价基准日 {doc['as_of_date']}），按 {doc['group_by']} "
            f"分组，得分 {doc['score']}，目标不高于 {float(doc['target_share']):.0%}",  # type: ignore[arg-type]
            bold,
        )
        row = 2
        for col, text in enumerate(RANKING_HEADERS_ZH):
            ws.write_string(row, col, text, head)
        for r in doc["ranking"]:  # type: ignore[attr-defined]
            row += 1
            if r["rank"] is None:
                ws.write_blank(row, 0, None, cell)
            else:
                ws.write_number(row, 0, r["rank"], cell)
            ws.write_string(row, 1, str(r["group"]), cell)
            ws.write_number(row, 2, r["parcels"], cell)
            ws.write_number(row, 3, r["area_ha"], ha)
            ws.write_number(row, 4, r["scored_area_ha"], ha)
            if r["score"] is None:
                ws.write_blank(row, 5, None, cell)
            else:
                ws.write_number(row, 5, r["score"], share)
            ws.write_string(row, 6, "是" if r["last"] else "否", cell)
            ws.write_string(row, 7, "是" if r["missed_target"] else "否", cell)
        row += 2
        alerts = doc["warnings"]
        ws.write_string(row, 0, "截至本期的预警" if alerts else "截至本期无预警", bold)
        if alerts:
            row += 1
            for col, text in enumerate(WARNING_HEADERS_ZH):
                ws.write_string(row, col, text, head)
            for w in alerts:  # type: ignore[attr-defined]
                row += 1
                ws.write_string(row, 0, str(w["group"]), cell)
                ws.write_string(row, 1, w["level_zh"], cell)
                ws.write_string(row, 2, w["level"], cell)
                ws.write_string(row, 3, ", ".join(str(x) for x in w["runs"]), cell)
        ws.set_column(0, 0, 8)
        ws.set_column(1, 1, 26)
        ws.set_column(2, 7, 14)
        ws.freeze_panes(3, 0)
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
    finally:
        book.close()


__all__ = [
    "RANKING_SHEET",
    "write_ranking_workbook",
    "WARNING_LEVELS",
    "Alert",
    "rank_runs",
    "columns_needed",
    "rank",
    "ranking_document",
    "warnings",
]
