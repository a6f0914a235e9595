"""Audit retention (audit_retention_days): the upkeep pass deletes the
trail's oldest events, each batch recorded by an audit.pruned event, and
`gatehouse audit verify` still passes, from the chain's base, and reports
it; `audit export` and the admin API's audit list read the events kept;
an anchor older than the base is said to be unchecked (exit 1), never
passed silently; a retention shorter than what other features read from
the trail is refused at config load."""
import json
import os
import time

from conftest import PG_URL, Server, get_code, new_pg_database, \
    preload_shim, token_request
from helpers_admin import add_admin, api

DAY = 86400


def flow(s, c):
    code, verifier, _ = get_code(s, c)
    r = token_request(s, c, {"grant_type": "authorization_code",
                             "code": code, "code_verifier": verifier,
                             "redirect_uri": c["redirect_uri"]})
    assert r.status_code == 200, r.text


def export(s):
    return [json.loads(line) for line in
            s.cli("audit", "export").stdout.splitlines()]


def start_until_pruned(s):
    """Start the server and wait for its first upkeep pass's prune."""
    mark = os.path.getsize(s.log_path) if os.path.exists(s.log_path) else 0
    s.start()
    deadline = time.time() + 20
    while not s.logged_since(mark, '"event":"audit_pruned"'):
        assert time.time() < deadline, s.log_text()[-3000:]
        time.sleep(0.1)


def old_trail(tmp_path, monkeypatch):
    """A server (retention 7 days, not started) whose set-up was made 30
    days ago (time_shift.so: the events are old, not edited), then two
    recent events. Returns the server, its client, an admin credential
    and the events."""
    with monkeypatch.context() as m:
        preload_shim(m, "time_shift", GH_TIME_SHIFT=-30 * DAY)
        # init too, a fresh one (not the snapshot other tests share): its
        # first keys' key.created events open the trail
        s = Server(tmp_path, database=new_pg_database() if PG_URL else
                   str(tmp_path / "gatehouse.db"),
                   audit_retention_days=7, client_unused_days=0)
        c = s.add_client()
        s.add_user()
        cred = add_admin(s)
    s.add_user("bob")
    s.add_user("carol")
    events = export(s)
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[-3]["time"] < time.time() - 29 * DAY
    assert events[-2]["time"] > time.time() - DAY
    return s, c, cred, events


def test_pruned_trail_verifies_from_its_base(tmp_path, monkeypatch):
    s, c, cred, before = old_trail(tmp_path, monkeypatch)
    base = len(before) - 2
    start_until_pruned(s)
    flow(s, c)
    # the admin API lists what is kept, from the base on
    r = api(s, cred, "GET", "audit", params={"limit": 1000})
    assert r.status_code == 200, r.text
    listed = r.json()["events"]
    assert listed[0]["seq"] == base + 1
    pruned = [e for e in listed if e["type"] == "audit.pruned"]
    assert len(pruned) == 1
    assert pruned[0]["actor"] == "system"
    assert pruned[0]["detail"]["through_seq"] == base
    assert pruned[0]["detail"]["events"] == base
    assert "token.issued" in [e["type"] for e in listed]
    assert s.stop() == 0

    kept = export(s)
    assert kept[0]["seq"] == base + 1
    assert [e["seq"] for e in kept] == \
        list(range(base + 1, base + 1 + len(kept)))
    assert kept[:2] == before[base:]
    r = s.cli("audit", "verify", check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "%d events verified" % len(kept) in r.stdout
    assert "base: %d:%s" % (base, before[base - 1]["hash"]) in r.stdout

    # an anchor at the base is checked against it; one before it cannot be
    at_base = "%d:%s" % (base, before[base - 1]["hash"])
    r = s.cli("audit", "verify", "--anchor", at_base, check=False)
    assert r.returncode == 0 and "anchor reached" in r.stdout, r.stdout
    r = s.cli("audit", "verify", "--anchor",
              "%d:%s" % (base, "ab" * 32), check=False)
    assert r.returncode == 1
    assert "BROKEN at seq %d: an event was rewritten" % base in r.stdout
    r = s.cli("audit", "verify", "--anchor",
              "2:%s" % before[1]["hash"], check=False)
    assert r.returncode == 1
    assert "audit chain ok" in r.stdout
    assert "anchor reached" not in r.stdout
    assert "anchor NOT checked: seq 2 is before the base" in r.stdout

    # retention is no cover: one more of the oldest deleted by hand shows,
    # and so it does with the base moved on to fit the chain again
    s.execute("DELETE FROM audit_events WHERE seq = %d" % (base + 1))
    r = s.cli("audit", "verify", check=False)
    assert r.returncode == 1
    assert "BROKEN at seq %d: an event was deleted" % (base + 1) in r.stdout
    s.execute("UPDATE audit_base SET seq = %d, hash = (SELECT prev_hash "
              "FROM audit_events WHERE seq = %d)" % (base + 1, base + 2))
    r = s.cli("audit", "verify", check=False)
    assert r.returncode == 1
    assert "BROKEN at seq %d: an event was deleted" % (base + 1) in r.stdout


def test_old_events_aged_by_hand_are_not_pruned(tmp_path):
    """An attacker with the database moves the oldest events' times back
    to have retention delete them for him: their hashes no longer fit, so
    the prune keeps them (and all after them), says where it stopped, and
    `audit verify` reports the edit."""
    s = Server(tmp_path, audit_retention_days=7, client_unused_days=0)
    s.add_client()
    s.add_user()
    n = len(export(s))
    s.execute("UPDATE audit_events SET time = time - 30 * %d" % DAY)
    mark = os.path.getsize(s.log_path) if os.path.exists(s.log_path) else 0
    s.start()
    deadline = time.time() + 20
    while not s.logged_since(mark, '"event":"audit_prune_stopped"'):
        assert time.time() < deadline, s.log_text()[-3000:]
        time.sleep(0.1)
    assert s.stop() == 0
    assert not s.logged_since(mark, '"event":"audit_pruned"')
    kept = export(s)
    assert kept[0]["seq"] == 1 and len(kept) >= n
    r = s.cli("audit", "verify", check=False)
    assert r.returncode == 1
    assert "BROKEN at seq 1: an event was edited" in r.stdout


def test_retention_shorter_than_what_reads_the_trail_is_refused(tmp_path):
    s = Server(tmp_path, audit_retention_days=30)
    r = s.cli("check-config", check=False)
    assert r.returncode != 0
    assert "audit_retention_days" in r.stderr
    assert "client_unused_days" in r.stderr      # 90 by default
    s._configure({"audit_retention_days": 0})
    assert s.cli("check-config", check=False).returncode == 0
