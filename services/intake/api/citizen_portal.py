"""The citizen's rating, sent by the portal on the citizen's behalf (signed, like every
portal request): ``POST /v1/dossiers/{code}/rating``."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from services.intake.api.deps import CodeInPath, Deps
from services.intake.api.openapi import signed
from services.intake.api.signed import Signed, parse_signed
from services.intake.handlers.rating import RATING_LABELS, rate_dossier
from services.intake.schemas import _Input
from shared.contracts.types import Rating, bounded_text

router = APIRouter(prefix="/v1", tags=["dossiers"])
Comment = bounded_text(1000, multiline=True)


class RateDossier(_Input):
    """Command: the citizen's satisfaction once the result was returned."""

    rating: Rating = Field(description="very_satisfied (Rất hài lòng), satisfied (Hài lòng) "
                                       "or unsatisfied (Không hài lòng)")
    comment: Comment | None = None


class RatingAnswer(BaseModel):
    dossier_code: str
    rating: Rating
    rating_label: str
    rated_at: datetime


@router.post("/dossiers/{code}/rating", status_code=201, response_model=RatingAnswer,
             openapi_extra=signed(RateDossier),
             responses={401: {"description": "Missing, stale or wrong signature"},
                        404: {"description": "No such dossier of this portal"},
                        409: {"description": "Rated already, or its result not returned yet"},
                        422: {"description": "Invalid; `detail` lists every reason"}})
async def post_rating(code: CodeInPath, request: Signed, deps: Deps) -> RatingAnswer:
    """Rate the service once, after the result was returned; publishes ``DossierRated``."""
    command, _ = await parse_signed(RateDossier, request)
    rated_at = await rate_dossier(code, command.rating, command.comment, deps,
                                  via=request.portal, portal=request.portal)
    return RatingAnswer(dossier_code=code, rating=command.rating,
                        rating_label=RATING_LABELS[command.rating], rated_at=rated_at)
