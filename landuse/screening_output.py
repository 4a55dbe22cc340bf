"""The screening verdicts of a projects table as a committee reads them (入园评审结果).

:func:`committee_table` lays the verdicts out in Chinese: the committee's own columns first,
unchanged and in their order (序号, 企业名称, 备注 ... every column that is not a screening
input), then the project as screened (investment, the area in 亩 and in 公顷), the conclusion
(评审结论), the intensity against the threshold that applies and where it comes from (标准来源),
the largest area the investment supports, the smallest investment the area needs, each
indicator with its result (通过 / 未通过 / 未评审 / 不适用), the indicators not checked, the reasons
for failing and the problems of the row's cells. Figures are rounded when laid out: 公顷 to 4
decimals, 亩 to 2, 万元 and 万元/公顷 to 2, percentages and plot ratios to 2.

:func:`write_verdicts` writes the table as .xlsx (sheet 评审结果, notes below it, and the total
rows that were not screened in sheet 未评审行) or .csv (the total rows at the bottom, 评审结论
未评审（合计行）).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from landuse.rules_file import RuleSet
from landuse.schema import SOURCE_FILE, SOURCE_ROW
from landuse.screening import INDICATOR_LABELS_ZH, MU_PER_HA
from landuse.screening_table import screening_inputs

__all__ = [
    "MAIN_SHEET",
    "SKIPPED_SHEET",
    "TOTAL_ROW_CONCLUSION",
    "CommitteeVerdicts",
    "committee_table",
    "write_verdicts",
]

MAIN_SHEET = "评审结果"
SKIPPED_SHEET = "未评审行"
TOTAL_ROW_CONCLUSION = "未评审（合计行）"
ROW_NUMBER = "原表行号"
SERIAL = "序号"
CONCLUSION = "评审结论"

# Decimals of each kind of figure when laid out.
_HA, _MU, _WAN, _PCT, _RATIO = 4, 2, 2, 2, 2


@dataclass
class CommitteeVerdicts:
    """The laid-out verdicts: ``table`` (one row per project), ``skipped`` (the total rows,
    not screened: 原表行号, 原因 and the row's cells as read), ``notes`` (lines for the foot of
    the sheet) and the number of decimals of each numeric column (``decimals``)."""

    table: pd.DataFrame
    skipped: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    decimals: dict[str, int] = field(default_factory=dict)


def _pct(value: float) -> str:
    return f"{value * 100:g}%"


def committee_table(
    projects: pd.DataFrame,
    verdicts: pd.DataFrame,
    rules: RuleSet,
    *,
    totals: pd.DataFrame | None = None,
    notes: Sequence[str] = (),
) -> CommitteeVerdicts:
    """Lay out ``verdicts`` (:func:`landuse.screening.screen_table` of ``projects``, row for
    row) for a committee; ``totals`` are the total rows split off by
    :func:`landuse.screening.split_totals`. ``notes`` go to the foot of the sheet."""
    inputs = screening_inputs(list(projects.columns))
    used = set(inputs.values()) | {SOURCE_FILE, SOURCE_ROW}
    own = [c for c in projects.columns if c not in used]
    rows = projects.reset_index(drop=True)
    v = verdicts.reset_index(drop=True)
    n = len(rows)

    def text(field_name: str) -> pd.Series:
        if field_name not in inputs:
            return pd.Series(pd.NA, index=rows.index, dtype="string")
        cells = rows[inputs[field_name]].astype("string").str.strip()
        cells = cells.str.replace(r"^(\d+)\.0$", r"\1", regex=True)
        return cells.mask(cells == "")

    def number(name: str, decimals: int, scale: float = 1.0) -> pd.Series:
        values = pd.to_numeric(v[name], errors="coerce").astype("float64") * scale
        return values.round(decimals)

    control = rules.control
    out: dict[str, pd.Series] = {}
    decimals: dict[str, int] = {}

    def put(name: str, values: pd.Series, places: int | None = None) -> None:
        out[name] = values.reset_index(drop=True)
        if places is not None:
            decimals[name] = places

    lead: dict[str, pd.Series] = {}
    if not any(str(c).strip() == SERIAL for c in own):
        lead[SERIAL] = pd.Series(np.arange(1, n + 1), dtype="int64")
        decimals[SERIAL] = 0
    for c in own:
        lead[str(c)] = rows[c].reset_index(drop=True)
    put("项目名称", text("project_name"))
    put("园区", text("park"))
    put("行业代码", text("industry_code"))
    put("固定资产总投资(万元)", number("investment_wan", _WAN), _WAN)
    put("用地面积(亩)", number("area_ha", _MU, MU_PER_HA), _MU)
    put("用地面积(公顷)", number("area_ha", _HA), _HA)
    put(CONCLUSION, v["conclusion_zh"])
    put("投资强度(万元/公顷)", number("intensity_wan_per_ha", _WAN), _WAN)
    put("适用标准(万元/公顷)", number("threshold_wan_per_ha", _WAN), _WAN)
    put("标准来源", v["threshold_source_zh"])
    put("投资强度评审", v["investment_intensity_result_zh"])
    put("可支持最大面积(公顷)", number("max_area_ha", _HA), _HA)
    put("可支持最大面积(亩)", number("max_area_ha", _MU, MU_PER_HA), _MU)
    put("所需最低投资(万元)", number("min_investment_wan", _WAN), _WAN)
    shares = (
        ("building_coverage", f"≥{_pct(control.min_building_coverage)}"),
        ("admin_living_share", f"≤{_pct(control.max_admin_living_share)}"),
        ("green_ratio", f"≤{_pct(control.max_green_ratio)}"),
    )
    for name, limit in shares:
        label = INDICATOR_LABELS_ZH[name]
        put(f"{label}(%)", number(name, _PCT, 100.0), _PCT)
        put(f"{label}评审({limit})", v[f"{name}_result_zh"])
    put("容积率", number("plot_ratio", _RATIO), _RATIO)
    put("容积率下限", number("plot_ratio_min", _RATIO), _RATIO)
    put("容积率评审", v["plot_ratio_result_zh"])
    put("未评审指标", v["unchecked_zh"])
    put("未通过原因", v["reasons"].astype("string").mask(v["reasons"] == ""))
    put("数据问题", v["error_zh"])
    put("说明", v["notes_zh"])
    if SOURCE_ROW in rows.columns:
        put(ROW_NUMBER, rows[SOURCE_ROW], 0)

    table = _without_clashes(lead, out)
    skipped = _skipped(totals)
    foot = list(notes)
    if len(skipped):
        where = "、".join(
            f"第 {r} 行“{t}”" for r, t in zip(skipped[ROW_NUMBER], skipped["原因"], strict=True)
        )
        foot.append(
            f"另有 {len(skipped)} 行合计/小计行未作为项目评审（{where}），见“{SKIPPED_SHEET}”表。"
        )
    return CommitteeVerdicts(table, skipped, foot, decimals)


def _without_clashes(own: dict[str, pd.Series], ours: dict[str, pd.Series]) -> pd.DataFrame:
    """The committee's columns (``own``) first under their own names, then the verdicts'
    (``ours``). An empty column of the committee named like one of the verdicts' (a blank
    评审结论 of a template) gives way to it; a filled one keeps its name and place, and the
    verdicts' column is named ``<name>（本次评审）``."""
    columns = dict(own)
    for name, values in ours.items():
        theirs = own.get(name)
        if theirs is not None:
            blank = theirs.isna() | (theirs.astype("string").str.strip() == "")
            if blank.all():
                del columns[name]
            else:
                columns[f"{name}（本次评审）"] = values
                continue
        columns[name] = values
    return pd.DataFrame(columns)


def _skipped(totals: pd.DataFrame | None) -> pd.DataFrame:
    """The total rows as read, with 原表行号 and 原因 first."""
    if totals is None or totals.empty:
        return pd.DataFrame(columns=[ROW_NUMBER, "原因"])
    cells = totals.drop(columns=["total_label", SOURCE_FILE], errors="ignore").reset_index(
        drop=True
    )
    row = cells.pop(SOURCE_ROW) if SOURCE_ROW in cells.columns else pd.Series(pd.NA)
    lead = pd.DataFrame(
        {ROW_NUMBER: row, "原因": totals["total_label"].astype("string").reset_index(drop=True)}
    )
    return pd.concat([lead, cells], axis=1)


def skipped_reason(label: str) -> str:
    """The reason given for a total row."""
    return f"合计行（“{label}”），不作为项目评审"


# --------------------------------------------------------------------------------------------
# Writing


def write_verdicts(path: Path, verdicts: CommitteeVerdicts) -> None:
    """Write the laid-out verdicts to ``path``: .xlsx or .csv (by its suffix; a temporary
    name of :mod:`landuse.atomic` keeps the suffix)."""
    if path.suffix.lower() == ".csv":
        _write_csv(path, verdicts)
    else:
        _write_xlsx(path, verdicts)


def _write_csv(path: Path, verdicts: CommitteeVerdicts) -> None:
    """The table, then the total rows that were not screened (评审结论 未评审（合计行）), as CSV
    for Excel (UTF-8 with BOM, formula-like text made safe)."""
    from landuse.outputs import write_table_csv

    table = verdicts.table
    if len(verdicts.skipped):
        skipped = verdicts.skipped
        extra = pd.DataFrame(index=range(len(skipped)), columns=table.columns, dtype=object)
        for name in skipped.columns:
            if name in extra.columns and name not in (ROW_NUMBER,):
                extra[name] = skipped[name].to_numpy(dtype=object)
        extra[CONCLUSION] = TOTAL_ROW_CONCLUSION
        extra["说明"] = [skipped_reason(str(t)) for t in skipped["原因"]]
        if ROW_NUMBER in extra.columns:
            extra[ROW_NUMBER] = skipped[ROW_NUMBER].to_numpy(dtype=object)
        if SERIAL in extra.columns and SERIAL not in skipped.columns:
            extra[SERIAL] = None
        table = pd.concat([table.astype(object), extra], ignore_index=True)
    write_table_csv(path, table)


_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_WIDE = re.compile(
    r"[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60]"
)


def _width(value: object) -> int:
    text = str(value)
    return len(text) + len(_WIDE.findall(text))


def _write_xlsx(path: Path, verdicts: CommitteeVerdicts) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    try:
        _sheet(wb, MAIN_SHEET, verdicts.table, verdicts.decimals, verdicts.notes)
        if len(verdicts.skipped):
            skipped = verdicts.skipped.copy()
            skipped["原因"] = [skipped_reason(str(t)) for t in skipped["原因"]]
            _sheet(wb, SKIPPED_SHEET, skipped, {ROW_NUMBER: 0}, [])
        wb.save(path)
    except BaseException:
        # close the streaming sheets, or they complain on the terminal when collected
        for ws in wb.worksheets:
            with contextlib.suppress(Exception):
                ws.close()
        raise


def _sheet(
    wb, title: str, frame: pd.DataFrame, decimals: dict[str, int], notes: Sequence[str]
) -> None:
    """One sheet: a bold frozen header with a filter, typed cells (numbers with their number
    of decimals, dates as dates, text always as text), then the notes below the table."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    from landuse.workbook import formula_like

    ws = wb.create_sheet(title)
    columns = [str(c) for c in frame.columns]
    widths = [_width(c) for c in columns]
    prepared = []
    for i, name in enumerate(frame.columns):
        col = frame[name]
        values = col.to_numpy(dtype=object, na_value=None)
        values = np.array(
            [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in values],
            dtype=object,
        )
        risky = formula_like(col.astype(object).where(col.notna(), None))
        places = decimals.get(str(name))
        fmt = None if places is None else ("0" if places == 0 else "0." + "0" * places)
        sample = [v for v in values[:2000] if v is not None]
        if sample:
            widths[i] = max(widths[i], max(_width(v) for v in sample))
        prepared.append((values, risky, fmt))

    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 6), 60)
    ws.freeze_panes = "A2"
    header = []
    for name in columns:
        cell = WriteOnlyCell(ws, value=name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header.append(cell)
    ws.append(header)
    for r in range(len(frame)):
        row = []
        for values, risky, fmt in prepared:
            value = values[r]
            if value is None:
                row.append(None)
                continue
            if isinstance(value, np.generic):
                value = value.item()
            if isinstance(value, pd.Timestamp):
                value = value.to_pydatetime()
            cell = WriteOnlyCell(ws)
            if isinstance(value, str):
                cell.value = _ILLEGAL.sub("", value)[:32_767]
                cell.data_type = "s"  # never a formula
                if risky[r]:
                    cell.quotePrefix = True
            elif isinstance(value, bool):
                cell.value = "是" if value else "否"
            elif isinstance(value, dt.datetime | dt.date):
                cell.value = value
                cell.number_format = "yyyy-mm-dd"
            elif isinstance(value, int | float):
                cell.value = value
                if fmt is not None:
                    cell.number_format = fmt
            else:
                cell.value = str(value)
                cell.data_type = "s"
            row.append(cell)
        ws.append(row)
    last = get_column_letter(max(len(columns), 1))
    ws.auto_filter.ref = f"A1:{last}{len(frame) + 1}"
    if notes:
        ws.append([])
        for line in notes:
            cell = WriteOnlyCell(ws, value=line)
            cell.data_type = "s"
            cell.font = Font(italic=True)
            ws.append([cell])
