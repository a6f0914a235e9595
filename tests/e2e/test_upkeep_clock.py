"""The upkeep pass comes every upkeep_interval_seconds whatever the wall
clock does. Its wait was timed on the wall clock, so a clock stepped back
by an hour (NTP, an operator) put off the next purge, audit retention,
hygiene and key deletion by that hour. The LD_PRELOAD shim
realtime_shift.so (tests/faults/realtime_shift.c) makes the wall clock
the server reads an hour ahead of the one its waits are timed against:
what a step back right after each reading would do."""
import re
import time

from conftest import Server, preload_shim


def heads(server):
    """The seqs of the audit_head lines logged so far, one per upkeep pass
    that found the chain grown."""
    return [int(seq) for seq in re.findall(
        r'"event":"audit_head","anchor":"(\d+):', server.log_text())]


def wait_for(cond, server, what):
    deadline = time.time() + 10
    while not cond():
        assert time.time() < deadline, what + ": " + server.log_text()[-2000:]
        time.sleep(0.1)


def test_upkeep_keeps_its_pace_when_the_wall_clock_steps_back(
        tmp_path, monkeypatch):
    s = Server(tmp_path, setup="standard", upkeep_interval_seconds=1)
    preload_shim(monkeypatch, "realtime_shift", GH_REALTIME_SHIFT=3600)
    s.start()
    try:
        wait_for(lambda: heads(s), s, "no first upkeep pass")
        s.add_client(name="One more")           # client.created
        seq = s.query("SELECT max(seq) FROM audit_events")[0][0]
        assert seq > heads(s)[-1]
        # the next pass is due a second after the last, not an hour
        wait_for(lambda: seq in heads(s), s, "no upkeep pass since")
    finally:
        assert s.stop() == 0
