"""Shared web glue: the app factory, templates, auth guards, error pages."""
