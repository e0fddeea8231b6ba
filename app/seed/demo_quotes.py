"""The demo's quotes, one story per status, made through the quote services so that numbers, totals, revisions,
approvals, contracts and notifications are those the app itself makes.

Where the real flow would e-mail someone (sending a quote, a contract, a decision) the state is set as
that flow leaves it, without the e-mail: the demo's customers have no inbox.
"""
import secrets
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select, update

from app.extensions import db
from app.models import Activity, Contract, Notification
from app.models.users import hash_token
from app.seed.demo_clock import happening_at
from app.seed.demo_names import VN, at_local
from app.seed.demo_people import LONG_STANDING
from app.seed.demo_pipeline import add_deal
from app.seed.demo_quote_plans import DAY, HOUR, PLANS, renewal_steps, story_clock
from app.services.pipeline.deals import move_deal, next_step_activity
from app.services.quotes.answers import accept_quote, decline_quote, mark_viewed
from app.services.quotes.approvals import decide, submit_quote
from app.services.quotes.editing import add_product_line, create_quote, revise, update_line, update_terms

CUSTOMER_IP = "113.161.72.15"  # where the customers accept from: a Vietnamese ISP's range
CUSTOMER_BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
UNREAD_FOR = timedelta(hours=36)  # notifications this close to the story clock are left unread


def _owner(demo, key):
    return demo.manager if key == "manager" else demo.reps[("an", "binh", "chi").index(key)]


def _recipient(customer):
    primary = next((c for c in customer.contacts if c.is_primary), None)
    return customer.email or (primary.email if primary else None)


def _customers(demo):
    """A customer for each plan: the one named, else the next of the owner's with an e-mail address."""
    taken, chosen = {LONG_STANDING}, []
    for plan in PLANS:
        owner = _owner(demo, plan.owner)
        if plan.customer:
            chosen.append(demo.customer_named(plan.customer))
            continue
        customer = next(c for c in demo.customers_of(owner) if c.name not in taken and _recipient(c))
        taken.add(customer.name)
        chosen.append(customer)
    return chosen


def _local_day(moment):
    return moment.astimezone(VN).date()


def _draft(demo, plan, customer, created):
    """The deal (new → consulting before the quote) and the draft quote with its lines and terms."""
    deal = add_deal(demo, customer, ["new", "consulting"], [created - 12 * DAY, created - 4 * DAY], plan.title, 0,
                    expected_close=_local_day(created) + timedelta(days=30))
    db.session.commit()
    day, owner = _local_day(created), customer.owner
    quote = create_quote(deal, owner, day)
    for sku, quantity, discount_bp in plan.lines:
        quote, line = add_product_line(quote, quote.version, demo.products[sku], day)
        if quantity != 1 or discount_bp:
            values = {"quantity": Decimal(quantity), "discount_bp": discount_bp}
            quote, line = update_line(quote, quote.version, line, values, day)
    if plan.discount_bp or plan.notes:
        quote = update_terms(quote, quote.version, {"discount_bp": plan.discount_bp, "notes": plan.notes}, day)
    quote.created_at = created
    deal.value_vnd = quote.total_vnd
    db.session.commit()
    return quote


def _submit(quote, moment):
    with happening_at(moment):
        submit_quote(quote, quote.owner, today=_local_day(moment))
    quote.submitted_at = moment
    if quote.status == "approved":  # under the approval rules: approved as it was submitted
        quote.decided_at = moment
    db.session.commit()


def _decide(demo, quote, moment, approve, comment=None):
    approver = demo.admin if quote.owner is demo.manager else demo.manager
    with happening_at(moment):
        decide(quote, approver, approve, comment, email_owner=False)
    quote.decided_at = moment
    db.session.commit()


def _send(demo, quote, moment):
    """As delivery.send_quote leaves a quote whose e-mail went out: a new link, sent, the deal at "Quote sent"."""
    quote.token_hash = hash_token(secrets.token_urlsafe(32))
    quote.recipient_email = _recipient(quote.customer)
    quote.send_state, quote.send_attempts, quote.send_error = "sent", 1, None
    if quote.status == "approved":
        quote.move_to("sent")
    quote.sent_at = moment
    deal, target = quote.deal, demo.stages["quote_sent"]
    if deal.stage.is_open and deal.stage.position < target.position:
        deal.updated_at = moment
        move_deal(deal, target, quote.owner, deal.version, now=moment)
    else:
        db.session.commit()


def _view(quote, moment):
    with happening_at(moment):
        mark_viewed(quote, now=moment)


def _accept(demo, quote, moment):
    primary = next((c for c in quote.customer.contacts if c.is_primary), None)
    with happening_at(moment):
        contract = accept_quote(quote, primary.name if primary else quote.customer.name, CUSTOMER_IP, CUSTOMER_BROWSER,
                                _local_day(moment), now=moment, email_contract=False)
    contract.created_at = contract.updated_at = moment
    handed_over = moment + DAY
    if handed_over < demo.now:  # the hand-over task Won made was done the next day
        db.session.execute(update(Activity).where(Activity.deal_id == quote.deal_id, Activity.kind == "task",
                                                  Activity.done_at.is_(None))
                           .values(done_at=handed_over, updated_at=handed_over),
                           execution_options={"synchronize_session": False})
    db.session.commit()


def _decline(demo, quote, moment, reason):
    with happening_at(moment):
        decline_quote(quote, reason, now=moment)
    deal = quote.deal
    lost_at = moment + 2 * HOUR
    deal.updated_at = lost_at
    move_deal(deal, demo.stages["lost"], quote.owner, deal.version, lost_reason=reason, now=lost_at)


def _revise(demo, quote, moment):
    """A new revision with 5 % off: the customer asked for it; v1 stays, superseded."""
    day = _local_day(moment)
    new = revise(quote, quote.version, day)
    terms = {"discount_bp": 500, "notes": "Giảm thêm 5% theo đề nghị của khách hàng."}
    new = update_terms(new, new.version, terms, day)
    new.created_at = new.updated_at = quote.updated_at = moment
    db.session.commit()
    return new


def _to_the_customer(demo, plan, quote, at, suffix=""):
    """Submit (and decide), send and let the customer open one revision, at the moments the plan gives."""
    if "submitted" + suffix in at:
        _submit(quote, at["submitted" + suffix])
    if not suffix and "approved" in at:
        _decide(demo, quote, at["approved"], approve=True)
    if not suffix and "rejected" in at:
        _decide(demo, quote, at["rejected"], approve=False, comment=plan.comment)
    if "sent" + suffix in at:
        _send(demo, quote, at["sent" + suffix])
    if "viewed" + suffix in at:
        _view(quote, at["viewed" + suffix])


def _play(demo, plan, customer):
    """Run one plan through the services, step by step, at the moments it names."""
    created, steps = plan.created, plan.steps
    if created is None:
        created, steps = renewal_steps(demo)
    clock = story_clock(demo)
    at = {name: clock - ago for name, ago in steps.items() if ago is not None}
    quote = _draft(demo, plan, customer, clock - created)
    _to_the_customer(demo, plan, quote, at)
    if "revised" in at:
        quote = _revise(demo, quote, at["revised"])
        _to_the_customer(demo, plan, quote, at, suffix="_v2")
    if "accepted" in at:
        _accept(demo, quote, at["accepted"])
    if "declined" in at:
        _decline(demo, quote, at["declined"], plan.reason)
    last = max(at.values(), default=clock - created)
    if "expired" in steps:  # nobody answered: the day after its validity it is expired
        quote.move_to("expired")
        last = at_local(quote.valid_until + DAY, 0, 5)
    quote.updated_at = last
    db.session.commit()
    return quote


def _next_step(demo, quote, n):
    """An open deal with a quote out has a next step: a follow-up call in the coming days."""
    if not quote.deal.stage.is_open or quote.status == "expired":
        return
    step = next_step_activity(quote.deal, f"Gọi theo dõi báo giá {quote.label}", demo.today + timedelta(days=1 + n % 4),
                              VN, kind="call", hour=9 + n % 7)
    step.created_at = step.updated_at = quote.updated_at
    db.session.add(step)


def add_quotes(demo):
    """Every quote story, oldest first (numbers follow the calendar), then the older notifications read."""
    pairs = list(zip(PLANS, _customers(demo)))
    pairs.sort(key=lambda pair: -(pair[0].created or renewal_steps(demo)[0]).total_seconds())
    for n, (plan, customer) in enumerate(pairs):
        _next_step(demo, _play(demo, plan, customer), n)
    read_before = story_clock(demo) - UNREAD_FOR
    for notification in db.session.scalars(select(Notification).where(Notification.created_at < read_before)):
        notification.read_at = notification.created_at + 2 * HOUR
    db.session.commit()


def contracts_ending_soon(demo):
    """Contracts ending within 30 days of the seed's today (what Today lists for renewal)."""
    return db.session.scalars(select(Contract).where(Contract.end_date >= demo.today,
                                                     Contract.end_date <= demo.today + timedelta(days=30))).all()
