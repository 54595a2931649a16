"""Problem management (records.py) and customers' problem reports (reports.py): staff only."""
