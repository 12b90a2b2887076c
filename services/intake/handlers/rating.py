"""The citizen rates the service once, after the result was returned (QĐ 766): a
``DossierRated`` through intake's outbox, counted by the reporting issue."""

from __future__ import annotations

from datetime import UTC, datetime

from services.intake import repository
from services.intake.deps import IntakeDeps
from services.intake.domain import Conflict, DossierNotFound, timeline_detail
from shared.contracts.events import DossierRated
from shared.contracts.status import DossierStatus
from shared.contracts.types import Rating

RATING_LABELS: dict[str, str] = {"very_satisfied": "Rất hài lòng", "satisfied": "Hài lòng",
                                 "unsatisfied": "Không hài lòng"}


class AlreadyRated(Conflict):
    """A dossier is rated once (HTTP 409)."""


async def rate_dossier(code: str, rating: Rating, comment: str | None, deps: IntakeDeps, *,
                       via: str, portal: str | None = None) -> datetime:
    """Record the rating and publish it; when it was rated. ``via`` is the citizen page or
    the portal; ``portal``, when given, must be the dossier's."""
    async with deps.transactions() as uow:
        row = await repository.get_dossier(uow.conn, code, for_update=True)
        if row is None or (portal is not None and row["portal"] != portal):
            raise DossierNotFound(code)
        if await repository.get_rating(uow.conn, row["id"]) is not None:
            raise AlreadyRated("the dossier was already rated: a dossier is rated once",
                               row["status"])
        if row["status"] != DossierStatus.RESULT_RETURNED:
            raise Conflict("a dossier is rated once its result is returned", row["status"])
        rated_at = datetime.now(UTC)
        envelope = uow.emit(DossierRated(dossier_code=code, rating=rating, comment=comment,
                                         rated_at=rated_at), dossier_id=row["id"])
        if not await repository.insert_rating(
                uow.conn, dossier_id=row["id"], event_id=envelope.event_id, rating=rating,
                comment=comment, rated_at=rated_at, rated_via=via):
            raise AlreadyRated("the dossier was already rated: a dossier is rated once",
                               row["status"])
        await repository.add_to_timeline(uow.conn, envelope, None,
                                          timeline_detail(envelope.payload))
        await uow.commit()
    return rated_at
