"""helpers_pgcut.py - a proxy between Gatehouse and the test PostgreSQL
(its Unix socket) that breaks one connection right after the server got a
chosen statement: the statement runs (a COMMIT, or a write outside a
transaction, commits) and its answer is dropped, so Gatehouse sees the
connection close with the outcome unknown. PostgreSQL runs only.

    cut = PgCut(server.database)        # cut.url: the database through it
    cut.arm("UPDATE clients SET status")               # cut under it
    cut.arm("UPDATE clients SET status", at="COMMIT")  # under the COMMIT
                                        # that follows it on its connection
    cut.arm("UPDATE clients SET status", times=2)      # under it twice
    cut.close()

A statement is seen in the frontend protocol: a simple Query holding the
text, or the Bind of a statement whose Parse held it. cut.cuts counts the
cuts made."""

import os
import shutil
import socket
import struct
import tempfile
import threading
import urllib.parse

# untyped requests a client may send before its startup message
_PRE_STARTUP = (80877103, 80877104)     # SSLRequest, GSSENCRequest


class PgCut:
    def __init__(self, database_url):
        u = urllib.parse.urlsplit(database_url)
        q = urllib.parse.parse_qs(u.query)
        port = u.port or int(q.get("port", ["5432"])[0])
        name = ".s.PGSQL.%d" % port
        self.upstream = os.path.join(q["host"][0], name)
        self.dir = tempfile.mkdtemp(prefix="gh-pgcut-")
        self.listener = socket.socket(socket.AF_UNIX)
        self.listener.bind(os.path.join(self.dir, name))
        self.listener.listen(16)
        q["host"] = [self.dir]
        self.url = urllib.parse.urlunsplit(u._replace(
            query=urllib.parse.urlencode(q, doseq=True, safe="/")))
        self.lock = threading.Lock()
        self.armed = None           # (after, at) while armed
        self.left = 0               # cuts still to make
        self.cuts = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def arm(self, after, at=None, times=1):
        """Cut under the next statement holding `after`, or, with `at`,
        under the first statement holding `at` that the same connection
        sends after it; and so the next `times` such statements."""
        with self.lock:
            self.armed = (after.encode(), at.encode() if at else None)
            self.left = times

    def close(self):
        self.listener.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _accept(self):
        while True:
            try:
                cli, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(cli,),
                             daemon=True).start()

    def _take(self, text, seen):
        """Whether a statement with `text` run on a connection that has
        (seen[0]) or has not sent the armed `after` one is to be cut."""
        with self.lock:
            if self.armed is None:
                return False
            after, at = self.armed
            if at is not None and seen[0]:
                hit = at in text
            else:
                hit = after in text and at is None
                if after in text and at is not None:
                    seen[0] = True
            if hit:
                self.cuts += 1
                self.left -= 1
                if self.left == 0:
                    self.armed = None
            return hit

    def _serve(self, cli):
        srv = socket.socket(socket.AF_UNIX)
        try:
            srv.connect(self.upstream)
        except OSError:
            cli.close()
            return
        drop = threading.Event()

        def down():
            # the server's answers, until the one to the cut statement
            try:
                while not drop.is_set():
                    data = srv.recv(65536)
                    if not data or drop.is_set():
                        break
                    cli.sendall(data)
            except OSError:
                pass
            for s in (cli, srv):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()

        threading.Thread(target=down, daemon=True).start()
        buf, started, parsed, seen = b"", False, {}, [False]
        try:
            while True:
                data = cli.recv(65536)
                if not data:
                    break
                buf += data
                out = b""
                while True:
                    if not started:
                        if len(buf) < 8:
                            break
                        n, code = struct.unpack("!II", buf[:8])
                        if len(buf) < n:
                            break
                        out, buf = out + buf[:n], buf[n:]
                        started = code not in _PRE_STARTUP
                        continue
                    if len(buf) < 5:
                        break
                    kind, n = buf[:1], struct.unpack("!I", buf[1:5])[0]
                    if len(buf) < 1 + n:
                        break
                    msg, buf = buf[:1 + n], buf[1 + n:]
                    body = msg[5:]
                    text = None
                    if kind == b"P":
                        name, rest = body.split(b"\0", 1)
                        parsed[name] = rest.split(b"\0", 1)[0]
                    elif kind == b"B":
                        stmt = body.split(b"\0", 2)[1]
                        text = parsed.get(stmt, b"")
                    elif kind == b"Q":
                        text = body
                    if text is not None and self._take(text, seen):
                        drop.set()
                    out += msg
                srv.sendall(out)
        except OSError:
            pass
