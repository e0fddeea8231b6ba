"""deals.search_text: folded title for diacritic-insensitive pipeline search

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 13:00:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def _fold(text):
    """Copy of app.text.fold at the time of writing: migrations do not import the app."""
    decomposed = unicodedata.normalize("NFD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("đ", "d").replace("Đ", "D")
    return " ".join(stripped.split()).casefold()


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('search_text', sa.Text(), nullable=False, server_default=''))
    deals = sa.table('deals', sa.column('id', sa.Integer), sa.column('title', sa.String), sa.column('search_text', sa.Text))
    bind = op.get_bind()
    for deal_id, title in bind.execute(sa.select(deals.c.id, deals.c.title)).all():
        bind.execute(deals.update().where(deals.c.id == deal_id).values(search_text=_fold(title)))


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_column('search_text')
