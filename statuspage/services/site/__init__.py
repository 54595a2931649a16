"""Page-wide settings and state: what is in force, what the admin changes, versions, heartbeat."""
