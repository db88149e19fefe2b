"""the catalogue: categories, several barcodes, member prices, search keys, stock and its ledger

products gain unit, cost, no_member_price, points_price, track_stock, reorder_level, on_hand (the
cached sum of stock_entries), favourite and colour; their one barcode moves to product_barcodes
(a product may have several); product_search_keys holds what the till's search matches by prefix
(name, pinyin initials and syllables, SKU, barcodes, category), computed here for the products
already there; categories is the managed list, filled from the names products already use.
sales gain approved_by (a refund's approving manager); sale_lines keep list_price, category,
unit_cost and exchange_points as sold.

Revision ID: 0009_catalogue
Revises: 0008_refunded_qty
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa

revision: str = '0009_catalogue'
down_revision: Union[str, Sequence[str], None] = '0008_refunded_qty'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        'categories',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.Column('points_eligible', sa.Boolean(), nullable=False, server_default='1'),
        sa.Column('discount_eligible', sa.Boolean(), nullable=False, server_default='1'),
        sa.Column('sort', sa.Integer(), nullable=False, server_default='0'),
        sa.Column('active', sa.Boolean(), nullable=False, server_default='1'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_categories')),
        sa.UniqueConstraint('name', name=op.f('uq_categories_name')),
    )
    op.create_table(
        'product_barcodes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('barcode', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_barcodes_product_id_products')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_product_barcodes')),
        sa.UniqueConstraint('barcode', name=op.f('uq_product_barcodes_barcode')),
    )
    op.create_index(op.f('ix_product_barcodes_product_id'), 'product_barcodes', ['product_id'])
    key_type = sa.String(length=64).with_variant(sa.String(length=64, collation='C'), 'postgresql')
    op.create_table(
        'product_search_keys',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('key', key_type, nullable=False),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_product_search_keys_product_id_products')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_product_search_keys')),
    )
    op.create_index(op.f('ix_product_search_keys_product_id'), 'product_search_keys', ['product_id'])
    op.create_index('ix_product_search_keys_key_product', 'product_search_keys', ['key', 'product_id'])
    op.create_table(
        'member_prices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('tier_id', sa.Integer(), nullable=False),
        sa.Column('price', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('price >= 0', name=op.f('ck_member_prices_price_nonneg')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_member_prices_product_id_products')),
        sa.ForeignKeyConstraint(['tier_id'], ['tiers.id'], name=op.f('fk_member_prices_tier_id_tiers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_member_prices')),
        sa.UniqueConstraint('product_id', 'tier_id', name=op.f('uq_member_prices_product_id_tier_id')),
    )
    op.create_index(op.f('ix_member_prices_product_id'), 'member_prices', ['product_id'])
    op.create_table(
        'stock_entries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('qty', sa.Integer(), nullable=False),
        sa.Column('unit_cost', sa.BigInteger(), nullable=True),
        sa.Column('supplier', sa.String(length=128), nullable=False, server_default=sa.text("''")),
        sa.Column('sale_id', sa.Integer(), nullable=True),
        sa.Column('ref', sa.String(length=64), nullable=True),
        sa.Column('staff_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False, server_default=sa.text("''")),
        sa.CheckConstraint("kind IN ('opening','received','sold','refunded','adjusted','counted')",
                           name=op.f('ck_stock_entries_kind')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_stock_entries_product_id_products')),
        sa.ForeignKeyConstraint(['sale_id'], ['sales.id'], name=op.f('fk_stock_entries_sale_id_sales')),
        sa.ForeignKeyConstraint(['staff_id'], ['staff.id'], name=op.f('fk_stock_entries_staff_id_staff')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_entries')),
    )
    op.create_index(op.f('ix_stock_entries_product_id'), 'stock_entries', ['product_id'])
    op.create_index(op.f('ix_stock_entries_sale_id'), 'stock_entries', ['sale_id'])
    op.create_index(op.f('ix_stock_entries_created_at'), 'stock_entries', ['created_at'])

    conn = op.get_bind()
    old = conn.execute(sa.text("SELECT id, sku, barcode, name, category FROM products")).all()
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('unit', sa.String(length=8), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('cost', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('no_member_price', sa.Boolean(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('points_price', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('track_stock', sa.Boolean(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('reorder_level', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('on_hand', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('favourite', sa.Boolean(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('colour', sa.String(length=9), nullable=False, server_default=sa.text("''")))
        batch_op.drop_constraint('uq_products_barcode', type_='unique')
        batch_op.drop_column('barcode')
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved_by', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_sales_approved_by_staff'), 'staff', ['approved_by'], ['id'])
    with op.batch_alter_table('sale_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('list_price', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('category', sa.String(length=64), nullable=False, server_default=sa.text("''")))
        batch_op.add_column(sa.Column('unit_cost', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('exchange_points', sa.BigInteger(), nullable=True))

    from app.services.sales.search_keys import product_keys
    barcodes = [{"p": pid, "b": barcode} for pid, _, barcode, _, _ in old if barcode]
    if barcodes:
        conn.execute(sa.text("INSERT INTO product_barcodes (product_id, barcode) VALUES (:p, :b)"), barcodes)
    keys = [{"p": pid, "k": k} for pid, sku, barcode, name, category in old
            for k in product_keys(name, sku, [barcode] if barcode else [], category or "")]
    if keys:
        conn.execute(sa.text("INSERT INTO product_search_keys (product_id, key) VALUES (:p, :k)"), keys)
    names = sorted({c for *_, c in old if c})
    if names:
        conn.execute(sa.text("INSERT INTO categories (name, points_eligible, discount_eligible, sort, active) "
                             "VALUES (:n, true, true, :i, true)"), [{"n": n, "i": i} for i, n in enumerate(names)])
    conn.execute(sa.text("UPDATE sale_lines SET category = COALESCE((SELECT p.category FROM products p "
                         "WHERE p.id = sale_lines.product_id), '')"))


def downgrade() -> None:
    with op.batch_alter_table('sale_lines', schema=None) as batch_op:
        for col in ('exchange_points', 'unit_cost', 'category', 'list_price'):
            batch_op.drop_column(col)
    with op.batch_alter_table('sales', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_sales_approved_by_staff'), type_='foreignkey')
        batch_op.drop_column('approved_by')
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.add_column(sa.Column('barcode', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint('uq_products_barcode', ['barcode'])
    op.execute("UPDATE products SET barcode = (SELECT MIN(b.barcode) FROM product_barcodes b "
               "WHERE b.product_id = products.id)")
    with op.batch_alter_table('products', schema=None) as batch_op:
        for col in ('colour', 'favourite', 'on_hand', 'reorder_level', 'track_stock', 'points_price',
                    'no_member_price', 'cost', 'unit'):
            batch_op.drop_column(col)
    for table in ('stock_entries', 'member_prices', 'product_search_keys', 'product_barcodes', 'categories'):
        op.drop_table(table)
