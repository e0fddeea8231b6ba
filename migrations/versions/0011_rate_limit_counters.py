"""rate_limit_counters: sign-in attempts counted in the database, shared by every worker (without Redis)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 20:40:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rate_limit_counters',
        sa.Column('key', sa.String(length=600), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('expires_at', sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters')),
    )
    op.create_index('ix_rate_limit_counters_expires_at', 'rate_limit_counters', ['expires_at'], unique=False)


def downgrade():
    op.drop_index('ix_rate_limit_counters_expires_at', table_name='rate_limit_counters')
    op.drop_table('rate_limit_counters')
