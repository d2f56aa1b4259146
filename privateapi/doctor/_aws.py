"""AWS control-plane checks (read-only Describe/Get calls, through :mod:`privateapi._aws`).

From a locked-down VPC these calls often cannot reach AWS (no STS/EC2/API Gateway
endpoints, no NAT) or are not allowed: then the check is ``skip`` (unreachable, no
credentials) or ``warn`` (denied, throttled, an answer that is not AWS's) with the
reason and its cause, never ``fail``. A ``fail`` here is evidence from AWS itself that
the call will not work (the API is not private, the stage does not exist, the endpoint is
not associated, ...). Sessions, clients, time limits and the AWS error-code table are
``privateapi._aws``'s; every call here is bounded by the run's timeout and deadline.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from privateapi._aws import Aws, AwsError
from privateapi._errors import InvalidInputError
from privateapi.doctor import _facts as fx
from privateapi.doctor._context import Context, fail, info, passed, skip, warn
from privateapi.doctor._model import Result

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "AwsUnavailable",
    "check_api",
    "check_identity",
    "check_stage",
    "check_vpc",
    "check_vpce",
]


class AwsUnavailable(Exception):  # noqa: N818 - a control-flow signal, not an error
    """Raised inside a check when AWS cannot be asked; carries the result to report."""

    def __init__(self, result: Result) -> None:
        super().__init__(result.summary)
        self.result = result


def _region(ctx: Context) -> str | None:
    return ctx.target.region or ctx.fact(fx.PLATFORM_REGION)


def _aws(ctx: Context) -> Aws:
    """The run's AWS access (one per run), or raise ``AwsUnavailable``."""
    region = _region(ctx)
    if region is None:
        raise AwsUnavailable(skip("not run: no region known for AWS calls (name the region)"))
    options = ctx.options
    # No credentials (the run resolves them once, for the probe too): skip at once rather
    # than build clients that walk botocore's chain again (and may wait on metadata).
    from privateapi._errors import CredentialsError
    from privateapi.doctor._env import get_credentials

    source = get_credentials(ctx)
    if isinstance(source, CredentialsError):
        raise AwsUnavailable(
            skip(
                f"not run: cannot build an AWS client: no AWS credentials ({source})",
                {"error": str(source)},
            )
        )

    def make() -> Aws:
        return Aws(
            region=region,
            profile=options.profile,
            credentials=options.credentials,
            endpoint_url=options.endpoint_url,
            timeout=options.timeout,
            deadline=ctx.deadline,
            max_attempts=1,  # a check reports what it saw; the doctor is run again
            user_agent="privateapi-doctor",
        )

    try:
        return ctx.memo("aws", make)
    except Exception as exc:  # an unusable region, endpoint URL or credentials
        raise AwsUnavailable(skip(f"not run: cannot build an AWS client: {exc}")) from exc


def _iam_action(exc: AwsError) -> str:
    # API Gateway's management actions are HTTP verbs; the checks only read.
    if exc.service == "apigateway":
        return "apigateway:GET"
    return f"{exc.service}:{exc.operation}"


def _could_not_look(exc: AwsError) -> tuple[str, str | None] | None:
    """(summary, hint) for an AWS error that means "this check could not look"."""
    what = f"{exc.service}:{exc.operation}"
    words: dict[str | None, tuple[str, str | None]] = {
        "aws.access-denied": (
            f"{what} was denied ({exc.code}); this check could not look",
            f"Grant {_iam_action(exc)} (read-only) to the caller, or turn the AWS checks off.",
        ),
        "aws.credentials-rejected": (
            f"AWS did not accept the credentials for {what} ({exc.code}); this check could"
            " not look",
            None,
        ),
        "aws.throttled": (f"{what} was throttled ({exc.code}); this check could not look", None),
        "aws.bad-answer": (
            f"{what} answered something that is not the AWS API's response"
            f" ({exc.detail or exc.aws_message}); check the endpoint URL",
            None,
        ),
    }
    return words.get(exc.cause_code)


def _unavailable(exc: AwsError) -> Result | None:
    """The result for "AWS could not be asked" (None: an answer the check interprets)."""
    evidence = {"error": str(exc)}
    cause = exc.cause_code
    if cause == "creds.missing":
        return skip("not run: no AWS credentials for control-plane calls", evidence)
    # The causes' own hints name the CLI's switch for the AWS checks; a library result
    # must not, so these say it in words.
    if cause == "aws.unreachable":
        return skip(
            f"not run: {exc.service} API unreachable from here ({exc})",
            evidence,
            cause=cause,
            hint="Add interface endpoints for apigateway, ec2 and sts (or a route to AWS),"
            " or turn the AWS checks off.",
        )
    words = _could_not_look(exc)
    if words is None or cause is None:
        return None
    summary, hint = words
    return warn(cause, summary, evidence, hint=hint)


def _call(ctx: Context, service: str, operation: str, **params: Any) -> dict[str, Any]:
    """Call ``operation``; "cannot ask AWS" becomes ``AwsUnavailable`` (never a failure).

    Raises:
        AwsError: AWS answered an error the check may give a meaning to (not found, ...).
    """
    aws = _aws(ctx)
    try:
        return aws.call(service, operation, params)
    except InvalidInputError as exc:  # an unknown profile, found when the client is made
        raise AwsUnavailable(skip(f"not run: cannot build an AWS client: {exc}")) from exc
    except AwsError as exc:
        result = _unavailable(exc)
        if result is None:
            raise
        raise AwsUnavailable(result) from exc


def guarded(func: Callable[[Context], Result]) -> Callable[[Context], Result]:
    """Turn ``AwsUnavailable`` and AWS errors into results (decorator for the checks)."""

    def wrapper(ctx: Context) -> Result:
        try:
            return func(ctx)
        except AwsUnavailable as exc:
            return exc.result
        except AwsError as exc:
            # An AWS error the check gives no meaning to (a 500, a bad request): the check
            # could not look, which never fails the call itself.
            return warn(
                exc.cause_code or "aws.call-failed",
                f"AWS answered {exc.code or exc.status or 'an error'}; this check could not look",
                {"error": str(exc)},
                hint="Run the doctor again; if it persists, run the AWS call by hand to see why.",
            )

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


# --- identity ---------------------------------------------------------------------------
@guarded
def check_identity(ctx: Context) -> Result:
    """Who the credentials are (sts get-caller-identity)."""
    ident = _call(ctx, "sts", "GetCallerIdentity")
    arn, account = ident.get("Arn"), ident.get("Account")
    return info(
        f"caller {arn}",
        {"arn": arn, "account": account, "user_id": ident.get("UserId")},
        data=fx.facts(
            fx.IDENTITY_ARN.of(str(arn or "")), fx.IDENTITY_ACCOUNT.of(str(account or ""))
        ),
    )


# --- the API ------------------------------------------------------------------------------
@guarded
def check_api(ctx: Context) -> Result:
    """apigateway get-rest-api: PRIVATE, associated endpoints, resource policy."""
    target = ctx.target
    if target.api_id is None:
        return skip("not run: the target names no API id (a custom domain: name the API id)")
    try:
        api = _call(ctx, "apigateway", "GetRestApi", restApiId=target.api_id)
    except AwsError as exc:
        if exc.cause_code == "aws.not-found":
            return warn(
                "aws.not-found",
                f"API {target.api_id} not found in this account/region (another account's API?)",
                {"error": str(exc)},
                hint="Run the doctor with the API owner's credentials for this check.",
            )
        raise
    config = api.get("endpointConfiguration") or {}
    types = list(config.get("types") or [])
    vpces = list(config.get("vpcEndpointIds") or [])
    raw_policy = api.get("policy")
    policy = _unescape_policy(raw_policy) if raw_policy else None
    evidence = {
        "name": api.get("name"),
        "types": types,
        "vpcEndpointIds": vpces,
        "has_policy": policy is not None,
        "disableExecuteApiEndpoint": api.get("disableExecuteApiEndpoint", False),
    }
    data = fx.facts(fx.API_POLICY.of(policy), fx.API_TYPES.of(types), ("vpce_ids", vpces))
    if "PRIVATE" not in types:
        return fail(
            "aws.api-not-private",
            f"API {target.api_id} is {'/'.join(types) or '?'}, not PRIVATE: VPC endpoints"
            " answer 403 Forbidden for it",
            evidence,
            data=data,
        )
    if target.style.spec.needs_association and target.vpce_id not in vpces:
        return fail(
            "aws.vpce-not-associated",
            f"{target.vpce_id} is not in the API's vpcEndpointIds ({', '.join(vpces) or 'none'}),"
            " so the {api}-{vpce} alias does not exist",
            evidence,
            hint=f"aws apigateway update-rest-api --rest-api-id {target.api_id} --patch-operations"
            f" op=add,path=/endpointConfiguration/vpcEndpointIds,value={target.vpce_id};"
            " then redeploy.",
            data=data,
        )
    if policy is None:
        return fail(
            "policy.missing",
            f"API {target.api_id} has no resource policy: a private API rejects every call",
            evidence,
            data=data,
        )
    return passed(
        f"API {target.api_id} ({api.get('name')}) is PRIVATE with a resource policy"
        + (f"; endpoints {', '.join(vpces)}" if vpces else ""),
        evidence,
        data=data,
    )


def _unescape_policy(raw: str) -> str:
    # API Gateway returns the policy JSON with escaped quotes (\") in some API versions.
    text = raw.strip()
    try:
        json.loads(text)
    except ValueError:
        text = text.replace('\\"', '"').replace("\\\\", "\\")
    return text


@guarded
def check_stage(ctx: Context) -> Result:
    """apigateway get-stage: the stage in the URL exists."""
    target = ctx.target
    if target.stage is None:
        return skip("not run: the target names no stage (custom domain base paths map to one)")
    if ctx.fact(fx.API_TYPES) is None:
        return skip("not run: the API was not found")
    try:
        stage = _call(
            ctx, "apigateway", "GetStage", restApiId=target.api_id, stageName=target.stage
        )
    except AwsError as exc:
        if exc.cause_code == "aws.not-found":
            return fail(
                "aws.stage-missing",
                f"stage {target.stage!r} does not exist in API {target.api_id}",
                {"error": str(exc)},
                hint=f"Deploy to the stage: aws apigateway create-deployment --rest-api-id"
                f" {target.api_id} --stage-name {target.stage}, or fix the URL.",
            )
        raise
    return passed(
        f"stage {target.stage!r} exists (deployment {stage.get('deploymentId')})",
        {
            "deploymentId": stage.get("deploymentId"),
            "lastUpdatedDate": stage.get("lastUpdatedDate"),
        },
        data={"deployment_id": stage.get("deploymentId")},
    )


# --- the VPC endpoint ---------------------------------------------------------------------
def _this_host(ctx: Context) -> str | None:
    host = ctx.fact(fx.PLATFORM_LOCAL_IPV4) or ctx.fact(fx.TCP_LOCAL_ADDRESS)
    return str(host) if host else None


def _covers_443(perm: dict[str, Any]) -> bool:
    """Whether one inbound permission's protocol and port range include TCP 443."""
    proto = str(perm.get("IpProtocol", ""))
    if proto not in ("-1", "tcp", "6"):
        return False
    if proto == "-1":
        return True
    lo, hi = perm.get("FromPort", 0), perm.get("ToPort", 65535)
    return bool(lo <= 443 <= hi)


def _rule_admits(perm: dict[str, Any], host: str | None, host_sgs: set[str]) -> bool | None:
    """Whether one inbound permission admits TCP 443 from ``host``; None = can't tell."""
    if not _covers_443(perm):
        return False
    pairs = {p.get("GroupId") for p in perm.get("UserIdGroupPairs") or []}
    if pairs & host_sgs:
        return True
    ranges = [r["CidrIp"] for r in perm.get("IpRanges") or []]
    ranges += [r["CidrIpv6"] for r in perm.get("Ipv6Ranges") or []]
    if host is None:
        # Without our own address, a rule on 443 might or might not cover us.
        return None if (ranges or pairs) else False
    addr = ipaddress.ip_address(host)
    nets = [ipaddress.ip_network(cidr, strict=False) for cidr in ranges]
    if any(addr.version == net.version and addr in net for net in nets):
        return True
    if pairs and not host_sgs:
        return None  # a group reference we cannot match without knowing our own groups
    return False


class _Problem(NamedTuple):
    """One finding of ``aws.vpce``; the findings become one result at the end."""

    failed: bool
    cause: str
    summary: str
    hint: str | None = None


def _find_vpce(ctx: Context) -> dict[str, Any] | None:
    target = ctx.target
    if target.vpce_id:
        found = _call(ctx, "ec2", "DescribeVpcEndpoints", VpcEndpointIds=[target.vpce_id])
    else:
        filters = [
            {
                "Name": "service-name",
                "Values": [f"com.amazonaws.{_region(ctx)}.execute-api"],
            }
        ]
        vpc = ctx.fact(fx.PLATFORM_VPC_ID) or ctx.options.source_vpc
        if vpc:
            filters.append({"Name": "vpc-id", "Values": [vpc]})
        found = _call(ctx, "ec2", "DescribeVpcEndpoints", Filters=filters)
    endpoints = found.get("VpcEndpoints") or []
    return endpoints[0] if endpoints else None


def _lookup_vpce(ctx: Context) -> dict[str, Any] | Result:
    """The endpoint to check, or the result that says why there is none."""
    try:
        ep = _find_vpce(ctx)
    except AwsError as exc:
        if exc.cause_code == "aws.not-found":
            return fail(
                "aws.vpce-unavailable",
                f"VPC endpoint {ctx.target.vpce_id} does not exist in {_region(ctx)}",
                {"error": str(exc)},
            )
        raise
    if ep is None:
        return warn(
            "aws.vpce-not-found",
            "no execute-api VPC endpoint found"
            + (
                " in this VPC"
                if ctx.fact(fx.PLATFORM_VPC_ID)
                else " (name the endpoint id to check it)"
            ),
        )
    return ep


def _describe_vpce(ep: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "vpce_id": ep.get("VpcEndpointId"),
        "vpc_id": ep.get("VpcId"),
        "state": str(ep.get("State", "?")),
        "service": ep.get("ServiceName"),
        "private_dns": bool(ep.get("PrivateDnsEnabled")),
        "subnets": list(ep.get("SubnetIds") or []),
        "security_groups": [g.get("GroupId") for g in ep.get("Groups") or []],
        "dns_entries": [d.get("DnsName") for d in ep.get("DnsEntries") or []],
    }


def _blocking_problem(ctx: Context, evidence: Mapping[str, Any]) -> _Problem | None:
    """A state or private-DNS setting that makes every other finding moot."""
    vpce_id = evidence["vpce_id"]
    if evidence["state"].lower() != "available":
        return _Problem(
            True, "aws.vpce-unavailable", f"{vpce_id} is {evidence['state']}, not available"
        )
    if ctx.target.style.spec.needs_private_dns and not evidence["private_dns"]:
        return _Problem(
            True,
            "aws.private-dns-disabled",
            f"{vpce_id} has private DNS off, so the API's default name does not resolve to it",
            f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {vpce_id}"
            " --private-dns-enabled (the VPC needs enableDnsSupport/enableDnsHostnames).",
        )
    return None


def _zones_problem(ctx: Context, evidence: dict[str, Any]) -> _Problem | None:
    """Availability Zones: one AZ is a single point of failure."""
    if not evidence["subnets"]:
        return None
    sn = _call(ctx, "ec2", "DescribeSubnets", SubnetIds=evidence["subnets"])
    zones = sorted({s.get("AvailabilityZone") for s in sn.get("Subnets") or []})
    evidence["availability_zones"] = zones
    if len(zones) >= 2:
        return None
    return _Problem(
        False,
        "aws.single-az",
        f"{evidence['vpce_id']} is in one Availability Zone ({', '.join(zones)}): an AZ outage"
        " cuts off every caller",
    )


def _security_groups_problem(ctx: Context, evidence: dict[str, Any]) -> _Problem | None:
    """Security groups: some inbound rule must admit TCP 443 from this host."""
    groups = evidence["security_groups"]
    if not groups:
        return None
    sgs = _call(ctx, "ec2", "DescribeSecurityGroups", GroupIds=groups)
    host = _this_host(ctx)
    host_sg_list: list[str] = ctx.fact_or(fx.PLATFORM_SGS, [])
    host_sgs = set(host_sg_list)
    verdicts = [
        _rule_admits(p, host, host_sgs)
        for g in sgs.get("SecurityGroups") or []
        for p in g.get("IpPermissions") or []
    ]
    evidence["this_host"] = host
    evidence["sg_admits_443"] = True if True in verdicts else (None if None in verdicts else False)
    if True in verdicts or None in verdicts:
        return None
    tcp = ctx.result("tcp.connect")
    proven = tcp is not None and tcp.status.value == "pass"
    return _Problem(
        not proven,
        "aws.sg-blocks-443",
        f"no inbound rule on {', '.join(groups)} admits TCP 443 from {host or 'this host'}"
        + (" (yet TCP connected: another path admits it)" if proven else ""),
        f"aws ec2 authorize-security-group-ingress --group-id {groups[0]}"
        f" --protocol tcp --port 443 --cidr {host or 'CLIENT_CIDR'}"
        + ("/32" if host and ":" not in host else ""),
    )


def _endpoint_policy_outcome(ctx: Context, document: str) -> tuple[str, dict[str, Any]] | None:
    if ctx.target.api_id is None or ctx.target.stage is None or ctx.target.region is None:
        return None
    from privateapi.doctor._policy import build_request
    from privateapi.policy._evaluate import evaluate

    request, api = build_request(ctx, document)
    decision = evaluate(document, request, api=api, kind="endpoint")
    return decision.outcome, {
        "outcome": decision.outcome,
        "deciding": [str(r) for r in decision.deciding],
    }


def _endpoint_policy_problem(
    ctx: Context, ep: Mapping[str, Any], evidence: dict[str, Any]
) -> _Problem | None:
    """Endpoint policy: evaluated first by AWS, with the identity from Authorization."""
    doc = ep.get("PolicyDocument")
    outcome = _endpoint_policy_outcome(ctx, doc) if doc else None
    if outcome is None:
        return None
    evidence["endpoint_policy"] = outcome[1]
    if outcome[0] == "allow":
        return None
    return _Problem(
        True,
        "aws.endpoint-policy-denies",
        f"the endpoint policy of {evidence['vpce_id']} does not allow this call"
        f" ({outcome[0].replace('_', ' ')})",
    )


def _vpce_verdict(
    problems: list[_Problem], evidence: dict[str, Any], data: dict[str, Any]
) -> Result:
    """One result: the worst finding leads, the others are named after it."""
    if not problems:
        return passed(
            f"{evidence['vpce_id']} available, private DNS"
            f" {'on' if evidence['private_dns'] else 'off'},"
            f" {len(evidence.get('availability_zones', []))} AZs, 443 admitted",
            evidence,
            data=data,
        )
    problems.sort(key=lambda p: 0 if p.failed else 1)
    first = problems[0]
    summary = first.summary
    if len(problems) > 1:
        summary += "; also " + "; ".join(p.summary for p in problems[1:])
    make = fail if first.failed else warn
    return make(first.cause, summary, evidence, hint=first.hint, data=data)


@guarded
def check_vpce(ctx: Context) -> Result:
    """ec2 describe-vpc-endpoints: state, private DNS, AZs, security groups, policy."""
    ep = _lookup_vpce(ctx)
    if isinstance(ep, Result):
        return ep
    evidence = _describe_vpce(ep)
    data = fx.facts(fx.VPCE_ID.of(evidence["vpce_id"]), fx.VPCE_VPC_ID.of(evidence["vpc_id"]))
    blocking = _blocking_problem(ctx, evidence)
    if blocking is not None:
        return _vpce_verdict([blocking], evidence, data)
    found = (
        _zones_problem(ctx, evidence),
        _security_groups_problem(ctx, evidence),
        _endpoint_policy_problem(ctx, ep, evidence),
    )
    return _vpce_verdict([p for p in found if p is not None], evidence, data)


@guarded
def check_vpc(ctx: Context) -> Result:
    """ec2 describe-vpc-attribute: enableDnsSupport and enableDnsHostnames."""
    vpc = ctx.fact(fx.VPCE_VPC_ID) or ctx.fact(fx.PLATFORM_VPC_ID) or ctx.options.source_vpc
    if not vpc:
        return skip("not run: no VPC id known (not on EC2 and no endpoint found)")
    support = _call(ctx, "ec2", "DescribeVpcAttribute", VpcId=vpc, Attribute="enableDnsSupport")
    hostnames = _call(ctx, "ec2", "DescribeVpcAttribute", VpcId=vpc, Attribute="enableDnsHostnames")
    s = bool((support.get("EnableDnsSupport") or {}).get("Value"))
    h = bool((hostnames.get("EnableDnsHostnames") or {}).get("Value"))
    evidence = {"vpc_id": vpc, "enableDnsSupport": s, "enableDnsHostnames": h}
    if s and h:
        return passed(f"{vpc}: enableDnsSupport and enableDnsHostnames are on", evidence)
    off = " and ".join(n for n, v in (("enableDnsSupport", s), ("enableDnsHostnames", h)) if not v)
    summary = f"{vpc}: {off} off: private DNS names of endpoints do not resolve"
    hint = f"aws ec2 modify-vpc-attribute --vpc-id {vpc} --enable-dns-support" + (
        "" if h else f"; aws ec2 modify-vpc-attribute --vpc-id {vpc} --enable-dns-hostnames"
    )
    if ctx.target.style.spec.needs_private_dns:
        return fail("aws.vpc-dns-attributes", summary, evidence, hint=hint)
    return warn("aws.vpc-dns-attributes", summary, evidence, hint=hint)
