"""The fee, no I/O: one per dossier, at most one refund per paid attempt, and which ends of a
dossier give a paid fee back (the catalog's rule for the procedure)."""

from __future__ import annotations

import uuid

from shared.contracts.events import (
    DossierProcessingStopped,
    DossierRefusedAtIntake,
    DossierWithdrawn,
)
from shared.reference.catalog import Catalog
from shared.reference.catalog.errors import UnknownVersionError
from shared.reference.catalog.model import Procedure, RefundCause

DossierEnded = DossierWithdrawn | DossierRefusedAtIntake | DossierProcessingStopped
CAUSES: dict[type[DossierEnded], RefundCause] = {
    DossierWithdrawn: "withdrawn",
    DossierRefusedAtIntake: "refused_at_intake",
    DossierProcessingStopped: "stopped",
}
# Used only for a dossier submitted before payment recorded procedures (nothing to look up).
DEFAULT_REFUND_ON: tuple[RefundCause, ...] = Procedure.model_fields["refund_on"].default


class RefundRuleUnknown(Exception):
    """The catalog cannot say whether the fee goes back: retrying cannot help."""


def payment_id_of(dossier_id: uuid.UUID) -> uuid.UUID:
    """One fee per dossier, stable: a redelivered acceptance finds the fee it requested."""
    return uuid.uuid5(dossier_id, "fee")


def refund_id_of(order_id: uuid.UUID) -> uuid.UUID:
    """One refund per paid attempt, stable: the gateway's request id for it (its hex)."""
    return uuid.uuid5(order_id, "refund")


def refund_on(catalog: Catalog, procedure_code: str,
              catalog_version: str) -> tuple[RefundCause, ...]:
    """The refund rule of the catalog version the dossier was received under."""
    try:
        procedure = catalog.version(catalog_version).procedure(procedure_code)
    except UnknownVersionError as error:
        raise RefundRuleUnknown(f"cannot decide the refund: {error}") from error
    if procedure is None:
        raise RefundRuleUnknown(f"cannot decide the refund: catalog version {catalog_version} "
                                f"has no procedure {procedure_code}")
    return procedure.refund_on
