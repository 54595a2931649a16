"""notification event expiry

An event that was not fanned out within MAIL_EVENT_MAX_AGE_HOURS is marked expired instead of
being mailed to everyone long after it happened.

Revision ID: 5b1e0c2d7a41
Revises: 3e882b7dc920
Create Date: 2026-12-02 06:15:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1e0c2d7a41'
down_revision = '3e882b7dc920'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('expired_at', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('notification_event', schema=None) as batch_op:
        batch_op.drop_column('expired_at')
