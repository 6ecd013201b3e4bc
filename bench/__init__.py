"""Benchmarks with their baselines; run them all with ``python bench/run.py``."""
