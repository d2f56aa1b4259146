"""The TOML lab configuration behind ``privateapi lab --config FILE``.

Everything wrong in a configuration is found when it is loaded, never per request:
:func:`load_config` and :meth:`LabConfig.from_dict` check the structure, then build the
(unstarted) gateway once, so every value goes through the same checks the Python API
makes. Every error names the key it is about (``apis[0].routes[1].method``), the value
found and what was expected, as a :class:`~privateapi.testing.LabConfigError` (an
``InvalidInputError``). The schema is documented in ``docs/testing.md``.

Example:
    >>> cfg = LabConfig.from_dict({"apis": [{"id": "a1b2c3d4e5"}]})
    >>> cfg.region, cfg.apis[0]["id"]
    ('us-east-1', 'a1b2c3d4e5')
"""

from __future__ import annotations

import contextlib
import json
import stat
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from privateapi._errors import InvalidInputError
from privateapi.testing._errors import LabConfigError
from privateapi.testing._limits import MAX_POLICY_FILE_BYTES

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
    "ip_address_type",
    "ipv6_address",
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
    "security_policy",
    "endpoint_access_mode",
}
_ROUTE = {"method", "path", "status", "body", "json", "headers", "authorization", "throttle"}
_DOMAIN = {
    "name",
    "endpoints",
    "associations",
    "mappings",
    "policy",
    "policy_file",
    "domain_name_id",
    "security_policy",
    "endpoint_access_mode",
}
#: A lab configuration larger than this is not one a person wrote.
_MAX_CONFIG_BYTES = 4 * 1024 * 1024
#: How deep a policy (or a route's JSON) may nest: real policies are four or five levels.
_MAX_DEPTH = 32
#: The library's field names, as the config calls them.
_RENAMES = {"vpce_id": "id", "api_id": "id", "stage": "stages"}
_PREFIXES = ("api.", "endpoint.", "custom_domain.", "credentials.", "route.", "fault.")


def _fault_keys() -> set[str]:
    # A [[faults]] table holds a Fault's fields and its scope's TOML keys: read from the
    # dataclasses themselves, so a new fault field is a new config key with nothing to copy.
    from privateapi.testing._faults import Fault, FaultScope

    return {f.name for f in fields(Fault)} | set(FaultScope.toml_keys())


@contextlib.contextmanager
def _at(where: str) -> Iterator[None]:
    """Name the config key in the library's input errors (``vpce_id`` → ``endpoints[1].id``)."""
    try:
        yield
    except InvalidInputError as exc:
        name = exc.field
        if "[" in name or name.startswith(where):
            raise  # already names a config key
        for prefix in _PREFIXES:
            name = name.removeprefix(prefix)
        name = _RENAMES.get(name, name)
        expected = exc.expected
        value = exc.value
        raise LabConfigError(f"{where}.{name}", value, expected) from None


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


def _flag(table: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise LabConfigError(f"{where}.{key}", value, "true or false")
    return value


def _strings(table: Mapping[str, Any], key: str, where: str, expected: str) -> list[str] | None:
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LabConfigError(f"{where}.{key}", value, expected)
    return value


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iterative: a hostile document cannot recurse us)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if deepest > _MAX_DEPTH:
            return deepest
        if isinstance(item, Mapping):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def _shallow(value: Any, where: str) -> Any:
    if _depth(value) > _MAX_DEPTH:
        raise LabConfigError(where, "<deeply nested>", f"at most {_MAX_DEPTH} levels of nesting")
    return value


def _read_policy_file(path: Path, where: str) -> Any:
    """A JSON policy from a regular file of at most :data:`MAX_POLICY_FILE_BYTES`."""
    try:
        info = path.stat()
    except OSError as exc:
        raise LabConfigError(
            where, str(path), f"a readable JSON policy file ({exc.strerror})"
        ) from None
    if not stat.S_ISREG(info.st_mode):
        # /dev/zero, a FIFO or a directory would read forever or not at all
        raise LabConfigError(where, str(path), "a regular file holding a JSON policy")
    try:
        with path.open("rb") as f:
            data = f.read(MAX_POLICY_FILE_BYTES + 1)
    except OSError as exc:
        raise LabConfigError(
            where, str(path), f"a readable JSON policy file ({exc.strerror})"
        ) from None
    if len(data) > MAX_POLICY_FILE_BYTES:
        raise LabConfigError(
            where, str(path), f"a policy file of at most {MAX_POLICY_FILE_BYTES:,} bytes"
        )
    try:
        return _shallow(json.loads(data.decode("utf-8")), where)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise LabConfigError(where, str(path), f"a JSON policy file ({exc})") from None


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
        """Validate a decoded TOML document: its structure, then every value.

        The values are checked by building the gateway once (nothing is bound or
        started), so a configuration that loads is one that builds.
        """
        data = _table(data, "(top level)")
        _keys(data, _TOP, "")
        gw = _table(data.get("gateway", {}), "gateway")
        _keys(gw, _GATEWAY, "gateway")
        cfg = cls(base_dir=base_dir or Path.cwd())
        cfg._read_gateway(gw)
        cfg._read_tables(data)
        cfg.build().close()
        return cfg

    def _read_gateway(self, gw: Mapping[str, Any]) -> None:
        for key in ("region", "account_id", "vpc_id", "first_address"):
            value = _typed(gw, key, str, "gateway", "a string")
            if value is not None:
                setattr(self, key, value)
        for key in ("port", "dns_port"):
            value = _typed(gw, key, int, "gateway", "a port number (0 for ephemeral)")
            if value is not None:
                if not 0 <= value < 65536:
                    raise LabConfigError(f"gateway.{key}", value, "a port number from 0 to 65535")
                setattr(self, key, value)

    def _read_tables(self, data: Mapping[str, Any]) -> None:
        for i, ep in enumerate(_tables(data, "endpoints", "")):
            _keys(ep, _ENDPOINT, f"endpoints[{i}]")
            self.endpoints.append(dict(ep))
        for i, cr in enumerate(_tables(data, "credentials", "")):
            _keys(cr, _CREDS, f"credentials[{i}]")
            for key in ("access_key_id", "secret_access_key"):
                if not isinstance(cr.get(key), str):
                    raise LabConfigError(f"credentials[{i}].{key}", cr.get(key), "a string")
            self.credentials.append(dict(cr))
        for i, api in enumerate(_tables(data, "apis", "")):
            _keys(api, _API, f"apis[{i}]")
            routes = _tables(api, "routes", f"apis[{i}].")
            for j, route in enumerate(routes):
                _keys(route, _ROUTE, f"apis[{i}].routes[{j}]")
            self.apis.append(dict(api))
        for i, dom in enumerate(_tables(data, "custom_domains", "")):
            _keys(dom, _DOMAIN, f"custom_domains[{i}]")
            self.custom_domains.append(dict(dom))
        keys = _fault_keys()
        for i, fault in enumerate(_tables(data, "faults", "")):
            _keys(fault, keys, f"faults[{i}]")
            self.faults.append(dict(fault))

    # -- building -------------------------------------------------------------------------------

    def _policy(self, table: Mapping[str, Any], where: str, endpoint_ids: list[str]) -> Any:
        """``policy`` (inline table, JSON text or a shortcut) or ``policy_file``."""
        from privateapi.testing._registry import DEFAULT, allow_endpoints_policy

        if "policy_file" in table:
            return self._policy_file(table, where)
        value = table.get("policy", "allow-all")  # no policy: the default one
        if value == "allow-all":
            return DEFAULT
        if value == "none":
            return None
        if value == "allow-endpoints":
            return allow_endpoints_policy(*endpoint_ids)
        if isinstance(value, Mapping):
            return dict(_shallow(value, f"{where}.policy"))
        if isinstance(value, str) and value.lstrip().startswith("{"):
            return _json_policy(value, where)
        raise LabConfigError(
            f"{where}.policy",
            value,
            "a policy table, JSON text, or one of 'allow-all', 'allow-endpoints', 'none'",
        )

    def _policy_file(self, table: Mapping[str, Any], where: str) -> Any:
        if "policy" in table:
            raise LabConfigError(
                f"{where}.policy_file", table["policy_file"], "policy or policy_file, not both"
            )
        name = table["policy_file"]
        if not isinstance(name, str) or not name:
            raise LabConfigError(f"{where}.policy_file", name, "a file name")
        return _read_policy_file(self.base_dir / name, f"{where}.policy_file")

    def build(self) -> LocalGateway:
        """The configured gateway, not yet started."""
        from privateapi.testing._gateway import LocalGateway

        with _at("gateway"):
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
            self._populate(gw)
        except BaseException:
            gw.close()
            raise
        return gw

    def _populate(self, gw: LocalGateway) -> None:
        names: dict[str, str] = {}
        if not self.endpoints:
            names["default"] = gw.add_vpc_endpoint().id
        for i, ep in enumerate(self.endpoints):
            self._endpoint(gw, ep, f"endpoints[{i}]", names)

        def endpoint_ref(ref: Any, where: str) -> str:
            if isinstance(ref, str):
                if ref in names:
                    return names[ref]
                if ref in names.values():
                    return ref
            raise LabConfigError(where, ref, "the name or id of an endpoint in [[endpoints]]")

        if self.credentials:
            gw.clear_credentials()
        for i, cr in enumerate(self.credentials):
            self._credentials(gw, cr, f"credentials[{i}]")
        for i, api in enumerate(self.apis):
            where = f"apis[{i}]"
            refs = _typed(api, "endpoints", list, where, "an array of endpoint names") or []
            eps = [endpoint_ref(r, f"{where}.endpoints[{j}]") for j, r in enumerate(refs)]
            self._api(gw, api, where, eps, list(names.values()))
        for i, dom in enumerate(self.custom_domains):
            self._domain(gw, dom, f"custom_domains[{i}]", endpoint_ref)
        api_ids = {a.id for a in gw.apis}
        for i, fl in enumerate(self.faults):
            self._fault(gw, fl, f"faults[{i}]", endpoint_ref, api_ids)

    def _endpoint(
        self, gw: LocalGateway, ep: Mapping[str, Any], where: str, names: dict[str, str]
    ) -> None:
        name = _typed(ep, "name", str, where, "a name for the endpoint")
        if name is not None and name in names:
            raise LabConfigError(f"{where}.name", name, "a name not used by another endpoint")
        policy = self._policy(ep, where, [])
        from privateapi.testing._registry import DEFAULT

        with _at(where):
            info = gw.add_vpc_endpoint(
                _typed(ep, "id", str, where, "a vpce id"),
                vpc_id=_typed(ep, "vpc_id", str, where, "a VPC id"),
                private_dns=_flag(ep, "private_dns", where, True),
                zones=_strings(ep, "zones", where, "an array of zone names"),
                policy=None if policy is DEFAULT else policy,
                address=_typed(ep, "address", str, where, "a loopback address"),
                inspect_authorization=_flag(ep, "inspect_authorization", where, False),
                ip_address_type=_typed(
                    ep, "ip_address_type", str, where, "ipv4, dualstack or ipv6"
                ),
                ipv6_address=_typed(ep, "ipv6_address", str, where, "an IPv6 address"),
            )
        if "tls_mode" in ep:
            with _at(where):
                gw.set_tls_mode(ep["tls_mode"], info.id)
        names[name or info.id] = info.id

    def _credentials(self, gw: LocalGateway, cr: Mapping[str, Any], where: str) -> None:
        expires = cr.get("expires")
        if isinstance(expires, str):
            try:
                expires = datetime.fromisoformat(expires.replace("Z", "+00:00"))
            except ValueError:
                raise LabConfigError(f"{where}.expires", expires, "an ISO 8601 date-time") from None
        if isinstance(expires, datetime) and expires.tzinfo is None:
            expires = expires.replace(tzinfo=UTC)
        if expires is not None and not isinstance(expires, datetime):
            raise LabConfigError(f"{where}.expires", expires, "a date-time")
        from privateapi.testing._registry import DEFAULT

        policy = self._policy(cr, where, []) if ("policy" in cr or "policy_file" in cr) else None
        with _at(where):
            gw.add_credentials(
                cr["access_key_id"],
                cr["secret_access_key"],
                session_token=_typed(cr, "session_token", str, where, "a string"),
                arn=_typed(cr, "arn", str, where, "an IAM ARN"),
                expires=expires,
                policy=None if policy is DEFAULT else policy,
            )

    def _api(
        self,
        gw: LocalGateway,
        api: Mapping[str, Any],
        where: str,
        eps: list[str],
        all_endpoints: list[str],
    ) -> None:
        routes = [
            self._route(r, f"{where}.routes[{j}]") for j, r in enumerate(api.get("routes", []))
        ]
        with _at(where):
            gw.add_api(
                _typed(api, "id", str, where, "a 10-character API id"),
                stages=_strings(api, "stages", where, "an array of stage names") or ["prod"],
                routes=routes or None,
                policy=self._policy(api, where, eps or all_endpoints),
                authorization=self._authorization(
                    api.get("authorization", "NONE"), f"{where}.authorization"
                ),
                endpoints=eps,
                endpoint_type=_typed(api, "endpoint_type", str, where, "PRIVATE, REGIONAL or EDGE")
                or "PRIVATE",
                throttle=self._throttle(api.get("throttle"), f"{where}.throttle"),
                disable_execute_api_endpoint=_flag(
                    api, "disable_execute_api_endpoint", where, False
                ),
                security_policy=_typed(api, "security_policy", str, where, "a security policy")
                or "TLS_1_2",
                endpoint_access_mode=_typed(
                    api, "endpoint_access_mode", str, where, "BASIC or STRICT"
                ),
            )

    def _domain(
        self, gw: LocalGateway, dom: Mapping[str, Any], where: str, endpoint_ref: Any
    ) -> None:
        mappings = _table(dom.get("mappings", {}), f"{where}.mappings")
        refs = _typed(dom, "endpoints", list, where, "an array of endpoint names") or []
        eps = [endpoint_ref(r, f"{where}.endpoints[{j}]") for j, r in enumerate(refs)]
        associations = _table(dom.get("associations", {}), f"{where}.associations")
        if not isinstance(dom.get("name"), str):
            raise LabConfigError(f"{where}.name", dom.get("name"), "a domain name")
        with _at(where):
            info = gw.add_custom_domain(
                dom["name"],
                mappings=dict(mappings),
                endpoints=eps,
                policy=self._policy(dom, where, eps),
                domain_name_id=_typed(dom, "domain_name_id", str, where, "a string"),
                security_policy=_typed(dom, "security_policy", str, where, "a security policy")
                or "TLS_1_2",
                endpoint_access_mode=_typed(
                    dom, "endpoint_access_mode", str, where, "BASIC or STRICT"
                ),
            )
        for ref, state in associations.items():
            key = f"{where}.associations.{ref}"
            vid = endpoint_ref(ref, key)
            if state not in ("pending", "ready"):
                raise LabConfigError(key, state, "pending or ready")
            gw.associate_domain(info.name, vid, state=state)

    def _fault(
        self,
        gw: LocalGateway,
        fl: Mapping[str, Any],
        where: str,
        endpoint_ref: Any,
        api_ids: set[str],
    ) -> None:
        from privateapi.testing._faults import Fault, scope_from_table

        spec, scope = scope_from_table(fl, where)
        fault = Fault.from_dict(spec, where)
        if scope.vpce_id is not None:
            scope = replace(scope, vpce_id=endpoint_ref(scope.vpce_id, f"{where}.vpce"))
        if scope.api_id is not None and scope.api_id not in api_ids:
            raise LabConfigError(f"{where}.api", scope.api_id, "the id of an API in [[apis]]")
        with _at(where):
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
        if (
            not isinstance(rate, int | float)
            or isinstance(rate, bool)
            or not rate >= 0
            or rate == float("inf")
        ):
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
        if "body" in table and "json" in table:
            raise LabConfigError(f"{where}.body", table["body"], "either body or json, not both")
        if "body" in table and not isinstance(table["body"], str):
            raise LabConfigError(f"{where}.body", table["body"], "a string")
        with _at(where):
            if any(k in table for k in ("status", "body", "json", "headers")):
                status = _typed(table, "status", int, where, "an HTTP status from 200 to 599")
                headers = _table(table.get("headers", {}), f"{where}.headers")
                route = Route.static(
                    method,
                    path,
                    200 if status is None else status,
                    body=table.get("body", ""),
                    json=_shallow(table.get("json"), f"{where}.json"),
                    headers=dict(headers),
                    authorization=auth,
                )
            else:
                route = Route(method, path, authorization=auth)
        if throttle is not None:
            route = replace(route, throttle=throttle)
        return route


def load_config(path: str | Path | None = None) -> LabConfig:
    """Read and check a TOML lab configuration (``None``: the built-in default lab)."""
    if path is None:
        return LabConfig.from_dict(DEFAULT_CONFIG)
    p = Path(path)
    try:
        info = p.stat()
        if not stat.S_ISREG(info.st_mode):
            raise LabConfigError("config", str(p), "a regular file (TOML)")
        with p.open("rb") as f:
            raw = f.read(_MAX_CONFIG_BYTES + 1)
        if len(raw) > _MAX_CONFIG_BYTES:
            raise LabConfigError("config", str(p), f"a file of at most {_MAX_CONFIG_BYTES:,} bytes")
        text = raw.decode("utf-8")
    except OSError as exc:
        raise LabConfigError("config", str(p), f"a readable TOML file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise LabConfigError("config", str(p), "a UTF-8 text file (TOML)") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LabConfigError("config", str(p), f"valid TOML ({exc})") from None
    except RecursionError:
        raise LabConfigError("config", str(p), "TOML nested less deeply") from None
    return LabConfig.from_dict(data, base_dir=p.parent)


def _json_policy(value: str, where: str) -> str:
    """Inline JSON policy text, checked for depth; kept as text for the policy parser."""
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        return value  # the policy parser names what is wrong with the JSON
    _shallow(decoded, f"{where}.policy")
    return value
