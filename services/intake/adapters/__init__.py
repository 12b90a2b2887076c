"""Intake's outside world: the document store and the portals' receipt topics."""
