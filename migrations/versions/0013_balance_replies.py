"""replies: a 'balance' action for balance queries answered by text, and when the shop read a reply

A member's reply of 余额 / BAL (the shop's keywords) is answered with the balances (action
'balance'); replies nothing understood stay 'none' and show in Messages › Replies until marked read
(``read_at``).

Revision ID: 0013_balance_replies
Revises: 0012_tencent_texts
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0013_balance_replies'
down_revision: Union[str, Sequence[str], None] = '0012_tencent_texts'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

OLD = "action IN ('stop','start','score','none')"
NEW = "action IN ('stop','start','score','balance','none')"


def upgrade() -> None:
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_inbound_messages_action'), type_='check')
        batch_op.create_check_constraint('action', NEW)
        batch_op.add_column(sa.Column('read_at', sa.DateTime(), nullable=True))


def downgrade() -> None:
    op.execute("UPDATE inbound_messages SET action = 'none' WHERE action = 'balance'")
    with op.batch_alter_table('inbound_messages', schema=None) as batch_op:
        batch_op.drop_column('read_at')
        batch_op.drop_constraint(op.f('ck_inbound_messages_action'), type_='check')
        batch_op.create_check_constraint('action', OLD)
