"""Packaged question sets for `deskpilot eval retrieval`."""
