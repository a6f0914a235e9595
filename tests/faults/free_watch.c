/*
 * free_watch.c - an LD_PRELOAD shim for the test that secrets do not
 * outlive their use in memory: at every free(), a block that still holds
 * an access or refresh token ("gate_at_" / "gate_rt_" and what follows),
 * an authorization code ("gate_ac_...") or a signed JWT ("eyJ...", two
 * dots, printed whole) is reported on stderr, the server's log, as
 * "free_watch: TEXT". The test then looks for the secrets it was given
 * (test_memory_secrets.py). Works under ASan too: its free() comes next,
 * and malloc_usable_size() is ASan's own for its blocks.
 */
#include <dlfcn.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PREFIX_LEN	8
#define TOKEN_MAX	64
#define JWT_MAX		4096

void	free(void *p);

static int
b64url(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static void
say(const char *p, size_t n)
{
	char	line[sizeof("free_watch: \n") + JWT_MAX];
	size_t	len = strlen("free_watch: ");

	memcpy(line, "free_watch: ", len);
	memcpy(line + len, p, n);
	len += n;
	line[len++] = '\n';
	(void)!write(2, line, len);
}

static void
report(const char *block, size_t n, const char *prefix)
{
	const char	*p = block, *end = block + n;
	size_t		 k;

	while ((p = memmem(p, (size_t)(end - p), prefix, PREFIX_LEN)) != NULL) {
		for (k = 0; k < TOKEN_MAX && p + k < end &&
		    (k < PREFIX_LEN || b64url(p[k])); k++)
			;
		say(p, k);
		p += PREFIX_LEN;
	}
}

/* a compact JWS: three base64url parts, the first a JSON object's */
static void
report_jwts(const char *block, size_t n)
{
	const char	*p = block, *end = block + n;
	size_t		 k;
	int		 dots;

	while ((p = memmem(p, (size_t)(end - p), "eyJ", 3)) != NULL) {
		for (k = 0, dots = 0; k < JWT_MAX && p + k < end &&
		    (b64url(p[k]) || p[k] == '.'); k++)
			dots += p[k] == '.';
		if (dots == 2 && p[k - 1] != '.')
			say(p, k);
		p += k > 3 ? k : 3;
	}
}

static void	(*real_free)(void *);

/* dlsym may itself free: resolved once, before main, never from free() */
__attribute__((constructor)) static void
find_free(void)
{
	static const char	 probe[] = "gate_at_shim_is_watching";
	char			*p;

	*(void **)&real_free = dlsym(RTLD_NEXT, "free");
	/* one report the test can count on: the watch is on in this process */
	if ((p = malloc(sizeof(probe))) != NULL) {
		memcpy(p, probe, sizeof(probe));
		/* used, as far as the compiler knows: not optimised away */
		__asm__ volatile("" : : "r"(p) : "memory");
		free(p);
	}
}

void
free(void *p)
{
	size_t n;

	if (real_free == NULL)
		return;		/* before the constructor: kept, not lost */
	if (p != NULL) {
		n = malloc_usable_size(p);
		report(p, n, "gate_at_");
		report(p, n, "gate_rt_");
		report(p, n, "gate_ac_");
		report_jwts(p, n);
	}
	real_free(p);
}
