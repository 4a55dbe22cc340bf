"""Column names, accepted headers, kinds and units of the data model.

The canonical names are a public interface (QGIS styles, Excel templates and scripts are built
on them). Money is in 万元, areas in hectares, rates in per mille per day, dates as
``datetime64[ns]`` at midnight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from landuse import vocab


class Kind(StrEnum):
    """How a column's raw text is parsed."""

    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    BOOL = "bool"
    START_STATUS = "start_status"


class Unit(StrEnum):
    """The unit family of a numeric column (values are converted to the canonical unit)."""

    NONE = "none"
    AREA_HA = "area_ha"
    MONEY_WAN = "money_wan"


@dataclass(frozen=True)
class Column:
    """One canonical input column.

    ``headers`` are the accepted header spellings (compared after :func:`normalise_header`);
    ``unit_headers`` map a header that names another unit to that unit's symbol, e.g.
    ``"面积(平方米)" -> "m2"``.
    """

    name: str
    label_zh: str
    kind: Kind
    headers: tuple[str, ...] = ()
    unit: Unit = Unit.NONE
    unit_headers: tuple[tuple[str, str], ...] = ()


INPUT_COLUMNS: tuple[Column, ...] = (
    Column(
        "parcel_id", "宗地编号", Kind.TEXT, ("宗地编号", "宗地代码", "宗地号", "地块编号", "ZDDM")
    ),
    Column("supervision_no", "电子监管号", Kind.TEXT, ("电子监管号", "监管号")),
    Column("park", "园区", Kind.TEXT, ("园区", "所属园区", "开发区", "园区名称")),
    Column("project_name", "项目名称", Kind.TEXT, ("项目名称",)),
    Column("holder", "土地使用权人", Kind.TEXT, ("土地使用权人", "受让人", "受让单位", "竞得人")),
    Column("region", "行政区", Kind.TEXT, ("行政区", "行政区划")),
    Column("location", "项目位置", Kind.TEXT, ("项目位置", "宗地位置", "土地坐落", "坐落")),
    Column("land_use", "土地用途", Kind.TEXT, ("土地用途", "用途")),
    Column("supply_method", "供地方式", Kind.TEXT, ("供地方式", "出让方式")),
    Column("industry", "行业分类", Kind.TEXT, ("行业分类", "行业")),
    Column("industry_code", "行业代码", Kind.TEXT, ("行业代码", "国民经济行业代码")),
    Column(
        "area_ha",
        "面积(公顷)",
        Kind.NUMBER,
        ("面积(公顷)", "面积", "出让面积", "宗地面积", "用地面积", "土地面积"),
        Unit.AREA_HA,
        (
            ("面积(平方米)", "m2"),
            ("宗地面积(平方米)", "m2"),
            ("出让面积(平方米)", "m2"),
            ("用地面积(平方米)", "m2"),
            ("面积(亩)", "mu"),
            ("出让面积(亩)", "mu"),
            ("宗地面积(公顷)", "ha"),
            ("出让面积(公顷)", "ha"),
        ),
    ),
    Column(
        "land_price_wan",
        "成交价格(万元)",
        Kind.NUMBER,
        ("成交价格(万元)", "成交价格", "出让价款", "出让价款(万元)", "成交价", "土地出让金"),
        Unit.MONEY_WAN,
        (("成交价格(元)", "yuan"), ("出让价款(元)", "yuan")),
    ),
    Column(
        "contract_date", "合同签订日期", Kind.DATE, ("合同签订日期", "签订日期", "合同签订时间")
    ),
    Column("agreed_delivery_date", "约定交地时间", Kind.DATE, ("约定交地时间", "约定交地日期")),
    Column("actual_delivery_date", "实际交地时间", Kind.DATE, ("实际交地时间", "实际交地日期")),
    Column("agreed_start_date", "约定开工时间", Kind.DATE, ("约定开工时间", "约定开工日期")),
    Column("actual_start_date", "实际开工时间", Kind.DATE, ("实际开工时间", "实际开工日期")),
    Column("agreed_completion_date", "约定竣工时间", Kind.DATE, ("约定竣工时间", "约定竣工日期")),
    Column("actual_completion_date", "实际竣工时间", Kind.DATE, ("实际竣工时间", "实际竣工日期")),
    Column("extended_start_date", "延期开工时间", Kind.DATE, ("延期开工时间", "延期开工日期")),
    Column("start_status", "开工状态", Kind.START_STATUS, ("开工状态", "核查结论", "开工情况")),
    Column(
        "agreed_investment_wan",
        "固定资产总投资",
        Kind.NUMBER,
        ("固定资产总投资", "固定资产总投资(万元)", "约定投资", "约定投资总额(万元)"),
        Unit.MONEY_WAN,
    ),
    Column(
        "actual_investment_wan",
        "实际完成投资",
        Kind.NUMBER,
        ("实际完成投资", "实际完成投资(万元)", "实际投资(万元)"),
        Unit.MONEY_WAN,
    ),
    Column(
        "invested_ex_land_wan",
        "已投资额",
        Kind.NUMBER,
        ("已投资额", "已投资额(万元)"),
        Unit.MONEY_WAN,
    ),
    Column(
        "total_investment_ex_land_wan",
        "总投资额",
        Kind.NUMBER,
        ("总投资额", "总投资额(万元)"),
        Unit.MONEY_WAN,
    ),
    Column(
        "developed_area_ha",
        "已开发面积",
        Kind.NUMBER,
        ("已开发面积", "已开发面积(公顷)"),
        Unit.AREA_HA,
        (("已开发面积(平方米)", "m2"), ("已开发面积(亩)", "mu")),
    ),
    Column("suspended_since", "停工日期", Kind.DATE, ("停工日期", "停工时间")),
    Column("gov_cause", "政府原因", Kind.BOOL, ("政府原因", "是否政府原因")),
    Column("price_due_date", "价款缴纳期限", Kind.DATE, ("价款缴纳期限", "价款缴纳日期")),
    Column(
        "price_paid_wan",
        "已缴价款",
        Kind.NUMBER,
        ("已缴价款", "已缴价款(万元)", "已缴纳价款"),
        Unit.MONEY_WAN,
        (("已缴价款(元)", "yuan"),),
    ),
    Column("far_min", "约定容积率下限", Kind.NUMBER, ("约定容积率下限", "容积率下限")),
    Column("far_max", "约定容积率上限", Kind.NUMBER, ("约定容积率上限", "容积率上限")),
    Column("far_actual", "实际容积率", Kind.NUMBER, ("实际容积率",)),
    Column("coverage_actual", "实际建筑系数", Kind.NUMBER, ("实际建筑系数", "建筑系数")),
    Column(
        "late_start_rate_permille",
        "开工违约金比例(‰)",
        Kind.NUMBER,
        ("开工违约金比例(‰)", "开工违约金比例"),
    ),
    Column(
        "late_completion_rate_permille",
        "竣工违约金比例(‰)",
        Kind.NUMBER,
        ("竣工违约金比例(‰)", "竣工违约金比例"),
    ),
)

COLUMNS_BY_NAME: dict[str, Column] = {c.name: c for c in INPUT_COLUMNS}
INPUT_NAMES: tuple[str, ...] = tuple(c.name for c in INPUT_COLUMNS)
DATE_COLUMNS: tuple[str, ...] = tuple(c.name for c in INPUT_COLUMNS if c.kind is Kind.DATE)
NUMBER_COLUMNS: tuple[str, ...] = tuple(c.name for c in INPUT_COLUMNS if c.kind is Kind.NUMBER)
TEXT_COLUMNS: tuple[str, ...] = tuple(c.name for c in INPUT_COLUMNS if c.kind is Kind.TEXT)

# Land uses analysed as industrial (RULES.md section 2); codes of GB/T 21010-2007 (0601)
# and of the 2020 land-space survey classification (1001) are accepted too.
INDUSTRIAL_LAND_USES: frozenset[str] = frozenset({"工业用地", "工矿仓储用地", "0601", "1001", "06"})

# Bookkeeping columns carried from load to output.
SOURCE_FILE = "source_file"
SOURCE_ROW = "source_row"

_FULLWIDTH = str.maketrans({"（": "(", "）": ")", "：": ":", "　": " "})
_SPACES = re.compile(r"\s+")


def normalise_header(text: object) -> str:
    """Header text compared case-insensitively, with full-width brackets and spaces folded."""
    s = str(text).translate(_FULLWIDTH)
    return _SPACES.sub("", s).lower()


def header_lookup() -> dict[str, tuple[str, str | None]]:
    """Map a normalised header to ``(canonical name, unit symbol or None)``.

    The canonical names themselves are accepted too.
    """
    out: dict[str, tuple[str, str | None]] = {}
    for col in INPUT_COLUMNS:
        out[normalise_header(col.name)] = (col.name, None)
        for h in col.headers:
            out[normalise_header(h)] = (col.name, None)
        for h, unit in col.unit_headers:
            out[normalise_header(h)] = (col.name, unit)
    return out


# The status vocabulary and its precedence live in landuse.vocab; these names are re-exported
# here because the workbook, the map and the API import them from the schema.
Status = vocab.Status
STATUS_ZH: dict[str, str] = vocab.STATUS_ZH
STATUS_ORDER: tuple[str, ...] = vocab.STATUS_ORDER

AMOUNT_COLUMNS: tuple[str, ...] = (
    "idle_fee_wan",
    "late_start_wan",
    "late_completion_wan",
    "late_payment_wan",
    "investment_shortfall_wan",
    "plot_ratio_shortfall_wan",
)

# Where a parcel lies, from the region code of its supervision number (landuse.regions).
REGION_COLUMNS: tuple[str, ...] = ("region_code", "province", "city", "county", "region_label")

# The parcel's total split by whether its amounts are confirmed (neither adds the other).
PENALTY_SPLIT_COLUMNS: tuple[str, ...] = ("confirmed_penalty_wan", "potential_penalty_wan")
# Every money column of the results, rounded to 0.01 万元 only when written.
MONEY_COLUMNS: tuple[str, ...] = (*AMOUNT_COLUMNS, "total_penalty_wan", *PENALTY_SPLIT_COLUMNS)

# What building footprints say about each parcel (landuse analyse --buildings; landuse.buildings):
# the evidence, then the measures of the latest usable survey. Always in the results (empty
# when no footprints were given), so the columns of a results file do not depend on the inputs.
BUILDING_MEASURE_COLUMNS: tuple[str, ...] = (
    "building_count",
    "footprint_m2",
    "building_coverage",
    "floor_area_m2",
    "plot_ratio_est",
    "buildings_survey_date",
)
BUILDING_RESULT_COLUMNS: tuple[str, ...] = (
    "start_evidence_buildings",
    "buildings_evidence_date",
    "likely_idle",
    "coverage_below_min",
    "plot_ratio_est_below_min",
    "new_footprint_m2",
    "coverage_change",
    *BUILDING_MEASURE_COLUMNS,
)

# Columns the analysis adds, in output order (after the input columns).
DERIVED_COLUMNS: tuple[str, ...] = (
    "as_of_date",
    *REGION_COLUMNS,
    "area_group",
    "area_ha_declared",
    "area_source",
    "area_mismatch",
    "investment_wan",
    "intensity_wan_per_ha",
    "intensity_basis",
    "intensity_min_wan_per_ha",
    "threshold_source",
    "below_threshold",
    "start_due_date",
    "start_due_basis",
    "completion_due_date",
    "start_evidence",
    "started",
    "completed",
    "late_start_days",
    "idle_days",
    "idle_stage",
    "idle_basis",
    "idle_stage_if_not_started",
    "recovery_candidate",
    "late_completion_days",
    "late_payment_days",
    "termination_risk",
    *AMOUNT_COLUMNS,
    "late_fee_capped",
    "total_penalty_wan",
    "amounts_confirmed",
    *PENALTY_SPLIT_COLUMNS,
    "status",
    "status_zh",
    "legal_basis",
    "proposed_action",
    "progress",
    "progress_zh",
    "data_issues",
    *BUILDING_RESULT_COLUMNS,
)

OUTPUT_LABELS_ZH: dict[str, str] = {
    **{c.name: c.label_zh for c in INPUT_COLUMNS},
    "area_ha": "面积(公顷)",
    "as_of_date": "评价基准日",
    "region_code": "行政区划代码",
    "province": "省",
    "city": "市",
    "county": "县（区）",
    "region_label": "所在行政区",
    "area_group": "汇总分组（园区或行政区）",
    "area_ha_declared": "申报面积(公顷)",
    "area_source": "面积来源",
    "area_mismatch": "面积不符(>5%)",
    "investment_wan": "计算用投资(万元)",
    "intensity_wan_per_ha": "投资强度(万元/公顷)",
    "intensity_basis": "投资强度依据",
    "intensity_min_wan_per_ha": "投资强度标准(万元/公顷)",
    "threshold_source": "标准来源",
    "below_threshold": "投资强度不达标",
    "start_due_date": "应开工日期",
    "start_due_basis": "应开工日期依据",
    "completion_due_date": "应竣工日期",
    "start_evidence": "开工证据",
    "started": "已开工",
    "completed": "已竣工",
    "late_start_days": "逾期开工天数",
    "idle_days": "闲置天数",
    "idle_stage": "闲置阶段",
    "idle_basis": "闲置认定依据",
    "idle_stage_if_not_started": "如核实未开工的闲置阶段",
    "recovery_candidate": "拟无偿收回",
    "late_completion_days": "逾期竣工天数",
    "late_payment_days": "价款逾期天数",
    "termination_risk": "可解除合同(逾期>60日)",
    "idle_fee_wan": "土地闲置费(万元)",
    "late_start_wan": "逾期开工违约金(万元)",
    "late_completion_wan": "逾期竣工违约金(万元)",
    "late_payment_wan": "价款滞纳违约金(万元)",
    "investment_shortfall_wan": "投资不达标违约金(万元)",
    "plot_ratio_shortfall_wan": "容积率不达标违约金(万元)",
    "late_fee_capped": "逾期违约金已封顶",
    "total_penalty_wan": "合计金额(万元)",
    "amounts_confirmed": "金额已确认",
    "confirmed_penalty_wan": "已确认金额(万元)",
    "potential_penalty_wan": "待核查金额(万元，核实未开工时适用)",
    "status": "状态代码",
    "status_zh": "状态",
    "legal_basis": "法律依据",
    "proposed_action": "处置建议",
    "progress": "推进情况代码",
    "progress_zh": "推进情况",
    "data_issues": "数据问题",
    "building_count": "建筑物数量",
    "footprint_m2": "建筑基底面积(平方米)",
    "building_coverage": "建筑系数(估算)",
    "floor_area_m2": "建筑面积(估算,平方米)",
    "plot_ratio_est": "容积率(估算)",
    "buildings_survey_date": "建筑物调查日期",
    "start_evidence_buildings": "建筑物开工证据",
    "buildings_evidence_date": "建筑物开工证据日期",
    "likely_idle": "疑似闲置(待核查)",
    "coverage_below_min": "建筑系数低于控制指标(估算)",
    "plot_ratio_est_below_min": "容积率低于约定下限(估算)",
    "new_footprint_m2": "新增建筑基底面积(平方米)",
    "coverage_change": "建筑系数变化(估算)",
    SOURCE_FILE: "来源文件",
    SOURCE_ROW: "来源行号",
    "reason": "原因",
}
