"""messages remember which identity wrote them

Revision ID: 0002
Revises: 0001

A contact can have two identities on one platform (two X accounts linked to one person); replies
go to the identity that actually wrote in the conversation. Older messages keep NULL and fall back
to the contact's identity on that platform.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('identity_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_messages_identity_id', 'identities', ['identity_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint('fk_messages_identity_id', type_='foreignkey')
        batch_op.drop_column('identity_id')
