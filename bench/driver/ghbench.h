/*
 * ghbench.h - Gatehouse's own load driver: shared limits, structs and the
 * interface of each file. Every size limit lives here.
 *
 *   main.c      options, threads, the measured window, output
 *   http.c      a tiny HTTP/1.1 keep-alive client over blocking sockets
 *   scenario.c  the flows: authorize -> token (PKCE), refresh, introspect
 *   stats.c     latency histograms and percentiles
 *   proc.c      server CPU (utime + stime) and peak RSS (VmHWM) from /proc
 *   util.c      base64url, PKCE, form encoding, bounded parsing
 *
 * Ownership: a struct worker belongs to its thread until the thread is
 * joined; main.c then reads its counters. Nothing is shared between
 * threads while they run but the read-only options.
 */
#ifndef GHBENCH_H
#define GHBENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* limits */
#define GB_MAX_THREADS		256
#define GB_MAX_SECONDS		3600
#define GB_ARG_MAX		512	/* ids, secrets, cookie, URIs */
#define GB_REQ_MAX		8192	/* one request, headers + body */
#define GB_RESP_MAX		32768	/* one response, headers + body */
#define GB_HDR_MAX		8192	/* response headers */
#define GB_TOKEN_MAX		2048	/* a token or code we keep */
#define GB_LOCATION_MAX		2048
#define GB_DETAIL_MAX		160	/* first error, for the report */
#define GB_IO_TIMEOUT_S		10	/* a stuck server cannot hang us */
#define GB_MAX_STEPS		3

/* latency histogram: 1 us buckets below 1 ms, then 64 per power of two */
#define GB_HIST_LINEAR		1024
#define GB_HIST_SUB		64
#define GB_HIST_OCTAVES		24	/* up to about 1024 * 2^24 us */
#define GB_HIST_BUCKETS		(GB_HIST_LINEAR + GB_HIST_SUB * GB_HIST_OCTAVES)

enum gb_scenario { GB_FLOW, GB_REFRESH, GB_INTROSPECT };

/* what went wrong, counted per thread; printed by name */
enum gb_error {
	GB_E_CONNECT,		/* connect() refused or failed */
	GB_E_IO,		/* send/recv failed, timeout, bad framing */
	GB_E_AUTHZ_STATUS,	/* authorize did not answer 302/303 */
	GB_E_AUTHZ_LOCATION,	/* no code, wrong state or no iss */
	GB_E_TOKEN_STATUS,	/* token endpoint not 200 */
	GB_E_TOKEN_BODY,	/* no access_token (or id_token, refresh) */
	GB_E_INTROSPECT_STATUS,
	GB_E_INACTIVE,		/* introspection said active: false */
	GB_E_SETUP,		/* the untimed per-thread setup failed */
	GB_E_COUNT
};

struct hist {
	uint64_t	 n;
	uint64_t	 b[GB_HIST_BUCKETS];
};

struct options {
	char		 host[64];	/* numeric IPv4 */
	uint16_t	 port;
	char		 base[GB_ARG_MAX];	/* issuer, for the iss check */
	enum gb_scenario scenario;
	bool		 confidential;	/* which client runs the scenario */
	unsigned	 conc, duration, warmup;
	long		 pid;		/* server, 0 = not measured */
	char		 public_id[GB_ARG_MAX];
	char		 conf_id[GB_ARG_MAX];
	char		 conf_secret[GB_ARG_MAX];
	char		 cookie[GB_ARG_MAX];
	char		 redirect_uri[GB_ARG_MAX];
	char		 scope[GB_ARG_MAX];
	char		 label[64];
	bool		 json;
	bool		 header;
};

struct conn {
	int		 fd;		/* -1 when closed */
	bool		 refused;	/* the last connect() failed */
	const struct options *o;
	char		 req[GB_REQ_MAX];
	char		 resp[GB_RESP_MAX + 1];
	size_t		 have;		/* bytes in resp (may hold the next) */
	/* the last response, pointing into resp */
	int		 status;
	const char	*body;
	size_t		 body_len;
	char		 location[GB_LOCATION_MAX];
};

struct worker {
	const struct options *o;
	int64_t		 start_ns, end_ns;	/* the measured window */
	struct conn	 c;
	struct hist	 step[GB_MAX_STEPS];
	uint64_t	 ops;		/* completed in the window */
	uint64_t	 errors[GB_E_COUNT];
	char		 first_error[GB_DETAIL_MAX];
	uint64_t	 seq;		/* makes state values unique */
	unsigned	 id;
	char		 refresh[GB_TOKEN_MAX];	/* current refresh token */
	char		 access[GB_TOKEN_MAX];	/* token to introspect */
};

/* http.c */
void		 conn_init(struct conn *c, const struct options *o);
void		 conn_close(struct conn *c);
/* Send one request and read the whole response. auth (an Authorization
 * value) and cookie may be NULL; body NULL means GET. Returns false on a
 * transport error (the connection is then closed). */
bool		 http_do(struct conn *c, const char *method, const char *path,
		    const char *auth, const char *cookie, const char *body);

/* scenario.c */
const char	*scenario_name(enum gb_scenario s);
int		 scenario_steps(enum gb_scenario s, const char **names);
bool		 scenario_setup(struct worker *w);
void		 scenario_run(struct worker *w);
void		 worker_error(struct worker *w, enum gb_error e,
		    const struct conn *c, const char *what);

/* stats.c */
void		 hist_add(struct hist *h, uint64_t us);
void		 hist_merge(struct hist *into, const struct hist *from);
double		 hist_pct_ms(const struct hist *h, double pct);
const char	*error_name(enum gb_error e);

/* proc.c */
bool		 proc_cpu_ticks(long pid, uint64_t *ticks);
bool		 proc_hwm_kib(long pid, uint64_t *kib);
bool		 proc_machine_busy(uint64_t *busy);
bool		 proc_reset_hwm(long pid);
long		 proc_ticks_per_second(void);

/* util.c */
int64_t		 now_ns(void);
bool		 parse_uint(const char *s, uint64_t max, uint64_t *out);
bool		 b64url(const unsigned char *in, size_t n, char *out,
		    size_t outsz);
bool		 b64std(const unsigned char *in, size_t n, char *out,
		    size_t outsz);
bool		 pkce_pair(char *verifier, size_t vsz, char *challenge,
		    size_t csz);
bool		 form_escape(const char *in, char *out, size_t outsz);
bool		 json_str(const char *body, size_t len, const char *key,
		    char *out, size_t outsz);
bool		 query_param(const char *url, const char *key, char *out,
		    size_t outsz);
bool		 str_copy(char *dst, size_t dstsz, const char *src);

#endif
