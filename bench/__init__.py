"""Benchmarks: programs of their own, run by hand (`python -m bench.<name>`), never imported
by the product."""
