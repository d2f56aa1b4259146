"""The pytest11 plugin: users write ``def test_x(private_api_gateway): ...`` with no conftest."""

from __future__ import annotations

import subprocess
import sys

import pytest

pytest_plugins = ["pytester"]


def test_fixture_in_a_fresh_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user="""
        from privateapi.testing import Route

        def test_call(private_api_gateway):
            gw = private_api_gateway
            api = gw.add_api(routes=[Route.static("GET", "/ping", json={"ok": True})],
                             endpoints=[gw.endpoint().id])
            for style in ("private_dns", "vpce_alias", "host_header", "api_id_header"):
                with gw.client(api.id, style) as client:
                    assert client.get("/ping").json() == {"ok": True}

        def test_factory(private_api_gateway_factory):
            a = private_api_gateway_factory(region="eu-west-1")
            b = private_api_gateway_factory()
            assert a.region == "eu-west-1" and b.port > 0
        """
    )
    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)


def test_plugin_import_is_light() -> None:
    code = (
        "import sys; import privateapi.testing.pytest_plugin; "
        "heavy = [m for m in ('trustme', 'httpx', 'dns', 'h11', 'privateapi.testing._gateway') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_lazy_exports() -> None:
    import privateapi.testing as t

    assert t.AsyncLocalGateway is t.LocalGateway
    assert "LocalGateway" in dir(t)
    with pytest.raises(AttributeError):
        _ = t.NoSuchThing  # type: ignore[attr-defined]


def test_fixtures_in_process(
    private_api_gateway: object, private_api_gateway_factory: object
) -> None:
    # The plugin and the package were imported before coverage started: reload them so
    # their module-level code is measured too (pytest keeps the fixtures it registered).
    import importlib

    import privateapi.testing
    import privateapi.testing.pytest_plugin

    importlib.reload(privateapi.testing)
    importlib.reload(privateapi.testing.pytest_plugin)
    from privateapi.testing import LocalGateway

    assert isinstance(private_api_gateway, LocalGateway)
    assert private_api_gateway.port > 0
    made = private_api_gateway_factory(region="ap-southeast-2")  # type: ignore[operator]
    assert made.region == "ap-southeast-2"
