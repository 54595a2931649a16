"""JSON Schemas of the Statuspage v2 responses, written from the reference
(shared/reference/statuspage-api-v2.md §1.2-1.4), independently of our own OpenAPI file."""

TIME = {"type": "string", "pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d)$"}
TIME_OR_NULL = {"anyOf": [TIME, {"type": "null"}]}
ID = {"type": "string", "pattern": "^[a-z0-9]{12}$"}
COMPONENT_STATUS = {
    "enum": [
        "operational",
        "degraded_performance",
        "partial_outage",
        "major_outage",
        "under_maintenance",
    ]
}
DESCRIPTIONS = [
    "All Systems Operational",
    "Major System Outage",
    "Partial System Outage",
    "Minor Service Outage",
    "Degraded System Service",
    "Partially Degraded Service",
    "Service Under Maintenance",
]


def closed(properties: dict, required: list | None = None) -> dict:
    """An object with exactly these keys: strict consumers reject anything extra."""
    return {
        "type": "object",
        "properties": properties,
        "required": required if required is not None else list(properties),
        "additionalProperties": False,
    }


PAGE = closed(
    {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "url": {"type": "string", "pattern": "^https?://"},
        "time_zone": {"type": "string", "minLength": 1},
        "updated_at": TIME,
    }
)
STATUS = closed(
    {
        "indicator": {"enum": ["none", "minor", "major", "critical", "maintenance"]},
        "description": {"enum": DESCRIPTIONS},
    }
)
LEAF_FIELDS = {
    "id": ID,
    "name": {"type": "string"},
    "status": COMPONENT_STATUS,
    "created_at": TIME,
    "updated_at": TIME,
    "position": {"type": "integer", "minimum": 1},
    "description": {"type": ["string", "null"]},
    "showcase": {"type": "boolean"},
    "start_date": {
        "anyOf": [{"type": "string", "pattern": r"^\d{4}-\d\d-\d\d$"}, {"type": "null"}]
    },
    "group_id": {"anyOf": [ID, {"type": "null"}]},
    "page_id": {"type": "string"},
    "group": {"const": False},
    "only_show_if_degraded": {"type": "boolean"},
}
LEAF = closed(LEAF_FIELDS)
GROUP = closed(
    {
        **LEAF_FIELDS,
        "group": {"const": True},
        "group_id": {"type": "null"},
        "components": {"type": "array", "items": ID, "minItems": 1},
    }
)
COMPONENT = {"oneOf": [LEAF, GROUP]}
AFFECTED = closed(
    {
        "code": ID,
        "name": {"type": "string"},
        "old_status": COMPONENT_STATUS,
        "new_status": COMPONENT_STATUS,
    }
)


def update_schema(statuses: list[str]) -> dict:
    return closed(
        {
            "id": ID,
            "status": {"enum": statuses},
            "body": {"type": "string"},
            "incident_id": ID,
            "created_at": TIME,
            "updated_at": TIME,
            "display_at": TIME,
            "affected_components": {
                "anyOf": [{"type": "null"}, {"type": "array", "items": AFFECTED, "minItems": 1}]
            },
            "deliver_notifications": {"type": "boolean"},
            "custom_tweet": {"type": "null"},
            "tweet_id": {"type": "null"},
        }
    )


INCIDENT_STATUSES = ["investigating", "identified", "monitoring", "resolved", "postmortem"]
MAINTENANCE_STATUSES = ["scheduled", "in_progress", "verifying", "completed"]
INCIDENT_FIELDS = {
    "id": ID,
    "name": {"type": "string"},
    "status": {"enum": INCIDENT_STATUSES},
    "created_at": TIME,
    "updated_at": TIME,
    "monitoring_at": TIME_OR_NULL,
    "resolved_at": TIME_OR_NULL,
    "impact": {"enum": ["none", "minor", "major", "critical"]},
    "shortlink": {"type": "string", "pattern": "^https?://"},
    "started_at": TIME,
    "page_id": {"type": "string"},
    "incident_updates": {"type": "array", "items": update_schema(INCIDENT_STATUSES), "minItems": 1},
    "components": {"type": "array", "items": LEAF},
    "reminder_intervals": {"type": ["string", "null"]},
}
INCIDENT = closed(INCIDENT_FIELDS)
MAINTENANCE = closed(
    {
        **{k: v for k, v in INCIDENT_FIELDS.items() if k != "reminder_intervals"},
        "status": {"enum": MAINTENANCE_STATUSES},
        "impact": {"const": "maintenance"},
        "monitoring_at": {"type": "null"},
        "incident_updates": {
            "type": "array",
            "items": update_schema(MAINTENANCE_STATUSES),
            "minItems": 1,
        },
        "scheduled_for": TIME,
        "scheduled_until": TIME,
    }
)


def envelope(**extra: dict) -> dict:
    return closed({"page": PAGE, **extra})


ENDPOINTS = {
    "/api/v2/summary.json": envelope(
        components={"type": "array", "items": COMPONENT},
        incidents={"type": "array", "items": INCIDENT},
        scheduled_maintenances={"type": "array", "items": MAINTENANCE},
        status=STATUS,
    ),
    "/api/v2/status.json": envelope(status=STATUS),
    "/api/v2/components.json": envelope(components={"type": "array", "items": COMPONENT}),
    "/api/v2/incidents.json": envelope(incidents={"type": "array", "items": INCIDENT}),
    "/api/v2/incidents/unresolved.json": envelope(incidents={"type": "array", "items": INCIDENT}),
    "/api/v2/scheduled-maintenances.json": envelope(
        scheduled_maintenances={"type": "array", "items": MAINTENANCE}
    ),
    "/api/v2/scheduled-maintenances/upcoming.json": envelope(
        scheduled_maintenances={"type": "array", "items": MAINTENANCE}
    ),
    "/api/v2/scheduled-maintenances/active.json": envelope(
        scheduled_maintenances={"type": "array", "items": MAINTENANCE}
    ),
}
SINGLE_INCIDENT = envelope(incident=INCIDENT)
