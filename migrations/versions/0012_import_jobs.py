"""customer imports run as jobs: queued/running states, progress, heartbeat, the file stored in instance/imports/

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 21:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

def upgrade():
    with op.batch_alter_table('customer_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stored_name', sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column('updated_count', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('rows_done', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('started_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('heartbeat_at', sa.DateTime(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_customer_imports_status'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_customer_imports_status'), "status IN ('uploaded', 'queued', 'running', 'imported', 'failed')")

def downgrade():
    op.execute("UPDATE customer_imports SET status = 'failed' WHERE status IN ('queued', 'running')")
    with op.batch_alter_table('customer_imports', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_customer_imports_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_customer_imports_status'), "status IN ('uploaded', 'imported', 'failed')")
        batch_op.drop_column('heartbeat_at')
        batch_op.drop_column('started_at')
        batch_op.drop_column('rows_done')
        batch_op.drop_column('updated_count')
        batch_op.drop_column('stored_name')
