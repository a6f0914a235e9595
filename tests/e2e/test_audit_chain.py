"""Tamper-evident audit (issue 5): every event carries the hash of the one
before it; `gatehouse audit verify` names the first edited, inserted or
deleted event, and `audit export` writes JSON lines."""
import base64
import json
import socket

import pytest

from conftest import Server, get_code, token_request


@pytest.fixture
def chained(tmp_path):
    """A stopped server whose audit log holds a real flow."""
    s = Server(tmp_path)
    c = s.add_client()
    s.add_user()
    s.start()
    code, verifier, _ = get_code(s, c)
    r = token_request(s, c, {"grant_type": "authorization_code",
                             "code": code, "code_verifier": verifier,
                             "redirect_uri": c["redirect_uri"]})
    assert r.status_code == 200
    assert s.stop() == 0
    return s


def verify(s):
    return s.cli("audit", "verify", check=False)


def tamper(s, *statements):
    """Edit the database behind the server's back (SQLite or PostgreSQL)."""
    s.execute(*statements)


def count(s):
    return s.query("SELECT count(*) FROM audit_events")[0][0]


def test_intact_chain_verifies(chained):
    r = verify(chained)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "%d events verified" % count(chained) in r.stdout


def test_edited_event_is_found(chained):
    tamper(chained, "UPDATE audit_events SET remote_addr = '10.6.6.6' "
           "WHERE seq = 4")
    r = verify(chained)
    assert r.returncode == 1
    assert "BROKEN at seq 4: an event was edited" in r.stdout


def test_deleted_event_is_found(chained):
    tamper(chained, "DELETE FROM audit_events WHERE seq = 3")
    r = verify(chained)
    assert r.returncode == 1
    assert "BROKEN at seq 3: an event was deleted" in r.stdout


def test_inserted_event_is_found(chained):
    n = count(chained)
    # make room after seq 2 and slip in a copy of event 2
    tamper(chained,
           "UPDATE audit_events SET seq = seq + 1000 WHERE seq > 2",
           "UPDATE audit_events SET seq = seq - 999 WHERE seq > 1000",
           "INSERT INTO audit_events (seq, time, type, actor, prev_hash, "
           "hash) SELECT 3, time, 'login.success', actor, hash, hash "
           "FROM audit_events WHERE seq = 2")
    assert count(chained) == n + 1
    r = verify(chained)
    assert r.returncode == 1
    # its prev_hash fits, but nobody without the key can give it a hash
    assert "BROKEN at seq 3: an event was edited" in r.stdout


def test_rehashing_without_the_key_does_not_help(chained):
    # an attacker with the database but not the server key recomputes a
    # plain SHA-256 chain: still refused
    tamper(chained, ("UPDATE audit_events SET hash = ? WHERE seq = 1",
                     (bytes(32),)))
    assert "BROKEN at seq 1" in verify(chained).stdout


def test_export_writes_json_lines(chained):
    r = chained.cli("audit", "export")
    lines = [json.loads(l) for l in r.stdout.splitlines()]
    assert len(lines) == count(chained)
    assert [l["seq"] for l in lines] == list(range(1, len(lines) + 1))
    types = [l["type"] for l in lines]
    assert "code.redeemed" in types and "token.issued" in types
    assert all(len(l["hash"]) == 64 for l in lines)
    last = lines[-1]["time"]
    later = chained.cli("audit", "export", "--since", str(last + 1))
    assert later.stdout == ""
    assert chained.cli("audit", "export", "--since", "x",
                       check=False).returncode == 2


def anchor_from_log(s):
    """The last audit_head the server logged: an anchor kept elsewhere."""
    heads = [json.loads(l)["anchor"] for l in s.log_text().splitlines()
             if '"audit_head"' in l]
    assert heads, s.log_text()[-2000:]
    return heads[-1]


def test_cutting_off_the_newest_events_is_seen_with_an_anchor(chained):
    anchor = anchor_from_log(chained)
    seq = int(anchor.split(":")[0])
    r = chained.cli("audit", "verify", "--anchor", anchor)
    assert r.returncode == 0 and "anchor reached" in r.stdout
    assert "head: %d:" % count(chained) in r.stdout
    # the attacker deletes the newest events: the chain alone still holds
    tamper(chained, "DELETE FROM audit_events WHERE seq >= %d" % (seq - 1))
    assert verify(chained).returncode == 0
    r = chained.cli("audit", "verify", "--anchor", anchor, check=False)
    assert r.returncode == 1
    assert "BROKEN at seq %d: an event was truncated" % (seq - 1) in r.stdout


def test_an_anchor_of_another_chain_is_refused(chained):
    anchor = anchor_from_log(chained)
    seq = anchor.split(":")[0]
    r = chained.cli("audit", "verify", "--anchor", seq + ":" + "ab" * 32,
                    check=False)
    assert r.returncode == 1 and "rewritten" in r.stdout
    for bad in ("x", "1:abc", "0:" + "ab" * 32, "5" + ":" + "zz" * 32):
        assert chained.cli("audit", "verify", "--anchor", bad,
                           check=False).returncode == 2


def test_a_user_agent_that_is_not_utf8_does_not_break_the_trail(tmp_path):
    """Anyone can send a User-Agent that is not UTF-8, and audit rows keep
    it; one such row made `audit export` (and the admin API's audit list)
    fail for good. It is stored with '?' for each bad byte."""
    s = Server(tmp_path)
    c = s.add_client()
    s.start()
    body = b"grant_type=authorization_code&code=x&code_verifier=y"
    auth = base64.b64encode((c["client_id"] + ":wrong").encode())
    k = socket.create_connection(("127.0.0.1", s.port), timeout=5)
    try:
        k.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n"
                  b"User-Agent: ab\xff\xfecd \xc3\xa9\r\n"
                  b"Authorization: Basic " + auth + b"\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: " + str(len(body)).encode() +
                  b"\r\nConnection: close\r\n\r\n" + body)
        assert k.recv(4096).startswith(b"HTTP/1.1 401 ")
    finally:
        k.close()
    assert s.stop() == 0
    r = s.cli("audit", "export", check=False)
    assert r.returncode == 0, r.stderr
    events = [json.loads(line) for line in r.stdout.splitlines()]
    failed = [e for e in events if e["type"] == "client.auth_failed"]
    assert [e["user_agent"] for e in failed] == ["ab??cd \u00e9"], failed
    assert verify(s).returncode == 0
