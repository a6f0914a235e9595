"""OpenID Connect authentication request parameters, end to end: max_age
(OIDC Core 3.1.2.1: a session older than max_age, and always max_age=0,
means signing in again; the ID token's auth_time is that new sign-in),
login_hint (pre-fills the username, HTML-escaped, and chooses nothing by
itself) and id_token_hint (an ID token we issued to the client; another
user signed in means login_required with prompt=none, else a sign-in)."""
import time
from html.parser import HTMLParser

import pytest

from conftest import Browser, auth_params, pkce_pair, redirect_params
from helpers_authz import assert_error_redirect
from helpers_oidc import (add_oidc_client, redeem, user_id,
                          verify_id_token)


class Inputs(HTMLParser):
    """The <input> elements of a page, attributes unescaped."""

    def __init__(self, html):
        super().__init__()
        self.inputs = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append(dict(attrs))

    def named(self, name):
        found = [i for i in self.inputs if i.get("name") == name]
        assert len(found) == 1, (name, self.inputs)
        return found[0]


def is_login(r):
    return r.status_code == 200 and 'value="login"' in r.text


def finish(b, r):
    """From a login or consent page to the redirect, signing in as alice."""
    for _ in range(3):
        if is_login(r):
            r = b.login(r)
        elif r.status_code == 200 and 'value="consent"' in r.text:
            r = b.consent(r)
        else:
            break
    assert r.status_code in (302, 303), (r.status_code, r.text[:800])
    return r


def start(b, client, nonce, **extra):
    verifier, challenge = pkce_pair()
    r = b.get(auth_params(client, challenge, scope="openid", nonce=nonce,
                          **extra))
    return r, verifier


def tokens(server, client, r, verifier):
    loc, q = redirect_params(r)
    assert "code" in q, loc
    return redeem(server, client, q["code"][0], verifier)


def signed_in(server, client):
    """A browser with a session; returns (browser, first auth_time)."""
    b = Browser(server)
    r, verifier = start(b, client, "first")
    assert is_login(r)
    tok = tokens(server, client, finish(b, r), verifier)
    claims, _ = verify_id_token(server, client, tok, nonce="first")
    return b, claims["auth_time"]


# -- max_age -----------------------------------------------------------------
def test_max_age_zero_always_signs_in_again(server):
    c = add_oidc_client(server, "RS256")
    b, first = signed_in(server, c)
    # even a session seconds old: max_age=0 is prompt=login
    r, verifier = start(b, c, "again", max_age="0")
    assert is_login(r), (r.status_code, r.text[:500])
    assert "code=" not in r.headers.get("Location", "")
    time.sleep(1.1)                 # a new second for the new sign-in
    t_login = int(time.time())
    r = finish(b, r)
    tok = tokens(server, c, r, verifier)
    claims, _ = verify_id_token(server, c, tok, nonce="again", max_age=0)
    assert claims["auth_time"] >= t_login > first, (claims, first)
    assert claims["sub"] == user_id(server)
    # and again: max_age=0 never accepts the session just made
    r, _ = start(b, c, "third", max_age="0")
    assert is_login(r)


def test_max_age_zero_then_consent_is_no_login_loop(server):
    """The sign-in answers max_age=0: the consent page that follows does
    not ask for a sign-in again."""
    c = add_oidc_client(server, "ES256")
    b = Browser(server)
    r, verifier = start(b, c, "n", max_age="0")
    assert is_login(r)
    t_login = int(time.time())
    r = b.login(r)
    assert r.status_code == 200 and 'value="consent"' in r.text, r.text[:500]
    r = b.consent(r)
    assert r.status_code in (302, 303), r.text[:500]
    claims, _ = verify_id_token(server, c, tokens(server, c, r, verifier),
                                nonce="n", max_age=0)
    assert claims["auth_time"] >= t_login


def test_large_max_age_keeps_the_session(server):
    c = add_oidc_client(server, "ES256")
    b, first = signed_in(server, c)
    time.sleep(1.1)
    r, verifier = start(b, c, "later", max_age="86400")
    assert not is_login(r), r.text[:500]
    assert r.status_code in (302, 303), (r.status_code, r.text[:500])
    tok = tokens(server, c, r, verifier)
    claims, _ = verify_id_token(server, c, tok, nonce="later", max_age=86400)
    assert claims["auth_time"] == first     # the original sign-in


def test_max_age_shorter_than_session_age(server):
    c = add_oidc_client(server, "RS256")
    b, first = signed_in(server, c)
    r, _ = start(b, c, "x", max_age="60")
    assert not is_login(r) and r.status_code in (302, 303)
    time.sleep(2.2)
    r, verifier = start(b, c, "old", max_age="1")
    assert is_login(r), (r.status_code, r.text[:500])
    t_login = int(time.time())
    tok = tokens(server, c, finish(b, r), verifier)
    claims, _ = verify_id_token(server, c, tok, nonce="old", max_age=1)
    assert claims["auth_time"] >= t_login > first


def is_consent(r):
    return r.status_code == 200 and 'value="consent"' in r.text


def test_max_age_holds_until_the_consent_is_posted(server):
    """A consent page shown for a session young enough, posted once the
    session is older than max_age, leads to a sign-in, not to a code with
    a stale auth_time: the consent form carries max_age."""
    c = add_oidc_client(server, "RS256")
    b, first = signed_in(server, c)
    r, verifier = start(b, c, "late", max_age="2", prompt="consent")
    assert is_consent(r), (r.status_code, r.text[:500])
    assert Inputs(r.text).named("max_age")["value"] == "2"
    time.sleep(3.1)
    r = b.consent(r)
    assert is_login(r), (r.status_code, r.headers.get("Location"))
    t_login = int(time.time())
    tok = tokens(server, c, finish(b, r), verifier)
    claims, _ = verify_id_token(server, c, tok, nonce="late", max_age=2)
    assert claims["auth_time"] >= t_login > first, (claims, first)


def test_max_age_late_deny_is_still_a_deny(server):
    """A refusal needs no sign-in: posted after the session outgrew
    max_age it still answers access_denied (a sign-in first would lose it,
    and the remembered grant would then issue a code)."""
    c = add_oidc_client(server, "RS256")
    b, _ = signed_in(server, c)
    r, _ = start(b, c, "late", max_age="2", prompt="consent")
    assert is_consent(r)
    time.sleep(3.1)
    r = b.consent(r, decision="deny")
    assert r.status_code in (302, 303), (r.status_code, r.text[:500])
    loc, q = redirect_params(r)
    assert q.get("error") == ["access_denied"] and "code" not in q, loc


def test_max_age_consent_posted_in_time_issues_code(server):
    c = add_oidc_client(server, "RS256")
    b, first = signed_in(server, c)
    r, verifier = start(b, c, "soon", max_age="60", prompt="consent")
    assert is_consent(r)
    r = b.consent(r)
    assert r.status_code in (302, 303), r.text[:500]
    claims, _ = verify_id_token(server, c, tokens(server, c, r, verifier),
                                nonce="soon", max_age=60)
    assert claims["auth_time"] == first


def test_max_age_zero_with_prompt_none_is_login_required(server):
    c = add_oidc_client(server, "RS256")
    b, _ = signed_in(server, c)
    r, _ = start(b, c, "n", max_age="0", prompt="none")
    assert r.status_code in (302, 303), r.text[:500]
    loc, q = redirect_params(r)
    assert q.get("error") == ["login_required"], loc
    assert "code" not in q


def test_bad_max_age_is_invalid_request(server):
    c = add_oidc_client(server, "RS256")
    b = Browser(server)
    for bad in ("-1", "abc", "1.5", "0x10", "99999999999999999999"):
        r, _ = start(b, c, "n", max_age=bad)
        assert r.status_code in (302, 303), (bad, r.text[:300])
        loc, q = redirect_params(r)
        assert q.get("error") == ["invalid_request"], (bad, loc)


# -- login_hint --------------------------------------------------------------
def test_login_hint_prefills_username(server):
    c = add_oidc_client(server, "RS256")
    r, _ = start(Browser(server), c, "n", login_hint="alice")
    assert is_login(r)
    assert Inputs(r.text).named("username")["value"] == "alice"
    assert 'name="username"' in r.text
    # without a hint the field is empty
    r, _ = start(Browser(server), c, "n")
    assert Inputs(r.text).named("username").get("value", "") == ""


def test_login_hint_is_html_escaped(server):
    c = add_oidc_client(server, "RS256")
    hint = 'x" autofocus onfocus="alert(1)\'><script>alert(2)</script>&'
    r, _ = start(Browser(server), c, "n", login_hint=hint)
    assert is_login(r)
    page = Inputs(r.text)
    user = page.named("username")
    assert user["value"] == hint                # exactly, as text
    assert "onfocus" not in user and user["type"] == "text", user
    assert "<script>" not in r.text
    assert 'x" autofocus' not in r.text
    assert ("x&quot; autofocus onfocus=&quot;alert(1)&#39;&gt;&lt;script&gt;"
            in r.text)
    # no element was injected: one text input, one password input
    types = sorted(i.get("type") for i in page.inputs
                   if i.get("type") != "hidden")
    assert types == ["password", "text"], page.inputs


def test_login_hint_chooses_nothing(server):
    """The hint only pre-fills: the account is the one that signs in."""
    server.add_user("bob")
    c = add_oidc_client(server, "RS256")
    b = Browser(server)
    r, verifier = start(b, c, "n", login_hint="bob")
    assert Inputs(r.text).named("username")["value"] == "bob"
    tok = tokens(server, c, finish(b, r), verifier)    # alice signs in
    claims, _ = verify_id_token(server, c, tok, nonce="n")
    assert claims["sub"] == user_id(server, "alice")


def test_login_hint_too_long_refused(server):
    c = add_oidc_client(server, "RS256")
    r, _ = start(Browser(server), c, "n", login_hint="a" * 300)
    assert r.status_code in (302, 303), r.text[:300]
    loc, q = redirect_params(r)
    assert q.get("error") == ["invalid_request"], loc


# -- id_token_hint -----------------------------------------------------------
def id_token_of(server, client, username="alice", browser=None):
    """Sign `username` in (on browser, or a new one) and return the ID
    token of the flow, with the browser."""
    b = browser or Browser(server)
    r, verifier = start(b, client, "n")
    for _ in range(3):
        if is_login(r):
            r = b.login(r, username=username)
        elif r.status_code == 200 and 'value="consent"' in r.text:
            r = b.consent(r)
        else:
            break
    tok = tokens(server, client, r, verifier)
    claims, _ = verify_id_token(server, client, tok, nonce="n")
    assert claims["sub"] == user_id(server, username)
    return tok, b


def hinted(b, client, hint, **extra):
    r, verifier = start(b, client, "h", id_token_hint=hint, state="st-123",
                        **extra)
    return r, verifier


def test_id_token_hint_of_the_signed_in_user(server):
    """The user the hint names is signed in: prompt=none issues a code,
    and so does a request without prompt, with no page."""
    c = add_oidc_client(server, "RS256")
    tok, b = id_token_of(server, c)
    for extra in ({"prompt": "none"}, {}):
        r, verifier = hinted(b, c, tok["id_token"], **extra)
        assert r.status_code in (302, 303), (extra, r.text[:300])
        t = tokens(server, c, r, verifier)
        claims, _ = verify_id_token(server, c, t, nonce="h")
        assert claims["sub"] == user_id(server, "alice")


def test_id_token_hint_of_another_user(server):
    """OIDC Core 3.1.2.1: bob is signed in, the hint names alice. With
    prompt=none: login_required, never a code for bob; without: the login
    form, and the code is for whoever then signs in."""
    server.add_user("bob")
    c = add_oidc_client(server, "ES256")
    alices, _ = id_token_of(server, c, "alice")
    _, b = id_token_of(server, c, "bob")
    r, _ = hinted(b, c, alices["id_token"], prompt="none")
    assert_error_redirect(r, server, c, "login_required")
    r, verifier = hinted(b, c, alices["id_token"])
    assert is_login(r), (r.status_code, r.text[:300])
    r = b.login(r, username="alice")
    assert r.status_code in (302, 303), r.text[:300]  # consent remembered
    t = tokens(server, c, r, verifier)
    claims, _ = verify_id_token(server, c, t, nonce="h")
    assert claims["sub"] == user_id(server, "alice")
    # alice is signed in now: the hint is hers
    r, _ = hinted(b, c, alices["id_token"], prompt="none")
    assert r.status_code in (302, 303)
    assert "code" in redirect_params(r)[1], r.headers["Location"]


def test_id_token_hint_without_session(server):
    c = add_oidc_client(server, "RS256")
    tok, _ = id_token_of(server, c)
    r, _ = hinted(Browser(server), c, tok["id_token"], prompt="none")
    assert_error_redirect(r, server, c, "login_required")
    r, _ = hinted(Browser(server), c, tok["id_token"])
    assert is_login(r)


def tampered(jwt):
    h, p, sig = jwt.split(".")
    return ".".join((h, p[:-2] + ("A" if p[-2] != "A" else "B") + p[-1],
                     sig))


@pytest.mark.parametrize("how", ["other client", "tampered", "garbage",
                                 "unsigned", "access token"])
def test_id_token_hint_that_does_not_verify(server, how):
    """A hint that is not an ID token we issued to this client, signed by
    our key, is invalid_request (an error redirect: the client and its
    redirect URI are established), signed in or not."""
    c = add_oidc_client(server, "ES256", extra=("--access-token-format",
                                                "jwt"))
    other = add_oidc_client(server, "ES256", name="Other")
    tok, b = id_token_of(server, c)
    hint = {
        "other client": lambda: id_token_of(server, other, browser=b)[0][
            "id_token"],
        "tampered": lambda: tampered(tok["id_token"]),
        "garbage": lambda: "not.a.jwt",
        "unsigned": lambda: "eyJhbGciOiJub25lIn0." +
        tok["id_token"].split(".")[1] + ".",
        # the RFC 9068 access token: our key, our iss, the user as sub,
        # but typ at+jwt and aud the issuer (typ alone: unit
        # test_id_token_hint, fuzz_authorize)
        "access token": lambda: tok["access_token"],
    }[how]()
    if how == "access token":
        assert hint.count(".") == 2, hint
    for browser in (b, Browser(server)):
        for extra in ({"prompt": "none"}, {}):
            r, _ = hinted(browser, c, hint, **extra)
            q = assert_error_redirect(r, server, c, "invalid_request")
            assert "id_token_hint" in q["error_description"][0]
