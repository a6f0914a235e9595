/*
 * sqlite_walbuf.c - a VFS over SQLite's default one that gathers the
 * writes of a commit's WAL frames into one write.
 *
 * SQLite appends a frame to the WAL as two writes: its 24-byte header,
 * then the page. A flow commits some 20 pages, so 40 system calls, each
 * of which costs more on a virtual machine than the copy it makes. Here
 * a frame header appended past everything this handle wrote (since the
 * WAL last started over at offset 0), and the page after it, are kept in
 * a buffer while they extend it; any other write (the WAL header, a page
 * or checksum rewritten in place) goes straight to the file. The buffer
 * is written out in one pwrite:
 *
 *   - when the page of a commit frame (a header whose "database size
 *     after commit" field is not zero) arrives: inside that xWrite, so an
 *     error fails the commit as an unbuffered write would;
 *   - before any other call on the WAL file (read, size, truncate, sync,
 *     close, file control), and before a write that does not extend the
 *     buffer or is not a frame (the WAL header);
 *   - before the database file's shared-memory lock and barrier calls.
 *     A commit publishes its frames to readers by writing the WAL index
 *     header around such a barrier, always after its commit frame: the
 *     buffer is empty by then, so no reader can be told of a frame that
 *     is not in the file.
 *
 * Frames that are not followed by a commit (a cache spill inside a big
 * transaction) stay buffered until the next flush point; a process that
 * dies meanwhile loses only frames no commit covered, which SQLite
 * ignores anyway. Durability is unchanged: the group commit's fdatasync
 * (sqlite_sync.c) runs after the commit, so after the write.
 *
 * A flush that fails outside the write that caused it (a spill flushed by
 * a read, say) would leave frames SQLite counts as written missing from
 * the file; so the error sticks: every later write and sync of the WAL
 * fails, and the transaction with it, until the write lock (shared
 * memory lock slot 0, WAL_WRITE_LOCK in SQLite's wal.c) is released.
 * Reads go on, so that SQLite can roll back.
 *
 * Only the store's main connection (the writer) opens the database
 * through this VFS; readers and the checkpointer never write the WAL.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sqlite_int.h"

#define WB_NAME		"gatehouse-walbuf"
/* bytes buffered at most: the unix VFS writes at most 128 KiB - 1 a call */
#define WB_CAP		(120 * 1024)
#define WB_FRAME_HDR	24		/* a WAL frame's header */

struct wb_file {
	sqlite3_file	 base;		/* wb_methods */
	sqlite3_file	*real;		/* the default VFS's, after this */
	bool		 wal;
	struct wb_file	*walf;		/* a database: its open WAL */
	struct wb_file	*mainf;		/* a WAL: its database */
	unsigned char	*buf;		/* WB_CAP bytes, on first use */
	size_t		 len;
	sqlite3_int64	 off;		/* file offset of buf[0] */
	sqlite3_int64	 top;		/* end of the furthest write */
	bool		 want_page;	/* a frame header ends the buffer */
	bool		 commit;	/* and it is a commit frame's */
	int		 err;		/* a failed flush, until unlock */
};

static sqlite3_vfs	*real_vfs;
static sqlite3_vfs	 wb_vfs;
static pthread_once_t	 wb_once = PTHREAD_ONCE_INIT;
static int		 wb_registered = SQLITE_ERROR;

#define REAL(f)		(((struct wb_file *)(f))->real)
#define RM(f)		(REAL(f)->pMethods)

/* Write the buffer out; a failure is also kept in f->err. */
static int
wb_flush(struct wb_file *f)
{
	int rc;

	if (f == NULL || f->len == 0)
		return SQLITE_OK;
	rc = f->real->pMethods->xWrite(f->real, f->buf, (int)f->len, f->off);
	f->len = 0;
	f->want_page = false;
	if (rc != SQLITE_OK && f->err == SQLITE_OK)
		f->err = rc;
	return rc;
}

/*
 * For a call that is not a write: its caller must not take the error for
 * a full disk, which rolls back only the statement.
 */
static int
wb_flush_other(struct wb_file *f)
{
	return wb_flush(f) == SQLITE_OK ? SQLITE_OK : SQLITE_IOERR_WRITE;
}

static int
wb_close(sqlite3_file *file)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc;

	(void)wb_flush(f);
	if (f->mainf != NULL)
		f->mainf->walf = NULL;
	if (f->walf != NULL)
		f->walf->mainf = NULL;
	free(f->buf);
	f->buf = NULL;
	rc = RM(f)->xClose(f->real);
	return rc;
}

static int
wb_read(sqlite3_file *file, void *p, int n, sqlite3_int64 off)
{
	int rc;

	if ((rc = wb_flush_other((struct wb_file *)file)) != SQLITE_OK)
		return rc;
	return RM(file)->xRead(REAL(file), p, n, off);
}

/* Big-endian "database size after commit" of a frame header. */
static bool
is_commit_frame(const unsigned char *h)
{
	return (h[4] | h[5] | h[6] | h[7]) != 0;
}

static int
wb_write(sqlite3_file *file, const void *p, int n, sqlite3_int64 off)
{
	struct wb_file	*f = (struct wb_file *)file;
	sqlite3_int64	 end = f->off + (sqlite3_int64)f->len;
	bool		 hdr, page;
	int		 rc;

	if (!f->wal)
		return RM(f)->xWrite(f->real, p, n, off);
	if (f->err != SQLITE_OK)
		return f->err;
	if (off == 0)
		f->top = 0;	/* the WAL starts over */
	hdr = n == WB_FRAME_HDR && off >= f->top;
	page = f->want_page && off == end;
	if (f->top < off + n)
		f->top = off + n;
	if ((!hdr && !page) || n > WB_CAP) {
		if ((rc = wb_flush(f)) != SQLITE_OK)
			return rc;
		return RM(f)->xWrite(f->real, p, n, off);
	}
	if (f->len > 0 && (off != end || f->len + (size_t)n > WB_CAP)) {
		if ((rc = wb_flush(f)) != SQLITE_OK)
			return rc;
	}
	if (f->buf == NULL && (f->buf = malloc(WB_CAP)) == NULL)
		return SQLITE_IOERR_NOMEM;
	if (f->len == 0)
		f->off = off;
	memcpy(f->buf + f->len, p, (size_t)n);
	f->len += (size_t)n;
	if (hdr) {
		f->want_page = true;
		f->commit = is_commit_frame(p);
		return SQLITE_OK;
	}
	f->want_page = false;
	return f->commit ? wb_flush(f) : SQLITE_OK;
}

static int
wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	int rc;

	if ((rc = wb_flush_other((struct wb_file *)file)) != SQLITE_OK)
		return rc;
	return RM(file)->xTruncate(REAL(file), size);
}

static int
wb_sync(sqlite3_file *file, int flags)
{
	int rc;

	if ((rc = wb_flush_other((struct wb_file *)file)) != SQLITE_OK)
		return rc;
	if (((struct wb_file *)file)->err != SQLITE_OK)
		return SQLITE_IOERR_WRITE;
	return RM(file)->xSync(REAL(file), flags);
}

static int
wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	int rc;

	if ((rc = wb_flush_other((struct wb_file *)file)) != SQLITE_OK)
		return rc;
	return RM(file)->xFileSize(REAL(file), size);
}

static int
wb_lock(sqlite3_file *file, int lock)
{
	return RM(file)->xLock(REAL(file), lock);
}

static int
wb_unlock(sqlite3_file *file, int lock)
{
	return RM(file)->xUnlock(REAL(file), lock);
}

static int
wb_check_reserved(sqlite3_file *file, int *out)
{
	return RM(file)->xCheckReservedLock(REAL(file), out);
}

static int
wb_file_control(sqlite3_file *file, int op, void *arg)
{
	int rc;

	if ((rc = wb_flush_other((struct wb_file *)file)) != SQLITE_OK)
		return rc;
	return RM(file)->xFileControl(REAL(file), op, arg);
}

static int
wb_sector_size(sqlite3_file *file)
{
	return RM(file)->xSectorSize(REAL(file));
}

static int
wb_device(sqlite3_file *file)
{
	return RM(file)->xDeviceCharacteristics(REAL(file));
}

static int
wb_shm_map(sqlite3_file *file, int pg, int pgsz, int extend,
    void volatile **pp)
{
	return RM(file)->xShmMap(REAL(file), pg, pgsz, extend, pp);
}

/*
 * Before a lock or an unlock of the shared memory, the buffer is written
 * out; an unlock is always done, whatever that gives (SQLite does not
 * look). Releasing the write lock ends the transaction a failed flush
 * belonged to.
 */
static int
wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	struct wb_file	*walf = ((struct wb_file *)file)->walf;
	int		 rc = wb_flush_other(walf);

	if (flags & SQLITE_SHM_UNLOCK) {
		if (walf != NULL && offset == 0)
			walf->err = SQLITE_OK;
		return RM(file)->xShmLock(REAL(file), offset, n, flags);
	}
	if (rc != SQLITE_OK)
		return rc;
	return RM(file)->xShmLock(REAL(file), offset, n, flags);
}

static void
wb_shm_barrier(sqlite3_file *file)
{
	/*
	 * Empty here after a commit (its last frame was flushed by the
	 * write that appended it); a failure would stick all the same.
	 */
	(void)wb_flush(((struct wb_file *)file)->walf);
	RM(file)->xShmBarrier(REAL(file));
}

static int
wb_shm_unmap(sqlite3_file *file, int del)
{
	return RM(file)->xShmUnmap(REAL(file), del);
}

static int
wb_fetch(sqlite3_file *file, sqlite3_int64 off, int n, void **pp)
{
	return RM(file)->xFetch(REAL(file), off, n, pp);
}

static int
wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	return RM(file)->xUnfetch(REAL(file), off, p);
}

static const sqlite3_io_methods wb_methods = {
	.iVersion = 3,
	.xClose = wb_close,
	.xRead = wb_read,
	.xWrite = wb_write,
	.xTruncate = wb_truncate,
	.xSync = wb_sync,
	.xFileSize = wb_file_size,
	.xLock = wb_lock,
	.xUnlock = wb_unlock,
	.xCheckReservedLock = wb_check_reserved,
	.xFileControl = wb_file_control,
	.xSectorSize = wb_sector_size,
	.xDeviceCharacteristics = wb_device,
	.xShmMap = wb_shm_map,
	.xShmLock = wb_shm_lock,
	.xShmBarrier = wb_shm_barrier,
	.xShmUnmap = wb_shm_unmap,
	.xFetch = wb_fetch,
	.xUnfetch = wb_unfetch,
};

static int
wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
    int flags, int *out_flags)
{
	struct wb_file	*f = (struct wb_file *)file;
	int		 rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	if (f->real->pMethods == NULL)
		return rc;
	if (f->real->pMethods->iVersion < 3) {	/* not the unix VFS */
		f->real->pMethods->xClose(f->real);
		return SQLITE_CANTOPEN;
	}
	f->base.pMethods = &wb_methods;
	if (rc == SQLITE_OK && (flags & SQLITE_OPEN_WAL) && name != NULL) {
		f->wal = true;
		f->mainf = (struct wb_file *)sqlite3_database_file_object(name);
		if (f->mainf != NULL)
			f->mainf->walf = f;
	}
	return rc;
}

static void
wb_register(void)
{
	if ((real_vfs = sqlite3_vfs_find(NULL)) == NULL)
		return;
	wb_vfs = *real_vfs;
	wb_vfs.zName = WB_NAME;
	wb_vfs.szOsFile = (int)sizeof(struct wb_file) + real_vfs->szOsFile;
	wb_vfs.xOpen = wb_open;
	wb_vfs.pNext = NULL;
	wb_registered = sqlite3_vfs_register(&wb_vfs, 0);
}

const char *
sq_walbuf_vfs(void)
{
	pthread_once(&wb_once, wb_register);
	return wb_registered == SQLITE_OK ? WB_NAME : NULL;
}
