"""Which proxy the caller's HTTP client would use for an ``https://`` URL.

The reading follows curl, requests and httpx (all three agree on these points):

- the proxy is ``https_proxy``, else ``HTTPS_PROXY``, else ``all_proxy``, else
  ``ALL_PROXY``; the lower-case name wins when both are set (curl reads lower-case
  first; Python's ``urllib.request.getproxies_environment``, which requests and httpx
  use, lets lower-case override), and an empty value counts as unset;
- the exemptions are ``no_proxy``, else ``NO_PROXY`` (same precedence), a list split on
  commas (and, as curl does, on white space); ``*`` alone exempts every host;
- a name entry matches the host itself or any name below it (suffix match on a label
  boundary); a leading dot is ignored (``.example.com`` == ``example.com``); an entry
  with a port (``host:443``) matches only that port;
- a leading ``*.`` is read as a leading dot. Here the clients differ: httpx honours
  it, while curl and Python's ``urllib`` compare ``*.example.com`` literally (no
  match). The doctor takes the lenient reading and says so in the evidence;
- for an address host, an entry that is an address or a CIDR (``10.0.0.0/8``) matches
  when the address lies in it (curl ≥ 7.86, requests); names never match addresses.

A proxy URL without a scheme is ``http://`` (curl's reading). Only ``http://`` proxies
are probed through (CONNECT); other schemes are reported, not tunnelled.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

__all__ = ["ProxyChoice", "no_proxy_matches", "proxy_for", "redact_proxy_url"]

_PROXY_VARS = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
_NO_PROXY_VARS = ("no_proxy", "NO_PROXY")


@dataclass(frozen=True)
class ProxyChoice:
    """The proxy a call would go through.

    Attributes:
        url: the proxy URL as configured (may hold credentials: show :attr:`shown`).
        source: the environment variable it came from.
        scheme, host, port: the proxy's address.
        username, password: credentials in the URL, if any (never printed).
    """

    url: str
    source: str
    scheme: str
    host: str
    port: int
    username: str | None = None
    password: str | None = None

    @property
    def shown(self) -> str:
        """The proxy URL with any credentials redacted."""
        return redact_proxy_url(self.url)

    @property
    def tunnels(self) -> bool:
        """Whether the doctor can probe through it (an ``http://`` proxy, with CONNECT)."""
        return self.scheme == "http"


def redact_proxy_url(url: str) -> str:
    """``url`` with the user info's password (or a lone token) replaced by ``<redacted>``."""
    return re.sub(r"(//|^)([^/@\s]*)@", _redact_userinfo, url)


def _redact_userinfo(m: re.Match[str]) -> str:
    user, sep, _ = m.group(2).partition(":")
    return f"{m.group(1)}{user}:<redacted>@" if sep else f"{m.group(1)}<redacted>@"


def _first(env: Mapping[str, str], names: tuple[str, ...]) -> tuple[str, str] | None:
    for name in names:
        value = (env.get(name) or "").strip()
        if value:
            return name, value
    return None


def _entries(value: str) -> list[str]:
    return [e for e in re.split(r"[,\s]+", value) if e]


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def _address_matches(address: ipaddress.IPv4Address | ipaddress.IPv6Address, entry: str) -> bool:
    try:
        return address in ipaddress.ip_network(entry.strip("[]"), strict=False)
    except ValueError:
        return False


def _split_entry_port(entry: str) -> tuple[str, int | None]:
    if entry.startswith("["):
        head, _, tail = entry[1:].partition("]")
        return head, int(tail[1:]) if tail.startswith(":") and tail[1:].isdigit() else None
    if entry.count(":") == 1:
        head, _, port = entry.partition(":")
        return head, int(port) if port.isdigit() else None
    return entry, None


def no_proxy_matches(host: str, value: str, port: int = 443) -> bool:
    """Whether a ``NO_PROXY`` value exempts ``host`` (on ``port``) from the proxy.

    Example:
        >>> no_proxy_matches("a1b2c3d4e5.execute-api.us-east-1.amazonaws.com", ".amazonaws.com")
        True
        >>> no_proxy_matches("notamazonaws.com", "amazonaws.com")
        False
        >>> no_proxy_matches("10.0.1.10", "10.0.0.0/16")
        True
    """
    host = host.lower().strip("[]").rstrip(".")
    address = _ip(host)
    for raw in _entries(value):
        if raw == "*":
            return True
        entry, entry_port = _split_entry_port(raw.lower())
        if entry_port is not None and entry_port != port:
            continue
        if address is not None:
            if _address_matches(address, entry):
                return True
            continue
        name = entry.removeprefix("*").lstrip(".").rstrip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


def proxy_for(host: str, env: Mapping[str, str], port: int = 443) -> ProxyChoice | None:
    """The proxy an ``https://`` request to ``host`` would use given ``env``, or ``None``."""
    found = _first(env, _PROXY_VARS)
    if found is None:
        return None
    exempt = _first(env, _NO_PROXY_VARS)
    if exempt is not None and no_proxy_matches(host, exempt[1], port):
        return None
    source, url = found
    parts = urlsplit(url if "://" in url else f"http://{url}")
    scheme = parts.scheme.lower()
    try:
        proxy_port = parts.port
    except ValueError:
        proxy_port = None
    default = {"http": 80, "https": 443}.get(scheme, 1080)
    return ProxyChoice(
        url=url,
        source=source,
        scheme=scheme,
        host=parts.hostname or "",
        port=proxy_port or default,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )
