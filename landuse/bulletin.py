"""The monthly report (通报) of a run of a store: ``landuse report``.

:func:`gather` reads what the report says from the store — the run's parcels, the diff with
the run before it (:mod:`landuse.diff`), the rankings up to the run and the warnings standing
(:mod:`landuse.ranking`) — and :func:`write_docx` writes it as a Word document (python-docx),
in the order of a 通报:

1. title and as-of date;
2. headline figures: parcels and hectares by status, confirmed money and the money that would
   apply to the 待核查 parcels (if an inspection finds them not started) as two figures, never
   added;
3. what changed since the previous run: kinds of change and every status transition, with
   parcels and hectares;
4. progress classes (推进超过 / 正常 / 滞后 / 无进展 / 待核查) per park;
5. the ranking and the warnings standing, each with the runs that caused it;
6. the parcels to inspect first: the first :data:`INSPECT_FIRST` of the 待核查 list, ranked as
   the workbook's 待核查 form (likely idle by building footprints first, then money at stake,
   then area);
7. a map per park drawn offline (matplotlib through geopandas, the status colours of
   :mod:`landuse.palette`); a park without geometry gets a line saying so.

Parks are the ``area_group`` of the summaries (the park, else the region of the supervision
number). Heavy libraries (python-docx, matplotlib) are imported when the report is written.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landuse import runstore
from landuse.diff import READ_COLUMNS, RunDiff, compare
from landuse.errors import InputError
from landuse.grouping import CONFIRMED, POTENTIAL, group_names, penalty_split
from landuse.ranking import rank_runs, ranking_document
from landuse.rules_file import RuleSet
from landuse.source import RunInfo
from landuse.vocab import PROGRESS_ORDER, PROGRESS_ZH, STATUS_ORDER, STATUS_ZH, Status

#: Rows of the list of parcels to inspect first.
INSPECT_FIRST = 20
#: A run of a province has hundreds of parks and regions: the report's per-park tables and
#: maps list this many, the ranking its first RANK_HEAD and last MAX_GROUPS - RANK_HEAD.
MAX_GROUPS = 30
RANK_HEAD = 10
#: Fonts tried, in order, for the Chinese text of the maps.
CJK_FONTS: tuple[str, ...] = (
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
#: Headers of the headline table (one row per status, then the total).
HEADLINE_HEADERS = ("状态", "宗数", "面积(公顷)", "已确认金额(万元)", "待核查金额(万元)")
CHANGE_HEADERS = ("变化", "宗数", "面积(公顷)")
TRANSITION_HEADERS = ("上期状态", "本期状态", "宗数", "面积(公顷)")
PROGRESS_HEADERS = ("园区", *(PROGRESS_ZH[p] for p in PROGRESS_ORDER), "合计")
RANKING_HEADERS = ("名次", "园区", "宗数", "面积(公顷)", "闲置或逾期面积(公顷)", "比例", "备注")
WARNING_HEADERS = ("园区", "预警", "连续期次（run）")
INSPECT_HEADERS = (
    "序号",
    "电子监管号/宗地编号",
    "项目名称",
    "土地使用权人",
    "园区",
    "面积(公顷)",
    "疑似闲置",
    "待核查金额(万元)",
)
TOTAL_ZH = "合计"
AMOUNT_HEADERS = (
    "金额项目",
    "已确认 上期",
    "已确认 本期",
    "已确认 变化",
    "待核查 上期",
    "待核查 本期",
    "待核查 变化",
)
_AMOUNT_VALUES = (
    "confirmed_before",
    "confirmed_after",
    "confirmed_change",
    "potential_before",
    "potential_after",
    "potential_change",
)


@dataclass
class Bulletin:
    """What the report of ``run`` says (see the module's docstring)."""

    store: Path
    run: RunInfo
    previous: RunInfo | None
    parcels: pd.DataFrame  # with ``geometry`` (shapely) when the run has any
    crs: Any
    headline: pd.DataFrame
    confirmed_wan: float
    potential_wan: float
    diff: RunDiff | None
    progress: pd.DataFrame
    ranking: dict[str, Any]
    inspect: pd.DataFrame
    inspect_total: int
    score_statuses: tuple[str, ...]


def _sorted(runs: Sequence[RunInfo]) -> list[RunInfo]:
    return sorted(runs, key=lambda r: (r.as_of_date or "", r.recorded_at or "", r.run_id))


def _read_parcels(store: Path, run: RunInfo) -> tuple[pd.DataFrame, Any]:
    """The run's parcels, with shapely geometries in ``geometry`` when stored, and the CRS."""
    import shapely

    table = runstore.read_table(store, run.run_id, "parcels")
    assert table is not None  # every recorded run has its parcels
    meta = json.loads((table.schema.metadata or {}).get(b"geo", b"{}") or b"{}")
    column = meta.get("primary_column")
    frame = table.to_pandas()
    crs = None
    if column and column in frame.columns:
        wkb = frame.pop(column)
        frame["geometry"] = shapely.from_wkb(wkb.to_numpy(dtype=object))
        crs = (meta.get("columns", {}).get(column) or {}).get("crs")
    return frame, crs


def _money(frame: pd.DataFrame) -> pd.DataFrame:
    return penalty_split(frame)


def headline_table(parcels: pd.DataFrame) -> pd.DataFrame:
    """Parcels, hectares, confirmed and 待核查 money per status (statuses present, in the
    status order), then the total: columns ``status``, ``status_zh``, ``parcels``,
    ``area_ha``, ``confirmed_wan``, ``potential_wan``."""
    money = _money(parcels)
    frame = pd.DataFrame(
        {
            "status": parcels["status"].astype("string").fillna("unknown").to_numpy(),
            "area_ha": pd.to_numeric(parcels["area_ha"], errors="coerce").to_numpy(float),
            "confirmed_wan": np.nan_to_num(money[CONFIRMED].to_numpy(float)),
            "potential_wan": np.nan_to_num(money[POTENTIAL].to_numpy(float)),
        }
    )
    by = frame.groupby("status", sort=False)
    out = by[["area_ha", "confirmed_wan", "potential_wan"]].sum()
    out.insert(0, "parcels", by.size())
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    out = out.reset_index()
    out = out.iloc[
        np.argsort(out["status"].map(order).fillna(len(order)).to_numpy(), kind="stable")
    ]
    out.insert(1, "status_zh", out["status"].map(STATUS_ZH).fillna(out["status"]))
    total = pd.DataFrame(
        {
            "status": ["all"],
            "status_zh": [TOTAL_ZH],
            "parcels": [len(frame)],
            **{c: [frame[c].sum()] for c in ("area_ha", "confirmed_wan", "potential_wan")},
        }
    )
    return pd.concat([out, total], ignore_index=True)


def progress_table(parcels: pd.DataFrame) -> pd.DataFrame:
    """Parcels per park and progress class (columns ``group``, each class, ``total``)."""
    group = group_names(parcels).astype("string").fillna("（未指定）")
    progress = parcels.get("progress", pd.Series(pd.NA, index=parcels.index)).astype("string")
    table = pd.crosstab(group.to_numpy(), progress.fillna("unknown").to_numpy())
    out = pd.DataFrame({"group": table.index.astype(str)})
    for p in PROGRESS_ORDER:
        out[p] = table[p].to_numpy() if p in table.columns else 0
    out["total"] = table.sum(axis=1).to_numpy()
    return out.sort_values("group", kind="stable").reset_index(drop=True)


def inspect_first(parcels: pd.DataFrame, limit: int = INSPECT_FIRST) -> tuple[pd.DataFrame, int]:
    """The first ``limit`` 待核查 parcels, as the workbook's 待核查 form orders them (likely idle
    first, then the money that would apply, then area; missing values last), and how many
    待核查 parcels there are."""
    status = parcels["status"].astype("string")
    sub = parcels[(status == Status.UNVERIFIED.value).fillna(False).to_numpy(bool)]
    money = np.nan_to_num(_money(sub)[POTENTIAL].to_numpy(float), nan=-np.inf)
    area = pd.to_numeric(sub.get("area_ha"), errors="coerce").to_numpy(float)
    likely = (
        pd.to_numeric(sub["likely_idle"], errors="coerce").to_numpy(float)
        if "likely_idle" in sub.columns
        else np.zeros(len(sub))
    )
    order = np.lexsort(
        (
            -np.nan_to_num(area, nan=-np.inf),
            -money,
            -np.nan_to_num(likely, nan=-np.inf),
        )
    )[:limit]
    chosen = sub.iloc[order]

    def text(name: str) -> pd.Series:
        if name not in chosen.columns:
            return pd.Series(pd.NA, index=chosen.index, dtype="string")
        values = chosen[name].astype("string").str.strip()
        return values.mask(values == "")

    sup, pid = text("supervision_no"), text("parcel_id")
    key = sup.fillna(pid).mask(sup.notna() & pid.notna() & (sup != pid), sup + " / " + pid)
    likely_text = pd.Series(likely[order], index=chosen.index).map({1.0: "是", 0.0: "否"})
    out = pd.DataFrame(
        {
            "key": key.fillna(""),
            "project_name": text("project_name").fillna(""),
            "holder": text("holder").fillna(""),
            "group": group_names(chosen).astype("string").fillna("").to_numpy(),
            "area_ha": area[order],
            "likely_idle": likely_text.fillna("") if "likely_idle" in sub.columns else "",
            "potential_wan": _money(chosen)[POTENTIAL].to_numpy(float),
        }
    ).reset_index(drop=True)
    return out, len(sub)


def amount_rows(diff: RunDiff) -> list[tuple[str, ...]]:
    """The diff's amounts by rule as table rows: the amounts with any money in either run,
    then the total (always)."""
    from landuse.schema import OUTPUT_LABELS_ZH

    rows = []
    for r in diff.amounts.itertuples():
        values = [float(getattr(r, c)) for c in _AMOUNT_VALUES]
        if r.amount != "total_penalty_wan" and not any(values):
            continue
        label = OUTPUT_LABELS_ZH.get(r.amount, r.amount).split("(")[0]
        rows.append((label, *(_wan(v) for v in values)))
    return rows


def gather(store: Path, run: str | None, rules: RuleSet) -> Bulletin:
    """Everything the report of ``run`` (default: the latest) of ``store`` says."""
    from landuse.source import ResultsError, choose_run

    listed = [r.info for r in runstore.read_runs(store)]
    try:
        chosen = choose_run(listed, run, None)
    except ResultsError as exc:
        raise InputError(f"--run {run}: {exc}") from None
    order = _sorted(listed)
    earlier = order[: order.index(chosen)]
    previous = earlier[-1] if earlier else None
    parcels, crs = _read_parcels(store, chosen)
    headline = headline_table(parcels)
    diff = None
    if previous is not None:
        before = runstore.read_table(store, previous.run_id, "parcels", columns=READ_COLUMNS)
        assert before is not None
        present = [c for c in READ_COLUMNS if c in parcels.columns]
        diff = compare(before.to_pandas(), parcels[present], (previous, chosen))

    def read(info: RunInfo, columns: list[str]) -> pd.DataFrame:
        table = runstore.read_table(store, info.run_id, "parcels", columns)
        assert table is not None
        return table.to_pandas()

    ranking = ranking_document(rank_runs(listed, chosen, read, rules), rules)
    inspect, inspect_total = inspect_first(parcels)
    total = headline.iloc[-1]
    return Bulletin(
        store=store,
        run=chosen,
        previous=previous,
        parcels=parcels,
        crs=crs,
        headline=headline,
        confirmed_wan=float(total["confirmed_wan"]),
        potential_wan=float(total["potential_wan"]),
        diff=diff,
        progress=progress_table(parcels),
        ranking=ranking,
        inspect=inspect,
        inspect_total=inspect_total,
        score_statuses=tuple(rules.ranking.score_statuses),
    )


# --------------------------------------------------------------------------- maps


def _cjk_font() -> list[str]:
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    return [f for f in CJK_FONTS if f in have]


@contextmanager
def _quiet_fonts() -> Iterator[None]:
    """Keep matplotlib's notes on font weights (CJK fonts come in few weights) off stderr."""
    import logging

    logger = logging.getLogger("matplotlib.font_manager")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def map_title(name: str, parcels: int, drawn: int) -> str:
    """The title of a park's map: its parcels as the report's tables count them, and how many
    of them the map cannot place (no geometry)."""
    missing = parcels - drawn
    note = f"，{missing:,} 宗无图形未绘出" if missing else ""
    return f"{name}（{parcels:,} 宗{note}）"


def park_maps(bulletin: Bulletin) -> list[tuple[str, bytes | None]]:
    """A PNG (bytes, drawn in memory) per park of the run's parcels coloured by status, or
    None for a park without geometry; parks by name."""
    import geopandas as gpd
    import matplotlib
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    from landuse.palette import PARCEL_STROKE, STATUS_COLOURS

    parcels = bulletin.parcels
    group = group_names(parcels).astype("string").fillna("（未指定）")
    out: list[tuple[str, bytes | None]] = []
    has_geometry = "geometry" in parcels.columns
    fonts = _cjk_font()
    rc = {"font.sans-serif": [*fonts, "DejaVu Sans"], "axes.unicode_minus": False}
    rows = pd.Series(np.arange(len(parcels))).groupby(group.to_numpy()).indices
    status = parcels["status"].astype("string").fillna("unknown").to_numpy()
    names = sorted(rows)
    if len(names) > MAX_GROUPS:  # the parks with the most parcels, by name
        largest = sorted(names, key=lambda n: (-len(rows[n]), n))[:MAX_GROUPS]
        names = sorted(largest)
    for name in names:
        if not has_geometry:
            out.append((name, None))
            continue
        at = rows[name]
        frame = gpd.GeoDataFrame(
            {"status": status[at]},
            geometry=gpd.GeoSeries(parcels["geometry"].to_numpy()[at], crs=bulletin.crs),
        )
        frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
        if frame.empty:
            out.append((name, None))
            continue
        with matplotlib.rc_context(rc), _quiet_fonts():
            fig = Figure(figsize=(6.3, 5.0), dpi=150)
            ax = fig.add_subplot()
            colours = frame["status"].map(STATUS_COLOURS).fillna("#FFFFFF")
            frame.plot(ax=ax, color=colours.to_list(), edgecolor=PARCEL_STROKE, linewidth=0.4)
            ax.set_axis_off()
            ax.set_aspect("equal")
            present = [s for s in STATUS_ORDER if s in set(frame["status"])]
            handles = [
                Patch(facecolor=STATUS_COLOURS[s], edgecolor=PARCEL_STROKE, label=STATUS_ZH[s])
                for s in present
            ]
            if handles:
                ax.legend(
                    handles=handles,
                    loc="upper left",
                    bbox_to_anchor=(1.01, 1.0),
                    frameon=False,
                    fontsize=8,
                )
            ax.set_title(map_title(name, len(at), len(frame)), fontsize=10)
            buffer = io.BytesIO()
            fig.savefig(buffer, format="png", bbox_inches="tight")
        out.append((name, buffer.getvalue()))
    return out


# --------------------------------------------------------------------------- the document


def _ha(value: float) -> str:
    return f"{value:,.2f}"


def _wan(value: float) -> str:
    return f"{value:,.2f}"


#: Tables of at most this many rows are kept on one page.
KEEP_TOGETHER_ROWS = 25


def _table(
    doc: Any,
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    widths_cm: Sequence[float] | None = None,
) -> None:
    """A table with a bold header row, repeated on every page it runs over; numbers to the
    right; rows never split across pages; a short table kept on one page with the line that
    introduces it."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.shared import Cm, Pt

    if doc.paragraphs:  # the line that introduces the table stays on its page
        doc.paragraphs[-1].paragraph_format.keep_with_next = True
    table = doc.add_table(rows=1 + len(rows), cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    if widths_cm is not None:  # the grid (LibreOffice) and every cell (Word)
        table.autofit = False
        for column, width in zip(table.columns, widths_cm, strict=True):
            column.width = Cm(width)
    together = len(rows) < KEEP_TOGETHER_ROWS
    for i, (row, texts) in enumerate(zip(table.rows, [headers, *rows], strict=True)):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if i == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))
        for col, (cell, text) in enumerate(zip(row.cells, texts, strict=True)):
            if widths_cm is not None:
                cell.width = Cm(widths_cm[col])
            para = cell.paragraphs[0]
            para.paragraph_format.space_before = Pt(0)
            para.paragraph_format.keep_with_next = together and i < len(rows)
            run = para.add_run(str(text))
            run.font.size = Pt(9.5)
            if i == 0:
                run.bold = True
                para.alignment = WD_ALIGN_PARAGRAPH.CENTER
            elif _numeric_text(str(text)):
                para.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _numeric_text(text: str) -> bool:
    return (
        bool(text)
        and text.replace(",", "").replace(".", "").replace("%", "").replace("-", "").isdigit()
    )


def _set_fonts(doc: Any) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for name in ("Normal", "Title", "Heading 1", "Heading 2"):
        style = doc.styles[name]
        style.font.name = "SimSun" if name == "Normal" else "SimHei"
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), "宋体" if name == "Normal" else "黑体")
    doc.styles["Normal"].font.size = Pt(11)
    doc.styles["Normal"].paragraph_format.space_before = Pt(6)


def _run_label(run: RunInfo) -> str:
    return f"第 {run.run_id} 期（评价基准日 {run.as_of_date}）"


def write_docx(path: Path, bulletin: Bulletin, maps: Sequence[tuple[str, bytes | None]]) -> None:
    """Write the report to ``path`` (.docx)."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    b = bulletin
    doc = Document()
    _set_fonts(doc)
    section = doc.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.2))
    title = doc.add_heading("工业用地利用效率监管情况通报", level=0)
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(
        f"评价基准日：{b.run.as_of_date}　　分析期次：第 {b.run.run_id} 期"
        + (f"　　上期：第 {b.previous.run_id} 期（{b.previous.as_of_date}）" if b.previous else "")
    )
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER

    total = b.headline.iloc[-1]
    doc.add_heading("一、总体情况", level=1)
    doc.add_paragraph(
        f"截至 {b.run.as_of_date}，纳入监管的工业用地共 {int(total['parcels']):,} 宗、"
        f"{_ha(float(total['area_ha']))} 公顷。已确认的违约金、闲置费等金额合计 "
        f"{_wan(b.confirmed_wan)} 万元；另有待核查宗地 {b.inspect_total:,} 宗，如经现场核查确认"
        f"未开工，将适用金额 {_wan(b.potential_wan)} 万元（尚未确认，未计入已确认金额）。"
    )
    _table(
        doc,
        HEADLINE_HEADERS,
        [
            (
                r.status_zh,
                f"{int(r.parcels):,}",
                _ha(r.area_ha),
                _wan(r.confirmed_wan),
                _wan(r.potential_wan),
            )
            for r in b.headline.itertuples()
        ],
    )

    doc.add_heading("二、与上期相比的变化", level=1)
    if b.diff is None:
        doc.add_paragraph("本期为第一期分析，无上期可比。")
    else:
        doc.add_paragraph(
            f"{_run_label(b.diff.before)} → {_run_label(b.diff.after)}。"
            "面积为本期面积（本期无此宗地的按上期面积）。"
        )
        kinds = b.diff.kind_counts()
        _table(
            doc,
            CHANGE_HEADERS,
            [(r.change_zh, f"{int(r.parcels):,}", _ha(r.area_ha)) for r in kinds.itertuples()],
        )
        doc.add_paragraph("状态转移（含状态未变的宗地）：")
        _table(
            doc,
            TRANSITION_HEADERS,
            [
                (r.status_before_zh, r.status_after_zh, f"{int(r.parcels):,}", _ha(r.area_ha))
                for r in b.diff.transitions.itertuples()
            ],
        )
        doc.add_paragraph("金额比较（万元；已确认与待核查分列，不相加；列出有金额的项目及合计）：")
        _table(doc, AMOUNT_HEADERS, amount_rows(b.diff))
        if b.diff.duplicate_keys:
            doc.add_paragraph(
                f"另有 {b.diff.duplicate_keys} 个宗地编号在同一期中重复，未参与比对。"
            )

    doc.add_heading("三、各园区项目推进情况", level=1)
    doc.add_paragraph(
        "推进情况按规则文件 [progress] 的定义分为推进超过、正常、滞后、无进展；开工期限已过而"
        "无开工证据的列为待核查，核查前不列为无进展。"
    )
    progress = b.progress
    if len(progress) > MAX_GROUPS:
        behind = [p for p in ("behind", "no_progress", "unverified") if p in progress.columns]
        key = progress[behind].sum(axis=1) if behind else progress["total"]
        progress = (
            progress.assign(_key=key)
            .sort_values(["_key", "total", "group"], ascending=[False, False, True])
            .head(MAX_GROUPS)
            .drop(columns="_key")
        )
        doc.add_paragraph(
            f"共 {len(b.progress):,} 个园区/地区，下表列出滞后、无进展与待核查宗数最多的 "
            f"{MAX_GROUPS} 个，其余 {len(b.progress) - MAX_GROUPS:,} 个略。"
        )
    _table(
        doc,
        PROGRESS_HEADERS,
        [
            (r["group"], *(f"{int(r[p]):,}" for p in PROGRESS_ORDER), f"{int(r['total']):,}")
            for _, r in progress.iterrows()
        ],
    )

    doc.add_heading("四、排名与预警", level=1)
    rk = b.ranking
    doc.add_paragraph(
        f"按{'园区（无园区的按行政区）' if rk['group_by'] == 'area_group' else rk['group_by']}"
        f"排名，得分为闲置或逾期（{'、'.join(STATUS_ZH.get(s, s) for s in b.score_statuses)}）"
        f"面积占供地面积的比例，越低越好；目标为不高于 {rk['target_share']:.0%}。"
        "连续 2 期末位且未达目标的给予黄色预警，3 期红色预警（约谈主要负责人），4 期及以上"
        "提出组织处理建议。"
    )
    ranked = [r for r in rk["ranking"] if r["rank"] is not None]
    unscored = len(rk["ranking"]) - len(ranked)
    if unscored:
        doc.add_paragraph(f"另有 {unscored:,} 个无供地面积（无法计算比例），未参与排名。")
    if len(ranked) > MAX_GROUPS:
        tail = MAX_GROUPS - RANK_HEAD
        doc.add_paragraph(
            f"共 {len(ranked):,} 个参与排名，下表列出前 {RANK_HEAD} 名与后 {tail} 名（末位与预警"
            f"所在），第 {RANK_HEAD + 1}–{len(ranked) - tail} 名略；完整排名见 landuse ranking "
            "--xlsx。"
        )
        ranked = ranked[:RANK_HEAD] + ranked[-tail:]
    _table(
        doc,
        RANKING_HEADERS,
        [
            (
                str(r["rank"]),
                r["group"],
                f"{r['parcels']:,}",
                _ha(r["area_ha"]),
                _ha(r["scored_area_ha"]),
                "" if r["score"] is None else f"{r['score']:.1%}",
                "、".join(
                    [
                        *(["末位"] if r["last"] else []),
                        *(["未达目标"] if r["missed_target"] else []),
                    ]
                ),
            )
            for r in ranked
        ],
    )
    if rk["warnings"]:
        doc.add_paragraph("截至本期的预警：")
        _table(
            doc,
            WARNING_HEADERS,
            [
                (w["group"], w["level_zh"], "、".join(f"第 {r} 期" for r in w["runs"]))
                for w in rk["warnings"]
            ],
        )
    else:
        doc.add_paragraph("截至本期无预警。")

    doc.add_heading("五、优先核查宗地", level=1)
    if b.inspect_total == 0:
        doc.add_paragraph("本期无待核查宗地。")
    else:
        shown = len(b.inspect)
        doc.add_paragraph(
            f"本期待核查宗地共 {b.inspect_total:,} 宗，以下列出前 {shown:,} 宗（排序同会议工作簿"
            "“待核查”表：建筑物普查显示疑似闲置的在前，其次按核实未开工时适用的金额、面积从大到"
            "小）。待核查金额尚未确认。"
        )
        _table(
            doc,
            INSPECT_HEADERS,
            [
                (
                    str(i + 1),
                    r.key,
                    r.project_name,
                    r.holder,
                    r.group,
                    "" if pd.isna(r.area_ha) else _ha(r.area_ha),
                    r.likely_idle,
                    "" if pd.isna(r.potential_wan) else _wan(r.potential_wan),
                )
                for i, r in enumerate(b.inspect.itertuples())
            ],
            widths_cm=(1.0, 4.0, 2.6, 2.4, 1.7, 1.7, 0.9, 2.3),
        )

    doc.add_heading("六、各园区宗地分布图", level=1)
    legend = doc.add_paragraph("图中颜色表示本期状态，配色与交互地图、GeoPackage 图层样式一致。")
    legend.paragraph_format.keep_with_next = True  # with the first map
    drawn = [(name, png) for name, png in maps if png is not None]
    blank = [name for name, png in maps if png is None]
    groups = len(b.progress)
    if not drawn and len(blank) > 5:
        blank = []  # results of ledgers alone: one line for every park and region
        doc.add_paragraph(f"本期数据无宗地图形（{groups:,} 个园区/地区），未出图。")
    elif groups > len(maps):
        doc.add_paragraph(
            f"共 {groups:,} 个园区/地区，以下为宗地最多的 {len(maps)} 个，其余 "
            f"{groups - len(maps):,} 个略。"
        )
    for _name, png in drawn:
        doc.add_picture(io.BytesIO(png), width=Cm(15.5))
        doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    if len(blank) > 5:
        doc.add_paragraph(
            f"{len(blank):,} 个园区/地区本期数据无宗地图形，未出图（如 {'、'.join(blank[:5])} 等）。"
        )
    else:
        for name in blank:
            doc.add_paragraph(f"{name}：本期数据无宗地图形，未出图。")
    doc.add_paragraph(
        f"数据来源：分析记录库 {b.store.name}，第 {b.run.run_id} 期，"
        f"记录时间 {(b.run.recorded_at or '')[:16].replace('T', ' ')} UTC。"
    )
    doc.save(str(path))


def pdf_bytes(docx: Path, soffice: str, timeout: float = 180) -> bytes:
    """``docx`` converted to PDF by LibreOffice headless (with a temporary profile, so a
    running LibreOffice of the user is not disturbed); :class:`InputError` saying why when it
    cannot (for example LibreOffice without Writer)."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory(prefix="landuse-soffice-") as tmp:
        tmpdir = Path(tmp)
        source = tmpdir / "report.docx"  # a plain name: LibreOffice names the PDF after it
        source.write_bytes(docx.read_bytes())
        try:
            done = subprocess.run(
                [
                    soffice,
                    f"-env:UserInstallation={tmpdir.joinpath('profile').as_uri()}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(tmpdir),
                    str(source),
                ],
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise InputError(
                f"LibreOffice ({soffice}) did not convert the report to PDF within {timeout:.0f} "
                "s. Write the Word document alone with --no-pdf."
            ) from None
        made = tmpdir / "report.pdf"
        if done.returncode != 0 or not made.exists():
            said = (done.stderr or done.stdout).strip()[:500]
            raise InputError(
                f"LibreOffice ({soffice}) could not convert the report to PDF: {said}. Write the "
                "Word document alone with --no-pdf."
            )
        return made.read_bytes()


__all__ = [
    "INSPECT_FIRST",
    "Bulletin",
    "gather",
    "headline_table",
    "inspect_first",
    "park_maps",
    "progress_table",
    "write_docx",
    "pdf_bytes",
]
