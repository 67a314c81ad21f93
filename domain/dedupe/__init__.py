"""One person, one record: likely-duplicate hints and recruiter-confirmed merges."""
