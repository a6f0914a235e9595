"""HTTP limits and robustness: oversized bodies, URIs, headers and
parameters are refused with a 4xx; garbage never yields a 5xx, a crash or
a hang; routing errors are 404/405. (Slow clients and SIGTERM:
test_http_lifecycle.py.)"""
import json
import random
import re
import socket
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from conftest import Browser, Server
from helpers_authz import fresh_params, raw_request, running

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def assert_4xx(r, *allowed):
    status = r.status_code if hasattr(r, "status_code") else r.status
    assert status is not None and 400 <= status < 500, r
    if allowed:
        assert status in allowed, r


def get_answer(url, timeout=3):
    """GET that turns 'no answer' into a clear test failure."""
    try:
        return requests.get(url, timeout=timeout)
    except (requests.Timeout, requests.ConnectionError) as e:
        pytest.fail("no HTTP answer (connection held or dropped): %r" % e)


def healthy(server):
    r = requests.get(server.base + "/healthz", timeout=5)
    assert r.status_code == 200 and r.json() == {"status": "ok"}


# -- sizes -----------------------------------------------------------------
@pytest.mark.parametrize("path", ["/token", "/authorize", "/revoke",
                                  "/introspect"])
def test_body_over_16k_with_content_length_is_413(server, path):
    body = "grant_type=authorization_code&pad=" + "a" * (16 * 1024)
    r = requests.post(server.base + path, data=body, headers=FORM)
    assert r.status_code == 413, r.text[:300]
    healthy(server)


def test_body_of_exactly_16k_is_not_413(server):
    body = "grant_type=x&pad=" + "a" * (16 * 1024 - len("grant_type=x&pad="))
    r = requests.post(server.base + "/token", data=body, headers=FORM)
    assert r.status_code != 413 and r.status_code < 500


@pytest.mark.parametrize("path", ["/token", "/authorize"])
def test_chunked_body_over_16k_is_413(server, path):
    """libmicrohttpd 0.9.75 cannot queue a reply while a body is coming
    in, so the rest of it is read and dropped and the 413 goes out at its
    end (server.c on_request)."""
    def chunks():
        yield b"grant_type=authorization_code&pad="
        for _ in range(20):
            yield b"a" * 1024
    r = requests.post(server.base + path, data=chunks(), headers=FORM,
                      timeout=5)
    assert r.request.headers.get("Transfer-Encoding") == "chunked"
    assert r.status_code == 413, r.text[:300]
    assert r.json()["error"] == "invalid_request"
    assert r.headers["Connection"] == "close"
    healthy(server)


def test_endless_chunked_body_is_cut_off(server):
    """A client that keeps sending chunks (each one resets the idle
    timeout) is not read for ever: past 16 KiB it is only dropped, and
    past 1 MiB more the connection is closed without an answer."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=4)
    sent, closed_after = 0, None
    t = time.monotonic()
    try:
        s.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n")
        s.settimeout(0.05)
        while time.monotonic() - t < 10:
            try:
                s.sendall(b"10000\r\n" + b"a" * 0x10000 + b"\r\n")
                sent += 0x10000
                data = s.recv(4096)
            except socket.timeout:
                continue
            except OSError:         # reset, broken pipe
                data = b""
            assert not data.startswith(b"HTTP/"), data[:200]
            closed_after = time.monotonic() - t
            break
    finally:
        s.close()
    assert closed_after is not None, "still reading after %d bytes" % sent
    # what the kernel's buffers took on top of what the server read
    assert 1024 * 1024 < sent <= 32 * 1024 * 1024, sent
    assert '"reason":"body_too_large"' in server.log_text()
    healthy(server)


@pytest.mark.parametrize("framing", [
    b"Transfer-Encoding: gzip\r\n",
    b"Transfer-Encoding: xchunked\r\n",
    b"Transfer-Encoding: chunked, identity\r\n",
    b"Transfer-Encoding: gzip, chunked\r\n",
    b"Transfer-Encoding: chunked\r\nContent-Length: 0\r\n",
    b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
    # either header twice: a front proxy may take the other one
    b"Content-Length: 3\r\nContent-Length: 3\r\n",
    b"Content-Length: 0\r\nContent-Length: 3\r\n",
    b"Content-Length: 40000\r\nContent-Length: 3\r\n",
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
    b"Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n",
    b"Transfer-Encoding: chunked\r\nX-A: b\r\n"
    b"transfer-encoding: chunked\r\n",
])
def test_undelimitable_body_is_400_at_once(server, framing):
    """RFC 9112 6.3: a coding other than chunked alone, chunked with
    Content-Length, or either header twice (even with equal values) is
    refused before the body is read, and the server closes the connection;
    the client keeps its side open, so a server that waited for the body
    would time out here."""
    t = time.monotonic()
    s = socket.create_connection(("127.0.0.1", server.port), timeout=4)
    try:
        s.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n" +
                  framing + b"\r\na=b")
        data = b""
        while True:     # until the server closes; a timeout fails
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    assert time.monotonic() - t < 2.5
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 "), data[:300]
    assert b"\r\nconnection: close" in head.lower(), head
    assert json.loads(body)["error"] == "invalid_request"
    healthy(server)


def test_chunked_http10_request_is_400_and_closed(server):
    """RFC 9112 6.1: Transfer-Encoding in an HTTP/1.0 message is faulty
    framing, even with keep-alive asked for: 400 and the connection
    closed, so a second request behind it is never read."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=4)
    try:
        s.sendall(b"POST /token HTTP/1.0\r\nHost: x\r\n"
                  b"Connection: keep-alive\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n"
                  b"3\r\na=b\r\n0\r\n\r\n"
                  b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
        data = read_until_closed(s)
    finally:
        s.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.") and b" 400 " in head.split(
        b"\r\n")[0], data[:300]
    assert json.loads(body)["error"] == "invalid_request"
    assert data.count(b"\r\n\r\n") == 1, data      # one reply only
    healthy(server)


def read_until_closed(sock, limit=4.0):
    """Everything the server sends until it closes; a timeout fails."""
    data = b""
    deadline = time.monotonic() + limit
    while True:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            pytest.fail("connection left open: %r" % data[:300])
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def test_repeated_content_length_does_not_smuggle_a_request(server):
    """Content-Length 0 then 40: a server taking the first value would
    answer the POST and then the GET hidden in its body, while a proxy
    taking the last would see one request. One refusal, nothing more."""
    hidden = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    s = socket.create_connection(("127.0.0.1", server.port), timeout=4)
    try:
        s.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n"
                  b"Content-Length: 0\r\nContent-Length: %d\r\n\r\n"
                  % len(hidden) + hidden)
        data = read_until_closed(s)
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.1 400 "), data[:300]
    assert data.count(b"HTTP/1.1 ") == 1, data
    body = data.partition(b"\r\n\r\n")[2]
    assert json.loads(body)["error_description"] == \
        "Content-Length must appear once"
    healthy(server)


@pytest.mark.parametrize("name", [b"Content-Length ", b"Content-Length\t",
                                  b"Transfer-Encoding ", b"Bad Name"])
def test_header_name_with_whitespace_does_not_smuggle_a_request(server,
                                                                name):
    """RFC 9112 5.1: whitespace between a field name and its colon is a
    400. libmicrohttpd takes "Content-Length : N" for some other header
    and reads no body, so a proxy that trims the name and sends N bytes
    of body would have them read here as a second request. One refusal,
    the connection closed, the hidden GET never answered."""
    hidden = b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
    value = b"chunked" if name.startswith(b"Transfer") else \
        b"%d" % len(hidden)
    s = socket.create_connection(("127.0.0.1", server.port), timeout=4)
    try:
        s.sendall(b"POST /token HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-www-form-urlencoded\r\n" +
                  name + b": " + value + b"\r\n\r\n" + hidden)
        data = read_until_closed(s)
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.1 400 "), data[:300]
    assert data.count(b"HTTP/1.1 ") == 1, data
    head, _, body = data.partition(b"\r\n\r\n")
    assert b"\r\nconnection: close" in head.lower(), head
    assert json.loads(body)["error_description"] == \
        "malformed header field name"
    healthy(server)


@pytest.mark.parametrize("target", [b"/healthz\x00.css", b"/healthz\x00",
                                    b"/healthz?a=1\x00&b=2"])
def test_nul_in_request_target_is_400(server, target):
    """RFC 9112 3.2: a NUL byte has no place in a request target. Cut at
    it, "/admin/action\\0.css" would be routed as /admin/action while a
    front proxy filtering on the whole target saw a stylesheet; refused,
    and the connection closed."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=4)
    try:
        s.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        data = read_until_closed(s)
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.1 400 "), data[:300]
    assert json.loads(data.partition(b"\r\n\r\n")[2])[
        "error_description"] == "NUL byte in the request line"
    healthy(server)
    # the same request without the NUL is answered as ever
    r = raw_request(server.port, b"GET /healthz?a=1&b=2 HTTP/1.1\r\n"
                    b"Host: x\r\n\r\n", half_close=False, timeout=4)
    assert r.status == 200, r


@pytest.mark.parametrize("head,why", [
    (b"GET /healthz HTTP/1.1\r\n", "HTTP/1.1 needs a Host header"),
    (b"GET /healthz HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n",
     "Host must appear once"),
    (b"GET /healthz HTTP/1.0\r\nHost: x\r\nHost: x\r\n",
     "Host must appear once"),
    (b"GET /healthz HTTP/1.1\r\nHost: user@x/y\r\n",
     "malformed Host header")])
def test_host_missing_repeated_or_malformed_is_400(server, head, why):
    """RFC 9112 3.2: an HTTP/1.1 request without Host, or any with Host
    twice or a value that is no host[:port], MUST be 400: which origin it
    names would be a guess, and a proxy may have routed it by another.
    They were answered 200."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=4)
    try:
        s.sendall(head + b"\r\n")
        data = read_until_closed(s)
    finally:
        s.close()
    assert data.startswith(b"HTTP/1.") and b" 400 " in data[:13], data[:300]
    assert json.loads(data.partition(b"\r\n\r\n")[2])[
        "error_description"] == why
    # HTTP/1.0 needs no Host; one good Host is answered as ever
    for ok in (b"GET /healthz HTTP/1.0\r\n\r\n",
               b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n"):
        r = raw_request(server.port, ok, half_close=False, timeout=4)
        assert r.status == 200, (ok, r)


def test_a_target_in_absolute_form_is_accepted(server):
    """RFC 9112 3.2.2: a server MUST accept a target in absolute-form
    (what a client sends to a proxy, and may send to any server). It was
    404; it is routed by its path and query as in origin-form."""
    for target in (b"http://127.0.0.1/healthz",
                   b"HTTP://example.test:1/.well-known/openid-configuration"
                   b"?x=1"):
        r = raw_request(server.port, b"GET " + target + b" HTTP/1.1\r\n"
                        b"Host: x\r\n\r\n", half_close=False, timeout=4)
        assert r.status == 200, (target, r)
    r = raw_request(server.port, b"GET http://127.0.0.1/nope HTTP/1.1\r\n"
                    b"Host: x\r\n\r\n", half_close=False, timeout=4)
    assert r.status == 404, r


def test_chunked_body_is_still_read(server):
    r = raw_request(server.port, b"POST /token HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Transfer-Encoding: Chunked\r\n\r\n"
                    b"13\r\ngrant_type=password\r\n0\r\n\r\n",
                    half_close=False, timeout=4)
    # the token endpoint's own answer, not the framing refusal
    assert r.status in (400, 401), r
    assert "Transfer-Encoding" not in json.loads(r.body).get(
        "error_description", ""), r.body


def test_huge_content_length_is_refused_before_reading(server):
    t = time.monotonic()
    r = raw_request(server.port, b"POST /token HTTP/1.1\r\nHost: x\r\n"
                    b"Content-Type: application/x-www-form-urlencoded\r\n"
                    b"Content-Length: 10000000000\r\n\r\n", half_close=False)
    assert r.status == 413, r
    assert time.monotonic() - t < 2.5
    healthy(server)


@pytest.mark.parametrize("path", ["/authorize", "/healthz", "/token"])
def test_query_over_8k_is_refused(server, path):
    r = get_answer(server.base + path + "?state=" + "a" * (8 * 1024 + 10))
    assert_4xx(r)
    healthy(server)


@pytest.mark.parametrize("size", [10 * 1024, 60 * 1024])
def test_query_over_8k_of_many_arguments_is_refused(server, size):
    """The same limit when the query is thousands of tiny arguments."""
    r = get_answer(server.base + "/authorize?" + "a&" * (size // 2))
    assert_4xx(r)
    healthy(server)


def test_headers_over_16k_total_are_refused(server):
    """Many moderate headers adding up to ~24 KiB."""
    headers = {"X-Pad-%d" % i: "p" * 1000 for i in range(24)}
    r = requests.get(server.base + "/healthz", headers=headers)
    assert_4xx(r, 400, 413, 431)
    healthy(server)


def test_single_header_over_16k_is_refused(server):
    r = requests.get(server.base + "/healthz",
                     headers={"X-Big": "b" * (20 * 1024)})
    assert_4xx(r, 400, 413, 431)
    healthy(server)


def test_huge_headers_are_refused(server):
    r = requests.get(server.base + "/healthz",
                     headers={"X-Huge": "b" * (64 * 1024)})
    assert_4xx(r, 400, 413, 431)
    healthy(server)


def test_cookie_header_over_limit_does_not_break_authorize(server):
    r = requests.get(server.base + "/authorize",
                     params=fresh_params(server.confidential),
                     headers={"Cookie": "gh_csrf=" + "c" * 5000})
    assert r.status_code < 500
    healthy(server)


def many_params(n):
    return "&".join("p%d=v" % i for i in range(n))


@pytest.mark.parametrize("n,status", [(65, 400), (100, 400), (500, 400),
                                      (2000, 414)])
def test_too_many_parameters_in_query_refused(server, n, status):
    """A query within the URI limit but with too many parameters is a bad
    request (400), not content too large (413, kept for bodies); one past
    the URI limit is 414 before it is read."""
    r = get_answer(server.base + "/authorize?" + many_params(n))
    assert_4xx(r, status)
    if status == 400:
        assert r.headers["Content-Type"].startswith("text/html")
        assert "too many or too long parameters" in r.text


@pytest.mark.parametrize("n", [65, 500])
def test_too_many_parameters_in_body_refused(server, n):
    c = server.confidential
    r = requests.post(server.base + "/token", data=many_params(n),
                      headers=FORM, auth=(c["client_id"], c["client_secret"]))
    assert_4xx(r)
    r = requests.post(server.base + "/authorize", data=many_params(n),
                      headers=FORM)
    assert_4xx(r, 413)          # a body: its content is too large


def test_many_empty_pairs_are_bounded(server):
    r = get_answer(server.base + "/authorize?" + "&=" * 2000)
    assert_4xx(r, 400)


def test_refused_many_argument_uris_do_not_leak_or_hang(tmp_path):
    """A URI under 8 KiB with hundreds of arguments: answered at once with
    a 4xx, and no per-request state is leaked (LeakSanitizer at exit)."""
    with running(tmp_path, connection_timeout_seconds=2) as s:
        for n in (400, 1000):
            line = b"GET /authorize?" + "&".join(
                "a%d=b" % i for i in range(n)).encode()
            assert len(line) < 8192
            t = time.monotonic()
            r = raw_request(s.port, line + b" HTTP/1.1\r\nHost: x\r\n"
                            b"Connection: close\r\n\r\n", timeout=3,
                            half_close=False)
            assert r.status is not None and 400 <= r.status < 500, r
            assert time.monotonic() - t < 1.5
        healthy(s)


def test_parameter_value_over_4k_refused(server):
    c = server.confidential
    r = Browser(server).get(fresh_params(c, state="s" * 4097))
    assert_4xx(r, 400)          # in a query: a bad request, not 413
    assert "Location" not in r.headers
    r = requests.post(server.base + "/token",
                      data={"grant_type": "authorization_code",
                            "code": "c" * 5000, "code_verifier": "v" * 50},
                      auth=(c["client_id"], c["client_secret"]))
    assert_4xx(r)


def test_parameter_name_too_long_refused(server):
    r = requests.get(server.base + "/authorize?" + "n" * 300 + "=v")
    assert_4xx(r, 400)


# -- routing ---------------------------------------------------------------
@pytest.mark.parametrize("path", ["/nope", "/authorize/", "/token/x",
                                  "/AUTHORIZE", "/.well-known/x", "//"])
def test_unknown_path_is_404_json(server, path):
    r = requests.get(server.base + path)
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"] == "not_found"


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_wrong_method_on_token_is_405_with_allow(server, method):
    r = requests.request(method, server.base + "/token")
    assert r.status_code == 405
    assert r.headers["Allow"] == "POST"
    assert r.json()["error"] == "invalid_request"


def test_wrong_method_on_authorize_is_405_with_allow(server):
    r = requests.delete(server.base + "/authorize")
    assert r.status_code == 405
    assert "GET" in r.headers["Allow"] and "POST" in r.headers["Allow"]


# -- garbage ---------------------------------------------------------------
def garbage_requests(port):
    """~300 malformed or hostile raw requests, deterministic."""
    host = b"Host: 127.0.0.1:%d\r\n" % port
    close = b"Connection: close\r\n"
    base = [
        b"GET /authorize?client_id=%zz HTTP/1.1\r\n" + host + close + b"\r\n",
        b"GET /authorize?client_id=%4 HTTP/1.1\r\n" + host + close + b"\r\n",
        b"GET /authorize?a=%00b HTTP/1.1\r\n" + host + close + b"\r\n",
        b"GET /authorize?state=%ff%fe%c0%af HTTP/1.1\r\n" + host + close +
        b"\r\n",
        b"GET /authorize?\xff\xfe=\xc0\xaf HTTP/1.1\r\n" + host + close +
        b"\r\n",
        b"GET /\x00/x HTTP/1.1\r\n" + host + close + b"\r\n",
        b"GET /healthz HTTP/1.1\r\n" + host + b"X: a\x00b\r\n" + close +
        b"\r\n",
        b"BREW /token HTTP/1.1\r\n" + host + close + b"\r\n",
        b"PROPFIND /authorize HTTP/1.1\r\n" + host + close + b"\r\n",
        b"CONNECT 127.0.0.1:22 HTTP/1.1\r\n" + host + close + b"\r\n",
        b"OPTIONS * HTTP/1.1\r\n" + host + close + b"\r\n",
        b"TRACE / HTTP/1.1\r\n" + host + close + b"\r\n",
        b"GET " + b"/" * 5000 + b" HTTP/1.1\r\n" + host + close + b"\r\n",
        b"GET /../../../../etc/passwd HTTP/1.1\r\n" + host + close + b"\r\n",
        b"GET http://evil.example/authorize HTTP/1.1\r\n" + host + close +
        b"\r\n",
        b"GET /%2e%2e/%2e%2e HTTP/1.1\r\n" + host + close + b"\r\n",
        b"GET /healthz\r\n\r\n",
        b"GET /\r\n\r\n",
        b"GET /healthz HTTP/9.9\r\n" + host + close + b"\r\n",
        b"GET /healthz HTTP/1.1\r\n" + close + b"\r\n",     # no Host
        b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n" + close + b"\r\n",
        b"GET  /healthz  HTTP/1.1\r\n" + host + close + b"\r\n",
        b"\r\n\r\n\r\n",
        b"GET /healthz HTTP/1.1\n" + host.replace(b"\r\n", b"\n") + b"\n",
        b"GET /healthz HTTP/1.1\r\n" + host + b"Bad Header\r\n" + close +
        b"\r\n",
        b"GET /healthz HTTP/1.1\r\n" + host + b" folded: x\r\n" + close +
        b"\r\n",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Content-Length: 99999999999999999999999\r\n\r\n",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Content-Length: -5\r\n\r\n",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nabcdef",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nab\r\n",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Authorization: Basic YTpi\r\nAuthorization: Basic YzpK\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 18\r\n\r\ngrant_type=refresh",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Authorization: Basic !!!!\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 3\r\n\r\na=b",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Authorization: Basic " + b"QUFB" * 600 + b"\r\n"
        b"Content-Length: 0\r\n\r\n",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Authorization: Bearer x\r\nContent-Length: 0\r\n\r\n",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        b"POST /token HTTP/1.1\r\n" + host + close +
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: 7\r\n\r\na\x00=b%zz",
        b"POST /authorize HTTP/1.1\r\n" + host + close +
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Cookie: gh_csrf=a; gh_csrf=b; gh_session=x; gh_session=y\r\n"
        b"Content-Length: 15\r\n\r\ngh_action=login",
        b"GET /authorize HTTP/1.1\r\n" + host + close +
        b"Cookie: " + b"a=b; " * 100 + b"\r\n\r\n",
        b"GET /authorize HTTP/1.1\r\n" + host + close +
        b"Cookie: gh_session=\"\x01\"\r\n\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(range(32)) +
        b"\r\n\r\n",                                         # TLS hello
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",                  # h2 preface
    ]
    rng = random.Random(20240601)
    out = list(base)
    while len(out) < 300:
        req = bytearray(rng.choice(base))
        for _ in range(rng.randint(1, 6)):
            op = rng.randrange(4)
            pos = rng.randrange(len(req) + 1)
            if op == 0 and req:
                req[min(pos, len(req) - 1)] = rng.randrange(256)
            elif op == 1:
                req[pos:pos] = bytes(rng.choice(
                    [b"%", b"%0", b"\x00", b"\xff", b"&", b"=", b"\r\n",
                     b" ", b"?", b"%c3%28", b"A" * rng.randint(1, 3000)]))
            elif op == 2 and req:
                del req[pos:pos + rng.randint(1, 8)]
            else:
                req[pos:pos] = rng.choice(
                    [b"a=b&", b"%00", b"..", b"//", b"\xe2\x82"])
        if not req.endswith(b"\r\n\r\n"):
            req += b"\r\n\r\n"
        out.append(bytes(req))
    return out


def version_not_supported(data, r):
    """505 is the one 5xx that is the right answer to a client's request
    (RFC 9110 15.6.6): allowed only when the version really is not 1.x."""
    line = data.split(b"\r\n", 1)[0].split(b"\n", 1)[0]
    return r.status == 505 and not re.search(rb" HTTP/1\.[01]$", line)


def test_garbage_never_yields_5xx_or_kills_server(tmp_path):
    with running(tmp_path, connection_timeout_seconds=2) as s:
        reqs = garbage_requests(s.port)
        with ThreadPoolExecutor(max_workers=16) as ex:
            results = list(ex.map(
                lambda d: (d, raw_request(s.port, d, timeout=4)), reqs))
        bad = [(d[:120], r) for d, r in results
               if r.status is not None and r.status >= 500 and
               not version_not_supported(d, r)]
        assert not bad, bad[:5]
        # anything that got no status line was closed (not left hanging)
        hung = [(d[:120], r) for d, r in results
                if r.status is None and not r.closed]
        assert not hung, hung[:5]
        answered = sum(1 for _, r in results if r.status is not None)
        assert answered > 100
        healthy(s)
        assert s.proc.poll() is None


def test_garbage_via_requests_never_yields_5xx(server):
    c = server.confidential
    base = server.base
    cases = [
        ("GET", "/authorize?client_id=%", None, {}),
        ("GET", "/authorize?client_id=" + c["client_id"] + "%00", None, {}),
        ("GET", "/authorize?state=%ff%fe&client_id=" + c["client_id"] +
         "&redirect_uri=" + c["redirect_uri"], None, {}),
        ("GET", "/authorize?scope=" + "%20" * 2000, None, {}),
        ("POST", "/authorize", b"client_id=%ZZ", FORM),
        ("POST", "/authorize", b"\xff\xfe\xfd", FORM),
        ("POST", "/authorize", "client_id=" + c["client_id"], {}),
        ("POST", "/token", b"grant_type=authorization_code&code=%00",
         FORM),
        ("POST", "/token", b"grant_type=%C0%AF", FORM),
        ("POST", "/token", b"grant_type=refresh_token&refresh_token=" +
         b"\xc3\x28" * 100, FORM),
        ("POST", "/token?grant_type=authorization_code", b"", FORM),
        ("POST", "/revoke", b"token=%", FORM),
        ("POST", "/introspect", b"token=" + b"x" * 4000, FORM),
        ("HEAD", "/authorize", None, {}),
        ("GET", "/.well-known/oauth-authorization-server?x=%zz", None, {}),
        ("GET", "/assets/gatehouse.css/..", None, {}),
    ]
    for method, path, body, headers in cases:
        for auth in (None, (c["client_id"], c["client_secret"]),
                     ("\u00e9\u00e9", "x:y"), ("a" * 2000, "b")):
            r = requests.request(method, base + path, data=body,
                                 headers=headers, auth=auth,
                                 allow_redirects=False, timeout=5)
            assert r.status_code < 500, (method, path, auth, r.status_code,
                                         r.text[:200])
    healthy(server)


def test_two_authorization_headers_are_refused(server):
    r = raw_request(server.port, (
        "POST /token HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        "Authorization: Basic YTpi\r\nAuthorization: Basic YzpK\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        "Content-Length: 29\r\n\r\ngrant_type=client_credentials").encode())
    assert r.status == 400, r


@pytest.mark.parametrize("hard,raised,lowered", [
    (4096, 1024 + 136, None),       # raised as far as needed
    (512, 512, 512 - 136),          # the hard limit is short: fewer
], ids=["raised", "lowered"])
def test_open_file_limit_fits_max_connections(tmp_path, monkeypatch, hard,
                                              raised, lowered):
    """Every connection is a descriptor, and the store needs its own
    (SQLite's files, PostgreSQL reconnecting, the webhook): at start the
    soft limit is raised to max_connections + 128 + 2 per worker thread
    (4 here: 136), up to the hard limit, and if that is short, fewer
    connections are accepted, said once."""
    import conftest
    s = Server(tmp_path, setup="standard", max_connections=1024, threads=4)
    wrap = tmp_path / "limited"
    wrap.write_text("#!/bin/sh\nexec prlimit --nofile=256:%d %s \"$@\"\n"
                    % (hard, conftest.BIN))
    wrap.chmod(0o755)
    monkeypatch.setattr(conftest, "BIN", str(wrap))
    s.start()
    try:
        assert requests.get(s.base + "/healthz").status_code == 200
        log = s.log_text()
        assert '"event":"open_file_limit_raised","from":"256","to":"%d"' \
            % raised in log, log[-2000:]
        if lowered is None:
            assert "max_connections_lowered" not in log
        else:
            assert ('"event":"max_connections_lowered","configured":'
                    '"1024","now":"%d"' % lowered) in log, log[-2000:]
    finally:
        assert s.stop() == 0

