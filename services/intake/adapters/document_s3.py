"""Documents in an S3-compatible bucket (AWS S3, MinIO, Ceph, …), keyed by SHA-256.

boto3 is synchronous; its client is thread-safe, so calls run in worker threads. Credentials
come from the standard AWS variables (``AWS_ACCESS_KEY_ID`` …), never from our settings.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from typing import Any

import boto3
from botocore.exceptions import ClientError

from services.intake.adapters.documents import DocumentNotFound


class S3DocumentStore:
    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, client: Any = None) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._client = client or boto3.client("s3", endpoint_url=endpoint_url,
                                              region_name=region)

    def _key(self, sha256: str) -> str:
        return f"{self._prefix}{sha256[:2]}/{sha256}"

    async def put(self, content: bytes) -> str:
        digest = hashlib.sha256(content)
        # The store checks the checksum too: a corrupted upload is refused, not kept.
        await asyncio.to_thread(
            self._client.put_object, Bucket=self._bucket, Key=self._key(digest.hexdigest()),
            Body=content, ChecksumSHA256=base64.b64encode(digest.digest()).decode(),
        )
        return digest.hexdigest()

    async def get(self, sha256: str) -> bytes:
        try:
            answer = await asyncio.to_thread(
                self._client.get_object, Bucket=self._bucket, Key=self._key(sha256)
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"NoSuchKey", "404"}:
                raise DocumentNotFound(sha256) from None
            raise
        body: bytes = await asyncio.to_thread(answer["Body"].read)
        return body
