"""A portal's client for intake, and the ``mot-cua-portal`` command that wraps it.

Every request and record is signed, version 2 (``shared.portal.auth``). The defaults are the
development portal of ``make run``; set ``MOT_CUA_INTAKE_URL``, ``MOT_CUA_PORTAL_ID`` and
``MOT_CUA_PORTAL_SECRET`` (or the options) for another one. Examples::

    mot-cua-portal submit dossier.json                  # JSON with base64 documents
    mot-cua-portal submit dossier.json --document to_khai=to-khai.pdf   # multipart upload
    mot-cua-portal get VTH-250123-0001
    mot-cua-portal supplement VTH-250123-0001 --document giay_to_dat=dat.pdf
    mot-cua-portal withdraw VTH-250123-0001 --reason "Nộp nhầm thủ tục"
    mot-cua-portal redeliver VTH-250123-0001            # or --choice collect_at_office
    mot-cua-portal publish dossier.json                 # over Kafka; prints the receipt
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import mimetypes
import os
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from shared.contracts.topics import PORTAL_SUBMISSIONS, portal_receipts
from shared.portal.auth import signed_headers, signed_record_headers
from shared.runtime.settings import kafka_security


def signed_request(method: str, url: str | httpx.URL, portal_id: str, secret: str, *,
                   body: Any = None, files: dict[str, Path] | None = None) -> httpx.Request:
    """A signed request for any httpx client (sync or async). With ``files``, a multipart
    upload: the JSON body goes in the part ``json`` and each document names its file part."""
    if files:
        parts = {kind: (p.name, p.read_bytes(),
                        mimetypes.guess_type(p.name)[0] or "application/octet-stream")
                 for kind, p in files.items()}
        body = dict(body or {})
        body["documents"] = [*body.get("documents", []),
                             *({"kind": kind, "part": kind} for kind in files)]
        request = httpx.Request(method, url, files={
            "json": (None, json.dumps(body, ensure_ascii=False), "application/json"), **parts})
    elif body is not None:
        request = httpx.Request(method, url, content=json.dumps(body, ensure_ascii=False),
                                headers={"Content-Type": "application/json"})
    else:
        request = httpx.Request(method, url)
    return sign_request(request, portal_id, secret)


def sign_request(request: httpx.Request, portal_id: str, secret: str, *,
                 now: float | None = None) -> httpx.Request:
    """Adds the version 2 signature of exactly what ``request`` sends (method, path, query,
    body) to its headers; a fresh nonce each time, so sign each request once."""
    request.headers.update(signed_headers(portal_id, secret, request.read(),
                                          method=request.method, path=request.url.path,
                                          query=request.url.query, now=now))
    return request


class PortalClient:
    def __init__(self, base_url: str, portal_id: str, secret: str, *, timeout: float = 30) -> None:
        self.portal_id, self._secret = portal_id, secret
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def send(self, method: str, path: str, *, body: Any = None,
             files: dict[str, Path] | None = None) -> httpx.Response:
        return self._http.send(signed_request(method, self._http.base_url.join(path),
                                              self.portal_id, self._secret,
                                              body=body, files=files))

    def submit(self, dossier: dict[str, Any], files: dict[str, Path] | None = None
               ) -> httpx.Response:
        return self.send("POST", "/v1/dossiers", body=dossier, files=files)

    def dossier(self, code: str) -> httpx.Response:
        return self.send("GET", f"/v1/dossiers/{code}")

    def supplement(self, code: str, files: dict[str, Path], note: str | None = None
                   ) -> httpx.Response:
        return self.send("POST", f"/v1/dossiers/{code}/supplements",
                         body={"note": note} if note else {}, files=files)

    def withdraw(self, code: str, reason: str | None = None) -> httpx.Response:
        return self.send("POST", f"/v1/dossiers/{code}/withdraw", body={"reason": reason})

    def redeliver(self, code: str, choice: str = "redeliver") -> httpx.Response:
        """After a failed postal delivery: ``redeliver`` or ``collect_at_office``."""
        return self.send("POST", f"/v1/dossiers/{code}/redelivery", body={"choice": choice})


def kafka_record(portal_id: str, secret: str, dossier: dict[str, Any]
                 ) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """Key, value and headers of a submission published to ``portal.submissions``."""
    value = json.dumps(dossier, ensure_ascii=False).encode()
    key = dossier["portal_submission_id"].encode()
    return key, value, record_headers(portal_id, secret, key, value)


def record_headers(portal_id: str, secret: str, key: bytes, value: bytes, *,
                   topic: str = PORTAL_SUBMISSIONS, now: float | None = None
                   ) -> list[tuple[str, bytes]]:
    """The signature headers of a record with this key and value on ``topic``."""
    headers = signed_record_headers(portal_id, secret, value, topic=topic,
                                    key=key.decode("utf-8", "replace"), now=now)
    return [(k, v.encode()) for k, v in headers.items()]


def kafka_security_from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The portal's Kafka login from the variables the services read (KAFKA_SECURITY_PROTOCOL,
    KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD or its _FILE,
    KAFKA_SSL_CAFILE); PLAINTEXT when unset. The username defaults to the portal's
    principal, ``portal-<id>`` (deploy/kafka/acls.py)."""
    env = os.environ if env is None else env
    password = env.get("KAFKA_SASL_PASSWORD", "")
    if not password and env.get("KAFKA_SASL_PASSWORD_FILE"):
        password = Path(env["KAFKA_SASL_PASSWORD_FILE"]).read_text("utf-8").strip()
    return kafka_security(env.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"),
                          env.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
                          env.get("KAFKA_SASL_USERNAME", ""), password,
                          env.get("KAFKA_SSL_CAFILE") or None)


async def publish_and_wait(bootstrap: str, portal_id: str, secret: str,
                           dossier: dict[str, Any], timeout_s: float = 30,
                           resend_after_s: float = 10, *,
                           security: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Publish a submission over Kafka and return its receipt from the portal's topic.
    ``security``: aiokafka's security arguments (:func:`kafka_security_from_env`).

    A submission with no receipt after ``resend_after_s`` is published again, signed anew
    (a record's nonce is used once; intake answers a resent submission with the receipt of
    the first): a broker that lost it, or lost the receipt, costs a delay, not the
    submission."""
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    login = dict(security or {})
    key, value, headers = kafka_record(portal_id, secret, dossier)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", **login)
    await producer.start()
    consumer = AIOKafkaConsumer(portal_receipts(portal_id), bootstrap_servers=bootstrap,
                                group_id=f"portal-{portal_id}.cli-{uuid.uuid4().hex[:8]}",
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                **login)
    try:
        sent = await producer.send_and_wait(PORTAL_SUBMISSIONS, value, key=key, headers=headers)
        await consumer.start()
        async with asyncio.timeout(timeout_s):
            while True:
                answer = await _receipt(consumer, key, sent.timestamp, resend_after_s)
                if answer is not None:
                    return answer
                key, value, headers = kafka_record(portal_id, secret, dossier)  # a new nonce
                await producer.send_and_wait(PORTAL_SUBMISSIONS, value, key=key,
                                             headers=headers)
    finally:
        await consumer.stop()
        await producer.stop()


async def _receipt(consumer: Any, key: bytes, since_ms: int, within_s: float
                   ) -> dict[str, Any] | None:
    """The receipt for ``key`` newer than ``since_ms``, or None after ``within_s``."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(within_s):
            async for record in consumer:  # receipts of earlier replays are older than ours
                if record.key == key and record.timestamp >= since_ms:
                    answer: dict[str, Any] = json.loads(record.value)
                    return answer
    return None


def _files(pairs: list[str]) -> dict[str, Path]:
    files = {}
    for pair in pairs:
        kind, sep, path = pair.partition("=")
        if not sep or not Path(path).is_file():
            raise SystemExit(f"--document {pair!r}: expected KIND=PATH to an existing file")
        files[kind] = Path(path)
    return files


def main(argv: list[str] | None = None) -> int:
    env = os.environ.get
    cli = argparse.ArgumentParser(prog="mot-cua-portal", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    cli.add_argument("--url", default=env("MOT_CUA_INTAKE_URL", "http://127.0.0.1:8001"))
    cli.add_argument("--portal", default=env("MOT_CUA_PORTAL_ID", "dev-portal"))
    cli.add_argument("--secret", default=env("MOT_CUA_PORTAL_SECRET", "dev-portal-secret"))
    cli.add_argument("--field", help="print only this field of the JSON answer")
    commands = cli.add_subparsers(dest="command", required=True)
    submit, publish = commands.add_parser("submit"), commands.add_parser("publish")
    for sub in (submit, publish):
        sub.add_argument("file", help="the dossier as JSON ('-' for standard input)")
    submit.add_argument("--document", action="append", default=[], metavar="KIND=PATH")
    publish.add_argument("--bootstrap-servers",
                         default=env("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092"))
    commands.add_parser("get").add_argument("code")
    supplement = commands.add_parser("supplement")
    supplement.add_argument("code")
    supplement.add_argument("--document", action="append", required=True, metavar="KIND=PATH")
    supplement.add_argument("--note")
    withdraw = commands.add_parser("withdraw")
    withdraw.add_argument("code")
    withdraw.add_argument("--reason")
    redeliver = commands.add_parser("redeliver")
    redeliver.add_argument("code")
    redeliver.add_argument("--choice", choices=("redeliver", "collect_at_office"),
                           default="redeliver")
    args = cli.parse_args(argv)
    if args.command == "publish":
        dossier = json.loads(sys.stdin.read() if args.file == "-" else Path(args.file).read_text())
        security = kafka_security_from_env(
            {"KAFKA_SASL_USERNAME": f"portal-{args.portal}", **os.environ})
        answer = asyncio.run(publish_and_wait(args.bootstrap_servers, args.portal, args.secret,
                                              dossier, security=security))
        return _print(answer, args.field, ok=answer.get("outcome") == "accepted")
    client = PortalClient(args.url, args.portal, args.secret)
    try:
        response = _call(client, args)
    finally:
        client.close()
    try:
        answer = response.json()
    except ValueError:
        answer = {"status_code": response.status_code, "body": response.text}
    if not response.is_success:
        print(f"HTTP {response.status_code}", file=sys.stderr)
    return _print(answer, args.field, ok=response.is_success)


def _call(client: PortalClient, args: argparse.Namespace) -> httpx.Response:
    if args.command == "submit":
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text()
        return client.submit(json.loads(text), _files(args.document))
    if args.command == "get":
        return client.dossier(args.code)
    if args.command == "supplement":
        return client.supplement(args.code, _files(args.document), args.note)
    if args.command == "redeliver":
        return client.redeliver(args.code, args.choice)
    return client.withdraw(args.code, args.reason)


def _print(answer: Any, field: str | None, *, ok: bool) -> int:
    if field and ok and isinstance(answer, dict):
        print(answer.get(field, ""))
    else:
        print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
