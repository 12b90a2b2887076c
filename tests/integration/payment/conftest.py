"""Payment's integration fixtures: a freshly migrated database, and per test the payment
service's HTTP edge and a sandbox VNPay of its own, both over real HTTP."""

from collections.abc import AsyncIterator

import pytest

from services.payment.bootstrap import SPEC
from tests.integration.payment.support import Payment, payment_stack
from tests.support import pool_fixture

pool = pool_fixture(SPEC.migrations)


@pytest.fixture
async def payment(pool) -> AsyncIterator[Payment]:
    async with payment_stack(pool) as stack:
        yield stack
