"""Reports: end of day, statements, analytics and the sales history (read-only screens)."""
