"""Building footprints per parcel and the evidence they give (landuse.buildings).

Hand-worked cases use metre coordinates in EPSG:4529 around (41 500 000, 4 626 000) with
parcels of 100 m x 100 m (10,000 m²); the expected values are worked out in the comments. The
real-data tests check against references computed here in plain loops (shapely union and
intersection per parcel), independent of the package's vectorised path.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pydantic
import pytest
import shapely

from landuse.buildings import (
    EVIDENCE_COLUMNS,
    METRIC_COLUMNS,
    BuildingRules,
    building_evidence,
    effective_floors,
    parcel_building_metrics,
    read_buildings,
    survey_dates,
)
from landuse.errors import InputError

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"
OSM = REAL / "osm_buildings_wuhan_shanghai"
HSINCHU = REAL / "nlsc_buildings_hsinchu_science_park" / "hsinchu_buildings_3826.geojson"
HANGZHOU = REAL / "osm_landuse_hangzhou" / "hangzhou_landuse.geojson"
CRS = "EPSG:4529"
X0, Y0 = 41_500_000.0, 4_626_000.0


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A rectangle in metres from the local origin (X0, Y0)."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def point(x: float, y: float) -> shapely.Point:
    return shapely.Point(X0 + x, Y0 + y)


def frame(geoms: list, **columns) -> gpd.GeoDataFrame:
    n = len(geoms)
    data = {"floors": [np.nan] * n, "height_m": [np.nan] * n, **columns}
    if "survey_date" not in data:
        data["survey_date"] = [pd.Timestamp("2022-06-30")] * n
    return gpd.GeoDataFrame(data, geometry=geoms, crs=CRS)


def write_geojson(path: Path, features: list[tuple[dict, shapely.Geometry]], crs=CRS) -> Path:
    """A GeoJSON file as a bureau's export might be: properties as given, ``crs`` member."""
    epsg = int(crs.split(":")[1])
    doc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{epsg}"}},
        "features": [
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(g)}
            for props, g in features
        ],
    }
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


# --------------------------------------------------------------------------------------------
# Per-parcel measures, hand-worked


def test_overlapping_footprints_are_counted_once_with_area_weighted_floors():
    parcels = np.array([box(0, 0, 100, 100)])
    # A: 20 x 50 = 1000 m², 2 floors; B: the same shifted 10 m east, 4 floors.
    # Union: 30 x 50 = 1500 m². Floors over the union: (2*1000 + 4*1000) / 2000 = 3,
    # floor area 3 * 1500 = 4500 m²; coverage 0.15, plot ratio 0.45.
    b = frame([box(10, 10, 30, 60), box(20, 10, 40, 60)], floors=[2.0, 4.0])
    m = parcel_building_metrics(parcels, b)
    assert tuple(m.columns) == METRIC_COLUMNS
    row = m.iloc[0]
    assert row.building_count == 2
    assert row.footprint_m2 == pytest.approx(1500.0)
    assert row.building_coverage == pytest.approx(0.15)
    assert row.floor_area_m2 == pytest.approx(4500.0)
    assert row.plot_ratio_est == pytest.approx(0.45)
    assert m.attrs["summary"]["parcels_with_overlaps"] == 1


def test_touching_footprints_are_not_overlapping():
    # row houses sharing a wall: 2 x 200 m², no union needed, 400 m²
    parcels = np.array([box(0, 0, 100, 100)])
    b = frame([box(10, 10, 30, 20), box(30, 10, 50, 20)], floors=[1.0, 1.0])
    m = parcel_building_metrics(parcels, b)
    assert m.footprint_m2.iloc[0] == pytest.approx(400.0)
    assert m.floor_area_m2.iloc[0] == pytest.approx(400.0)
    assert m.attrs["summary"]["parcels_with_overlaps"] == 0


def test_a_building_straddling_two_parcels_is_split_by_the_boundary():
    parcels = np.array([box(0, 0, 100, 100), box(100, 0, 200, 100)])
    # 50 x 20 = 1000 m² from x=80 to x=130: 20 x 20 = 400 m² west, 30 x 20 = 600 m² east;
    # 3 floors: 1200 and 1800 m² of floor area. A 10 x 10 building in the road (outside).
    b = frame([box(80, 10, 130, 30), box(300, 0, 310, 10)], floors=[3.0, 1.0])
    m = parcel_building_metrics(parcels, b)
    assert m.building_count.tolist() == [1, 1]
    assert m.footprint_m2.tolist() == pytest.approx([400.0, 600.0])
    assert m.floor_area_m2.tolist() == pytest.approx([1200.0, 1800.0])
    s = m.attrs["summary"]
    assert (s["buildings"], s["outside"], s["split"]) == (2, 1, 1)


def test_a_building_touching_the_boundary_from_outside_is_not_in_the_parcel():
    parcels = np.array([box(0, 0, 100, 100)])
    b = frame([box(100, 10, 120, 30), box(0, 0, 100, 5)])  # touches; flush inside the edge
    m = parcel_building_metrics(parcels, b)
    assert m.building_count.iloc[0] == 1
    assert m.footprint_m2.iloc[0] == pytest.approx(500.0)
    assert m.attrs["summary"]["outside"] == 1


def test_points_give_presence_but_no_footprint():
    parcels = np.array([box(0, 0, 100, 100), box(200, 0, 300, 100)])
    b = frame([point(10, 10), point(50, 50)], floors=[3.0, 5.0])
    m = parcel_building_metrics(parcels, b)
    assert m.building_count.tolist() == [2, 0]
    assert np.isnan(m.footprint_m2.iloc[0]) and np.isnan(m.building_coverage.iloc[0])
    assert np.isnan(m.floor_area_m2.iloc[0]) and np.isnan(m.plot_ratio_est.iloc[0])
    assert m.footprint_m2.iloc[1] == 0.0  # surveyed and empty
    assert m.attrs["summary"]["points"] == 2


def test_holes_and_parts_of_multipolygon_parcels():
    # a 100 x 100 parcel with a 40 x 40 courtyard (another owner's land) and a second part
    courtyard = shapely.Polygon(
        box(0, 0, 100, 100).exterior.coords, [box(30, 30, 70, 70).exterior.coords]
    )
    parcel = shapely.MultiPolygon([courtyard, box(200, 0, 250, 50)])
    b = frame(
        [
            box(40, 40, 60, 60),  # in the courtyard: not in the parcel
            box(10, 10, 20, 20),  # 100 m² in the ring
            box(210, 10, 230, 20),  # 200 m² in the second part
            box(60, 40, 80, 50),  # 10 x 10 = 100 m² of its 200 m² in the ring
        ]
    )
    m = parcel_building_metrics(np.array([parcel]), b)
    assert m.building_count.iloc[0] == 3
    assert m.footprint_m2.iloc[0] == pytest.approx(400.0)
    assert m.building_coverage.iloc[0] == pytest.approx(400.0 / (10_000 - 1_600 + 2_500))


def test_parcels_with_many_vertices_take_the_geos_path():
    # a circle of radius 50 m (128 segments): the numpy test is for parcels of up to 64
    parcel = shapely.buffer(point(50, 50), 50, quad_segs=32)
    b = frame([box(45, 45, 55, 55), box(90, 45, 110, 55), box(200, 200, 210, 210)])
    m = parcel_building_metrics(np.array([parcel]), b)
    expected = 100.0 + shapely.area(shapely.intersection(box(90, 45, 110, 55), parcel))
    assert m.building_count.iloc[0] == 2
    assert m.footprint_m2.iloc[0] == pytest.approx(expected)


def test_footprints_cut_by_convex_parcels_match_geos():
    # convex parcels in both ring orientations (rotated squares, hexagons, a triangle) and
    # concave L-shaped footprints across their edges: the numpy clipping against GEOS
    rng = np.random.default_rng(5)
    parcels, footprints = [], []
    for i in range(60):
        c = point(i * 300.0, 0.0)
        sides = (3, 4, 6)[i % 3]
        ring = [
            (c.x + 100 * np.cos(a), c.y + 100 * np.sin(a))
            for a in np.linspace(0, 2 * np.pi, sides, endpoint=False) + rng.uniform(0, 1)
        ]
        parcels.append(shapely.Polygon(ring[:: 1 if i % 2 else -1]))
        # an L across the parcel's first vertex, and a rectangle across its first edge
        x, y = ring[0]
        footprints.append(
            shapely.Polygon(
                [
                    (x - 20, y - 20),
                    (x + 30, y - 20),
                    (x + 30, y),
                    (x, y),
                    (x, y + 30),
                    (x - 20, y + 30),
                ]
            )
        )
        mx, my = (ring[0][0] + ring[1][0]) / 2, (ring[0][1] + ring[1][1]) / 2
        footprints.append(shapely.box(mx - 12, my - 7, mx + 12, my + 7))
    parcels = np.array(parcels)
    m = parcel_building_metrics(parcels, frame(footprints))
    expected = [
        sum(shapely.intersection(f, p).area for f in footprints[2 * i : 2 * i + 2])
        for i, p in enumerate(parcels)
    ]
    np.testing.assert_allclose(m.footprint_m2.to_numpy(), expected, rtol=1e-9)
    assert (m.building_count == 2).all()


def test_survey_dates_of_parcels_with_and_without_buildings():
    parcels = np.array([box(0, 0, 100, 100), box(200, 0, 300, 100)])
    b = frame(
        [box(10, 10, 20, 20), box(30, 30, 40, 40), box(210, 210, 220, 220)],
        survey_date=pd.to_datetime(["2021-03-01", "2022-05-01", "2020-01-01"]),
    )
    m = parcel_building_metrics(parcels, b, extent=(X0 - 1, Y0 - 1, X0 + 400, Y0 + 400))
    # the latest of the parcel's buildings; an empty parcel: the survey's earliest date
    assert m.buildings_survey_date.tolist() == [
        pd.Timestamp("2022-05-01"),
        pd.Timestamp("2020-01-01"),
    ]
    assert m.buildings_surveyed.tolist() == [True, True]


def test_parcels_outside_the_survey_extent_are_not_surveyed():
    parcels = np.array([box(0, 0, 100, 100), box(1000, 0, 1100, 100)])
    b = frame([box(10, 10, 20, 20), box(50, 90, 60, 120)])
    # default extent: the buildings' bounding box, x 10..60, y 10..120
    m = parcel_building_metrics(parcels, b)
    assert m.buildings_surveyed.tolist() == [False, False]
    m = parcel_building_metrics(parcels, b, extent=box(-10, -10, 500, 500))
    assert m.buildings_surveyed.tolist() == [True, False]
    assert m.attrs["summary"]["parcels_not_surveyed"] == 1


def test_effective_floors():
    floors = np.array([2.0, np.nan, np.nan, np.nan, 1.0, 2.0, 0.0])
    height = np.array([30.0, 10.0, 2.0, np.nan, 12.0, 12.0, 0.0])
    # floors win; 10 m / 3 m -> 3; 2 m -> at least 1; nothing known -> NaN
    got = effective_floors(floors, height)
    np.testing.assert_array_equal(got, [2.0, 3.0, 1.0, np.nan, 1.0, 2.0, np.nan])
    # tall storeys counted twice: 12 m single storey (12 > 8) -> 2; 2 storeys of 6 m stay 2;
    # 30 m over 2 floors (15 m each) -> 4
    got = effective_floors(floors, height, count_tall_twice=True)
    np.testing.assert_array_equal(got, [4.0, 3.0, 1.0, np.nan, 2.0, 2.0, np.nan])
    # 5 m storeys: 10 m -> 2
    assert effective_floors(np.array([np.nan]), np.array([10.0]), storey_height_m=5.0)[0] == 2


def test_new_footprint_between_two_surveys():
    parcels = np.array([box(0, 0, 100, 100)])
    first = frame([box(10, 10, 30, 30)], survey_date=[pd.Timestamp("2020-06-30")])
    # the same building, extended 10 m east (+200 m²), and a new 20 x 10 building (+200 m²)
    second = frame(
        [box(10, 10, 40, 30), box(50, 50, 70, 60)], survey_date=[pd.Timestamp("2022-06-30")] * 2
    )
    m1 = parcel_building_metrics(parcels, first)
    m2 = parcel_building_metrics(parcels, second, previous=first)
    assert m2.new_footprint_m2.iloc[0] == pytest.approx(400.0)
    ev = building_evidence([m1, m2], pd.Series([pd.Timestamp("2021-01-01")]), "2023-01-01")
    assert ev.coverage_change.iloc[0] == pytest.approx((800 - 400) / 10_000)
    assert ev.new_footprint_m2.iloc[0] == pytest.approx(400.0)


def test_threads_give_the_same_result():
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_buildings as bb

    rng = np.random.default_rng(7)
    parcels, bounds = bb.make_parcels(8_000, rng)
    geoms, floors, height = bb.make_buildings(bounds, 24_000, rng)
    b = frame(list(geoms), floors=floors, height_m=height)
    one = parcel_building_metrics(parcels, b, threads=1)
    two = parcel_building_metrics(parcels, b, threads=2)
    pd.testing.assert_frame_equal(one, two, check_exact=True)
    # against a plain loop: union of the clipped footprints per parcel
    tree = shapely.STRtree(geoms)
    for p in range(0, 8_000, 97):
        near = geoms[tree.query(parcels[p], predicate="intersects")]
        expected = shapely.union_all(shapely.intersection(near, parcels[p])).area
        assert one.footprint_m2.iloc[p] == pytest.approx(expected, abs=1e-6)


def test_chunks_threads_and_footprints_of_every_size_give_the_same_result(monkeypatch):
    """Parcels measured in chunks (here of 97) on threads equal one pass; footprints from
    points to 3 km (joined with the parcels on grids of several cell sizes), footprints
    touching a parcel's box, empty and missing ones: against a plain loop over parcels."""
    import landuse.buildings as engine

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_buildings as bb

    rng = np.random.default_rng(11)
    parcels, bounds = bb.make_parcels(3_000, rng)
    geoms, floors, height = bb.make_buildings(bounds, 9_000, rng)
    x0, y0 = bounds[:, 0].min(), bounds[:, 1].min()
    size = np.exp(rng.uniform(np.log(1.0), np.log(3_000.0), 300))
    cx = rng.uniform(x0, bounds[:, 2].max(), 300)
    cy = rng.uniform(y0, bounds[:, 3].max(), 300)
    extra = [
        *shapely.box(cx, cy, cx + size, cy + size * rng.uniform(0.2, 1.0, 300)),
        *shapely.points(cx[:50], cy[:50]),
        shapely.box(*bounds[0, 2:], bounds[0, 2] + 10, bounds[0, 3] + 10),  # corner to corner
        shapely.Point(bounds[1, 0], bounds[1, 1]),  # on a parcel's corner
        shapely.Polygon(),
        None,
    ]
    all_geoms = np.concatenate([geoms, np.array(extra, dtype=object)])
    n_extra = len(extra)
    b = frame(
        list(all_geoms),
        floors=np.r_[floors, np.full(n_extra, 2.0)],
        height_m=np.r_[height, np.full(n_extra, np.nan)],
    )
    one = parcel_building_metrics(parcels, b, threads=1)
    monkeypatch.setattr(engine, "_CHUNK_PARCELS", 97)
    chunked = parcel_building_metrics(parcels, b, threads=2)
    pd.testing.assert_frame_equal(one, chunked, check_exact=True)
    assert one.attrs["summary"] == chunked.attrs["summary"]
    valid = np.array([g is not None and not g.is_empty for g in all_geoms])
    tree = shapely.STRtree(all_geoms[valid])
    for p in range(0, 3_000, 37):
        near = all_geoms[valid][tree.query(parcels[p], predicate="intersects")]
        pieces = shapely.intersection(near, parcels[p])
        polys = shapely.get_type_id(near) == 3
        inside = ~polys & shapely.intersects(near, parcels[p]) | (shapely.area(pieces) > 1e-6)
        assert one.building_count.iloc[p] == inside.sum()
        if polys.all():
            expected = shapely.union_all(pieces).area
            assert one.footprint_m2.iloc[p] == pytest.approx(expected, abs=1e-6)


# --------------------------------------------------------------------------------------------
# Evidence


def _metrics(coverage, count, date, surveyed=True, plot_ratio=None):
    n = len(coverage)
    return pd.DataFrame(
        {
            "building_count": count,
            "footprint_m2": np.asarray(coverage, float) * 10_000,
            "building_coverage": coverage,
            "floor_area_m2": np.nan,
            "plot_ratio_est": plot_ratio if plot_ratio is not None else [np.nan] * n,
            "buildings_survey_date": pd.to_datetime([date] * n),
            "buildings_surveyed": [surveyed] * n,
        }
    )


def test_start_evidence_needs_coverage_in_a_survey_after_the_start_due_date():
    due = pd.to_datetime(["2020-01-01", "2020-01-01", "2020-01-01", "2022-01-01", None])
    before = _metrics([0.20, 0.20, 0.0, 0.20, 0.20], [3, 3, 0, 3, 3], "2019-06-30")
    after = _metrics([0.20, 0.10, 0.0999, 0.20, 0.20], [3, 2, 1, 3, 3], "2021-06-30")
    ev = building_evidence([before, after], pd.Series(due), "2023-12-31")
    assert tuple(ev.columns) == EVIDENCE_COLUMNS
    # 1: 20 % after due -> dated by the 2021 survey (the 2019 one is before due);
    # 2: exactly 10 % counts; 3: 9.99 % does not; 4: both surveys before its 2022 due date;
    # 5: due date unknown -> no evidence
    assert ev.start_evidence_buildings.tolist() == [True, True, False, False, False]
    assert ev.buildings_evidence_date.iloc[0] == pd.Timestamp("2021-06-30")
    assert ev.buildings_evidence_date.isna().tolist() == [False, False, True, True, True]
    # a survey dated after the as-of date is not used
    ev = building_evidence([before, after], pd.Series(due), "2020-12-31")
    assert not ev.start_evidence_buildings.any()


def test_the_first_survey_with_buildings_dates_the_evidence():
    due = pd.Series(pd.to_datetime(["2019-01-01"]))
    s2020 = _metrics([0.25], [4], "2020-06-30")
    s2022 = _metrics([0.40], [6], "2022-06-30")
    # given in either order
    for surveys in ([s2020, s2022], [s2022, s2020]):
        ev = building_evidence(surveys, due, "2023-01-01")
        assert ev.buildings_evidence_date.iloc[0] == pd.Timestamp("2020-06-30")
        assert ev.building_count.iloc[0] == 6  # the latest survey's measures
        assert ev.coverage_change.iloc[0] == pytest.approx(0.15)


def test_likely_idle_needs_an_empty_survey_a_year_after_the_start_due_date():
    due = pd.Series(pd.to_datetime(["2020-06-30", "2020-07-01", "2020-06-30", "2020-06-30"]))
    survey = _metrics([0.0, 0.0, 0.01, 0.0], [0, 0, 1, 0], "2021-06-30")
    survey.loc[3, "buildings_surveyed"] = False
    ev = building_evidence([survey], due, "2022-01-01")
    # 1: 2021-06-30 is exactly one year after due; 2: one day short; 3: a building (a hut)
    # is there; 4: outside the survey's extent
    assert ev.likely_idle.tolist() == [True, False, False, False]
    assert not ev.start_evidence_buildings.any()
    # start evidence in the ledger: never likely idle
    ev = building_evidence([survey], due, "2022-01-01", started=np.array([True, 0, 0, 0], bool))
    assert ev.likely_idle.tolist() == [False, False, False, False]


def test_a_later_survey_with_buildings_ends_likely_idle():
    due = pd.Series(pd.to_datetime(["2018-01-01"]))
    empty = _metrics([0.0], [0], "2019-06-30")
    built = _metrics([0.05], [1], "2021-06-30")
    assert building_evidence([empty], due, "2022-01-01").likely_idle.iloc[0]
    ev = building_evidence([empty, built], due, "2022-01-01")
    assert not ev.likely_idle.iloc[0] and not ev.start_evidence_buildings.iloc[0]


def test_control_indicator_flags_only_for_started_parcels():
    due = pd.Series(pd.to_datetime(["2018-01-01"] * 4))
    survey = _metrics(
        [0.25, 0.35, 0.25, 0.05], [3, 3, 3, 1], "2022-06-30", plot_ratio=[0.6, 1.2, np.nan, 0.1]
    )
    far_min = np.array([1.0, 1.0, 1.0, np.nan])
    ev = building_evidence([survey], due, "2023-01-01", far_min=far_min)
    # 1: started (25 % >= 10 %), below 30 % and below the contract's 1.0; 2: above both;
    # 3: plot ratio unknown -> NA; 4: not started (5 %): no flag
    assert ev.coverage_below_min.tolist() == [True, False, True, pd.NA]
    assert ev.plot_ratio_est_below_min.tolist() == [True, False, pd.NA, pd.NA]
    # started per the ledger: flagged too
    ev = building_evidence(
        [survey], due, "2023-01-01", far_min=far_min, started=np.array([0, 0, 0, 1], bool)
    )
    assert ev.coverage_below_min.tolist() == [True, False, True, True]


def test_rules_for_the_buildings_table():
    rules = BuildingRules.model_validate(
        {"coverage_evidence_min": 0.2, "fields": {"floors": "JZCS"}, "storey_height_m": 4.5}
    )
    assert rules.coverage_evidence_min == 0.2 and rules.fields == {"floors": "JZCS"}
    assert BuildingRules().coverage_evidence_min == 0.10
    with pytest.raises(pydantic.ValidationError, match="unknown field role"):
        BuildingRules.model_validate({"fields": {"storeys": "X"}})
    with pytest.raises(pydantic.ValidationError):
        BuildingRules.model_validate({"coverage_evidence_min": 0})
    with pytest.raises(pydantic.ValidationError):
        BuildingRules.model_validate({"coverage_min": 0.3})


# --------------------------------------------------------------------------------------------
# Reading


def test_survey_dates_in_the_forms_surveys_write_them():
    raw = pd.Series(["201802", "2017", "2018年2月", "2018-02-15", "2018年02月15日", "abc", None])
    got, bad = survey_dates(raw)
    assert list(pd.to_datetime(got)[:5]) == [
        pd.Timestamp("2018-02-01"),
        pd.Timestamp("2017-01-01"),
        pd.Timestamp("2018-02-01"),
        pd.Timestamp("2018-02-15"),
        pd.Timestamp("2018-02-15"),
    ]
    assert np.isnat(got[5]) and np.isnat(got[6])
    assert bad.tolist() == [False] * 5 + [True, False]
    # numbers: yyyymm is not an Excel serial
    got, bad = survey_dates(pd.Series([201710, 2018], dtype="int64"))
    assert list(pd.to_datetime(got)) == [pd.Timestamp("2017-10-01"), pd.Timestamp("2018-01-01")]


def test_read_pieces_parts_area_fields_and_chinese_names(tmp_path):
    # tile 1 and tile 2 each hold half of building "w1" (cut at x=50); a part lies over w2,
    # which has no floors of its own (the part has 5); "面积" holds a wrong area
    tile1 = write_geojson(
        tmp_path / "tile1.geojson",
        [
            (
                {"编号": "w1", "层数": "3", "高度": None, "面积": 9999, "kind": "building"},
                box(40, 0, 50, 20),
            ),
            (
                {"编号": "w2", "层数": None, "高度": None, "面积": 1, "kind": "building"},
                box(0, 50, 20, 70),
            ),
            (
                {
                    "编号": "p1",
                    "层数": "5",
                    "高度": "16m",
                    "kind": "building_part",
                    "root_id": "w2",
                },
                box(0, 50, 10, 60),
            ),
        ],
    )
    tile2 = write_geojson(
        tmp_path / "tile2.geojson",
        [
            (
                {"编号": "w1", "层数": "3", "高度": None, "面积": 9999, "kind": "building"},
                box(50, 0, 60, 20),
            )
        ],
    )
    fields = {"id": "编号"}
    b, report = read_buildings([tile1, tile2], fields=fields, date="2023-06")
    assert len(b) == 2
    w1 = b.set_index("building_id").loc["w1"]
    assert shapely.area(w1.geometry) == pytest.approx(400.0)  # merged, area field ignored
    assert w1.floors == 3.0 and w1.source_file == "tile1.geojson"
    w2 = b.set_index("building_id").loc["w2"]
    assert w2.floors == 5.0 and w2.height_m == 16.0  # from its part
    assert (b.survey_date == pd.Timestamp("2023-06-01")).all()
    table = report.table()
    assert table.action.str.contains("areas are computed from the geometry").any()
    assert "面积" in table.loc[table.action.str.startswith("ignored"), "column"].iloc[0]
    assert any("1 building parts dropped" in n for n in report.notes)
    assert any("2 pieces sharing an id" in n for n in report.notes)
    m = parcel_building_metrics(np.array([box(0, 0, 100, 100)]), b)
    # 400 + 400 m² (the part is not counted again); floor area 3*400 + 5*400
    assert m.building_count.iloc[0] == 2
    assert m.footprint_m2.iloc[0] == pytest.approx(800.0)
    assert m.floor_area_m2.iloc[0] == pytest.approx(3200.0)


def test_read_points_lines_and_bad_values(tmp_path):
    path = write_geojson(
        tmp_path / "b.geojson",
        [
            ({"BUILD_NO": 4, "BUILD_H": "14.5", "MDATE": "201710"}, point(1, 1)),
            ({"BUILD_NO": -1, "BUILD_H": "n/a", "MDATE": "2017"}, point(2, 2)),
            (
                {"BUILD_NO": 2, "BUILD_H": "7.0", "MDATE": "soon"},
                shapely.LineString([(X0, Y0), (X0 + 5, Y0)]),
            ),
        ],
    )
    b, report = read_buildings(path)
    assert len(b) == 2
    assert b.floors.tolist()[0] == 4 and np.isnan(b.floors.iloc[1])
    assert b.height_m.tolist()[0] == 14.5 and np.isnan(b.height_m.iloc[1])
    assert b.survey_date.tolist() == [pd.Timestamp("2017-10-01"), pd.Timestamp("2017-01-01")]
    problems = report.table()
    assert set(problems.loc[problems.row.notna(), "row"]) == {2, 3}
    assert problems.problem.str.contains("neither a polygon nor a point").any()


def test_read_refuses_a_mapping_to_a_missing_column_and_a_bad_date(tmp_path):
    path = write_geojson(tmp_path / "b.geojson", [({"h": 3}, box(0, 0, 10, 10))])
    with pytest.raises(InputError, match="JZCS"):
        read_buildings(path, fields={"floors": "JZCS"})
    with pytest.raises(InputError, match="--buildings-date"):
        read_buildings(path, date="sometime")
    b, _ = read_buildings(path, fields={"height": "h"})
    assert b.height_m.tolist() == [3.0]


def test_read_reprojects_to_the_target_crs(tmp_path):
    lonlat = shapely.box(121.50, 31.23, 121.5005, 31.2305)
    path = write_geojson(tmp_path / "b.geojson", [({"id": 1}, lonlat)], crs="EPSG:4326")
    b, report = read_buildings(path)
    assert b.crs.to_epsg() == 4529  # Gauss-Krüger zone 41 for 121.5°E
    assert any("reprojected" in n for n in report.notes)
    b2, _ = read_buildings(path, target_crs="EPSG:32651")
    assert b2.crs.to_epsg() == 32651
    assert shapely.area(b.geometry.iloc[0]) == pytest.approx(
        shapely.area(b2.geometry.iloc[0]), rel=1e-3
    )


# --------------------------------------------------------------------------------------------
# Dask


def test_dask_partitions_give_identical_results():
    from landuse.buildings_dask import parcel_building_metrics_dask

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import bench_buildings as bb

    rng = np.random.default_rng(11)
    parcels, bounds = bb.make_parcels(3_000, rng)
    geoms, floors, height = bb.make_buildings(bounds, 9_000, rng)
    dates = pd.to_datetime(rng.choice(["2020-01-01", "2021-06-30"], len(geoms)))
    b = frame(list(geoms), floors=floors, height_m=height, survey_date=dates)
    b.loc[::50, "geometry"] = shapely.centroid(b.geometry.values[::50])  # some points
    index = pd.Index(np.arange(3_000) * 10 + 7)
    series = gpd.GeoSeries(parcels, index=index, crs=CRS)
    single = parcel_building_metrics(series, b)
    partitioned = parcel_building_metrics_dask(series, b, workers=2, processes=False, npartitions=7)
    pd.testing.assert_frame_equal(single, partitioned, check_exact=True)
    assert single.attrs["summary"] == partitioned.attrs["summary"]
    assert single.attrs["summary"]["split"] > 0 and single.attrs["summary"]["outside"] > 0


# --------------------------------------------------------------------------------------------
# Real data


def _need(path: Path) -> None:
    if not path.exists():
        pytest.skip(f"{path} not found (the real data folder lies beside the project)")


def test_shanghai_osm_buildings_per_land_use_polygon():
    _need(OSM)
    b, report = read_buildings(OSM / "shanghai_buildings.geojson")
    assert b.crs.to_epsg() == 4529
    assert any("142 building parts dropped" in n for n in report.notes)
    # independent reference: the raw features, parts left out, pieces as they are
    raw = gpd.read_file(OSM / "shanghai_buildings.geojson").to_crs(b.crs)
    whole = raw[raw["kind"] != "building_part"]
    land = gpd.read_file(OSM / "shanghai_landuse.geojson").to_crs(b.crs)
    parcels = land.dissolve("id").geometry  # land-use polygons cut at tile edges: one per id
    m = parcel_building_metrics(parcels, b)
    expected = []
    for p in parcels.values:
        near = whole.geometry.values[whole.intersects(p).to_numpy()]
        expected.append(shapely.union_all(shapely.intersection(near, p)).area if len(near) else 0)
    np.testing.assert_allclose(m.footprint_m2.to_numpy(), expected, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(
        m.building_coverage.to_numpy(), np.array(expected) / parcels.area.to_numpy(), rtol=1e-9
    )
    # the Web-Mercator area field overstates the true area (SOURCE.txt: 1.4x)
    ratio = whole["area"].sum() / shapely.area(whole.geometry.values).sum()
    assert 1.3 < ratio < 1.5
    assert len(b) == whole["id"].nunique()
    assert m.attrs["summary"]["outside"] > 0  # buildings outside every land-use polygon


def test_hsinchu_building_points_in_a_grid_of_parcels():
    _need(HSINCHU)
    b, _ = read_buildings(HSINCHU)
    assert len(b) == 6181 and b.crs.to_epsg() == 3826
    assert b.floors.between(1, 24).all() and b.height_m.between(2, 80).all()
    assert b.survey_date.min() == pd.Timestamp("2017-01-01")
    assert b.survey_date.max() == pd.Timestamp("2020-12-01")
    # parcels: a 250 m grid offset by 0.5 m so that no point lies on a cell edge
    x0, y0, x1, y1 = b.total_bounds
    xs = np.arange(np.floor(x0) - 0.5, x1 + 250, 250)
    ys = np.arange(np.floor(y0) - 0.5, y1 + 250, 250)
    gx, gy = np.meshgrid(xs[:-1], ys[:-1], indexing="ij")
    cells = shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + 250, gy.ravel() + 250)
    m = parcel_building_metrics(cells, b)
    px, py = shapely.get_x(b.geometry.values), shapely.get_y(b.geometry.values)
    cell = ((px - xs[0]) // 250).astype(int) * (len(ys) - 1) + ((py - ys[0]) // 250).astype(int)
    np.testing.assert_array_equal(m.building_count, np.bincount(cell, minlength=len(cells)))
    has = m.building_count > 0
    assert m.loc[has, "footprint_m2"].isna().all() and (m.loc[~has, "footprint_m2"] == 0).all()
    # points never make start evidence (no coverage) and never leave a parcel likely idle
    due = pd.Series(pd.Timestamp("2015-01-01"), index=m.index)
    ev = building_evidence([m], due, "2021-12-31")
    assert not ev.start_evidence_buildings.any()
    assert not ev.likely_idle[has].any()


def test_hangzhou_industrial_parcels_with_footprints_made_here():
    _need(HANGZHOU)
    land = gpd.read_file(HANGZHOU)
    industrial = land[land["fclass"] == "industrial"].to_crs("EPSG:4549")  # GK zone 40
    assert len(industrial) == 540
    parcels = industrial.geometry.reset_index(drop=True)
    geoms = parcels.values
    rng = np.random.default_rng(3)
    built = rng.random(len(geoms)) < 0.6
    # built parcels: the parcel inset by 15 m (a large hall), and a 30 x 30 m shed on the
    # first vertex of the boundary (part inside, part outside)
    inset = shapely.buffer(geoms[built], -15)
    rings = shapely.get_exterior_ring(shapely.get_geometry(geoms[built], 0))
    sheds = shapely.buffer(shapely.get_point(rings, 0), 15, cap_style="square")
    fp = np.concatenate([inset[~shapely.is_empty(inset)], sheds])
    b = gpd.GeoDataFrame(
        {
            "floors": np.full(len(fp), 2.0),
            "height_m": np.full(len(fp), np.nan),
            "survey_date": np.full(len(fp), np.datetime64("2023-06-30", "ns")),
        },
        geometry=fp,
        crs=industrial.crs,
    )
    m = parcel_building_metrics(parcels, b, extent=tuple(parcels.total_bounds))
    expected = []
    for p in geoms:  # independent reference: union of the clipped footprints
        hit = fp[shapely.intersects(fp, p)]
        expected.append(shapely.union_all(shapely.intersection(hit, p)).area if len(hit) else 0)
    expected = np.array(expected)
    np.testing.assert_allclose(m.footprint_m2.to_numpy(), expected, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(m.floor_area_m2.to_numpy(), 2 * expected, rtol=1e-9, atol=1e-6)
    due = pd.Series(pd.Timestamp("2020-01-01"), index=m.index)
    ev = building_evidence([m], due, "2024-01-01")
    coverage = expected / shapely.area(geoms)
    np.testing.assert_array_equal(ev.start_evidence_buildings, coverage >= 0.10)
    # likely idle: no footprint at all (some unbuilt parcels get a neighbour's shed)
    np.testing.assert_array_equal(ev.likely_idle, expected == 0)
    assert 100 < ev.likely_idle.sum() <= (~built).sum()
