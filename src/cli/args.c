/* args.c - see args.h. */
#include <stdio.h>
#include <string.h>

#include "args.h"

static const struct opt_spec *
find_spec(const struct opt_spec *spec, const char *name)
{
	for (; spec && spec->name; spec++)
		if (strcmp(spec->name, name) == 0)
			return spec;
	return NULL;
}

const struct opt_spec args_none[] = {
	{ NULL, false, false },
};

const struct subcommand *
args_subcommand(const struct subcommand *subs, const char *name)
{
	for (; subs->name; subs++)
		if (strcmp(subs->name, name) == 0)
			return subs;
	return NULL;
}

/* "--bogus" refused: say whose option it is not, and which ones it has */
static void
refuse(const char *command, const char *sub, const char *opt,
    const struct opt_spec *spec)
{
	const struct opt_spec *o;

	fprintf(stderr, "gatehouse: %s%s%s does not take %s (", command,
	    sub ? " " : "", sub ? sub : "", opt);
	if (spec == NULL || spec->name == NULL)
		fputs("it takes no options", stderr);
	for (o = spec; o && o->name; o++)
		fprintf(stderr, "%s%s", o == spec ? "its options: " : ", ",
		    o->name);
	fputs(")\n", stderr);
}

bool
args_parse(const char *command, const char *sub, int argc, char **argv,
    const struct opt_spec *spec, struct args *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < argc; i++) {
		const struct opt_spec *s;

		if (strncmp(argv[i], "--", 2) != 0) {
			if (out->npositional >= 4) {
				fprintf(stderr, "gatehouse: unexpected "
				    "argument \"%s\"\n", argv[i]);
				return false;
			}
			out->positional[out->npositional++] = argv[i];
			continue;
		}
		if ((s = find_spec(spec, argv[i])) == NULL) {
			refuse(command, sub, argv[i], spec);
			return false;
		}
		if (!s->repeatable && args_get(out, s->name) != NULL) {
			fprintf(stderr, "gatehouse: %s given twice\n",
			    s->name);
			return false;
		}
		if (out->n >= ARGS_MAX) {
			fprintf(stderr, "gatehouse: too many options\n");
			return false;
		}
		out->names[out->n] = s->name;
		if (s->has_value) {
			if (i + 1 >= argc) {
				fprintf(stderr, "gatehouse: %s needs a "
				    "value\n", s->name);
				return false;
			}
			out->values[out->n] = argv[++i];
		} else {
			out->values[out->n] = "";
		}
		out->n++;
	}
	return true;
}

const char *
args_get(const struct args *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (strcmp(a->names[i], name) == 0)
			return a->values[i];
	return NULL;
}

bool
args_flag(const struct args *a, const char *name)
{
	return args_get(a, name) != NULL;
}

size_t
args_all(const struct args *a, const char *name, const char **out,
    size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < a->n && n < max; i++)
		if (strcmp(a->names[i], name) == 0)
			out[n++] = a->values[i];
	return n;
}
