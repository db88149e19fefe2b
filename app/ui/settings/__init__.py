"""Settings: one module per tab (shop, printer, points, bonus, staff, backups), the owner's password
and the audit key."""
