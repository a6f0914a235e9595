/*
 * gov_fixture.h - a started governance (gov_start) on a real store
 * (SQLite, or PostgreSQL when GH_TEST_PG_URL is set), for the governance
 * unit tests; `conf` sets the rules' settings before it starts.
 */
#ifndef GH_TEST_GOV_FIXTURE_H
#define GH_TEST_GOV_FIXTURE_H

#include "../harness.h"

#include "governance/gov.h"

struct fixture {
	struct th_store	*t;
	struct app	 app;
	struct gov	*g;
};

static int
gov_fixture_setup(void **state, void (*conf)(struct conf *))
{
	struct fixture	*f = calloc(1, sizeof(*f));

	if (f == NULL || th_app_store_setup(&f->t, &f->app) != 0) {
		free(f);
		return -1;
	}
	conf(&f->app.conf);
	if (gov_start(&f->app, &f->g) != GH_OK) {
		void *ts = f->t;

		th_store_teardown(&ts);
		free(f);
		return -1;
	}
	f->app.gov = f->g;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;
	void		*ts = f->t;

	gov_stop(f->g);
	free(f);
	return th_store_teardown(&ts);
}

#endif
