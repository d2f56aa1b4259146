"""What would work: the other styles, addresses and signing, in real LocalGateway worlds.

Every world is a local private API Gateway on loopback with its own DNS; the doctor
resolves through it (never the system resolver) and connects to 127.0.0.0/8 only.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterator
from typing import Any

import pytest
from _dnsstub import DnsStub
from doctor_lab import REGION, Lab, at_port

from privateapi import InvokeTarget, Style
from privateapi._errors import InvalidInputError
from privateapi.doctor import DoctorOptions, Report, run
from privateapi.doctor._alternatives import python_expression

STRICT_POLICY = "SecurityPolicy_TLS13_1_3_2025_09"
DENY_ALL: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "execute-api:Invoke", "Resource": "*"}
    ],
}


def _named(lab: Lab, **facts: Any) -> InvokeTarget:
    """The API's private DNS name, resolved by the doctor; only the gateway's port is pinned."""
    return at_port(
        InvokeTarget(Style.PRIVATE_DNS, api_id=lab.api_id, region=REGION, stage="prod", **facts),
        lab.gw.port,
    )


def _by_style(report: Report) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for alt in report.alternatives:
        out.setdefault(alt.style, []).append(alt)
    return out


def _causes(report: Report) -> set[str]:
    return {i.cause for i in report.inferences}


def test_alias_works_when_the_private_dns_name_fails(lab: Lab) -> None:
    """Private DNS off: the caller's name is NXDOMAIN, the {api}-{vpce} alias works."""
    lab.gw.set_private_dns(lab.vpce_id, False)
    target = _named(lab, vpce_id=lab.vpce_id)
    report = run(target, lab.options())
    assert report.verdict == "fail"
    assert report.result("dns.lookup") is not None
    assert report.result("dns.lookup").cause == "dns.nxdomain"  # type: ignore[union-attr]
    alias = _by_style(report)["vpce_alias"][0]
    assert alias.works and alias.cause is None and alias.status == 200
    assert alias.label == "the {api}-{vpce} alias"
    rebuilt = eval(alias.python, {"InvokeTarget": InvokeTarget})  # noqa: S307 - our own output
    # The same target, but for the test server's port that each name keeps for itself.
    assert rebuilt.restyle(rebuilt.style, connect_to=None) == target.restyle(
        "vpce_alias", connect_to=None
    )
    assert alias.request["url"].startswith(f"https://{lab.api_id}-{lab.vpce_id}.execute-api.")
    assert report.working == (alias,)
    doc = json.loads(json.dumps(report.to_dict()))
    assert [a["style"] for a in doc["alternatives"] if a["works"]] == ["vpce_alias"]


def test_strict_pattern_is_named_as_likely(lab: Lab) -> None:
    """STRICT: the endpoint name + header is refused, the API's own names work."""
    lab.gw.set_endpoint_access_mode("STRICT", api_id=lab.api_id, security_policy=STRICT_POLICY)
    target = lab.target("api_id_header")
    report = run(target, lab.options())
    assert report.verdict == "fail"
    styles = _by_style(report)
    assert styles["private_dns"][0].works and styles["vpce_alias"][0].works
    assert not styles["host_header"][0].works
    assert styles["host_header"][0].step == "http.probe"
    strict = [i for i in report.inferences if i.cause == "http.strict-access-mode"]
    assert len(strict) == 1 and strict[0].likely
    assert "likely STRICT" in strict[0].summary
    assert "the caller's call" in strict[0].basis
    from rich.console import Console

    from privateapi_cli.commands.doctor import render

    console = Console(record=True, width=400, no_color=True)
    render(report, console, verbose=False, ascii_only=True)
    text = console.export_text()
    assert "+  the private DNS name works: use InvokeTarget.private_dns(" in text
    assert "likely STRICT endpoint access mode" in text and "(http.strict-access-mode)" in text


def test_basic_mode_names_no_strict_cause(lab: Lab) -> None:
    """The same world in BASIC: every style works, so nothing points at STRICT."""
    lab.gw.set_endpoint_access_mode("BASIC", api_id=lab.api_id, security_policy=STRICT_POLICY)
    report = run(lab.target("api_id_header"), lab.options(alternatives=True))
    assert report.verdict == "pass"
    assert {a.style for a in report.working} >= {"private_dns", "vpce_alias", "host_header"}
    assert "http.strict-access-mode" not in _causes(report)


@pytest.fixture
def two_addresses(lab: Lab) -> Iterator[tuple[Lab, DnsStub, str, str]]:
    """The API's name resolves to two endpoint addresses; the first one fails TLS.

    (A certificate for another name: deterministic, unlike a stall, whose TCP connect
    may or may not be accepted under load.)
    """
    bad = lab.gw.add_vpc_endpoint(private_dns=False)
    good = lab.gw.endpoint(lab.vpce_id)
    lab.gw.set_tls_mode("wrong-name", bad.id)
    host = f"{lab.api_id}.execute-api.{REGION}.amazonaws.com."
    dns = DnsStub({host: {"A": [bad.address, good.address]}})
    try:
        yield lab, dns, bad.address, good.address
    finally:
        dns.close()


def test_one_address_down_is_a_warning_naming_it(
    two_addresses: tuple[Lab, DnsStub, str, str],
) -> None:
    """One AZ's address fails, the other works: a tcp.partial warning, not a failure.

    The resolver's answer order varies, so the caller's call may have used either
    address; both ways the report must warn, name the failing address and pass.
    """
    lab, dns, bad, good = two_addresses
    report = run(_named(lab), lab.options(resolver=dns.address, alternatives=True))
    by_address = {a.address: a for a in report.alternatives if a.kind == "address"}
    assert not by_address[bad].works and by_address[good].works
    assert by_address[bad].cause == "tls.name-mismatch"
    partial = [r for r in report.results if r.cause == "tcp.partial"]
    assert len(partial) == 1 and str(partial[0].status) == "warn"
    assert partial[0].check_id == "tls.handshake"
    assert bad in partial[0].summary and good in partial[0].summary
    probe = report.result("http.probe")
    assert probe is not None and probe.ok and good in probe.evidence["peer"]
    assert report.verdict == "pass"
    assert "tcp.partial" in _causes(report)


def test_partial_rule_proves_the_path_through_a_working_address() -> None:
    """The caller's call failed through the bad address: the good one's path stands in."""
    from privateapi.doctor._alternatives import Candidate, _partial, _partial_inference, _Tried
    from privateapi.doctor._context import fail, passed
    from privateapi.doctor._model import Status, with_timing

    target = InvokeTarget.private_dns("a1b2c3d4e5", REGION, "prod")

    def ok(cid: str, where: str) -> Any:
        return with_timing(passed(f"{cid} via {where}", {"via": where}), cid, 1.0)

    results = {
        "dns.lookup": ok("dns.lookup", "both"),
        "tcp.connect": ok("tcp.connect", "both"),
        "tls.handshake": with_timing(fail("tls.name-mismatch", "wrong name"), "tls.handshake", 1),
        "http.probe": with_timing(skip_result(), "http.probe", 0.0),
    }
    good = _Tried(
        Candidate("address", "address 10.0.1.5 (us-east-1a)", target, True, "10.0.1.5", "a"),
        tuple(
            ok(c, "10.0.1.5") for c in ("dns.lookup", "tcp.connect", "tls.handshake", "http.probe")
        ),
        3.0,
    )
    bad = _Tried(
        Candidate("address", "address 10.0.2.5", target, True, "10.0.2.5"),
        (*good.results[:2], results["tls.handshake"]),
        3.0,
    )
    alternatives = tuple(_alternative_for(t) for t in (good, bad))
    inferences = tuple(_partial_inference(alternatives))
    assert [i.cause for i in inferences] == ["tcp.partial"]
    assert "10.0.2.5 (tls.name-mismatch)" in inferences[0].summary
    assert "10.0.1.5 (us-east-1a)" in inferences[0].summary
    out = _partial(results, [good, bad], inferences)
    assert out["tls.handshake"].status is Status.WARN
    assert out["tls.handshake"].cause == "tcp.partial"
    assert out["tls.handshake"].evidence["original"]["cause"] == "tls.name-mismatch"
    assert out["http.probe"].evidence == {"via": "10.0.1.5"}
    assert _partial(results, [good], ()) == results  # no inference, no change


def skip_result() -> Any:
    from privateapi.doctor._context import skip

    return skip("not run: tls.handshake failed")


def _ctx(target: InvokeTarget, options: DoctorOptions) -> Any:
    """A doctor context for a caller who calls ``target`` as its client would."""
    from privateapi.doctor import CallerRequest
    from privateapi.doctor._context import Context

    return Context(CallerRequest.from_target(target), options, recognised=target)


def _alternative_for(tried: Any) -> Any:
    from privateapi.doctor._alternatives import _alternative

    ctx = _ctx(tried.candidate.target, DoctorOptions())
    return _alternative(ctx, tried.candidate, tried)


def test_every_address_down_stays_a_failure(
    two_addresses: tuple[Lab, DnsStub, str, str],
) -> None:
    """Both addresses fail: no partial rule, the verdict stays fail."""
    lab, dns, _bad, good = two_addresses
    lab.gw.set_tls_mode("wrong-name", lab.vpce_id)
    report = run(_named(lab), lab.options(resolver=dns.address, timeout=0.5))
    assert report.verdict == "fail"
    assert not any(a.works for a in report.alternatives if a.kind == "address")
    assert "tcp.partial" not in _causes(report)
    assert not [r for r in report.results if r.cause == "tcp.partial"]
    assert good


def test_signed_works_while_unsigned_gets_missing_token(lab: Lab) -> None:
    """An AWS_IAM method probed unsigned: the signed alternative works."""
    lab.gw.set_authorization(lab.api_id, "AWS_IAM")
    report = run(lab.target(), lab.options(sign=False))
    probe = report.result("http.probe")
    assert probe is not None and probe.cause == "http.missing-token"
    signing = [a for a in report.alternatives if a.kind == "signing"]
    assert len(signing) == 1
    assert signing[0].label == "signed" and signing[0].request["signed"] is True
    assert signing[0].works
    assert "http.missing-token" in _causes(report)
    # Unsigned through other styles still gets the same answer: only signing fixes it.
    assert all(not a.works for a in report.alternatives if a.kind == "style")


def test_nothing_works_says_so(lab: Lab) -> None:
    """A policy that denies everyone: every alternative fails, and the view says so."""
    from rich.console import Console

    from privateapi_cli.commands.doctor import render

    lab.gw.set_policy(lab.api_id, DENY_ALL)
    report = run(_named(lab, vpce_id=lab.vpce_id), lab.options())
    assert report.verdict == "fail"
    assert report.alternatives and report.working == ()
    assert all(a.cause == "http.explicit-deny" for a in report.alternatives)
    console = Console(record=True, width=200, no_color=True)
    render(report, console, verbose=False, ascii_only=True)
    text = console.export_text()
    assert "What would work" in text
    assert "nothing the known facts allow works" in text


def test_alternatives_never_change_a_passing_verdict(lab: Lab) -> None:
    """Asked always on a healthy call: a failing alternative does not fail the verdict."""
    # Never associated: its alias is caught by the main endpoint's private DNS wildcard,
    # which does not route it (403 Forbidden).
    lone = lab.gw.add_vpc_endpoint(private_dns=False)
    target = _named(lab, vpce_id=lone.id)
    report = run(target, lab.options(alternatives=True))
    assert report.verdict == "pass"
    alias = _by_style(report)["vpce_alias"][0]
    assert not alias.works and alias.cause == "http.wrong-endpoint"


def test_not_run_when_the_call_works_or_when_off(lab: Lab) -> None:
    """Default: only after a failure; False: never, even after one."""
    assert run(lab.target(), lab.options()).alternatives == ()
    lab.gw.set_private_dns(lab.vpce_id, False)
    target = _named(lab, vpce_id=lab.vpce_id)
    off = run(target, lab.options(alternatives=False))
    assert off.verdict == "fail" and off.alternatives == ()


def test_pinned_call_keeps_the_alternatives_pinned(lab: Lab) -> None:
    """A call pinned to an address: the other styles go to that address, no new lookups."""
    lab.gw.set_policy(lab.api_id, DENY_ALL)
    ep = lab.gw.endpoint(lab.vpce_id)
    target = _named(lab, vpce_id=lab.vpce_id)
    report = run(target.with_connect_to(ep.connect_to), lab.options())
    assert report.alternatives
    assert {a.request["connect_to"] for a in report.alternatives} == {ep.connect_to}


def test_options_refuse_a_non_boolean() -> None:
    """alternatives takes True, False or None, and says so."""
    with pytest.raises(InvalidInputError, match="alternatives"):
        DoctorOptions(alternatives="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "target",
    [
        InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod"),
        InvokeTarget.vpce_alias("a1b2c3d4e5", "eu-west-1", "v1", vpce_id="vpce-0123456789abcdef0"),
        InvokeTarget.api_id_header(
            "a1b2c3d4e5",
            "us-east-1",
            "prod",
            vpce_dns="vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com",
        ),
        InvokeTarget.host_header(
            "a1b2c3d4e5",
            "us-east-1",
            "prod",
            vpce_dns="vpce-0123456789abcdef0-ab12cd34-us-east-1a.execute-api.us-east-1.vpce.amazonaws.com",
            connect_to="127.0.0.2:8443",
        ),
        InvokeTarget.custom_domain("api.example.internal", base_path="v1", region="us-east-1"),
    ],
)
def test_python_expression_builds_the_same_target(target: InvokeTarget) -> None:
    """The expression shown to users evaluates to the target that was tried."""
    expr = python_expression(target)
    assert expr.startswith(f"InvokeTarget.{target.style}(")
    assert eval(expr, {"InvokeTarget": InvokeTarget}) == target  # noqa: S307 - our own output


def test_command_line_reproduces_the_request() -> None:
    """The CLI's invoke line carries the URL, headers, pinning and signing."""
    from privateapi_cli.commands._alternatives import command_line
    from privateapi_cli.main import build_parser

    request = {
        "url": "https://vpce-0123456789abcdef0-ab12cd34.execute-api.us-east-1.vpce.amazonaws.com/prod/",
        "method": "POST",
        "headers": {"x-apigw-api-id": "a1b2c3d4e5"},
        "connect_to": "127.0.0.2:8443",
        "signed": False,
    }
    argv = shlex.split(command_line(request))
    assert argv[:2] == ["privateapi", "invoke"]
    args = build_parser().parse_args(argv[1:])
    assert args.url == request["url"] and args.method == "POST"
    assert args.headers == ["x-apigw-api-id: a1b2c3d4e5"]
    assert args.connect_to == "127.0.0.2:8443" and args.no_sign


VPCE = "vpce-0123456789abcdef0"
REGIONAL = f"{VPCE}-ab12cd34.execute-api.{REGION}.vpce.amazonaws.com"


def _zonal(zone: str) -> str:
    return f"{VPCE}-ab12cd34-{zone}.execute-api.{REGION}.vpce.amazonaws.com"


def _context_with_vpce(options: DoctorOptions | None = None) -> Any:
    from privateapi.doctor._context import passed
    from privateapi.doctor._model import with_timing

    target = InvokeTarget(
        Style.PRIVATE_DNS, api_id="a1b2c3d4e5", region=REGION, stage="prod", vpce_id=VPCE
    )
    ctx = _ctx(target, options or DoctorOptions())
    entries = [
        REGIONAL,
        _zonal("us-east-1a"),
        _zonal("us-east-1b"),
        f"*.execute-api.{REGION}.amazonaws.com",  # the private DNS name: not an endpoint name
        f"vpce-0fedcba9876543210-zz99yy88.execute-api.{REGION}.vpce.amazonaws.com",  # another
    ]
    evidence = {"vpce_id": VPCE, "dns_entries": entries}
    ctx.record(with_timing(passed("found", evidence, data={"vpce_id": VPCE}), "aws.vpce", 1.0))
    return ctx


def test_endpoint_names_from_the_control_plane_build_the_header_and_zonal_styles() -> None:
    """aws.vpce's DnsEntries give the regional name (header styles) and each zonal name."""
    from privateapi.doctor._alternatives import candidates

    found = {c.label: c for c in candidates(_context_with_vpce())}
    assert found["the endpoint DNS name + x-apigw-api-id"].target.vpce_dns == REGIONAL
    assert found["the endpoint DNS name + Host"].target.vpce_dns == REGIONAL
    zonal = found["the zonal endpoint name (us-east-1b) + x-apigw-api-id"]
    assert zonal.zone == "us-east-1b" and zonal.target.vpce_dns == _zonal("us-east-1b")
    assert "the {api}-{vpce} alias" in found
    assert not any("zz99yy88" in str(c.target.vpce_dns) for c in found.values())


def test_addresses_are_labelled_with_their_zone(fake_dns: DnsStub) -> None:
    """Each resolved address is tried alone, named with the AZ its zonal name gives."""
    from privateapi.doctor._alternatives import candidates
    from privateapi.doctor._context import passed
    from privateapi.doctor._model import with_timing

    fake_dns.records[_zonal("us-east-1a") + "."] = {"A": ["127.0.0.21"]}
    fake_dns.records[_zonal("us-east-1b") + "."] = {"A": ["127.0.0.22"]}
    options = DoctorOptions(resolver=fake_dns.address, use_system_resolver=False, timeout=1)
    ctx = _context_with_vpce(options)
    data = {"addresses": ["127.0.0.21", "127.0.0.22"]}
    ctx.record(with_timing(passed("resolved", data, data=data), "dns.lookup", 1.0))
    reachable = {"reachable": data["addresses"]}
    ctx.record(with_timing(passed("connected", data, data=reachable), "tcp.connect", 1.0))
    by_address = {c.address: c for c in candidates(ctx) if c.kind == "address"}
    assert by_address["127.0.0.21"].label == "address 127.0.0.21 (us-east-1a)"
    assert by_address["127.0.0.22"].zone == "us-east-1b"
    assert by_address["127.0.0.22"].target.connect_to == "127.0.0.22:443"


def test_an_attempt_past_the_deadline_is_reported_not_waited_for(
    lab: Lab, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An alternative that does not finish in time says so; the run does not wait for it."""
    import threading

    from privateapi.doctor import _alternatives

    release = threading.Event()

    def stuck(*_a: Any, **_k: Any) -> Any:
        release.wait(30)
        return ()

    monkeypatch.setattr(_alternatives, "attempt", stuck)
    lab.gw.set_private_dns(lab.vpce_id, False)
    try:
        report = run(_named(lab, vpce_id=lab.vpce_id), lab.options(timeout=0.1))
    finally:
        release.set()
    assert report.alternatives
    assert all(not a.works and a.step is None for a in report.alternatives)
    assert all("did not finish" in a.summary for a in report.alternatives)


def test_a_broken_step_is_a_skip_not_a_crash(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    """An exception inside one attempt's check is reported on that alternative only."""
    from privateapi.doctor import _tcp

    def broken(_ctx: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(_tcp, "check_connect", broken)
    lab.gw.set_private_dns(lab.vpce_id, False)
    report = run(_named(lab, vpce_id=lab.vpce_id), lab.options())
    alias = _by_style(report)["vpce_alias"][0]
    assert not alias.works and alias.step == "tcp.connect"
    assert "internal error: RuntimeError: boom" in alias.summary


def test_a_custom_domain_is_tried_the_other_way_too(lab: Lab) -> None:
    """Through the endpoint with Host, the doctor also tries the domain's own name."""
    ep = lab.gw.endpoint(lab.vpce_id)
    lab.gw.add_custom_domain(
        "api.example.internal",
        mappings={"": f"{lab.api_id}/prod"},
        endpoints=[lab.vpce_id],
        policy=DENY_ALL,
    )
    target = at_port(
        InvokeTarget.custom_domain("api.example.internal", vpce_dns=ep.dns_name), lab.gw.port
    )
    report = run(target, lab.options())
    assert report.verdict == "fail"
    labels = {a.label for a in report.alternatives}
    assert "the custom domain" in labels
    direct = next(a for a in report.alternatives if a.label == "the custom domain")
    assert direct.target["url"].startswith("https://api.example.internal")
    assert direct.cause == "http.explicit-deny"


def test_cli_flag_maps_onto_the_option() -> None:
    """--alternatives / --no-alternatives / neither -> True / False / None."""
    from privateapi_cli.commands.doctor import build_options
    from privateapi_cli.main import build_parser

    url = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
    for flags, want in (([], None), (["--alternatives"], True), (["--no-alternatives"], False)):
        args = build_parser().parse_args(["doctor", url, *flags])
        assert build_options(args).alternatives is want


def test_no_imds_flag_turns_the_metadata_probe_off() -> None:
    """--no-imds -> DoctorOptions(imds=False); without it the probe stays on."""
    from privateapi_cli.commands.doctor import build_options
    from privateapi_cli.main import build_parser

    url = "https://a1b2c3d4e5.execute-api.us-east-1.amazonaws.com/prod"
    for flags, want in (([], True), (["--no-imds"], False)):
        args = build_parser().parse_args(["doctor", url, *flags])
        assert build_options(args).imds is want
