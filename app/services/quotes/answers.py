"""The customer's side of a sent quote: the link, the first view, accepting (→ contract) and declining.

The link carries a random token (secrets.token_urlsafe(32): 256 bits) of which only the SHA-256 is
stored (quote.token_hash); it works until the end of the quote's validity day in Asia/Ho_Chi_Minh and
opens that quote only. Only the live revision (sent or viewed, not expired) can be answered, once.
"""
import calendar
import hashlib
import json
from datetime import date, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import force_locale, gettext
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.formatting import format_vnd
from app.models import Contract, Notification, Quote, Stage, User
from app.models.base import utcnow
from app.models.quotes import LIVE_FOR_CUSTOMER
from app.models.users import hash_token
from app.queue import enqueue
from app.services.pipeline.deals import StaleVersion, move_deal

CUSTOMER = SimpleNamespace(id=None)  # who moves the deal when the customer accepts: no user of ours


class AnswerRefused(ValueError):
    """The customer cannot accept or decline (any more); `state` says why: accepted, declined, expired,
    superseded, unavailable or changed (someone else answered at the same moment)."""

    def __init__(self, state):
        super().__init__(state)
        self.state = state


def _path(endpoint, **values):
    """A path of this app, also outside a request (jobs)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def public_link(token):
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/") + _path("public.quote", token=token)


def link_expires_at(quote):
    """The end of the quote's validity day, Asia/Ho_Chi_Minh (the link stops working then)."""
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return datetime.combine(quote.valid_until + timedelta(days=1), time(0), tzinfo=zone)


def is_expired(quote, now=None):
    return quote.status == "expired" or (now or utcnow()) >= link_expires_at(quote)


def quote_for_token(token):
    """The quote a public token opens, or None (unknown, revoked or malformed token)."""
    if not token or len(token) > 128:
        return None
    return db.session.scalar(select(Quote).where(Quote.token_hash == hash_token(token)))


def public_state(quote, now=None):
    """What the customer's page shows: live (may answer), accepted, declined, expired, superseded, unavailable."""
    if quote.status in ("accepted", "declined", "superseded"):
        return quote.status
    if quote.status in LIVE_FOR_CUSTOMER:
        return "expired" if is_expired(quote, now) else "live"
    return "expired" if quote.status == "expired" else "unavailable"


def mark_viewed(quote, now=None):
    """First view of a sent quote: viewed, and the rep is told. Later views change nothing."""
    if quote.status != "sent" or is_expired(quote, now):
        return False
    now = now or utcnow()
    quote.move_to("viewed")
    quote.viewed_at = now
    _notify([quote.owner], "quote_viewed", quote, now,
            lambda _locale: gettext("%(customer)s opened quote %(number)s.", customer=quote.customer.name,
                                    number=quote.label),
            _path("quotes.show", quote_id=quote.id))
    try:
        db.session.commit()
    except StaleDataError:  # viewed at the same moment by another request: that one counts
        db.session.rollback()
        return False
    return True


def _check_answerable(quote, now):
    state = public_state(quote, now)
    if state != "live":
        raise AnswerRefused(state)


def accept_quote(quote, name, ip, user_agent, today, now=None, email_contract=True):
    """The customer accepts: quote accepted, deal Won, contract created, rep and managers told — one transaction.

    Raises AnswerRefused when the quote cannot be accepted (nothing written). Returns the contract.
    email_contract=False leaves the contract's e-mail unqueued (demo data: nobody to write to).
    """
    from app.services.quotes.numbering import next_number
    from app.services.quotes.pricing import apply_totals

    now = now or utcnow()
    _check_answerable(quote, now)
    apply_totals(quote)  # the stored figures are exactly those of the stored lines
    quote.move_to("accepted")
    quote.answered_at = now
    quote.accepted_name = name[:200]
    quote.accepted_ip = (ip or "")[:45] or None
    quote.accepted_user_agent = (user_agent or "")[:400] or None
    quote.accepted_hash = content_hash(quote)
    try:
        db.session.flush()  # a concurrent answer makes this UPDATE miss its version: one accept wins
    except StaleDataError:
        db.session.rollback()
        raise AnswerRefused("changed") from None
    start = today
    end = add_months(start, current_app.config["CONTRACT_MONTHS"])
    contract = Contract(number=next_number("HD", today), quote=quote, deal_id=quote.deal_id,
                        customer_id=quote.customer_id, owner_id=quote.owner_id, start_date=start, end_date=end,
                        renewal_date=end - timedelta(days=30), value_vnd=quote.total_vnd)
    db.session.add(contract)
    db.session.flush()
    contract_path = _path("delivery.contract", contract_id=contract.id)
    _notify(_owner_and_managers(quote), "quote_accepted", quote, now,
            lambda locale: gettext("%(customer)s accepted quote %(number)s (%(total)s): contract %(contract)s.",
                                   customer=quote.customer.name, number=quote.label, contract=contract.number,
                                   total=format_vnd(quote.total_vnd, locale)), contract_path)
    won = db.session.scalar(select(Stage).where(Stage.is_won.is_(True)).order_by(Stage.position).limit(1))
    try:
        # Won revenue is the accepted amount before VAT (after the line and quote discounts): VAT is not ours.
        moved = won is not None and move_deal(quote.deal, won, CUSTOMER, quote.deal.version, now=now,
                                              value_vnd=quote.subtotal_vnd - quote.discount_vnd) is not None
        if not moved:
            if won is not None:  # already Won by hand: the value still becomes what was accepted
                quote.deal.value_vnd = quote.subtotal_vnd - quote.discount_vnd
            db.session.commit()
    except (StaleVersion, StaleDataError):
        db.session.rollback()  # move_deal has rolled back already when it raised StaleVersion
        raise AnswerRefused("changed") from None
    if email_contract:
        _queue_contract_email(contract)
    return contract


def _queue_contract_email(contract):
    try:
        enqueue("send_contract_email", contract.id)
    except Exception:  # the contract stands; the rep is told by the notification and can send the PDF
        current_app.logger.exception("could not queue the e-mail of contract %s", contract.id)


def decline_quote(quote, reason, now=None):
    """The customer declines, with an optional reason; the rep is told. Raises AnswerRefused otherwise."""
    now = now or utcnow()
    _check_answerable(quote, now)
    quote.move_to("declined")
    quote.answered_at = now
    quote.decline_reason = (reason or "").strip()[:2000] or None
    _notify([quote.owner], "quote_declined", quote, now,
            lambda _locale: gettext("%(customer)s declined quote %(number)s.", customer=quote.customer.name,
                                    number=quote.label),
            _path("quotes.show", quote_id=quote.id))
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise AnswerRefused("changed") from None
    return quote


def _owner_and_managers(quote):
    """The quote's owner and the active managers of the owner's team."""
    owner = quote.owner
    people = [owner]
    if owner.team_id is not None:
        people += db.session.scalars(select(User).where(User.team_id == owner.team_id, User.role == "manager",
                                                        User.active.is_(True), User.id != owner.id)).all()
    return people


def _notify(users, kind, quote, now, text, url):
    """A notification per user, its text (a callable taking the language code) in each user's language."""
    for user in users:
        with force_locale(user.locale):
            message = text(user.locale)
        db.session.add(Notification(user_id=user.id, kind=kind, text=message[:500], url=url, created_at=now))


def content_hash(quote):
    """SHA-256 of the quote's canonical content: number, revision, lines and totals (what was accepted)."""
    lines = [{"position": line.position, "description": line.description, "unit": line.unit,
              "quantity": format(line.quantity.normalize(), "f") if line.quantity is not None else None,
              "unit_price_vnd": line.unit_price_vnd, "discount_bp": line.discount_bp, "vat_rate": line.vat_rate,
              "amount_vnd": line.amount_vnd, "vat_vnd": line.vat_vnd} for line in quote.lines]
    document = {"number": quote.number, "revision": quote.revision, "discount_bp": quote.discount_bp,
                "lines": lines, "subtotal_vnd": quote.subtotal_vnd, "discount_vnd": quote.discount_vnd,
                "vat_vnd": quote.vat_vnd, "total_vnd": quote.total_vnd}
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def add_months(day, months):
    """day + months calendar months (31 January + 1 month = 28/29 February)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
