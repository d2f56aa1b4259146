"""Shared pieces of the admin tests: moto's vpce fix, set-up helpers, a fake AWS, a fake DNS.

Imported by ``conftest.py`` (the fixtures) and by the test modules. Everything listens on
127.0.0.1 only.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from typing import Any

REGION = "us-east-1"
ACCOUNT = "123456789012"
VPCE_A = "vpce-0123456789abcdef0"
VPCE_B = "vpce-0fedcba9876543210"
#: A loopback URL nothing listens on (port 9, discard): what AWS_ENDPOINT_URL points at.
DEAD_ENDPOINT = "http://127.0.0.1:9"


def install_vpce_patch_fix() -> Any:
    """Make moto apply the ``vpcEndpointIds`` add/remove patch operations.

    moto 5.2 is wrong here: ``update_rest_api`` with ``add``/``remove`` on
    ``/endpointConfiguration/vpcEndpointIds`` answers 200 and silently changes nothing
    (test-lab.md §3). AWS adds/removes the (comma-separated) ids without duplicates, so the
    patched model does exactly that and hands every other operation to moto unchanged. The
    server runs in this process, so patching the model class before ``start()`` is enough.
    """
    from moto.apigateway.models import RestAPI

    original = RestAPI.apply_patch_operations

    def apply_patch_operations(self: Any, ops: list[dict[str, Any]]) -> Any:
        rest = []
        for op in ops:
            if op.get("path") == "/endpointConfiguration/vpcEndpointIds" and op["op"] in (
                "add",
                "remove",
            ):
                ids = self.endpoint_configuration.setdefault("vpcEndpointIds", [])
                for v in [x.strip() for x in op.get("value", "").split(",") if x.strip()]:
                    if op["op"] == "add" and v not in ids:
                        ids.append(v)
                    elif op["op"] == "remove" and v in ids:
                        ids.remove(v)
            else:
                rest.append(op)
        return original(self, rest)

    apply_patch_operations.privateapi_fix = True  # type: ignore[attr-defined]
    RestAPI.apply_patch_operations = apply_patch_operations
    return original


@dataclass
class Moto:
    """A set-up helper talking to the moto server (the code under test makes its own clients)."""

    url: str
    client: Any

    def private_api(
        self,
        *,
        policy: dict[str, Any] | None = None,
        vpce_ids: list[str] | None = None,
        types: tuple[str, ...] = ("PRIVATE",),
        stage: str | None = None,
    ) -> str:
        config: dict[str, Any] = {"types": list(types)}
        if vpce_ids:
            config["vpcEndpointIds"] = vpce_ids
        kwargs: dict[str, Any] = {"name": "orders", "endpointConfiguration": config}
        if policy is not None:
            kwargs["policy"] = json.dumps(policy)
        api = self.client.create_rest_api(**kwargs)
        api_id = str(api["id"])
        root = api["rootResourceId"]
        self.client.put_method(
            restApiId=api_id, resourceId=root, httpMethod="GET", authorizationType="NONE"
        )
        self.client.put_integration(
            restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK"
        )
        if stage:
            self.client.create_deployment(restApiId=api_id, stageName=stage, description="first")
        return api_id

    def api(self, api_id: str) -> dict[str, Any]:
        return dict(self.client.get_rest_api(restApiId=api_id))


def vpce_policy(*vpce_ids: str, api_id: str = "*") -> dict[str, Any]:
    """The recommended shape: allow from the endpoints, deny everyone else."""
    resource = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowFromEndpoints",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": resource,
                "Condition": {"StringEquals": {"aws:SourceVpce": list(vpce_ids)}},
            },
            {
                "Sid": "DenyOthers",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "execute-api:Invoke",
                "Resource": resource,
                "Condition": {"StringNotEquals": {"aws:SourceVpce": list(vpce_ids)}},
            },
        ],
    }


@dataclass
class FakeAws:
    """A loopback HTTP server answering every request with one canned AWS error."""

    url: str
    status: int = 403
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""
    requests: list[tuple[str, str]] = field(default_factory=list)

    def answer(self, status: int, error_type: str, message: str) -> None:
        """Answer like API Gateway's control plane (rest-json): type header + JSON body."""
        self.status = status
        self.headers = {"x-amzn-ErrorType": error_type, "Content-Type": "application/json"}
        self.body = json.dumps({"message": message})


@dataclass
class Answer:
    """One canned HTTP answer of :class:`ScriptedAws`."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    #: seconds to wait before answering; ``float("inf")``: never answer (until closed)
    delay: float = 0.0


class ScriptedAws:
    """A loopback HTTP server giving its answers in order (the last one repeats).

    Unlike :class:`FakeAws` it can lie with a success: 200 with an HTML page, an empty
    body, text that is not JSON, a redirect; and it counts the requests it got.
    """

    def __init__(self, *answers: Answer) -> None:
        import http.server

        self.answers = list(answers)
        self.requests: list[tuple[str, str]] = []
        self.closed = threading.Event()
        state = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def _reply(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                state.requests.append((self.command, self.path))
                answer = state.answers[min(len(state.requests), len(state.answers)) - 1]
                if answer.delay and state.closed.wait(min(answer.delay, 3600)):
                    return  # closed while stalling: answer nothing
                self.send_response(answer.status)
                for k, v in answer.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _reply  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.closed.set()
        self.server.shutdown()
        self.server.server_close()


def json_answer(document: Any, status: int = 200, delay: float = 0.0, **headers: str) -> Answer:
    """An answer like API Gateway's rest-json: a JSON body and its content type."""
    body = json.dumps(document).encode()
    return Answer(status, body, {"Content-Type": "application/json", **headers}, delay)


class StalledEndpoint:
    """A loopback port that completes TCP handshakes and never answers.

    It listens without ever accepting: the kernel accepts the connection into the backlog,
    the client sends its request and waits for an answer that never comes. Closing it
    resets the waiting connections.
    """

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self) -> None:
        self.sock.close()
