"""`flask seed demo`: deterministic Vietnamese demo data that shows every page with real content.

The story is told relative to the moment the seed runs (Asia/Ho_Chi_Minh), by these modules in turn:
demo_people (users, customers, products), demo_pipeline (deals and their history, lifecycles),
demo_activity (agendas, visits, a customer with months of history) and demo_quotes (a quote in every
status, contracts, notifications). The words they use are in demo_names.
"""
from random import Random

from sqlalchemy import func, select

from app.extensions import db
from app.models import User
from app.models.base import utcnow
from app.seed import demo_activity, demo_people, demo_pipeline, demo_quotes
from app.seed.demo_pipeline import ensure_stages  # noqa: F401 - also the bench seed's

DEMO_PASSWORD = "fieldcrm-demo"
DEMO_LOGINS = {"password": DEMO_PASSWORD, "users": [
    ("admin@demo.fieldcrm.vn", "admin"),
    ("quanly@demo.fieldcrm.vn", "manager"),
    ("an.nguyen@demo.fieldcrm.vn", "rep"),
    ("binh.tran@demo.fieldcrm.vn", "rep"),
    ("chi.le@demo.fieldcrm.vn", "rep"),
]}


def load_demo(now=None):
    """Fill an empty database with demo data; returns False (changing nothing) when users already exist."""
    if User.by_email(DEMO_LOGINS["users"][0][0]) or db.session.scalar(select(func.count(User.id))):
        return False
    demo = demo_people.Demo(now=now or utcnow(), rng=Random(2026))
    demo.stages = {stage.key: stage for stage in ensure_stages()}
    demo_people.add_users(demo, DEMO_PASSWORD)
    demo_people.add_customers(demo)
    demo_people.add_products(demo)
    demo_pipeline.add_general_deals(demo)
    db.session.commit()
    demo_activity.first_notes(demo)
    demo_activity.long_timeline(demo)
    demo_activity.add_agendas(demo)
    demo_activity.add_visits(demo)
    demo_quotes.add_quotes(demo)
    demo_pipeline.align_lifecycles(demo)
    return True
