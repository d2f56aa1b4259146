"""API Gateway's size limit for a REST API resource policy: 8,192 characters.

Source: the API Gateway quotas page ("limits.html", reference ``aws-private-apis.md``
[QUOTAS]), which gives the limit in *characters* and says nothing about how they are
counted. Unverified, and so only warned about by :func:`privateapi.policy.lint`:

* whether whitespace counts (the policy as written, or as API Gateway re-serialises it);
* whether the ``execute-api:/...`` short forms count before or after API Gateway expands
  them to full ARNs on save (the stored form is longer);
* whether the stored form, which ``get-rest-api`` returns with its quotes escaped
  (``{\\"Version\\":...}``), is what is counted.

What is checked for certain is what privateapi sends: the compact JSON text of the
policy (no spaces, non-ASCII characters escaped, so characters equal bytes), as
``privateapi policy apply`` sends it. A policy over the limit there is refused before
anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from privateapi.policy._errors import PolicyTooLargeError
from privateapi.policy._match import expand_short_form, is_short_form
from privateapi.policy._model import ApiContext, Policy
from privateapi.policy._parse import parse_policy

__all__ = ["MAX_POLICY_CHARS", "check_size", "compact_text", "other_counts"]

#: API Gateway's limit on a REST API resource policy, in characters.
MAX_POLICY_CHARS: Final = 8192


def compact_text(policy: Policy) -> str:
    """The policy as privateapi sends it: compact JSON, non-ASCII escaped."""
    return json.dumps(policy.source, separators=(",", ":"))


def check_size(
    policy: Policy | str | bytes | Mapping[str, Any], *, limit: int = MAX_POLICY_CHARS
) -> str:
    """Refuse a resource policy that API Gateway would refuse for its size.

    Measures the compact JSON text of the policy (what ``privateapi policy apply`` sends;
    whitespace in the text given does not count) against API Gateway's 8,192-character
    limit. Other ways API Gateway might count are unverified; :func:`lint` warns about
    them (``policy-size-unverified``).

    Args:
        policy: the policy (parsed, JSON text or a mapping).
        limit: the limit in characters (API Gateway's by default).

    Returns:
        The compact JSON text that was measured: send exactly this.

    Raises:
        PolicyTooLargeError: the policy is over the limit; the message gives both sizes.
        PolicySyntaxError: the document cannot be parsed.

    Example:
        >>> from privateapi.policy import generate
        >>> len(check_size(generate(["vpce-1a2b3c4d"])))
        340
    """
    text = compact_text(parse_policy(policy))
    if len(text) > limit:
        raise PolicyTooLargeError(len(text), limit)
    return text


def other_counts(policy: Policy, written: str | None, api: ApiContext | None) -> dict[str, int]:
    """The policy's length under the countings that are unverified, by a short label.

    ``written``: the text as given, when it was given as text. ``api``: the API, to expand
    ``execute-api:/...`` short forms as API Gateway does on save.
    """
    compact = compact_text(policy)
    counts: dict[str, int] = {}
    if written is not None and len(written) != len(compact):
        counts["as written, whitespace included"] = len(written)
    if api is not None:
        expanded = json.dumps(_expanded(policy.source, api), separators=(",", ":"))
        if len(expanded) != len(compact):
            counts["with execute-api:/ short forms expanded, as AWS stores them"] = len(expanded)
    # json.dumps of the text is the text as a JSON string: each quote and backslash escaped.
    counts["with quotes escaped, as get-rest-api returns it"] = len(json.dumps(compact)) - 2
    return counts


def _expanded(source: Mapping[str, Any], api: ApiContext) -> dict[str, Any]:
    raw = source.get("Statement")
    statements = [raw] if isinstance(raw, Mapping) else list(raw or [])
    out = []
    for st in statements:
        copy = dict(st)
        for key in ("Resource", "NotResource"):
            value = copy.get(key)
            if isinstance(value, str):
                copy[key] = _expand(value, api)
            elif isinstance(value, list):
                copy[key] = [_expand(v, api) if isinstance(v, str) else v for v in value]
        out.append(copy)
    return {**source, "Statement": out}


def _expand(resource: str, api: ApiContext) -> str:
    return expand_short_form(resource, api) if is_short_form(resource) else resource
