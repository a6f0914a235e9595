"""The admin HTTP API: authenticated by an admin credential made by the
admin command (stored hashed, separate from OAuth clients), every action
audited with its actor, bad input answered 4xx."""
import json

import requests

from conftest import await_secret
from helpers_admin import (add_admin, api, audit_rows, introspect, redeem,
                           refresh)


def test_no_credential_is_401_with_challenge_not_audited(server):
    r = api(server, None, "GET", "inventory")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer ")
    assert r.json()["error"] == "invalid_token"
    assert r.headers["Cache-Control"] == "no-store"
    # no credential is no attempt (test_abuse_limits.py: 500 add no row)
    assert audit_rows(server, "admin.auth_failure") == []
    # a wrong one is audited, with the count folded into it
    r = api(server, "gate_adm_wrong", "GET", "inventory")
    assert r.status_code == 401
    rows = audit_rows(server, "admin.auth_failure")
    assert len(rows) == 1 and rows[0][4] == "127.0.0.1"
    assert json.loads(rows[0][5])["failures"] == 1


def test_wrong_or_foreign_credentials_are_401(server):
    cred = add_admin(server)
    c = server.confidential
    for value in ("Bearer " + cred[:-2] + "xx", "Bearer gate_adm_",
                  "Bearer " + c["client_secret"], "Bearer " + "A" * 5000,
                  "Basic " + cred, cred):
        r = api(server, None, "GET", "inventory",
                headers={"Authorization": value})
        assert r.status_code == 401, value[:40]
        assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    # an OAuth client's secret is no admin credential, nor the reverse
    assert api(server, cred, "GET", "inventory").status_code == 200
    assert requests.post(server.base + "/introspect", data={"token": "x"},
                         auth=(c["client_id"], cred)).status_code == 401


def test_credential_stored_only_as_hash(server):
    cred = add_admin(server, "alice-admin")
    rows = server.query("SELECT name, secret_hash FROM admins")
    assert rows[0][0] == "alice-admin" and len(rows[0][1]) == 32
    for data in server.stored_bytes().values():     # files or pg_dump
        assert cred.encode() not in data
    assert cred not in server.log_text()
    assert server.cli("admin", "add", "--name", "alice-admin",
                      check=False).returncode == 1
    assert server.cli("admin", "add", "--name", "bad name",
                      check=False).returncode == 2
    listed = [json.loads(x) for x in server.cli(
        "admin", "list", "--json").stdout.splitlines()]
    assert listed[0]["name"] == "alice-admin"
    assert listed[0]["status"] == "active"
    assert "credential" not in listed[0]
    assert ["admin.created"] == [t for t in server.audit_types()
                                 if t.startswith("admin.")]


def test_disabled_admin_is_refused_at_once(server):
    cred = add_admin(server)
    assert api(server, cred, "GET", "alerts").status_code == 200
    server.cli("admin", "disable", "ops")
    assert api(server, cred, "GET", "alerts").status_code == 401
    assert server.cli("admin", "disable", "ops",
                      check=False).returncode == 1
    assert "admin.disabled" in server.audit_types()


def test_inventory_riskiest_first(server):
    cred = add_admin(server)
    redeem(server, server.confidential)
    r = api(server, cred, "GET", "inventory")
    assert r.status_code == 200
    clients = r.json()["clients"]
    ids = {c["client_id"] for c in clients}
    assert {server.confidential["client_id"],
            server.public["client_id"]} <= ids
    risks = [c["risk"] for c in clients]
    assert risks == sorted(risks, reverse=True)
    mine = [c for c in clients
            if c["client_id"] == server.confidential["client_id"]][0]
    assert mine["users"] == 1 and mine["live_tokens"] >= 1


def test_inventory_in_pages(server):
    """`limit` apps from `offset`, with the total and the next page's
    offset (null after the last): a large inventory is read in pages of
    at most 500, each well under the reply cap."""
    cred = add_admin(server)
    whole = api(server, cred, "GET", "inventory").json()
    assert whole["total"] == len(whole["clients"]) >= 2
    assert whole["next_offset"] is None
    ids, offset = [], 0
    while offset is not None:
        r = api(server, cred, "GET", "inventory",
                params={"limit": 1, "offset": offset}).json()
        assert len(r["clients"]) == 1 and r["total"] == whole["total"]
        ids.append(r["clients"][0]["client_id"])
        offset = r["next_offset"]
    assert ids == [c["client_id"] for c in whole["clients"]]
    past = api(server, cred, "GET", "inventory",
               params={"offset": 99}).json()
    assert past["clients"] == [] and past["next_offset"] is None
    for bad in ({"limit": 0}, {"limit": 501}, {"offset": -1},
                {"limit": "x"}):
        r = api(server, cred, "GET", "inventory", params=bad)
        assert r.status_code == 400, bad
        assert r.json()["error"] == "invalid_request"


def test_client_detail_counts_tokens_per_hour(server):
    cred = add_admin(server)
    c = server.confidential
    t = redeem(server, c)
    refresh(server, c, t["refresh_token"])
    r = api(server, cred, "GET", "client",
            params={"client_id": c["client_id"]})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["client"]["client_id"] == c["client_id"]
    assert len(d["grants"]) == 1 and d["grants"][0]["username"] == "alice"
    act = d["activity"]
    assert len(act["token_issued"]) == 168
    assert sum(act["token_issued"]) == 1
    assert sum(act["token_refreshed"]) == 1
    assert act["token_issued"][-1] == 1     # the current hour is last
    assert api(server, cred, "GET", "client", params={
        "client_id": "nope"}).status_code == 404
    assert api(server, cred, "GET", "client").status_code == 400


def test_quarantine_kills_tokens_and_is_audited_with_actor(server):
    cred = add_admin(server)
    c = server.confidential
    t = redeem(server, c)
    assert introspect(server, c, t["access_token"]) is True
    r = api(server, cred, "POST", "client/quarantine",
            data={"client_id": c["client_id"], "reason": "leaked secret"})
    assert r.status_code == 200, r.text
    assert r.json() == {"client_id": c["client_id"],
                        "status": "quarantined", "grants_revoked": 1}
    # the old secret is dead; with a fresh one the tokens are still dead
    r = requests.post(server.base + "/introspect",
                      data={"token": t["access_token"]},
                      auth=(c["client_id"], c["client_secret"]))
    assert r.status_code == 401
    server.cli("client", "enable", c["client_id"])
    fresh = dict(c, client_secret=json.loads(server.cli(
        "client", "rotate-secret", c["client_id"],
        "--json").stdout)["client_secret"])
    await_secret(server, c["client_id"], fresh["client_secret"])
    assert introspect(server, fresh, t["access_token"]) is False
    assert introspect(server, fresh, t["refresh_token"]) is False
    d = api(server, cred, "GET", "client",
            params={"client_id": c["client_id"]}).json()
    assert d["client"]["live_tokens"] == 0 and d["grants"] == []
    actor, client_id, _, _, addr, detail = audit_rows(
        server, "client.quarantined")[-1]
    assert (actor, client_id, addr) == ("admin:ops", c["client_id"],
                                        "127.0.0.1")
    assert json.loads(detail)["reason"] == "leaked secret"
    assert api(server, cred, "POST", "client/quarantine", data={
        "client_id": "nope", "reason": "x"}).status_code == 404


def test_revoke_one_grant_of_client_and_of_user(server):
    cred = add_admin(server)
    c = server.confidential
    p = server.add_client(name="Second app")
    server.add_user("bob")
    t1 = redeem(server, c)
    t2 = redeem(server, p)
    grants = api(server, cred, "GET", "grants",
                 params={"user": "alice"}).json()["grants"]
    assert len(grants) == 2
    g1 = [g for g in grants if g["client_id"] == c["client_id"]][0]
    r = api(server, cred, "POST", "grants/revoke",
            data={"grant_id": g1["grant_id"], "reason": "review"})
    assert r.status_code == 200 and r.json()["grants_revoked"] == 1
    assert introspect(server, c, t1["access_token"]) is False
    assert introspect(server, p, t2["access_token"]) is True
    # again: that grant is no longer live
    assert api(server, cred, "POST", "grants/revoke", data={
        "grant_id": g1["grant_id"], "reason": "review"}).status_code == 404
    r = api(server, cred, "POST", "grants/revoke",
            data={"user": "alice", "reason": "offboarding"})
    assert r.json()["grants_revoked"] == 1
    assert introspect(server, p, t2["access_token"]) is False
    r = api(server, cred, "POST", "grants/revoke",
            data={"client_id": c["client_id"], "reason": "none left"})
    assert r.json()["grants_revoked"] == 0
    assert api(server, cred, "POST", "grants/revoke", data={
        "user": "nobody", "reason": "x"}).status_code == 404
    rows = audit_rows(server, "grant.revoked")
    assert [r[0] for r in rows] == ["admin:ops", "admin:ops"]
    assert rows[0][3] == g1["grant_id"]
    # whose grant it was: found in the trail by client and by user too
    assert rows[0][1:3] == (c["client_id"], g1["user_id"]), rows[0]
    assert json.loads(rows[1][5])["reason"] == "offboarding"


def test_revoke_needs_exactly_one_target_and_a_reason(server):
    cred = add_admin(server)
    cid = server.confidential["client_id"]
    for data in ({"reason": "x"},
                 {"client_id": cid, "user": "alice", "reason": "x"},
                 {"client_id": cid},
                 {"client_id": cid, "reason": ""},
                 {"client_id": cid, "reason": "a\nb"},
                 {"client_id": cid, "reason": "r" * 257},
                 {"grant_id": "g" * 100, "reason": "x"}):
        r = api(server, cred, "POST", "grants/revoke", data=data)
        assert r.status_code == 400, data
        assert r.json()["error"] == "invalid_request"
    assert "grant.revoked" not in server.audit_types()


def test_revoking_the_grants_of_an_unknown_client_is_404(server):
    """A mistyped client_id was "0 grants revoked", 200, and nothing in
    the audit trail: it read like a done revocation."""
    cred = add_admin(server)
    c = server.confidential
    redeem(server, c)
    r = api(server, cred, "POST", "grants/revoke",
            data={"client_id": c["client_id"] + "x", "reason": "leak"})
    assert r.status_code == 404, r.text
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json() == {"error": "not_found",
                        "error_description": "no such client"}
    assert "grant.revoked" not in server.audit_types()
    # the right id revokes
    r = api(server, cred, "POST", "grants/revoke",
            data={"client_id": c["client_id"], "reason": "leak"})
    assert r.status_code == 200 and r.json()["grants_revoked"] == 1


def test_alerts_list_and_ack(server):
    cred = add_admin(server)
    cid = server.confidential["client_id"]
    api(server, cred, "POST", "client/quarantine",
        data={"client_id": cid, "reason": "drill"})
    alerts = api(server, cred, "GET", "alerts").json()["alerts"]
    assert [a["rule"] for a in alerts] == ["client_quarantined"]
    aid = alerts[0]["id"]
    r = api(server, cred, "POST", "alerts/ack", data={"id": str(aid)})
    assert r.status_code == 200 and r.json()["acked_by"] == "admin:ops"
    assert api(server, cred, "GET", "alerts").json()["alerts"] == []
    every = api(server, cred, "GET", "alerts",
                params={"all": "1"}).json()["alerts"]
    assert every[0]["status"] == "acknowledged"
    assert api(server, cred, "POST", "alerts/ack",
               data={"id": str(aid)}).status_code == 404
    for bad in ("abc", "0", "-1", "99999999999999999999999"):
        assert api(server, cred, "POST", "alerts/ack",
                   data={"id": bad}).status_code == 400
    assert api(server, cred, "GET", "alerts",
               params={"all": "yes"}).status_code == 400
    rows = audit_rows(server, "alert.acknowledged")
    assert rows[-1][0] == "admin:ops"


def test_audit_export_pages(server):
    cred = add_admin(server)
    redeem(server, server.confidential)
    r = api(server, cred, "GET", "audit", params={"limit": "2"})
    page = r.json()
    assert len(page["events"]) == 2 and page["next_after"] is not None
    seen = list(page["events"])
    while page["next_after"] is not None:
        page = api(server, cred, "GET", "audit", params={
            "after": str(page["next_after"]), "limit": "2"}).json()
        seen += page["events"]
    seqs = [e["seq"] for e in seen]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert "token.issued" in [e["type"] for e in seen]
    future = api(server, cred, "GET", "audit",
                 params={"since": "4102444800"}).json()
    assert future["events"] == []
    for bad in ({"since": "x"}, {"limit": "0"}, {"limit": "1001"},
                {"after": "-3"}):
        assert api(server, cred, "GET", "audit",
                   params=bad).status_code == 400


def test_bad_requests_are_4xx(server):
    cred = add_admin(server)
    cid = server.confidential["client_id"]
    r = api(server, cred, "POST", "client/quarantine",
            data=json.dumps({"client_id": cid, "reason": "x"}),
            headers={"Content-Type": "application/json"})
    assert r.status_code == 415
    r = api(server, cred, "POST", "client/quarantine",
            data="client_id=%s&client_id=%s&reason=x" % (cid, cid),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert r.status_code == 400
    r = api(server, cred, "POST", "client/quarantine",
            data={"client_id": cid, "reason": "x" * 20000})
    assert r.status_code == 413
    assert api(server, cred, "GET", "client/quarantine").status_code == 405
    assert api(server, cred, "POST", "inventory").status_code == 405
    r = api(server, cred, "GET", "client", params={"client_id": "\x01"})
    assert r.status_code == 400
    # nothing of that changed the client
    assert server.query("SELECT status FROM clients WHERE id = ?",
                        cid)[0][0] == "active"
