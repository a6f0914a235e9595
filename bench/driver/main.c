/*
 * main.c - ghbench, Gatehouse's load driver: options, one thread per
 * simulated client, the measured window (a warm-up, then -d seconds;
 * only operations that start and end inside it count), the server's CPU
 * and peak RSS over that window, and the report: one table row per run
 * on stdout (or one JSON line with --json). Exit status 1 when any
 * request failed, so that a run with errors cannot pass unnoticed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ghbench.h"

static void
usage(void)
{
	fprintf(stderr,
	    "usage: ghbench --url http://127.0.0.1:PORT --scenario "
	    "flow|refresh|introspect\n"
	    "         [-c THREADS] [-d SECONDS] [-w WARMUP] [--pid PID]\n"
	    "         [--public-client ID] [--client-id ID --client-secret S]\n"
	    "         [--client public|confidential] [--cookie NAME=VALUE]\n"
	    "         [--redirect-uri URI] [--scope S] [--label L] [--json]\n"
	    "       ghbench --header      (the table header only)\n");
}

/* http://A.B.C.D:PORT, nothing after the port but an optional '/'. */
static bool
parse_url(struct options *o, const char *url)
{
	const char	*h, *colon;
	char		 port[8];
	uint64_t	 v;
	size_t		 n;

	if (strncmp(url, "http://", 7) != 0)
		return false;
	h = url + 7;
	if ((colon = strchr(h, ':')) == NULL ||
	    (size_t)(colon - h) >= sizeof(o->host))
		return false;
	memcpy(o->host, h, (size_t)(colon - h));
	o->host[colon - h] = '\0';
	n = strcspn(colon + 1, "/");
	if (n == 0 || n >= sizeof(port) || (colon[1 + n] != '\0' &&
	    strcmp(colon + 1 + n, "/") != 0))
		return false;
	memcpy(port, colon + 1, n);
	port[n] = '\0';
	if (!parse_uint(port, 65535, &v) || v == 0)
		return false;
	o->port = (uint16_t)v;
	/* the issuer, as the iss parameter must repeat it */
	return (size_t)snprintf(o->base, sizeof(o->base), "http://%s:%u",
	    o->host, (unsigned)o->port) < sizeof(o->base);
}

static bool
set_num(unsigned *dst, const char *v, uint64_t lo, uint64_t hi)
{
	uint64_t n;

	if (!parse_uint(v, hi, &n) || n < lo)
		return false;
	*dst = (unsigned)n;
	return true;
}

static bool
parse_args(struct options *o, int argc, char **argv)
{
	const char	*k, *v, *client = NULL, *scen = NULL, *url = NULL;
	uint64_t	 pid;
	int		 i;
	bool		 ok = true;

	memset(o, 0, sizeof(*o));
	o->conc = 8;
	o->duration = 10;
	o->warmup = 2;
	str_copy(o->redirect_uri, sizeof(o->redirect_uri),
	    "http://127.0.0.1:9199/cb");
	str_copy(o->scope, sizeof(o->scope), "openid profile offline_access");
	for (i = 1; i < argc && ok; i++) {
		k = argv[i];
		if (strcmp(k, "--json") == 0 || strcmp(k, "--header") == 0) {
			*(k[2] == 'j' ? &o->json : &o->header) = true;
			continue;
		}
		if (i + 1 >= argc)
			return false;
		v = argv[++i];
		if (strcmp(k, "--url") == 0)
			url = v;
		else if (strcmp(k, "--scenario") == 0)
			scen = v;
		else if (strcmp(k, "--client") == 0)
			client = v;
		else if (strcmp(k, "-c") == 0)
			ok = set_num(&o->conc, v, 1, GB_MAX_THREADS);
		else if (strcmp(k, "-d") == 0)
			ok = set_num(&o->duration, v, 1, GB_MAX_SECONDS);
		else if (strcmp(k, "-w") == 0)
			ok = set_num(&o->warmup, v, 0, GB_MAX_SECONDS);
		else if (strcmp(k, "--pid") == 0) {
			ok = parse_uint(v, 1 << 30, &pid);
			o->pid = (long)pid;
		} else if (strcmp(k, "--public-client") == 0)
			ok = str_copy(o->public_id, sizeof(o->public_id), v);
		else if (strcmp(k, "--client-id") == 0)
			ok = str_copy(o->conf_id, sizeof(o->conf_id), v);
		else if (strcmp(k, "--client-secret") == 0)
			ok = str_copy(o->conf_secret, sizeof(o->conf_secret),
			    v);
		else if (strcmp(k, "--cookie") == 0)
			ok = str_copy(o->cookie, sizeof(o->cookie), v);
		else if (strcmp(k, "--redirect-uri") == 0)
			ok = str_copy(o->redirect_uri, sizeof(o->redirect_uri),
			    v);
		else if (strcmp(k, "--scope") == 0)
			ok = str_copy(o->scope, sizeof(o->scope), v);
		else if (strcmp(k, "--label") == 0)
			ok = str_copy(o->label, sizeof(o->label), v);
		else
			return false;
	}
	if (!ok || o->header)
		return ok;
	if (url == NULL || !parse_url(o, url) || scen == NULL)
		return false;
	if (strcmp(scen, "flow") == 0)
		o->scenario = GB_FLOW;
	else if (strcmp(scen, "refresh") == 0)
		o->scenario = GB_REFRESH;
	else if (strcmp(scen, "introspect") == 0)
		o->scenario = GB_INTROSPECT;
	else
		return false;
	/* defaults as in shared/peers: flow public, the others confidential */
	o->confidential = o->scenario != GB_FLOW;
	if (client != NULL && strcmp(client, "public") != 0 &&
	    strcmp(client, "confidential") != 0)
		return false;
	if (client != NULL)
		o->confidential = strcmp(client, "confidential") == 0;
	if (o->scenario == GB_INTROSPECT && !o->confidential)
		return false;	/* introspection needs a client secret */
	if (o->cookie[0] == '\0' || (o->confidential ? o->conf_id[0] == '\0' ||
	    o->conf_secret[0] == '\0' : o->public_id[0] == '\0'))
		return false;
	return true;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;

	if (scenario_setup(w))
		scenario_run(w);
	conn_close(&w->c);
	return NULL;
}

static void
sleep_until(int64_t t)
{
	struct timespec ts = { (time_t)(t / 1000000000),
	    (long)(t % 1000000000) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		;
}

struct result {
	struct hist	 step[GB_MAX_STEPS];
	const char	*names[GB_MAX_STEPS];
	int		 nsteps;
	uint64_t	 ops, errors[GB_E_COUNT], err_total;
	const char	*first_error;
	double		 rate, cpu_pct, cpu_ms_op;
	double		 rss_mib;	/* peak RSS in the window */
	double		 life_mib;	/* peak RSS since the server started */
	bool		 rss_reset;	/* false: rss_mib is the life peak */
	double		 self_pct, others_pct;	/* driver; everything else */
	bool		 have_cpu, have_rss;
};

static void
json_string(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned)(unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
print_json(const struct options *o, const struct result *r)
{
	int i;

	printf("{\"label\":");
	json_string(o->label);
	printf(",\"scenario\":\"%s\",\"client\":\"%s\",\"concurrency\":%u,"
	    "\"duration_s\":%u,\"warmup_s\":%u,\"ops\":%llu,\"rate\":%.1f,"
	    "\"steps\":{", scenario_name(o->scenario),
	    o->confidential ? "confidential" : "public", o->conc, o->duration,
	    o->warmup, (unsigned long long)r->ops, r->rate);
	for (i = 0; i < r->nsteps; i++)
		printf("%s\"%s\":{\"p50_ms\":%.3f,\"p99_ms\":%.3f}",
		    i ? "," : "", r->names[i], hist_pct_ms(&r->step[i], 50),
		    hist_pct_ms(&r->step[i], 99));
	printf("},\"server_cpu_pct\":%.1f,\"server_cpu_ms_per_op\":%.4f,"
	    "\"server_rss_peak_mib\":%.1f,\"server_rss_life_peak_mib\":%.1f,"
	    "\"rss_peak_of_window\":%s,\"driver_cpu_pct\":%.1f,"
	    "\"others_cpu_pct\":%.1f,\"errors\":{", r->cpu_pct,
	    r->cpu_ms_op, r->rss_mib, r->life_mib,
	    r->rss_reset ? "true" : "false", r->self_pct, r->others_pct);
	for (i = 0; i < GB_E_COUNT; i++)
		printf("%s\"%s\":%llu", i ? "," : "",
		    error_name((enum gb_error)i),
		    (unsigned long long)r->errors[i]);
	printf("},\"error_total\":%llu,\"first_error\":",
	    (unsigned long long)r->err_total);
	json_string(r->first_error ? r->first_error : "");
	printf("}\n");
}

static void
print_header(void)
{
	printf("%-10s %-12s %4s %9s  %-44s %9s %8s %7s %7s\n", "scenario",
	    "client", "c", "ops/s", "latency p50/p99 ms", "CPU ms/op",
	    "RSS MiB", "others%", "errors");
}

static void
print_row(const struct options *o, const struct result *r)
{
	char	 lat[160] = "", cpu[16] = "-", rss[16] = "-";
	size_t	 n = 0;
	int	 i;

	for (i = 0; i < r->nsteps && n < sizeof(lat); i++)
		n += (size_t)snprintf(lat + n, sizeof(lat) - n,
		    "%s%s %.2f/%.2f", i ? " " : "", r->names[i],
		    hist_pct_ms(&r->step[i], 50), hist_pct_ms(&r->step[i], 99));
	if (r->have_cpu)
		snprintf(cpu, sizeof(cpu), "%.3f", r->cpu_ms_op);
	if (r->have_rss)
		snprintf(rss, sizeof(rss), "%.1f", r->rss_mib);
	printf("%-10s %-12s %4u %9.0f  %-44s %9s %8s %7.0f %7llu\n",
	    scenario_name(o->scenario),
	    o->confidential ? "confidential" : "public", o->conc, r->rate, lat,
	    cpu, rss, r->others_pct, (unsigned long long)r->err_total);
}

static void
collect(const struct options *o, struct worker *ws, struct result *r)
{
	unsigned	 t;
	int		 i, e;

	r->nsteps = scenario_steps(o->scenario, r->names);
	for (t = 0; t < o->conc; t++) {
		for (i = 0; i < r->nsteps; i++)
			hist_merge(&r->step[i], &ws[t].step[i]);
		r->ops += ws[t].ops;
		for (e = 0; e < GB_E_COUNT; e++) {
			r->errors[e] += ws[t].errors[e];
			r->err_total += ws[t].errors[e];
		}
		if (r->first_error == NULL && ws[t].first_error[0] != '\0')
			r->first_error = ws[t].first_error;
	}
	r->rate = (double)r->ops / o->duration;
}

int
main(int argc, char **argv)
{
	static struct options	 o;
	static struct result	 r;
	struct worker		*ws;
	pthread_t		 th[GB_MAX_THREADS];
	uint64_t		 c0 = 0, c1 = 0, hwm = 0, hwm0 = 0;
	uint64_t		 m0 = 0, m1 = 0, s0 = 0, s1 = 0;
	bool			 have_m;
	int64_t			 start, end;
	unsigned		 t, started = 0;
	double			 hz = (double)proc_ticks_per_second();

	if (!parse_args(&o, argc, argv)) {
		usage();
		return 2;
	}
	if (o.header) {
		print_header();
		return 0;
	}
	if ((ws = calloc(o.conc, sizeof(*ws))) == NULL)
		return 2;
	/* nothing below can outlive the run by much (I/O has timeouts) */
	alarm(o.warmup + o.duration + 6 * GB_IO_TIMEOUT_S);
	start = now_ns() + (int64_t)o.warmup * 1000000000;
	end = start + (int64_t)o.duration * 1000000000;
	for (t = 0; t < o.conc; t++) {
		ws[t].o = &o;
		ws[t].id = t;
		ws[t].start_ns = start;
		ws[t].end_ns = end;
		conn_init(&ws[t].c, &o);
		if (pthread_create(&th[t], NULL, worker_main, &ws[t]) != 0)
			break;
		started++;
	}
	sleep_until(start);
	r.have_cpu = o.pid > 0 && proc_cpu_ticks(o.pid, &c0);
	/* the peak so far (start-up, login: Argon2) is kept apart from the
	 * peak of the window */
	if (o.pid > 0 && proc_hwm_kib(o.pid, &hwm0))
		r.rss_reset = proc_reset_hwm(o.pid);
	have_m = proc_machine_busy(&m0) && proc_cpu_ticks((long)getpid(), &s0);
	sleep_until(end);
	r.have_cpu = r.have_cpu && proc_cpu_ticks(o.pid, &c1);
	have_m = have_m && proc_machine_busy(&m1) &&
	    proc_cpu_ticks((long)getpid(), &s1);
	r.have_rss = o.pid > 0 && proc_hwm_kib(o.pid, &hwm);
	for (t = 0; t < started; t++)
		pthread_join(th[t], NULL);
	o.conc = started;
	collect(&o, ws, &r);
	if (started == 0)
		r.err_total++;
	if (r.have_cpu) {
		r.cpu_pct = 100.0 * (double)(c1 - c0) / hz / o.duration;
		r.cpu_ms_op = r.ops ? 1000.0 * (double)(c1 - c0) / hz /
		    (double)r.ops : 0;
	}
	r.rss_mib = (double)hwm / 1024.0;
	r.life_mib = (double)(hwm > hwm0 ? hwm : hwm0) / 1024.0;
	if (have_m) {
		/* % of one core: machine busy less the driver and the server */
		r.self_pct = 100.0 * (double)(s1 - s0) / hz / o.duration;
		r.others_pct = 100.0 * (double)(m1 - m0) / hz / o.duration -
		    r.self_pct - r.cpu_pct;
		if (r.others_pct < 0)
			r.others_pct = 0;
	}
	if (o.json)
		print_json(&o, &r);
	else
		print_row(&o, &r);
	if (r.err_total > 0 || r.ops == 0)
		fprintf(stderr,
		    "ghbench: %s: %llu ops, %llu ERRORS; first: %s\n",
		    scenario_name(o.scenario), (unsigned long long)r.ops,
		    (unsigned long long)r.err_total,
		    r.first_error ? r.first_error : "none recorded");
	free(ws);
	return r.err_total > 0 || r.ops == 0 ? 1 : 0;
}
