"""Parquet mirrors of datasets: the writer and the ``manifest.json`` format."""
