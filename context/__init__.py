"""Deskpilot context package."""
