"""The authorization endpoint's request checks (RFC 6749 4.1, RFC 7636,
RFC 9700, RFC 9207): which requests get an error page, which an error
redirect, and what every redirect carries."""
import urllib.parse

import pytest
import requests

from conftest import (REDIRECT, Browser, auth_params, await_client_status,
                      pkce_pair, redirect_params, token_request)
from helpers_authz import (assert_code_redirect, assert_error_page,
                           assert_error_redirect, count, fresh_params,
                           is_consent, is_login, raw_query_value, running)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for the module: these tests only read or add clients.
    (It is still stopped with SIGTERM and checked for sanitizer reports.)"""
    with running(tmp_path_factory.mktemp("authz")) as s:
        yield s


@pytest.fixture
def fresh_server(tmp_path):
    with running(tmp_path) as s:
        yield s


def redeem(server, client, code, verifier, **extra):
    data = {"grant_type": "authorization_code", "code": code,
            "code_verifier": verifier}
    data.update(extra)
    return token_request(server, client, data)


# -- GET and POST ----------------------------------------------------------
def test_get_issues_redeemable_code(server):
    c = server.confidential
    verifier, challenge = pkce_pair()
    r = Browser(server).authorize(auth_params(c, challenge))
    q = assert_code_redirect(r, c)
    t = redeem(server, c, q["code"][0], verifier, redirect_uri=REDIRECT)
    assert t.status_code == 200, t.text


def test_post_issues_redeemable_code(server):
    c = server.add_client(name="Posting app")     # not consented yet
    verifier, challenge = pkce_pair()
    b = Browser(server)
    r = b.post(auth_params(c, challenge))
    assert is_login(r), r.text[:300]
    r = b.login(r)
    assert is_consent(r)
    r = b.consent(r)
    q = assert_code_redirect(r, c)
    t = redeem(server, c, q["code"][0], verifier, redirect_uri=REDIRECT)
    assert t.status_code == 200, t.text


# -- response_type ---------------------------------------------------------
@pytest.mark.parametrize("rt", ["token", "code id_token", "id_token",
                                "code token", "CODE"])
def test_other_response_type_is_unsupported(server, rt):
    c = server.confidential
    r = Browser(server).get(fresh_params(c, response_type=rt))
    assert_error_redirect(r, server, c, "unsupported_response_type")


def test_missing_response_type_is_invalid_request(server):
    c = server.confidential
    r = Browser(server).get(fresh_params(c, response_type=None))
    assert_error_redirect(r, server, c, "invalid_request")


# -- duplicate parameters --------------------------------------------------
@pytest.mark.parametrize("name,value", [
    ("scope", "openid"), ("state", "other"), ("response_type", "code"),
    ("code_challenge", "A" * 43), ("prompt", "login"), ("nonce", "n")])
def test_duplicate_parameter_is_invalid_request(server, name, value):
    c = server.confidential
    p = fresh_params(c)
    extra = [(name, value)] * (1 if name in p else 2)
    p = list(p.items()) + extra
    r = Browser(server).get(p)
    assert r.status_code in (302, 303), r.text[:300]
    _, q = redirect_params(r)
    assert q["error"] == ["invalid_request"]
    assert "code" not in q
    assert q["iss"] == [server.issuer]


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
@pytest.mark.parametrize("same", [True, False], ids=["same", "different"])
def test_duplicate_client_id_or_redirect_uri_is_error_page(server, name,
                                                           same):
    c = server.confidential
    p = fresh_params(c)
    other = {"client_id": server.public["client_id"],
             "redirect_uri": "http://127.0.0.1:9001/cb"}[name]
    r = Browser(server).get(list(p.items()) +
                            [(name, p[name] if same else other)])
    assert_error_page(r)


# -- client and redirect URI: error page, never a redirect -----------------
def test_unknown_client_is_error_page(server):
    p = fresh_params(server.confidential, client_id="cl_doesnotexist")
    assert_error_page(Browser(server).get(p))


def test_missing_client_id_is_error_page(server):
    p = fresh_params(server.confidential, client_id=None)
    assert_error_page(Browser(server).get(p))


def test_disabled_client_is_error_page(fresh_server):
    server = fresh_server
    c = server.confidential
    server.cli("client", "disable", c["client_id"])
    await_client_status(server, c["client_id"], active=False)
    assert_error_page(Browser(server).get(fresh_params(c)))


def test_unregistered_redirect_uri_is_error_page(server):
    c = server.confidential
    r = Browser(server).get(fresh_params(
        c, redirect_uri="https://attacker.example/callback"))
    assert_error_page(r)
    assert "attacker.example" not in r.headers.get("Location", "")


def test_other_clients_redirect_uri_is_error_page(server):
    p = fresh_params(server.confidential,
                     redirect_uri=server.public["redirect_uri"])
    assert_error_page(Browser(server).get(p))


REDIRECT_TRICKS = {
    "prefix": REDIRECT + "/evil",
    "suffix-host": "http://127.0.0.1:9000.evil.com/callback",
    "subdomain": "http://evil.127.0.0.1:9000/callback",
    "trailing-slash": REDIRECT + "/",
    "query": REDIRECT + "?next=https://evil.example",
    "fragment": REDIRECT + "#frag",
    "upper-path": "http://127.0.0.1:9000/Callback",
    "upper-scheme": "HTTP://127.0.0.1:9000/callback",
    "pct-path": "http://127.0.0.1:9000/%63allback",
    "pct-slash": "http://127.0.0.1:9000%2Fcallback",
    "userinfo": "http://user@127.0.0.1:9000/callback",
    "userinfo-evil": "http://127.0.0.1:9000@evil.example/callback",
    "other-port": "http://127.0.0.1:9002/callback",
    "localhost": "http://localhost:9000/callback",
    "dot-segment": "http://127.0.0.1:9000/x/../callback",
    "https": "https://127.0.0.1:9000/callback",
    "space": REDIRECT + " ",
}


@pytest.mark.parametrize("uri", list(REDIRECT_TRICKS.values()),
                         ids=list(REDIRECT_TRICKS))
def test_redirect_uri_trick_is_refused(server, uri):
    p = fresh_params(server.confidential, redirect_uri=uri)
    r = Browser(server).get(p)
    assert_error_page(r)


def test_redirect_trick_refused_even_for_signed_in_user(server):
    """A session and a remembered consent must not turn the page into a
    redirect to an unregistered URI."""
    c = server.confidential
    b = Browser(server)
    assert_code_redirect(b.authorize(fresh_params(c)), c)
    r = b.get(fresh_params(c, redirect_uri=REDIRECT + "/evil"))
    assert_error_page(r)


def test_redirect_uri_omitted_with_single_registration(server):
    """Plain OAuth (no openid): RFC 6749 3.1.2.3 lets a client with one
    registered URI leave it out."""
    c = server.confidential
    verifier, challenge = pkce_pair()
    r = Browser(server).authorize(auth_params(c, challenge,
                                              scope="offline_access",
                                              redirect_uri=None))
    q = assert_code_redirect(r, c)
    t = redeem(server, c, q["code"][0], verifier)
    assert t.status_code == 200, t.text


@pytest.mark.parametrize("scope", ["openid", "openid offline_access",
                                   "offline_access openid"])
def test_redirect_uri_omitted_with_openid_is_error_page(server, scope):
    """OIDC Core 3.1.2.1: redirect_uri is REQUIRED when the scope holds
    openid, even for a client with one registered URI: an error page,
    never a redirect (not even an error redirect), for a signed-in
    browser too."""
    c = server.confidential
    r = Browser(server).get(fresh_params(c, scope=scope, redirect_uri=None))
    assert_error_page(r)
    assert "redirect_uri" in r.text
    b = Browser(server)
    assert_code_redirect(b.authorize(fresh_params(c)), c)
    r = b.get(fresh_params(c, scope=scope, redirect_uri=None))
    assert_error_page(r)
    # with prompt=none too: no login_required redirect
    r = Browser(server).get(fresh_params(c, scope=scope, redirect_uri=None,
                                         prompt="none"))
    assert_error_page(r)


def test_redirect_uri_omitted_with_repeated_scope_is_error_page(server):
    """A repeated scope, one copy holding openid, is refused on a page too:
    which copy counts is not for a redirect to settle."""
    c = server.confidential
    p = fresh_params(c, scope="offline_access", redirect_uri=None)
    url = server.base + "/authorize?" + urllib.parse.urlencode(p) + \
        "&scope=openid"
    assert_error_page(requests.get(url, allow_redirects=False))


def test_redirect_uri_omitted_with_two_registrations_is_error_page(server):
    c = server.add_client(name="Two URIs", redirect_uris=(
        REDIRECT, "http://127.0.0.1:9000/other"))
    r = Browser(server).get(fresh_params(c, redirect_uri=None))
    assert_error_page(r)
    # and either registered URI still works when named
    r = Browser(server).authorize(fresh_params(
        c, redirect_uri="http://127.0.0.1:9000/other"))
    assert r.headers["Location"].startswith("http://127.0.0.1:9000/other?")


# -- PKCE ------------------------------------------------------------------
def test_missing_code_challenge_is_invalid_request(server):
    c = server.public
    r = Browser(server).get(fresh_params(c, code_challenge=None))
    assert_error_redirect(r, server, c, "invalid_request")


@pytest.mark.parametrize("method", ["plain", None, "s256", "S512", ""],
                         ids=["plain", "missing", "lowercase", "S512",
                              "empty"])
def test_code_challenge_method_must_be_s256(server, method):
    c = server.public
    r = Browser(server).get(fresh_params(c, code_challenge_method=method))
    assert_error_redirect(r, server, c, "invalid_request")


def test_plain_challenge_with_plain_method_refused_for_confidential(server):
    c = server.confidential
    verifier, _ = pkce_pair()
    r = Browser(server).get(auth_params(c, verifier,
                                        code_challenge_method="plain"))
    assert_error_redirect(r, server, c, "invalid_request")


@pytest.mark.parametrize("challenge", [
    "A" * 42, "A" * 44, "A" * 128, "short",
    "A" * 42 + "+", "A" * 42 + "/", "A" * 41 + "=" * 2, "A" * 42 + ".",
    "A" * 21 + " " + "A" * 21, "A" * 21 + "%" + "A" * 21],
    ids=["42", "44", "128", "short", "plus", "slash", "padding", "dot",
         "space", "percent"])
def test_malformed_code_challenge_is_invalid_request(server, challenge):
    c = server.public
    r = Browser(server).get(fresh_params(c, code_challenge=challenge))
    assert_error_redirect(r, server, c, "invalid_request")


@pytest.mark.parametrize("nonce", [b"\xff", b"ok\xc3", b"\xed\xa0\x80"],
                         ids=["ff", "cut", "surrogate"])
def test_nonce_that_is_not_utf8_is_invalid_request(server, nonce):
    """The nonce goes into the ID token's JSON, which must be UTF-8: such a
    code could never be redeemed (each try a 5xx), so it is refused here."""
    c = server.confidential
    r = Browser(server).get(fresh_params(c, nonce=nonce))
    q = assert_error_redirect(r, server, c, "invalid_request")
    assert "UTF-8" in q["error_description"][0]


# -- scope -----------------------------------------------------------------
@pytest.mark.parametrize("scope", ["openid admin", "admin", "write:all"])
def test_scope_not_allowed_is_invalid_scope(server, scope):
    c = server.confidential
    r = Browser(server).get(fresh_params(c, scope=scope))
    assert_error_redirect(r, server, c, "invalid_scope")


def test_missing_scope_is_invalid_scope(server):
    c = server.confidential
    r = Browser(server).get(fresh_params(c, scope=None))
    assert_error_redirect(r, server, c, "invalid_scope")


def test_scope_limited_client_cannot_ask_beyond_registration(server):
    c = server.add_client(name="Narrow", scope="openid")
    r = Browser(server).get(fresh_params(c, scope="openid offline_access"))
    assert_error_redirect(r, server, c, "invalid_scope")


# -- state and iss ---------------------------------------------------------
TRICKY_STATE = "a b&c=d;e/f?g#h+i%25j é 漢字 😀 \"'<>"


def test_state_echoed_byte_for_byte_on_success(server):
    c = server.confidential
    r = Browser(server).authorize(fresh_params(c, state=TRICKY_STATE))
    q = assert_code_redirect(r, c, state=TRICKY_STATE)
    assert raw_query_value(r.headers["Location"], "state") == \
        [TRICKY_STATE.encode()]
    assert q["state"] == [TRICKY_STATE]


def test_state_echoed_byte_for_byte_on_error(server):
    c = server.confidential
    r = Browser(server).get(fresh_params(c, state=TRICKY_STATE,
                                         scope="admin"))
    assert_error_redirect(r, server, c, "invalid_scope", state=TRICKY_STATE)
    assert raw_query_value(r.headers["Location"], "state") == \
        [TRICKY_STATE.encode()]


def test_no_state_means_no_state_echoed(server):
    c = server.confidential
    r = Browser(server).authorize(fresh_params(c, state=None))
    assert r.status_code in (302, 303)
    _, q = redirect_params(r)
    assert "state" not in q and "code" in q


def test_every_redirect_carries_iss(server):
    c = server.add_client(name="Iss app")        # not consented yet
    cases = []
    # success
    cases.append(("code", Browser(server).authorize(fresh_params(c))))
    # request errors
    cases.append(("unsupported_response_type",
                  Browser(server).get(fresh_params(c, response_type="tok"))))
    cases.append(("invalid_scope",
                  Browser(server).get(fresh_params(c, scope="nope"))))
    cases.append(("invalid_request",
                  Browser(server).get(fresh_params(c, code_challenge=None))))
    cases.append(("login_required",
                  Browser(server).get(fresh_params(c, prompt="none"))))
    # user decision
    cases.append(("access_denied", Browser(server).authorize(
        fresh_params(c, scope="openid profile"), decision="deny")))
    for what, r in cases:
        assert r.status_code in (302, 303), (what, r.status_code)
        loc, q = redirect_params(r)
        assert q.get("iss") == [server.issuer], (what, loc)
        assert q.get("state") == ["st-123"], (what, loc)
        if what == "code":
            assert "code" in q
        else:
            assert q.get("error") == [what], (what, loc)
        # a single iss, and it is the issuer byte for byte
        assert raw_query_value(loc, "iss") == [server.issuer.encode()]


def test_metadata_advertises_iss_parameter(server):
    m = requests.get(server.base +
                     "/.well-known/oauth-authorization-server").json()
    assert m["issuer"] == server.issuer
    assert m.get("authorization_response_iss_parameter_supported") is True


def test_error_redirect_does_not_create_code(fresh_server):
    server = fresh_server
    c = server.confidential
    for p in (fresh_params(c, response_type="token"),
              fresh_params(c, scope="admin"),
              fresh_params(c, code_challenge_method="plain")):
        Browser(server).get(p)
    assert count(server, "codes") == 0


def test_query_of_registered_redirect_is_kept(server):
    """A registered URI with its own query: parameters are appended."""
    uri = "http://127.0.0.1:9000/cb?tenant=a"
    c = server.add_client(name="Query URI", redirect_uris=(uri,))
    r = Browser(server).authorize(fresh_params(c, redirect_uri=uri))
    loc = r.headers["Location"]
    assert loc.startswith(uri + "&"), loc
    q = urllib.parse.parse_qs(urllib.parse.urlparse(loc).query)
    assert q["tenant"] == ["a"] and "code" in q
