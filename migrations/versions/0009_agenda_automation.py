"""agenda and automation: birthdays by month-day, nearby indexes, stale deal flag, calendar feed and digest, rule log

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 17:20:00

"""
from alembic import op
import sqlalchemy as sa

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# Plain ALTER TABLE ADD COLUMN and CREATE INDEX, no batch mode: on SQLite a batch rebuild of `customers` would
# drop the triggers that keep its search index (migration 0005) in step.


def upgrade():
    op.add_column('customers', sa.Column('birthday_md', sa.Integer(), nullable=True))
    op.create_index('ix_customers_birthday_md', 'customers', ['birthday_md', 'owner_id'], unique=False)
    # Nearby and due, covering: owners in scope (rep, team) then a latitude box; or the box alone (admin).
    op.create_index('ix_customers_owner_geo', 'customers', ['owner_id', 'lat', 'lng', 'last_contact_at', 'lifecycle'],
                    unique=False, postgresql_where=sa.text('lat IS NOT NULL'), sqlite_where=sa.text('lat IS NOT NULL'))
    op.create_index('ix_customers_lat_lng', 'customers', ['lat', 'lng', 'last_contact_at', 'lifecycle'], unique=False,
                    postgresql_where=sa.text('lat IS NOT NULL'), sqlite_where=sa.text('lat IS NOT NULL'))
    op.add_column('contacts', sa.Column('birthday_md', sa.Integer(), nullable=True))
    op.create_index(op.f('ix_contacts_birthday_md'), 'contacts', ['birthday_md'], unique=False)
    for table in ('customers', 'contacts'):
        op.execute(f"UPDATE {table} SET birthday_md = "
                   "CAST(EXTRACT(MONTH FROM birthday) AS INTEGER) * 100 + CAST(EXTRACT(DAY FROM birthday) AS INTEGER) "
                   "WHERE birthday IS NOT NULL" if op.get_bind().dialect.name == 'postgresql' else
                   f"UPDATE {table} SET birthday_md = CAST(strftime('%m', birthday) AS INTEGER) * 100 "
                   "+ CAST(strftime('%d', birthday) AS INTEGER) WHERE birthday IS NOT NULL")

    # Today: open activities by due time, new leads newest first, a rep's open deals by value, "anything open on
    # this deal?" — partial indexes: PostgreSQL orders by an index only after equalities, and IS NULL is not one.
    op.create_index('ix_activities_open_owner_due', 'activities', ['owner_id', 'due_at'], unique=False,
                    postgresql_where=sa.text('done_at IS NULL'), sqlite_where=sa.text('done_at IS NULL'))
    op.create_index('ix_customers_uncontacted', 'customers', ['owner_id', 'lifecycle', 'created_at'], unique=False,
                    postgresql_where=sa.text('last_contact_at IS NULL'), sqlite_where=sa.text('last_contact_at IS NULL'))
    op.create_index('ix_deals_open_owner_value', 'deals', ['owner_id', 'value_vnd'], unique=False,
                    postgresql_where=sa.text('closed_at IS NULL'), sqlite_where=sa.text('closed_at IS NULL'))
    op.create_index('ix_activities_open_deal', 'activities', ['deal_id'], unique=False,
                    postgresql_where=sa.text('done_at IS NULL'), sqlite_where=sa.text('done_at IS NULL'))

    op.add_column('deals', sa.Column('stale_at', sa.DateTime(), nullable=True))
    op.create_index('ix_deals_owner_stale', 'deals', ['owner_id', 'stale_at'], unique=False,
                    postgresql_where=sa.text('stale_at IS NOT NULL'), sqlite_where=sa.text('stale_at IS NOT NULL'))

    op.add_column('users', sa.Column('calendar_token_hash', sa.String(length=64), nullable=True))
    op.add_column('users', sa.Column('digest_enabled', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('users', sa.Column('digest_sent_on', sa.Date(), nullable=True))
    op.create_index('uq_users_calendar_token_hash', 'users', ['calendar_token_hash'], unique=True)

    op.create_index('ix_notifications_user_created', 'notifications', ['user_id', 'created_at', 'id'], unique=False)

    op.create_table(
        'automation_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=40), nullable=False),
        sa.Column('subject_id', sa.Integer(), nullable=False),
        sa.Column('occurrence', sa.String(length=20), nullable=False),
        sa.Column('action', sa.String(length=40), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('activity_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.String(length=300), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['activity_id'], ['activities.id'], name=op.f('fk_automation_log_activity_id_activities'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_automation_log_customer_id_customers'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_automation_log_user_id_users'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_automation_log')),
        sa.UniqueConstraint('rule', 'subject_id', 'occurrence', name='uq_automation_log_occurrence'),
    )
    op.create_index('ix_automation_log_created', 'automation_log', ['created_at'], unique=False)
    op.create_index('ix_automation_log_customer', 'automation_log', ['customer_id'], unique=False)
    op.create_table(
        'automation_runs',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rule', sa.String(length=40), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('actions', sa.Integer(), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_automation_runs')),
    )
    op.create_index('ix_automation_runs_rule_started', 'automation_runs', ['rule', 'started_at'], unique=False)


def downgrade():
    op.drop_index('ix_automation_runs_rule_started', table_name='automation_runs')
    op.drop_table('automation_runs')
    op.drop_index('ix_automation_log_customer', table_name='automation_log')
    op.drop_index('ix_automation_log_created', table_name='automation_log')
    op.drop_table('automation_log')
    op.drop_index('ix_notifications_user_created', table_name='notifications')
    op.drop_index('uq_users_calendar_token_hash', table_name='users')
    with op.batch_alter_table('users') as batch_op:
        batch_op.drop_column('digest_sent_on')
        batch_op.drop_column('digest_enabled')
        batch_op.drop_column('calendar_token_hash')
    op.drop_index('ix_deals_owner_stale', table_name='deals')
    with op.batch_alter_table('deals') as batch_op:
        batch_op.drop_column('stale_at')
    op.drop_index(op.f('ix_contacts_birthday_md'), table_name='contacts')
    with op.batch_alter_table('contacts') as batch_op:
        batch_op.drop_column('birthday_md')
    op.drop_index('ix_activities_open_deal', table_name='activities')
    op.drop_index('ix_deals_open_owner_value', table_name='deals')
    op.drop_index('ix_customers_uncontacted', table_name='customers')
    op.drop_index('ix_activities_open_owner_due', table_name='activities')
    op.drop_index('ix_customers_lat_lng', table_name='customers')
    op.drop_index('ix_customers_owner_geo', table_name='customers')
    op.drop_index('ix_customers_birthday_md', table_name='customers')
    op.drop_column('customers', 'birthday_md')  # SQLite ≥ 3.35 drops a column in place: the search triggers stay
