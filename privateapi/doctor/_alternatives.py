"""What would work: when the caller's call fails, try the other ways the facts allow.

The doctor's checks follow the caller's own call. When that call fails (or when asked
always), this module tries, concurrently and within the run's deadline:

* every other access style the known facts build (private DNS name, ``{api}-{vpce}``
  alias, endpoint DNS name with ``Host`` or ``x-apigw-api-id``, the endpoint's zonal
  names, a custom domain directly or through the endpoint), each built with
  :meth:`~privateapi.InvokeTarget.restyle`, never by string-building;
* the caller's call through each resolved address on its own (one per Availability
  Zone): a call that works through some addresses and fails through others is the
  ``tcp.partial`` warning naming the failing address, not a failed verdict;
* the caller's call signed and unsigned, when credentials exist.

Each attempt runs the doctor's own data-path checks (DNS, TCP, TLS, the live probe)
through :func:`attempt`, the one adapter to the probe code. The pattern of answers
names causes no single probe shows (:func:`infer`): the API's own name works while the
endpoint-name styles are refused points at ``STRICT`` endpoint access mode.

The alternatives never change the verdict of the caller's call, except by the
partial-address rule above.
"""

from __future__ import annotations

import inspect
import queue
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from privateapi._errors import InvalidInputError
from privateapi._names import format_host_port, parse_host_port, parse_vpce_dns
from privateapi._styles import Style
from privateapi.doctor._context import Context, skip, warn
from privateapi.doctor._facts import PROBE_SIGNED, PROBE_STATUS, TCP_REACHABLE, VPCE_ID
from privateapi.doctor._model import (
    DATA_PATH,
    Alternative,
    Inference,
    Result,
    Status,
    with_timing,
)

if TYPE_CHECKING:
    from privateapi._targets import InvokeTarget

__all__ = [
    "MAX_ALTERNATIVES",
    "MAX_THREADS",
    "attempt",
    "candidates",
    "infer",
    "python_expression",
    "what_would_work",
]

#: At most this many alternatives per run (styles, zonal names, addresses, signing).
MAX_ALTERNATIVES = 16
#: At most this many run at once.
MAX_THREADS = 6
#: Results every attempt reads from the main run instead of redoing them.
_SHARED = ("env.platform", "env.proxy", "env.hosts", "env.credentials")

_LABELS: Mapping[Style, str] = {
    Style.PRIVATE_DNS: "the private DNS name",
    Style.VPCE_ALIAS: "the {api}-{vpce} alias",
    Style.HOST_HEADER: "the endpoint DNS name + Host",
    Style.API_ID_HEADER: "the endpoint DNS name + x-apigw-api-id",
    Style.CUSTOM_DOMAIN: "the custom domain",
}
#: Styles whose TLS server name is the name of the API (or domain) itself.
_NAME_STYLES = frozenset({Style.PRIVATE_DNS, Style.VPCE_ALIAS})
#: Styles that name the API in a header while the TLS server name is the endpoint's.
_HEADER_STYLES = frozenset({Style.HOST_HEADER, Style.API_ID_HEADER})


@dataclass(frozen=True)
class Candidate:
    """One call to try: a target, signed or not, through a name or one address."""

    kind: str
    label: str
    target: InvokeTarget
    sign: bool
    address: str | None = None
    zone: str | None = None


@dataclass(frozen=True)
class _Tried:
    candidate: Candidate
    results: tuple[Result, ...]
    duration_ms: float


# -- the adapter to the probe code ---------------------------------------------------------------


_ROUTING_HEADERS = frozenset({"host", "x-apigw-api-id"})


def below_stage(ctx: Context) -> str:
    """The caller's path and query below the recognised target's stage (``/`` for the root)."""
    from urllib.parse import urlsplit

    base = urlsplit(ctx.target.url("")).path.rstrip("/")
    target = ctx.request.target  # path and query, as sent
    if base and target.startswith(base):
        rest = target[len(base) :]
        return rest if rest.startswith(("/", "?")) else "/"
    return "/"


def _caller_headers(ctx: Context) -> tuple[tuple[str, str], ...]:
    """The caller's own headers, minus the routing ones each style sets for itself."""
    return tuple((k, v) for k, v in ctx.request.headers if k.lower() not in _ROUTING_HEADERS)


def attempt(parent: Context, target: InvokeTarget, *, sign: bool) -> tuple[Result, ...]:
    """Run the data path (DNS → TCP → TLS → probe) for ``target`` with the doctor's checks.

    The one place this module calls the probe code, so a change to the probe (what
    the caller's call sends) is picked up here. Results stop at the first step that
    did not work. The options are the run's, with ``sign`` as given and no
    ``connect_to`` (a target that must connect somewhere carries it itself).
    """
    from privateapi.doctor import _dns, _http, _tcp, _tls
    from privateapi.doctor._env import get_credentials
    from privateapi.doctor._request import CallerRequest

    options = replace(parent.options, sign=sign, checks=())
    request = CallerRequest.from_target(
        target,
        method=parent.request.method,
        path=below_stage(parent),
        headers=_caller_headers(parent),
        body=parent.request.body,
    )
    sub = Context(request, options, recognised=target)
    sub.deadline = parent.deadline
    for cid in _SHARED:
        shared = parent.result(cid)
        if shared is not None:
            sub.record(shared)
    sub.memo("credentials", lambda: get_credentials(parent))  # resolved once per run
    steps: tuple[tuple[str, Callable[[Context], Result]], ...] = (
        ("dns.lookup", _dns.check_lookup),
        ("tcp.connect", _tcp.check_connect),
        ("tls.handshake", _tls.check_handshake),
        ("http.probe", _http.check_probe),
    )
    out: list[Result] = []
    for cid, check in steps:
        t0 = time.monotonic()
        try:
            result = check(sub)
        except Exception as exc:  # a broken step must not hide the other alternatives
            result = skip(f"not run: internal error: {type(exc).__name__}: {exc}")
        result = with_timing(result, cid, (time.monotonic() - t0) * 1000)
        sub.record(result)
        out.append(result)
        if not result.ok:
            break
    return tuple(out)


# -- what to try ------------------------------------------------------------------------------


def _label(target: InvokeTarget) -> str:
    if target.style is Style.CUSTOM_DOMAIN and target.vpce_dns is not None:
        return "the custom domain through the endpoint DNS name + Host"
    return _LABELS.get(target.style, str(target.style))


def _endpoint_names(ctx: Context) -> tuple[str | None, dict[str, str]]:
    """The endpoint's regional DNS name and its zonal names (zone -> name), if known."""
    target = ctx.target
    regional = target.vpce_dns
    zonal: dict[str, str] = {}
    vpce = ctx.result("aws.vpce")
    entries = list(vpce.evidence.get("dns_entries") or []) if vpce is not None else []
    for name in entries:
        if not isinstance(name, str) or target.region is None:
            continue
        try:
            parsed = parse_vpce_dns(name, target.region)
        except InvalidInputError:
            continue  # the private DNS names (*.execute-api...) are not endpoint names
        if target.vpce_id is not None and parsed.vpce_id != target.vpce_id:
            continue
        if parsed.zone:
            zonal.setdefault(parsed.zone, parsed.name)
        elif regional is None:
            regional = parsed.name
    return regional, zonal


def _restyled(target: InvokeTarget, style: Style, **facts: Any) -> InvokeTarget | None:
    try:
        return target.restyle(style, connect_to=None, **facts)
    except InvalidInputError:
        return None  # the facts do not build this style


def _style_candidates(ctx: Context, sign: bool) -> list[Candidate]:
    target = ctx.target
    regional, zonal = _endpoint_names(ctx)
    vpce_id = target.vpce_id or ctx.fact(VPCE_ID)
    facts: dict[str, Any] = {}
    if vpce_id and target.vpce_id is None:
        facts["vpce_id"] = vpce_id
    if regional and target.vpce_dns is None:
        facts["vpce_dns"] = regional
    built: list[InvokeTarget] = []
    for style in _LABELS:
        if style is target.style:
            continue
        other = _restyled(target, style, **facts)
        if other is not None:
            built.append(other)
    if target.style is Style.CUSTOM_DOMAIN:
        # The same domain the other way: directly, or through the endpoint with Host.
        via = None if target.vpce_dns is not None else (regional or None)
        if via is not None or target.vpce_dns is not None:
            other = _restyled(target, Style.CUSTOM_DOMAIN, vpce_dns=via)
            if other is not None:
                built.append(other)
    for _zone, name in sorted(zonal.items()):
        other = _restyled(target, Style.API_ID_HEADER, vpce_dns=name)
        if other is not None:
            built.append(other)
    pinned = _pinned(ctx)
    if pinned is not None:
        # The caller connects to a fixed place (an NLB, an address): the other styles go
        # there too, so the question stays "which name works through this path", and no
        # name is looked up that the caller's own call did not look up.
        built = [t.with_connect_to(pinned) for t in built]
    built = [_same_port(ctx, t) for t in built]
    found = []
    for t in built:
        zone = next((z for z, n in zonal.items() if n == t.vpce_dns), None)
        label = f"the zonal endpoint name ({zone}) + x-apigw-api-id" if zone else _label(t)
        found.append(Candidate("style", label, t, sign, zone=zone))
    return found


def _pinned(ctx: Context) -> str | None:
    """Where the caller's call connects instead of its URL host, if anywhere.

    A pin to the URL's own host on another port (a test server's) pins no place: every
    alternative keeps its own name and takes only the port (see :func:`_same_port`).
    """
    pin = ctx.request.connect_to or ctx.target.connect_to
    if pin is None or parse_host_port(pin)[0] == ctx.target.host:
        return None
    return pin


def _same_port(ctx: Context, target: InvokeTarget) -> InvokeTarget:
    """``target`` on the caller's port, when the caller's call does not use 443."""
    if target.connect_to is not None or ctx.connect_port == 443:
        return target
    return target.with_connect_to(format_host_port(target.host, ctx.connect_port))


def _zones_of_addresses(ctx: Context, zonal: Mapping[str, str]) -> dict[str, str]:
    """address -> Availability Zone, from the addresses the zonal names resolve to."""
    zones: dict[str, str] = {}
    for zone, name in zonal.items():
        other = _restyled(ctx.target, Style.API_ID_HEADER, vpce_dns=name)
        if other is None:
            continue
        from privateapi.doctor import _dns
        from privateapi.doctor._request import CallerRequest

        sub = Context(
            CallerRequest.from_target(other), replace(ctx.options, checks=()), recognised=other
        )
        try:
            looked = _dns.check_lookup(sub)
        except Exception:  # noqa: S112 - only a label: never let it break the run
            continue
        for address in looked.data.get("addresses") or []:
            zones.setdefault(str(address), zone)
    return zones


def _address_candidates(ctx: Context, sign: bool) -> list[Candidate]:
    # Only addresses that accepted TCP: tcp.connect already tried every address on its
    # own and names those that failed; past TCP, the caller's call used just one of them.
    addresses = [str(a) for a in ctx.fact_or(TCP_REACHABLE, [])]
    if len(addresses) < 2:
        return []  # one address: the caller's call already went through it
    _, zonal = _endpoint_names(ctx)
    # Zone labels need the zonal names looked up; not when the caller's call looks none up.
    zones = _zones_of_addresses(ctx, zonal) if zonal and _pinned(ctx) is None else {}
    found = []
    for address in addresses:
        pinned = ctx.target.with_connect_to(format_host_port(address, ctx.connect_port))
        zone = zones.get(address)
        label = f"address {address}" + (f" ({zone})" if zone else "")
        found.append(Candidate("address", label, pinned, sign, address=address, zone=zone))
    return found


def _signed_now(ctx: Context) -> bool:
    probed = ctx.fact(PROBE_SIGNED)
    return bool(probed) if probed is not None else ctx.options.sign


def _signing_candidates(ctx: Context, signed: bool) -> list[Candidate]:
    from privateapi._errors import CredentialsError
    from privateapi.doctor._env import get_credentials

    if ctx.fact(PROBE_STATUS) is None:
        return []  # the call got no HTTP answer: signing is not what stops it
    if ctx.target.region is None or isinstance(get_credentials(ctx), CredentialsError):
        return []  # no credentials: nothing to compare
    pinned = _pinned(ctx)
    other = ctx.target if pinned is None else ctx.target.with_connect_to(pinned)
    other = _same_port(ctx, other)
    return [Candidate("signing", "unsigned" if signed else "signed", other, not signed)]


def candidates(ctx: Context) -> list[Candidate]:
    """What to try for this run, from the target and the facts the checks found (capped)."""
    signed = _signed_now(ctx)
    found = [
        *_style_candidates(ctx, signed),
        *_address_candidates(ctx, signed),
        *_signing_candidates(ctx, signed),
    ]
    return found[:MAX_ALTERNATIVES]


# -- running them -----------------------------------------------------------------------------


def _run_all(ctx: Context, todo: list[Candidate], deadline: float) -> list[_Tried | None]:
    """Each candidate through :func:`attempt`, at most MAX_THREADS at once, until deadline.

    Daemon threads: an attempt still running at the deadline is abandoned (reported as
    not finished), never waited for, and cannot keep the process alive.
    """
    done: list[_Tried | None] = [None] * len(todo)
    work: queue.SimpleQueue[int] = queue.SimpleQueue()
    for i in range(len(todo)):
        work.put(i)
    finished = threading.Semaphore(0)

    def worker() -> None:
        while time.monotonic() < deadline:
            try:
                i = work.get_nowait()
            except queue.Empty:
                return
            c = todo[i]
            t0 = time.monotonic()
            results = attempt(ctx, c.target, sign=c.sign)
            done[i] = _Tried(c, results, (time.monotonic() - t0) * 1000)
            finished.release()

    for n in range(min(MAX_THREADS, len(todo))):
        threading.Thread(target=worker, name=f"doctor:alt:{n}", daemon=True).start()
    for _ in todo:
        if not finished.acquire(timeout=max(0.0, deadline - time.monotonic())):
            break
    return list(done)


def python_expression(target: InvokeTarget) -> str:
    """A Python expression that builds ``target`` with its style's constructor.

    Example:
        >>> from privateapi import InvokeTarget
        >>> python_expression(InvokeTarget.private_dns("a1b2c3d4e5", "us-east-1", "prod"))
        "InvokeTarget.private_dns('a1b2c3d4e5', 'us-east-1', 'prod')"
    """
    from privateapi._targets import InvokeTarget

    ctor = getattr(InvokeTarget, str(target.style), None)
    if ctor is None:  # a public style: no constructor, the generic form
        args = [repr(str(target.style))]
        args += [f"{n}={getattr(target, n)!r}" for n in ("domain", "stage") if getattr(target, n)]
        return f"InvokeTarget({', '.join(args)})"
    args = []
    for name, param in inspect.signature(ctor).parameters.items():
        value = getattr(target, name, None)
        if param.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD:
            args.append(repr(value))
        elif param.kind is inspect.Parameter.KEYWORD_ONLY and value is not None:
            args.append(f"{name}={value!r}")
    return f"InvokeTarget.{target.style}({', '.join(args)})"


def _alternative(ctx: Context, c: Candidate, tried: _Tried | None) -> Alternative:
    target = c.target
    from privateapi._credentials import redact_headers
    from privateapi.doctor._request import CallerRequest

    sent = CallerRequest.from_target(
        target, method=ctx.request.method, path=below_stage(ctx), headers=_caller_headers(ctx)
    )
    request = {
        "url": sent.url,
        "method": sent.method,
        "headers": redact_headers(dict(sent.headers)),  # the caller's Authorization too
        "connect_to": target.connect_to,
        "signed": c.sign,
    }
    common: dict[str, Any] = {
        "kind": c.kind,
        "label": c.label,
        "style": str(target.style),
        "target": target.to_dict(),
        "python": python_expression(target),
        "request": request,
        "address": c.address,
        "zone": c.zone,
    }
    if tried is None:
        return Alternative(
            works=False,
            cause=None,
            step=None,
            status=None,
            summary="did not finish within the doctor's deadline",
            **common,
        )
    last = tried.results[-1]
    works = len(tried.results) == len(DATA_PATH) and last.ok
    if works:
        # The probe "works" only through API Gateway's own answer, as for the verdict.
        works = last.cause != "http.not-api-gateway"
    return Alternative(
        works=works,
        cause=None if works else last.cause,
        step=last.check_id,
        status=last.data.get("status"),
        summary=last.summary,
        duration_ms=tried.duration_ms,
        **common,
    )


# -- reading the pattern ------------------------------------------------------------------------


def _main_call(ctx: Context, results: Mapping[str, Result]) -> tuple[bool, Result | None]:
    """Whether the caller's own call worked, and the data-path result that decided."""
    for cid in DATA_PATH:
        r = results.get(cid)
        if r is None or not r.ok:
            return False, r
    return True, results.get("http.probe")


def infer(
    ctx: Context, results: Mapping[str, Result], alternatives: tuple[Alternative, ...]
) -> tuple[Inference, ...]:
    """Causes the pattern of answers points at, which no single probe shows."""
    found: list[Inference] = []
    main_ok, main_last = _main_call(ctx, results)
    # (style, works, decided at the probe) of the caller's call and of each other style
    calls: list[tuple[Style, bool, bool, str]] = [
        (
            ctx.target.style,
            main_ok,
            main_last is not None and main_last.check_id == "http.probe",
            "the caller's call",
        )
    ]
    calls += [
        (Style(a.style), a.works, a.step == "http.probe", a.label)
        for a in alternatives
        if a.kind == "style" and a.step is not None
    ]
    by_name = [label for style, works, _, label in calls if works and style in _NAME_STYLES]
    refused = [
        label
        for style, works, at_probe, label in calls
        if not works and at_probe and style in _HEADER_STYLES
    ]
    if by_name and refused:
        # unverified (reference open question 2): AWS does not document STRICT's answer;
        # the pattern (the API's own name works, a header naming it is refused) is the
        # rule of §1.3/§1.4, so this says "likely".
        found.append(
            Inference(
                "http.strict-access-mode",
                f"likely STRICT endpoint access mode: {by_name[0]} works, but"
                f" {' and '.join(refused)} {'is' if len(refused) == 1 else 'are'} refused by"
                " API Gateway (SNI and Host must name the API)",
                basis=(*by_name, *refused),
                reference="aws-private-apis.md §1.3, §1.4 (STRICT); open question 2",
            )
        )
    found.extend(_signing_inference(ctx, results, alternatives, main_ok))
    found.extend(_partial_inference(alternatives))
    return tuple(found)


def _signing_inference(
    ctx: Context,
    results: Mapping[str, Result],
    alternatives: tuple[Alternative, ...],
    main_ok: bool,
) -> list[Inference]:
    other = next((a for a in alternatives if a.kind == "signing" and a.step is not None), None)
    if other is None:
        return []
    probe = results.get("http.probe")
    main_cause = probe.cause if probe is not None else None
    signed_ok = (other.works and other.request["signed"]) or (
        main_ok and not other.request["signed"]
    )
    unsigned_cause = main_cause if other.request["signed"] else other.cause
    if signed_ok and unsigned_cause == "http.missing-token":
        return [
            Inference(
                "http.missing-token",
                "likely an AWS_IAM method: the signed call works, the unsigned one gets"
                " Missing Authentication Token",
                basis=("signed", "unsigned"),
                reference="aws-private-apis.md §3 (Missing Authentication Token)",
            )
        ]
    return []


def _partial_inference(alternatives: tuple[Alternative, ...]) -> list[Inference]:
    by_address = [a for a in alternatives if a.kind == "address" and a.step is not None]
    good = [a for a in by_address if a.works]
    bad = [a for a in by_address if not a.works]
    if not good or not bad:
        return []
    failing = ", ".join(f"{a.label.removeprefix('address ')} ({a.cause})" for a in bad)
    working = ", ".join(a.label.removeprefix("address ") for a in good)
    return [
        Inference(
            "tcp.partial",
            f"the call fails through {failing} but works through {working}: calls that"
            " pick the failing address fail or stall",
            likely=False,
            basis=tuple(a.label for a in by_address),
        )
    ]


# -- the partial-address rule ---------------------------------------------------------------------


def _partial(
    results: dict[str, Result], tried: list[_Tried | None], inferences: tuple[Inference, ...]
) -> dict[str, Result]:
    """The partial-address rule: a ``tcp.partial`` warning on the data path, not a failure.

    When the caller's call failed through the address it happened to use, the data
    path is proven through a working address instead and the step that failed becomes
    the warning. When it worked (it used a good address), the step at which another
    address fails becomes the warning. Only the caller's own call (same target, same
    signing) through single addresses counts; other styles never change the verdict.
    """
    partial = next((i for i in inferences if i.cause == "tcp.partial"), None)
    if partial is None:
        return results
    by_address = [t for t in tried if t is not None and t.candidate.kind == "address"]
    good = next((t for t in by_address if _all_ok(t.results)), None)
    bad = next((t for t in by_address if not _all_ok(t.results)), None)
    if good is None or bad is None:  # pragma: no cover - the inference needs both
        return results
    if all(results[cid].ok for cid in DATA_PATH if cid in results):
        return _warn_where_it_fails(results, bad, partial)
    through = {r.check_id: r for r in good.results}
    out = dict(results)
    warned = False
    for cid in DATA_PATH[1:]:
        original = out.get(cid)
        if original is None or original.ok:
            continue
        proven = through[cid]
        if not warned:
            evidence = {
                "failing": partial.summary,
                "original": original.to_dict(),
                "works_through": good.candidate.address,
                "through_working_address": dict(proven.evidence),
            }
            proven = with_timing(
                warn("tcp.partial", partial.summary, evidence, data=dict(proven.data)),
                cid,
                original.duration_ms,
            )
            warned = True
        out[cid] = proven
    return out


def _all_ok(results: tuple[Result, ...]) -> bool:
    return len(results) == len(DATA_PATH) and all(r.ok for r in results)


def _warn_where_it_fails(
    results: dict[str, Result], bad: _Tried, partial: Inference
) -> dict[str, Result]:
    """The caller's call worked: warn at the step where another address fails."""
    step = bad.results[-1].check_id
    original = results.get(step)
    if original is None or original.status is not Status.PASS:
        return results  # already a warning (tcp.connect names a dropped address itself)
    evidence = {**dict(original.evidence), "failing": partial.summary}
    out = dict(results)
    out[step] = with_timing(
        warn("tcp.partial", partial.summary, evidence, data=dict(original.data)),
        step,
        original.duration_ms,
    )
    return out


def wanted(ctx: Context, verdict: str) -> bool:
    """Whether to try the alternatives: asked always, or the caller's call failed."""
    choice = ctx.options.alternatives
    if choice is not None:
        return choice
    selected = ctx.options.checks
    # A run limited to some checks did not make the caller's call: nothing to compare.
    return verdict != "pass" and not selected


def what_would_work(
    ctx: Context, results: dict[str, Result]
) -> tuple[dict[str, Result], tuple[Alternative, ...], tuple[Inference, ...]]:
    """The runner's hook: the results (the partial rule applied), alternatives, inferences."""
    from privateapi.doctor._model import compute_verdict

    verdict, _ = compute_verdict(results)
    if ctx.recognised is None:
        return results, (), ()  # no style claims the URL: no facts to build another way from
    if not wanted(ctx, verdict):
        return results, (), ()
    todo = candidates(ctx)
    if not todo:
        return results, (), ()
    now = time.monotonic()
    # Each attempt is one data path (about five timeouts at worst); never past the run's.
    deadline = now + 5 * ctx.options.timeout + 1.0
    if ctx.deadline is not None:
        deadline = min(deadline, ctx.deadline)
    tried = _run_all(ctx, todo, deadline)
    alternatives = tuple(_alternative(ctx, c, t) for c, t in zip(todo, tried, strict=True))
    inferences = infer(ctx, results, alternatives)
    return _partial(results, tried, inferences), alternatives, inferences
