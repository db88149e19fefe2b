"""sale_lines.refunded_qty: the units of a sold line refunded so far

A refund claims the units it returns with one conditional update (refunded_qty + n <= qty), so two
tills cannot refund one line twice; `shopcare check` proves it equals the refund lines. Filled
from the refund lines already recorded.

Revision ID: 0008_refunded_qty
Revises: 0007_owner_password
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0008_refunded_qty'
down_revision: Union[str, Sequence[str], None] = '0007_owner_password'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('sale_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refunded_qty', sa.Integer(), nullable=False, server_default='0'))
    op.execute("""
        UPDATE sale_lines SET refunded_qty = (
            SELECT -SUM(r.qty) FROM sale_lines r WHERE r.original_line_id = sale_lines.id)
        WHERE id IN (SELECT original_line_id FROM sale_lines WHERE original_line_id IS NOT NULL)""")


def downgrade() -> None:
    with op.batch_alter_table('sale_lines', schema=None) as batch_op:
        batch_op.drop_column('refunded_qty')
