"""Fakes at the network edge, used by tests."""
