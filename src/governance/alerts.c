/* alerts.c - see alerts.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "gov.h"
#include "../util/clock.h"
#include "../util/json_text.h"
#include "../util/log.h"
#include "../util/str.h"

void
alert_prepare(struct alert_row *a, const struct alert_spec *spec,
    json_t *evidence)
{
	char *ev = NULL;

	memset(a, 0, sizeof(*a));
	a->time = clock_now();
	str_copy(a->rule, sizeof(a->rule), spec->rule);
	str_copy(a->severity, sizeof(a->severity), spec->severity);
	if (spec->subj) {
		if (spec->subj->client_id)
			str_copy(a->client_id, sizeof(a->client_id),
			    spec->subj->client_id);
		if (spec->subj->user_id)
			str_copy(a->user_id, sizeof(a->user_id),
			    spec->subj->user_id);
		if (spec->subj->grant_id)
			str_copy(a->grant_id, sizeof(a->grant_id),
			    spec->subj->grant_id);
	}
	/* both may quote client text: cut at a character, as UTF-8 */
	str_copy_utf8(a->summary, sizeof(a->summary), spec->summary);
	str_copy_utf8(a->dedupe_key, sizeof(a->dedupe_key), spec->key);
	if (evidence)
		ev = json_text(evidence, JSON_COMPACT | JSON_SORT_KEYS);
	/* evidence that does not fit is replaced, never cut mid-JSON */
	str_copy(a->evidence, sizeof(a->evidence),
	    ev && strlen(ev) < sizeof(a->evidence) ? ev :
	    "{\"truncated\":true}");
	free(ev);
	json_decref(evidence);
}

void
alert_announce(struct app *app, const struct alert_row *a)
{
	char id[24];

	snprintf(id, sizeof(id), "%lld", (long long)a->id);
	log_kv(LOG_WARN, "alert", "id", id, "rule", a->rule, "severity",
	    a->severity, "client_id", a->client_id, "user_id", a->user_id,
	    "grant_id", a->grant_id, "summary", a->summary, "evidence",
	    a->evidence, NULL);
	gov_wake(app->gov);
}

bool
alert_raise(struct app *app, const struct alert_spec *spec, json_t *evidence)
{
	struct alert_row	 a;
	bool			 raised = false;
	enum gh_err		 rc;

	alert_prepare(&a, spec, evidence);
	rc = store_alert_raise(app->store, &a,
	    spec->while_open ? 0 : a.time - app->conf.alert_quiet_seconds,
	    &raised);
	if (rc != GH_OK) {
		log_kv(LOG_ERROR, "alert_not_stored", "rule", a.rule,
		    "client_id", a.client_id, "error", gh_err_str(rc), NULL);
		return false;
	}
	if (raised)
		alert_announce(app, &a);
	return raised;
}
