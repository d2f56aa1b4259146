"""``privateapi invoke``: one signed request to a private API, curl-like.

Module-level imports stay light (argparse, privateapi_cli): the library, httpx and
botocore are imported inside the handler so ``privateapi --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from privateapi_cli._render import (
    EXIT_FAILURE,
    EXIT_OK,
    UsageError,
    error_line,
    flag,
    parse_header,
    style_choices,
)

if TYPE_CHECKING:
    import httpx

    from privateapi import InvokeTarget

_EPILOG = """\
examples:
  privateapi invoke https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets
  privateapi invoke https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets \\
      --style api_id_header \\
      --vpce-dns vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com
  privateapi invoke https://VPCE-DNS/prod/pets -H 'x-apigw-api-id: a1b2c3d4e5' -X POST -d @body.json
  privateapi invoke https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/pets \\
      --connect-to 10.0.1.23 -v

exit codes: 0 success, 1 an HTTP error or no answer, 2 a usage error.
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
    p.add_argument(
        "--style",
        choices=style_choices(),
        metavar="STYLE",
        help="send through this access style instead: %(choices)s",
    )
    p.add_argument("--vpce-dns", metavar="NAME", help="the VPC endpoint's DNS name")
    p.add_argument(
        "--connect-to", metavar="HOST[:PORT]", help="connect here instead of the URL host"
    )
    p.add_argument("--profile", help="AWS profile for credentials")
    p.add_argument("--region", help="signing region (default: from the URL)")
    p.add_argument("--no-sign", action="store_true", help="send the request unsigned")
    p.add_argument("--ca-bundle", metavar="FILE", help="CA bundle to verify TLS with")
    p.add_argument(
        "-i", "--include", action="store_true", help="print the response status and headers"
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show the request, canonical request and string to sign (secrets redacted)",
    )
    p.add_argument(
        "--timeout", type=float, default=30.0, metavar="S", help="timeout in seconds (30)"
    )
    p.set_defaults(handler=run)


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
    """The input, refused past API Gateway's 10 MB body limit without reading it all."""
    import os
    import stat

    from privateapi._errors import RequestTooLargeError
    from privateapi._wire import MAX_BODY_BYTES

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
    """The target in the ``--style`` asked for (or with ``--vpce-dns`` applied)."""
    from privateapi import InvalidInputError, Style, infer_style

    facts = {} if args.vpce_dns is None else {"vpce_dns": args.vpce_dns}
    if args.style is None and not facts:
        return target
    style = Style(args.style) if args.style else infer_style(**facts)
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


def _print_request(request: httpx.Request, target: InvokeTarget) -> None:
    from privateapi._credentials import redact_headers

    where = f"{target.connect_host}:{target.connect_port}"
    error_line(f"* connect to {where}, TLS server name {target.server_name}")
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


def run(args: argparse.Namespace) -> int:
    """Handle ``privateapi invoke``."""
    from privateapi._client import Client, RetryEvent, RetryPolicy
    from privateapi._errors import (
        InvalidInputError,
        PrivateApiError,
        SignatureMismatchError,
        classify,
        scrub,
    )
    from privateapi._targets import split_url

    headers = [parse_header(h) for h in args.headers]
    target, rest = split_url(args.url, headers)
    if args.connect_to is not None:
        target = target.with_connect_to(args.connect_to)
    target = _restyle(target, args)
    # Host and x-apigw-api-id selected the style; the target sends them from now on.
    extra = [(n, v) for n, v in headers if n.lower() not in ("host", "x-apigw-api-id")]
    body = _read_data(args.data)
    method = args.method if args.method is not None else "POST" if body is not None else "GET"
    method = method.upper()

    def on_retry(event: RetryEvent) -> None:
        error_line(
            f"* retrying after {event.reason} (attempt {event.attempt}, {event.delay:.2f} s)"
        )

    verbose = bool(args.verbose)
    try:
        with Client(
            target,
            profile=args.profile,
            region=args.region,
            sign=not args.no_sign,
            verify=args.ca_bundle or True,
            timeout=args.timeout,
            retries=RetryPolicy(on_retry=on_retry),
            record_signing=verbose,
        ) as client:
            if verbose:
                error_line(f"* style {target.style}")
            response = client.request(method, rest, headers=extra, content=body)
            details = client.auth.last_signing if client.auth is not None else None
    except InvalidInputError:
        raise
    except PrivateApiError as exc:
        code = f" [{exc.cause_code}]" if exc.cause_code else ""
        error_line(f"privateapi: {type(exc).__name__}{code}: {exc}")
        if exc.hint:
            error_line(f"hint: {exc.hint}")
        return EXIT_FAILURE

    if verbose:
        _print_request(response.request, target)
        if details is not None:
            _print_signing(details)
        error_line(f"< HTTP/1.1 {response.status_code} {response.reason_phrase}")
        for name, value in response.headers.multi_items():
            error_line(f"< {name}: {value}")
    if args.include:
        sys.stdout.write(f"HTTP/1.1 {response.status_code} {response.reason_phrase}\n")
        # A backend may reflect the request's headers (the token among them).
        for name, value in response.headers.multi_items():
            sys.stdout.write(scrub(f"{name}: {value}") + "\n")
        sys.stdout.write("\n")
    # API Gateway's 403 bodies quote the canonical request, session token included, and
    # a backend that echoes the request (a mock, the local gateway) quotes its headers.
    text = scrub(response.text)
    sys.stdout.write(text)
    if text and not text.endswith("\n"):
        sys.stdout.write("\n")
    sys.stdout.flush()

    err = classify(response)
    if err is None and 300 <= response.status_code < 400 and response.status_code != 304:
        # Never followed: a signed request stays on the URL it was signed for.
        location = response.headers.get("location")
        where = f" to {location.split('?', 1)[0]}" if location else ""
        error_line(f"privateapi: HTTP {response.status_code} redirect{where} not followed")
        return EXIT_FAILURE
    if err is None:
        return EXIT_OK
    code = f" [{err.cause_code}]" if err.cause_code else ""
    error_line(f"privateapi: HTTP {response.status_code} {type(err).__name__}{code}: {err.message}")
    if err.request_id:
        error_line(f"request id: {err.request_id}")
    if err.hint:
        error_line(f"hint: {err.hint}")
    if isinstance(err, SignatureMismatchError):
        if verbose and details is not None:
            _print_signature_diff(
                err.expected_canonical_request, details.canonical_request, "canonical request"
            )
            _print_signature_diff(
                err.expected_string_to_sign, details.string_to_sign, "string to sign"
            )
        elif not verbose:
            error_line("hint: rerun with -v to compare the canonical request with API Gateway's")
    return EXIT_FAILURE
