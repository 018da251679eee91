"""File contents of The Stack v2 from Software Heritage's S3 bucket, as its dataset card documents.

The Stack v2 ships no file contents: each row names a ``blob_id`` and the ``src_encoding`` of the original file,
and the content is the object ``s3://softwareheritage/content/{blob_id}``, gzip-compressed. Reading it needs AWS
credentials (access is granted by Software Heritage; the card explains how). :class:`SoftwareHeritageContent`
fetches many blobs at once with boto3: a bounded thread pool (``workers`` requests in flight, the client's
connection pool sized to match) and botocore's ``standard`` retry mode (``retries`` attempts with exponential
back-off on throttling, 5xx and connection errors). A blob the bucket does not have, or one that does not decode
with its ``src_encoding``, is reported per file (the reader drops it as ``reader:content_missing`` /
``reader:undecodable``); any other error (no access, no network) stops the run with one line.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

__all__ = ["BUCKET", "MissingCredentialsError", "SoftwareHeritageContent", "check_credentials"]

BUCKET = "softwareheritage"
REGION = "us-east-1"
_INSTALL_HINT = "boto3 is not installed: pip install 'dscoder[stack-v2]'"


class MissingCredentialsError(ValueError):
    """No AWS credentials: The Stack v2's contents cannot be fetched."""


def _boto3():
    try:
        import boto3
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError(f"The Stack v2's contents are fetched from s3://{BUCKET}: {_INSTALL_HINT}") from None
    return boto3


def check_credentials() -> None:
    """Raise :class:`MissingCredentialsError` (one line) when boto3 finds no AWS credentials."""
    if _boto3().session.Session().get_credentials() is None:
        raise MissingCredentialsError(
            f"The Stack v2 keeps file contents in s3://{BUCKET}/content/<blob_id>, which needs AWS credentials "
            "(AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an AWS profile) and none were found; Software Heritage "
            "grants access as the dataset card explains"
        )


class SoftwareHeritageContent:
    """Fetch and decode blobs of ``s3://softwareheritage/content/``. ``client``: a boto3 S3 client to use (built
    on first use otherwise, so the object pickles to datatrove's workers)."""

    def __init__(self, workers: int = 32, retries: int = 5, client=None):
        self.workers = workers
        self.retries = retries
        self._client = client

    def __getstate__(self):
        return {**self.__dict__, "_client": None}

    @property
    def client(self):
        if self._client is None:
            from botocore.config import Config

            config = Config(retries={"max_attempts": self.retries + 1, "mode": "standard"},
                            max_pool_connections=self.workers)  # fmt: skip
            self._client = _boto3().session.Session().client("s3", region_name=REGION, config=config)
        return self._client

    def fetch_one(self, blob_id: str, encoding: str | None) -> str | tuple[str, str]:
        """The decoded text, or ``(reason, detail)`` for a blob that is missing or does not decode."""
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=BUCKET, Key=f"content/{blob_id}")["Body"].read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in ("NoSuchKey", "404", "NotFound"):
                return "content_missing", f"s3://{BUCKET}/content/{blob_id}: not found"
            raise
        try:
            return gzip.decompress(body).decode(encoding or "utf-8")
        except (OSError, EOFError, zlib.error) as exc:
            return "undecodable", f"{blob_id}: not gzip ({exc})"
        except (UnicodeDecodeError, LookupError) as exc:
            return "undecodable", f"{blob_id}: does not decode as {encoding!r} ({exc})"

    def fetch(self, blobs: Sequence[tuple[str, str | None]]) -> list[str | tuple[str, str]]:
        """:meth:`fetch_one` for every ``(blob_id, src_encoding)``, ``workers`` at a time, in the given order."""
        from botocore.exceptions import NoCredentialsError

        if not blobs:
            return []
        try:
            if len(blobs) == 1 or self.workers == 1:
                return [self.fetch_one(*b) for b in blobs]
            _ = self.client  # built once, before the threads share it
            with ThreadPoolExecutor(max_workers=min(self.workers, len(blobs))) as pool:
                return list(pool.map(lambda b: self.fetch_one(*b), blobs))
        except NoCredentialsError:
            check_credentials()
            raise
