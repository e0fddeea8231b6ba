"""default pipeline stages: a fresh install has a usable pipeline

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 12:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

# Copied, not imported: a migration must keep meaning the same thing when the app changes.
STAGES = (
    ("new", "Mới", "New", 1, 10, False, False),
    ("consulting", "Đang tư vấn", "Consulting", 2, 25, False, False),
    ("quote_sent", "Đã gửi báo giá", "Quote sent", 3, 50, False, False),
    ("negotiation", "Đàm phán", "Negotiation", 4, 75, False, False),
    ("won", "Thắng", "Won", 5, 100, True, False),
    ("lost", "Thua", "Lost", 6, 0, False, True),
)

stages = sa.table(
    "stages",
    sa.column("key", sa.String), sa.column("name_vi", sa.String), sa.column("name_en", sa.String),
    sa.column("position", sa.Integer), sa.column("probability", sa.Integer),
    sa.column("is_won", sa.Boolean), sa.column("is_lost", sa.Boolean), sa.column("stale_after_days", sa.Integer),
)


def upgrade():
    existing = op.get_bind().execute(sa.text("SELECT COUNT(*) FROM stages")).scalar()
    if existing:
        return
    op.bulk_insert(stages, [
        dict(key=key, name_vi=vi, name_en=en, position=pos, probability=prob, is_won=won, is_lost=lost, stale_after_days=14)
        for key, vi, en, pos, prob, won, lost in STAGES
    ])


def downgrade():
    op.execute(stages.delete().where(stages.c.key.in_([s[0] for s in STAGES])))
