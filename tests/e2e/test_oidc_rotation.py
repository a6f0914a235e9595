"""Signing key rotation, end to end, against a running server: `keys
rotate` publishes the new key at once (the server reloads its keys every
5 s) while the old key keeps signing for the lead time, so a relying
party's cached JWKS still verifies; after the lead the new kid signs and
the old one stays published. `keys list --json` shows the states; `keys
retire` refuses to leave an algorithm without a key. A key past
publication is deleted by the upkeep pass with a "key.deleted" audit
event, and not deleted while that event cannot be stored."""
import base64
import json
import re
import threading
import time

import pytest
import requests

from conftest import PG_URL, Browser, Server, fail_audit_of, new_pg_database
from helpers_oidc import (add_oidc_client, code_for, get_jwks, jwks_kids,
                          jwt_header, oidc_flow, oidc_server, redeem,
                          verify_id_token)
from helpers_token import assert_clean_stop

LEAD = 4            # seconds: the steps between rotation and redemption
                    # (two admin commands, a JWKS poll) must fit, with
                    # ASan on a loaded machine
TTL = 60
CONF = dict(key_rotation_lead_seconds=LEAD, id_token_ttl_seconds=TTL,
            access_token_ttl_seconds=TTL)
RELOAD = 5          # the server re-reads its keys this often


def keys_list(server):
    out = server.cli("keys", "list", "--json").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def key_of(keys, alg, exclude=()):
    found = [k for k in keys if k["alg"] == alg and k["kid"] not in exclude]
    assert len(found) == 1, keys
    return found[0]


def state(server, kid):
    return {k["kid"]: k for k in keys_list(server)}[kid]["state"]


def poll(fn, timeout, step=0.25):
    """fn() until it returns something truthy; bounded."""
    deadline = time.time() + timeout
    while True:
        v = fn()
        if v:
            return v
        assert time.time() < deadline, "gave up after %.1f s" % timeout
        time.sleep(step)


def at_second_start():
    """Sleep to just after a second boundary: the lead, counted in whole
    seconds from the rotation, then lasts nearly LEAD full seconds."""
    time.sleep(1.02 - (time.time() % 1.0))


def verify(server, client, tok, nonce, jwks=None):
    return verify_id_token(server, client, tok, nonce=nonce, jwks=jwks,
                           id_token_ttl=TTL)


def test_rotation_publish_before_sign(tmp_path):
    with oidc_server(tmp_path, **CONF) as s:
        rs = add_oidc_client(s, "RS256")
        es = add_oidc_client(s, "ES256")
        keys = keys_list(s)
        assert len(keys) == 2
        old = key_of(keys, "RS256")
        old_es = key_of(keys, "ES256")
        assert old["state"] == old_es["state"] == "active", keys
        cached = get_jwks(s)                    # a relying party's cache
        assert sorted(jwks_kids(cached)) == sorted([old["kid"],
                                                    old_es["kid"]])

        b = Browser(s)
        tok, b = oidc_flow(s, rs, browser=b, nonce="n0")
        assert verify(s, rs, tok, "n0", cached)[1]["kid"] == old["kid"]
        t_warm = time.time()    # the server last read its keys before this
        # a code ready, so the exchange right after the rotation is quick
        code, verifier, b = code_for(s, rs, browser=b, nonce="n1")

        # rotate once the server's key ring is due for a reload, so the
        # new key is loaded (published) well before it may sign
        time.sleep(max(0.0, int(t_warm) + RELOAD - time.time()))
        at_second_start()
        t_rot = time.time()
        out = s.cli("keys", "rotate", "--alg", "RS256", "--lead",
                    str(LEAD)).stdout
        keys = keys_list(s)
        new = key_of(keys, "RS256", exclude=(old["kid"],))
        assert len(keys) == 3 and new["kid"] in out, (keys, out)
        assert new["activate_at"] == int(t_rot) + LEAD, (new, t_rot)
        assert new["state"] == "published", new
        assert key_of(keys, "RS256", exclude=(new["kid"],))["state"] == \
            "active"

        # published at once (within one reload), the old key still there
        jwks = poll(lambda: (lambda j: j if new["kid"] in jwks_kids(j)
                             else None)(get_jwks(s)), RELOAD + 1.5)
        assert old["kid"] in jwks_kids(jwks)
        assert old_es["kid"] in jwks_kids(jwks)

        # published but not yet active: the old key still signs, and the
        # JWKS cached before the rotation verifies it
        tok = redeem(s, rs, code, verifier)
        signed_by_old = tok
        payload = tok["id_token"].split(".")[1]
        iat = json.loads(base64.urlsafe_b64decode(
            payload + "=" * (-len(payload) % 4)))["iat"]
        assert iat < new["activate_at"], ("too slow to check", iat, new)
        claims, header = verify(s, rs, tok, "n1", cached)
        assert header["kid"] == old["kid"]

        # after the lead: new ID tokens carry the new kid
        def signed_by_new():
            t, _ = oidc_flow(s, rs, browser=b, nonce="n2")
            return t if jwt_header(t["id_token"])["kid"] == new["kid"] \
                else None
        tok = poll(signed_by_new, LEAD + RELOAD + 3, step=0.5)
        claims, _ = verify(s, rs, tok, "n2")
        assert claims["iat"] >= new["activate_at"]
        verify(s, rs, tok, "n2", jwks)      # the JWKS fetched above has it
        # the old kid is still published (for tokens it signed)
        now_jwks = get_jwks(s)
        assert old["kid"] in jwks_kids(now_jwks)
        assert new["kid"] in jwks_kids(now_jwks)
        assert state(s, old["kid"]) == "retired"
        assert state(s, new["kid"]) == "active"
        assert state(s, old_es["kid"]) == "active"
        # the other algorithm is untouched
        tok, _ = oidc_flow(s, es, browser=b, nonce="n3")
        assert verify(s, es, tok, "n3")[1]["kid"] == old_es["kid"]
        # an ID token the old key signed still verifies with today's JWKS
        verify(s, rs, signed_by_old, "n1", now_jwks)


def test_retire_rules(tmp_path):
    with oidc_server(tmp_path, **CONF) as s:
        rs = add_oidc_client(s, "RS256")
        keys = keys_list(s)
        old, es = key_of(keys, "RS256"), key_of(keys, "ES256")
        # the last key of an alg cannot be retired
        for kid in (old["kid"], es["kid"]):
            r = s.cli("keys", "retire", kid, check=False)
            assert r.returncode != 0, r.stdout
            assert state(s, kid) == "active"
        r = s.cli("keys", "retire", "RS256-doesnotexist", check=False)
        assert r.returncode != 0

        s.cli("keys", "rotate", "--alg", "RS256", "--lead", "0")
        new = key_of(keys_list(s), "RS256", exclude=(old["kid"],))
        # activated, but the old key signs on until every node has had
        # a reload of its ring to publish the new one (RELOAD + 1 s)
        assert state(s, new["kid"]) == "published"
        assert state(s, old["kid"]) == "active"
        assert poll(lambda: state(s, new["kid"]) == "active", RELOAD + 2)
        assert state(s, old["kid"]) == "retired"
        # the new key is now the only one that can sign: refused
        r = s.cli("keys", "retire", new["kid"], check=False)
        assert r.returncode != 0
        assert state(s, new["kid"]) == "active"
        # the superseded one may be retired, once; it stays published
        s.cli("keys", "retire", old["kid"])
        k = {k["kid"]: k for k in keys_list(s)}[old["kid"]]
        assert k["state"] == "retired" and k["retire_at"] > 0, k
        r = s.cli("keys", "retire", old["kid"], check=False)
        assert r.returncode != 0
        jwks = poll(lambda: (lambda j: j if new["kid"] in jwks_kids(j)
                             else None)(get_jwks(s)), RELOAD + 1.5)
        assert old["kid"] in jwks_kids(jwks)
        tok, _ = oidc_flow(s, rs, nonce="n")
        assert verify(s, rs, tok, "n")[1]["kid"] == new["kid"]
        assert "key.retired" in s.audit_types()
        assert "key.created" in s.audit_types()


def test_key_past_publication_deleted_with_audit_event(tmp_path):
    """Destroying a signing key is audited: the upkeep pass deletes a key
    past publication together with its "key.deleted" event, which `audit
    export` shows. While that event cannot be stored the key is not
    deleted (out of the JWKS, signing nothing, still in `keys list`), and
    once it can, a pass deletes it with exactly one event."""
    with oidc_server(tmp_path, upkeep_interval_seconds=1, **CONF) as s:
        old = key_of(keys_list(s), "RS256")
        s.cli("keys", "rotate", "--alg", "RS256", "--lead", "0")
        new = key_of(keys_list(s), "RS256", exclude=(old["kid"],))
        fail_audit_of(s, "key.deleted")
        # it stopped signing longer ago than its window (the token TTL)
        s.execute(("UPDATE signing_keys SET retire_at = ? WHERE kid = ?",
                   (int(time.time()) - 2 * TTL, old["kid"])))
        poll(lambda: old["kid"] not in jwks_kids(get_jwks(s)), RELOAD + 3)
        time.sleep(2.5)                 # a few passes, every one refused
        assert state(s, old["kid"]) == "expired"
        assert "key.deleted" not in s.audit_types()

        s.execute("DROP TRIGGER gh_test_fail" +
                  (" ON audit_events" if s.pg else ""))
        poll(lambda: old["kid"] not in [k["kid"] for k in keys_list(s)], 10)
        assert new["kid"] in [k["kid"] for k in keys_list(s)]
        events = [json.loads(line) for line in
                  s.cli("audit", "export").stdout.splitlines()]
        deleted = [e for e in events if e["type"] == "key.deleted"]
        assert len(deleted) == 1, deleted
        assert deleted[0]["actor"] == "system"
        assert deleted[0]["detail"] == {"kid": old["kid"], "alg": "RS256",
                                        "reason": "past publication"}
        assert s.cli("audit", "verify").returncode == 0
        # the key that signs is untouched
        rs = add_oidc_client(s, "RS256")
        tok, _ = oidc_flow(s, rs, nonce="n")
        assert verify(s, rs, tok, "n")[1]["kid"] == new["kid"]


def key_created_events(s):
    """The key.created events of `audit export`, in order."""
    return [e for e in (json.loads(line) for line in
                        s.cli("audit", "export").stdout.splitlines())
            if e["type"] == "key.created"]


def test_the_first_keys_are_made_with_their_event(tmp_path):
    """The first RS256 and ES256 keys, made by `init` (or by `serve` on a
    database without keys), are recorded like any other: a key.created
    event each, by "system" (before, they had none, and the trail could
    not tell which key signed what from the start)."""
    s = Server(tmp_path)
    kids = {k["kid"] for k in keys_list(s)}
    first = key_created_events(s)
    assert {e["detail"]["kid"] for e in first} == kids, first
    assert all(e["actor"] == "system" and e["detail"]["lead"] == 0
               for e in first), first
    assert s.cli("audit", "verify").returncode == 0


@pytest.mark.skipif(not PG_URL, reason="several nodes need a shared "
                    "PostgreSQL; a SQLite file belongs to one process")
def test_nodes_starting_together_make_one_first_key_per_alg(tmp_path):
    """Two `gatehouse serve` started at the same moment on one empty
    PostgreSQL database each find no signing key and make their first
    ones. The store keeps one node's (checked and inserted under a lock,
    in one transaction); the other uses them. Before, both inserted: two
    first RS256 keys and two first ES256 keys, each with an event."""
    from test_multinode import peer
    for d in ("a", "b"):
        (tmp_path / d).mkdir()
    a = Server(tmp_path / "a")
    a._use_database(new_pg_database())          # empty: not migrated
    with open(a.conf) as f:
        c = json.load(f)
    c["database"] = a.database
    with open(a.conf, "w") as f:
        json.dump(c, f)
    b = peer(a, tmp_path / "b")
    errors = []

    def start(s):
        try:
            s.start()
        except RuntimeError as e:
            errors.append(e)
    threads = [threading.Thread(target=start, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert errors == [], errors
        keys = keys_list(a)
        assert sorted(k["alg"] for k in keys) == ["ES256", "RS256"], keys
        created = key_created_events(a)
        assert sorted(e["detail"]["kid"] for e in created) == \
            sorted(k["kid"] for k in keys), created
        assert a.cli("audit", "verify").returncode == 0
    finally:
        for s in (a, b):
            if s.proc is not None:
                assert_clean_stop(s)


def test_a_rotation_the_trail_cannot_record_is_not_made(tmp_path):
    """The trail is what tells which key signed what: `keys rotate`
    makes a key only together with its key.created event, in one
    transaction (before, when the event could not be stored, the key was
    made and published all the same). With the event refused it exits 1
    saying nothing was done, and no new key is in `keys list` nor, once
    a later rotation is published, in the JWKS."""
    with oidc_server(tmp_path, **CONF) as s:
        before = {k["kid"] for k in keys_list(s)}
        first = key_created_events(s)       # the first keys'
        fail_audit_of(s, "key.created")
        r = s.cli("keys", "rotate", "--lead", "0", check=False)
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert "published" not in r.stdout, r.stdout
        assert "nothing done" in r.stderr, r.stderr
        assert {k["kid"] for k in keys_list(s)} == before
        assert key_created_events(s) == first

        s.execute("DROP TRIGGER gh_test_fail" +
                  (" ON audit_events" if s.pg else ""))
        s.cli("keys", "rotate", "--alg", "ES256", "--lead", "0")
        new = key_of(keys_list(s), "ES256", exclude=before)["kid"]
        assert {k["kid"] for k in keys_list(s)} == before | {new}
        jwks = poll(lambda: (lambda j: j if new in jwks_kids(j)
                             else None)(get_jwks(s)), RELOAD + 1.5)
        assert set(jwks_kids(jwks)) == before | {new}
        created = key_created_events(s)[len(first):]
        assert [e["detail"] for e in created] == [{"kid": new, "lead": 0}]
        assert created[0]["actor"] == "admin"


def fail_key_created_of(s, alg):
    """Like fail_audit_of, for the key.created events of one alg only."""
    when = "NEW.type = 'key.created' AND NEW.detail LIKE '%%\"%s-%%'" % alg
    if s.pg:
        s.execute("CREATE FUNCTION gh_test_fail() RETURNS trigger AS $$"
                  " BEGIN RAISE EXCEPTION 'injected'; END $$"
                  " LANGUAGE plpgsql",
                  "CREATE TRIGGER gh_test_fail BEFORE INSERT ON audit_events"
                  " FOR EACH ROW WHEN (%s) EXECUTE FUNCTION"
                  " gh_test_fail()" % when)
    else:
        s.execute("CREATE TRIGGER gh_test_fail BEFORE INSERT ON audit_events"
                  " WHEN %s BEGIN SELECT RAISE(ABORT, 'injected'); END"
                  % when)


def test_a_rotation_whose_second_half_fails_makes_nothing(tmp_path):
    """`keys rotate` without --alg makes an RS256 key and an ES256 key,
    each with its key.created event, in one transaction. When the ES256
    half cannot be made (its event refused), the RS256 key is not made
    either: before, each key was a transaction of its own and the RS256
    one stayed, so that the command could not honestly say "nothing
    done", and a repeated `keys rotate` made a second RS256 key. It now
    exits 1 saying nothing was done, with no new key and no new event;
    once the fault is gone, the same command makes both."""
    s = Server(tmp_path)
    before = {k["kid"] for k in keys_list(s)}
    first = len(key_created_events(s))     # the first keys'
    fail_key_created_of(s, "ES256")
    r = s.cli("keys", "rotate", "--lead", "0", check=False)
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "nothing done" in r.stderr, r.stderr
    assert "published" not in r.stdout, r.stdout
    assert {k["kid"] for k in keys_list(s)} == before
    assert len(key_created_events(s)) == first
    s.execute("DROP TRIGGER gh_test_fail" + (" ON audit_events" if s.pg
                                             else ""))
    s.cli("keys", "rotate", "--lead", "0")
    after = keys_list(s)
    assert len(after) == len(before) + 2, after
    new_rs = key_of(after, "RS256", exclude=before)["kid"]
    new_es = key_of(after, "ES256", exclude=before)["kid"]
    created = [e["detail"]["kid"] for e in key_created_events(s)[first:]]
    assert created == [new_rs, new_es], created
    assert s.cli("audit", "verify").returncode == 0


def test_retire_during_lead_keeps_signing(tmp_path):
    """Retiring the active key while its successor is only published
    must not leave the algorithm without a signing key: `keys retire`
    either refuses, or ID tokens keep being issued. (The last-key rule
    exists so that /token never has nothing to sign with.)"""
    with oidc_server(tmp_path, **dict(CONF, key_rotation_lead_seconds=30)) \
            as s:
        rs = add_oidc_client(s, "RS256")
        tok, b = oidc_flow(s, rs, nonce="n0")
        old = key_of(keys_list(s), "RS256")
        s.cli("keys", "rotate", "--alg", "RS256")       # signs in 30 s
        new = key_of(keys_list(s), "RS256", exclude=(old["kid"],))
        assert new["state"] == "published"
        r = s.cli("keys", "retire", old["kid"], check=False)
        time.sleep(RELOAD + 0.5)        # the server has seen the change
        assert time.time() < new["activate_at"]
        tok, _ = oidc_flow(s, rs, browser=b, nonce="n1")   # /token: 200
        claims, header = verify(s, rs, tok, "n1")
        if r.returncode != 0:
            assert state(s, old["kid"]) == "active"
            assert header["kid"] == old["kid"]


def test_rotate_arguments(tmp_path):
    with oidc_server(tmp_path, **CONF) as s:
        for args in (["--alg", "HS256"], ["--alg", "none"],
                     ["--alg", "RS512"], ["--lead", "-1"],
                     ["--lead", "abc"], ["--lead", "99999999999"]):
            r = s.cli("keys", "rotate", *args, check=False)
            assert r.returncode != 0, args
        assert len(keys_list(s)) == 2
        # no --alg: one new key per algorithm, with the configured lead
        at_second_start()
        t = int(time.time())
        s.cli("keys", "rotate")
        keys = keys_list(s)
        fresh = [k for k in keys if k["state"] == "published"]
        assert sorted(k["alg"] for k in fresh) == ["ES256", "RS256"], keys
        for k in fresh:
            assert t + LEAD <= k["activate_at"] <= t + LEAD + 2, k
        text = s.cli("keys", "list").stdout
        for k in keys:
            assert k["kid"] in text
        assert "d" not in {m for k in get_jwks(s)["keys"] for m in k}


def test_jwks_cache_lifetime_within_rotation_lead(tmp_path):
    """jwks.c: the rotation lead "must stay longer than this cache
    lifetime". A relying party that honours Cache-Control must see a
    rotated key before it signs; with key_rotation_lead_seconds=2 a
    max-age beyond 2 s lets the new kid sign while caches lack it."""
    with oidc_server(tmp_path, **CONF) as s:
        cc = requests.get(s.base + "/jwks").headers.get("Cache-Control", "")
        m = re.search(r"max-age=(\d+)", cc)
        assert m, cc
        assert int(m.group(1)) <= LEAD, cc


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_private_keys_sealed_in_database(tmp_path, alg):
    with oidc_server(tmp_path, **CONF) as s:
        rows = s.query("SELECT kid, private_sealed, public_jwk FROM "
                       "signing_keys WHERE alg = ?", alg)
        assert len(rows) == 1
        kid, sealed, public = rows[0]
        assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", sealed), sealed[:80]
        assert '"d"' not in public
        # sealed: no JWK inside, not even in the decoded bytes (the
        # base64url text itself may hold "kty" by chance)
        raw = base64.urlsafe_b64decode(sealed + "=" * (-len(sealed) % 4))
        assert b'"kty"' not in raw and b'"d":' not in raw
        assert kid in jwks_kids(get_jwks(s))
