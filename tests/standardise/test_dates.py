from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from huitong.standardise.dates import parse_date, standardise_gender


@pytest.mark.parametrize(
    "raw",
    [
        "1985-03-07",
        "19850307",
        "1985/3/7",
        "1985/03/07",
        "1985.3.7",
        "1985年3月7日",
        "1985年03月07日",
        "1985-03-07 00:00:00",
        "1985-03-07T08:30:00",
        "1985-03-07T08:30:00+08:00",
        "1985-03-07T00:00:00Z",
        "１９８５年３月７日",
        " 1985-3-7 ",
    ],
)
def test_written_forms(raw):
    assert parse_date(raw) == date(1985, 3, 7)


def test_date_and_datetime_objects():
    assert parse_date(date(1985, 3, 7)) == date(1985, 3, 7)
    assert parse_date(datetime(1985, 3, 7, 23, 59)) == date(1985, 3, 7)


@pytest.mark.parametrize("raw", [None, "", "  ", "\u3000"])
def test_empty_gives_none(raw):
    assert parse_date(raw) is None


@pytest.mark.parametrize(
    "raw", ["2023-02-30", "20230230", "1985-13-01", "garbage", "1985-03", "07/03/1985", "850307"]
)
def test_unreadable_or_impossible_dates_raise(raw):
    with pytest.raises(ValueError, match="unreadable date"):
        parse_date(raw)


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_every_written_form_reads_back(day):
    forms = [
        day.isoformat(),
        day.strftime("%Y%m%d"),
        f"{day.year}/{day.month}/{day.day}",
        f"{day.year}.{day.month}.{day.day}",
        f"{day.year}年{day.month}月{day.day}日",
        f"{day.isoformat()} 00:00:00",
    ]
    assert {parse_date(form) for form in forms} == {day}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("男", "M"),
        ("女", "F"),
        ("M", "M"),
        ("f", "F"),
        ("Male", "M"),
        ("FEMALE", "F"),
        ("1", "M"),
        ("2", "F"),
        ("男性", "M"),
        ("女性", "F"),
        (" 男 ", "M"),
        (1, "M"),
    ],
)
def test_gender_codes(raw, expected):
    assert standardise_gender(raw) == expected


@pytest.mark.parametrize("raw", [None, "", " ", "0", "9", "未知", "未说明"])
def test_gender_empty_or_explicitly_unknown(raw):
    assert standardise_gender(raw) is None


@pytest.mark.parametrize("raw", ["3", "男女", "other", "?"])
def test_gender_unreadable_raises(raw):
    with pytest.raises(ValueError, match="unknown gender"):
        standardise_gender(raw)
