"""The DuckDB store: versioned observations and batches, series read back, narratives, backups."""
