"""campaigns sent in chunks: the recipients picked once, progress, resume; a voucher's dedupe key

A campaign to tens of thousands of members was one transaction holding the write lock for most of a
minute. It is now written in chunks of well under 100 ms each: the recipients are picked once and
kept on the campaign row (``picked``: their ids, comma separated), ``done`` counts how many of them
the committed chunks have covered, ``status`` is 'sending' until the last chunk and then 'sent', and
``held`` keeps the approval decision taken when it started. A campaign found 'sending' (the app or
the command was stopped) resumes where the last committed chunk ended.

``vouchers.dedupe_key`` (unique, NULL for a voucher issued by hand) is ``campaign:<id>:<member>`` for a
campaign's voucher, as ``messages.dedupe_key`` is for its text: a chunk run twice can never issue a
second voucher to one recipient.

Revision ID: 0016_campaign_chunks
Revises: 0015_eod_indexes
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0016_campaign_chunks'
down_revision: Union[str, Sequence[str], None] = '0015_eod_indexes'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Plain ADD COLUMNs (no table rebuild on SQLite); every campaign before this one was sent whole.
    op.add_column('campaigns', sa.Column('status', sa.String(8), nullable=False, server_default='sent'))
    op.add_column('campaigns', sa.Column('total', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('campaigns', sa.Column('done', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('campaigns', sa.Column('held', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('campaigns', sa.Column('picked', sa.Text(), nullable=True))
    op.execute("UPDATE campaigns SET total = recipients, done = recipients")
    op.add_column('vouchers', sa.Column('dedupe_key', sa.String(64), nullable=True))
    op.create_index('ix_vouchers_dedupe_key', 'vouchers', ['dedupe_key'], unique=True)


def downgrade() -> None:
    op.drop_index('ix_vouchers_dedupe_key', table_name='vouchers')
    with op.batch_alter_table('vouchers') as b:
        b.drop_column('dedupe_key')
    with op.batch_alter_table('campaigns') as b:
        for col in ('picked', 'held', 'done', 'total', 'status'):
            b.drop_column(col)
