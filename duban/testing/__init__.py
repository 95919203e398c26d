"""Generators of realistic test and demo data: evidence files (good and hostile), a whole
demo share, a sample check result.

Shipped so that ``duban demo`` works from an install, but never imported by the product:
only the tests, the benchmarks and the ``demo`` command use it (a test checks this).
"""
