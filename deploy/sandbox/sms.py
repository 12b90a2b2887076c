"""Sandbox eSMS.vn gateway, as rude as the real one: acceptance now, delivery later.

- ``POST /sms/MainService.svc/json/SendMultipleMessage_V4_post_json/`` (JSON: ``ApiKey``,
  ``SecretKey``, ``Phone``, ``Content``, ``Brandname``, ``SmsType``, ``IsUnicode``,
  ``RequestId``, ``CallbackUrl``) answers ``{"CodeResult": "100", "SMSID": …}`` for
  **accepted** only. Refusals: 101 wrong ApiKey/SecretKey, 104 brandname not registered, 118
  SmsType other than 2, 108 not a Vietnamese mobile number, 124 a RequestId seen before
  (nothing is sent again), and by the phone number's last four digits (the scenarios):
  ``…0103`` 103 balance too low, ``…0104`` 104, ``…0108`` 108, ``…0146`` 146 template not
  registered, ``…0099`` 99 number blocked.
- A delivery report follows each accepted SMS ``report_delay_s`` later on the sandbox's clock
  (``SANDBOX_SMS_REPORT_DELAY_S``, default 3 s under ``python -m deploy.sandbox``, which follows
  real time; tests move the clock: ``POST /sms/_sandbox/esms/clock {"advance_s": 5}``): a GET
  of the message's ``CallbackUrl`` with ``SMSID`` and ``SendStatus`` 5 (delivered), or 4
  (rejected by the operator) for numbers ending ``…0004``; numbers ending ``…0002`` only ever
  get 2 (waiting). Unsigned, like eSMS's; an answer other than 200 is retried up to 5 times,
  ``retry_s`` apart.
- ``GET /sms/MainService.svc/json/GetSendStatus?RefId=<SMSID>&ApiKey=…&SecretKey=…`` (eSMS's
  status query by SMSID) answers from the ledger, whatever became of the reports:
  ``{"CodeResponse": "100", "SMSID": …, "SendStatus": 2, "SendSuccess": 0, "SendFailed": 0,
  "TotalReceiver": 1, "TotalSent": 0}``, SendStatus 2 (waiting) until the report is due, then
  the report's status (5 with SendSuccess 1, or 4 with SendFailed 1, or 2 for ``…0002``).
  Refusals: 101 wrong keys, 404 an SMSID it never gave (the sandbox's choice: eSMS documents
  no code for it). Scripted per phone number (``PUT /sms/_sandbox/status/{phone}``):
  ``waiting`` (SendStatus 2: the status is not known yet), ``error`` (503), ``timeout``.
- Switches, ``PUT /sms/_sandbox/esms/switches``: ``duplicate_reports`` (each report twice),
  ``drop_reports`` (none sent), ``report_delay_s``. Scripted answers per phone number
  (:mod:`deploy.sandbox.script`): ``PUT /sms/_sandbox/messages/{phone}`` with CodeResults
  (``"103"``…), ``error`` (503) or ``timeout``.
- ``GET /sms/_sandbox/esms/ledger[?phone=…]``: every request as it came (accepted or not),
  with what was sent, and the reports with their answers.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import httpx
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from deploy.sandbox.outbound import Clock, Outbound, send_in_groups
from deploy.sandbox.script import Script

DEV_ACCOUNT = ("MOTCUA-DEV-APIKEY", "MOTCUA-DEV-SECRET")
BRANDNAMES = frozenset({"MOTCUA"})
SCENARIOS = {"0103": "103", "0104": "104", "0108": "108", "0146": "146", "0099": "99"}
REPORT_SCENARIOS = {"0004": "4", "0002": "2"}
RETRIES = 5
_VN_MOBILE = re.compile(r"^(0|84|\+84)(3|5|7|8|9)[0-9]{8}$")
SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
STATUS_PATH = "/MainService.svc/json/GetSendStatus"


class SendIn(BaseModel):
    model_config = ConfigDict(extra="allow")
    ApiKey: str = ""
    SecretKey: str = ""
    Phone: str = ""
    Content: str = ""
    Brandname: str = ""
    SmsType: str = ""
    IsUnicode: str = "0"
    RequestId: str = ""
    CallbackUrl: str = ""


class Switches(BaseModel):
    duplicate_reports: bool = False
    drop_reports: bool = False
    report_delay_s: float = Field(3.0, ge=0)


@dataclass
class Report:
    sms_id: str
    url: str
    send_status: str
    due_at: datetime
    tries: int = 0
    answers: list[str] = field(default_factory=list)

    @property
    def open(self) -> bool:
        return "200" not in self.answers and self.tries < RETRIES


@dataclass
class Entry:
    """One request, as the gateway saw it."""

    request_id: str
    phone: str
    content: str
    is_unicode: str
    brandname: str
    code: str
    sms_id: str | None
    at: str


class SmsSandbox:
    def __init__(self, *, report_delay_s: float = 3.0, retry_s: float = 5.0,
                 account: tuple[str, str] = DEV_ACCOUNT, now: datetime | None = None) -> None:
        self.now = now or datetime.now(UTC)
        self._outbound = Outbound(timeout_s=5)  # one client for the gateway's life
        self._clock = Clock()
        self.account, self.retry = account, timedelta(seconds=retry_s)
        self.switches = Switches(report_delay_s=report_delay_s)
        self.ledger: list[Entry] = []
        self.accepted: dict[str, Entry] = {}  # RequestId -> the accepted request
        self.reports: list[Report] = []
        self.delivery: dict[str, tuple[Entry, str, datetime]] = {}  # SMSID -> status, when
        self.script = Script("messages", tuple(sorted({*SCENARIOS.values(), "100", "101"})))
        self.status_script = Script("status", ("waiting",))
        self._ids = itertools.count(1)

    @classmethod
    def from_env(cls) -> SmsSandbox:
        return cls(report_delay_s=float(os.environ.get("SANDBOX_SMS_REPORT_DELAY_S", "3")),
                   account=(os.environ.get("SMS_API_KEY", DEV_ACCOUNT[0]),
                            os.environ.get("SMS_SECRET_KEY", DEV_ACCOUNT[1])))

    async def send(self, body: SendIn, request: Request) -> dict[str, Any]:
        scripted = await self.script.take(body.Phone, request)
        code = scripted or self._code(body)
        sms_id = None
        if code == "100":
            sms_id = f"sbx{next(self._ids):08d}{body.RequestId[:8]}"
        entry = Entry(body.RequestId, body.Phone, body.Content, body.IsUnicode, body.Brandname,
                      code, sms_id, self.now.isoformat())
        self.ledger.append(entry)
        if sms_id is None:
            return {"CodeResult": code, "ErrorMessage": f"sandbox: code {code}"}
        if body.RequestId:
            self.accepted[body.RequestId] = entry
        status = REPORT_SCENARIOS.get(body.Phone[-4:], "5")
        due = self.now + timedelta(seconds=self.switches.report_delay_s)
        self.delivery[sms_id] = (entry, status, due)
        if body.CallbackUrl and not self.switches.drop_reports:
            copies = 2 if self.switches.duplicate_reports else 1
            self.reports += [Report(sms_id, body.CallbackUrl, status, due) for _ in range(copies)]
        return {"CodeResult": "100", "CountRegenerate": 0, "SMSID": sms_id}

    async def send_status(self, ref_id: str, api_key: str, secret_key: str,
                          request: Request) -> dict[str, Any]:
        """GetSendStatus: the SMS's status as the ledger knows it (its report's, once due)."""
        if (api_key, secret_key) != self.account:
            return {"CodeResponse": "101", "ErrorMessage": "sandbox: wrong ApiKey/SecretKey"}
        known = self.delivery.get(ref_id)
        if known is None:
            return {"CodeResponse": "404", "ErrorMessage": f"sandbox: no SMS {ref_id!r}"}
        entry, status, due = known
        scripted = await self.status_script.take(entry.phone, request)
        if scripted == "waiting" or self.now < due:
            status = "2"
        done = status in ("4", "5")
        return {"CodeResponse": "100", "SMSID": ref_id, "SendStatus": int(status),
                "SendSuccess": int(status == "5"), "SendFailed": int(status == "4"),
                "TotalReceiver": 1, "TotalSent": int(done), "TotalPrice": 0}

    def _code(self, body: SendIn) -> str:
        if (body.ApiKey, body.SecretKey) != self.account:
            return "101"
        if body.SmsType != "2":
            return "118"
        if body.Brandname not in BRANDNAMES:
            return "104"
        if not _VN_MOBILE.match(body.Phone):
            return "108"
        if body.RequestId and body.RequestId in self.accepted:
            return "124"
        return SCENARIOS.get(body.Phone[-4:], "100")

    async def advance(self, seconds: float = 0, *, to: datetime | None = None) -> int:
        """Move the clock; send the reports that are due (again), concurrently, each
        message's in order. How many were sent."""
        async with self._clock.moving:
            self.now = self._clock.moved(self.now, seconds, to)
            due = [r for r in self.reports if r.open and r.due_at <= self.now]
            await send_in_groups(due, lambda r: r.sms_id, self._deliver)
            return len(due)

    async def _deliver(self, report: Report) -> None:
        report.tries += 1
        try:
            client = self._outbound()
            answer = await client.get(report.url, params={
                "SMSID": report.sms_id, "SendStatus": report.send_status})
            report.answers.append(str(answer.status_code))
        except httpx.HTTPError as error:
            report.answers.append(type(error).__name__)
        report.due_at = self.now + self.retry

    def view(self, phone: str | None) -> dict[str, Any]:
        entries = [asdict(e) for e in self.ledger if phone is None or e.phone == phone]
        ids = {e["sms_id"] for e in entries}
        return {"requests": entries,
                "reports": [{"sms_id": r.sms_id, "send_status": r.send_status,
                             "tries": r.tries, "answers": r.answers}
                            for r in self.reports if phone is None or r.sms_id in ids]}


class ClockIn(BaseModel):
    advance_s: float = Field(ge=0, le=86_400)


def router(sandbox: SmsSandbox) -> APIRouter:
    api = APIRouter(prefix="/sms", tags=["SMS gateway (sandbox, eSMS-shaped)"])
    api.include_router(sandbox.script.router())
    api.include_router(sandbox.status_script.router())

    @api.post(SEND_PATH)
    async def send(body: SendIn, request: Request) -> dict[str, Any]:
        return await sandbox.send(body, request)

    @api.get(STATUS_PATH)
    async def send_status(request: Request,
                          ref_id: Annotated[str, Query(alias="RefId")] = "",
                          api_key: Annotated[str, Query(alias="ApiKey")] = "",
                          secret_key: Annotated[str, Query(alias="SecretKey")] = "",
                          ) -> dict[str, Any]:
        return await sandbox.send_status(ref_id, api_key, secret_key, request)

    @api.put("/_sandbox/esms/switches", include_in_schema=False)
    async def switches(body: Switches) -> Switches:
        sandbox.switches = body
        return body

    @api.post("/_sandbox/esms/clock", include_in_schema=False)
    async def clock(body: ClockIn) -> dict[str, Any]:
        sent = await sandbox.advance(body.advance_s)
        return {"now": sandbox.now.isoformat(), "reports_sent": sent}

    @api.get("/_sandbox/esms/ledger", include_in_schema=False)
    async def ledger(phone: str | None = None) -> dict[str, Any]:
        return sandbox.view(phone)

    return api

