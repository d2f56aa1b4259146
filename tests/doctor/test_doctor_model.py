"""The doctor's data model, registry, verdict rules and runner mechanics."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import replace

import pytest
from doctor_lab import offline

from privateapi._causes import CAUSES
from privateapi._errors import InvalidInputError
from privateapi._targets import InvokeTarget
from privateapi.doctor import (
    CHECKS,
    DATA_PATH,
    GROUPS,
    Check,
    Report,
    Result,
    Status,
    get_check,
    iter_checks,
    run,
    select_checks,
)
from privateapi.doctor._context import Context, fail, passed, skip, warn
from privateapi.doctor._model import compute_verdict


def _r(cid: str, status: Status, cause: str | None = None) -> Result:
    return Result(check_id=cid, status=status, summary=cid, cause=cause)


def test_registry_is_data_with_known_causes_and_needs() -> None:
    """Every check has a unique id in a known group; needs and causes refer to real things."""
    ids = [c.id for c in CHECKS]
    assert len(ids) == len(set(ids))
    assert list(iter_checks()) == list(CHECKS)
    for c in CHECKS:
        assert c.group in GROUPS
        assert c.id.startswith(c.group + ".")
        assert all(n in ids for n in (*c.needs, *c.after))
        assert all(code in CAUSES for code in c.causes)
        assert json.loads(json.dumps(c.to_dict()))["id"] == c.id
    assert set(DATA_PATH) <= set(ids)
    assert get_check("tcp.connect").needs == ("dns.lookup",)
    with pytest.raises(KeyError):
        get_check("nope.nothing")


def test_issue_cause_codes_are_all_reachable_from_some_check() -> None:
    """Every cause code the issue lists is reported by at least one check."""
    listed = [
        "dns.nxdomain",
        "dns.nodata",
        "dns.public-address",
        "dns.resolver-unreachable",
        "dns.hosts-override",
        "dns.resolver-mismatch",
        "tcp.timeout",
        "tcp.refused",
        "tls.name-mismatch",
        "tls.untrusted",
        "tls.expired",
        "tls.handshake-failed",
        "http.wrong-endpoint",
        "http.explicit-deny",
        "http.implicit-deny",
        "http.authorizer-deny",
        "http.missing-token",
        "http.incomplete-signature",
        "http.signature-mismatch",
        "http.clock-skew",
        "http.invalid-token",
        "http.expired-token",
        "http.unauthorized",
        "http.throttled",
        "http.quota-exceeded",
        "http.payload-too-large",
        "http.backend-error",
        "http.not-api-gateway",
        "env.proxy",
        "creds.missing",
        "aws.private-dns-disabled",
        "aws.vpce-unavailable",
        "aws.vpce-not-associated",
        "aws.sg-blocks-443",
        "aws.single-az",
        "aws.vpc-dns-attributes",
        "aws.api-not-private",
        "aws.stage-missing",
        "aws.endpoint-policy-denies",
        "policy.denies",
        "policy.not-deployed",
    ]
    covered = {code for c in CHECKS for code in c.causes}
    assert set(listed) - covered == set()


def test_result_rejects_unknown_cause_and_serializes() -> None:
    """A result with a made-up cause is a bug; to_dict has the issue's keys."""
    with pytest.raises(KeyError):
        Result(check_id="x", status=Status.FAIL, summary="s", cause="made.up")
    r = fail("tcp.timeout", "timed out", {"port": 443})
    d = r.to_dict()
    for key in ("id", "status", "summary", "cause", "evidence", "hint"):
        assert key in d
    assert d["status"] == "fail"
    assert d["hint"] == CAUSES["tcp.timeout"].hint
    assert d["doc"].endswith("#tcp-timeout")
    assert "data" not in d


def test_verdict_needs_the_whole_data_path() -> None:
    """Pass only when dns, tcp, tls and http all ran and worked and nothing failed."""
    ok = {cid: _r(cid, Status.PASS) for cid in DATA_PATH}
    assert compute_verdict(ok) == ("pass", ())
    with_warn = {**ok, "tls.handshake": _r("tls.handshake", Status.WARN, "tls.expired")}
    assert compute_verdict(with_warn)[0] == "pass"
    missing = {k: v for k, v in ok.items() if k != "http.probe"}
    assert compute_verdict(missing) == ("fail", ("http.probe",))
    skipped = {**ok, "http.probe": _r("http.probe", Status.SKIP)}
    assert compute_verdict(skipped) == ("fail", ("http.probe",))
    other_fail = {**ok, "aws.stage": _r("aws.stage", Status.FAIL, "aws.stage-missing")}
    assert compute_verdict(other_fail) == ("fail", ())
    failed_dp = {**ok, "tcp.connect": _r("tcp.connect", Status.FAIL, "tcp.timeout")}
    assert compute_verdict(failed_dp) == ("fail", ())


def test_report_counts_json_and_exit_code() -> None:
    """The report's JSON has version/target/verdict/checks; exit 0 only on pass."""
    results = (_r("dns.lookup", Status.PASS), _r("tcp.connect", Status.FAIL, "tcp.refused"))
    rep = Report(target={"url": "https://x"}, results=results, verdict="fail")
    doc = json.loads(json.dumps(rep.to_dict()))
    assert doc["version"] == 1
    assert doc["verdict"] == "fail"
    assert [c["id"] for c in doc["checks"]] == ["dns.lookup", "tcp.connect"]
    assert rep.counts["fail"] == 1
    assert rep.exit_code == 1
    assert rep.failed == (results[1],)
    assert rep.result("tcp.connect") is results[1]
    assert rep.result("nope") is None
    assert Report(target={}, results=(), verdict="pass").exit_code == 0


def test_select_checks_adds_prerequisites_and_groups() -> None:
    """--check tls.handshake runs dns and tcp too; a group name selects its checks."""
    ids = [c.id for c in select_checks(CHECKS, ["tls.handshake"])]
    assert ids == ["dns.lookup", "tcp.connect", "tls.handshake"]
    assert {c.id for c in select_checks(CHECKS, ["env"])} == {
        "env.platform",
        "env.proxy",
        "env.hosts",
        "env.credentials",
    }
    assert len(select_checks(CHECKS, [])) == len(CHECKS)
    with pytest.raises(InvalidInputError):
        select_checks(CHECKS, ["tls.nope"])


def _custom(*checks: Check) -> tuple[Check, ...]:
    return checks


def test_runner_skips_dependents_and_survives_a_broken_check(target: InvokeTarget) -> None:
    """A failed prerequisite skips with the reason; a crashing check is a skip, not a pass."""

    def boom(ctx: Context) -> Result:
        raise RuntimeError("kaput")

    checks = _custom(
        Check(id="dns.lookup", group="dns", title="t", func=lambda c: fail("dns.nxdomain", "no")),
        Check(id="tcp.connect", group="tcp", title="t", needs=("dns.lookup",), func=boom),
        Check(id="env.proxy", group="env", title="t", func=boom),
        Check(id="aws.api", group="aws", title="t", aws=True, func=lambda c: passed("x")),
        Check(id="env.hosts", group="env", title="t", func=lambda c: warn(None, "w")),
    )
    seen: list[str] = []
    lock = threading.Lock()

    def on_result(r: Result) -> None:
        with lock:
            seen.append(r.check_id)

    rep = run(target, offline(no_aws=True), checks=checks, on_result=on_result)
    by = {r.check_id: r for r in rep.results}
    assert by["tcp.connect"].status is Status.SKIP
    assert "dns.lookup failed" in by["tcp.connect"].summary
    assert by["env.proxy"].status is Status.SKIP
    assert "internal error" in by["env.proxy"].summary
    assert "RuntimeError" in by["env.proxy"].evidence["traceback"]
    assert by["aws.api"].status is Status.SKIP
    assert "no_aws" in by["aws.api"].summary
    assert rep.verdict == "fail"
    assert sorted(seen) == sorted(by)


def test_runner_overlaps_independent_checks_and_bounds_a_hung_one(
    target: InvokeTarget, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Independent checks run at the same time; a check past the budget is reported skipped."""
    import privateapi.doctor._runner as runner

    barrier = threading.Barrier(3, timeout=5)

    def meet(ctx: Context) -> Result:
        barrier.wait()  # only returns when all three run at once
        return passed("met")

    release = threading.Event()

    def hang(ctx: Context) -> Result:
        release.wait(10)
        return passed("late")

    monkeypatch.setattr(runner, "_budget", lambda options: 1.0)
    checks = _custom(
        Check(id="env.a", group="env", title="t", func=meet),
        Check(id="env.b", group="env", title="t", func=meet),
        Check(id="env.c", group="env", title="t", func=meet),
        Check(id="env.d", group="env", title="t", func=hang),
        Check(id="env.e", group="env", title="t", needs=("env.d",), func=lambda c: passed("x")),
    )
    t0 = time.monotonic()
    rep = run(target, offline(), checks=checks)
    release.set()
    assert time.monotonic() - t0 < 5
    by = {r.check_id: r for r in rep.results}
    assert [by[c].status for c in ("env.a", "env.b", "env.c")] == [Status.PASS] * 3
    assert by["env.d"].status is Status.SKIP
    assert "did not finish" in by["env.d"].summary
    assert by["env.e"].status is Status.SKIP


def test_skip_helper_keeps_cause() -> None:
    """A skip may carry a cause (aws.unreachable) without being a failure."""
    r = skip("not run", cause="aws.unreachable")
    assert r.status is Status.SKIP
    assert not r.ok
    assert r.hint == CAUSES["aws.unreachable"].hint


def test_resolver_option_accepts_ip_port_strings() -> None:
    """DoctorOptions(resolver="IP[:PORT]") is parsed like the CLI's --resolver."""
    from privateapi import InvalidInputError
    from privateapi.doctor import DoctorOptions

    assert DoctorOptions(resolver="127.0.0.1:5353").resolver_address == ("127.0.0.1", 5353)
    assert DoctorOptions(resolver="10.0.0.2").resolver_address == ("10.0.0.2", 53)
    assert DoctorOptions(resolver="[::1]:53").resolver_address == ("::1", 53)
    assert DoctorOptions(resolver=("127.0.0.1", 53)).resolver_address == ("127.0.0.1", 53)
    for bad in ("dns.example.com", "127.0.0.1:0", "127.0.0.1:x", ("127.0.0.1",)):
        with pytest.raises(InvalidInputError, match="resolver"):
            DoctorOptions(resolver=bad)  # type: ignore[arg-type]


def test_direct_failures_are_warnings_only_when_the_proxy_carried_the_call() -> None:
    from privateapi.doctor._model import direct_failures_as_warnings

    dns = Result(check_id="dns.lookup", status=Status.FAIL, summary="no", cause="dns.nxdomain")
    tcp = Result(check_id="tcp.connect", status=Status.SKIP, summary="not run")
    tls = Result(check_id="tls.handshake", status=Status.SKIP, summary="not run")

    def probe(**data: object) -> Result:
        return Result(check_id="http.probe", status=Status.PASS, summary="200", data=data)

    direct = {"dns.lookup": dns, "tcp.connect": tcp, "tls.handshake": tls, "http.probe": probe()}
    assert direct_failures_as_warnings(direct) == direct
    assert compute_verdict(direct)[0] == "fail"
    proxied = {**direct, "http.probe": probe(via_proxy=True)}
    out = direct_failures_as_warnings(proxied)
    assert out["dns.lookup"].status is Status.WARN and out["dns.lookup"].cause == "dns.nxdomain"
    assert out["tcp.connect"].status is Status.SKIP
    assert compute_verdict(out) == ("pass", ())
    # The proxied probe itself failing: nothing is excused.
    failing = {
        **proxied,
        "http.probe": replace(probe(via_proxy=True), status=Status.FAIL, cause="env.proxy"),
    }
    assert direct_failures_as_warnings(failing)["dns.lookup"].status is Status.FAIL
