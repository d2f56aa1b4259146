"""The network-safety rule, enforced in the test process: loopback only.

Installed by ``conftest.py`` for the whole run. Every ``connect``/``sendto`` of an
internet socket and every ``getaddrinfo`` of a name is checked; a destination that is
not loopback (or a name that only DNS could answer) is refused with ``OSError`` before
any packet is sent, and recorded, so the test that tried fails even if the code under
test swallowed the error. Inside a fresh network namespace (only ``lo``) nothing can
leave the machine, so nothing is refused there.

Subprocesses are not covered: the tests that run the CLI as a subprocess give it
loopback addresses or run it inside ``unshare -n``.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

#: What was refused, for the per-test check in conftest.py.
VIOLATIONS: list[str] = []

_HOSTS_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})


def _isolated() -> bool:
    try:
        return [name for _, name in socket.if_nameindex()] == ["lo"]
    except OSError:
        return False


def _loopback(host: str) -> bool | None:
    """True/False for an address literal, ``None`` for a name."""
    try:
        ip = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def _allowed_name(host: str) -> bool:
    name = host.lower().rstrip(".")
    return name in _HOSTS_NAMES or name.endswith(".localhost")


def _refuse(what: str) -> OSError:
    VIOLATIONS.append(what)
    return OSError(f"test network guard: {what} is not loopback (tests talk to loopback only)")


def _check_address(sock: socket.socket, address: Any, call: str) -> None:
    if sock.family not in (socket.AF_INET, socket.AF_INET6) or not isinstance(address, tuple):
        return
    host = str(address[0])
    verdict = _loopback(host)
    if verdict is None:
        verdict = _allowed_name(host)
    if not verdict:
        raise _refuse(f"{call} to {host}:{address[1]}")


def install() -> None:
    """Wrap the socket entry points (once per process; a no-op in a fresh namespace)."""
    if getattr(socket, "_privateapi_guard", False) or _isolated():
        return
    socket._privateapi_guard = True  # type: ignore[attr-defined]
    cls: Any = socket.socket

    def wrap(name: str) -> None:
        original: Callable[..., Any] = getattr(cls, name)

        def checked(self: socket.socket, address: Any, *args: Any) -> Any:
            _check_address(self, address, name)
            return original(self, address, *args)

        setattr(cls, name, checked)

    for name in ("connect", "connect_ex"):
        wrap(name)
    original_sendto: Callable[..., Any] = cls.sendto

    def sendto(self: socket.socket, data: Any, *args: Any) -> Any:
        _check_address(self, args[-1], "sendto")
        return original_sendto(self, data, *args)

    cls.sendto = sendto
    original_gai = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if host is not None and _loopback(host) is None and not _allowed_name(host):
            raise _refuse(f"a DNS look-up of {host}")
        if host is not None and _loopback(host) is False:
            raise _refuse(f"getaddrinfo of {host}")
        return original_gai(host, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
