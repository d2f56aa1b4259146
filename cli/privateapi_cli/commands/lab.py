"""``privateapi lab``: run the local private API Gateway until interrupted."""

from __future__ import annotations

import argparse
from typing import Any

from privateapi_cli import _render


def register(subparsers: Any) -> None:
    """Add the ``lab`` command."""
    p = subparsers.add_parser(
        "lab",
        help="run a local private API Gateway (DNS, TLS, routing, auth, AWS's errors)",
        description=(
            "Start the local private API Gateway from a TOML file (or a built-in lab with one"
            " healthy API), print how to reach it, and run until interrupted (Ctrl-C/SIGTERM)."
            " Everything listens on loopback only."
        ),
    )
    p.add_argument("--config", metavar="FILE", help="TOML lab configuration (see docs/testing.md)")
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--port", type=int, metavar="N", help="port for every endpoint (default: free)")
    p.add_argument("--dns-port", type=int, metavar="N", help="UDP port of the DNS server")
    p.add_argument(
        "--show-secrets", action="store_true", help="print secret keys and tokens in full"
    )
    # For tests: stop after this many seconds instead of waiting for a signal.
    p.add_argument("--run-for", type=float, default=None, help=argparse.SUPPRESS)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build, start, describe, wait, stop."""
    import signal
    import sys
    import threading

    from privateapi.testing import load_config

    config = load_config(args.config)
    if args.port is not None:
        if not 0 <= args.port < 65536:
            raise _render.UsageError(f"--port {args.port} is not valid: expected 0 to 65535")
        config.port = args.port
    if args.dns_port is not None:
        if not 0 <= args.dns_port < 65536:
            raise _render.UsageError(
                f"--dns-port {args.dns_port} is not valid: expected 0 to 65535"
            )
        config.dns_port = args.dns_port
    gateway = config.build()
    stop = threading.Event()
    previous: dict[int, Any] = {}
    try:
        # Handlers first: a signal sent as soon as the description appears must stop us cleanly.
        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
        try:
            gateway.start()
        except OSError as exc:  # a port in use, or 443 without the privilege to bind it
            _render.error_line(f"privateapi lab: cannot listen: {exc.strerror or exc}")
            return _render.EXIT_FAILURE
        info = gateway.describe(show_secrets=args.show_secrets)
        if args.json:
            _render.emit_json(info)
        else:
            _print_text(info)
        sys.stdout.flush()
        # Event.wait() is woken by the signal handler (lock waits are interruptible on POSIX).
        stop.wait(args.run_for)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        gateway.close()
    _render.error_line("privateapi lab: stopped")
    return _render.EXIT_OK


def _print_text(info: dict[str, Any]) -> None:
    out = _render.console()
    dns = info["dns"]
    out.print(f"privateapi lab: {info['region']} account {info['account_id']} ({info['vpc_id']})")
    out.print(f"DNS server:  {dns['address']} port {dns['port']} (UDP and TCP)")
    out.print(f"CA bundle:   {info['ca_bundle']}")
    for ep in info["endpoints"]:
        state = "private DNS on" if ep["private_dns"] else "private DNS off"
        v6 = f" and [{ep['ipv6_address']}]:{ep['ipv6_port']}" if ep.get("ipv6_address") else ""
        out.print(
            f"endpoint {ep['id']}: {ep['address']}:{ep['port']}{v6} {ep['dns_name']} ({state})"
        )
    for api in info["apis"]:
        out.print("")
        mode = api.get("endpoint_access_mode")
        strict = f" endpoint access {mode}" if mode else ""
        out.print(
            f"API {api['id']} stages {', '.join(api['stages'])} auth {api['authorization']}{strict}"
        )
        for style, u in api["urls"].items():
            headers = " ".join(f"-H '{k}: {v}'" for k, v in u["headers"].items())
            out.print(f"  {style:14} {u['url']} {headers}".rstrip())
            out.print(f"  {'':14} connect to {u['connect_to']}; {u['curl']}")
    for dom in info["custom_domains"]:
        maps = ", ".join(f"/{k} -> {v}" for k, v in dom["mappings"].items())
        assoc = ", ".join(f"{k} {v}" for k, v in dom.get("associations", {}).items())
        out.print(f"custom domain {dom['name']}: {maps} (access associations: {assoc or 'none'})")
    out.print("")
    for cred in info["credentials"]:
        line = f"credentials: {cred['access_key_id']} secret {cred['secret_access_key']}"
        if cred["session_token"]:
            line += f" token {cred['session_token']}"
        out.print(line + f" ({cred['arn']})")
    out.print("Press Ctrl-C to stop.")
