"""VNPay's signatures against an independent reference written here from the protocol text:
its own percent-encoder (byte by byte, spaces as ``+``) and its own HMAC (RFC 2104 over
hashlib's SHA-512, ipad/opad by hand), so a slip in the adapter's use of urllib or hmac shows.
One vector is kept as data too, so the reference itself cannot drift with the adapter."""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from services.payment.adapters import vnpay

SECRET = "MOTCUADEVHASHSECRETVNPAY2025SBX0"  # noqa: S105 - the documented development secret
UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"


def form_encode(text: str) -> str:
    out = []
    for byte in text.encode("utf-8"):
        if byte == 0x20:
            out.append("+")
        elif byte in UNRESERVED:
            out.append(chr(byte))
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def reference_hmac_sha512(key: bytes, message: bytes) -> str:
    block = 128  # SHA-512's block size in bytes
    key = hashlib.sha512(key).digest() if len(key) > block else key
    key = key.ljust(block, b"\0")
    inner = hashlib.sha512(bytes(b ^ 0x36 for b in key) + message).digest()
    return hashlib.sha512(bytes(b ^ 0x5C for b in key) + inner).hexdigest()


def reference_sign(params: dict[str, str]) -> str:
    pairs = sorted((k, v) for k, v in params.items()
                   if k.startswith("vnp_") and k not in ("vnp_SecureHash", "vnp_SecureHashType"))
    text = "&".join(f"{form_encode(k)}={form_encode(v)}" for k, v in pairs)
    return reference_hmac_sha512(SECRET.encode(), text.encode())


PARAMS = vnpay.payment_params(
    tmn_code="MOTCUA01", txn_ref="A1B2C3D4E5F6", amount=Decimal(75000),
    order_info="Thanh toán phí, lệ phí hồ sơ VTH-250123-0007 (Đăng ký khai sinh)",
    created_at=datetime(2025, 1, 23, 3, 0, 5, tzinfo=UTC),
    expires_at=datetime(2025, 1, 23, 3, 15, 5, tzinfo=UTC),
    return_url="http://127.0.0.1:8003/v1/gateways/vnpay/return", ip_addr="127.0.0.1")
# Computed once by reference_sign above and kept: the vector does not move with the code.
PARAMS_HASH = (
    "019db9e54b5eedd031db1738056dab6067d0c5b1a0b4476c2a2d7ce52bec7370"
    "1b9e21092a748b39fb462b5975fb01f3708a6945ace7b190328d3a92d37fbc0d")


def test_the_payment_parameters_follow_the_protocol() -> None:
    assert PARAMS["vnp_Amount"] == "7500000"  # VND × 100
    assert PARAMS["vnp_CreateDate"] == "20250123100005"  # GMT+7
    assert PARAMS["vnp_ExpireDate"] == "20250123101505"
    assert PARAMS["vnp_OrderInfo"] == ("Thanh toan phi, le phi ho so VTH-250123-0007 "
                                       "Dang ky khai sinh")
    assert (PARAMS["vnp_Version"], PARAMS["vnp_Command"], PARAMS["vnp_CurrCode"],
            PARAMS["vnp_Locale"]) == ("2.1.0", "pay", "VND", "vn")


def test_the_signature_matches_the_independent_reference_and_the_kept_vector() -> None:
    assert vnpay.sign(PARAMS, SECRET) == reference_sign(PARAMS) == PARAMS_HASH


@pytest.mark.parametrize("order_info", [
    "Nộp lệ phí đăng ký kết hôn có yếu tố nước ngoài",
    "ĐỖ THỊ ỨNG — hồ sơ số 12/2025 & ~ * + %",
    "a  b",
])
def test_any_text_signs_as_the_reference_does(order_info: str) -> None:
    params = {**PARAMS, "vnp_OrderInfo": order_info, "vnp_ReturnUrl": "https://x.vn/r?a=1&b=2"}
    assert vnpay.sign(params, SECRET) == reference_sign(params)


def test_the_signed_url_verifies_and_a_changed_parameter_does_not() -> None:
    url = vnpay.signed_url("https://gw/paymentv2/vpcpay.html", PARAMS, SECRET)
    query = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    assert query["vnp_ReturnUrl"] == PARAMS["vnp_ReturnUrl"]
    assert "+" in urlsplit(url).query and " " not in url  # spaces travel as +
    assert vnpay.verify(query, SECRET)
    assert vnpay.verify({**query, "vnp_SecureHashType": "HmacSHA512"}, SECRET)  # dropped
    assert vnpay.verify({**query, "vnp_SecureHash": query["vnp_SecureHash"].upper()}, SECRET)
    assert not vnpay.verify({**query, "vnp_Amount": "100"}, SECRET)
    assert not vnpay.verify({**query, "vnp_SecureHash": ""}, SECRET)
    assert not vnpay.verify(query, SECRET + "x")


def test_vietnamese_loses_its_marks_only() -> None:
    text = "Đặng Thị Hường, ĐƯỜNG 3/2 — phường Ninh Kiều"
    assert vnpay.without_diacritics(text) == "Dang Thi Huong, DUONG 3 2 phuong Ninh Kieu"
    decomposed = unicodedata.normalize("NFD", text)  # the same text typed another way
    assert vnpay.without_diacritics(decomposed) == vnpay.without_diacritics(text)


def test_the_web_api_checksum_joins_the_documented_fields_with_bars() -> None:
    body = {"vnp_RequestId": "R1", "vnp_Version": "2.1.0", "vnp_Command": "querydr",
            "vnp_TmnCode": "MOTCUA01", "vnp_TxnRef": "A1",
            "vnp_TransactionDate": "20250123100005",
            "vnp_CreateDate": "20250123103000", "vnp_IpAddr": "127.0.0.1",
            "vnp_OrderInfo": "Truy van giao dich A1"}
    text = ("R1|2.1.0|querydr|MOTCUA01|A1|20250123100005|20250123103000|127.0.0.1|"
            "Truy van giao dich A1")
    expected = reference_hmac_sha512(SECRET.encode(), text.encode())
    assert vnpay.api_checksum(vnpay.QUERYDR, body, SECRET) == expected
    assert vnpay.api_verify(vnpay.QUERYDR, {**body, "vnp_SecureHash": expected}, SECRET)
    assert not vnpay.api_verify(vnpay.QUERYDR, {**body, "vnp_TxnRef": "A2",
                                                "vnp_SecureHash": expected}, SECRET)


def test_amounts_and_dates_round_trip() -> None:
    assert vnpay.amount_of(vnpay.vnp_amount(Decimal(20000))) == Decimal(20000)
    with pytest.raises(ValueError, match="whole"):
        vnpay.vnp_amount(Decimal("1.5"))
    at = datetime(2025, 12, 31, 17, 30, tzinfo=UTC)
    assert vnpay.vnp_date(at) == "20260101003000"
    assert vnpay.parse_vnp_date("20260101003000") == at
