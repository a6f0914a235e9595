"""Events an outsider causes at will are stored within the audit budgets
(governance/audit_budget.h), not a durable, chained row per request: a
refused consent (it needs no sign-in, only the CSRF pair of any login
page), a client used outside its networks (a public client names itself
with its id alone), a sign-in failed without a password check (no
password, or one too long), a disabled client's access token presented
at /userinfo, and a refresh asking for a wider scope (the token is not
spent by asking). Every event is still logged, the rest folded into the
next stored row's counts, and the anomaly rules still see each.

The server trusts 127.0.0.1 as its balancer, so X-Forwarded-For gives
each request the client address the test chooses."""
import json
import time

import requests

from conftest import REDIRECT, Browser, auth_params, await_client_status, \
    get_code, pkce_pair
from helpers_admin import audit_rows
from helpers_token import exchange, make_server, refresh  # noqa: F401
from test_abuse_limits import alerts_of

LB = "127.0.0.1/32"
CLIENT = "203.0.113.9"
OTHER = "198.51.100.9"


def xff(addr):
    return {"X-Forwarded-For": addr}


def many(n, net="10.%d.%d.%d"):
    """n distinct IPv4 addresses (each its own throttle key)."""
    return [net % (1 + i // 62500, 1 + (i // 250) % 250, 1 + i % 250)
            for i in range(n)]


def logged(s, etype):
    """The "stored" field of every log line of audit events of etype."""
    out = []
    for line in s.log_text().splitlines():
        try:
            x = json.loads(line)
        except ValueError:
            continue
        if isinstance(x, dict) and x.get("type") == etype and \
                "stored" in x:
            out.append(x["stored"])
    return out


def details(s, etype):
    return [json.loads(r[5]) if r[5] else None for r in audit_rows(s, etype)]


def form_of(b, client, headers=None):
    """The hidden fields of a fresh authorization request's page."""
    _, challenge = pkce_pair()
    page = b.s.get(b.server.base + "/authorize", headers=headers,
                   params=auth_params(client, challenge),
                   allow_redirects=False)
    assert page.status_code == 200, page.text
    return page, Browser.form_fields(page.text)


def deny(b, fields, addr):
    r = b.s.post(b.server.base + "/authorize", allow_redirects=False,
                 data=dict(fields, gh_action="consent", decision="deny"),
                 headers=xff(addr))
    assert r.status_code == 303 and "error=access_denied" in \
        r.headers["Location"], (r.status_code, r.text)


# -- consent.denied -------------------------------------------------------
def test_refusals_without_a_session_are_budgeted_per_address_and_client(
        make_server):
    """Nobody signed in: the CSRF pair of a login page is enough to post a
    refusal. Ten rows per address and client per window, the rest only
    logged; another address or client has rows of its own."""
    s = make_server(trusted_proxies=LB, throttle_audit_window_seconds=600)
    b = Browser(s)
    _, f = form_of(b, s.confidential)
    f.pop("username", None)
    for _ in range(30):
        deny(b, f, CLIENT)
    rows = audit_rows(s, "consent.denied")
    assert len(rows) == 10, rows
    assert {(r[1], r[2], r[4]) for r in rows} == \
        {(s.confidential["client_id"], None, CLIENT)}
    assert [r[5] for r in rows] == [None] * 10
    assert logged(s, "consent.denied") == ["yes"] * 10 + ["folded"] * 20
    deny(b, f, OTHER)
    _, fp = form_of(b, s.public)
    fp.pop("username", None)
    deny(b, fp, CLIENT)
    rows = audit_rows(s, "consent.denied")
    assert [(r[1], r[4]) for r in rows[10:]] == [
        (s.confidential["client_id"], OTHER), (s.public["client_id"], CLIENT)]


def test_a_users_refusals_are_budgeted_per_user_whatever_the_address(
        make_server):
    """Signed in, a refusal is the user's own decision: stored, within a
    budget of that user and client which changing addresses does not
    reset; another client of the same user has its own."""
    s = make_server(trusted_proxies=LB, throttle_audit_window_seconds=4)
    b = Browser(s)
    page, _ = form_of(b, s.confidential)
    page = b.login(page)
    assert 'value="consent"' in page.text
    f = Browser.form_fields(page.text)
    t0 = time.monotonic()
    for addr in many(30):
        deny(b, f, addr)
    took = time.monotonic() - t0
    rows = audit_rows(s, "consent.denied")
    uid = rows[0][2]
    assert uid
    # ten, and what came back (one per 0.4 s) while they were sent
    assert 10 <= len(rows) <= 10 + int(took / 0.4) + 1, (len(rows), took)
    assert {(r[1], r[2]) for r in rows} == \
        {(s.confidential["client_id"], uid)}
    assert len(logged(s, "consent.denied")) == 30
    # another client's refusal by the same user: a key of its own
    page, fp = form_of(b, s.public)
    assert 'value="consent"' in page.text
    deny(b, fp, CLIENT)
    last = audit_rows(s, "consent.denied")[-1]
    assert (last[1], last[2], last[5]) == (s.public["client_id"], uid, None)
    # once one comes back, the next row counts what was folded meanwhile
    time.sleep(0.5)
    deny(b, f, OTHER)
    mine = [d for r, d in zip(audit_rows(s, "consent.denied"),
                              details(s, "consent.denied"))
            if r[1] == s.confidential["client_id"]]
    assert mine[-1]["folded"] > 0 and mine[-1]["withheld_rows"] == 0
    assert len(mine) + sum(d["folded"] for d in mine if d) == 31


# -- client.network_refused ---------------------------------------------------
def fenced(s, public):
    args = ["client", "add", "--name", "Fenced", "--owner", "o",
            "--redirect-uri", REDIRECT, "--allow-network", "10.0.0.0/8",
            "--json"]
    return json.loads(s.cli(*(args + (["--public"] if public else []))
                            ).stdout)


def test_network_refusals_are_budgeted_per_address_and_client(make_server):
    """A public client is named by its id alone: anyone outside its
    networks causes a refusal. Ten rows per address and client per
    window; every refusal logged, and the alert raised."""
    s = make_server(trusted_proxies=LB, throttle_audit_window_seconds=600)
    c = fenced(s, public=True)
    for _ in range(30):
        r = requests.post(s.base + "/revoke", headers=xff(CLIENT),
                          data={"client_id": c["client_id"], "token": "x"})
        assert r.status_code == 400 and "network" in r.text, r.text
    rows = audit_rows(s, "client.network_refused")
    assert [(r[1], r[4], r[5]) for r in rows] == \
        [(c["client_id"], CLIENT, None)] * 10
    assert logged(s, "client.network_refused") == \
        ["yes"] * 10 + ["folded"] * 20
    assert [a["client_id"] for a in alerts_of(s, "network_refused")] == \
        [c["client_id"]]
    # another address has rows of its own
    requests.post(s.base + "/revoke", headers=xff(OTHER),
                  data={"client_id": c["client_id"], "token": "x"})
    assert audit_rows(s, "client.network_refused")[-1][4] == OTHER


def test_a_confidential_clients_network_refusals_are_budgeted(make_server):
    """Its secret is checked first, so only its holder (or a thief) gets
    this far; a thief could repeat it at will all the same."""
    s = make_server(trusted_proxies=LB, throttle_audit_window_seconds=600)
    c = fenced(s, public=False)
    for _ in range(15):
        r = requests.post(s.base + "/introspect", data={"token": "x"},
                          auth=(c["client_id"], c["client_secret"]),
                          headers=xff(CLIENT))
        assert r.status_code == 401 and "network" in r.text
    assert len(audit_rows(s, "client.network_refused")) == 10
    assert len(logged(s, "client.network_refused")) == 15
    assert len(alerts_of(s, "network_refused")) == 1


# -- login.failure without a password check ------------------------------------
def post_login(b, f, addr, **data):
    return b.s.post(b.server.base + "/authorize", allow_redirects=False,
                    data=dict(f, **data), headers=xff(addr))


def test_unchecked_sign_in_failures_are_budgeted_per_address(make_server):
    """No password (or one over its limit) is a failure without an
    Argon2id run: limited per address, and stored within the budget of
    an address, client and reason."""
    s = make_server(trusted_proxies=LB, throttle_audit_window_seconds=600,
                    login_address_burst=40)
    b = Browser(s)
    _, f = form_of(b, s.confidential)
    f.pop("password", None)
    for _ in range(20):
        r = post_login(b, f, CLIENT, username="nobody")
        assert r.status_code == 200 and "Wrong username" in r.text
    for _ in range(15):
        r = post_login(b, f, CLIENT, username="alice",
                       password="x" * 300)
        assert r.status_code == 200 and "Wrong username" in r.text
    rows = audit_rows(s, "login.failure")
    assert [(r[1], r[2], r[4]) for r in rows] == \
        [(s.confidential["client_id"], None, CLIENT)] * 20
    assert details(s, "login.failure") == \
        [{"reason": "missing"}] * 10 + [{"reason": "too_long"}] * 10
    assert logged(s, "login.failure") == ["yes"] * 10 + ["folded"] * 10 + \
        ["yes"] * 10 + ["folded"] * 5
    # the account page's form alike (no client)
    a = requests.Session()
    token = Browser.form_fields(a.get(s.base + "/account/login").text)
    for _ in range(12):
        r = a.post(s.base + "/account/login", headers=xff(OTHER),
                          data=dict(token, username="alice"))
        assert r.status_code == 401
    acct = [r for r in audit_rows(s, "login.failure") if r[4] == OTHER]
    assert [(r[1], r[5]) for r in acct] == \
        [(None, '{"reason":"missing"}')] * 10


def test_unchecked_sign_in_failures_from_many_addresses(make_server):
    """The per-address limit is multiplied by the addresses a flood has
    (an IPv6 /48 holds 65,536 /64s): the rows of such failures are held
    to 600 per window in all. A password actually checked is stored
    whatever the flood, and login_failure_burst still counts it."""
    s = make_server(trusted_proxies=LB, throttle_audit_window_seconds=600,
                    rule_login_fail_burst=3)
    b = Browser(s)
    _, f = form_of(b, s.confidential)
    f.pop("password", None)
    sources = many(70)
    t0 = time.monotonic()
    for src in sources:
        for _ in range(10):
            r = post_login(b, f, src, username="nobody")
            assert r.status_code == 200, r.status_code
    took = time.monotonic() - t0
    rows = audit_rows(s, "login.failure")
    # the budget, and what came back (one a second) while the flood ran
    assert 600 <= len(rows) <= 600 + int(took) + 1, (len(rows), took)
    assert logged(s, "login.failure").count("folded") == 700 - len(rows)
    # wrong passwords, each checked: stored, and the rule sees them
    for _ in range(3):
        r = post_login(b, f, CLIENT, username="alice", password="wrong")
        assert r.status_code == 200 and "Wrong username" in r.text
    checked = audit_rows(s, "login.failure")[len(rows):]
    assert [(r[2] is not None, r[4], r[5]) for r in checked] == \
        [(True, CLIENT, None)] * 3
    assert len(alerts_of(s, "login_failure_burst")) == 1
    # a later unchecked row says how many of all addresses were withheld
    time.sleep(1.1)
    post_login(b, f, OTHER, username="nobody")
    d = details(s, "login.failure")
    assert sum(x.get("withheld_rows", 0) for x in d if x) == \
        701 - len(d) + 3


# -- token.used_after_disable, token.scope_escalation -----------------------
def tokens_of(s, c, scope="openid offline_access"):
    code, verifier, _ = get_code(s, c, scope=scope)
    r = exchange(s, c, code, verifier)
    assert r.status_code == 200, r.text
    return r.json()


def userinfo(s, token, addr):
    r = requests.get(s.base + "/userinfo", headers=dict(
        xff(addr), Authorization="Bearer " + token))
    assert r.status_code == 401 and \
        r.json()["error"] == "invalid_token", r.text
    return r


def test_a_disabled_clients_access_token_at_userinfo_is_budgeted_per_grant(
        make_server):
    """Every resource server an access token went to holds it, and may
    present it at /userinfo until it expires: each presentation after its
    client was disabled is logged and seen by disabled_client_use, and
    stored within the budget of its grant, whatever the address (before,
    200 presentations wrote 200 rows). Another grant has rows of its own;
    the alert is raised once, and again after an ack by a presentation
    past the budget (the rule sees the folded ones too)."""
    s = make_server(trusted_proxies=LB, throttle_audit_window_seconds=600)
    conf, pub = s.confidential, s.public
    at = tokens_of(s, conf)["access_token"]
    other = tokens_of(s, pub)["access_token"]
    for c in (conf, pub):
        s.cli("client", "disable", c["client_id"])
        await_client_status(s, c["client_id"], active=False)
    for addr in many(30):
        userinfo(s, at, addr)
    rows = audit_rows(s, "token.used_after_disable")
    assert [(r[1], r[5]) for r in rows] == [(conf["client_id"],
        '{"reason":"disabled","endpoint":"userinfo"}')] * 10
    assert logged(s, "token.used_after_disable") == \
        ["yes"] * 10 + ["folded"] * 20
    [a] = alerts_of(s, "disabled_client_use")
    assert a["client_id"] == conf["client_id"]
    # another grant's token: a row of its own
    userinfo(s, other, CLIENT)
    last = audit_rows(s, "token.used_after_disable")[-1]
    assert (last[1], last[4]) == (pub["client_id"], CLIENT)
    # a presentation past the budget still reaches the rule
    s.cli("alert", "ack", str(a["id"]))
    userinfo(s, at, OTHER)
    assert logged(s, "token.used_after_disable")[-1] == "folded"
    # open alerts, newest first: the one raised now, and the other grant's
    assert [x["client_id"] for x in alerts_of(s, "disabled_client_use")] \
        == [conf["client_id"], pub["client_id"]]


def test_a_refresh_token_at_userinfo_is_not_its_clients_use(make_server):
    """/userinfo takes access tokens: a refresh token of a disabled
    client presented there is an unknown token, not the event (nor the
    alert) whose summary says an access token was used. Its use at
    /token is what client_auth.c records."""
    s = make_server()
    c = s.confidential
    rt = tokens_of(s, c)["refresh_token"]
    s.cli("client", "disable", c["client_id"])
    await_client_status(s, c["client_id"], active=False)
    userinfo(s, rt, CLIENT)
    assert audit_rows(s, "token.used_after_disable") == []
    assert alerts_of(s, "disabled_client_use") == []


def test_scope_escalations_are_budgeted_per_grant(make_server):
    """A refresh asking for more than the grant holds is refused without
    spending the token, so its holder (for a public client, no secret
    needed) may ask again for the token's whole life: stored within the
    budget of its grant, whatever the address (before, 100 requests wrote
    100 rows), every one logged and seen by scope_escalation, the alert
    raised once; another grant has rows of its own."""
    s = make_server(trusted_proxies=LB, throttle_audit_window_seconds=600)
    pub, conf = s.public, s.confidential
    rt = tokens_of(s, pub)["refresh_token"]
    for addr in many(30):
        r = refresh(s, pub, rt, scope="openid offline_access profile",
                    headers=xff(addr))
        assert r.status_code == 400 and \
            r.json()["error"] == "invalid_scope", r.text
    rows = audit_rows(s, "token.scope_escalation")
    assert [(r[1], r[5]) for r in rows] == [(pub["client_id"], None)] * 10
    assert logged(s, "token.scope_escalation") == \
        ["yes"] * 10 + ["folded"] * 20
    [a] = alerts_of(s, "scope_escalation")
    assert a["client_id"] == pub["client_id"]
    # the token was never spent
    assert refresh(s, pub, rt, headers=xff(CLIENT)).status_code == 200
    # another grant: a row of its own
    rt2 = tokens_of(s, conf)["refresh_token"]
    assert refresh(s, conf, rt2, scope="openid email",
                   headers=xff(CLIENT)).status_code == 400
    last = audit_rows(s, "token.scope_escalation")[-1]
    assert (last[1], last[4]) == (conf["client_id"], CLIENT)
    assert len(alerts_of(s, "scope_escalation")) == 2
