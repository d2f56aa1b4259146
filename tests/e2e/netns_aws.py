"""The control plane of the namespace's worlds: moto's server, AWS error stand-ins, IMDS.

Imported by ``netns_scenarios.py`` *inside* the throwaway namespace: moto listens on the
namespace's own 127.0.0.1, the stand-ins answer every AWS call with one error (moto cannot
be made to deny, throttle or answer garbage), and a fake IMDSv2 gives the doctor a host
address and a VPC (``FakeIMDS`` of the doctor tests). The doctor reaches all of them
with ``--endpoint-url`` and ``AWS_EC2_METADATA_SERVICE_ENDPOINT``, exactly as a user
points it at an interface endpoint, with the credentials in the environment.

The VPCs, endpoints and APIs are seeded with ``tests/_moto.py`` (moto's gaps are worked
around there), as in ``tests/doctor/test_doctor_aws.py``.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The doctor tests' IMDSv2 fake (on 127.0.0.1, here the namespace's own) serves this too.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "doctor"))
from doctor_lab import FakeIMDS

from tests._moto import ALLOW_ALL, DENY_ALL, REGION, Moto

__all__ = [
    "ALLOW_ALL",
    "CREDENTIALS",
    "DENY_ALL",
    "FakeIMDS",
    "Moto",
    "Refusal",
    "aws_answering",
    "ec2_metadata",
    "moto_server",
]

#: What the doctor's environment needs to call the namespace's moto.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@contextlib.contextmanager
def moto_server(port: int = 5000) -> Iterator[Moto]:
    """moto on the namespace's 127.0.0.1:``port``, with clients to seed it."""
    import logging

    import botocore.session
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    srv = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    srv.start()
    url = f"http://127.0.0.1:{port}"
    session = botocore.session.get_session()
    kw = {
        "region_name": REGION,
        "endpoint_url": url,
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    }
    try:
        yield Moto(
            url=url,
            ec2=session.create_client("ec2", **kw),
            apigw=session.create_client("apigateway", **kw),
        )
    finally:
        srv.stop()


@dataclass(frozen=True)
class Refusal:
    """One error every AWS API answers: ``code`` in each protocol's own error format."""

    status: int
    code: str
    message: str = "no"


@contextlib.contextmanager
def aws_answering(answer: Refusal | bytes, port: int) -> Iterator[str]:
    """An endpoint URL where every AWS call gets ``answer`` (an error, or these bytes as HTML).

    STS and EC2 speak the query protocol (a form body with ``Action=``) and get XML in
    their own shapes; API Gateway (REST-JSON) gets JSON with ``x-amzn-ErrorType``.
    """

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {"x-amzn-RequestId": "00000000-0000-0000-0000-000000000000"}
            if isinstance(answer, bytes):
                status, kind, out = 200, "text/html", answer
            elif b"Version=2016-11-15" in body:  # EC2
                status, kind = answer.status, "text/xml"
                out = (
                    f"<Response><Errors><Error><Code>{answer.code}</Code><Message>"
                    f"{answer.message}</Message></Error></Errors><RequestID>1</RequestID>"
                    "</Response>"
                ).encode()
            elif b"Action=" in body:  # STS
                status, kind = answer.status, "text/xml"
                out = (
                    f"<ErrorResponse><Error><Type>Sender</Type><Code>{answer.code}</Code>"
                    f"<Message>{answer.message}</Message></Error><RequestId>1</RequestId>"
                    "</ErrorResponse>"
                ).encode()
            else:
                status, kind = answer.status, "application/json"
                out = json.dumps({"message": answer.message}).encode()
                headers["x-amzn-ErrorType"] = answer.code
            self.send_response(status)
            self.send_header("Content-Type", kind)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        do_GET = do_POST = do_PATCH = do_PUT = _answer  # noqa: N815 - http.server's names

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.shutdown()
        srv.server_close()


def ec2_metadata(vpc: str, local_ipv4: str = "10.0.1.25") -> dict[str, str]:
    """An instance in ``vpc`` at ``local_ipv4`` (10.0.1.0/24: the first subnet)."""
    mac = "0a:00:00:00:00:01"
    net = f"network/interfaces/macs/{mac}"
    return {
        "placement/region": REGION,
        "placement/availability-zone": f"{REGION}a",
        "instance-id": "i-0123456789abcdef0",
        "local-ipv4": local_ipv4,
        "mac": mac,
        f"{net}/vpc-id": vpc,
        f"{net}/subnet-id": "subnet-0123456789abcdef0",
        f"{net}/vpc-ipv4-cidr-blocks": "10.0.0.0/16",
    }
