/*
 * test_keyfile.c - util/keyfile.h: the server key is read only from a
 * regular file of the effective user that nobody else can read. A key
 * file planted by someone else (theirs, or a symbolic link to a file
 * they control) would hand them every hash, CSRF token and audit link;
 * it was adopted silently as long as its mode was 0600.
 */
#include "../harness.h"

#include <sys/stat.h>

#include "util/keyfile.h"

struct fx {
	char	dir[TH_PATH];
	char	path[TH_PATH];
	uint8_t	key[GH_KEY_BYTES];
	uint8_t	got[GH_KEY_BYTES];
};

static int
setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	th_tmpdir(f->dir, sizeof(f->dir));
	th_path(f->path, sizeof(f->path), f->dir, "gatehouse.key");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	th_rmdir(f->dir);
	free(f);
	return 0;
}

/* keyfile_load's verdict on path; *why must name the problem */
static void
refused(const char *path, const char *word)
{
	uint8_t		 key[GH_KEY_BYTES];
	const char	*why = NULL;

	assert_int_not_equal(keyfile_load(path, key, sizeof(key), &why),
	    GH_OK);
	assert_non_null(why);
	if (strstr(why, word) == NULL)
		fail_msg("\"%s\" does not say \"%s\"", why, word);
}

static void
test_created_and_loaded(void **state)
{
	struct fx	*f = *state;
	struct stat	 st;
	const char	*why = "unset";

	assert_int_equal(keyfile_create(f->path, f->key, sizeof(f->key)),
	    GH_OK);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(keyfile_load(f->path, f->got, sizeof(f->got), &why),
	    GH_OK);
	assert_null(why);
	assert_memory_equal(f->key, f->got, sizeof(f->key));
	/* never over what is there */
	assert_int_equal(keyfile_create(f->path, f->got, sizeof(f->got)),
	    GH_ERR_EXISTS);
	assert_int_equal(keyfile_load(f->path, f->got, sizeof(f->got), &why),
	    GH_OK);
	assert_memory_equal(f->key, f->got, sizeof(f->key));
}

static void
test_readable_by_others(void **state)
{
	struct fx *f = *state;

	assert_int_equal(keyfile_create(f->path, f->key, sizeof(f->key)),
	    GH_OK);
	assert_int_equal(chmod(f->path, 0640), 0);
	refused(f->path, "chmod 600");
	assert_int_equal(chmod(f->path, 0604), 0);
	refused(f->path, "chmod 600");
}

/* a link to a good key file is still refused: the link is not ours */
static void
test_symbolic_link(void **state)
{
	struct fx	*f = *state;
	char		 link[TH_PATH], other[TH_PATH];

	th_path(other, sizeof(other), f->dir, "theirs.key");
	assert_int_equal(keyfile_create(other, f->key, sizeof(f->key)), GH_OK);
	th_path(link, sizeof(link), f->dir, "gatehouse.key");
	assert_int_equal(symlink(other, link), 0);
	refused(link, "symbolic link");
	/* nor is one created through it */
	assert_int_equal(keyfile_create(link, f->key, sizeof(f->key)),
	    GH_ERR_EXISTS);
}

static void
test_not_a_regular_file(void **state)
{
	struct fx *f = *state;

	assert_int_equal(mkfifo(f->path, 0600), 0);
	refused(f->path, "regular file");	/* and does not block */
}

/*
 * Another user's file, mode 0600 and a valid key: refused. Only root can
 * give a file away, so this case needs root (the test runner is, here).
 */
static void
test_another_owner(void **state)
{
	struct fx *f = *state;

	if (geteuid() != 0)
		skip();
	assert_int_equal(keyfile_create(f->path, f->key, sizeof(f->key)),
	    GH_OK);
	assert_int_equal(chown(f->path, 65534, 65534), 0);	/* nobody */
	refused(f->path, "another user");
}

static void
test_missing_or_malformed(void **state)
{
	struct fx *f = *state;

	static const char *const bad[] = {
		"not hex at all, and far too short\n",
		/* a key and more: never taken as the first 32 bytes of it */
		"000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f" "junk\n",
		"000102030405060708090a0b0c0d0e0f"
		"101112131415161718191a1b1c1d1e1f"
		"202122232425262728292a2b2c2d2e2f"
		"303132333435363738393a3b3c3d3e3f\n",
	};
	uint8_t		 key[GH_KEY_BYTES];
	const char	*why;
	size_t		 i;

	refused(f->path, "does not exist");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		th_write_file(f->path, bad[i]);
		assert_int_equal(chmod(f->path, 0600), 0);
		refused(f->path, "64 hex digits");
	}
	/* a line end written by another tool is fine */
	th_write_file(f->path, "000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f\r\n");
	assert_int_equal(chmod(f->path, 0600), 0);
	assert_int_equal(keyfile_load(f->path, key, sizeof(key), &why), GH_OK);
	assert_int_equal(key[31], 0x1f);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_created_and_loaded),
		T(test_readable_by_others),
		T(test_symbolic_link),
		T(test_not_a_regular_file),
		T(test_another_owner),
		T(test_missing_or_malformed),
	};
#undef T

	return cmocka_run_group_tests_name("util/keyfile", tests, NULL, NULL);
}
