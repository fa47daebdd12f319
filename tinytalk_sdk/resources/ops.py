"""client.ops: health, cleanup_uploads."""

from __future__ import annotations

from .._redact import register_secret
from ..types import CleanupRequest, CleanupResult, EmptyRequest, Health, endpoint
from ._base import AsyncAPIResource, SyncAPIResource, make_params

__all__ = ["AsyncOps", "Ops"]


class Ops(SyncAPIResource):
    def health(self) -> Health:
        """GET /health.php."""
        return self._client._request(endpoint("health"), EmptyRequest(), Health)

    def cleanup_uploads(
        self, *, token: str, older_than_days: int | None = None, dry_run: bool | None = None
    ) -> CleanupResult:
        """GET /cleanup_uploads.php?token=…: delete old voice uploads (the cron job's call)."""
        register_secret(token)  # it travels in the query string: keep it out of logs and errors
        ep = endpoint("cleanup_uploads")
        params = make_params(CleanupRequest, ep.path, token=token, older_than_days=older_than_days,
                             dry_run=dry_run)
        return self._client._request(ep, params, CleanupResult)


class AsyncOps(AsyncAPIResource):
    async def health(self) -> Health:
        return await self._client._request(endpoint("health"), EmptyRequest(), Health)

    async def cleanup_uploads(
        self, *, token: str, older_than_days: int | None = None, dry_run: bool | None = None
    ) -> CleanupResult:
        register_secret(token)
        ep = endpoint("cleanup_uploads")
        params = make_params(CleanupRequest, ep.path, token=token, older_than_days=older_than_days,
                             dry_run=dry_run)
        return await self._client._request(ep, params, CleanupResult)
