"""Processing's use cases, plain async functions: ``events`` (what the consumers hand over),
``deadlines`` (the at-risk/overdue scan), ``officer_actions`` (an officer acts on a dossier,
through the table of actions) and ``reads`` (what officers read). Each transition is written
by ``writing``: one statement for the case, its audit entries, its events and any result
document."""
