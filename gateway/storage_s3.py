"""The S3-compatible media store (``HRGATE_MEDIA_URL=s3://bucket/prefix``): AWS S3, MinIO, Ceph RGW…

boto3's client is blocking and thread-safe: every call runs in a worker thread. A recording is
written as a multipart upload read from the validated spool file one part at a time (never the whole
file in memory) and aborted if any part fails, so the bucket holds complete objects only; readers get
a temporary local copy streamed from the object. boto3 is imported here, so a gateway with a local
media folder never loads it.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import anyio
import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from gateway.settings import Settings
from gateway.storage import (
    STORAGE_FULL_MESSAGE,
    STORAGE_UNAVAILABLE_MESSAGE,
    MediaMissing,
    StorageError,
    StorageFull,
    StorageUnavailable,
    ValidatedUpload,
    is_disk_full,
)

logger = logging.getLogger(__name__)

Result = TypeVar("Result")

FULL_CODES = frozenset({"XMinioStorageFull", "QuotaExceeded", "InsufficientStorage", "XMinioAdminBucketQuotaExceeded"})
"""Error codes that mean "no space": MinIO's full disks and bucket quotas, and the generic HTTP 507."""
MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})
DELETE_BATCH = 1000
"""``DeleteObjects`` takes at most 1,000 keys a call."""
READ_CHUNK_BYTES = 1024 * 1024


class S3MediaStore:
    """Objects under ``s3://<bucket>/<prefix>/``; a recording's URI is ``s3://<bucket>/<full key>``."""

    def __init__(self, client: Any, bucket: str, prefix: str, *, part_bytes: int) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.part_bytes = part_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> S3MediaStore:
        config = Config(
            region_name=settings.s3_region,
            signature_version="s3v4",
            connect_timeout=settings.s3_connect_timeout_seconds,
            read_timeout=settings.s3_read_timeout_seconds,
            retries={"max_attempts": settings.s3_max_attempts, "mode": "standard"},
            s3={"addressing_style": settings.s3_addressing_style},
        )
        credentials = {}
        if settings.s3_access_key_id or settings.s3_secret_access_key:
            credentials = {
                "aws_access_key_id": settings.s3_access_key_id,
                "aws_secret_access_key": settings.s3_secret_access_key,
            }
        client = boto3.session.Session().client(
            "s3", endpoint_url=settings.s3_endpoint_url or None, config=config, **credentials
        )
        return cls(client, settings.media_bucket, settings.media_key_prefix, part_bytes=settings.s3_part_bytes)

    # --- keys and URIs

    def object_key(self, key: str) -> str:
        key = key.strip("/")
        return f"{self.prefix}/{key}" if self.prefix else key

    def uri(self, object_key: str) -> str:
        return f"s3://{self.bucket}/{object_key}"

    def object_key_of(self, uri: str) -> str:
        """The key inside this store's bucket and prefix; ``MediaMissing`` for any other URI."""
        head = f"s3://{self.bucket}/"
        object_key = uri.removeprefix(head) if uri.startswith(head) else ""
        if not object_key or (self.prefix and not object_key.startswith(f"{self.prefix}/")) or ".." in object_key:
            raise MediaMissing(f"{uri} is not a recording of this media store (s3://{self.bucket}/{self.prefix})")
        return object_key

    # --- the interface

    async def write(self, key: str, upload: ValidatedUpload) -> str:
        object_key = self.object_key(key)
        await self._call(self._multipart_upload, object_key, upload)
        return self.uri(object_key)

    @asynccontextmanager
    async def open_read(self, uri: str) -> AsyncIterator[Path]:
        object_key = self.object_key_of(uri)
        suffix = Path(object_key).suffix
        descriptor, name = tempfile.mkstemp(prefix="hrgate-media-", suffix=suffix)
        os.close(descriptor)
        local = Path(name)
        try:
            await self._call(self._download, object_key, local)
            yield local
        finally:
            local.unlink(missing_ok=True)

    async def delete(self, uri: str) -> None:
        object_key = self.object_key_of(uri)
        await self._call(lambda: self.client.delete_object(Bucket=self.bucket, Key=object_key))

    async def delete_folder(self, prefix: str) -> None:
        folder = f"{self.object_key(prefix)}/"
        if folder.strip("/") == self.prefix:
            raise ValueError("refusing to delete the whole media store")
        await self._call(self._delete_under, folder)

    async def exists(self, uri: str) -> bool:
        object_key = self.object_key_of(uri)
        try:
            await self._call(lambda: self.client.head_object(Bucket=self.bucket, Key=object_key))
        except MediaMissing:
            return False
        return True

    async def sweep_partials(self, older_than_seconds: float) -> int:
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        return await self._call(self._abort_uploads, f"{self.prefix}/" if self.prefix else "", cutoff)

    async def check(self) -> None:
        """Raise ``StorageUnavailable`` when the bucket cannot be reached (a missing bucket included)."""
        try:
            await self._call(lambda: self.client.head_bucket(Bucket=self.bucket))
        except MediaMissing as missing:  # HEAD answers a bare 404 for a missing bucket
            logger.error("media store: the bucket %s does not exist (HRGATE_MEDIA_URL)", self.bucket)
            raise StorageUnavailable(STORAGE_UNAVAILABLE_MESSAGE) from missing

    # --- blocking work, run in a thread

    def _multipart_upload(self, object_key: str, upload: ValidatedUpload) -> None:
        started = self.client.create_multipart_upload(
            Bucket=self.bucket,
            Key=object_key,
            ContentType=upload.content_type,
            Metadata={"sha256": upload.sha256},
        )
        upload_id = started["UploadId"]
        try:
            parts = []
            with upload.path.open("rb") as source:
                number = 1
                while part := source.read(self.part_bytes):
                    answer = self.client.upload_part(
                        Bucket=self.bucket, Key=object_key, UploadId=upload_id, PartNumber=number, Body=part
                    )
                    parts.append({"PartNumber": number, "ETag": answer["ETag"]})
                    number += 1
            self.client.complete_multipart_upload(
                Bucket=self.bucket, Key=object_key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
        except BaseException:
            try:
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=object_key, UploadId=upload_id)
            except (BotoCoreError, ClientError):  # the sweep aborts it later
                logger.warning("could not abort multipart upload %s of %s", upload_id, object_key, exc_info=True)
            raise

    def _download(self, object_key: str, local: Path) -> None:
        body = self.client.get_object(Bucket=self.bucket, Key=object_key)["Body"]
        try:
            with local.open("wb") as target:
                for chunk in body.iter_chunks(READ_CHUNK_BYTES):
                    target.write(chunk)
        finally:
            body.close()

    def _delete_under(self, folder: str) -> None:
        keys: list[str] = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=folder):
            keys += [item["Key"] for item in page.get("Contents", [])]
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]
            answer = self.client.delete_objects(
                Bucket=self.bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
            )
            if answer.get("Errors"):
                failed = ", ".join(f"{error['Key']} ({error.get('Code')})" for error in answer["Errors"])
                raise StorageUnavailable(f"could not delete {failed}")
        self._abort_uploads(folder, None)

    def _abort_uploads(self, prefix: str, initiated_before: datetime | None) -> int:
        aborted = 0
        for page in self.client.get_paginator("list_multipart_uploads").paginate(Bucket=self.bucket, Prefix=prefix):
            for pending in page.get("Uploads", []):
                if initiated_before is not None and pending["Initiated"] >= initiated_before:
                    continue
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=pending["Key"], UploadId=pending["UploadId"])
                aborted += 1
        return aborted

    async def _call(self, function: Callable[..., Result], *args: Any) -> Result:
        try:
            return await anyio.to_thread.run_sync(function, *args)
        except StorageError:
            raise
        except ClientError as error:
            raise self._translate(error) from error
        except BotoCoreError as error:
            logger.error("media store s3://%s unreachable: %s", self.bucket, error)
            raise StorageUnavailable(STORAGE_UNAVAILABLE_MESSAGE) from error
        except OSError as error:
            if is_disk_full(error):  # only local writes: a reader's temporary copy
                logger.error("no space left for a temporary copy of a recording: %s", error)
                raise StorageFull("no space left for a temporary copy of the recording") from error
            raise

    def _translate(self, error: ClientError) -> StorageError:
        code = str(error.response.get("Error", {}).get("Code", ""))
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in MISSING_CODES or (status == 404 and code != "NoSuchBucket"):
            return MediaMissing(f"no such recording in s3://{self.bucket} ({code or status})")
        if code in FULL_CODES or status == 507:
            logger.error("media store s3://%s is full: %s", self.bucket, error)
            return StorageFull(STORAGE_FULL_MESSAGE)
        if code == "NoSuchBucket":
            logger.error("media store: the bucket %s does not exist (HRGATE_MEDIA_URL)", self.bucket)
        else:
            logger.error("media store s3://%s refused the request: %s", self.bucket, error)
        return StorageUnavailable(STORAGE_UNAVAILABLE_MESSAGE)
