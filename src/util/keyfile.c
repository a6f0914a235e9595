/* keyfile.c - see keyfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "keyfile.h"
#include "log.h"

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

enum gh_err
keyfile_load(const char *path, uint8_t *key, size_t n)
{
	char		hex[2 * 64 + 2];
	struct stat	st;
	int		fd;
	ssize_t		r;
	size_t		i;
	enum gh_err	rc = GH_ERR_PARSE;

	if (n > 64)
		return GH_ERR_LIMIT;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return GH_ERR_IO;
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
		log_kv(LOG_ERROR, "key_file_insecure", "path", path, "msg",
		    "key file must be readable by its owner only (chmod 600)",
		    NULL);
		close(fd);
		return GH_ERR_INVALID;
	}
	r = read(fd, hex, sizeof(hex));
	close(fd);
	if (r < (ssize_t)(2 * n))
		goto out;
	for (i = 0; i < n; i++) {
		int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			goto out;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	rc = GH_OK;
out:
	crypto_wipe(hex, sizeof(hex));
	return rc;
}
