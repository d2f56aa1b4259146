"""A local private API Gateway for tests: real DNS, TLS with SNI, AWS's routing and errors.

Importing this package is cheap: every name is loaded on first use, so the pytest
plugin (loaded by every pytest run where privateapi is installed) costs nothing.

Example:
    >>> from privateapi.testing import LocalGateway, Route
    >>> with LocalGateway() as gw:                                        # doctest: +SKIP
    ...     api = gw.add_api(routes=[Route.static("GET", "/ping", json={"ok": True})])
    ...     with gw.client(api.id, style="vpce_alias") as client:
    ...         client.get("/ping").json()
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from privateapi.testing._config import LabConfig, load_config
    from privateapi.testing._demo import DemoCase, run_demo
    from privateapi.testing._dns import DnsQuery
    from privateapi.testing._errors import LabConfigError
    from privateapi.testing._faults import Fault, FaultHandle, FaultKind, TlsMode
    from privateapi.testing._gateway import LocalGateway
    from privateapi.testing._gateway import LocalGateway as AsyncLocalGateway
    from privateapi.testing._pipeline import RequestRecord
    from privateapi.testing._policies import Unauthorized
    from privateapi.testing._registry import (
        DEFAULT_POLICY,
        ApiInfo,
        CustomDomainInfo,
        VpcEndpointInfo,
        allow_endpoints_policy,
    )
    from privateapi.testing._routes import LabRequest, LabResponse, Route
    from privateapi.testing._sigv4 import GatewayCredentials

__all__ = [
    "DEFAULT_POLICY",
    "ApiInfo",
    "AsyncLocalGateway",
    "CustomDomainInfo",
    "DemoCase",
    "DnsQuery",
    "Fault",
    "FaultHandle",
    "FaultKind",
    "GatewayCredentials",
    "LabConfig",
    "LabConfigError",
    "LabRequest",
    "LabResponse",
    "LocalGateway",
    "RequestRecord",
    "Route",
    "TlsMode",
    "Unauthorized",
    "VpcEndpointInfo",
    "allow_endpoints_policy",
    "load_config",
    "run_demo",
]

_EXPORTS: dict[str, str] = {
    "DEFAULT_POLICY": "_registry",
    "ApiInfo": "_registry",
    "CustomDomainInfo": "_registry",
    "LocalGateway": "_gateway",
    "AsyncLocalGateway": "_gateway",
    "RequestRecord": "_pipeline",
    "Unauthorized": "_policies",
    "VpcEndpointInfo": "_registry",
    "allow_endpoints_policy": "_registry",
    "DnsQuery": "_dns",
    "DemoCase": "_demo",
    "run_demo": "_demo",
    "Fault": "_faults",
    "FaultHandle": "_faults",
    "FaultKind": "_faults",
    "TlsMode": "_faults",
    "GatewayCredentials": "_sigv4",
    "LabConfig": "_config",
    "load_config": "_config",
    "LabConfigError": "_errors",
    "LabRequest": "_routes",
    "LabResponse": "_routes",
    "Route": "_routes",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'privateapi.testing' has no attribute {name!r}")
    if name == "AsyncLocalGateway":
        name = "LocalGateway"  # one class: `with` and `async with` both work
    value = getattr(importlib.import_module(f"privateapi.testing.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
