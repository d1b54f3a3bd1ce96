"""Ticket triage: classify (urgency, category), summarise threads, suggest the next action."""
