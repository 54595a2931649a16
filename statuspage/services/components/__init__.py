"""Components and groups: the tree people edit, each component's two statuses, and uptime."""
