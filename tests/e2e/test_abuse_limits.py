"""Abuse limits (governance/throttle.h): failed sign-ins are limited per
client address and per username before any Argon2id run, one address
holds at most one Argon2id run, refusals are 429 with Retry-After on the
usual login form, and neither failed sign-ins nor wrong admin
credentials can grow the audit trail one row per request.

The server listens on 127.0.0.1; the rest of 127.0.0.0/8 reaches it from
other source addresses (127.0.0.2 is "another client")."""
import json
import statistics
import threading
import time

import requests
from requests.adapters import HTTPAdapter

from conftest import PASSWORD, Browser, auth_params, pkce_pair
from helpers_admin import add_admin, audit_rows, hidden
from helpers_token import make_server  # noqa: F401 (fixture)

ATTACKER = "127.0.0.1"
OTHER = "127.0.0.2"


class _From(HTTPAdapter):
    """Connections from a chosen loopback source address."""

    def __init__(self, source):
        self.source = source
        super().__init__()

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source, 0)
        super().init_poolmanager(*args, **kw)


def session_from(source):
    s = requests.Session()
    s.mount("http://", _From(source))
    return s


def browser_from(server, source):
    b = Browser(server)
    b.s = session_from(source)
    return b


def login_page(b, client):
    """The login form of a fresh authorization request."""
    _, challenge = pkce_pair()
    page = b.get(auth_params(client, challenge))
    assert page.status_code == 200 and 'value="login"' in page.text
    return page


def signs_in(server, source):
    """alice signs in through /authorize from `source`: the consent page
    comes back (status, seconds taken)."""
    b = browser_from(server, source)
    page = login_page(b, server.confidential)
    t0 = time.monotonic()
    r = b.login(page)
    took = time.monotonic() - t0
    return (200 if r.status_code == 200 and 'value="consent"' in r.text
            else r.status_code), took


def flood(server, stop, answers, threads=6):
    """`threads` loops from ATTACKER posting the /authorize login form as
    "nobody" (the CSRF pair is free from any login page) until stop."""
    def loop():
        b = browser_from(server, ATTACKER)
        page = login_page(b, server.confidential)
        while not stop.is_set():
            t0 = time.monotonic()
            r = b.login(page, username="nobody", password="guess")
            answers.append((r.status_code, time.monotonic() - t0,
                            r.headers.get("Retry-After"), r.text))
    workers = [threading.Thread(target=loop) for _ in range(threads)]
    for w in workers:
        w.start()
    return workers


def rows_from(server, etype, addr):
    return [r for r in audit_rows(server, etype) if r[4] == addr]


def alerts_of(server, rule):
    out = server.cli("alert", "list", "--json").stdout
    return [a for a in map(json.loads, out.splitlines()) if a["rule"] == rule]


def test_a_flood_from_one_address_is_429_fast_and_others_sign_in(
        make_server):
    s = make_server()
    stop, answers = threading.Event(), []
    workers = flood(s, stop, answers)
    try:
        time.sleep(0.5)
        mine = [signs_in(s, OTHER) for _ in range(10)]
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert [st for st, _ in mine] == [200] * 10, mine
    refused = [a for a in answers if a[0] == 429]
    checked = [a for a in answers if a[0] != 429]
    assert len(refused) > 10 * len(checked), (len(refused), len(checked))
    # refused before Argon2id: the form again, with when to come back
    st, took, after, text = refused[-1]
    assert 1 <= int(after) <= 2
    assert 'value="login"' in text and 'name="csrf"' in text
    assert "Too many sign-in attempts" in text
    # answered without an Argon2id run: far faster than a real check
    refusal = statistics.median(a[1] for a in refused)
    check = statistics.median(took for _, took in mine)
    assert refusal < check / 3, (refusal, check)
    # the burst of 10 and one per 2 s since; each checked one is audited
    failures = rows_from(s, "login.failure", ATTACKER)
    assert len(failures) == len([a for a in checked if a[0] == 200])
    assert len(failures) <= 10 + 10
    # the refusals are one audit event, not one per request
    throttled = rows_from(s, "login.throttled", ATTACKER)
    assert len(throttled) == 1, throttled
    assert '"refused":1' in throttled[0][5]
    assert not [a for a in answers if a[0] >= 500], answers[:3]


def test_one_address_holds_one_argon2_run(make_server):
    """With the address's bucket out of the way, six threads of one
    address still hold one Argon2id run between them, so another
    address's sign-ins always find a run free (before: 10 of 10 got
    503)."""
    s = make_server(login_address_burst=100000, login_user_burst=0)
    stop, answers = threading.Event(), []
    workers = flood(s, stop, answers)
    try:
        time.sleep(0.5)
        mine = [signs_in(s, OTHER) for _ in range(10)]
    finally:
        stop.set()
        for w in workers:
            w.join()
    assert [st for st, _ in mine] == [200] * 10, mine
    assert {a[0] for a in answers} <= {200, 429}
    concurrent = [a for a in answers if a[0] == 429]
    assert concurrent and concurrent[0][2] == "1"
    assert '"limit":"concurrent"' in rows_from(
        s, "login.throttled", ATTACKER)[0][5]


def test_a_username_is_limited_then_refilled(make_server):
    s = make_server(login_user_refill_seconds=2, rule_login_fail_burst=5,
                    login_address_burst=100)
    b = browser_from(s, ATTACKER)
    page = login_page(b, s.confidential)
    for _ in range(5):
        r = b.login(page, password="wrong guess")
        assert r.status_code == 200 and "Wrong username" in r.text
    # the burst is spent: even the right password is refused, unchecked,
    # and from any address
    r = b.login(page)
    assert r.status_code == 429, r.text
    after = int(r.headers["Retry-After"])
    assert 1 <= after <= 2
    assert "Too many sign-in attempts" in r.text and 'value="login"' in r.text
    other = browser_from(s, OTHER)
    r = other.login(login_page(other, s.confidential))
    assert r.status_code == 429
    assert len(audit_rows(s, "login.failure")) == 5
    assert "login.success" not in s.audit_types()
    # a name that does not exist answers just the same
    for _ in range(5):
        assert other.login(login_page(other, s.confidential),
                           username="nobody").status_code == 200
    r = other.login(login_page(other, s.confidential), username="nobody")
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 2
    # once refilled, the right password goes through
    time.sleep(after)
    r = b.login(page)
    assert r.status_code == 200 and 'value="consent"' in r.text, r.text
    # and a success gives the name its whole burst back
    b = browser_from(s, ATTACKER)
    page = login_page(b, s.confidential)
    for _ in range(5):
        r = b.login(page, password="wrong again")
        assert r.status_code == 200 and "Wrong username" in r.text
    # the five failures of alice raised one alert, the later five none
    alerts = alerts_of(s, "login_failure_burst")
    assert len(alerts) == 1, alerts
    assert alerts[0]["severity"] == "medium"
    assert alerts[0]["evidence"]["failures"] == 5
    assert alerts[0]["user_id"] == audit_rows(s, "login.failure")[0][2]


def test_account_login_is_limited_with_the_same_buckets(make_server):
    s = make_server(login_address_burst=3)
    u = session_from(ATTACKER)

    def post(password):
        token = hidden(u.get(s.base + "/account/login").text, "csrf")
        return u.post(s.base + "/account/login", allow_redirects=False,
                      data={"csrf": token, "username": "alice",
                            "password": password})
    for _ in range(3):
        assert post("wrong").status_code == 401
    r = post(PASSWORD)
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    assert "Too many sign-in attempts" in r.text
    assert hidden(r.text, "csrf")
    # another address is not this one
    assert signs_in(s, OTHER)[0] == 200


def test_unauthenticated_admin_api_calls_are_not_audited(server):
    before = len(server.audit_types())
    k = session_from(ATTACKER)
    for _ in range(500):
        r = k.get(server.base + "/admin/api/inventory")
        assert r.status_code == 401
    assert len(server.audit_types()) == before


def test_wrong_admin_credentials_are_folded_and_limited(make_server):
    s = make_server(throttle_audit_window_seconds=2,
                    login_address_refill_seconds=60)
    cred = add_admin(s)
    before = len(s.audit_types())
    k = session_from(ATTACKER)
    wrong = {"Authorization": "Bearer " + cred[:-2] + "xx"}
    statuses = []
    for i in range(100):
        r = k.get(s.base + "/admin/api/inventory", headers=wrong)
        statuses.append(r.status_code)
        if i == 50:
            # the right credential from elsewhere meanwhile
            ok = session_from(OTHER).get(
                s.base + "/admin/api/inventory",
                headers={"Authorization": "Bearer " + cred})
            assert ok.status_code == 200
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}, statuses
    assert r.json()["error"] == "too_many_requests"
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    # past the limit the credential is not even checked
    r = k.get(s.base + "/admin/api/inventory",
              headers={"Authorization": "Bearer " + cred})
    assert r.status_code == 429
    events = audit_rows(s, "admin.auth_failure")
    assert len(events) == 1 and len(s.audit_types()) == before + 1
    assert events[0][4] == ATTACKER
    # the next window's first one carries what was folded since
    time.sleep(2.1)
    r = k.get(s.base + "/admin/api/inventory", headers=wrong)
    events = audit_rows(s, "admin.auth_failure")
    assert len(events) == 2
    counts = [json.loads(e[5]) for e in events]
    assert counts[0] == {"failures": 1, "throttled": 0, "window_seconds": 2}
    assert r.status_code == 429
    assert counts[1] == {"failures": 9, "throttled": 92, "window_seconds": 2}


def test_junk_from_many_addresses_cannot_grow_the_trail(make_server):
    """Folding is per address, so a flood from many addresses (a botnet,
    an IPv6 block) would still write a row per address: reports of one
    event type are held to 64 a window in all, and the next one written
    says how many reports, and events, were withheld."""
    s = make_server()
    junk = {"Authorization": "Bearer gate_adm_" + "x" * 43}
    sources = ["127.0.%d.%d" % (1 + i // 200, 1 + i % 200)
               for i in range(150)]
    t0 = time.monotonic()
    for src in sources:
        r = session_from(src).get(s.base + "/admin/api/inventory",
                                  headers=junk)
        assert r.status_code == 401
    took = time.monotonic() - t0
    events = audit_rows(s, "admin.auth_failure")
    # the budget, and at most what came back (one per 60/64 s) meanwhile
    assert 64 <= len(events) <= 64 + int(took / (60 / 64)) + 1, \
        (len(events), took)
    first = [json.loads(e[5]) for e in events]
    assert first[0] == {"failures": 1, "throttled": 0,
                        "window_seconds": 60}
    # the budget's 64 withheld nothing; a report that came back during a
    # slow flood says what was withheld before it
    assert all("withheld_reports" not in d for d in first[:64])
    early = sum(d.get("withheld_reports", 0) for d in first[64:])
    assert early == sum(d.get("withheld_events", 0) for d in first[64:])
    # one report comes back per 60/64 s: it says what was withheld since
    time.sleep(1.0)
    r = session_from("127.0.9.9").get(s.base + "/admin/api/inventory",
                                      headers=junk)
    assert r.status_code == 401
    events = audit_rows(s, "admin.auth_failure")
    assert len(events) == len(first) + 1
    last = json.loads(events[-1][5])
    held = 150 - len(first) - early
    assert held > 0
    assert last == {"failures": 1, "throttled": 0, "window_seconds": 60,
                    "withheld_reports": held, "withheld_events": held}
    assert events[-1][4] == "127.0.9.9"


def client_failures(s, client_id):
    return [json.loads(d) for (d,) in s.query(
        "SELECT detail FROM audit_events WHERE type = 'client.auth_failed' "
        "AND client_id = ? ORDER BY seq", client_id)]


def test_failed_client_authentications_are_folded(make_server):
    """A client id is public, so anyone can fail its authentication: ten
    rows per address, client and reason per window, then one every
    window/10 that says how many were folded. The anomaly rules still
    count every failure: the burst alert fires at its threshold although
    fewer rows were stored."""
    s = make_server(rule_auth_fail_burst=25, throttle_audit_window_seconds=4)
    c = s.confidential
    wrong = (c["client_id"], "gate_cs_wrong")
    k = session_from(ATTACKER)
    t0 = time.monotonic()
    for _ in range(30):
        r = k.post(s.base + "/revoke", data={"token": "x"}, auth=wrong)
        assert r.status_code == 401
    took = time.monotonic() - t0
    rows = client_failures(s, c["client_id"])
    # ten, and what came back (one per 0.4 s) while they were sent
    assert 10 <= len(rows) <= 10 + int(took / 0.4) + 1, (rows, took)
    assert rows[:10] == [{"reason": "bad_secret"}] * 10
    burst = [json.loads(x) for x in s.cli(
        "alert", "list", "--json").stdout.splitlines()]
    assert [a["rule"] for a in burst] == ["auth_failure_burst"]
    assert burst[0]["evidence"]["failures"] == 25
    # another reason, or another address, has rows of its own
    r = k.post(s.base + "/revoke", data={
        "token": "x", "client_id": c["client_id"]})
    assert r.status_code == 400
    r = session_from(OTHER).post(s.base + "/revoke", data={"token": "x"},
                                 auth=wrong)
    assert r.status_code == 401
    rows = client_failures(s, c["client_id"])
    assert rows[-2:] == [{"reason": "wrong_method"}, {"reason": "bad_secret"}]
    # once one comes back (4 s / 10), the next row says what was folded:
    # every failure from the attacker is a row or counted in a later one
    time.sleep(0.5)
    r = k.post(s.base + "/revoke", data={"token": "x"}, auth=wrong)
    mine = [d for d in (json.loads(x) for (x,) in s.query(
        "SELECT detail FROM audit_events WHERE type = 'client.auth_failed' "
        "AND remote_addr = ? ORDER BY seq", ATTACKER))
        if d["reason"] == "bad_secret"]
    assert mine[-1]["folded"] > 0 and mine[-1]["withheld_rows"] == 0
    assert len(mine) + sum(d.get("folded", 0) for d in mine) == 31


def test_failed_client_authentications_from_many_addresses(make_server):
    """Rows of client.auth_failed are also held to 600 per window in all,
    whatever the address; the next one says how many were withheld."""
    s = make_server()
    c = s.confidential
    wrong = (c["client_id"], "gate_cs_wrong")
    sources = ["127.1.%d.%d" % (1 + i // 200, 1 + i % 200)
               for i in range(700)]
    t0 = time.monotonic()
    for src in sources:
        r = session_from(src).post(s.base + "/revoke", data={"token": "x"},
                                   auth=wrong)
        assert r.status_code == 401
    took = time.monotonic() - t0
    rows = client_failures(s, c["client_id"])
    # the budget, and what came back (10 a second) while the flood ran
    assert 600 <= len(rows) <= 600 + int(took * 10) + 1, (len(rows), took)
    assert len(rows) < 700
    assert rows[:600] == [{"reason": "bad_secret"}] * 600
    time.sleep(0.2)
    session_from("127.2.0.1").post(s.base + "/revoke", data={"token": "x"},
                                   auth=wrong)
    rows = client_failures(s, c["client_id"])
    # every failure is a row or counted in a later one, the last included;
    # which later row says so depends on when a slot came back (a row the
    # refill let through during the flood may have carried the count)
    assert any(d.get("withheld_rows", 0) > 0 for d in rows[600:])
    assert sum(d.get("withheld_rows", 0) for d in rows) == 701 - len(rows)
    assert sum(d.get("withheld_events", 0) for d in rows) == 701 - len(rows)


def test_wrong_console_credentials_are_folded_and_limited(make_server):
    s = make_server(login_address_refill_seconds=60)
    cred = add_admin(s)
    k = session_from(ATTACKER)
    token = hidden(k.get(s.base + "/admin/login").text, "csrf")
    codes = [k.post(s.base + "/admin/login", allow_redirects=False,
                    data={"csrf": token, "credential": cred + "x"}
                    ).status_code for _ in range(30)]
    assert codes == [401] * 10 + [429] * 20
    assert len(audit_rows(s, "admin.login_failure")) == 1
    r = k.post(s.base + "/admin/login", allow_redirects=False,
               data={"csrf": token, "credential": cred})
    assert r.status_code == 429 and "Too many wrong credentials" in r.text
    assert hidden(r.text, "csrf")
    # the API's count is apart, and other addresses sign in
    assert k.get(s.base + "/admin/api/alerts", headers={
        "Authorization": "Bearer " + cred}).status_code == 200
    o = session_from(OTHER)
    token = hidden(o.get(s.base + "/admin/login").text, "csrf")
    r = o.post(s.base + "/admin/login", allow_redirects=False,
               data={"csrf": token, "credential": cred})
    assert r.status_code == 303
