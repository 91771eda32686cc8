"""Benchmarks: every scenario prints ratios against baselines measured in the same run."""
