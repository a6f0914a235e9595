"""A removal of access (client disable, grant revoke, keys retire, admin
disable) whose connection to PostgreSQL breaks under it, through
helpers_pgcut.py: each is made with its audit event in one transaction,
so the trail shows it whenever it was made, and the repeat an operator
makes to find out says "already ..." with the event already there. When
the change had to be made alone (the transaction with its event failed)
and its outcome is unknown, its event is appended all the same, with
"outcome":"unknown".

Before, each made its change alone and appended its event after: a
connection broken after the change ran (outcome unknown) left the change
made and no event, and the repeat found the change made and wrote none
either. The cuts need PostgreSQL (they are in its wire protocol); a
removal whose event the trail refuses is still made, on both backends."""
import json
import os
import subprocess
import time

import pytest

from conftest import BIN, PG_URL, fail_audit_of, get_code
from helpers_admin import add_admin, api
from helpers_authz import count
from helpers_pgcut import PgCut

pg_only = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only")


def client_disable(s):
    cid = s.confidential["client_id"]
    return (("client", "disable", cid), "UPDATE clients SET status",
            "client.changed",
            lambda: count(s, "clients", "id = ? AND status = 'disabled'",
                          cid) == 1,
            "client %s is already disabled" % cid)


def grant_revoke(s):
    cid = s.confidential["client_id"]
    get_code(s, s.confidential)         # alice's consent: a live grant
    return (("grant", "revoke", "--client", cid, "--reason", "leak"),
            "UPDATE grants SET revoked_at", "grant.revoked",
            lambda: count(s, "grants", "revoked_at IS NULL") == 0,
            "0 grant(s) revoked")


def keys_retire(s):
    old = s.query("SELECT kid FROM signing_keys WHERE alg = 'RS256'")[0][0]
    s.cli("keys", "rotate", "--alg", "RS256", "--lead", "0")
    time.sleep(1.1)                     # the successor signs by now
    return (("keys", "retire", old), "UPDATE signing_keys SET retire_at",
            "key.retired",
            lambda: count(s, "signing_keys",
                          "kid = ? AND retire_at IS NOT NULL", old) == 1,
            "%s is already retired" % old)


def admin_disable(s):
    s.cli("admin", "add", "--name", "ops")
    return (("admin", "disable", "ops"), "UPDATE admins SET disabled_at",
            "admin.disabled",
            lambda: count(s, "admins",
                          "name = 'ops' AND disabled_at IS NOT NULL") == 1,
            "admin ops is already disabled")


REMOVALS = [client_disable, grant_revoke, keys_retire, admin_disable]


def cut_run(s, args, update, **arm):
    """The command with its connections through a PgCut armed under
    `update` (PgCut.arm's other arguments: arm); its result and the
    number of cuts made."""
    cut = PgCut(s.database)
    conf = os.path.join(s.dir, "cut.json")
    with open(s.conf) as f:
        c = json.load(f)
    c["database"] = cut.url
    with open(conf, "w") as f:
        json.dump(c, f)
    try:
        cut.arm(update, **arm)
        r = subprocess.run([BIN, "--config", conf] + list(args),
                           capture_output=True, text=True, timeout=60)
    finally:
        cut.close()
    return r, cut.cuts


def repeated(s, args, etype, already):
    """The operator's repeat says it was made, and writes no event."""
    again = s.cli(*args, check=False)
    assert already in again.stdout + again.stderr, (again.stdout,
                                                    again.stderr)
    assert count(s, "audit_events", "type = ?", etype) == 1


@pg_only
@pytest.mark.parametrize("removal", REMOVALS)
@pytest.mark.parametrize("under", ["change", "commit"])
def test_a_removal_and_its_event_are_stored_together(server, removal,
                                                     under):
    """Cut under the change (its UPDATE ran, the transaction could not
    commit: nothing was stored, so the change is made again alone, its
    event appended after it), or under the COMMIT of the change and its
    event (ran: both stored, the outcome unknown to the command)."""
    s = server
    args, update, etype, done, already = removal(s)
    r, cuts = cut_run(s, args, update,
                      at="COMMIT" if under == "commit" else None)
    assert cuts == 1, (r.stdout, r.stderr)
    events = count(s, "audit_events", "type = ?", etype)
    # never the change without its event
    assert (done(), events) == (True, 1), (r.returncode, r.stdout, r.stderr)
    if under == "commit":
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert "may have been made, and then recorded in the audit " \
            "trail" in r.stderr, r.stderr
    else:
        assert r.returncode == 0, (r.stdout, r.stderr)
    repeated(s, args, etype, already)


@pg_only
@pytest.mark.parametrize("removal", REMOVALS)
def test_an_unknown_outcome_made_alone_is_audited_as_such(server, removal):
    """Cut under the change twice: with its event (a plain failure), then
    alone (it committed, the command cannot know): the event is appended
    with "outcome":"unknown", so the trail shows the attempt."""
    s = server
    args, update, etype, done, already = removal(s)
    r, cuts = cut_run(s, args, update, times=2)
    assert cuts == 2, (r.stdout, r.stderr)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "may have been made" in r.stderr, r.stderr
    assert done()
    details = [json.loads(d) for (d,) in s.query(
        "SELECT detail FROM audit_events WHERE type = ?", etype)]
    assert len(details) == 1 and details[0]["outcome"] == "unknown", details
    repeated(s, args, etype, already)


@pytest.mark.parametrize("removal", REMOVALS)
def test_a_removal_the_trail_refuses_is_made_all_the_same(server, removal):
    """The event cannot be stored: the removal is made alone (a broken
    trail never keeps anyone in) and the command exits 1 naming the lost
    event."""
    s = server
    args, update, etype, done, already = removal(s)
    fail_audit_of(s, etype)
    r = s.cli(*args, check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "audit event could not be stored" in r.stderr, r.stderr
    assert done()
    assert count(s, "audit_events", "type = ?", etype) == 0


@pg_only
@pytest.mark.parametrize("under", ["change", "commit"])
def test_an_api_revocation_cut_under_it_keeps_its_event(server, under):
    """The admin API (and the console) revoke through the same action: a
    revocation whose connection breaks is answered 503, and the grant is
    never revoked without its grant.revoked event."""
    s = server
    cid = s.confidential["client_id"]
    get_code(s, s.confidential)
    cred = add_admin(s)
    cut = PgCut(s.database)
    try:
        s.stop()
        s._configure({"database": cut.url})
        s.start()
        cut.arm("UPDATE grants SET revoked_at",
                at="COMMIT" if under == "commit" else None)
        r = api(s, cred, "POST", "grants/revoke",
                data={"client_id": cid, "reason": "leak"})
        assert cut.cuts == 1
        assert r.status_code == 503, r.text
        assert count(s, "grants", "revoked_at IS NULL") == 0
        assert count(s, "audit_events", "type = 'grant.revoked'") == 1
        r = api(s, cred, "POST", "grants/revoke",
                data={"client_id": cid, "reason": "leak"})
        assert r.json() == {"grants_revoked": 0}, r.text
        assert count(s, "audit_events", "type = 'grant.revoked'") == 1
    finally:
        rc = s.stop()
        cut.close()
    assert rc == 0, s.log_text()[-4000:]
