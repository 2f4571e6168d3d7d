"""webhook deliveries are recorded before they are answered; sent messages keep their receipts

Revision ID: 0004
Revises: 0003

Meta's webhook stores each signed body, answers 200 at once and routes it after; a body stored but not
yet routed (the process stopped) is routed later instead of lost. An outbox row keeps how far its message
got (WhatsApp's delivered and read), beside its own status, and is found by the platform's id for it.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('webhook_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('routed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('tries', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('digest')
    )
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_deliveries_routed_at'), ['routed_at'], unique=False)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('receipt', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('receipt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_outbox_sent_as', ['platform', 'external_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_sent_as')
        batch_op.drop_column('receipt_at')
        batch_op.drop_column('receipt')
    with op.batch_alter_table('webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_deliveries_routed_at'))
    op.drop_table('webhook_deliveries')
