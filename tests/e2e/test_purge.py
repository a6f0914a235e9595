"""The upkeep pass keeps the tables bounded: a grant revoked more than a
day ago that nothing refers to goes with its sightings, and an alert
acknowledged longer ago than audit_retention_days (365 by default) that
the webhook is done with goes too; live grants, open alerts and alerts
acknowledged within the retention stay (the operators' record of what
they looked at is kept as long as the trail)."""
import time

from conftest import Server

DAY = 86400


def test_upkeep_purges_revoked_grants_and_acknowledged_alerts(tmp_path):
    s = Server(tmp_path, setup="standard", upkeep_interval_seconds=1)
    client = s.confidential["client_id"]
    user = s.query("SELECT id FROM users WHERE username = 'alice'")[0][0]
    old = int(time.time()) - 2 * DAY
    older = int(time.time()) - 366 * DAY
    rows = []
    for gid, revoked in (("gr_old", old), ("gr_live", None)):
        rows.append(("INSERT INTO grants (id, user_id, client_id, scope, "
                     "created_at, revoked_at) VALUES (?, ?, ?, 'openid', "
                     "?, ?)", (gid, user, client, old, revoked)))
        rows.append(("INSERT INTO grant_sightings (grant_id, kind, value, "
                     "first_seen, last_seen) VALUES (?, 'net', "
                     "'192.0.2.0/24', ?, ?)", (gid, old, old)))
    for key, acked in (("acked_old", older), ("acked", old),
                       ("open", None)):
        rows.append(("INSERT INTO alerts (time, rule, severity, summary, "
                     "evidence, dedupe_key, acked_at, delivered_at, "
                     "next_attempt_at) VALUES (?, 'auth_failure_burst', "
                     "'medium', 's', '{}', ?, ?, ?, ?)",
                     (old, key, acked, old, old)))
    s.execute(*rows)
    s.start()
    try:
        deadline = time.time() + 20
        while s.query("SELECT count(*) FROM grants WHERE id = 'gr_old'")[0][0]:
            assert time.time() < deadline, s.log_text()[-3000:]
            time.sleep(0.1)
        assert s.query("SELECT id FROM grants") == [("gr_live",)]
        assert s.query("SELECT grant_id FROM grant_sightings") == \
            [("gr_live",)]
        assert s.query("SELECT dedupe_key FROM alerts "
                       "ORDER BY dedupe_key") == [("acked",), ("open",)]
        deadline = time.time() + 5
        while '"event":"purged"' not in s.log_text():
            assert time.time() < deadline, s.log_text()[-3000:]
            time.sleep(0.1)
    finally:
        rc = s.stop()
    log = s.log_text()
    assert "AddressSanitizer" not in log and "runtime error" not in log, log
    assert rc == 0, log[-4000:]
