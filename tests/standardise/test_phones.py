import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong.standardise.phones import Phone, standardise_phone, standardise_phones

MOBILE = Phone("13812345678", "mobile", True, None)
GUANGZHOU_LANDLINE = Phone("020-87654321", "landline", True, None)


@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "+86 138 1234 5678",
        "+8613812345678",
        "86-13812345678",
        "8613812345678",
        "0086 138 1234 5678",
        "138-1234-5678",
        "138 1234 5678",
        "(+86)13812345678",
        "１３８１２３４５６７８",
        "013812345678",
    ],
)
def test_mobile_forms(raw):
    assert standardise_phone(raw) == MOBILE


@pytest.mark.parametrize(
    "raw",
    [
        "020-87654321",
        "(020)87654321",
        "（020）87654321",
        "020 8765 4321",
        "02087654321",
        "87654321",
        "8765-4321",
        "+86 20 8765 4321",
        "+86-20-87654321",
        "020-87654321转801",
        "020-87654321-801",
        "020-87654321 ext 12",
        "０２０－８７６５４３２１",
    ],
)
def test_guangzhou_landline_forms(raw):
    assert standardise_phone(raw) == GUANGZHOU_LANDLINE


def test_other_city_landline_keeps_its_area_code():
    assert standardise_phone("0755-12345678") == Phone("0755-12345678", "landline", True, None)
    assert standardise_phone("010 1234 5678") == Phone("010-12345678", "landline", True, None)


def test_foreign_number_in_e164():
    assert standardise_phone("+852 9123 4567") == Phone("+85291234567", "other", True, None)
    assert standardise_phone("00852-91234567").value == "+85291234567"


def test_service_numbers():
    assert standardise_phone("400-123-4567") == Phone("4001234567", "other", True, None)
    assert standardise_phone("12345") == Phone("12345", "other", True, None)


@pytest.mark.parametrize(
    ("raw", "value", "kind", "problem_words"),
    [
        ("12812345678", "12812345678", "mobile", "prefix 128"),
        ("1381234567", "1381234567", "other", "10 digits"),
        ("7654321", "7654321", "landline", "7-digit"),
        ("020-8765432", "020-8765432", "landline", "not a valid landline"),
        ("无", "无", "other", "not a phone number"),
        ("13812345678/13912345678", "13812345678/13912345678", "other", "several numbers"),
    ],
)
def test_invalid_numbers_are_kept_and_flagged(raw, value, kind, problem_words):
    phone = standardise_phone(raw)
    assert (phone.value, phone.kind, phone.valid) == (value, kind, False)
    assert problem_words in phone.problem


@pytest.mark.parametrize("raw", [None, "", "  ", "\u3000"])
def test_empty_gives_none(raw):
    assert standardise_phone(raw) is None


def test_a_field_with_several_numbers_splits():
    assert standardise_phones("13812345678/020-87654321") == (MOBILE, GUANGZHOU_LANDLINE)
    assert standardise_phones("13812345678，87654321") == (MOBILE, GUANGZHOU_LANDLINE)
    assert standardise_phones(None) == ()


mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@given(
    mobiles, st.sampled_from(["", "+86 ", "86-", "+86-", "0086"]), st.sampled_from(["", " ", "-"])
)
def test_every_mobile_writing_gives_the_bare_eleven_digits(number, prefix, separator):
    written = prefix + separator.join((number[:3], number[3:7], number[7:]))
    assert standardise_phone(written) == Phone(number, "mobile", True, None)


@given(st.text(max_size=30))
def test_never_raises(raw):
    phone = standardise_phone(raw)
    assert phone is None or phone.valid == (phone.problem is None)
