"""Helpers shared by the token, refresh, revocation/introspection, storage
and authlib tests: small wrappers around the token, revocation and
introspection endpoints, error-shape assertions and a factory fixture for
servers with a custom configuration."""
import base64
import http.client
import json
import re
import socket
import threading
import urllib.parse

import pytest
import requests

from conftest import Server, get_code

UA = "gatehouse-e2e/1.0 (token tests)"
AT_RE = re.compile(r"gate_at_[A-Za-z0-9_-]{44}")
RT_RE = re.compile(r"gate_rt_[A-Za-z0-9_-]{44}")
OTHER_REDIRECT = "http://127.0.0.1:9000/other"


# -- custom servers ----------------------------------------------------------
def assert_clean_stop(s):
    rc = s.stop()
    log = s.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, "server exit code %d\n%s" % (rc, log[-4000:])


@pytest.fixture
def make_server(tmp_path):
    """Factory: make_server(**config) -> a started Server with the usual
    confidential client, public client and alice; stopped and checked for a
    clean exit at teardown."""
    started = []

    def make(**config):
        d = tmp_path / ("srv%d" % len(started))
        d.mkdir()
        s = Server(d, setup="standard", **config)
        started.append(s)
        return s.start()

    yield make
    for s in started:
        assert_clean_stop(s)


def assert_replays_budgeted(s, event, replays):
    """After `replays` presentations of one redeemed code or rotated
    refresh token: the one that revoked the family is stored, 10 more
    within the audit budget (governance/audit_budget.h), the rest folded,
    and every one logged."""
    rows = s.query("SELECT detail FROM audit_events WHERE type = ? "
                   "ORDER BY seq", event)
    assert len(rows) == 1 + 10, rows
    assert "family_revoked" in rows[0][0]
    assert all("already_revoked" in d for (d,) in rows[1:]), rows
    log = s.log_text()
    assert log.count('"type":"%s"' % event) == replays
    assert log.count('"stored":"folded"') == replays - 1 - 10


# -- endpoint wrappers -------------------------------------------------------
def post(server, path, data, client=None, auth=None, headers=None):
    """POST a form to `path`, authenticating as `client` (its registered
    method) unless auth is given explicitly."""
    data = list(data.items()) if isinstance(data, dict) else list(data)
    kw = {"headers": headers or {}}
    method = client.get("auth_method") if client else None
    if auth is not None:
        kw["auth"] = auth
    elif method == "client_secret_basic":
        kw["auth"] = (client["client_id"], client["client_secret"])
    elif method == "client_secret_post":
        data += [("client_id", client["client_id"]),
                 ("client_secret", client["client_secret"])]
    elif client is not None:
        data.append(("client_id", client["client_id"]))
    return requests.post(server.base + path, data=data, **kw)


def exchange(server, client, code, verifier, redirect_uri=None,
             headers=None):
    return post(server, "/token", {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier,
        "redirect_uri": redirect_uri or client["redirect_uri"]},
        client, headers=headers)


def issue(server, client, scope="openid offline_access"):
    """Full flow: browser leg and code exchange; returns the token JSON."""
    code, verifier, _ = get_code(server, client, scope=scope)
    r = exchange(server, client, code, verifier)
    assert r.status_code == 200, r.text
    return r.json()


def refresh(server, client, rt, scope=None, headers=None):
    data = {"grant_type": "refresh_token", "refresh_token": rt}
    if scope is not None:
        data["scope"] = scope
    return post(server, "/token", data, client, headers=headers)


def introspect(server, token, client=None):
    client = client or server.confidential
    return post(server, "/introspect", {"token": token}, client)


def is_active(server, token, client=None):
    r = introspect(server, token, client)
    assert r.status_code == 200, r.text
    return r.json()["active"]


def revoke(server, client, token, headers=None):
    return post(server, "/revoke", {"token": token}, client, headers=headers)


def add_second_client(server, **kw):
    """Another confidential client sharing the first one's redirect URI."""
    kw.setdefault("name", "Other app")
    return server.add_client(**kw)


def user_id(server, username="alice"):
    return server.query("SELECT id FROM users WHERE username = ?",
                        username)[0][0]


def basic_header(client_id, secret, enc=urllib.parse.quote_plus):
    raw = "%s:%s" % (enc(client_id), enc(secret))
    return "Basic " + base64.b64encode(raw.encode()).decode()


def b64url_body(value):
    """The body of a prefixed secret (gate_xx_<43 or 44 chars>)."""
    return value[8:]


# -- assertions --------------------------------------------------------------
def assert_no_store(r):
    assert r.headers.get("Cache-Control") == "no-store", r.headers
    assert r.headers.get("Pragma") == "no-cache", r.headers


def assert_error(r, status, error):
    """An RFC 6749 5.2 error: status, JSON body with `error`, no-store."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers.get("Content-Type", "").startswith("application/json")
    body = r.json()
    assert body.get("error") == error, body
    assert_no_store(r)
    return body


def assert_invalid_client(r, header_sent):
    """invalid_client (RFC 6749 5.2): 401 with a Basic challenge when the
    request carried an Authorization header, else 400 without one."""
    if header_sent:
        body = assert_error(r, 401, "invalid_client")
        assert r.headers.get("WWW-Authenticate") == \
            'Basic realm="gatehouse", charset="UTF-8"', r.headers
    else:
        body = assert_error(r, 400, "invalid_client")
        assert "WWW-Authenticate" not in r.headers, r.headers
    return body


# -- concurrency -------------------------------------------------------------
def concurrent_posts(server, path, data, client, n):
    """POST the same form from n threads at once ("last byte" sync: each
    thread connects and sends all of its request but the final byte, then
    a barrier releases the final bytes together, so the server sees n
    complete requests within microseconds). Returns [(status, json body)]
    (or the exception a thread hit)."""
    req = requests.Request("POST", server.base + path,
                           data=list(data.items()))
    if client.get("auth_method") == "client_secret_basic":
        req.auth = (client["client_id"], client["client_secret"])
    else:
        req.data += [("client_id", client["client_id"])]
        if client.get("auth_method") == "client_secret_post":
            req.data += [("client_secret", client["client_secret"])]
    prep = req.prepare()
    body = prep.body.encode() if isinstance(prep.body, str) else prep.body
    head = "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n" % (path, server.port)
    for k, v in prep.headers.items():
        head += "%s: %s\r\n" % (k, v)
    raw = (head + "Connection: close\r\n\r\n").encode() + body
    barrier = threading.Barrier(n)
    results = [None] * n

    def run(i):
        sock = socket.create_connection(("127.0.0.1", server.port),
                                        timeout=30)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(raw[:-1])
            barrier.wait(timeout=30)
            sock.sendall(raw[-1:])
            resp = http.client.HTTPResponse(sock)
            resp.begin()
            results[i] = (resp.status, json.loads(resp.read()))
        except Exception as e:  # noqa: BLE001 - recorded, asserted later
            results[i] = e
        finally:
            sock.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def assert_failed_then_done(server, event, rule, done):
    """After a replay whose revocation failed and one that worked: the
    audit trail and the alerts say so, each time (two incidents)."""
    details = [d for (d,) in server.query(
        "SELECT detail FROM audit_events WHERE type = ? ORDER BY seq",
        event)]
    assert len(details) == 2, details
    assert "revoke_failed" in details[0] and "family_revoked" in details[1]
    summaries = [x for (x,) in server.query(
        "SELECT summary FROM alerts WHERE rule = ? ORDER BY id", rule)]
    assert len(summaries) == 2, summaries
    assert "FAILED" in summaries[0] and done in summaries[1], summaries


def fail_family_revocations(server, on):
    """A trigger that makes every revocation of a family fail (on), or
    its removal (off): a store fault at exactly that write."""
    if server.pg:
        stmts = ["CREATE OR REPLACE FUNCTION gh_test_fail() RETURNS trigger"
                 " AS $$ BEGIN RAISE EXCEPTION 'injected'; END $$"
                 " LANGUAGE plpgsql",
                 "CREATE TRIGGER gh_test_fail BEFORE UPDATE OF revoked_at"
                 " ON families FOR EACH ROW EXECUTE FUNCTION gh_test_fail()"]
        off = ["DROP TRIGGER gh_test_fail ON families"]
    else:
        stmts = ["CREATE TRIGGER gh_test_fail BEFORE UPDATE OF revoked_at"
                 " ON families BEGIN SELECT RAISE(ABORT, 'injected'); END"]
        off = ["DROP TRIGGER gh_test_fail"]
    server.execute(*(stmts if on else off))
