"""Where and what a loaded record is: its region (from the supervision number) and its industry
code (from its 行业分类 name when no code is given), with the load report's lines about them.

Both lookups run once per distinct value (:mod:`landuse.regions`, :mod:`landuse.industries`).
"""

from __future__ import annotations

import pandas as pd

from landuse.industries import fill_industry_codes
from landuse.quality import files_label, load_issue_codes, merge_issue_codes
from landuse.regions import regions_for
from landuse.report import LoadReport
from landuse.rules_file import industry_codes
from landuse.schema import REGION_COLUMNS
from landuse.vocab import DataIssue

# industry_match values (landuse.industries) of names that name no industry (其它, 不详 ...):
# such a 行业分类 is taken as not given, not as a name without a code.
NO_INDUSTRY_MATCH = "placeholder"


def region_columns(supervision_no: pd.Series) -> pd.DataFrame:
    """The :data:`landuse.schema.REGION_COLUMNS` of each supervision number (string columns,
    missing when the number gives no known region)."""
    return regions_for(supervision_no)[list(REGION_COLUMNS)]


def add_regions(parcels: pd.DataFrame, report: LoadReport) -> None:
    """Add the region columns from ``supervision_no``, in place (numbers that give no region are
    flagged ``region_unknown`` by :mod:`landuse.quality`)."""
    regions = region_columns(parcels["supervision_no"])
    for name in REGION_COLUMNS:  # by position; kept as Arrow strings (no Python objects)
        parcels[name] = regions[name].astype("string").array
    named = int(regions["region_label"].notna().sum())
    if not parcels["supervision_no"].notna().any():
        return
    report.note(
        f"regions: {named:,} of {len(parcels):,} rows placed in a county from the first six "
        "digits of their supervision number (电子监管号)"
    )


def fill_industries(parcels: pd.DataFrame, report: LoadReport) -> None:
    """Fill ``industry_code`` from the 行业分类 name where no usable code is given, in place.

    A given code (one with two digits) is kept as written. A name that names no industry
    (``其它``/``其他``, ``不详`` ...) counts as no 行业分类 given. Every other name without a
    code is reported once with its row count and flagged ``industry_unmatched`` in
    ``data_issues``.
    """
    raw = parcels["industry_code"].astype("string")
    names = parcels["industry"].astype("string")
    usable = industry_codes(raw).notna().to_numpy(dtype=bool)
    filled, unmatched = fill_industry_codes(raw if raw.notna().any() else None, names)
    from_name = ~usable & filled.notna().to_numpy(dtype=bool)
    parcels["industry_code"] = raw.where(~from_name, filled)
    no_industry = unmatched.loc[unmatched["reason"] == NO_INDUSTRY_MATCH, "name"]
    unmatched = unmatched.loc[unmatched["reason"] != NO_INDUSTRY_MATCH]
    file = files_label(parcels)
    for name, count, reason, note in unmatched.itertuples(index=False):
        report.add(
            file=file,
            column="industry (行业分类)",
            value=name,
            problem=f"行业分类无法对应行业代码 ({reason}: {note}): {count} 行",
            action="industry_code left empty: no industry threshold applies",
            severity="warning",
            count=count,
        )
    without_code = ~usable & ~from_name & names.notna().to_numpy(dtype=bool)
    placeholder = names.isin(no_industry).to_numpy(dtype=bool)
    if (~usable & placeholder).any():
        said = names[~usable & placeholder].value_counts()
        report.add(
            file=file,
            column="industry (行业分类)",
            value="，".join(f"{name} ×{count}" for name, count in said.items()),
            problem=f"行业分类未指明行业 (其它/其他): {int(said.sum())} 行",
            action="taken as no 行业分类: industry_code left empty, the park or default "
            "threshold applies",
            code="industry_placeholder",
            count=int(said.sum()),
        )
    flagged = without_code & ~placeholder
    if flagged.any():
        issues = load_issue_codes({DataIssue.INDUSTRY_UNMATCHED: flagged}, parcels.index)
        current = parcels.get("data_issues", pd.Series(pd.NA, index=parcels.index))
        parcels["data_issues"] = merge_issue_codes(current.astype("string"), issues)
    with_name = names.notna().to_numpy(dtype=bool) & ~placeholder & ~usable
    if not (with_name.any() or placeholder.any()):
        return
    report.note(
        f"industries: industry_code filled from 行业分类 for {int(from_name.sum()):,} of "
        f"{int(with_name.sum()):,} rows with a 行业分类 and no 行业代码; "
        f"{int((~usable & placeholder).sum()):,} rows name no "
        "industry (其它/其他) and are taken as without 行业分类"
    )


def add_where_and_what(parcels: pd.DataFrame, report: LoadReport) -> None:
    """:func:`add_regions` and :func:`fill_industries`, in place."""
    add_regions(parcels, report)
    fill_industries(parcels, report)
