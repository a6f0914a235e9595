/*
 * replay.c - a plain main() for the fuzz targets, so their seed corpora
 * run under gcc's ASan+UBSan in `make test` without libFuzzer.
 *
 * Usage: fuzz_X FILE|DIR...  Every regular file named, and every regular
 * file directly inside a named directory (dot files skipped), is read
 * whole and given once to LLVMFuzzerTestOneInput(). A crash or sanitizer
 * report ends the process with its own status; a file that cannot be read
 * or an empty run exits 1. The last line says how many inputs ran; when
 * an input kills the process (abort() from an invariant, or a sanitizer
 * report) its path is printed first, so the failing seed is named.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Anything larger is not a seed; libFuzzer's own default cap is 1 MiB. */
#define REPLAY_MAX_INPUT	(1024 * 1024)

static const char *prog = "replay";
static const char *current;	/* the input being run, for crash reports */

/* Name the input that killed us; async-signal-safe (write only). */
static void
report_current(void)
{
	static const char pre[] = "replay: crashed on input: ";

	if (current == NULL ||
	    write(STDERR_FILENO, pre, sizeof(pre) - 1) < 0 ||
	    write(STDERR_FILENO, current, strlen(current)) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		return;
}

static void
on_abort(int sig)
{
	report_current();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Feed one file to the target; 0 on success, -1 if it cannot be read. */
static int
run_file(const char *path)
{
	FILE	*f;
	uint8_t	*buf = NULL;
	long	 len;
	int	 rc = -1;

	if ((f = fopen(path, "rb")) == NULL) {
		fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (len = ftell(f)) < 0 ||
	    len > REPLAY_MAX_INPUT || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "%s: %s: unreadable or over %d bytes\n", prog,
		    path, REPLAY_MAX_INPUT);
		goto out;
	}
	/* exact size, so ASan sees a target reading past the input */
	if ((buf = malloc(len ? (size_t)len : 1)) == NULL ||
	    fread(buf, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "%s: %s: read failed\n", prog, path);
		goto out;
	}
	current = path;
	LLVMFuzzerTestOneInput(buf, (size_t)len);
	current = NULL;
	rc = 0;
out:
	free(buf);
	fclose(f);
	return rc;
}

/* scandir filter: skip ".", ".." and hidden files such as .gitkeep */
static int
visible(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/*
 * Run every regular file directly inside dir, in name order so a failing
 * replay is reproducible; count them into *ran.
 */
static int
run_dir(const char *dir, size_t *ran)
{
	struct dirent	**ents;
	struct stat	 st;
	char		 path[4096];
	int		 rc = 0, n, i, len;

	if ((n = scandir(dir, &ents, visible, alphasort)) < 0) {
		fprintf(stderr, "%s: %s: %s\n", prog, dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		len = snprintf(path, sizeof(path), "%s/%s", dir,
		    ents[i]->d_name);
		if (len < 0 || (size_t)len >= sizeof(path)) {
			fprintf(stderr, "%s: %s/%s: path too long\n", prog,
			    dir, ents[i]->d_name);
			rc = -1;
		} else if (stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			if (run_file(path) != 0)
				rc = -1;
			else
				(*ran)++;
		}
		free(ents[i]);
	}
	free(ents);
	return rc;
}

int
main(int argc, char **argv)
{
	struct stat	 st;
	size_t		 ran = 0;
	int		 i, bad = 0;

	if (argc > 0 && argv[0] != NULL)
		prog = argv[0];
	signal(SIGABRT, on_abort);
#if defined(__SANITIZE_ADDRESS__)
	__sanitizer_set_death_callback(report_current);
#endif
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", prog);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s: %s\n", prog, argv[i],
			    strerror(errno));
			bad = 1;
		} else if (S_ISDIR(st.st_mode)) {
			if (run_dir(argv[i], &ran) != 0)
				bad = 1;
		} else if (run_file(argv[i]) != 0)
			bad = 1;
		else
			ran++;
	}
	printf("%s: %zu inputs ran\n", prog, ran);
	if (ran == 0) {
		fprintf(stderr, "%s: no inputs\n", prog);
		bad = 1;
	}
	return bad ? 1 : 0;
}
