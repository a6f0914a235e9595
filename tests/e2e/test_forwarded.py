"""The client's address behind a load balancer (http/forwarded.h): with
trusted_proxies set, a request from a trusted peer is taken to come from
the address X-Forwarded-For names (read from the right, up to the first
hop that is not trusted), for the audit trail, the per-address sign-in
limit, a client's networks allowlist and the new-network rule. Without
it, the header is ignored entirely.

The test client connects from 127.0.0.1, "the load balancer" here;
127.0.0.2 is a peer that is not trusted."""
import http.client
import json

import pytest
import requests

from conftest import PASSWORD, REDIRECT, Server, get_code
from helpers_admin import audit_rows, hidden
from helpers_token import exchange, make_server, post, refresh  # noqa: F401
from test_abuse_limits import alerts_of, session_from

LB = "127.0.0.1/32"
CLIENT = "203.0.113.9"
OTHER = "198.51.100.9"


def xff(value):
    return {"X-Forwarded-For": value}


def http_lines(s, since):
    """The access log's lines written after offset `since`."""
    with open(s.log_path, "rb") as f:
        f.seek(since)
        lines = [json.loads(x) for x in f.read().splitlines() if x]
    return [x for x in lines if x.get("event") == "http"]


def log_size(s):
    with open(s.log_path, "rb") as f:
        return len(f.read())


def healthz_with_lines(s, *lines, header="X-Forwarded-For"):
    """GET /healthz with one header line per value (requests folds
    repeated headers into one); returns the access log line."""
    mark = log_size(s)
    conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=10)
    conn.putrequest("GET", "/healthz")
    for v in lines:
        conn.putheader(header, v)
    conn.endheaders()
    r = conn.getresponse()
    r.read()
    conn.close()
    assert r.status == 200
    logged = http_lines(s, mark)
    assert len(logged) == 1, logged
    return logged[0]


def fenced_client(s):
    """A client that may use the token endpoints from 203.0.113.0/24."""
    return json.loads(s.cli(
        "client", "add", "--name", "Fenced", "--owner", "o",
        "--redirect-uri", REDIRECT, "--allow-network", "203.0.113.0/24",
        "--json").stdout)


def introspect_as(s, c, headers, session=requests):
    return session.post(s.base + "/introspect", data={"token": "x"},
                        auth=(c["client_id"], c["client_secret"]),
                        headers=headers)


def refused_from(s, c):
    return [r[4] for r in audit_rows(s, "client.network_refused")
            if r[1] == c["client_id"]]


def account_login(session, s, password, headers):
    token = hidden(session.get(s.base + "/account/login",
                               headers=headers).text, "csrf")
    return session.post(s.base + "/account/login", allow_redirects=False,
                        headers=headers,
                        data={"csrf": token, "username": "alice",
                              "password": password})


# -- behind a trusted proxy ------------------------------------------------
def test_token_request_is_audited_with_the_forwarded_address(make_server):
    s = make_server(trusted_proxies=LB)
    c = s.confidential
    code, verifier, _ = get_code(s, c)
    r = exchange(s, c, code, verifier, headers=xff(CLIENT))
    assert r.status_code == 200, r.text
    assert [r[4] for r in audit_rows(s, "token.issued")] == [CLIENT]
    # what the client wrote left of the proxy's entry is not believed
    r = refresh(s, c, r.json()["refresh_token"],
                headers=xff("6.6.6.6, " + CLIENT))
    assert r.status_code == 200, r.text
    assert [r[4] for r in audit_rows(s, "token.refreshed")] == [CLIENT]
    # the access log: remote is the client, peer the proxy
    mark = log_size(s)
    requests.get(s.base + "/healthz", headers=xff(CLIENT))
    line = http_lines(s, mark)[0]
    assert line["remote"] == CLIENT and line["peer"] == "127.0.0.1"
    # a peer that is not trusted is the client, whatever it sends
    r = refresh(s, c, r.json()["refresh_token"], headers=xff(CLIENT))
    mark = log_size(s)
    u = session_from("127.0.0.2")
    assert u.get(s.base + "/healthz", headers=xff(CLIENT)).status_code \
        == 200
    line = http_lines(s, mark)[0]
    assert line["remote"] == "127.0.0.2" and "peer" not in line


def test_every_header_line_counts_in_order(make_server):
    s = make_server(trusted_proxies=LB)
    # RFC 9110 5.3: the lines are one list; the proxy's entry is last
    line = healthz_with_lines(s, OTHER, CLIENT + ", 127.0.0.1")
    assert line["remote"] == CLIENT, line
    line = healthz_with_lines(s, CLIENT, "127.0.0.1",
                              header="x-forwarded-for")
    assert line["remote"] == CLIENT, line


def test_an_entry_that_is_no_address_stops_at_the_proxy(make_server):
    s = make_server(trusted_proxies=LB)
    mark = log_size(s)
    line = healthz_with_lines(s, CLIENT + ", unknown")
    assert line["remote"] == "127.0.0.1" and "peer" not in line, line
    warned = [json.loads(x) for x in s.log_text()[mark:].splitlines()
              if '"forwarded_for_unusable"' in x]
    assert len(warned) == 1, warned
    assert warned[0]["entry"] == "unknown"
    assert warned[0]["remote"] == "127.0.0.1"


def test_a_nul_byte_ends_the_line_in_libmicrohttpd(make_server):
    """Pins the limit docs/SECURITY.md and ADMIN.md state: libmicrohttpd
    0.9.75 ends a header value at a NUL byte, so what a balancer appended
    after one on the same line is never seen, and the client's text
    before it is believed; no warning says so. The balancer must refuse
    NUL bytes (RFC 9110 5.5). If this fails after a library upgrade, the
    NUL reaches http/forwarded.c, which refuses the entry: update both
    documents."""
    s = make_server(trusted_proxies=LB)
    mark = log_size(s)
    line = healthz_with_lines(s, OTHER + "\0, " + CLIENT)
    assert line["remote"] == OTHER, line
    assert "forwarded_for_unusable" not in s.log_text()[mark:]
    # a balancer that adds its entry as a line of its own is not fooled
    line = healthz_with_lines(s, OTHER + "\0junk", CLIENT)
    assert line["remote"] == CLIENT, line


def test_the_sign_in_limit_counts_per_forwarded_address(make_server):
    """test_abuse_limits' account-login case, each user behind the
    proxy with an address of their own."""
    s = make_server(trusted_proxies=LB, login_address_burst=3)
    u = requests.Session()
    for _ in range(3):
        assert account_login(u, s, "wrong", xff(OTHER)).status_code == 401
    r = account_login(u, s, PASSWORD, xff(OTHER))
    assert r.status_code == 429 and r.headers["Retry-After"] == "2"
    # another address behind the same proxy is not this one
    r = account_login(requests.Session(), s, PASSWORD, xff(CLIENT))
    assert r.status_code == 303, (r.status_code, r.text)
    failures = [r[4] for r in audit_rows(s, "login.failure")]
    assert failures == [OTHER] * 3


def test_the_networks_allowlist_sees_the_forwarded_address(make_server):
    s = make_server(trusted_proxies=LB)
    c = fenced_client(s)
    r = introspect_as(s, c, xff(CLIENT))
    assert r.status_code == 200 and r.json() == {"active": False}
    assert introspect_as(s, c, xff(OTHER)).status_code == 401
    # the forged entry left of the proxy's does not open the fence
    assert introspect_as(s, c, xff(CLIENT + ", " + OTHER)).status_code \
        == 401
    assert refused_from(s, c) == [OTHER, OTHER]


def test_a_refresh_token_replayed_from_another_network(make_server):
    """The rule this whole setting exists for: behind the balancer,
    every refresh came from its network and none was ever new."""
    s = make_server(trusted_proxies=LB)
    c = s.confidential
    code, verifier, _ = get_code(s, c)
    t = exchange(s, c, code, verifier, headers=xff(CLIENT)).json()
    # the same /24: nothing
    r = refresh(s, c, t["refresh_token"], headers=xff("203.0.113.77"))
    assert r.status_code == 200 and alerts_of(s, "new_network") == []
    r = refresh(s, c, r.json()["refresh_token"], headers=xff(OTHER))
    assert r.status_code == 200
    found = alerts_of(s, "new_network")
    assert len(found) == 1, found
    assert found[0]["evidence"]["network"] == "198.51.100.0/24"
    assert found[0]["evidence"]["remote_addr"] == OTHER


# -- without trusted_proxies: nothing changes -------------------------------
def test_without_trusted_proxies_the_header_is_ignored(server):
    s = server
    c = s.confidential
    code, verifier, _ = get_code(s, c)
    r = exchange(s, c, code, verifier, headers=xff(CLIENT))
    assert r.status_code == 200, r.text
    assert [r[4] for r in audit_rows(s, "token.issued")] == ["127.0.0.1"]
    line = healthz_with_lines(s, CLIENT)
    assert line["remote"] == "127.0.0.1" and "peer" not in line
    # a client fenced to the forwarded network is refused
    f = fenced_client(s)
    assert introspect_as(s, f, xff(CLIENT)).status_code == 401
    assert refused_from(s, f) == ["127.0.0.1"]
    # nonsense in the header is not even read: no warning
    healthz_with_lines(s, "unknown")
    assert "forwarded_for_unusable" not in s.log_text()


def test_without_trusted_proxies_one_budget_for_all(make_server):
    s = make_server(login_address_burst=3)
    u = requests.Session()
    for _ in range(3):
        assert account_login(u, s, "wrong", xff(OTHER)).status_code == 401
    r = account_login(requests.Session(), s, PASSWORD, xff(CLIENT))
    assert r.status_code == 429


@pytest.mark.parametrize("bad", ["10.0.0.0/33", "proxy.example.com",
                                 "10.0.0.5,10.0.0.6", "10.0.0.5/8x", ""])
def test_a_bad_trusted_proxies_value_refuses_to_start(tmp_path, bad):
    s = Server(tmp_path, trusted_proxies=bad)
    r = s.cli("serve", check=False)
    assert r.returncode != 0
    # refused for its value: a build without the key refuses it as unknown
    assert "trusted_proxies" in r.stderr, r.stderr
    assert "unknown key" not in r.stderr, r.stderr
