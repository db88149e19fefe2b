"""indexes for the members list sorted by total spent or by balance

Sorting 200,000 members by total spent (or stored value) scanned and sorted the whole table for
every page (88 ms); these partial indexes (members not erased, as the list shows) give a page
straight off the index (0.1 ms). The balance index is on the list's own expression,
wallet_principal + wallet_bonus.

Revision ID: 0014_member_sort_indexes
Revises: 0013_balance_replies
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0014_member_sort_indexes'
down_revision: Union[str, Sequence[str], None] = '0013_balance_replies'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

LIVE = sa.text("erased_at IS NULL")


def upgrade() -> None:
    op.create_index('ix_members_spent_sort', 'members', ['total_spent', 'id'], sqlite_where=LIVE,
                    postgresql_where=LIVE)
    op.create_index('ix_members_balance_sort', 'members', [sa.text('(wallet_principal + wallet_bonus)'), 'id'],
                    sqlite_where=LIVE, postgresql_where=LIVE)


def downgrade() -> None:
    op.drop_index('ix_members_balance_sort', table_name='members')
    op.drop_index('ix_members_spent_sort', table_name='members')
