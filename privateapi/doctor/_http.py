"""The live probe: the caller's own request, down the caller's own path, judged.

The request is the caller's (method, the URL's whole path and query, every header as
given, the body); the TLS server name is the URL's host. When the caller's proxy
variables would send the call through an HTTP proxy, the probe goes through it
(``CONNECT``) and is judged there; the direct path is probed too, so the report can
say "direct works, the proxy breaks it". The verdict passes only when the call
succeeds: an error answer fails with its cause (429 included), and any answer without
API Gateway's own headers (2xx included) fails with ``http.not-api-gateway``.
"""

from __future__ import annotations

import re
from typing import Any

# The outcome words live with the causes (one home per fact); re-exported for the registry.
from privateapi._causes import OUTCOMES, outcome_of
from privateapi.doctor import _facts as fx
from privateapi.doctor._context import Context, fail, passed, warn
from privateapi.doctor._env import get_credentials
from privateapi.doctor._model import Result
from privateapi.doctor._probe import ProbeResult, probe
from privateapi.doctor._proxy import ProxyChoice, proxy_for

__all__ = ["OUTCOMES", "PROBE_CAUSES", "check_probe", "outcome_of"]

#: Everything the probe can conclude: every answer cause, and the failures to get one.
PROBE_CAUSES: tuple[str, ...] = (
    *(c for c in OUTCOMES if c is not None),
    "http.connection-failed",
    "http.timeout",
    "env.proxy",
    "tcp.timeout",
    "tcp.refused",
    "tcp.unreachable",
    "tls.handshake-failed",
    "tls.untrusted",
    "tls.name-mismatch",
    "tls.expired",
)

_SHOWN_HEADERS = (
    "x-amzn-requestid",
    "x-amz-apigw-id",
    "x-amzn-errortype",
    "x-amzn-trace-id",
    "server",
    "content-type",
    "via",
    "x-cache",
    "date",
)
_CREDENTIAL = re.compile(r"(Credential=)([A-Z0-9]+)")


def _hint(cause: str, signed: bool, ctx: Context) -> str | None:
    target = ctx.recognised
    if cause == "http.missing-token":
        stage = target.stage if target is not None and target.stage else "?"
        if not signed:
            return (
                f"No such stage/resource/method for {ctx.request.method} {ctx.request.path}"
                f" (stage {stage}), or the method uses AWS_IAM and the probe was unsigned:"
                " check the URL's stage and path, or configure credentials."
            )
        return (
            f"No method {ctx.request.method} at {ctx.request.path} (stage {stage}): check the"
            " stage name and the resource path, and redeploy after adding methods."
        )
    if cause == "http.implicit-deny" and not signed:
        vpce = target.vpce_id if target is not None and target.vpce_id else "this endpoint"
        return (
            f"Nothing allows an anonymous call from here: allow aws:SourceVpce {vpce} in the"
            " resource policy and redeploy, or, if the policy names IAM principals, sign the"
            " request (configure credentials) and use AWS_IAM on the method."
        )
    if cause == "http.wrong-endpoint" and ctx.request.host.endswith(".vpce.amazonaws.com"):
        api = target.api_id if target is not None and target.api_id else "API_ID"
        return (
            "The endpoint DNS name alone does not say which API: send 'x-apigw-api-id:"
            f" {api}' (or a Host header naming {api}.execute-api...), or use the API's own"
            " name with private DNS."
        )
    return None


def _signing_inputs(ctx: Context, evidence: dict[str, Any]) -> tuple[Any, str | None]:
    """The credentials and region to sign with, or ``(None, None)`` with why not in the evidence."""
    from privateapi._errors import CredentialsError

    if ctx.request.header("authorization") is not None:
        evidence["unsigned_because"] = (
            "the caller's Authorization header is sent as given; the probe is not"
            " SigV4-signed over it"
        )
        return None, None
    if not ctx.options.sign:
        evidence["unsigned_because"] = "signing is off (sign=False)"
        return None, None
    region = ctx.recognised.region if ctx.recognised is not None else None
    region = region or ctx.request.region
    source = get_credentials(ctx)
    if isinstance(source, CredentialsError):
        evidence["unsigned_because"] = str(source)
        return None, None
    if region is None:
        evidence["unsigned_because"] = "the URL names no region to sign for"
        return None, None
    return source, region


def _answer_evidence(result: ProbeResult) -> dict[str, Any]:
    from privateapi._credentials import mask_access_key
    from privateapi._errors import scrub

    sent = dict(result.sent_headers)
    for name, value in sent.items():
        if name.lower() == "authorization":
            sent[name] = _CREDENTIAL.sub(lambda m: m.group(1) + mask_access_key(m.group(2)), value)
    out = result.evidence()
    out["request_headers"] = sent
    if result.signing is not None:
        sd = result.signing
        out["signing"] = {
            "access_key": sd.access_key,
            "scope": sd.scope,
            "signed_headers": sd.signed_headers,
            "canonical_request": sd.canonical_request,
            "string_to_sign": sd.string_to_sign,
        }
    if result.answered:
        out["response_headers"] = {k: v for k, v in result.headers if k.lower() in _SHOWN_HEADERS}
        # An echo of the request (or API Gateway's 403) may quote the session token.
        out["body"] = scrub(result.body.decode("utf-8", "replace"))[:600]
    return out


def judge(ctx: Context, result: ProbeResult, evidence: dict[str, Any]) -> Result:
    """The finding for one probe's answer, as the caller would experience the call."""
    from privateapi._errors import build_error, is_api_gateway_response, scrub

    request = ctx.request
    line = f"{request.method} {request.url}"
    evidence.update(_answer_evidence(result))
    data = fx.facts(
        fx.PROBE_STATUS.of(result.status),
        fx.PROBE_SIGNED.of(result.signed),
        fx.PROBE_VIA_PROXY.of(result.via == "proxy"),
    )
    if not result.answered:
        failed = result.cause or "http.connection-failed"
        data.update([fx.PROBE_CAUSE.of(failed)])
        return fail(
            failed, f"{line} got no answer ({result.via}): {result.error}", evidence, data=data
        )
    assert result.status is not None
    headers = {k.lower(): v for k, v in result.headers}
    from_gateway = is_api_gateway_response(headers)
    evidence["from_api_gateway"] = from_gateway
    err = build_error(result.status, headers, result.body)
    cause = err.cause_code if err is not None else None
    if not from_gateway:
        cause = "http.not-api-gateway"
    outcome = outcome_of(cause)
    evidence["outcome"] = outcome
    data.update([fx.PROBE_CAUSE.of(cause), fx.PROBE_OUTCOME.of(outcome)])
    signed = "signed" if result.signed else "unsigned"
    line = f"{line} → {result.status}"
    if cause is None:
        rid = headers.get("x-amzn-requestid") or headers.get("x-amz-apigw-id")
        return passed(f"{line} from API Gateway ({signed}; request id {rid})", evidence, data=data)
    if cause == "http.not-api-gateway":
        server = headers.get("server", "unknown")
        return fail(
            cause,
            f"{line} without API Gateway's headers (x-amzn-RequestId, x-amz-apigw-id; server"
            f" {server}): something else answered, API Gateway was never reached",
            evidence,
            data=data,
        )
    message = (err.message if err is not None else "") or scrub(
        result.body.decode("utf-8", "replace")
    ).strip()[:200]
    return fail(
        cause,
        f"{line} {outcome} ({signed}): {message}",
        evidence,
        hint=_hint(cause, result.signed, ctx),
        data=data,
    )


def _through_proxy(
    ctx: Context, proxy: ProxyChoice, direct: ProbeResult, signing: tuple[Any, str | None]
) -> Result:
    """Probe through the caller's proxy; judge that, with the direct path as contrast."""
    request = ctx.request
    evidence: dict[str, Any] = {"proxy": proxy.shown, "proxy_from": proxy.source}
    evidence["direct"] = _answer_evidence(direct) | {"status": direct.status}
    direct_words = (
        f"direct to {direct.peer} answers {direct.status}"
        if direct.answered
        else f"direct to {direct.peer} fails ({direct.cause})"
    )
    if not proxy.tunnels:
        return warn(
            "env.proxy",
            f"the call would go through the {proxy.scheme} proxy {proxy.shown}, which the"
            f" doctor cannot probe through; {direct_words}",
            evidence,
        )
    via = probe(
        request,
        ctx.options,
        address=request.connect_host,
        port=ctx.connect_port,
        proxy=proxy,
        credentials=signing[0],
        region=signing[1],
    )
    if not via.answered and via.phase == "proxy":
        answer = via.proxy_answer or via.error
        return fail(
            "env.proxy",
            f"the proxy {proxy.shown} (from {proxy.source}) breaks the call: {answer};"
            f" {direct_words}",
            evidence | {"proxy_probe": via.evidence()},
            hint=f"Exempt {request.host} from the proxy (add it, or"
            f" .{request.host.split('.', 1)[-1]}, to NO_PROXY), or have the proxy reach the"
            " VPC endpoint.",
            data=fx.facts(fx.PROBE_STATUS.of(None), fx.PROBE_VIA_PROXY.of(True)),
        )
    return judge(ctx, via, evidence)


def tunnel_for(ctx: Context) -> ProxyChoice | None:
    """The proxy that would carry the caller's call through a ``CONNECT`` tunnel, if any."""
    request = ctx.request
    choice = proxy_for(request.host, ctx.env, request.port)
    return choice if choice is not None and choice.tunnels else None


def _direct_failure(ctx: Context) -> ProbeResult | None:
    """The direct path's first failed step as a probe that got no answer (None: it worked).

    Probing directly again would only repeat that failure (a timeout costs its whole
    budget), so the proxied probe takes it as its contrast.
    """
    request = ctx.request
    for cid, phase in (
        ("dns.lookup", "connect"),
        ("tcp.connect", "connect"),
        ("tls.handshake", "tls"),
    ):
        r = ctx.result(cid)
        if r is not None and not r.ok:
            return ProbeResult(
                via="direct",
                peer=f"{request.connect_host}:{ctx.connect_port}",
                cause=r.cause or f"{cid} {r.status}",
                phase=phase,
                error=r.summary,
            )
    return None


def check_probe(ctx: Context) -> Result:
    """Send the caller's request down the caller's path and judge the answer."""
    request = ctx.request
    reachable = ctx.fact_or(fx.TCP_REACHABLE, [])
    evidence: dict[str, Any] = {"method": request.method, "url": request.url}
    signing = _signing_inputs(ctx, evidence)
    tunnel = tunnel_for(ctx)
    if tunnel is not None:
        failed = _direct_failure(ctx)
        if failed is not None:
            return _through_proxy(ctx, tunnel, failed, signing)
    direct = probe(
        request,
        ctx.options,
        address=reachable[0] if reachable else request.connect_host,
        port=ctx.connect_port,
        credentials=signing[0],
        region=signing[1],
    )
    proxy = proxy_for(request.host, ctx.env, request.port)
    if proxy is not None:
        return _through_proxy(ctx, proxy, direct, signing)
    return judge(ctx, direct, evidence)
