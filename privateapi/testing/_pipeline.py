"""The request pipeline: small steps over a frozen call, each answering or passing it on.

A :class:`Call` is made from what the HTTP layer received; each step returns an
:class:`~._answers.Answer` (or a :class:`~._answers.NoReply`) to stop there, or the
call, enriched with what it learnt (the API, the caller), to pass it on. The order is
API Gateway's as far as the reference documents it:

1. ``reset_after``: a ``reset`` fault with ``when="after"`` (the whole request was read);
2. ``identify``: which API or custom domain ``Host``/``x-apigw-api-id`` name (else 403
   ``Forbidden``); ``STRICT`` endpoint access mode; the domain's access association;
3. ``limit_arn``: the method ARN's 1,600-byte quota (414);
4. ``endpoint_policy``: the VPC endpoint policy, first, with the identity from a SigV4
   ``Authorization`` (verified here when present);
5. ``find_method``: stage and route (else ``Missing Authentication Token``);
6. ``throttle``: token buckets, then ``throttle``/``quota`` faults;
7. ``authorize``: ``NONE`` (resource policy), ``AWS_IAM`` (signature + Table A/B) or a
   Lambda authorizer (resource-policy deny first, then Table A);
8. ``domain_policy``: a private custom domain's own policy;
9. ``inject``: ``latency`` and ``status`` faults;
10. ``integrate``: the route's integration.

Before the body is read, :meth:`Pipeline.on_head` applies the blackhole, ``reset``
``when="before"`` and the 10,240-byte request-line-and-headers quota.
"""

from __future__ import annotations

import collections
import functools
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from privateapi.testing import _answers as A  # noqa: N812 - A.forbidden() reads like the table
from privateapi.testing._answers import Answer, NoReply, new_request_id, with_gateway_headers
from privateapi.testing._exchange import Connection, Deferred, Head, Refusal
from privateapi.testing._hosts import HostMatch, match_host, split_stage, strip_port
from privateapi.testing._limits import MAX_HEAD_BYTES, MAX_METHOD_ARN_BYTES, TokenBucket
from privateapi.testing._policies import authorizer_event
from privateapi.testing._routes import LabRequest, find_route
from privateapi.testing._sigv4 import GatewayCredentials, Verified, is_sigv4, verify

if TYPE_CHECKING:
    import ssl

    from privateapi.policy import Outcome, Policy, PolicyKind
    from privateapi.testing._faults import FaultBook
    from privateapi.testing._integrate import Integrator
    from privateapi.testing._policies import Evaluator
    from privateapi.testing._registry import ApiRecord, DomainRecord, EndpointRecord, Registry
    from privateapi.testing._routes import Route

    # what a request routes to: the API (None: no such API), its stage and resource path
    _Routed = tuple[ApiRecord | None, str | None, str]

__all__ = ["Call", "Pipeline", "RequestLog", "RequestRecord"]

log = logging.getLogger("privateapi.testing")

_EMPTY: Mapping[str, Any] = MappingProxyType({})
_REQUEST_FAULTS = frozenset({"reset"})
_LIMIT_FAULTS = frozenset({"throttle", "quota"})
_LATENCY = frozenset({"latency"})
_STATUS = frozenset({"status"})
#: How many requests the log keeps (the oldest go first).
MAX_LOGGED = 10_000


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request the gateway answered: what it saw and what it decided."""

    vpce_id: str
    source_ip: str
    sni: str | None
    host: str | None
    method: str
    target: str
    api_id: str | None
    stage: str | None
    #: ``None`` when the gateway reset the connection instead of answering
    status: int | None
    cause: str | None
    principal: str
    request_id: str


class RequestLog:
    """The last :data:`MAX_LOGGED` requests, oldest first (bounded: a long test run stays flat)."""

    def __init__(self, size: int = MAX_LOGGED) -> None:
        self._records: collections.deque[RequestRecord] = collections.deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            self._records.append(record)

    def snapshot(self) -> tuple[RequestRecord, ...]:
        with self._lock:
            return tuple(self._records)


@dataclass(frozen=True, slots=True)
class Call:
    """One request on its way through the pipeline (each step may return a richer copy)."""

    endpoint: EndpointRecord
    conn: Connection
    head: Head
    body: bytes
    request_id: str
    now: datetime
    method: str
    raw_path: str
    raw_query: str
    host: str
    authorization: str | None
    # learnt by identify
    api: ApiRecord | None = None
    domain: DomainRecord | None = None
    stage: str | None = None
    resource: str = "/"
    arn: str = ""
    context: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    # learnt by find_method
    route: Route | None = None
    params: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    # learnt by the signature check and authorize
    verified: GatewayCredentials | None = None
    principal: str = "anonymous"
    authorizer: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def evolve(self, **changes: Any) -> Call:
        """A copy with ``changes`` (``dataclasses.replace`` without its per-call overhead:
        it ran four times per request and cost a quarter of the pipeline)."""
        new = object.__new__(Call)
        for name in _CALL_FIELDS:
            object.__setattr__(new, name, changes[name] if name in changes else getattr(self, name))
        return new

    @property
    def scope(self) -> dict[str, Any]:
        """What request faults are scoped by."""
        return {
            "api_id": self.api.id if self.api is not None else None,
            "method": self.method,
            "path": self.resource,
            "vpce_id": self.endpoint.id,
        }


_CALL_FIELDS = tuple(f.name for f in fields(Call))

Step = Callable[[Call], "Call | Answer | NoReply"]


class Pipeline:
    """The gateway's decisions, behind the HTTP layer's :class:`~._exchange.Handler` protocol."""

    def __init__(
        self,
        registry: Registry,
        faults: FaultBook,
        evaluator: Evaluator,
        integrator: Integrator,
        *,
        clock: Callable[[], datetime],
        stop: threading.Event,
        tls_context: Callable[[str], ssl.SSLContext],
    ) -> None:
        self.registry = registry
        self.faults = faults
        self.evaluator = evaluator
        self.integrator = integrator
        self.clock = clock
        self.log = RequestLog()
        self._stop = stop
        self._tls_context = tls_context
        self._global_throttle: TokenBucket | None = None
        self.steps: tuple[Step, ...] = (
            self.reset_after,
            self.identify,
            self.limit_arn,
            self.endpoint_policy,
            self.find_method,
            self.throttle,
            self.authorize,
            self.domain_policy,
            self.inject,
            self.integrate,
        )
        #: the steps that can run user code or wait (the others never block)
        self._blocking = frozenset(
            i
            for i, step in enumerate(self.steps)
            if step in (self.authorize, self.inject, self.integrate)
        )

    def set_global_throttle(self, bucket: TokenBucket | None) -> None:
        """Throttle every API of the gateway (``None``: no gateway-wide limit)."""
        self._global_throttle = bucket

    # -- the HTTP layer's questions ----------------------------------------------------------

    def tls_context(self, listener: str) -> ssl.SSLContext:
        return self._tls_context(listener)

    def on_connect(self, listener: str) -> NoReply | None:
        return NoReply.HOLD if self.faults.blackhole(listener) is not None else None

    def on_head(self, conn: Connection, head: Head) -> Answer | NoReply | None:
        if self.faults.blackhole(conn.listener) is not None:
            return NoReply.HOLD  # like a security group DROP: never a byte back
        if head.line_and_values > MAX_HEAD_BYTES:
            # unverified: that API Gateway refuses the head before reading the body.
            return self._finish(conn, head, new_request_id(), A.head_too_large())
        if not self.faults.has("reset"):
            return None
        api_id, path = self._peek(head)
        if self.faults.take(
            _REQUEST_FAULTS,
            api_id=api_id,
            method=head.method.upper(),
            path=path,
            vpce_id=conn.listener,
            when="before",
        ):
            self._record(conn, head, new_request_id(), NoReply.RESET)
            return NoReply.RESET
        return None

    def respond(self, conn: Connection, head: Head, body: bytes) -> Answer | NoReply | Deferred:
        endpoint = self.registry.endpoint_record(conn.listener)
        if endpoint is None or self.faults.blackhole(conn.listener) is not None:
            return NoReply.HOLD
        return self._run(self._call(endpoint, conn, head, body), 0, inline=True)

    def _run(self, call: Call, start: int, *, inline: bool) -> Answer | NoReply | Deferred:
        """Run the steps from ``start``; inline, stop before one that may block."""
        outcome: Call | Answer | NoReply = call
        try:
            for i in range(start, len(self.steps)):
                step = self.steps[i]
                if inline and i in self._blocking and self._may_block(step, call):
                    return Deferred(functools.partial(self._resume, call, i))
                outcome = step(call)
                if not isinstance(outcome, Call):
                    break
                call = outcome
        except Exception as exc:
            log.warning("privateapi local gateway: integration failed: %r", exc)
            outcome = A.internal_error()
        assert not isinstance(outcome, Call), "the integrate step always answers"
        return self._finish(call.conn, call.head, call.request_id, outcome, call)

    def _resume(self, call: Call, start: int) -> Answer | NoReply:
        """The rest of the steps, on a worker thread."""
        outcome = self._run(call, start, inline=False)
        assert not isinstance(outcome, Deferred)
        return outcome

    def _may_block(self, step: Step, call: Call) -> bool:
        """Whether a step runs user code or waits (then it runs on a worker, not inline)."""
        route = call.route
        if step == self.integrate:
            return route is not None and not route.is_static
        if step == self.authorize:
            auth = route.authorization if route is not None else None
            api_auth = call.api.authorization if call.api is not None else None
            return callable(auth) or (auth is None and callable(api_auth))
        if step == self.inject:
            return self.faults.has("latency")
        return False

    def refuse(self, conn: Connection, head: Head | None, refusal: Refusal) -> Answer:
        answer = {
            Refusal.BAD_REQUEST: A.bad_request,
            Refusal.BODY_TOO_LARGE: A.payload_too_large,
            Refusal.HEAD_TOO_LARGE: A.head_too_large,
        }[refusal]()
        request_id = new_request_id()
        if head is None:
            return with_gateway_headers(answer, request_id)
        result = self._finish(conn, head, request_id, answer)
        assert isinstance(result, Answer)
        return result

    def _finish(
        self,
        conn: Connection,
        head: Head,
        request_id: str,
        outcome: Answer | NoReply,
        call: Call | None = None,
    ) -> Answer | NoReply:
        self._record(conn, head, request_id, outcome, call)
        if isinstance(outcome, NoReply):
            return outcome
        return with_gateway_headers(outcome, request_id)

    def _record(
        self,
        conn: Connection,
        head: Head,
        request_id: str,
        outcome: Answer | NoReply,
        call: Call | None = None,
    ) -> None:
        api = call.api if call is not None else None
        self.log.add(
            RequestRecord(
                vpce_id=conn.listener,
                source_ip=conn.peer[0],
                sni=conn.sni,
                host=head.header("host"),
                method=head.method,
                target=head.target,
                api_id=api.id if api is not None else None,
                stage=call.stage if call is not None and api is not None else None,
                status=outcome.status if isinstance(outcome, Answer) else None,
                cause=outcome.cause if isinstance(outcome, Answer) else outcome.value,
                principal=call.principal if call is not None else "anonymous",
                request_id=request_id,
            )
        )

    def _call(self, endpoint: EndpointRecord, conn: Connection, head: Head, body: bytes) -> Call:
        raw_path, _, raw_query = head.target.partition("?")
        return Call(
            endpoint=endpoint,
            conn=conn,
            head=head,
            body=body,
            request_id=new_request_id(),
            now=self.clock(),
            method=head.method.upper(),
            raw_path=raw_path,
            raw_query=raw_query,
            host=head.header("host") or "",
            authorization=head.header("authorization"),
        )

    def _peek(self, head: Head) -> tuple[str | None, str | None]:
        """A cheap guess of (api id, resource path) for fault scoping, before routing."""
        reg = self.registry
        api_id = head.header("x-apigw-api-id")
        m = match_host(head.header("host") or "", reg.dns_suffix, reg.domain_names)
        if api_id is None and m.api_id:
            api_id = m.api_id
        raw_path = head.target.split("?", 1)[0]
        domain = reg.domain_record(m.domain or "") if m.kind == "domain" else None
        if domain is not None:
            base, rest = split_stage(raw_path)
            mapped = domain.mappings.get(base or "") or domain.mappings.get("")
            if mapped is not None:
                return mapped[0], unquote(rest if base in domain.mappings else raw_path)
            return None, unquote(raw_path)
        _, rest = split_stage(raw_path)
        return api_id, unquote(rest)

    # -- the steps ---------------------------------------------------------------------------

    def reset_after(self, call: Call) -> Call | NoReply:
        if not self.faults.has("reset"):
            return call
        api_id, path = self._peek(call.head)
        fault = self.faults.take(
            _REQUEST_FAULTS,
            api_id=api_id,
            method=call.method,
            path=path,
            vpce_id=call.endpoint.id,
            when="after",
        )
        return NoReply.RESET if fault is not None else call

    def identify(self, call: Call) -> Call | Answer:
        """Which API (or domain) the request names; anything else is "Forbidden"."""
        reg = self.registry
        header_api = call.head.header("x-apigw-api-id")
        m = match_host(call.host, reg.dns_suffix, reg.domain_names)
        domain: DomainRecord | None = None
        routed: _Routed | Answer
        if header_api is not None:
            routed = (reg.find_api(header_api.strip()), *split_stage(call.raw_path))
        elif m.kind in ("api", "alias"):
            routed = self._by_name(call, m)
        elif m.kind == "domain" and (domain := reg.domain_record(m.domain or "")) is not None:
            routed = self._by_domain(call, domain)
        else:
            return A.forbidden()
        if isinstance(routed, Answer):
            return routed
        api, stage, resource = routed
        if api is None or api.endpoint_type != "PRIVATE":
            return A.forbidden()
        if not self._strict_allows(call, api, domain, header_api is not None):
            return A.strict_mismatch()
        resource_path = unquote(resource)
        arn = (
            f"arn:{reg.partition.name}:execute-api:{reg.region}:{reg.account_id}:"
            f"{api.id}/{stage or ''}/{call.method}/{resource_path.lstrip('/')}"
        )
        return call.evolve(
            api=api,
            domain=domain,
            stage=stage,
            resource=resource_path,
            arn=arn,
            context=self._context(call, domain),
        )

    def _by_name(self, call: Call, m: HostMatch) -> _Routed | Answer:
        """The API an execute-api name (or its endpoint alias) names."""
        reg = self.registry
        if m.region != reg.region:
            return A.forbidden()
        if m.kind == "alias" and m.vpce_id != call.endpoint.id:
            # An alias of another endpoint captured by this VPC's wildcard: unverified
            # (open question 6); modelled as not routed.
            return A.forbidden()
        api = reg.find_api(m.api_id or "")
        if api is not None and api.disable_execute_api_endpoint:
            return A.forbidden()
        return (api, *split_stage(call.raw_path))

    def _by_domain(self, call: Call, domain: DomainRecord) -> _Routed | Answer:
        """The API a custom domain's base path mapping names."""
        if domain.associations.get(call.endpoint.id) != "ready":
            # No (ready) access association for this endpoint: unverified (open question 4).
            return A.association_missing()
        base, rest = split_stage(call.raw_path)
        if base is not None and base in domain.mappings:
            api_id, stage = domain.mappings[base]
            resource = rest
        elif "" in domain.mappings:
            api_id, stage = domain.mappings[""]
            resource = call.raw_path or "/"
        else:
            return A.forbidden()
        return self.registry.find_api(api_id), stage, resource

    @staticmethod
    def _strict_allows(
        call: Call, api: ApiRecord, domain: DomainRecord | None, by_header: bool
    ) -> bool:
        """``STRICT``: the TLS server name must be the ``Host``, and the ``Host`` name the API.

        The endpoint's own DNS name with ``Host`` or ``x-apigw-api-id`` (SNI and ``Host``
        differ, or the header routes) is refused (reference §1.3/§1.4, [SECPOL]). unverified:
        whether the ``{api}-{vpce}`` alias counts as allowed (open question 2); it is (its
        SNI and ``Host`` are the same name, which is what the rule checks).
        """
        # unverified: through a custom domain the domain's mode decides (the API's is not
        # consulted), and the rule is checked before the method ARN quota and the policies.
        strict = domain.strict if domain is not None else api.strict
        if not strict:
            return True
        sni = (call.conn.sni or "").lower().rstrip(".")
        return not by_header and sni == strip_port(call.host).rstrip(".")

    def _context(self, call: Call, domain: DomainRecord | None) -> Mapping[str, str]:
        ep = call.endpoint
        now = call.now
        context = {
            "aws:SourceVpce": ep.id,
            "aws:SourceVpc": ep.vpc_id,
            # behind an endpoint the source is the client's VPC address; aws:SourceIp is absent
            "aws:VpcSourceIp": call.conn.peer[0],
            "aws:SecureTransport": "true",
            "aws:CurrentTime": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "aws:EpochTime": str(int(now.timestamp())),
        }
        user_agent = call.head.header("user-agent")
        if user_agent is not None:
            context["aws:UserAgent"] = user_agent
        if domain is not None:
            context["execute-api:viaDomainArn"] = self.registry.domain_arn(
                domain.name, domain.domain_name_id
            )
        return MappingProxyType(context)

    def limit_arn(self, call: Call) -> Call | Answer:
        # For a private API (always a resource policy) the method-ARN quota bounds every URI.
        # unverified: that the decoded resource path is what is measured, and that the check
        # comes right after routing (before the endpoint policy).
        if len(call.arn.encode()) > MAX_METHOD_ARN_BYTES:
            return A.uri_too_long()
        return call

    def endpoint_policy(self, call: Call) -> Call | Answer:
        """The VPC endpoint policy, first, with the identity from ``Authorization``."""
        policy = call.endpoint.policy
        if policy is None:
            return call
        if is_sigv4(call.authorization):
            verified = self._verify(call)
            if isinstance(verified, Answer):
                return verified
            call = call.evolve(verified=verified.credentials)
        elif call.authorization is not None and call.endpoint.inspect_authorization:
            # The quirk one blog reports: a custom endpoint policy makes API Gateway parse
            # any Authorization header (AWS's page says non-SigV4 is anonymous). unverified
            return A.incomplete_signature(call.authorization)
        principal = call.verified.arn if call.verified is not None else "anonymous"
        decision = self._decide(call, policy, call.arn, principal, kind="endpoint")
        if decision != "allow":
            return A.endpoint_policy_denied(
                principal, call.arn, explicit=decision == "explicit_deny"
            )
        return call

    def find_method(self, call: Call) -> Call | Answer:
        assert call.api is not None
        found = (
            find_route(call.api.routes, call.method, call.resource)
            if call.stage in call.api.stages
            else None
        )
        if found is None:
            if call.authorization is not None and not is_sigv4(call.authorization):
                return A.incomplete_signature(call.authorization)
            return A.missing_token()
        route, params = found
        return call.evolve(route=route, params=MappingProxyType(params))

    def throttle(self, call: Call) -> Call | Answer:
        assert call.api is not None
        assert call.route is not None
        if not self._take_tokens(call.api, call.route):
            return A.throttled()
        fault = self.faults.take(_LIMIT_FAULTS, **call.scope)
        if fault is not None:
            return A.throttled() if fault.kind == "throttle" else A.quota_exceeded()
        return call

    def _take_tokens(self, api: ApiRecord, route: Route) -> bool:
        glob = self._global_throttle
        if glob is not None and not glob.take():
            return False
        if api.throttle is not None and not api.throttle.take():
            return False
        if route.throttle is not None:
            key = (route.method, route.path)
            bucket = api.route_buckets.get(key)
            if bucket is None:
                bucket = api.route_buckets.setdefault(key, TokenBucket(*route.throttle))
            if not bucket.take():
                return False
        return True

    def authorize(self, call: Call) -> Call | Answer:
        """``NONE``, ``AWS_IAM`` or a Lambda authorizer, with the resource policy."""
        api, route = call.api, call.route
        assert api is not None
        assert route is not None
        if api.policy is None:
            # A private API cannot even be deployed without a policy; every call is denied.
            return A.access_denied("anonymous", call.arn, explicit=False)
        auth = route.authorization if route.authorization is not None else api.authorization
        if auth == "AWS_IAM":
            return self._authorize_iam(call, api.policy)
        if callable(auth):
            return self._authorize_lambda(call, api.policy, auth)
        rp = self._decide(call, api.policy, call.arn, "anonymous", kind="resource")
        if rp != "allow":
            return A.access_denied("anonymous", call.arn, explicit=rp == "explicit_deny")
        return call

    def _authorize_iam(self, call: Call, resource_policy: Policy) -> Call | Answer:
        from privateapi.policy import combine

        if call.authorization is None:
            return A.missing_token()
        if not is_sigv4(call.authorization):
            return A.incomplete_signature(call.authorization)
        creds = call.verified
        if creds is None:
            verified = self._verify(call)
            if isinstance(verified, Answer):
                return verified
            creds = verified.credentials
        call = call.evolve(verified=creds, principal=creds.arn)
        identity = self.registry.identity_policy(creds.access_key_id)
        caller: Outcome = (
            "allow"
            if identity is None
            else self._decide(call, identity, call.arn, creds.arn, kind="identity")
        )
        rp = self._decide(call, resource_policy, call.arn, creds.arn, kind="resource")
        final = combine(caller, rp, same_account=creds.account_id == self.registry.account_id)
        if final != "allow":
            return A.access_denied(creds.arn, call.arn, explicit=final == "explicit_deny")
        return call

    def _authorize_lambda(
        self, call: Call, resource_policy: Policy, fn: Callable[[dict[str, Any]], Any]
    ) -> Call | Answer:
        from privateapi.policy import combine

        api, route = call.api, call.route
        assert api is not None
        assert route is not None
        rp = self._decide(call, resource_policy, call.arn, "anonymous", kind="resource")
        if rp == "explicit_deny":
            return A.access_denied("anonymous", call.arn, explicit=True)
        event = authorizer_event(
            method_arn=call.arn,
            resource=route.path,
            path=f"/{call.stage or ''}{call.resource}",
            method=call.method,
            headers=call.head.headers,
            query=call.raw_query,
            path_parameters=call.params,
            account_id=self.registry.account_id,
            api_id=api.id,
            stage=call.stage or "",
            request_id=call.request_id,
            source_ip=call.conn.peer[0],
            vpce_id=call.endpoint.id,
            vpc_id=call.endpoint.vpc_id,
        )
        result = self.evaluator.run_authorizer(fn, event, api.id)
        if result == "unauthorized":
            return A.unauthorized()
        if isinstance(result, str):
            return A.authorizer_failure()
        outcome, context = result
        final = combine(outcome, rp, same_account=True)
        if final != "allow":
            return A.authorizer_denied(explicit=final == "explicit_deny")
        return call.evolve(authorizer=MappingProxyType(context))

    def domain_policy(self, call: Call) -> Call | Answer:
        domain = call.domain
        if domain is None:
            return call
        arn = self.registry.domain_arn(domain.name, domain.domain_name_id)
        dp: Outcome = (
            "implicit_deny"
            if domain.policy is None
            else self._decide(call, domain.policy, arn, call.principal, kind="resource")
        )
        if dp != "allow":
            return A.access_denied(call.principal, arn, explicit=dp == "explicit_deny")
        return call

    def inject(self, call: Call) -> Call | Answer:
        """Faults on the way to the integration."""
        delay = self.faults.take(_LATENCY, **call.scope)
        if delay is not None:
            self._stop.wait(delay.seconds)
        failure = self.faults.take(_STATUS, **call.scope)
        if failure is not None:
            return A.internal_error(failure.status, failure.error_message)
        return call

    def integrate(self, call: Call) -> Answer:
        """The integration. The ``Authorization`` header is not forwarded when it is SigV4."""
        api, route = call.api, call.route
        assert api is not None
        assert route is not None
        headers = tuple(
            (k, v)
            for k, v in call.head.headers
            if not (k.lower() == "authorization" and is_sigv4(v))
        )
        request = LabRequest(
            method=call.method,
            path=call.resource,
            query=call.raw_query,
            headers=headers,
            body=call.body,
            api_id=api.id,
            stage=call.stage or "",
            path_parameters=call.params,
            principal=call.principal,
            source_vpce=call.endpoint.id,
            source_vpc=call.endpoint.vpc_id,
            source_ip=call.conn.peer[0],
            request_id=call.request_id,
            authorizer=call.authorizer,
        )
        return self.integrator.call(route, request)

    # -- helpers -----------------------------------------------------------------------------

    def _verify(self, call: Call) -> Verified | Answer:
        return verify(
            method=call.head.method,
            raw_path=call.raw_path,
            raw_query=call.raw_query,
            headers=call.head.headers,
            body=call.body,
            region=self.registry.region,
            credentials=self.registry.credentials,
            now=call.now,
        )

    def _decide(
        self, call: Call, policy: Policy, arn: str, principal: str, *, kind: PolicyKind
    ) -> Outcome:
        assert call.api is not None
        account = call.verified.account_id if call.verified is not None else None
        return self.evaluator.decide(
            policy,
            arn,
            principal,
            call.context,
            call.api.id,
            kind=kind,
            principal_account=account,
        )
