"""Write the small workbook fixtures beside this file: ``ledger.xls``, ``ledger.xlsb`` and
``ledger.ods``, each with the same three sheets (说明, 台账, 核查).

The project reads these formats (through python-calamine) but has no writer for them, so the
files are committed; this script says exactly how they were made. It needs packages that are
not dependencies of the project, in a scratch environment::

    python -m venv /tmp/fixtures && /tmp/fixtures/bin/pip install xlwt pyxlsbwriter odfpy
    /tmp/fixtures/bin/python tests/data/make_workbook_fixtures.py

(xlwt 1.3.0 writes Excel 97-2003 .xls, pyxlsbwriter 0.1.0 Excel binary .xlsb, odfpy 1.4.1
OpenDocument .ods.) The expected values in tests/test_workbook_formats.py are those below.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

HERE = Path(__file__).resolve().parent

NOTES = [["本工作簿由国土所填报，第二页为台账，第三页为核查记录。"]]
LEDGER = [
    ["XX市2024年供地台账"],  # row 1: a title
    [],  # row 2: blank
    ["电子监管号", "项目名称", "土地用途", "面积(公顷)", "成交价格(万元)", "约定开工时间"],
    ["3205062013B00001", "纳米城二期", "工业用地", 12.5, 3000, dt.date(2013, 6, 20)],
    ["3205062013B00002-1", "星湖街厂房", "工业用地", 3, 900, "2014年01月02日"],
    [],  # row 6: empty
    ["3205062013B00003", "仓储中心", "工矿仓储用地", 7.75, "1200万元", dt.date(2015, 3, 1)],
]
INSPECTIONS = [
    ["电子监管号", "核查日期", "核查结论", "已投资额(万元)", "核查人"],
    ["3205062013B00001", dt.date(2016, 5, 10), "未开工", None, "张三"],
    ["3205062013B00003", "2016-04-01", "已开工", 800, "李四"],
]
SHEETS = {"说明": NOTES, "台账": LEDGER, "核查": INSPECTIONS}


def write_xls(path: Path) -> None:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for name, rows in SHEETS.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, dt.date):
                    sheet.write(r, c, value, date_style)
                else:
                    sheet.write(r, c, value)
    book.save(str(path))


def write_xlsb(path: Path) -> None:
    from pyxlsbwriter import XlsbWriter

    with XlsbWriter(str(path)) as writer:
        for name, rows in SHEETS.items():
            writer.add_sheet(name)
            width = max(len(r) for r in rows)
            writer.write_sheet([[*r, *[None] * (width - len(r))] for r in rows])


def write_ods(path: Path) -> None:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in SHEETS.items():
        table = Table(name=name)
        for row in rows:
            tr = TableRow()
            for value in row:
                if value is None:
                    cell = TableCell()
                elif isinstance(value, dt.date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat())
                    cell.addElement(P(text=value.isoformat()))
                elif isinstance(value, (int, float)):
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=str(value)))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=value))
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    doc.save(str(path))


if __name__ == "__main__":
    write_xls(HERE / "ledger.xls")
    write_xlsb(HERE / "ledger.xlsb")
    write_ods(HERE / "ledger.ods")
    for name in ("ledger.xls", "ledger.xlsb", "ledger.ods"):
        print(name, (HERE / name).stat().st_size, "bytes")
