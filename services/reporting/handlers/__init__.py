"""Reporting's use cases: recording events (``events``) and answering reports (``reports``)."""
