"""sim (in progress)."""
