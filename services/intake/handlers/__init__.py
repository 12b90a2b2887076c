"""Intake's use cases: register a submission (submission.py), answer a portal's request on a
dossier (requests.py), and keep every dossier's timeline from the events (timeline.py)."""
