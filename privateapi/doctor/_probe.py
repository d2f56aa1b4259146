"""One probe: the caller's request sent once, down one path, and the raw answer.

:func:`probe` is the reusable unit (the checks and the "what would work" search call
it): it connects to one address (or through one HTTP proxy with ``CONNECT``), makes a
verifying TLS handshake whose server name is the URL's host (as every HTTP client
sends it; a ``Host`` header never changes SNI), sends the caller's method, request
target, headers and body, and reads a bounded answer. It never retries and never
follows redirects. When the caller gave no ``Authorization`` and credentials are
given, the request is SigV4-signed over exactly the headers sent.
"""

from __future__ import annotations

import base64
import http.client
import re
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from privateapi._errors import cause_of_exception, mark_phase, scrub
from privateapi._names import format_host_port

if TYPE_CHECKING:
    from privateapi._errors import Phase
    from privateapi._signing import SigningDetails
    from privateapi.doctor._options import DoctorOptions
    from privateapi.doctor._proxy import ProxyChoice
    from privateapi.doctor._request import CallerRequest

__all__ = ["ProbeResult", "probe"]

#: The most of an answer's body kept: enough for any API Gateway error document.
MAX_BODY = 64 * 1024
#: The most of a proxy's CONNECT answer read (status line and headers).
_MAX_PROXY_ANSWER = 16 * 1024
_USER_AGENT = "privateapi-doctor"


class ProxyRefusedError(OSError):
    """The proxy answered ``CONNECT`` with something other than 2xx."""

    def __init__(self, status: int, answer: str) -> None:
        super().__init__(f"the proxy answered CONNECT with {answer}")
        self.status = status
        self.answer = answer


@dataclass
class ProbeResult:
    """What one probe saw.

    Attributes:
        via: ``direct`` or ``proxy``.
        peer: where the TCP connection went (``10.0.1.10:443`` or the proxy's address).
        status: the HTTP status, or ``None`` when no answer came.
        headers: the answer's headers, in order.
        body: up to :data:`MAX_BODY` bytes of the answer.
        cause: the cause of a failure to get an answer (``tcp.timeout``, ``tls.*``,
            ``env.proxy`` for a proxy that refused or could not be reached).
        phase: where it failed: ``proxy``, ``connect``, ``tls`` or ``request``.
        error: the failure in words (secrets scrubbed).
        proxy_answer: the proxy's answer to ``CONNECT`` (``503 ...; X-Squid-Error: ...``).
        signed: whether the probe carried a SigV4 signature made by the doctor.
        sent_headers: the headers sent (secrets redacted).
        signing: the SigV4 details when signed.
    """

    via: str
    peer: str
    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    cause: str | None = None
    phase: str | None = None
    error: str | None = None
    proxy_answer: str | None = None
    signed: bool = False
    sent_headers: dict[str, str] = field(default_factory=dict)
    signing: SigningDetails | None = None
    http_version: str | None = None
    ms: float = 0.0

    @property
    def answered(self) -> bool:
        """Whether an HTTP answer came back."""
        return self.status is not None

    def header(self, name: str) -> str | None:
        """The first value of an answer header (case-insensitive)."""
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    def evidence(self) -> dict[str, Any]:
        """JSON evidence (secrets redacted)."""
        out: dict[str, Any] = {"via": self.via, "peer": self.peer, "signed": self.signed}
        for key in ("status", "cause", "phase", "error", "proxy_answer", "http_version"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        out["ms"] = round(self.ms, 1)
        return out


def _open(address: str, port: int, proxy: ProxyChoice | None, timeout: float) -> socket.socket:
    if proxy is None:
        try:
            return socket.create_connection((address, port), timeout=timeout)
        except OSError as exc:
            mark_phase(exc, "connect")
            raise
    sock = socket.create_connection((proxy.host, proxy.port), timeout=timeout)
    try:
        _connect_tunnel(sock, format_host_port(address, port), proxy)
    except BaseException:
        sock.close()
        raise
    return sock


def _connect_tunnel(sock: socket.socket, authority: str, proxy: ProxyChoice) -> None:
    lines = [f"CONNECT {authority} HTTP/1.1", f"Host: {authority}", f"User-Agent: {_USER_AGENT}"]
    if proxy.username is not None:
        token = base64.b64encode(f"{proxy.username}:{proxy.password or ''}".encode()).decode()
        lines.append(f"Proxy-Authorization: Basic {token}")
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = sock.recv(4096)
        if not chunk:
            break
        answer += chunk
        if len(answer) > _MAX_PROXY_ANSWER:
            break
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1", "replace")
    status_line, *header_lines = head.split("\r\n")
    parts = status_line.split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    if 200 <= status < 300:
        return
    notable = [h for h in header_lines if h.lower().startswith(("x-squid-error", "proxy-", "via"))]
    shown = " ".join(parts[1:]) if status else (status_line or "no answer")
    raise ProxyRefusedError(status, "; ".join([shown, *notable]))


# What httpx sends unchanged from a URL: an ASCII name (or IPv4) with an optional
# non-default-looking port, and a path and query of characters it never re-encodes.
_PLAIN_NETLOC = re.compile(r"[A-Za-z0-9.-]+(?::[1-9][0-9]{0,4})?")
_PCHAR = r"A-Za-z0-9\-._~!$&'()*+,;=:@"
_PLAIN_PATH = re.compile(rf"(?:/(?:[{_PCHAR}]|%[0-9A-Fa-f]{{2}})*)*")
_PLAIN_QUERY = re.compile(rf"(?:[{_PCHAR}/?]|%[0-9A-Fa-f]{{2}})+")


def _plain_wire(request: CallerRequest) -> tuple[str, str] | None:
    """(netloc, request target) as httpx would send them, or ``None`` if unsure.

    Building the request ourselves spares the doctor httpx's import (a third of its
    start-up); for anything httpx might rewrite (IDNA, percent-encoding, dot segments,
    a fragment, an IPv6 literal) the caller's client is modelled by httpx itself.
    """
    url = request.url
    if "#" in url or url[:8].lower() != "https://" or url != url.strip():
        return None
    rest = url[8:]
    cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
    netloc, tail = rest[:cut], rest[cut:]
    path, sep, query = tail.partition("?")
    if not _PLAIN_NETLOC.fullmatch(netloc) or not _PLAIN_PATH.fullmatch(path):
        return None
    if sep and not _PLAIN_QUERY.fullmatch(query):
        return None  # (an empty query after '?' included: httpx's reading is its own)
    if any(seg in (".", "..") for seg in path.split("/")) or "//" in path:
        return None
    host, _, port = netloc.partition(":")
    netloc = host.lower() if port in ("", "443") else f"{host.lower()}:{port}"
    target = (path or "/") + sep + query
    return netloc, target


def _head(request: CallerRequest, netloc: str) -> list[tuple[str, str]]:
    """The header list httpx's ``Request(method, url, headers=, content=)`` sends."""
    headers = list(request.headers)
    names = {k.lower() for k, _ in headers}
    if "user-agent" not in names:
        headers.append(("User-Agent", _USER_AGENT))
    headers.append(("Connection", "close"))
    auto = []
    if "host" not in names:
        auto.append(("Host", netloc))
    has_length = "content-length" in names or "transfer-encoding" in names
    if request.body and "content-length" not in names:
        headers.append(("Content-Length", str(len(request.body))))
    elif not has_length and request.method in ("POST", "PUT", "PATCH"):
        auto.append(("Content-Length", "0"))
    return auto + headers


def _httpx_wire(request: CallerRequest) -> tuple[str, str, list[tuple[str, str]]]:
    """The same through httpx, for URLs it may rewrite."""
    import httpx

    headers = list(request.headers)
    names = {k.lower() for k, _ in headers}
    if "user-agent" not in names:
        headers.append(("User-Agent", _USER_AGENT))
    headers.append(("Connection", "close"))
    req = httpx.Request(request.method, request.url, headers=headers, content=request.body)
    pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in req.headers.raw]
    return req.url.netloc.decode("ascii"), req.url.raw_path.decode("ascii"), pairs


def _build(
    request: CallerRequest, credentials: Any, region: str | None
) -> tuple[str, list[tuple[str, str]], SigningDetails | None]:
    """The request target and headers to send, signed when asked."""
    plain = _plain_wire(request)
    ascii_head = all(k.isascii() and v.isascii() for k, v in request.headers)
    if plain is not None and ascii_head:
        netloc, target = plain
        headers = _head(request, netloc)
    else:
        netloc, target, headers = _httpx_wire(request)
    details = None
    if credentials is not None and region:
        from privateapi._signing import Signer

        signer = Signer(credentials, region=region, record=True)
        items = [
            (k.encode("latin-1"), k.lower().encode("latin-1"), v.encode("latin-1"))
            for k, v in headers
        ]
        parts = signer.sign_parts(
            request.method,
            target.encode("ascii"),
            items,
            request.body or b"",
            url=lambda raw: f"https://{netloc}{raw.decode('ascii')}",
        )
        target = parts.target.decode("ascii")
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, _, v in parts.headers]
        details = parts.details
    # Names in lower case, as httpx lists them (the evidence's keys have always been so).
    sent = [(k.lower(), v) for k, v in headers if k.lower() != "accept-encoding"]
    return target, sent, details


def _send(sock: ssl.SSLSocket, request: CallerRequest, target: str, headers: Any) -> None:
    lines = [f"{request.method} {target} HTTP/1.1"]
    lines.extend(f"{k}: {v}" for k, v in headers)
    data = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
    sock.sendall(data + (request.body or b""))


def _read(sock: ssl.SSLSocket, method: str, result: ProbeResult) -> None:
    response = http.client.HTTPResponse(sock, method=method)
    try:
        response.begin()
        result.status = response.status
        result.headers = list(response.getheaders())
        result.http_version = "HTTP/1.1" if response.version == 11 else "HTTP/1.0"
        body = b""
        while len(body) < MAX_BODY:
            chunk = response.read(MAX_BODY - len(body))
            if not chunk:
                break
            body += chunk
        result.body = body
        remaining = response.length
        if len(body) < MAX_BODY and remaining:
            # The connection ended before the announced length: a cut answer.
            raise http.client.IncompleteRead(body, remaining)
    finally:
        response.close()


def probe(
    request: CallerRequest,
    options: DoctorOptions,
    *,
    address: str,
    port: int | None = None,
    proxy: ProxyChoice | None = None,
    credentials: Any = None,
    region: str | None = None,
) -> ProbeResult:
    """Send ``request`` once to ``address`` (through ``proxy`` if given) and read the answer.

    Args:
        request: the caller's request (URL host = SNI; headers and body as given).
        options: how to run (timeout, trust store).
        address: the address to connect to (or, through a proxy, the ``CONNECT`` host).
        port: the port (defaults to the request's connect port).
        proxy: an ``http://`` proxy to tunnel through, as the caller's client would.
        credentials: sign with these (SigV4) unless the caller sent ``Authorization``.
        region: the signing region.

    Returns:
        A :class:`ProbeResult`; failures are data (``cause``/``phase``), never raised.
    """
    port = request.connect_port if port is None else port
    peer = format_host_port(proxy.host, proxy.port) if proxy else format_host_port(address, port)
    result = ProbeResult(via="proxy" if proxy else "direct", peer=peer)
    if request.header("authorization") is not None:
        credentials = None  # the caller's Authorization is sent as is, never signed over
    t0 = time.monotonic()
    phase = "proxy" if proxy else "connect"
    try:
        target, headers, details = _build(request, credentials, region)
        result.signed = details is not None
        result.signing = details
        from privateapi._credentials import redact_headers

        result.sent_headers = redact_headers(dict(headers))
        cafile = options.trust_file()
        ctx = ssl.create_default_context(cafile=cafile) if cafile else ssl.create_default_context()
        raw = _open(address, port, proxy, options.timeout)
        phase = "tls"
        with raw, ctx.wrap_socket(raw, server_hostname=request.server_name) as tls:
            phase = "request"
            _send(tls, request, target, headers)
            _read(tls, request.method, result)
    except ProxyRefusedError as exc:
        result.cause, result.phase, result.error = "env.proxy", "proxy", str(exc)
        result.proxy_answer = exc.answer
    except (OSError, ssl.SSLError, http.client.HTTPException, ValueError) as exc:
        result.phase = phase
        result.status = None  # a cut answer is no answer: the caller's client fails too
        result.error = scrub(f"{type(exc).__name__}: {exc}")
        if phase == "proxy":
            result.cause = "env.proxy"
        else:
            known: Phase | None = "tls" if phase == "tls" else None
            if phase == "request":
                known = "request"
            result.cause = cause_of_exception(exc, known)
    result.ms = (time.monotonic() - t0) * 1000
    return result
