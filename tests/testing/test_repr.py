"""LocalGateway's repr: useful (region, account, counts, state) and free of secrets."""

from __future__ import annotations

from privateapi.testing import LocalGateway


def test_repr_through_the_lifecycle() -> None:
    """Not started, running with an API, closed; never the lab's secret key or token."""
    gw = LocalGateway()
    assert repr(gw).endswith("not started>")
    with gw:
        gw.add_api()
        text = repr(gw)
        assert "us-east-1" in text
        assert "1 API(s)" in text
        assert text.endswith("running>")
        creds = gw.credentials
        for secret in (creds.secret_access_key, creds.session_token):
            if secret:
                assert secret not in text
    assert repr(gw).endswith("closed>")
