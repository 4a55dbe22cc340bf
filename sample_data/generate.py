"""Generate the sample industrial park: parcels, park boundaries, supply ledger and scenarios.

Run from the repository root::

    python sample_data/generate.py             # writes into sample_data/
    python sample_data/generate.py --out DIR   # writes somewhere else

Outputs (all synthetic except the location, 沈阳经济技术开发区 in Tiexi, Shenyang):

- ``parcels.gpkg`` layer ``parcels``: parcel polygons, EPSG:4529 (CGCS2000 / 3-degree
  Gauss-Kruger zone 41, metres, eastings with the zone prefix 41), field ``宗地编号``.
- ``parks.gpkg`` layer ``parks``: three park boundaries, EPSG:4529, field ``name``.
- ``ledger.xlsx`` sheet ``供地台账``: the supply ledger, title on row 1, a note on row 2,
  Chinese headers on row 3 (first accepted header of each column in ``landuse.schema``),
  data from row 4. Areas in hectares, money in 万元 (10,000 yuan), rates in per mille per day.
- ``scenarios.csv``: one line per parcel id with the status the ledger was designed to produce
  as of 2025-12-31 (RULES.md section 5), the scenario key, flags and an English note.
- ``buildings.gpkg`` layer ``buildings``: building footprints of a survey dated 2025-06-30,
  EPSG:4529, fields ``建筑编号``, ``层数`` (floors), ``建筑高度`` (m, some missing) and
  ``调查日期``; consistent with the statuses: completed parcels built up (coverage 32-55 %),
  parcels under construction partly (8-30 %), partly developed and suspended ones little
  (4-12 %), unstarted ones empty, and of the parcels without start evidence (待核查) half empty
  and half with a site office (1-3 %, below the evidence threshold of 10 %), so that the
  footprints rank them for inspection without changing any status. Drawn with their own seeded
  generator (``SEED + 1``), so the other files do not change when the footprints do.

The random generator is seeded, so two runs give identical data (the files differ only in
metadata such as timestamps inside the GeoPackage and the XLSX zip).
"""

from __future__ import annotations

import argparse
import csv
import importlib
import sys
from calendar import monthrange
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from pyproj import Transformer

SEED = 20251231
AS_OF = date(2025, 12, 31)
CRS_EPSG = 4529  # CGCS2000 / 3-degree Gauss-Kruger zone 41 (central meridian 123°E)
CENTRE_LON_LAT = (123.30, 41.77)  # 沈阳经济技术开发区, Tiexi district, Shenyang
REGION_CODE = "210106"  # 沈阳市铁西区
PARK_NAMES = ("经开区北区", "经开区南区", "化工产业园")
SHEET = "供地台账"
TITLE = "沈阳经济技术开发区工业用地供地台账（截至2025年12月31日）"
NOTE = (
    "说明：面积单位为公顷，金额单位为万元；开工状态为2025年第四季度巡查结论；"
    "本表为示例数据，宗地、企业、项目及金额均为虚构。"
)
PLACEHOLDER_DATE = "1900年01月01日"  # what real ledgers write for "no date"

# Investment intensity bands (万元/公顷). Parcels meant to pass stay at or above HIGH_MIN and
# parcels meant to fail at or below LOW_MAX, so the intended statuses hold both under the
# national default (5000) and under sample_data/rules.toml (经开区北区 6000, 化工产业园 +
# industry 26 5500, industry 26 4500), with room for the +-1 % declared-area noise.
HIGH_MIN = 6300.0
LOW_MAX = 4300.0

# Ledger columns (canonical names of landuse.schema), in sheet order.
LEDGER_COLUMNS = (
    "parcel_id",
    "supervision_no",
    "park",
    "project_name",
    "holder",
    "land_use",
    "industry",
    "industry_code",
    "area_ha",
    "land_price_wan",
    "contract_date",
    "agreed_delivery_date",
    "actual_delivery_date",
    "agreed_start_date",
    "actual_start_date",
    "agreed_completion_date",
    "actual_completion_date",
    "extended_start_date",
    "start_status",
    "agreed_investment_wan",
    "actual_investment_wan",
    "invested_ex_land_wan",
    "total_investment_ex_land_wan",
    "developed_area_ha",
    "suspended_since",
    "gov_cause",
    "price_due_date",
    "price_paid_wan",
    "far_min",
    "far_max",
    "far_actual",
    "coverage_actual",
    "late_start_rate_permille",
)

# GB/T 4754-2017 two-digit divisions used in the park: name, company-name words, products.
INDUSTRIES: dict[str, tuple[str, tuple[str, ...], tuple[tuple[str, str], ...]]] = {
    "13": ("农副食品加工业", ("粮油", "食品", "饲料"), (("吨", "粮油精深加工"), ("吨", "饲料"))),
    "14": ("食品制造业", ("食品", "乳业"), (("吨", "方便食品"), ("吨", "乳制品"))),
    "17": ("纺织业", ("纺织", "织造"), (("万米", "功能性面料"), ("吨", "特种纱线"))),
    "26": (
        "化学原料和化学制品制造业",
        ("化工", "精细化工", "新材料", "涂料"),
        (("吨", "精细化学品"), ("吨", "水性涂料"), ("吨", "电子化学品")),
    ),
    "27": (
        "医药制造业",
        ("药业", "生物制药", "医药"),
        (("万盒", "生物制剂"), ("亿片", "固体制剂")),
    ),
    "29": (
        "橡胶和塑料制品业",
        ("塑料制品", "橡胶制品", "塑胶"),
        (("吨", "工程塑料制品"), ("万套", "汽车橡胶密封件")),
    ),
    "31": ("黑色金属冶炼和压延加工业", ("特钢", "钢材加工"), (("万吨", "特钢棒材"),)),
    "33": (
        "金属制品业",
        ("金属制品", "钢结构", "五金"),
        (("吨", "钢结构件"), ("万件", "精密五金件")),
    ),
    "34": (
        "通用设备制造业",
        ("机械制造", "通用机械", "阀门", "轴承", "压缩机", "泵业"),
        (("台套", "工业阀门"), ("万套", "精密轴承"), ("台", "螺杆压缩机"), ("台", "工业泵")),
    ),
    "35": (
        "专用设备制造业",
        ("重工", "专用设备", "环保设备", "矿山机械", "数控机床"),
        (("台套", "冶金专用设备"), ("台", "数控机床"), ("台套", "环保设备")),
    ),
    "36": (
        "汽车制造业",
        ("汽车零部件", "汽车部件", "汽车配件", "车身系统"),
        (("万套", "汽车座椅"), ("万件", "汽车冲压件"), ("万套", "新能源汽车电驱系统")),
    ),
    "38": (
        "电气机械和器材制造业",
        ("电气", "电机", "输变电设备", "电缆"),
        (("台", "变压器"), ("千米", "电线电缆"), ("万台", "工业电机")),
    ),
    "39": (
        "计算机、通信和其他电子设备制造业",
        ("电子科技", "光电", "半导体"),
        (("万片", "集成电路封装"), ("万套", "工业传感器")),
    ),
    "40": ("仪器仪表制造业", ("仪器仪表", "测控技术"), (("台套", "智能仪表"), ("台", "检测仪器"))),
}
# Industry mix (code, weight): equipment and automotive in the two general parks,
# chemicals and pharmaceuticals in the chemical park.
GENERAL_MIX = (
    ("34", 20),
    ("35", 15),
    ("36", 20),
    ("38", 10),
    ("39", 8),
    ("40", 5),
    ("33", 8),
    ("13", 5),
    ("14", 3),
    ("17", 3),
    ("31", 3),
)
CHEMICAL_MIX = (("26", 60), ("27", 25), ("29", 15))

# Non-industrial rows: land use, id type code, industry, code, company word, project word.
NON_INDUSTRIAL = (
    ("其他商服用地", "SF", "批发业", "51", "商贸", "商业综合体"),
    ("仓储用地", "CC", "装卸搬运和仓储业", "59", "物流", "物流仓储中心"),
    ("科教用地", "KJ", "研究和试验发展", "73", "科技研究院", "研发中心"),
)

GOV_CAUSES = (
    "征收拆迁未完成，政府未按期交地",
    "规划调整，地块控规修编未完成",
    "地块内高压线迁改未完成",
    "配套道路及市政管网未建成",
)

_BRAND_FIRST = "华鑫恒瑞博泰宏德中新金盛安润永昌达嘉联科天海正东信隆丰源通广利兴启航"
_BRAND_SECOND = "鑫恒瑞博泰宏德达嘉联科天海正信隆丰源通广利兴启航益顺和晟威"
_BRAND_AVOID = ("华晨", "东软", "金杯", "中航", "中天", "华润", "中信", "海信", "联通", "天海")

STATUS_ORDER = (
    "recovery",
    "idle_fee",
    "gov_delay",
    "late_start",
    "unverified",
    "late_completion",
    "below_threshold",
    "on_track",
    "compliant",
)


def _schema() -> Any:
    """Import ``landuse.schema`` from the repository this script lives in."""
    root = Path(__file__).resolve().parents[1]
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module("landuse.schema")


# ---------------------------------------------------------------------------------------------
# Dates


def add_months(d: date, months: int) -> date:
    """``d`` plus whole calendar months; the day is clamped to the month's length."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, monthrange(year, month)[1]))


def add_years(d: date, years: int) -> date:
    """``d`` plus calendar years (29 February becomes 28 February in a common year)."""
    return add_months(d, 12 * years)


def _d(text: str) -> date:
    return date.fromisoformat(text)


# ---------------------------------------------------------------------------------------------
# Random helpers


class Draw:
    """Thin wrapper around a seeded :class:`numpy.random.Generator`."""

    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)

    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def integer(self, low: int, high_inclusive: int) -> int:
        return int(self.rng.integers(low, high_inclusive + 1))

    def chance(self, p: float) -> bool:
        return bool(self.rng.random() < p)

    def pick(self, items: tuple | list) -> Any:
        return items[int(self.rng.integers(len(items)))]

    def weighted(self, items: tuple[tuple[Any, float], ...]) -> Any:
        weights = np.array([w for _, w in items], dtype=float)
        k = int(self.rng.choice(len(items), p=weights / weights.sum()))
        return items[k][0]

    def day(self, low: date, high: date) -> date:
        """A date drawn uniformly from ``low`` to ``high`` inclusive."""
        return low + timedelta(days=self.integer(0, (high - low).days))


# ---------------------------------------------------------------------------------------------
# Layout: road grid, blocks, parcels, parks (local metres, origin at the park centre)


@dataclass
class Layout:
    """Parcel quadrilaterals and park cells in local metres before placement.

    ``quads`` has shape (n, 4, 2), vertices counter-clockwise from the south-west corner;
    ``south_road[i]`` is true when parcel i's southern edge lies on a road; ``slanted[i]`` when
    one of its side edges is not square (an irregular quadrilateral).
    """

    quads: np.ndarray
    park: np.ndarray
    south_road: np.ndarray
    slanted: np.ndarray
    park_cells: list[list[shapely.Polygon]]


def _road_widths(n: int, draw: Draw) -> np.ndarray:
    """Widths (m) of ``n`` parallel roads: every third an arterial of 50 m, others 30-40 m."""
    widths = np.array([draw.pick((30.0, 35.0, 40.0)) for _ in range(n)])
    widths[::3] = 50.0
    return widths


def _axis(blocks: np.ndarray, roads: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Block starts, block ends and road centre lines (m) along one axis, centred on 0."""
    starts, ends, centres = [], [], []
    pos = 0.0
    for k, size in enumerate(blocks):
        centres.append(pos + roads[k] / 2)
        pos += roads[k]
        starts.append(pos)
        pos += size
        ends.append(pos)
    centres.append(pos + roads[-1] / 2)
    half = (pos + roads[-1]) / 2
    return np.array(starts) - half, np.array(ends) - half, np.array(centres) - half


def _park_of_block(col: int, row: int) -> int:
    """Park index of block (col, row), row 0 in the south: north / south / chemical (L-shape)."""
    if row >= 4:
        return 0
    if (col >= 5 and row <= 2) or (col == 7 and row == 3):
        return 2
    return 1


def _subdivide(
    x0: float, y0: float, x1: float, y1: float, draw: Draw
) -> list[tuple[list[tuple[float, float]], bool, bool]]:
    """Cut one block into parcels: (quad, south edge on road, slanted side)."""
    width, height = x1 - x0, y1 - y0
    if width * height <= 15e4 and draw.chance(0.08):
        return [([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], True, False)]
    if height >= 300 and draw.chance(0.85):
        ym = y0 + round(height * draw.uniform(0.42, 0.58) / 5) * 5
        strips = [(y0, ym, True), (ym, y1, False)]
    else:
        strips = [(y0, y1, True)]
    out = []
    for sy0, sy1, south in strips:
        depth = sy1 - sy0
        if width * depth <= 15e4 and draw.chance(0.08):
            out.append(([(x0, sy0), (x1, sy0), (x1, sy1), (x0, sy1)], south, False))
            continue
        bottoms = [x0]
        while True:
            area_ha = float(np.clip(draw.rng.lognormal(np.log(2.8), 0.6), 0.5, 12.0))
            w = max(round(area_ha * 1e4 / depth), 45)
            if bottoms[-1] + w > x1 - 45:
                break
            bottoms.append(bottoms[-1] + w)
        bottoms.append(x1)
        tops = list(bottoms)
        slanted = [False] * (len(bottoms) - 1)
        for k in range(1, len(bottoms) - 1):
            if draw.chance(0.04):
                top = bottoms[k] + draw.pick((-1, 1)) * draw.integer(12, 30)
                if top - tops[k - 1] >= 40 and bottoms[k + 1] - top >= 40:
                    tops[k] = top
                    slanted[k - 1] = slanted[k] = True
        for k in range(len(bottoms) - 1):
            quad = [(bottoms[k], sy0), (bottoms[k + 1], sy0), (tops[k + 1], sy1), (tops[k], sy1)]
            out.append((quad, south, slanted[k]))
    return out


def build_layout(draw: Draw) -> Layout:
    """Road grid of 8 x 7 blocks (380-560 m by 270-400 m), three of them left vacant."""
    n_cols, n_rows = 8, 7
    col_w = np.array([draw.integer(38, 56) * 10.0 for _ in range(n_cols)])
    row_h = np.array([draw.integer(27, 40) * 10.0 for _ in range(n_rows)])
    bx0, bx1, cx = _axis(col_w, _road_widths(n_cols + 1, draw))
    by0, by1, cy = _axis(row_h, _road_widths(n_rows + 1, draw))
    vacant = {int(k) for k in draw.rng.choice(n_cols * n_rows, size=3, replace=False)}

    quads, park, south, slanted = [], [], [], []
    cells: list[list[shapely.Polygon]] = [[] for _ in PARK_NAMES]
    for row in range(n_rows):
        for col in range(n_cols):
            p = _park_of_block(col, row)
            cells[p].append(shapely.box(cx[col], cy[row], cx[col + 1], cy[row + 1]))
            if row * n_cols + col in vacant:
                continue
            for quad, s, sl in _subdivide(bx0[col], by0[row], bx1[col], by1[row], draw):
                quads.append(quad)
                park.append(p)
                south.append(s)
                slanted.append(sl)
    return Layout(
        quads=np.array(quads, dtype=float),
        park=np.array(park),
        south_road=np.array(south),
        slanted=np.array(slanted),
        park_cells=cells,
    )


def projected_centre() -> np.ndarray:
    """The park centre in EPSG:4529 metres (easting with zone prefix 41), rounded to 1 m."""
    to_gk = Transformer.from_crs("EPSG:4490", f"EPSG:{CRS_EPSG}", always_xy=True)
    return np.round(np.array(to_gk.transform(*CENTRE_LON_LAT)), 0)


def place(geoms: np.ndarray) -> np.ndarray:
    """Move local geometries (metres, origin at the park centre) to the real location.

    The grid stays aligned with grid north, so every vertex stays a multiple of 0.5 m and
    neighbouring parcels share their edges exactly (no slivers or overlaps).
    """
    centre = projected_centre()
    return shapely.transform(geoms, lambda xy: xy + centre)


def bow_tie(quad: np.ndarray) -> shapely.Polygon:
    """A self-intersecting ring: the closing edge overshoots the south-west corner by 3 m.

    ``quad`` holds the placed SW, SE, NE, NW corners. The ring crosses its own southern edge
    and leaves a small loop in the road south of the parcel; ``make_valid`` splits it into the
    parcel (less a sliver) and a tiny triangle, within 1 % of the intended area.
    """
    sw, se, _, nw = quad
    along = (se - sw) / np.linalg.norm(se - sw)
    outward = (sw - nw) / np.linalg.norm(sw - nw)
    overshoot = np.round(sw + 3.0 * along + 3.0 * outward, 2)
    return shapely.Polygon([*quad, overshoot])


# ---------------------------------------------------------------------------------------------
# Names


class Names:
    """Unique synthetic company brands and the names built on them."""

    def __init__(self, draw: Draw) -> None:
        self.draw = draw
        self.used: list[str] = []

    def brand(self) -> str:
        while True:
            b = self.draw.pick(_BRAND_FIRST) + self.draw.pick(_BRAND_SECOND)
            if b[0] != b[1] and b not in self.used and b not in _BRAND_AVOID:
                self.used.append(b)
                return b

    def industrial(self, code: str) -> tuple[str, str]:
        """(holder, project name) for an industrial project of GB/T 4754 division ``code``."""
        _, words, products = INDUSTRIES[code]
        brand, word = self.brand(), self.draw.pick(words)
        city = self.draw.weighted((("沈阳", 75), ("辽宁", 20), ("", 5)))
        suffix = self.draw.weighted((("有限公司", 75), ("有限责任公司", 15), ("股份有限公司", 10)))
        holder = f"{city}{brand}{word}{suffix}"
        unit, product = self.draw.pick(products)
        small = unit.startswith(("万", "亿"))
        n = self.draw.pick((1, 2, 3, 5, 8, 10, 20, 30) if small else (500, 1000, 2000, 5000))
        template = self.draw.integer(0, 4)
        if template == 0:
            project = f"年产{n}{unit}{product}项目"
        elif template == 1:
            project = f"{brand}{word}生产基地建设项目"
        elif template == 2:
            project = f"{brand}{product}产业化项目"
        elif template == 3:
            project = f"{brand}{word}产业园（一期）项目"
        else:
            project = f"{brand}{word}扩能改造项目"
        return holder, project

    def other(self, company_word: str, project_word: str) -> tuple[str, str]:
        """(holder, project name) for a non-industrial project."""
        brand = self.brand()
        return f"沈阳{brand}{company_word}有限公司", f"{brand}{project_word}项目"


# ---------------------------------------------------------------------------------------------
# Scenario plan


@dataclass
class Slot:
    """One intended ledger scenario: status as of 2025-12-31, scenario key, variant tag."""

    status: str
    key: str
    variant: str = ""


def _repeat(status: str, key: str, n: int, variants: tuple[str, ...] = ()) -> list[Slot]:
    """``n`` slots; the first ``len(variants)`` carry those variant tags."""
    return [Slot(status, key, variants[i] if i < len(variants) else "") for i in range(n)]


def plan_slots(n_parcels: int) -> list[Slot]:
    """Scenario slots for ``n_parcels`` analysed parcels (the special rows, then the bulk)."""
    fixed = [
        Slot("recovery", "leap_day"),
        *_repeat("recovery", "idle_2y", 5, ("rate_2",)),
        Slot("idle_fee", "one_year_exact"),
        Slot("idle_fee", "partial_suspended"),
        *_repeat("idle_fee", "idle_1y", 5),
        *_repeat("gov_delay", "gov_cause", 4, ("undelivered", "undelivered")),
        *_repeat("late_start", "late_start", 6, ("rate_0.5",)),
        *_repeat(
            "unverified",
            "no_evidence",
            8,
            ("placeholder_start", "no_agreed_start", "rate_2"),
        ),
        *_repeat(
            "late_completion",
            "late_completion",
            40,
            ("placeholder_completion", "rate_0.5"),
        ),
        Slot("below_threshold", "investment_shortfall_below"),
        *_repeat("below_threshold", "low_intensity", 17),
        Slot("on_track", "extension"),
        Slot("on_track", "late_payment_60plus"),
        Slot("on_track", "late_payment"),
        Slot("on_track", "suspended_short"),
        Slot("compliant", "investment_shortfall"),
        Slot("compliant", "plot_ratio_shortfall"),
        Slot("compliant", "area_mismatch"),
        Slot("compliant", "exact_duplicate"),
    ]
    rest = n_parcels - len(fixed)
    on_track = round(rest * 0.42)
    not_due = round(on_track * 0.45)
    bulk = [
        *_repeat("on_track", "not_due", not_due, ("placeholder_start",)),
        *_repeat("on_track", "in_progress", on_track - not_due),
        *_repeat(
            "compliant",
            "completed",
            rest - on_track,
            ("unit_text", "unit_text", "unit_text", "unit_text_price", "no_agreed_start"),
        ),
    ]
    return fixed + bulk


# Contract windows and date checks per scenario key: (first contract date, last, progress).
# Progress: not_started (inspection 未开工), unknown (no evidence), started, completed, not_due.
WINDOWS: dict[str, tuple[str, str, str]] = {
    "idle_2y": ("2016-01-10", "2021-09-30", "not_started"),
    "idle_1y": ("2022-09-01", "2024-03-31", "not_started"),
    "gov_cause": ("2020-03-01", "2023-10-31", "not_started"),
    "late_start": ("2023-11-01", "2025-04-30", "not_started"),
    "extension": ("2023-01-01", "2023-12-31", "not_started"),
    "no_evidence": ("2017-06-01", "2025-01-31", "unknown"),
    "late_completion": ("2016-01-10", "2023-03-31", "started"),
    "partial_suspended": ("2018-01-01", "2021-06-30", "started"),
    "in_progress": ("2022-06-01", "2025-03-31", "started"),
    "suspended_short": ("2022-06-01", "2024-09-30", "started"),
    "completed": ("2016-01-10", "2022-12-31", "completed"),
    "not_due": ("2024-12-01", "2025-12-10", "not_due"),
    "late_payment_60plus": ("2025-02-01", "2025-05-31", "not_due"),
    "late_payment": ("2025-09-20", "2025-10-20", "not_due"),
    "no_geometry": ("2025-10-15", "2025-12-10", "not_due"),
}
# Keys that reuse another key's window.
WINDOW_ALIAS = {
    "investment_shortfall": "completed",
    "investment_shortfall_below": "completed",
    "plot_ratio_shortfall": "completed",
    "area_mismatch": "completed",
    "self_intersection": "completed",
    "exact_duplicate": "completed",
    "conflicting_duplicate": "completed",
    "non_industrial": "completed",
}


def _window_ok(key: str, variant: str, s: dict[str, Any]) -> bool:
    """Whether a drawn schedule ``s`` produces the intended status for ``key`` as of AS_OF."""
    start, completion = s["agreed_start_date"], s["agreed_completion_date"]
    act_start, act_done = s.get("actual_start_date"), s.get("actual_completion_date")
    delivered = s["actual_delivery_date"] or s["agreed_delivery_date"]
    if act_start is not None and act_start < delivered + timedelta(days=20):
        return False
    a = AS_OF
    if key == "idle_2y":
        return start <= _d("2023-10-31")
    if key == "idle_1y":
        return _d("2024-01-20") <= start <= _d("2024-12-10")
    if key == "gov_cause":
        return start <= _d("2024-11-30")
    if key == "late_start":
        return _d("2025-01-20") <= start <= _d("2025-11-30")
    if key == "extension":
        return _d("2024-03-01") <= start <= _d("2024-10-31")
    if key == "no_evidence":
        # variants spread the ages: under one year, one to two years, over two years
        lo, hi = {
            "0": ("2025-01-10", "2025-11-30"),
            "1": ("2024-01-10", "2024-12-20"),
            "2": ("2019-01-01", "2023-11-30"),
        }[variant]
        due = start if not s.get("_no_agreed_start") else add_years(delivered, 1)
        return _d(lo) <= due <= _d(hi)
    if key == "late_completion":
        return completion <= a - timedelta(days=30) and act_start <= a - timedelta(days=200)
    if key == "partial_suspended":
        return completion <= a - timedelta(days=200) and act_start <= _d("2023-06-30")
    if key == "in_progress":
        return (
            start <= a - timedelta(days=10)
            and act_start <= a - timedelta(days=10)
            and completion >= a + timedelta(days=30)
        )
    if key == "suspended_short":
        return act_start <= _d("2024-12-31") and completion >= a + timedelta(days=30)
    if key == "completed":
        return act_done <= a - timedelta(days=10)
    if key in ("not_due", "late_payment_60plus", "late_payment", "no_geometry"):
        return start >= a + timedelta(days=5)
    raise KeyError(key)


# ---------------------------------------------------------------------------------------------
# Ledger rows


class RowMaker:
    """Builds ledger rows (canonical names -> Python values) for the scenario slots."""

    def __init__(self, draw: Draw) -> None:
        self.draw = draw
        self.names = Names(draw)
        self.counts: Counter[str] = Counter()

    # -- dates --------------------------------------------------------------------------------

    def schedule(self, contract: date, progress: str) -> dict[str, Any]:
        """Contract dates drawn forward from the signing date (see README for the offsets)."""
        d = self.draw
        agreed_delivery = contract + timedelta(days=d.integer(15, 90))
        agreed_start = add_months(agreed_delivery, d.integer(6, 12))
        actual_delivery = agreed_delivery + timedelta(days=d.integer(-5, 45))
        if actual_delivery > AS_OF or d.chance(0.08):
            actual_delivery = None
        s: dict[str, Any] = {
            "contract_date": contract,
            "agreed_delivery_date": agreed_delivery,
            "actual_delivery_date": actual_delivery,
            "agreed_start_date": agreed_start,
            "agreed_completion_date": add_years(agreed_start, 2),
            "price_due_date": contract + timedelta(days=d.pick((30, 60, 90, 180))),
            "actual_start_date": None,
            "actual_completion_date": None,
        }
        if progress in ("started", "completed"):
            s["actual_start_date"] = agreed_start + timedelta(days=d.integer(-90, 180))
        if progress == "completed":
            s["actual_completion_date"] = add_months(s["actual_start_date"], d.integer(14, 30))
        if progress == "not_due" and actual_delivery is not None and d.chance(0.15):
            earliest = actual_delivery + timedelta(days=20)
            if earliest <= AS_OF - timedelta(days=5):
                s["actual_start_date"] = d.day(earliest, AS_OF - timedelta(days=5))
        return s

    def dates_for(self, key: str, variant: str) -> tuple[dict[str, Any], str]:
        """Draw a schedule for ``key`` until it yields the intended status; also the progress."""
        if key == "leap_day":
            return {
                "contract_date": _d("2016-02-29"),
                "agreed_delivery_date": _d("2016-04-30"),
                "actual_delivery_date": _d("2016-05-16"),
                "agreed_start_date": _d("2017-02-28"),
                "agreed_completion_date": _d("2019-02-28"),
                "extended_start_date": _d("2020-02-29"),
                "price_due_date": _d("2016-03-30"),
                "actual_start_date": None,
                "actual_completion_date": None,
            }, "not_started"
        if key == "one_year_exact":
            return {
                "contract_date": _d("2024-02-26"),
                "agreed_delivery_date": _d("2024-03-31"),
                "actual_delivery_date": _d("2024-04-08"),
                "agreed_start_date": _d("2024-12-31"),
                "agreed_completion_date": _d("2026-12-31"),
                "price_due_date": _d("2024-03-27"),
                "actual_start_date": None,
                "actual_completion_date": None,
            }, "not_started"
        window = WINDOWS[WINDOW_ALIAS.get(key, key)]
        lo, hi, progress = _d(window[0]), _d(window[1]), window[2]
        check_key = WINDOW_ALIAS.get(key, key)
        check_variant = variant
        if key == "no_evidence":
            check_variant = str(self.counts["no_evidence_age"] % 3)
            self.counts["no_evidence_age"] += 1
        for _ in range(20000):
            s = self.schedule(self.draw.day(lo, hi), progress)
            if variant == "no_agreed_start":
                s["_no_agreed_start"] = True
                if s["actual_delivery_date"] is None:
                    continue
            if _window_ok(check_key, check_variant, s):
                return s, progress
        raise RuntimeError(f"no schedule found for {key}")

    # -- one row ------------------------------------------------------------------------------

    def row(self, slot: Slot, area_true_ha: float, park: int) -> dict[str, Any]:
        """A ledger row for ``slot`` on a parcel of ``area_true_ha`` hectares in park ``park``."""
        d, key, variant = self.draw, slot.key, slot.variant
        flags: list[str] = []
        notes: list[str] = []
        row: dict[str, Any] = {"_status": slot.status, "_scenario": key, "_park": park}

        if key == "non_industrial":
            use, type_code, industry, code, company_word, project_word = NON_INDUSTRIAL[
                self.counts["non_industrial"] % len(NON_INDUSTRIAL)
            ]
            self.counts["non_industrial"] += 1
            holder, project = self.names.other(company_word, project_word)
            notes.append(f"land use {use}: skipped as non-industrial")
        else:
            mix = CHEMICAL_MIX if park == 2 else GENERAL_MIX
            code = d.weighted(mix)
            use, type_code, industry = "工业用地", "GY", INDUSTRIES[code][0]
            holder, project = self.names.industrial(code)
        row.update(
            land_use=use,
            industry=industry,
            industry_code=code,
            holder=holder,
            project_name=project,
            _type_code=type_code,
        )

        # progress low_intensity: three in four completed, the others still building
        if key == "low_intensity":
            self.counts["low_intensity"] += 1
            window_key = "in_progress" if self.counts["low_intensity"] % 4 == 0 else "completed"
        else:
            window_key = key
        s, progress = self.dates_for(window_key, variant)
        row["_progress"] = progress  # for the footprints (make_buildings)
        s.pop("_no_agreed_start", None)
        row.update(s)
        row.setdefault("extended_start_date", None)

        # areas and price (declared area = polygon area +-1 %, integer square metres)
        factor = d.uniform(1.09, 1.11) if key == "area_mismatch" else d.uniform(0.99, 1.01)
        area_m2 = round(area_true_ha * 1e4 * factor)
        area_ha = area_m2 / 1e4
        unit_price = d.integer(300, 600)  # 元/m²
        price = round(area_m2 * unit_price / 1e4, 4)
        row.update(area_ha=area_ha, land_price_wan=price)
        if key == "area_mismatch":
            flags.append("area_mismatch")
            notes.append(f"declared area {factor - 1:+.1%} against the polygon")

        # investment intensity (万元/公顷, on the polygon area); see LOW_MAX / HIGH_MIN
        shadowed = slot.status in STATUS_ORDER[:6]
        if key == "low_intensity" or (shadowed and d.chance(0.15)):
            intensity = d.uniform(2600, LOW_MAX)
        elif key == "investment_shortfall":
            intensity = d.uniform(9000, 10000)
        elif key == "investment_shortfall_below":
            intensity = d.uniform(HIGH_MIN, 6800)
        else:
            intensity = min(HIGH_MIN + d.rng.gamma(2.0, 1500.0), 20000.0)
        agreed = int(round(intensity * area_true_ha / 10) * 10)
        row["agreed_investment_wan"] = agreed
        row["total_investment_ex_land_wan"] = round(agreed - price, 2)

        actual = None
        if progress == "completed":
            if key == "investment_shortfall":
                actual = int(round(agreed * d.uniform(0.72, 0.78) / 10) * 10)
                flags.append("investment_shortfall")
                notes.append("completed with actual investment below the agreed investment")
            elif key == "investment_shortfall_below":
                actual = int(round(agreed * d.uniform(0.58, 0.63) / 10) * 10)
                flags.append("investment_shortfall")
                notes.append("actual investment short of agreed and below 5000 万元/公顷")
            elif d.chance(0.7):
                top = 1.05 if key == "low_intensity" else 1.25
                actual = int(round(agreed * d.uniform(1.0, top) / 10) * 10)
                if key == "low_intensity":
                    actual = min(actual, int(LOW_MAX * area_true_ha / 10) * 10)
                    actual = max(actual, agreed)
        row["actual_investment_wan"] = actual

        # start evidence, inspection, development progress
        row["start_status"] = None
        row["invested_ex_land_wan"] = None
        row["developed_area_ha"] = None
        row["suspended_since"] = None
        if progress == "not_started":
            row["start_status"] = "未开工"
            if d.chance(0.7):
                row["invested_ex_land_wan"] = 0.0
                row["developed_area_ha"] = 0.0
        elif progress in ("started", "completed"):
            if d.chance(0.3):
                row["actual_start_date"] = None
                row["start_status"] = "已开工"
            else:
                row["start_status"] = "已开工" if d.chance(0.8) else None
            spent = (actual or agreed) - price
            if progress == "completed":
                if d.chance(0.5):
                    row["invested_ex_land_wan"] = round(spent, 2)
                if d.chance(0.6):
                    row["developed_area_ha"] = area_ha
            else:
                if d.chance(0.5):
                    row["invested_ex_land_wan"] = round(spent * d.uniform(0.35, 0.9), 2)
                if d.chance(0.6):
                    row["developed_area_ha"] = round(area_ha * d.uniform(0.4, 0.95), 4)
        elif progress == "not_due":
            if row["actual_start_date"] is not None:
                row["start_status"] = "已开工"
                notes.append("started ahead of the agreed start date")
            elif d.chance(0.45):
                row["start_status"] = "未开工"

        if key in ("partial_suspended", "suspended_short"):
            # partly developed and stopped: under 1/3 of the area, under 25 % of the investment
            row["start_status"] = "已开工"
            row["developed_area_ha"] = round(area_ha * d.uniform(0.18, 0.26), 4)
            row["invested_ex_land_wan"] = round(row["total_investment_ex_land_wan"] * 0.18, 2)
            if key == "partial_suspended":
                row["suspended_since"] = d.day(_d("2024-01-15"), _d("2024-11-30"))
                flags.append("partial_idle")
                notes.append(
                    "started, under 1/3 developed, suspended 1-2 years: idle on the partial basis"
                )
            else:
                row["suspended_since"] = d.day(_d("2025-03-01"), _d("2025-09-30"))
                flags.append("suspended")
                notes.append("partly developed and suspended for under one year: not idle yet")

        # scenario specifics
        row["gov_cause"] = None
        if key == "gov_cause":
            k = self.counts["gov_cause"]
            self.counts["gov_cause"] += 1
            row["gov_cause"] = GOV_CAUSES[k % len(GOV_CAUSES)]
            flags.append("gov_cause")
            if variant == "undelivered":
                row["actual_delivery_date"] = None
            notes.append("not started and idle over one year, delay caused by government")
        if key == "leap_day":
            flags += ["leap_day", "extension"]
            notes.append(
                "signed 2016-02-29; start extended to 2020-02-29; "
                "idle one year on 2021-02-28, two years on 2022-02-28"
            )
        if key == "one_year_exact":
            flags.append("one_year_exact")
            notes.append("start due 2024-12-31: exactly one year idle on the as-of date")
        if key == "extension":
            ext = add_years(row["agreed_start_date"], 2)
            row["extended_start_date"] = ext
            flags.append("extension")
            notes.append(
                f"start extended from {row['agreed_start_date']} to {ext} by a supplementary "
                "agreement; without it the parcel would be idle over one year"
            )
        if key == "late_payment_60plus":
            row["price_due_date"] = row["contract_date"] + timedelta(days=30)
            row["price_paid_wan"] = round(price * 0.5, 4)
            flags += ["late_payment", "termination_risk"]
            notes.append("half the land price unpaid, more than 60 days past the due date")
        elif key == "late_payment":
            row["price_due_date"] = row["contract_date"] + timedelta(days=60)
            row["price_paid_wan"] = round(price * 0.6, 4)
            flags.append("late_payment")
            notes.append("40 % of the land price unpaid, under 60 days past the due date")
        else:
            row["price_paid_wan"] = price if d.chance(0.85) else None

        # plot ratio and building coverage
        far_min = d.pick((0.6, 0.8, 0.8) if park == 2 else (0.8, 1.0, 1.0, 1.0, 1.2))
        far_max = d.pick((0.0, 2.0, 2.5, 3.0))
        row.update(far_min=far_min, far_max=far_max, far_actual=None, coverage_actual=None)
        if key == "plot_ratio_shortfall":
            row.update(far_min=1.0, far_actual=0.82, coverage_actual=0.41)
            flags.append("plot_ratio_shortfall")
            notes.append("completed with plot ratio 0.82 under the agreed minimum 1.0")
        elif progress == "completed" and d.chance(0.8):
            far = round(far_min * d.uniform(1.02, 1.6), 2)
            row["far_actual"] = min(far, far_max) if far_max else far
            row["coverage_actual"] = round(d.uniform(0.32, 0.62), 2)

        # per-contract late-start rate (‰ per day), placeholders, units in text
        row["late_start_rate_permille"] = None
        unit_text: list[str] = []
        if variant.startswith("rate_"):
            row["late_start_rate_permille"] = float(variant.removeprefix("rate_"))
            flags.append("contract_rate")
        if variant == "placeholder_start":
            row["actual_start_date"] = PLACEHOLDER_DATE
            flags.append("placeholder_date")
        if variant == "placeholder_completion":
            row["actual_completion_date"] = PLACEHOLDER_DATE
            flags.append("placeholder_date")
            notes.append("actual completion written as the 1900-01-01 placeholder")
        if variant == "no_agreed_start":
            row["agreed_start_date"] = None
            flags.append("no_agreed_start")
            notes.append("no agreed start date: start due is actual delivery + 1 year")
        if variant == "unit_text":
            unit_text.append("agreed_investment_wan")
        if variant == "unit_text_price":
            unit_text.append("land_price_wan")
        if key == "late_payment_60plus":
            unit_text.append("price_paid_wan")
        if unit_text:
            flags.append("unit_in_text")
        row["_unit_text"] = unit_text

        if slot.status == "below_threshold" and key == "low_intensity":
            notes.append("investment intensity under 5000 万元/公顷")
        if shadowed and intensity < 5000:
            flags.append("below_threshold")
        if slot.status == "below_threshold":
            flags.append("below_threshold")
        row["_flags"] = flags
        row["_notes"] = notes
        return row


# ---------------------------------------------------------------------------------------------
# Identifiers


def assign_ids(rows: list[dict[str, Any]], draw: Draw) -> None:
    """Parcel ids ``210106-<year>-<type>-<serial>`` and supervision numbers, by contract date.

    Serials run per contract year with gaps (the park is one part of the district); the
    supervision number is region code + year + ``B`` (出让) + a 5-digit district-wide serial.
    """
    order = sorted(range(len(rows)), key=lambda i: (rows[i]["contract_date"], i))
    serial: dict[int, int] = {}
    sup_serial: dict[int, int] = {}
    for i in order:
        year = rows[i]["contract_date"].year
        serial[year] = serial.get(year, draw.integer(1, 30)) + draw.integer(1, 5)
        sup_serial[year] = sup_serial.get(year, draw.integer(40, 400)) + draw.integer(1, 25)
        rows[i]["parcel_id"] = f"{REGION_CODE}-{year}-{rows[i]['_type_code']}-{serial[year]:04d}"
        rows[i]["supervision_no"] = f"{REGION_CODE}{year}B{sup_serial[year]:05d}"


# ---------------------------------------------------------------------------------------------
# Cell formatting


def _plain(value: float) -> str:
    """A number as written by hand: no trailing zeros."""
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text


def format_row(row: dict[str, Any], kinds: dict[str, str], draw: Draw) -> list[Any]:
    """Cell values for one ledger row: dates in the row's writing style, some cells dirty."""
    style = draw.weighted((("cell", 40), ("cn", 35), ("iso", 15), ("slash", 10)))
    cells: list[Any] = []
    for name in LEDGER_COLUMNS:
        value = row.get(name)
        if value is None:
            cells.append(None)
        elif kinds[name] == "date" and isinstance(value, date):
            s = style if draw.chance(0.92) else draw.pick(("cell", "cn", "iso", "slash"))
            if s == "cell":
                cells.append(value)
            elif s == "cn":
                cells.append(f"{value.year}年{value.month:02d}月{value.day:02d}日")
            elif s == "iso":
                cells.append(value.isoformat())
            else:
                cells.append(f"{value.year}/{value.month}/{value.day}")
        elif name in row["_unit_text"]:
            cells.append(f"{_plain(float(value))}万元")
        else:
            cells.append(value)
    return cells


# ---------------------------------------------------------------------------------------------
# Writers


def write_ledger(path: Path, cell_rows: list[list[Any]], headers: list[str]) -> None:
    """The workbook: merged title (row 1), note (row 2), headers (row 3), data from row 4."""
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    last = get_column_letter(len(headers))
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=16)
    ws["A1"].alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    ws["A2"] = NOTE
    ws["A2"].font = Font(size=10)
    ws.merge_cells(f"A2:{last}2")
    for c, header in enumerate(headers, start=1):
        cell = ws.cell(row=3, column=c, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r, cells in enumerate(cell_rows, start=4):
        for c, value in enumerate(cells, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, date):
                cell.number_format = "yyyy/m/d"
            elif LEDGER_COLUMNS[c - 1] in ("area_ha", "land_price_wan") and value is not None:
                cell.number_format = "0.0000"
    widths = {"parcel_id": 22, "supervision_no": 19, "project_name": 36, "holder": 32}
    for c, name in enumerate(LEDGER_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(c)].width = widths.get(name, 14)
    ws.freeze_panes = "C4"
    wb.properties.creator = "landuse sample_data/generate.py"
    wb.properties.title = TITLE
    wb.properties.created = datetime(2025, 12, 31)
    wb.save(path)


def write_layer(gdf: gpd.GeoDataFrame, path: Path, layer: str) -> None:
    """Write one GeoPackage layer with pyogrio, replacing the file."""
    path.unlink(missing_ok=True)
    gdf.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")


def write_scenarios(path: Path, records: list[dict[str, str]]) -> None:
    """scenarios.csv: UTF-8 without BOM, one line per parcel id."""
    fields = ["parcel_id", "supervision_no", "park", "intended_status", "scenario", "tags", "note"]
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(records)


# ---------------------------------------------------------------------------------------------
# Main


def generate(out_dir: Path) -> dict[str, Any]:
    """Write the four sample files into ``out_dir``; return counts for the summary."""
    schema = _schema()
    kinds = {name: str(schema.COLUMNS_BY_NAME[name].kind) for name in LEDGER_COLUMNS}
    headers = [schema.COLUMNS_BY_NAME[name].headers[0] for name in LEDGER_COLUMNS]
    draw = Draw(SEED)

    # geometry -------------------------------------------------------------------------------
    layout = build_layout(draw)
    placed = place(shapely.polygons(layout.quads))
    coords = shapely.get_coordinates(placed).reshape(len(placed), 5, 2)[:, :4]
    area_ha = shapely.area(placed) / 1e4
    n = len(placed)
    parks = place(
        np.array([shapely.simplify(shapely.union_all(cells), 0.0) for cells in layout.park_cells])
    )

    # which parcel plays which part ------------------------------------------------------------
    perm = [int(i) for i in draw.rng.permutation(n)]
    eligible = layout.south_road & ~layout.slanted & (area_ha > 1.5) & (area_ha < 6.0)
    bowtie = next(i for i in perm if eligible[i])
    others = [i for i in perm if i != bowtie]
    no_ledger, non_industrial, conflict = others[:2], others[2:5], others[5]
    analysed = others[6:]
    slots = plan_slots(len(analysed) + 1)  # + the self-intersecting parcel
    assert slots[-1].key == "completed"
    slots[-1] = Slot("compliant", "self_intersection")
    parcel_of_slot = [*analysed, bowtie]

    maker = RowMaker(draw)
    rows: list[dict[str, Any]] = []
    for slot, i in zip(slots, parcel_of_slot, strict=True):
        rows.append(maker.row(slot, float(area_ha[i]), int(layout.park[i])) | {"_parcel": i})
    rows[-1]["_flags"].append("invalid_geometry")
    rows[-1]["_notes"].append("self-intersecting ring (overshoot loop at one corner)")
    for i in non_industrial:
        slot = Slot("rejected", "non_industrial")
        rows.append(maker.row(slot, float(area_ha[i]), int(layout.park[i])) | {"_parcel": i})
    conflict_row = maker.row(
        Slot("rejected", "conflicting_duplicate"),
        float(area_ha[conflict]),
        int(layout.park[conflict]),
    ) | {"_parcel": conflict}
    conflict_row["_notes"].append("two ledger rows share the supervision number, content differs")
    rows.append(conflict_row)
    orphan = maker.row(Slot("on_track", "no_geometry"), draw.uniform(1.2, 3.5), 0)
    orphan["_parcel"] = None
    orphan["_flags"].append("no_geometry")
    orphan["_notes"].append("new contract, parcel not yet in the cadastral layer")
    rows.append(orphan)
    assign_ids(rows, draw)

    # parcels missing from the ledger get ids after the last 2025 serial
    last_2025 = max(
        int(r["parcel_id"][-4:]) for r in rows if r["parcel_id"].startswith(f"{REGION_CODE}-2025")
    )
    parcel_ids = [""] * n
    for r in rows:
        if r["_parcel"] is not None:
            parcel_ids[r["_parcel"]] = r["parcel_id"]
    for k, i in enumerate(no_ledger):
        parcel_ids[i] = f"{REGION_CODE}-2025-GY-{last_2025 + 3 + 2 * k:04d}"

    # park column: filled for about two thirds of the rows (always for the orphan)
    for r in rows:
        known = r["_parcel"] is None or draw.chance(0.67)
        r["park"] = PARK_NAMES[r["_park"]] if known else None

    # ledger order: by contract date; dirty rows inserted ------------------------------------
    rows.sort(key=lambda r: (r["contract_date"], r["supervision_no"]))
    cells = {id(r): format_row(r, kinds, draw) for r in rows}
    ordered = [cells[id(r)] for r in rows]
    dup = next(r for r in rows if r["_scenario"] == "exact_duplicate")
    dup["_flags"].append("exact_duplicate")
    dup["_notes"].append("the ledger holds this row twice, identical")
    dup_pos = rows.index(dup)
    insert_at = draw.integer(dup_pos + 2, len(ordered))
    ordered.insert(insert_at, list(cells[id(dup)]))
    variant = dict(conflict_row)
    variant["holder"] = conflict_row["holder"].replace("有限公司", "集团有限公司")
    unit_price = conflict_row["land_price_wan"] / conflict_row["area_ha"]  # 元/m²
    variant["land_price_wan"] = round(
        conflict_row["land_price_wan"] * (1.05 if unit_price < 450 else 0.95), 4
    )
    variant["price_paid_wan"] = variant["land_price_wan"]
    variant["_unit_text"] = []
    ordered.append(format_row(variant, kinds, draw))
    conflict_row["_flags"].append("conflicting_duplicate")

    # scenarios ----------------------------------------------------------------------------
    records = []
    for r in sorted(rows, key=lambda r: r["parcel_id"]):
        park_true = PARK_NAMES[r["_park"]]
        records.append(
            {
                "parcel_id": r["parcel_id"],
                "supervision_no": r["supervision_no"],
                "park": park_true,
                "intended_status": r["_status"],
                "scenario": r["_scenario"],
                "tags": ";".join(dict.fromkeys(r["_flags"])),
                "note": "; ".join(r["_notes"]),
            }
        )
    for i in no_ledger:
        records.append(
            {
                "parcel_id": parcel_ids[i],
                "supervision_no": "",
                "park": PARK_NAMES[int(layout.park[i])],
                "intended_status": "no_ledger_row",
                "scenario": "no_ledger",
                "tags": "",
                "note": "parcel in parcels.gpkg with no ledger row",
            }
        )
    records.sort(key=lambda rec: rec["parcel_id"])

    # geometry with the bow-tie, in parcel-id order ----------------------------------------------
    geoms = placed.copy()
    geoms[bowtie] = bow_tie(coords[bowtie])
    order = np.argsort(np.array(parcel_ids), kind="stable")
    parcels = gpd.GeoDataFrame(
        {"宗地编号": np.array(parcel_ids, dtype=object)[order]},
        geometry=geoms[order],
        crs=CRS_EPSG,
    )
    park_gdf = gpd.GeoDataFrame({"name": list(PARK_NAMES)}, geometry=parks, crs=CRS_EPSG)

    _self_check(parcels, park_gdf, area_ha, rows, parcel_ids)
    buildings = make_buildings(placed, rows, parcel_ids)

    out_dir.mkdir(parents=True, exist_ok=True)
    write_layer(parcels, out_dir / "parcels.gpkg", "parcels")
    write_layer(park_gdf, out_dir / "parks.gpkg", "parks")
    write_ledger(out_dir / "ledger.xlsx", ordered, headers)
    write_scenarios(out_dir / "scenarios.csv", records)
    write_layer(buildings, out_dir / "buildings.gpkg", "buildings")
    return {
        "buildings": len(buildings),
        "parcels": len(parcels),
        "ledger_rows": len(ordered),
        "statuses": Counter(rec["intended_status"] for rec in records),
        "area_ha": area_ha,
    }


BUILDINGS_SURVEY = "2025-06-30"
# Footprint coverage (share of the parcel) drawn per row's progress (WINDOWS) or scenario key.
COVERAGE_BY_PROGRESS = {"completed": (0.32, 0.55), "started": (0.15, 0.30)}
COVERAGE_BY_KEY = {
    "in_progress": (0.08, 0.30),
    "suspended_short": (0.05, 0.12),
    "partial_suspended": (0.04, 0.09),
    "no_evidence": (0.01, 0.03),  # a site office on half of them; the others empty
}


def _coverage(row: dict[str, Any], rng: np.random.Generator) -> float:
    """The footprint coverage of one ledger row's parcel (0: no building)."""
    key, progress = row["_scenario"], row["_progress"]
    low, high = COVERAGE_BY_KEY.get(key, COVERAGE_BY_PROGRESS.get(progress, (0.0, 0.0)))
    if key == "no_evidence" and rng.random() < 0.5:
        return 0.0
    return float(rng.uniform(low, high)) if high > 0 else 0.0


def make_buildings(
    placed: np.ndarray, rows: list[dict[str, Any]], parcel_ids: list[str]
) -> gpd.GeoDataFrame:
    """Footprints of the parcels of ``rows`` (``placed``: the valid parcel quads).

    A built parcel gets a hall (three quarters of the coverage) and an office block (the rest,
    at a corner, more floors): each the parcel's quad scaled about an interior point, so it
    lies inside the (convex) parcel. Floors: halls 1-2, offices 3-6; heights 4.5 m per storey
    for halls and 3.3 m for offices, missing on a third of the buildings (the floor count is
    then used). Uses its own generator: the ledger's draws are untouched.
    """
    rng = np.random.default_rng(SEED + 1)
    parcel_rows = [r for r in rows if r["_parcel"] is not None]
    parcel_rows.sort(key=lambda r: r["parcel_id"])
    cover = np.array([_coverage(r, rng) for r in parcel_rows])
    index = np.array([r["_parcel"] for r in parcel_rows])
    built = cover > 0
    quads = shapely.get_coordinates(placed[index[built]]).reshape(-1, 5, 2)[:, :4]
    centre = quads.mean(axis=1, keepdims=True)
    office = np.where(cover[built] < 0.05, 1.0, 0.25)  # a site office alone on 待核查 parcels
    corner = quads[:, :1] * 0.8 + centre * 0.2
    hall_scale = np.sqrt(cover[built] * (1 - office))[:, None, None]
    office_scale = np.sqrt(cover[built] * office)[:, None, None]
    halls = centre + hall_scale * (quads - centre)
    offices = corner + office_scale * (quads - corner)
    has_hall = office < 1
    n_hall, n_office = int(has_hall.sum()), len(offices)
    geoms = np.concatenate([shapely.polygons(halls[has_hall]), shapely.polygons(offices)])
    owner = np.concatenate([index[built][has_hall], index[built]])
    floors = np.concatenate([rng.integers(1, 3, n_hall), rng.integers(3, 7, n_office)])
    storey = np.concatenate([np.full(n_hall, 4.5), np.full(n_office, 3.3)])
    height = np.round(floors * storey, 1)
    height[rng.random(len(height)) < 1 / 3] = np.nan
    kind = np.concatenate([np.full(n_hall, "1"), np.full(n_office, "2")])
    ids = np.array([parcel_ids[i] for i in owner], dtype=object) + "-" + kind
    order = np.argsort(ids, kind="stable")
    return gpd.GeoDataFrame(
        {
            "建筑编号": ids[order],
            "层数": floors[order],
            "建筑高度": height[order],
            "调查日期": np.full(len(ids), BUILDINGS_SURVEY),
        },
        geometry=geoms[order],
        crs=CRS_EPSG,
    )


def _self_check(
    parcels: gpd.GeoDataFrame,
    parks: gpd.GeoDataFrame,
    area_ha: np.ndarray,
    rows: list[dict[str, Any]],
    parcel_ids: list[str],
) -> None:
    """Cheap invariants of the layout and the id scheme (raises AssertionError)."""
    assert len(set(parcel_ids)) == len(parcel_ids), "parcel ids must be unique"
    assert area_ha.min() >= 0.5 and area_ha.max() <= 15.0, (area_ha.min(), area_ha.max())
    geoms = np.asarray(parcels.geometry.array)
    park_geoms = np.asarray(parks.geometry.array)
    assert int((~shapely.is_valid(geoms)).sum()) == 1, "exactly one invalid parcel (bow-tie)"
    valid = shapely.make_valid(geoms)
    inside = shapely.within(valid[:, None], park_geoms[None, :]).sum(axis=1)
    assert (inside == 1).all(), "every parcel must lie in exactly one park"
    assert not shapely.overlaps(park_geoms[:, None], park_geoms[None, :]).any()
    overlaps = shapely.STRtree(valid).query(valid, predicate="overlaps")
    assert overlaps.shape[1] == 0, "parcels must not overlap"
    sup = Counter(r["supervision_no"] for r in rows)
    assert max(sup.values()) == 1, "supervision numbers must be unique before the dirty rows"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args()
    info = generate(args.out)
    a = info["area_ha"]
    print(
        f"parcels: {info['parcels']}, ledger data rows: {info['ledger_rows']}, "
        f"buildings: {info['buildings']}"
    )
    print(
        f"parcel area (ha): min {a.min():.2f}, median {np.median(a):.2f}, max {a.max():.2f}, "
        f"total {a.sum():.0f}"
    )
    print("| intended status | parcels |\n|---|---|")
    for status in (*STATUS_ORDER, "rejected", "no_ledger_row"):
        print(f"| {status} | {info['statuses'].get(status, 0)} |")


if __name__ == "__main__":
    main()
