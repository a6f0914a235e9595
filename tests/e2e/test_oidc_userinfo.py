"""The UserInfo endpoint, end to end (OIDC Core 5.3, RFC 6750): Bearer in
the Authorization header (GET and POST) or the access_token form
parameter (POST), never the query; claims by granted scope; errors with
WWW-Authenticate; expired, revoked, refresh and foreign-scope tokens."""
import re
import time

import pytest
import requests

from helpers_oidc import (add_oidc_client, oidc_flow, oidc_server,
                          set_alice_profile, user_id, verify_id_token)
from helpers_token import post

FULL = "openid profile email offline_access"


@pytest.fixture
def alice(server):
    set_alice_profile(server)
    return server


def userinfo(server, token=None, method="GET", data=None, params=None,
             headers=None):
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = "Bearer " + token
    return requests.request(method, server.base + "/userinfo", headers=h,
                            data=data, params=params)


def www_auth(r):
    """The WWW-Authenticate challenge as (scheme, {param: value})."""
    h = r.headers.get("WWW-Authenticate")
    assert h, (r.status_code, r.headers, r.text)
    scheme, _, rest = h.partition(" ")
    return scheme, dict(re.findall(r'([a-z_]+)="([^"]*)"', rest))


def assert_bearer_error(r, status, error):
    assert r.status_code == status, (r.status_code, r.text)
    scheme, p = www_auth(r)
    assert scheme == "Bearer", r.headers["WWW-Authenticate"]
    assert "realm" in p, r.headers["WWW-Authenticate"]
    if error is None:   # RFC 6750 3.1: no error code without credentials
        assert "error" not in p, r.headers["WWW-Authenticate"]
    else:
        assert p.get("error") == error, r.headers["WWW-Authenticate"]
        assert r.json().get("error") == error, r.text
    assert "sub" not in r.text


def flow(server, scope=FULL, alg="RS256"):
    c = add_oidc_client(server, alg)
    tok, _ = oidc_flow(server, c, scope=scope, nonce="n")
    return c, tok


# -- claims ------------------------------------------------------------------
def test_get_with_bearer_returns_scoped_claims(alice):
    c, tok = flow(alice)
    r = userinfo(alice, tok["access_token"])
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert "no-store" in r.headers.get("Cache-Control", "")  # personal data
    info = r.json()
    assert info == {
        "sub": user_id(alice), "preferred_username": "alice",
        "name": "Alice Liddell", "email": "alice@example.com",
        "email_verified": True}
    # the same sub as the ID token (OIDC Core 5.3.2)
    claims, _ = verify_id_token(alice, c, tok, nonce="n")
    assert info["sub"] == claims["sub"]


@pytest.mark.parametrize("scope,want", [
    ("openid", {"sub"}),
    ("openid profile", {"sub", "preferred_username", "name"}),
    ("openid email", {"sub", "email", "email_verified"}),
])
def test_claims_follow_granted_scope(alice, scope, want):
    _, tok = flow(alice, scope=scope)
    r = userinfo(alice, tok["access_token"])
    assert r.status_code == 200, r.text
    assert set(r.json()) == want, r.json()
    assert r.json()["sub"] == user_id(alice)


def test_profile_changes_are_seen(alice):
    _, tok = flow(alice, scope="openid profile email")
    alice.cli("user", "profile", "alice", "--name", "Alice P. Liddell",
              "--email", "al@example.org")
    info = userinfo(alice, tok["access_token"]).json()
    assert info["name"] == "Alice P. Liddell"
    assert info["email"] == "al@example.org"
    assert info["email_verified"] is False     # a new, unverified address


def test_post_with_form_parameter(alice):
    _, tok = flow(alice)
    r = userinfo(alice, method="POST",
                 data={"access_token": tok["access_token"]})
    assert r.status_code == 200, r.text
    assert r.json()["sub"] == user_id(alice)
    assert r.json()["email"] == "alice@example.com"


def test_post_with_bearer_header(alice):
    _, tok = flow(alice)
    r = userinfo(alice, tok["access_token"], method="POST")
    assert r.status_code == 200, r.text
    assert r.json()["sub"] == user_id(alice)


def test_jwt_access_token(alice):
    """An RFC 9068 access token (a long JWT) works as header and form."""
    c = add_oidc_client(alice, "ES256", extra=("--access-token-format",
                                               "jwt"))
    tok, _ = oidc_flow(alice, c, scope="openid email", nonce="n")
    at = tok["access_token"]
    assert at.count(".") == 2
    for r in (userinfo(alice, at),
              userinfo(alice, method="POST", data={"access_token": at})):
        assert r.status_code == 200, r.text
        assert r.json() == {"sub": user_id(alice),
                            "email": "alice@example.com",
                            "email_verified": True}
    # one character off: unknown
    bad = at[:-2] + ("AA" if at[-2:] != "AA" else "BA")
    assert_bearer_error(userinfo(alice, bad), 401, "invalid_token")


def test_scheme_is_case_insensitive(alice):
    _, tok = flow(alice, scope="openid")
    r = userinfo(alice, headers={"Authorization": "bearer " +
                                 tok["access_token"]})
    assert r.status_code == 200, r.text


# -- refusals ----------------------------------------------------------------
def test_token_in_query_refused(alice):
    _, tok = flow(alice)
    r = userinfo(alice, params={"access_token": tok["access_token"]})
    assert_bearer_error(r, 400, "invalid_request")
    r = userinfo(alice, method="POST",
                 params={"access_token": tok["access_token"]})
    assert_bearer_error(r, 400, "invalid_request")
    # the token was not used up: the header still works
    assert userinfo(alice, tok["access_token"]).status_code == 200


def test_no_token_is_401_without_error(alice):
    assert_bearer_error(userinfo(alice), 401, None)
    assert_bearer_error(userinfo(alice, method="POST"), 401, None)
    assert_bearer_error(userinfo(alice, method="POST", data={"x": "1"}),
                        401, None)


def test_other_schemes_are_401(alice):
    _, tok = flow(alice, scope="openid")
    for h in ("Basic " + tok["access_token"], tok["access_token"],
              "Bearer", "Bearer "):
        r = userinfo(alice, headers={"Authorization": h})
        assert r.status_code == 401, (h, r.text)
        assert www_auth(r)[0] == "Bearer"


def test_unknown_token_is_invalid_token(alice):
    for t in ("gate_at_" + "A" * 43, "nonsense", "x" * 500):
        assert_bearer_error(userinfo(alice, t), 401, "invalid_token")


def test_expired_token_is_invalid_token(tmp_path):
    with oidc_server(tmp_path, access_token_ttl_seconds=1) as s:
        _, tok = flow(s, scope="openid")
        assert tok["expires_in"] <= 1
        time.sleep(2.2)
        assert_bearer_error(userinfo(s, tok["access_token"]), 401,
                            "invalid_token")


def test_revoked_token_is_invalid_token(alice):
    c, tok = flow(alice)
    assert userinfo(alice, tok["access_token"]).status_code == 200
    r = post(alice, "/revoke", {"token": tok["access_token"]}, c)
    assert r.status_code == 200, r.text
    assert_bearer_error(userinfo(alice, tok["access_token"]), 401,
                        "invalid_token")


def test_refresh_token_is_not_a_bearer(alice):
    _, tok = flow(alice)
    rt = tok["refresh_token"]
    assert_bearer_error(userinfo(alice, rt), 401, "invalid_token")
    assert_bearer_error(userinfo(alice, method="POST",
                                 data={"access_token": rt}),
                        401, "invalid_token")


def test_disabled_user_token_is_invalid(alice):
    _, tok = flow(alice, scope="openid")
    alice.cli("user", "disable", "alice")
    assert_bearer_error(userinfo(alice, tok["access_token"]), 401,
                        "invalid_token")


def test_token_without_openid_is_insufficient_scope(alice):
    _, tok = flow(alice, scope="profile email")
    assert "id_token" not in tok
    assert_bearer_error(userinfo(alice, tok["access_token"]), 403,
                        "insufficient_scope")


def test_header_and_body_token_is_invalid_request(alice):
    _, tok = flow(alice)
    at = tok["access_token"]
    r = userinfo(alice, at, method="POST", data={"access_token": at})
    assert_bearer_error(r, 400, "invalid_request")
    # also when the two differ
    r = userinfo(alice, at, method="POST", data={"access_token": "other"})
    assert_bearer_error(r, 400, "invalid_request")


def test_body_token_given_twice_is_invalid_request(alice):
    _, tok = flow(alice)
    at = tok["access_token"]
    r = userinfo(alice, method="POST",
                 data=[("access_token", at), ("access_token", at)])
    assert_bearer_error(r, 400, "invalid_request")
