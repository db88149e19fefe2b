"""staff: the owner's password (argon2), asked for exports, balance adjustments and settings

password_hash is set for owners only (NULL for everyone else, and for an owner who has not set one
yet); password_failed counts wrong tries since the last right one, and password_locked_until
stops further tries for a while after too many.

Revision ID: 0007_owner_password
Revises: 0006_audit_append_only
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0007_owner_password'
down_revision: Union[str, Sequence[str], None] = '0006_audit_append_only'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column('password_failed', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('password_locked_until', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('staff', schema=None) as batch_op:
        batch_op.drop_column('password_locked_until')
        batch_op.drop_column('password_failed')
        batch_op.drop_column('password_hash')
