"""public and internal statuses

A component gets a second status, the one staff see (moved by internal incidents and
maintenance too); the existing one becomes the public status, which only public notices, people
and automation move. Status history and the per-day uptime rows are kept per audience: the
existing rows are the public ones, and are copied as the internal ones (until now both audiences
saw the same). The page version splits the same way, so internal writes stop moving public
validators.

Revision ID: 3e882b7dc920
Revises: 99904edb7547
Create Date: 2026-12-02 01:20:48.221553

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e882b7dc920'
down_revision = '99904edb7547'
branch_labels = None
depends_on = None

CHANGE_COLUMNS = "component_id, old_status, new_status, at, cause, notice_id, update_id, actor_id, actor_label"
DAY_COLUMNS = "component_id, day, degraded_seconds, partial_seconds, major_seconds, maintenance_seconds"


def upgrade():
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.add_column(sa.Column('internal_status', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('internal_status_since', sa.DateTime(), nullable=True))
    op.execute("UPDATE component SET internal_status = status, internal_status_since = status_since")
    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.alter_column('internal_status', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('internal_status_since', existing_type=sa.DateTime(), nullable=False)

    with op.batch_alter_table('component_status_change', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.String(length=16), server_default='public', nullable=False))
        batch_op.drop_index(batch_op.f('ix_component_status_change_component_at'))
        batch_op.create_index('ix_component_status_change_component_audience_at', ['component_id', 'audience', 'at'], unique=False)
    op.execute(
        f"INSERT INTO component_status_change ({CHANGE_COLUMNS}, audience) "
        f"SELECT {CHANGE_COLUMNS}, 'internal' FROM component_status_change WHERE audience = 'public'"
    )

    with op.batch_alter_table('component_day', schema=None) as batch_op:
        batch_op.drop_constraint('pk_component_day', type_='primary')
        batch_op.add_column(sa.Column('audience', sa.String(length=16), server_default='public', nullable=False))
        batch_op.create_primary_key('pk_component_day', ['component_id', 'audience', 'day'])
    op.execute(
        f"INSERT INTO component_day ({DAY_COLUMNS}, audience) "
        f"SELECT {DAY_COLUMNS}, 'internal' FROM component_day WHERE audience = 'public'"
    )

    with op.batch_alter_table('page_state', schema=None) as batch_op:
        batch_op.add_column(sa.Column('internal_version', sa.BigInteger(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('internal_changed_at', sa.DateTime(), nullable=True))
    op.execute("UPDATE page_state SET internal_version = version, internal_changed_at = changed_at")
    with op.batch_alter_table('page_state', schema=None) as batch_op:
        batch_op.alter_column('internal_changed_at', existing_type=sa.DateTime(), nullable=False)


def downgrade():
    with op.batch_alter_table('page_state', schema=None) as batch_op:
        batch_op.drop_column('internal_changed_at')
        batch_op.drop_column('internal_version')

    op.execute("DELETE FROM component_day WHERE audience = 'internal'")
    with op.batch_alter_table('component_day', schema=None) as batch_op:
        batch_op.drop_constraint('pk_component_day', type_='primary')
        batch_op.drop_column('audience')
        batch_op.create_primary_key('pk_component_day', ['component_id', 'day'])

    op.execute("DELETE FROM component_status_change WHERE audience = 'internal'")
    with op.batch_alter_table('component_status_change', schema=None) as batch_op:
        batch_op.drop_index('ix_component_status_change_component_audience_at')
        batch_op.create_index(batch_op.f('ix_component_status_change_component_at'), ['component_id', 'at'], unique=False)
        batch_op.drop_column('audience')

    with op.batch_alter_table('component', schema=None) as batch_op:
        batch_op.drop_column('internal_status_since')
        batch_op.drop_column('internal_status')
