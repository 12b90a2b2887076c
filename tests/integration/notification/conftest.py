"""Notification's integration fixtures: a freshly migrated database (the SMTP servers are
started by each test: tests.support.smtp_server, deploy.local.smtp_sink)."""

from services.notification.bootstrap import SPEC
from tests.support import pool_fixture

pool = pool_fixture(SPEC.migrations)
