"""The rules file (TOML): thresholds, rates, control indicators and the plot-ratio table.

Every number of RULES.md is a default a bureau may override. A rules file only needs the keys it
changes; everything else keeps the defaults of ``default_rules.toml`` shipped with the package.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from landuse.building_rules import BuildingRules
from landuse.date_limits import DEFAULT_EARLIEST, DEFAULT_LATEST, LIMITS_FIRST_DAY, LIMITS_LAST_DAY
from landuse.errors import InputError
from landuse.vocab import LateFeeCap, ThresholdSource

if TYPE_CHECKING:  # numpy, pandas and pyarrow are imported by the functions that use them
    import numpy as np
    import pandas as pd

DEFAULT_RULES_PATH = Path(__file__).with_name("default_rules.toml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _code_keys(value: dict[Any, Any]) -> dict[str, float]:
    return {normalise_industry_code(str(k)) or str(k): float(v) for k, v in value.items()}


class IntensityRules(_Strict):
    """Minimum investment intensity in 万元/公顷 (fixed-asset investment incl. land price)."""

    default_min_wan_per_ha: float = Field(5000.0, gt=0)
    parks: dict[str, float] = Field(default_factory=dict)
    industries: dict[str, float] = Field(default_factory=dict)
    park_industries: dict[str, dict[str, float]] = Field(default_factory=dict)

    @field_validator("industries", mode="before")
    @classmethod
    def _codes(cls, v: dict[Any, Any]) -> dict[str, float]:
        return _code_keys(v)

    @field_validator("park_industries", mode="before")
    @classmethod
    def _park_codes(cls, v: dict[str, dict[Any, Any]]) -> dict[str, dict[str, float]]:
        return {park: _code_keys(codes) for park, codes in v.items()}


class RateRules(_Strict):
    """Per-mille daily rates, the idle-fee share, the late-fee cap and tolerances.

    ``late_fee_cap`` says how far late-start and late-completion fees accrue: ``"recovery"``
    (default) until two calendar years after the due date (for a late start, the day the parcel
    is liable to recovery without compensation), ``"price_share"`` up to ``late_fee_cap_share``
    × the land price for each fee, ``"none"`` without limit.
    """

    late_start_permille: float = Field(1.0, ge=0)
    late_completion_permille: float = Field(1.0, ge=0)
    late_payment_permille: float = Field(1.0, ge=0)
    idle_fee_share: float = Field(0.20, ge=0, le=1)
    termination_after_days: int = Field(60, ge=0)
    area_mismatch_tolerance: float = Field(0.05, ge=0)
    late_fee_cap: LateFeeCap = LateFeeCap.RECOVERY
    late_fee_cap_share: float = Field(1.0, gt=0)


class PartialDevelopmentRules(_Strict):
    """[IDLE] art. 2 para 2: started but developed/invested share too small and suspended."""

    developed_share_below: float = Field(1 / 3, gt=0, le=1)
    invested_share_below: float = Field(0.25, gt=0, le=1)


class ProgressRules(_Strict):
    """The progress classes of the municipal ranking (``progress``), from the due dates and the
    evidence of each parcel as of the analysis date:

    - 无进展 ``no_progress``: inspected not started, more than ``start_grace_days`` past its
      start due date (with no evidence either way: ``unverified``, 待核查);
    - 推进超过 ``ahead``: completed at least ``ahead_days`` days before its completion due date
      (0: any day before it) and not started late;
    - 滞后 ``behind``: started, and past a milestone: started more than ``start_grace_days``
      after the start due date, or not completed past the completion due date, or completed
      after it;
    - 正常 ``normal``: everything else (not yet due to start; started in time and within its
      completion date; completed on its due date).
    """

    ahead_days: int = Field(0, ge=0, le=3650)
    start_grace_days: int = Field(0, ge=0, le=3650)


class RankingRules(_Strict):
    """The ranking of each run and its warnings (:mod:`landuse.ranking`): groups by
    ``group_by`` (a results column: ``area_group`` = park, else region; ``park``; a
    responsible-unit column), scored by the share of their area whose status is one of
    ``score_statuses``; a score above ``target_share`` misses the target."""

    group_by: str = Field("area_group", min_length=1)
    score_statuses: list[str] = Field(
        default_factory=lambda: ["recovery", "idle_fee", "late_start", "late_completion"]
    )
    target_share: float = Field(0.10, ge=0, le=1)

    @field_validator("score_statuses")
    @classmethod
    def _known_statuses(cls, v: list[str]) -> list[str]:
        from landuse.vocab import STATUS_ORDER

        unknown = [s for s in v if s not in STATUS_ORDER]
        if unknown:
            raise ValueError(
                f"unknown status {', '.join(unknown)}; the statuses are {', '.join(STATUS_ORDER)}"
            )
        return v


class ControlRules(_Strict):
    """[CTRL2008] control indicators used when screening an entrant."""

    min_building_coverage: float = Field(0.30, ge=0, le=1)
    max_admin_living_share: float = Field(0.07, ge=0, le=1)
    max_green_ratio: float = Field(0.20, ge=0, le=1)


class DateRules(_Strict):
    """The plausible dates of a land-supply record (both limits inclusive).

    A date cell before ``earliest`` or after ``latest`` is reported and treated as missing (a
    typing slip such as 2500-06-20 or 3014年06月20日 must not earn decades of late fees).
    Placeholder dates (on or before 1901-12-31) keep their own handling. The limits must lie
    within 1900-01-01 .. 2200-12-31, so that the dates the analysis derives (a year or two
    later, shifted by an extension) stay within what a date column holds (1677 .. 2262).
    """

    earliest: dt.date = Field(DEFAULT_EARLIEST, ge=LIMITS_FIRST_DAY, le=LIMITS_LAST_DAY)
    latest: dt.date = Field(DEFAULT_LATEST, ge=LIMITS_FIRST_DAY, le=LIMITS_LAST_DAY)

    @field_validator("earliest", "latest", mode="before")
    @classmethod
    def _day(cls, v: Any) -> Any:
        # TOML has date-times too (1949-01-01T00:00:00): keep the day
        return v.date() if isinstance(v, dt.datetime) else v

    @model_validator(mode="after")
    def _ordered(self) -> DateRules:
        if self.earliest >= self.latest:
            raise ValueError(f"earliest ({self.earliest}) must come before latest ({self.latest})")
        return self


class RuleSet(_Strict):
    """All parameters of the analysis and screening."""

    intensity: IntensityRules = IntensityRules()
    rates: RateRules = RateRules()
    partial_development: PartialDevelopmentRules = PartialDevelopmentRules()
    progress: ProgressRules = ProgressRules()
    ranking: RankingRules = RankingRules()
    control: ControlRules = ControlRules()
    dates: DateRules = DateRules()
    buildings: BuildingRules = BuildingRules()
    plot_ratio_min: dict[str, float] = Field(default_factory=dict)

    @field_validator("plot_ratio_min", mode="before")
    @classmethod
    def _far_codes(cls, v: dict[Any, Any]) -> dict[str, float]:
        return _code_keys(v)

    def threshold_for(self, park: str | None, industry_code: str | None) -> tuple[float, str]:
        """The intensity threshold (万元/公顷) for one project and where it comes from.

        Precedence: park + industry rule, else park rule, else industry rule, else the
        default. ``industry_code`` is read as :func:`industry_code` reads it (``"C2611"`` ->
        ``"26"``). This is the one place the precedence is written: :func:`intensity_thresholds`
        applies it to every distinct (park, code) pair of a table.
        """
        ir = self.intensity
        code = industry_code_of(industry_code)
        rules = (
            (
                ir.park_industries.get(park, {}).get(code)
                if park is not None and code is not None
                else None,
                ThresholdSource.PARK_INDUSTRY,
            ),
            (ir.parks.get(park) if park is not None else None, ThresholdSource.PARK),
            (ir.industries.get(code) if code is not None else None, ThresholdSource.INDUSTRY),
        )
        for value, source in rules:
            if value is not None and value == value:  # a NaN in the file is no rule
                return float(value), source.value
        return float(ir.default_min_wan_per_ha), ThresholdSource.DEFAULT.value


_CODE_RE = re.compile(r"(\d{2})")
# The code of a ledger cell or a project: two ASCII digits (as Arrow's RE2 reads ``\d``).
_ASCII_CODE_RE = re.compile(r"([0-9]{2})")


def normalise_industry_code(text: str | None) -> str | None:
    """GB/T 4754 major-group code: the first two digits (``"C2611"`` -> ``"26"``)."""
    if text is None:
        return None
    m = _CODE_RE.search(str(text))
    return m.group(1) if m else None


def industry_code_of(text: str | None) -> str | None:
    """The scalar twin of :func:`industry_codes`: the first two ASCII digits of ``text``
    (``"C2611"`` -> ``"26"``), None when there are none."""
    if text is None:
        return None
    m = _ASCII_CODE_RE.search(str(text))
    return m.group(1) if m else None


def industry_codes(raw: pd.Series) -> pd.Series:
    """Vectorised :func:`industry_code_of` over a text Series (Arrow's regex engine)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(raw.astype("string"), type=pa.string(), from_pandas=True)
    codes = pc.struct_field(pc.extract_regex(text, r"(?P<code>\d{2})"), [0])
    return pd.Series(codes, index=raw.index, dtype="string")


def intensity_thresholds(
    park: pd.Series, industry_code: pd.Series, rules: RuleSet
) -> tuple[np.ndarray, np.ndarray]:
    """Threshold per row (万元/公顷) and its source: :meth:`RuleSet.threshold_for` of each
    distinct (park, industry code) pair, spread over the rows.

    Returns ``(float64 array, object array of "park_industry" | "park" | "industry" |
    "default")``.
    """
    import numpy as np
    import pandas as pd

    code_ids, codes = pd.factorize(industry_codes(industry_code), use_na_sentinel=True)
    park_ids, parks = pd.factorize(park.astype("string"), use_na_sentinel=True)
    pair = (park_ids.astype(np.int64) + 1) * (len(codes) + 1) + (code_ids + 1)
    pairs, rows = np.unique(pair, return_inverse=True)
    values = np.empty(len(pairs), dtype="float64")
    sources = np.empty(len(pairs), dtype=object)
    for i, key in enumerate(pairs.tolist()):
        p, c = divmod(key, len(codes) + 1)
        values[i], sources[i] = rules.threshold_for(
            None if p == 0 else str(parks[p - 1]), None if c == 0 else str(codes[c - 1])
        )
    return values[rows.reshape(-1)], sources[rows.reshape(-1)]


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


# Bytes that never occur in TOML text (control characters other than tab, LF, CR).
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 13))


def _read_toml(path: Path) -> dict[str, Any]:
    """The TOML document at ``path``; :class:`InputError` for a missing, unreadable, non-UTF-8
    or invalid file. A UTF-8 byte-order mark (Windows Notepad writes one) is accepted."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(
            f"Rules file {path} was not found. Check the path given to --rules, or leave the "
            "option out to use the national defaults (5000 万元/公顷, 1‰ per day)."
        ) from None
    except IsADirectoryError:
        raise InputError(
            f"Rules file {path} is a folder, not a file. Pass the .toml file inside it to "
            "--rules (see sample_data/rules.toml)."
        ) from None
    except OSError as exc:
        raise InputError(
            f"Rules file {path} could not be read ({exc.strerror or exc}). Check that the file "
            "exists and can be opened, then try again."
        ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            f'Rules file {path} is saved as UTF-16 (Notepad\'s "Unicode"). Save it as UTF-8: '
            "in Notepad, File > Save As > Encoding UTF-8."
        )
    head = data[:8192]
    if len(head) - len(head.translate(None, _CONTROL_BYTES)) > 0.01 * len(head):
        raise InputError(
            f"Rules file {path} is not a text file (it holds binary data). A rules file is "
            "TOML text: copy sample_data/rules.toml, edit it in a text editor and save it as "
            "UTF-8."
        )
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InputError(
            f"Rules file {path} is not UTF-8 text (bad bytes on line {line}; GBK or another "
            "legacy encoding?). Save it as UTF-8: in Notepad, File > Save As > Encoding "
            "UTF-8; in WPS or VS Code, choose the UTF-8 encoding when saving."
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(
            f"Rules file {path} is not valid TOML: {exc}. Compare it with "
            "sample_data/rules.toml (section headers in [brackets], text keys in quotes)."
        ) from None


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The defaults, overridden by the rules file at ``path`` when given."""
    data = _read_toml(DEFAULT_RULES_PATH)
    if path is not None:
        data = _merge(data, _read_toml(Path(path)))
    try:
        return RuleSet.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']} (got {err.get('input')!r})"
            for err in exc.errors()
        )
        raise InputError(
            f"Rules file {path} has values that cannot be used: {problems}. "
            "Fix these keys (see sample_data/rules.toml for every key and its unit)."
        ) from None
