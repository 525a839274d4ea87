"""Benchmarks: programs of their own, run by hand (`python -m benchmarks.<name>`); the
product never imports them."""
