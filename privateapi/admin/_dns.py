"""``wait_for_alias``: poll DNS until an ``{api}-{vpce}`` alias name resolves."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from privateapi._errors import InvalidInputError
from privateapi.admin import _validate
from privateapi.admin._errors import AliasNotResolvedError
from privateapi.admin._results import AliasPoll, AliasResolution, NextStep

if TYPE_CHECKING:
    import dns.resolver

__all__ = ["make_resolver", "wait_for_alias"]


def make_resolver(resolver: str | dns.resolver.Resolver | None) -> dns.resolver.Resolver:
    """A dnspython resolver: the system's, one for ``IP[:port]``, or the one given."""
    import dns.resolver

    if resolver is None:
        try:
            return dns.resolver.Resolver()  # the nameservers of /etc/resolv.conf
        except dns.resolver.NoResolverConfiguration as exc:
            raise InvalidInputError(
                "resolver", None, "a DNS server IP[:port]: no nameserver is configured here"
            ) from exc
    if isinstance(resolver, dns.resolver.Resolver):
        return resolver
    from privateapi._targets import parse_resolver

    host, port = parse_resolver(resolver)
    made = dns.resolver.Resolver(configure=False)
    made.nameservers = [host]
    made.port = port
    return made


def _ask(res: dns.resolver.Resolver, hostname: str, lifetime: float) -> tuple[str, ...] | str:
    """The name's addresses, or the answer that says why there are none."""
    import dns.exception
    import dns.resolver

    try:
        reply = res.resolve(hostname, "A", lifetime=lifetime)
    except dns.resolver.NXDOMAIN:
        return "NXDOMAIN"
    except dns.resolver.NoAnswer:
        return "no A record (NODATA)"
    except dns.resolver.NoNameservers:
        return "no nameserver answered (SERVFAIL)"
    except dns.exception.Timeout:
        return "the resolver did not answer (timeout)"
    return tuple(sorted(r.to_text() for r in reply))


def wait_for_alias(
    api_id: str,
    vpce_id: str,
    region: str,
    *,
    timeout: float = 300.0,
    interval: float = 5.0,
    resolver: str | dns.resolver.Resolver | None = None,
    progress: Callable[[AliasPoll], None] | None = None,
) -> AliasResolution:
    """Poll DNS until ``{api_id}-{vpce_id}.execute-api.{region}.{suffix}`` resolves.

    Args:
        timeout: give up after this many seconds.
        interval: seconds between polls.
        resolver: the nameservers of ``/etc/resolv.conf`` when ``None``; ``"IP[:port]"`` or a
            :class:`dns.resolver.Resolver` to ask a particular server (the VPC resolver,
            or a test server on loopback).
        progress: called after each unsuccessful poll, in the calling thread.

    Raises:
        InvalidInputError: a malformed id, region, timeout, interval or resolver
            (:func:`~privateapi.admin.validate_alias_wait` checks the last three alone).
        AliasNotResolvedError: the name did not resolve in time; the message gives the
            last answer (NXDOMAIN, no answer, timeout).
    """
    from privateapi._targets import alias_hostname

    api_id = _validate.api_id(api_id)
    hostname = alias_hostname(api_id, _validate.vpce_ids(vpce_id)[0], region)
    _validate.validate_alias_wait(timeout=timeout, interval=interval, resolver=resolver)
    res = make_resolver(resolver)
    start = time.monotonic()
    attempt = 0
    while True:
        attempt += 1
        elapsed = time.monotonic() - start
        found = _ask(res, hostname, max(0.2, min(2.0, timeout - elapsed)))
        if isinstance(found, tuple):
            return AliasResolution(hostname, found, attempt, time.monotonic() - start)
        elapsed = time.monotonic() - start
        if progress is not None:
            progress(AliasPoll(attempt, elapsed, timeout, hostname, found))
        if elapsed >= timeout:
            raise AliasNotResolvedError(
                f"{hostname} did not resolve within {timeout:g} s ({attempt} polls;"
                f" last answer: {found})",
                hostname=hostname,
                last_answer=found,
                next_step=NextStep("status", {"api_id": api_id, "region": region}),
            )
        # The last poll happens at the deadline, not one interval before it.
        time.sleep(min(interval, timeout - elapsed))
