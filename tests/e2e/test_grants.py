"""Consent review (issue 5): list grants per client and per user, revoke
one grant, all of a client's or all of a user's; tokens die at once."""
import json

import requests

from conftest import get_code, token_request


def redeem(server, c):
    code, verifier, _ = get_code(server, c)
    r = token_request(server, c, {"grant_type": "authorization_code",
                                  "code": code, "code_verifier": verifier,
                                  "redirect_uri": c["redirect_uri"]})
    assert r.status_code == 200, r.text
    return r.json()


def active(server, c, tok):
    return requests.post(server.base + "/introspect", data={"token": tok},
                         auth=(c["client_id"],
                               c["client_secret"])).json()["active"]


def grants(server, *args):
    out = server.cli("grant", "list", "--json", *args).stdout
    return [json.loads(l) for l in out.splitlines()]


def test_list_and_revoke_one_grant(server):
    c = server.confidential
    t = redeem(server, c)
    listed = grants(server, "--client", c["client_id"])
    assert len(listed) == 1
    g = listed[0]
    assert g["username"] == "alice" and g["client_id"] == c["client_id"]
    assert set(g["scope"].split()) == {"openid", "offline_access"}
    assert grants(server, "--user", "alice") == listed
    assert active(server, c, t["access_token"])

    r = server.cli("grant", "revoke", g["grant_id"], "--reason",
                   "user asked")
    assert "1 grant(s) revoked" in r.stdout
    assert not active(server, c, t["access_token"])
    r = token_request(server, c, {"grant_type": "refresh_token",
                                  "refresh_token": t["refresh_token"]})
    assert r.json()["error"] == "invalid_grant"
    assert grants(server, "--client", c["client_id"]) == []
    detail = server.query("SELECT detail, grant_id FROM audit_events "
                          "WHERE type = 'grant.revoked'")
    assert detail[0][1] == g["grant_id"]
    assert json.loads(detail[0][0]) == {"reason": "user asked",
                                        "grants_revoked": 1}
    # revoking it again finds nothing, and says so
    assert server.cli("grant", "revoke", g["grant_id"], "--reason", "x",
                      check=False).returncode == 1
    # the user must consent again: the next authorization asks
    redeem(server, c)
    assert len(grants(server, "--client", c["client_id"])) == 1


def test_revoke_all_grants_of_a_user_or_client(server):
    c, p = server.confidential, server.public
    t = redeem(server, c)
    redeem(server, p)
    assert len(grants(server, "--user", "alice")) == 2
    r = server.cli("grant", "revoke", "--client", c["client_id"],
                   "--reason", "integration retired")
    assert "1 grant(s) revoked" in r.stdout
    assert not active(server, c, t["access_token"])
    assert len(grants(server, "--user", "alice")) == 1
    r = server.cli("grant", "revoke", "--user", "alice", "--reason",
                   "account compromised")
    assert "1 grant(s) revoked" in r.stdout
    assert grants(server) == []


def test_revoke_needs_exactly_one_target_and_a_reason(server):
    for args in (["--reason", "x"], ["gr_1"],
                 ["gr_1", "--client", "c", "--reason", "x"]):
        assert server.cli("grant", "revoke", *args,
                          check=False).returncode == 2
    assert server.cli("grant", "revoke", "--user", "nobody", "--reason",
                      "x", check=False).returncode == 1
