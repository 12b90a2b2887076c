"""``verify``, one function for every audit hash chain: recompute a dossier's chain in its
database and name the first entry edited, removed, inserted or reordered behind the
append-only triggers' back, with the head now (to compare with a head published before).

Each chain is hashed and judged by the SQL every chain shares
(``shared/runtime/migrations/0003_audit_chain.sql``); a service declares where its chain is
(:class:`Chain`) and its own migration defines the verify function that applies that SQL to
its table. Intake's CLI, intake's and processing's officer endpoints all call
:func:`verify_chain`."""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass
from typing import Any

import asyncpg
from pydantic import BaseModel, Field


@dataclass(frozen=True)
class Chain:
    """Where a chain lives: its table, and the SQL function that recomputes one dossier's
    chain (``(seq, <entry id>, problem)`` of every bad entry, first bad first). Constants of
    the service's own code, never input."""

    name: str
    table: str
    verify_function: str


TIMELINE = Chain("timeline", "dossier_timeline", "verify_timeline")
"""Intake's timeline (``services/intake/migrations/0010_timeline_chain.sql``)."""
CASE_AUDIT = Chain("case_audit", "case_audit", "verify_case_audit")
"""Processing's case audit (``services/processing/migrations/0010_case_audit_chain.sql``)."""


@dataclass(frozen=True)
class ChainReport:
    dossier_code: str
    entries: int
    head: str | None
    first_bad_seq: int | None = None
    first_bad_entry: str | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.problem is None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "intact": self.intact}


async def verify_chain(conn: asyncpg.Connection, chain: Chain, dossier_id: uuid.UUID,
                       dossier_code: str) -> ChainReport:
    """The dossier's chain in ``chain``, recomputed by the database."""
    summary = await conn.fetchrow(
        f"""SELECT count(*) AS entries,
                   (SELECT entry_hash FROM {chain.table} WHERE dossier_id = $1
                    ORDER BY seq DESC LIMIT 1) AS head
            FROM {chain.table} WHERE dossier_id = $1""", dossier_id)  # noqa: S608 - constants
    bad = await conn.fetchrow(
        f"SELECT * FROM {chain.verify_function}($1) LIMIT 1", dossier_id)  # noqa: S608
    return ChainReport(dossier_code, summary["entries"], summary["head"],
                       bad[0] if bad else None, str(bad[1]) if bad else None,
                       bad["problem"] if bad else None)


class FirstBadEntry(BaseModel):
    position: int = Field(description="The entry's place in the chain as stored (`seq`)")
    entry_id: str = Field(description="The entry's id in its table")
    reason: str = Field(description="What is wrong with it: out of place, link broken, or "
                                    "content edited")


class ChainVerification(BaseModel):
    """One chain's verdict, as the officers' verify endpoints answer it."""

    chain: str = Field(description="Which chain: `timeline` (intake) or `case_audit` "
                                    "(processing)")
    dossier_code: str
    ok: bool = Field(description="Every entry is where it was written, as it was written")
    entries: int
    head: str | None = Field(description="The hash of the last entry now, to compare with a "
                                         "head published before (receipt, tracking page, "
                                         "events' `audit_head`)")
    first_bad: FirstBadEntry | None = None

    @classmethod
    def of(cls, chain: Chain, report: ChainReport) -> ChainVerification:
        bad = None if report.intact else FirstBadEntry(
            position=report.first_bad_seq or 0, entry_id=report.first_bad_entry or "",
            reason=report.problem or "")
        return cls(chain=chain.name, dossier_code=report.dossier_code, ok=report.intact,
                   entries=report.entries, head=report.head, first_bad=bad)
