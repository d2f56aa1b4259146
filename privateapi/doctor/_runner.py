"""The runner: dependency order, concurrency, skips, the verdict.

Every selected check gets its own daemon thread that waits for its prerequisites, so
independent checks (the environment, both resolvers, the AWS control plane) overlap
and the data path (dns → tcp → tls → http) runs as soon as each step is done. A check
whose prerequisite failed or was skipped is ``skip`` with the reason. A check that
does not finish within the run's budget is reported as ``skip`` (never as passed),
and its thread is abandoned: being a daemon, it cannot keep the process alive.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from privateapi._errors import InvalidInputError
from privateapi.doctor._context import Context, skip
from privateapi.doctor._model import (
    DIRECT_PATH,
    Check,
    Report,
    Result,
    Status,
    compute_verdict,
    direct_failures_as_warnings,
    with_timing,
)
from privateapi.doctor._options import DoctorOptions
from privateapi.doctor._request import CallerRequest, recognise

if TYPE_CHECKING:
    from privateapi._targets import InvokeTarget

__all__ = ["describe_target", "run", "select_checks"]

OnResult = Callable[[Result], None]


def select_checks(checks: Iterable[Check], wanted: Iterable[str]) -> tuple[Check, ...]:
    """The checks to run: ``wanted`` plus their prerequisites, in registry order.

    An empty ``wanted`` selects everything. Unknown ids raise ``InvalidInputError``.
    """
    registry = {c.id: c for c in checks}
    wanted = tuple(wanted)
    if not wanted:
        return tuple(registry.values())
    unknown = [w for w in wanted if w not in registry and not _is_group(w, registry)]
    if unknown:
        raise InvalidInputError(
            "check", unknown[0], "a check id or group (privateapi.doctor.CHECKS, GROUPS)"
        )
    chosen: set[str] = set()
    stack = [cid for w in wanted for cid in _expand(w, registry)]
    while stack:
        cid = stack.pop()
        if cid not in chosen:
            chosen.add(cid)
            stack.extend(registry[cid].needs)
    return tuple(c for c in registry.values() if c.id in chosen)


def _is_group(name: str, registry: dict[str, Check]) -> bool:
    return any(c.group == name for c in registry.values())


def _expand(name: str, registry: dict[str, Check]) -> list[str]:
    if name in registry:
        return [name]
    return [c.id for c in registry.values() if c.group == name]


def describe_target(ctx: Context) -> dict[str, Any]:
    """The report's ``target`` object: the recognised style (if any) and the request probed."""
    from privateapi._credentials import redact_headers

    request = ctx.request
    out: dict[str, Any] = ctx.recognised.to_dict() if ctx.recognised is not None else {}
    out.update(
        {
            "style": str(ctx.recognised.style) if ctx.recognised is not None else None,
            "url": request.url,
            "host": request.host,
            "server_name": request.server_name,
            "headers": redact_headers(dict(request.headers)),
            "method": request.method,
            "connect": f"{ctx.connect_host}:{ctx.connect_port}",
        }
    )
    if ctx.unrecognised_because:
        out["unrecognised"] = ctx.unrecognised_because
    return out


def _request_of(
    target: InvokeTarget | CallerRequest,
    options: DoctorOptions,
    known: InvokeTarget | None = None,
) -> tuple[CallerRequest, InvokeTarget | None, str | None]:
    """The request to probe and the style it names, from what the caller gave."""
    if isinstance(target, CallerRequest):
        request = target
        recognised, why = (known, None) if known is not None else recognise(request)
        if options.path is not None:
            # The override is below the stage (or base path), as for a target; an
            # unrecognised URL has no stage to keep, so the path replaces it whole.
            prefix = recognised.spec.path_prefix(recognised) if recognised else ""
            request = request.with_path(f"/{prefix}{options.path}" if prefix else options.path)
        return request, recognised, why
    request = CallerRequest.from_target(target, method=options.method, path=options.path or "/")
    return request, target, None


def _budget(options: DoctorOptions) -> float:
    # The longest chain is dns -> tcp -> tls -> http -> policy, each bounded by about
    # one timeout (http: connect + read); the margin absorbs thread start-up and the
    # first import of botocore.
    return 8 * options.timeout + 10.0


#: Placeholders in the causes' generic fixes, and the target fact that fills each.
_PLACEHOLDERS = (
    ("--rest-api-id API", "--rest-api-id {api_id}"),
    ("--api-id API", "--api-id {api_id}"),
    ("--vpce-id VPCE", "--vpce-id {vpce_id}"),
    ("--vpce VPCE", "--vpce {vpce_id}"),
    ("--redeploy STAGE", "--redeploy {stage}"),
    ("--stage-name STAGE", "--stage-name {stage}"),
    ("--stage STAGE", "--stage {stage}"),
    ("--stage S.", "--stage {stage}."),
)


def fill_ids(result: Result, target: InvokeTarget | None) -> Result:
    """The result with the ids the run knows put into its fix's placeholders."""
    if result.hint is None or target is None:
        return result
    hint = result.hint
    for placeholder, filled in _PLACEHOLDERS:
        fact = filled[filled.index("{") + 1 : filled.index("}")]
        value = getattr(target, fact, None)
        if value and placeholder in hint:
            hint = hint.replace(placeholder, filled.format(**{fact: value}))
    return result if hint == result.hint else replace(result, hint=hint)


def _run_one(ctx: Context, check: Check) -> Result:
    proxied = False
    if check.follows_proxy:
        from privateapi.doctor._http import tunnel_for

        proxied = tunnel_for(ctx) is not None
    for dep in check.needs:
        r = ctx.result(dep)
        if proxied and dep in DIRECT_PATH:
            continue  # the call goes through the proxy, not down the direct path
        if r is None:
            return skip(f"not run: {dep} did not finish")
        if not r.ok:
            word = "failed" if r.status is Status.FAIL else "was skipped"
            return skip(f"not run: {dep} {word}", {"prerequisite": dep})
    if check.aws and ctx.options.no_aws:
        return skip("not run: AWS checks are off (no_aws)")
    if check.needs_target and ctx.recognised is None:
        return skip(
            "not run: the URL names no API the doctor recognises (the data path was still probed)",
            {"unrecognised": ctx.unrecognised_because},
        )
    assert check.func is not None
    try:
        return check.func(ctx)
    except Exception as exc:  # a broken check must not hide the others
        return skip(
            f"not run: internal error in the check: {type(exc).__name__}: {exc}",
            {"traceback": traceback.format_exc(limit=8)},
        )


def run(
    target: InvokeTarget | CallerRequest,
    options: DoctorOptions | None = None,
    *,
    checks: Iterable[Check] | None = None,
    on_result: OnResult | None = None,
    recognised: InvokeTarget | None = None,
) -> Report:
    """Run the doctor against ``target`` and return the :class:`Report`.

    Args:
        target: what to diagnose: the caller's request (:class:`CallerRequest`, probed
            exactly as given), or an :class:`~privateapi.InvokeTarget` (its stage root,
            or ``options.path``, with ``options.method``).
        options: how (resolver, timeouts, AWS access, ...); defaults apply when omitted.
        checks: the registry to draw from (defaults to :data:`privateapi.doctor.CHECKS`).
        on_result: called with each result as it finishes (live progress); it runs on
            the checks' threads, so it must be thread-safe.
        recognised: for a :class:`CallerRequest`, the access style to assume for the
            control-plane and policy checks when the caller knows more than the URL
            says (an endpoint id, the account); it never changes what is probed.

    Example:
        >>> from privateapi.doctor import DoctorOptions, run  # doctest: +SKIP
        >>> report = run(target, DoctorOptions(timeout=2))    # doctest: +SKIP
        >>> report.verdict, [r.cause for r in report.failed]  # doctest: +SKIP
        ('fail', ['tcp.timeout'])
    """
    from privateapi.doctor._registry import CHECKS

    options = options or DoctorOptions()
    selected = select_checks(CHECKS if checks is None else checks, options.checks)
    request, known, why = _request_of(target, options, recognised)
    ctx = Context(request, options, known, why)
    ids = {c.id for c in selected}
    done = {c.id: threading.Event() for c in selected}
    started = time.monotonic()
    deadline = started + _budget(options)
    ctx.finished = done
    ctx.deadline = deadline

    def worker(check: Check) -> None:
        for dep in (*check.needs, *check.after):
            if dep in ids:
                done[dep].wait(max(0.0, deadline - time.monotonic()))
        t0 = time.monotonic()
        result = fill_ids(_run_one(ctx, check), ctx.recognised)
        result = with_timing(result, check.id, (time.monotonic() - t0) * 1000)
        if time.monotonic() <= deadline:
            ctx.record(result)
            done[check.id].set()
            if on_result is not None:
                on_result(result)

    for check in selected:
        threading.Thread(
            target=worker, args=(check,), name=f"doctor:{check.id}", daemon=True
        ).start()
    for check in selected:
        done[check.id].wait(max(0.0, deadline - time.monotonic()))

    results: dict[str, Result] = {}
    for check in selected:
        r = ctx.result(check.id)
        if r is None:
            r = with_timing(
                skip(f"not run: did not finish within {_budget(options):.0f}s"), check.id, 0.0
            )
            if on_result is not None:
                on_result(r)
        results[check.id] = r
    # "What would work": the other ways of making the call, when it failed (one hook).
    from privateapi.doctor._alternatives import what_would_work

    results = direct_failures_as_warnings(results)
    results, alternatives, inferences = what_would_work(ctx, results)
    verdict, not_checked = compute_verdict(results)
    return Report(
        target=describe_target(ctx),
        results=tuple(results.values()),
        verdict=verdict,
        not_checked=not_checked,
        duration_ms=(time.monotonic() - started) * 1000,
        alternatives=alternatives,
        inferences=inferences,
    )
