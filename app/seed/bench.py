"""Benchmark data at scale (`flask seed bench`): deterministic, realistic, bulk-inserted.

Rows go in through Core `insert()` in batches with explicit ids, so 100,000
customers and 500,000 activities load in minutes rather than hours.
"""
import math
from decimal import Decimal
import secrets
from datetime import date, timedelta
from random import Random

from sqlalchemy import func, insert, select, text
from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import (
    Activity, Contract, Customer, Deal, DealStageChange, NumberSequence, Product, Quote, QuoteLine, Stage, Team, User,
)
from app.models.activities import OUTCOMES
from app.models.base import utcnow
from app.seed.demo_names import (
    DEAL_TITLES, DISTRICTS, FAMILY, GIVEN, LOST_REASONS, MOBILE, PRODUCTS, SOURCES, SUBJECTS, TITLES,
)
from app.seed.demo_names import at_local as _at
from app.seed.demo_pipeline import ensure_stages
from app.formatting import local_today
from app.text import fold

BENCH_PASSWORD = "bench-password"
BATCH = 5000
REGIONS = ("Miền Nam", "Miền Bắc", "Miền Trung", "Đông Nam Bộ", "Tây Nam Bộ")
TRADES = ("Thương mại", "Dịch vụ", "Xây dựng", "Thực phẩm", "Điện máy", "Nội thất", "Vận tải", "Dược phẩm", "Công nghệ")
BRANDS = ("Đức Hưng", "Hòa Phát", "Minh Long", "Phú Thịnh", "Sen Vàng", "Thành Công", "Ánh Dương", "Bình Minh",
          "Tân Tiến", "Hưng Thịnh", "Phúc Lộc", "An Khang", "Việt Tiến", "Trường Sơn", "Hồng Hà", "Kim Long")
SHOPS = ("Cửa hàng", "Nhà hàng", "Tiệm", "Đại lý", "Phòng khám", "Nhà thuốc", "Quán cà phê", "Siêu thị mini")
KINDS = ("call", "call", "call", "visit", "visit", "meeting", "note", "task", "zalo")
STAGE_WEIGHTS = (("new", 30), ("consulting", 25), ("quote_sent", 15), ("negotiation", 15), ("won", 9), ("lost", 6))
LIFECYCLE_WEIGHTS = (("lead", 40), ("prospect", 30), ("customer", 22), ("churned", 8))


def _insert(model, rows):
    """Bulk insert rows (dicts with the same keys) in batches, through Core: one executemany per batch."""
    statement = insert(model.__table__)
    for start in range(0, len(rows), BATCH):
        db.session.execute(statement, rows[start:start + BATCH])


def _reset_sequences(*models):
    """PostgreSQL: move id sequences past the explicit ids we inserted."""
    if db.engine.dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 1))"
        ))


QUOTE_STATUS_WEIGHTS = (("draft", 25), ("pending_approval", 10), ("approved", 10), ("sent", 20), ("viewed", 15),
                        ("accepted", 12), ("declined", 5), ("expired", 3))
SENT_STATUSES = ("sent", "viewed", "accepted", "declined", "expired")


def _load_quotes(rng, quotes, rep_ids, deals_of_owner, now, today):
    """The demo price list plus generated products, and quotes of 1–6 lines priced by app.services.quotes.pricing."""
    from types import SimpleNamespace

    from app.services.quotes.pricing import price

    products = [dict(sku=sku, name=name, unit=unit, price_vnd=cost, vat_rate=vat) for sku, name, unit, cost, vat in PRODUCTS]
    for n in range(200 - len(products)):
        products.append(dict(sku=f"SP-{n + 1:04d}", name=f"{rng.choice(TRADES)} gói {n + 1}", unit=rng.choice(("cái", "bộ", "gói", "tháng")),
                             price_vnd=rng.choice((150_000, 490_000, 1_200_000, 3_500_000, 9_900_000)),
                             vat_rate=rng.choice((0, 5, 8, 10, 10, 10, None))))
    for pid, row in enumerate(products, start=1):
        row.update(id=pid, description=None, active=True, search_text=fold(f"{row['sku']} {row['name']}"),
                   created_at=now, updated_at=now)
    _insert(Product, products)
    statuses = [key for key, weight in QUOTE_STATUS_WEIGHTS for _ in range(weight)]
    quote_rows, line_rows, contract_rows, line_id = [], [], [], 0
    owners = [r for r in rep_ids if deals_of_owner.get(r)]
    for qid in range(1, quotes + 1):
        owner = owners[qid % len(owners)]
        deal_id, customer_id = rng.choice(deals_of_owner[owner])
        lines = []
        for position in range(rng.randint(1, 6)):
            product = rng.choice(products)
            lines.append(SimpleNamespace(
                id=(line_id := line_id + 1), quote_id=qid, position=position, product_id=product["id"],
                description=product["name"], unit=product["unit"], quantity=Decimal(rng.choice((1, 2, 3, 5, 10))),
                unit_price_vnd=product["price_vnd"], discount_bp=rng.choice((0, 0, 0, 500, 1000, 1500)),
                vat_rate=product["vat_rate"]))
        discount_bp = rng.choice((0, 0, 0, 200, 500))
        totals = price(lines, discount_bp)
        for line, amounts in zip(lines, totals.lines):
            line_rows.append(dict(vars(line), amount_vnd=amounts.amount_vnd, vat_vnd=amounts.vat_vnd))
        created = now - timedelta(days=rng.randint(0, 120), minutes=rng.randint(0, 600))
        status = rng.choice(statuses)
        quote_rows.append(dict(
            id=qid, number=f"BG-{today.year}-{qid:05d}", revision=1, deal_id=deal_id, customer_id=customer_id,
            owner_id=owner, previous_id=None, status=status, discount_bp=discount_bp,
            valid_until=created.date() + timedelta(days=15), payment_terms="Thanh toán 100% trong 15 ngày kể từ ngày xuất hóa đơn.",
            notes=None, subtotal_vnd=totals.subtotal_vnd, discount_vnd=totals.discount_vnd, vat_vnd=totals.vat_vnd,
            total_vnd=totals.total_vnd, send_state="sent" if status in ("sent", "viewed", "accepted", "declined", "expired") else "idle",
            send_attempts=0, version=1, created_at=created, updated_at=created,
            sent_at=(sent := created + timedelta(hours=2)) if status in SENT_STATUSES else None,
            viewed_at=sent + timedelta(hours=20) if status in ("viewed", "accepted", "declined") else None,
            submitted_at=created + timedelta(hours=1) if status == "pending_approval" else None))
        if status == "accepted":  # a contract of a year, some of them ending within the next month
            start = created.date() + timedelta(days=1)
            end = today + timedelta(days=rng.randint(-30, 365))
            contract_rows.append(dict(number=f"HD-{today.year}-{len(contract_rows) + 1:05d}", quote_id=qid, deal_id=deal_id,
                                      customer_id=customer_id, owner_id=owner, start_date=start, end_date=end,
                                      renewal_date=end - timedelta(days=30), value_vnd=totals.total_vnd,
                                      created_at=created, updated_at=created))
        if len(line_rows) >= BATCH:
            _insert(Quote, quote_rows)
            _insert(QuoteLine, line_rows)
            quote_rows, line_rows = [], []
    _insert(Quote, quote_rows)
    _insert(QuoteLine, line_rows)
    _insert(Contract, contract_rows)
    if quotes:
        _insert(NumberSequence, [dict(kind="BG", year=today.year, last_value=quotes),
                                 dict(kind="HD", year=today.year, last_value=len(contract_rows))])


def _person(rng):
    return f"{rng.choice(FAMILY)} {rng.choice(GIVEN)}"


def _company(rng, district):
    roll = rng.random()
    if roll < 0.45:
        return f"Công ty TNHH {rng.choice(TRADES)} {rng.choice(BRANDS)}"
    if roll < 0.6:
        return f"Công ty Cổ phần {rng.choice(TRADES)} {rng.choice(BRANDS)}"
    return f"{rng.choice(SHOPS)} {rng.choice(BRANDS)} {district}"


def _phone(rng):
    return f"+84{rng.choice(MOBILE)[1:]}{rng.randint(1_000_000, 9_999_999)}"


def _amount(rng):
    """A deal value spread like a real SME's: median ~30 million đồng, long tail to ~2 billion."""
    value = math.exp(rng.gauss(math.log(30_000_000), 1.1))
    return int(min(max(value, 2_000_000), 2_000_000_000) // 100_000 * 100_000)


def _weighted(rng, pairs):
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def load_bench(reps=50, customers=100_000, deals=50_000, activities=500_000, quotes=20_000, seed=42, now=None,
               echo=print):
    """Fill an empty database with benchmark data; returns the row counts."""
    if db.session.scalar(select(func.count(User.id))):
        raise RuntimeError("the database already has users: bench data goes into an empty database")
    rng = Random(seed)
    now = now or utcnow()
    stages = {s.key: s for s in ensure_stages()}
    db.session.commit()

    password_hash = generate_password_hash(BENCH_PASSWORD)
    team_count = max(1, math.ceil(reps / 10))
    _insert(Team, [dict(id=i + 1, name=f"Kinh doanh {REGIONS[i % len(REGIONS)]} {i // len(REGIONS) + 1}", created_at=now)
                   for i in range(team_count)])
    users = [dict(id=1, email="admin@bench.fieldcrm.vn", name="Quản trị hệ thống", role="admin", team_id=None)]
    users += [dict(id=2 + t, email=f"manager{t + 1}@bench.fieldcrm.vn", name=_person(rng), role="manager", team_id=t + 1)
              for t in range(team_count)]
    first_rep = 2 + team_count
    users += [dict(id=first_rep + r, email=f"rep{r + 1}@bench.fieldcrm.vn", name=_person(rng), role="rep",
                   team_id=r % team_count + 1) for r in range(reps)]
    for user in users:
        user.update(phone=_phone(rng), active=True, locale="vi", timezone="Asia/Ho_Chi_Minh",
                    password_hash=password_hash, session_token=secrets.token_hex(16), created_at=now, updated_at=now)
    _insert(User, users)
    rep_ids = [first_rep + r for r in range(reps)]
    echo(f"users: {len(users)} in {team_count} teams")

    customer_rows = []
    owner_of = {}
    for cid in range(1, customers + 1):
        district, province, lat, lng, wards, streets = rng.choice(DISTRICTS)
        is_company = rng.random() < 0.7
        name = _company(rng, district) if is_company else f"{rng.choice(('Anh', 'Chị'))} {_person(rng)}"
        phone = _phone(rng)
        owner = rep_ids[cid % reps]
        owner_of[cid] = owner
        tax_code = f"{cid:010d}" if is_company else None
        updated = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
        # People have birthdays (the agenda's and the greeting rule's); most customers were contacted lately.
        birthday = (date(rng.randint(1960, 2000), rng.randint(1, 12), rng.randint(1, 28))
                    if not is_company and rng.random() < 0.6 else None)
        contacted = now - timedelta(minutes=rng.randint(60, 60 * 24 * 120)) if rng.random() < 0.7 else None
        customer_rows.append(dict(
            id=cid, kind="company" if is_company else "person", name=name, tax_code=tax_code, phone=phone,
            email=f"lienhe{cid}@khachhang.vn" if rng.random() < 0.6 else None,
            address=f"{rng.randint(1, 450)} {rng.choice(streets.split('|'))}", ward=f"Phường {rng.choice(wards.split('|'))}",
            district=district, province=province, lat=lat + rng.uniform(-0.01, 0.01), lng=lng + rng.uniform(-0.01, 0.01),
            lifecycle=_weighted(rng, LIFECYCLE_WEIGHTS), source=rng.choice(SOURCES), owner_id=owner,
            score=rng.randint(0, 100), version=1, created_at=updated - timedelta(days=rng.randint(0, 400)), updated_at=updated,
            birthday=birthday, birthday_md=birthday.month * 100 + birthday.day if birthday else None,
            last_contact_at=contacted,
            search_text=fold(" ".join(p for p in (name, tax_code, phone[3:], district, province) if p)),
        ))
    _insert(Customer, customer_rows)
    del customer_rows
    echo(f"customers: {customers}")

    deal_rows, change_rows = [], []
    order = [key for key, _w in STAGE_WEIGHTS]
    today = local_today()
    for did in range(1, deals + 1):
        customer_id = rng.randint(1, customers)
        key = _weighted(rng, STAGE_WEIGHTS)
        stage = stages[key]
        entered = now - timedelta(hours=rng.randint(1, 24 * 60))
        closed = entered if not stage.is_open else None
        deal_rows.append(dict(
            id=did, customer_id=customer_id, owner_id=owner_of[customer_id], stage_id=stage.id,
            title=(title := rng.choice(DEAL_TITLES).format(n=rng.choice((2, 5, 10, 20, 50)))), search_text=fold(title),
            value_vnd=_amount(rng),
            expected_close=today + timedelta(days=rng.randint(-10, 90)) if stage.is_open else None,
            lost_reason=rng.choice(LOST_REASONS) if stage.is_lost else None, stage_entered_at=entered, closed_at=closed,
            version=1, created_at=entered - timedelta(days=rng.randint(1, 60)), updated_at=entered,
        ))
        path = order[:order.index(key) + 1] if key != "lost" else order[:rng.randint(1, 4)] + ["lost"]
        previous = None
        for step, step_key in enumerate(path):
            change_rows.append(dict(deal_id=did, from_stage_id=previous, to_stage_id=stages[step_key].id,
                                    changed_by_id=owner_of[customer_id],
                                    changed_at=entered - timedelta(days=3 * (len(path) - 1 - step))))
            previous = stages[step_key].id
    _insert(Deal, deal_rows)
    _insert(DealStageChange, change_rows)
    echo(f"deals: {deals}, stage changes: {len(change_rows)}")
    del change_rows

    deals_of_owner = {}
    for row in deal_rows:
        deals_of_owner.setdefault(row["owner_id"], []).append((row["id"], row["customer_id"]))
    del deal_rows
    customers_of_owner = {}
    for cid, owner in owner_of.items():
        customers_of_owner.setdefault(owner, []).append(cid)
    # rep1's first customer is a long-standing account: 1,000 of the activities are with it (the
    # benchmark opens its card to check that a long timeline still renders its first page fast).
    busy_customer, busy_left = min(customers_of_owner[rep_ids[0]]), min(1000, activities // reps)
    rows = []
    for aid in range(1, activities + 1):
        owner = rep_ids[aid % reps]
        if owner == rep_ids[0] and busy_left:
            busy_left -= 1
            deal_id, customer_id = None, busy_customer
        elif deals_of_owner.get(owner) and rng.random() < 0.4:
            deal_id, customer_id = rng.choice(deals_of_owner[owner])
        else:
            deal_id, customer_id = None, rng.choice(customers_of_owner[owner])
        kind = rng.choice(KINDS)
        roll = rng.random()
        if roll < 0.75:  # done in the past 180 days
            done = now - timedelta(minutes=rng.randint(10, 60 * 24 * 180))
            due = done
        elif roll < 0.8:  # overdue
            due, done = now - timedelta(hours=rng.randint(2, 24 * 14)), None
        elif roll < 0.83:  # today, business hours
            due, done = _at(today, rng.randint(8, 17), rng.choice((0, 15, 30, 45))), None
        else:  # upcoming
            due, done = now + timedelta(hours=rng.randint(24, 24 * 30)), None
        rows.append(dict(
            id=aid, kind=kind, subject=rng.choice(SUBJECTS[kind]), owner_id=owner, customer_id=customer_id,
            deal_id=deal_id, due_at=due, done_at=done, created_at=due - timedelta(days=1), updated_at=done or due,
            outcome=rng.choice(OUTCOMES) if kind == "call" and done else None,
            body=f"{rng.choice(TITLES)} hẹn trao đổi thêm." if done and rng.random() < 0.3 else None,
        ))
        if len(rows) >= 50_000:
            _insert(Activity, rows)
            rows = []
    _insert(Activity, rows)
    echo(f"activities: {activities}")
    del rows
    _load_quotes(rng, quotes, rep_ids, deals_of_owner, now, today)
    echo(f"quotes: {quotes}")
    _reset_sequences(Team, User, Customer, Deal, DealStageChange, Activity, Product, Quote, QuoteLine, Contract)
    db.session.commit()
    # Fresh planner statistics: right after a bulk load PostgreSQL (and SQLite) would plan blind. On
    # PostgreSQL also VACUUM, as autovacuum soon would: index-only scans need the visibility map.
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return {"users": len(users), "customers": customers, "deals": deals, "activities": activities}
