"""HomeLoop backend: the domain contexts, services, and the shared web glue."""
