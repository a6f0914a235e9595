"""Connected apps: a signed-in user lists the apps they gave access to
and revokes their own grants (CSRF, confirmation, audited as "user");
nobody can revoke someone else's grant."""
import urllib.parse

import requests

from conftest import PASSWORD, Browser, auth_params, pkce_pair
from helpers_admin import audit_rows, hidden, introspect, redeem
from helpers_authz import (assert_error_redirect, cookie_attrs, cookie_named,
                           count, fresh_params)


class User:
    def __init__(self, server):
        self.server = server
        self.s = requests.Session()

    def get(self, path):
        return self.s.get(self.server.base + path, allow_redirects=False)

    def post(self, path, data):
        return self.s.post(self.server.base + path, data=data,
                           allow_redirects=False)

    def login(self, username="alice", password=PASSWORD):
        token = hidden(self.get("/account/login").text, "csrf")
        return self.post("/account/login", {"csrf": token,
                                            "username": username,
                                            "password": password})


def grant_of(server, client, username="alice"):
    return server.query(
        "SELECT g.id FROM grants g JOIN users u ON u.id = g.user_id "
        "WHERE g.client_id = ? AND u.username = ? AND g.revoked_at IS NULL",
        client["client_id"], username)[0][0]


def test_lists_apps_and_revokes_own_grant(server):
    c = server.confidential
    t = redeem(server, c)
    u = User(server)
    r = u.get("/account")
    assert r.status_code == 303 and r.headers["Location"] == "/account/login"
    r = u.login(password="wrong")
    assert r.status_code == 401
    assert u.login().status_code == 303
    r = u.get("/account")
    page = r.text
    assert "Confidential app" in page and "test-team" in page
    assert "openid offline_access" in page
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"
    gid = grant_of(server, c)
    link = "/account/revoke?grant_id=" + urllib.parse.quote(gid)
    assert urllib.parse.quote(gid) in page
    confirm = u.get(link)
    assert confirm.status_code == 200 and "Revoke access" in confirm.text
    # without the form's CSRF token nothing happens
    r = u.post("/account/revoke", {"grant_id": gid})
    assert r.status_code == 403
    assert introspect(server, c, t["access_token"]) is True
    r = u.post("/account/revoke", {"grant_id": gid,
                                   "csrf": hidden(confirm.text, "csrf")})
    assert r.status_code == 303 and r.headers["Location"] == \
        "/account?done=revoked"
    assert introspect(server, c, t["access_token"]) is False
    page = u.get(r.headers["Location"]).text
    assert "Access revoked" in page and "No app has access" in page
    row = audit_rows(server, "grant.revoked")[-1]
    assert row[0] == "user" and row[3] == gid and row[4] == "127.0.0.1"


def test_session_from_authorize_login_works(server):
    b = Browser(server)
    _, challenge = pkce_pair()
    r = b.authorize(auth_params(server.public, challenge))
    assert r.status_code in (302, 303)
    r = b.s.get(server.base + "/account", allow_redirects=False)
    assert r.status_code == 200 and "Public app" in r.text


def test_sign_out_ends_the_session(server):
    """POST /account/logout with the form's CSRF token deletes the session
    row and clears the cookie: the old cookie, replayed, finds nothing."""
    u = User(server)
    assert u.login().status_code == 303
    page = u.get("/account")
    assert 'action="/account/logout"' in page.text
    assert "Signed in as alice" in page.text
    old = u.s.cookies.get("gh_session")
    assert old
    # no CSRF token, or a GET: nothing happens
    assert u.post("/account/logout", {"csrf": "nope"}).status_code == 403
    assert u.get("/account/logout").status_code == 405
    assert u.get("/account").status_code == 200
    r = u.post("/account/logout", {"csrf": hidden(page.text, "csrf")})
    assert r.status_code == 303 and r.headers["Location"] == "/account/login"
    name, value, attrs = cookie_attrs(cookie_named(r, "gh_session"))
    assert value == "" and attrs["max-age"] == "0"
    assert u.get("/account").headers["Location"] == "/account/login"
    assert count(server, "sessions") == 0
    b = Browser(server)
    b.s.cookies.set("gh_session", old)
    c = server.confidential
    assert_error_redirect(b.get(fresh_params(c, prompt="none")), server, c,
                          "login_required")
    uid = server.query("SELECT id FROM users WHERE username = ?",
                       "alice")[0][0]
    row = audit_rows(server, "logout")[-1]
    assert row[0] == "user" and row[2] == uid


def test_cannot_revoke_someone_elses_grant(server):
    c = server.confidential
    t = redeem(server, c)
    server.add_user("mallory")
    alice_grant = grant_of(server, c)
    # mallory has a grant of her own, so she holds a valid revoke form
    m = User(server)
    _, challenge = pkce_pair()
    r = Browser(server)
    r.s = m.s
    r = r.authorize(auth_params(server.public, challenge),
                    username="mallory")
    assert r.status_code in (302, 303)
    own = grant_of(server, server.public, "mallory")
    form = m.get("/account/revoke?grant_id=" + urllib.parse.quote(own))
    token = hidden(form.text, "csrf")
    assert token
    r = m.get("/account/revoke?grant_id=" + urllib.parse.quote(alice_grant))
    assert r.status_code == 404
    r = m.post("/account/revoke", {"grant_id": alice_grant, "csrf": token})
    assert r.status_code == 404
    assert introspect(server, c, t["access_token"]) is True
    assert server.query("SELECT revoked_at FROM grants WHERE id = ?",
                        alice_grant)[0][0] is None
    assert not audit_rows(server, "grant.revoked")
    # the same form does work on her own grant
    r = m.post("/account/revoke", {"grant_id": own, "csrf": token})
    assert r.status_code == 303
    assert grant_of(server, c) == alice_grant


def test_bad_input_is_4xx(server):
    u = User(server)
    u.login()
    assert u.get("/account/revoke").status_code == 400
    assert u.get("/account/revoke?grant_id=" + "g" * 100).status_code == 400
    assert u.get("/account/revoke?grant_id=nope").status_code == 404
    assert u.post("/account", {}).status_code == 405
