"""points soon to expire: an index of the credits by expiry date, and the daily lapse snapshot

The end-of-day report's "points soon to expire" (and the care reminders' "350 points expire on 31
Dec") worked out, for every member with a credit lapsing in the window, FIFO over all of that
member's entries, and found those members by walking the whole of ix_points_entries_fifo (its first
column is the member). It now uses the algebra of FIFO expiry (app/services/ledger/points.py): the
points due by a day are ``max(0, balance - the credits not yet lapsed by that day)``, the balance
being ``members.points_balance`` (equal to its ledger: ``shopcare check``), so it reads only credits:
those lapsing in the window, by expiry date, and each such member's later and never-expiring ones.
A partial index of the credits (points > 0) by (expires_on, member_id, points) answers all three
from the index alone; it also gives the expiry run and the reminders their expiry days (a range of
expires_on) without a walk of the whole ledger.

At 200,000 members in December (year-end expiry: 117,000 members with points lapsing on 31 Dec)
that is still one look-up per lapsing member, 0.27 s. So each day's expiry run also keeps what
lapses in the report's window after its day, per member, in ``points_lapse`` (with the entry id it
was taken at, in the ``points_lapse_snapshot`` setting); the report reads it and works out live
only the members with entries since (app/services/ledger/points.py ``lapsing_summary``), checking
first that no member was erased since (counted off ``ix_members_erased``, a partial index of the
erased alone). The report's balances held (a sum over every member) scan the members table: a
covering index would save ~13 ms of a daily report at 200,000 members, but every checkout and every
imported sale that moves a balance would write it (a history import measured 12-15% slower with it
and the lapse index than without both).

Revision ID: 0017_points_lapse
Revises: 0016_campaign_chunks
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0017_points_lapse'
down_revision: Union[str, Sequence[str], None] = '0016_campaign_chunks'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

CREDITS = sa.text("points > 0")
ERASED = sa.text("erased_at IS NOT NULL")


def upgrade() -> None:
    op.create_index('ix_points_entries_lapse', 'points_entries', ['expires_on', 'member_id', 'points'],
                    sqlite_where=CREDITS, postgresql_where=CREDITS)
    op.create_table('points_lapse',
                    sa.Column('member_id', sa.Integer(), autoincrement=False, nullable=False),
                    sa.Column('points', sa.BigInteger(), nullable=False),
                    sa.PrimaryKeyConstraint('member_id', name=op.f('pk_points_lapse')))
    op.create_index('ix_points_lapse_top', 'points_lapse', ['points', 'member_id'])
    op.create_index('ix_members_erased', 'members', ['erased_at'], sqlite_where=ERASED, postgresql_where=ERASED)


def downgrade() -> None:
    op.drop_index('ix_members_erased', table_name='members')
    op.drop_index('ix_points_lapse_top', table_name='points_lapse')
    op.drop_table('points_lapse')
    op.execute("DELETE FROM settings WHERE key = 'points_lapse_snapshot'")
    op.drop_index('ix_points_entries_lapse', table_name='points_entries')
