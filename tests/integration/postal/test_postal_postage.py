"""The postage is quoted at submission: by the carrier's fee preview, or, when the carrier
cannot answer, the catalog's figure; the carrier's charge is kept on the shipment."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from shared.contracts.events import PostageQuoted
from tests.integration.postal.support import Dossier

pytestmark = pytest.mark.integration
CATALOG_POSTAGE = Decimal(25000)  # vinh-thanh-2024, 2.002189


async def _recipient(postal, dossier: Dossier) -> tuple[Decimal, str]:
    row = await postal.pool.fetchrow(
        "SELECT postage, postage_source FROM recipient WHERE dossier_id = $1", dossier.id)
    return row["postage"], row["postage_source"]


async def test_the_carrier_quotes_the_postage_at_submission(postal) -> None:
    dossier = await Dossier(postal).decided()
    assert await _recipient(postal, dossier) == (CATALOG_POSTAGE, "catalog")  # until it answers
    assert await postal.quote() == 1
    assert [e for e in await dossier.events() if isinstance(e, PostageQuoted)] == [
        PostageQuoted(dossier_code=dossier.code, amount=Decimal(16500), source="carrier")]
    assert await _recipient(postal, dossier) == (Decimal(16500), "carrier")
    assert await postal.quote() == 0
    assert postal.carrier.ledger() == []  # a preview creates no order


async def test_the_catalog_figure_stands_when_the_carrier_cannot_answer(postal) -> None:
    dossier = await Dossier(postal).decided("12 Đường 3/2 (nofee)")
    assert await postal.quote() == 1  # 503: asked again a moment later
    assert [e for e in await dossier.events() if isinstance(e, PostageQuoted)] == []
    postal.clock.now += timedelta(seconds=5)
    assert await postal.quote() == 1  # the last try: given up, the catalog's figure
    assert [e for e in await dossier.events() if isinstance(e, PostageQuoted)] == [
        PostageQuoted(dossier_code=dossier.code, amount=CATALOG_POSTAGE, source="catalog")]
    assert await _recipient(postal, dossier) == (CATALOG_POSTAGE, "catalog")
