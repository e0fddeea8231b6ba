"""product imports run as jobs (product_imports); both imports remember a file's lines that are not UTF-8

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-09 10:00:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

def upgrade():
    op.create_table('product_imports',
    sa.Column('columns', sa.JSON(), nullable=True),
    sa.Column('upload_key', sa.String(length=40), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('encoding', sa.String(length=20), nullable=False),
    sa.Column('encoding_question', sa.JSON(), nullable=True),
    sa.Column('stored_name', sa.String(length=80), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('total_rows', sa.Integer(), nullable=False),
    sa.Column('imported_count', sa.Integer(), nullable=False),
    sa.Column('skipped_count', sa.Integer(), nullable=False),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('updated_count', sa.Integer(), nullable=False),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('report', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('uploaded', 'queued', 'running', 'imported', 'failed')", name=op.f('ck_product_imports_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_product_imports_created_by_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_product_imports')),
    sa.UniqueConstraint('upload_key', name=op.f('uq_product_imports_upload_key'))
    )
    with op.batch_alter_table('product_imports', schema=None) as batch_op:
        batch_op.create_index('ix_product_imports_creator_created', ['created_by_id', 'created_at'], unique=False)
    with op.batch_alter_table('customer_imports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('encoding_question', sa.JSON(), nullable=True))

def downgrade():
    with op.batch_alter_table('customer_imports', schema=None) as batch_op:
        batch_op.drop_column('encoding_question')
    with op.batch_alter_table('product_imports', schema=None) as batch_op:
        batch_op.drop_index('ix_product_imports_creator_created')
    op.drop_table('product_imports')
