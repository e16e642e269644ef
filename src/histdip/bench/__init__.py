"""Benchmarks of histdip: quality (quality.py, curve.py) and speed (speed.py)."""
