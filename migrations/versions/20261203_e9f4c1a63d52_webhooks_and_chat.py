"""webhook subscribers and chat channels

A subscriber is a mailbox or a webhook endpoint (one mail subscription per mailbox); chat
channels are admin-configured incoming webhooks; events know who may hear them, and a
component event its status change; deliveries may go to a chat channel.

Revision ID: e9f4c1a63d52
Revises: d8e3b0f52c41
Create Date: 2026-12-03 06:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e9f4c1a63d52'
down_revision = 'd8e3b0f52c41'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('chat_channel',
    sa.Column('id', sa.String(length=12), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('webhook_url', sa.String(length=500), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_channel'))
    )
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=16), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('endpoint_url', sa.String(length=500), nullable=True))
        batch_op.drop_constraint('uq_subscriber_email', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_subscriber_endpoint_url'), ['endpoint_url'])
    op.create_index(
        'ux_subscriber_mailbox', 'subscriber', ['email'], unique=True,
        sqlite_where=sa.text("kind = 'email'"), postgresql_where=sa.text("kind = 'email'"),
    )
    with op.batch_alter_table('notification_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('audience', sa.String(length=16), server_default='public', nullable=False))
        batch_op.add_column(sa.Column('status_change_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_notification_event_status_change_id_component_status_change'), 'component_status_change', ['status_change_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat_channel_id', sa.String(length=12), nullable=True))
        batch_op.create_index(batch_op.f('ix_delivery_chat_channel_id'), ['chat_channel_id'], unique=False)
        batch_op.create_unique_constraint('uq_delivery_chat_channel_key', ['chat_channel_id', 'key'])
        batch_op.create_foreign_key(batch_op.f('fk_delivery_chat_channel_id_chat_channel'), 'chat_channel', ['chat_channel_id'], ['id'], ondelete='CASCADE')


def downgrade():
    with op.batch_alter_table('delivery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_delivery_chat_channel_id_chat_channel'), type_='foreignkey')
        batch_op.drop_constraint('uq_delivery_chat_channel_key', type_='unique')
        batch_op.drop_index(batch_op.f('ix_delivery_chat_channel_id'))
        batch_op.drop_column('chat_channel_id')
    with op.batch_alter_table('notification_event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_event_status_change_id_component_status_change'), type_='foreignkey')
        batch_op.drop_column('status_change_id')
        batch_op.drop_column('audience')
    op.execute("DELETE FROM subscriber WHERE kind <> 'email'")
    op.drop_index('ux_subscriber_mailbox', table_name='subscriber')
    with op.batch_alter_table('subscriber', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_subscriber_endpoint_url'), type_='unique')
        batch_op.create_unique_constraint('uq_subscriber_email', ['email'])
        batch_op.drop_column('endpoint_url')
        batch_op.drop_column('kind')
    op.drop_table('chat_channel')
