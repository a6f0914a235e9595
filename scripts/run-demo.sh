#!/usr/bin/env bash
# run-demo.sh - `make run`: on first run, bootstrap ./run/ (config, server
# key, SQLite database, a demo confidential client, a demo public client
# and a demo user, printed once with their secrets); then serve on
# 127.0.0.1:8080.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/gatehouse
dir=run
conf=$dir/gatehouse.json
gh() { "$bin" --config "$conf" "$@"; }

if [[ ! -f $conf ]]; then
	mkdir -p "$dir"
	chmod 700 "$dir"
	gh init --issuer http://127.0.0.1:8080 --listen 127.0.0.1:8080 >/dev/null
	web=$(gh client add --name "Demo web app" --owner "demo-team" \
		--redirect-uri http://127.0.0.1:9000/callback \
		--scope "openid profile email offline_access" --json)
	cli=$(gh client add --name "Demo CLI" --owner "demo-team" --public \
		--redirect-uri http://127.0.0.1:9001/callback \
		--scope "openid profile offline_access" --json)
	password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
	printf '%s\n' "$password" | gh user add --username demo --password-stdin >/dev/null
	field() { sed -n "s/.*\"$1\":\"\\([^\"]*\\)\".*/\\1/p"; }
	cat <<MSG

  Gatehouse demo created in ./run/ (shown once: secrets are stored only as hashes)

  Paste into another terminal to follow the tour in README.md:

    export GH=http://127.0.0.1:8080
    export CLIENT_ID=$(printf '%s' "$web" | field client_id)
    export CLIENT_SECRET=$(printf '%s' "$web" | field client_secret)
    export PUBLIC_CLIENT_ID=$(printf '%s' "$cli" | field client_id)
    export DEMO_USER=demo DEMO_PASSWORD=$password

  Or in a browser, sign in as demo / $password at:
    http://127.0.0.1:8080/authorize?response_type=code&client_id=$(printf '%s' "$cli" | field client_id)&redirect_uri=http%3A%2F%2F127.0.0.1%3A9001%2Fcallback&scope=openid&state=demo&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256
    (code_verifier for that challenge: dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk)

  Lost a secret? build/gatehouse --config $conf client rotate-secret CLIENT_ID
  Start over?    rm -rf run && make run

MSG
else
	echo "Using the existing demo in ./run/ (secrets were shown at first run;"
	echo "rm -rf run && make run starts over). Clients:"
	gh client list
fi
echo "Serving on http://127.0.0.1:8080 (Ctrl-C stops; logs are JSON lines)"
exec "$bin" --config "$conf" serve
