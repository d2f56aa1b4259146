"""TCP check: connect to every resolved address at once.

Addresses are tried concurrently, so k unreachable addresses cost one timeout, not k.
A timeout (nothing answers: security group, NACL, routing) is told apart from a
refusal (a reset: nothing listens there, so it is not the endpoint).
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from privateapi._errors import cause_of_exception
from privateapi.doctor import _facts as fx
from privateapi.doctor._context import Context, fail, passed, warn
from privateapi.doctor._model import Result

__all__ = ["Probe", "check_connect", "connect_all"]

# The shared classifier's cause -> the probe's outcome word in the evidence.
_OUTCOME = {"tcp.timeout": "timeout", "tcp.refused": "refused", "tcp.unreachable": "unreachable"}


@dataclass
class Probe:
    """The outcome of one TCP connect."""

    address: str
    port: int
    outcome: str = "ok"  # ok | timeout | refused | unreachable | error
    ms: float = 0.0
    local: str | None = None
    error: str | None = None
    #: The cause code of a failed connect (``tcp.timeout``, ``tcp.unreachable``, ...).
    cause: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON evidence."""
        out: dict[str, Any] = {
            "address": self.address,
            "port": self.port,
            "outcome": self.outcome,
            "ms": round(self.ms, 1),
        }
        if self.local:
            out["local_address"] = self.local
        if self.error:
            out["error"] = self.error
        return out


def _connect(address: str, port: int, timeout: float) -> Probe:
    probe = Probe(address=address, port=port)
    t0 = time.monotonic()
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            probe.ms = (time.monotonic() - t0) * 1000
            probe.local = str(sock.getsockname()[0])
    except OSError as exc:
        probe.cause = cause_of_exception(exc, "connect")
        probe.outcome = _OUTCOME.get(probe.cause, "error")
        timed_out = probe.outcome == "timeout" and isinstance(exc, TimeoutError)
        probe.error = f"no answer within {timeout:g}s" if timed_out else str(exc)
    if probe.outcome != "ok":
        probe.ms = (time.monotonic() - t0) * 1000
    return probe


def connect_all(addresses: list[str], port: int, timeout: float) -> list[Probe]:
    """Connect to every address concurrently; results in the order given."""
    probes: list[Probe | None] = [None] * len(addresses)

    def one(i: int, addr: str) -> None:
        probes[i] = _connect(addr, port, timeout)

    threads = [
        threading.Thread(target=one, args=(i, a), name=f"doctor:tcp:{a}", daemon=True)
        for i, a in enumerate(addresses)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout + 2.0)
    return [
        p or Probe(address=a, port=port, outcome="timeout", error="connect did not return")
        for p, a in zip(probes, addresses, strict=True)
    ]


def _worst(bad: list[Probe]) -> str:
    """The cause that explains the failed connects: a drop, then no route, then a refusal."""
    outcomes = {p.outcome for p in bad}
    for outcome, code in (("timeout", "tcp.timeout"), ("unreachable", "tcp.unreachable")):
        if outcome in outcomes:
            return code
    return "tcp.refused"


def check_connect(ctx: Context) -> Result:
    """Connect to port 443 (or the chosen port) on every resolved address."""
    addresses = ctx.fact_or(fx.DNS_ADDRESSES, [])
    port = ctx.connect_port
    if not addresses:
        return fail("tcp.refused", "no address to connect to")
    probes = connect_all(addresses, port, ctx.options.timeout)
    ok = [p for p in probes if p.outcome == "ok"]
    bad = [p for p in probes if p.outcome != "ok"]
    evidence = {"port": port, "connections": [p.to_dict() for p in probes]}
    data = fx.facts(
        fx.TCP_REACHABLE.of([p.address for p in ok]),
        fx.TCP_LOCAL_ADDRESS.of(ok[0].local if ok else None),
    )
    code = _worst(bad)
    if not bad:
        latency = ", ".join(f"{p.address} {p.ms:.0f} ms" for p in ok)
        return passed(
            f"port {port} open on {len(ok)}/{len(probes)}: {latency}", evidence, data=data
        )
    detail = ", ".join(f"{p.address} {p.outcome}" for p in bad)
    if ok:
        return warn(
            code,
            f"port {port} open on {len(ok)}/{len(probes)}; {detail} (calls picking those fail"
            " or stall)",
            evidence,
            data=data,
        )
    if code == "tcp.timeout":
        summary = (
            f"port {port} timed out on every address ({detail}): security group, NACL or"
            " routing drops it"
        )
    elif code == "tcp.unreachable":
        summary = (
            f"no route to port {port} on any address ({detail}): this host's routing has no"
            " path to the endpoint's network (not a timeout: nothing was sent)"
        )
    else:
        summary = (
            f"port {port} refused on every address ({detail}): nothing listens there, so it"
            " is not the VPC endpoint"
        )
    return fail(code, summary, evidence, data=data)
