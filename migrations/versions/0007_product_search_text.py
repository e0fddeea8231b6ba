"""products.search_text: folded SKU and name, so the product search ignores diacritics in SQL

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 15:40:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _fold(text):
    """Copy of app.text.fold at the time of writing: migrations do not import the app."""
    decomposed = unicodedata.normalize("NFD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("đ", "d").replace("Đ", "D")
    return " ".join(stripped.split()).casefold()


def upgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
    products = sa.table('products', sa.column('id', sa.Integer), sa.column('sku', sa.String),
                        sa.column('name', sa.String), sa.column('search_text', sa.Text))
    bind = op.get_bind()
    for product_id, sku, name in bind.execute(sa.select(products.c.id, products.c.sku, products.c.name)).all():
        bind.execute(products.update().where(products.c.id == product_id).values(search_text=_fold(f"{sku} {name}")))


def downgrade():
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_column('search_text')
