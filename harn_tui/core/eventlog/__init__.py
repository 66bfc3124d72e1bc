"""Harn's event log: SQLite and file backends, HITL requests, agent sessions."""
