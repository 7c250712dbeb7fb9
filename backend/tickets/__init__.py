"""tickets context."""
