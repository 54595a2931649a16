"""Automation: what monitoring (integrations, built-in checks) does to components."""
