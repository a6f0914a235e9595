"""Anomaly rules and alerts (issue 5): every rule has a test that triggers
it and one that shows normal use does not; alerts are listed, acknowledged
(audited) and de-duplicated per incident."""
import base64
import http.client
import json
import time
import urllib.parse

import requests

from conftest import await_client_status, get_code, token_request
from helpers_token import assert_invalid_client, \
    make_server  # noqa: F401 (fixture)


def alerts(server, *extra):
    out = server.cli("alert", "list", "--json", *extra).stdout
    return [json.loads(line) for line in out.splitlines() if line]


def rules_of(server):
    return sorted(a["rule"] for a in alerts(server))


def code_request(server, c, **extra):
    """A fresh code's token request form, ready to send (again)."""
    code, verifier, _ = get_code(server, c, **extra)
    return {"grant_type": "authorization_code", "code": code,
            "code_verifier": verifier, "redirect_uri": c["redirect_uri"]}


def redeem(server, c, **extra):
    r = token_request(server, c, code_request(server, c, **extra))
    assert r.status_code == 200, r.text
    return r.json()


def refresh(server, c, rt, **extra):
    return token_request(server, c, dict({"grant_type": "refresh_token",
                                          "refresh_token": rt}, **extra))


def test_normal_use_raises_nothing(make_server):
    s = make_server()
    c = s.confidential
    t = redeem(s, c)
    for _ in range(5):
        r = refresh(s, c, t["refresh_token"])
        assert r.status_code == 200
        t = r.json()
        i = requests.post(s.base + "/introspect",
                          data={"token": t["access_token"]},
                          auth=(c["client_id"], c["client_secret"]))
        assert i.json()["active"] is True
    redeem(s, s.public)
    assert alerts(s) == []
    assert alerts(s, "--all") == []


def test_refresh_reuse_raises_one_high_alert_with_evidence(make_server):
    s = make_server()
    c = s.confidential
    t = redeem(s, c)
    assert refresh(s, c, t["refresh_token"]).status_code == 200
    for _ in range(3):      # the thief tries again and again: one incident
        assert refresh(s, c, t["refresh_token"]).status_code == 400
    found = alerts(s)
    assert [a["rule"] for a in found] == ["refresh_reuse"]
    a = found[0]
    assert a["severity"] == "high" and a["status"] == "open"
    assert a["client_id"] == c["client_id"] and a["grant_id"]
    assert a["evidence"]["event"] == "token.reuse_detected"
    assert a["evidence"]["remote_addr"] == "127.0.0.1"
    assert a["evidence"]["user_agent"].startswith("python-requests")
    assert "refresh token" in a["summary"]
    # the log carries it too
    assert '"event":"alert"' in s.log_text() and "refresh_reuse" in \
        s.log_text()


def test_code_replay(make_server):
    s = make_server()
    c = s.confidential
    data = code_request(s, c)
    assert token_request(s, c, data).status_code == 200
    assert alerts(s) == []
    assert token_request(s, c, data).status_code == 400
    assert rules_of(s) == ["code_replay"]


def test_use_after_disable_and_quarantine(make_server):
    s = make_server()
    c = s.confidential
    t = redeem(s, c)
    assert refresh(s, c, t["refresh_token"]).status_code == 200
    assert alerts(s) == []
    s.cli("client", "disable", c["client_id"])
    await_client_status(s, c["client_id"], active=False)
    assert refresh(s, c, t["refresh_token"]).status_code == 401
    found = alerts(s)
    assert [a["rule"] for a in found] == ["disabled_client_use"]
    assert found[0]["evidence"]["detail"] == {"reason": "disabled",
                                              "proof": "secret"}

    s.cli("client", "enable", c["client_id"])
    # seen as enabled first: else "not active" could be the old disable
    await_client_status(s, c["client_id"], active=True)
    s.cli("alert", "ack", str(found[0]["id"]))
    s.cli("client", "quarantine", c["client_id"], "--reason", "stolen")
    await_client_status(s, c["client_id"], active=False)
    found = alerts(s)
    assert [a["rule"] for a in found] == ["client_quarantined"]
    assert found[0]["evidence"]["reason"] == "stolen"
    assert found[0]["evidence"]["actor"] == "admin"
    assert found[0]["summary"].endswith("every grant and token revoked, "
                                        "secret replaced"), found[0]
    # raised in the kill switch's own transaction, with the audit event
    assert s.query("SELECT count(*) FROM alerts WHERE rule = "
                   "'client_quarantined'") == [(1,)]
    # the quarantine replaced the secret: the old one proves nothing, nor
    # does an access token (every resource server it went to holds it)...
    r = requests.post(s.base + "/introspect",
                      data={"token": t["access_token"]},
                      auth=(c["client_id"], c["client_secret"]))
    assert_invalid_client(r, True)
    assert rules_of(s) == ["client_quarantined"]
    # ...but the thief replaying the stolen refresh token (only the client
    # ever held it) with the stolen secret is seen
    assert refresh(s, c, t["refresh_token"]).status_code == 401
    assert rules_of(s) == ["client_quarantined", "disabled_client_use"]
    use = [a for a in alerts(s) if a["rule"] == "disabled_client_use"][0]
    assert use["evidence"]["detail"] == {"reason": "quarantined",
                                         "proof": "refresh_token"}
    assert auth_failed_details(s, c["client_id"])[-2:] == [
        {"reason": "bad_secret"},
        {"reason": "quarantined", "proof": "refresh_token"}]


def auth_failed_details(s, client_id):
    return [json.loads(d) for (d,) in s.query(
        "SELECT detail FROM audit_events WHERE type = 'client.auth_failed' "
        "AND client_id = ? ORDER BY seq", client_id)]


def test_disabled_client_use_needs_proof(make_server):
    """Client ids are public: naming a disabled client with a wrong secret
    is a bad secret (it counts toward auth_failure_burst), not the
    client's use; its secret is."""
    s = make_server()
    c = s.confidential
    s.cli("client", "disable", c["client_id"])
    await_client_status(s, c["client_id"], active=False)
    wrong = requests.post(s.base + "/introspect", data={"token": "x"},
                          auth=(c["client_id"], "gate_cs_" + "A" * 43))
    assert_invalid_client(wrong, True)
    assert alerts(s) == []
    right = requests.post(s.base + "/introspect", data={"token": "x"},
                          auth=(c["client_id"], c["client_secret"]))
    assert_invalid_client(right, True)
    assert right.json() == wrong.json()
    [a] = alerts(s)
    assert a["rule"] == "disabled_client_use" and a["severity"] == "high"
    assert a["evidence"]["detail"] == {"reason": "disabled",
                                       "proof": "secret"}
    assert auth_failed_details(s, c["client_id"]) == [
        {"reason": "bad_secret"}, {"reason": "disabled", "proof": "secret"}]


def test_quarantined_client_named_without_a_secret(make_server):
    """A bare /revoke naming a quarantined client (no secret) raises no
    high alert; with a refresh token issued to the client it does (a
    thief's replay after the kill switch)."""
    s = make_server()
    c = s.confidential
    t = redeem(s, c)
    s.cli("client", "quarantine", c["client_id"], "--reason", "test")
    await_client_status(s, c["client_id"], active=False)
    for tok in ("x", "gate_rt_" + "A" * 43, t["access_token"]):
        r = requests.post(s.base + "/revoke",
                          data={"client_id": c["client_id"], "token": tok})
        assert_invalid_client(r, False)
    assert rules_of(s) == ["client_quarantined"]
    r = requests.post(s.base + "/revoke", data={
        "client_id": c["client_id"], "token": t["refresh_token"]})
    assert_invalid_client(r, False)
    assert rules_of(s) == ["client_quarantined", "disabled_client_use"]
    assert auth_failed_details(s, c["client_id"]) == [
        {"reason": "wrong_method"}] * 3 + [
        {"reason": "quarantined", "proof": "refresh_token"}]


def test_a_code_seen_on_its_way_is_no_proof(make_server):
    """Codes travel the front channel (address bar, history, Referer, the
    redirect host's logs) and are kept a day past expiry: re-posting one
    seen there, after the client is disabled, is no evidence of the
    client's use. Nor is a code with its verifier, for a confidential
    client: anyone can start a flow for it with a verifier of their own
    and read the code from their address bar."""
    s = make_server()
    c = s.confidential
    data = code_request(s, c)
    assert token_request(s, c, data).status_code == 200
    fresh, fresh_verifier, _ = get_code(s, c)
    s.cli("client", "disable", c["client_id"])
    await_client_status(s, c["client_id"], active=False)
    for sent in ({"grant_type": "authorization_code", "code": data["code"]},
                 dict(data, code=fresh, code_verifier=fresh_verifier)):
        r = requests.post(s.base + "/token",
                          data=dict(sent, client_id=c["client_id"]))
        assert_invalid_client(r, False)
    assert alerts(s) == []
    assert auth_failed_details(s, c["client_id"]) == [
        {"reason": "wrong_method"}] * 2


def test_disabled_public_client_use_needs_its_verifier_or_refresh_token(
        make_server):
    """A public client has no credential: its id alone, or with another
    client's token, its own access token (resource servers hold those)
    or its code without the code's verifier (codes travel the front
    channel), is no evidence; an unexpired code with its verifier (which
    never leaves the client) or a refresh token issued to it is."""
    s = make_server()
    p = s.public
    t = redeem(s, p)
    code, verifier, _ = get_code(s, p)
    other = redeem(s, s.confidential)
    s.cli("client", "disable", p["client_id"])
    await_client_status(s, p["client_id"], active=False)
    for tok in ("x", other["refresh_token"], t["access_token"]):
        r = requests.post(s.base + "/revoke",
                          data={"client_id": p["client_id"], "token": tok})
        assert_invalid_client(r, False)
    grant = {"grant_type": "authorization_code", "code": code,
             "redirect_uri": p["redirect_uri"]}
    for wrong in ({}, {"code_verifier": "x"},
                  {"code_verifier": get_code(s, s.confidential)[1]}):
        assert_invalid_client(token_request(s, p, dict(grant, **wrong)),
                              False)
    assert alerts(s) == []
    r = token_request(s, p, dict(grant, code_verifier=verifier))
    assert_invalid_client(r, False)
    assert rules_of(s) == ["disabled_client_use"]
    r = refresh(s, p, t["refresh_token"])
    assert_invalid_client(r, False)
    assert auth_failed_details(s, p["client_id"]) == [
        {"reason": "no_credential"}] * 6 + [
        {"reason": "disabled", "proof": "code"},
        {"reason": "disabled", "proof": "refresh_token"}]


def test_an_expired_code_is_no_proof_even_with_its_verifier(make_server):
    """A code is kept a day past its expiry: once expired, even with its
    verifier it no longer counts as a disabled public client's use."""
    s = make_server(code_ttl_seconds=1)
    p = s.public
    code, verifier, _ = get_code(s, p)
    s.cli("client", "disable", p["client_id"])
    time.sleep(2.1)
    r = token_request(s, p, {"grant_type": "authorization_code",
                             "code": code, "code_verifier": verifier,
                             "redirect_uri": p["redirect_uri"]})
    assert_invalid_client(r, False)
    assert alerts(s) == []
    assert auth_failed_details(s, p["client_id"]) == [
        {"reason": "no_credential"}]


def test_network_allowlist_refusal_is_alerted(make_server):
    s = make_server()
    inside = json.loads(s.cli(
        "client", "add", "--name", "Inside", "--owner", "ops",
        "--redirect-uri", "http://127.0.0.1:9000/callback",
        "--allow-network", "127.0.0.0/8", "--json").stdout)
    outside = json.loads(s.cli(
        "client", "add", "--name", "Outside", "--owner", "ops",
        "--redirect-uri", "http://127.0.0.1:9000/callback",
        "--allow-network", "10.0.0.0/8", "--json").stdout)
    for c, want in ((inside, 200), (outside, 401)):
        r = requests.post(s.base + "/introspect", data={"token": "x"},
                          auth=(c["client_id"], c["client_secret"]))
        assert r.status_code == want
    found = alerts(s)
    assert [(a["rule"], a["client_id"]) for a in found] == \
        [("network_refused", outside["client_id"])]


def test_scope_escalation(make_server):
    s = make_server()
    c = s.confidential
    t = redeem(s, c, scope="openid offline_access")
    r = refresh(s, c, t["refresh_token"], scope="openid")
    assert r.status_code == 200
    t = r.json()
    # a malformed scope is a client bug, not an escalation
    r = refresh(s, c, t["refresh_token"], scope="openid  offline_access")
    assert r.status_code == 400 and r.json() == {
        "error": "invalid_scope", "error_description": "malformed scope"}
    assert alerts(s) == []
    r = refresh(s, c, t["refresh_token"], scope="openid email")
    assert r.status_code == 400 and r.json()["error"] == "invalid_scope"
    assert rules_of(s) == ["scope_escalation"]


UA = requests.utils.default_user_agent()


def post_from(s, c, path, form, source=None, agent=UA):
    """POST a form as client c (Basic auth) from another loopback source
    address: (status, JSON body)."""
    conn = http.client.HTTPConnection(
        "127.0.0.1", s.port, timeout=10,
        source_address=(source, 0) if source else None)
    basic = base64.b64encode(("%s:%s" % (c["client_id"],
                                         c["client_secret"])).encode())
    conn.request("POST", path, urllib.parse.urlencode(form), {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": "Basic " + basic.decode(), "User-Agent": agent})
    r = conn.getresponse()
    out = (r.status, json.loads(r.read()))
    conn.close()
    return out


def refresh_from(s, c, rt, source=None, agent=UA):
    return post_from(s, c, "/token", {"grant_type": "refresh_token",
                                      "refresh_token": rt}, source, agent)


def test_refresh_from_a_new_network_or_agent(make_server):
    s = make_server()
    c = s.confidential
    t = redeem(s, c)
    # the grant's own client, same network and agent: nothing
    st, t = refresh_from(s, c, t["refresh_token"])
    assert st == 200
    st, t = refresh_from(s, c, t["refresh_token"])
    assert st == 200
    # 127.0.0.9 is the same /24: still nothing
    st, t = refresh_from(s, c, t["refresh_token"], "127.0.0.9")
    assert st == 200
    assert alerts(s) == []
    # the token replayed from elsewhere, by other software
    st, t = refresh_from(s, c, t["refresh_token"], "127.66.0.5",
                         agent="curl/8.0")
    assert st == 200
    found = {a["rule"]: a for a in alerts(s)}
    assert sorted(found) == ["new_network", "new_user_agent"]
    assert found["new_network"]["evidence"]["network"] == "127.66.0.0/24"
    assert found["new_network"]["evidence"]["remote_addr"] == "127.66.0.5"
    assert found["new_network"]["severity"] == "high"
    assert found["new_user_agent"]["evidence"]["new_user_agent"] == \
        "curl/8.0"
    # from then on that network is known for this grant
    st, t = refresh_from(s, c, t["refresh_token"], "127.66.0.6",
                         agent="curl/8.0")
    assert st == 200 and len(alerts(s)) == 2
    # the holder of the token chooses the values: new ones on every
    # request do not bury the first alert under one each (alert_quiet)
    for i in range(5):
        st, t = refresh_from(s, c, t["refresh_token"],
                             "127.%d.0.5" % (70 + i), agent="noise/%d" % i)
        assert st == 200
    assert sorted(a["rule"] for a in alerts(s)) == \
        ["new_network", "new_user_agent"]
    assert s.query("SELECT count(*) FROM grant_sightings") == [(14,)]


def test_a_user_agent_cannot_drive_the_operators_terminal(make_server):
    """The User-Agent was kept with its control characters and quoted
    raw in the new_user_agent alert's summary, which `alert list` printed
    as it was: a stolen refresh token replayed with an escape sequence
    for a User-Agent rewrote the terminal of whoever looked."""
    s = make_server()
    c = s.confidential
    t = redeem(s, c)
    evil = "curl/8.0 \x1b]0;pwned\x07\x1b[2J\x7f\u009b31m \u00e9"
    # as UTF-8 bytes (http.client would send latin-1)
    st, t = refresh_from(s, c, t["refresh_token"], agent=evil.encode())
    assert st == 200
    # taken in with each control character as '?', the rest kept
    clean = "curl/8.0 ?]0;pwned??[2J??31m \u00e9"
    (ua,), = s.query("SELECT user_agent FROM audit_events WHERE type ="
                     " 'token.refreshed' ORDER BY seq DESC LIMIT 1")
    assert ua == clean
    a, = alerts(s)
    assert a["rule"] == "new_user_agent" and clean in a["summary"]
    # a row stored before (or edited by hand) is escaped when shown
    s.execute(("UPDATE alerts SET summary = ?", ("old " + evil,)))
    out = s.cli("alert", "list").stdout
    assert "\x1b" not in out and "\x07" not in out and "\x7f" not in out
    assert "\u009b" not in out
    assert "old curl/8.0 \\x1b]0;pwned\\x07\\x1b[2J\\x7f\\xc2\\x9b31m " \
        "\u00e9" in out, out
    # JSON stays JSON: the encoder escapes, and the text is whole
    assert alerts(s)[0]["summary"] == "old " + evil


def test_rules_can_be_switched_off(make_server):
    s = make_server(rule_new_network=0, rule_new_user_agent=0,
             rule_refresh_reuse=0)
    c = s.confidential
    t = redeem(s, c)
    st, t2 = refresh_from(s, c, t["refresh_token"], "127.66.0.5",
                          agent="curl/8.0")
    assert st == 200
    assert refresh(s, c, t["refresh_token"]).status_code == 400   # reuse
    assert alerts(s) == []


def test_burst_of_failed_client_authentication(make_server):
    s = make_server(rule_auth_fail_burst=5, rule_auth_fail_window_seconds=60)
    c = s.confidential
    for _ in range(4):
        r = requests.post(s.base + "/introspect", data={"token": "x"},
                          auth=(c["client_id"], "wrong"))
        assert r.status_code == 401
    assert alerts(s) == []
    r = requests.post(s.base + "/introspect", data={"token": "x"},
                      auth=(c["client_id"], "wrong"))
    found = alerts(s)
    assert [a["rule"] for a in found] == ["auth_failure_burst"]
    assert found[0]["evidence"]["failures"] == 5
    for _ in range(10):     # the same burst stays one alert
        requests.post(s.base + "/introspect", data={"token": "x"},
                      auth=(c["client_id"], "wrong"))
    assert len(alerts(s)) == 1


def wait_window_start(width):
    """Sleep to just after the start of the next window."""
    now = time.time()
    time.sleep(width - (now % width) + 0.05)


def test_token_rate_spike_against_own_baseline(make_server):
    width = 3
    s = make_server(rule_rate_window_seconds=width, rule_rate_baseline_windows=4,
             rule_rate_factor=3, rule_rate_min_events=8,
             rule_new_user_agent=0)
    c = s.confidential
    # a brand-new client has no baseline: its first burst is not judged.
    # Begun at a window's start: a burst that spilled into the next window
    # would be judged there against the first (it failed so under load)
    wait_window_start(width)
    t = redeem(s, c)
    for _ in range(9):
        t = refresh(s, c, t["refresh_token"]).json()
    assert alerts(s) == []
    # one quiet window, then a steady trickle: normal
    wait_window_start(width)
    wait_window_start(width)
    for _ in range(2):
        t = refresh(s, c, t["refresh_token"]).json()
    assert alerts(s) == []
    # then far above its own average
    wait_window_start(width)
    for _ in range(20):
        t = refresh(s, c, t["refresh_token"]).json()
    found = alerts(s)
    assert [a["rule"] for a in found] == ["token_rate_spike"]
    ev = found[0]["evidence"]
    assert ev["current"] >= 8 and ev["window_seconds"] == width
    assert ev["current"] > 3 * ev["baseline_average"]


def test_ack_is_audited_and_a_new_incident_alerts_again(make_server):
    s = make_server()
    c = s.confidential
    t = redeem(s, c)
    assert refresh(s, c, t["refresh_token"]).status_code == 200
    refresh(s, c, t["refresh_token"])
    [a] = alerts(s)
    r = s.cli("alert", "ack", str(a["id"]), "--by", "secops-jane")
    assert "acknowledged" in r.stdout
    assert alerts(s) == []
    [acked] = alerts(s, "--all")
    assert acked["status"] == "acknowledged"
    assert acked["acked_by"] == "secops-jane"
    row = s.query("SELECT actor, detail FROM audit_events WHERE type = "
                  "'alert.acknowledged'")
    assert row[0][0] == "admin"
    assert json.loads(row[0][1]) == {"alert_id": a["id"],
                                     "by": "secops-jane"}
    assert s.cli("alert", "ack", str(a["id"]), check=False).returncode == 1
    assert s.cli("alert", "ack", "nope", check=False).returncode == 2
    # the same grant abused again after the ack is a new incident
    t2 = redeem(s, c)
    assert refresh(s, c, t2["refresh_token"]).status_code == 200
    refresh(s, c, t2["refresh_token"])
    assert [x["rule"] for x in alerts(s)] == ["refresh_reuse"]
    assert len(alerts(s, "--all")) == 2


def flood(s, n, client_id=None, acked=False):
    """n medium auth_failure_burst alerts, newer than any before: what an
    outsider raises at will, one wrong secret per public client id (its
    own, or one each when client_id is None), inserted by one statement
    to keep the test fast."""
    t = int(time.time()) + 5
    s.execute((
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
        "WHERE i < ?) INSERT INTO alerts (time, rule, severity, client_id, "
        "summary, evidence, dedupe_key, next_attempt_at, acked_at, "
        "acked_by) SELECT ? + i, 'auth_failure_burst', ?, "
        "coalesce(?, 'cl_other' || i), '10 failed client authentications "
        "within 60 s', '{}', 'flood:' || i, ? + i, ?, ? FROM n",
        (n, t, "high" if acked else "medium", client_id, t,
         t if acked else None, "ops" if acked else None)))


def test_a_flood_of_lesser_alerts_does_not_hide_a_high_one(make_server):
    """Lists are bounded (the API 1000, the console 200, a client's page
    50): open alerts come first, the most severe first, then the newest,
    so a flood of newer medium alerts cannot push a code replay off them,
    and each says how many there are and that it is cut."""
    from helpers_admin import Console, add_admin, api
    s = make_server()
    c = s.confidential
    data = code_request(s, c)
    assert token_request(s, c, data).status_code == 200
    assert token_request(s, c, data).status_code == 400
    cred = add_admin(s)
    one = {"client_id": c["client_id"]}
    r = api(s, cred, "GET", "alerts").json()
    assert (r["total"], r["truncated"]) == (1, False)
    d = api(s, cred, "GET", "client", params=one).json()
    assert (d["alerts_total"], d["alerts_truncated"]) == (1, False)
    console = Console(s)
    console.login(cred)
    assert "alerts-more" not in console.get("/admin/alerts").text

    flood(s, 1000)                          # 1000 other client ids
    flood(s, 60, client_id=c["client_id"])  # and the replayed client's own
    flood(s, 1, client_id=c["client_id"], acked=True)
    r = api(s, cred, "GET", "alerts").json()
    assert r["alerts"][0]["rule"] == "code_replay"
    assert len(r["alerts"]) == 1000
    assert (r["total"], r["truncated"]) == (1061, True)
    assert api(s, cred, "GET", "alerts", params={"all": 1}).json()[
        "total"] == 1062
    assert alerts(s)[0]["rule"] == "code_replay"
    page = console.get("/admin/alerts").text
    assert page.count("<tr>") == 1 + 200
    assert "code_replay" in page
    assert "861 more open alerts not shown (1061 in all)" in page

    d = api(s, cred, "GET", "client", params=one).json()
    assert d["alerts"][0]["rule"] == "code_replay"
    assert len(d["alerts"]) == 50
    assert all(a["status"] == "open" for a in d["alerts"])
    assert (d["alerts_total"], d["alerts_truncated"]) == (62, True)
    assert d["client"]["open_alerts"] == 61
    page = console.get("/admin/client", params=one).text
    assert "code_replay" in page
    assert "12 more alerts not shown (62 in all; 11 of them open)" in page


def test_token_introspected_from_a_new_network(make_server):
    s = make_server()
    c = s.confidential
    t = redeem(s, c)
    auth = (c["client_id"], c["client_secret"])
    for _ in range(3):
        i = requests.post(s.base + "/introspect",
                          data={"token": t["access_token"]}, auth=auth)
        assert i.json()["active"] is True
    assert alerts(s) == []
    st, body = post_from(s, c, "/introspect", {"token": t["access_token"]},
                         "127.77.1.2")
    assert st == 200 and body["active"] is True
    [a] = alerts(s)
    assert a["rule"] == "new_network"
    assert a["evidence"]["event"] == "token.introspected"
    assert a["evidence"]["network"] == "127.77.1.0/24"


def test_token_of_a_disabled_client_used_at_userinfo(make_server):
    s = make_server()
    c = s.confidential
    t = redeem(s, c)
    bearer = {"Authorization": "Bearer " + t["access_token"]}
    assert requests.get(s.base + "/userinfo", headers=bearer).status_code \
        == 200
    # a token that merely expired or was revoked is not this alert
    requests.post(s.base + "/revoke", data={"token": t["access_token"]},
                  auth=(c["client_id"], c["client_secret"]))
    assert requests.get(s.base + "/userinfo", headers=bearer).status_code \
        == 401
    assert alerts(s) == []
    t2 = redeem(s, c)
    s.cli("client", "disable", c["client_id"])
    await_client_status(s, c["client_id"], active=False)
    r = requests.get(s.base + "/userinfo", headers={
        "Authorization": "Bearer " + t2["access_token"]})
    assert r.status_code == 401
    [a] = alerts(s)
    assert a["rule"] == "disabled_client_use"
    assert a["evidence"]["event"] == "token.used_after_disable"
    assert a["evidence"]["detail"] == {"reason": "disabled",
                                       "endpoint": "userinfo"}
