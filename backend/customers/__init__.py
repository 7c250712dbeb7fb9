"""customers context."""
