"""Connection lifecycle: slow or idle clients are cut off without
blocking others, SIGTERM (and SIGINT, SIGQUIT) drains in-flight requests
and exits 0, and SIGHUP is logged and changes nothing."""
import concurrent.futures
import os
import signal
import socket
import threading
import time

import pytest
import requests

from conftest import PG_URL, PASSWORD, Browser, hold_audit_chain, \
    preload_shim
from helpers_authz import fresh_params, is_login, read_response, running
from helpers_token import is_active, issue


def healthy(server):
    r = requests.get(server.base + "/healthz", timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok"}


# -- slow clients ----------------------------------------------------------
def test_slow_client_is_cut_off_while_others_are_served(tmp_path):
    with running(tmp_path, connection_timeout_seconds=2) as s:
        slow = socket.create_connection(("127.0.0.1", s.port), timeout=8)
        slow.sendall(b"GET /authorize?client_id=cl_")   # and nothing more
        t0 = time.monotonic()
        served = []

        def others():
            while time.monotonic() - t0 < 3:
                r = requests.get(s.base + "/healthz", timeout=2)
                served.append((r.status_code, time.monotonic() - t0))
                time.sleep(0.1)
        th = threading.Thread(target=others)
        th.start()
        try:
            data = slow.recv(1024)
        except ConnectionResetError:
            data = b""
        closed_after = time.monotonic() - t0
        th.join()
        slow.close()
        assert closed_after <= 5, closed_after
        assert closed_after >= 1, closed_after    # it did wait for us
        assert not data.startswith(b"HTTP/1.1 2"), data
        assert len(served) >= 5 and all(st == 200 for st, _ in served)
        # the others were answered while the slow socket was still open
        assert any(t < closed_after for _, t in served)
        healthy(s)


def test_many_idle_connections_do_not_block_service(tmp_path):
    with running(tmp_path, connection_timeout_seconds=2) as s:
        idle = [socket.create_connection(("127.0.0.1", s.port), timeout=5)
                for _ in range(50)]
        try:
            for so in idle[::2]:
                so.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n")
            t = time.monotonic()
            healthy(s)
            assert time.monotonic() - t < 1.5
        finally:
            for so in idle:
                so.close()


def closed_by_server(so):
    """True once the server has closed (or reset) the socket."""
    so.setblocking(False)
    try:
        data = so.recv(4096)
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        so.setblocking(True)
    assert not data.startswith(b"HTTP/"), data[:200]   # never answered
    return data == b""


def trickle(socks, until):
    """Send each open socket its next piece every second, so no idle
    timeout fires; return when each was closed (seconds from the start),
    None for one still open at `until`."""
    t0 = time.monotonic()
    closed = [None] * len(socks)
    while time.monotonic() - t0 < until and None in closed:
        for i, (so, piece) in enumerate(socks):
            if closed[i] is not None:
                continue
            try:
                if closed_by_server(so):
                    closed[i] = time.monotonic() - t0
                else:
                    so.sendall(piece)
            except OSError:
                closed[i] = time.monotonic() - t0
        time.sleep(1)
    return closed


def test_trickled_requests_are_cut_at_the_request_deadline(tmp_path):
    """Slowloris: a request line, header lines or a body sent a little at
    a time resets the idle timeout (2 s) for ever; the request deadline
    (3 s, counted with the idle timeout on top from the connection's
    start) closes such connections, and with every connection slot held
    by them a normal client is served once they are cut."""
    with running(tmp_path, connection_timeout_seconds=2,
                 request_deadline_seconds=3, max_connections=4,
                 threads=2) as s:
        starts = [
            (b"GET /authorize?a", b"a"),                    # request line
            (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X-A: b\r\n"),
            (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"X-B: c\r\n"),
            (b"POST /token HTTP/1.1\r\nHost: x\r\n"          # body
             b"Content-Type: application/x-www-form-urlencoded\r\n"
             b"Content-Length: 100\r\n\r\n", b"a"),
        ]
        socks = []
        for first, piece in starts:
            so = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            so.sendall(first)
            socks.append((so, piece))
        t0 = time.monotonic()
        served = []

        def legit():        # waits for a free connection slot
            r = requests.get(s.base + "/healthz", timeout=15)
            served.append((r.status_code, time.monotonic() - t0))
        th = threading.Thread(target=legit)
        time.sleep(0.3)
        th.start()
        try:
            closed = trickle(socks, until=9)
        finally:
            for so, _ in socks:
                so.close()
        th.join()
        assert None not in closed, closed
        assert all(4.0 <= t <= 8 for t in closed), closed
        assert served and served[0][0] == 200, served
        assert '"event":"request_deadline"' in s.log_text()
        healthy(s)


def test_request_deadline_restarts_with_each_request(tmp_path):
    """On a keep-alive connection the deadline runs per request: complete
    requests every 0.6 s for longer than the deadline (2 s, plus the idle
    timeout of 2 s) are all answered on the one connection; a request then
    trickled on it is cut."""
    with running(tmp_path, connection_timeout_seconds=2,
                 request_deadline_seconds=2) as s:
        so = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        try:
            t0 = time.monotonic()
            n = 0
            while time.monotonic() - t0 < 5:
                so.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                r = read_response(so, time.monotonic() + 3)
                assert r.status == 200 and r.complete, r
                n += 1
                time.sleep(0.6)
            assert n >= 6
            so.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
            closed = trickle([(so, b"X-A: b\r\n")], until=8)[0]
        finally:
            so.close()
        assert closed is not None and 3.5 <= closed <= 6.5, closed
        healthy(s)


def test_idle_time_before_a_request_does_not_eat_its_deadline(tmp_path):
    """The watch cannot see a request's first byte, so the idle timeout
    is added to the deadline: a keep-alive connection idle for 1.5 s whose
    next request then takes 1.5 s to arrive (3 s since the last answer,
    past the 2 s deadline alone) is answered, not cut."""
    with running(tmp_path, connection_timeout_seconds=3,
                 request_deadline_seconds=2) as s:
        so = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        try:
            so.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_response(so, time.monotonic() + 3).status == 200
            time.sleep(1.5)
            so.sendall(b"GET /healthz HTTP/1.1\r\n")
            for line in (b"Host: x\r\n", b"X-A: b\r\n", b"\r\n"):
                time.sleep(0.5)
                so.sendall(line)
            r = read_response(so, time.monotonic() + 3)
            assert r.status == 200 and r.complete, r
        finally:
            so.close()
        assert '"event":"request_deadline"' not in s.log_text()


# -- SIGTERM drain ---------------------------------------------------------
def login_request(server):
    """Raw bytes of a valid login POST (Argon2 verification on the server)."""
    b = Browser(server)
    page = b.get(fresh_params(server.confidential))
    assert is_login(page)
    data = b.form_fields(page.text)
    data.update(username="alice", password=PASSWORD)
    body = requests.models.RequestEncodingMixin._encode_params(data).encode()
    cookie = "; ".join("%s=%s" % (k, v) for k, v in b.s.cookies.items())
    return (b"POST /authorize HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Connection: close\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Cookie: " + cookie.encode() + b"\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body) + body)


def test_sigterm_drains_in_flight_requests(tmp_path):
    # twelve logins at once from one address: the per-address login limit
    # (one Argon2id run per address) is off, as behind a proxy, so that
    # every one of them is in flight when the signal comes
    with running(tmp_path, threads=4, drain_seconds=10,
                 login_address_burst=0) as s:
        reqs = [login_request(s) for _ in range(12)]
        socks = []
        for data in reqs:
            so = socket.create_connection(("127.0.0.1", s.port), timeout=10)
            so.sendall(data)
            socks.append(so)
        time.sleep(0.02)          # requests are now being worked on
        s.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        results = [read_response(so, deadline) for so in socks]
        for so in socks:
            so.close()
        rc = s.proc.wait(timeout=30)
        s.proc = None
        s.log.close()
        log = s.log_text()
        assert "AddressSanitizer" not in log and "runtime error" not in log
        assert rc == 0, log[-3000:]
        got = [r for r in results if r.status is not None]
        assert got, results
        for r in got:
            assert r.complete, r
            assert r.status == 200, r
            assert r.body.rstrip().endswith(b"</html>"), r.body[-100:]
        # a request that got no answer at all was not started: closed
        for r in results:
            assert r.status is not None or r.closed, r
        assert '"event":"stopped"' in log
        # the drain really happened: answers were sent after the signal
        after = log.split('"event":"stopping"', 1)[1]
        drained = after.count('"path":"/authorize","status":"200"')
        print("SIGTERM drain: %d answered after the signal" % drained)
        assert drained >= 1, log[-3000:]


def stop_under_load(s, work, n, settle):
    """Run n threads of work(stop, i) against s, SIGTERM it after `settle`
    seconds and join them; returns the exit code. The log must show no
    sanitizer report and no libmicrohttpd panic."""
    stop = threading.Event()
    threads = [threading.Thread(target=work, args=(stop, i))
               for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(settle)
    rc = s.stop()
    stop.set()
    for t in threads:
        t.join(timeout=25)
    log = s.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log
    assert "http_library_panic" not in log, log[-3000:]
    assert rc == 0, log[-3000:]
    return rc


def test_sigterm_with_concurrent_load_exits_zero(tmp_path):
    with running(tmp_path, drain_seconds=5) as s:
        outcomes = []

        def hammer(stop, _):
            sess = requests.Session()
            while not stop.is_set():
                try:
                    r = sess.get(s.base + "/.well-known/"
                                 "oauth-authorization-server", timeout=5)
                    ok = (r.status_code == 200 and
                          len(r.content) ==
                          int(r.headers["Content-Length"]) and
                          r.json()["issuer"] == s.issuer)
                    outcomes.append(ok)
                except (requests.ConnectionError, requests.Timeout):
                    outcomes.append(None)
                    if s.proc is None or s.proc.poll() is not None:
                        return
        stop_under_load(s, hammer, 8, 0.5)
        assert outcomes.count(True) > 10
        assert False not in outcomes    # every answer was complete and valid


def test_sigterm_while_answers_wait_for_their_fsync(tmp_path):
    """Keep-alive clients keep sending refreshes, each answered only once
    its write is durable (its connection parked meanwhile). A request that
    came in after the stop began was parked as the daemon stopped, and
    libmicrohttpd aborted (MHD_stop_daemon with a suspended connection):
    4 of 4 runs at drain 0 before the fix."""
    for run in ("a", "b"):
        (tmp_path / run).mkdir()
        with running(tmp_path / run, drain_seconds=0, threads=2) as s:
            c = s.confidential
            tokens = [issue(s, c)["refresh_token"] for _ in range(12)]
            statuses = []

            def client(stop, i):
                sess, rt = requests.Session(), tokens[i]
                while not stop.is_set():
                    try:
                        r = sess.post(s.base + "/token", data={
                            "grant_type": "refresh_token",
                            "refresh_token": rt}, timeout=20,
                            auth=(c["client_id"], c["client_secret"]))
                    except requests.RequestException:
                        time.sleep(0.01)
                        continue
                    statuses.append(r.status_code)
                    if r.status_code == 200:
                        rt = r.json()["refresh_token"]
            stop_under_load(s, client, len(tokens), 1.5)
            assert statuses.count(200) > len(tokens)
            # 503 only for a request cut off by the stop
            assert set(statuses) <= {200, 503}, statuses


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's audit batches")
def test_sigterm_while_answers_wait_for_their_audit_batch(tmp_path,
                                                          monkeypatch):
    """On PostgreSQL a refresh is answered once its audit rows' batch is
    committed, which the store's leader thread appends; the connection is
    parked meanwhile. With one HTTP thread and the batches held (the audit
    chain's lock taken here), four refreshes park and the thread still
    answers; SIGTERM then waits for them (a stop that left one suspended
    would abort in libmicrohttpd), the lock is let go, the server exits 0,
    and all four are answered, their tokens in force after a restart.
    Before, the one thread sat in the first refresh's batch: /healthz
    timed out. Then, the stop closed the connections as soon as the last
    answer was resumed, before the thread had sent them: under load (here
    each answer's sending held 300 ms by send_delay.so) most were cut."""
    slow = tmp_path / "slow-sends"
    preload_shim(monkeypatch, "send_delay", GH_FAULT_SEND_DELAY_FILE=slow)
    with running(tmp_path, drain_seconds=0, threads=1) as s:
        c = s.confidential
        tokens = [issue(s, c)["refresh_token"] for _ in range(4)]

        def refresh(rt):
            try:
                return requests.post(s.base + "/token", data={
                    "grant_type": "refresh_token", "refresh_token": rt},
                    auth=(c["client_id"], c["client_secret"]), timeout=30)
            except requests.ConnectionError:
                return None     # cut off by the stop: never answered
        lock = hold_audit_chain(s)
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
        try:
            pending = [pool.submit(refresh, rt) for rt in tokens]
            time.sleep(0.5)                 # all four parked
            healthy(s)
            assert not any(p.done() for p in pending)
            s.proc.send_signal(signal.SIGTERM)
            time.sleep(1)
            assert s.proc.poll() is None    # the stop waits for them
            slow.touch()
            lock.close()
            lock = None
            answers = [p.result(timeout=30) for p in pending]
            rc = s.proc.wait(timeout=30)
        finally:
            if lock is not None:
                lock.close()
            pool.shutdown(wait=True)
        s.proc = None
        s.log.close()
        log = s.log_text()
        assert "AddressSanitizer" not in log and "runtime error" not in log
        assert "http_library_panic" not in log, log[-3000:]
        assert rc == 0, log[-3000:]
        answered = [r for r in answers if r is not None]
        assert len(answered) == 4, log[-3000:]
        os.remove(slow)
        s.start()
        for r in answered:
            assert r.status_code == 200, r.text
            assert is_active(s, r.json()["access_token"])
            assert is_active(s, r.json()["refresh_token"])


def test_sigquit_drains_and_stops(tmp_path):
    """SIGQUIT killed the server at once (core dump default), without a
    drain or its "stopped" line; it now stops as SIGTERM does."""
    with running(tmp_path) as s:
        healthy(s)
        s.proc.send_signal(signal.SIGQUIT)
        rc = s.proc.wait(timeout=30)
        s.proc = None
        s.log.close()
        log = s.log_text()
        assert rc == 0, log[-3000:]
        assert '"event":"stopping","signal":"QUIT"' in log, log[-3000:]
        assert '"event":"stopped"' in log


def test_sighup_is_logged_and_ignored(tmp_path):
    """SIGHUP killed the server mid-request. Gatehouse has nothing to
    reload, and a HUP sent out of habit (log rotation, `reload`) must not
    stop an authorization server: it is logged and the server serves on."""
    with running(tmp_path) as s:
        healthy(s)
        for _ in range(2):
            s.proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while not s.logged_since(0, '"event":"signal_ignored"'):
            assert time.monotonic() < deadline, s.log_text()[-3000:]
            time.sleep(0.05)
        time.sleep(1.2)         # past main's next wait
        assert s.proc.poll() is None, s.log_text()[-3000:]
        healthy(s)
        assert '"signal":"HUP"' in s.log_text()
        assert '"event":"stopping"' not in s.log_text()
    # and SIGTERM still drains and exits 0 (running() checks)


def test_every_thread_blocks_the_stop_signals(tmp_path):
    """Only main takes SIGTERM, SIGINT, SIGQUIT and SIGHUP (it drains,
    then exits 0, or logs a HUP): a thread that did not block them, such
    as one the store started before the mask was set, would be killed by
    a signal that arrives while main is between two of its one-second
    waits."""
    bits = 0
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT,
                signal.SIGHUP):
        bits |= 1 << (sig - 1)
    with running(tmp_path) as s:
        requests.get(s.base + "/healthz", timeout=5)
        tasks = os.listdir("/proc/%d/task" % s.proc.pid)
        assert len(tasks) > 4, tasks     # HTTP workers, flusher, upkeep...
        for tid in tasks:
            if int(tid) == s.proc.pid:
                continue    # main: its wait unblocks them while it waits
            with open("/proc/%d/task/%s/status" % (s.proc.pid, tid)) as f:
                blocked = [int(line.split()[1], 16) for line in f
                           if line.startswith("SigBlk:")][0]
            with open("/proc/%d/task/%s/comm" % (s.proc.pid, tid)) as f:
                name = f.read().strip()
            assert blocked & bits == bits, (tid, name, hex(blocked))
