"""The legend and the summary panel: HTML written on the server, every data text escaped.

The panel shows, per group and in total, parcels, hectares and amounts (万元) by status, the
amounts by kind, and an inline SVG bar chart of idle (``recovery`` + ``idle_fee``) and overdue
(``late_start`` + ``late_completion``) hectares per group. Groups follow
:func:`landuse.grouping.group_names`: the park, else the region of the supervision number,
else （未指定园区）. Confirmed amounts and the amounts that would apply to unverified (待核查)
parcels are two figures everywhere (:func:`landuse.grouping.penalty_split`), never added
together. The summary is computed from the parcels (:func:`summary_frame`), so it counts every
analysed parcel, also those without a geometry (the panel says how many of those are not
drawn).
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from landuse.grouping import (
    CONFIRMED,
    POTENTIAL,
    group_frame,
    group_names,
    group_order,
    penalty_split,
    split_amounts,
)
from landuse.schema import AMOUNT_COLUMNS, STATUS_ORDER, Status
from landuse.vocab import PROGRESS_ORDER
from landuse.workbook import ALL_STATUSES, GRAND_TOTAL
from maps.labels import Lang, column_label, status_label, text
from maps.palette import IDLE_BAR, OTHER_STATUS, OVERDUE_BAR, STATUS_KEYS, status_colour

POTENTIAL_KINDS: tuple[str, ...] = tuple(f"potential_{c}" for c in AMOUNT_COLUMNS)
VALUE_COLUMNS: tuple[str, ...] = (
    "parcels",
    "area_ha",
    CONFIRMED,
    POTENTIAL,
    *AMOUNT_COLUMNS,
    *POTENTIAL_KINDS,
)
IDLE_STATUSES: tuple[str, ...] = (Status.RECOVERY.value, Status.IDLE_FEE.value)
OVERDUE_STATUSES: tuple[str, ...] = (Status.LATE_START.value, Status.LATE_COMPLETION.value)
#: ``data-park`` of the grand-total block.
TOTAL_KEY = "__total__"
_LABEL_CHARS = 9  # park names longer than this are shortened in the chart (full name on hover)
CHART_MAX_ROWS = 15  # beyond this many parks or regions the chart shows the largest only


def esc(value: object) -> str:
    """Text for HTML content or a quoted attribute (``& < > " '`` escaped)."""
    return html.escape(str(value), quote=True)


def fmt_int(value: float) -> str:
    """A count with thousands separators."""
    return f"{int(value):,}" if np.isfinite(value) else "–"


def fmt_2(value: float) -> str:
    """A number with two decimals and thousands separators (``–`` when missing)."""
    return f"{value:,.2f}" if np.isfinite(value) else "–"


def summary_frame(parcels: pd.DataFrame) -> pd.DataFrame:
    """Parcels, hectares and amounts per group and status, from the parcels (whole columns).

    Columns: ``park`` (the group's name), ``group_kind``, ``status`` and
    :data:`VALUE_COLUMNS`: the amounts per kind count confirmed amounts, the ``potential_*``
    ones the amounts of unverified parcels. Rows are ordered as summaries list groups (parks,
    regions, （未指定园区）), statuses by precedence.
    """
    groups = group_frame(parcels)
    status = (
        parcels["status"].astype("string")
        if "status" in parcels.columns
        else pd.Series(pd.NA, index=parcels.index, dtype="string")
    )
    area = (
        pd.to_numeric(parcels["area_ha"], errors="coerce").astype(float)
        if "area_ha" in parcels.columns
        else pd.Series(np.nan, index=parcels.index)
    )
    frame = pd.concat(
        [
            groups.rename(columns={"group": "park"}),
            pd.DataFrame({"status": status.fillna("unknown"), "area_ha": area}),
            penalty_split(parcels),
            split_amounts(parcels, list(AMOUNT_COLUMNS)),
        ],
        axis=1,
    )
    sums = [CONFIRMED, POTENTIAL, *AMOUNT_COLUMNS, *POTENTIAL_KINDS]
    grouped = frame.groupby(["park", "status"], sort=False)
    out = grouped[["area_ha", *sums]].sum(min_count=1)
    out.insert(0, "parcels", grouped.size())
    out.insert(0, "group_kind", grouped["group_kind"].first())
    out = out.reset_index()
    if len(out) == 0:
        return out[["park", "group_kind", "status", *VALUE_COLUMNS]]
    kinds = out.groupby("park", sort=False)["group_kind"].first().reset_index()
    rank = {
        p: i for i, p in enumerate(group_order(kinds.rename(columns={"park": "group"}))["group"])
    }
    status_rank = {s: i for i, s in enumerate(STATUS_ORDER)}
    out["_g"] = out["park"].map(rank)
    out["_s"] = out["status"].map(status_rank).fillna(len(STATUS_ORDER))
    out = out.sort_values(["_g", "_s", "status"], kind="stable").drop(columns=["_g", "_s"])
    return out[["park", "group_kind", "status", *VALUE_COLUMNS]].reset_index(drop=True)


@dataclass(frozen=True)
class Summary:
    """Per group and status sums (``by_status``), per group (``by_park``) and in all
    (``total``), with the columns of :data:`VALUE_COLUMNS`.

    ``by_status`` is indexed by (group, status key); statuses outside the known list are
    gathered under :data:`maps.palette.OTHER_STATUS`. Groups keep the table's order.
    """

    by_status: pd.DataFrame
    by_park: pd.DataFrame
    total: pd.Series
    #: Parcels per group (index) and progress class (columns, :data:`PROGRESS_ORDER`), when
    #: the parcels carry ``progress``.
    progress: pd.DataFrame | None = None

    @classmethod
    def from_parcels(cls, parcels: pd.DataFrame) -> Summary:
        """Build from the parcels (see :func:`summary_frame`), progress classes included."""
        return cls.from_table(summary_frame(parcels)).with_progress(parcels)

    def with_progress(self, parcels: pd.DataFrame) -> Summary:
        """This summary with the parcels per group and progress class of ``parcels`` (itself
        when they carry no ``progress``)."""
        if "progress" not in parcels.columns:
            return self
        frame = pd.DataFrame(
            {
                "group": group_names(parcels).astype("string").fillna("").to_numpy(),
                "progress": parcels["progress"].astype("string").fillna("").to_numpy(),
            }
        )
        table = frame.groupby(["group", "progress"], sort=False).size().unstack(fill_value=0)
        return replace(self, progress=table.reindex(columns=list(PROGRESS_ORDER), fill_value=0))

    @classmethod
    def from_table(cls, summary: pd.DataFrame) -> Summary:
        """Build from a per group (``park``) and status table: :func:`summary_frame`, or a
        table of :func:`landuse.workbook.summary_table` (subtotal and total rows, when present,
        are recomputed rather than trusted; without the confirmed and potential columns, the
        amounts of ``unverified`` rows count as would-apply, the others as confirmed)."""
        status = summary["status"].astype("string")
        park = summary["park"].astype("string")
        detail = summary[((status != ALL_STATUSES) & (park != GRAND_TOTAL)).fillna(True)]
        if CONFIRMED not in detail.columns or POTENTIAL not in detail.columns:
            detail = pd.concat(
                [
                    detail.drop(columns=list(AMOUNT_COLUMNS), errors="ignore"),
                    penalty_split(detail),
                    split_amounts(detail, list(AMOUNT_COLUMNS)),
                ],
                axis=1,
            )
        key = detail["status"].astype("string")
        key = key.where(key.isin(list(STATUS_ORDER)), OTHER_STATUS).fillna(OTHER_STATUS)
        frame = pd.DataFrame(
            {
                "park": detail["park"].astype("string").fillna("").to_numpy(),
                "status": key.to_numpy(),
                **{
                    c: pd.to_numeric(detail[c], errors="coerce").to_numpy(dtype=float)
                    if c in detail.columns
                    else np.full(len(detail), np.nan)
                    for c in VALUE_COLUMNS
                },
            }
        )
        values = list(VALUE_COLUMNS)
        by_status = frame.groupby(["park", "status"], sort=False)[values].sum(min_count=1)
        by_park = frame.groupby("park", sort=False)[values].sum(min_count=1)
        total = pd.Series({c: frame[c].sum(min_count=1) for c in VALUE_COLUMNS}, dtype=float)
        return cls(by_status, by_park, total)

    def status_counts(self) -> pd.Series:
        """Parcels per status key over every group (known statuses in order, then other)."""
        counts = self.by_status["parcels"].groupby(level="status").sum()
        return counts.reindex([k for k in STATUS_KEYS if k in counts.index])

    def hectares(self, park: str, statuses: tuple[str, ...]) -> float:
        """Hectares of ``park`` in ``statuses`` (0 when none)."""
        rows = self.by_status.loc[park] if park in self.by_park.index else None
        if rows is None:
            return 0.0
        values = rows.reindex(list(statuses))["area_ha"]
        return float(values.fillna(0.0).sum())


def _swatch(status: str) -> str:
    return f'<span class="lu-swatch" style="background:{status_colour(status)}"></span>'


def _money(value: float) -> str:
    """An amount, ``–`` when there is none (missing or 0)."""
    return fmt_2(value) if np.isfinite(value) and value != 0 else "–"


def _status_table(lang: Lang, rows: pd.DataFrame, totals: pd.Series, total_label: str) -> str:
    head = (
        f"<thead><tr><th>{esc(text(lang, 'status'))}</th><th>{esc(text(lang, 'parcels'))}</th>"
        f"<th>{esc(text(lang, 'area_ha'))}</th><th>{esc(text(lang, 'confirmed_wan'))}</th>"
        f"<th>{esc(text(lang, 'potential_wan'))}</th></tr></thead>"
    )
    statuses = [k for k in STATUS_KEYS if k in rows.index]
    columns = ["parcels", "area_ha", CONFIRMED, POTENTIAL]
    numbers = rows.loc[statuses, columns].to_numpy(float)
    body = [
        f'<tr data-status="{esc(status)}"><td>{_swatch(status)}'
        f"{esc(status_label(lang, status))}</td>"
        f'<td class="lu-num lu-parcels">{fmt_int(n)}</td>'
        f'<td class="lu-num lu-ha">{fmt_2(ha)}</td>'
        f'<td class="lu-num lu-confirmed">{_money(wan)}</td>'
        f'<td class="lu-num lu-potential">{_money(pot)}</td></tr>'
        for status, (n, ha, wan, pot) in zip(statuses, numbers, strict=True)  # ten at most
    ]
    t = totals.reindex(columns).to_numpy(float)
    foot = (
        f'<tfoot><tr data-status="all"><td>{esc(total_label)}</td>'
        f'<td class="lu-num lu-parcels">{fmt_int(t[0])}</td>'
        f'<td class="lu-num lu-ha">{fmt_2(t[1])}</td>'
        f'<td class="lu-num lu-confirmed">{_money(t[2])}</td>'
        f'<td class="lu-num lu-potential">{_money(t[3])}</td></tr></tfoot>'
    )
    return f'<table class="lu-table">{head}<tbody>{"".join(body)}</tbody>{foot}</table>'


def _kind_list(lang: Lang, totals: pd.Series, prefix: str, title: str, css: str) -> str:
    items = [
        f'<li data-kind="{esc(c)}"><span>{esc(column_label(lang, c))}</span>'
        f'<span class="lu-num">{fmt_2(totals[prefix + c])}</span></li>'
        for c in AMOUNT_COLUMNS
        if np.isfinite(totals[prefix + c]) and totals[prefix + c] != 0
    ]
    if not items:
        return ""
    return (
        f'<div class="lu-kinds {css}"><div class="lu-sub">{esc(title)}</div>'
        f"<ul>{''.join(items)}</ul></div>"
    )


def _kinds(lang: Lang, totals: pd.Series) -> str:
    return _kind_list(
        lang, totals, "", text(lang, "confirmed_by_kind"), "lu-kinds-confirmed"
    ) + _kind_list(
        lang, totals, "potential_", text(lang, "potential_by_kind"), "lu-kinds-potential"
    )


def _block(
    lang: Lang,
    key: str,
    name: str,
    rows: pd.DataFrame,
    totals: pd.Series,
    *,
    is_open: bool,
    progress: pd.Series | None = None,
) -> str:
    potential = totals[POTENTIAL]
    headline = (
        f'<span class="lu-park-name">{esc(name)}</span>'
        f'<span class="lu-headline"><span>{fmt_int(totals["parcels"])} '
        f"{esc(text(lang, 'parcels_unit'))} · {fmt_2(totals['area_ha'])} "
        f"{esc(text(lang, 'ha_unit'))}</span>"
        f' · <span class="lu-head-confirmed">{esc(text(lang, "confirmed"))} '
        f"{fmt_2(totals[CONFIRMED])} {esc(text(lang, 'wan_unit'))}</span>"
        + (
            f' · <span class="lu-head-potential">{esc(text(lang, "potential"))} '
            f"{fmt_2(potential)} {esc(text(lang, 'wan_unit'))}</span>"
            if np.isfinite(potential) and potential != 0
            else ""
        )
        + "</span>"
    )
    label = text(lang, "total") if key == TOTAL_KEY else text(lang, "subtotal")
    return (
        f'<details class="lu-park" data-park="{esc(key)}"{" open" if is_open else ""}>'
        f"<summary>{headline}</summary>"
        f"{_status_table(lang, rows, totals, label)}{_kinds(lang, totals)}"
        f"{_progress_line(lang, progress)}</details>"
    )


def _progress_line(lang: Lang, counts: pd.Series | None) -> str:
    """Parcels per progress class (推进超过 · 正常 · 滞后 · 无进展 · 待核查), those present."""
    if counts is None or not counts.any():
        return ""
    parts = [
        f"{esc(text(lang, f'progress_{p}'))} {int(counts[p]):,}"
        for p in PROGRESS_ORDER
        if counts.get(p, 0)
    ]
    return (
        f'<div class="lu-progress"><span class="lu-sub">{esc(text(lang, "progress_title"))}'
        f"</span> {' · '.join(parts)}</div>"
    )


def bar_chart_svg(lang: Lang, summary: Summary) -> str:
    """An inline SVG of idle and overdue hectares per park (horizontal bars, values at the
    bar ends, the full park name as the label's tooltip)."""
    parks = [str(p) for p in summary.by_park.index]
    idle = [summary.hectares(p, IDLE_STATUSES) for p in parks]  # one per park
    overdue = [summary.hectares(p, OVERDUE_STATUSES) for p in parks]
    left_out = 0
    if len(parks) > CHART_MAX_ROWS:
        # A province's regions: the largest idle + overdue areas, none without any.
        both = np.asarray(idle) + np.asarray(overdue)
        keep = [i for i in np.argsort(-both, kind="stable")[:CHART_MAX_ROWS] if both[i] > 0]
        left_out = len(parks) - len(keep)
        parks, idle, overdue = ([seq[i] for i in keep] for seq in (parks, idle, overdue))
    top = max([*idle, *overdue, 0.0]) or 1.0
    label_w, bar_w, value_w, row_h, bar_h = 96, 150, 56, 30, 11
    width = label_w + bar_w + value_w
    legend_h = 34
    note_h = 18 if left_out else 0
    height = legend_h + row_h * len(parks) + 4 + note_h
    parts = [
        f'<svg class="lu-chart-svg" xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{esc(text(lang, "chart_title"))}">',
        f'<rect x="0" y="2" width="10" height="10" fill="{IDLE_BAR}"/>'
        f'<text x="14" y="11" class="lu-chart-key">{esc(text(lang, "idle"))}</text>',
        f'<rect x="0" y="18" width="10" height="10" fill="{OVERDUE_BAR}"/>'
        f'<text x="14" y="27" class="lu-chart-key">{esc(text(lang, "overdue"))}</text>',
    ]
    for i, park in enumerate(parks):
        y = legend_h + i * row_h
        short = park if len(park) <= _LABEL_CHARS else park[: _LABEL_CHARS - 1] + "…"
        parts.append(
            f'<g class="lu-bar-row" data-park="{esc(park)}">'
            f'<text x="0" y="{y + 16}" class="lu-chart-label"><title>{esc(park)}</title>'
            f"{esc(short)}</text>"
        )
        for j, (value, colour, kind) in enumerate(
            ((idle[i], IDLE_BAR, "idle"), (overdue[i], OVERDUE_BAR, "overdue"))
        ):
            w = bar_w * value / top
            by = y + 2 + j * (bar_h + 2)
            parts.append(
                f'<rect class="lu-bar lu-bar-{kind}" data-ha="{value:.4f}" x="{label_w}" '
                f'y="{by}" width="{w:.1f}" height="{bar_h}" fill="{colour}"/>'
                f'<text x="{label_w + w + 3:.1f}" y="{by + bar_h - 2}" class="lu-chart-value">'
                f"{fmt_2(value)}</text>"
            )
        parts.append("</g>")
    if left_out:
        note = text(lang, "chart_left_out").format(n=left_out)
        parts.append(f'<text x="0" y="{height - 6}" class="lu-chart-note">{esc(note)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def panel_html(
    lang: Lang,
    summary: Summary,
    *,
    title: str,
    as_of: str | None,
    not_drawn: int = 0,
    note: str | None = None,
    element_id: str = "lu-panel",
) -> str:
    """The summary panel (hidden until the page moves it into a map control)."""
    meta = []
    if as_of:
        meta.append(f"{esc(text(lang, 'as_of'))} {esc(as_of)}")
    if not_drawn:
        meta.append(
            f'<span class="lu-not-drawn">{not_drawn:,} {esc(text(lang, "no_geometry"))}</span>'
        )
    if note:
        meta.append(esc(note))
    potential = summary.total[POTENTIAL]
    if np.isfinite(potential) and potential != 0:
        meta.append(f'<span class="lu-potential-note">{esc(text(lang, "potential_note"))}</span>')
    blocks = [
        _block(
            lang,
            TOTAL_KEY,
            text(lang, "total"),
            summary.by_status.groupby(level="status").sum(min_count=1),
            summary.total,
            is_open=True,
            progress=None if summary.progress is None else summary.progress.sum(),
        )
    ]
    for park in summary.by_park.index:  # one block per park
        progress = None
        if summary.progress is not None and park in summary.progress.index:
            progress = summary.progress.loc[park]
        blocks.append(
            _block(
                lang,
                str(park),
                str(park),
                summary.by_status.loc[park],
                summary.by_park.loc[park],
                is_open=False,
                progress=progress,
            )
        )
    return (
        f'<div id="{esc(element_id)}" class="lu-panel" style="display:none">'
        f'<div class="lu-title">{esc(title)}</div>'
        f'<div class="lu-meta">{"<br>".join(meta)}</div>'
        f'<section class="lu-chart"><div class="lu-sub">{esc(text(lang, "chart_title"))}</div>'
        f"{bar_chart_svg(lang, summary)}</section>"
        f"{''.join(blocks)}</div>"
    )


def legend_html(
    lang: Lang, summary: Summary, *, element_id: str = "lu-legend", park_line: bool = True
) -> str:
    """The legend: one row per status present (colour, name, parcels), then (``park_line``)
    the park boundary line."""
    counts = summary.status_counts()
    rows = [
        f'<div class="lu-legend-row" data-status="{esc(status)}">{_swatch(str(status))}'
        f'<span class="lu-legend-label">{esc(status_label(lang, str(status)))}</span>'
        f'<span class="lu-legend-count">{fmt_int(float(n))}</span></div>'
        for status, n in counts.items()
    ]
    if park_line:
        rows.append(
            f'<div class="lu-legend-row lu-legend-park"><span class="lu-line"></span>'
            f'<span class="lu-legend-label">{esc(text(lang, "park_boundary"))}</span></div>'
        )
    return (
        f'<div id="{esc(element_id)}" class="lu-legend" style="display:none">'
        f'<div class="lu-sub">{esc(text(lang, "legend_title"))} '
        f'<span class="lu-legend-unit">({esc(text(lang, "parcels_unit"))})</span></div>'
        f"{''.join(rows)}</div>"
    )
