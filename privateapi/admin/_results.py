"""What the operations return: frozen dataclasses that serialise one way.

Every result derives from :class:`Record`, whose one ``to_dict`` walks the dataclass
fields: nested records, tuples and mappings become JSON-ready values, datetimes become
ISO 8601 text. A field may be renamed in the document (``metadata={"key": ...}``) or
converted (``metadata={"convert": ...}``); properties listed in ``_computed`` are added
after the fields. No result writes its own ``to_dict``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, ClassVar, Literal

__all__ = [
    "AliasPoll",
    "AliasResolution",
    "ApiStatus",
    "AwsCall",
    "ChangeResult",
    "CustomDomainInfo",
    "Deployment",
    "EndpointAssociation",
    "NextStep",
    "PolicySummary",
    "Record",
    "StageInfo",
]


def _jsonable(value: Any) -> Any:
    if isinstance(value, Record):
        return value.to_dict()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    return value


def _key(name: str) -> Mapping[str, Any]:
    """Field metadata: this field is called ``name`` in the JSON document."""
    return {"key": name}


def _convert(func: Callable[[Any], Any]) -> Mapping[str, Any]:
    """Field metadata: this field is written as ``func(value)`` in the JSON document."""
    return {"convert": func}


class Record:
    """Base of every admin result: one ``to_dict`` for all of them."""

    #: JSON key -> property name, for computed values written after the fields.
    _computed: ClassVar[Mapping[str, str]] = {}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (what the command line prints as its JSON document)."""
        out: dict[str, Any] = {}
        for f in fields(self):  # type: ignore[arg-type]  # every Record is a dataclass
            value = getattr(self, f.name)
            convert = f.metadata.get("convert")
            out[f.metadata.get("key", f.name)] = convert(value) if convert else _jsonable(value)
        for key, prop in self._computed.items():
            out[key] = _jsonable(getattr(self, prop))
        return out


Operation = Literal["deploy", "apply_policy", "status", "wait_for_alias"]


@dataclass(frozen=True)
class NextStep(Record):
    """What to do next, as data: an operation of this module and its arguments.

    A value of ``None`` is an argument the caller must choose (a stage, an endpoint id).
    Front ends render it their own way (the CLI as a command line).

    Example:
        >>> NextStep("deploy", {"api_id": "a1b2c3d4e5", "stage": None}).operation
        'deploy'
    """

    operation: Operation
    args: Mapping[str, str | None]


@dataclass(frozen=True)
class AwsCall(Record):
    """One control-plane call: the service, the operation and its parameters."""

    service: str
    operation: str
    params: Mapping[str, Any]

    def __str__(self) -> str:
        return f"{self.service} {self.operation} {json.dumps(_jsonable(self.params), default=str)}"


@dataclass(frozen=True)
class Deployment(Record):
    """A deployment created by an operation."""

    id: str
    stage: str
    created: datetime | None = None
    description: str | None = None


@dataclass(frozen=True)
class EndpointAssociation(Record):
    """A VPC endpoint associated with an API, and the alias name it gets."""

    _computed: ClassVar[Mapping[str, str]] = {"alias_url": "alias_url"}

    vpce_id: str
    alias_hostname: str

    @property
    def alias_url(self) -> str:
        """``https://{api}-{vpce}.execute-api.{region}.{suffix}/`` (append the stage)."""
        return f"https://{self.alias_hostname}/"


@dataclass(frozen=True)
class ChangeResult(Record):
    """What a changing operation did (or, with ``dry_run``, would do).

    Attributes:
        action: ``associate``, ``disassociate``, ``deploy`` or ``apply-policy``.
        calls: the AWS calls made, in order; with ``dry_run`` the calls that would be made.
        changed: whether anything was changed on AWS.
        vpc_endpoint_ids: the API's associated endpoints after the change (association only).
        endpoints: the endpoints acted upon, with their alias names (association only).
        deployment: the deployment created, if any.
        warnings: things to look at (policy lint warnings, ids already in place...).
        notes: what the caller must know, e.g. that a saved policy needs a deployment.
        next_steps: the operations the notes call for, as data.
    """

    action: str
    api_id: str
    region: str
    dry_run: bool
    calls: tuple[AwsCall, ...]
    changed: bool = False
    vpc_endpoint_ids: tuple[str, ...] = ()
    endpoints: tuple[EndpointAssociation, ...] = ()
    deployment: Deployment | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    next_steps: tuple[NextStep, ...] = ()


@dataclass(frozen=True)
class StageInfo(Record):
    """A stage and its current deployment."""

    name: str
    deployment_id: str | None
    last_deployed: datetime | None
    description: str | None = None


@dataclass(frozen=True)
class PolicySummary(Record):
    """The resource policy in a few lines: who may call, and what lint found.

    Attributes:
        present: whether the API has a resource policy at all.
        who_may_call: one line per statement, e.g. ``Allow everyone: execute-api:Invoke on
            execute-api:/* when aws:SourceVpce is vpce-0123...``.
        source_vpces: endpoint ids the policy names in ``aws:SourceVpce`` conditions.
        source_vpcs: VPC ids the policy names in ``aws:SourceVpc`` conditions.
        warnings: lint warnings (``privateapi.policy.lint``).
        error: why the policy could not be read, if it could not.
    """

    present: bool
    who_may_call: tuple[str, ...] = ()
    source_vpces: tuple[str, ...] = ()
    source_vpcs: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    error: str | None = None


@dataclass(frozen=True)
class CustomDomainInfo(Record):
    """A private custom domain name mapped to the API, and who may reach it."""

    domain_name: str
    domain_name_id: str | None
    base_paths: tuple[str, ...]
    access_associations: tuple[str, ...] = ()
    #: False when the associations could not be looked up (see the status notes):
    #: then an empty ``access_associations`` means "unknown", not "none".
    associations_checked: bool = field(default=True, metadata=_key("access_associations_checked"))


@dataclass(frozen=True)
class ApiStatus(Record):
    """A private API as the control plane describes it.

    Attributes:
        endpoint_types: ``("PRIVATE",)`` for a private API.
        endpoints: associated VPC endpoints and their alias names.
        stages: stages with their last deployment time.
        policy: the resource policy summary.
        custom_domains: private custom domains with a base path mapping to this API.
        notes: what could not be checked, and why.
    """

    _computed: ClassVar[Mapping[str, str]] = {"private": "is_private"}

    api_id: str
    name: str | None
    region: str
    endpoint_types: tuple[str, ...]
    disable_execute_api_endpoint: bool
    endpoints: tuple[EndpointAssociation, ...]
    stages: tuple[StageInfo, ...]
    policy: PolicySummary
    custom_domains: tuple[CustomDomainInfo, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def is_private(self) -> bool:
        """Whether the API's endpoint type is PRIVATE."""
        return "PRIVATE" in self.endpoint_types


@dataclass(frozen=True)
class AliasPoll(Record):
    """One DNS poll of :func:`~privateapi.admin.wait_for_alias`, passed to ``progress``."""

    attempt: int
    elapsed: float = field(metadata=_convert(lambda v: round(v, 3)))
    timeout: float
    hostname: str
    answer: str


@dataclass(frozen=True)
class AliasResolution(Record):
    """The alias name resolved: its addresses, after how many polls and seconds."""

    hostname: str
    addresses: tuple[str, ...]
    attempts: int
    elapsed: float = field(metadata=_convert(lambda v: round(v, 3)))
