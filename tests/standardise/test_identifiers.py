from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from huitong.standardise.identifiers import (
    organisation_code_check_char,
    resident_id_check_char,
    standardise_resident_id,
    standardise_uscc,
    uscc_check_char,
)

# GB 11643 worked example: check character X.
KNOWN_ID = "11010519491231002X"


def test_known_resident_id_is_valid():
    rid = standardise_resident_id(KNOWN_ID)
    assert rid.valid
    assert rid.problem is None
    assert rid.value == KNOWN_ID
    assert rid.birth_date == date(1949, 12, 31)
    assert rid.gender == "F"
    assert rid.region == "110105"
    assert not rid.converted_from_15
    assert not rid.is_foreign


def test_check_char_of_the_known_id():
    assert resident_id_check_char(KNOWN_ID[:17]) == "X"
    assert resident_id_check_char("44010219850307123") == "8"


@pytest.mark.parametrize(
    "raw",
    [
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105-19491231-002X",
        "１１０１０５１９４９１２３１００２Ｘ",
    ],
)
def test_written_forms_normalise(raw):
    rid = standardise_resident_id(raw)
    assert (rid.value, rid.valid) == (KNOWN_ID, True)


def test_fifteen_digits_become_eighteen():
    rid = standardise_resident_id("440102850307123")
    assert rid.value == "440102198503071238"
    assert rid.valid and rid.converted_from_15
    assert rid.birth_date == date(1985, 3, 7)
    assert rid.gender == "M"


def test_wrong_check_character_is_kept_and_flagged_with_what_was_expected():
    rid = standardise_resident_id("440102198503071234")
    assert rid.value == "440102198503071234"
    assert not rid.valid
    assert rid.problem == "check character is 4, expected 8"
    # birth date, gender and region stay usable evidence
    assert (rid.birth_date, rid.gender, rid.region) == (date(1985, 3, 7), "M", "440102")


def test_impossible_birth_date():
    first17 = "44010219851340123"
    rid = standardise_resident_id(first17 + resident_id_check_char(first17))
    assert not rid.valid
    assert rid.problem == "birth date 19851340 is not a date"
    assert rid.birth_date is None
    assert rid.gender is None


@pytest.mark.parametrize(("birth", "words"), [("18991231", "before 1900"), ("20990101", "future")])
def test_birth_date_out_of_range(birth, words):
    first17 = f"440102{birth}123"
    rid = standardise_resident_id(first17 + resident_id_check_char(first17))
    assert not rid.valid
    assert words in rid.problem


def test_fifteen_digits_with_impossible_date_stay_unconverted():
    rid = standardise_resident_id("440102851340123")
    assert rid.value == "440102851340123"
    assert not rid.valid and not rid.converted_from_15
    assert rid.problem == "birth date 19851340 is not a date"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("4401021985030712", "length 16, expected 18 (or 15)"),
        ("4401021985030712345", "length 19, expected 18 (or 15)"),
        ("44010219850307123Y", "check character Y is not a digit or X"),
        ("身份证", "not a resident ID (non-digit characters)"),
    ],
)
def test_wrong_shapes(raw, problem):
    rid = standardise_resident_id(raw)
    assert not rid.valid
    assert rid.problem == problem
    assert not rid.is_foreign


@pytest.mark.parametrize("raw", ["E12345678", "EA1234567", "G123456(7)", "h01234567"])
def test_passports_and_foreign_ids_are_marked(raw):
    rid = standardise_resident_id(raw)
    assert rid.is_foreign
    assert not rid.valid
    assert rid.value == raw.upper()
    assert rid.problem.startswith("not a resident ID")


@pytest.mark.parametrize("raw", [None, "", "  ", " - "])
def test_empty_resident_id_gives_none(raw):
    assert standardise_resident_id(raw) is None


def test_check_char_rejects_bad_input():
    with pytest.raises(ValueError):
        resident_id_check_char("123")


regions = st.from_regex(r"[1-6][0-9]{5}", fullmatch=True)
sequences = st.from_regex(r"[0-9]{3}", fullmatch=True)
births = st.dates(min_value=date(1900, 1, 1), max_value=date(2020, 12, 31))


@given(regions, births, sequences)
def test_generated_ids_are_valid(region, birth, sequence):
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    rid = standardise_resident_id(first17 + resident_id_check_char(first17))
    assert rid.valid
    assert rid.birth_date == birth
    assert rid.gender == ("M" if int(sequence[-1]) % 2 else "F")


@given(regions, births, sequences, st.integers(0, 17), st.integers(1, 9))
def test_any_single_character_change_is_caught(region, birth, sequence, position, shift):
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    good = first17 + resident_id_check_char(first17)
    chars = "0123456789X" if position == 17 else "0123456789"
    changed = chars[(chars.index(good[position]) + shift) % len(chars)]
    bad = good[:position] + changed + good[position + 1 :]
    assert not standardise_resident_id(bad).valid


@given(regions, births, sequences, st.integers(0, 15))
def test_swapping_two_neighbouring_digits_is_caught(region, birth, sequence, position):
    first17 = f"{region}{birth:%Y%m%d}{sequence}"
    good = first17 + resident_id_check_char(first17)
    if good[position] == good[position + 1]:
        return
    swapped = good[:position] + good[position + 1] + good[position] + good[position + 2 :]
    assert not standardise_resident_id(swapped).valid


@given(regions, st.dates(min_value=date(1900, 1, 1), max_value=date(1999, 12, 31)), sequences)
def test_fifteen_to_eighteen_round_trip(region, birth, sequence):
    old = f"{region}{birth:%y%m%d}{sequence}"
    rid = standardise_resident_id(old)
    assert rid.valid and rid.converted_from_15
    assert len(rid.value) == 18
    assert rid.value[6:14] == "19" + old[6:12]
    assert rid.value[:17] == old[:6] + "19" + old[6:]
    assert rid.birth_date == birth
    assert standardise_resident_id(rid.value) == rid.__class__(
        rid.value, True, None, False, birth, rid.gender, region, False
    )


@given(st.text(max_size=25))
def test_resident_id_never_raises(raw):
    rid = standardise_resident_id(raw)
    assert rid is None or rid.valid == (rid.problem is None)


# Real codes: Huawei, Tencent and the example in python-stdnum's documentation.
KNOWN_USCCS = ["914403001922038216", "9144030071526726XG", "91110000600037341L"]


@pytest.mark.parametrize("code", KNOWN_USCCS)
def test_known_usccs_are_valid(code):
    assert standardise_uscc(code).valid
    assert standardise_uscc(code.lower()).value == code
    assert standardise_uscc(f" {code[:8]} {code[8:]} ").value == code


def test_organisation_code_check_char():
    assert organisation_code_check_char("71526726") == "X"
    assert organisation_code_check_char("19220382") == "1"


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        ("9144030071526726XH", "check character is H, expected G"),
        ("9144030071526727XG", "organisation code check character is X, expected 8"),
        ("9144030071526726OG", "characters not allowed in a USCC: O"),
        ("91440300715267", "length 14, expected 18"),
        ("440101000123456", "length 15: an old business registration number, not a USCC"),
        ("9144AB0071526726XG", "region code 44AB00 is not 6 digits"),
    ],
)
def test_invalid_usccs(raw, problem):
    code = standardise_uscc(raw)
    assert not code.valid
    assert code.problem == problem
    assert code.value == raw


@pytest.mark.parametrize("raw", [None, "", " "])
def test_empty_uscc_gives_none(raw):
    assert standardise_uscc(raw) is None


ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
usccs_without_checks = st.tuples(
    st.sampled_from("159ABCDEFGNY"),
    st.sampled_from("123459"),
    st.from_regex(r"[0-9]{6}", fullmatch=True),
    st.text(alphabet="0123456789ABCDEFGHJKLMNPQRTUWXY", min_size=8, max_size=8),
)


@given(usccs_without_checks)
def test_generated_usccs_are_valid_and_agree_with_stdnum(parts):
    authority, kind, region, org = parts
    first17 = authority + kind + region + org + organisation_code_check_char(org)
    code = first17 + uscc_check_char(first17)
    assert standardise_uscc(code).valid
    if first17[:8].isdigit():
        assert stdnum_uscc.calc_check_digit(first17) == uscc_check_char(first17)
        assert stdnum_uscc.is_valid(code)


@given(usccs_without_checks, st.integers(0, 17), st.integers(1, 30))
def test_any_single_character_change_in_a_uscc_is_caught(parts, position, shift):
    authority, kind, region, org = parts
    first17 = authority + kind + region + org + organisation_code_check_char(org)
    good = first17 + uscc_check_char(first17)
    changed = ALPHABET[(ALPHABET.index(good[position]) + shift) % len(ALPHABET)]
    assert not standardise_uscc(good[:position] + changed + good[position + 1 :]).valid


@given(st.text(max_size=25))
def test_uscc_never_raises(raw):
    code = standardise_uscc(raw)
    assert code is None or code.valid == (code.problem is None)
