"""AWS control-plane checks (read-only Describe/Get calls through botocore).

From a locked-down VPC these calls often cannot reach AWS (no STS/EC2/API Gateway
endpoints, no NAT) or are not allowed: then the check is ``skip`` (unreachable, no
credentials) or ``warn`` (access denied) with the reason, never ``fail``. A ``fail``
here is evidence from AWS itself that the call will not work (the API is not
private, the stage does not exist, the endpoint is not associated, ...).
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

from privateapi.doctor._context import Context, fail, info, passed, skip, warn
from privateapi.doctor._model import Result

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
    return ctx.target.region or ctx.fact("env.platform", "region")


def _client(ctx: Context, service: str) -> Any:
    """A botocore client for ``service`` (one per run), or raise ``AwsUnavailable``."""
    region = _region(ctx)
    if region is None:
        raise AwsUnavailable(skip("not run: no region known for AWS calls (pass --region)"))

    def make() -> Any:
        import botocore.session
        from botocore.config import Config

        session = botocore.session.Session(profile=ctx.options.profile)
        kwargs: dict[str, Any] = {}
        creds = ctx.options.credentials
        if isinstance(creds, tuple) and len(creds) >= 2:
            kwargs["aws_access_key_id"] = creds[0]
            kwargs["aws_secret_access_key"] = creds[1]
            if len(creds) == 3:
                kwargs["aws_session_token"] = creds[2]
        if ctx.options.endpoint_url:
            kwargs["endpoint_url"] = ctx.options.endpoint_url
        config = Config(
            connect_timeout=ctx.options.timeout,
            read_timeout=ctx.options.timeout,
            retries={"max_attempts": 1},
            user_agent_extra="privateapi-doctor",
        )
        return session.create_client(service, region_name=region, config=config, **kwargs)

    try:
        return ctx.memo(f"aws:{service}", make)
    except Exception as exc:  # profile errors and the like
        raise AwsUnavailable(skip(f"not run: cannot build an AWS client: {exc}")) from exc


def _call(ctx: Context, service: str, op: str, **params: Any) -> dict[str, Any]:
    """Call ``op``; map "cannot ask AWS" to ``AwsUnavailable`` (never a failure)."""
    import botocore.exceptions as bex
    from botocore.parsers import ResponseParserError

    client = _client(ctx, service)
    try:
        result: dict[str, Any] = getattr(client, op)(**params)
    except bex.NoCredentialsError as exc:
        raise AwsUnavailable(skip("not run: no AWS credentials for control-plane calls")) from exc
    except (bex.EndpointConnectionError, bex.ConnectTimeoutError, bex.ReadTimeoutError) as exc:
        raise AwsUnavailable(
            skip(
                f"not run: {service} API unreachable from here ({type(exc).__name__})",
                {"error": str(exc)},
                cause="aws.unreachable",
            )
        ) from exc
    except bex.ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        if code in (
            "AccessDenied",
            "AccessDeniedException",
            "UnauthorizedOperation",
            "UnrecognizedClientException",
            "InvalidClientTokenId",
            "ExpiredToken",
        ):
            raise AwsUnavailable(
                warn(
                    "aws.access-denied",
                    f"{service}:{op} was denied ({code}); this check could not look",
                    {"error": str(exc)},
                )
            ) from exc
        raise
    except bex.BotoCoreError as exc:
        raise AwsUnavailable(
            skip(f"not run: {service}:{op} failed: {exc}", cause="aws.unreachable")
        ) from exc
    except (ResponseParserError, AttributeError, TypeError, ValueError, KeyError) as exc:
        # botocore could not read the answer: not the AWS API (a wrong --endpoint-url?).
        raise AwsUnavailable(
            skip(
                f"not run: {service}:{op} answered something that is not the AWS API's"
                f" response ({type(exc).__name__}); check --endpoint-url",
                {"error": f"{type(exc).__name__}: {exc}"},
            )
        ) from exc
    return result


def _error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def guarded(func: Any) -> Any:
    """Turn ``AwsUnavailable`` into its result (decorator for the check functions)."""

    def wrapper(ctx: Context) -> Result:
        import botocore.exceptions as bex

        try:
            result: Result = func(ctx)
        except AwsUnavailable as exc:
            return exc.result
        except bex.ClientError as exc:
            # An AWS error the check gives no meaning to (a 500, throttling, a bad
            # request): the check could not look, which never fails the call itself.
            code = _error_code(exc) or "an error"
            return warn(
                None,
                f"AWS answered {code}; this check could not look",
                {"error": str(exc)},
                hint="Run the doctor again; if it persists, run the AWS call by hand to see why.",
            )
        return result

    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


# --- identity ---------------------------------------------------------------------------
@guarded
def check_identity(ctx: Context) -> Result:
    """Who the credentials are (sts get-caller-identity)."""
    ident = _call(ctx, "sts", "get_caller_identity")
    arn, account = ident.get("Arn"), ident.get("Account")
    return info(
        f"caller {arn}",
        {"arn": arn, "account": account, "user_id": ident.get("UserId")},
        data={"arn": arn, "account": account},
    )


# --- the API ------------------------------------------------------------------------------
@guarded
def check_api(ctx: Context) -> Result:
    """apigateway get-rest-api: PRIVATE, associated endpoints, resource policy."""
    import botocore.exceptions as bex

    target = ctx.target
    if target.api_id is None:
        return skip("not run: the target names no API id (pass --api-id for a custom domain)")
    try:
        api = _call(ctx, "apigateway", "get_rest_api", restApiId=target.api_id)
    except bex.ClientError as exc:
        if _error_code(exc) == "NotFoundException":
            return warn(
                None,
                f"API {target.api_id} not found in this account/region (another account's API?)",
                {"error": str(exc)},
                hint="Run the doctor with the API owner's credentials (--profile) for this check.",
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
    data = {"policy": policy, "vpce_ids": vpces, "types": types}
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
    import botocore.exceptions as bex

    target = ctx.target
    if target.stage is None:
        return skip("not run: the target names no stage (custom domain base paths map to one)")
    if ctx.fact("aws.api", "types") is None:
        return skip("not run: the API was not found")
    try:
        stage = _call(
            ctx, "apigateway", "get_stage", restApiId=target.api_id, stageName=target.stage
        )
    except bex.ClientError as exc:
        if _error_code(exc) == "NotFoundException":
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
    host = ctx.fact("env.platform", "local_ipv4") or ctx.fact("tcp.connect", "local_address")
    return str(host) if host else None


def _rule_admits(perm: dict[str, Any], host: str | None, host_sgs: set[str]) -> bool | None:
    """Whether one inbound permission admits TCP 443 from ``host``; None = can't tell."""
    proto = str(perm.get("IpProtocol", ""))
    if proto not in ("-1", "tcp", "6"):
        return False
    if proto != "-1":
        lo, hi = perm.get("FromPort", 0), perm.get("ToPort", 65535)
        if not (lo <= 443 <= hi):
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
    for cidr in ranges:
        net = ipaddress.ip_network(cidr, strict=False)
        if addr.version == net.version and addr in net:
            return True
    if pairs and not host_sgs:
        return None  # a group reference we cannot match without knowing our own groups
    return False


def _find_vpce(ctx: Context) -> dict[str, Any] | None:
    target = ctx.target
    if target.vpce_id:
        found = _call(ctx, "ec2", "describe_vpc_endpoints", VpcEndpointIds=[target.vpce_id])
    else:
        filters = [
            {
                "Name": "service-name",
                "Values": [f"com.amazonaws.{_region(ctx)}.execute-api"],
            }
        ]
        vpc = ctx.fact("env.platform", "vpc_id") or ctx.options.source_vpc
        if vpc:
            filters.append({"Name": "vpc-id", "Values": [vpc]})
        found = _call(ctx, "ec2", "describe_vpc_endpoints", Filters=filters)
    endpoints = found.get("VpcEndpoints") or []
    return endpoints[0] if endpoints else None


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


@guarded
def check_vpce(ctx: Context) -> Result:
    """ec2 describe-vpc-endpoints: state, private DNS, AZs, security groups, policy."""
    import botocore.exceptions as bex

    target = ctx.target
    try:
        ep = _find_vpce(ctx)
    except bex.ClientError as exc:
        if "NotFound" in _error_code(exc):
            return fail(
                "aws.vpce-unavailable",
                f"VPC endpoint {target.vpce_id} does not exist in {_region(ctx)}",
                {"error": str(exc)},
            )
        raise
    if ep is None:
        return warn(
            None,
            "no execute-api VPC endpoint found"
            + (" in this VPC" if ctx.fact("env.platform", "vpc_id") else " (pass --vpce-id)"),
            hint="Create an interface endpoint for com.amazonaws.REGION.execute-api in this VPC.",
        )
    vpce_id = ep.get("VpcEndpointId")
    state = str(ep.get("State", "?"))
    private_dns = bool(ep.get("PrivateDnsEnabled"))
    subnets = list(ep.get("SubnetIds") or [])
    groups = [g.get("GroupId") for g in ep.get("Groups") or []]
    evidence: dict[str, Any] = {
        "vpce_id": vpce_id,
        "vpc_id": ep.get("VpcId"),
        "state": state,
        "service": ep.get("ServiceName"),
        "private_dns": private_dns,
        "subnets": subnets,
        "security_groups": groups,
        "dns_entries": [d.get("DnsName") for d in ep.get("DnsEntries") or []],
    }
    data = {"vpce_id": vpce_id, "vpc_id": ep.get("VpcId")}
    if state.lower() != "available":
        return fail(
            "aws.vpce-unavailable",
            f"{vpce_id} is {state}, not available",
            evidence,
            data=data,
        )
    if target.style.spec.needs_private_dns and not private_dns:
        return fail(
            "aws.private-dns-disabled",
            f"{vpce_id} has private DNS off, so the API's default name does not resolve to it",
            evidence,
            hint=f"aws ec2 modify-vpc-endpoint --vpc-endpoint-id {vpce_id}"
            " --private-dns-enabled (the VPC needs enableDnsSupport/enableDnsHostnames).",
            data=data,
        )
    # (failed?, cause, summary, hint): built into one result at the end, with all evidence.
    problems: list[tuple[bool, str, str, str | None]] = []
    # Availability Zones.
    if subnets:
        sn = _call(ctx, "ec2", "describe_subnets", SubnetIds=subnets)
        zones = sorted({s.get("AvailabilityZone") for s in sn.get("Subnets") or []})
        evidence["availability_zones"] = zones
        if len(zones) < 2:
            problems.append(
                (
                    False,
                    "aws.single-az",
                    f"{vpce_id} is in one Availability Zone ({', '.join(zones)}): an AZ outage"
                    " cuts off every caller",
                    None,
                )
            )
    # Security groups: inbound TCP 443 from this host.
    if groups:
        sgs = _call(ctx, "ec2", "describe_security_groups", GroupIds=groups)
        host = _this_host(ctx)
        host_sgs = set(ctx.fact("env.platform", "security_group_ids", []) or [])
        verdicts = [
            _rule_admits(p, host, host_sgs)
            for g in sgs.get("SecurityGroups") or []
            for p in g.get("IpPermissions") or []
        ]
        evidence["this_host"] = host
        evidence["sg_admits_443"] = (
            True if True in verdicts else (None if None in verdicts else False)
        )
        if True not in verdicts and None not in verdicts:
            tcp = ctx.result("tcp.connect")
            proven = tcp is not None and tcp.status.value == "pass"
            problems.append(
                (
                    not proven,
                    "aws.sg-blocks-443",
                    f"no inbound rule on {', '.join(groups)} admits TCP 443 from"
                    f" {host or 'this host'}"
                    + (" (yet TCP connected: another path admits it)" if proven else ""),
                    f"aws ec2 authorize-security-group-ingress --group-id {groups[0]}"
                    f" --protocol tcp --port 443 --cidr {host or 'CLIENT_CIDR'}"
                    + ("/32" if host and ":" not in host else ""),
                )
            )
    # Endpoint policy: evaluated first by AWS, with the identity from Authorization.
    doc = ep.get("PolicyDocument")
    if doc:
        outcome = _endpoint_policy_outcome(ctx, doc)
        if outcome is not None:
            evidence["endpoint_policy"] = outcome[1]
            if outcome[0] != "allow":
                problems.append(
                    (
                        True,
                        "aws.endpoint-policy-denies",
                        f"the endpoint policy of {vpce_id} does not allow this call"
                        f" ({outcome[0].replace('_', ' ')})",
                        None,
                    )
                )
    if problems:
        problems.sort(key=lambda p: 0 if p[0] else 1)
        failed, code, summary, hint = problems[0]
        if len(problems) > 1:
            summary += "; also " + "; ".join(p[2] for p in problems[1:])
        make = fail if failed else warn
        return make(code, summary, evidence, hint=hint, data=data)
    return passed(
        f"{vpce_id} available, private DNS {'on' if private_dns else 'off'},"
        f" {len(evidence.get('availability_zones', []))} AZs, 443 admitted",
        evidence,
        data=data,
    )


@guarded
def check_vpc(ctx: Context) -> Result:
    """ec2 describe-vpc-attribute: enableDnsSupport and enableDnsHostnames."""
    vpc = (
        ctx.fact("aws.vpce", "vpc_id")
        or ctx.fact("env.platform", "vpc_id")
        or ctx.options.source_vpc
    )
    if not vpc:
        return skip("not run: no VPC id known (not on EC2 and no endpoint found)")
    support = _call(ctx, "ec2", "describe_vpc_attribute", VpcId=vpc, Attribute="enableDnsSupport")
    hostnames = _call(
        ctx, "ec2", "describe_vpc_attribute", VpcId=vpc, Attribute="enableDnsHostnames"
    )
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
