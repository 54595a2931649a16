"""What `/metrics` tells Prometheus: read at scrape time from the database, never stored."""
