"""quotes (one row per revision) and lines, contracts, gapless numbers, notifications, settings

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 15:10:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'number_sequences',
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('last_value', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('kind', 'year', name=op.f('pk_number_sequences')),
    )
    op.create_table(
        'settings',
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('value', sa.JSON(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('updated_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_settings_updated_by_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_settings')),
    )
    op.create_table(
        'notifications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('url', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('read_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    )
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.create_index('ix_notifications_user_read', ['user_id', 'read_at', 'created_at'], unique=False)
    op.create_table(
        'quotes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('revision', sa.Integer(), nullable=False),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('previous_id', sa.Integer(), nullable=True),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('discount_bp', sa.Integer(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=False),
        sa.Column('payment_terms', sa.Text(), nullable=True),
        sa.Column('notes', sa.Text(), nullable=True),
        sa.Column('subtotal_vnd', sa.BigInteger(), nullable=False),
        sa.Column('discount_vnd', sa.BigInteger(), nullable=False),
        sa.Column('vat_vnd', sa.BigInteger(), nullable=False),
        sa.Column('total_vnd', sa.BigInteger(), nullable=False),
        sa.Column('submitted_at', sa.DateTime(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(), nullable=True),
        sa.Column('decision_comment', sa.Text(), nullable=True),
        sa.Column('recipient_email', sa.String(length=254), nullable=True),
        sa.Column('send_state', sa.String(length=10), nullable=False),
        sa.Column('send_attempts', sa.Integer(), nullable=False),
        sa.Column('send_error', sa.Text(), nullable=True),
        sa.Column('sent_at', sa.DateTime(), nullable=True),
        sa.Column('viewed_at', sa.DateTime(), nullable=True),
        sa.Column('token_hash', sa.String(length=64), nullable=True),
        sa.Column('answered_at', sa.DateTime(), nullable=True),
        sa.Column('accepted_name', sa.String(length=200), nullable=True),
        sa.Column('accepted_ip', sa.String(length=45), nullable=True),
        sa.Column('accepted_user_agent', sa.String(length=400), nullable=True),
        sa.Column('accepted_hash', sa.String(length=64), nullable=True),
        sa.Column('decline_reason', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.CheckConstraint("status IN ('draft', 'pending_approval', 'approved', 'sent', 'viewed', 'accepted', 'declined', 'expired', 'superseded')", name=op.f('ck_quotes_status')),
        sa.CheckConstraint("send_state IN ('idle', 'sending', 'sent', 'failed')", name=op.f('ck_quotes_send_state')),
        sa.CheckConstraint('discount_bp >= 0 AND discount_bp <= 10000', name=op.f('ck_quotes_discount_range')),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_quotes_customer_id_customers'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_quotes_deal_id_deals'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_quotes_decided_by_id_users'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_quotes_owner_id_users'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['previous_id'], ['quotes.id'], name=op.f('fk_quotes_previous_id_quotes'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quotes')),
        sa.UniqueConstraint('number', 'revision', name='uq_quotes_number_revision'),
        sa.UniqueConstraint('token_hash', name=op.f('uq_quotes_token_hash')),
    )
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.create_index('ix_quotes_customer', ['customer_id', 'created_at'], unique=False)
        batch_op.create_index('ix_quotes_deal', ['deal_id', 'created_at'], unique=False)
        batch_op.create_index('ix_quotes_owner_status', ['owner_id', 'status'], unique=False)
    op.create_table(
        'quote_lines',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('quote_id', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('description', sa.String(length=500), nullable=False),
        sa.Column('unit', sa.String(length=30), nullable=False),
        sa.Column('quantity', sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column('unit_price_vnd', sa.BigInteger(), nullable=False),
        sa.Column('discount_bp', sa.Integer(), nullable=False),
        sa.Column('vat_rate', sa.Integer(), nullable=True),
        sa.Column('amount_vnd', sa.BigInteger(), nullable=False),
        sa.Column('vat_vnd', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('discount_bp >= 0 AND discount_bp <= 10000', name=op.f('ck_quote_lines_discount_range')),
        sa.CheckConstraint('quantity > 0', name=op.f('ck_quote_lines_quantity_positive')),
        sa.CheckConstraint('unit_price_vnd >= 0', name=op.f('ck_quote_lines_price_not_negative')),
        sa.CheckConstraint('vat_rate IS NULL OR vat_rate IN (0, 5, 8, 10)', name=op.f('ck_quote_lines_vat_rate')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_quote_lines_product_id_products'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_quote_lines_quote_id_quotes'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quote_lines')),
    )
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.create_index('ix_quote_lines_quote', ['quote_id', 'position'], unique=False)
    op.create_table(
        'contracts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=20), nullable=False),
        sa.Column('quote_id', sa.Integer(), nullable=False),
        sa.Column('deal_id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('start_date', sa.Date(), nullable=False),
        sa.Column('end_date', sa.Date(), nullable=False),
        sa.Column('renewal_date', sa.Date(), nullable=False),
        sa.Column('value_vnd', sa.BigInteger(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_contracts_customer_id_customers'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['deal_id'], ['deals.id'], name=op.f('fk_contracts_deal_id_deals'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_contracts_owner_id_users'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['quote_id'], ['quotes.id'], name=op.f('fk_contracts_quote_id_quotes'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contracts')),
        sa.UniqueConstraint('number', name=op.f('uq_contracts_number')),
        sa.UniqueConstraint('quote_id', name=op.f('uq_contracts_quote_id')),
    )
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contracts_customer_id'), ['customer_id'], unique=False)
        batch_op.create_index('ix_contracts_owner_end', ['owner_id', 'end_date'], unique=False)
        batch_op.create_index('ix_contracts_renewal', ['renewal_date'], unique=False)


def downgrade():
    with op.batch_alter_table('contracts', schema=None) as batch_op:
        batch_op.drop_index('ix_contracts_renewal')
        batch_op.drop_index('ix_contracts_owner_end')
        batch_op.drop_index(batch_op.f('ix_contracts_customer_id'))
    op.drop_table('contracts')
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.drop_index('ix_quote_lines_quote')
    op.drop_table('quote_lines')
    with op.batch_alter_table('quotes', schema=None) as batch_op:
        batch_op.drop_index('ix_quotes_owner_status')
        batch_op.drop_index('ix_quotes_deal')
        batch_op.drop_index('ix_quotes_customer')
    op.drop_table('quotes')
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_user_read')
    op.drop_table('notifications')
    op.drop_table('settings')
    op.drop_table('number_sequences')
