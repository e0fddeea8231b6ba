"""The customer's documents: quote and contract PDFs (A4, in the customer's language) and what they show.

Every figure is recomputed from the stored lines (app/services/quotes/pricing.py), never read from a form.
"""
from flask import current_app, render_template

from app.formatting import in_locale


def document_locale():
    """The language of what the customer receives (e-mails, PDFs): the app's default, Vietnamese."""
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def company():
    """The letterhead, from the COMPANY_* settings."""
    config = current_app.config
    return {key.lower(): config[f"COMPANY_{key}"] for key in ("NAME", "ADDRESS", "TAX_CODE", "PHONE", "EMAIL",
                                                             "BANK_ACCOUNT")}


def quote_figures(quote):
    """Totals recomputed from the stored lines (never a stored or posted figure) and the total in words."""
    from app.services.quotes.pricing import price
    from app.services.quotes.vnd_words import vnd_in_words

    totals = price(quote.lines, quote.discount_bp)
    return totals, vnd_in_words(totals.total_vnd)


def format_quantity(value, locale):
    """Decimal quantity without trailing zeros: 2.500 → "2,5" (vi) or "2.5" (en)."""
    text = format(value.normalize(), "f") if value is not None else ""
    whole, _dot, fraction = text.partition(".")
    grouped = f"{int(whole):,}" if whole.lstrip("-").isdigit() else whole
    if locale == "vi":
        return grouped.replace(",", ".") + (f",{fraction}" if fraction else "")
    return grouped + (f".{fraction}" if fraction else "")


def format_bp(basis_points, locale):
    """Basis points as a percentage: 1250 → "12,5%" (vi) or "12.5%" (en); 0 → "0%"."""
    whole, rest = divmod(int(basis_points or 0), 100)
    text = str(whole) if not rest else f"{whole}.{rest:02d}".rstrip("0")
    return (text.replace(".", ",") if locale == "vi" else text) + "%"


def document_context(quote, locale):
    """What the quote's PDF and public page show: lines with their figures, totals, words, letterhead."""
    totals, words = quote_figures(quote)
    return dict(quote=quote, lines=list(zip(quote.lines, totals.lines)), totals=totals, words=words,
                company=company(), locale=locale, qty=lambda value: format_quantity(value, locale),
                pct=lambda basis_points: format_bp(basis_points, locale))


def quote_pdf_filename(quote):
    return f"{quote.number}-v{quote.revision}.pdf"


def contract_pdf_filename(contract):
    return f"{contract.number}.pdf"


def quote_pdf(quote):
    """The quote's PDF (A4, in the customer's language); raises app.pdf.PdfError after the time cap."""
    from app.pdf import render_pdf

    locale = document_locale()
    with in_locale(locale):
        html = render_template("pdf/quote.html", **document_context(quote, locale))
    return render_pdf(html)


def contract_pdf(contract):
    """The contract's PDF (A4, in the customer's language)."""
    from app.pdf import render_pdf

    locale = document_locale()
    with in_locale(locale):
        html = render_template("pdf/contract.html", contract=contract, **document_context(contract.quote, locale))
    return render_pdf(html)
