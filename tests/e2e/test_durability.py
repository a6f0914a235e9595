"""A disk that stops making writes durable (issue 4). When an fsync of the
WAL fails, the request it covered answers 503, nothing more is committed
(Linux may have dropped the failed pages, and a later fsync would report
success over the hole), and the server stops by itself with status 1. A
restart, once the disk is back, recovers from what the disk holds: what
was acknowledged before the failure is in force, and new flows work.
SQLite only: PostgreSQL does its own fsyncs (and stops on a failed one).

On both backends an answer that waits for durability waits without its
HTTP thread: on SQLite for the fsync, on PostgreSQL for its audit rows
(their batch is held here by taking the audit chain's lock). And an
answer is never sent without its audit event: on PostgreSQL, an event
that could not even be queued (out of memory) fails the request, and on
both backends so does any store write that fails, where its caller went
on (a grant's sighting the anomaly rules record)."""
import concurrent.futures
import os
import time

import pytest
import requests

from conftest import (PG_URL, Browser, Server, auth_params,
                      hold_audit_chain, pkce_pair, preload_shim,
                      redirect_params, token_request)
from helpers_token import exchange

sqlite_only = pytest.mark.skipif(bool(PG_URL), reason="SQLite's fsync only")
pg_only = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only")


def code_of(browser, client):
    verifier, challenge = pkce_pair()
    r = browser.authorize(auth_params(client, challenge))
    assert r.status_code in (302, 303), r.text
    _, q = redirect_params(r)
    return q["code"][0], verifier


def redeem(server, client, code, verifier):
    return token_request(server, client, {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": client["redirect_uri"]})


def unavailable(r):
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.json() == {"error": "temporarily_unavailable"}
    assert "token" not in r.text


def active(server, client, token):
    r = requests.post(server.base + "/introspect", data={"token": token},
                      auth=(client["client_id"], client["client_secret"]))
    assert r.status_code == 200, r.text
    return r.json()["active"]


@sqlite_only
def test_a_failed_fsync_stops_the_server_and_loses_nothing_acknowledged(
        tmp_path, monkeypatch):
    fault = tmp_path / "fsync-fails"
    preload_shim(monkeypatch, "fsync_fail", GH_FAULT_FSYNC=fault)
    s = Server(tmp_path)
    c = s.add_client()
    s.add_user()
    s.start()
    try:
        b = Browser(s)
        first = redeem(s, c, *code_of(b, c))
        assert first.status_code == 200
        tokens = first.json()
        code, verifier = code_of(b, c)		# issued before the fault

        fault.touch()
        unavailable(redeem(s, c, code, verifier))
        # nothing more is committed: a revocation now is refused (or the
        # server has already gone), and is not in force after the restart
        try:
            unavailable(requests.post(
                s.base + "/revoke", data={"token": tokens["access_token"]},
                auth=(c["client_id"], c["client_secret"]), timeout=10))
        except requests.ConnectionError:
            pass
        rc = s.proc.wait(timeout=15)	# it stops by itself
        s.log.close()
        s.proc = None
        assert rc == 1, s.log_text()[-4000:]
        log = s.log_text()
        assert "store_sync_failed" in log
        assert '"reason":"store_not_durable"' in log
        assert "AddressSanitizer" not in log and "runtime error" not in log

        fault.unlink()
        s.start()
        assert active(s, c, tokens["access_token"])
        assert active(s, c, tokens["refresh_token"])
        again = redeem(s, c, *code_of(Browser(s), c))
        assert again.status_code == 200, again.text
        assert "access_token" in again.json()
    finally:
        rc = s.stop()
    log = s.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, log[-4000:]


@sqlite_only
def test_a_slow_fsync_holds_only_the_answers_that_wait_for_it(
        tmp_path, monkeypatch):
    """A token request waits for the fsync that makes its redemption
    durable, without its thread: with one HTTP thread and the disk's sync
    held, the redemption is not answered, and other requests are."""
    hold = tmp_path / "fsync-waits"
    preload_shim(monkeypatch, "fsync_fail", GH_FAULT_FSYNC_HOLD=hold)
    s = Server(tmp_path, threads=1)
    c = s.add_client()
    s.add_user()
    s.start()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        code, verifier = code_of(Browser(s), c)
        hold.touch()
        pending = pool.submit(redeem, s, c, code, verifier)
        time.sleep(0.5)			# it has written and waits
        for _ in range(3):
            r = requests.get(s.base + "/healthz", timeout=5)
            assert r.status_code == 200
            assert requests.get(
                s.base + "/.well-known/openid-configuration",
                timeout=5).status_code == 200
        assert not pending.done()	# not durable: not answered
        hold.unlink()
        r = pending.result(timeout=10)
        assert r.status_code == 200, r.text
        assert active(s, c, r.json()["access_token"])
    finally:
        if hold.exists():
            hold.unlink()
        pool.shutdown(wait=True)
        s.stop()


def served_meanwhile(server):
    """Other requests, on other connections, are answered."""
    for _ in range(3):
        r = requests.get(server.base + "/healthz", timeout=5)
        assert r.status_code == 200
        assert requests.get(
            server.base + "/.well-known/openid-configuration",
            timeout=5).status_code == 200


@pg_only
def test_a_held_audit_batch_holds_only_the_answers_that_wait_for_it(
        tmp_path):
    """On PostgreSQL a token request waits for its audit rows' batch (and
    a flush), which a leader thread of the store appends, not the request's
    thread: with one HTTP thread and the audit chain's lock held elsewhere,
    the redemption and the refresh are not answered, and other requests
    are. Before, the request's thread led the batch itself and sat in the
    lock: discovery timed out."""
    s = Server(tmp_path, threads=1)
    c = s.add_client()
    s.add_user()
    s.start()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=2)
    lock = None
    try:
        code, verifier = code_of(Browser(s), c)
        first = redeem(s, c, *code_of(Browser(s), c))
        assert first.status_code == 200, first.text
        lock = hold_audit_chain(s)
        pending = [pool.submit(redeem, s, c, code, verifier),
                   pool.submit(token_request, s, c, {
                       "grant_type": "refresh_token",
                       "refresh_token": first.json()["refresh_token"]})]
        time.sleep(0.5)			# they have written and wait
        served_meanwhile(s)
        assert not any(p.done() for p in pending)  # not durable yet
        lock.close()
        lock = None
        for p in pending:
            r = p.result(timeout=10)
            assert r.status_code == 200, r.text
            assert active(s, c, r.json()["access_token"])
            assert active(s, c, r.json()["refresh_token"])
    finally:
        if lock is not None:
            lock.close()
        pool.shutdown(wait=True)
        rc = s.stop()
    log = s.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, log[-4000:]


@pg_only
def test_an_audit_event_that_cannot_be_queued_fails_its_answer(
        tmp_path, monkeypatch):
    """On PostgreSQL a request's audit events are copied and queued for
    the store's leader thread. When a copy fails (out of memory: here the
    copy of the user agent the client sent), the event is lost, and the
    request fails with it: 503, and no token, as on SQLite when an event
    cannot be stored. Before, the event's caller logged the loss and went
    on, and the tokens were answered (200) without their events."""
    fault = tmp_path / "strdup-fails"
    preload_shim(monkeypatch, "alloc_fail", GH_FAULT_STRDUP=fault)
    s = Server(tmp_path)
    c = s.add_client()
    s.add_user()
    s.start()
    ua = "uncopyable-agent/" + os.urandom(6).hex()
    try:
        code, verifier = code_of(Browser(s), c)
        fault.write_text(ua)
        unavailable(exchange(s, c, code, verifier,
                             headers={"User-Agent": ua}))
        fault.unlink()
        assert s.query("SELECT count(*) FROM audit_events "
                       "WHERE user_agent = ?", ua) == [(0,)]
        # the server goes on: a request whose events can be copied
        again = redeem(s, c, *code_of(Browser(s), c))
        assert again.status_code == 200, again.text
    finally:
        if fault.exists():
            fault.unlink()
        rc = s.stop()
    log = s.log_text()
    assert '"type":"token.issued"' in log
    assert '"stored":"out of memory"' in log, log[-4000:]
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, log[-4000:]


def fail_sightings(s, on):
    """A trigger (gh_test_fail) makes every insert of a grant sighting
    fail, while on."""
    if not on:
        s.execute("DROP TRIGGER gh_test_fail" +
                  (" ON grant_sightings" if s.pg else ""))
    elif s.pg:
        s.execute("CREATE FUNCTION gh_test_fail() RETURNS trigger AS $$"
                  " BEGIN RAISE EXCEPTION 'injected'; END $$"
                  " LANGUAGE plpgsql",
                  "CREATE TRIGGER gh_test_fail BEFORE INSERT ON"
                  " grant_sightings FOR EACH ROW EXECUTE FUNCTION"
                  " gh_test_fail()")
    else:
        s.execute("CREATE TRIGGER gh_test_fail BEFORE INSERT ON"
                  " grant_sightings BEGIN SELECT RAISE(ABORT, 'injected');"
                  " END")


def test_a_store_write_that_fails_fails_its_answer(tmp_path):
    """A redemption's token.issued event has the anomaly rules record the
    grant's sightings (its network, its user agent); a sighting that
    cannot be stored is ignored by the rules, which go on. The request
    fails with it all the same: 503, and no token, on both backends. On
    PostgreSQL only an audit event that could not be queued failed a
    request, and the tokens were answered (200) though a write of the
    request had failed."""
    s = Server(tmp_path)
    c = s.add_client()
    s.add_user()
    s.start()
    try:
        code, verifier = code_of(Browser(s), c)
        fail_sightings(s, True)
        unavailable(redeem(s, c, code, verifier))
        fail_sightings(s, False)
        assert s.query("SELECT count(*) FROM grant_sightings") == [(0,)]
        # it failed that request only: the next one records the same
        # sightings (they used to count as seen for five minutes, though
        # never stored, and went unrecorded)
        again = redeem(s, c, *code_of(Browser(s), c))
        assert again.status_code == 200, again.text
        assert s.query("SELECT kind, count(*) FROM grant_sightings "
                       "GROUP BY kind ORDER BY kind") == [("net", 1),
                                                          ("ua", 1)]
    finally:
        rc = s.stop()
    log = s.log_text()
    assert '"msg":"injected"' in log, log[-4000:]
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, log[-4000:]
