"""memory (in progress)."""
