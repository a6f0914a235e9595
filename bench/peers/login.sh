#!/usr/bin/env bash
# Sign alice in through Gatehouse's HTML forms and consent to
# "openid profile offline_access" for both bench clients (as the e2e tests'
# Browser does); print the session cookie (gh_session=...) on stdout.
set -euo pipefail
run="${GATEHOUSE_BENCH_RUN:-/tmp/gatehouse-bench}"
exec /usr/bin/python3 - "$run/clients.json" <<'PY'
import base64, hashlib, json, os, re, sys
import requests

c = json.load(open(sys.argv[1]))
base = "http://127.0.0.1:%d" % c["port"]
s = requests.Session()

def fields(html):
    out = {}
    for m in re.finditer(r'<input type="hidden" name="([^"]*)" value="([^"]*)">', html):
        out[m.group(1)] = (m.group(2).replace("&quot;", '"').replace("&#39;", "'")
                           .replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    return out

for cid in (c["public_client_id"], c["confidential_client_id"]):
    v = base64.urlsafe_b64encode(os.urandom(32)).rstrip(b"=").decode()
    ch = base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()).rstrip(b"=").decode()
    params = {"response_type": "code", "client_id": cid, "redirect_uri": c["redirect_uri"],
              "scope": "openid profile offline_access", "state": "login", "nonce": "login",
              "code_challenge": ch, "code_challenge_method": "S256"}
    r = s.get(base + "/authorize", params=params, allow_redirects=False, timeout=10)
    for _ in range(3):
        if r.status_code != 200:
            break
        data = fields(r.text)
        action = data.get("gh_action")
        if action == "login":
            data.update(username="alice", password="alice-password")
        elif action == "consent":
            data["decision"] = "allow"
        else:
            break
        r = s.post(base + "/authorize", data=data, allow_redirects=False, timeout=10)
    loc = r.headers.get("Location", "")
    if r.status_code not in (302, 303) or not loc.startswith(c["redirect_uri"]) or "code=" not in loc:
        sys.exit("login: no code for %s (status %d): %s" % (cid, r.status_code, r.text[:300]))

cookie = s.cookies.get("gh_session")
if not cookie:
    sys.exit("login: no gh_session cookie")
print("gh_session=" + cookie)
PY
