/*
 * args.h - option parsing for the admin command: each subcommand declares
 * exactly the options it takes in a small table next to its code; any
 * other option, a missing value and a repeat of a single option are
 * errors (exit 2, before anything is opened or changed). An option a
 * subcommand does not use is refused, never ignored: an operator who
 * wrote it believes it did something.
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

/* A subcommand ("disable") and the options it takes. */
struct subcommand {
	const char		*name;
	const struct opt_spec	*opts;
};

/* The options of a subcommand that takes none. */
extern const struct opt_spec args_none[];

/* The entry of `subs` (ended by a NULL name) called `name`, or NULL. */
const struct subcommand *args_subcommand(const struct subcommand *subs,
		    const char *name);
/*
 * Parse argv (after the command words) with the options `spec` of
 * `command` `sub` ("client", "disable"; sub may be NULL), both named in
 * the messages; prints the error and returns false.
 */
bool		args_parse(const char *command, const char *sub, int argc,
		    char **argv, const struct opt_spec *spec, struct args *out);
const char     *args_get(const struct args *a, const char *name);
bool		args_flag(const struct args *a, const char *name);
/* Every value of a repeatable option, in order; returns the count. */
size_t		args_all(const struct args *a, const char *name,
		    const char **out, size_t max);

#endif
