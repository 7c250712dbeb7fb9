"""The field app: an installable PWA for technicians on site."""
