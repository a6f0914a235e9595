"""App inventory and hygiene policies (issue 5): which apps hold access, to
whose data, with which scopes, used when and from where, how risky; and
the standing policies applied by the server's upkeep pass."""
import json
import time

import pytest
import requests

from conftest import Server, fail_audit_of, get_code, token_request


def inventory(s):
    out = s.cli("inventory", "--json").stdout
    return [json.loads(line) for line in out.splitlines() if line]


def redeem(s, c, username="alice"):
    from conftest import Browser, auth_params, pkce_pair, redirect_params
    verifier, challenge = pkce_pair()
    r = Browser(s).authorize(auth_params(c, challenge), username=username)
    code = redirect_params(r)[1]["code"][0]
    r = token_request(s, c, {"grant_type": "authorization_code",
                             "code": code, "code_verifier": verifier,
                             "redirect_uri": c["redirect_uri"]})
    assert r.status_code == 200, r.text
    return r.json()


def test_inventory_shows_holdings_usage_and_risk(server):
    s = server
    c = s.confidential
    s.add_user("bob")
    redeem(s, c)
    t = redeem(s, c, username="bob")
    r = token_request(s, c, {"grant_type": "refresh_token",
                             "refresh_token": t["refresh_token"]})
    assert r.status_code == 200
    locked = json.loads(s.cli(
        "client", "add", "--name", "Locked", "--owner", "platform",
        "--redirect-uri", "http://127.0.0.1:9000/callback", "--scope",
        "openid", "--auth-method", "private_key_jwt", "--jwks",
        json.dumps({"keys": [{"kty": "EC", "crv": "P-256", "x":
                    "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", "y":
                    "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]}),
        "--allow-network", "127.0.0.0/8", "--json").stdout)

    items = inventory(s)
    by_id = {i["client_id"]: i for i in items}
    assert set(by_id) == {c["client_id"], s.public["client_id"],
                          locked["client_id"]}
    # riskiest first
    assert [i["risk"] for i in items] == sorted((i["risk"] for i in items),
                                                reverse=True)
    conf = by_id[c["client_id"]]
    assert conf["owner"] == "test-team" and conf["type"] == "confidential"
    assert conf["auth_method"] == "client_secret_basic"
    assert conf["users"] == 2 and conf["grants"] == 2
    # two access + two refresh tokens live after one rotation (the old
    # refresh token is rotated, its access token still live): 2+1+... count
    assert conf["live_tokens"] == 5
    assert sorted(conf["granted_scopes"]) == ["offline_access", "openid"]
    assert set(conf["allowed_scopes"]) == {"openid", "profile", "email",
                                           "offline_access"}
    assert conf["first_issued"] and conf["last_issued"]
    assert conf["last_refresh"] >= conf["first_issued"]
    assert conf["networks"] == ["127.0.0.0/24"]
    assert conf["user_agents"][0].startswith("python-requests")
    assert conf["credential_age_days"] == 0 and conf["status"] == "active"
    assert "shared_secret" in conf["risk_factors"]
    assert "no_network_allowlist" in conf["risk_factors"]
    pub = by_id[s.public["client_id"]]
    assert "public_offline_access" in pub["risk_factors"]
    assert pub["live_tokens"] == 0 and pub["last_issued"] is None
    assert pub["credential_age_days"] is None
    lk = by_id[locked["client_id"]]
    assert lk["risk"] == 0 and lk["risk_factors"] == []

    # an open alert raises the risk; quarantine empties the holdings
    before = conf["risk"]
    token_request(s, c, {"grant_type": "refresh_token",
                         "refresh_token": t["refresh_token"]})   # reuse
    s.cli("client", "quarantine", c["client_id"], "--reason", "test")
    conf = {i["client_id"]: i for i in inventory(s)}[c["client_id"]]
    assert conf["open_alerts"] == 2 and "open_alerts" in conf["risk_factors"]
    assert conf["risk"] > before
    assert conf["status"] == "quarantined"
    assert conf["live_tokens"] == 0 and conf["grants"] == 0

    table = s.cli("inventory").stdout
    assert table.splitlines()[0].split()[:3] == ["RISK", "CLIENT_ID",
                                                 "STATUS"]
    assert c["client_id"] in table


def start(tmp_path, **config):
    tmp_path.mkdir(exist_ok=True)
    s = Server(tmp_path, upkeep_interval_seconds=1, **config)
    s.confidential = s.add_client(name="Confidential app")
    s.public = s.add_client(name="Public app", public=True,
                            redirect_uris=("http://127.0.0.1:9001/cb",))
    s.user = s.add_user()
    return s


def alerts(s):
    out = s.cli("alert", "list", "--json").stdout
    return [json.loads(line) for line in out.splitlines() if line]


def wait_for(pred, timeout=10):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.2)
    return False


def stop_clean(s):
    rc = s.stop()
    log = s.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log
    assert rc == 0, log[-4000:]


def test_unused_grants_expire(tmp_path):
    s = start(tmp_path, grant_unused_days=30)
    s.start()
    try:
        c = s.confidential
        old = redeem(s, c)
        s.add_user("bob")
        fresh = redeem(s, c, username="bob")
        day = 86400
        s.execute(("UPDATE grants SET last_used_at = ?, created_at = ? "
                   "WHERE user_id = (SELECT id FROM users WHERE username = "
                   "'alice')", (int(time.time()) - 31 * day,
                                int(time.time()) - 40 * day)))
        assert wait_for(lambda: s.query(
            "SELECT count(*) FROM grants WHERE revoked_reason = 'unused'")
            == [(1,)])
        auth = (c["client_id"], c["client_secret"])
        i = requests.post(s.base + "/introspect",
                          data={"token": old["access_token"]}, auth=auth)
        assert i.json() == {"active": False}
        i = requests.post(s.base + "/introspect",
                          data={"token": fresh["access_token"]}, auth=auth)
        assert i.json()["active"] is True
        row = s.query("SELECT actor, detail FROM audit_events WHERE type = "
                      "'grant.expired'")
        assert row[0][0] == "system"
        assert json.loads(row[0][1]) == {"reason": "unused", "grants": 1,
                                         "days": 30}
    finally:
        stop_clean(s)


def test_unused_clients_flagged_or_disabled_and_stale_secrets(tmp_path):
    s = start(tmp_path, client_unused_days=10, secret_max_age_days=30)
    idle = s.add_client(name="Idle app")
    day = 86400
    now = int(time.time())
    s.execute(("UPDATE clients SET created_at = ? WHERE id = ?",
               (now - 11 * day, idle["client_id"])),
              ("UPDATE clients SET secret_rotated_at = ? WHERE id = ?",
               (now - 45 * day, s.confidential["client_id"])))
    s.start()
    try:
        assert wait_for(lambda: len(alerts(s)) == 2)
        found = {a["rule"]: a for a in alerts(s)}
        assert found["client_unused"]["client_id"] == idle["client_id"]
        assert found["client_unused"]["evidence"]["idle_days"] == 11
        assert found["stale_secret"]["client_id"] == \
            s.confidential["client_id"]
        time.sleep(2.5)     # later passes do not repeat a standing alert
        assert len(alerts(s)) == 2
        shown = json.loads(s.cli("client", "show", idle["client_id"]).stdout)
        assert shown["status"] == "active"      # policy: flag only
    finally:
        stop_clean(s)

    s2 = start(tmp_path / "b", client_unused_days=10,
               client_unused_action="disable")
    idle = s2.add_client(name="Idle app")
    s2.execute(("UPDATE clients SET created_at = ? WHERE id = ?",
                (now - 11 * day, idle["client_id"])))
    s2.start()
    try:
        assert wait_for(lambda: json.loads(s2.cli(
            "client", "show", idle["client_id"]).stdout)["status"] ==
            "disabled")
        [a] = alerts(s2)
        assert a["rule"] == "client_unused" and "disabled" in a["summary"]
        assert s2.query("SELECT actor FROM audit_events WHERE type = "
                        "'client.changed' AND client_id = ?",
                        idle["client_id"]) == [("system",)]
    finally:
        stop_clean(s2)


def test_a_failed_unused_client_disable_is_not_reported_as_done(tmp_path):
    s = start(tmp_path, client_unused_days=10,
              client_unused_action="disable")
    idle = s.add_client(name="Idle app")
    now = int(time.time())
    s.execute(("UPDATE clients SET created_at = ? WHERE id = ?",
               (now - 11 * 86400, idle["client_id"])))
    if s.pg:
        s.execute("CREATE FUNCTION gh_test_fail() RETURNS trigger AS $$"
                  " BEGIN RAISE EXCEPTION 'injected'; END $$"
                  " LANGUAGE plpgsql",
                  "CREATE TRIGGER gh_test_fail BEFORE UPDATE OF status"
                  " ON clients FOR EACH ROW EXECUTE FUNCTION"
                  " gh_test_fail()")
    else:
        s.execute("CREATE TRIGGER gh_test_fail BEFORE UPDATE OF status"
                  " ON clients BEGIN SELECT RAISE(ABORT, 'injected'); END")
    s.start()
    try:
        assert wait_for(lambda: len(alerts(s)) == 1)
        [a] = alerts(s)
        assert a["rule"] == "client_unused"
        assert "FAILED" in a["summary"], a["summary"]
        assert "the client was disabled" not in a["summary"]
        shown = json.loads(s.cli("client", "show", idle["client_id"]).stdout)
        assert shown["status"] == "active"
    finally:
        s.stop()


def test_a_pass_whose_audit_event_fails_does_not_act(tmp_path):
    """A background pass stores its action and the action's audit event
    together: while the event cannot be stored the action is not taken
    (it was taken and left unrecorded for good: the next pass no longer
    finds it), and the next pass after that takes and records it."""
    s = start(tmp_path, grant_unused_days=30, client_unused_days=10,
              client_unused_action="disable")
    idle = s.add_client(name="Idle app")
    s.start()
    try:
        redeem(s, s.confidential)
        fail_audit_of(s, "grant.expired", "client.changed")
        now = int(time.time())
        s.execute(("UPDATE grants SET last_used_at = ?, created_at = ?",
                   (now - 31 * 86400, now - 40 * 86400)),
                  ("UPDATE clients SET created_at = ? WHERE id = ?",
                   (now - 11 * 86400, idle["client_id"])))
        assert wait_for(lambda: len(alerts(s)) == 1)
        time.sleep(2.5)     # a few passes
        assert s.query("SELECT count(*) FROM grants WHERE revoked_at IS "
                       "NULL") == [(1,)]
        assert json.loads(s.cli("client", "show", idle["client_id"])
                          .stdout)["status"] == "active"
        [a] = alerts(s)
        assert "FAILED" in a["summary"], a["summary"]
        assert s.query("SELECT count(*) FROM audit_events WHERE type IN "
                       "('grant.expired', 'client.changed')") == [(0,)]
        # the trail can be written again: the next pass acts and records
        s.execute("DROP TRIGGER gh_test_fail" +
                  (" ON audit_events" if s.pg else ""))
        assert wait_for(lambda: s.query(
            "SELECT count(*) FROM grants WHERE revoked_reason = 'unused'")
            == [(1,)])
        assert wait_for(lambda: json.loads(s.cli(
            "client", "show", idle["client_id"]).stdout)["status"] ==
            "disabled")
        assert s.query("SELECT detail FROM audit_events WHERE type = "
                       "'grant.expired'") == [
            ('{"reason":"unused","grants":1,"days":30}',)]
        assert s.query("SELECT client_id FROM audit_events WHERE type = "
                       "'client.changed'") == [(idle["client_id"],)]
        assert s.cli("audit", "verify").returncode == 0
    finally:
        stop_clean(s)


def test_bad_policy_config_is_refused(tmp_path):
    s = Server(tmp_path, client_unused_action="delete")
    r = s.cli("check-config", check=False)
    assert r.returncode != 0 and "client_unused_action" in r.stderr
    (tmp_path / "b").mkdir()
    s2 = Server(tmp_path / "b", webhook_url="ftp://example.com/")
    r = s2.cli("check-config", check=False)
    assert r.returncode != 0 and "webhook_url" in r.stderr


# The walk once stopped at 4096 clients (in creation order): the ones
# registered after were neither listed nor checked by hygiene.
OLD_CUT = 4096


def add_fillers(s, n):
    """n disabled public clients registered long ago (risk 0, so ranked
    after the usual ones), inserted by one statement on either backend."""
    s.execute(("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 "
               "FROM n WHERE i < ?) INSERT INTO clients (id, name, owner, "
               "public, auth_method, redirect_uris, scopes, status, "
               "created_at, updated_at) SELECT 'cl_fill' || i, 'filler', "
               "'team', 1, 'none', 'http://127.0.0.1:9000/cb', 'openid', "
               "'disabled', 1000 + i, 1000 + i FROM n", (n,)))


def test_every_app_is_listed_and_checked_past_the_old_cut(tmp_path):
    """More clients than the old cut, the usual ones registered last:
    the admin API's total is the real count and ranks them first, the
    command lists every app, and hygiene flags a stale secret on one."""
    s = start(tmp_path, secret_max_age_days=30)
    add_fillers(s, OLD_CUT + 1)
    now = int(time.time())
    s.execute(("UPDATE clients SET secret_rotated_at = ? WHERE id = ?",
               (now - 45 * 86400, s.confidential["client_id"])))
    from helpers_admin import add_admin, api
    s.start()
    try:
        [(n,)] = s.query("SELECT count(*) FROM clients")
        assert n == OLD_CUT + 3
        ours = {s.confidential["client_id"], s.public["client_id"]}
        assert wait_for(lambda: [a["client_id"] for a in alerts(s)
                                 if a["rule"] == "stale_secret"] ==
                        [s.confidential["client_id"]], timeout=30)
        cred = add_admin(s)
        r = api(s, cred, "GET", "inventory", params={"limit": 10})
        assert r.status_code == 200, r.text
        assert r.json()["total"] == n and r.json()["next_offset"] == 10
        assert ours <= {c["client_id"] for c in r.json()["clients"]}
        items = inventory(s)
        assert len(items) == n and ours <= {i["client_id"] for i in items}
        assert len({i["client_id"] for i in items}) == n
    finally:
        stop_clean(s)
