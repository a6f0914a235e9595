"""Durability under a crash: kill -9 the server while it redeems codes,
rotates refresh tokens and revokes tokens, restart it on the same database,
and check that everything it acknowledged is still in force (issue 4)."""
import signal
import threading
import time

import requests

from conftest import Browser, Server, auth_params, pkce_pair, redirect_params

LOAD_SECONDS = 1.5


def token(server, client, data):
    return requests.post(server.base + "/token", data=data, timeout=10,
                         auth=(client["client_id"], client["client_secret"]))


def introspect(server, client, tok):
    return requests.post(server.base + "/introspect", data={"token": tok},
                         timeout=10, auth=(client["client_id"],
                                           client["client_secret"])).json()


def codes(server, client, n):
    """n fresh codes through one signed-in browser (consent remembered)."""
    b = Browser(server)
    out = []
    for _ in range(n):
        verifier, challenge = pkce_pair()
        r = b.authorize(auth_params(client, challenge))
        _, q = redirect_params(r)
        out.append((q["code"][0], verifier))
    return out


def redeem(server, client, code, verifier):
    return token(server, client, {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": client["redirect_uri"]})


def test_acknowledged_writes_survive_kill_9(tmp_path):
    s = Server(tmp_path)
    c = s.add_client()
    s.add_user()
    s.start()
    pending = codes(s, c, 60)
    first = redeem(s, c, *pending.pop()).json()
    victims = [redeem(s, c, *pending.pop()).json()["access_token"]
               for _ in range(5)]

    redeemed, rotated, revoked = [], [], []
    stop = threading.Event()

    def redeemer():
        while pending and not stop.is_set():
            code, verifier = pending.pop()
            try:
                if redeem(s, c, code, verifier).status_code == 200:
                    redeemed.append((code, verifier))
            except requests.RequestException:
                return

    def refresher():
        rt = first["refresh_token"]
        while not stop.is_set():
            try:
                r = token(s, c, {"grant_type": "refresh_token",
                                 "refresh_token": rt})
            except requests.RequestException:
                return
            if r.status_code != 200:
                return
            rotated.append(rt)	# acknowledged: rt is now spent
            rt = r.json()["refresh_token"]

    def revoker():
        for tok in victims:
            try:
                r = requests.post(s.base + "/revoke", data={"token": tok},
                                  timeout=10, auth=(c["client_id"],
                                                    c["client_secret"]))
            except requests.RequestException:
                return
            if r.status_code == 200:
                revoked.append(tok)
            time.sleep(0.1)

    threads = [threading.Thread(target=f) for f in
               (redeemer, refresher, revoker)]
    for t in threads:
        t.start()
    time.sleep(LOAD_SECONDS)
    s.proc.send_signal(signal.SIGKILL)	# no drain, no cleanup
    s.proc.wait()
    stop.set()
    for t in threads:
        t.join(timeout=15)
    s.log.close()
    s.proc = None
    assert redeemed and rotated and revoked, "no load was acknowledged"
    print("acknowledged before the kill: %d redeemed, %d rotated, %d "
          "revoked" % (len(redeemed), len(rotated), len(revoked)))

    s.start()
    try:
        for tok in revoked:
            assert introspect(s, c, tok) == {"active": False}
        for code, verifier in redeemed:
            r = redeem(s, c, code, verifier)
            assert r.status_code == 400
            assert r.json()["error"] == "invalid_grant"
        # the oldest spent refresh token is refused (and revokes the family)
        r = token(s, c, {"grant_type": "refresh_token",
                         "refresh_token": rotated[0]})
        assert r.status_code == 400 and r.json()["error"] == "invalid_grant"
        for rt in rotated[1:]:
            r = token(s, c, {"grant_type": "refresh_token",
                             "refresh_token": rt})
            assert r.status_code == 400
    finally:
        assert s.stop() == 0
