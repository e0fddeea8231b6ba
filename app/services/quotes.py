"""Quote rules: creating, editing lines and terms, revisions, submitting for approval and deciding.

Every edit is checked against the version the user loaded (StaleQuote otherwise, nothing written) and
ends with the totals recomputed from the stored lines (app/services/pricing.py). Where an edit lands:

- draft, pending_approval, approved: the quote itself; a submitted or approved quote goes back to draft,
  so what a manager approves is exactly what was submitted, and it must be submitted again;
- sent, viewed, declined, expired: a new revision (same number, revision + 1), this one is superseded;
- accepted, superseded: nowhere (QuoteRefused("read_only")).
"""
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.formatting import format_vnd
from app.models import Deal, Notification, Quote, QuoteLine, Setting, User
from app.models.base import utcnow
from app.models.quotes import QUOTE_STATUSES
from app.services.deals import commit_keeping_loaded
from app.services.numbering import next_number
from app.services.pricing import apply_totals
from app.services.scope import visible_owner_condition, visible_to

EDITED_IN_PLACE = ("draft", "pending_approval", "approved")
REVISED_ON_EDIT = ("sent", "viewed", "declined", "expired")
APPROVAL_RULES_KEY = "approval_rules"
DEFAULT_APPROVAL_RULES = {"max_discount_bp": 1000, "max_total_vnd": 500_000_000}


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


class DecisionNotAllowed(PermissionError):
    """The user may see the quote but not approve or reject it (its owner, a rep)."""


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


def awaiting_conditions(user):
    """Conditions: pending quotes user may decide (in their scope, never their own)."""
    return (Quote.status == "pending_approval", Quote.owner_id != user.id, visible_owner_condition(Quote, user))


def awaiting_decision(user, limit=100):
    """Quotes pending approval that user may approve or reject, oldest submission first."""
    if user.role not in ("manager", "admin"):
        return []
    stmt = (select(Quote).where(*awaiting_conditions(user))
            .options(selectinload(Quote.customer), selectinload(Quote.owner), selectinload(Quote.lines))
            .order_by(Quote.submitted_at, Quote.id).limit(limit))
    return db.session.scalars(stmt).all()


def awaiting_count(user):
    """How many quotes wait for user's decision: one COUNT query (0 for reps)."""
    if user.role == "admin":
        return db.session.scalar(select(func.count(Quote.id)).where(
            Quote.status == "pending_approval", Quote.owner_id != user.id))
    if user.role != "manager" or user.team_id is None:
        return 0
    return db.session.scalar(
        select(func.count(Quote.id)).join(User, User.id == Quote.owner_id)
        .where(Quote.status == "pending_approval", Quote.owner_id != user.id, User.team_id == user.team_id))


# --- approval rules -------------------------------------------------------------------------------

def approval_rules():
    """{"max_discount_bp", "max_total_vnd"} from the admin's setting, else the defaults (10 %, 500.000.000 ₫)."""
    rules = dict(DEFAULT_APPROVAL_RULES)
    setting = db.session.get(Setting, APPROVAL_RULES_KEY)
    if setting is not None and isinstance(setting.value, dict):
        rules.update({key: int(setting.value[key]) for key in DEFAULT_APPROVAL_RULES if key in setting.value})
    return rules


def approval_rules_setting():
    """The stored Setting row of the approval rules (who changed them, when), or None."""
    return db.session.get(Setting, APPROVAL_RULES_KEY)


def save_approval_rules(max_discount_bp, max_total_vnd, admin):
    """Store new approval rules; quotes submitted from now on follow them."""
    setting = db.session.get(Setting, APPROVAL_RULES_KEY) or Setting(key=APPROVAL_RULES_KEY)
    setting.value = {"max_discount_bp": int(max_discount_bp), "max_total_vnd": int(max_total_vnd)}
    setting.updated_at = utcnow()
    setting.updated_by_id = admin.id
    db.session.add(setting)
    db.session.commit()
    return setting


def needs_approval(totals, rules=None):
    """True when a line or quote discount, or the grand total, is above what a rep may give alone."""
    rules = rules or approval_rules()
    return totals.max_discount_bp > rules["max_discount_bp"] or totals.total_vnd > rules["max_total_vnd"]


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


def _check_version(quote, expected_version):
    if str(quote.version) != str(expected_version):
        raise StaleQuote(quote)


def _begin_edit(quote, expected_version, today):
    """The quote an edit lands on: quote itself (back to draft when submitted or approved) or its new revision."""
    _check_version(quote, expected_version)
    if quote.status in EDITED_IN_PLACE:
        if quote.status != "draft":
            quote.move_to("draft")
            quote.submitted_at = None
            _clear_decision(quote)
        return quote
    if quote.status in REVISED_ON_EDIT:
        return _new_revision(quote, today)
    raise QuoteRefused("read_only")


def _clear_decision(quote):
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
    _check_version(quote, expected_version)
    if quote.status not in REVISED_ON_EDIT:
        raise QuoteRefused("read_only")
    return _finish(_new_revision(quote, today), quote)


# --- approval -------------------------------------------------------------------------------------

def submit_quote(quote, actor, expected_version=None, today=None):
    """Submit a draft: pending_approval (managers notified) when the rules ask for it, else approved.

    Returns True when it waits for approval. Raises StaleQuote or QuoteRefused (nothing written then).
    """
    if expected_version is not None:
        _check_version(quote, expected_version)
    if quote.status != "draft":
        raise QuoteRefused("not_draft")
    if not quote.lines:
        raise QuoteRefused("no_lines")
    if today is not None and quote.valid_until < today:
        raise QuoteRefused("validity_passed")
    totals = apply_totals(quote)
    now = utcnow()
    waits = needs_approval(totals)
    _clear_decision(quote)
    quote.submitted_at = now
    if waits:
        quote.move_to("pending_approval")
        for approver in approvers_of(quote):
            db.session.add(_notification(approver, quote, "quote_submitted", now, actor=actor))
    else:
        quote.move_to("approved")
        quote.decided_at = now
    _commit(quote)
    return waits


def approvers_of(quote):
    """Who is asked to approve: the active managers of the owner's team; with none, the active admins."""
    base = select(User).where(User.active.is_(True), User.id != quote.owner_id).order_by(User.id)
    owner = db.session.get(User, quote.owner_id)
    managers = []
    if owner.team_id is not None:
        managers = db.session.scalars(base.where(User.role == "manager", User.team_id == owner.team_id)).all()
    return managers or db.session.scalars(base.where(User.role == "admin")).all()


def can_decide(quote, user):
    """A manager of the owner's team or an admin may approve or reject, never the quote's owner."""
    if user.id == quote.owner_id:
        return False
    if user.role == "admin":
        return True
    return user.role == "manager" and user.team_id is not None and quote.owner.team_id == user.team_id


def decide(quote, manager, approve, comment, expected_version=None):
    """Approve (→ approved) or reject (→ draft, with the comment) a pending quote; tells the owner.

    Raises DecisionNotAllowed, StaleQuote or QuoteRefused (not_pending, comment_required); nothing written then.
    """
    if not can_decide(quote, manager):
        raise DecisionNotAllowed(f"user {manager.id} may not decide quote {quote.id}")
    if expected_version is not None:
        _check_version(quote, expected_version)
    if quote.status != "pending_approval":
        raise QuoteRefused("not_pending")
    comment = (comment or "").strip() or None
    if not approve and not comment:
        raise QuoteRefused("comment_required")
    now = utcnow()
    quote.move_to("approved" if approve else "draft")
    quote.decided_by_id = manager.id
    quote.decided_at = now
    quote.decision_comment = comment
    kind = "quote_approved" if approve else "quote_rejected"
    db.session.add(_notification(quote.owner, quote, kind, now, actor=manager, comment=comment))
    _commit(quote)
    _email_owner(quote, kind, manager, comment)
    return quote


def _commit(quote):
    try:
        commit_keeping_loaded()
    except StaleDataError:
        db.session.rollback()
        raise StaleQuote(db.session.get(Quote, quote.id, populate_existing=True)) from None


def _message(kind, quote, actor, comment, locale):
    """The text of a notification or e-mail, in the recipient's language."""
    values = dict(number=quote.label, customer=quote.customer.name, name=actor.name if actor else "",
                  total=format_vnd(quote.total_vnd, locale))
    if kind == "quote_submitted":
        text = gettext("%(name)s asks you to approve quote %(number)s for %(customer)s (%(total)s).", **values)
    elif kind == "quote_approved":
        text = gettext("%(name)s approved quote %(number)s for %(customer)s.", **values)
    else:
        text = gettext("%(name)s rejected quote %(number)s for %(customer)s.", **values)
    if comment:
        text = gettext("%(text)s Comment: %(comment)s", text=text, comment=comment)
    return text


def _notification(user, quote, kind, now, actor=None, comment=None):
    with force_locale(user.locale):
        text = _message(kind, quote, actor, comment, user.locale)
    return Notification(user_id=user.id, kind=kind, text=text[:500], url=quote_path(quote), created_at=now)


def _email_owner(quote, kind, manager, comment):
    """Tell the owner by e-mail too, when the mail module is installed; a mail failure never undoes a decision."""
    try:
        from app.mail import send_mail
    except ImportError:
        return
    owner = quote.owner
    with force_locale(owner.locale):
        text = _message(kind, quote, manager, comment, owner.locale)
        if kind == "quote_approved":
            subject = gettext("Quote %(number)s approved", number=quote.label)
        else:
            subject = gettext("Quote %(number)s rejected", number=quote.label)
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + quote_path(quote)
    try:
        send_mail(owner.email, subject, f"{text}\n\n{link}\n")
    except Exception:  # noqa: BLE001 - the decision is committed; the mail is a courtesy, logged when it fails
        current_app.logger.exception("could not e-mail the decision on quote %s to its owner", quote.id)
