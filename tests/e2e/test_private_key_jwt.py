"""private_key_jwt client authentication (RFC 7523 2.2 and 3, OIDC Core 9)
at the token, introspection and revocation endpoints, and its
registration with `client add --auth-method private_key_jwt --jwks`.

The audience is the issuer identifier alone (draft-ietf-oauth-rfc7523bis:
never the token endpoint URL, never one of several values), and exp, nbf
and iat are NumericDates, which may have a fraction (RFC 7519 2).

Clients hold real keys made here with authlib (an EC P-256 client and an
RSA-2048 client); each attack is one request that must get invalid_client
(400, or 401 with a Basic challenge when it carried an Authorization
header; 400 invalid_request for two methods at once) and, when the
assertion names a registered client, one client.auth_failed audit row for
that client with the reason the server found."""
import base64
import hashlib
import hmac
import json
import math
import time
import uuid

import pytest
import requests
from authlib.jose import JsonWebKey, jwt

from conftest import REDIRECT, Server, await_client_status, get_code
from helpers_token import assert_invalid_client

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
SCOPE = "openid offline_access"
ENDPOINTS = ("/token", "/introspect", "/revoke")
ASSERTION_MAX = 300     # seconds from now to exp (client_assertion.h)


# -- keys, clients, assertions ------------------------------------------------
def b64(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def ec_key():
    """A P-256 key whose JWK is well formed. authlib drops leading zero
    bytes of x and y (about 1 key in 128), which RFC 7518 6.2.1.2
    forbids and Gatehouse rightly refuses; draw again in that case."""
    while True:
        k = JsonWebKey.generate_key("EC", "P-256", is_private=True)
        d = k.as_dict(is_private=False)
        if len(d["x"]) == 43 and len(d["y"]) == 43:
            return k


def public_jwk(key, kid):
    d = key.as_dict(is_private=False)
    d["kid"] = kid
    return d


def register(server, name, key, kid):
    """client add with --auth-method private_key_jwt and an inline JWKS."""
    jwks = {"keys": [public_jwk(key, kid)]}
    r = server.cli("client", "add", "--name", name, "--owner", "pk-team",
                   "--redirect-uri", REDIRECT, "--scope", SCOPE,
                   "--auth-method", "private_key_jwt",
                   "--jwks", json.dumps(jwks), "--json")
    out = json.loads(r.stdout)
    assert "client_secret" not in out       # no secret exists for it
    return {"client_id": out["client_id"], "redirect_uri": REDIRECT,
            "key": key, "kid": kid, "jwks": jwks,
            "alg": "ES256" if key.kty == "EC" else "RS256"}


@pytest.fixture(scope="module")
def pk(tmp_path_factory):
    """One server for the module: an EC client, an RSA client, a second
    EC client (for impersonation), a secret client and alice."""
    s = Server(tmp_path_factory.mktemp("pkjwt"))
    s.ec = register(s, "EC agent",
                    ec_key(),
                    "ec-1")
    s.rsa = register(s, "RSA agent",
                     JsonWebKey.generate_key("RSA", 2048, is_private=True),
                     "rsa-1")
    s.other = register(s, "Other agent",
                       ec_key(), "other-1")
    s.secret_client = s.add_client(name="Secret app")
    s.user = s.add_user()
    s.start()
    yield s
    rc = s.stop()
    log = s.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, "server exit code %d\n%s" % (rc, log[-4000:])


def claims_for(server, client, **over):
    """Good claims for `client`; a keyword set to None drops that claim."""
    now = int(time.time())
    c = {"iss": client["client_id"], "sub": client["client_id"],
         "aud": server.issuer, "exp": now + 60, "iat": now,
         "jti": str(uuid.uuid4())}
    c.update(over)
    return {k: v for k, v in c.items() if v is not None}


def assertion(server, client, key=None, header=None, **over):
    """A signed assertion; by default as `client` would make it."""
    header = header or {"alg": client["alg"], "kid": client["kid"]}
    return jwt.encode(header, claims_for(server, client, **over),
                      key or client["key"]).decode()


def handmade(header, claims, sig=b""):
    """A JWS put together by hand (no library would sign it)."""
    return "%s.%s.%s" % (b64(json.dumps(header)), b64(json.dumps(claims)),
                         b64(sig) if sig else "")


def form(a, **extra):
    d = {"client_assertion_type": ASSERTION_TYPE, "client_assertion": a}
    d.update(extra)
    return d


def call(server, path, a, auth=None, **extra):
    """POST to an endpoint with assertion `a` and what it needs besides."""
    body = {"/token": {"grant_type": "refresh_token",
                       "refresh_token": "gate_rt_" + "x" * 43},
            "/introspect": {"token": "gate_at_" + "x" * 43},
            "/revoke": {"token": "gate_at_" + "x" * 43}}[path]
    body.update(extra)
    return requests.post(server.base + path, data=form(a, **body), auth=auth)


def auth_failures(server, client_id):
    """Reasons of the client.auth_failed audit rows of a client, in order."""
    return [json.loads(d)["reason"] for (d,) in server.query(
        "SELECT detail FROM audit_events WHERE type = 'client.auth_failed' "
        "AND client_id = ? ORDER BY seq", client_id)]


def assert_error(r, status, error):
    assert r.status_code == status, r.text
    assert r.json()["error"] == error, r.text
    assert "access_token" not in r.text and "active" not in r.json()


def assert_refused(r):
    """invalid_client, its status by whether an Authorization header was
    sent (helpers_token.assert_invalid_client), always 401 at the
    introspection endpoint (RFC 7662 2.3), and nothing granted."""
    assert_invalid_client(r, "Authorization" in r.request.headers or
                          r.request.path_url == "/introspect")
    assert "access_token" not in r.text and "active" not in r.json()


def refused(server, client, send, reason):
    """send() must get invalid_client and audit exactly `reason` for
    `client` (no audit row if reason is None)."""
    before = auth_failures(server, client["client_id"])
    r = send()
    assert_refused(r)
    after = auth_failures(server, client["client_id"])
    assert after[len(before):] == ([reason] if reason else []), after
    return r


def exchange(server, client, a):
    """The browser leg, then the code exchange authenticated by `a`."""
    code, verifier, _ = get_code(server, client, scope=SCOPE)
    return requests.post(server.base + "/token", data=form(
        a, grant_type="authorization_code", code=code,
        code_verifier=verifier, redirect_uri=client["redirect_uri"]))


# -- accepted -----------------------------------------------------------------
@pytest.mark.parametrize("which", ["ec", "rsa"])
def test_code_and_refresh_grants(pk, which):
    c = getattr(pk, which)
    r = exchange(pk, c, assertion(pk, c))             # aud: the issuer
    assert r.status_code == 200, r.text
    t = r.json()
    assert t["token_type"].lower() == "bearer" and "refresh_token" in t
    r = requests.post(pk.base + "/token", data=form(
        assertion(pk, c, aud=[pk.issuer]), grant_type="refresh_token",
        refresh_token=t["refresh_token"]))            # the same, in an array
    assert r.status_code == 200, r.text
    assert r.json()["refresh_token"] != t["refresh_token"]


def test_introspect_and_revoke(pk):
    c = pk.ec
    t = exchange(pk, c, assertion(pk, c)).json()
    r = call(pk, "/introspect", assertion(pk, c, aud=[pk.issuer]),
             token=t["access_token"])
    assert r.status_code == 200, r.text
    assert r.json()["active"] is True
    assert r.json()["client_id"] == c["client_id"]
    r = call(pk, "/revoke", assertion(pk, c), token=t["refresh_token"])
    assert r.status_code == 200, r.text
    r = call(pk, "/introspect", assertion(pk, c, aud=pk.issuer),
             token=t["refresh_token"])
    assert r.status_code == 200 and r.json()["active"] is False, r.text


# -- refused: the signature and its algorithm ---------------------------------
def hs256_with_public_key(server, client):
    """The classic confusion: HMAC keyed with the client's public key."""
    header = {"alg": "HS256", "kid": client["kid"]}
    head = "%s.%s" % (b64(json.dumps(header)),
                      b64(json.dumps(claims_for(server, client))))
    secret = json.dumps(client["jwks"]["keys"][0]).encode()
    mac = hmac.new(secret, head.encode(), hashlib.sha256).digest()
    return head + "." + b64(mac)


def bad_signatures(server):
    """(name, client, assertion, reason): each is refused at every endpoint."""
    ec, rsa = server.ec, server.rsa
    stranger = ec_key()
    rsa_key = JsonWebKey.generate_key("RSA", 2048, is_private=True)
    return [
        ("wrong key", ec, assertion(server, ec, key=stranger), "signature"),
        ("alg none", ec, handmade({"alg": "none", "kid": "ec-1"},
                                    claims_for(server, ec), b"\x01" * 64),
         "alg"),
        ("HS256 public key", rsa, hs256_with_public_key(server, rsa), "alg"),
        ("RS256 on EC client", ec, assertion(
            server, ec, key=rsa_key, header={"alg": "RS256", "kid": "ec-1"}),
         "no_key"),
        ("ES256 on RSA client", rsa, assertion(
            server, rsa, key=stranger, header={"alg": "ES256"}), "no_key"),
    ]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_bad_signatures_refused(pk, path):
    for name, client, a, reason in bad_signatures(pk):
        refused(pk, client, lambda: call(pk, path, a), reason)


def test_unsigned_alg_none_refused(pk):
    a = handmade({"alg": "none"}, claims_for(pk, pk.ec))
    r = call(pk, "/introspect", a)
    assert_refused(r)
    assert auth_failures(pk, pk.ec["client_id"])[-1] in ("malformed", "alg")


# -- refused: the claims ------------------------------------------------------
def bad_claims(server):
    """(name, claim overrides, reason) for the EC client."""
    now = int(time.time())
    return [
        ("expired", {"exp": now - 10}, "expired"),
        ("exp too far", {"exp": now + 400}, "exp_too_far"),
        ("no exp", {"exp": None}, "exp_missing"),
        ("exp as string", {"exp": str(now + 60)}, "date_not_number"),
        ("no jti", {"jti": None}, "jti"),
        ("empty jti", {"jti": ""}, "jti"),
        ("jti of 257", {"jti": "j" * 257}, "jti"),
        ("sub of another", {"sub": server.other["client_id"]}, "iss_sub"),
        ("no sub", {"sub": None}, "iss_sub"),
        ("aud of another server", {"aud": "https://other.example/token"},
         "aud"),
        ("aud array of others", {"aud": ["https://other.example",
                                         server.issuer + "/authorize"]},
         "aud"),
        ("no aud", {"aud": None}, "aud"),
        ("nbf ahead", {"nbf": now + 600}, "not_yet_valid"),
        ("iat ahead", {"iat": now + 600}, "not_yet_valid"),
    ]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_bad_claims_refused(pk, path):
    for name, over, reason in bad_claims(pk):
        a = assertion(pk, pk.ec, **over)
        refused(pk, pk.ec, lambda: call(pk, path, a), reason)


def test_audience_injection_and_dates_that_are_not_numbers(tmp_path):
    """Only the issuer identifier, alone, is an audience: a client can be
    led to sign for another server that names our token endpoint, or our
    issuer among its own values, as its audience (the private_key_jwt
    audience injection of January 2025). A date that is not a number is
    audited as such. (A server of its own: the audit keeps 10 rows per
    reason and window.)"""
    s = Server(tmp_path)
    c = register(s, "Agent", ec_key(), "k")
    s.start()
    try:
        now = int(time.time())
        for over, reason in [
                ({"aud": s.issuer + "/token"}, "aud"),
                ({"aud": [s.issuer + "/token"]}, "aud"),
                ({"aud": [s.issuer, "https://attacker.example"]}, "aud"),
                ({"aud": ["https://attacker.example", s.issuer]}, "aud"),
                ({"aud": [s.issuer, s.issuer + "/token"]}, "aud"),
                ({"aud": [s.issuer, s.issuer]}, "aud"),
                ({"aud": s.issuer + "/"}, "aud"),
                ({"exp": [now + 60]}, "date_not_number"),
                ({"iat": str(now)}, "date_not_number"),
                ({"nbf": True}, "date_not_number")]:
            a = assertion(s, c, **over)
            refused(s, c, lambda: call(s, "/token", a), reason)
        # the issuer, alone, as a string or a one-element array: the
        # client is authenticated (its made-up refresh token is not)
        n = len(auth_failures(s, c["client_id"]))
        r = call(s, "/token", assertion(s, c))
        assert_error(r, 400, "invalid_grant")
        assert len(auth_failures(s, c["client_id"])) == n
        assert call(s, "/introspect", assertion(s, c, aud=[s.issuer])).ok
    finally:
        assert s.stop() == 0
        assert "AddressSanitizer" not in s.log_text()


def test_dates_with_a_fraction(pk):
    """RFC 7519 2: a NumericDate may be non-integer, as time.time() is.
    Accepted, compared without rounding: the replay cache keeps the jti
    until the whole second at or after exp, and a fraction does not let a
    date that is out of bounds through (nor is it audited as another
    fault)."""
    c = pk.ec
    t = time.time()
    jti = str(uuid.uuid4())
    r = call(pk, "/introspect", assertion(pk, c, iat=t, nbf=t - 0.5,
                                          exp=t + 60.5, jti=jti))
    assert r.status_code == 200, r.text
    kept = pk.query("SELECT expires_at FROM assertion_jtis WHERE client_id"
                    " = ?", c["client_id"])
    assert [math.ceil(t + 60.5)] in [list(k) for k in kept], kept
    now = time.time()
    for over, reason in [
            ({"exp": now - 1.5}, "expired"),     # before the server's second
            ({"exp": now + ASSERTION_MAX + 100.5}, "exp_too_far"),
            ({"iat": now + 40.5}, "not_yet_valid"),
            ({"nbf": now + 40.5}, "not_yet_valid")]:
        a = assertion(pk, c, **over)
        refused(pk, c, lambda: call(pk, "/introspect", a), reason)


def test_jti_is_single_use(pk):
    c = pk.ec
    a = assertion(pk, c)
    r = call(pk, "/introspect", a)
    assert r.status_code == 200, r.text
    for path in ENDPOINTS:                # replayed anywhere: refused
        refused(pk, c, lambda: call(pk, path, a), "replayed")
    # same jti, new signature and exp: still the same assertion id
    jti = str(uuid.uuid4())
    assert call(pk, "/introspect", assertion(pk, c, jti=jti)).ok
    refused(pk, c, lambda: call(pk, "/introspect",
                                assertion(pk, c, jti=jti, exp=int(
                                    time.time()) + 120)), "replayed")


def test_iss_of_another_client(pk):
    """Signed with the EC client's key, claiming to be the other client:
    judged (and audited) against the other client's keys."""
    o = pk.other
    a = assertion(pk, o, key=pk.ec["key"], header={"alg": "ES256",
                                                   "kid": "ec-1"})
    refused(pk, o, lambda: call(pk, "/token", a), "no_key")
    a = assertion(pk, o, key=pk.ec["key"], header={"alg": "ES256"})
    refused(pk, o, lambda: call(pk, "/token", a), "signature")


def test_unknown_iss(pk):
    a = assertion(pk, dict(pk.ec, client_id="cl_nobody"))
    r = call(pk, "/token", a)
    assert_refused(r)
    assert auth_failures(pk, "cl_nobody") == []


# -- refused: the request -----------------------------------------------------
def test_body_client_id_must_be_iss(pk):
    c = pk.ec
    a = assertion(pk, c)
    for path in ENDPOINTS:
        refused(pk, c, lambda: call(pk, path, a,
                                    client_id=pk.other["client_id"]), None)
    # the assertion was not spent by the refusals; with iss it works
    r = call(pk, "/introspect", a, client_id=c["client_id"])
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("atype", [
    "urn:ietf:params:oauth:client-assertion-type:saml2-bearer",
    ASSERTION_TYPE.upper(), ASSERTION_TYPE + " ", "jwt-bearer"])
def test_wrong_assertion_type(pk, atype):
    c = pk.ec
    a = assertion(pk, c)
    for path in ENDPOINTS:
        refused(pk, c, lambda: call(pk, path, a,
                                    client_assertion_type=atype), None)
    d = form(a, token="x")
    del d["client_assertion_type"]
    refused(pk, c, lambda: requests.post(pk.base + "/introspect", data=d),
            None)


def test_two_methods_are_invalid_request(pk):
    c, sc = pk.ec, pk.secret_client
    for path in ENDPOINTS:
        r = call(pk, path, assertion(pk, c),
                 client_secret=sc["client_secret"])
        assert_error(r, 400, "invalid_request")
        r = call(pk, path, assertion(pk, c),
                 auth=(sc["client_id"], sc["client_secret"]))
        assert_error(r, 400, "invalid_request")
        r = call(pk, path, assertion(pk, c),
                 auth=(c["client_id"], "anything"))
        assert_error(r, 400, "invalid_request")


def test_private_key_jwt_client_cannot_use_a_secret(pk):
    c = pk.ec
    refused(pk, c, lambda: requests.post(
        pk.base + "/introspect", data={"token": "x"},
        auth=(c["client_id"], "gate_cs_" + "A" * 43)), "wrong_method")
    refused(pk, c, lambda: requests.post(
        pk.base + "/introspect", data={"token": "x",
                                       "client_id": c["client_id"],
                                       "client_secret": "s"}),
        "wrong_method")
    code, verifier, _ = get_code(pk, c, scope=SCOPE)
    refused(pk, c, lambda: requests.post(pk.base + "/token", data={
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": c["redirect_uri"],
        "client_id": c["client_id"]}), "wrong_method")


def test_secret_client_cannot_use_an_assertion(pk):
    sc = pk.secret_client
    fake = dict(pk.ec, client_id=sc["client_id"])
    refused(pk, sc, lambda: call(pk, "/token", assertion(pk, fake)),
            "wrong_method")


def test_disabled_client_refused(tmp_path):
    """A disabled client's assertion is checked all the same: one that
    fails (anyone can name the client) is audited as that failure and
    raises no disabled_client_use alert; a valid one is the client's
    use, and its jti is spent (a copy cannot count again)."""
    s = Server(tmp_path)
    c = register(s, "Agent", ec_key(), "k")
    s.start()
    try:
        assert call(s, "/introspect", assertion(s, c)).ok
        s.cli("client", "disable", c["client_id"])
        await_client_status(s, c["client_id"], active=False)
        forged = assertion(s, c, key=ec_key())
        for path in ENDPOINTS:
            refused(s, c, lambda: call(s, path, forged), "signature")
        refused(s, c, lambda: call(s, "/introspect", assertion(
            s, c, exp=int(time.time()) - 5)), "expired")
        assert s.cli("alert", "list", "--json").stdout == ""
        good = assertion(s, c)
        refused(s, c, lambda: call(s, "/introspect", good), "disabled")
        refused(s, c, lambda: call(s, "/introspect", good), "replayed")
        alerts = [json.loads(x) for x in s.cli(
            "alert", "list", "--json").stdout.splitlines()]
        assert [a["rule"] for a in alerts] == ["disabled_client_use"]
        assert alerts[0]["evidence"]["detail"] == {"reason": "disabled",
                                                   "proof": "assertion"}
    finally:
        assert s.stop() == 0
        assert "AddressSanitizer" not in s.log_text()


def test_disabled_client_seen_by_its_refresh_token(tmp_path):
    """Without a valid assertion, a refresh token issued to a disabled key
    client (only the client ever holds one) is evidence of its use; its
    code is not, even with the verifier (anyone can start a flow for the
    client with a verifier of their own), nor its access token (resource
    servers hold those)."""
    s = Server(tmp_path)
    c = register(s, "Agent", ec_key(), "k")
    s.add_user()
    s.start()
    try:
        t = exchange(s, c, assertion(s, c)).json()
        code, verifier, _ = get_code(s, c, scope=SCOPE)
        s.cli("client", "disable", c["client_id"])
        await_client_status(s, c["client_id"], active=False)
        forged = assertion(s, c, key=ec_key())
        refused(s, c, lambda: requests.post(s.base + "/token", data=form(
            forged, grant_type="authorization_code", code=code,
            code_verifier=verifier, redirect_uri=c["redirect_uri"])),
            "signature")
        refused(s, c, lambda: call(s, "/revoke", forged,
                                   token=t["access_token"]), "signature")
        assert s.cli("alert", "list", "--json").stdout == ""
        refused(s, c, lambda: call(s, "/token", forged,
                                   refresh_token=t["refresh_token"]),
                "disabled")
        alerts = [json.loads(x) for x in s.cli(
            "alert", "list", "--json").stdout.splitlines()]
        assert [a["rule"] for a in alerts] == ["disabled_client_use"]
        assert alerts[0]["evidence"]["detail"] == {
            "reason": "disabled", "proof": "refresh_token"}
    finally:
        assert s.stop() == 0
        assert "AddressSanitizer" not in s.log_text()


# -- registration -------------------------------------------------------------


def add(server, *extra):
    return server.cli("client", "add", "--name", "X", "--owner", "o",
                      "--redirect-uri", REDIRECT, *extra, check=False)


def client_count(server):
    return server.query("SELECT count(*) FROM clients")[0][0]


def test_registration_refusals(pk):
    ec_priv = pk.ec["key"].as_dict(is_private=True)
    rsa_priv = pk.rsa["key"].as_dict(is_private=True)
    pub = public_jwk(pk.ec["key"], "k")
    cases = [
        ("--auth-method", "private_key_jwt", "--jwks",
         json.dumps({"keys": [ec_priv]})),
        ("--auth-method", "private_key_jwt", "--jwks",
         json.dumps({"keys": [rsa_priv]})),
        ("--auth-method", "private_key_jwt", "--jwks",
         json.dumps({"keys": [dict(pub, d=ec_priv["d"])]})),
        ("--auth-method", "private_key_jwt", "--jwks",
         json.dumps({"keys": [{"kty": "oct", "k": b64(b"s" * 32)}]})),
        ("--auth-method", "private_key_jwt", "--jwks", json.dumps(
            {"keys": [pub] * 9})),
        ("--auth-method", "private_key_jwt", "--jwks", '{"keys": []}'),
        ("--auth-method", "private_key_jwt", "--jwks", "{not json"),
        ("--jwks", json.dumps({"keys": [pub]})),
        ("--auth-method", "client_secret_basic", "--jwks",
         json.dumps({"keys": [pub]})),
        ("--auth-method", "private_key_jwt"),
        ("--public", "--auth-method", "private_key_jwt", "--jwks",
         json.dumps({"keys": [pub]})),
    ]
    n = client_count(pk)
    for extra in cases:
        r = add(pk, *extra)
        assert r.returncode == 1, (extra, r.returncode, r.stderr)
        assert r.stderr.startswith("gatehouse:"), r.stderr
        assert "client_id" not in r.stdout
    assert client_count(pk) == n


def test_registration_refuses_malformed_base64_without_crashing(pk):
    """A modulus with '=' inside is not base64url: refused with a message.
    (cjose's decoder asserts on it, so it must be checked before cjose.)"""
    bad = public_jwk(pk.rsa["key"], "k")
    bad["n"] = "AAAAA=AA" + bad["n"][8:]
    n = client_count(pk)
    r = add(pk, "--auth-method", "private_key_jwt", "--jwks",
            json.dumps({"keys": [bad]}))
    assert r.returncode == 1, (r.returncode, r.stderr[-500:])
    assert r.stderr.startswith("gatehouse:"), r.stderr[-500:]
    assert client_count(pk) == n


def test_registration_from_file_and_show(pk, tmp_path):
    key = JsonWebKey.generate_key("RSA", 2048, is_private=True)
    jwks = {"keys": [public_jwk(key, "file-1")]}
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(jwks, indent=2))
    r = add(pk, "--auth-method", "private_key_jwt", "--jwks", str(path),
            "--json")
    assert r.returncode == 0, r.stderr
    cid = json.loads(r.stdout)["client_id"]
    shown = json.loads(pk.cli("client", "show", cid).stdout)
    assert shown["auth_method"] == "private_key_jwt"
    assert shown["jwks"] == jwks
    for k in shown["jwks"]["keys"]:
        assert not set(k) & {"d", "p", "q", "dp", "dq", "qi", "k"}
    c = {"client_id": cid, "key": key, "kid": "file-1", "alg": "RS256"}
    assert call(pk, "/introspect", assertion(pk, c)).ok


def test_rotate_secret_refused(pk):
    c = pk.ec
    r = pk.cli("client", "rotate-secret", c["client_id"], "--json",
               check=False)
    assert r.returncode != 0, r.stdout
    assert "client_secret" not in r.stdout
    row = pk.query("SELECT secret_hash FROM clients WHERE id = ?",
                   c["client_id"])
    assert row and not row[0][0], row
    assert call(pk, "/introspect", assertion(pk, c)).ok


def test_quarantined_key_client_stays_dead(pk):
    """A quarantine cannot replace a key client's registered keys, so it
    is never enabled again (a stolen private key would work once more),
    and disabling it keeps the quarantine marker."""
    c = register(pk, "Compromised agent", ec_key(), "comp-1")
    assert call(pk, "/introspect", assertion(pk, c)).ok
    r = pk.cli("client", "quarantine", c["client_id"], "--reason",
               "key leaked")
    assert "registered keys kept" in r.stdout, r.stdout
    assert "secret replaced" not in r.stdout
    await_client_status(pk, c["client_id"], active=False)
    alert = json.loads(pk.cli("alert", "list", "--json").stdout
                       .splitlines()[0])
    assert alert["rule"] == "client_quarantined", alert
    assert alert["summary"].endswith("every grant and token revoked, its "
                                     "registered keys kept (it can not be "
                                     "enabled again)"), alert
    assert_refused(call(pk, "/introspect", assertion(pk, c)))
    r = pk.cli("client", "enable", c["client_id"], check=False)
    assert r.returncode == 1 and "register the integration again" in \
        r.stderr, (r.stdout, r.stderr)
    r = pk.cli("client", "disable", c["client_id"])
    assert "quarantined" in r.stdout
    shown = json.loads(pk.cli("client", "show", c["client_id"]).stdout)
    assert shown["status"] == "quarantined"
    assert_refused(call(pk, "/introspect", assertion(pk, c)))


# -- metadata -----------------------------------------------------------------
def test_metadata(pk):
    for path in ("/.well-known/oauth-authorization-server",
                 "/.well-known/openid-configuration"):
        m = requests.get(pk.base + path).json()
        for ep in ("token", "revocation", "introspection"):
            methods = m[ep + "_endpoint_auth_methods_supported"]
            algs = m[ep + "_endpoint_auth_signing_alg_values_supported"]
            assert "private_key_jwt" in methods
            assert algs == ["RS256", "ES256"]
