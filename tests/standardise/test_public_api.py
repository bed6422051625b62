import dataclasses

import pytest

import huitong.standardise as standardise


def test_every_exported_name_exists():
    for name in standardise.__all__:
        assert hasattr(standardise, name), name


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (standardise.parse_address("中山五路12号"), "road"),
        (standardise.standardise_person_name("陈伟"), "key"),
        (standardise.standardise_enterprise_name("广州市恒通贸易有限公司"), "brand"),
        (standardise.standardise_resident_id("11010519491231002X"), "valid"),
        (standardise.standardise_uscc("91110000600037341L"), "valid"),
        (standardise.standardise_phone("13812345678"), "kind"),
    ],
)
def test_results_are_frozen_dataclasses(value, field):
    assert dataclasses.is_dataclass(value)
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(value, field, None)


@pytest.mark.parametrize(
    "function",
    [
        standardise.parse_address,
        standardise.standardise_person_name,
        standardise.standardise_enterprise_name,
        standardise.standardise_resident_id,
        standardise.standardise_uscc,
        standardise.standardise_phone,
        standardise.parse_date,
        standardise.standardise_gender,
        standardise.clean_text,
    ],
)
@pytest.mark.parametrize("empty", [None, "", "  ", "\u3000\t"])
def test_empty_input_gives_none_everywhere(function, empty):
    assert function(empty) is None
