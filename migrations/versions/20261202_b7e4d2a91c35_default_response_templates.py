"""default response templates

Six canned responses a fresh install starts with: investigating, identified, monitoring,
resolved, degraded performance and a third-party provider outage. Their text is written here,
not imported, so this migration keeps meaning what it meant when it was written; the service's
DEFAULT_TEMPLATES (statuspage/services/response/templates.py) seed databases built without
migrations (the demo, the tests), and tests/test_migrations.py checks the two agree.

Revision ID: b7e4d2a91c35
Revises: 12f42c045419
Create Date: 2026-12-02 14:40:00.000000

"""
import secrets
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e4d2a91c35'
down_revision = '12f42c045419'
branch_labels = None
depends_on = None

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

DEFAULTS = [
    {
        'name': 'Investigating',
        'kind': 'incident',
        'status': 'investigating',
        'impact': None,
        'title': 'Investigating issues with {{ components }}',
        'body': (
            'We are investigating reports of issues affecting {{ components }}. Some '
            'customers may see errors or slower responses than usual.\n\n'
            'Our engineers are working to identify the cause. We will post an update by '
            '{{ next_update }}, or sooner if we learn more.'
        ),
        'position': 1,
    },
    {
        'name': 'Identified',
        'kind': 'update',
        'status': 'identified',
        'impact': None,
        'title': '',
        'body': (
            'We have identified the cause of the issue affecting {{ components }} and are '
            'working on a fix.\n\n'
            'We will post another update by {{ next_update }}.'
        ),
        'position': 1,
    },
    {
        'name': 'Monitoring',
        'kind': 'update',
        'status': 'monitoring',
        'impact': None,
        'title': '',
        'body': (
            'A fix has been put in place and service to {{ components }} is recovering. We '
            'are monitoring closely to confirm the issue is fully resolved.\n\n'
            'If you are still having problems, please contact our support team. We will '
            'post another update by {{ next_update }}.'
        ),
        'position': 2,
    },
    {
        'name': 'Resolved',
        'kind': 'update',
        'status': 'resolved',
        'impact': None,
        'title': '',
        'body': (
            'This incident has been resolved: service to {{ components }} is operating '
            'normally again.\n\n'
            'The issue began at {{ started_at }}. We are reviewing what happened and what we '
            'will change to prevent it from happening again. We apologise for the '
            'disruption and thank you for your patience.'
        ),
        'position': 3,
    },
    {
        'name': 'Degraded performance',
        'kind': 'incident',
        'status': 'investigating',
        'impact': 'minor',
        'title': 'Degraded performance of {{ components }}',
        'body': (
            'We are investigating slower than normal response times for {{ components }}. '
            'Requests are still being processed, but some may take longer than usual or '
            'time out.\n\n'
            'We will post an update by {{ next_update }}.'
        ),
        'position': 2,
    },
    {
        'name': 'Third-party provider outage',
        'kind': 'incident',
        'status': 'identified',
        'impact': 'minor',
        'title': 'Issues with {{ components }} caused by a third-party provider',
        'body': (
            '{{ components }} is affected by an outage at one of our third-party providers. '
            'We are in contact with the provider, following their progress, and working '
            'to reduce the impact on you in the meantime.\n\n'
            'We will post an update by {{ next_update }}, or as soon as the provider reports '
            'progress.'
        ),
        'position': 3,
    },
]

template = sa.table(
    'response_template',
    sa.column('id', sa.String),
    sa.column('name', sa.String),
    sa.column('kind', sa.String),
    sa.column('status', sa.String),
    sa.column('impact', sa.String),
    sa.column('title', sa.String),
    sa.column('body', sa.Text),
    sa.column('position', sa.Integer),
    sa.column('created_at', sa.DateTime),
    sa.column('updated_at', sa.DateTime),
)


def _new_id():
    return "".join(secrets.choice(ID_ALPHABET) for _ in range(12))


def upgrade():
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    existing = {
        (kind, name.lower())
        for kind, name in op.get_bind().execute(sa.select(template.c.kind, template.c.name))
    }
    rows = [
        {**row, 'id': _new_id(), 'created_at': now, 'updated_at': now}
        for row in DEFAULTS
        if (row['kind'], row['name'].lower()) not in existing
    ]
    if rows:
        op.bulk_insert(template, rows)


def downgrade():
    # Only the defaults as shipped: a template an admin edited stays.
    for row in DEFAULTS:
        op.execute(
            template.delete().where(
                template.c.kind == row['kind'],
                template.c.name == row['name'],
                template.c.body == row['body'],
            )
        )
