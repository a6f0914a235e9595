/* json_text.c - see json_text.h. */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "json_text.h"

/* most documents (a token response with an ID token) fit in one pass */
#define FIRST_PASS	4096

char *
json_text(const json_t *o, size_t flags)
{
	char	 first[FIRST_PASS];
	char	*s = NULL;
	size_t	 n;

	/* json_dumpb answers the size it needs, 0 on failure */
	if (o == NULL || (n = json_dumpb(o, first, sizeof(first), flags)) == 0)
		return NULL;
	if ((s = malloc(n + 1)) == NULL)
		goto out;
	if (n <= sizeof(first)) {
		memcpy(s, first, n);
	} else if (json_dumpb(o, s, n, flags) != n) {
		free(s);		/* changed under us, or failed */
		s = NULL;
		goto out;
	}
	s[n] = '\0';
out:
	crypto_wipe(first, n < sizeof(first) ? n : sizeof(first));
	return s;
}
