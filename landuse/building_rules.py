"""The ``[buildings]`` table of the rules file and the field names of footprint layers.

Apart from :mod:`landuse.buildings` (geopandas, shapely), so that the rules file is read without
them (:mod:`landuse.rules_file`, and through it one ``landuse screen``).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Column names recognised for each role (compared case-insensitively, spaces and
# punctuation ignored). Area fields are recognised only to be reported as ignored.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "id": (
        "id",
        "osm_id",
        "osmid",
        "building_id",
        "build_id",
        "bldg_id",
        "建筑编号",
        "建筑物编号",
        "房屋编号",
        "楼栋编号",
        "幢号",
        "bsm",
    ),
    "height": (
        "height",
        "height_m",
        "building:height",
        "build_h",
        "bldg_h",
        "高度",
        "建筑高度",
        "房屋高度",
        "jzgd",
    ),
    "floors": (
        "building:levels",
        "building_levels",
        "levels",
        "floors",
        "floor",
        "storeys",
        "num_floors",
        "build_no",
        "层数",
        "楼层",
        "楼层数",
        "地上层数",
        "总层数",
        "房屋层数",
        "jzcs",
        "zcs",
        "cs",
    ),
    "date": (
        "survey_date",
        "survey",
        "mdate",
        "date",
        "调查日期",
        "测绘日期",
        "测量日期",
        "更新日期",
        "调查时间",
        "监测时间",
        "后时相",
        "后时相时间",
        "卫片时间",
        "影像日期",
    ),
    "part": ("building:part", "building_part", "kind", "part"),
    "parent": ("root_id", "parent_id", "building_root", "主体编号"),
}


class BuildingRules(BaseModel):
    """The ``[buildings]`` table of the rules file (every key optional).

    ``coverage_evidence_min``: footprint coverage of the parcel (0-1) at or above which a survey
    dated after the start due date is evidence of start. The default 0.10 is one third of the
    30 % minimum building coverage of the 2008 control indicators: the idle-land measures treat
    a parcel developed on less than a third of its area as not properly started, and a third of
    the coverage a finished project must reach is a factory hall (2,000 m² on 2 ha), not a
    guard house, a site office or a shed left from before the supply (tens to a few hundred m²).

    ``idle_survey_after_years``: a survey without any building dated at least this many years
    after the start due date makes the parcel ``likely_idle`` (one year: the idle-land measures'
    threshold for the idle fee).

    ``storey_height_m``: metres per storey, for buildings with a height but no floor count. 3 m
    gives more floors than industrial storeys (4-6 m) really have, so an estimated plot ratio
    errs high and never flags a shortfall that is not there; heights derived from floor counts
    (OpenStreetMap's levels x 3 + 2) give back the floor count.

    ``tall_floor_m`` / ``count_tall_floors_twice``: the 2008 control indicators count the floor
    area of a storey higher than 8 m twice in the plot ratio; off by default (a bureau that
    applies it turns it on). Storey height is the building's height divided by its floors.

    ``fields``: the layer's column for each role (``id``, ``height``, ``floors``, ``date``,
    ``part``, ``parent``) where the common names are not used, e.g. ``{floors = "JZCS"}``.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    coverage_evidence_min: float = Field(0.10, gt=0, le=1)
    idle_survey_after_years: int = Field(1, ge=1, le=10)
    storey_height_m: float = Field(3.0, gt=0, le=20)
    tall_floor_m: float = Field(8.0, gt=0, le=50)
    count_tall_floors_twice: bool = False
    fields: dict[str, str] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _roles(cls, v: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(v) - set(FIELD_NAMES))
        if unknown:
            raise ValueError(
                f"unknown field role(s) {unknown}; the roles are {sorted(FIELD_NAMES)}"
            )
        return v
