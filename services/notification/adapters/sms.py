"""eSMS.vn adapter: brandname customer-care SMS (``SmsType=2``) through
``POST {base}/MainService.svc/json/SendMultipleMessage_V4_post_json/``.

The answer's ``CodeResult`` 100 means only that eSMS **accepted** the message; whether the
phone got it comes later, as a GET to the ``CallbackUrl`` given with the message (``SMSID``,
``SendStatus``), unsigned and retried up to 5 times (notification's api takes it). Every
request carries a ``RequestId`` derived from the message: eSMS refuses a second request with
the same one (code 124), so a resend after a crash never texts twice.

When the report never comes (our edge was down through eSMS's five tries), the status is
asked: ``GET {base}/MainService.svc/json/GetSendStatus?RefId=<SMSID>&ApiKey=…&SecretKey=…``
answers ``CodeResponse`` (100: found), ``SendStatus`` (1 awaiting approval, 2 waiting to be
sent, 5 sent), ``SendSuccess`` and ``SendFailed`` (how many receivers got it or not).
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from shared.runtime.metrics import provider_answer

SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"
STATUS_PATH = "/MainService.svc/json/GetSendStatus"


@dataclass(frozen=True)
class EsmsAnswer:
    code: str  # CodeResult, as eSMS sends it (a string)
    sms_id: str | None
    error: str | None


@dataclass(frozen=True)
class EsmsStatus:
    code: str  # CodeResponse: 100 when eSMS knows the SMSID
    send_status: str  # SendStatus, as a delivery report's: "5", "4", "2", "1" (or "")
    success: int  # SendSuccess
    failed: int  # SendFailed

    @property
    def report_status(self) -> str | None:
        """The SendStatus a delivery report would carry, or None while eSMS has not decided:
        sent with a failed receiver reads as 4 (rejected), as the report says it."""
        if self.code != "100":
            return None
        if self.failed and not self.success:
            return "4"
        return self.send_status if self.send_status in ("4", "5") else None


@dataclass(frozen=True)
class EsmsAccount:
    api_key: str
    secret_key: str
    brandname: str


class EsmsGateway:
    def __init__(self, client: httpx.AsyncClient, account: EsmsAccount) -> None:
        self._client, self._account = client, account

    async def send(self, *, request_id: str, phone: str, content: str, unicode: bool,
                   callback_url: str) -> EsmsAnswer:
        """Send one SMS; raises on a transport failure or an HTTP error (transient: the same
        RequestId is sent again later)."""
        response = await self._client.post(SEND_PATH, json={
            "ApiKey": self._account.api_key, "SecretKey": self._account.secret_key,
            "Phone": phone, "Content": content, "Brandname": self._account.brandname,
            "SmsType": "2", "IsUnicode": "1" if unicode else "0", "RequestId": request_id,
            "CallbackUrl": callback_url})
        response.raise_for_status()
        body = response.json()
        provider_answer("esms", str(body.get("CodeResult", "")), "send")
        return EsmsAnswer(code=str(body.get("CodeResult", "")),
                          sms_id=body.get("SMSID") or None,
                          error=body.get("ErrorMessage") or None)

    async def status(self, sms_id: str) -> EsmsStatus:
        """GetSendStatus of one SMS by its SMSID; raises on a transport or HTTP error."""
        response = await self._client.get(STATUS_PATH, params={
            "RefId": sms_id, "ApiKey": self._account.api_key,
            "SecretKey": self._account.secret_key})
        response.raise_for_status()
        body = response.json()
        code = str(body.get("CodeResponse", body.get("CodeResult", "")))
        provider_answer("esms", code, "status")
        return EsmsStatus(code=code, send_status=str(body.get("SendStatus", "")),
                          success=int(body.get("SendSuccess") or 0),
                          failed=int(body.get("SendFailed") or 0))
