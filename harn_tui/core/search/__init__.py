"""Full-text search over every run: extraction, the FTS5 store, queries."""
