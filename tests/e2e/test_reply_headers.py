"""A reply goes out with all of its headers or not at all. If
libmicrohttpd cannot add one (it refuses only when it cannot allocate the
header), the connection is closed: a token response without its
Cache-Control: no-store / Pragma: no-cache, or an HTML page without its
CSP, must never reach the client. The fault is an LD_PRELOAD shim."""
import pytest
import requests

from conftest import (Browser, Server, auth_params, pkce_pair,
                      preload_shim, redirect_params, token_request)


@pytest.fixture
def faulty(tmp_path, monkeypatch):
    fault = tmp_path / "header-fails"
    preload_shim(monkeypatch, "header_fail", GH_FAULT_HEADER=fault)
    s = Server(tmp_path)
    c = s.add_client()
    s.add_user()
    s.start()
    yield s, c, fault
    assert s.stop() == 0


def test_a_token_reply_that_lost_a_header_is_not_sent(faulty):
    s, c, fault = faulty
    verifier, challenge = pkce_pair()
    r = Browser(s).authorize(auth_params(c, challenge))
    assert r.status_code in (302, 303), r.text
    code = redirect_params(r)[1]["code"][0]
    fault.write_text("Pragma\n")
    with pytest.raises(requests.ConnectionError):
        token_request(s, c, {
            "grant_type": "authorization_code", "code": code,
            "code_verifier": verifier, "redirect_uri": c["redirect_uri"]})
    assert s.logged_since(0, '"event":"response_dropped"')
    # replies that carry every header still go out meanwhile
    meta = requests.get(s.base + "/.well-known/openid-configuration")
    assert meta.status_code == 200 and "no-store" not in \
        meta.headers["Cache-Control"]
    fault.unlink()
    assert requests.get(s.base + "/healthz").headers["Pragma"] == \
        "no-cache"


def test_an_html_page_that_lost_its_csp_is_not_sent(faulty):
    s, _, fault = faulty
    fault.write_text("Content-Security-Policy\n")
    with pytest.raises(requests.ConnectionError):
        requests.get(s.base + "/account/login")
    fault.unlink()
    r = requests.get(s.base + "/account/login")
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
