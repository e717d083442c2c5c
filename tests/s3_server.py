"""A real S3-protocol server for the tests: moto's standalone server in its own process, over HTTP.

The gateway's own boto3 client talks to it exactly as it would to MinIO or AWS (no in-process
patching). Each test gets a bucket of its own.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
import httpx

from gateway.settings import Settings
from gateway.storage_s3 import S3MediaStore
from tests import processes

ACCESS_KEY = "hrgate-test"
SECRET_KEY = "hrgate-test-secret"
REGION = "us-east-1"


@contextmanager
def moto_server(log: Path) -> Iterator[str]:
    """``moto_server`` on a free port; yields its endpoint URL."""
    port = processes.free_port()
    endpoint = f"http://127.0.0.1:{port}"
    command = [str(processes.BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)]
    process = processes.start(
        command, {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}, log
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log.read_text(errors="replace")
            try:
                httpx.get(f"{endpoint}/moto-api/", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text(errors="replace")
                time.sleep(0.2)
        yield endpoint
    finally:
        processes.stop(process)


def client(endpoint: str):
    """A plain boto3 client, for the tests' own look at the bucket."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
    )


def new_bucket(endpoint: str) -> str:
    name = f"hrgate-{uuid.uuid4().hex[:12]}"
    client(endpoint).create_bucket(Bucket=name)
    return name


def s3_settings(endpoint: str, media_url: str, **overrides) -> dict:
    """The ``HRGATE_*`` settings that choose the S3 store (as keyword arguments of ``Settings``)."""
    return {
        "media_url": media_url,
        "s3_endpoint_url": endpoint,
        "s3_region": REGION,
        "s3_access_key_id": ACCESS_KEY,
        "s3_secret_access_key": SECRET_KEY,
        "s3_max_attempts": 1,
        "s3_connect_timeout_seconds": 2,
        **overrides,
    }


def s3_store(endpoint: str, media_url: str, **overrides) -> S3MediaStore:
    return S3MediaStore.from_settings(Settings(**s3_settings(endpoint, media_url, **overrides)))


def object_keys(endpoint: str, bucket: str, prefix: str = "") -> list[str]:
    pages = client(endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


def pending_uploads(endpoint: str, bucket: str) -> list[str]:
    return [upload["Key"] for upload in client(endpoint).list_multipart_uploads(Bucket=bucket).get("Uploads", [])]
