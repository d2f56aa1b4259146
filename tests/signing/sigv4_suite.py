"""Load the SigV4 conformance suites from ``<repo>/../shared/conformance/sigv4`` at test time.

The data is third-party (Apache-2.0) and is never copied into this repository. When it
is absent the case lists are empty and the tests that need it (marked
``conformance``) are reported NOT RUN, naming the path (``tests/shared_data.py``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
import shared_data

SUITE_ROOT = shared_data.CONFORMANCE / "sigv4"
BOTOCORE = SUITE_ROOT / "botocore-aws4_testsuite"
AWS_C_AUTH = SUITE_ROOT / "aws-c-auth-v4" / "v4"
#: The marker for a test that reads the suites (paths under ../shared/conformance).
NEEDS_SUITES = pytest.mark.conformance("sigv4/botocore-aws4_testsuite", "sigv4/aws-c-auth-v4/v4")

ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
REGION = "us-east-1"
SERVICE = "service"
AMZ_DATE = "20150830T123600Z"


def params(cases: list[Case]) -> list[Any]:
    """``cases`` as pytest params; one placeholder when the suites are missing.

    The placeholder keeps the test collected, so the ``conformance`` marker reports it
    NOT RUN instead of pytest's silent "empty parameter set".
    """
    if not cases:
        return [pytest.param(None, id="suite-missing")]
    return [pytest.param(c, id=c.id) for c in cases]


@dataclass
class Case:
    """One conformance case, parsed from its raw request."""

    suite: str
    name: str
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes
    token: str | None
    sign_body: bool
    expected_creq: str
    expected_sts: str
    expected_authz: str
    notes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.suite}:{self.name}"

    @property
    def raw_path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def raw_query(self) -> str:
        return self.target.partition("?")[2]

    @property
    def signed_names(self) -> list[str]:
        names = {n.lower() for n, _ in self.headers}
        return sorted(names)


def parse_request(raw: bytes) -> tuple[str, str, list[tuple[str, str]], bytes]:
    """Method, wire request target, headers (in order, folded lines joined) and body."""
    text = raw.decode("utf-8")
    head, sep, body = text.partition("\n\n")
    lines = head.split("\n")
    request_line = lines[0]
    method, _, rest = request_line.partition(" ")
    target = rest.rsplit(" ", 1)[0]  # the target may hold a raw space (get-space)
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        if line[0] in " \t" and headers:
            name, value = headers[-1]
            headers[-1] = (name, value + "\n" + line)
            continue
        name, _, value = line.partition(":")
        headers.append((name, value))
    return method, target, headers, body.encode("utf-8") if sep else b""


def _authz_from_signed(text: str) -> str:
    for line in text.splitlines():
        if line.lower().startswith("authorization:"):
            return line.partition(":")[2].strip()
    raise AssertionError("no Authorization line")


def botocore_cases() -> list[Case]:
    """Every botocore case, or none when the suite is missing."""
    if not BOTOCORE.is_dir():
        return []
    cases = []
    for req in sorted(BOTOCORE.rglob("*.req")):
        base = req.with_suffix("")
        name = str(base.parent.relative_to(BOTOCORE))
        method, target, headers, body = parse_request(req.read_bytes())
        creq = base.with_suffix(".creq").read_text("utf-8")
        sreq = base.with_suffix(".sreq").read_text("utf-8")
        token = None
        for line in sreq.splitlines():
            if line.lower().startswith("x-amz-security-token:"):
                token = line.partition(":")[2].strip()
        headers = [(n, v) for n, v in headers if n.lower() != "x-amz-security-token"]
        notes = []
        if token and "x-amz-security-token" not in creq.split("\n\n")[-1]:
            # post-sts-header-after: the token is added after signing (not signed).
            notes.append("token-after")
            token = None
        cases.append(
            Case(
                "botocore",
                name,
                method,
                target,
                headers,
                body,
                token,
                False,
                creq,
                base.with_suffix(".sts").read_text("utf-8"),
                base.with_suffix(".authz").read_text("utf-8").strip(),
                notes,
            )
        )
    return cases


def aws_c_auth_cases() -> list[Case]:
    """The plain and ``-normalized`` cases (``-unnormalized`` is S3 behaviour), or none."""
    if not AWS_C_AUTH.is_dir():
        return []
    cases = []
    for folder in sorted(p for p in AWS_C_AUTH.iterdir() if p.is_dir()):
        if folder.name.endswith("-unnormalized"):
            continue
        ctx = json.loads((folder / "context.json").read_text("utf-8"))
        method, target, headers, body = parse_request((folder / "request.txt").read_bytes())
        headers.append(("X-Amz-Date", AMZ_DATE))
        token = ctx["credentials"].get("token")
        notes = []
        if ctx.get("omit_session_token"):
            notes.append("token-after")
            token = None
        cases.append(
            Case(
                "aws-c-auth",
                folder.name,
                method,
                target,
                headers,
                body,
                token,
                bool(ctx.get("sign_body")),
                (folder / "header-canonical-request.txt").read_text("utf-8"),
                (folder / "header-string-to-sign.txt").read_text("utf-8"),
                _authz_from_signed((folder / "header-signed-request.txt").read_text("utf-8")),
                notes,
            )
        )
    return cases
