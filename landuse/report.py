"""The load report: one table of every problem found while loading, and what was done.

Entries are collected as they are found (:meth:`LoadReport.add_rows` for whole columns,
:meth:`LoadReport.add` for one file- or column-level entry). Each entry carries a stable
problem ``code`` for scripts (``date_implausible``, ``number_negative`` ...) and a Chinese
``message`` from :data:`PROBLEMS`; entries added without a code get theirs from their text.
:meth:`LoadReport.table` is what is written: one line per (file, code, column) with the count of
rows and the first rows and values, so 2,000 odd values in one column are one line, not 2,000.
:meth:`LoadReport.entries` keeps one line per entry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from landuse.schema import SOURCE_FILE, SOURCE_ROW
from landuse.vocab import LABELS_ZH, DataIssue

# One entry per problem found (the columns of LoadReport.entries, before code and message).
REPORT_COLUMNS = ("file", "row", "column", "value", "problem", "action", "severity")
# The written report (LoadReport.table): one line per file, problem code and column.
TABLE_COLUMNS = (
    "file",
    "column",
    "code",
    "message",
    "count",
    "row",
    "rows",
    "value",
    "values",
    "action",
    "problem",
    "severity",
)
REPORT_LABELS_ZH: dict[str, str] = {
    "file": "文件",
    "column": "列",
    "code": "问题代码",
    "message": "问题说明",
    "count": "条数",
    "row": "首行行号",
    "rows": "行号(前10个)",
    "value": "首个值",
    "values": "值(前5种)",
    "action": "处理 (action)",
    "problem": "详细 (detail)",
    "severity": "级别",
}
FIRST_ROWS = 10  # row numbers listed per line of the written report
FIRST_VALUES = 5  # distinct values listed per line


@dataclass(frozen=True)
class Problem:
    """One kind of problem: its stable ``code``, the Chinese ``message`` written into the
    report, and ``pattern``, a regular expression that recognises the kind in the text of an
    entry added without a code. ``grouped`` false keeps one report line per entry (facts that
    matter row by row, such as a ledger value replaced by an inspection's); ``written`` false
    keeps the entry out of the written report (:meth:`LoadReport.table`): it is no problem (a
    UTF-8 file read as UTF-8)."""

    code: str
    message: str
    pattern: str | None = None
    grouped: bool = True
    written: bool = True


PROBLEMS: tuple[Problem, ...] = (
    # ---- cells and columns (landuse.normalise, landuse.load, landuse.readers)
    Problem("column_unknown", "列名不在数据模型中，该列未使用", r"^未识别的列"),
    Problem("column_same_field", "两列对应同一字段，只采用第一列", r"^与列“.*”同为"),
    Problem("unit_in_header", "表头注明了单位，数值已换算为公顷或万元", r"^单位为"),
    Problem("number_invalid", "无法识别的数值，按缺失处理", r"^无法识别的数值"),
    Problem("number_with_unit", "数值中写有单位，已识别并换算", r"^数值带单位"),
    Problem("number_not_finite", "数值不是有限数，按缺失处理", r"^数值无穷大"),
    Problem(
        "number_negative", "数值为负数，不合理，按缺失处理", r"^数值过小 \(implausible: negative"
    ),
    Problem(
        "number_not_positive",
        "数值为零或负数，不合理，按缺失处理",
        r"^数值过小 \(implausible: zero or negative",
    ),
    Problem("number_too_small", "数值过小，不合理，按缺失处理", r"^数值过小"),
    Problem("number_too_large", "数值过大，不合理，按缺失处理", r"^数值过大"),
    Problem(
        "date_invalid",
        "无法识别的日期，按缺失处理（请写作 2024-06-30 或 2024年06月30日）",
        r"^无法识别的日期",
    ),
    Problem("date_placeholder", "占位日期（如 1900年01月01日），按缺失处理", r"^占位日期"),
    Problem(
        "date_implausible",
        "日期不合理（超出规则文件 [dates] 的范围，默认 1949-01-01 至 2100-12-31），按缺失处理",
        r"^日期不合理",
    ),
    Problem(
        "start_status_invalid",
        "无法识别的开工状态（应为 已开工 / 未开工 / 未知），按未知处理",
        r"^无法识别的开工状态",
    ),
    Problem("geometry_repaired", "几何图形无效，已自动修复（make_valid）", r"^几何无效"),
    Problem("land_use_empty", "土地用途为空，按工业用地分析", r"^土地用途为空"),
    Problem(
        "supervision_no_format",
        "电子监管号格式异常（应为6位行政区代码+年份+字母+5至6位序号，分宗可带 -1 等后缀），记录保留",
        r"^电子监管号格式异常",
    ),
    Problem(
        "no_parcel_geometry",
        "台账记录在图层中没有对应宗地，按申报面积分析",
        r"^台账记录无对应宗地图形",
    ),
    Problem("outside_parks", "宗地不在任何园区边界内，园区留空", r"^不在任何园区边界内"),
    Problem(
        "formula_without_value",
        "公式没有计算结果（文件由不计算公式的程序生成），按缺失处理；用 Excel 或 WPS 打开并保存后可计算",
        r"^公式没有计算结果",
    ),
    Problem(
        "date_serial_out_of_range",
        "日期单元格的序号超出 Excel 能表示的范围（9999-12-31 之后），按缺失处理",
        r"^日期序号超出范围",
    ),
    Problem(
        "cell_error", "单元格是 Excel 错误值（如 #DIV/0!、#N/A），按缺失处理", r"^单元格为错误值"
    ),
    # ---- notes of the readers (landuse.readers; given with their code)
    Problem("encoding_utf8", "文字编码为 UTF-8", written=False),
    Problem("encoding_detected", "已自动识别文字编码（见“值”列）"),
    Problem(
        "encoding_uncertain",
        "文字编码不确定；如文字乱码，请用 --encoding 指定（gb18030、cp950 或 utf-8），或另存为 CSV UTF-8",
    ),
    Problem("encoding_bad_bytes", "有无法解码的字节，已替换为 �"),
    Problem("encoding_given", "按 --encoding 指定的编码读取"),
    Problem("encoding_from_cpg", "文字编码取自 .cpg 文件"),
    Problem("encoding_ascii", "没有 .cpg 文件；文字字段均为 ASCII"),
    Problem("encoding_redetected", "声明的编码与内容不符，已按检测到的编码读取"),
    Problem("delimiter", "字段分隔符不是逗号（见“值”列）"),
    Problem("csv_unbalanced_quote", "有不配对的引号，引号按普通字符读取"),
    Problem(
        "sheet_chosen",
        "工作簿有多个工作表，只读取了“值”列中的一个；读取其他工作表请用 --sheet 名称",
    ),
    Problem("sheet_no_headers", "没有工作表在前30行内有可识别的表头，读取了第一个工作表"),
    Problem(
        "header_not_found",
        "前30行内没有可识别的列名，取第一个非空行作表头；请检查表头（如 电子监管号、项目名称、面积(公顷)）",
    ),
    Problem("column_unnamed", "有数据但没有列名的列，已命名为 Unnamed: N"),
    Problem("column_replaced", "文件自带的 source_file / source_row 列已被替换"),
    Problem("no_data_rows", "表头以下没有数据行，读取 0 行"),
    Problem("empty_rows_skipped", "表头以下的空行已跳过（不是记录）"),
    Problem("header_repeated", "列名重复，后出现的已加 .1、.2 后缀"),
    Problem("option_ignored", "选项不适用于该文件，已忽略"),
    Problem("layer_chosen", "文件有多个图层，只读取了其中一个；读取其他图层请用 --layer 名称"),
    Problem(
        "layer_skipped",
        "图层未读取（没有几何、不是面或没有宗地编号/电子监管号列）；如为宗地图层请用 --layer 指定",
    ),
    Problem("layers_read_together", "字段相同的多个宗地图层已合并读取"),
    Problem("features_without_geometry", "部分要素没有几何图形"),
    # ---- inspections (landuse.inspections)
    Problem("inspection_no_key", "核查记录没有电子监管号或宗地编号，无法对应宗地，未采用"),
    Problem(
        "inspection_unknown_parcel",
        "核查记录的编号不在分析的宗地中（inspection of an unknown parcel），未采用",
    ),
    Problem(
        "inspection_rejected_parcel",
        "核查记录对应的台账记录未被采用（原因见未分析记录），核查未采用",
    ),
    Problem("inspection_ambiguous_key", "编号对应多宗宗地，无法确定是哪一宗，未采用"),
    Problem("inspection_key_mismatch", "电子监管号与宗地编号指向不同宗地，未采用"),
    Problem("inspection_no_date", "没有核查日期（或日期无法识别），未采用"),
    Problem(
        "inspection_no_finding",
        "核查结论为空或为“未知”，未采用（应为 已开工 / 未开工 / 已竣工）",
    ),
    Problem(
        "inspection_finding_invalid",
        "无法识别的核查结论（应为 已开工 / 未开工 / 已竣工），未采用",
    ),
    Problem("inspection_after_as_of", "核查日期晚于评价基准日，本次评价未采用"),
    Problem("inspection_same_day", "同一宗地同一天有多条核查记录，采用文件中靠后的一条"),
    Problem(
        "inspection_contradiction",
        "核查记录前后矛盾（“未开工”却填了开工或竣工时间，或时间晚于核查日期），该时间未采用",
    ),
    Problem(
        "inspection_superseded_by_ledger",
        "台账记载的实际开工或竣工时间晚于“未开工”的核查日期，以台账为准，该核查结论未采用",
    ),
    Problem(
        "inspection_overrides_ledger",
        "核查结果与台账不同，采用核查结果（“值”列为 台账原值 → 核查值）",
        grouped=False,
    ),
    Problem(
        "inspection_start_date_assumed",
        "核查为已开工但没有实际开工时间：按核查日期（最迟可能的开工日）计逾期开工天数，金额为上限",
    ),
    Problem(
        "inspection_completion_date_assumed",
        "核查为已竣工但不知竣工时间：按核查日期计逾期竣工天数，金额为上限",
    ),
    Problem("inspection_blank_rows", "核查表中未填写核查内容的行已跳过"),
    Problem(
        "inspection_from_store",
        "运行记录库中经服务录入的核查记录（POST /inspections）与核查文件一并采用",
    ),
    # ---- values that mean "none", names without a code (landuse.normalise, landuse.enrich)
    Problem("null_marker", "表示“无”的符号（/、—、无、暂无 等）按空值处理", r"^空值标记"),
    Problem(
        "industry_unmatched",
        "行业分类名称无法对应 GB/T 4754 行业代码，行业代码留空（不适用行业标准）",
        r"^行业分类无法对应行业代码",
        grouped=False,  # one line per name, with its rows
    ),
    Problem(
        "industry_placeholder",
        "行业分类为“其它/其他”等，未指明行业，按未填行业分类处理（行业代码留空，适用园区或默认标准）",
    ),
    # ---- per-row data quality (landuse.quality; the data_issues column)
    *(
        Problem(f"data_issue_{issue.value}", f"数据问题：{label}")
        for issue, label in LABELS_ZH[DataIssue].items()
    ),
    # ---- anything else: the entry's own text is its message
    Problem("other", ""),
)
PROBLEMS_BY_CODE: dict[str, Problem] = {p.code: p for p in PROBLEMS}
_PATTERNS = tuple((re.compile(p.pattern), p.code) for p in PROBLEMS if p.pattern)
_UNGROUPED = frozenset(p.code for p in PROBLEMS if not p.grouped)
_UNWRITTEN = frozenset(p.code for p in PROBLEMS if not p.written)


def problem_code(text: object) -> str:
    """The code of an entry's problem text (see :data:`PROBLEMS`); ``other`` when no pattern
    matches. A :class:`Note` carries its own code."""
    code = getattr(text, "code", None)
    if code is not None:
        return code
    s = "" if text is None else str(text)
    for pattern, code in _PATTERNS:
        if pattern.search(s):
            return code
    return "other"


class Note(str):
    """A reader's note: its English text, with the problem ``code`` and the ``value`` it is
    about (an encoding, a count, a sheet name), so the load report can give its Chinese
    message, and the ``count`` of rows it stands for when it speaks of several (empty rows
    skipped). Behaves as the plain text everywhere else."""

    code: str
    value: str | None
    count: int | None

    def __new__(cls, text: str, code: str, value: object = None, count: int | None = None) -> Note:
        if code not in PROBLEMS_BY_CODE:
            raise ValueError(f"unknown problem code {code!r}")
        self = super().__new__(cls, text)
        self.code = code
        self.value = None if value is None else str(value)
        self.count = count
        return self


def _codes(problem: str | pd.Series, n: int) -> np.ndarray | str:
    """The code of a problem text, or of each text of a Series (classified once per distinct
    text)."""
    if not isinstance(problem, pd.Series):
        return problem_code(problem)
    uniques = pd.unique(problem.astype(object).to_numpy())
    lookup = {u: problem_code(u) for u in uniques}
    return problem.astype(object).map(lookup).to_numpy(dtype=object)


def _value_text(values: pd.Series) -> pd.array:
    """Cell values as text for the report; whole numbers read as floats (``-3.0`` from a
    workbook) are written as they look in the cell (``-3``)."""
    if pd.api.types.is_float_dtype(values.dtype):
        whole = (values.notna() & (values % 1 == 0) & values.abs().lt(1e15)).to_numpy(dtype=bool)
        text = values.astype("string")
        if whole.any():
            text[whole] = values[whole].astype("int64").astype("string")
        return text.array
    if values.dtype == object:
        return values.map(_cell_text, na_action="ignore").astype("string").array
    return values.astype("string").array


def _cell_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return str(v)


@dataclass
class LoadReport:
    """Problems collected while loading; rows are added in bulk from masks, never one by one
    in a loop over parcels."""

    parts: list[pd.DataFrame] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add_rows(
        self,
        frame: pd.DataFrame,
        mask: np.ndarray | pd.Series,
        *,
        column: str,
        values: pd.Series | None,
        problem: str | pd.Series,
        action: str,
        severity: str = "warning",
        code: str | None = None,
    ) -> None:
        """One report row per true cell of ``mask``; ``frame`` supplies the source file and row
        (the ``source_file`` / ``source_row`` columns). ``code`` (see :data:`PROBLEMS`) is
        taken from ``problem``'s text when not given."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        picked = frame.loc[mask]
        n = int(mask.sum())
        texts = problem[mask] if isinstance(problem, pd.Series) else problem
        part = pd.DataFrame(
            {
                "file": picked[SOURCE_FILE].astype("string").to_numpy(),
                "row": picked[SOURCE_ROW].to_numpy(),
                "column": column,
                "value": (
                    _value_text(values[mask])
                    if values is not None
                    else pd.array([pd.NA] * n, dtype="string")
                ),
                "problem": texts.to_numpy() if isinstance(texts, pd.Series) else texts,
                "action": action,
                "severity": severity,
                "code": code if code is not None else _codes(texts, n),
                "count": 1,
            }
        )
        self.parts.append(part)

    def add(
        self,
        *,
        file: str,
        problem: str,
        action: str,
        column: str = "",
        value: object = None,
        row: int | None = None,
        severity: str = "info",
        code: str | None = None,
        count: int | None = None,
    ) -> None:
        """One file- or column-level entry (a unit conversion, an ignored column ...);
        ``count``: the rows or cells it stands for (default 1), for an entry said once for
        many (null markers of a column, rows of one data issue). A :class:`Note` given as
        ``problem`` brings its code, value and count."""
        if value is None:
            value = getattr(problem, "value", None)
        if count is None:
            count = (problem.count if isinstance(problem, Note) else None) or 1
        self.parts.append(
            pd.DataFrame(
                {
                    "file": [file],
                    "row": [row],
                    "column": [column],
                    "value": [None if value is None else str(value)],
                    "problem": [str(problem)],
                    "action": [action],
                    "severity": [severity],
                    "code": [code if code is not None else problem_code(problem)],
                    "count": [int(count)],
                }
            )
        )

    def add_cells(self, file: str, cells: pd.DataFrame, severity: str = "warning") -> None:
        """One entry per row of ``cells`` (columns ``row``, ``column``, ``value``, ``problem``,
        ``action``), all from ``file``: cell problems found by a reader."""
        if cells.empty:
            return
        part = cells[["row", "column", "value", "problem", "action"]].copy()
        part.insert(0, "file", file)
        part["severity"] = severity
        part["code"] = _codes(part["problem"].astype(object), len(part))
        part["count"] = 1
        self.parts.append(part[[*REPORT_COLUMNS, "code", "count"]])

    def note(self, text: str) -> None:
        """A line said once for the whole run (an encoding, a reprojection)."""
        self.notes.append(text)

    def entries(self) -> pd.DataFrame:
        """Every entry, one line each: the columns of :data:`REPORT_COLUMNS`, then ``code``,
        ``message`` (Chinese) and ``count`` (the rows or cells the entry stands for: 1 for a
        cell, more for an entry said once for many)."""
        columns = [*REPORT_COLUMNS, "code", "message", "count"]
        if not self.parts:
            return pd.DataFrame(
                {c: pd.Series(dtype="Int64" if c == "count" else "string") for c in columns}
            )
        table = pd.concat(self.parts, ignore_index=True)
        table["row"] = pd.array(table["row"], dtype="Int64")
        table["count"] = pd.array(table["count"], dtype="Int64")
        for c in ("file", "column", "value", "problem", "action", "severity", "code"):
            table[c] = table[c].astype("string")
        table["code"] = table["code"].fillna("other")
        known = {p.code: p.message for p in PROBLEMS if p.message}
        table["message"] = table["code"].map(known).fillna(table["problem"]).astype("string")
        return table[columns]

    def table(self) -> pd.DataFrame:
        """The report as written: one line per file, problem code and column, in the order
        first found, with the columns of :data:`TABLE_COLUMNS`: ``count``, the rows or cells
        of its entries (their ``count`` summed), the first ``row`` and the first 10 ``rows`` (as seen in Excel or a text editor), the first
        ``value`` and up to 5 distinct ``values``, the Chinese ``message``, and the first
        entry's ``problem`` text and ``action`` (details, partly in English). Codes marked
        ungrouped in :data:`PROBLEMS` keep one line per entry; those marked unwritten (no
        problem) are left out."""
        entries = self.entries()
        entries = entries.loc[~entries["code"].isin(_UNWRITTEN).to_numpy(dtype=bool)]
        if entries.empty:
            return pd.DataFrame(
                {
                    c: pd.Series(dtype="Int64" if c in ("row", "count") else "string")
                    for c in TABLE_COLUMNS
                }
            )
        keys = entries[["file", "code", "column"]].fillna("")
        alone = entries["code"].isin(_UNGROUPED).to_numpy(dtype=bool)
        keys["own"] = np.where(alone, np.arange(len(entries)), -1)
        group = keys.groupby(["file", "code", "column", "own"], sort=False).ngroup()
        first = entries.loc[~group.duplicated()].set_index(group[~group.duplicated()])
        out = first.drop(columns=["value", "count"]).copy()
        counts = entries["count"].fillna(1).groupby(group.to_numpy()).sum()
        out["count"] = pd.array(counts.reindex(out.index).to_numpy(), dtype="Int64")
        out["value"] = first["value"]
        nth = group.groupby(group).cumcount()
        listed = entries.loc[(nth < FIRST_ROWS).to_numpy() & entries["row"].notna().to_numpy()]
        rows = (
            listed["row"]
            .astype("int64")
            .astype(str)
            .groupby(group[listed.index], sort=False)
            .agg(", ".join)
        )
        out["rows"] = rows.reindex(out.index).astype("string")
        pair = pd.DataFrame({"g": group, "v": entries["value"]})
        new_value = entries["value"].notna() & ~pair.duplicated()
        ranked = group[new_value]
        shown = ranked.index[(ranked.groupby(ranked).cumcount() < FIRST_VALUES).to_numpy()]
        values = (
            entries.loc[shown, "value"]
            .astype(str)
            .groupby(group[shown], sort=False)
            .agg(" | ".join)
        )
        out["values"] = values.reindex(out.index).astype("string")
        return out.reset_index(drop=True)[list(TABLE_COLUMNS)]
