"""The demo's people: the team and its users, customers with contacts and tags, and the price list."""
import secrets
from dataclasses import dataclass, field
from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from app.extensions import db
from app.models import Contact, Customer, Product, Tag, Team, User
from app.seed.demo_names import (
    COMPANIES, DISTRICTS, FAMILY, GIVEN, HCM, MOBILE, PERSONS, PRODUCTS, SOURCES, TAGS, TEAM_NAME, TITLES, USERS, VN,
)
from app.text import fold, normalise_phone

LONG_STANDING = COMPANIES[0][0]  # Đức Hưng: the customer with months of history (demo_activity.long_timeline)


@dataclass
class Demo:
    """What the seed has made so far, handed from one module to the next."""

    now: object
    rng: object
    stages: dict = field(default_factory=dict)  # key → Stage
    users: list = field(default_factory=list)  # admin, manager, then the three reps
    customers: list = field(default_factory=list)
    products: dict = field(default_factory=dict)  # sku → Product
    deals_of: dict = field(default_factory=dict)  # customer → [Deal]

    @property
    def today(self):
        return self.now.astimezone(VN).date()

    @property
    def admin(self):
        return self.users[0]

    @property
    def manager(self):
        return self.users[1]

    @property
    def reps(self):
        return self.users[2:]

    def customers_of(self, owner):
        return [c for c in self.customers if c.owner is owner]

    def customer_named(self, name):
        return next(c for c in self.customers if c.name == name)


def mobile(rng):
    """A random Vietnamese mobile number in E.164."""
    return normalise_phone(f"{rng.choice(MOBILE)}{rng.randint(0, 9)} {rng.randint(100, 999)} {rng.randint(100, 999)}")


def add_users(demo, password):
    """The team "Kinh doanh Miền Nam": an admin, its manager and three reps, all speaking Vietnamese."""
    team = Team(name=TEAM_NAME, created_at=demo.now - timedelta(days=400))
    password_hash = generate_password_hash(password)
    demo.users = [User(email=email, name=name, role=role, phone=normalise_phone(phone), team=team if in_team else None,
                       locale="vi", password_hash=password_hash, session_token=secrets.token_hex(16))
                  for email, name, role, phone, in_team in USERS]
    db.session.add_all([team, *demo.users])


def add_customers(demo):
    """60 companies and people over Hà Nội and TP.HCM: one in ten the manager's, the rest shared by the reps."""
    rng, now, today = demo.rng, demo.now, demo.today
    tags = {name: Tag(name=name) for name in TAGS}
    db.session.add_all(tags.values())
    entries = [(name, "company", tag, d) for name, tag, d in COMPANIES[1:]] + [(p, "person", None, None) for p in PERSONS]
    rng.shuffle(entries)
    entries.insert(0, (COMPANIES[0][0], "company", *COMPANIES[0][1:]))
    tax_codes, birthday_done, rep_turn = set(), False, 0
    for i, (name, kind, tag, district_index) in enumerate(entries):
        if i % 10 == 9:
            owner = demo.manager
        else:
            owner, rep_turn = demo.reps[rep_turn % 3], rep_turn + 1
        district_index = district_index if district_index is not None else rng.choices(
            range(len(DISTRICTS)), weights=[3 if d[1] == HCM else 2 for d in DISTRICTS])[0]
        district, province, lat, lng, wards, streets = DISTRICTS[district_index]
        wards, streets = ["Phường " + w for w in wards.split("|")], streets.split("|")
        created = now - timedelta(days=320 if name == LONG_STANDING else rng.randint(70, 300), hours=rng.randint(0, 10))
        customer = Customer(
            kind=kind, name=name, owner=owner, phone=mobile(rng), address=f"{rng.randint(1, 350)} {rng.choice(streets)}",
            ward=rng.choice(wards), district=district, province=province, lat=round(lat + rng.uniform(-0.01, 0.01), 6),
            lng=round(lng + rng.uniform(-0.01, 0.01), 6), score=rng.randint(0, 100), source=rng.choice(SOURCES),
            lifecycle="lead", created_at=created, updated_at=created + timedelta(days=rng.randint(0, 60)),
        )
        slug = "".join(fold(name).split()[-2:])
        if kind == "company":
            while (code := f"{'03' if province == HCM else '01'}{rng.randint(0, 99_999_999):08d}") in tax_codes:
                pass
            tax_codes.add(code)
            customer.tax_code = code
            customer.email = f"{rng.choice(('lienhe', 'info', 'kinhdoanh'))}@{slug}.vn.example" if rng.random() < 0.85 else None
            for n in range(rng.randint(1, 2)):
                family, given = rng.choice(FAMILY), rng.choice(GIVEN)
                customer.contacts.append(Contact(
                    name=f"{family} {given}", title=TITLES[0] if n == 0 and rng.random() < 0.5 else rng.choice(TITLES),
                    phone=mobile(rng), email=f"{fold(given).split()[-1]}.{fold(family)}@{slug}.vn.example",
                    is_primary=n == 0, created_at=created, updated_at=created))
        else:
            words = fold(name).split()
            customer.email = f"{words[-1]}.{words[1]}{rng.randint(70, 99)}@gmail.com.example" if rng.random() < 0.8 else None
            if not birthday_done:  # a leap year, so 29 February works too
                customer.birthday, birthday_done = today.replace(year=rng.choice((1984, 1988, 1992))), True
            elif rng.random() < 0.7:
                customer.birthday = date(rng.randint(1970, 1996), 1, 1) + timedelta(days=rng.randint(0, 364))
        if tag:
            customer.tags.append(tags[tag])
        if rng.random() < 0.15:
            customer.tags.append(tags["VIP"])
        demo.customers.append(customer)
    db.session.add_all(demo.customers)
    demo.deals_of = {c: [] for c in demo.customers}


def add_products(demo):
    """The price list: 15 products over every VAT rate (0, 5, 8, 10 % and not subject to VAT)."""
    demo.products = {sku: Product(sku=sku, name=name, unit=unit, price_vnd=price, vat_rate=vat,
                                  created_at=demo.now - timedelta(days=365), updated_at=demo.now - timedelta(days=30))
                     for sku, name, unit, price, vat in PRODUCTS}
    db.session.add_all(demo.products.values())
