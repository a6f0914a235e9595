/*
 * args.h - option parsing for the admin command: each command declares
 * its options in a small table; unknown options, missing values and
 * repeats of single options are errors.
 */
#ifndef GH_ARGS_H
#define GH_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#define ARGS_MAX 32

struct opt_spec {
	const char	*name;		/* "--name" */
	bool		 has_value;
	bool		 repeatable;
};

struct args {
	const char	*names[ARGS_MAX];
	const char	*values[ARGS_MAX];	/* NULL for flags */
	size_t		 n;
	const char	*positional[4];
	size_t		 npositional;
};

/* Parse argv (after the command words); prints the error and returns false. */
bool		args_parse(int argc, char **argv, const struct opt_spec *spec,
		    struct args *out);
const char     *args_get(const struct args *a, const char *name);
bool		args_flag(const struct args *a, const char *name);
/* Every value of a repeatable option, in order; returns the count. */
size_t		args_all(const struct args *a, const char *name,
		    const char **out, size_t max);

#endif
