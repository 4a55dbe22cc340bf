"""The list of parcels to act on: a ranked HTML table for results that cannot all be drawn.

Results of ledgers alone have no geometry, so the map shows this table instead of parcels;
with some geometries, it lists the parcels that are not drawn. Parcels are ranked by status
severity (拟收回, 闲置满一年, 逾期未开工, 待核查, 逾期未竣工, 政府原因闲置, 投资强度不达标, then any
other status but 按期推进 and 已竣工达标, which need no action), then by the money at stake
(confirmed, or would apply for 待核查), then by area. Everything is done on whole columns; only
the first :data:`LIST_LIMIT` rows are turned into HTML, with a note of how many more there are.
Every text from the data is escaped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from landuse.grouping import (
    CONFIRMED,
    POTENTIAL,
    column_numbers,
    column_text,
    group_names,
    penalty_split,
)
from landuse.schema import Status
from maps.labels import Lang, status_label, text
from maps.palette import OTHER_STATUS, STATUS_KEYS, status_colour
from maps.panel import esc as _esc

#: Rows of the table at most.
LIST_LIMIT = 500
#: Statuses to act on, most severe first; any status not listed here nor in NO_ACTION follows.
ACTION_ORDER: tuple[str, ...] = (
    Status.RECOVERY.value,
    Status.IDLE_FEE.value,
    Status.LATE_START.value,
    Status.UNVERIFIED.value,
    Status.LATE_COMPLETION.value,
    Status.GOV_DELAY.value,
    Status.BELOW_THRESHOLD.value,
)
#: Statuses that need no action.
NO_ACTION: tuple[str, ...] = (Status.ON_TRACK.value, Status.COMPLIANT.value)

_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;"), ("'", "&#x27;"))


def escape_column(values: pd.Series) -> pd.Series:
    """Text of a whole column made safe for HTML content and quoted attributes (missing
    values become empty text)."""
    out = values.astype("string").fillna("")
    for char, entity in _ESCAPES:
        out = out.str.replace(char, entity, regex=False)
    return out.astype(object)


def ranked(parcels: pd.DataFrame, limit: int = LIST_LIMIT) -> tuple[pd.DataFrame, int]:
    """The first ``limit`` parcels to act on, ranked, and how many there are in all.

    The rows keep ``parcels``' index; columns: ``key`` (电子监管号, with the 宗地编号 after it
    when that differs; else the 宗地编号), ``project_name``, ``holder``, ``group`` (park, else
    region), ``status``, ``area_ha``, ``confirmed_penalty_wan`` and ``potential_penalty_wan``.
    Within a status, likely-idle parcels (``likely_idle``: no building in a footprint survey a
    year after the due date) come first, then by amount at stake and area.
    """
    status = column_text(parcels, "status").fillna("")
    act = ~status.isin(list(NO_ACTION)).to_numpy()
    sub = parcels[act]
    sub_status = status[act]
    rank = sub_status.map({s: i for i, s in enumerate(ACTION_ORDER)}).fillna(len(ACTION_ORDER))
    money = penalty_split(sub)
    at_stake = np.nan_to_num(money[CONFIRMED].to_numpy()) + np.nan_to_num(
        money[POTENTIAL].to_numpy()
    )  # one of the two is 0 for each parcel: this only orders the rows
    area = column_numbers(sub, "area_ha").to_numpy()
    # within a status, parcels that footprints show empty (likely idle) come first
    likely = np.nan_to_num(column_numbers(sub, "likely_idle").to_numpy(), nan=0.0)
    order = np.lexsort(
        (-np.nan_to_num(area, nan=-1.0), -at_stake, -likely, rank.to_numpy(dtype=float))
    )
    top = order[:limit]
    chosen = sub.iloc[top]
    supervision = column_text(chosen, "supervision_no")
    parcel_id = column_text(chosen, "parcel_id")
    differs = supervision.notna() & parcel_id.notna() & (supervision != parcel_id)
    key = supervision.fillna(parcel_id).astype("string")
    key = key.mask(differs, supervision + " / " + parcel_id)
    table = pd.DataFrame(
        {
            "key": key,
            "project_name": column_text(chosen, "project_name"),
            "holder": column_text(chosen, "holder"),
            "group": group_names(chosen),
            "status": sub_status.iloc[top],
            "area_ha": area[top],
            CONFIRMED: money[CONFIRMED].to_numpy()[top],
            POTENTIAL: money[POTENTIAL].to_numpy()[top],
        },
        index=chosen.index,
    )
    return table, int(act.sum())


def _number_column(values: np.ndarray, digits: int, blank_zero: bool = False) -> pd.Series:
    series = pd.Series(values, dtype=float)
    shown = series.map(lambda v: f"{v:,.{digits}f}")  # at most LIST_LIMIT rows
    hide = series.isna() | ((series == 0) if blank_zero else False)
    return shown.mask(hide, "–").astype(object)


def list_html(
    lang: Lang,
    parcels: pd.DataFrame,
    *,
    all_parcels: bool,
    limit: int = LIST_LIMIT,
    as_of: str | None = None,
    element_id: str = "lu-list",
) -> str:
    """The ranked table of ``parcels`` to act on, in a ``<details>`` block (hidden until the
    page moves it into a map control).

    ``all_parcels``: the results have no geometry at all; the block is open and says so, with
    how to add a parcel layer. Else ``parcels`` are those that are not drawn and the block is
    closed (no block, ``""``, when none of them is to act on). ``as_of``: the results' date, used in the example command."""
    rows, count = ranked(parcels, limit)
    if count == 0 and not all_parcels:
        return ""  # nothing to act on among the parcels not drawn: no block at all
    status_keys = rows["status"].where(rows["status"].isin(list(STATUS_KEYS)), OTHER_STATUS)
    labels = status_keys.map(lambda s: status_label(lang, s))  # at most ten distinct values
    colours = status_keys.map(status_colour)
    n = len(rows)
    cells = (
        '<tr data-status="'
        + escape_column(rows["status"])
        + '"><td class="lu-num">'
        + pd.Series(np.arange(1, n + 1), index=rows.index).astype(str)
        + '</td><td class="lu-key">'
        + escape_column(rows["key"])
        + '</td><td class="lu-project">'
        + escape_column(rows["project_name"])
        + '</td><td class="lu-holder">'
        + escape_column(rows["holder"])
        + '</td><td class="lu-group">'
        + escape_column(rows["group"])
        + '</td><td class="lu-status"><span class="lu-swatch" style="background:'
        + colours.astype(str)
        + '"></span>'
        + escape_column(labels)
        + '</td><td class="lu-num lu-ha">'
        + _number_column(rows["area_ha"].to_numpy(), 4).to_numpy()
        + '</td><td class="lu-num lu-confirmed">'
        + _number_column(rows[CONFIRMED].to_numpy(), 2, blank_zero=True).to_numpy()
        + '</td><td class="lu-num lu-potential">'
        + _number_column(rows[POTENTIAL].to_numpy(), 2, blank_zero=True).to_numpy()
        + "</td></tr>"
    )
    headers = [
        ("col_rank", "lu-num"),
        ("col_key", ""),
        ("col_project", ""),
        ("col_holder", ""),
        ("col_group", ""),
        ("col_status", ""),
        ("col_area", "lu-num"),
        ("col_confirmed", "lu-num"),
        ("col_potential", "lu-num"),
    ]
    head = "".join(
        f'<th class="{css}">{_esc(text(lang, key))}</th>'
        if css
        else f"<th>{_esc(text(lang, key))}</th>"
        for key, css in headers
    )
    title = text(lang, "list_title" if all_parcels else "list_title_not_drawn")
    parts = [
        f'<details id="{_esc(element_id)}" class="lu-list{" lu-list-all" if all_parcels else ""}"'
        f'{" open" if all_parcels else ""} style="display:none">',
        f'<summary><span class="lu-list-title">{_esc(title)}</span> '
        f'<span class="lu-list-count">{_esc(text(lang, "list_count").format(n=f"{count:,}"))}'
        "</span></summary>",
    ]
    if all_parcels:
        parts.append(
            f'<div class="lu-no-geometry"><p>{_esc(text(lang, "no_geometry_all"))}</p>'
            f"<p>{_esc(text(lang, 'add_parcels'))}<br>"
            f"<code>{_esc(text(lang, 'add_parcels_command').format(as_of=as_of or 'YYYY-MM-DD'))}"
            "</code></p></div>"
        )
    if count == 0:
        parts.append(f'<p class="lu-list-none">{_esc(text(lang, "list_none"))}</p>')
    else:
        parts.append(
            f'<div class="lu-list-scroll"><table class="lu-table lu-list-table">'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(cells.tolist())}</tbody></table></div>"
        )
        if count > n:
            more = text(lang, "list_more").format(shown=f"{n:,}", more=f"{count - n:,}")
            parts.append(f'<p class="lu-list-more">{_esc(more)}</p>')
    if rows[POTENTIAL].fillna(0).ne(0).any():
        parts.append(f'<p class="lu-potential-note">{_esc(text(lang, "potential_note"))}</p>')
    parts.append("</details>")
    return "".join(parts)
