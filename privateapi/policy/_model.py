"""The typed model of a policy document and of a request to evaluate against it."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

__all__ = [
    "ANONYMOUS",
    "VERSION_2008",
    "VERSION_2012",
    "ApiContext",
    "Condition",
    "Effect",
    "Policy",
    "Principal",
    "Request",
    "Statement",
    "StatementRef",
]

#: A statement's ``Effect``.
Effect = Literal["Allow", "Deny"]

#: The only policy language version with policy variables.
VERSION_2012 = "2012-10-17"
VERSION_2008 = "2008-10-17"
#: How a request names an unauthenticated caller.
ANONYMOUS = "anonymous"


@dataclass(frozen=True)
class StatementRef:
    """Which statement of a policy: its zero-based position and its ``Sid``, if any."""

    index: int
    sid: str | None = None

    def __str__(self) -> str:
        if self.sid is None:
            return f"Statement[{self.index}]"
        return f"Statement[{self.index}] (Sid {self.sid!r})"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: ``{"index": 0, "sid": "AllowVpce"}``."""
        return {"index": self.index, "sid": self.sid}


@dataclass(frozen=True)
class Principal:
    """The value of a ``Principal`` or ``NotPrincipal`` element.

    Attributes:
        wildcard: ``"*"`` or ``{"AWS": "*"}``: everyone, anonymous callers included.
        aws: the ``AWS`` entries other than ``*`` (account ids, ARNs, unique ids).
        service: ``Service`` entries (``lambda.amazonaws.com``).
        federated: ``Federated`` entries.
        canonical_user: ``CanonicalUser`` entries.
    """

    wildcard: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    canonical_user: tuple[str, ...] = ()


@dataclass(frozen=True)
class Condition:
    """One key under one operator of a ``Condition`` block.

    Attributes:
        operator: the operator as written (``ForAnyValue:StringLikeIfExists``).
        key: the condition key as written (matching ignores its case).
        values: the policy values, as strings (JSON numbers and booleans in their JSON form).
        base: the canonical name of the underlying operator (``StringLike``).
        set_operator: ``"ForAnyValue"``, ``"ForAllValues"`` or ``None``.
        if_exists: whether the operator ends in ``IfExists``.
    """

    operator: str
    key: str
    values: tuple[str, ...]
    base: str
    set_operator: Literal["ForAnyValue", "ForAllValues"] | None = None
    if_exists: bool = False

    @property
    def negated(self) -> bool:
        """Whether the operator is a negated one (``StringNotEquals``, ``NotIpAddress``...)."""
        return "Not" in self.base


@dataclass(frozen=True)
class Statement:
    """One statement of a policy.

    ``principal`` is ``None`` when the statement has neither ``Principal`` nor
    ``NotPrincipal`` (invalid in a resource policy, where such a statement never applies).
    """

    index: int
    effect: Effect
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    sid: str | None = None
    principal: Principal | None = None
    not_principal: bool = False
    not_action: bool = False
    not_resource: bool = False
    conditions: tuple[Condition, ...] = ()

    @property
    def ref(self) -> StatementRef:
        """This statement's index and ``Sid``."""
        return StatementRef(self.index, self.sid)


@dataclass(frozen=True)
class Policy:
    """A parsed policy document (build one with :func:`privateapi.policy.parse_policy`).

    Attributes:
        statements: the statements, in document order (order never changes a decision).
        version: the ``Version`` element, or ``None`` when absent.
        id: the ``Id`` element, if any.
        source: the document as parsed (plain JSON data), for printing it back.
    """

    statements: tuple[Statement, ...]
    version: str | None = None
    id: str | None = None
    source: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    # Compiled matchers, keyed by policy kind and API; filled on first evaluation so that every
    # later evaluation reuses the compiled regular expressions.
    _cache: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False, hash=False)

    @property
    def variables_enabled(self) -> bool:
        """Whether ``${...}`` policy variables are substituted (only under ``2012-10-17``)."""
        return self.version == VERSION_2012

    def to_dict(self) -> dict[str, Any]:
        """The document as plain JSON data (a deep copy of what was parsed)."""
        copied: dict[str, Any] = json.loads(json.dumps(self.source))
        return copied

    def to_json(self, *, indent: int | None = 2) -> str:
        """The document as JSON text."""
        return json.dumps(self.source, indent=indent)


@dataclass(frozen=True)
class ApiContext:
    """The API a resource policy belongs to, for expanding ``execute-api:/...`` short forms.

    Example:
        >>> ApiContext("us-east-1", "123456789012", "a1b2c3d4e5").arn("prod/GET/pets")
        'arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets'
    """

    region: str
    account: str
    api_id: str
    partition: str = "aws"

    def arn(self, path: str = "*") -> str:
        """The execute-api ARN of ``path`` (``stage/METHOD/resource-path``) in this API."""
        return (
            f"arn:{self.partition}:execute-api:{self.region}:{self.account}:"
            f"{self.api_id}/{path.lstrip('/')}"
        )

    @classmethod
    def from_arn(cls, arn: str) -> ApiContext | None:
        """The API an execute-api ARN points into, or ``None`` if it is not one."""
        parts = arn.split(":", 5)
        if len(parts) != 6 or parts[0] != "arn" or parts[2] != "execute-api":
            return None
        api_id = parts[5].split("/", 1)[0]
        if not (parts[1] and parts[3] and parts[4] and api_id):
            return None
        return cls(region=parts[3], account=parts[4], api_id=api_id, partition=parts[1])


ContextValue = str | Sequence[str]

# The hex part of a VPC or VPC endpoint id (8 digits for old ids, 17 for new ones).
_RESOURCE_ID = re.compile(r"[0-9a-f]{8}|[0-9a-f]{17}")
# The ARN of one call: partition, region, 12-digit account, API id, then stage/METHOD/path.
_METHOD_ARN = re.compile(
    r"arn:[a-z][a-z-]*:execute-api:[a-z0-9-]+:\d{12}:[^/:*?]+/[^/]+/[^/]+(?:/.*)?"
)
METHOD_ARN_EXPECTED = (
    "an execute-api method ARN, arn:PARTITION:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH,"
    " e.g. 'arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets'"
)


@dataclass(frozen=True)
class _Caller:
    """A request principal split into the parts principal matching needs."""

    arn: str
    partition: str | None = None
    account: str | None = None
    # "anonymous", "user", "role", "session", "root", "service", "other"
    kind: str = "other"
    name: str | None = None
    # For a session: the role's ARN with its path, known only from aws:PrincipalArn.
    role_arn: str | None = None


@dataclass(frozen=True)
class Request:
    """One call to evaluate.

    Attributes:
        resource: the ARN of what is called
            (``arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/PATH``).
        principal: ``"anonymous"`` or the caller's ARN (IAM user, role, role session
            ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``, root) or a service name.
        action: the action, ``execute-api:Invoke`` by default.
        context: condition keys present in the request; a key that is not here is absent.
            A value is a string (single-valued key) or a list of strings (multivalued key,
            such as ``aws:PrincipalOrgPaths``; only ``ForAnyValue:``/``ForAllValues:``
            conditions match those).

    Example:
        >>> Request(
        ...     resource="arn:aws:execute-api:us-east-1:123456789012:a1b2c3d4e5/prod/GET/pets",
        ...     context={"aws:SourceVpce": "vpce-0123456789abcdef0"},
        ... ).principal
        'anonymous'
    """

    resource: str
    principal: str = ANONYMOUS
    action: str = "execute-api:Invoke"
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    _values: dict[str, tuple[str, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )
    # Keys given as lists: multivalued, so only set operators (ForAnyValue:...) match them.
    _multi: frozenset[str] = field(init=False, repr=False, compare=False, default_factory=frozenset)
    # Parsed request values (addresses, dates...), shared by every statement's conditions.
    _memo: dict[Any, Any] = field(init=False, repr=False, compare=False, default_factory=dict)

    def __post_init__(self) -> None:
        # Key names are case-insensitive, so lookups use a lower-cased copy built once.
        lowered: dict[str, tuple[str, ...]] = {}
        multi: set[str] = set()
        for key, value in self.context.items():
            if isinstance(value, list | tuple):
                multi.add(key.lower())
                values = tuple(value)
            else:
                values = (value,)
            lowered[key.lower()] = tuple(_as_text(v) for v in values)
        object.__setattr__(self, "_values", lowered)
        object.__setattr__(self, "_multi", frozenset(multi))

    @property
    def anonymous(self) -> bool:
        """Whether the caller is anonymous."""
        return self.principal == ANONYMOUS

    def values(self, key: str) -> tuple[str, ...] | None:
        """The values of a context key (any case), or ``None`` when it is absent."""
        return self._values.get(key.lower())

    def variable(self, key: str) -> tuple[str, ...] | None:
        """The value a policy variable ``${key}`` takes: ``None`` unless single-valued."""
        lowered = key.lower()
        return None if lowered in self._multi else self._values.get(lowered)

    def multivalued(self, key: str) -> bool:
        """Whether a context key (any case) was given as a list of values."""
        return key.lower() in self._multi

    @cached_property
    def caller(self) -> _Caller:
        """The principal, split into partition, account, kind and name."""
        return _split_caller(self.principal, self.values("aws:PrincipalArn"))

    @classmethod
    def for_private_api(
        cls,
        resource: str,
        *,
        principal: str = ANONYMOUS,
        action: str = "execute-api:Invoke",
        vpce: str | None = None,
        vpc: str | None = None,
        source_ip: str | None = None,
        context: Mapping[str, ContextValue] | None = None,
    ) -> Request:
        """A request as it reaches a private API through a VPC endpoint.

        ``aws:SourceVpce`` and ``aws:SourceVpc`` are filled from ``vpce`` and ``vpc``; the
        client's address goes to ``aws:VpcSourceIp``, because ``aws:SourceIp`` is absent
        behind a VPC endpoint; ``aws:SecureTransport`` is ``true``. ``context`` adds or
        overrides keys.

        Raises:
            InvalidInputError: ``resource`` is not an execute-api method ARN, or ``vpce``,
                ``vpc`` or ``source_ip`` is malformed.
        """
        from privateapi._errors import InvalidInputError

        if not isinstance(resource, str) or not _METHOD_ARN.fullmatch(resource):
            raise InvalidInputError("resource", resource, METHOD_ARN_EXPECTED)
        for name, given, prefix in (("vpce", vpce, "vpce-"), ("vpc", vpc, "vpc-")):
            if given is not None and not (
                given.lower().startswith(prefix)
                and _RESOURCE_ID.fullmatch(given[len(prefix) :].lower())
            ):
                expected = f"{prefix!r} and 17 (or 8) hex digits, e.g. '{prefix}1a2b3c4d'"
                raise InvalidInputError(name, given, expected)
        if source_ip is not None:
            import ipaddress

            try:
                ipaddress.ip_address(source_ip)
            except ValueError:
                raise InvalidInputError(
                    "source_ip", source_ip, "an IP address, e.g. '10.0.1.23'"
                ) from None
        ctx: dict[str, ContextValue] = {"aws:SecureTransport": "true"}
        if vpce:
            ctx["aws:SourceVpce"] = vpce
        if vpc:
            ctx["aws:SourceVpc"] = vpc
        if source_ip:
            ctx["aws:VpcSourceIp"] = source_ip
        lowered = {k.lower(): k for k in ctx}
        for key, value in (context or {}).items():
            ctx.pop(lowered.get(key.lower(), key), None)
            ctx[key] = value
        return cls(resource=resource, principal=principal, action=action, context=ctx)


def _split_caller(arn: str, principal_arn: tuple[str, ...] | None) -> _Caller:
    if arn == ANONYMOUS:
        return _Caller(arn=arn, kind="anonymous")
    parts = arn.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return _Caller(arn=arn, kind="service" if "." in arn else "other")
    partition, service, account, resource = parts[1], parts[2], parts[4], parts[5]
    if service == "iam" and resource == "root":
        return _Caller(arn=arn, partition=partition, account=account, kind="root")
    if service == "iam" and resource.startswith(("user/", "role/")):
        kind, _, rest = resource.partition("/")
        name = rest.rsplit("/", 1)[-1]
        return _Caller(
            arn=arn,
            partition=partition,
            account=account,
            kind=kind,
            name=name,
        )
    if service == "sts" and resource.startswith("assumed-role/"):
        segments = resource.split("/")
        role_name = segments[1] if len(segments) > 1 else ""
        # A session ARN carries no role path; aws:PrincipalArn (the role ARN) does.
        role_arn = None
        if principal_arn and len(principal_arn) == 1:
            role_arn = principal_arn[0]
        return _Caller(
            arn=arn,
            partition=partition,
            account=account,
            kind="session",
            name=role_name,
            role_arn=role_arn,
        )
    return _Caller(arn=arn, partition=partition, account=account, kind="other")


def _as_text(value: object) -> str:
    # Context values compare as strings; JSON booleans in their JSON spelling.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
