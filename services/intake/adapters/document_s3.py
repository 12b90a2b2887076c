"""Documents in an S3-compatible bucket (AWS S3, MinIO, Ceph, …), keyed by SHA-256.

boto3 is synchronous; its client is thread-safe, so calls run in worker threads. Credentials
come from the standard AWS variables (``AWS_ACCESS_KEY_ID`` …), never from our settings.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import boto3
from botocore.exceptions import ClientError

from services.intake.adapters.documents import DocumentNotFound
from services.intake.blobs import Blob


class S3DocumentStore:
    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None, client: Any = None) -> None:
        self._bucket = bucket
        self._prefix = prefix
        self._client = client or boto3.client("s3", endpoint_url=endpoint_url,
                                              region_name=region)

    def _key(self, sha256: str) -> str:
        return f"{self._prefix}{sha256[:2]}/{sha256}"

    async def put(self, content: Blob) -> str:
        # The store checks the checksum too: a corrupted upload is refused, not kept.
        checksum = base64.b64encode(bytes.fromhex(content.sha256)).decode()
        await asyncio.to_thread(
            self._client.put_object, Bucket=self._bucket, Key=self._key(content.sha256),
            Body=content.file(), ContentLength=content.size, ChecksumSHA256=checksum,
        )
        return content.sha256

    async def delete(self, sha256: str) -> None:
        await asyncio.to_thread(self._client.delete_object, Bucket=self._bucket,
                                Key=self._key(sha256))

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
