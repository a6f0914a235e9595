"""A disk that stops making writes durable (issue 4): while fsync fails,
the server acknowledges nothing that needs it. A refresh, a revocation and
a code redemption answer 503 instead of 200; a code may still be issued,
because a code lost to the disk is one nobody can redeem. When the disk is
back, so is the server. SQLite only: PostgreSQL does its own fsyncs."""
import os

import pytest
import requests

from conftest import (PG_URL, ROOT, Browser, Server, auth_params, pkce_pair,
                      redirect_params, token_request)

SHIM = os.path.join(ROOT, "build", "test", "fsync_fail.so")

pytestmark = pytest.mark.skipif(bool(PG_URL), reason="SQLite's fsync only")


def code_of(browser, client):
    verifier, challenge = pkce_pair()
    r = browser.authorize(auth_params(client, challenge))
    assert r.status_code in (302, 303), r.text
    _, q = redirect_params(r)
    return q["code"][0], verifier


def redeem(server, client, code, verifier):
    return token_request(server, client, {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": client["redirect_uri"]})


def unavailable(r):
    assert r.status_code == 503, (r.status_code, r.text)
    assert r.json() == {"error": "temporarily_unavailable"}
    assert "token" not in r.text


def test_nothing_acknowledged_while_fsync_fails(tmp_path, monkeypatch):
    assert os.path.exists(SHIM), "make build/test/fsync_fail.so"
    fault = tmp_path / "fsync-fails"
    monkeypatch.setenv("LD_PRELOAD", SHIM)
    monkeypatch.setenv("GH_FAULT_FSYNC", str(fault))
    # the shim comes before ASan's runtime in the library list
    monkeypatch.setenv("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0:"
                       "verify_asan_link_order=0")
    s = Server(tmp_path)
    c = s.add_client()
    s.add_user()
    s.start()
    try:
        b = Browser(s)
        first = redeem(s, c, *code_of(b, c))
        assert first.status_code == 200
        tokens = first.json()

        fault.touch()
        # rotation, revocation and redemption all need the disk
        unavailable(token_request(s, c, {
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"]}))
        unavailable(requests.post(
            s.base + "/revoke", data={"token": tokens["access_token"]},
            auth=(c["client_id"], c["client_secret"])))
        code, verifier = code_of(b, c)		# issued without waiting
        unavailable(redeem(s, c, code, verifier))

        fault.unlink()
        again = redeem(s, c, *code_of(b, c))
        assert again.status_code == 200, again.text
        assert "access_token" in again.json()
    finally:
        rc = s.stop()
    log = s.log_text()
    assert "store_sync_failed" in log
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, log[-4000:]
