"""Products: the catalogue (list, search, editor, import and export) and stock (receiving, stocktake, low stock)."""
