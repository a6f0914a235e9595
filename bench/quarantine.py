# bench/quarantine.py - time `gatehouse client quarantine` with 1,000 and 100,000
# live tokens for the client (rows inserted directly), release build.
# Run: /usr/bin/python3 bench/quarantine.py (after make build/gatehouse).
import sys, pathlib, sqlite3, os, time, subprocess, json
sys.path.insert(0, "/work/main/tests/e2e")
import conftest
conftest.BIN = "/work/main/build/gatehouse"
from conftest import Server
def run(n, d):
    s = Server(pathlib.Path(d)); c = s.add_client(); s.add_user()
    con = sqlite3.connect(s.db); uid = con.execute("select id from users").fetchone()[0]
    now = int(time.time())
    con.execute("insert into grants (id,user_id,client_id,scope,created_at) values ('gr_x',?,?,'openid',?)", (uid, c["client_id"], now))
    con.executemany("insert into families (id,grant_id,client_id,user_id,created_at) values (?,?,?,?,?)", [("fam_%d" % i, "gr_x", c["client_id"], uid, now) for i in range(n // 100)])
    con.executemany("insert into tokens (hash,kind,family_id,grant_id,client_id,user_id,scope,issued_at,expires_at) values (?,?,?,?,?,?,?,?,?)", [(os.urandom(32), "access", "fam_%d" % (i // 100), "gr_x", c["client_id"], uid, "openid", now, now + 3600) for i in range(n)])
    con.commit(); con.close()
    t = time.time(); s.cli("client", "quarantine", c["client_id"], "--reason", "bench"); dt = time.time() - t
    print("tokens=%d quarantine command %.1f ms (whole process incl. open)" % (n, dt * 1000))
import shutil
shutil.rmtree("/tmp/gh-quarantine", ignore_errors=True)
for n, d in ((1000, "/tmp/gh-quarantine/a"), (100000, "/tmp/gh-quarantine/b")):
    os.makedirs(d); run(n, d)
