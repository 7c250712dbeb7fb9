"""events context."""
