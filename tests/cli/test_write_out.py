"""``invoke -w``: curl's write-out format, property-tested."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from privateapi_cli._render import UsageError
from privateapi_cli.commands.invoke import check_write_out, render_write_out

VALUES = {"http_code": "200", "time_total": "0.012345"}
# Text with none of the format's special sequences: '%' and '\\' left out entirely.
plain = st.text(alphabet=st.characters(blacklist_characters="%\\", codec="utf-8"), max_size=40)


@given(plain)
def test_plain_text_is_unchanged(text: str) -> None:
    """Text without %, \\ passes through byte for byte."""
    assert render_write_out(text, VALUES) == text


@given(plain, plain)
def test_variables_and_escapes_expand(left: str, right: str) -> None:
    """%{http_code}, %%, \\n and \\t expand wherever they sit."""
    fmt = f"{left}%{{http_code}}\\t{right}%%\\n"
    assert render_write_out(fmt, VALUES) == f"{left}200\t{right}%\n"


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=20))
def test_unknown_variables_are_refused(name: str) -> None:
    """Any %{name} outside curl's known set is a usage error naming it."""
    known = {
        "http_code", "time_namelookup", "time_connect", "time_appconnect", "time_starttransfer",
        "time_total", "remote_ip", "size_download", "url_effective",
    }  # fmt: skip
    if name in known:
        check_write_out(f"%{{{name}}}")
        return
    with pytest.raises(UsageError, match=name):
        check_write_out(f"%{{{name}}}")
