"""A loopback-only HTTP server that verifies SigV4 like the documented non-S3 rules.

Written independently of privateapi's canonicaliser (urllib's parsers, RFC 3986 dot
removal) so the scenario tests are not the signer checking itself. It answers 200 with
what it saw, or 403 with its expected canonical request. It emulates the documented
rules; it is not API Gateway.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote

SECRETS = {"AKIDEXAMPLE": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}


def _remove_dots(path: str) -> str:
    out: list[str] = []
    segs = path.split("/")[1:]
    for seg in segs:
        if seg == "..":
            if out:
                out.pop()
        elif seg not in ("", "."):
            out.append(seg)
    tail = "/" if out and segs and segs[-1] in ("", ".", "..") else ""
    return "/" + "/".join(out) + tail


def expected_canonical(
    method: str, target: str, headers: dict[str, list[str]], signed: list[str], body: bytes
) -> str:
    path, _, query = target.partition("?")
    uri = "/".join(quote(s, safe="-_.~") for s in _remove_dots(path).split("/"))
    pairs = sorted(
        (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
        for k, v in parse_qsl(query, keep_blank_values=True)
    )
    cq = "&".join(f"{k}={v}" for k, v in pairs)
    block = "".join(
        f"{h}:{','.join(' '.join(v.split()) for v in headers.get(h, []))}\n" for h in signed
    )
    return "\n".join([method, uri, cq, block, ";".join(signed), hashlib.sha256(body).hexdigest()])


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args: object) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers: dict[str, list[str]] = {}
        for name, value in self.headers.items():
            headers.setdefault(name.lower(), []).append(value)
        status, payload = self._verify(body, headers)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("x-amzn-RequestId", "00000000-0000-0000-0000-000000000000")
        if status == 403:
            self.send_header("x-amzn-ErrorType", "InvalidSignatureException")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _verify(self, body: bytes, headers: dict[str, list[str]]) -> tuple[int, dict[str, str]]:
        authz = (headers.get("authorization") or [""])[0]
        if not authz.startswith("AWS4-HMAC-SHA256 "):
            return 403, {"message": "Missing Authentication Token"}
        fields = dict(p.strip().split("=", 1) for p in authz[len("AWS4-HMAC-SHA256 ") :].split(","))
        key_id, date, region, service, _ = fields["Credential"].split("/")
        signed = fields["SignedHeaders"].split(";")
        creq = expected_canonical(self.command, self.path, headers, signed, body)
        amz_date = headers["x-amz-date"][0]
        scope = f"{date}/{region}/{service}/aws4_request"
        sts = "\n".join(
            ["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(creq.encode()).hexdigest()]
        )
        k = ("AWS4" + SECRETS[key_id]).encode()
        for part in (date, region, service, "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(sig, fields["Signature"]):
            return 403, {
                "message": "The request signature we calculated does not match the signature"
                " you provided. Check your AWS Secret Access Key and signing method."
                f" Consult the service documentation for details.\n\nThe Canonical String for"
                f" this request should have been\n'{creq}'\n\nThe String-to-Sign should have"
                f" been\n'{sts}'\n"
            }
        return 200, {
            "host": headers.get("host", [""])[0],
            "api_id": headers.get("x-apigw-api-id", [""])[0],
            "target": self.path,
            "signed": fields["SignedHeaders"],
            "body_len": str(len(body)),
        }

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle  # noqa: N815


class _TLSServer(ThreadingHTTPServer):
    def __init__(self, ctx: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ctx = ctx

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True), addr


@contextmanager
def verifier(tls: ssl.SSLContext | None = None) -> Iterator[int]:
    """Run the verifier on 127.0.0.1 (ephemeral port, HTTPS with ``tls``); yields the port."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler) if tls is None else _TLSServer(tls)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
