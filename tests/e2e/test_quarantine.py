"""The kill switch (issue 5): `gatehouse client quarantine ID --reason`
disables the client, kills its tokens, revokes its grants and replaces its
secret in one transaction, and records why."""
import json

import requests

from conftest import (Browser, auth_params, await_client_status,
                      await_secret, get_code, pkce_pair, token_request)


def redeem(server, c):
    code, verifier, _ = get_code(server, c)
    r = token_request(server, c, {"grant_type": "authorization_code",
                                  "code": code, "code_verifier": verifier,
                                  "redirect_uri": c["redirect_uri"]})
    assert r.status_code == 200, r.text
    return r.json()


def test_quarantine_kills_everything_and_records_why(server):
    c = server.confidential
    tokens = [redeem(server, c) for _ in range(3)]
    r = server.cli("client", "quarantine", c["client_id"], "--reason",
                   "token theft reported by the vendor")
    assert "quarantined" in r.stdout and "1 grant(s) revoked" in r.stdout
    await_client_status(server, c["client_id"], active=False)

    # the client cannot authenticate, its users cannot start a flow
    r = requests.post(server.base + "/introspect",
                      data={"token": tokens[0]["access_token"]},
                      auth=(c["client_id"], c["client_secret"]))
    assert r.status_code == 401
    _, challenge = pkce_pair()
    r = Browser(server).get(auth_params(c, challenge))
    assert r.status_code == 400 and "Location" not in r.headers
    shown = json.loads(server.cli("client", "show", c["client_id"]).stdout)
    assert shown["status"] == "quarantined"

    # re-enabling does not revive anything: the secret was replaced and
    # every grant revoked, so old tokens stay dead even for a new secret
    server.cli("client", "enable", c["client_id"])
    await_client_status(server, c["client_id"], active=True)
    r = token_request(server, c, {"grant_type": "refresh_token",
                                  "refresh_token": tokens[1]["refresh_token"]})
    assert r.status_code == 401
    fresh = json.loads(server.cli("client", "rotate-secret", c["client_id"],
                                  "--json").stdout)
    auth = (c["client_id"], fresh["client_secret"])
    await_secret(server, c["client_id"], fresh["client_secret"])
    for t in tokens:
        i = requests.post(server.base + "/introspect",
                          data={"token": t["access_token"]}, auth=auth)
        assert i.json() == {"active": False}
        r = requests.post(server.base + "/token", auth=auth, data={
            "grant_type": "refresh_token",
            "refresh_token": t["refresh_token"]})
        assert r.json()["error"] == "invalid_grant"

    row = server.query("SELECT detail, actor FROM audit_events WHERE "
                       "type = 'client.quarantined'")
    assert len(row) == 1 and row[0][1] == "admin"
    detail = json.loads(row[0][0])
    assert detail == {"reason": "token theft reported by the vendor",
                      "grants_revoked": 1}
    assert server.query("SELECT count(*) FROM grants WHERE client_id = ? "
                        "AND revoked_at IS NULL", c["client_id"])[0][0] == 0


def test_quarantine_needs_a_reason_and_a_client(server):
    r = server.cli("client", "quarantine", server.public["client_id"],
                   check=False)
    assert r.returncode == 2
    r = server.cli("client", "quarantine", "cl_nope", "--reason", "x",
                   check=False)
    assert r.returncode == 1
    # a public client has no secret to replace, and stays without one
    server.cli("client", "quarantine", server.public["client_id"],
               "--reason", "retired integration")
    shown = json.loads(server.cli("client", "show",
                                  server.public["client_id"]).stdout)
    assert shown["status"] == "quarantined"
    assert server.query("SELECT secret_hash FROM clients WHERE id = ?",
                        server.public["client_id"])[0][0] is None
