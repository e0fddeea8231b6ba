"""Quote arithmetic in whole đồng, with one rounding rule: per line, half up.

Every rounded figure is rounded once, on its own line, with ROUND_HALF_UP on Decimal (never float):

1. line amount   = round(quantity × unit price × (10000 − line discount bp) / 10000)
2. quote share   = round(line amount × quote discount bp / 10000)   (the quote discount, spread per line)
3. line net      = line amount − quote share
4. line VAT      = round(line net × VAT rate / 100)                  (no VAT when the rate is None)

The quote's figures are sums of the line figures, so the total always equals Σ net + Σ VAT and the
PDF's VAT table adds up to the total printed under it.
"""
from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal

BP = 10000  # basis points in 100 %
# Enough digits for 14-digit quantities × 15-digit prices × basis points: the default 28 would round early.
_EXACT = Context(prec=60)


def _decimal(value):
    """Decimal from int, Decimal or str; a float goes through its repr so 2.5 stays 2.5."""
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def round_half_up(value) -> int:
    """A Decimal (or int) rounded to whole đồng, .5 away from zero."""
    return int(_decimal(value).quantize(Decimal(1), rounding=ROUND_HALF_UP, context=_EXACT))


def _ratio(value, numerator, denominator) -> int:
    """round_half_up(value × numerator / denominator), computed exactly."""
    product = _EXACT.multiply(_decimal(value), Decimal(int(numerator)))
    return round_half_up(_EXACT.divide(product, Decimal(denominator)))


def line_amount(quantity, unit_price_vnd: int, discount_bp: int) -> int:
    """The line's amount after its own discount, before the quote discount and VAT."""
    gross = _EXACT.multiply(_decimal(quantity), Decimal(int(unit_price_vnd)))
    return _ratio(gross, BP - int(discount_bp or 0), BP)


@dataclass(frozen=True)
class LineTotals:
    """One line's figures: amount after the line discount, its share of the quote discount, net and VAT."""

    amount_vnd: int
    discount_vnd: int
    net_vnd: int
    vat_vnd: int
    vat_rate: int | None


@dataclass
class Totals:
    """A quote's figures, all whole đồng.

    vat_by_rate lists (rate, taxable base, VAT) per rate in the order 0, 5, 8, 10, then None ("not
    subject to VAT"), only for rates that occur.
    """

    lines: list[LineTotals] = field(default_factory=list)
    subtotal_vnd: int = 0  # Σ line amounts (after line discounts)
    discount_vnd: int = 0  # Σ shares of the quote discount
    vat_by_rate: list[tuple[int | None, int, int]] = field(default_factory=list)
    vat_vnd: int = 0
    total_vnd: int = 0  # subtotal − discount + VAT
    max_discount_bp: int = 0  # the largest line or quote discount: what approval rules look at

    @property
    def net_vnd(self):
        """Subtotal after the quote discount, before VAT."""
        return self.subtotal_vnd - self.discount_vnd


def _rate_order(rate):
    return (1, 0) if rate is None else (0, rate)


def price(lines, quote_discount_bp: int = 0) -> Totals:
    """Totals for lines (objects with quantity, unit_price_vnd, discount_bp, vat_rate) and a quote discount."""
    quote_bp = int(quote_discount_bp or 0)
    totals = Totals(max_discount_bp=quote_bp)
    groups = OrderedDict()
    for line in lines:
        line_bp = int(line.discount_bp or 0)
        amount = line_amount(line.quantity, line.unit_price_vnd, line_bp)
        share = _ratio(amount, quote_bp, BP)
        net = amount - share
        vat = 0 if line.vat_rate is None else _ratio(net, line.vat_rate, 100)
        totals.lines.append(LineTotals(amount, share, net, vat, line.vat_rate))
        totals.subtotal_vnd += amount
        totals.discount_vnd += share
        totals.vat_vnd += vat
        totals.max_discount_bp = max(totals.max_discount_bp, line_bp)
        base, tax = groups.get(line.vat_rate, (0, 0))
        groups[line.vat_rate] = (base + net, tax + vat)
    totals.vat_by_rate = [(rate, *groups[rate]) for rate in sorted(groups, key=_rate_order)]
    totals.total_vnd = totals.subtotal_vnd - totals.discount_vnd + totals.vat_vnd
    return totals


def apply_totals(quote) -> Totals:
    """Recompute a quote from its stored lines and write the figures back; returns the Totals.

    line.amount_vnd is the amount after the line's own discount and BEFORE the quote discount (what
    the quote's line table shows); line.vat_vnd is the VAT on the line's net (after the quote discount).
    """
    totals = price(quote.lines, quote.discount_bp)
    for line, figures in zip(quote.lines, totals.lines):
        line.amount_vnd = figures.amount_vnd
        line.vat_vnd = figures.vat_vnd
    quote.subtotal_vnd = totals.subtotal_vnd
    quote.discount_vnd = totals.discount_vnd
    quote.vat_vnd = totals.vat_vnd
    quote.total_vnd = totals.total_vnd
    return totals
