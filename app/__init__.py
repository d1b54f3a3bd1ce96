"""Deskpilot app package."""
