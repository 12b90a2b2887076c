"""One contract for both document stores: the local folder and an S3-compatible bucket.

The S3 store is tested against moto's server: a real S3 HTTP API on a local port, reached
through boto3 exactly as in production (only the endpoint differs).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from services.intake.adapters.documents import DocumentNotFound, DocumentStore
from services.intake.blobs import Blob
from services.intake.bootstrap import document_store
from services.intake.settings import IntakeSettings
from tests.support import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(params=["local", "s3"])
def store(request, tmp_path, monkeypatch) -> DocumentStore:
    common = {"portal_secrets": "p:0123456789abcdef", "document_dir": tmp_path}
    if request.param == "local":
        return document_store(IntakeSettings(**common))
    endpoint = request.getfixturevalue("s3_endpoint")
    for name, value in {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)  # credentials come from the standard variables
    bucket = f"documents-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    return document_store(IntakeSettings(**common, document_store="s3", s3_bucket=bucket,
                                         s3_endpoint_url=endpoint))


async def test_a_document_is_addressed_by_its_sha256_and_comes_back_identical(
    store: DocumentStore,
) -> None:
    content = b"%PDF-1.4\n" + bytes(range(256)) * 40
    address = await store.put(Blob.of(content))
    assert address == hashlib.sha256(content).hexdigest()
    assert await store.get(address) == content


async def test_storing_the_same_bytes_twice_keeps_one_copy_at_one_address(
    store: DocumentStore,
) -> None:
    first, second = await store.put(Blob.of(b"same")), await store.put(Blob.of(b"same"))
    assert first == second and await store.get(first) == b"same"
    assert await store.put(Blob.of(b"other")) != first
    await store.delete(first)
    await store.delete(first)  # forgetting twice is harmless
    with pytest.raises(DocumentNotFound):
        await store.get(first)


async def test_an_unknown_address_is_not_found(store: DocumentStore) -> None:
    with pytest.raises(DocumentNotFound):
        await store.get(hashlib.sha256(b"never stored").hexdigest())


async def test_a_document_spooled_to_disk_is_stored_whole(store: DocumentStore) -> None:
    import os

    content = b"%PDF-1.7\n" + os.urandom(3 * 1024 * 1024)  # past the blob's memory spool
    address = await store.put(Blob.of(content))
    assert await store.get(address) == content
