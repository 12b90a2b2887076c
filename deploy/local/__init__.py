"""The embedded local stack: PostgreSQL, the Tansu broker, an SMTP sink and every service.

``python -m deploy.local`` (what ``make run`` starts) runs the whole system on this machine with
nothing installed by hand; the pieces are importable for tests:
``deploy.local.postgres.EmbeddedPostgres``, ``deploy.local.broker.EmbeddedBroker`` and
``deploy.local.smtp_sink.SmtpSink``.
"""
