"""VNPay 2.1.0 as data and signatures, no I/O: the payment URL, the verification of what the
gateway sends back (return redirect, IPN), and the checksums of the merchant web API.

- A payment URL carries every ``vnp_*`` parameter; ``vnp_SecureHash`` is the hex HMAC-SHA512,
  with the hash secret, of the parameters sorted by key, each key and value form-encoded
  (spaces become ``+``) and joined with ``&``. Verifying drops ``vnp_SecureHash`` and
  ``vnp_SecureHashType`` and hashes the rest the same way.
- The merchant web API (querydr, refund) hashes its fields joined with ``|`` in an order the
  gateway documents for each command (``QUERYDR``, ``REFUND`` and their answers).
- Amounts travel as VND × 100; dates as ``yyyyMMddHHmmss`` in GMT+7.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import quote_plus

VERSION = "2.1.0"
GMT7 = timezone(timedelta(hours=7), "GMT+7")
SIGNATURE_FIELDS = ("vnp_SecureHash", "vnp_SecureHashType")

# The fields of each web API checksum, in the documented order (without the vnp_ prefix).
QUERYDR = ("RequestId", "Version", "Command", "TmnCode", "TxnRef", "TransactionDate",
           "CreateDate", "IpAddr", "OrderInfo")
QUERYDR_ANSWER = ("ResponseId", "Command", "ResponseCode", "Message", "TmnCode", "TxnRef",
                  "Amount", "BankCode", "PayDate", "TransactionNo", "TransactionType",
                  "TransactionStatus", "OrderInfo", "PromotionCode", "PromotionAmount")
REFUND = ("RequestId", "Version", "Command", "TmnCode", "TransactionType", "TxnRef", "Amount",
          "TransactionNo", "TransactionDate", "CreateBy", "CreateDate", "IpAddr", "OrderInfo")
REFUND_ANSWER = ("ResponseId", "Command", "ResponseCode", "Message", "TmnCode", "TxnRef",
                 "Amount", "BankCode", "PayDate", "TransactionNo", "TransactionType",
                 "TransactionStatus", "OrderInfo")

_NOT_PLAIN = re.compile(r"[^A-Za-z0-9 .,:_-]+")


def without_diacritics(text: str) -> str:
    """Vietnamese without its marks, as ``vnp_OrderInfo`` wants it: NFD splits every letter
    from its combining marks, which go; đ and Đ are letters of their own (no decomposition)
    and map to d and D. Anything left outside plain ASCII becomes a space.

    The standard library is enough for Vietnamese, and keeps a GPL transliteration table
    (Unidecode) out of an Apache-2.0 project."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(_NOT_PLAIN.sub(" ", bare).split())


def vnp_amount(amount: Decimal) -> str:
    """VND × 100, as an integer string (VND has no minor unit, the gateway wants one)."""
    if amount != amount.to_integral_value():
        raise ValueError(f"{amount} VND is not a whole amount")
    return str(int(amount) * 100)


def amount_of(vnp: str) -> Decimal:
    return Decimal(int(vnp)) / 100


def vnp_date(at: datetime) -> str:
    return at.astimezone(GMT7).strftime("%Y%m%d%H%M%S")


def parse_vnp_date(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=GMT7)


def canonical_query(params: Mapping[str, str]) -> str:
    """The signed text: ``vnp_*`` parameters by key, form-encoded, joined with ``&``."""
    return "&".join(f"{quote_plus(k)}={quote_plus(str(params[k]))}"
                    for k in sorted(params) if k.startswith("vnp_") and params[k] != "")


def hmac_sha512(secret: str, text: str) -> str:
    return hmac.new(secret.encode(), text.encode(), hashlib.sha512).hexdigest()


def sign(params: Mapping[str, str], secret: str) -> str:
    return hmac_sha512(secret, canonical_query(
        {k: v for k, v in params.items() if k not in SIGNATURE_FIELDS}))


def verify(params: Mapping[str, str], secret: str) -> bool:
    """Whether ``vnp_SecureHash`` signs the other ``vnp_*`` parameters (hex in any case)."""
    given = params.get("vnp_SecureHash", "")
    return bool(given) and hmac.compare_digest(given.lower(), sign(params, secret))


def signed_url(base_url: str, params: Mapping[str, str], secret: str) -> str:
    """``base_url`` with the parameters and their ``vnp_SecureHash``."""
    return f"{base_url}?{canonical_query(params)}&vnp_SecureHash={sign(params, secret)}"


def api_checksum(fields: Sequence[str], body: Mapping[str, str], secret: str) -> str:
    """A web API checksum: the named fields' values (``vnp_`` + name) joined with ``|``."""
    return hmac_sha512(secret, "|".join(str(body.get(f"vnp_{f}", "")) for f in fields))


def api_verify(fields: Sequence[str], body: Mapping[str, str], secret: str) -> bool:
    given = str(body.get("vnp_SecureHash", ""))
    return bool(given) and hmac.compare_digest(given.lower(),
                                               api_checksum(fields, body, secret))


def payment_params(*, tmn_code: str, txn_ref: str, amount: Decimal, order_info: str,
                   created_at: datetime, expires_at: datetime, return_url: str, ip_addr: str,
                   order_type: str = "other", locale: str = "vn") -> dict[str, str]:
    """The ``vnp_*`` parameters of a payment URL, before signing."""
    return {"vnp_Version": VERSION, "vnp_Command": "pay", "vnp_TmnCode": tmn_code,
            "vnp_Amount": vnp_amount(amount), "vnp_CurrCode": "VND", "vnp_TxnRef": txn_ref,
            "vnp_OrderInfo": without_diacritics(order_info), "vnp_OrderType": order_type,
            "vnp_Locale": locale, "vnp_ReturnUrl": return_url, "vnp_IpAddr": ip_addr,
            "vnp_CreateDate": vnp_date(created_at), "vnp_ExpireDate": vnp_date(expires_at)}
