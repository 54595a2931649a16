"""Incidents and maintenance windows: their timelines, lifecycles, recurrence and due work."""
