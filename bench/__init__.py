"""Benchmarks: `python -m bench --help`. They print what they measured, on which data."""
