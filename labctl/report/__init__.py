"""What people read: console tables of results, certificates."""
