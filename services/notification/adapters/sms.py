"""eSMS.vn adapter: brandname customer-care SMS (``SmsType=2``) through
``POST {base}/MainService.svc/json/SendMultipleMessage_V4_post_json/``.

The answer's ``CodeResult`` 100 means only that eSMS **accepted** the message; whether the
phone got it comes later, as a GET to the ``CallbackUrl`` given with the message (``SMSID``,
``SendStatus``), unsigned and retried up to 5 times (notification's api takes it). Every
request carries a ``RequestId`` derived from the message: eSMS refuses a second request with
the same one (code 124), so a resend after a crash never texts twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from shared.runtime.metrics import provider_answer

SEND_PATH = "/MainService.svc/json/SendMultipleMessage_V4_post_json/"


@dataclass(frozen=True)
class EsmsAnswer:
    code: str  # CodeResult, as eSMS sends it (a string)
    sms_id: str | None
    error: str | None


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
