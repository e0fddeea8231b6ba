"""deal stage log: the value before and after a move that changed it (won from an accepted quote)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 20:35:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN (nullable, no default): no batch rebuild of the table on SQLite.
    op.add_column('deal_stage_changes', sa.Column('value_before_vnd', sa.BigInteger(), nullable=True))
    op.add_column('deal_stage_changes', sa.Column('value_after_vnd', sa.BigInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table('deal_stage_changes') as batch_op:
        batch_op.drop_column('value_after_vnd')
        batch_op.drop_column('value_before_vnd')
