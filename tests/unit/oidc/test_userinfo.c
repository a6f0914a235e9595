/*
 * test_userinfo.c - oidc/userinfo.c answers every claim the token was
 * granted (OIDC Core 5.3) or a 503, whichever jansson allocation fails:
 * never a 200 short of a claim (an ignored json_object_set_new); and its
 * copy of the presented token is wiped once hashed.
 */
#include "../harness.h"
#include "../json_fault.h"

#include <dlfcn.h>

#include <openssl/evp.h>

#include "http/request.h"
#include "oauth/secret.h"
#include "oidc/endpoints.h"
#include "util/clock.h"
#include "util/log.h"

#define AT	"gate_at_dXNlcmluZm8tdGVzdC1hY2Nlc3MtdG9rZW4tMDEyMzQ1"

static struct app	 app;
static struct family_row fam;
static struct token_row	 tok;

/* records one access token for the code, hashed as the server would */
static enum gh_err
take(void *arg, const struct code_row *c, struct code_take *rec)
{
	(void)arg;
	memset(&fam, 0, sizeof(fam));
	str_copy(fam.id, sizeof(fam.id), "fam_1");
	str_copy(fam.grant_id, sizeof(fam.grant_id), c->grant_id);
	str_copy(fam.client_id, sizeof(fam.client_id), c->client_id);
	str_copy(fam.user_id, sizeof(fam.user_id), c->user_id);
	memcpy(fam.code_hash, c->hash, GH_HASH_BYTES);
	fam.created_at = clock_now();
	memset(&tok, 0, sizeof(tok));
	assert_int_equal(secret_hash(&app, AT, tok.hash), GH_OK);
	tok.kind = TOKEN_ACCESS;
	str_copy(tok.family_id, sizeof(tok.family_id), fam.id);
	str_copy(tok.grant_id, sizeof(tok.grant_id), c->grant_id);
	str_copy(tok.client_id, sizeof(tok.client_id), c->client_id);
	str_copy(tok.user_id, sizeof(tok.user_id), c->user_id);
	str_copy(tok.scope, sizeof(tok.scope), c->scope);
	tok.issued_at = clock_now();
	tok.expires_at = clock_now() + 600;
	rec->fam = &fam;
	rec->tokens = &tok;
	rec->ntokens = 1;
	return GH_OK;
}

/* a user with a profile, a grant of openid profile email, its token */
static int
setup(void **state)
{
	struct th_store		*t;
	struct client_row	*c;
	struct user_row		 u;
	struct grant_row	 g;
	struct code_row		 r, out;

	if (th_store_setup(state) != 0)
		return -1;
	t = *state;
	th_app_init(&app);
	app.store = t->s;
	c = th_client_new("client1", clock_now());
	assert_int_equal(store_client_insert(app.store, c, NULL), GH_OK);
	free(c);
	th_user_init(&u, "us_1", "alice", clock_now());
	str_copy(u.name, sizeof(u.name), "Alice Liddell");
	str_copy(u.email, sizeof(u.email), "alice@example.com");
	u.email_verified = true;
	assert_int_equal(store_user_insert(app.store, &u, NULL), GH_OK);
	assert_int_equal(store_grant_upsert(app.store, "us_1", "client1",
	    "openid profile email", clock_now(), &g), GH_OK);
	memset(&r, 0, sizeof(r));
	th_hash("code", r.hash);
	str_copy(r.grant_id, sizeof(r.grant_id), g.id);
	str_copy(r.client_id, sizeof(r.client_id), "client1");
	str_copy(r.user_id, sizeof(r.user_id), "us_1");
	str_copy(r.challenge, sizeof(r.challenge), "challenge");
	str_copy(r.scope, sizeof(r.scope), "openid profile email");
	r.created_at = clock_now();
	r.expires_at = clock_now() + 60;
	assert_int_equal(store_code_insert(app.store, &r), GH_OK);
	assert_int_equal(store_code_take(app.store, r.hash, clock_now(), take,
	    NULL, &out), GH_OK);
	return 0;
}

static int
teardown(void **state)
{
	app.store = NULL;
	return th_store_teardown(state);
}

static void
test_every_claim_or_503(void **state)
{
	struct http_request	 req;
	struct http_response	 r;
	char			*want;
	size_t			 n, failed = 0;
	bool			 reached;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.method = HTTP_GET;
	req.query = "";
	req.authorization = "Bearer " AT;
	str_copy(req.remote_addr, sizeof(req.remote_addr), "127.0.0.1");
	response_init(&r);
	oidc_userinfo(&app, &req, &r);
	assert_int_equal(r.status, 200);
	assert_string_equal(buf_str(&r.body), "{\"sub\":\"us_1\","
	    "\"preferred_username\":\"alice\",\"name\":\"Alice Liddell\","
	    "\"email\":\"alice@example.com\",\"email_verified\":true}");
	assert_non_null(want = strdup(buf_str(&r.body)));
	response_free(&r);
	for (n = 1; ; n++) {
		response_init(&r);
		jf_begin(n);
		oidc_userinfo(&app, &req, &r);
		reached = jf_end();
		if (reached) {
			assert_int_equal(r.status, 503);
			failed++;
		} else {
			assert_int_equal(r.status, 200);
			assert_string_equal(buf_str(&r.body), want);
		}
		response_free(&r);
		if (!reached)
			break;
	}
	assert_true(failed > 0);
	free(want);
}

/*
 * Where the token was hashed from: EVP_DigestUpdate, defined here so the
 * library's calls bind to it before libcrypto's, notes the text of a
 * token it digests. Then jansson's allocator, set here, looks there each
 * time the answer allocates: by then oidc_userinfo's copy of the token,
 * in its own frame (still live), must be wiped.
 */
static const char	*hashed_from;
static unsigned		 looked, kept;

int
EVP_DigestUpdate(EVP_MD_CTX *ctx, const void *d, size_t n)
{
	static int	(*real)(EVP_MD_CTX *, const void *, size_t);

	if (real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "EVP_DigestUpdate");
	if (n >= 8 && memcmp(d, "gate_at_", 8) == 0)
		hashed_from = d;
	return real(ctx, d, n);
}

static void *
looking_malloc(size_t n)
{
	if (hashed_from != NULL) {
		looked++;
		if (memcmp(hashed_from, "gate_at_", 8) == 0)
			kept++;
	}
	return malloc(n);
}

static void
test_token_copy_wiped(void **state)
{
	/* a live token (200), and one of the right shape never issued (401) */
	static const char *const bearer[] = { "Bearer " AT, "Bearer "
	    "gate_at_dW5rbm93bi10b2tlbi0wMTIzNDU2Nzg5MDEyMzQ1Njc4OTAx" };
	static const int status[] = { 200, 401 };
	struct http_request	 req;
	struct http_response	 r;
	size_t			 i;

	(void)state;
	for (i = 0; i < 2; i++) {
		memset(&req, 0, sizeof(req));
		req.method = HTTP_GET;
		req.query = "";
		req.authorization = bearer[i];
		str_copy(req.remote_addr, sizeof(req.remote_addr),
		    "127.0.0.1");
		hashed_from = NULL;
		looked = kept = 0;
		response_init(&r);
		json_set_alloc_funcs(looking_malloc, free);
		oidc_userinfo(&app, &req, &r);
		json_set_alloc_funcs(malloc, free);
		assert_int_equal(r.status, status[i]);
		response_free(&r);
		/* the copy was hashed, and looked at after */
		assert_non_null(hashed_from);
		assert_true(hashed_from != bearer[i] + 7);
		assert_true(looked > 0);
		assert_int_equal(kept, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_claim_or_503, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_token_copy_wiped, setup,
		    teardown),
	};

	log_set_level(LOG_WARN);
	return cmocka_run_group_tests_name("oidc/userinfo", tests, NULL,
	    NULL);
}
