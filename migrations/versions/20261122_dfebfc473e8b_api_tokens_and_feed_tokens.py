"""api tokens and feed tokens

API tokens for the management API (only a SHA-256 hash of each secret is stored, with a short
prefix for display), and each user's personal feed token (a hash) for the internal feeds.

Revision ID: dfebfc473e8b
Revises: d089ade14a16
Create Date: 2026-11-22 17:25:49.008375

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dfebfc473e8b'
down_revision = 'd089ade14a16'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_token',
    sa.Column('id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('prefix', sa.String(length=16), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.Column('revoked_at', sa.DateTime(), nullable=True),
    sa.Column('last_used_at', sa.DateTime(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_api_token_created_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_api_token_secret_hash'))
    )
    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_prefix'), ['prefix'], unique=False)

    # Both nullable: existing users have no feed token until they make one on /account.
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('feed_token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('feed_token_created_at', sa.DateTime(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_user_feed_token_hash'), ['feed_token_hash'])


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_feed_token_hash'), type_='unique')
        batch_op.drop_column('feed_token_created_at')
        batch_op.drop_column('feed_token_hash')

    with op.batch_alter_table('api_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_prefix'))

    op.drop_table('api_token')
