"""texts: what a text was made of (its template kind and values), and room for word-like error codes

messages.template keeps {"kind", "values"} as JSON for a text composed from a template, so a gateway
that sends approved templates with parameters instead of free text (Tencent Cloud SMS: TemplateId and
TemplateParamSet) can send it; a text written by hand has none. messages.error_code grows from 16 to
64 characters: Tencent's codes are words (FailedOperation.PhoneNumberInBlacklist), Twilio's numbers.

Revision ID: 0012_tencent_texts
Revises: 0011_undo_indexes
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

revision: str = '0012_tencent_texts'
down_revision: Union[str, Sequence[str], None] = '0011_undo_indexes'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('template', sa.Text(), nullable=True))
        batch_op.alter_column('error_code', existing_type=sa.String(length=16), type_=sa.String(length=64),
                              existing_nullable=True)


def downgrade() -> None:
    op.execute("UPDATE messages SET error_code = SUBSTR(error_code, 1, 16) WHERE LENGTH(error_code) > 16")
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.alter_column('error_code', existing_type=sa.String(length=64), type_=sa.String(length=16),
                              existing_nullable=True)
        batch_op.drop_column('template')
