"""pipeline totals from the index alone: (owner_id, stage_id, value_vnd) replaces (owner_id, stage_id)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 12:30:00

"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index('ix_deals_owner_stage_value', ['owner_id', 'stage_id', 'value_vnd'], unique=False)
        batch_op.drop_index('ix_deals_owner_stage')


def downgrade():
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.create_index('ix_deals_owner_stage', ['owner_id', 'stage_id'], unique=False)
        batch_op.drop_index('ix_deals_owner_stage_value')
