"""Helpers shared by the OpenID Connect suites (test_oidc*.py): clients
with an ID token algorithm, the code flow with a nonce, and ID token
verification the way a relying party does it, with authlib and the JWKS
from /jwks, plus our own checks of every claim."""
import base64
import contextlib
import hashlib
import json
import re
import time

import requests
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken

from conftest import (REDIRECT, Browser, Server, auth_params, pkce_pair,
                      redirect_params, token_request)

SUB_RE = re.compile(r"usr_[A-Za-z0-9_-]+")
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
# only what the server may sign with: never none, never HMAC
JWT = JsonWebToken(["RS256", "ES256"])


def b64url_decode(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def at_hash(access_token):
    """OIDC Core 3.1.3.6: base64url(left half of SHA-256(access token))."""
    d = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(d[:16]).rstrip(b"=").decode()


def jwt_header(token):
    return json.loads(b64url_decode(token.split(".")[0]))


def jwt_payload(token):
    return json.loads(b64url_decode(token.split(".")[1]))


# -- servers and clients ---------------------------------------------------
def assert_clean(server):
    rc = server.stop()
    log = server.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, "server exit code %d\n%s" % (rc, log[-4000:])


@contextlib.contextmanager
def oidc_server(tmp_path, **config):
    """A started server with alice (profile set) and custom config."""
    s = Server(tmp_path, setup="alice", **config)
    s.start()
    try:
        yield s
    finally:
        if s.proc is not None:
            assert_clean(s)


def add_oidc_client(server, alg=None, scope="openid profile email "
                    "offline_access", public=False, name=None, extra=()):
    """A client registered with --id-token-alg (None: the default)."""
    args = ["client", "add", "--name", name or ("App %s" % (alg or "dflt")),
            "--owner", "oidc-team", "--scope", scope, "--redirect-uri",
            REDIRECT, "--json"]
    if alg:
        args += ["--id-token-alg", alg]
    if public:
        args.append("--public")
    args += list(extra)
    out = json.loads(server.cli(*args).stdout)
    out.update(redirect_uri=REDIRECT, public=public,
               auth_method="none" if public else "client_secret_basic",
               alg=alg or "RS256")
    shown = json.loads(server.cli("client", "show", out["client_id"]).stdout)
    assert shown["id_token_signed_response_alg"] == out["alg"], shown
    return out


def user_id(server, username="alice"):
    rows = server.query("SELECT id FROM users WHERE username = ?", username)
    assert len(rows) == 1
    return rows[0][0]


def set_alice_profile(server):
    server.cli("user", "profile", "alice", "--name", "Alice Liddell",
               "--email", "alice@example.com", "--email-verified")


# -- the code flow -----------------------------------------------------------
def code_for(server, client, browser=None, scope="openid", nonce=None,
             username="alice", **extra):
    """The browser leg; returns (code, verifier, browser)."""
    b = browser or Browser(server)
    verifier, challenge = pkce_pair()
    r = b.authorize(auth_params(client, challenge, scope=scope, nonce=nonce,
                                **extra), username=username)
    assert r.status_code in (302, 303), (r.status_code, r.text[:800])
    loc, q = redirect_params(r)
    assert "code" in q, loc
    return q["code"][0], verifier, b


def redeem(server, client, code, verifier):
    r = token_request(server, client, {
        "grant_type": "authorization_code", "code": code,
        "code_verifier": verifier, "redirect_uri": client["redirect_uri"]})
    assert r.status_code == 200, r.text
    return r.json()


def oidc_flow(server, client, browser=None, scope="openid", nonce=None,
              username="alice", **extra):
    """Browser leg and code exchange; returns (token response, browser)."""
    code, verifier, b = code_for(server, client, browser, scope, nonce,
                                 username, **extra)
    return redeem(server, client, code, verifier), b


def get_jwks(server):
    r = requests.get(server.base + "/jwks")
    assert r.status_code == 200, r.text
    return r.json()


def jwks_kids(jwks):
    return [k["kid"] for k in jwks["keys"]]


def verify_id_token(server, client, tok, nonce=None, jwks=None,
                    id_token_ttl=600, max_age=None):
    """Verify tok["id_token"] as a relying party would; return the claims.

    authlib checks the signature with the key of the header's kid from
    the JWKS, iss, aud, exp, iat, nonce and at_hash; every claim is then
    checked again here, at_hash computed independently."""
    jwks = jwks if jwks is not None else get_jwks(server)
    idt = tok["id_token"]
    header = jwt_header(idt)
    assert header["alg"] == client["alg"], header
    assert header.get("typ", "JWT") == "JWT", header
    assert header["kid"] in jwks_kids(jwks), (header, jwks)
    for bad in ("jwk", "jku", "x5u", "x5c", "crit"):
        assert bad not in header, header
    params = {"client_id": client["client_id"],
              "access_token": tok["access_token"]}
    if nonce is not None:
        params["nonce"] = nonce
    if max_age is not None:
        params["max_age"] = max_age
    claims = JWT.decode(
        idt, JsonWebKey.import_key_set(jwks), claims_cls=CodeIDToken,
        claims_options={
            "iss": {"essential": True, "value": server.issuer},
            "aud": {"essential": True, "value": client["client_id"]},
            "sub": {"essential": True},
            "auth_time": {"essential": True},
            "at_hash": {"essential": True},
        }, claims_params=params)
    claims.validate(leeway=5)

    now = time.time()
    assert claims["iss"] == server.issuer
    aud = claims["aud"]
    assert aud == client["client_id"] or aud == [client["client_id"]], aud
    assert SUB_RE.fullmatch(claims["sub"]), claims
    assert isinstance(claims["iat"], int) and abs(claims["iat"] - now) <= 10
    assert claims["exp"] == claims["iat"] + id_token_ttl, claims
    assert isinstance(claims["auth_time"], int)
    assert claims["auth_time"] <= claims["iat"], claims
    assert claims["at_hash"] == at_hash(tok["access_token"]), claims
    if nonce is None:
        assert "nonce" not in claims, claims
    else:
        assert claims["nonce"] == nonce, claims
    return dict(claims), header
