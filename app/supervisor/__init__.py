"""Supervisor review at ``/supervisor``: conversations, cost, provenance, alerts, export."""
