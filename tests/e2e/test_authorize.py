"""The authorization endpoint's request checks (RFC 6749 4.1, RFC 7636,
RFC 9700, RFC 9207): which requests get an error page, which an error
redirect, and what every redirect carries."""
import re
import urllib.parse
from html.parser import HTMLParser

import pytest
import requests

from conftest import (PASSWORD, REDIRECT, Browser, auth_params,
                      await_client_status, pkce_pair, redirect_params,
                      token_request)
from helpers_authz import (assert_code_redirect, assert_error_page,
                           assert_error_redirect, count, fresh_params,
                           is_consent, is_login, raw_query_value, running)
from helpers_oidc import jwt_payload


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
# RFC 6749 A.5: state is printable ASCII (VSCHAR, %x20-7E). Every one of
# them, with character references and percent signs a careless escape or
# decode would turn into something else.
VSCHAR = "".join(chr(c) for c in range(0x20, 0x7F))
TRICKY_STATE = (VSCHAR + " a b&c=d;e/f?g#h+i%25j %zz &amp; &lt &#39; &#x41; "
                "\\n \"'<>")


class BrowserForm(HTMLParser):
    """What a browser posts back from a page's form: the page decoded as
    the UTF-8 it says it is (a bad byte becomes U+FFFD), CR and CRLF read
    as LF (HTML input stream preprocessing), attribute values with their
    character references resolved, NUL as U+FFFD; then on submission each
    CR, LF or CRLF in a value sent as CRLF (HTML form entry list)."""

    def __init__(self, resp):
        super().__init__(convert_charrefs=True)
        self.hidden = {}
        self.values = {}
        text = resp.content.decode("utf-8", errors="replace")
        self.feed(text.replace("\r\n", "\n").replace("\r", "\n"))
        self.close()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag != "input" or "name" not in a:
            return
        v = re.sub(r"\r\n|\r|\n", "\r\n",
                   (a.get("value") or "").replace("\0", "\ufffd"))
        self.values[a["name"]] = v
        if a.get("type") == "hidden":
            self.hidden[a["name"]] = v


def through_forms(server, params):
    """The browser leg, posting each form as BrowserForm reads it: the
    final response and the consent form's hidden fields."""
    b = Browser(server)
    r = b.get(params)
    assert is_login(r), r.text[:500]
    page = BrowserForm(r)
    assert page.values["username"] == params.get("login_hint", "")
    r = b.post(dict(page.hidden, username="alice", password=PASSWORD))
    assert is_consent(r), r.text[:500]
    consent = BrowserForm(r).hidden
    r = b.post(dict(consent, decision="allow"))
    return r, consent


def test_state_round_trips_through_login_and_consent_forms(server):
    """The state (every VSCHAR), a UTF-8 nonce and a login_hint come back
    byte for byte through both forms as a browser posts them: into the
    redirect (raw bytes) and the ID token."""
    c = server.add_client(name="Round trip")      # not consented yet
    verifier, challenge = pkce_pair()
    nonce = "n " + VSCHAR + " \u00e9\u4e2d\U0001F600"
    hint = "al&amp;ice<\"'>%41+"
    params = auth_params(c, challenge, state=TRICKY_STATE, nonce=nonce,
                         login_hint=hint, scope="openid")
    r, consent = through_forms(server, params)
    for name in ("state", "nonce", "login_hint"):
        assert consent[name] == params[name], name
    q = assert_code_redirect(r, c, state=TRICKY_STATE)
    assert raw_query_value(r.headers["Location"], "state") == \
        [TRICKY_STATE.encode()]
    t = redeem(server, c, q["code"][0], verifier,
               redirect_uri=c["redirect_uri"])
    assert t.status_code == 200, t.text
    assert jwt_payload(t.json()["id_token"])["nonce"] == nonce


def test_state_echoed_byte_for_byte_on_error(server):
    c = server.confidential
    r = Browser(server).get(fresh_params(c, state=TRICKY_STATE,
                                         scope="admin"))
    assert_error_redirect(r, server, c, "invalid_scope", state=TRICKY_STATE)
    assert raw_query_value(r.headers["Location"], "state") == \
        [TRICKY_STATE.encode()]


# What a browser would not post back as sent (seen in Chromium: a%0Db came
# back a%0D%0Ab, a%FFb as a%EF%BF%BDb), and for state what is outside
# VSCHAR even if it would survive (UTF-8, TAB).
CHANGED = [b"a\rb", b"a\nb", b"a\r\nb", b"a\xffb", b"a\xc3", b"\xed\xa0\x80",
           b"a\x01b", b"a\x7fb", b"a\xc2\x85b"]
CHANGED_IDS = ["cr", "lf", "crlf", "ff", "cut", "surrogate", "soh", "del",
               "c1"]


@pytest.mark.parametrize("state", CHANGED + ["caf\u00e9".encode(), b"a\tb"],
                         ids=CHANGED_IDS + ["utf8", "tab"])
def test_state_outside_vschar_is_refused_and_echoed_exactly(server, state):
    """Refused before any form is shown, with an error redirect that
    carries the state exactly as received (RFC 6749 4.1.2.1): it has not
    been through a form, so the client can still match it."""
    c = server.confidential
    b = Browser(server)
    r = b.get(fresh_params(c, state=state))
    assert r.status_code in (302, 303), r.text[:300]
    loc, q = redirect_params(r)
    assert loc.startswith(c["redirect_uri"] + "?"), loc
    assert q.get("error") == ["invalid_request"], loc
    assert "state" in q["error_description"][0], loc
    assert "code" not in q and q.get("iss") == [server.issuer], loc
    assert raw_query_value(loc, "state") == [state]
    # the same from a hand-made POST (no form of ours ever carries it)
    p = fresh_params(c, state=state)
    r = b.post(p)
    assert raw_query_value(r.headers["Location"], "state") == [state]


@pytest.mark.parametrize("name", ["nonce", "login_hint"])
@pytest.mark.parametrize("value", CHANGED, ids=CHANGED_IDS)
def test_nonce_or_login_hint_a_form_would_change_is_refused(server, name,
                                                           value):
    """UTF-8 text only, without control characters: anything else would
    reach the ID token (nonce) or the forms changed, or not be JSON."""
    c = server.confidential
    r = Browser(server).get(fresh_params(c, **{name: value}))
    q = assert_error_redirect(r, server, c, "invalid_request")
    assert name in q["error_description"][0]


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
