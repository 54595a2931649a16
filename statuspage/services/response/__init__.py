"""Running an incident: priority, roles, acknowledgement, SLA clocks and escalation, canned
responses, and the staff console. Everything here is for staff; no public path reads it."""
