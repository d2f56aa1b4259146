"""Environment checks: where we run, proxies, hosts-file pinning, credentials.

``env.platform`` asks instance metadata (IMDSv2, short timeouts), the ECS task
metadata endpoint and the Lambda environment for region, VPC, subnet and this
host's address; later checks use those facts (the VPC CIDRs as private space, the
VPC id for ``aws:SourceVpc``, the local address for security-group rules). It is
informational: not being on EC2 is not a problem.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from privateapi.doctor._context import Context, info, passed, skip, warn
from privateapi.doctor._model import Result
from privateapi.doctor._net import is_ip_literal

__all__ = [
    "check_credentials",
    "check_hosts",
    "check_platform",
    "check_proxy",
    "get_credentials",
    "proxy_for",
]

DEFAULT_IMDS = "http://169.254.169.254"
# IMDS answers in well under 10 ms on EC2; off EC2 nothing answers. One second caps
# what the doctor pays on a laptop while tolerating a busy instance.
_IMDS_TIMEOUT = 1.0


# --- platform -------------------------------------------------------------------------------
def _http(
    method: str,
    url: str,
    *,
    headers: Mapping[str, str] | None = None,
    timeout: float,
) -> tuple[int, str]:
    # http.client, not urllib/httpx: metadata must never go through a proxy.
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port or 80, timeout=timeout)
    try:
        path = parts.path or "/"
        conn.request(method, path, headers=dict(headers or {}))
        resp = conn.getresponse()
        return resp.status, resp.read(65536).decode("utf-8", "replace")
    finally:
        conn.close()


def _imds(endpoint: str, timeout: float) -> dict[str, Any]:
    base = endpoint.rstrip("/")
    status, token = _http(
        "PUT",
        f"{base}/latest/api/token",
        headers={"X-aws-ec2-metadata-token-ttl-seconds": "60"},
        timeout=timeout,
    )
    if status != 200:
        raise OSError(f"IMDSv2 token request answered {status}")
    hdr = {"X-aws-ec2-metadata-token": token}

    def get(path: str) -> str | None:
        st, body = _http("GET", f"{base}/latest/meta-data/{path}", headers=hdr, timeout=timeout)
        return body.strip() if st == 200 else None

    out: dict[str, Any] = {"platform": "ec2"}
    out["region"] = get("placement/region")
    out["availability_zone"] = get("placement/availability-zone")
    out["instance_id"] = get("instance-id")
    out["local_ipv4"] = get("local-ipv4")
    mac = get("mac")
    if mac:
        net = f"network/interfaces/macs/{mac}"
        out["vpc_id"] = get(f"{net}/vpc-id")
        out["subnet_id"] = get(f"{net}/subnet-id")
        cidrs = get(f"{net}/vpc-ipv4-cidr-blocks") or ""
        out["vpc_cidrs"] = [c for c in cidrs.split() if c]
        sgs = get(f"{net}/security-group-ids") or ""
        out["security_group_ids"] = [s for s in sgs.split() if s]
    return {k: v for k, v in out.items() if v not in (None, [])}


def _ecs(uri: str, timeout: float) -> dict[str, Any]:
    out: dict[str, Any] = {"platform": "ecs"}
    status, body = _http("GET", f"{uri.rstrip('/')}/task", timeout=timeout)
    if status == 200:
        task = json.loads(body)
        out["availability_zone"] = task.get("AvailabilityZone")
        out["task_arn"] = task.get("TaskARN")
        arn = str(task.get("TaskARN") or "")
        if arn.count(":") >= 5:
            out["region"] = arn.split(":")[3]
    status, body = _http("GET", uri, timeout=timeout)
    if status == 200:
        networks = json.loads(body).get("Networks") or []
        addrs = [a for n in networks for a in n.get("IPv4Addresses") or []]
        if addrs:
            out["local_ipv4"] = addrs[0]
    return {k: v for k, v in out.items() if v is not None}


def check_platform(ctx: Context) -> Result:
    """Discover region, VPC, subnet and this host's address (informational)."""
    env = ctx.env
    timeout = min(_IMDS_TIMEOUT, ctx.options.timeout)
    found: dict[str, Any] = {}
    tried: dict[str, str] = {}
    if env.get("AWS_LAMBDA_FUNCTION_NAME"):
        found = {
            "platform": "lambda",
            "function": env["AWS_LAMBDA_FUNCTION_NAME"],
            "region": env.get("AWS_REGION"),
        }
    elif env.get("ECS_CONTAINER_METADATA_URI_V4"):
        try:
            found = _ecs(env["ECS_CONTAINER_METADATA_URI_V4"], timeout)
        except (OSError, ValueError, http.client.HTTPException) as exc:
            tried["ecs"] = f"{type(exc).__name__}: {exc}"
    if not found:
        disabled = env.get("AWS_EC2_METADATA_DISABLED", "").lower() == "true"
        if not ctx.options.imds or disabled:
            tried["imds"] = "disabled"
        else:
            endpoint = (
                ctx.options.imds_endpoint
                or env.get("AWS_EC2_METADATA_SERVICE_ENDPOINT")
                or DEFAULT_IMDS
            )
            t0 = time.monotonic()
            try:
                found = _imds(endpoint, timeout)
            except (OSError, http.client.HTTPException) as exc:
                tried["imds"] = (
                    f"{endpoint}: {type(exc).__name__}: {exc}"
                    f" after {(time.monotonic() - t0) * 1000:.0f} ms"
                )
    if not found:
        return info(
            "not on EC2, ECS or Lambda as far as metadata shows (or metadata is blocked)",
            {"tried": tried},
        )
    desc = ", ".join(
        f"{k} {found[k]}" for k in ("region", "vpc_id", "subnet_id", "local_ipv4") if k in found
    )
    return info(f"{found['platform']}: {desc}".rstrip(": "), found, data=found)


# --- proxies --------------------------------------------------------------------------------
def _no_proxy_matches(host: str, entries: list[str]) -> bool:
    host = host.lower().strip("[]")
    for raw in entries:
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "*":
            return True
        if is_ip_literal(host):
            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(entry, strict=False):
                    return True
            except ValueError:
                pass
            continue
        entry = entry.lstrip("*").lstrip(".")
        if host == entry or host.endswith("." + entry):
            return True
    return False


def proxy_for(host: str, env: Mapping[str, str]) -> str | None:
    """The proxy an HTTPS request to ``host`` would use given ``env``, or ``None``."""
    proxy = (
        env.get("HTTPS_PROXY")
        or env.get("https_proxy")
        or env.get("ALL_PROXY")
        or env.get("all_proxy")
    )
    if not proxy:
        return None
    no_proxy = env.get("NO_PROXY") or env.get("no_proxy") or ""
    if _no_proxy_matches(host, no_proxy.split(",")):
        return None
    return proxy


def _mask_proxy(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.password:
        return url.replace(f":{parts.password}@", ":<redacted>@")
    return url


def check_proxy(ctx: Context) -> Result:
    """Would ``HTTPS_PROXY`` carry the call past the VPC endpoint?"""
    host = ctx.target.host
    env = ctx.env
    proxy = proxy_for(host, env)
    evidence = {
        k: _mask_proxy(env[k]) if "proxy" in k.lower() and k.lower() != "no_proxy" else env[k]
        for k in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy")
        if env.get(k)
    }
    if proxy is None:
        if evidence:
            return passed(f"NO_PROXY exempts {host}", evidence)
        return passed("no HTTPS proxy configured", evidence)
    return warn(
        "env.proxy",
        f"HTTPS requests to {host} would go through the proxy {_mask_proxy(proxy)}",
        {**evidence, "proxy": _mask_proxy(proxy)},
        hint=f"Add {host} (or .execute-api.{ctx.target.region}.amazonaws.com and"
        " .vpce.amazonaws.com) to NO_PROXY, unless the proxy itself sits in the VPC.",
    )


# --- hosts file -----------------------------------------------------------------------------
def _hosts_entries(path: str, names: set[str]) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for lineno, line in enumerate(fh, 1):
            fields = line.split("#", 1)[0].split()
            if len(fields) < 2:
                continue
            for name in fields[1:]:
                if name.lower().rstrip(".") in names:
                    out.append((lineno, fields[0], name))
    return out


def check_hosts(ctx: Context) -> Result:
    """Does the hosts file pin any name the call needs?"""
    names = {ctx.target.host.lower(), ctx.connect_host.lower()}
    path = ctx.options.hosts_file
    try:
        entries = _hosts_entries(path, names)
    except OSError as exc:
        return skip(f"could not read {path}: {exc.strerror or exc}")
    if not entries:
        return passed(f"{path} does not pin {', '.join(sorted(names))}")
    evidence = {"file": path, "entries": [f"{path}:{n}: {ip} {name}" for n, ip, name in entries]}
    first = entries[0]
    return warn(
        "dns.hosts-override",
        f"{path} line {first[0]} pins {first[2]} to {first[1]}; DNS answers are ignored",
        evidence,
        data={"pinned": {name.lower(): ip for _, ip, name in entries}},
    )


# --- credentials ----------------------------------------------------------------------------
def get_credentials(ctx: Context) -> Any:
    """The run's credential source, or the ``CredentialsError`` that says why there is none.

    Resolved once per run (botocore's chain can take a second when it ends at IMDS).
    """
    from privateapi._credentials import resolve_credentials
    from privateapi._errors import CredentialsError

    def load() -> Any:
        try:
            source = resolve_credentials(ctx.options.credentials, profile=ctx.options.profile)
            source.snapshot()
        except CredentialsError as exc:
            return exc
        return source

    return ctx.memo("credentials", load)


def check_credentials(ctx: Context) -> Result:
    """Are credentials available for a signed probe?"""
    from privateapi._credentials import mask_access_key
    from privateapi._errors import CredentialsError

    if not ctx.options.sign:
        return skip("not run: the probe is unsigned (--no-sign)")
    source = get_credentials(ctx)
    if isinstance(source, CredentialsError):
        return warn(
            "creds.missing",
            f"no credentials: the probe will be anonymous ({source})",
            {"error": str(source)},
        )
    snap = source.snapshot()
    method = source.method
    evidence = {
        "access_key": mask_access_key(snap.access_key),
        "method": method,
        "temporary": snap.token is not None,
    }
    if snap.expiry is not None:
        evidence["expiry"] = snap.expiry.isoformat()
    return passed(f"credentials from {method} ({mask_access_key(snap.access_key)})", evidence)
