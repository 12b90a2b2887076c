"""Intake's HTTP edge: portals' signed requests, the catalog, and public tracking."""
