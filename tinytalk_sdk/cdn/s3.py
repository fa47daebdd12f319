"""``s3://bucket/prefix``: S3 or an S3-compatible store (endpoint from the ``s3_endpoint_url`` setting).

Credentials come from boto3's usual chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, profiles, roles);
the toolkit never stores them. A single PUT is atomic in S3, so the pointer swap is one small object and
every write is whole. Server-side copies use CopyObject (no bytes uploaded).

Conditional writes (S3 since 2024, moto too) make the publish lease (:mod:`.lease`) one object created with
``If-None-Match: *`` and renewed, taken over or deleted with ``If-Match`` on its ETag; the pointer swap of a
publish uses ``If-Match`` on the ETag it read (``If-None-Match: *`` for a first publish) as well, so a
pointer changed by anyone since the plan is never overwritten (:meth:`S3Backend.replace_if`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from .._exceptions import PublishError
from ._base import ObjectInfo, check_key
from .lease import LeaseState

# Codes of a failed condition: 412 PreconditionFailed; 409 when a concurrent conditional write is in flight.
_CONDITION_FAILED = ("PreconditionFailed", "412", "ConditionalRequestConflict", "409", "NoSuchKey", "404")

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["S3Backend"]


class S3Backend:
    def __init__(
        self,
        *,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region_name: str | None = None,
        client: S3Client | None = None,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        where = f" at {endpoint_url}" if endpoint_url else ""
        self.url = f"s3://{bucket}/{self.prefix}".rstrip("/") + where
        self._lock = threading.Lock()
        if client is None:
            import boto3
            from botocore.config import Config as BotoConfig

            client = boto3.client(
                "s3",
                endpoint_url=endpoint_url,
                region_name=region_name or "us-east-1",
                config=BotoConfig(
                    s3={"addressing_style": "path" if endpoint_url else "auto"},
                    connect_timeout=10,
                    read_timeout=60,
                    retries={"max_attempts": 5, "mode": "standard"},
                ),
            )
        self._s3 = client

    def _key(self, key: str) -> str:
        check_key(key, url=self.url)
        return f"{self.prefix}/{key}" if self.prefix else key

    def _fail(self, op: str, key: str, exc: BaseException) -> PublishError:
        code = ""
        response = getattr(exc, "response", None)
        if isinstance(response, dict):
            code = str(response.get("Error", {}).get("Code", ""))
        reason = code or type(exc).__name__
        return PublishError(f"{self.url}: {op} '{key}' failed: {reason}")

    @staticmethod
    def _missing(exc: BaseException) -> bool:
        response = getattr(exc, "response", None)
        if not isinstance(response, dict):
            return False
        code = str(response.get("Error", {}).get("Code", ""))
        return code in ("404", "NoSuchKey", "NotFound")

    def list(self, prefix: str) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        base = self._key(prefix.strip("/")) + "/" if prefix.strip("/") else (
            self.prefix + "/" if self.prefix else ""
        )
        strip = len(self.prefix) + 1 if self.prefix else 0
        out: list[str] = []
        try:
            paginator = self._s3.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=base):
                for obj in page.get("Contents", []):
                    out.append(obj["Key"][strip:])
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("list", prefix, exc) from None
        return sorted(out)

    def read(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=self._key(key))
            return response["Body"].read()
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("read", key, exc) from None

    def _head(self, key: str) -> dict[str, Any] | None:
        """``HEAD`` of the object, or None when it does not exist."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return dict(self._s3.head_object(Bucket=self.bucket, Key=self._key(key)))
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise self._fail("stat", key, exc) from None
        except BotoCoreError as exc:
            raise self._fail("stat", key, exc) from None

    def stat(self, key: str) -> ObjectInfo | None:
        head = self._head(key)
        if head is None:
            return None
        return ObjectInfo(
            key, int(head["ContentLength"]), head.get("ContentType"), head.get("CacheControl")
        )

    def exists(self, key: str) -> bool:
        return self.stat(key) is not None

    def write(self, key: str, data: bytes, *, content_type: str, cache_control: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._s3.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                ContentType=content_type,
                CacheControl=cache_control,
            )
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("write", key, exc) from None

    replace = write  # one PUT of a small object is the atomic pointer swap on S3

    def copy(self, src: str, dst: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._s3.copy_object(
                Bucket=self.bucket,
                Key=self._key(dst),
                CopySource={"Bucket": self.bucket, "Key": self._key(src)},
                MetadataDirective="COPY",
            )
        except (BotoCoreError, ClientError):
            return False
        return True

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._s3.delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            if not self._missing(exc):
                raise self._fail("delete", key, exc) from None

    # -- conditional writes: the lease and the pointer ----------------------------------------------
    def _code(self, exc: BaseException) -> str:
        response = getattr(exc, "response", None)
        return str(response.get("Error", {}).get("Code", "")) if isinstance(response, dict) else ""

    def _put_if(self, key: str, data: bytes, *, content_type: str, cache_control: str, **condition: str) -> str | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._s3.put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                                           ContentType=content_type, CacheControl=cache_control,
                                           **condition)  # type: ignore[arg-type]
        except ClientError as exc:
            if self._code(exc) in _CONDITION_FAILED:
                return None
            failure = self._fail("write", key, exc)
            if self._code(exc) in ("NotImplemented", "501"):
                failure.hint = ("this S3-compatible store has no conditional writes (If-None-Match / If-Match), "
                                "which the publish lease needs (AWS S3 and moto have them)")
            raise failure from None
        except BotoCoreError as exc:
            raise self._fail("write", key, exc) from None
        return str(response["ETag"])

    def etag(self, key: str) -> str | None:
        """The object's ETag, or None when it does not exist."""
        head = self._head(key)
        return None if head is None else str(head["ETag"])

    def replace_if(self, key: str, data: bytes, *, etag: str | None, content_type: str, cache_control: str) -> bool:
        """Replace ``key`` only if its ETag is still ``etag`` (None: only if it does not exist yet)."""
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        return self._put_if(key, data, content_type=content_type, cache_control=cache_control, **condition) is not None

    def lease_create(self, key: str, data: bytes) -> str | None:
        return self._put_if(key, data, content_type="application/json", cache_control="no-store", IfNoneMatch="*")

    def lease_read(self, key: str) -> LeaseState | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            response = self._s3.get_object(Bucket=self.bucket, Key=self._key(key))
            body = response["Body"].read()
        except ClientError as exc:
            if self._missing(exc):
                return None
            raise self._fail("read", key, exc) from None
        except BotoCoreError as exc:
            raise self._fail("read", key, exc) from None
        return LeaseState(body, str(response["ETag"]), response["LastModified"].timestamp())

    def lease_swap(self, key: str, data: bytes, token: str) -> str | None:
        return self._put_if(key, data, content_type="application/json", cache_control="no-store", IfMatch=token)

    def lease_delete(self, key: str, token: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._s3.delete_object(Bucket=self.bucket, Key=self._key(key), IfMatch=token)
        except ClientError as exc:
            code = self._code(exc)
            if code in _CONDITION_FAILED:
                return
            if code not in ("NotImplemented", "501", "InvalidArgument", "InvalidRequest"):
                raise self._fail("delete", key, exc) from None
            # A store without conditional deletes: compare, then delete (a take-over in between is the only
            # race, and the taker's renewal before its pointer swap notices it).
            current = self.lease_read(key)
            if current is not None and current.token == token:
                self.delete(key)
        except BotoCoreError as exc:
            raise self._fail("delete", key, exc) from None

    def close(self) -> None:
        close = getattr(self._s3, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> S3Backend:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
