"""Per-client network allowlist (issue 5): a client registered with
--allow-network may use the token, introspection and revocation endpoints
only from those networks; anything else is refused and recorded."""
import json

import requests

from conftest import REDIRECT
from helpers_token import assert_invalid_client


def add(server, *nets, method="client_secret_basic"):
    args = ["client", "add", "--name", "Fenced", "--owner", "o",
            "--redirect-uri", REDIRECT, "--auth-method", method, "--json"]
    for n in nets:
        args += ["--allow-network", n]
    return json.loads(server.cli(*args).stdout)


def introspect(server, c):
    return requests.post(server.base + "/introspect", data={"token": "x"},
                         auth=(c["client_id"], c["client_secret"]))


def test_outside_the_allowlist_is_refused_and_audited(server):
    c = add(server, "10.0.0.0/8", "2001:db8::/32")
    for path in ("/introspect", "/revoke", "/token"):
        r = requests.post(server.base + path,
                          data={"token": "x", "grant_type": "refresh_token",
                                "refresh_token": "x"},
                          auth=(c["client_id"], c["client_secret"]))
        # Basic was used: 401 with its challenge (RFC 6749 5.2)
        assert_invalid_client(r, True)
    rows = server.query("SELECT remote_addr FROM audit_events WHERE type = "
                        "'client.network_refused' AND client_id = ?",
                        c["client_id"])
    assert [r[0] for r in rows] == ["127.0.0.1"] * 3
    shown = json.loads(server.cli("client", "show", c["client_id"]).stdout)
    assert shown["allowed_networks"] == "10.0.0.0/8 2001:db8::/32"


def test_refusal_of_a_post_client_has_no_challenge(server):
    """No Authorization header: 400, no challenge for a scheme the client
    did not use."""
    c = add(server, "10.0.0.0/8", method="client_secret_post")
    data = {"token": "x", "client_id": c["client_id"],
            "client_secret": c["client_secret"]}
    r = requests.post(server.base + "/revoke", data=data)
    assert_invalid_client(r, False)
    assert "network" in r.json()["error_description"]
    # except at introspection, which is always 401 (RFC 7662 2.3)
    r = requests.post(server.base + "/introspect", data=data)
    assert_invalid_client(r, True)
    assert "network" in r.json()["error_description"]


def test_inside_the_allowlist_works(server):
    c = add(server, "127.0.0.0/8")
    assert introspect(server, c).json() == {"active": False}
    c = add(server, "127.0.0.1")
    assert introspect(server, c).status_code == 200


def test_no_allowlist_means_any_network(server):
    assert introspect(server, server.confidential).status_code == 200


def test_bad_networks_are_refused_at_registration(server):
    for bad in ("10.0.0.0/33", "example.com", "10.0.0.0/8 10.1.0.0/16"):
        r = server.cli("client", "add", "--name", "x", "--owner", "o",
                       "--redirect-uri", REDIRECT, "--allow-network", bad,
                       check=False)
        assert r.returncode != 0 and "allow-network" in r.stderr
