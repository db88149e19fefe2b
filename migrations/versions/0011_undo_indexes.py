"""indexes on the foreign keys an import's undo deletes through

Deleting a row makes the database look for rows that still refer to it; without an index on the
referring column that is a scan of the whole table for every row deleted. Undoing an import of
100,000 members scanned ``members`` (referrer_id) 100,000 times (minutes); undoing 100,000 imported
sales scanned ``sale_lines`` (original_line_id) for each line. These indexes make it seconds:
members.referrer_id, sale_lines.original_line_id, sale_lines.count_card_id, count_cards.sale_id,
count_card_entries.sale_id.

Revision ID: 0011_undo_indexes
Revises: 0010_import_batches
"""
from typing import Sequence, Union

from alembic import op

revision: str = '0011_undo_indexes'
down_revision: Union[str, Sequence[str], None] = '0010_import_batches'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

INDEXES = (('members', 'referrer_id'), ('sale_lines', 'original_line_id'), ('sale_lines', 'count_card_id'),
           ('count_cards', 'sale_id'), ('count_card_entries', 'sale_id'))


def upgrade() -> None:
    for table, column in INDEXES:
        op.create_index(op.f(f'ix_{table}_{column}'), table, [column])


def downgrade() -> None:
    for table, column in INDEXES:
        op.drop_index(op.f(f'ix_{table}_{column}'), table_name=table)
