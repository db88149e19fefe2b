"""Selling: the catalogue, pricing, checkout, held carts, refunds, receipt numbers, receipts and
printing them. Rule: imports only ledger/ and below; never analytics/, care/ or reports/."""
