/*
 * test_audit_hash.c - the audit chain's hash (audit_chain_hash, store.h)
 * is pinned to one serialisation: HMAC-SHA-256 under the chain key of the
 * previous hash, "SEQ;TIME;", then each field as "LEN:VALUE;" (LEN in
 * bytes) or "-1:;" when absent, in the order type, actor, client_id,
 * user_id, grant_id, remote_addr, user_agent, detail. Every stored chain
 * was hashed so: a change that hashed the same event differently would
 * make `gatehouse audit verify` call every existing database edited. The
 * expected value was computed apart from the code, with Python's hmac.
 */
#include "../harness.h"

static void
test_chain_hash_is_pinned(void **state)
{
	struct audit_row	r;
	uint8_t			key[GH_HASH_BYTES], prev[GH_HASH_BYTES];
	uint8_t			out[GH_HASH_BYTES];
	char			hex[2 * GH_HASH_BYTES + 1];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	memset(prev, 0xab, sizeof(prev));
	memset(&r, 0, sizeof(r));
	r.seq = 42;
	r.time = 1700000000;
	r.type = "token.issued";
	r.actor = "client:cl_x";
	r.client_id = NULL;
	r.user_id = "usr_1";
	r.grant_id = "gr_\xc3\xa9;1";	/* a two-byte letter and a ';' */
	r.remote_addr = "127.0.0.1";
	r.user_agent = "ua:with;colons";
	r.detail = "{\"a\":1}";
	assert_int_equal(audit_chain_hash(key, prev, &r, out), GH_OK);
	hex_encode(out, sizeof(out), hex);
	assert_string_equal(hex, "473da93060a8f61087f22b11ad79fea1"
	    "1840ee1a651a709a0fa322cefa496cf2");
	/* a field moved to its neighbour is another event */
	r.client_id = r.actor;
	r.actor = NULL;
	assert_int_equal(audit_chain_hash(key, prev, &r, out), GH_OK);
	hex_encode(out, sizeof(out), hex);
	assert_string_not_equal(hex, "473da93060a8f61087f22b11ad79fea1"
	    "1840ee1a651a709a0fa322cefa496cf2");
}

/*
 * The lengths the first test leaves out: an empty field ("0:;", not
 * absent), three and four digits, and a negative seq (also computed apart
 * from the code, with Python's hmac).
 */
static void
test_chain_hash_lengths_are_pinned(void **state)
{
	struct audit_row	r;
	uint8_t			key[GH_HASH_BYTES], prev[GH_HASH_BYTES];
	uint8_t			out[GH_HASH_BYTES];
	char			hex[2 * GH_HASH_BYTES + 1];
	char			ua[1001], detail[101];
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	memset(prev, 0xab, sizeof(prev));
	memset(ua, 'u', sizeof(ua) - 1);
	ua[sizeof(ua) - 1] = '\0';
	memset(detail, 'd', sizeof(detail) - 1);
	detail[sizeof(detail) - 1] = '\0';
	memset(&r, 0, sizeof(r));
	r.seq = -7;
	r.time = 0;
	r.type = "";
	r.user_agent = ua;
	r.detail = detail;
	assert_int_equal(audit_chain_hash(key, prev, &r, out), GH_OK);
	hex_encode(out, sizeof(out), hex);
	assert_string_equal(hex, "dc6537c2c65785ed405867876ee3174c"
	    "d863f97d0c9602acd4a6f8cd8e47eb8e");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_hash_is_pinned),
		cmocka_unit_test(test_chain_hash_lengths_are_pinned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
