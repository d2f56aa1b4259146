"""Did-you-mean for the values the library refuses: check ids, styles, operators, regions.

argparse's own choices (commands, ``--style``) and unknown options are suggested in
``main``; this covers the words only the library knows are wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from privateapi_cli._render import suggest


def _check_ids() -> Iterable[str]:
    from privateapi.doctor import CHECKS, GROUPS

    return [*(c.id for c in CHECKS), *GROUPS]


def _styles() -> Iterable[str]:
    from privateapi import Style

    return [s.value for s in Style]


def _regions() -> Iterable[str]:
    from privateapi import partition_for_region

    return [r for p in (partition_for_region("us-east-1"),) for r in p.regions]


def _operators() -> Iterable[str]:
    from privateapi.policy import OPERATORS

    return OPERATORS


#: The library's field name -> the words a value of it may be.
_CANDIDATES: Mapping[str, Callable[[], Iterable[str]]] = {
    "check": _check_ids,
    "style": _styles,
    "region": _regions,
}


def _operator_of(value: str) -> str:
    """The base operator of ``ForAnyValue:StringLikeIfExists`` (the part a typo is in)."""
    base = value.split(":", 1)[1] if ":" in value else value
    return base.removesuffix("IfExists")


def suggestion_for(exc: object) -> str | None:
    """The closest valid word for an input error's value, when the field has a vocabulary."""
    value = getattr(exc, "value", None)
    if not isinstance(value, str) or not value:
        return None
    key = getattr(exc, "key", None)
    if isinstance(key, str) and key.startswith("Condition."):
        base = _operator_of(value)
        found = suggest(base, _operators())
        return None if found is None else value.replace(base, found, 1)
    candidates = _CANDIDATES.get(str(getattr(exc, "field", "")))
    if candidates is None:
        return None
    return suggest(value, candidates())
