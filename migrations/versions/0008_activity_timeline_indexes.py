"""activities: indexes for a customer's timeline per owner and for the latest visit

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 16:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_customer_owner_created', ['customer_id', 'owner_id', 'created_at'], unique=False)
        batch_op.create_index('ix_activities_visits', ['customer_id', 'owner_id', 'checked_in_at'], unique=False,
                              postgresql_where=sa.text('checked_in_at IS NOT NULL'),
                              sqlite_where=sa.text('checked_in_at IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_visits')
        batch_op.drop_index('ix_activities_customer_owner_created')
