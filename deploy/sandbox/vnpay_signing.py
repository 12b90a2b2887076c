"""The sandbox's own VNPay 2.1.0 signatures, written apart from payment's adapter so that the
two check each other: the query string is built by ``urlencode`` over the sorted pairs, the
web API text by joining the named fields with ``|``; both hashed with HMAC-SHA512."""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

UNSIGNED = frozenset({"vnp_SecureHash", "vnp_SecureHashType"})


def _digest(secret: str, text: str) -> str:
    return hmac.digest(secret.encode(), text.encode(), "sha512").hex()


def query_hash(params: Mapping[str, str], secret: str) -> str:
    pairs = sorted((k, v) for k, v in params.items()
                   if k.startswith("vnp_") and k not in UNSIGNED and v)
    return _digest(secret, urlencode(pairs))


def query_ok(params: Mapping[str, str], secret: str) -> bool:
    return hmac.compare_digest(params.get("vnp_SecureHash", "").lower(),
                               query_hash(params, secret))


def signed_query(params: Mapping[str, str], secret: str) -> str:
    return urlencode({**params, "vnp_SecureHash": query_hash(params, secret)})


def fields_hash(names: Iterable[str], body: Mapping[str, object], secret: str) -> str:
    return _digest(secret, "|".join(str(body.get("vnp_" + n, "")) for n in names))


QUERYDR = "RequestId Version Command TmnCode TxnRef TransactionDate CreateDate IpAddr OrderInfo"
REFUND = ("RequestId Version Command TmnCode TransactionType TxnRef Amount TransactionNo "
          "TransactionDate CreateBy CreateDate IpAddr OrderInfo")
QUERYDR_ANSWER = ("ResponseId Command ResponseCode Message TmnCode TxnRef Amount BankCode PayDate "
                  "TransactionNo TransactionType TransactionStatus OrderInfo PromotionCode "
                  "PromotionAmount")
REFUND_ANSWER = ("ResponseId Command ResponseCode Message TmnCode TxnRef Amount BankCode PayDate "
                 "TransactionNo TransactionType TransactionStatus OrderInfo")
