"""Deterministic, seeded synthetic datasets for the demo, the tests and the benchmarks (nothing is downloaded)."""
