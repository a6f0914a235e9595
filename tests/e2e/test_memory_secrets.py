"""Tokens do not outlive their use in the server's memory: every block that
held an issued access or refresh token, a JWT access token or an
authorization code is wiped before it is freed (the JSON of the token
response, the response body, the body and the header copies
libmicrohttpd sends, cjose's parts of a JWS), so a heap read or a core
dump later finds none. The free_watch shim reports every freed block
that still holds one."""
import json
import re

from conftest import REDIRECT, Server, get_code, preload_shim
from helpers_token import exchange, refresh

WATCHED = re.compile(r"free_watch: (\S+)")


def watched(s, monkeypatch):
    preload_shim(monkeypatch, "free_watch")
    # what is freed before the shim knows the real free() is kept, and
    # LeakSanitizer would call that a leak
    monkeypatch.setenv("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0:"
                       "verify_asan_link_order=0")
    s.start()


def freed(s):
    """What the shim saw freed, once the server stopped."""
    assert s.stop() == 0
    seen = set(WATCHED.findall(s.log_text()))
    # the shim watched this server (it reports a probe of its own)
    assert "gate_at_shim_is_watching" in seen, "the watch was not on"
    return seen


def test_issued_tokens_are_wiped_before_their_memory_is_freed(
        tmp_path, monkeypatch):
    s = Server(tmp_path, setup="standard")
    watched(s, monkeypatch)
    c = s.confidential
    code, verifier, _ = get_code(s, c)
    first = exchange(s, c, code, verifier)
    assert first.status_code == 200, first.text
    second = refresh(s, c, first.json()["refresh_token"])
    assert second.status_code == 200, second.text
    seen = freed(s)
    # never one the server issued, nor the one the refresh presented
    issued = {first.json()["access_token"], first.json()["refresh_token"],
              second.json()["access_token"], second.json()["refresh_token"]}
    assert not issued & seen, sorted(issued & seen)


def test_jwt_access_tokens_and_codes_are_wiped_too(tmp_path, monkeypatch):
    """A JWT access token is a bearer token too: the server's copy and
    cjose's (its compact form and its parts) are wiped; so are the copies
    libmicrohttpd makes of response header values (the Location that
    carries the code)."""
    s = Server(tmp_path)
    c = json.loads(s.cli("client", "add", "--name", "JWT app", "--owner",
                         "team", "--redirect-uri", REDIRECT, "--scope",
                         "openid offline_access", "--access-token-format",
                         "jwt", "--json").stdout)
    c.update(redirect_uri=REDIRECT, auth_method="client_secret_basic")
    s.add_user()
    watched(s, monkeypatch)
    code, verifier, _ = get_code(s, c)
    r = exchange(s, c, code, verifier)
    assert r.status_code == 200, r.text
    at = r.json()["access_token"]
    assert at.count(".") == 2, at
    seen = freed(s)
    assert not [f for f in seen if at in f]
    assert not [f for f in seen if f.startswith(code)]
