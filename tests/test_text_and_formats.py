"""Diacritic-insensitive folding, phone numbers, money and dates as Vietnamese users read them."""
import unicodedata
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from app.formatting import format_date, format_datetime, format_time, format_vnd, parse_date
from app.text import fold, format_phone, normalise_phone, search_terms

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_fold_removes_diacritics_and_maps_d_stroke():
    assert fold("Đức Hưng") == "duc hung"
    assert fold("  NGUYỄN   Thị  Ánh ") == "nguyen thi anh"
    assert fold("đường Điện Biên Phủ") == "duong dien bien phu"


def test_fold_matches_nfc_and_nfd_input_alike():
    nfc = unicodedata.normalize("NFC", "Trần Quốc Tuấn")
    nfd = unicodedata.normalize("NFD", "Trần Quốc Tuấn")
    assert nfc != nfd
    assert fold(nfc) == fold(nfd) == "tran quoc tuan"


@pytest.mark.parametrize("raw", ["0903 123 456", "0903.123.456", "+84 903 123 456", "84903123456", "(090) 3123-456"])
def test_mobile_numbers_in_any_format_normalise_to_e164(raw):
    assert normalise_phone(raw) == "+84903123456"


@pytest.mark.parametrize("raw", ["+84 (0) 903 123 456", "0084 903 123 456", "+84903123456"])
def test_international_prefixes_are_understood(raw):
    assert normalise_phone(raw) == "+84903123456"


def test_landline_and_invalid_numbers():
    assert normalise_phone("028 3822 1234") == "+842838221234"
    assert normalise_phone("+1 415 555 0100") == "+14155550100"
    for typo in ("12345", "abc", "", "0903 1234 567", "0123 456 789", "0203 123 456"):
        assert normalise_phone(typo) is None, typo


def test_phones_are_shown_grouped():
    assert format_phone("+84903123456") == "0903 123 456"
    assert format_phone("+842838221234") == "028 3822 1234"


def test_a_phone_query_searches_by_national_digits():
    assert search_terms("0903 123 456") == ["903123456"]
    assert search_terms("0903") == ["903"]
    assert search_terms("+84 903") == ["903"]
    assert search_terms("Đức  Hưng") == ["duc", "hung"]
    assert search_terms("0312345678-001") == ["0312345678-001"]  # a branch tax code is not a phone


def test_money_is_integer_dong_with_dot_thousands(app):
    with app.test_request_context():
        assert format_vnd(12_345_000) == "12.345.000 ₫"
        assert format_vnd(0) == "0 ₫"
        assert format_vnd(1_005_000, locale="en") == "1,005,000 ₫"
        with pytest.raises(TypeError):
            format_vnd(1.5)


def test_dates_are_dd_mm_yyyy_in_the_users_time_zone(app):
    late_utc = datetime(2026, 11, 22, 18, 30, tzinfo=timezone.utc)  # 01:30 on the 23rd in Vietnam
    with app.test_request_context():
        assert format_date(date(2026, 1, 5)) == "05/01/2026"
        assert format_date(late_utc) == "23/11/2026"
        assert format_time(late_utc) == "01:30"
        assert format_datetime(late_utc) == "23/11/2026 01:30"
        assert format_date(late_utc, zone=ZoneInfo("UTC")) == "22/11/2026"


def test_parse_date_accepts_vietnamese_and_iso_forms():
    assert parse_date("22/11/2026") == date(2026, 11, 22)
    assert parse_date("2026-11-22") == date(2026, 11, 22)
    assert parse_date("31/02/2026") is None
