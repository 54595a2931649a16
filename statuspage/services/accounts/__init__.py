"""Staff accounts: users and passwords, signed-in sessions, sign-in throttling, API tokens."""
