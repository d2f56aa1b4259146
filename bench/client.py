"""Sequential signed GETs against a loopback HTTPS server: req/s side by side.

Clients: privateapi.Client (signed, connect_to pinning, retries on) vs a raw unsigned
httpx.Client vs requests.Session + requests-aws4auth (signed). All speak TLS to the same
``http.server`` on 127.0.0.1 (keep-alive, ``disable_nagle_algorithm = True``; trustme
CA), interleaved in many short rounds (median shown, so load from other processes hits every
client alike), bounded to ~10 s in total. Loopback only. The client process's CPU time per
request is shown too: on a loaded machine it moves much less than req/s.

    .venv/bin/python bench/client.py [--requests N] [--rounds R] [--budget S]
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

API_HOST = "abcde12345.execute-api.us-east-1.amazonaws.com"
CREDS = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
BODY = b'{"ok":true}'  # 11 bytes


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # without it: Nagle + delayed ACK, ~40 ms per request
    signed = 0

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if "Signature=" in (self.headers.get("Authorization") or ""):
            Handler.signed += 1
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()
        self.wfile.write(BODY)


class TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, ctx: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.ctx = ctx

    def get_request(self) -> tuple[Any, Any]:
        sock, addr = self.socket.accept()
        return self.ctx.wrap_socket(sock, server_side=True), addr


def serve(cert_pem: bytes, key_pem: bytes, conn: Any) -> None:
    """Server process (its own GIL, like a real endpoint): report the port, serve, report count."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tmp = Path(tempfile.mkdtemp())
    (tmp / "cert.pem").write_bytes(cert_pem)
    (tmp / "key.pem").write_bytes(key_pem)
    ctx.load_cert_chain(tmp / "cert.pem", tmp / "key.pem")
    server = TLSServer(ctx)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    conn.send(server.server_address[1])
    conn.recv()  # until told to stop
    server.shutdown()
    server.server_close()
    conn.send(Handler.signed)


def run(args: argparse.Namespace) -> int:
    import multiprocessing

    import httpx
    import trustme

    import privateapi
    from privateapi._client import Client
    from privateapi._targets import InvokeTarget

    ca = trustme.CA()
    cert = ca.issue_cert(API_HOST, "localhost")
    client_ctx = ssl.create_default_context()
    ca.configure_trust(client_ctx)
    tmp = Path(tempfile.mkdtemp())
    ca_path = tmp / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_path))

    parent, child = multiprocessing.Pipe()
    proc = multiprocessing.get_context("fork").Process(
        target=serve,
        args=(
            b"".join(p.bytes() for p in cert.cert_chain_pems),
            cert.private_key_pem.bytes(),
            child,
        ),
        daemon=True,
    )
    proc.start()
    port = parent.recv()

    target = InvokeTarget.private_dns(
        "abcde12345", "us-east-1", "prod", connect_to=f"127.0.0.1:{port}"
    )
    ours = Client(target, credentials=CREDS, verify=client_ctx)
    raw = httpx.Client(verify=client_ctx)
    raw_url = f"https://localhost:{port}/prod/items?limit=10"

    clients: dict[str, Callable[[], Any]] = {
        "privateapi.Client (signed)": lambda: ours.get("/items?limit=10"),
        "httpx.Client (raw, unsigned)": lambda: raw.get(raw_url),
    }
    closers: list[Callable[[], None]] = [ours.close, raw.close]
    try:
        import requests
        from requests_aws4auth import AWS4Auth

        sess = requests.Session()
        sess.verify = str(ca_path)
        sess.auth = AWS4Auth(CREDS[0], CREDS[1], "us-east-1", "execute-api")
        clients["requests + requests-aws4auth (signed)"] = lambda: sess.get(
            raw_url, verify=str(ca_path)
        )
        closers.append(sess.close)
    except ImportError:
        print("note: requests / requests-aws4auth not installed, skipped", file=sys.stderr)

    try:
        results, cpu = _measure(clients, args)
    finally:
        for close in closers:
            close()
        parent.send("stop")
        signed = parent.recv()
        proc.join(5)

    print(
        f"privateapi {getattr(privateapi, '__version__', '?')}, python "
        f"{sys.version.split()[0]}; {args.requests} sequential GETs x {args.rounds} rounds, "
        f"TLS keep-alive to 127.0.0.1; signed requests seen by the server: {signed}"
    )
    _print_table(results, cpu)
    return 0


def _measure(
    clients: dict[str, Callable[[], Any]], args: argparse.Namespace
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Requests per second and CPU microseconds per request, per client and round."""
    results: dict[str, list[float]] = {name: [] for name in clients}
    cpu: dict[str, list[float]] = {name: [] for name in clients}
    started = time.monotonic()
    for send in clients.values():  # warm-up: connect, TLS handshake, credentials
        for _ in range(50):
            send().raise_for_status()
    for _round in range(args.rounds):
        for name, send in clients.items():
            if time.monotonic() - started > args.budget:
                break
            t0, c0 = time.perf_counter(), time.process_time()
            for _ in range(args.requests):
                send()
            results[name].append(args.requests / (time.perf_counter() - t0))
            cpu[name].append((time.process_time() - c0) / args.requests * 1e6)
    return results, cpu


def _print_table(results: dict[str, list[float]], cpu: dict[str, list[float]]) -> None:
    medians = {n: statistics.median(v) for n, v in results.items() if v}
    ours_rate = medians["privateapi.Client (signed)"]
    ours_cpu = statistics.median(cpu["privateapi.Client (signed)"])
    print(
        f"  {'client':42} {'req/s':>8} {'p10-p90':>14} {'privateapi / it':>16}"
        f" {'CPU us/req':>11} {'it / privateapi (CPU)':>22}"
    )
    for name, rate in sorted(medians.items(), key=lambda kv: -kv[1]):
        vals = sorted(results[name])
        spread = f"{vals[len(vals) // 10]:.0f}-{vals[(len(vals) * 9) // 10]:.0f}"
        used = statistics.median(cpu[name])
        print(
            f"  {name:42} {rate:8.0f} {spread:>14} {ours_rate / rate:15.2f}x"
            f" {used:11.0f} {used / ours_cpu:21.2f}x"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--budget", type=float, default=8.0, help="seconds for timed rounds")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
