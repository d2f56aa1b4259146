"""Typing test of the public API: mypy --strict must accept this file as it stands.

Nothing here runs (``make typing`` only type-checks it, and pytest never collects it):
each ``assert_type`` pins what a caller's type checker sees, so a signature that drifts
to ``Any`` or to another type fails ``make typing``. The ``# type: ignore[...]`` lines are
the negative checks: with ``warn_unused_ignores`` (part of ``--strict``), a signature
loosened until the bad call type-checks makes the ignore unused, and that fails too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, assert_type

import httpx

import privateapi
from privateapi import (
    ApiGatewayError,
    AsyncClient,
    Client,
    InvalidInputError,
    InvokeTarget,
    PrivateApiError,
    Style,
    StyleOption,
    available_styles,
    classify,
    parse_url,
    raise_for_status,
    split_url,
)
from privateapi.doctor import (
    CallerRequest,
    DoctorOptions,
    ProbeResult,
    Report,
    Result,
    Status,
    probe,
    run,
)
from privateapi.policy import Authorization, Decision, Outcome, Request, authorize, evaluate
from privateapi.testing import LocalGateway

API, REGION, STAGE = "a1b2c3d4e5", "us-east-1", "prod"
VPCE = "vpce-0123456789abcdef0"
VPCE_DNS = f"{VPCE}-ab12cd34.execute-api.{REGION}.vpce.amazonaws.com"


def targets() -> None:
    """The constructors return InvokeTarget, and its properties keep their types."""
    t = InvokeTarget.private_dns(API, REGION, STAGE)
    assert_type(t, InvokeTarget)
    assert_type(InvokeTarget.vpce_alias(API, REGION, STAGE, vpce_id=VPCE), InvokeTarget)
    assert_type(InvokeTarget.host_header(API, REGION, STAGE, vpce_dns=VPCE_DNS), InvokeTarget)
    assert_type(InvokeTarget.api_id_header(API, REGION, STAGE, vpce_dns=VPCE_DNS), InvokeTarget)
    assert_type(InvokeTarget.custom_domain("api.example.internal"), InvokeTarget)
    assert_type(t.restyle(Style.VPCE_ALIAS, vpce_id=VPCE), InvokeTarget)
    assert_type(t.with_connect_to("127.0.0.1:8443"), InvokeTarget)
    assert_type(t.style, Style)
    assert_type(t.api_id, str | None)
    assert_type(t.is_private, bool)
    assert_type(t.host, str)
    assert_type(t.server_name, str)
    assert_type(t.base_url, str)
    assert_type(t.headers, Mapping[str, str])
    assert_type(t.connect_port, int)
    assert_type(t.url("/pets", {"limit": "10"}), str)
    assert_type(t.arn("GET", "/pets"), str)
    assert_type(t.to_dict(), dict[str, Any])


def styles_and_urls() -> None:
    """Style is a str enum; the URL parsers return targets (and the rest of the URL)."""
    assert_type(Style("private_dns"), Style)
    assert_type(Style.PRIVATE_DNS.is_private, bool)
    assert_type(Style.PRIVATE_DNS.requires, tuple[str, ...])
    url = f"https://{API}.execute-api.{REGION}.amazonaws.com/{STAGE}/pets"
    assert_type(parse_url(url), InvokeTarget)
    assert_type(parse_url(url, {"Host": "x"}, base_path=""), InvokeTarget)
    assert_type(split_url(url), tuple[InvokeTarget, str])
    options = available_styles(api_id=API, region=REGION, stage=STAGE)
    assert_type(options, list[StyleOption])
    assert_type(options[0].target, InvokeTarget | None)


def negatives() -> None:
    """Calls the signatures must refuse: each ignore is needed, or mypy reports it unused."""
    InvokeTarget.private_dns(1234567890, REGION, STAGE)  # type: ignore[arg-type]
    parse_url(b"https://example.com/")  # type: ignore[arg-type]
    InvokeTarget.vpce_alias(API, REGION, STAGE)  # type: ignore[call-arg]
    Client(InvokeTarget.private_dns(API, REGION, STAGE), retries=3)  # type: ignore[arg-type]


def clients(target: InvokeTarget) -> None:
    """Client's request methods return httpx.Response; it is a context manager."""
    with Client(target) as client:
        assert_type(client, Client)
        assert_type(client.get("/pets"), httpx.Response)
        assert_type(client.post("/pets", json={"name": "rex"}), httpx.Response)
        assert_type(client.put("/pets/1"), httpx.Response)
        assert_type(client.patch("/pets/1"), httpx.Response)
        assert_type(client.delete("/pets/1"), httpx.Response)
        assert_type(client.head("/pets"), httpx.Response)
        assert_type(client.options("/pets"), httpx.Response)
        assert_type(client.request("GET", "/pets", idempotent=True), httpx.Response)
        response = client.get("/pets")
    assert_type(raise_for_status(response), httpx.Response)
    assert_type(classify(response), ApiGatewayError | None)


async def async_clients(target: InvokeTarget) -> None:
    """AsyncClient's request methods are awaited for an httpx.Response."""
    async with AsyncClient(target) as client:
        assert_type(client, AsyncClient)
        assert_type(await client.get("/pets"), httpx.Response)
        assert_type(await client.post("/pets", content=b"{}"), httpx.Response)
        assert_type(await client.request("DELETE", "/pets/1"), httpx.Response)
        assert_type(await client.send(client.build_request("GET", "/pets")), httpx.Response)
    await client.aclose()


def errors(exc: Exception) -> None:
    """The error hierarchy narrows, and its attributes keep their types."""
    if isinstance(exc, ApiGatewayError):
        assert_type(exc.status_code, int)
        assert_type(exc.cause_code, str | None)
        assert_type(exc.hint, str | None)
    if isinstance(exc, InvalidInputError):
        assert_type(exc, InvalidInputError)
        assert isinstance(exc, PrivateApiError)
    assert_type(privateapi.__version__, str)


def policy() -> None:
    """evaluate gives a Decision, authorize an Authorization, both with a typed outcome."""
    arn = f"arn:aws:execute-api:{REGION}:111111111111:{API}/{STAGE}/GET/pets"
    request = Request.for_private_api(arn, vpce=VPCE)
    assert_type(request, Request)
    decision = evaluate({"Version": "2012-10-17", "Statement": []}, request)
    assert_type(decision, Decision)
    assert_type(decision.outcome, Outcome)
    assert_type(decision.allowed, bool)
    result = authorize(None, request, auth_type="AWS_IAM", caller="allow")
    assert_type(result, Authorization)
    assert_type(result.outcome, Outcome)
    authorize(None, request, auth_type="SIGV4")  # type: ignore[arg-type]


def doctor(target: InvokeTarget) -> None:
    """run returns a Report of Results."""
    report = run(target, DoctorOptions(no_aws=True, timeout=2))
    assert_type(report, Report)
    assert_type(report.verdict, str)
    assert_type(report.results, tuple[Result, ...])
    assert_type(report.failed, tuple[Result, ...])
    assert_type(report.results[0].status, Status)
    assert_type(report.results[0].cause, str | None)
    request = CallerRequest("https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod/")
    assert_type(run(request, DoctorOptions()), Report)
    result = probe(request, DoctorOptions(), address="127.0.0.1")
    assert_type(result, ProbeResult)
    assert_type(result.status, int | None)
    assert_type(result.cause, str | None)


def local_gateway() -> None:
    """LocalGateway starts as itself and hands out typed targets and clients."""
    with LocalGateway() as gw:
        assert_type(gw, LocalGateway)
        assert_type(gw.port, int)
        assert_type(gw.target(), InvokeTarget)
        assert_type(gw.target(style=Style.VPCE_ALIAS), InvokeTarget)
        assert_type(gw.client(), Client)
        assert_type(gw.async_client(), AsyncClient)
    assert_type(LocalGateway().start(), LocalGateway)
