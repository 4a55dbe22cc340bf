"""Every text the map shows that is not data: status names, headings, popup field labels.

Chinese (``zh``) is the default; ``en`` is on request. Popup fields are declared once here
(:data:`POPUP_SECTIONS`) and handed to the page as JSON, so the inline map and the tile-backed
served page build the same popup in the browser.
"""

from __future__ import annotations

from typing import Literal

from landuse.schema import AMOUNT_COLUMNS, OUTPUT_LABELS_ZH, STATUS_ZH, Status
from landuse.workbook import VALUE_LABELS_ZH
from maps.errors import MapInputError
from maps.palette import OTHER_STATUS

Lang = Literal["zh", "en"]
LANGS: tuple[str, ...] = ("zh", "en")

STATUS_EN: dict[str, str] = {
    Status.RECOVERY.value: "Recovery (idle 2 years)",
    Status.IDLE_FEE.value: "Idle 1 year (fee)",
    Status.GOV_DELAY.value: "Idle, government cause",
    Status.LATE_START.value: "Late start",
    Status.UNVERIFIED.value: "To be inspected",
    Status.LATE_COMPLETION.value: "Late completion",
    Status.BELOW_THRESHOLD.value: "Below intensity threshold",
    Status.INSUFFICIENT_DATA.value: "Insufficient data",
    Status.ON_TRACK.value: "On track",
    Status.COMPLIANT.value: "Completed, compliant",
}

TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "legend_title": "宗地状态",
        "park_boundary": "园区边界",
        "parcels_unit": "宗",
        "ha_unit": "公顷",
        "wan_unit": "万元",
        "status": "状态",
        "parcels": "宗数",
        "area_ha": "面积(公顷)",
        "amount_wan": "金额(万元)",
        "total": "合计",
        "subtotal": "小计",
        "as_of": "评价基准日",
        "chart_title": "闲置与逾期用地(公顷)",
        "chart_left_out": "另有 {n:,} 个园区/地区未列出（面积较小或为零）",
        "idle": "闲置(拟收回+闲置满一年)",
        "overdue": "逾期(逾期未开工+逾期未竣工)",
        "amounts_by_kind": "金额构成(万元)",
        "no_geometry": "宗无图形，未在图上绘制",
        "other": "其他",
        "yes": "是",
        "no": "否",
        "threshold": "标准",
        "below": "不达标",
        "meets": "达标",
        "days": "天",
        "loading": "正在读取…",
        "load_failed": "读取失败",
        "tiles_note": "宗地较多，按矢量瓦片显示",
        "section_basic": "基本情况",
        "section_dates": "日期",
        "section_days": "逾期天数",
        "section_intensity": "投资强度",
        "section_amounts": "金额(万元)",
        "section_basis": "依据与建议",
        "confirmed_wan": "已确认(万元)",
        "potential_wan": "待核查(万元)",
        "confirmed": "已确认",
        "potential": "待核查",
        "confirmed_by_kind": "已确认金额构成(万元)",
        "potential_by_kind": "待核查金额构成(万元，核实未开工时适用)",
        "progress_title": "推进情况",
        "progress_ahead": "推进超过",
        "progress_normal": "正常",
        "progress_behind": "滞后",
        "progress_no_progress": "无进展",
        "progress_unverified": "待核查",
        "potential_note": "待核查金额：待核查宗地经核实未开工时适用的金额，以及仅凭建筑物调查认定开工的"
        "宗地的金额，与已确认金额分列，不相加。",
        "no_geometry_all": "这些结果没有宗地图形（仅由台账分析），地图上没有可绘制的宗地；"
        "下表按状态与金额列出需处理的宗地。",
        "add_parcels": "要在地图上显示宗地，请把宗地图层与台账一起分析，例如：",
        "add_parcels_command": "landuse analyse parcels.gpkg --ledger 台账.csv --as-of {as_of} "
        "--out results.gpkg",
        "list_title": "需处理宗地（按状态与金额排序）",
        "list_title_not_drawn": "无图形、需处理的宗地（按状态与金额排序）",
        "list_none": "没有需处理的宗地。",
        "list_more": "仅列出前 {shown} 宗，另有 {more} 宗未列出。",
        "list_count": "共 {n} 宗",
        "col_rank": "序号",
        "col_key": "电子监管号/宗地编号",
        "col_project": "项目名称",
        "col_holder": "土地使用权人",
        "col_group": "园区/地区",
        "col_status": "状态",
        "col_area": "面积(公顷)",
        "col_confirmed": "已确认金额(万元)",
        "col_potential": "待核查金额(万元)",
        "section_buildings": "建筑物（估算，非现场核查）",
        "buildings_layer": "建筑物（放大后显示）",
    },
    "en": {
        "legend_title": "Parcel status",
        "park_boundary": "Park boundary",
        "parcels_unit": "parcels",
        "ha_unit": "ha",
        "wan_unit": "10k CNY",
        "status": "Status",
        "parcels": "Parcels",
        "area_ha": "Area (ha)",
        "amount_wan": "Amount (10k CNY)",
        "total": "Total",
        "subtotal": "Subtotal",
        "as_of": "As of",
        "chart_title": "Idle and overdue land (ha)",
        "chart_left_out": "{n:,} more parks or regions not shown (smaller or none)",
        "idle": "Idle (recovery + idle fee)",
        "overdue": "Overdue (late start + late completion)",
        "amounts_by_kind": "Amounts by kind (10k CNY)",
        "no_geometry": "parcels without a geometry are not drawn",
        "other": "Other",
        "yes": "yes",
        "no": "no",
        "threshold": "threshold",
        "below": "below",
        "meets": "meets",
        "days": "days",
        "loading": "Loading…",
        "load_failed": "Could not load",
        "tiles_note": "Many parcels: drawn from vector tiles",
        "section_basic": "Parcel",
        "section_dates": "Dates",
        "section_days": "Days late",
        "section_intensity": "Investment intensity",
        "section_amounts": "Amounts (10k CNY)",
        "section_basis": "Legal basis and action",
        "confirmed_wan": "Confirmed (10k CNY)",
        "potential_wan": "To verify (10k CNY)",
        "confirmed": "confirmed",
        "potential": "to verify",
        "confirmed_by_kind": "Confirmed amounts by kind (10k CNY)",
        "potential_by_kind": "To verify, by kind (10k CNY, if found not started)",
        "progress_title": "Progress",
        "progress_ahead": "ahead",
        "progress_normal": "normal",
        "progress_behind": "behind",
        "progress_no_progress": "no progress",
        "progress_unverified": "to verify",
        "potential_note": "To verify: amounts that would apply to unverified parcels if an "
        "inspection finds them not started, and those of parcels started on building "
        "footprints alone; shown apart from confirmed amounts, never added.",
        "no_geometry_all": "These results have no parcel geometries (analysed from ledgers "
        "alone), so there is nothing to draw; the table lists the parcels to act on by status "
        "and amount.",
        "add_parcels": "To show parcels on the map, analyse a parcel layer with the ledger, e.g.:",
        "add_parcels_command": "landuse analyse parcels.gpkg --ledger ledger.csv --as-of "
        "{as_of} --out results.gpkg",
        "list_title": "Parcels to act on (by status and amount)",
        "list_title_not_drawn": "Parcels without a geometry to act on (by status and amount)",
        "list_none": "No parcel to act on.",
        "list_more": "Only the first {shown} are listed; {more} more are not.",
        "list_count": "{n} parcels",
        "col_rank": "#",
        "col_key": "Supervision no. / parcel ID",
        "col_project": "Project",
        "col_holder": "Land-use right holder",
        "col_group": "Park / region",
        "col_status": "Status",
        "col_area": "Area (ha)",
        "col_confirmed": "Confirmed (10k CNY)",
        "col_potential": "To verify (10k CNY)",
        "section_buildings": "Buildings (estimates, not inspected)",
        "buildings_layer": "Buildings (at large scales)",
    },
}

COLUMN_EN: dict[str, str] = {
    "parcel_id": "Parcel ID",
    "park": "Park",
    "project_name": "Project",
    "holder": "Land-use right holder",
    "area_ha": "Area (ha)",
    "industry": "Industry",
    "as_of_date": "As of",
    "contract_date": "Contract signed",
    "agreed_start_date": "Agreed start",
    "extended_start_date": "Extended start",
    "start_due_date": "Start due",
    "actual_start_date": "Actual start",
    "agreed_completion_date": "Agreed completion",
    "completion_due_date": "Completion due",
    "actual_completion_date": "Actual completion",
    "suspended_since": "Suspended since",
    "price_due_date": "Land price due",
    "late_start_days": "Days late to start",
    "idle_days": "Days idle",
    "late_completion_days": "Days late to complete",
    "late_payment_days": "Days late paying",
    "intensity_wan_per_ha": "Intensity (10k CNY/ha)",
    "intensity_basis": "Intensity basis",
    "idle_fee_wan": "Idle fee",
    "late_start_wan": "Late start penalty",
    "late_completion_wan": "Late completion penalty",
    "late_payment_wan": "Late payment penalty",
    "investment_shortfall_wan": "Investment shortfall penalty",
    "plot_ratio_shortfall_wan": "Plot ratio shortfall penalty",
    "total_penalty_wan": "Total",
    "amounts_confirmed": "Amounts confirmed",
    "legal_basis": "Legal basis",
    "proposed_action": "Proposed action",
    "status": "Status",
    "start_evidence": "Start evidence",
    "building_count": "Buildings",
    "footprint_m2": "Footprint (m²)",
    "building_coverage": "Building coverage (est.)",
    "floor_area_m2": "Floor area (est., m²)",
    "plot_ratio_est": "Plot ratio (est.)",
    "buildings_survey_date": "Building survey",
    "start_evidence_buildings": "Start shown by buildings",
    "buildings_evidence_date": "Survey showing the start",
    "likely_idle": "Likely idle (inspect first)",
    "coverage_below_min": "Coverage below 30 % (est.)",
    "plot_ratio_est_below_min": "Plot ratio below contract (est.)",
    "new_footprint_m2": "New footprint (m²)",
    "coverage_change": "Coverage change (est.)",
}

# Popup sections: (text key of the heading, ((column, kind), ...)). Kinds tell the browser how
# to format a value: text, date (YYYY-MM-DD), days, ha, wan, bool, intensity (value against
# ``intensity_min_wan_per_ha``), code (a code shown through VALUE_LABELS), count (whole
# number), m2 (square metres), share (a 0-1 share as a percentage), ratio (two decimals).
POPUP_SECTIONS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "section_basic",
        (("park", "text"), ("holder", "text"), ("area_ha", "ha"), ("industry", "text")),
    ),
    (
        "section_dates",
        (
            ("contract_date", "date"),
            ("agreed_start_date", "date"),
            ("extended_start_date", "date"),
            ("start_due_date", "date"),
            ("actual_start_date", "date"),
            ("agreed_completion_date", "date"),
            ("completion_due_date", "date"),
            ("actual_completion_date", "date"),
            ("suspended_since", "date"),
            ("price_due_date", "date"),
        ),
    ),
    (
        "section_days",
        (
            ("late_start_days", "days"),
            ("idle_days", "days"),
            ("late_completion_days", "days"),
            ("late_payment_days", "days"),
        ),
    ),
    (
        "section_intensity",
        (("intensity_wan_per_ha", "intensity"), ("intensity_basis", "code")),
    ),
    (
        "section_amounts",
        (
            *((c, "wan") for c in AMOUNT_COLUMNS),
            ("total_penalty_wan", "wan"),
            ("amounts_confirmed", "bool"),
        ),
    ),
    (
        "section_buildings",
        (
            ("start_evidence", "code"),
            ("likely_idle", "bool"),
            ("building_count", "count"),
            ("footprint_m2", "m2"),
            ("building_coverage", "share"),
            ("floor_area_m2", "m2"),
            ("plot_ratio_est", "ratio"),
            ("buildings_survey_date", "date"),
            ("buildings_evidence_date", "date"),
            ("coverage_below_min", "bool"),
            ("plot_ratio_est_below_min", "bool"),
            ("new_footprint_m2", "m2"),
            ("coverage_change", "share"),
        ),
    ),
    ("section_basis", (("legal_basis", "text"), ("proposed_action", "text"))),
)

#: Columns the popup and tooltip read besides the section fields.
POPUP_EXTRA_COLUMNS: tuple[str, ...] = (
    "parcel_id",
    "project_name",
    "status",
    "status_zh",
    "intensity_min_wan_per_ha",
    "below_threshold",
    "as_of_date",
)
#: Every column the browser needs for popups and tooltips, in a stable order.
POPUP_COLUMNS: tuple[str, ...] = tuple(
    dict.fromkeys([*POPUP_EXTRA_COLUMNS, *(c for _, fields in POPUP_SECTIONS for c, _k in fields)])
)
#: Code columns shown through a value label.
CODE_COLUMNS: tuple[str, ...] = ("intensity_basis", "start_evidence")


def check_lang(lang: str) -> Lang:
    """``lang`` when it is a supported language, else a ValueError naming the choices."""
    if lang not in LANGS:
        raise MapInputError(f"lang must be one of {', '.join(LANGS)}, not {lang!r}")
    return lang  # type: ignore[return-value]


def text(lang: Lang, key: str) -> str:
    """The fixed text ``key`` in ``lang``."""
    return TEXTS[lang][key]


def status_label(lang: Lang, status: str) -> str:
    """The name of a status key in ``lang`` (:data:`OTHER_STATUS` for unknown ones)."""
    if status == OTHER_STATUS:
        return TEXTS[lang]["other"]
    table = STATUS_ZH if lang == "zh" else STATUS_EN
    return str(table.get(status, TEXTS[lang]["other"]))


def column_label(lang: Lang, column: str) -> str:
    """The label of a result column in ``lang`` (its name when none is known)."""
    if lang == "zh":
        return OUTPUT_LABELS_ZH.get(column, column)
    return COLUMN_EN.get(column, column)


def page_texts(lang: Lang) -> dict[str, object]:
    """Texts and field declarations the browser needs (popups, tooltips, tile mode)."""
    sections = [
        {
            "title": TEXTS[lang][heading],
            "fields": [[c, column_label(lang, c), kind] for c, kind in fields],
        }
        for heading, fields in POPUP_SECTIONS
    ]
    values: dict[str, dict[str, str]] = {}
    if lang == "zh":
        values = {c: dict(VALUE_LABELS_ZH[c]) for c in CODE_COLUMNS if c in VALUE_LABELS_ZH}
    return {
        "texts": TEXTS[lang],
        "sections": sections,
        "values": values,
        "parcelIdLabel": column_label(lang, "parcel_id"),
    }
