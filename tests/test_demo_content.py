"""`flask seed demo` leaves every main page of every demo login with real content, on any date."""
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Activity, Contact, Contract, Customer, Deal, DealStageChange, Notification, Product, Quote, QuoteLine, Stage, User,
)
from app.models.quotes import QUOTE_STATUSES
from app.seed.demo import DEMO_LOGINS, DEMO_PASSWORD, load_demo
from app.seed.demo_people import LONG_STANDING
from tests.conftest import AuthActions

VN = ZoneInfo("Asia/Ho_Chi_Minh")
MODELS = (User, Customer, Contact, Deal, DealStageChange, Activity, Product, Quote, QuoteLine, Contract, Notification)
ADMIN, MANAGER, AN, BINH, CHI = (email for email, _role in DEMO_LOGINS["users"])


def row_counts():
    return {model.__name__: db.session.scalar(select(func.count()).select_from(model)) for model in MODELS}


def signed_in(app, email):
    client = app.test_client()
    response = AuthActions(client).login(email, password=DEMO_PASSWORD)
    assert response.status_code in (302, 303), f"{email} could not sign in"
    return client


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200, f"GET {path}: {response.status_code}"
    return response.get_data(as_text=True)


def count(html, css_class):
    return len(re.findall(rf'class="[^"]*\b{css_class}\b', html))


def user(email):
    return User.by_email(email)


def test_seed_twice_changes_nothing(runner):
    # How fast the seed is belongs to the README's figures, not to a timed test (a loaded CI machine took 7.5 s).
    first = runner.invoke(args=["seed", "demo"])
    assert first.exit_code == 0, first.output
    counts = row_counts()
    again = runner.invoke(args=["seed", "demo"])
    assert again.exit_code == 0 and "nothing changed" in again.output
    assert row_counts() == counts
    assert counts["Quote"] >= 16 and counts["Contract"] >= 4 and counts["Notification"] >= 20


def test_a_quote_in_every_status_consistent_with_its_lines(app):
    load_demo()
    statuses = {status for status, in db.session.execute(select(Quote.status).distinct())}
    assert statuses == set(QUOTE_STATUSES)
    for quote in db.session.scalars(select(Quote)):
        lines = quote.lines
        assert lines and quote.total_vnd == sum(l.amount_vnd for l in lines) - quote.discount_vnd + quote.vat_vnd
        sent = quote.sent_at or quote.created_at
        assert quote.created_at <= sent <= (quote.viewed_at or sent)
    rates = {rate for rate, in db.session.execute(select(QuoteLine.vat_rate).distinct())}
    assert {0, 5, 8, 10, None} <= rates
    assert db.session.scalar(select(func.count(Quote.id)).where(Quote.discount_bp > 0)) >= 3
    superseded = db.session.scalar(select(Quote).where(Quote.status == "superseded"))
    v2 = db.session.scalar(select(Quote).where(Quote.previous_id == superseded.id))
    assert (v2.number, v2.revision, v2.status) == (superseded.number, 2, "viewed") and v2.discount_bp == 500
    declined = db.session.scalar(select(Quote).where(Quote.status == "declined"))
    assert declined.decline_reason and declined.deal.stage.is_lost
    for quote in db.session.scalars(select(Quote).where(Quote.status == "accepted")):
        contract = db.session.scalar(select(Contract).where(Contract.quote_id == quote.id))
        assert contract.value_vnd == quote.total_vnd and quote.deal.stage.is_won
        assert quote.customer.lifecycle == "customer"
    expired = db.session.scalar(select(Quote).where(Quote.status == "expired"))
    assert expired.valid_until < datetime.now(VN).date()


def test_deals_spread_over_six_months_and_lifecycles_follow_them(app):
    load_demo()
    now = datetime.now(VN)
    changes = db.session.scalars(select(DealStageChange)).all()
    months = {change.changed_at.astimezone(VN).strftime("%Y-%m") for change in changes}
    assert len(months) >= 6
    won_by_month = {deal.closed_at.astimezone(VN).strftime("%Y-%m")
                    for deal in db.session.scalars(select(Deal).join(Stage).where(Stage.is_won.is_(True)))}
    assert len(won_by_month) >= 3
    assert all(change.changed_at <= now for change in changes)
    for customer in db.session.scalars(select(Customer)):
        deals = db.session.scalars(select(Deal).where(Deal.customer_id == customer.id)).all()
        if any(d.stage.is_won for d in deals):
            assert customer.lifecycle == "customer", customer.name
        if any(d.stage.is_open for d in deals):
            assert customer.lifecycle != "churned", customer.name


def test_each_login_sees_full_pages(app):
    load_demo()
    for email, role in DEMO_LOGINS["users"]:
        client = signed_in(app, email)
        today = page(client, "/")
        # the admin's Today holds the manager's quote waiting for the admin (an approval card)
        assert count(today, "agenda-item") + count(today, "approval-item") >= (1 if role == "admin" else 4), email
        board = page(client, "/pipeline")  # cards of the first column; the others load when scrolled to
        column_counts = [int(n) for n in re.findall(r'-name">[^<]+<span class="count">(\d+)</span>', board)]
        assert count(board, "deal-card") >= 1 and sum(column_counts) >= 8 and sum(map(bool, column_counts)) >= 4, email
        customers = page(client, "/customers")
        assert count(customers, "list-item") >= (6 if role == "manager" else 10), email
        card_id = re.search(r'href="/customers/(\d+)"', customers).group(1)
        card = page(client, f"/customers/{card_id}")
        assert count(card, "timeline-entry") >= 1, email
        quotes = page(client, "/quotes")
        assert count(quotes, "quote-item") >= 3, email
        bell = page(client, "/notifications")
        assert count(bell, "is-unread") >= 1 and count(bell, "notification") > count(bell, "is-unread"), email
        assert 'class="bell-count"' in today, email
        assert count(page(client, "/contracts"), "list-item") >= 1, email
        if role in ("manager", "admin"):
            assert count(page(client, "/approvals"), "approval-item") >= (2 if role == "manager" else 1), email
        if role == "manager":
            assert count(page(client, "/team"), "team-rep") == 3
        if role == "admin":
            assert count(page(client, "/admin/users"), "list-item") == 5
            assert "Kinh doanh Miền Nam" in page(client, "/admin/teams")
            assert count(page(client, "/admin/products"), "list-item") >= 15
            for path in ("/admin/stages", "/admin/automation", "/quotes/approval-rules", "/more"):
                page(client, path)


def test_every_status_on_the_admin_quote_list_and_the_manager_waits_for_two(app):
    load_demo()
    admin = signed_in(app, ADMIN)
    listed = set(re.findall(r'data-status="(\w+)"', page(admin, "/quotes")))
    assert listed == set(QUOTE_STATUSES) - {"superseded"}
    assert 'data-status="superseded"' in page(admin, "/quotes?status=superseded")
    manager_queue = page(signed_in(app, MANAGER), "/approvals")
    owners = {user(AN).name, user(BINH).name}
    assert all(name in manager_queue for name in owners)
    assert user(MANAGER).name in page(admin, "/approvals")  # the manager's own quote waits for the admin
    v2 = db.session.scalar(select(Quote).where(Quote.revision == 2))
    builder = page(signed_in(app, v2.owner.email), f"/quotes/{v2.id}")
    assert f"{v2.number} v2" in builder and 'data-status="superseded"' in builder  # its revisions, v1 included
    sent_back = db.session.scalar(select(Quote).where(Quote.status == "draft", Quote.decision_comment.is_not(None)))
    assert sent_back.decision_comment in page(signed_in(app, sent_back.owner.email), f"/quotes/{sent_back.id}")


def test_renewal_on_today_far_visit_flagged_and_a_long_timeline(app):
    afternoon = datetime.combine(datetime.now(VN).date(), datetime.min.time().replace(hour=15), VN)
    with time_machine.travel(afternoon):  # today's visits have happened by then, whenever the suite runs
        renewal_far_visit_and_timeline(app)


def renewal_far_visit_and_timeline(app):
    load_demo()
    ending = db.session.scalar(select(Contract).where(Contract.end_date <= datetime.now(VN).date() + timedelta(days=30)))
    owner = db.session.get(User, ending.owner_id)
    assert ending.number in page(signed_in(app, owner.email), "/")
    far = db.session.scalar(select(Activity).where(Activity.distance_m > 500))
    near = db.session.scalars(select(Activity).where(Activity.distance_m <= 500)).all()
    assert far is not None and near and far.checked_out_at > far.checked_in_at
    card = page(signed_in(app, far.owner.email), f"/customers/{far.customer_id}")
    assert "visit-flag" in card  # checked in 1,4 km away this morning
    team_day = page(signed_in(app, MANAGER), "/team")
    assert count(team_day, "team-visit") >= 2 and count(team_day, "is-far") == 1
    duc_hung = db.session.scalar(select(Customer).where(Customer.name == LONG_STANDING))
    an = signed_in(app, AN)
    card = page(an, f"/customers/{duc_hung.id}")
    assert count(card, "timeline-entry") >= 20 and 'class="more"' in card
    spans = [a.created_at for a in db.session.scalars(select(Activity).where(Activity.customer_id == duc_hung.id))]
    assert (max(spans) - min(spans)).days >= 240


def test_a_sent_quote_has_a_pdf(app):
    load_demo()
    quote = db.session.scalar(select(Quote).where(Quote.status == "sent"))
    client = signed_in(app, quote.owner.email)
    response = client.get(f"/quotes/{quote.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")


@pytest.mark.parametrize("local_moment", [
    datetime(2028, 2, 29, 23, 50, tzinfo=VN),  # a leap day, ten minutes before midnight
    datetime(2027, 12, 31, 23, 59, tzinfo=VN),  # the last minute of a year
    datetime(2027, 3, 31, 0, 5, tzinfo=VN),  # a month end just after midnight
    datetime(2028, 1, 31, 12, 0, tzinfo=VN),  # a month end at noon, one month before a 29 February
])
def test_the_seed_works_on_awkward_dates(app, local_moment):
    with time_machine.travel(local_moment, tick=False):
        assert load_demo()
        today = local_moment.date()
        assert {s for s, in db.session.execute(select(Quote.status).distinct())} == set(QUOTE_STATUSES)
        ending = db.session.scalars(select(Contract).where(Contract.end_date >= today,
                                                          Contract.end_date <= today + timedelta(days=30))).all()
        assert len(ending) == 1
        assert db.session.scalar(select(func.max(Activity.created_at))) <= local_moment
        assert db.session.scalar(select(func.max(Notification.created_at))) <= local_moment
        assert db.session.scalar(select(func.count(Notification.id)).where(Notification.read_at.is_(None))) >= 5
        client = signed_in(app, ending[0].owner.email)
        assert ending[0].number in page(client, "/")
