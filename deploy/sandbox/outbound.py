"""The sandboxes' calls to the merchant (VNPay's IPNs, GHN's webhooks, eSMS's delivery
reports) go through one HTTP client per gateway, kept for its life, as a provider keeps its
connections: a client made per call builds an SSL context each time, which cost the bench's
sandbox most of its CPU (about 20 ms a call, far more on a loaded machine)."""

from __future__ import annotations

import httpx


class Outbound:
    """A lazily made client (made inside the running event loop, on first use)."""

    def __init__(self, timeout_s: float) -> None:
        self._timeout_s = timeout_s
        self._client: httpx.AsyncClient | None = None

    def __call__(self) -> httpx.AsyncClient:
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(timeout=self._timeout_s)
        return self._client
