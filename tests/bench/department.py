"""The simulated departments: development officers (``<dept>.<role>`` / ``dev-password``) who
take each dossier through the officer workflow as soon as its work item says they may —
accept it when receipt is not automatic, start it, propose, and approve with a result document.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from typing import Any

import httpx

from tests.bench.submissions import pdf

DEV_PASSWORD = "dev-password"  # noqa: S105 - the documented password of development accounts


class Refused(Exception):
    """The service answered with an error that a retry will not change."""


class DepartmentClient:
    def __init__(self, processing_url: str, *, officers: int = 8) -> None:
        self._http = httpx.AsyncClient(base_url=processing_url, timeout=60)
        self._work: asyncio.Queue[tuple[str, str, str]] = asyncio.Queue()
        self._tokens: dict[tuple[str, str], str] = {}
        self._signing_in: dict[tuple[str, str], asyncio.Lock] = {}
        self._officers = officers
        self.decided = 0
        self.errors: list[str] = []

    def notice(self, code: str, department: str, status: str) -> None:
        """A work item changed; the officers act on it when its status calls for them."""
        if status in ("registered", "accepted"):
            self._work.put_nowait((code, department, status))

    async def run(self) -> None:
        try:
            await asyncio.gather(*(self._officer() for _ in range(self._officers)))
        finally:
            await self._http.aclose()

    async def _officer(self) -> None:
        while True:
            code, department, status = await self._work.get()
            try:
                await self._handle(code, department, status)
            except Refused as refused:
                self.errors.append(f"{code}: {refused}")
            except httpx.HTTPError:
                self._work.put_nowait((code, department, status))  # busy: try again later

    async def _handle(self, code: str, department: str, status: str) -> None:
        if status == "registered":
            await self._act(code, department, "intake", {"action": "accept"})
            return
        await self._act(code, department, "specialist", {"action": "start"})
        approval = {"action": "approve", "result_document": {
            "filename": "ket-qua.pdf", "content_type": "application/pdf",
            "content_base64": base64.b64encode(pdf(f"Kết quả {code}")).decode()}}
        proposed = await self._act(code, department, "specialist",
                                   {"action": "propose", "proposed_outcome": "approved"},
                                   allow_conflict=True)
        # No separate approver for this procedure: the specialist decides directly.
        decider = "approver" if proposed else "specialist"
        await self._act(code, department, decider, approval)
        self.decided += 1

    async def _act(self, code: str, department: str, role: str, body: dict[str, Any], *,
                   allow_conflict: bool = False) -> bool:
        for _ in range(2):  # a second time with a fresh token, when the first one expired
            response = await self._http.post(f"/v1/dossiers/{code}/actions", json=body,
                                             headers=await self._auth(department, role))
            if response.status_code == 401:
                self._tokens.pop((department, role), None)
                continue
            if response.status_code == 409 and allow_conflict:
                return False
            if response.status_code != 200:
                raise Refused(f"{body['action']}: {response.status_code} {response.text[:300]}")
            return True
        raise Refused(f"{body['action']}: 401 twice for {department}.{role}")

    async def _auth(self, department: str, role: str) -> dict[str, str]:
        # One sign-in per account, as officers do: each costs an Argon2 hash (64 MiB) in
        # processing, and eight at once for the same account showed as 590 MB of RSS there.
        async with self._signing_in.setdefault((department, role), asyncio.Lock()):
            token = self._tokens.get((department, role))
            if token is None:
                granted = await self._http.post("/v1/auth/token", json={
                    "username": f"{department}.{role}", "password": DEV_PASSWORD})
                if granted.status_code != 200:
                    raise Refused(f"sign-in {department}.{role}: {granted.status_code}")
                token = self._tokens[(department, role)] = granted.json()["access_token"]
        return {"Authorization": f"Bearer {token}"}


@contextlib.asynccontextmanager
async def departments(processing_url: str) -> Any:
    client = DepartmentClient(processing_url)
    task = asyncio.create_task(client.run())
    try:
        yield client
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
