"""``privateapi demo``: the doctor against a local private API Gateway, healthy and broken.

A newcomer without AWS sees real reports: the local gateway serves a healthy private
API and a few classic breakages on loopback, and the doctor diagnoses each through
real DNS, TCP, TLS and HTTP. Nothing leaves the machine.

The worlds live here, with the gateway (the library proper never imports
:mod:`privateapi.testing`); this is the one module of the package that uses the
doctor, through its public API only.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from privateapi.doctor import DoctorOptions, Report, run
from privateapi.testing._gateway import LocalGateway
from privateapi.testing._routes import Route

__all__ = ["DemoCase", "run_demo"]

_DENY_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyEveryone",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        }
    ],
}


@dataclass(frozen=True)
class DemoCase:
    """One scenario: what was set up, what the doctor should conclude, and its report."""

    name: str
    description: str
    expected_verdict: str
    expected_cause: str | None
    report: Report
    #: The access style "what would work" should find working, if the case shows one.
    expected_working: str | None = None

    @property
    def as_expected(self) -> bool:
        """Whether the doctor reached the expected verdict (and cause, when failing)."""
        if self.report.verdict != self.expected_verdict:
            return False
        if self.expected_working is not None and not any(
            a.style == self.expected_working for a in self.report.working
        ):
            return False
        if self.expected_cause is None:
            return True
        return any(r.cause == self.expected_cause for r in self.report.failed)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: the scenario plus the doctor's report."""
        return {
            "name": self.name,
            "description": self.description,
            "expected_verdict": self.expected_verdict,
            "expected_cause": self.expected_cause,
            "expected_working": self.expected_working,
            "as_expected": self.as_expected,
            "report": self.report.to_dict(),
        }


def _by_name(target: Any, port: int) -> Any:
    """The gateway's target connecting to its own name (resolved by the gateway's DNS) on
    the gateway's port: the doctor resolves the name the way a caller would."""
    return target.with_connect_to(f"{target.host}:{port}")


def run_demo(
    *, timeout: float = 2.0, on_case: Callable[[DemoCase], None] | None = None
) -> list[DemoCase]:
    """Start a local gateway, break it in classic ways, and run the doctor on each case."""
    if not 0 < timeout < float("inf"):
        from privateapi._errors import InvalidInputError

        raise InvalidInputError("timeout", timeout, "a positive number of seconds")
    cases: list[DemoCase] = []
    with LocalGateway(region="us-east-1") as gw:
        main_ep = gw.endpoint()
        # A second endpoint without private DNS and without an association: its
        # {api}-{vpce} alias does not exist.
        lone_ep = gw.add_vpc_endpoint(private_dns=False)
        # A third endpoint that presents the wrong certificate (a TLS-terminating box).
        bad_tls_ep = gw.add_vpc_endpoint(private_dns=False)
        gw.set_tls_mode("wrong-name", bad_tls_ep.id)
        routes = [Route.static("GET", "/", json={"hello": "from a private API"})]
        healthy = gw.add_api(routes=routes, endpoints=[main_ep.id])
        denied = gw.add_api(routes=routes, endpoints=[main_ep.id], policy=_DENY_ALL)
        creds = gw.credentials

        def options(**kw: Any) -> DoctorOptions:
            base: dict[str, Any] = {
                "resolver": gw.resolver,
                "use_system_resolver": False,
                "ca_bundle": str(gw.ca_bundle),
                "credentials": (creds.access_key_id, creds.secret_access_key),
                "no_aws": True,
                "imds": False,
                "timeout": timeout,
                "hosts_file": "/dev/null",
                "environ": {},
            }
            base.update(kw)
            return DoctorOptions(**base)

        scenarios: list[tuple[str, str, str, str | None, Any, DoctorOptions]] = [
            (
                "healthy",
                "A private API reached through its private DNS name, signed, allowed.",
                "pass",
                None,
                _by_name(gw.target(healthy.id, "private_dns"), gw.port),
                options(),
            ),
            (
                "policy-deny",
                "The resource policy denies everyone; the saved policy is evaluated too.",
                "fail",
                "http.explicit-deny",
                _by_name(gw.target(denied.id, "private_dns"), gw.port),
                options(policy=json.dumps(_DENY_ALL)),
            ),
            (
                "wrong-tls-name",
                "Something in front of the endpoint presents a certificate for another name.",
                "fail",
                "tls.name-mismatch",
                _by_name(gw.target(healthy.id, "api_id_header", vpce_id=bad_tls_ep.id), gw.port),
                options(),
            ),
            (
                "endpoint-not-associated",
                "The {api}-{vpce} alias of an endpoint the API was never associated with.",
                "fail",
                "dns.nxdomain",
                _alias(healthy.id, lone_ep.id, gw.region),
                options(),
            ),
            (
                "what-would-work",
                "Private DNS is off, so the API's name does not resolve; the doctor tries the"
                " other styles the facts allow and finds the {api}-{vpce} alias works.",
                "fail",
                "dns.nxdomain",
                _by_name(_private_name(healthy.id, main_ep.id, gw.region), gw.port),
                options(),
            ),
        ]
        working = {"what-would-work": "vpce_alias"}
        for name, description, verdict, cause, target, opts in scenarios:
            if name == "endpoint-not-associated":
                # With private DNS on, the endpoint's wildcard zone would answer the alias
                # too (routing it to the wrong endpoint); turned off, the alias of an
                # unassociated endpoint is NXDOMAIN, as in a VPC using the alias style.
                # It stays off for the cases after it ("what would work" relies on it).
                gw.set_private_dns(main_ep.id, False)
            report = run(target, opts)
            case = DemoCase(name, description, verdict, cause, report, working.get(name))
            cases.append(case)
            if on_case is not None:
                on_case(case)
    return cases


def _private_name(api_id: str, vpce_id: str, region: str) -> Any:
    """The API's private DNS name, with the endpoint id known (so the alias can be tried)."""
    from privateapi._styles import Style
    from privateapi._targets import InvokeTarget

    return InvokeTarget(
        Style.PRIVATE_DNS, api_id=api_id, region=region, stage="prod", vpce_id=vpce_id
    )


def _alias(api_id: str, vpce_id: str, region: str) -> Any:
    from privateapi._targets import InvokeTarget

    return InvokeTarget.vpce_alias(api_id=api_id, vpce_id=vpce_id, region=region, stage="prod")
