"""A notification sender that dies like ``kill -9`` at the worst moment: run as
``python -m tests.integration.notification.crashing_sender DSN email SMTP_PORT N`` or
``… DSN sms GATEWAY_URL N CALLBACK_URL``, it runs the channel's effect exactly as the service
does (one message per transaction) and SIGKILLs itself right after the provider took the Nth
message, before that message's mark is committed."""

from __future__ import annotations

import asyncio
import os
import signal
import sys

import httpx

from deploy.sandbox.sms import DEV_ACCOUNT
from services.notification import effects
from services.notification.adapters.mailer import Mailer
from services.notification.adapters.sms import EsmsAccount, EsmsAnswer, EsmsGateway
from shared.runtime.db import create_pool
from shared.runtime.effects import Effect, Retry, run_once
from shared.runtime.outbox import Transactions


class _Countdown:
    def __init__(self, n: int) -> None:
        self.left = n

    def tick(self) -> None:
        self.left -= 1
        if self.left == 0:
            os.kill(os.getpid(), signal.SIGKILL)


class DyingMailer(Mailer):
    countdown: _Countdown

    async def send(self, **email: str) -> None:
        await super().send(**email)
        self.countdown.tick()


class DyingGateway(EsmsGateway):
    countdown: _Countdown

    async def send(self, **sms: object) -> EsmsAnswer:
        answer = await super().send(**sms)  # type: ignore[arg-type]
        self.countdown.tick()
        return answer


async def main(dsn: str, channel: str, target: str, n: int, callback: str = "") -> None:
    pool = await create_pool(dsn)
    transactions = Transactions(pool, "notification")
    async with httpx.AsyncClient(base_url=target, timeout=5) as client:
        effect: Effect
        if channel == "email":
            mailer = DyingMailer(host="127.0.0.1", port=int(target), sender="x@motcua.local")
            mailer.countdown = _Countdown(n)
            effect = effects.emails(mailer, Retry())
        else:
            gateway = DyingGateway(client, EsmsAccount(*DEV_ACCOUNT, "MOTCUA"))
            gateway.countdown = _Countdown(n)
            effect = effects.sms(gateway, Retry(), callback_url=callback)
        while await run_once(effect, transactions):
            pass
    await pool.close()


if __name__ == "__main__":
    dsn, channel, target, n, *rest = sys.argv[1:]
    asyncio.run(main(dsn, channel, target, int(n), *rest))
