"""The TOML lab configuration behind ``privateapi lab --config FILE``.

Every error names the key it is about (``apis[0].routes[1].method``), the value found and
what was expected, as a :class:`~privateapi.testing.LabConfigError` (an
``InvalidInputError``). The schema is documented in ``docs/testing.md``.

Example:
    >>> cfg = LabConfig.from_dict({"apis": [{"id": "a1b2c3d4e5"}]})
    >>> cfg.region, cfg.apis[0]["id"]
    ('us-east-1', 'a1b2c3d4e5')
"""

from __future__ import annotations

import contextlib
import json
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privateapi._errors import InvalidInputError
from privateapi.testing._errors import LabConfigError

if TYPE_CHECKING:
    from privateapi.testing._gateway import LocalGateway
    from privateapi.testing._routes import Route

__all__ = ["DEFAULT_CONFIG", "LabConfig", "load_config"]

#: The built-in lab: one endpoint with private DNS and one healthy API.
DEFAULT_CONFIG: dict[str, Any] = {
    "gateway": {"region": "us-east-1", "account_id": "123456789012"},
    "endpoints": [{"name": "main", "id": "vpce-0123456789abcdef0", "private_dns": True}],
    "apis": [
        {
            "id": "a1b2c3d4e5",
            "stages": ["prod"],
            "endpoints": ["main"],
            "routes": [
                {"method": "GET", "path": "/ping", "json": {"message": "pong"}},
                {"method": "ANY", "path": "/{proxy+}"},
            ],
        }
    ],
}

_TOP = {"gateway", "endpoints", "credentials", "apis", "custom_domains", "faults"}
_GATEWAY = {"region", "account_id", "vpc_id", "port", "dns_port", "first_address"}
_ENDPOINT = {
    "inspect_authorization",
    "name",
    "id",
    "vpc_id",
    "private_dns",
    "zones",
    "policy",
    "policy_file",
    "tls_mode",
    "address",
}
_CREDS = {
    "access_key_id",
    "secret_access_key",
    "session_token",
    "arn",
    "expires",
    "policy",
    "policy_file",
}
_API = {
    "id",
    "stages",
    "authorization",
    "endpoints",
    "policy",
    "policy_file",
    "endpoint_type",
    "throttle",
    "routes",
    "disable_execute_api_endpoint",
}
_ROUTE = {"method", "path", "status", "body", "json", "headers", "authorization", "throttle"}
_DOMAIN = {"name", "endpoints", "mappings", "policy", "policy_file", "domain_name_id"}


def _fault_keys() -> set[str]:
    # A [[faults]] table holds a Fault's fields and its scope's TOML keys: read from the
    # dataclasses themselves, so a new fault field is a new config key with nothing to copy.
    from dataclasses import fields

    from privateapi.testing._faults import Fault, FaultScope

    return {f.name for f in fields(Fault)} | set(FaultScope.toml_keys())


@contextlib.contextmanager
def _at(where: str) -> Iterator[None]:
    """Name the config key in the library's own input errors (``vpce_id`` → ``endpoints[1].id``)."""
    try:
        yield
    except LabConfigError:
        raise
    except InvalidInputError as exc:
        key = {"vpce_id": "id", "api_id": "id"}.get(exc.field, exc.field)
        raise LabConfigError(f"{where}.{key}", exc.value, exc.expected) from None


def _table(value: Any, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise LabConfigError(where, value, "a table")
    return value


def _tables(data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise LabConfigError(f"{where}{key}", value, f"an array of tables ([[{key}]])")
    return [_table(v, f"{where}{key}[{i}]") for i, v in enumerate(value)]


def _keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in table:
        if key not in allowed:
            raise LabConfigError(
                f"{where}.{key}" if where else key,
                table[key],
                "one of the keys " + ", ".join(sorted(allowed)),
            )


def _typed(
    table: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str, expected: str
) -> Any:
    value = table.get(key)
    if value is not None and (
        not isinstance(value, kind) or (isinstance(value, bool) and kind is int)
    ):
        raise LabConfigError(f"{where}.{key}", value, expected)
    return value


@dataclass
class LabConfig:
    """A parsed lab configuration; :meth:`build` makes the (unstarted) gateway."""

    region: str = "us-east-1"
    account_id: str = "123456789012"
    vpc_id: str | None = None
    port: int = 0
    dns_port: int = 0
    first_address: str = "127.0.0.2"
    endpoints: list[dict[str, Any]] = field(default_factory=list)
    credentials: list[dict[str, Any]] = field(default_factory=list)
    apis: list[dict[str, Any]] = field(default_factory=list)
    custom_domains: list[dict[str, Any]] = field(default_factory=list)
    faults: list[dict[str, Any]] = field(default_factory=list)
    base_dir: Path = field(default_factory=Path.cwd)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base_dir: Path | None = None) -> LabConfig:
        """Validate the structure of a decoded TOML document."""
        data = _table(data, "(top level)")
        _keys(data, _TOP, "")
        gw = _table(data.get("gateway", {}), "gateway")
        _keys(gw, _GATEWAY, "gateway")
        cfg = cls(base_dir=base_dir or Path.cwd())
        for key in ("region", "account_id", "vpc_id", "first_address"):
            value = _typed(gw, key, str, "gateway", "a string")
            if value is not None:
                setattr(cfg, key, value)
        for key in ("port", "dns_port"):
            value = _typed(gw, key, int, "gateway", "a port number (0 for ephemeral)")
            if value is not None:
                if not 0 <= value < 65536:
                    raise LabConfigError(f"gateway.{key}", value, "a port number from 0 to 65535")
                setattr(cfg, key, value)
        for i, ep in enumerate(_tables(data, "endpoints", "")):
            _keys(ep, _ENDPOINT, f"endpoints[{i}]")
            cfg.endpoints.append(dict(ep))
        for i, cr in enumerate(_tables(data, "credentials", "")):
            _keys(cr, _CREDS, f"credentials[{i}]")
            for key in ("access_key_id", "secret_access_key"):
                if not isinstance(cr.get(key), str):
                    raise LabConfigError(f"credentials[{i}].{key}", cr.get(key), "a string")
            cfg.credentials.append(dict(cr))
        for i, api in enumerate(_tables(data, "apis", "")):
            _keys(api, _API, f"apis[{i}]")
            routes = _tables(api, "routes", f"apis[{i}].")
            for j, route in enumerate(routes):
                _keys(route, _ROUTE, f"apis[{i}].routes[{j}]")
            cfg.apis.append(dict(api))
        for i, dom in enumerate(_tables(data, "custom_domains", "")):
            _keys(dom, _DOMAIN, f"custom_domains[{i}]")
            cfg.custom_domains.append(dict(dom))
        for i, fault in enumerate(_tables(data, "faults", "")):
            _keys(fault, _fault_keys(), f"faults[{i}]")
            cfg.faults.append(dict(fault))
        return cfg

    # -- building -------------------------------------------------------------------------------

    def _policy(self, table: Mapping[str, Any], where: str, endpoint_ids: list[str]) -> Any:
        """``policy`` (inline table, JSON text or a shortcut) or ``policy_file``."""
        from privateapi.testing._registry import DEFAULT as _DEFAULT
        from privateapi.testing._registry import allow_endpoints_policy

        if "policy_file" in table:
            path = self.base_dir / str(table["policy_file"])
            try:
                return json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                raise LabConfigError(
                    f"{where}.policy_file", str(path), f"a readable JSON policy file ({exc})"
                ) from None
        if "policy" not in table:
            return _DEFAULT
        value = table["policy"]
        if value == "allow-all":
            return _DEFAULT
        if value == "none":
            return None
        if value == "allow-endpoints":
            return allow_endpoints_policy(*endpoint_ids)
        if isinstance(value, Mapping):
            return dict(value)
        if isinstance(value, str) and value.lstrip().startswith("{"):
            return value
        raise LabConfigError(
            f"{where}.policy",
            value,
            "a policy table, JSON text, or one of 'allow-all', 'allow-endpoints', 'none'",
        )

    def build(self) -> LocalGateway:
        """The configured gateway, not yet started."""
        from privateapi.testing._faults import Fault
        from privateapi.testing._gateway import LocalGateway
        from privateapi.testing._registry import DEFAULT as _DEFAULT

        gw = LocalGateway(
            self.region,
            self.account_id,
            vpc_id=self.vpc_id or "vpc-0a1b2c3d4e5f67890",
            port=self.port,
            dns_port=self.dns_port,
            first_address=self.first_address,
            default_endpoint=not self.endpoints,
        )
        try:
            self._populate(gw, Fault, _DEFAULT)
        except BaseException:
            gw.close()
            raise
        return gw

    def _populate(self, gw: LocalGateway, fault_cls: Any, default: Any) -> None:
        names: dict[str, str] = {}

        def endpoint_ref(ref: Any, where: str) -> str:
            if not isinstance(ref, str):
                raise LabConfigError(where, ref, "an endpoint name or id")
            if ref in names:
                return names[ref]
            if ref in names.values():
                return ref
            raise LabConfigError(where, ref, "the name or id of an endpoint in [[endpoints]]")

        if not self.endpoints:
            first = gw.add_vpc_endpoint()
            names["default"] = first.id
        for i, ep in enumerate(self.endpoints):
            where = f"endpoints[{i}]"
            zones = _typed(ep, "zones", list, where, "an array of zone names")
            policy = self._policy(ep, where, [])
            with _at(where):
                info = gw.add_vpc_endpoint(
                    _typed(ep, "id", str, where, "a vpce id"),
                    vpc_id=_typed(ep, "vpc_id", str, where, "a VPC id"),
                    private_dns=bool(ep.get("private_dns", True)),
                    zones=zones,
                    policy=None if policy is default else policy,
                    address=_typed(ep, "address", str, where, "a loopback address"),
                    inspect_authorization=bool(ep.get("inspect_authorization", False)),
                )
            if "tls_mode" in ep:
                gw.set_tls_mode(str(ep["tls_mode"]), info.id)
            names[str(ep.get("name", info.id))] = info.id
        if self.credentials:
            gw.clear_credentials()
        for i, cr in enumerate(self.credentials):
            where = f"credentials[{i}]"
            expires = cr.get("expires")
            if isinstance(expires, str):
                try:
                    expires = datetime.fromisoformat(expires.replace("Z", "+00:00"))
                except ValueError:
                    raise LabConfigError(
                        f"{where}.expires", expires, "an ISO 8601 date-time"
                    ) from None
            if isinstance(expires, datetime) and expires.tzinfo is None:
                expires = expires.replace(tzinfo=UTC)
            if expires is not None and not isinstance(expires, datetime):
                raise LabConfigError(f"{where}.expires", expires, "a date-time")
            policy = (
                self._policy(cr, where, []) if ("policy" in cr or "policy_file" in cr) else None
            )
            with _at(where):
                gw.add_credentials(
                    cr["access_key_id"],
                    cr["secret_access_key"],
                    session_token=_typed(cr, "session_token", str, where, "a string"),
                    arn=_typed(cr, "arn", str, where, "an IAM ARN"),
                    expires=expires,
                    policy=None if policy is default else policy,
                )
        for i, api in enumerate(self.apis):
            where = f"apis[{i}]"
            eps = [
                endpoint_ref(r, f"{where}.endpoints[{j}]")
                for j, r in enumerate(api.get("endpoints", []))
            ]
            routes = [
                self._route(r, f"{where}.routes[{j}]") for j, r in enumerate(api.get("routes", []))
            ]
            with _at(where):
                gw.add_api(
                    _typed(api, "id", str, where, "a 10-character API id"),
                    stages=_typed(api, "stages", list, where, "an array of stage names")
                    or ["prod"],
                    routes=routes or None,
                    policy=self._policy(api, where, eps or list(names.values())),
                    authorization=self._authorization(
                        api.get("authorization", "NONE"), f"{where}.authorization"
                    ),
                    endpoints=eps,
                    endpoint_type=str(api.get("endpoint_type", "PRIVATE")),
                    throttle=self._throttle(api.get("throttle"), f"{where}.throttle"),
                    disable_execute_api_endpoint=bool(
                        api.get("disable_execute_api_endpoint", False)
                    ),
                )
        for i, dom in enumerate(self.custom_domains):
            where = f"custom_domains[{i}]"
            mappings = _table(dom.get("mappings", {}), f"{where}.mappings")
            eps = [
                endpoint_ref(r, f"{where}.endpoints[{j}]")
                for j, r in enumerate(dom.get("endpoints", []))
            ]
            if not isinstance(dom.get("name"), str):
                raise LabConfigError(f"{where}.name", dom.get("name"), "a domain name")
            with _at(where):
                gw.add_custom_domain(
                    dom["name"],
                    mappings={str(k): str(v) for k, v in mappings.items()},
                    endpoints=eps,
                    policy=self._policy(dom, where, eps),
                    domain_name_id=_typed(dom, "domain_name_id", str, where, "a string"),
                )
        from dataclasses import asdict, replace

        from privateapi.testing._faults import scope_from_table

        for i, fl in enumerate(self.faults):
            where = f"faults[{i}]"
            spec, scope = scope_from_table(fl, where)
            fault = fault_cls.from_dict(spec, where)
            if scope.vpce_id is not None:
                scope = replace(scope, vpce_id=endpoint_ref(scope.vpce_id, f"{where}.vpce"))
            gw.add_fault(fault, **asdict(scope))

    @staticmethod
    def _authorization(value: Any, where: str) -> str:
        if value not in ("NONE", "AWS_IAM"):
            raise LabConfigError(
                where, value, "'NONE' or 'AWS_IAM' (authorizers need the Python API)"
            )
        return str(value)

    @staticmethod
    def _throttle(value: Any, where: str) -> tuple[float, int] | None:
        if value is None:
            return None
        table = _table(value, where)
        _keys(table, {"rate", "burst"}, where)
        rate, burst = table.get("rate"), table.get("burst")
        if not isinstance(rate, int | float) or isinstance(rate, bool) or rate < 0:
            raise LabConfigError(f"{where}.rate", rate, "requests per second (a number >= 0)")
        if not isinstance(burst, int) or isinstance(burst, bool) or burst < 1:
            raise LabConfigError(f"{where}.burst", burst, "an integer >= 1")
        return float(rate), burst

    def _route(self, table: Mapping[str, Any], where: str) -> Route:
        from privateapi.testing._routes import Route

        method = table.get("method", "ANY")
        path = table.get("path")
        if not isinstance(path, str):
            raise LabConfigError(f"{where}.path", path, "a resource path such as '/ping'")
        if not isinstance(method, str):
            raise LabConfigError(f"{where}.method", method, "an HTTP method")
        auth = (
            self._authorization(table["authorization"], f"{where}.authorization")
            if "authorization" in table
            else None
        )
        throttle = self._throttle(table.get("throttle"), f"{where}.throttle")
        try:
            if "body" in table and "json" in table:
                raise LabConfigError(
                    f"{where}.body", table["body"], "either body or json, not both"
                )
            if any(k in table for k in ("status", "body", "json", "headers")):
                status = _typed(table, "status", int, where, "an HTTP status") or 200
                headers = _table(table.get("headers", {}), f"{where}.headers")
                route = Route.static(
                    method,
                    path,
                    status,
                    body=str(table.get("body", "")),
                    json=table.get("json"),
                    headers={str(k): str(v) for k, v in headers.items()},
                    authorization=auth,
                )
            else:
                route = Route(method, path, authorization=auth)
        except LabConfigError as exc:
            raise LabConfigError(
                f"{where}.{exc.field.split('.')[-1]}", exc.value, exc.expected
            ) from None
        if throttle is not None:
            from dataclasses import replace

            route = replace(route, throttle=throttle)
        return route


def load_config(path: str | Path | None = None) -> LabConfig:
    """Read a TOML lab configuration (``None``: the built-in default lab)."""
    if path is None:
        return LabConfig.from_dict(DEFAULT_CONFIG)
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabConfigError("config", str(p), f"a readable TOML file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise LabConfigError("config", str(p), "a UTF-8 text file (TOML)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LabConfigError("config", str(p), f"valid TOML ({exc})") from None
    return LabConfig.from_dict(data, base_dir=p.parent)
