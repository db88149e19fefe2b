"""import batches: every import recorded (who, when, file, counts), its rows tagged, for undo

import_batches records each import; import_changes keeps the values an ``--update`` import
replaced. members, sales, products, stock_entries, wallet_entries, points_entries, count_cards and
count_card_entries gain import_batch_id (NULL for rows not imported), indexed where an undo looks
rows up by it. Plain columns added in place: no table is rebuilt, so the upgrade is quick on a
shop with years of sales.

Revision ID: 0010_import_batches
Revises: 0009_catalogue
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0010_import_batches'
down_revision: Union[str, Sequence[str], None] = '0009_catalogue'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

TAGGED = ('members', 'sales', 'products', 'stock_entries', 'wallet_entries', 'points_entries', 'count_cards',
          'count_card_entries')
INDEXED = ('members', 'sales', 'products', 'stock_entries', 'wallet_entries', 'points_entries', 'count_cards')


def upgrade() -> None:
    op.create_table(
        'import_batches',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('file', sa.String(length=255), nullable=False),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('finished_at', sa.DateTime(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('counts', sa.Text(), nullable=False),
        sa.Column('undone_at', sa.DateTime(), nullable=True),
        sa.Column('undone_by', sa.Integer(), nullable=True),
        sa.CheckConstraint("kind IN ('members','sales','products')", name=op.f('ck_import_batches_kind')),
        sa.CheckConstraint("status IN ('running','done','undone','failed')", name=op.f('ck_import_batches_status')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_import_batches_staff_id_staff')),
        sa.ForeignKeyConstraint(['undone_by'], ['staff.id'], name=op.f('fk_import_batches_undone_by_staff')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches')),
    )
    op.create_table(
        'import_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('batch_id', sa.Integer(), nullable=False),
        sa.Column('entity', sa.String(length=32), nullable=False),
        sa.Column('entity_id', sa.Integer(), nullable=False),
        sa.Column('before', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'],
                                name=op.f('fk_import_changes_batch_id_import_batches')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_import_changes')),
    )
    op.create_index(op.f('ix_import_changes_batch_id'), 'import_changes', ['batch_id'])
    for table in TAGGED:
        op.add_column(table, sa.Column('import_batch_id', sa.Integer(), nullable=True))
    for table in INDEXED:
        op.create_index(op.f(f'ix_{table}_import_batch_id'), table, ['import_batch_id'])


def downgrade() -> None:
    for table in INDEXED:
        op.drop_index(op.f(f'ix_{table}_import_batch_id'), table_name=table)
    for table in TAGGED:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column('import_batch_id')
    op.drop_index(op.f('ix_import_changes_batch_id'), table_name='import_changes')
    op.drop_table('import_changes')
    op.drop_table('import_batches')
