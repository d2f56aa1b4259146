"""Library hints speak library terms: no command-line flag or command in a cause's hint."""

from __future__ import annotations

import re

import pytest

from privateapi import CAUSES

FLAG = re.compile(r"(?<![\w-])--[a-z][\w-]*")


@pytest.mark.parametrize("code", sorted(CAUSES))
def test_no_hint_names_a_flag_or_a_privateapi_command(code: str) -> None:
    """The CLI maps a cause to its flag (privateapi_cli._hints); the library never does."""
    cause = CAUSES[code]
    for text in (cause.hint, cause.meaning):
        assert FLAG.search(text) is None, text
        assert "privateapi " not in text, text


def test_the_cli_table_names_real_causes() -> None:
    """Every cause the CLI maps to a flag or command exists (a renamed cause fails here)."""
    from privateapi_cli._hints import CAUSE_COMMANDS, CAUSE_FLAGS, cli_hint

    assert set(CAUSE_FLAGS) | set(CAUSE_COMMANDS) <= set(CAUSES)
    assert cli_hint("tls.untrusted", "Trust the CA.") == "Trust the CA. (privateapi: --ca-bundle)"
    assert cli_hint("tcp.timeout", "Open 443.") == "Open 443."
    assert cli_hint(None, None) is None
