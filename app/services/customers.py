"""Finding customers a user may see, and what their card shows."""
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Activity, Customer, Deal
from app.services.scope import get_visible_or_404, visible_to
from app.text import search_terms

PAGE_SIZE = 20
MAX_PAGE = 500


def search_customers(user, query="", page=1):
    """(customers, has_more) for one page of the user's customers matching query, newest first."""
    page = min(max(page, 1), MAX_PAGE)
    stmt = visible_to(Customer, user).options(selectinload(Customer.owner))
    for term in search_terms(query):
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(Customer.search_text.like(f"%{escaped}%", escape="\\"))
    stmt = stmt.order_by(Customer.updated_at.desc(), Customer.id.desc())
    rows = db.session.scalars(stmt.offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


def customer_card(user, customer_id):
    """(customer, open deals, recent activities) for the card; 404 when not visible to user."""
    customer = get_visible_or_404(Customer, customer_id, user)
    # A customer can have deals and notes of other owners (e.g. after a hand-over): each is scoped too.
    deals = db.session.scalars(
        visible_to(Deal, user).where(Deal.customer_id == customer.id)
        .options(selectinload(Deal.stage)).order_by(Deal.updated_at.desc()).limit(20)
    ).all()
    activities = db.session.scalars(
        visible_to(Activity, user).where(Activity.customer_id == customer.id)
        .order_by(Activity.created_at.desc()).limit(20)
    ).all()
    return customer, deals, activities
