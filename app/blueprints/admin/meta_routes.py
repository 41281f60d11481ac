"""Admin: Meta connections, form discovery, connection tests, sync health."""
