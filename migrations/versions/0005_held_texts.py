"""texts: a 'held' status for care texts that wait for the owner's approval (Care › Today)

Revision ID: 0005_held_texts
Revises: 0004_campaigns
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0005_held_texts'
down_revision: Union[str, Sequence[str], None] = '0004_campaigns'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD = "status IN ('queued','sending','sent','delivered','failed','unknown','cancelled')"
NEW = "status IN ('held','queued','sending','sent','delivered','failed','unknown','cancelled')"


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_messages_status'), type_='check')
        batch_op.create_check_constraint('status', NEW)


def downgrade() -> None:
    op.execute("UPDATE messages SET status = 'cancelled' WHERE status = 'held'")
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_messages_status'), type_='check')
        batch_op.create_check_constraint('status', OLD)
