"""Tokens do not outlive their use in the server's memory: every block that
held an issued access or refresh token is wiped before it is freed (the
JSON of the token response, the response body, the body libmicrohttpd
sends), so a heap read or a core dump later finds none. The free_watch
shim reports every freed block that still holds a token."""
import re

from conftest import Server, get_code, preload_shim
from helpers_token import exchange, refresh

WATCHED = re.compile(r"free_watch: (gate_(?:at|rt)_[A-Za-z0-9_-]*)")


def test_issued_tokens_are_wiped_before_their_memory_is_freed(
        tmp_path, monkeypatch):
    s = Server(tmp_path, setup="standard")
    preload_shim(monkeypatch, "free_watch")
    # what is freed before the shim knows the real free() is kept, and
    # LeakSanitizer would call that a leak
    monkeypatch.setenv("ASAN_OPTIONS", "detect_leaks=0:abort_on_error=0:"
                       "verify_asan_link_order=0")
    s.start()
    c = s.confidential
    code, verifier, _ = get_code(s, c)
    first = exchange(s, c, code, verifier)
    assert first.status_code == 200, first.text
    second = refresh(s, c, first.json()["refresh_token"])
    assert second.status_code == 200, second.text
    assert s.stop() == 0
    freed = set(WATCHED.findall(s.log_text()))
    # the shim watched this server (it reports a probe of its own)
    assert "gate_at_shim_is_watching" in freed, "the watch was not on"
    # never one the server issued, nor the one the refresh presented
    issued = {first.json()["access_token"], first.json()["refresh_token"],
              second.json()["access_token"], second.json()["refresh_token"]}
    assert not issued & freed, sorted(issued & freed)
