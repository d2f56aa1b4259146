"""Environment checks: where we run, proxies, hosts-file pinning, credentials.

``env.platform`` asks instance metadata (IMDSv2, short timeouts), the ECS task
metadata endpoint and the Lambda environment for region, VPC, subnet and this
host's address; later checks use those facts (the VPC CIDRs as private space, the
VPC id for ``aws:SourceVpc``, the local address for security-group rules). It is
informational: not being on EC2 is not a problem.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from privateapi.doctor import _facts as fx
from privateapi.doctor import _proxy
from privateapi.doctor._context import Context, fail, info, passed, skip, warn
from privateapi.doctor._model import Result, Status

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
def proxy_for(host: str, env: Mapping[str, str]) -> str | None:
    """The proxy URL an HTTPS request to ``host`` would use given ``env``, or ``None``."""
    choice = _proxy.proxy_for(host, env)
    return None if choice is None else choice.url


_PROXY_NAMES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")


def check_proxy(ctx: Context) -> Result:
    """Would the caller's proxy variables carry the call through a proxy?"""
    host = ctx.request.host
    env = ctx.env
    choice = _proxy.proxy_for(host, env, ctx.request.port)
    evidence = {
        k: env[k] if k.lower() == "no_proxy" else _proxy.redact_proxy_url(env[k])
        for k in _PROXY_NAMES
        if env.get(k)
    }
    if choice is None:
        if evidence:
            return passed(f"no proxy for {host} (NO_PROXY exempts it, or none applies)", evidence)
        return passed("no HTTPS proxy configured", evidence)
    suffix = host.split(".", 1)[-1]
    return warn(
        "env.proxy",
        f"HTTPS requests to {host} go through the proxy {choice.shown} (from {choice.source});"
        " the live probe goes through it too",
        {**evidence, "proxy": choice.shown},
        hint=f"Add {host} (or .{suffix}) to NO_PROXY, unless the proxy itself is meant to"
        " reach the VPC endpoint.",
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


def pinned_addresses(hosts_path: str, nsswitch_path: str, name: str) -> list[str]:
    """The addresses the hosts file gives ``name`` when it is consulted before DNS."""
    if not hosts_file_first(nsswitch_path):
        return []
    try:
        entries = _hosts_entries(hosts_path, {name.lower().rstrip(".")})
    except OSError:
        return []
    return list(dict.fromkeys(ip for _, ip, _ in entries))


def hosts_file_first(nsswitch_path: str) -> bool:
    """Whether glibc consults the hosts file before DNS, per ``nsswitch.conf``'s ``hosts:`` line.

    Without the file (or without a ``hosts:`` line) glibc's built-in order applies; the
    order distributions ship and most images keep is ``files dns``, which is assumed
    here (glibc's compiled-in fallback differs by version: unverified on every libc).
    """
    try:
        with open(nsswitch_path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()
    except OSError:
        return True
    for line in lines:
        key, sep, rest = line.split("#", 1)[0].partition(":")
        if sep and key.strip() == "hosts":
            sources = [w for w in rest.split() if not w.startswith("[")]
            if "files" not in sources:
                return False
            return "dns" not in sources or sources.index("files") < sources.index("dns")
    return True


def _path_broken(ctx: Context) -> str | None:
    """The first data-path step after DNS that failed, if any."""
    for check_id in ("tcp.connect", "tls.handshake", "http.probe"):
        r = ctx.result(check_id)
        if r is not None and r.status is Status.FAIL:
            return f"{check_id} ({r.cause})"
    return None


def check_hosts(ctx: Context) -> Result:
    """Does the hosts file pin a name the call needs, and does that pin break the call?"""
    names = {ctx.request.host, ctx.connect_host.lower()}
    path = ctx.options.hosts_file
    try:
        entries = _hosts_entries(path, names)
    except OSError as exc:
        return skip(f"could not read {path}: {exc.strerror or exc}")
    if not entries:
        return passed(f"{path} does not pin {', '.join(sorted(names))}")
    evidence: dict[str, Any] = {
        "file": path,
        "entries": [f"{path}:{n}: {ip} {name}" for n, ip, name in entries],
    }
    if not hosts_file_first(ctx.options.nsswitch_file):
        evidence["nsswitch"] = ctx.options.nsswitch_file
        return info(f"{path} pins {entries[0][2]}, but nsswitch asks DNS first", evidence)
    pinned = sorted({ip for _, ip, _ in entries})
    data = fx.facts(fx.HOSTS_PINNED.of({name.lower(): ip for _, ip, name in entries}))
    dns_answer = ctx.fact_or(fx.VPC_DNS_ADDRESSES, [])
    evidence["dns_answer"] = dns_answer
    first = entries[0]
    where = f"{path} line {first[0]} pins {first[2]} to {', '.join(pinned)}"
    broken = _path_broken(ctx)
    differs = set(pinned) != set(dns_answer)
    dns_words = ", ".join(dns_answer) or "nothing"
    if broken and differs:
        return fail(
            "dns.hosts-override",
            f"{where}, but DNS answers {dns_words}; the pinned path fails at {broken}",
            evidence,
            hint=f"Remove the {first[2]} line from {path} (the VPC endpoint's addresses come"
            " from DNS and can change), or pin it to the endpoint's current addresses.",
            data=data,
        )
    state = "the call fails anyway" if broken else "the pinned address works today"
    return warn(
        "dns.hosts-override",
        f"{where} (DNS answers {dns_words}); {state}, but a pin goes stale when the"
        " endpoint's addresses change",
        evidence,
        data=data,
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
        return skip("not run: the probe is unsigned (signing off)")
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
