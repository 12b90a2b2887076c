"""Is a submission (or a supplement) acceptable under its procedure? Every reason, at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from services.intake.content import SIGNATURES, content_problem
from services.intake.domain import DecodedDocument, SubmissionRefused
from services.intake.schemas import SubmitDossier
from shared.reference.catalog import Catalog, CatalogVersion, DocumentRequirement, Procedure


@dataclass(frozen=True)
class Limits:
    max_document_bytes: int
    max_dossier_bytes: int

    @property
    def max_body_bytes(self) -> int:
        """The largest request worth reading: every document base64-encoded, plus the form."""
        return self.max_dossier_bytes * 4 // 3 + 1024 * 1024


def check_catalog(catalog: Catalog, limits: Limits) -> None:
    """ValueError naming every document of the catalog intake could never accept as the data
    says: a limit above INTAKE_MAX_DOCUMENT_BYTES (the data wins over a silent min: raise the
    setting, or lower the data), or a type whose content intake cannot check."""
    problems = sorted({
        f"{p.code}/{d.kind}: " + (f"max_bytes {d.max_bytes} exceeds INTAKE_MAX_DOCUMENT_BYTES "
                                  f"{limits.max_document_bytes}" if d.max_bytes >
                                  limits.max_document_bytes else
                                  f"type {t!r} has no known signature")
        for v in catalog.versions for p in v.procedures for d in p.required_documents
        for t in d.accepted_types
        if d.max_bytes > limits.max_document_bytes or t not in SIGNATURES})
    if problems:
        raise ValueError(f"catalog {catalog.dataset} disagrees with intake's limits: "
                         + "; ".join(problems))


def procedure_for(command: SubmitDossier, version: CatalogVersion,
                  known_elsewhere: bool) -> Procedure:
    procedure = version.procedure(command.procedure_code)
    if procedure is not None:
        return procedure
    if known_elsewhere:
        raise SubmissionRefused([
            f"procedure_code: {command.procedure_code!r} is not offered under catalog version "
            f"{version.id} (in force since {version.effective_from})"
        ])
    raise SubmissionRefused([f"procedure_code: unknown procedure {command.procedure_code!r}"])


def check_submission(command: SubmitDossier, documents: list[DecodedDocument],
                     procedure: Procedure, limits: Limits) -> None:
    """Raise :class:`SubmissionRefused` with every reason the submission is not acceptable."""
    reasons: list[str] = []
    if command.channel not in procedure.channels:
        allowed = ", ".join(procedure.channels)
        only = " only" if len(procedure.channels) == 1 else ""
        reasons.append(
            f"channel: {command.channel!r} is not allowed: procedure {procedure.code} is "
            f"received through {allowed}{only}"
        )
    if command.return_method == "postal":
        if not procedure.postal_return:
            reasons.append("return_method: this procedure does not offer postal return")
        elif not command.postal_address:
            reasons.append("postal_address: required when return_method is 'postal'")
    reasons += document_problems(documents, procedure, limits)
    present = {d.kind for d in documents}
    reasons += [
        f"documents: missing mandatory document {r.kind!r} ({r.name})"
        for r in procedure.required_documents if r.mandatory and r.kind not in present
    ]
    if reasons:
        raise SubmissionRefused(reasons)


def check_supplement(documents: list[DecodedDocument], procedure: Procedure, limits: Limits,
                     requested: Iterable[str]) -> None:
    """A supplement brings documents the procedure knows, including each requested kind."""
    reasons = document_problems(documents, procedure, limits)
    known = {r.kind for r in procedure.required_documents}
    present = {d.kind for d in documents}
    reasons += [
        f"documents: the supplement request asked for {kind!r}"
        for kind in requested if kind in known and kind not in present
    ]
    if reasons:
        raise SubmissionRefused(reasons)


def document_problems(documents: list[DecodedDocument], procedure: Procedure,
                      limits: Limits) -> list[str]:
    """Kind, type, size and declared checksum of each document, and the dossier's total."""
    reasons: list[str] = []
    requirements = {r.kind: r for r in procedure.required_documents}
    for index, doc in enumerate(documents):
        where = f"documents[{index}] ({doc.kind})"
        requirement = requirements.get(doc.kind)
        if requirement is None:
            kinds = ", ".join(requirements) or "none"
            reasons.append(f"{where}: not a document of procedure {procedure.code} "
                           f"(its kinds: {kinds})")
            continue
        reasons += _one_document(where, doc, requirement, limits)
    total = sum(d.size for d in documents)
    if total > limits.max_dossier_bytes:
        reasons.append(f"documents: {total} bytes in all exceeds the limit of "
                       f"{limits.max_dossier_bytes} bytes per dossier")
    return reasons


def _one_document(where: str, doc: DecodedDocument, requirement: DocumentRequirement,
                  limits: Limits) -> list[str]:
    reasons = []
    if doc.content_type not in requirement.accepted_types:
        reasons.append(f"{where}: type {doc.content_type!r} is not accepted "
                       f"(accepted: {', '.join(requirement.accepted_types)})")
    elif doc.size and (problem := content_problem(doc.content_type, doc.head)):
        reasons.append(f"{where}: {problem}")
    limit = min(requirement.max_bytes, limits.max_document_bytes)  # equal: check_catalog
    if not doc.size:
        reasons.append(f"{where}: the document is empty")
    elif doc.size > limit:
        reasons.append(f"{where}: {doc.size} bytes exceeds the limit of {limit} bytes")
    if doc.declared_sha256 is not None and doc.declared_sha256 != doc.sha256:
        reasons.append(f"{where}: declared sha256 {doc.declared_sha256} does not match the "
                       f"content (sha256 {doc.sha256})")
    return reasons
