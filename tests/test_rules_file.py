"""Hand-worked tests of the rules file (``landuse.rules_file``): the defaults are the numbers of
RULES.md, a bureau's file overrides only the keys it names, and mistakes are reported as
``InputError`` naming the file."""

from __future__ import annotations

import codecs
import datetime as dt

import pytest

from landuse.errors import InputError
from landuse.rules_file import load_rules, normalise_industry_code

# RULES.md section 6: minimum plot ratio per GB/T 4754-2002 major group.
PLOT_RATIO_TABLE = {
    **dict.fromkeys(["13", "14", "15", "16", "18", "19", "24", "30", "40", "41", "42"], 1.0),
    **dict.fromkeys(["17", "20", "21", "22", "23", "28", "29"], 0.8),
    **dict.fromkeys(["27", "31", "34", "35", "36", "37", "39", "43"], 0.7),
    **dict.fromkeys(["26", "32", "33"], 0.6),
    "25": 0.5,
}


def write(tmp_path, text: str, name: str = "rules.toml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_are_the_numbers_of_rules_md():
    rules = load_rules()
    assert rules.intensity.default_min_wan_per_ha == 5000.0  # 5000 万元/公顷
    assert rules.intensity.parks == {}
    assert rules.intensity.industries == {}
    assert rules.intensity.park_industries == {}
    assert rules.rates.late_start_permille == 1.0  # 1‰ per day
    assert rules.rates.late_completion_permille == 1.0
    assert rules.rates.late_payment_permille == 1.0  # 国办发〔2006〕100号
    assert rules.rates.idle_fee_share == 0.20  # 20 % of the land price
    assert rules.rates.termination_after_days == 60
    assert rules.rates.area_mismatch_tolerance == 0.05
    assert rules.partial_development.developed_share_below == pytest.approx(1 / 3)
    assert rules.partial_development.invested_share_below == 0.25
    assert rules.control.min_building_coverage == 0.30
    assert rules.control.max_admin_living_share == 0.07
    assert rules.control.max_green_ratio == 0.20
    assert rules.plot_ratio_min == PLOT_RATIO_TABLE
    assert rules.dates.earliest == dt.date(1949, 1, 1)
    assert rules.dates.latest == dt.date(2100, 12, 31)


def test_an_override_file_keeps_every_other_default(tmp_path):
    path = write(
        tmp_path,
        """
[intensity]
default_min_wan_per_ha = 4000.0

[rates]
late_start_permille = 0.5

[plot_ratio_min]
"26" = 0.9
""",
    )
    rules = load_rules(path)
    # overridden
    assert rules.intensity.default_min_wan_per_ha == 4000.0
    assert rules.rates.late_start_permille == 0.5
    assert rules.plot_ratio_min["26"] == 0.9
    # untouched keys of the same sections keep their defaults
    assert rules.rates.late_completion_permille == 1.0
    assert rules.rates.late_payment_permille == 1.0
    assert rules.rates.idle_fee_share == 0.20
    assert rules.rates.termination_after_days == 60
    assert rules.plot_ratio_min["25"] == 0.5
    assert rules.plot_ratio_min["13"] == 1.0
    assert len(rules.plot_ratio_min) == 30  # 11 + 7 + 8 + 3 + 1 groups, none lost
    # untouched sections keep theirs
    assert rules.partial_development.invested_share_below == 0.25
    assert rules.control.min_building_coverage == 0.30


def test_the_path_may_be_text(tmp_path):
    path = write(tmp_path, "[rates]\nidle_fee_share = 0.1\n")
    assert load_rules(str(path)).rates.idle_fee_share == 0.1


def test_industry_keys_are_normalised_to_two_digit_codes(tmp_path):
    path = write(
        tmp_path,
        """
[intensity.industries]
"C2611" = 3000.0

[intensity.park_industries."阜阳经开区"]
"C1310" = 6000.0
""",
    )
    rules = load_rules(path)
    # "C2611" → major group "26"; "C1310" → "13"
    assert rules.intensity.industries == {"26": 3000.0}
    assert rules.intensity.park_industries == {"阜阳经开区": {"13": 6000.0}}
    assert normalise_industry_code("C2611") == "26"
    assert normalise_industry_code("2611") == "26"
    assert normalise_industry_code("制造业") is None
    assert normalise_industry_code(None) is None


def test_threshold_for_follows_the_precedence(tmp_path):
    path = write(
        tmp_path,
        """
[intensity.parks]
"阜阳经开区" = 4000.0

[intensity.industries]
"26" = 3000.0

[intensity.park_industries."阜阳经开区"]
"26" = 6000.0
""",
    )
    rules = load_rules(path)
    assert rules.threshold_for("阜阳经开区", "C2611") == (6000.0, "park_industry")
    assert rules.threshold_for("阜阳经开区", "C3411") == (4000.0, "park")
    assert rules.threshold_for("颍东园区", "C2611") == (3000.0, "industry")
    assert rules.threshold_for("颍东园区", "C3411") == (5000.0, "default")
    assert rules.threshold_for(None, None) == (5000.0, "default")


def test_invalid_toml_names_the_file(tmp_path):
    path = write(tmp_path, "[rates\nlate_start_permille = = 1\n", name="broken.toml")
    with pytest.raises(InputError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert str(path) in message
    assert "TOML" in message


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[rates]\nidle_fee_share = 1.5\n", "rates.idle_fee_share"),  # a share above 100 %
        ("[rates]\nlate_start_permille = -1.0\n", "rates.late_start_permille"),
        ('[rates]\ntermination_after_days = "sixty"\n', "rates.termination_after_days"),
        ("[intensity]\ndefault_min_wan_per_ha = 0\n", "intensity.default_min_wan_per_ha"),
        ("[rates]\nlate_strat_permille = 0.5\n", "rates.late_strat_permille"),  # misspelt key
        ('[intensity.parks]\n"阜阳经开区" = "很高"\n', "intensity.parks"),
        ("[dates]\nlatest = 2201-01-01\n", "dates.latest"),  # past 2200-12-31
        ("[dates]\nearliest = 1899-12-31\n", "dates.earliest"),  # before 1900-01-01
        ('[dates]\nearliest = "last year"\n', "dates.earliest"),
        ("[dates]\nearliest = 2000-01-01\nlatest = 2000-01-01\n", "dates"),  # not before
        ("[dates]\nfirst = 1990-01-01\n", "dates.first"),
    ],
)
def test_unusable_values_name_the_file_and_the_key(tmp_path, text, key):
    path = write(tmp_path, text, name="bureau_rules.toml")
    with pytest.raises(InputError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert str(path) in message
    assert key in message


def test_missing_file_names_the_file(tmp_path):
    path = tmp_path / "no_such_rules.toml"
    with pytest.raises(InputError) as caught:
        load_rules(path)
    assert str(path) in str(caught.value)


def test_date_limits_override_and_accept_text_and_date_times(tmp_path):
    rules = load_rules(write(tmp_path, "[dates]\nearliest = 1978-12-18\n"))
    assert rules.dates.earliest == dt.date(1978, 12, 18)
    assert rules.dates.latest == dt.date(2100, 12, 31)  # kept
    rules = load_rules(write(tmp_path, '[dates]\nlatest = "2060-12-31"\n'))
    assert rules.dates.latest == dt.date(2060, 12, 31)
    rules = load_rules(write(tmp_path, "[dates]\nlatest = 2060-12-31T00:00:00\n"))
    assert rules.dates.latest == dt.date(2060, 12, 31)


def test_the_sample_rules_file_shows_the_date_limits():
    from pathlib import Path

    sample = Path(__file__).parents[1] / "sample_data" / "rules.toml"
    text = sample.read_text(encoding="utf-8")
    assert "[dates]" in text
    rules = load_rules(sample)
    assert (rules.dates.earliest, rules.dates.latest) == (
        dt.date(1949, 1, 1),
        dt.date(2100, 12, 31),
    )


RULES_TEXT = "[rates]\nlate_start_permille = 2.0  # 逾期开工违约金\n"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (RULES_TEXT.encode("gbk"), "is not UTF-8 text (bad bytes on line 2"),
        (
            "[rates]\nlate_start_permille = 2.0  # 逾期開工違約金\n".encode("big5"),
            "is not UTF-8 text (bad bytes on line 2",
        ),
        (RULES_TEXT.encode("utf-16"), "is saved as UTF-16"),
        (bytes(range(256)) * 4, "is not a text file"),
    ],
)
def test_a_rules_file_that_is_not_utf8_names_the_file_and_the_fix(tmp_path, data, expected):
    path = tmp_path / "bureau_rules.toml"
    path.write_bytes(data)
    with pytest.raises(InputError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert str(path) in message
    assert expected in message
    assert "UTF-8" in message
    assert "\n" not in message


def test_a_rules_file_with_a_byte_order_mark_is_read(tmp_path):
    # Windows Notepad saves "UTF-8 with BOM"
    path = tmp_path / "rules.toml"
    path.write_bytes(codecs.BOM_UTF8 + RULES_TEXT.encode("utf-8"))
    assert load_rules(path).rates.late_start_permille == 2.0


def test_a_folder_given_as_rules_file(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a file"):
        load_rules(tmp_path)


def test_late_fee_cap_keys(tmp_path):
    rules = load_rules(
        write(tmp_path, '[rates]\nlate_fee_cap = "price_share"\nlate_fee_cap_share = 0.3\n')
    )
    assert (rules.rates.late_fee_cap, rules.rates.late_fee_cap_share) == ("price_share", 0.3)
    with pytest.raises(InputError) as caught:
        load_rules(write(tmp_path, '[rates]\nlate_fee_cap = "forever"\n'))
    message = str(caught.value)
    assert "rates.late_fee_cap" in message
    assert "'recovery'" in message  # the allowed values are named
    with pytest.raises(InputError, match="rates.late_fee_cap_share"):
        load_rules(write(tmp_path, "[rates]\nlate_fee_cap_share = 0\n"))


def test_the_sample_rules_file_shows_the_late_fee_cap():
    from pathlib import Path

    sample = Path(__file__).parents[1] / "sample_data" / "rules.toml"
    assert "late_fee_cap" in sample.read_text(encoding="utf-8")
    assert load_rules(sample).rates.late_fee_cap == "recovery"
