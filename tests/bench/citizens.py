"""The simulated citizens: each one who receives a payment link (``PaymentRequested``) pays
as a citizen does, through the link, the sandbox VNPay's bank page and its button. Most pay
at once; one in ``decline_every`` declines first (insufficient balance) and pays on a second
attempt, as the issue asks. ``paid`` and ``declined`` count what they did."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator

import httpx

TXN_REF = re.compile(r'name="vnp_TxnRef" value="([^"]+)"')


class Citizens:
    def __init__(self, *, workers: int = 16, decline_every: int = 20) -> None:
        self._links: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
        self._http = httpx.AsyncClient(timeout=60)
        self._workers, self._decline_every = workers, decline_every
        self._seen = 0
        self.paid = self.declined = 0
        self.errors: list[str] = []

    def notice(self, code: str, pay_url: str) -> None:
        self._links.put_nowait((code, pay_url))

    async def run(self) -> None:
        try:
            await asyncio.gather(*(self._citizen() for _ in range(self._workers)))
        finally:
            await self._http.aclose()

    async def _citizen(self) -> None:
        while True:
            code, link = await self._links.get()
            self._seen += 1
            try:
                if await self._declines(code):
                    await self._attempt(link, "51")
                    self.declined += 1
                await self._attempt(link, "00")
                self.paid += 1
            except (httpx.HTTPError, AssertionError) as error:
                self.errors.append(f"{code}: {type(error).__name__} {error}"[:300])

    async def _declines(self, code: str) -> bool:
        """Whether this citizen declines once before paying."""
        return self._seen % self._decline_every == 0

    async def _attempt(self, link: str, choice: str) -> None:
        bank = await self._http.get(link, follow_redirects=True)
        found = TXN_REF.search(bank.text)
        assert bank.status_code == 200 and found is not None, bank.text[:200]
        returned = await self._http.post(str(bank.url.join("bank")), follow_redirects=True,
                                         data={"vnp_TxnRef": found.group(1), "choice": choice})
        assert returned.status_code == 200, returned.text[:200]


@contextlib.asynccontextmanager
async def citizens() -> AsyncIterator[Citizens]:
    crowd = Citizens()
    task = asyncio.create_task(crowd.run())
    try:
        yield crowd
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
