"""DNS checks: what the application resolves, and what the VPC resolver says.

``dns.lookup`` is the data-path step: the addresses the client will connect to, from
the system resolver (``getaddrinfo`` in a thread, bounded by the timeout) or, when
the options say so, from a given resolver asked directly. ``dns.vpc`` asks the VPC
resolver directly (:mod:`privateapi.doctor._resolver`, a small stub resolver), which
tells NXDOMAIN from NODATA, shows the CNAME chain and the AAAA answer, and notices when
the two resolvers disagree.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from privateapi._styles import Style, spec_of
from privateapi.doctor import _facts as fx
from privateapi.doctor._context import Context, fail, passed, warn
from privateapi.doctor._env import pinned_addresses
from privateapi.doctor._model import Result
from privateapi.doctor._net import is_ip_literal, is_vpc_private

__all__ = ["Lookup", "check_lookup", "check_vpc_resolver", "nxdomain_meaning", "query"]

#: Amazon's VPC resolver at a fixed link-local address (the CIDR base + 2 also works).
AMAZON_RESOLVER = "169.254.169.253"

T = TypeVar("T")


def run_bounded(func: Callable[[], T], timeout: float) -> T:
    """Run ``func`` in a daemon thread; raise ``TimeoutError`` after ``timeout``.

    ``getaddrinfo`` cannot be cancelled; the thread is abandoned on timeout, and being a
    daemon it cannot keep the process alive.
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def go() -> None:
        try:
            box["value"] = func()
        except BaseException as exc:  # handed back to the caller
            box["error"] = exc
        done.set()

    threading.Thread(target=go, name="doctor:bounded", daemon=True).start()
    if not done.wait(timeout):
        raise TimeoutError(f"no answer within {timeout:g}s")
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


@dataclass
class Lookup:
    """One resolution of a name."""

    name: str
    resolver: str
    outcome: str = "ok"  # ok | nxdomain | nodata | unreachable | error
    addresses: list[str] = field(default_factory=list)
    cnames: list[str] = field(default_factory=list)
    by_type: dict[str, list[str]] = field(default_factory=dict)
    error: str | None = None

    def evidence(self) -> dict[str, Any]:
        """The JSON evidence of the lookup."""
        out: dict[str, Any] = {
            "name": self.name,
            "resolver": self.resolver,
            "outcome": self.outcome,
            "addresses": self.addresses,
        }
        if self.cnames:
            out["cname_chain"] = self.cnames
        if self.by_type:
            out["answers"] = self.by_type
        if self.error:
            out["error"] = self.error
        return out


def _system_lookup(name: str, port: int, timeout: float) -> Lookup:
    lk = Lookup(name=name, resolver="system (getaddrinfo)")
    try:
        infos = run_bounded(
            lambda: socket.getaddrinfo(name, port, type=socket.SOCK_STREAM), timeout
        )
    except TimeoutError as exc:
        lk.outcome, lk.error = "unreachable", str(exc)
        return lk
    except socket.gaierror as exc:
        lk.error = f"[Errno {exc.errno}] {exc.strerror}"
        if exc.errno == socket.EAI_NONAME:
            lk.outcome = "nxdomain"
        elif exc.errno == getattr(socket, "EAI_NODATA", -5):
            lk.outcome = "nodata"
        elif exc.errno == socket.EAI_AGAIN:
            lk.outcome = "unreachable"
        else:
            lk.outcome = "error"
        return lk
    seen: dict[str, None] = {}
    for _family, _type, _proto, _canon, sockaddr in infos:
        seen.setdefault(str(sockaddr[0]), None)
    lk.addresses = list(seen)
    return lk


def _resolve_one(
    lk: Lookup,
    rdtype: str,
    where: tuple[list[str], int, float],
    outcomes: dict[str, str],
    errors: list[str],
) -> None:
    """One record type's answer into ``lk`` (CNAME chain, records) and ``outcomes``."""
    from privateapi.doctor._resolver import ask

    nameservers, port, timeout = where
    answer = ask(lk.name, rdtype, nameservers, port, timeout)
    outcomes[rdtype] = answer.outcome
    if answer.error and answer.outcome in ("unreachable", "error"):
        errors.append(f"{rdtype}: {answer.error}")
    for link in answer.cnames:
        if link not in lk.cnames:
            lk.cnames.append(link)
    if answer.outcome == "ok":
        lk.by_type[rdtype] = answer.records


def _overall(values: set[str], has_addresses: bool) -> str:
    """One outcome from the A and AAAA outcomes: an answer, then NXDOMAIN, then the rest."""
    if has_addresses:
        return "ok"
    if "nxdomain" in values:
        return "nxdomain"
    if "unreachable" in values or not values:
        return "unreachable"
    if "nodata" in values:
        return "nodata"
    return "error"


def query(name: str, nameservers: list[str], port: int, timeout: float) -> Lookup:
    """Resolve A and AAAA for ``name`` against ``nameservers`` (both questions at once)."""
    label = ", ".join(f"{ns}:{port}" if port != 53 else ns for ns in nameservers)
    lk = Lookup(name=name, resolver=label)
    outcomes: dict[str, str] = {}
    errors: list[str] = []
    where = (list(nameservers), port, timeout)
    threads = [
        threading.Thread(target=_resolve_one, args=(lk, t, where, outcomes, errors), daemon=True)
        for t in ("A", "AAAA")
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout + 1.0)
    lk.addresses = lk.by_type.get("A", []) + lk.by_type.get("AAAA", [])
    lk.outcome = _overall(set(outcomes.values()), bool(lk.addresses))
    if errors:
        lk.error = "; ".join(sorted(errors))
    return lk


def nxdomain_meaning(style: Style | None, name: str) -> tuple[str, str]:
    """What "this name does not exist" means for a style: (why, fix), from its spec.

    Without a recognised style (a name no access style claims) the meaning is generic.
    """
    if style is None:
        return (
            "the resolver knows no such name (a typo, or a record that was never made)",
            f"Check the spelling of {name} and that the resolver this host uses serves it.",
        )
    return spec_of(style).nxdomain(name)


def has_route(address: str) -> bool:
    """Whether this host has a route to ``address`` (a UDP connect sends no packet)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    try:
        with socket.socket(family, socket.SOCK_DGRAM) as sock:
            sock.connect((address.split("%", 1)[0], 443))
    except OSError:
        return False
    return True


def _private_cidrs(ctx: Context) -> list[str]:
    ctx.wait_for("env.platform")  # IMDS may still be answering; the lookup is already done
    cidrs = list(ctx.options.vpc_cidrs)
    found: list[str] = ctx.fact_or(fx.PLATFORM_VPC_CIDRS, [])
    cidrs.extend(found)
    return cidrs


def _no_answer(
    ctx: Context, lk: Lookup, evidence: dict[str, Any], data: dict[str, Any], what: str
) -> Result:
    """The failure for a lookup without addresses (NXDOMAIN, NODATA, no resolver)."""
    name = lk.name
    if lk.outcome == "nxdomain":
        style = ctx.recognised.style if ctx.recognised is not None else None
        why, fix = nxdomain_meaning(style, name)
        return fail(
            "dns.nxdomain", f"{name} does not exist ({what}): {why}", evidence, hint=fix, data=data
        )
    if lk.outcome == "nodata":
        return fail(
            "dns.nodata", f"{name} exists but has no A/AAAA records ({what})", evidence, data=data
        )
    return fail(
        "dns.resolver-unreachable",
        f"the resolver did not answer for {name} ({lk.error or lk.outcome})",
        evidence,
        data=data,
    )


def _only_unroutable_ipv6(addresses: list[str]) -> bool:
    """Only AAAA answers, and no route to any of them (an IPv4-only host)."""
    return all(":" in a for a in addresses) and not any(has_route(a) for a in addresses)


def _judge(ctx: Context, lk: Lookup, *, data: dict[str, Any], what: str) -> Result:
    """Turn a finished lookup into a result (shared by both DNS checks)."""
    evidence = lk.evidence()
    name = lk.name
    if lk.outcome != "ok":
        return _no_answer(ctx, lk, evidence, data, what)
    cidrs = _private_cidrs(ctx)
    public = [a for a in lk.addresses if not is_vpc_private(a, cidrs)]
    evidence["public_addresses"] = public
    if public and len(public) == len(lk.addresses):
        return fail(
            "dns.public-address",
            f"{name} resolves to public address(es) {', '.join(public)}: the call would go to"
            " a public front door, never to the VPC endpoint",
            evidence,
            data=data,
        )
    summary = f"{name} → {', '.join(lk.addresses)}"
    if _only_unroutable_ipv6(lk.addresses):
        return fail(
            "dns.nodata",
            f"{summary}: only IPv6 (AAAA) answers, and this host has no IPv6 route, so no"
            " A record is usable",
            evidence,
            hint="Publish A records for the name (an IPv4 or dual-stack endpoint), or give"
            " this host IPv6 connectivity to the endpoint's subnet.",
            data=data,
        )
    if public:
        return warn(
            "dns.public-address",
            f"{summary}; {', '.join(public)} is public and may be picked",
            evidence,
            data=data,
        )
    return passed(f"{summary} (private)", evidence, data=data)


def check_lookup(ctx: Context) -> Result:
    """Resolve the host the client connects to, the way the client will."""
    host = ctx.connect_host
    port = ctx.connect_port
    timeout = ctx.options.timeout
    if is_ip_literal(host):
        addr = host.strip("[]")
        return passed(
            f"no lookup needed: connecting to the address {addr}",
            {"name": host, "resolver": "none (address literal)", "addresses": [addr]},
            data=fx.facts(fx.DNS_ADDRESSES.of([addr]), fx.DNS_RESOLVER.of("literal")),
        )
    given = ctx.options.resolver_address
    pinned = pinned_addresses(ctx.options.hosts_file, ctx.options.nsswitch_file, host)
    if ctx.options.use_system_resolver or given is None:
        lk = _system_lookup(host, port, timeout)
        kind = "system"
    elif pinned:
        # getaddrinfo would answer from the hosts file first; so does the emulation.
        lk = Lookup(name=host, resolver=f"hosts file {ctx.options.hosts_file}", addresses=pinned)
        kind = "hosts"
    else:
        ip, rport = given
        lk = query(host, [ip], rport, timeout)
        kind = "override"
    return _judge(
        ctx,
        lk,
        data=fx.facts(
            fx.DNS_ADDRESSES.of(list(lk.addresses)),
            fx.DNS_RESOLVER.of(kind),
            fx.DNS_OUTCOME.of(lk.outcome),
        ),
        what="system resolver" if kind == "system" else lk.resolver,
    )


def _vpc_nameservers(ctx: Context) -> tuple[list[str], int, str]:
    given = ctx.options.resolver_address
    if given is not None:
        ip, port = given
        return [ip], port, "given"
    if (ctx.fact(fx.PLATFORM) or "") in ("ec2", "ecs"):
        return [AMAZON_RESOLVER], 53, "amazon"
    from privateapi.doctor._resolver import nameservers_from

    return nameservers_from("/etc/resolv.conf"), 53, "resolv.conf"


def _same(a: Iterable[str], b: Iterable[str]) -> bool:
    return set(a) == set(b)


def _disagreement(
    ctx: Context, lk: Lookup, evidence: dict[str, Any], vpc_data: dict[str, Any]
) -> Result | None:
    """A warning when the system resolver and the VPC resolver answer differently."""
    lookup = ctx.result("dns.lookup")
    system_addrs = ctx.fact_or(fx.DNS_ADDRESSES, [])
    compared = lookup is not None and ctx.fact(fx.DNS_RESOLVER) == "system"
    if compared and lookup is not None and lookup.ok and lk.outcome != "ok":
        return warn(
            "dns.resolver-mismatch",
            f"the system resolver answers {', '.join(system_addrs)} but the VPC resolver"
            f" says {lk.outcome.upper()}",
            evidence,
            data=vpc_data,
        )
    if compared and lk.outcome == "ok" and not _same(lk.addresses, system_addrs):
        shown = ", ".join(system_addrs) or (lookup.status if lookup else "nothing")
        return warn(
            "dns.resolver-mismatch",
            f"the system resolver answers {shown} but the VPC resolver"
            f" answers {', '.join(lk.addresses)}",
            {**evidence, "system_addresses": system_addrs},
            data=vpc_data,
        )
    return None


def check_vpc_resolver(ctx: Context) -> Result:
    """Ask the VPC resolver directly: NXDOMAIN vs NODATA, CNAME chain, agreement."""
    host = ctx.connect_host
    if is_ip_literal(host):
        return passed(f"no lookup needed: connecting to the address {host}")
    nameservers, port, source = _vpc_nameservers(ctx)
    if not nameservers:
        return warn(
            "dns.resolver-unreachable",
            "no resolver to ask: /etc/resolv.conf names none and none was given",
            hint="Give the resolver option the VPC resolver's address (the VPC CIDR base + 2).",
        )
    lk = query(host, nameservers, port, ctx.options.timeout)
    evidence = lk.evidence()
    evidence["resolver_source"] = source
    vpc_data = fx.facts(fx.VPC_DNS_ADDRESSES.of(list(lk.addresses)))
    if lk.outcome in ("unreachable", "error"):
        return warn(
            "dns.resolver-unreachable",
            f"the VPC resolver {lk.resolver} did not answer ({lk.error or lk.outcome})",
            evidence,
        )
    disagreement = _disagreement(ctx, lk, evidence, vpc_data)
    if disagreement is not None:
        return disagreement
    result = _judge(ctx, lk, data=vpc_data, what=f"VPC resolver {lk.resolver}")
    if result.status.value == "pass":
        chain = f" via {len(lk.cnames)} CNAME(s)" if lk.cnames else ""
        types = "/".join(t for t in ("A", "AAAA") if t in lk.by_type)
        return passed(
            f"VPC resolver: {host} → {', '.join(lk.addresses)} ({types}{chain})",
            result.evidence,
            data=result.data,
        )
    return result
