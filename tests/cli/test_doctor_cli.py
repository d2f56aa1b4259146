"""``privateapi doctor`` in-process: exit codes 0/1/2/3, JSON, rendering, --list-checks."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from privateapi_cli.main import main

DENY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        }
    ],
}


@pytest.fixture
def gw(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from privateapi.testing import LocalGateway

    with LocalGateway() as g:
        ep = g.endpoint()
        g.add_api(endpoints=[ep.id])
        c = g.credentials
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", c.access_key_id)
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", c.secret_access_key)
        yield g


def _lab_args(g: Any, *extra: str, style: str = "private_dns") -> list[str]:
    t = g.target(g.apis[0].id, style)
    host, port = g.resolver
    args = ["doctor", t.base_url]
    for k, v in t.headers.items():
        args += ["-H", f"{k}: {v}"]
    return [
        *args,
        "--resolver",
        f"{host}:{port}",
        "--no-system-resolver",
        "--port",
        str(g.port),
        "--ca-bundle",
        str(g.ca_bundle),
        "--no-aws",
        "--timeout",
        "1",
        *extra,
    ]


def test_healthy_exit_0_human(gw: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A healthy API: exit 0, grouped glyph + word lines, a PASS verdict with counts."""
    assert main(_lab_args(gw)) == 0
    out = capsys.readouterr().out
    assert "✔ PASS" in out
    assert "DNS" in out and "TLS" in out and "HTTP probe" in out
    last = [ln for ln in out.splitlines() if ln.strip()][-1]
    assert last.startswith("PASS") and "passed" in last and "failed" in last


def test_every_style_from_the_cli(gw: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """URL + -H for the endpoint-DNS styles."""
    for style in ("vpce_alias", "host_header", "api_id_header"):
        assert main(_lab_args(gw, style=style)) == 0, style
    capsys.readouterr()


def test_failure_exit_1_json_one_document(gw: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A denied call: exit 1 and exactly one JSON document with the issue's shape."""
    gw.set_policy(gw.apis[0].id, DENY)
    assert main([*_lab_args(gw), "--json"]) == 1
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    assert doc["version"] == 1
    assert doc["verdict"] == "fail"
    assert set(doc["target"]) >= {"style", "url", "server_name"}
    for c in doc["checks"]:
        assert set(c) >= {"id", "status", "summary", "cause", "evidence", "hint"}
    probe = next(c for c in doc["checks"] if c["id"] == "http.probe")
    assert probe["cause"] == "http.explicit-deny"
    assert captured.err == ""  # not a TTY: no progress line


def test_failing_cause_and_fix_in_summary(gw: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """The summary names the failing check, cause and fix; ASCII glyphs with --ascii."""
    gw.set_policy(gw.apis[0].id, DENY)
    assert main([*_lab_args(gw), "--ascii"]) == 1
    out = capsys.readouterr().out
    summary = out.split("Summary", 1)[1]
    assert "x FAIL  http.probe: http.explicit-deny" in summary
    assert "fix:" in summary
    assert "✔" not in out and "✘" not in out
    assert "+ PASS" in out


def test_verbose_shows_signing_redacted(gw: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """-v prints evidence: the canonical request and string to sign, no signature."""
    assert main([*_lab_args(gw), "-v"]) == 0
    out = capsys.readouterr().out
    assert "canonical_request:" in out
    assert "AWS4-HMAC-SHA256" in out
    assert "Signature=<redacted>" in out
    assert gw.credentials.secret_access_key not in out


def test_colour_rules(
    gw: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No ANSI off-terminal; --color forces it; NO_COLOR wins over FORCE_COLOR."""
    assert main(_lab_args(gw)) == 0
    assert "\x1b[" not in capsys.readouterr().out
    assert main([*_lab_args(gw), "--color"]) == 0
    assert "\x1b[" in capsys.readouterr().out
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert main([*_lab_args(gw), "--no-color"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[3" not in out  # no colours (bold may remain)


def test_nxdomain_exit_1(gw: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """An API name the VPC resolver does not know: dns.nxdomain, exit 1, the rest skipped."""
    host, port = gw.resolver
    gw.set_private_dns(gw.endpoint().id, False)
    rc = main(
        [
            "doctor",
            "--api-id",
            gw.apis[0].id,
            "--region",
            "us-east-1",
            "--stage",
            "prod",
            "--resolver",
            f"{host}:{port}",
            "--no-system-resolver",
            "--no-aws",
            "--json",
        ]
    )
    assert rc == 1
    doc = json.loads(capsys.readouterr().out)
    assert doc["checks"][4]["cause"] == "dns.nxdomain"
    assert doc["not_checked"] == ["tcp.connect", "tls.handshake", "http.probe"]


@pytest.mark.parametrize(
    "argv",
    [
        ["doctor"],
        ["doctor", "--api-id", "a1b2c3d4e5"],
        [
            "doctor",
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
            "--resolver",
            "dns.example",
        ],
        [
            "doctor",
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
            "--resolver",
            "1.2.3.4:99999",
        ],
        [
            "doctor",
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
            "--no-system-resolver",
        ],
        ["doctor", "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod", "--timeout", "0"],
        ["doctor", "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod", "-H", "nocolon"],
        [
            "doctor",
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
            "--check",
            "nope",
        ],
        [
            "doctor",
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
            "--policy",
            "/nonexistent",
        ],
        [
            "doctor",
            "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
            "--ca-bundle",
            "/nonexistent",
        ],
        ["doctor", "http://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"],
        ["doctor", "--api-id", "bad", "--region", "us-east-1", "--stage", "prod"],
        ["doctor", "--bogus-flag"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Bad input: exit 2 with one line on stderr, before any network step."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.strip() and "Traceback" not in err


def test_internal_error_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A bug in the doctor: exit 3, no traceback."""
    import privateapi.doctor

    def boom(*a: Any, **k: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(privateapi.doctor, "run", boom)
    rc = main(["doctor", "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod", "--no-aws"])
    assert rc == 3
    assert "internal error" in capsys.readouterr().err


def test_list_checks(capsys: pytest.CaptureFixture[str]) -> None:
    """--list-checks lists every check (and --json lists them as data)."""
    assert main(["doctor", "--list-checks"]) == 0
    out = capsys.readouterr().out
    assert "tls.handshake" in out and "(needs tcp.connect)" in out
    assert main(["doctor", "--list-checks", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {c["id"] for c in doc} >= {"dns.lookup", "http.probe", "policy.evaluate"}
    assert main(["doctor", "--list-checks", "--check", "tls.handshake", "--json"]) == 0
    assert [c["id"] for c in json.loads(capsys.readouterr().out)] == [
        "dns.lookup",
        "tcp.connect",
        "tls.handshake",
    ]


def test_check_subset_runs_prerequisites(gw: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """--check tls.handshake runs dns and tcp too; without the probe the verdict is fail."""
    assert main([*_lab_args(gw), "--check", "tls.handshake", "--json"]) == 1
    doc = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in doc["checks"]] == ["dns.lookup", "tcp.connect", "tls.handshake"]
    assert all(c["status"] == "pass" for c in doc["checks"])
    assert doc["not_checked"] == ["http.probe"]


def test_target_from_ids(capsys: pytest.CaptureFixture[str]) -> None:
    """--api-id/--region/--stage with --vpce-id / --vpce-dns / --domain pick the style."""
    from privateapi_cli.commands.doctor import build_target
    from privateapi_cli.main import build_parser

    def target(*a: str) -> Any:
        return build_target(build_parser().parse_args(["doctor", *a]))

    ids = ["--api-id", "a1b2c3d4e5", "--region", "us-east-1", "--stage", "prod"]
    assert str(target(*ids).style) == "private_dns"
    assert str(target(*ids, "--vpce-id", "vpce-0123456789abcdef0").style) == "vpce_alias"
    vdns = "vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com"
    assert str(target(*ids, "--vpce-dns", vdns).style) == "api_id_header"
    assert str(target(*ids, "--vpce-dns", vdns, "--style", "host_header").style) == "host_header"
    assert (
        str(target("--domain", "api.example.internal", "--region", "us-east-1").style)
        == "custom_domain"
    )
    from privateapi_cli.commands.doctor import build_request

    request, known = build_request(
        build_parser().parse_args(
            [
                "doctor",
                "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod",
                "--vpce-id",
                "vpce-0123456789abcdef0",
                "--account-id",
                "123456789012",
                "--connect-to",
                "127.0.0.2:8443",
            ]
        )
    )
    assert known is not None and known.vpce_id == "vpce-0123456789abcdef0"
    assert known.account_id == "123456789012"
    assert request.connect_port == 8443 and request.server_name.startswith("a1b2c3d4e5.")


def test_help_imports_nothing_heavy() -> None:
    """`privateapi --help` imports neither botocore, httpx nor rich's console."""
    code = (
        "import sys\n"
        "from privateapi_cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = ('botocore', 'httpx', 'rich.console', 'dns.resolver')\n"
        "bad = [m for m in heavy if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "doctor" in out.stdout
    assert out.stdout.strip().splitlines()[-1] == "HEAVY="


def test_progress_only_on_a_terminal() -> None:
    """The live progress line exists only when stderr is a terminal."""
    import io

    from rich.console import Console

    from privateapi.doctor import Result, Status
    from privateapi_cli.commands.doctor import _Progress

    r = Result(check_id="dns.lookup", status=Status.PASS, summary="ok")
    tty = Console(file=io.StringIO(), force_terminal=True)
    with _Progress(tty, 2) as progress:
        progress(r)
    assert progress.done == 1 and progress._status is not None
    plain = Console(file=io.StringIO(), force_terminal=False)
    with _Progress(plain, 2) as progress:
        progress(r)
    assert progress._status is None
    assert plain.file.getvalue() == ""  # type: ignore[attr-defined]
