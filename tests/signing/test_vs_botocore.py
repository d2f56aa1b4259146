"""Our canonical request equals botocore's where botocore is known to be right.

botocore is right for: a path of unreserved characters and percent-escapes (it
normalises dot segments and encodes the path once more), and a query passed as
``params=`` with unique names (it strictly encodes them). We sign the wire form
httpx produces for the same parameters.
"""

from __future__ import annotations

import datetime as dt

import httpx
from botocore.auth import SigV4Auth as BotoSigV4
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCreds
from hypothesis import given, settings
from hypothesis import strategies as st

from privateapi._auth import SigV4Auth

HOST = "abcde12345.execute-api.us-east-1.amazonaws.com"
AMZ = "20150830T123600Z"
CLOCK = dt.datetime(2015, 8, 30, 12, 36, tzinfo=dt.UTC)

unreserved = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_~",
    min_size=1,
    max_size=8,
)
escape = st.integers(0, 255).map(lambda b: f"%{b:02X}")
segment = st.lists(st.one_of(unreserved, escape), min_size=1, max_size=4).map("".join)
path = st.lists(segment, min_size=0, max_size=4).map(lambda s: "/" + "/".join(s))
param_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=10
)
params = st.dictionaries(param_text.filter(bool), param_text, max_size=4)
meta = st.text(alphabet="abc xyz\t-", min_size=1, max_size=12).filter(lambda v: v.strip())


@settings(max_examples=200, deadline=None)
@given(path=path, params=params, meta=meta, body=st.binary(max_size=64))
def test_canonical_request_matches_botocore(
    path: str, params: dict[str, str], meta: str, body: bytes
) -> None:
    headers = {"Content-Type": "application/json", "X-Amz-Meta-Note": meta}
    boto_req = AWSRequest(
        method="POST",
        url=f"https://{HOST}{path}",
        params=params,
        data=body,
        headers={**headers, "X-Amz-Date": AMZ},
    )
    boto = BotoSigV4(BotoCreds("AKIDEXAMPLE", "secret"), "execute-api", "us-east-1")
    boto_creq = boto.canonical_request(boto_req)

    request = httpx.Request(
        "POST", f"https://{HOST}{path}", params=params, content=body, headers=headers
    )
    request.headers.pop("content-length", None)  # botocore would sign it; we never do
    auth = SigV4Auth(
        ("AKIDEXAMPLE", "secret"), region="us-east-1", record=True, clock=lambda: CLOCK
    )
    auth.sign_request(request)
    assert auth.last_signing is not None
    assert auth.last_signing.canonical_request == boto_creq
