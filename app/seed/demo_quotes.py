"""The demo's quotes, one story per status, made through the quote services so that numbers, totals, revisions,
approvals, contracts and notifications are those the app itself makes.

Where the real flow would e-mail someone (sending a quote, a contract, a decision) the state is set as
that flow leaves it, without the e-mail: the demo's customers have no inbox.
"""
import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import select, update

from app.extensions import db
from app.models import Activity, Contract, Notification
from app.models.users import hash_token
from app.seed.demo_clock import happening_at
from app.seed.demo_names import VN, at_local
from app.seed.demo_people import LONG_STANDING
from app.seed.demo_pipeline import add_deal
from app.services.pipeline.deals import move_deal
from app.services.quotes.answers import accept_quote, add_months, decline_quote, mark_viewed
from app.services.quotes.approvals import decide, submit_quote
from app.services.quotes.editing import add_product_line, create_quote, revise, update_line, update_terms

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
RENEWAL_IN_DAYS = 20  # one contract ends this many days after the seed runs: Today lists it for renewal
UNREAD_FOR = timedelta(hours=36)  # notifications newer than this are left unread


@dataclass
class Plan:
    """One quote's story: whose, for whom, its lines (sku, quantity, line discount bp), and when each step
    happened, as a time before the seed's now (submitted, decided, sent, viewed, answered, expired, revised)."""

    owner: str  # "an", "binh", "chi" (the reps) or "manager"
    title: str
    lines: tuple
    created: timedelta
    discount_bp: int = 0
    steps: dict = field(default_factory=dict)
    customer: str | None = None
    comment: str | None = None  # the manager's, when rejecting
    reason: str | None = None  # the customer's, when declining
    notes: str | None = None


PLANS = (
    Plan("an", "Điều hòa và máy lọc nước cho chi nhánh Quận 7", (("DH-INV-2HP", 4, 0), ("MLN-RO-10", 3, 0),
         ("BT-DH-12T", 4, 0), ("NUOC-20L", 20, 0)), 6 * HOUR, 300, customer=LONG_STANDING,
         notes="Lắp đặt trong tuần khai trương chi nhánh."),
    Plan("an", "Trang bị điều hòa cho chi nhánh mới", (("DH-INV-2HP", 8, 0), ("DH-INV-1HP", 4, 0), ("BT-DH-12T", 12, 0)),
         30 * HOUR, 1500, {"submitted": 26 * HOUR}),
    Plan("binh", "Hệ thống lọc nước RO công nghiệp cho xưởng", (("MLN-CN-500", 6, 0), ("LOC-RO-SET", 20, 0),
         ("PM-KT-1N", 1, 0)), 50 * HOUR, steps={"submitted": 47 * HOUR}),
    Plan("chi", "Phần mềm quản lý bán hàng gói 12 tháng", (("PM-BH-PRO", 12, 1200), ("PM-KT-1N", 1, 0),
         ("VPP-A4-70", 10, 0)), 75 * HOUR, steps={"submitted": 72 * HOUR, "approved": 20 * HOUR}),
    Plan("chi", "Thiết bị cho phòng khám", (("YT-HA-01", 10, 2000), ("NUOC-20L", 30, 0)), 52 * HOUR,
         steps={"submitted": 50 * HOUR, "rejected": 5 * HOUR},
         comment="Chiết khấu 20% vượt mức cho phép, đề xuất tối đa 10% và tặng thêm 1 năm bảo hành."),
    Plan("an", "Cung cấp máy lọc nước nóng lạnh văn phòng", (("MLN-NL-20", 2, 0), ("LOC-RO-SET", 4, 0),
         ("BT-MLN-TH", 12, 0)), 100 * HOUR, steps={"submitted": 99 * HOUR, "sent": 96 * HOUR}),
    Plan("binh", "Phần mềm bán hàng và văn phòng phẩm", (("PM-BH-STD", 12, 0), ("VPP-A4-70", 6, 0), ("VPP-BUT-20", 10, 0)),
         150 * HOUR, 500, {"submitted": 149 * HOUR, "sent": 146 * HOUR, "viewed": 5 * HOUR}),
    Plan("an", "Lắp đặt điều hòa Inverter 1 HP", (("DH-INV-1HP", 3, 0), ("BT-DH-12T", 3, 0)), 60 * HOUR,
         steps={"submitted": 59 * HOUR, "sent": 55 * HOUR, "viewed": 3 * HOUR}),
    Plan("an", "Gói bảo trì 12 tháng và văn phòng phẩm", (("BT-MLN-TH", 12, 0), ("LOC-RO-SET", 10, 0),
         ("VPP-A4-70", 12, 0), ("NUOC-20L", 24, 0)), 58 * DAY, 500,
         {"submitted": 58 * DAY - 2 * HOUR, "sent": 57 * DAY, "viewed": 56 * DAY, "accepted": 50 * DAY}, customer=LONG_STANDING),
    Plan("chi", "Hợp đồng bảo trì điều hòa 12 tháng", (("BT-DH-12T", 15, 0), ("LOC-RO-SET", 6, 0), ("PM-BH-STD", 12, 0)),
         None, 200, {"submitted": None, "sent": None, "viewed": None, "accepted": None}),  # timed by renewal_steps()
    Plan("binh", "Cung cấp máy lọc nước văn phòng", (("MLN-RO-10", 5, 0), ("BT-MLN-TH", 12, 0), ("PM-BH-STD", 12, 0)),
         104 * DAY, steps={"submitted": 104 * DAY - 3 * HOUR, "sent": 103 * DAY, "viewed": 102 * DAY, "accepted": 100 * DAY}),
    Plan("chi", "Văn phòng phẩm cả năm cho 30 nhân viên", (("VPP-A4-70", 40, 0), ("VPP-BUT-20", 24, 0), ("NUOC-20L", 48, 0)),
         24 * DAY, 300, {"submitted": 24 * DAY - HOUR, "sent": 23 * DAY, "viewed": 22 * DAY, "declined": 20 * DAY},
         reason="Bên khác báo giá thấp hơn khoảng 8%, giao hàng trong ngày."),
    Plan("an", "Thay lõi lọc cho 12 máy lọc nước", (("LOC-RO-SET", 12, 0), ("BT-MLN-TH", 6, 0)), 40 * DAY,
         steps={"submitted": 40 * DAY - HOUR, "sent": 39 * DAY, "expired": None}),
    Plan("binh", "Trang bị điều hòa cho văn phòng mới", (("DH-INV-2HP", 5, 0), ("DH-INV-1HP", 2, 0), ("BT-DH-12T", 7, 0)),
         14 * DAY, steps={"submitted": 14 * DAY - HOUR, "sent": 13 * DAY, "viewed": 12 * DAY, "revised": 10 * DAY,
                          "submitted_v2": 10 * DAY - HOUR, "sent_v2": 9 * DAY, "viewed_v2": 8 * DAY}),
    Plan("manager", "Hệ thống lọc nước và điều hòa cho nhà máy", (("MLN-CN-500", 5, 0), ("DH-INV-2HP", 6, 0),
         ("BT-DH-12T", 6, 0)), 30 * DAY, steps={"submitted": 30 * DAY - HOUR, "approved": 29 * DAY - 2 * HOUR,
                                                "sent": 29 * DAY - 5 * HOUR, "viewed": 28 * DAY, "accepted": 27 * DAY}),
    Plan("manager", "Phần mềm kế toán bản quyền cho 3 chi nhánh", (("PM-KT-1N", 3, 1200), ("PM-BH-PRO", 12, 0)),
         28 * HOUR, steps={"submitted": 27 * HOUR}),
)


def renewal_steps(demo):
    """The steps of the quote whose contract (CONTRACT_MONTHS long) ends RENEWAL_IN_DAYS after today."""
    accepted_day = add_months(demo.today + timedelta(days=RENEWAL_IN_DAYS), -current_app.config["CONTRACT_MONTHS"])
    accepted = demo.now - at_local(accepted_day, 10)
    return accepted + 6 * DAY, {"submitted": accepted + 6 * DAY - HOUR, "sent": accepted + 5 * DAY,
                                "viewed": accepted + 4 * DAY, "accepted": accepted}


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
            quote, line = update_line(quote, quote.version, line, {"quantity": Decimal(quantity), "discount_bp": discount_bp}, day)
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
        contract = accept_quote(quote, primary.name if primary else quote.customer.name, "113.161.72.15",
                                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
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
    new = update_terms(new, new.version, {"discount_bp": 500, "notes": "Giảm thêm 5% theo đề nghị của khách hàng."}, day)
    new.created_at = new.updated_at = quote.updated_at = moment
    db.session.commit()
    return new


def _play(demo, plan, customer):
    """Run one plan through the services, step by step, at the moments it names."""
    created, steps = plan.created, plan.steps
    if created is None:
        created, steps = renewal_steps(demo)
    at = {name: demo.now - ago for name, ago in steps.items() if ago is not None}
    quote = _draft(demo, plan, customer, demo.now - created)
    last = demo.now - created
    for suffix in ("", "_v2"):
        if "submitted" + suffix in at:
            _submit(quote, last := at["submitted" + suffix])
        if "approved" in at and not suffix:
            _decide(demo, quote, last := at["approved"], approve=True)
        if "rejected" in at and not suffix:
            _decide(demo, quote, last := at["rejected"], approve=False, comment=plan.comment)
        if "sent" + suffix in at:
            _send(demo, quote, last := at["sent" + suffix])
        if "viewed" + suffix in at:
            _view(quote, last := at["viewed" + suffix])
        if "revised" in at and not suffix:
            quote = _revise(demo, quote, last := at["revised"])
        else:
            break
    if "accepted" in at:
        _accept(demo, quote, last := at["accepted"])
    if "declined" in at:
        _decline(demo, quote, last := at["declined"], plan.reason)
    if "expired" in steps:
        last = at_local(quote.valid_until + DAY, 0, 5)
        quote.move_to("expired")
    quote.updated_at = last
    db.session.commit()


def add_quotes(demo):
    """Every quote story, oldest first (numbers follow the calendar), then the older notifications read."""
    pairs = list(zip(PLANS, _customers(demo)))
    pairs.sort(key=lambda pair: -(pair[0].created or renewal_steps(demo)[0]).total_seconds())
    for plan, customer in pairs:
        _play(demo, plan, customer)
    for notification in db.session.scalars(select(Notification).where(Notification.created_at < demo.now - UNREAD_FOR)):
        notification.read_at = notification.created_at + 2 * HOUR
    db.session.commit()


def contracts_ending_soon(demo):
    """Contracts ending within 30 days of the seed's today (what Today lists for renewal)."""
    return db.session.scalars(select(Contract).where(Contract.end_date >= demo.today,
                                                     Contract.end_date <= demo.today + timedelta(days=30))).all()
