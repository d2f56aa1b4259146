"""``privateapi invoke``: one signed request to a private API, curl-like.

Module-level imports stay light (argparse, privateapi_cli): the library, httpx and
botocore are imported inside the handler so ``privateapi --help`` stays fast.
"""

from __future__ import annotations

import argparse
import re
import sys
from typing import IO, TYPE_CHECKING, Any, NamedTuple

from privateapi_cli._render import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    error_line,
    flag,
    parse_header,
    report_error,
    style_choices,
    suggest,
)

if TYPE_CHECKING:
    import httpx

    from privateapi import InvokeTarget

#: curl's exit code for ``--fail`` on an HTTP error (CURLE_HTTP_RETURNED_ERROR).
EXIT_HTTP_ERROR = 22

_EPILOG = """\
examples:
  privateapi invoke https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets
  privateapi invoke https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets \\
      --style vpce_alias --vpce-id vpce-0123456789abcdef0
  privateapi invoke https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets \\
      --style api_id_header \\
      --vpce-dns vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com
  privateapi invoke https://VPCE-DNS/prod/pets -H 'x-apigw-api-id: a1b2c3d4e5' -X POST -d @body.json
  privateapi invoke URL -s -o out.json -w '%{http_code} %{time_total}\\n' --fail

write-out (-w) variables: %{http_code} %{time_namelookup} %{time_connect}
  %{time_appconnect} %{time_starttransfer} %{time_total} %{remote_ip} %{size_download}
  %{url_effective}; \\n, \\t and %% as in curl.

exit codes: 0 success, 1 an HTTP error or no answer, 2 a usage error,
  22 an HTTP error with --fail (as curl).
"""


def register(subparsers: Any) -> None:
    """Add the ``invoke`` command."""
    p = subparsers.add_parser(
        "invoke",
        help="send one signed request to a private API (curl-like)",
        description=(
            "Send one request to a private REST API, signed with SigV4 (botocore's credential"
            " chain), with the access style's headers, TLS server name and connect address."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("url", help="the invoke URL (any private style, with its stage)")
    _request_options(p)
    _style_options(p)
    _output_options(p)
    p.set_defaults(handler=run)


def _request_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-X", "--request", dest="method", metavar="METHOD", help="HTTP method")
    p.add_argument(
        "-H",
        "--header",
        dest="headers",
        action="append",
        default=[],
        metavar="'Name: value'",
        help="add a header (repeatable); Host / x-apigw-api-id select the style",
    )
    p.add_argument(
        "-d", "--data", metavar="DATA", help="request body: text, @file, or @- for stdin"
    )
    p.add_argument("--profile", help="AWS profile for credentials")
    p.add_argument("--region", help="signing region (default: from the URL; must agree with it)")
    p.add_argument("--no-sign", action="store_true", help="send the request unsigned")
    p.add_argument("--ca-bundle", metavar="FILE", help="CA bundle to verify TLS with")
    p.add_argument(
        "--timeout", type=float, default=30.0, metavar="S", help="timeout in seconds (30)"
    )


def _style_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--style",
        choices=style_choices(),
        metavar="STYLE",
        help="send through this access style instead: %(choices)s",
    )
    p.add_argument("--vpce-id", metavar="ID", help="the VPC endpoint id (vpce_alias style)")
    p.add_argument(
        "--vpce-dns", metavar="NAME", help="the VPC endpoint's DNS name (host/api-id styles)"
    )
    p.add_argument("--domain", metavar="NAME", help="a private custom domain (custom_domain)")
    p.add_argument("--base-path", metavar="PATH", help="the custom domain's base path mapping")
    p.add_argument(
        "--connect-to", metavar="HOST[:PORT]", help="connect here instead of the URL host"
    )


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-i", "--include", action="store_true", help="print the response status and headers"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the body to FILE, not stdout")
    p.add_argument(
        "-s", "--silent", action="store_true", help="no retry notes or error explanations"
    )
    p.add_argument(
        "-S", "--show-error", action="store_true", help="with -s, still explain an error"
    )
    p.add_argument(
        "-w", "--write-out", metavar="FORMAT", help="print FORMAT after the transfer (see below)"
    )
    p.add_argument(
        "-f",
        "--fail",
        action="store_true",
        help="on HTTP >= 400 print no body and exit 22 (as curl)",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show the connection (TLS name, address, timings), the request, canonical"
        " request and string to sign (secrets redacted)",
    )


# --- input --------------------------------------------------------------------------------------


def _read_data(value: str | None) -> bytes | None:
    if value is None:
        return None
    if value == "@-":
        return _read_at_most(sys.stdin.buffer, "standard input")
    if value.startswith("@"):
        try:
            with open(value[1:], "rb") as fh:
                return _read_at_most(fh, repr(value[1:]))
        except OSError as exc:
            raise UsageError(f"cannot read {value[1:]!r}: {exc.strerror}") from None
    return value.encode("utf-8")


def _read_at_most(fh: Any, name: str) -> bytes:
    """The input, refused past the library's body cap without reading it all."""
    import os
    import stat

    from privateapi import MAX_BODY_BYTES, RequestTooLargeError

    try:
        info = os.fstat(fh.fileno())
        size = info.st_size if stat.S_ISREG(info.st_mode) else 0
    except (OSError, ValueError):  # no file descriptor (an in-memory stream)
        size = 0
    # A pipe or device has no size: one byte past the limit is enough to know.
    data = b"" if size > MAX_BODY_BYTES else fh.read(MAX_BODY_BYTES + 1)
    if size > MAX_BODY_BYTES or len(data) > MAX_BODY_BYTES:
        raise RequestTooLargeError(
            f"the body from {name} is over {MAX_BODY_BYTES} bytes; API Gateway accepts"
            f" at most {MAX_BODY_BYTES} bytes (10 MB)"
        )
    return bytes(data)


def _restyle(target: InvokeTarget, args: argparse.Namespace) -> InvokeTarget:
    """The target in the ``--style`` asked for (or with the endpoint/domain facts applied)."""
    from privateapi import InvalidInputError, Style, infer_style

    given = {
        "vpce_id": args.vpce_id,
        "vpce_dns": args.vpce_dns,
        "domain": args.domain,
        "base_path": args.base_path,
    }
    facts = {k: v for k, v in given.items() if v is not None}
    if args.style is None and not facts:
        return target
    style = Style(args.style) if args.style else _inferred(target, facts, infer_style)
    if style is target.style and not facts:
        return target
    try:
        return target.restyle(style, **facts)
    except InvalidInputError as exc:
        if exc.value is not None:
            raise
        if exc.field in ("api_id", "region", "stage"):
            raise UsageError(
                f"--style {style} needs an API id, region and stage; the URL names a"
                f" {target.style} target without them"
            ) from None
        raise UsageError(f"--style {style} needs {flag(exc.field)}: {exc.expected}") from None


def _inferred(target: InvokeTarget, facts: dict[str, str], infer: Any) -> Any:
    style_facts = {k: v for k, v in facts.items() if k in ("vpce_id", "vpce_dns", "domain")}
    return infer(**style_facts) if style_facts else target.style


def _check_region(target: InvokeTarget, region: str | None) -> None:
    """A ``--region`` that disagrees with the URL's is refused before anything is sent."""
    from privateapi import validate_region

    if region is None:
        return
    validate_region(region)  # a malformed region says what a region looks like, first
    if target.region is not None and region != target.region:
        raise UsageError(
            f"--region {region} disagrees with the URL's region {target.region}: API Gateway"
            f" refuses a signature for another region; drop --region or fix the URL"
        )


# --- output ---------------------------------------------------------------------------------


class _Say:
    """Where the informational stderr lines go (``-s`` silences them, ``-S`` keeps errors).

    A plain class, not a dataclass: ``dataclasses`` imports ``inspect``, ~100 ms that
    ``privateapi --help`` would pay for every command module.
    """

    def __init__(self, *, silent: bool = False, show_error: bool = False) -> None:
        self.silent = silent
        self.show_error = show_error

    def note(self, line: str) -> None:
        if not self.silent:
            error_line(line)

    def error(self, message: str, hint: str | None = None) -> None:
        """The failure in the one error format (``privateapi: error: ...``, ``hint: ...``)."""
        if not self.silent or self.show_error:
            report_error(message, kind="failure", hint=hint, code=EXIT_FAILURE)


def _print_connection(response: httpx.Response, target: InvokeTarget) -> None:
    from privateapi import Timings

    timings = Timings.of(response)
    where = timings.connected_address if timings is not None else None
    planned = f"{target.connect_host}:{target.connect_port}"
    error_line(f"* connected to {where or planned}, TLS server name {target.server_name}")
    if timings is None:
        return
    if timings.reused:
        error_line("* reused a pooled connection (no connect, no TLS handshake)")
    phases = (
        ("DNS lookup", timings.dns),
        ("TCP connect", timings.connect),
        ("TLS handshake", timings.tls),
        ("first byte", timings.first_byte),
        ("total", timings.total),
    )
    for name, value in phases:
        if value is not None:
            error_line(f"* {name:<20} {value * 1000:8.1f} ms")


def _print_request(request: httpx.Request) -> None:
    from privateapi import redact_headers

    error_line(f"> {request.method} {request.url}")
    for name, value in redact_headers(request.headers).items():
        error_line(f"> {name}: {value}")


def _print_signing(details: Any) -> None:
    error_line("* canonical request:")
    for line in details.canonical_request.split("\n"):
        error_line(f"*   {line}")
    error_line("* string to sign:")
    for line in details.string_to_sign.split("\n"):
        error_line(f"*   {line}")


def _print_signature_diff(expected: str | None, ours: str | None, label: str) -> None:
    import difflib

    if expected is None or ours is None:
        return
    if expected == ours:
        error_line(f"* {label}: identical to API Gateway's")
        return
    error_line(f"* {label}: ours (-) vs what API Gateway expected (+):")
    for line in difflib.unified_diff(
        ours.split("\n"), expected.split("\n"), "ours", "api-gateway", lineterm="", n=10
    ):
        error_line(f"*   {line}")


_VARIABLE = re.compile(r"%\{([a-z_]+)\}|%%|\\n|\\t|\\r|\\\\")


def write_out_variables(response: httpx.Response) -> dict[str, str]:
    """The ``-w`` variables curl users know, from the response and the library's timings."""
    from privateapi import Timings

    t = Timings.of(response)

    def secs(value: float | None) -> str:
        return f"{value or 0.0:.6f}"

    address = t.connected_address if t is not None else None
    host = address.rsplit(":", 1)[0].strip("[]") if address else ""
    return {
        "http_code": f"{response.status_code:03d}",
        "time_namelookup": secs(t.dns if t else None),
        "time_connect": secs(t.connect if t else None),
        "time_appconnect": secs(t.tls if t else None),
        "time_starttransfer": secs(t.first_byte if t else None),
        "time_total": secs(t.total if t else None),
        "remote_ip": host,
        "size_download": str(len(response.content)),
        "url_effective": str(response.request.url.copy_with(query=None)),
    }


def check_write_out(fmt: str) -> None:
    """Refuse an unknown ``%{variable}`` before the request is sent."""
    known = [
        "http_code",
        "time_namelookup",
        "time_connect",
        "time_appconnect",
        "time_starttransfer",
        "time_total",
        "remote_ip",
        "size_download",
        "url_effective",
    ]
    for name in re.findall(r"%\{([^}]*)\}", fmt):
        if name not in known:
            close = suggest(name, known)
            raise UsageError(
                f"-w: unknown variable %{{{name}}}: expected one of"
                f" {', '.join('%{' + k + '}' for k in known)}",
                suggestion=None if close is None else "%{" + close + "}",
            )


def render_write_out(fmt: str, values: dict[str, str]) -> str:
    """``fmt`` with ``%{name}``, ``%%`` and ``\\n``/``\\t``/``\\r``/``\\\\`` expanded."""
    escapes = {"%%": "%", "\\n": "\n", "\\t": "\t", "\\r": "\r", "\\\\": "\\"}

    def one(m: re.Match[str]) -> str:
        if m.group(1) is not None:
            return values.get(m.group(1), m.group(0))
        return escapes[m.group(0)]

    return _VARIABLE.sub(one, fmt)


def _write_body(response: httpx.Response, args: argparse.Namespace) -> None:
    """Status line and headers (``-i``) and the body, to stdout or ``-o FILE``."""
    from privateapi import redact

    head = b""
    if args.include:
        lines = [f"HTTP/1.1 {response.status_code} {response.reason_phrase}"]
        # A backend may reflect the request's headers (the token among them).
        lines += [redact(f"{n}: {v}") for n, v in response.headers.multi_items()]
        head = ("\n".join(lines) + "\n\n").encode("utf-8", "replace")
    if args.output is not None and response.status_code < 400:
        body = response.content  # what the user asked to save, byte for byte
    else:
        # API Gateway's 403 bodies quote the canonical request, session token included, and
        # a backend that echoes the request (a mock, the local gateway) quotes its headers.
        text = redact(response.text)
        if text and not text.endswith("\n") and args.output is None:
            text += "\n"
        body = text.encode("utf-8", "replace")
    if args.output is None:
        _write(sys.stdout, head + body)
        return
    try:
        with open(args.output, "wb") as fh:
            fh.write(head + body)
    except OSError as exc:
        raise UsageError(f"-o {args.output!r}: cannot write: {exc.strerror}") from None


def _write(stream: IO[str], data: bytes) -> None:
    buffer = getattr(stream, "buffer", None)
    if buffer is not None:
        stream.flush()
        buffer.write(data)
        buffer.flush()
    else:  # a text-only stream (tests' capture)
        stream.write(data.decode("utf-8", "replace"))
    stream.flush()


# --- run ----------------------------------------------------------------------------------------


class _Prepared(NamedTuple):
    target: InvokeTarget
    rest: str
    extra: list[tuple[str, str]]
    body: bytes | None
    method: str


def _prepare(args: argparse.Namespace) -> _Prepared:
    from privateapi import split_url

    if args.write_out is not None:
        check_write_out(args.write_out)
    headers = [parse_header(h) for h in args.headers]
    target, rest = split_url(args.url, headers)
    _check_region(target, args.region)
    if args.connect_to is not None:
        target = target.with_connect_to(args.connect_to)
    target = _restyle(target, args)
    # Host and x-apigw-api-id selected the style; the target sends them from now on.
    extra = [(n, v) for n, v in headers if n.lower() not in ("host", "x-apigw-api-id")]
    body = _read_data(args.data)
    method = args.method if args.method is not None else "POST" if body is not None else "GET"
    return _Prepared(target, rest, extra, body, method.upper())


def _send(args: argparse.Namespace, job: _Prepared, say: _Say) -> tuple[httpx.Response, Any]:
    from privateapi import Client, RetryEvent, RetryPolicy

    def on_retry(event: RetryEvent) -> None:
        say.note(f"* retrying after {event.reason} (attempt {event.attempt}, {event.delay:.2f} s)")

    with Client(
        job.target,
        profile=args.profile,
        region=args.region,
        sign=not args.no_sign,
        verify=args.ca_bundle or True,
        timeout=args.timeout,
        retries=RetryPolicy(on_retry=on_retry),
        record_signing=bool(args.verbose),
        record_timings=True,
    ) as client:
        if args.verbose:
            error_line(f"* style {job.target.style}")
        response = client.request(job.method, job.rest, headers=job.extra, content=job.body)
        details = client.auth.last_signing if client.auth is not None else None
    return response, details


def run(args: argparse.Namespace) -> int:
    """Handle ``privateapi invoke``."""
    from privateapi import InvalidInputError, PrivateApiError
    from privateapi_cli._hints import cli_hint

    say = _Say(silent=bool(args.silent), show_error=bool(args.show_error))
    job = _prepare(args)
    try:
        response, details = _send(args, job, say)
    except InvalidInputError:
        raise
    except PrivateApiError as exc:
        code = f" [{exc.cause_code}]" if exc.cause_code else ""
        say.error(f"{type(exc).__name__}{code}: {exc}", cli_hint(exc.cause_code, exc.hint))
        return EXIT_FAILURE
    if args.verbose:
        _print_verbose(response, job.target, details)
    failed = args.fail and response.status_code >= 400
    if not failed:
        _write_body(response, args)
    status = _explain(response, args, details, say)
    if args.write_out is not None:
        _write(sys.stdout, render_write_out(args.write_out, write_out_variables(response)).encode())
    return EXIT_HTTP_ERROR if failed else status


def _print_verbose(response: httpx.Response, target: InvokeTarget, details: Any) -> None:
    _print_connection(response, target)
    _print_request(response.request)
    if details is not None:
        _print_signing(details)
    error_line(f"< HTTP/1.1 {response.status_code} {response.reason_phrase}")
    for name, value in response.headers.multi_items():
        error_line(f"< {name}: {value}")


def _explain(response: httpx.Response, args: argparse.Namespace, details: Any, say: _Say) -> int:
    """What an error answer means, on stderr; the exit code (0 or 1)."""
    from privateapi import SignatureMismatchError, classify
    from privateapi_cli._hints import cli_hint

    err = classify(response)
    if err is None and 300 <= response.status_code < 400 and response.status_code != 304:
        # Never followed: a signed request stays on the URL it was signed for.
        location = response.headers.get("location")
        where = f" to {location.split('?', 1)[0]}" if location else ""
        say.error(f"HTTP {response.status_code} redirect{where} not followed")
        return EXIT_FAILURE
    if err is None:
        return EXIT_OK
    code = f" [{err.cause_code}]" if err.cause_code else ""
    rid = f" (request id {err.request_id})" if err.request_id else ""
    say.error(
        f"HTTP {response.status_code} {type(err).__name__}{code}: {err.message}{rid}",
        cli_hint(err.cause_code, err.hint),
    )
    if isinstance(err, SignatureMismatchError):
        if args.verbose and details is not None:
            _print_signature_diff(
                err.expected_canonical_request, details.canonical_request, "canonical request"
            )
            _print_signature_diff(
                err.expected_string_to_sign, details.string_to_sign, "string to sign"
            )
        elif not args.verbose:
            say.note("hint: rerun with -v to compare the canonical request with API Gateway's")
    return EXIT_FAILURE
