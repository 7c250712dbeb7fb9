"""workorders context."""
