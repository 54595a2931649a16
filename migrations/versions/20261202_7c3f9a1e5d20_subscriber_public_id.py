"""subscriber public id

Mails and links named subscribers by their row id, which tells anyone how many there are. Each
subscriber gets a random public id (the 12-character id shape), filled in for existing rows.
Links mailed before keep working: they are signed, and a numeric id is still looked up.

Revision ID: 7c3f9a1e5d20
Revises: 5b1e0c2d7a41
Create Date: 2026-12-02 06:30:00.000000

"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c3f9a1e5d20'
down_revision = '5b1e0c2d7a41'
branch_labels = None
depends_on = None

ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def upgrade():
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_id', sa.String(length=12), nullable=True))
    bind = op.get_bind()
    subscriber = sa.table('subscriber', sa.column('id', sa.Integer), sa.column('public_id', sa.String))
    ids = bind.execute(sa.select(subscriber.c.id)).scalars().all()
    for row_id in ids:
        public_id = "".join(secrets.choice(ALPHABET) for _ in range(12))
        bind.execute(subscriber.update().where(subscriber.c.id == row_id).values(public_id=public_id))
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.alter_column('public_id', existing_type=sa.String(length=12), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_subscriber_public_id'), ['public_id'])


def downgrade():
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_subscriber_public_id'), type_='unique')
        batch_op.drop_column('public_id')
