"""Subscribers: signing up with double opt-in, their links, the admin's list, digests."""
