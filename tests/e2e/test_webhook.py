"""Alert delivery to a webhook (issue 5): JSON to a local receiver, retries
with backoff while the receiver is down, nothing lost, and a slow receiver
never slows a token request."""
import base64
import datetime
import hashlib
import hmac
import http.server
import json
import socket
import ssl
import threading
import time

import pytest

from conftest import Server, free_port, get_code, preload_shim, \
    token_request


class Receiver:
    """A local webhook receiver on a fixed port; can hang or be down; with
    `tls` (an ssl.SSLContext) it speaks https."""

    def __init__(self, port, delay=0.0, status=204, tls=None):
        self.port = port
        self.got = []
        self.raw = []
        self.delay = delay
        self.status = status
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers["Content-Length"])
                body = self.rfile.read(n)
                time.sleep(outer.delay)
                outer.raw.append(body)
                outer.got.append((dict(self.headers), json.loads(body)))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port),
                                                     Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket,
                                                server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def wait_for(pred, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


def hooked_server(tmp_path):
    """A server whose alerts go to a receiver on s.hook_port (not started)."""
    port = free_port()
    s = Server(tmp_path, webhook_url="http://127.0.0.1:%d/hooks/gh" % port,
               webhook_timeout_seconds=2, webhook_max_backoff_seconds=2)
    s.confidential = s.add_client(name="Confidential app")
    s.user = s.add_user()
    s.hook_port = port
    return s


@pytest.fixture
def hooked(tmp_path):
    s = hooked_server(tmp_path).start()
    yield s
    rc = s.stop()
    log = s.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log
    assert rc == 0, log[-4000:]


def reuse(s):
    """Refresh token reuse: raises one refresh_reuse alert."""
    c = s.confidential
    code, verifier, _ = get_code(s, c)
    t = token_request(s, c, {"grant_type": "authorization_code",
                             "code": code, "code_verifier": verifier,
                             "redirect_uri": c["redirect_uri"]}).json()
    rt = t["refresh_token"]
    assert token_request(s, c, {"grant_type": "refresh_token",
                                "refresh_token": rt}).status_code == 200
    t0 = time.time()
    r = token_request(s, c, {"grant_type": "refresh_token",
                             "refresh_token": rt})
    assert r.status_code == 400
    return time.time() - t0


def undelivered(s):
    return s.query("SELECT id, attempts FROM alerts WHERE delivered_at IS "
                   "NULL")


def test_alert_is_posted_as_json(hooked):
    rx = Receiver(hooked.hook_port)
    try:
        reuse(hooked)
        assert wait_for(lambda: rx.got)
        headers, body = rx.got[0]
        assert headers["Content-Type"] == "application/json"
        assert body["type"] == "gatehouse.alert"
        assert body["rule"] == "refresh_reuse" and body["severity"] == "high"
        assert body["issuer"] == hooked.issuer
        assert body["client_id"] == hooked.confidential["client_id"]
        assert body["evidence"]["event"] == "token.reuse_detected"
        assert "refresh_token" not in json.dumps(body).replace(
            "refresh token", "")
        assert wait_for(lambda: undelivered(hooked) == [])
        # delivered once, not again
        time.sleep(1.5)
        assert len(rx.got) == 1
    finally:
        rx.close()


def test_receiver_down_then_up_nothing_lost(hooked):
    # nobody listens: the alert is kept and retried with backoff
    reuse(hooked)
    assert wait_for(lambda: any(a >= 2 for _, a in undelivered(hooked)),
                    timeout=20)
    assert "alert_delivery_failed" in hooked.log_text()
    # the admin command's alerts go through the same outbox
    hooked.cli("client", "quarantine", hooked.confidential["client_id"],
               "--reason", "test")
    rx = Receiver(hooked.hook_port)
    try:
        assert wait_for(lambda: len(rx.got) == 2, timeout=20)
        assert sorted(b["rule"] for _, b in rx.got) == \
            ["client_quarantined", "refresh_reuse"]
        assert wait_for(lambda: undelivered(hooked) == [])
    finally:
        rx.close()


def test_receiver_errors_are_retried(hooked):
    rx = Receiver(hooked.hook_port, status=503)
    try:
        reuse(hooked)
        assert wait_for(lambda: len(rx.got) >= 2, timeout=20)
        assert len(undelivered(hooked)) == 1
        rx.status = 200
        assert wait_for(lambda: undelivered(hooked) == [], timeout=20)
    finally:
        rx.close()


def test_retries_keep_their_pace_when_the_wall_clock_steps_back(
        tmp_path, monkeypatch):
    """The sender looks at its outbox every second between alerts. That
    wait was timed on the wall clock, so a clock stepped back by an hour
    put every retry off by that hour. The shim realtime_shift.so makes the
    wall clock the server reads an hour ahead of the one its waits are
    timed against (tests/e2e/test_upkeep_clock.py)."""
    s = hooked_server(tmp_path)
    preload_shim(monkeypatch, "realtime_shift", GH_REALTIME_SHIFT=3600)
    s.start()
    rx = Receiver(s.hook_port, status=503)
    try:
        reuse(s)
        # the first try comes with the alert; the second only by the wait
        assert wait_for(lambda: len(rx.got) >= 2, timeout=20), \
            s.log_text()[-2000:]
    finally:
        rx.close()
        assert s.stop() == 0


def test_a_hanging_receiver_never_slows_token_requests(hooked):
    # accepts connections but never answers
    hang = socket.socket()
    hang.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hang.bind(("127.0.0.1", hooked.hook_port))
    hang.listen(16)
    try:
        for _ in range(3):
            took = reuse(hooked)
            assert took < 1.0, took
        assert wait_for(lambda: "alert_delivery_failed" in
                        hooked.log_text(), timeout=20)
    finally:
        hang.close()


def test_the_lease_of_a_later_batch_runs_from_its_claim(tmp_path):
    """Alerts are leased 16 at a time for (16 + 1) timeouts. The lease of
    the second batch ran from the start of the pass, when the first batch
    had already taken up to 16 timeouts: it ran out about as it was
    claimed, and another node could send the same alerts again."""
    port = free_port()
    hang = socket.socket()
    hang.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    hang.bind(("127.0.0.1", port))
    hang.listen(64)
    s = Server(tmp_path, webhook_url="http://127.0.0.1:%d/h" % port,
               webhook_timeout_seconds=1, webhook_max_backoff_seconds=60)
    try:
        s.start()
        now = int(time.time())
        s.execute(*[("INSERT INTO alerts (time, rule, severity, summary, "
                     "evidence, dedupe_key, next_attempt_at) VALUES "
                     "(?, 'test', 'low', 'x', '{}', ?, ?)",
                     (now, "k%d" % i, now)) for i in range(17)])
        last = s.query("SELECT max(id) FROM alerts")[0][0]
        lease = None
        deadline = time.time() + 40
        while time.time() < deadline and lease is None:
            # the 17th, claimed (its lease set) and not yet tried
            row = s.query("SELECT next_attempt_at, attempts FROM alerts "
                          "WHERE id = ?", last)[0]
            if row[1] == 0 and row[0] > now:
                lease = row[0] - time.time()
            time.sleep(0.05)
        assert lease is not None
        # claimed now: about 17 timeouts ahead (was about one)
        assert lease > 10, lease
    finally:
        rc = s.stop()
        hang.close()
    log = s.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log
    assert rc == 0, log[-4000:]


def self_signed(tmp_path):
    """A certificate for localhost and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    import ipaddress

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .sign(key, hashes.SHA256()))
    crt, pem = tmp_path / "rx.crt", tmp_path / "rx.key"
    crt.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pem.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return str(crt), str(pem)


@pytest.mark.parametrize("trusted", [True, False])
def test_an_https_receiver(tmp_path, monkeypatch, trusted):
    """https: the alert goes through TLS (the whole exchange under one
    deadline) to a receiver whose certificate verifies; to one whose
    certificate does not, nothing is sent and the alert is kept."""
    crt, pem = self_signed(tmp_path)
    if trusted:
        monkeypatch.setenv("SSL_CERT_FILE", crt)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(crt, pem)
    port = free_port()
    s = Server(tmp_path, webhook_url="https://localhost:%d/hooks/gh" % port,
               webhook_timeout_seconds=2, webhook_max_backoff_seconds=2)
    s.confidential = s.add_client(name="Confidential app")
    s.user = s.add_user()
    rx = Receiver(port, tls=tls)
    s.start()
    try:
        reuse(s)
        if trusted:
            assert wait_for(lambda: rx.got)
            assert rx.got[0][1]["rule"] == "refresh_reuse"
            assert wait_for(lambda: undelivered(s) == [])
        else:
            assert wait_for(lambda: any(a >= 2 for _, a in undelivered(s)),
                            timeout=20)
            assert rx.got == []
    finally:
        rx.close()
        rc = s.stop()
        log = s.log_text()
        assert "AddressSanitizer" not in log and "runtime error" not in log
        assert rc == 0, log[-4000:]


SECRET_KEY = bytes(range(40))
SECRET = "whsec_" + base64.b64encode(SECRET_KEY).decode()


def test_deliveries_are_signed_as_standard_webhooks(tmp_path):
    """With webhook_secret, each delivery carries webhook-id (the alert's,
    the same on a retry), webhook-timestamp and webhook-signature, HMAC-
    SHA256 over "id.timestamp.body" under the secret's key, which the
    receiver checks as any Standard Webhooks library would."""
    port = free_port()
    s = Server(tmp_path, webhook_url="http://127.0.0.1:%d/hooks/gh" % port,
               webhook_timeout_seconds=2, webhook_max_backoff_seconds=1,
               webhook_secret=SECRET)
    s.confidential = s.add_client(name="Confidential app")
    s.user = s.add_user()
    rx = Receiver(port, status=503)
    s.start()
    try:
        reuse(s)
        assert wait_for(lambda: len(rx.got) >= 2)
        rx.status = 204
        assert wait_for(lambda: undelivered(s) == [])
        ids = set()
        for (headers, body), raw in zip(rx.got, rx.raw):
            h = {k.lower(): v for k, v in headers.items()}
            ids.add(h["webhook-id"])
            assert h["webhook-id"] == "alert_%d" % body["id"]
            assert abs(int(h["webhook-timestamp"]) - time.time()) < 30
            signed = ("%s.%s." % (h["webhook-id"], h["webhook-timestamp"])
                      ).encode() + raw
            want = base64.b64encode(hmac.new(SECRET_KEY, signed,
                                             hashlib.sha256).digest())
            assert h["webhook-signature"] == "v1," + want.decode()
        # every attempt at the one alert: one id, for the receiver to
        # drop a copy
        assert len(ids) == 1 and len(rx.got) >= 3
    finally:
        rx.close()
        assert s.stop() == 0


def test_unsigned_without_a_secret(hooked):
    rx = Receiver(hooked.hook_port)
    try:
        reuse(hooked)
        assert wait_for(lambda: rx.got)
        h = {k.lower(): v for k, v in rx.got[0][0].items()}
        assert h["webhook-id"] == "alert_%d" % rx.got[0][1]["id"]
        assert "webhook-signature" not in h
    finally:
        rx.close()
