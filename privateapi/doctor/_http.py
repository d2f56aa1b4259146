"""The live probe: one real request down the proven path, classified.

The request goes to the address the TCP and TLS checks proved (pinned like ``curl
--connect-to``: URL, ``Host`` and SNI stay the target's), signed when credentials
exist, with retries off. The answer is classified with the client's error taxonomy
(:mod:`privateapi._errors`) into the *policy outcome* and checked for API Gateway's
own headers, which tell "API Gateway said no" from "something in between answered".
"""

from __future__ import annotations

import re
import ssl
from typing import TYPE_CHECKING, Any

# The outcome words live with the causes (one home per fact); re-exported for the registry.
from privateapi._causes import OUTCOMES, outcome_of
from privateapi._names import format_host_port
from privateapi.doctor._context import Context, fail, passed, warn
from privateapi.doctor._env import get_credentials
from privateapi.doctor._model import Result

if TYPE_CHECKING:
    import httpx

__all__ = ["OUTCOMES", "check_probe", "outcome_of"]

# Answers that prove the path works even though the call itself was not a success:
# the request reached API Gateway and the API (or its integration) answered.
_REACHED = {"http.backend-rejected", "http.throttled", "http.quota-exceeded"}

_SHOWN_HEADERS = (
    "x-amzn-requestid",
    "x-amz-apigw-id",
    "x-amzn-errortype",
    "x-amzn-trace-id",
    "server",
    "content-type",
    "via",
    "x-cache",
)


_CREDENTIAL = re.compile(r"(Credential=)([A-Z0-9]+)")


def _hint(cause: str, signed: bool, ctx: Context) -> str | None:
    if cause == "http.missing-token":
        if not signed:
            return (
                "No such stage/resource/method, or the method uses AWS_IAM and the probe was"
                " unsigned: check --path/--method and the stage, or configure credentials."
            )
        return (
            f"No method {ctx.options.method} at {ctx.options.path} in stage"
            f" {ctx.target.stage or '?'}: pass --path/--method for a real resource, check the"
            " stage name, and redeploy after adding methods."
        )
    if cause == "http.implicit-deny" and not signed:
        return (
            "Nothing allows an anonymous call from here: allow this endpoint's aws:SourceVpce"
            " in the resource policy and redeploy, or, if the policy names IAM principals, sign"
            " the request (configure credentials) and use AWS_IAM on the method."
        )
    return None


def check_probe(ctx: Context) -> Result:
    """Send one request down the proven path and classify the answer."""
    import httpx

    from privateapi._client import Client
    from privateapi._credentials import mask_access_key, redact_headers
    from privateapi._errors import (
        CredentialsError,
        PrivateApiError,
        build_error,
        cause_of_exception,
        is_api_gateway_response,
        scrub,
    )

    target = ctx.target
    reachable: list[str] = list(ctx.fact("tcp.connect", "reachable", []) or [])
    address, port = reachable[0], ctx.connect_port
    method, path = ctx.options.method.upper(), ctx.options.path
    url = target.url(path if path != "/" else "")
    if path == "/" and not url.endswith("/"):
        url += "/"
    evidence: dict[str, Any] = {"method": method, "url": url, "connected_to": f"{address}:{port}"}

    credentials: Any = None
    signed = False
    if ctx.options.sign:
        source = get_credentials(ctx)
        if isinstance(source, CredentialsError):
            evidence["unsigned_because"] = str(source)
        elif target.region is None:
            evidence["unsigned_because"] = "the target names no region to sign for"
        else:
            credentials, signed = source, True
    else:
        evidence["unsigned_because"] = "--no-sign"
    evidence["signed"] = signed

    # The probe goes through the SDK's own Client, pinned to the address TCP and TLS
    # proved (URL, Host and SNI unchanged), with retries off: one request, one answer.
    # trust_env=False: the probe tests the path to the endpoint; env.proxy reports
    # what an environment proxy would do to the application.
    cafile = ctx.options.trust_file()
    try:
        with Client(
            target.with_connect_to(format_host_port(address, port)),
            credentials=credentials,
            sign=signed,
            verify=ssl.create_default_context(cafile=cafile) if cafile else True,
            timeout=ctx.options.timeout,
            retries=None,
            trust_env=False,
            record_signing=True,
            headers={"user-agent": "privateapi-doctor"},
        ) as client:
            response: httpx.Response = client.request(method, url)
            body = response.read()
            auth = client.auth
    except (PrivateApiError, httpx.HTTPError) as exc:
        evidence["error"] = scrub(f"{type(exc).__name__}: {exc}")
        # The client's errors name what failed (tcp.*, tls.*, http.timeout); anything else
        # goes through the same classifier the client uses.
        code = getattr(exc, "cause_code", None) or cause_of_exception(exc, "request")
        return fail(
            code,
            f"{method} {url} got no answer: {evidence['error']}",
            evidence,
        )
    sent = redact_headers(response.request.headers)
    for name, value in sent.items():
        if name.lower() == "authorization":
            sent[name] = _CREDENTIAL.sub(lambda m: m.group(1) + mask_access_key(m.group(2)), value)
    evidence["request_headers"] = sent
    if auth is not None and auth.last_signing is not None:
        sd = auth.last_signing
        evidence["signing"] = {
            "access_key": sd.access_key,
            "scope": sd.scope,
            "signed_headers": sd.signed_headers,
            "canonical_request": sd.canonical_request,
            "string_to_sign": sd.string_to_sign,
        }
    resp_headers = {k: v for k, v in response.headers.items() if k.lower() in _SHOWN_HEADERS}
    from_gateway = is_api_gateway_response(response.headers)
    text = body.decode("utf-8", "replace")
    evidence.update(
        {
            "status": response.status_code,
            "response_headers": resp_headers,
            # An echo of the request (or API Gateway's 403) may quote the session token.
            "body": scrub(text)[:600],
            "from_api_gateway": from_gateway,
            "http_version": response.http_version,
        }
    )
    err = build_error(response.status_code, response.headers, body)
    cause = err.cause_code if err is not None else None
    outcome = outcome_of(cause)
    evidence["outcome"] = outcome
    data = {"status": response.status_code, "cause": cause, "outcome": outcome, "signed": signed}
    line = f"{method} {url} → {response.status_code}"
    if err is None:
        if not from_gateway:
            return warn(
                "http.not-api-gateway",
                f"{line}, but without API Gateway's headers: something in between answered",
                evidence,
                data=data,
            )
        rid = response.headers.get("x-amzn-requestid")
        return passed(
            f"{line} from API Gateway ({'signed' if signed else 'unsigned'}; request id {rid})",
            evidence,
            data=data,
        )
    assert cause is not None
    message = err.message or scrub(text).strip()[:200]
    summary = f"{line} {outcome}: {message}"
    if cause in _REACHED:
        return warn(cause, f"{summary} (the API was reached)", evidence, data=data)
    return fail(cause, summary, evidence, hint=_hint(cause, signed, ctx), data=data)
