"""The price list: saving products (audited), activating them, and finding them by name or SKU.

Search ignores diacritics ("may loc" finds "Máy lọc nước"): every word of the query is matched
against the folded SKU and name (products.search_text) in SQL.
"""
from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.models import Product
from app.models.audit import record
from app.services.common.search import like_pattern
from app.text import fold

EDITABLE = ("sku", "name", "description", "unit", "price_vnd", "vat_rate")
PAGE_SIZE = 50
PICKER_LIMIT = 20


class SkuTaken(Exception):
    """Another product already has this SKU (letter case aside)."""


def snapshot(product):
    """The audited fields of a product."""
    return {name: getattr(product, name) for name in EDITABLE + ("active",)}


def by_sku(sku, excluding=None):
    """The product with this SKU, compared without letter case, or None."""
    query = select(Product).where(func.lower(Product.sku) == sku.strip().lower())
    if excluding is not None:
        query = query.where(Product.id != excluding.id)
    return db.session.scalars(query.limit(1)).first()


def save_product(product, values, actor, ip=None):
    """Create (product None) or update a product from validated values; audited; the caller commits."""
    if by_sku(values["sku"], excluding=product) is not None:
        raise SkuTaken(values["sku"])
    creating = product is None
    before = None if creating else snapshot(product)
    if creating:
        product = Product(active=True)
        db.session.add(product)
    for name in EDITABLE:
        setattr(product, name, values[name])
    db.session.flush()
    after = snapshot(product)
    if creating:
        record("product.created", product, actor=actor, after=after, ip=ip)
    elif after != before:
        changed = [name for name in after if after[name] != before[name]]
        record("product.updated", product, actor=actor, before={k: before[k] for k in changed},
               after={k: after[k] for k in changed}, ip=ip)
    return product


def set_active(product, active, actor, ip=None):
    """Offer (active) or withdraw a product from new quotes; quotes already made keep their lines."""
    if product.active != active:
        product.active = active
        record("product.activated" if active else "product.deactivated", product, actor=actor, ip=ip)


def _matching_ids(query, active_only, limit=None):
    """Ids of the products whose folded SKU and name contain every folded word of query (active first, by name)."""
    rows = select(Product.id).order_by(Product.active.desc(), Product.name, Product.id)
    if active_only:
        rows = rows.where(Product.active.is_(True))
    for word in fold(query).split():
        rows = rows.where(Product.search_text.like(like_pattern(word), escape="\\"))
    return db.session.scalars(rows.limit(limit)).all()


@dataclass
class ProductPage:
    products: list
    has_more: bool
    total: int


def list_products(query="", page=1):
    """One page of the admin list (active first, then by name), filtered by query."""
    page = max(1, page)
    if query.strip():
        ids = _matching_ids(query, active_only=False)
        total = len(ids)
        chunk = ids[(page - 1) * PAGE_SIZE: page * PAGE_SIZE + 1]
        found = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(chunk)))}
        products = [found[i] for i in chunk if i in found]
    else:
        total = db.session.scalar(select(func.count(Product.id)))
        products = db.session.scalars(select(Product).order_by(Product.active.desc(), Product.name, Product.id)
                                      .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)).all()
    return ProductPage(products=products[:PAGE_SIZE], has_more=len(products) > PAGE_SIZE, total=total)


def pick_products(query, limit=PICKER_LIMIT):
    """Active products for the quote builder's picker, at most `limit`, by name."""
    if not query.strip():
        return db.session.scalars(select(Product).where(Product.active.is_(True))
                                  .order_by(Product.name, Product.id).limit(limit)).all()
    ids = _matching_ids(query, active_only=True, limit=limit)
    found = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids)))}
    return [found[i] for i in ids if i in found]
