"""Interoperability: the Authorization Code flow with PKCE driven by npm's
openid-client (v6, on oauth4webapi), a certified client library whose strict
checks (RFC 9207 iss, state, PKCE, token response shape) must all pass.

The client side lives in tests/interop/flow.mjs; this test starts Gatehouse
through the usual fixture and runs the script once for the confidential
client and once for the public one.
"""
import json
import os
import shutil
import subprocess

import pytest

from conftest import PASSWORD, ROOT

INTEROP = os.path.join(ROOT, "tests", "interop")
SCRIPT = os.path.join(INTEROP, "flow.mjs")


@pytest.fixture(scope="module")
def node():
    exe = shutil.which("node")
    # Fail rather than skip: a missing toolchain must not pass as green.
    assert exe, "node (20+) is needed for the openid-client interop test"
    if not os.path.isdir(os.path.join(INTEROP, "node_modules",
                                      "openid-client")):
        npm = shutil.which("npm")
        assert npm, "npm is needed to install tests/interop dependencies"
        r = subprocess.run([npm, "ci", "--prefix", INTEROP, "--no-audit",
                            "--no-fund"], capture_output=True, text=True,
                           timeout=300)
        assert r.returncode == 0, "npm ci failed:\n%s\n%s" % (r.stdout,
                                                              r.stderr)
    return exe


def run_flow(node, server, client, oidc_alg=""):
    env = dict(os.environ)
    env["GH_OIDC_ALG"] = oidc_alg
    env.update(GH_ISSUER=server.issuer,
               GH_CLIENT_ID=client["client_id"],
               GH_CLIENT_SECRET=client.get("client_secret") or "",
               GH_REDIRECT_URI=client["redirect_uri"],
               GH_USERNAME=server.user["username"],
               GH_PASSWORD=PASSWORD)
    r = subprocess.run([node, SCRIPT], env=env, cwd=ROOT,
                       capture_output=True, text=True, timeout=120)
    out = r.stdout + r.stderr
    print(out)
    assert r.returncode == 0, (
        "flow.mjs exited %d\n%s\n--- server log (tail) ---\n%s"
        % (r.returncode, out, server.log_text()[-3000:]))
    assert "not ok" not in r.stdout, out
    return r.stdout


def test_openid_client_confidential(node, server):
    out = run_flow(node, server, server.confidential)
    assert "ok - authorizationCodeGrant with PKCE, state and iss checks" in out
    assert "ok - tokenIntrospection after revocation: inactive" in out


def test_openid_client_public(node, server):
    out = run_flow(node, server, server.public)
    assert "ok - authorizationCodeGrant with PKCE, state and iss checks" in out
    assert "ok - tokenRevocation of the access token" in out


def test_openid_client_oidc_signatures(node, server):
    """OIDC discovery, nonce, and ID token signatures verified by the
    library against /jwks, for an RS256 and an ES256 client."""
    redirect = server.confidential["redirect_uri"]
    for alg in ("RS256", "ES256"):
        c = json.loads(server.cli(
            "client", "add", "--name", "OIDC %s app" % alg, "--owner", "t",
            "--redirect-uri", redirect, "--scope", "openid offline_access",
            "--id-token-alg", alg, "--json").stdout)
        c["redirect_uri"] = redirect
        out = run_flow(node, server, c, oidc_alg=alg)
        assert "ok - authorizationCodeGrant with PKCE" in out
