"""Revocation (RFC 7009), introspection (RFC 7662) and the authorization
server metadata (RFC 8414)."""
import time

import pytest
import requests

from conftest import get_code, poll
from helpers_token import add_second_client, assert_error, \
    assert_invalid_client, assert_no_store, exchange, introspect, \
    is_active, issue, make_server, post, refresh, revoke, \
    user_id  # noqa: F401

GARBAGE = ["gate_at_" + "A" * 43, "gate_rt_" + "B" * 43, "not-a-token",
           "x" * 300]


# -- revocation ---------------------------------------------------------------
def test_revoking_an_access_token_keeps_the_refresh_token(server):
    c = server.confidential
    t = issue(server, c)
    r = revoke(server, c, t["access_token"])
    assert r.status_code == 200, r.text
    assert_no_store(r)
    assert not is_active(server, t["access_token"])
    assert is_active(server, t["refresh_token"])
    r = refresh(server, c, t["refresh_token"])
    assert r.status_code == 200, r.text
    assert is_active(server, r.json()["access_token"])
    assert "token.revoked" in server.audit_types()


def test_revoking_a_refresh_token_revokes_its_family(server):
    c = server.confidential
    t0 = issue(server, c)
    t1 = refresh(server, c, t0["refresh_token"]).json()
    other = issue(server, c)                 # another family, untouched
    assert revoke(server, c, t1["refresh_token"]).status_code == 200
    for tok in (t0["access_token"], t1["access_token"], t1["refresh_token"]):
        assert not is_active(server, tok)
    assert_error(refresh(server, c, t1["refresh_token"]), 400,
                 "invalid_grant")
    assert is_active(server, other["access_token"])
    assert is_active(server, other["refresh_token"])


@pytest.mark.parametrize("token", GARBAGE, ids=["at", "rt", "word", "long"])
def test_revoking_an_unknown_token_is_200(server, token):
    r = revoke(server, server.confidential, token)
    assert r.status_code == 200, r.text
    assert_no_store(r)


def test_revoking_another_clients_token_is_200_but_no_op(server):
    a = server.confidential
    b = add_second_client(server)
    t = issue(server, a)
    for tok in (t["access_token"], t["refresh_token"]):
        r = revoke(server, b, tok)
        assert r.status_code == 200, r.text
    r2 = revoke(server, server.public, t["refresh_token"])
    assert r2.status_code == 200
    assert r.text == r2.text == revoke(server, b, GARBAGE[0]).text  # no oracle
    assert is_active(server, t["access_token"])
    assert is_active(server, t["refresh_token"])
    assert refresh(server, a, t["refresh_token"]).status_code == 200
    assert "token.revoked" not in server.audit_types()


def test_public_client_revokes_its_own_tokens(server):
    c = server.public
    code, verifier, _ = get_code(server, c)
    t = exchange(server, c, code, verifier).json()
    r = revoke(server, c, t["refresh_token"])
    assert r.status_code == 200, r.text
    assert_error(refresh(server, c, t["refresh_token"]), 400,
                 "invalid_grant")
    assert server.query("SELECT revoked_reason FROM families") == \
        [("revoked_by_client",)]


def test_revoke_without_token_is_invalid_request(server):
    r = post(server, "/revoke", {"token_type_hint": "access_token"},
             server.confidential)
    assert_error(r, 400, "invalid_request")


def test_revoke_requires_client_authentication(server):
    c = server.confidential
    t = issue(server, c)
    r = post(server, "/revoke", {"token": t["access_token"]})
    assert_invalid_client(r, False)
    r = post(server, "/revoke", {"token": t["access_token"]},
             auth=(c["client_id"], "gate_cs_wrong"))
    assert_invalid_client(r, True)
    assert is_active(server, t["access_token"])


def test_revoke_get_is_405(server):
    r = requests.get(server.base + "/revoke", params={"token": "x"})
    assert r.status_code == 405


# -- introspection -----------------------------------------------------------
def test_introspection_requires_client_authentication(server):
    """Invalid or missing credentials at the introspection endpoint are a
    401 with a challenge whatever the method (RFC 7662 2.3), not the 400
    the token and revocation endpoints give a request without an
    Authorization header."""
    c = server.confidential
    t = issue(server, c)
    r = post(server, "/introspect", {"token": t["access_token"]})
    assert_invalid_client(r, True)
    r = post(server, "/introspect", {"token": t["access_token"],
                                     "client_id": c["client_id"],
                                     "client_secret": "gate_cs_wrong"})
    assert_invalid_client(r, True)
    assert "active" not in r.text
    r = post(server, "/introspect", {"token": t["access_token"]},
             auth=(c["client_id"], "gate_cs_wrong"))
    assert_invalid_client(r, True)
    assert "active" not in r.text


def test_public_client_may_not_introspect(server):
    c = server.public
    code, verifier, _ = get_code(server, c)
    t = exchange(server, c, code, verifier).json()
    r = introspect(server, t["access_token"], c)
    assert_invalid_client(r, True)
    assert "active" not in r.json()


@pytest.mark.parametrize("token", GARBAGE, ids=["at", "rt", "word", "long"])
def test_unknown_token_is_inactive(server, token):
    r = introspect(server, token)
    assert r.status_code == 200
    assert r.json() == {"active": False}
    assert_no_store(r)


def test_introspect_without_token_is_invalid_request(server):
    r = post(server, "/introspect", {}, server.confidential)
    assert_error(r, 400, "invalid_request")


def test_active_access_token_description(server):
    c = server.confidential
    before = int(time.time())
    t = issue(server, c, scope="openid profile offline_access")
    after = int(time.time())
    r = introspect(server, t["access_token"])
    assert r.status_code == 200
    assert_no_store(r)
    i = r.json()
    assert i["active"] is True
    assert set(i["scope"].split()) == {"openid", "profile", "offline_access"}
    assert i["client_id"] == c["client_id"]
    uid = user_id(server)
    assert i["sub"] == uid and uid.startswith("usr_")
    assert "alice" not in r.text      # the username never leaks as sub
    assert i["token_type"] == "Bearer"
    assert before <= i["iat"] <= after + 1
    assert i["exp"] - i["iat"] == t["expires_in"]
    assert i.get("iss", server.issuer) == server.issuer


def test_active_refresh_token_description(server):
    c = server.confidential
    t = issue(server, c)
    i = introspect(server, t["refresh_token"]).json()
    assert i["active"] is True
    assert i["token_type"] == "refresh_token"
    assert i["client_id"] == c["client_id"]
    assert i["sub"] == user_id(server)
    assert i["exp"] > i["iat"]


def test_introspecting_another_clients_token_is_inactive(server):
    b = add_second_client(server)
    t = issue(server, server.confidential)
    assert introspect(server, t["access_token"], b).json() == \
        {"active": False}
    assert is_active(server, t["access_token"])


def test_expired_access_token_is_inactive(make_server):
    s = make_server(access_token_ttl_seconds=1)
    t = issue(s, s.confidential)
    assert t["expires_in"] == 1
    time.sleep(2.1)
    assert introspect(s, t["access_token"]).json() == {"active": False}
    # introspection itself still works: the refresh token lives on
    assert is_active(s, t["refresh_token"])


def test_disabled_client_tokens_are_unusable(server):
    """Only the owning client may introspect its tokens, and a disabled
    client cannot authenticate: its tokens are refused everywhere."""
    a = server.confidential
    b = add_second_client(server)
    t = issue(server, a)
    server.cli("client", "disable", a["client_id"])
    # on PostgreSQL the node learns of the CLI's change by NOTIFY, a
    # moment after its commit (pg_cache.c): polled
    r = poll(lambda: introspect(server, t["access_token"], a),
             lambda r: r.status_code != 200)
    assert_error(r, 401, "invalid_client")
    assert introspect(server, t["access_token"], b).json() == \
        {"active": False}
    assert_error(refresh(server, a, t["refresh_token"]), 401,
                 "invalid_client")


def test_disabled_user_tokens_are_inactive(server):
    c = server.confidential
    t = issue(server, c)
    assert is_active(server, t["access_token"])
    server.cli("user", "disable", "alice")
    assert introspect(server, t["access_token"]).json() == {"active": False}
    assert introspect(server, t["refresh_token"]).json() == {"active": False}
    assert_error(refresh(server, c, t["refresh_token"]), 400,
                 "invalid_grant")


# -- metadata (RFC 8414) -------------------------------------------------------
def test_metadata(server):
    r = requests.get(server.base + "/.well-known/oauth-authorization-server")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    m = r.json()
    assert m["issuer"] == server.issuer
    for k in ("authorization_endpoint", "token_endpoint",
              "revocation_endpoint", "introspection_endpoint"):
        assert m[k].startswith(server.issuer + "/"), (k, m[k])
    assert m["authorization_endpoint"] == server.issuer + "/authorize"
    assert m["token_endpoint"] == server.issuer + "/token"
    assert m["revocation_endpoint"] == server.issuer + "/revoke"
    assert m["introspection_endpoint"] == server.issuer + "/introspect"
    assert m["code_challenge_methods_supported"] == ["S256"]
    assert m["response_types_supported"] == ["code"]
    grants = m["grant_types_supported"]
    assert "authorization_code" in grants and "refresh_token" in grants
    for bad in ("password", "implicit", "client_credentials"):
        assert bad not in grants
    assert m["authorization_response_iss_parameter_supported"] is True
    assert "none" not in m.get(
        "introspection_endpoint_auth_methods_supported", [])
