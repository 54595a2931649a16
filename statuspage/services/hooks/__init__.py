"""Outbound hooks: webhook subscribers (Statuspage's payloads) and chat channels."""
