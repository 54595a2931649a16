"""The outbox: notification events, their fan-out to deliveries, and sending them by SMTP."""
