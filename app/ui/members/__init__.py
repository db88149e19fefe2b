"""Members: the list, a member's page, the edit form, top-ups and balance adjustments."""
