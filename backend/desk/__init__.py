"""The staff service desk under ``/desk/``."""
