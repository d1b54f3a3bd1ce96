"""Benchmarks of the product, run by ``deskpilot bench``."""
