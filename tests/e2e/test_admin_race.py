"""The admin command against a change made between its read and its write.

`client enable` and `client disable` read the client's status, decide on
it, then write from the status read (one conditional UPDATE). A change
made by someone else in between - another operator, the hygiene pass -
must stand: an enable that read "active" must not lift a disable made
meanwhile, and a disable that read "active" must not turn a quarantine
made meanwhile into a plain "disabled".

The command is stopped exactly there by an LD_PRELOAD shim
(tests/faults/sql_pause.c): right after its read of the client returned
the row, it creates a "ready" file and waits while a "hold" file exists.
The test makes its change with a second, unshimmed command, then removes
the hold file. No server runs: only the two commands touch the database.

The same shim stops a server's consent (the POST of the consent form)
right after it read the session and the user's grant, before it stores
the grant: a kill made there (`client quarantine`, `client disable`,
`user disable`) must leave no live grant, no code and no remembered
consent behind it.
"""
import json
import os
import subprocess
import threading

import pytest

from conftest import (BIN, ROOT, Browser, Server, auth_params,
                      await_client_status, pkce_pair, poll, preload_shim)

# The read of one client, on both backends (S_CLIENT_GET, P_CLIENT_GET)
CLIENT_READ = "FROM clients WHERE id = "


@pytest.fixture
def start_paused(tmp_path):
    """start_paused(server, *ARGS): gatehouse ARGS, started under
    sql_pause.so and stopped right after its first read of a client; the
    process and the hold file, whose removal lets it go on. A command
    still held when the test ends is let go and waited for."""
    started = []

    def start(server, *args):
        shim = os.path.join(ROOT, "build", "test", "sql_pause.so")
        assert os.path.exists(shim), "make build/test/sql_pause.so"
        ready = tmp_path / ("paused%d" % len(started))
        hold = tmp_path / ("hold%d" % len(started))
        hold.touch()
        # Only this command runs under the shim (not os.environ: the
        # command that races it must not stop).
        env = dict(os.environ, LD_PRELOAD=shim,
                   GH_FAULT_PAUSE_SQL=CLIENT_READ,
                   GH_FAULT_PAUSE_READY=str(ready),
                   GH_FAULT_PAUSE_FILE=str(hold),
                   ASAN_OPTIONS="detect_leaks=1:abort_on_error=0:"
                                "verify_asan_link_order=0")
        proc = subprocess.Popen([BIN, "--config", server.conf] + list(args),
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=env)
        started.append((proc, hold))
        poll(lambda: ready.exists() or proc.poll() is not None, bool,
             timeout=30, step=0.01)
        if not ready.exists():
            out, err = finish(proc, hold)[1:]
            raise AssertionError("gatehouse %s did not stop after its read "
                                 "(exit %s): %s %s" % (" ".join(args),
                                                       proc.returncode, out,
                                                       err))
        return proc, hold

    yield start
    for proc, hold in started:
        if proc.returncode is not None:     # finished by the test
            continue
        if hold.exists():
            hold.unlink()
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


def finish(proc, hold):
    """Let a held command go on; its exit code, stdout and stderr."""
    hold.unlink()
    out, err = proc.communicate(timeout=60)
    return proc.returncode, out, err


def status_of(s, cid):
    return json.loads(s.cli("client", "show", cid).stdout)["status"]


def status_events(s, cid):
    """client.changed and client.quarantined events of client cid"""
    return [(t, json.loads(d)) for t, d in s.query(
        "SELECT type, detail FROM audit_events WHERE client_id = ? AND type"
        " IN ('client.changed', 'client.quarantined') ORDER BY seq", cid)]


def test_an_enable_that_read_active_does_not_lift_a_disable_made_meanwhile(
        tmp_path, start_paused):
    """An enable that read the client as active wrote "active" from
    "disabled" all the same: a disable made between its read and its
    write was lifted, with a client.changed event claiming an enable
    (fixed in 4ffcf23: an enable that reads "active" is done at the
    read)."""
    s = Server(tmp_path, setup="standard")
    cid = s.confidential["client_id"]
    assert status_of(s, cid) == "active"
    proc, hold = start_paused(s, "client", "enable", cid)
    r = s.cli("client", "disable", cid, "--reason", "race")
    assert r.stdout.strip() == "client %s is now disabled" % cid
    assert status_of(s, cid) == "disabled"
    rc, out, err = finish(proc, hold)
    assert "AddressSanitizer" not in err and "runtime error" not in err, err
    assert status_of(s, cid) == "disabled", (out, err)
    assert status_events(s, cid) == [
        ("client.changed", {"status": "disabled", "reason": "race"})]
    assert (rc, out.strip()) == (0, "client %s is already active" % cid), err


def test_a_disable_that_read_active_leaves_a_quarantine_made_meanwhile(
        tmp_path, start_paused):
    """A disable writes from the status it read ("active"): a quarantine
    made between its read and its write finds nothing to change, and stays
    a quarantine (the marker that lets an enable replace the secret)."""
    s = Server(tmp_path, setup="standard")
    cid = s.confidential["client_id"]
    proc, hold = start_paused(s, "client", "disable", cid,
                              "--reason", "race")
    r = s.cli("client", "quarantine", cid, "--reason", "leaked secret")
    assert "quarantined" in r.stdout, r.stdout
    assert status_of(s, cid) == "quarantined"
    rc, out, err = finish(proc, hold)
    assert "AddressSanitizer" not in err and "runtime error" not in err, err
    assert status_of(s, cid) == "quarantined", (out, err)
    assert [t for t, _ in status_events(s, cid)] == ["client.quarantined"]
    assert (rc, out.strip()) == (
        0, "client %s is quarantined (and so disabled already)" % cid), err


# The consent's read of its session and of the user's grant to the client
# (S_SESSION_GRANT, P_SESSION_GRANT), its last read before it writes
SESSION_GRANT_READ = "LEFT JOIN grants g ON g.user_id = s.user_id"


def quarantine(s, c):
    r = s.cli("client", "quarantine", c["client_id"], "--reason", "leak")
    assert "0 grant(s) revoked" in r.stdout, r.stdout  # none stored yet


def lift_quarantine(s, c):
    out = json.loads(s.cli("client", "rotate-secret", c["client_id"],
                           "--json").stdout)
    c["client_secret"] = out["client_secret"]
    s.cli("client", "enable", c["client_id"], "--reason", "fixed")


# kill made while the consent is held: (make it, undo it)
KILLS = {
    "client_quarantine": (quarantine, lift_quarantine),
    "client_disable": (
        lambda s, c: s.cli("client", "disable", c["client_id"],
                           "--reason", "race"),
        lambda s, c: s.cli("client", "enable", c["client_id"])),
    "user_disable": (
        lambda s, c: s.cli("user", "disable", "alice"),
        lambda s, c: s.cli("user", "enable", "alice")),
}


@pytest.mark.parametrize("kill", sorted(KILLS))
def test_a_consent_read_before_a_kill_stores_no_grant(tmp_path, monkeypatch,
                                                      kill):
    """The consent stored its grant with no look at the client's or the
    user's status, read (active) earlier in the request: a quarantine made
    in between revoked "0 grant(s)", then the consent wrote a live grant
    and redirected with a code. After rotate-secret and enable, the user's
    next /authorize got a code at once, from a consent given to the client
    as it was before its quarantine. Now the grant is written only while
    the client and the user are active (store_grant_upsert): the consent
    ends on the error page of an inactive client, with no code, and the
    user is asked again once the client (or the user) is back."""
    make, undo = KILLS[kill]
    s = Server(tmp_path, setup="standard")
    c = dict(s.confidential)
    cid = c["client_id"]
    ready, hold = tmp_path / "paused", tmp_path / "hold"
    preload_shim(monkeypatch, "sql_pause",
                 GH_FAULT_PAUSE_SQL=SESSION_GRANT_READ,
                 GH_FAULT_PAUSE_READY=ready, GH_FAULT_PAUSE_FILE=hold)
    s.start()
    monkeypatch.delenv("LD_PRELOAD")    # the server only: not the commands
    answer = {}
    try:
        b = Browser(s)
        page = b.login(b.get(auth_params(c, pkce_pair()[1])))
        assert 'value="consent"' in page.text, page.text[:300]
        hold.touch()
        consent = threading.Thread(
            target=lambda: answer.update(r=b.consent(page)))
        consent.start()
        try:
            poll(lambda: ready.exists() or not consent.is_alive(), bool,
                 timeout=30, step=0.01)
            assert ready.exists(), "the consent did not stop after its read"
            make(s, c)
        finally:
            if hold.exists():
                hold.unlink()
            consent.join(60)

        r = answer["r"]
        assert r.status_code == 400, (r.status_code, r.headers)
        assert "Location" not in r.headers
        assert "unknown or disabled client or user" in r.text
        assert s.query("SELECT id FROM grants WHERE client_id = ?", cid) == []
        assert s.query("SELECT grant_id FROM codes WHERE client_id = ?",
                       cid) == []
        assert "consent.granted" not in s.audit_types()

        undo(s, c)
        await_client_status(s, cid, True)
        r = b.get(auth_params(c, pkce_pair()[1]))
        if 'value="login"' in r.text:   # a user disable ended the session
            r = b.login(r)
        assert r.status_code == 200, (r.status_code, r.headers)
        assert 'value="consent"' in r.text
    finally:
        rc = s.stop()
    log = s.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, log[-4000:]
