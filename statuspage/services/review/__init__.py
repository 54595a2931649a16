"""Post-incident review: postmortems (postmortems.py) and action items (action_items.py)."""
