"""Several nodes, one PostgreSQL database: two Gatehouse processes on their
own ports share the database, the key file and the config (one issuer).
Whatever node a request reaches, single use, rotation, revocation,
sessions and client status hold as on one node: tokens and sessions are
read from the database on each request, signing keys are the same rows,
and the one per-node state, each node's client cache, learns of another
node's (or the admin command's) change by NOTIFY, a moment after its
commit (src/store/pg_cache.c)."""
import base64
import json
import os
import subprocess
import threading
import time
import urllib.parse

import pytest
import requests

from conftest import (BIN, PG_URL, Browser, Server, auth_params,
                      await_client_status, free_port, get_code,
                      new_pg_database, pg_connect, pkce_pair,
                      redirect_params)
from helpers_token import (assert_clean_stop, assert_error, exchange,
                           introspect, is_active, refresh, revoke)

pytestmark = pytest.mark.skipif(
    not PG_URL, reason="several nodes need a shared PostgreSQL "
    "(GH_TEST_PG_URL); a SQLite file belongs to one process")

RACES = 8


def peer(a, tmp):
    """A second node of `a`: its own port and log, a's database, key file
    and issuer (the config is a's, but for the listen address)."""
    b = Server.__new__(Server)
    b.dir = str(tmp)
    b.port = free_port()
    b.issuer = a.issuer
    b.base = "http://127.0.0.1:%d" % b.port
    b.conf = os.path.join(b.dir, "gatehouse.json")
    b.database, b.pg, b.db = a.database, a.pg, a.db
    b.log_path = os.path.join(b.dir, "server.log")
    b.proc = None
    with open(a.conf) as f:
        c = json.load(f)
    c["listen"] = "127.0.0.1:%d" % b.port
    c["key_file"] = os.path.join(a.dir, c["key_file"])
    with open(b.conf, "w") as f:
        json.dump(c, f)
    return b


@pytest.fixture(scope="module")
def nodes(tmp_path_factory):
    a = Server(tmp_path_factory.mktemp("node-a"))
    a.confidential = a.add_client(name="Shared app")
    a.user = a.add_user()
    b = peer(a, tmp_path_factory.mktemp("node-b"))
    b.confidential, b.user = a.confidential, a.user
    a.start()
    b.start()
    yield a, b
    assert_clean_stop(a)
    assert_clean_stop(b)


def tokens_from(a, b, client):
    """A code issued by node a, redeemed at node b."""
    code, verifier, _ = get_code(a, client)
    r = exchange(b, client, code, verifier)
    assert r.status_code == 200, r.text
    return r.json()


def test_code_from_one_node_redeems_at_the_other(nodes):
    a, b = nodes
    t = tokens_from(a, b, a.confidential)
    assert t["access_token"] and t["refresh_token"] and t["id_token"]
    # both nodes know the token, and sign with the same published keys
    assert is_active(a, t["access_token"]) and is_active(b, t["access_token"])
    assert requests.get(a.base + "/jwks").json() == \
        requests.get(b.base + "/jwks").json()


def race_codes(a, b, c):
    """RACES times: one code sent to both nodes at once is redeemed once,
    and the replay revokes what the winner got, whichever node it was."""
    for _ in range(RACES):
        code, verifier, _ = get_code(a, c)
        go = threading.Barrier(2)
        results = {}

        def send(node):
            go.wait()
            results[node.port] = exchange(node, c, code, verifier)

        threads = [threading.Thread(target=send, args=(n,)) for n in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        codes = sorted(r.status_code for r in results.values())
        assert codes == [200, 400], [(r.status_code, r.text)
                                     for r in results.values()]
        loser = [r for r in results.values() if r.status_code == 400][0]
        assert_error(loser, 400, "invalid_grant")
        winner = [r for r in results.values() if r.status_code == 200][0]
        assert not is_active(a, winner.json()["access_token"])


def two_nodes(tmp_path_factory, tag, database=None):
    """A fresh pair of started nodes on one database, with a confidential
    client (a.confidential) and alice: (a, b, client)."""
    a = Server(tmp_path_factory.mktemp(tag + "-a"), database=database)
    c = a.confidential = a.add_client(name="Shared app")
    a.add_user()
    b = peer(a, tmp_path_factory.mktemp(tag + "-b"))
    a.start()
    b.start()
    return a, b, c


def test_same_code_at_both_nodes_at_once_redeems_once(nodes):
    a, b = nodes
    race_codes(a, b, a.confidential)


def test_refresh_reuse_across_nodes_revokes_the_family(nodes):
    a, b = nodes
    c = a.confidential
    t0 = tokens_from(a, a, c)
    r = refresh(a, c, t0["refresh_token"])
    assert r.status_code == 200, r.text
    t1 = r.json()
    assert is_active(b, t1["access_token"])
    # the spent token replayed at the other node: reuse
    assert_error(refresh(b, c, t0["refresh_token"]), 400, "invalid_grant")
    # ... and the whole family is dead on both nodes
    assert not is_active(a, t1["access_token"])
    assert not is_active(b, t1["access_token"])
    assert_error(refresh(a, c, t1["refresh_token"]), 400, "invalid_grant")


def test_revocation_at_one_node_is_seen_at_the_other_at_once(nodes):
    a, b = nodes
    c = a.confidential
    t = tokens_from(a, b, c)
    assert is_active(b, t["access_token"])
    assert revoke(a, c, t["access_token"]).status_code == 200
    r = introspect(b, t["access_token"])
    assert r.status_code == 200 and r.json() == {"active": False}
    assert requests.get(b.base + "/userinfo", headers={
        "Authorization": "Bearer " + t["access_token"]}).status_code == 401


def test_browser_session_started_at_one_node_works_at_the_other(nodes):
    a, b = nodes
    c = a.confidential
    browser = Browser(a)
    verifier, challenge = pkce_pair()
    r = browser.authorize(auth_params(c, challenge))    # login + consent
    assert r.status_code in (302, 303), r.text
    # same cookie jar, other node: no login page, consent remembered
    browser.server = b
    verifier, challenge = pkce_pair()
    r = browser.get(auth_params(c, challenge))
    assert r.status_code in (302, 303), r.text[:500]
    _, q = redirect_params(r)
    assert exchange(a, c, q["code"][0], verifier).status_code == 200
    # a fresh browser at b is asked to sign in: the session did the work
    r = Browser(b).get(auth_params(c, challenge))
    assert r.status_code == 200 and 'value="login"' in r.text


def test_client_disabled_at_one_node_stops_at_the_other(nodes):
    a, b = nodes
    d = a.add_client(name="Doomed app")
    t = tokens_from(a, b, d)
    assert is_active(b, t["access_token"], client=d)
    a.cli("client", "disable", d["client_id"])
    # within a second, by NOTIFY (pg_cache.c): wait with a probe that
    # spends nothing, as a refresh sent meanwhile would rotate the token
    await_client_status(b, d["client_id"], active=False)
    r = refresh(b, d, t["refresh_token"])
    assert_error(r, 401, "invalid_client")
    assert not is_active(b, t["access_token"])
    a.cli("client", "enable", d["client_id"])
    await_client_status(b, d["client_id"], active=True)
    assert refresh(b, d, t["refresh_token"]).status_code == 200


def test_nodes_migrating_a_new_database_together(tmp_path):
    """Four processes open a fresh database at the same moment: each
    migration is applied once (advisory lock), and every one succeeds.
    They share one server key, as the nodes of one database must (with
    keys of their own, all but the one whose signing keys were stored
    are refused: test_cli_config.py)."""
    url = new_pg_database()
    key = os.urandom(32).hex() + "\n"
    procs = []
    for i in range(4):
        d = tmp_path / ("node%d" % i)
        d.mkdir()
        fd = os.open(d / "gatehouse.key", os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, key.encode())
        os.close(fd)
        procs.append(subprocess.Popen(
            [BIN, "--config", str(d / "gatehouse.json"), "init",
             "--database", url],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    for p in procs:
        _, err = p.communicate(timeout=60)
        assert p.returncode == 0, err.decode()
    con = pg_connect(url)
    try:
        cur = con.cursor()
        cur.execute("SELECT version FROM schema_version")
        versions = sorted(v for (v,) in cur.fetchall())
        # every migration once, none twice, none skipped
        assert versions and versions == list(range(1, len(versions) + 1))
    finally:
        con.close()


def test_synchronous_commit_off_is_turned_on_per_session(tmp_path):
    """A database whose default is synchronous_commit = off would make
    every commit return before its WAL flush: each node's connection
    turns it on for itself, says so, and a flow works."""
    url = new_pg_database()
    name = urllib.parse.urlsplit(url).path.lstrip("/")
    con = pg_connect(PG_URL)
    try:
        con.autocommit = True
        con.cursor().execute(
            "ALTER DATABASE %s SET synchronous_commit = off" % name)
    finally:
        con.close()
    s = Server(tmp_path, database=url)
    c = s.add_client()
    s.add_user()
    s.start()
    try:
        code, verifier, _ = get_code(s, c)
        assert exchange(s, c, code, verifier).status_code == 200
    finally:
        assert_clean_stop(s)
    log = s.log_text()
    assert '"event":"store_setting_overridden"' in log, log[-3000:]
    assert '"setting":"synchronous_commit","was":"off","now":"on"' in log


def test_stricter_default_isolation_is_set_back_per_session(
        tmp_path_factory):
    """Single use relies on READ COMMITTED: a transaction that waited for
    a row's lock re-reads it. Under a database default of REPEATABLE
    READ the loser of a race failed to serialize (503), no replay was
    seen and the winner's tokens stayed live. Each connection sets READ
    COMMITTED for itself."""
    url = new_pg_database()
    con = pg_connect(PG_URL)
    try:
        con.autocommit = True
        con.cursor().execute(
            "ALTER DATABASE %s SET default_transaction_isolation = "
            "'repeatable read'" % urllib.parse.urlsplit(url).path.lstrip("/"))
    finally:
        con.close()
    a, b, c = two_nodes(tmp_path_factory, "strict", database=url)
    try:
        race_codes(a, b, c)
    finally:
        assert_clean_stop(a)
        assert_clean_stop(b)


def test_a_key_rotated_without_lead_signs_once_every_node_has_it(
        tmp_path_factory):
    """Each node reloads its signing keys every 5 s on its own clock. A key
    rotated in with --lead 0 signed at once on the node that reloaded
    first, while the other neither published it nor accepted an
    id_token_hint signed with it. It now takes over only once every node
    has had a reload to see it (made + 6 s); the old key signs till then."""
    a, b, c = two_nodes(tmp_path_factory, "lead")
    try:
        requests.get(a.base + "/jwks")
        time.sleep(5.2)
        requests.get(b.base + "/jwks")      # b reloads now, a when it signs
        a.cli("keys", "rotate", "--alg", "RS256", "--lead", "0")
        code, verifier, _ = get_code(a, c)
        idt = exchange(a, c, code, verifier).json()["id_token"]
        kid = json.loads(base64.urlsafe_b64decode(
            idt.split(".")[0] + "=="))["kid"]
        assert kid in [k["kid"] for k in
                       requests.get(b.base + "/jwks").json()["keys"]]
        # b takes it as a hint of its own (no "not an ID token we issued")
        r = Browser(b).get(auth_params(c, pkce_pair()[1], prompt="none",
                                       id_token_hint=idt))
        assert "error=login_required" in r.headers.get("Location", ""), \
            r.headers.get("Location")
    finally:
        assert_clean_stop(a)
        assert_clean_stop(b)


def test_rate_spike_split_between_restarted_nodes_raises(tmp_path_factory):
    """The token_rate_spike rule after a deploy: a node's rate windows
    start from the audit trail (every node's events), but a node used to
    add only the events it served itself from then on, so after both
    nodes restarted each compared its half of a spike with the whole
    cluster's average and raised nothing, for up to the baseline (24 h by
    default). Each node now re-reads the cluster's counts every tenth of
    a window (at least a second apart): the spike, spread over a few
    seconds as a real one is, is seen whole."""
    width = 6
    a = Server(tmp_path_factory.mktemp("rate-a"),
               rule_rate_window_seconds=width, rule_rate_baseline_windows=2,
               rule_rate_factor=3, rule_rate_min_events=8,
               rule_new_user_agent=0, rule_new_network=0)
    c = a.add_client(name="Busy app")
    a.add_user()
    nodes = [a, peer(a, tmp_path_factory.mktemp("rate-b"))]
    for n in nodes:
        n.start()
    chains = []             # one refresh chain per node
    for n in nodes:
        code, verifier, _ = get_code(a, c)
        chains.append(exchange(n, c, code, verifier).json()["refresh_token"])

    def pairs(count, pause=0.0):
        """count refreshes at each node, in turn."""
        for _ in range(count):
            for i, n in enumerate(nodes):
                r = refresh(n, c, chains[i])
                assert r.status_code == 200, r.text
                chains[i] = r.json()["refresh_token"]
            time.sleep(pause)

    def next_window():
        time.sleep(width - time.time() % width + 0.05)
        return time.time() // width

    try:
        for _ in range(2):          # the baseline: 8 a window, 4 a node
            next_window()
            pairs(4)
        for n in nodes:             # a deploy
            assert_clean_stop(n)
        for n in nodes:
            n.start()
        window = next_window()
        # 3x the average is 24: 34, 17 a node, over about 3 s
        pairs(16, pause=0.12)
        time.sleep(1.1)
        pairs(1)
        assert time.time() // width == window, "the spike left its window"
        out = a.cli("alert", "list", "--json").stdout
        found = [json.loads(line) for line in out.splitlines() if line]
        assert [f["rule"] for f in found] == ["token_rate_spike"], found
        ev = found[0]["evidence"]
        assert ev["current"] > 24, ev
    finally:
        for n in nodes:
            assert_clean_stop(n)
