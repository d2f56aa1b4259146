"""SigV4 as an ``httpx.Auth``: :class:`SigV4Auth` signs httpx requests as they are sent.

The signing itself is :class:`privateapi._signing.Signer`'s, over the request's wire
parts; this module only adapts httpx's request (its raw target and header list) to it,
so the doctor and anything else that builds its own wire request sign the same way
without importing httpx.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Generator
from typing import ClassVar

import httpx

from privateapi._credentials import Credentials
from privateapi._signing import Signer

__all__ = ["SigV4Auth"]


class SigV4Auth(Signer, httpx.Auth):
    """Sign httpx requests with SigV4 for API Gateway (``execute-api``).

    Args:
        credentials: ``None`` for botocore's credential chain, or static
            credentials / a botocore credentials object (see
            :func:`~privateapi.resolve_credentials`).
        region: the signing region (``us-east-1``).
        service: the signing name; ``execute-api`` for API Gateway.
        clock: returns the signing time as an aware datetime (tests, conformance).
        profile: the shared-config profile for the default chain.
        sign_headers: extra header names to sign besides ``host``,
            ``content-type``, ``x-amz-*`` and ``x-apigw-api-id``.
        content_sha256: also send and sign ``x-amz-content-sha256``.
        record: keep :class:`SigningDetails` of the last request in
            :attr:`last_signing` (and in the request's extensions).

    Example:
        >>> import httpx, datetime
        >>> auth = SigV4Auth(("AKIDEXAMPLE", "secret"), region="us-east-1",
        ...     clock=lambda: datetime.datetime(2015, 8, 30, 12, 36, tzinfo=datetime.UTC))
        >>> req = httpx.Request("GET", "https://abcde12345.execute-api.us-east-1.amazonaws.com/prod")
        >>> _ = next(auth.sync_auth_flow(req))
        >>> req.headers["x-amz-date"]
        '20150830T123600Z'
    """

    requires_request_body = True
    #: The request extension key under which details are recorded (``record=True``).
    EXTENSION: ClassVar[str] = "privateapi.signing"

    def sign_request(self, request: httpx.Request, credentials: Credentials | None = None) -> None:
        """Sign ``request`` in place (its body must have been read).

        Sets ``x-amz-date``, ``x-amz-security-token`` (when the credentials have
        one) and ``Authorization``, replacing values from an earlier attempt.
        """
        headers = request.headers
        raw = request.url.raw_path

        def url(target: bytes) -> str:
            return str(request.url if target == raw else request.url.copy_with(raw_path=target))

        # httpx's own header list is (raw name, lower name, value): signed without a copy.
        parts = self.sign_parts(
            request.method,
            raw,
            headers._list,
            request.content,
            credentials=credentials,
            url=url,
        )
        if parts.target != raw:
            request.url = request.url.copy_with(raw_path=parts.target)
        headers._list = parts.headers
        if parts.details is not None:
            request.extensions = {**request.extensions, self.EXTENSION: parts.details}

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Sign and send (the body must have been read; :meth:`sync_auth_flow` reads it)."""
        self.sign_request(request)
        yield request

    def sync_auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        """What httpx calls: read the body, sign, send; one generator, not httpx's two."""
        if type(self).auth_flow is not SigV4Auth.auth_flow or self.requires_response_body:
            yield from super().sync_auth_flow(request)  # a subclass changed the flow
            return
        if self.requires_request_body:
            request.read()
        self.sign_request(request)
        yield request

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        """Async variant: a due credential refresh runs in a worker thread, off the loop."""
        if self.requires_request_body:
            await request.aread()
        source = self.source if self._source is not None else None
        if source is None or source.refresh_due:
            import anyio.to_thread

            source = await anyio.to_thread.run_sync(lambda: self.source)
            creds = await anyio.to_thread.run_sync(source.snapshot)
        else:
            creds = source.snapshot()
        self.sign_request(request, creds)
        yield request
