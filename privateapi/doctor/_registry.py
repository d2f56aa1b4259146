"""The check registry: every check as data (id, group, title, needs, causes).

The order here is the order of the report. ``needs`` are hard prerequisites (a check
whose prerequisite failed or was skipped is skipped with the reason); ``after`` only
orders (the check reads those results when present). The docs reference is generated
from this table, so keep it data.
"""

from __future__ import annotations

from collections.abc import Iterator

from privateapi.doctor import _aws, _dns, _env, _http, _policy, _tcp, _tls
from privateapi.doctor._model import Check

__all__ = ["CHECKS", "GROUPS", "get_check", "iter_checks"]

#: Group id -> heading, in report order.
GROUPS: dict[str, str] = {
    "env": "Environment",
    "dns": "DNS",
    "tcp": "TCP",
    "tls": "TLS",
    "http": "HTTP probe",
    "aws": "AWS control plane",
    "policy": "Resource policy",
}

# What any control-plane check may report when AWS could not be asked, or answered an
# error the check gives no meaning to (privateapi._aws's table names them).
_AWS_COULD_NOT_LOOK = (
    "aws.access-denied",
    "aws.credentials-rejected",
    "aws.throttled",
    "aws.bad-answer",
    "aws.call-failed",
    "aws.not-found",
    "aws.unreachable",
)

#: Every doctor check, in report order (what ``privateapi doctor --list-checks`` shows).
CHECKS: tuple[Check, ...] = (
    Check(
        id="env.platform",
        group="env",
        title="Where this runs: region, VPC, subnet from IMDSv2 / ECS metadata / Lambda env",
        func=_env.check_platform,
    ),
    Check(
        id="env.proxy",
        group="env",
        title="HTTPS_PROXY/NO_PROXY would send the call through a proxy",
        causes=("env.proxy",),
        func=_env.check_proxy,
    ),
    Check(
        id="env.hosts",
        group="env",
        title="/etc/hosts entries pinning the names (before DNS, per nsswitch), and whether"
        " the pin breaks the call",
        after=("dns.vpc", "tcp.connect", "tls.handshake", "http.probe"),
        causes=("dns.hosts-override",),
        func=_env.check_hosts,
    ),
    Check(
        id="env.credentials",
        group="env",
        title="AWS credentials available for a signed probe",
        causes=("creds.missing",),
        func=_env.check_credentials,
    ),
    Check(
        id="dns.lookup",
        group="dns",
        title="The host resolves, as the application resolves it, to private addresses",
        causes=("dns.nxdomain", "dns.nodata", "dns.resolver-unreachable", "dns.public-address"),
        func=_dns.check_lookup,
    ),
    Check(
        id="dns.vpc",
        group="dns",
        title="The VPC resolver's answer: NXDOMAIN vs NODATA, CNAME chain, agreement",
        after=("env.platform", "dns.lookup"),
        causes=(
            "dns.nxdomain",
            "dns.nodata",
            "dns.resolver-unreachable",
            "dns.public-address",
            "dns.resolver-mismatch",
        ),
        func=_dns.check_vpc_resolver,
    ),
    Check(
        id="tcp.connect",
        group="tcp",
        title="TCP to port 443 on every resolved address (concurrently): timeout vs refused",
        needs=("dns.lookup",),
        causes=("tcp.timeout", "tcp.refused", "tcp.unreachable"),
        func=_tcp.check_connect,
    ),
    Check(
        id="tls.handshake",
        group="tls",
        title="TLS with the style's SNI: trust, name, expiry, version",
        needs=("tcp.connect",),
        causes=("tls.name-mismatch", "tls.untrusted", "tls.expired", "tls.handshake-failed"),
        func=_tls.check_handshake,
    ),
    Check(
        id="http.probe",
        group="http",
        title="A live request (signed when possible), classified into the policy outcome",
        needs=("tls.handshake",),
        after=("env.credentials", "env.proxy"),
        causes=_http.PROBE_CAUSES,
        follows_proxy=True,
        func=_http.check_probe,
    ),
    Check(
        id="aws.identity",
        group="aws",
        title="The caller's identity (sts get-caller-identity)",
        after=("env.platform",),
        causes=_AWS_COULD_NOT_LOOK,
        aws=True,
        needs_target=True,
        func=_aws.check_identity,
    ),
    Check(
        id="aws.api",
        group="aws",
        title="The API is PRIVATE, has a resource policy, lists the endpoint (get-rest-api)",
        after=("env.platform",),
        causes=(
            "aws.api-not-private",
            "aws.vpce-not-associated",
            "policy.missing",
            *_AWS_COULD_NOT_LOOK,
        ),
        aws=True,
        needs_target=True,
        func=_aws.check_api,
    ),
    Check(
        id="aws.stage",
        group="aws",
        title="The stage exists (get-stage)",
        needs=("aws.api",),
        causes=("aws.stage-missing", *_AWS_COULD_NOT_LOOK),
        aws=True,
        needs_target=True,
        func=_aws.check_stage,
    ),
    Check(
        id="aws.vpce",
        group="aws",
        title="The VPC endpoint: available, private DNS, ≥ 2 AZs, 443 admitted, endpoint policy",
        after=("env.platform", "tcp.connect", "aws.identity"),
        causes=(
            "aws.vpce-unavailable",
            "aws.private-dns-disabled",
            "aws.single-az",
            "aws.sg-blocks-443",
            "aws.endpoint-policy-denies",
            "aws.vpce-not-found",
            *_AWS_COULD_NOT_LOOK,
        ),
        aws=True,
        needs_target=True,
        func=_aws.check_vpce,
    ),
    Check(
        id="aws.vpc",
        group="aws",
        title="The VPC's enableDnsSupport and enableDnsHostnames",
        after=("env.platform", "aws.vpce"),
        causes=("aws.vpc-dns-attributes", *_AWS_COULD_NOT_LOOK),
        aws=True,
        needs_target=True,
        func=_aws.check_vpc,
    ),
    Check(
        id="policy.evaluate",
        group="policy",
        title="The resource policy evaluated for this caller; saved vs live (redeploy?)",
        after=("env.platform", "tcp.connect", "http.probe", "aws.identity", "aws.api", "aws.vpce"),
        causes=("policy.denies", "policy.not-deployed"),
        needs_target=True,
        func=_policy.check_policy,
    ),
)


def iter_checks() -> Iterator[Check]:
    """Every check, in report order."""
    return iter(CHECKS)


def get_check(check_id: str) -> Check:
    """The check with this id (``KeyError`` if unknown)."""
    for c in CHECKS:
        if c.id == check_id:
            return c
    raise KeyError(check_id)
