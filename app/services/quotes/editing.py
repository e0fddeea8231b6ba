"""Quote rules: creating, editing lines and terms, revisions (submitting and deciding: app/services/quotes/approvals.py).

Every edit is checked against the version the user loaded (StaleQuote otherwise, nothing written) and
ends with the totals recomputed from the stored lines (app/services/quotes/pricing.py). Where an edit lands:

- draft, pending_approval, approved: the quote itself; a submitted or approved quote goes back to draft,
  so what a manager approves is exactly what was submitted, and it must be submitted again;
- sent, viewed, declined, expired: a new revision (same number, revision + 1), this one is superseded;
- accepted, superseded: nowhere (QuoteRefused("read_only")).
"""
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import Customer, Deal, Quote, QuoteLine
from app.models.base import utcnow
from app.models.quotes import QUOTE_STATUSES
from app.services.common.sessions import commit_keeping_loaded
from app.services.quotes.numbering import next_number
from app.services.quotes.pricing import apply_totals
from app.services.common.scope import visible_to
from app.services.pipeline.deals import create_deal
from app.services.pipeline.stages import stages

EDITED_IN_PLACE = ("draft", "pending_approval", "approved")
REVISED_ON_EDIT = ("sent", "viewed", "declined", "expired")


class StaleQuote(Exception):
    """The quote changed since the user loaded it; carries the current quote."""

    def __init__(self, quote):
        super().__init__(f"quote {quote.id} is at version {quote.version}")
        self.quote = quote


class QuoteRefused(ValueError):
    """A change the rules do not allow; `code` names the rule (no_lines, read_only, not_draft, not_pending,
    comment_required, validity_passed)."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code


# --- reading --------------------------------------------------------------------------------------

def quote_path(quote):
    """The builder's path of a quote, also outside a request (notifications, e-mails)."""
    return current_app.url_map.bind("localhost").build("quotes.show", {"quote_id": quote.id})


def revisions_of(quote):
    """Every revision of quote's number, newest first."""
    return db.session.scalars(
        select(Quote).where(Quote.number == quote.number).order_by(Quote.revision.desc())).all()


def latest_revision(quote):
    """The live revision of quote's number (quote itself unless it was superseded)."""
    if quote.status != "superseded":
        return quote
    return db.session.scalar(select(Quote).where(Quote.number == quote.number).order_by(Quote.revision.desc()).limit(1))


def quotes_for(user, deal=None, customer=None, limit=20):
    """The latest revisions of a deal's or a customer's quotes that user may see, newest first."""
    stmt = visible_to(Quote, user).where(Quote.status != "superseded")
    if deal is not None:
        stmt = stmt.where(Quote.deal_id == deal.id)
    if customer is not None:
        stmt = stmt.where(Quote.customer_id == customer.id)
    return db.session.scalars(stmt.order_by(Quote.created_at.desc(), Quote.id.desc()).limit(limit)).all()


def last_quote_to_repeat(user, customer):
    """The newest live quote of customer that user owns and has taken past draft: what "repeat the last quote"
    on the customer card copies (None when there is none)."""
    return db.session.scalar(
        select(Quote).where(Quote.customer_id == customer.id, Quote.owner_id == user.id,
                            Quote.status.notin_(("draft", "superseded")))
        .order_by(Quote.created_at.desc(), Quote.id.desc()).limit(1))


SCOPES = ("mine", "team", "all")


@dataclass(frozen=True)
class QuoteFilter:
    """The list's filters, allow-listed: a status (or none) and a scope the user's role allows."""

    status: str | None
    scope: str

    @classmethod
    def from_args(cls, args, user):
        status = args.get("status")
        scope = args.get("scope")
        if scope not in scopes_for(user):
            scope = scopes_for(user)[-1]
        return cls(status=status if status in QUOTE_STATUSES else None, scope=scope)

    def as_args(self):
        return {key: value for key, value in (("status", self.status), ("scope", self.scope)) if value}


def scopes_for(user):
    """The scopes a user may pick, the widest (their default) last."""
    if user.role == "admin":
        return ("mine", "all")
    if user.role == "manager" and user.team_id is not None:
        return ("mine", "team")
    return ("mine",)


def list_quotes(user, quote_filter, page=1, per_page=20):
    """(quotes, has_more): newest first; only live revisions unless the filter asks for superseded ones."""
    stmt = visible_to(Quote, user).options(selectinload(Quote.customer), selectinload(Quote.owner))
    if quote_filter.scope == "mine":
        stmt = stmt.where(Quote.owner_id == user.id)
    if quote_filter.status:
        stmt = stmt.where(Quote.status == quote_filter.status)
    else:
        stmt = stmt.where(Quote.status != "superseded")
    page = max(page, 1)
    rows = db.session.scalars(stmt.order_by(Quote.created_at.desc(), Quote.id.desc())
                              .offset((page - 1) * per_page).limit(per_page + 1)).all()
    return rows[:per_page], len(rows) > per_page


# --- creating and editing -------------------------------------------------------------------------

def create_quote(deal, user, today):
    """A draft quote (revision 1, a new BG number) for a deal user may see, owned by the deal's owner."""
    if db.session.scalar(visible_to(Deal, user).where(Deal.id == deal.id)) is None:
        raise LookupError("deal not visible")
    config = current_app.config
    quote = Quote(deal_id=deal.id, customer_id=deal.customer_id, owner_id=deal.owner_id, revision=1, status="draft",
                  discount_bp=0, valid_until=today + timedelta(days=config["QUOTE_VALID_DAYS"]),
                  payment_terms=config["QUOTE_PAYMENT_TERMS"] or None)
    apply_totals(quote)
    quote.number = next_number("BG", today)  # as late as possible: the sequence row stays locked until commit
    db.session.add(quote)
    db.session.commit()
    return quote


def create_quote_with_deal(customer, user, title, today):
    """A new open deal for customer (owned by user, in the first stage, value 0 until a quote is accepted) and a
    draft quote for it: a quote needs a deal, and a customer without an open one should not need a detour."""
    if db.session.scalar(visible_to(Customer, user).where(Customer.id == customer.id)) is None:
        raise LookupError("customer not visible")
    first_open = next(stage for stage in stages() if stage.is_open)
    deal = create_deal(user, customer, first_open, title[:200], 0, None)
    return create_quote(deal, user, today)


def often_quoted_products(user, limit=6):
    """The active products user quoted most often (then most recently): the picker shows them before typing."""
    from sqlalchemy import func

    from app.models import Product

    stmt = (select(Product).join(QuoteLine, QuoteLine.product_id == Product.id).join(Quote, Quote.id == QuoteLine.quote_id)
            .where(Quote.owner_id == user.id, Product.active.is_(True)).group_by(Product.id)
            .order_by(func.count(QuoteLine.id).desc(), func.max(Quote.created_at).desc(), Product.id).limit(limit))
    return db.session.scalars(stmt).all()


def repeat_quote(source, user, today):
    """A new draft (new number) for source's deal with source's lines, discount and terms: "the same again"."""
    config = current_app.config
    quote = Quote(deal_id=source.deal_id, customer_id=source.customer_id, owner_id=source.owner_id, revision=1,
                  status="draft", discount_bp=source.discount_bp,
                  valid_until=today + timedelta(days=config["QUOTE_VALID_DAYS"]),
                  payment_terms=source.payment_terms, notes=source.notes)
    quote.lines = [QuoteLine(position=line.position, product_id=line.product_id, description=line.description,
                             unit=line.unit, quantity=line.quantity, unit_price_vnd=line.unit_price_vnd,
                             discount_bp=line.discount_bp, vat_rate=line.vat_rate) for line in source.lines]
    apply_totals(quote)
    quote.number = next_number("BG", today)
    db.session.add(quote)
    db.session.commit()
    return quote


def editable_by(quote, user):
    """May user change quote in place? Not while it waits for approval, except its owner (whose edit takes it
    back to draft): the manager reviewing it must not undo the submission by a stray tap."""
    if quote.status not in EDITED_IN_PLACE:
        return False
    return quote.status != "pending_approval" or quote.owner_id == user.id


def check_version(quote, expected_version):
    """Raises StaleQuote when quote is no longer at the version the user loaded."""
    if str(quote.version) != str(expected_version):
        raise StaleQuote(quote)


def _begin_edit(quote, expected_version, today):
    """The quote an edit lands on: quote itself (back to draft when submitted or approved) or its new revision."""
    check_version(quote, expected_version)
    if quote.status in EDITED_IN_PLACE:
        if quote.status != "draft":
            quote.move_to("draft")
            quote.submitted_at = None
            clear_decision(quote)
        return quote
    if quote.status in REVISED_ON_EDIT:
        return _new_revision(quote, today)
    raise QuoteRefused("read_only")


def clear_decision(quote):
    """Forget an earlier approval or rejection (the quote is being edited or submitted again)."""
    quote.decided_by_id = None
    quote.decided_at = None
    quote.decision_comment = None


def _new_revision(old, today):
    """Copy header and lines into revision + 1 (a draft); old is superseded and stays readable."""
    valid_until = old.valid_until
    if valid_until < today:
        valid_until = today + timedelta(days=current_app.config["QUOTE_VALID_DAYS"])
    new = Quote(number=old.number, revision=old.revision + 1, deal_id=old.deal_id, customer_id=old.customer_id,
                owner_id=old.owner_id, previous_id=old.id, status="draft", discount_bp=old.discount_bp,
                valid_until=valid_until, payment_terms=old.payment_terms, notes=old.notes,
                recipient_email=old.recipient_email)
    new.lines = [QuoteLine(position=line.position, product_id=line.product_id, description=line.description,
                           unit=line.unit, quantity=line.quantity, unit_price_vnd=line.unit_price_vnd,
                           discount_bp=line.discount_bp, vat_rate=line.vat_rate) for line in old.lines]
    old.move_to("superseded")
    db.session.add(new)
    return new


def _same_line(target, quote, line):
    """line of quote, or its copy when the edit landed on a new revision."""
    if target is quote:
        return line
    return target.lines[quote.lines.index(line)]


def _finish(target, edited):
    """Recompute the totals, bump the version even when no figure changed, and commit; returns target."""
    apply_totals(target)
    target.updated_at = utcnow()
    try:
        commit_keeping_loaded()
    except (StaleDataError, IntegrityError):  # a concurrent edit, or a concurrent revision of the same number
        db.session.rollback()
        raise StaleQuote(db.session.get(Quote, edited.id, populate_existing=True)) from None
    return target


def _next_position(quote):
    return max((line.position for line in quote.lines), default=0) + 1


def add_product_line(quote, expected_version, product, today):
    """Add one unit of product (its name, unit, price and VAT as they are now); returns (quote, new line)."""
    target = _begin_edit(quote, expected_version, today)
    line = QuoteLine(product_id=product.id, description=product.name, unit=product.unit, quantity=Decimal(1),
                     unit_price_vnd=product.price_vnd, discount_bp=0, vat_rate=product.vat_rate,
                     position=_next_position(target))
    target.lines.append(line)
    return _finish(target, quote), line


LINE_FIELDS = ("quantity", "unit", "unit_price_vnd", "discount_bp", "vat_rate")


def add_free_line(quote, expected_version, values, today):
    """Add a line that is not in the price list (description plus LINE_FIELDS); returns (quote, new line)."""
    target = _begin_edit(quote, expected_version, today)
    line = QuoteLine(description=values["description"], position=_next_position(target),
                     **{name: values[name] for name in LINE_FIELDS})
    target.lines.append(line)
    return _finish(target, quote), line


def update_line(quote, expected_version, line, values, today):
    """Change a line's LINE_FIELDS (and description when given); returns (quote, the line as stored)."""
    target = _begin_edit(quote, expected_version, today)
    line = _same_line(target, quote, line)
    for name in LINE_FIELDS + ("description",):
        if name in values:
            setattr(line, name, values[name])
    return _finish(target, quote), line


def remove_line(quote, expected_version, line, today):
    """Remove a line; returns the quote edited."""
    target = _begin_edit(quote, expected_version, today)
    target.lines.remove(_same_line(target, quote, line))
    return _finish(target, quote)


def move_line(quote, expected_version, line, step, today):
    """Move a line one place up (step -1) or down (+1); returns the quote edited."""
    target = _begin_edit(quote, expected_version, today)
    line = _same_line(target, quote, line)
    ordered = sorted(target.lines, key=lambda item: (item.position, item.id or 0))
    index = ordered.index(line)
    other = index + (1 if step > 0 else -1)
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered, start=1):
        item.position = position
    target.lines.sort(key=lambda item: item.position)
    return _finish(target, quote)


HEADER_FIELDS = ("discount_bp", "valid_until", "payment_terms", "notes")


def update_terms(quote, expected_version, values, today):
    """Change the quote discount, validity, payment terms and notes; returns the quote edited."""
    target = _begin_edit(quote, expected_version, today)
    for name in HEADER_FIELDS:
        if name in values:
            setattr(target, name, values[name])
    return _finish(target, quote)


def revise(quote, expected_version, today):
    """A new draft revision of a sent, viewed, declined or expired quote; returns it."""
    check_version(quote, expected_version)
    if quote.status not in REVISED_ON_EDIT:
        raise QuoteRefused("read_only")
    return _finish(_new_revision(quote, today), quote)
