"""Factories that add, commit and return model instances with sensible defaults."""
import itertools
from datetime import timedelta

from app.extensions import db
from app.models import Activity, Customer, Deal, Stage, Team, User
from app.models.base import utcnow
from app.seed.demo import ensure_stages
from tests.conftest import PASSWORD

_seq = itertools.count(1)


def make_team(name=None):
    team = Team(name=name or f"Nhóm {next(_seq)}")
    db.session.add(team)
    db.session.commit()
    return team


def make_user(role="rep", team=None, password=PASSWORD, **overrides):
    n = next(_seq)
    user = User(
        email=overrides.pop("email", f"user{n}@example.vn"),
        name=overrides.pop("name", f"Nhân viên Số {n}"),
        role=role,
        team=team,
        **overrides,
    )
    if password:
        user.set_password(password)
    db.session.add(user)
    db.session.commit()
    return user


def make_customer(owner, **overrides):
    n = next(_seq)
    values = dict(name=f"Công ty Khách hàng {n}", kind="company", lifecycle="lead", owner=owner)
    values.update(overrides)
    customer = Customer(**values)
    db.session.add(customer)
    db.session.commit()
    return customer


def stage(key):
    """The default stage with this key (the stages are created and committed when missing)."""
    ensure_stages()
    db.session.commit()
    return db.session.scalar(db.select(Stage).where(Stage.key == key))


def make_deal(customer, stage_key="new", **overrides):
    values = dict(title=f"Cơ hội {next(_seq)}", value_vnd=10_000_000, owner=customer.owner, customer=customer)
    values.update(overrides)
    deal = Deal(stage=stage(stage_key), **values)
    db.session.add(deal)
    db.session.commit()
    return deal


def later_today():
    """A time still ahead and still today in Ho Chi Minh City, whatever the hour the suite runs (an hour from
    now is tomorrow there after 23:00): halfway between now and local midnight."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (midnight - now) / 2


def make_activity(owner, customer=None, due_in=None, **overrides):
    """An open activity, due later today (local) unless due_in says otherwise."""
    due_in = later_today() if due_in is None else due_in
    values = dict(kind="call", subject="Gọi điện chăm sóc", owner=owner, customer=customer, due_at=utcnow() + due_in)
    values.update(overrides)
    activity = Activity(**values)
    db.session.add(activity)
    db.session.commit()
    return activity


def make_contact(customer, **overrides):
    from app.models import Contact

    values = dict(name=f"Anh Liên hệ {next(_seq)}", customer=customer)
    values.update(overrides)
    contact = Contact(**values)
    db.session.add(contact)
    db.session.commit()
    return contact


def make_stage_change(deal, to_key, changed_at=None, by=None, from_key=None):
    """A recorded move of deal into stage to_key (the deal itself is not moved)."""
    from app.models import DealStageChange

    change = DealStageChange(deal=deal, to_stage=stage(to_key), from_stage=stage(from_key) if from_key else None,
                             changed_by=by, changed_at=changed_at or utcnow())
    db.session.add(change)
    db.session.commit()
    return change


def make_product(**overrides):
    from app.models import Product

    n = next(_seq)
    values = dict(sku=f"SP-{n:04d}", name=f"Sản phẩm {n}", unit="cái", price_vnd=100_000, vat_rate=10)
    values.update(overrides)
    product = Product(**values)
    db.session.add(product)
    db.session.commit()
    return product


def make_quote(deal, lines=(), status=None, **overrides):
    """A quote for deal made by the quote service (BG number, totals), with lines given as dicts of
    QuoteLine values (description, quantity, unit_price_vnd; unit, discount_bp, vat_rate optional);
    status and other column values are then set directly."""
    from decimal import Decimal

    from app.formatting import local_today
    from app.models import QuoteLine
    from app.services.quotes.pricing import apply_totals
    from app.services.quotes.editing import create_quote

    quote = create_quote(deal, deal.owner, local_today())
    for position, values in enumerate(lines, start=1):
        line = dict(unit="cái", discount_bp=0, vat_rate=10, position=position)
        line.update(values)
        line["quantity"] = Decimal(str(line["quantity"]))
        quote.lines.append(QuoteLine(**line))
    for name, value in overrides.items():
        setattr(quote, name, value)
    if status:
        quote.status = status
    apply_totals(quote)
    db.session.commit()
    return quote
