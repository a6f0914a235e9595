"""When the server's own crypto fails (OpenSSL or Argon2 out of memory),
the answer is its failure, 503, and nothing is decided: a token whose hash
could not be computed is not "unknown" (a 200 from /revoke would
acknowledge a revocation that did not happen), a secret is not "wrong"
(401, an audited auth failure), a session is not "signed out", a form is not
"expired" (its CSRF token could not be computed), a password is not
"wrong" (a login failure feeding the audit trail). Once the fault
is gone, everything is as it was.

The faults come from an LD_PRELOAD shim (tests/faults/crypto_fail.c):
hashing exactly one chosen value fails, or every Argon2 verify does."""
import contextlib
import os

import pytest
import requests

from conftest import Browser, Server, auth_params, pkce_pair, \
    preload_shim, redirect_params
from helpers_admin import Console, add_admin, hidden
from helpers_token import assert_clean_stop, exchange, introspect, issue, \
    post, refresh, revoke


@pytest.fixture
def faulty(tmp_path, monkeypatch):
    """A started server (standard set-up) under the shim, with
    s.hash_fails(value) and s.argon2_fails() as context managers."""
    s = Server(tmp_path, setup="standard")
    hash_file = str(tmp_path / "hash-fails")
    argon2_file = str(tmp_path / "argon2-fails")
    preload_shim(monkeypatch, "crypto_fail", GH_FAULT_HASH=hash_file,
                 GH_FAULT_ARGON2=argon2_file)

    @contextlib.contextmanager
    def hash_fails(value):
        with open(hash_file, "w") as f:
            f.write(value)
        try:
            yield
        finally:
            os.unlink(hash_file)

    @contextlib.contextmanager
    def argon2_fails():
        open(argon2_file, "w").close()
        try:
            yield
        finally:
            os.unlink(argon2_file)

    s.hash_fails = hash_fails
    s.argon2_fails = argon2_fails
    s.start()
    yield s
    assert_clean_stop(s)


def unavailable(r):
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.json() == {"error": "temporarily_unavailable"}


def active(s, token):
    r = introspect(s, token)
    assert r.status_code == 200, r.text
    return r.json()["active"]


def count(s, etype):
    return len(s.query("SELECT seq FROM audit_events WHERE type = ?", etype))


def test_revoke_with_a_failed_hash_is_503_and_revokes_nothing(faulty):
    s, c, pub = faulty, faulty.confidential, faulty.public
    t = issue(s, c)
    tp = issue(s, pub)
    for tok in (t["access_token"], t["refresh_token"]):
        with s.hash_fails(tok):
            unavailable(revoke(s, c, tok))
        assert active(s, tok)
    with s.hash_fails(tp["refresh_token"]):		# a public client
        unavailable(revoke(s, pub, tp["refresh_token"]))
    assert count(s, "token.revoked") == 0
    # the family lives on; the revocation, asked again, is done
    assert refresh(s, pub, tp["refresh_token"]).status_code == 200
    r = revoke(s, c, t["access_token"])
    assert r.status_code == 200 and not active(s, t["access_token"])


def test_introspection_with_a_failed_hash_is_503_not_inactive(faulty):
    s = faulty
    t = issue(s, s.confidential)
    with s.hash_fails(t["access_token"]):
        unavailable(introspect(s, t["access_token"]))
    assert active(s, t["access_token"])


def test_token_endpoint_with_a_failed_hash_is_503_and_spends_nothing(faulty):
    s, c = faulty, faulty.confidential
    verifier, challenge = pkce_pair()
    r = Browser(s).authorize(auth_params(c, challenge))
    code = redirect_params(r)[1]["code"][0]
    with s.hash_fails(code):
        unavailable(exchange(s, c, code, verifier))
    # not invalid_grant, and the code was not consumed
    r = exchange(s, c, code, verifier)
    assert r.status_code == 200, r.text
    rt = r.json()["refresh_token"]
    with s.hash_fails(rt):
        unavailable(refresh(s, c, rt))
    assert refresh(s, c, rt).status_code == 200


def test_a_failed_hash_of_a_client_secret_is_503_not_a_bad_secret(faulty):
    s, c = faulty, faulty.confidential
    t = issue(s, c)
    before = count(s, "client.auth_failed")
    with s.hash_fails(c["client_secret"]):
        unavailable(introspect(s, t["access_token"]))
        unavailable(post(s, "/token", {"grant_type": "refresh_token",
                                       "refresh_token": t["refresh_token"]},
                         c))
    assert count(s, "client.auth_failed") == before
    assert active(s, t["access_token"])


def test_userinfo_with_a_failed_hash_is_503_not_invalid_token(faulty):
    s = faulty
    at = issue(s, s.confidential, scope="openid profile")["access_token"]

    def userinfo():
        return requests.get(s.base + "/userinfo",
                            headers={"Authorization": "Bearer " + at})

    with s.hash_fails(at):
        r = userinfo()
        unavailable(r)
        assert "WWW-Authenticate" not in r.headers
    assert userinfo().status_code == 200


def test_a_failed_hash_of_a_session_cookie_is_503_not_signed_out(faulty):
    s, c = faulty, faulty.confidential
    b = Browser(s)
    _, challenge = pkce_pair()
    params = auth_params(c, challenge)
    assert b.authorize(params).status_code in (302, 303)
    with s.hash_fails(b.s.cookies.get("gh_session")):
        unavailable(b.get(params))	# not the login form
    r = b.get(params)			# still signed in
    assert r.status_code in (302, 303), r.text


def test_a_failed_hash_of_an_admin_session_is_503_not_signed_out(faulty):
    s = faulty
    k = Console(s)
    k.login(add_admin(s))
    session = k.s.cookies.get("gh_admin")
    csrf = hidden(k.get("/admin/inventory").text, "csrf")
    with s.hash_fails(session):
        unavailable(k.get("/admin/inventory"))	# not the login page
        unavailable(k.post("/admin/logout", {"csrf": csrf}))
    # the logout did not happen, so nothing says it did
    assert k.get("/admin/inventory").status_code == 200
    assert count(s, "admin.logout") == 0


def test_a_failed_argon2_run_is_503_not_a_wrong_password(faulty):
    s, c = faulty, faulty.confidential
    b = Browser(s)
    _, challenge = pkce_pair()
    page = b.get(auth_params(c, challenge))
    assert 'value="login"' in page.text
    account = requests.Session()
    token = hidden(account.get(s.base + "/account/login").text, "csrf")
    form = {"csrf": token, "username": "alice",
            "password": s.user["password"]}
    with s.argon2_fails():
        unavailable(b.login(page))
        r = account.post(s.base + "/account/login", data=form,
                         allow_redirects=False)
        unavailable(r)
    assert count(s, "login.failure") == 0
    assert "gh_session" not in b.s.cookies
    # the same forms work once Argon2 does
    r = b.login(page)
    assert r.status_code == 200 and 'value="consent"' in r.text, r.text
    r = account.post(s.base + "/account/login", data=form,
                     allow_redirects=False)
    assert r.status_code == 303, r.text
    assert count(s, "login.failure") == 0


def test_a_failed_csrf_hmac_is_503_not_an_expired_form(faulty):
    s, c = faulty, faulty.confidential
    b = Browser(s)
    _, challenge = pkce_pair()
    params = auth_params(c, challenge)
    page = b.get(params)
    assert 'value="login"' in page.text
    account = requests.Session()
    token = hidden(account.get(s.base + "/account/login").text, "csrf")
    form = {"csrf": token, "username": "alice",
            "password": s.user["password"]}
    for jar, post in ((b.s, lambda: b.login(page)),
                      (account, lambda: account.post(
                          s.base + "/account/login", data=form,
                          allow_redirects=False))):
        with s.hash_fails("csrf:" + jar.cookies.get("gh_csrf")):
            unavailable(post())		# not "this form has expired"
    with s.hash_fails("csrf:" + b.s.cookies.get("gh_csrf")):
        unavailable(b.get(params))	# not a form with no token
    with s.hash_fails("csrf:" + account.cookies.get("gh_csrf")):
        unavailable(account.get(s.base + "/account/login"))
    assert count(s, "login.failure") == 0
    # the same forms work once the HMAC does
    r = b.login(page)
    assert r.status_code == 200 and 'value="consent"' in r.text, r.text
    r = account.post(s.base + "/account/login", data=form,
                     allow_redirects=False)
    assert r.status_code == 303, r.text
