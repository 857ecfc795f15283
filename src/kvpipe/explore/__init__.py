"""Explore: studies and sweeps over design points."""
