/* keyfile.c - see keyfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "keyfile.h"

enum gh_err
keyfile_create(const char *path, uint8_t *key, size_t n)
{
	char	hex[2 * 64 + 2];
	int	fd;
	enum gh_err rc;
	ssize_t	w;

	if (n > 64)
		return GH_ERR_LIMIT;
	if ((rc = crypto_random(key, n)) != GH_OK)
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return errno == EEXIST ? GH_ERR_EXISTS : GH_ERR_IO;
	hex_encode(key, n, hex);
	hex[2 * n] = '\n';
	w = write(fd, hex, 2 * n + 1);
	crypto_wipe(hex, sizeof(hex));
	if (w != (ssize_t)(2 * n + 1) || fsync(fd) != 0) {
		close(fd);
		unlink(path);
		return GH_ERR_IO;
	}
	close(fd);
	return GH_OK;
}

/*
 * The file at fd may hold the key: a regular file of ours that nobody
 * else can read. Anyone who could plant or read it could forge every
 * hash, CSRF token and audit link (and unseal the signing keys).
 */
static const char *
unfit(int fd)
{
	struct stat st;

	if (fstat(fd, &st) != 0)
		return "cannot be read";
	if (!S_ISREG(st.st_mode))
		return "is not a regular file";
	if (st.st_uid != geteuid())
		return "is owned by another user (it must be this user's, "
		    "mode 0600)";
	if ((st.st_mode & 077) != 0)
		return "must be readable by its owner only (chmod 600)";
	return NULL;
}

enum gh_err
keyfile_load(const char *path, uint8_t *key, size_t n, const char **why)
{
	char		hex[2 * 64 + 2];
	int		fd;
	ssize_t		r;
	size_t		i;
	enum gh_err	rc = GH_ERR_PARSE;

	*why = "is not a key of 64 hex digits";
	if (n > 64)
		return GH_ERR_LIMIT;
	/* a symbolic link could point anywhere: at a file someone else made */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK))
	    < 0) {
		*why = errno == ELOOP ? "is a symbolic link (name the file "
		    "itself)" : errno == ENOENT ? "does not exist (gatehouse "
		    "init creates it)" : "cannot be opened";
		return GH_ERR_IO;
	}
	if ((*why = unfit(fd)) != NULL) {
		close(fd);
		return GH_ERR_INVALID;
	}
	*why = "is not a key of 64 hex digits";
	r = read(fd, hex, sizeof(hex));
	close(fd);
	/* a file that fills the buffer holds more than a key and a newline */
	if (r < (ssize_t)(2 * n) || r == (ssize_t)sizeof(hex))
		goto out;
	/* after the digits only a line end: never a longer key, cut short */
	for (i = 2 * n; i < (size_t)r; i++)
		if (hex[i] != '\n' && hex[i] != '\r' && hex[i] != ' ' &&
		    hex[i] != '\t')
			goto out;
	for (i = 0; i < n; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto out;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	*why = NULL;
	rc = GH_OK;
out:
	crypto_wipe(hex, sizeof(hex));
	return rc;
}
