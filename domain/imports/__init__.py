"""CSV imports of people (sourced lists, event attendee lists): mapping, preview, per-row
errors, dedupe upsert and the lawful basis recorded for the whole batch, run as a task."""
