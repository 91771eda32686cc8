"""Where a dataset's tables come from: sqlite files, DuckDB files, Parquet mirrors, memory."""
