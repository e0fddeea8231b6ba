"""Approval of quotes: the rules an admin sets, submitting, who may decide, deciding, and telling people.

A quote over the rules (a discount above max_discount_bp, or a total above max_total_vnd) waits for a
manager of its owner's team (or an admin); under them it is approved when submitted. Nobody decides their own.
"""
from dataclasses import dataclass

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.formatting import format_vnd
from app.models import Notification, Quote, Setting, User
from app.models.base import utcnow
from app.services.common.sessions import commit_keeping_loaded
from app.services.quotes.pricing import apply_totals, price
from app.services.quotes.editing import QuoteRefused, StaleQuote, check_version, clear_decision, quote_path
from app.services.common.scope import visible_owner_condition

APPROVAL_RULES_KEY = "approval_rules"
DEFAULT_APPROVAL_RULES = {"max_discount_bp": 1000, "max_total_vnd": 500_000_000}


class DecisionNotAllowed(PermissionError):
    """The user may see the quote but not approve or reject it (its owner, a rep)."""


# --- who waits for whom ---------------------------------------------------------------------------

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


@dataclass(frozen=True)
class RuleBroken:
    """One approval rule a quote breaks: "discount" (basis points) or "total" (đồng), its figure and the limit."""

    rule: str
    actual: int
    limit: int


def approval_reasons(totals, rules=None):
    """The rules totals break, [] when a rep may give them alone: the one test the builder's warning, the
    submission and the manager's card all use."""
    rules = rules or approval_rules()
    reasons = []
    if totals.max_discount_bp > rules["max_discount_bp"]:
        reasons.append(RuleBroken("discount", totals.max_discount_bp, rules["max_discount_bp"]))
    if totals.total_vnd > rules["max_total_vnd"]:
        reasons.append(RuleBroken("total", totals.total_vnd, rules["max_total_vnd"]))
    return reasons


def approval_reasons_for(quote, rules=None):
    """The rules a quote's stored lines and discount break."""
    return approval_reasons(price(quote.lines, quote.discount_bp), rules)


def needs_approval(totals, rules=None):
    """True when a line or quote discount, or the grand total, is above what a rep may give alone."""
    return bool(approval_reasons(totals, rules))


# --- submitting and deciding ----------------------------------------------------------------------

def submit_quote(quote, actor, expected_version=None, today=None):
    """Submit a draft: pending_approval (managers notified) when the rules ask for it, else approved.

    Returns True when it waits for approval. Raises StaleQuote or QuoteRefused (nothing written then).
    """
    if expected_version is not None:
        check_version(quote, expected_version)
    if quote.status != "draft":
        raise QuoteRefused("not_draft")
    if not quote.lines:
        raise QuoteRefused("no_lines")
    if today is not None and quote.valid_until < today:
        raise QuoteRefused("validity_passed")
    totals = apply_totals(quote)
    now = utcnow()
    waits = needs_approval(totals)
    clear_decision(quote)
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


def decide(quote, manager, approve, comment, expected_version=None, email_owner=True):
    """Approve (→ approved) or reject (→ draft, with the comment) a pending quote; tells the owner.

    Raises DecisionNotAllowed, StaleQuote or QuoteRefused (not_pending, comment_required); nothing written then.
    email_owner=False tells the owner by the bell only (demo data: no mail server to speak to).
    """
    if not can_decide(quote, manager):
        raise DecisionNotAllowed(f"user {manager.id} may not decide quote {quote.id}")
    if expected_version is not None:
        check_version(quote, expected_version)
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
    if email_owner:
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
    # Approved: the owner's next step is sending it, so the notification opens the send page (one tap to send).
    url = _send_path(quote) if kind == "quote_approved" else quote_path(quote)
    return Notification(user_id=user.id, kind=kind, text=text[:500], url=url, created_at=now)


def _send_path(quote):
    return current_app.url_map.bind("localhost").build("delivery.send", {"quote_id": quote.id})


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
