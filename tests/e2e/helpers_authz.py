"""Helpers shared by the authorization, browser-security, HTTP-limit and
admin-command tests (on top of conftest's Server and Browser)."""
import contextlib
import json
import re
import socket
import time
import urllib.parse

from conftest import Browser, Server, auth_params, pkce_pair, redirect_params

HTML = "text/html"


# -- servers ---------------------------------------------------------------
def assert_clean_exit(server, rc):
    log = server.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, "server exit code %d\n%s" % (rc, log[-4000:])


def set_config(server, **config):
    with open(server.conf) as f:
        c = json.load(f)
    c.update(config)
    with open(server.conf, "w") as f:
        json.dump(c, f)


@contextlib.contextmanager
def running(tmp_path, setup=None, **config):
    """A started server with a custom config, stopped and checked on exit."""
    s = Server(tmp_path, setup="standard", **config)
    if setup:
        setup(s)
    s.start()
    try:
        yield s
    finally:
        if s.proc is not None:
            assert_clean_exit(s, s.stop())


# -- authorization responses -----------------------------------------------
def assert_error_page(r, status=400):
    """An HTML error page: never a redirect back to the client."""
    assert r.status_code == status, (r.status_code, r.headers, r.text[:500])
    assert "Location" not in r.headers, r.headers["Location"]
    assert r.headers["Content-Type"].startswith(HTML)
    assert "code=" not in r.text


def assert_error_redirect(r, server, client, error, state="st-123"):
    """An error redirect to the client's URI carrying state and iss."""
    assert r.status_code in (302, 303), (r.status_code, r.text[:500])
    loc, q = redirect_params(r)
    assert loc.startswith(client["redirect_uri"] + "?"), loc
    assert q.get("error") == [error], loc
    assert "code" not in q, loc
    assert q.get("iss") == [server.issuer], loc
    if state is None:
        assert "state" not in q, loc
    else:
        assert q.get("state") == [state], loc
    return q


def assert_code_redirect(r, client, state="st-123"):
    assert r.status_code in (302, 303), (r.status_code, r.text[:500])
    loc, q = redirect_params(r)
    assert loc.startswith(client["redirect_uri"] + "?"), loc
    assert "error" not in q, loc
    assert len(q.get("code", [])) == 1, loc
    assert q.get("state") == [state], loc
    return q


def is_login(r):
    return r.status_code == 200 and 'name="gh_action" value="login"' in r.text


def is_consent(r):
    return (r.status_code == 200 and
            'name="gh_action" value="consent"' in r.text)


def fresh_params(client, **extra):
    _, challenge = pkce_pair()
    return auth_params(client, challenge, **extra)


def at_consent(server, client, browser=None, **extra):
    """A browser signed in and looking at the consent page."""
    b = browser or Browser(server)
    r = b.get(fresh_params(client, **extra))
    assert is_login(r), r.text[:500]
    r = b.login(r)
    assert is_consent(r), r.text[:500]
    return b, r


def set_cookie_headers(r):
    """The raw Set-Cookie header lines of a requests response."""
    return r.raw.headers.getlist("Set-Cookie")


def cookie_named(r, name):
    for line in set_cookie_headers(r):
        if line.split("=", 1)[0].strip() == name:
            return line
    return None


def cookie_attrs(line):
    """(name, value, {lowercased attribute: value})."""
    parts = [p.strip() for p in line.split(";")]
    name, _, value = parts[0].partition("=")
    attrs = {}
    for p in parts[1:]:
        k, _, v = p.partition("=")
        attrs[k.strip().lower()] = v.strip()
    return name, value, attrs


def count(server, table, where="1=1", *params):
    return server.query("SELECT count(*) FROM %s WHERE %s" % (table, where),
                        *params)[0][0]


def raw_query_value(location, name):
    """The raw bytes of one query parameter (decoded once, no charset)."""
    query = urllib.parse.urlparse(location).query
    vals = [urllib.parse.unquote_to_bytes(v.replace("+", " "))
            for k, _, v in (p.partition("=") for p in query.split("&"))
            if k == name]
    return vals


# -- raw HTTP --------------------------------------------------------------
class RawResult:
    def __init__(self, status, head, body, closed, complete):
        self.status = status      # int or None (no status line)
        self.head = head          # bytes
        self.body = body
        self.closed = closed      # the server closed the connection
        self.complete = complete  # the body matched Content-Length

    def __repr__(self):
        return "RawResult(%r, closed=%r, complete=%r, head=%r)" % (
            self.status, self.closed, self.complete, self.head[:200])


def read_response(sock, deadline):
    """Read one response (or until close / deadline)."""
    data = b""
    closed = False
    while True:
        if b"\r\n\r\n" in data:
            head, _, body = data.partition(b"\r\n\r\n")
            m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
            if m and len(body) >= int(m.group(1)):
                break
        left = deadline - time.monotonic()
        if left <= 0:
            break
        sock.settimeout(left)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            break
        except (ConnectionResetError, BrokenPipeError):
            closed = True
            break
        if not chunk:
            closed = True
            break
        data += chunk
    head, sep, body = data.partition(b"\r\n\r\n")
    status = None
    m = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    if m:
        status = int(m.group(1))
    complete = False
    if sep:
        m = re.search(rb"(?im)^content-length:\s*(\d+)\s*$", head)
        complete = bool(m) and len(body) == int(m.group(1))
    return RawResult(status, head, body, closed, complete)


def raw_request(port, data, timeout=3.0, half_close=True):
    """Send bytes, read one answer. half_close shuts our write side so the
    server sees the end of input rather than waiting for more."""
    deadline = time.monotonic() + timeout
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (ConnectionResetError, BrokenPipeError):
            return RawResult(None, b"", b"", True, False)
        return read_response(s, deadline)
    finally:
        s.close()
