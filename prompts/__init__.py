"""Deskpilot prompts package."""
