"""Bulk actions over people: an exact selection or "all N matching" a segment or pool,
small ones at once, large ones as tasks with progress."""
