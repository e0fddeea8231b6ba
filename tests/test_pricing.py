"""Quote arithmetic (exact đồng, half up per line), amounts in words, and gapless numbering."""
import random
import threading
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.extensions import db
from app.models import NumberSequence, Quote, QuoteLine
from app.services.quotes.numbering import next_number
from app.services.quotes.pricing import apply_totals, line_amount, price
from app.services.quotes.vnd_words import vnd_in_words
from tests.factories import make_customer, make_deal, make_user


@dataclass
class Line:
    quantity: Decimal
    unit_price_vnd: int
    discount_bp: int = 0
    vat_rate: int | None = 10


def test_line_amount_rounds_half_up_not_to_even():
    # 3 × 33.335 = 100.005; 10 % off → 90.004,5 → 90.005 (banker's rounding would give 90.004)
    assert line_amount(Decimal(3), 33_335, 1000) == 90_005
    assert line_amount(Decimal(3), 33_333, 1000) == 89_999  # 89.999,1
    assert line_amount(Decimal(1), 5, 1000) == 5  # 4,5 → 5
    assert line_amount(Decimal("0.333"), 1_500, 0) == 500  # 499,5 → 500
    assert line_amount(Decimal(1), 33_333, 1250) == 29_166  # 12,5 %: 29.166,375


def test_vat_rounds_half_up_per_line():
    totals = price([Line(Decimal(3), 33_335, 1000, 10)], 0)
    assert totals.lines[0].amount_vnd == 90_005
    assert totals.lines[0].vat_vnd == 9_001  # 9.000,5 → 9.001
    assert totals.total_vnd == 99_006


def test_mixed_vat_rates_with_a_quote_discount():
    lines = [
        Line(Decimal(2), 1_000_000, 0, 10),
        Line(Decimal(3), 250_000, 0, 8),
        Line(Decimal(1), 499_999, 0, 5),
        Line(Decimal(10), 12_345, 0, 0),
        Line(Decimal(1), 700_000, 0, None),
    ]
    totals = price(lines, 250)  # 2,5 % off the whole quote, shared per line
    assert [(t.amount_vnd, t.discount_vnd, t.net_vnd, t.vat_vnd) for t in totals.lines] == [
        (2_000_000, 50_000, 1_950_000, 195_000),
        (750_000, 18_750, 731_250, 58_500),
        (499_999, 12_500, 487_499, 24_375),  # share 12.499,975 → 12.500; VAT 24.374,95 → 24.375
        (123_450, 3_086, 120_364, 0),  # share 3.086,25 → 3.086
        (700_000, 17_500, 682_500, 0),
    ]
    assert totals.subtotal_vnd == 4_073_449
    assert totals.discount_vnd == 101_836
    assert totals.vat_vnd == 277_875
    assert totals.total_vnd == 4_249_488
    assert totals.net_vnd == 3_971_613
    assert totals.vat_by_rate == [
        (0, 120_364, 0), (5, 487_499, 24_375), (8, 731_250, 58_500), (10, 1_950_000, 195_000), (None, 682_500, 0),
    ]
    assert totals.max_discount_bp == 250


def test_vat_groups_add_up_and_only_list_rates_present():
    totals = price([Line(Decimal(1), 100_000, 0, 10), Line(Decimal(2), 50_000, 500, 10)], 0)
    assert totals.vat_by_rate == [(10, 195_000, 19_500)]
    assert totals.max_discount_bp == 500


def test_a_full_line_discount_costs_nothing():
    totals = price([Line(Decimal(5), 200_000, 10_000, 10), Line(Decimal(1), 100_000, 0, 10)], 0)
    assert totals.lines[0].amount_vnd == 0 and totals.lines[0].vat_vnd == 0
    assert totals.subtotal_vnd == 100_000
    assert totals.total_vnd == 110_000
    assert totals.max_discount_bp == 10_000


def test_decimal_quantities():
    totals = price([Line(Decimal("2.5"), 45_500, 0, 8)], 0)  # 2,5 kg
    assert totals.lines[0].amount_vnd == 113_750
    assert totals.vat_vnd == 9_100
    assert totals.total_vnd == 122_850
    assert line_amount(Decimal("1.333"), 10_000, 0) == 13_330
    assert line_amount(Decimal("0.125"), 1_000, 0) == 125


def test_no_lines():
    totals = price([], 1000)
    assert (totals.subtotal_vnd, totals.discount_vnd, totals.vat_vnd, totals.total_vnd) == (0, 0, 0, 0)
    assert totals.vat_by_rate == []


def test_huge_figures_stay_exact():
    # 99.999.999.999,999 units × 999.999.999.999 ₫: beyond float and beyond Decimal's default 28 digits
    quantity = Decimal("99999999999.999")
    assert line_amount(quantity, 999_999_999_999, 1) == (
        (99999999999999 * 999_999_999_999 * 9999 + 5000 * 1000) // (1000 * 10000))


def test_totals_always_equal_the_sum_of_the_lines():
    rng = random.Random(20260601)
    for _ in range(300):
        lines = [
            Line(Decimal(rng.randint(1, 100_000)) / 1000, rng.randint(0, 50_000_000), rng.choice([0, 0, 333, 1250, 5000]),
                 rng.choice([0, 5, 8, 10, None]))
            for _ in range(rng.randint(1, 12))
        ]
        quote_bp = rng.choice([0, 1, 250, 1250, 3333, 10_000])
        totals = price(lines, quote_bp)
        assert totals.total_vnd == sum(t.net_vnd for t in totals.lines) + sum(t.vat_vnd for t in totals.lines)
        assert totals.subtotal_vnd == sum(t.amount_vnd for t in totals.lines)
        assert totals.discount_vnd == sum(t.discount_vnd for t in totals.lines)
        assert sum(base for _, base, _ in totals.vat_by_rate) == totals.subtotal_vnd - totals.discount_vnd
        assert sum(vat for _, _, vat in totals.vat_by_rate) == totals.vat_vnd
        for line, figures in zip(lines, totals.lines):
            assert figures.amount_vnd == line_amount(line.quantity, line.unit_price_vnd, line.discount_bp)
            assert 0 <= figures.net_vnd <= figures.amount_vnd


def test_apply_totals_stores_the_figures_on_the_quote_and_lines():
    owner = make_user()
    deal = make_deal(make_customer(owner))
    quote = Quote(number="BG-2026-00001", deal=deal, customer=deal.customer, owner=owner,
                  valid_until=date(2026, 7, 1), discount_bp=1000)
    quote.lines = [
        QuoteLine(position=0, description="Máy lọc nước", unit="cái", quantity=Decimal(3), unit_price_vnd=33_335,
                  discount_bp=1000, vat_rate=10),
        QuoteLine(position=1, description="Lắp đặt", unit="lần", quantity=Decimal(1), unit_price_vnd=500_000,
                  vat_rate=None),
    ]
    totals = apply_totals(quote)
    db.session.add(quote)
    db.session.commit()
    db.session.expire_all()
    stored = db.session.get(Quote, quote.id)
    # line 1: 90.005 after its own 10 %; the quote's 10 % takes 9.000,5 → 9.001; VAT on 81.004 → 8.100,4 → 8.100
    assert [(ln.amount_vnd, ln.vat_vnd) for ln in stored.lines] == [(90_005, 8_100), (500_000, 0)]
    assert (stored.subtotal_vnd, stored.discount_vnd, stored.vat_vnd, stored.total_vnd) == (
        590_005, 59_001, 8_100, 539_104)
    assert totals.total_vnd == stored.total_vnd
    assert totals.max_discount_bp == 1000


@pytest.mark.parametrize("amount, words", [
    (0, "Không đồng"),
    (5, "Năm đồng"),
    (10, "Mười đồng"),
    (14, "Mười bốn đồng"),
    (15, "Mười lăm đồng"),
    (21, "Hai mươi mốt đồng"),
    (24, "Hai mươi tư đồng"),
    (25, "Hai mươi lăm đồng"),
    (11, "Mười một đồng"),
    (105, "Một trăm linh năm đồng"),
    (110, "Một trăm mười đồng"),
    (1_000, "Một nghìn đồng"),
    (1_005_000, "Một triệu không trăm linh năm nghìn đồng"),
    (12_345_000, "Mười hai triệu ba trăm bốn mươi lăm nghìn đồng"),
    (500_000_000, "Năm trăm triệu đồng"),
    (1_000_000_000, "Một tỷ đồng"),
    (1_234_567_890, "Một tỷ hai trăm ba mươi tư triệu năm trăm sáu mươi bảy nghìn tám trăm chín mươi đồng"),
    (2_000_050_000, "Hai tỷ không trăm năm mươi nghìn đồng"),
    (1_500_000_000_000, "Một nghìn năm trăm tỷ đồng"),
])
def test_vnd_in_words(amount, words):
    assert vnd_in_words(amount) == words


def test_vnd_in_words_rejects_negative_and_non_integers():
    with pytest.raises(ValueError):
        vnd_in_words(-1)
    with pytest.raises(TypeError):
        vnd_in_words(1.5)


def test_numbers_per_kind_and_year():
    day = date(2026, 3, 1)
    assert next_number("BG", day) == "BG-2026-00001"
    assert next_number("BG", day) == "BG-2026-00002"
    assert next_number("HD", day) == "HD-2026-00001"
    assert next_number("BG", day + timedelta(days=365)) == "BG-2027-00001"
    db.session.commit()
    assert db.session.get(NumberSequence, ("BG", 2026)).last_value == 2
    with pytest.raises(ValueError):
        next_number("XX", day)


def test_a_rolled_back_number_is_given_again():
    day = date(2026, 5, 20)
    assert next_number("BG", day) == "BG-2026-00001"
    db.session.commit()
    assert next_number("BG", day) == "BG-2026-00002"
    db.session.rollback()  # the quote failed to save: its number goes back
    assert next_number("BG", day) == "BG-2026-00002"
    db.session.commit()
    assert next_number("BG", day) == "BG-2026-00003"


def test_concurrent_creators_get_gapless_unique_numbers(app):
    threads_count, per_thread = 6, 5
    day = date(2026, 1, 2)
    start = threading.Barrier(threads_count)
    numbers, errors = [], []

    def create():
        try:
            start.wait()
            for _ in range(per_thread):
                with app.app_context():  # its own session and connection, as a separate request would have
                    number = next_number("BG", day)
                    db.session.commit()
                    numbers.append(number)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=create) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    total = threads_count * per_thread
    assert sorted(numbers) == [f"BG-2026-{n:05d}" for n in range(1, total + 1)]
