"""Every row of the reference's error table (aws-private-apis.md §3), over real TLS.

Each answer is checked for AWS's status, body, ``x-amzn-ErrorType`` and telltale
headers, and that the client-side :func:`privateapi.classify` names the expected cause.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from lab_helpers import raw_client

import privateapi
from privateapi._auth import SigV4Auth
from privateapi.testing import Fault, LabResponse, LocalGateway, Route, Unauthorized

REGION = "us-east-1"
ACCOUNT = "123456789012"


def check(
    r: httpx.Response,
    status: int,
    cause: str,
    *,
    message: str | None = None,
    error_type: str | None = None,
    key: str = "message",
) -> None:
    assert r.status_code == status, r.text
    uuid.UUID(r.headers["x-amzn-requestid"])
    assert re.fullmatch(r"[A-Za-z0-9+/]{15}=", r.headers["x-amz-apigw-id"])
    assert r.headers["server"] == "Server"
    if error_type is not None:
        assert r.headers["x-amzn-errortype"] == error_type
    if message is not None:
        assert r.json() == {key: message}
    err = privateapi.classify(r)
    assert err is not None
    assert err.cause_code == cause
    assert err.request_id == r.headers["x-amzn-requestid"]


TS = r"(\d{8}T\d{6}Z)"


def deny(user: str, resource: str, suffix: str = "") -> str:
    return (
        f"User: {user} is not authorized to perform: execute-api:Invoke on resource: {resource}"
        + suffix
    )


def arn(api_id: str, method: str = "GET", path: str = "ping", stage: str = "prod") -> str:
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/{stage}/{method}/{path}"


def deny_unless(vpce: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
            },
            {
                "Effect": "Deny",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce}},
            },
        ],
    }


def allow_only(vpce: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
                "Condition": {"StringEquals": {"aws:SourceVpce": vpce}},
            }
        ],
    }


PING = [
    Route.static("GET", "/ping", json={"ok": True}),
    Route.static("POST", "/ping", json={"ok": True}),
]


@pytest.fixture(scope="module")
def lab() -> Iterator[LocalGateway]:
    with LocalGateway(REGION, ACCOUNT) as gw:
        yield gw


def get(
    gw: LocalGateway,
    api_id: str,
    path: str = "/ping",
    *,
    style: str = "private_dns",
    auth: httpx.Auth | None = None,
    **kw: Any,
) -> httpx.Response:
    with raw_client(gw, gw.target(api_id, style), auth=auth) as c:
        return c.get(path, **kw)


def signer(gw: LocalGateway, creds: Any = None, **kw: Any) -> SigV4Auth:
    c = creds if creds is not None else gw.credentials
    return SigV4Auth(c.as_tuple() if hasattr(c, "as_tuple") else c, region=REGION, **kw)


# -- success --------------------------------------------------------------------------------------


def test_success_has_apigw_headers(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING)
    r = get(lab, api.id)
    assert r.status_code == 200
    assert r.json() == {"ok": True}
    uuid.UUID(r.headers["x-amzn-requestid"])
    assert r.headers["x-amz-apigw-id"]
    assert r.headers["x-amzn-trace-id"].startswith("Root=1-")
    assert "x-amzn-errortype" not in r.headers
    assert privateapi.classify(r) is None


# -- policy denials -------------------------------------------------------------------------------


def test_explicit_deny_anonymous(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING, policy=deny_unless("vpce-0000000000000000a"))
    check(
        get(lab, api.id),
        403,
        "http.explicit-deny",
        key="Message",
        error_type="AccessDeniedException",
        message=deny("anonymous", arn(api.id), " with an explicit deny"),
    )


def test_implicit_deny(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING, policy=allow_only("vpce-0000000000000000a"))
    check(
        get(lab, api.id),
        403,
        "http.implicit-deny",
        key="Message",
        error_type="AccessDeniedException",
        message=deny("anonymous", arn(api.id)),
    )


def test_no_resource_policy_rejects_every_call(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING, policy=None)
    check(
        get(lab, api.id),
        403,
        "http.implicit-deny",
        key="Message",
        message=deny("anonymous", arn(api.id)),
    )


def test_iam_explicit_deny_names_the_user(lab: LocalGateway) -> None:
    user = lab.credentials.arn
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": user},
                "Action": "execute-api:Invoke",
                "Resource": "execute-api:/*",
            }
        ],
    }
    api = lab.add_api(routes=PING, policy=policy, authorization="AWS_IAM")
    check(
        get(lab, api.id, auth=signer(lab)),
        403,
        "http.explicit-deny",
        key="Message",
        message=deny(user, arn(api.id), " with an explicit deny"),
    )


def test_iam_cross_account_needs_both_sides(lab: LocalGateway) -> None:
    # Table B: a caller from another account is allowed only if the resource policy allows too.
    other = lab.add_credentials(arn="arn:aws:iam::210987654321:user/partner")
    api = lab.add_api(
        routes=PING, policy=allow_only("vpce-0000000000000000a"), authorization="AWS_IAM"
    )
    check(
        get(lab, api.id, auth=signer(lab, other)),
        403,
        "http.implicit-deny",
        key="Message",
        message=deny(other.arn, arn(api.id)),
    )
    # Table A: the same resource policy is silent for the owner account's user, whose identity
    # policy allows: allowed.
    assert get(lab, api.id, auth=signer(lab)).status_code == 200


def test_identity_policy_silent_and_resource_policy_silent(lab: LocalGateway) -> None:
    creds = lab.add_credentials(
        policy={
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
        }
    )
    api = lab.add_api(
        routes=PING, policy=allow_only("vpce-0000000000000000a"), authorization="AWS_IAM"
    )
    check(get(lab, api.id, auth=signer(lab, creds)), 403, "http.implicit-deny")


# -- endpoint policy ------------------------------------------------------------------------------


def test_endpoint_policy_blocks() -> None:
    with LocalGateway(REGION, ACCOUNT) as gw:
        api = gw.add_api(routes=PING)
        other = gw.add_api(routes=PING)
        ep = gw.endpoint()
        gw.set_endpoint_policy(
            ep.id,
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "execute-api:Invoke",
                        "Resource": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{other.id}/*",
                    }
                ],
            },
        )
        check(
            get(gw, api.id),
            403,
            "http.endpoint-policy-deny",
            key="Message",
            error_type="AccessDeniedException",
            message=deny(
                "anonymous",
                arn(api.id),
                " because no VPC endpoint policy allows the execute-api:Invoke action",
            ),
        )
        assert get(gw, other.id).status_code == 200
        # Signed: the endpoint policy sees the IAM identity.
        r = get(gw, api.id, auth=signer(gw))
        assert r.json()["Message"].startswith(f"User: {gw.credentials.arn} is not authorized")
        # An explicit deny in the endpoint policy.
        gw.set_endpoint_policy(
            ep.id,
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "execute-api:Invoke",
                        "Resource": "*",
                    }
                ],
            },
        )
        check(
            get(gw, other.id),
            403,
            "http.endpoint-policy-deny",
            key="Message",
            message=deny(
                "anonymous", arn(other.id), " with an explicit deny in a VPC endpoint policy"
            ),
        )
        # A bad SigV4 signature is denied at the endpoint, whatever the method's authorization.
        bad = (gw.credentials.access_key_id, "not-the-secret")
        check(get(gw, other.id, auth=signer(gw, bad)), 403, "http.signature-mismatch")
        # a bearer token is anonymous to the endpoint policy (AWS's page) ...
        r = get(gw, other.id, headers={"Authorization": "Bearer t"})
        check(r, 403, "http.endpoint-policy-deny")
        # ... unless the reported quirk is switched on for the endpoint
        quirky = gw.add_vpc_endpoint(
            private_dns=False,
            inspect_authorization=True,
            policy={
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "execute-api:Invoke",
                        "Resource": "*",
                    }
                ],
            },
        )
        with raw_client(gw, gw.target(other.id, "api_id_header", vpce_id=quirky.id)) as c:
            check(
                c.get("/ping", headers={"Authorization": "Bearer t"}),
                403,
                "http.incomplete-signature",
            )
            assert c.get("/ping").status_code == 200
        gw.set_endpoint_policy(ep.id, None)
        assert get(gw, other.id).status_code == 200


# -- Lambda authorizer ----------------------------------------------------------------------------


def _authorizer(effect: str | None) -> Any:
    def authorize(event: dict[str, Any]) -> dict[str, Any]:
        statements = (
            []
            if effect is None
            else [
                {"Effect": effect, "Action": "execute-api:Invoke", "Resource": event["methodArn"]}
            ]
        )
        return {
            "principalId": "user-1",
            "policyDocument": {"Version": "2012-10-17", "Statement": statements},
            "context": {"tenant": "t1"},
        }

    return authorize


def test_authorizer_allow_passes_context(lab: LocalGateway) -> None:
    api = lab.add_api(routes=[Route("GET", "/ping")], authorization=_authorizer("Allow"))
    r = get(lab, api.id)
    assert r.status_code == 200
    assert r.json()["authorizer"] == {"tenant": "t1", "principalId": "user-1"}


def test_authorizer_deny(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING, authorization=_authorizer("Deny"))
    check(
        get(lab, api.id),
        403,
        "http.authorizer-deny",
        key="Message",
        error_type="AccessDeniedException",
        message="User is not authorized to access this resource with an explicit deny",
    )


def test_authorizer_silent_and_policy_silent(lab: LocalGateway) -> None:
    api = lab.add_api(
        routes=PING, authorization=_authorizer(None), policy=allow_only("vpce-0000000000000000a")
    )
    check(
        get(lab, api.id),
        403,
        "http.authorizer-deny",
        key="Message",
        message="User is not authorized to access this resource",
    )


def test_authorizer_resource_policy_deny_first(lab: LocalGateway) -> None:
    calls: list[Any] = []

    def authorizer(event: dict[str, Any]) -> dict[str, Any]:
        calls.append(event)
        return _authorizer("Allow")(event)

    api = lab.add_api(
        routes=PING, authorization=authorizer, policy=deny_unless("vpce-0000000000000000a")
    )
    check(get(lab, api.id), 403, "http.explicit-deny", key="Message")
    assert calls == []  # the explicit deny is found before the authorizer runs


def test_authorizer_unauthorized(lab: LocalGateway) -> None:
    def authorizer(event: dict[str, Any]) -> dict[str, Any]:
        raise Unauthorized

    api = lab.add_api(routes=PING, authorization=authorizer)
    check(get(lab, api.id), 401, "http.unauthorized", message="Unauthorized")


@pytest.mark.parametrize("result", ["boom", {"no": "policy"}, {"policyDocument": "not json"}])
def test_authorizer_failure(lab: LocalGateway, result: Any) -> None:
    def authorizer(event: dict[str, Any]) -> Any:
        if result == "boom":
            raise RuntimeError("authorizer crashed")
        return result

    api = lab.add_api(routes=PING, authorization=authorizer)
    r = get(lab, api.id)
    assert r.status_code == 500
    assert r.json() == {"message": None}
    assert privateapi.classify(r).cause_code == "http.backend-error"  # type: ignore[union-attr]


# -- wrong endpoint -------------------------------------------------------------------------------


def test_public_api_through_endpoint_is_forbidden(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING, endpoint_type="REGIONAL")
    check(
        get(lab, api.id),
        403,
        "http.wrong-endpoint",
        message="Forbidden",
        error_type="ForbiddenException",
    )


def test_unknown_api_is_forbidden(lab: LocalGateway) -> None:
    known = lab.add_api(routes=PING)
    t = lab.target(known.id, "private_dns")
    with raw_client(lab, t) as c:
        r = c.get("/ping", headers={"Host": f"zzzzz99999.execute-api.{REGION}.amazonaws.com"})
    check(r, 403, "http.wrong-endpoint", message="Forbidden")


def test_vpce_name_without_host_or_header_is_forbidden(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING)
    t = lab.target(api.id, "api_id_header")
    with raw_client(lab, t) as c:
        del c.headers["x-apigw-api-id"]
        r = c.get("/ping")
    check(r, 403, "http.wrong-endpoint", message="Forbidden")


def test_disabled_default_endpoint(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING, disable_execute_api_endpoint=True)
    check(get(lab, api.id), 403, "http.wrong-endpoint", message="Forbidden")


def test_other_region_host_is_forbidden(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING)
    with raw_client(lab, lab.target(api.id)) as c:
        r = c.get("/ping", headers={"Host": f"{api.id}.execute-api.us-west-2.amazonaws.com"})
    check(r, 403, "http.wrong-endpoint")


# -- missing authentication token -----------------------------------------------------------------


@pytest.mark.parametrize("path", ["/nope", "/ping/deeper"])
def test_missing_route(lab: LocalGateway, path: str) -> None:
    api = lab.add_api(routes=PING)
    check(
        get(lab, api.id, path),
        403,
        "http.missing-token",
        message="Missing Authentication Token",
        error_type="MissingAuthenticationTokenException",
    )


def test_missing_stage(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING)
    t = lab.target(api.id)
    with raw_client(lab, t) as c:
        r1 = c.get(t.url("/ping").replace("/prod/", "/test/"))
        r2 = c.get(t.url().replace("/prod", "/"))
    check(r1, 403, "http.missing-token", message="Missing Authentication Token")
    check(r2, 403, "http.missing-token", message="Missing Authentication Token")


def test_iam_method_unsigned(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING, authorization="AWS_IAM")
    check(get(lab, api.id), 403, "http.missing-token", message="Missing Authentication Token")


def test_route_level_iam(lab: LocalGateway) -> None:
    api = lab.add_api(
        routes=[Route.static("GET", "/open"), Route.static("GET", "/iam", authorization="AWS_IAM")]
    )
    assert get(lab, api.id, "/open").status_code == 200
    check(get(lab, api.id, "/iam"), 403, "http.missing-token")
    assert get(lab, api.id, "/iam", auth=signer(lab)).status_code == 200


# -- signatures -----------------------------------------------------------------------------------


def test_bearer_on_missing_route(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING)
    check(
        get(lab, api.id, "/nope", headers={"Authorization": "Bearer abc.def"}),
        403,
        "http.incomplete-signature",
        error_type="IncompleteSignatureException",
        message="Authorization header requires 'Credential' parameter. Authorization header"
        " requires 'Signature' parameter. Authorization header requires 'SignedHeaders'"
        " parameter. Authorization header requires"
        " existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=Bearer abc.def",
    )
    # on an existing NONE route the bearer token is the application's business
    assert get(lab, api.id, headers={"Authorization": "Bearer abc.def"}).status_code == 200


def test_bearer_on_iam_route(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING, authorization="AWS_IAM")
    check(get(lab, api.id, headers={"Authorization": "Bearer x"}), 403, "http.incomplete-signature")


def test_bad_signature(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING, authorization="AWS_IAM")
    key = lab.credentials.access_key_id
    r = get(lab, api.id, auth=SigV4Auth((key, "not-the-secret"), region=REGION))
    check(r, 403, "http.signature-mismatch", error_type="InvalidSignatureException")
    message = r.json()["message"]
    assert message.startswith(
        "The request signature we calculated does not match the signature you provided."
        " Check your AWS"
        " Secret Access Key and signing method. Consult the service documentation for details."
    )
    err = privateapi.classify(r)
    assert isinstance(err, privateapi.SignatureMismatchError)
    assert err.expected_canonical_request is not None
    assert err.expected_canonical_request.startswith("GET\n/prod/ping\n")


@pytest.mark.parametrize(
    ("delta", "pattern"),
    [
        (
            -10,
            rf"Signature expired: {TS} is now earlier than {TS} \({TS} - 5 min\.\)",
        ),
        (
            10,
            rf"Signature not yet current: {TS} is still later than {TS} \({TS} \+ 5 min\.\)",
        ),
    ],
)
def test_clock_skew(lab: LocalGateway, delta: int, pattern: str) -> None:
    api = lab.add_api(routes=PING, authorization="AWS_IAM")
    when = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=delta)
    r = get(lab, api.id, auth=signer(lab, clock=lambda: when))
    # A clock behind ("Signature expired") and ahead ("not yet current") are both skew.
    check(r, 403, "http.clock-skew", error_type="InvalidSignatureException")
    m = re.fullmatch(pattern, r.json()["message"])
    assert m is not None, r.json()
    sent, limit, now = (dt.datetime.strptime(g, "%Y%m%dT%H%M%SZ") for g in m.groups())
    assert abs((limit - now).total_seconds()) == 300
    assert abs((sent - now).total_seconds() - delta * 60) < 5


def test_unknown_key_id(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING, authorization="AWS_IAM")
    r = get(lab, api.id, auth=SigV4Auth(("AKIAUNKNOWN000000000", "secret"), region=REGION))
    check(
        r,
        403,
        "http.invalid-token",
        message="The security token included in the request is invalid.",
        error_type="AccessDeniedException",
    )


def test_wrong_session_token(lab: LocalGateway) -> None:
    creds = lab.add_credentials(session_token="token-1")
    api = lab.add_api(routes=PING, authorization="AWS_IAM")
    assert get(lab, api.id, auth=signer(lab, creds)).status_code == 200
    r = get(
        lab,
        api.id,
        auth=SigV4Auth((creds.access_key_id, creds.secret_access_key, "token-2"), region=REGION),
    )
    check(r, 403, "http.invalid-token")
    r = get(
        lab, api.id, auth=SigV4Auth((creds.access_key_id, creds.secret_access_key), region=REGION)
    )
    check(r, 403, "http.invalid-token")


def test_expired_session_token(lab: LocalGateway) -> None:
    creds = lab.add_credentials(
        session_token="t", expires=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    )
    api = lab.add_api(routes=PING, authorization="AWS_IAM")
    check(
        get(lab, api.id, auth=signer(lab, creds)),
        403,
        "http.expired-token",
        message="The security token included in the request is expired",
        error_type="ExpiredTokenException",
    )


# -- limits ---------------------------------------------------------------------------------------


def test_throttled(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING, throttle=(0.001, 1))
    assert get(lab, api.id).status_code == 200
    r = get(lab, api.id)
    check(
        r, 429, "http.throttled", message="Too Many Requests", error_type="TooManyRequestsException"
    )
    assert "retry-after" not in r.headers


def test_quota(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING)
    with lab.add_fault(Fault.quota(count=1), api_id=api.id):
        check(
            get(lab, api.id),
            429,
            "http.quota-exceeded",
            message="Limit Exceeded",
            error_type="LimitExceededException",
        )
    assert get(lab, api.id).status_code == 200


def test_body_over_10_mb(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING)
    with raw_client(lab, lab.target(api.id)) as c:
        r = c.post("/ping", content=b"x" * (10 * 1024 * 1024 + 1))
        assert r.status_code == 413
        assert r.text == "HTTP content length exceeded 10485760 bytes."
        assert r.headers["content-type"] == "text/plain"
        assert privateapi.classify(r).cause_code == "http.payload-too-large"  # type: ignore[union-attr]
        # exactly 10 MB is fine
        assert c.post("/ping", content=b"x" * (10 * 1024 * 1024)).status_code == 200


def test_chunked_body_over_10_mb(lab: LocalGateway) -> None:
    api = lab.add_api(routes=PING)

    def chunks() -> Iterator[bytes]:
        for _ in range(11):
            yield b"x" * (1024 * 1024)

    with raw_client(lab, lab.target(api.id)) as c:
        r = c.post("/ping", content=chunks())
    assert r.status_code == 413
    assert r.text == "HTTP content length exceeded 10485760 bytes."


# -- through privateapi.Client, every style -------------------------------------------------------


@pytest.mark.parametrize("style", ["private_dns", "vpce_alias", "host_header", "api_id_header"])
def test_privateapi_client_every_style(lab: LocalGateway, style: str) -> None:
    api = lab.add_api(routes=PING, authorization="AWS_IAM", endpoints=[lab.endpoint().id])
    with lab.client(api.id, style) as client:
        assert client.get("/ping").json() == {"ok": True}
        assert client.post("/ping", json={"a": 1}).status_code == 200
    with (
        lab.client(api.id, style, credentials=False) as client,
        pytest.raises(privateapi.MissingAuthenticationTokenError),
    ):
        client.get("/ping", raise_for_status=True)


def test_static_response_types(lab: LocalGateway) -> None:
    api = lab.add_api(
        routes=[
            Route.static("GET", "/text", body="hello", headers={"Content-Type": "text/plain"}),
            Route.handler("GET", "/tuple", lambda req: (201, {"id": 1})),
            Route.handler("GET", "/bytes", lambda req: b"raw"),
            Route.handler("GET", "/resp", lambda req: LabResponse(204)),
            Route.handler("GET", "/boom", lambda req: 1 / 0),
        ]
    )
    assert get(lab, api.id, "/text").text == "hello"
    r = get(lab, api.id, "/tuple")
    assert (r.status_code, r.json()) == (201, {"id": 1})
    assert get(lab, api.id, "/bytes").content == b"raw"
    assert get(lab, api.id, "/resp").status_code == 204
    check(get(lab, api.id, "/boom"), 500, "http.backend-error", message="Internal server error")
