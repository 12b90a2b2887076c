"""Postal's use cases: ``events`` (what the consumers hand over: a submission, a decision,
the citizen's redelivery choice) and ``tracking`` (the carrier's webhook and the poll)."""
