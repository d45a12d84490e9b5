/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "agent/agent.h"
#include "cli.h"
#include "util/codec.h"

/* keywarden agent enroll | attest: the agent side of TPM attestation
 * (docs/tpm.md). The TPM work is in src/agent; this file moves its
 * outputs to and from the API. */

static const char *tcti_of(const kw_cli_args *a)
{
	const char *t = kw_cli_arg(a, "tcti");
	return t != NULL ? t : getenv("KEYWARDEN_TCTI");
}

static kw_rc tpm_open(kw_cli *cli, const kw_cli_args *a, kwa_tpm **out)
{
	kw_rc rc = kwa_open(tcti_of(a), out);
	if (rc != KW_OK)
		return kw_cli_fail(cli, rc,
				   "no TPM at the TCTI (--tcti, "
				   "KEYWARDEN_TCTI)");
	return KW_OK;
}

/* obj[member] = base64 of b; false on allocation failure. */
static bool put_b64(json_t *obj, const char *member, const uint8_t *b, size_t n)
{
	char *s = NULL;
	bool ok = kw_base64_encode_alloc(b, n, false, &s) == KW_OK &&
		  json_object_set_new(obj, member, json_string(s)) == 0;
	free(s);
	return ok;
}

/* res[member] decoded (malloc). */
static kw_rc get_b64(kw_cli *cli, const json_t *res, const char *member,
		     uint8_t **out, size_t *out_len)
{
	const char *s = json_string_value(json_object_get(res, member));
	if (s == NULL ||
	    kw_base64_decode_alloc(s, strlen(s), false, out, out_len) != KW_OK)
		return kw_cli_fail(cli, KW_E_UNAVAILABLE,
				   "malformed answer: %s", member);
	return KW_OK;
}

static kw_rc agent_enroll(kw_cli *cli, const kw_cli_args *a)
{
	kwa_tpm *t = NULL;
	uint8_t *ek = NULL, *cert = NULL, *ak = NULL, *blob = NULL;
	uint8_t *sec = NULL, cred[64];
	size_t ekl = 0, certl = 0, akl = 0, bl = 0, sl = 0, cl = 0;
	json_t *body = json_pack("{s:s,s:s}", "name", kw_cli_arg(a, "name"),
				 "policy", kw_cli_arg(a, "policy"));
	json_t *res = NULL, *res2 = NULL;
	kw_client_path p;
	kw_rc rc = body != NULL ? tpm_open(cli, a, &t) : KW_E_NOMEM;

	if (rc == KW_OK)
		rc = kw_cli_json_strings(cli, a, "role", body, "roles");
	if (rc == KW_OK)
		rc = kwa_ek(t, &ek, &ekl, &cert, &certl);
	if (rc == KW_OK)
		rc = kwa_ak(t, &ak, &akl);
	if (rc != KW_OK) {
		if (t != NULL)
			rc = kw_cli_fail(cli, rc, "%s", kwa_error(t));
		goto out;
	}
	if (certl == 0) {
		rc = kw_cli_fail(cli, KW_E_NOT_FOUND,
				 "the TPM holds no EK certificate");
		goto out;
	}
	if (!put_b64(body, "ek_pub", ek, ekl) ||
	    !put_b64(body, "ek_cert", cert, certl) ||
	    !put_b64(body, "ak_pub", ak, akl)) {
		rc = KW_E_NOMEM;
		goto out;
	}
	kw_client_path_init(&p, "/v1/attest/enroll");
	rc = kw_cli_call_in(cli, "POST", &p, body, &res);
	if (rc == KW_OK)
		rc = get_b64(cli, res, "credential_blob", &blob, &bl);
	if (rc == KW_OK)
		rc = get_b64(cli, res, "secret", &sec, &sl);
	if (rc != KW_OK)
		goto out;
	/* Only the TPM holding this EK, with this AK loaded, can answer. */
	rc = kwa_activate(t, 0, blob, bl, sec, sl, cred, &cl);
	if (rc != KW_OK) {
		rc = kw_cli_fail(cli, rc, "%s", kwa_error(t));
		goto out;
	}
	json_decref(body);
	body = json_object();
	if (body == NULL || !put_b64(body, "credential", cred, cl)) {
		rc = KW_E_NOMEM;
		goto out;
	}
	kw_client_path_init(&p, "/v1/attest/enroll");
	kw_client_path_seg(&p, kw_cli_jstr(res, "enrollment"));
	kw_client_path_seg(&p, "activate");
	rc = kw_cli_call_in(cli, "POST", &p, body, &res2);
	if (rc != KW_OK)
		goto out;
	if (kw_cli_arg(a, "token-out") != NULL) {
		rc = kw_cli_file_write_line(cli, kw_cli_arg(a, "token-out"),
					    kw_cli_jstr(res2, "token"), 0600);
		if (rc == KW_OK)
			fprintf(cli->err,
				"Enrolled agent %s; its token is in "
				"%s.\n",
				kw_cli_jstr(res2, "principal"),
				kw_cli_arg(a, "token-out"));
	} else if (cli->json) {
		kw_cli_print_json(cli, res2);
	} else {
		fprintf(cli->out, "%s\n", kw_cli_jstr(res2, "token"));
	}
out:
	OPENSSL_cleanse(cred, sizeof(cred));
	kwa_close(t);
	free(ek);
	free(cert);
	free(ak);
	free(blob);
	free(sec);
	json_decref(body);
	json_decref(res);
	json_decref(res2);
	return rc;
}

/* "sha256:16,23" into a TPM bank id and a mask. */
static bool sel_parse(const char *s, uint16_t *bank, uint32_t *mask)
{
	static const struct {
		const char *name;
		uint16_t alg;
	} banks[] = {{"sha1:", 0x0004},
		     {"sha256:", 0x000B},
		     {"sha384:", 0x000C},
		     {"sha512:", 0x000D}};
	char *end = NULL;
	size_t i = 0;

	for (i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (s != NULL &&
		    strncmp(s, banks[i].name, strlen(banks[i].name)) == 0)
			break;
	if (i == sizeof(banks) / sizeof(banks[0]))
		return false;
	*bank = banks[i].alg;
	*mask = 0;
	for (s += strlen(banks[i].name);; s = end + 1) {
		unsigned long n = strtoul(s, &end, 10);
		if (end == s || n > 23)
			return false;
		*mask |= 1u << n;
		if (*end == '\0')
			return true;
		if (*end != ',')
			return false;
	}
}

static kw_rc agent_attest(kw_cli *cli, const kw_cli_args *a)
{
	kwa_tpm *t = NULL;
	uint8_t *nonce = NULL, *att = NULL, *sig = NULL;
	uint8_t(*pcrs)[64] = calloc(24, 64);
	size_t nl = 0, al = 0, sl = 0, dl = 0;
	uint16_t bank = 0;
	uint32_t mask = 0;
	json_t *res = NULL, *res2 = NULL, *body = json_object();
	json_t *vals = json_object();
	char hex[129], num[4];
	kw_rc rc = KW_E_NOMEM;

	if (pcrs == NULL || body == NULL || vals == NULL)
		goto out;
	rc = kw_cli_call(cli, "POST", "/v1/attest/challenge", NULL, NULL, &res);
	if (rc == KW_OK)
		rc = get_b64(cli, res, "nonce", &nonce, &nl);
	if (rc != KW_OK)
		goto out;
	if (!sel_parse(kw_cli_jstr(res, "pcrs"), &bank, &mask)) {
		rc = kw_cli_fail(cli, KW_E_UNAVAILABLE,
				 "malformed answer: pcrs");
		goto out;
	}
	rc = tpm_open(cli, a, &t);
	if (rc == KW_OK)
		rc = kwa_quote(t, bank, mask, nonce, nl, &att, &al, &sig, &sl,
			       pcrs, &dl);
	if (rc != KW_OK) {
		if (t != NULL)
			rc = kw_cli_fail(cli, rc, "%s", kwa_error(t));
		goto out;
	}
	for (unsigned i = 0; i < 24; i++) {
		if (!(mask & (1u << i)))
			continue;
		kw_hex_encode(pcrs[i], dl, hex);
		snprintf(num, sizeof(num), "%u", i);
		json_object_set_new(vals, num, json_string(hex));
	}
	rc = KW_E_NOMEM;
	if (!put_b64(body, "nonce", nonce, nl) ||
	    !put_b64(body, "quote", att, al) ||
	    !put_b64(body, "signature", sig, sl) ||
	    json_object_set(body, "pcrs", vals) != 0)
		goto out;
	rc = kw_cli_call(cli, "POST", "/v1/attest/quote", body, NULL, &res2);
	if (rc != KW_OK)
		goto out;
	if (cli->json)
		kw_cli_print_json(cli, res2);
	else
		fprintf(cli->out, "Attested: grant %s, evidence %s.\n",
			kw_cli_jstr(res2, "grant"),
			kw_cli_jstr(res2, "evidence"));
out:
	kwa_close(t);
	free(pcrs);
	free(nonce);
	free(att);
	free(sig);
	json_decref(body);
	json_decref(vals);
	json_decref(res);
	json_decref(res2);
	return rc;
}

/* The certificate and its chain, PEM, into one file. */
static kw_rc write_chain(kw_cli *cli, const char *path, const json_t *res)
{
	size_t i = 0, n = 0;
	const json_t *v = NULL;
	char *all = NULL;
	kw_rc rc = KW_E_NOMEM;

	n = strlen(kw_cli_jstr(res, "certificate")) + 1;
	json_array_foreach(json_object_get(res, "chain"), i, v) n +=
		strlen(json_string_value(v) ? json_string_value(v) : "");
	all = calloc(1, n);
	if (all == NULL)
		return rc;
	strcat(all, kw_cli_jstr(res, "certificate"));
	json_array_foreach(json_object_get(res, "chain"), i, v)
		strcat(all, json_string_value(v) ? json_string_value(v) : "");
	rc = kw_cli_file_write(cli, path, all, strlen(all), 0644);
	free(all);
	return rc;
}

static kw_rc agent_device(kw_cli *cli, const kw_cli_args *a)
{
	kwa_tpm *t = NULL;
	uint8_t *pub = NULL, *blob = NULL, *sec = NULL, *csr = NULL, cred[64];
	size_t pl = 0, bl = 0, sl = 0, cl = 0, csl = 0;
	const char *h = kw_cli_arg(a, "handle");
	unsigned long handle = h != NULL ? strtoul(h, NULL, 0) : 0;
	long long days = 0;
	json_t *body = json_object(), *res = NULL, *res2 = NULL;
	char path[128];
	kw_rc rc = kw_cli_arg_int(cli, a, "days", 0, 1, 36500, &days);

	if (rc != KW_OK)
		goto out;
	rc = kw_cli_file_read(cli, kw_cli_arg(a, "csr"), 65536, &csr, &csl);
	if (rc == KW_OK)
		rc = tpm_open(cli, a, &t);
	if (rc != KW_OK)
		goto out;
	rc = kwa_key_public(t, (uint32_t)handle, &pub, &pl);
	if (rc != KW_OK) {
		rc = kw_cli_fail(cli, rc, "%s", kwa_error(t));
		goto out;
	}
	rc = KW_E_NOMEM;
	if (body == NULL || !put_b64(body, "key_pub", pub, pl))
		goto out;
	rc = kw_cli_call(cli, "POST", "/v1/attest/devices", body, NULL, &res);
	if (rc == KW_OK)
		rc = get_b64(cli, res, "credential_blob", &blob, &bl);
	if (rc == KW_OK)
		rc = get_b64(cli, res, "secret", &sec, &sl);
	if (rc != KW_OK)
		goto out;
	/* The TPM answers only if the key is loaded in it (its name) and
	 * the EK is the enrolled one. */
	rc = kwa_activate(t, (uint32_t)handle, blob, bl, sec, sl, cred, &cl);
	if (rc != KW_OK) {
		rc = kw_cli_fail(cli, rc, "%s", kwa_error(t));
		goto out;
	}
	json_decref(body);
	body = json_pack("{s:s%,s:s}", "csr", (const char *)csr, csl, "ca",
			 kw_cli_arg(a, "ca"));
	rc = KW_E_NOMEM;
	if (body == NULL || !put_b64(body, "credential", cred, cl) ||
	    (days > 0 && json_object_set_new(body, "days", json_integer(days))))
		goto out;
	snprintf(path, sizeof(path), "/v1/attest/devices/%s/certificate",
		 kw_cli_jstr(res, "device"));
	rc = kw_cli_call(cli, "POST", path, body, NULL, &res2);
	if (rc == KW_OK)
		rc = write_chain(cli, kw_cli_arg(a, "out"), res2);
	if (rc == KW_OK && cli->json)
		kw_cli_print_json(cli, res2);
	else if (rc == KW_OK)
		fprintf(cli->err, "Device certificate %s written to %s.\n",
			kw_cli_jstr(res2, "serial"), kw_cli_arg(a, "out"));
out:
	OPENSSL_cleanse(cred, sizeof(cred));
	kwa_close(t);
	free(pub);
	free(blob);
	free(sec);
	free(csr);
	json_decref(body);
	json_decref(res);
	json_decref(res2);
	return rc;
}

static const kw_cli_opt enroll_opts[] = {
	{"name", "NAME", KW_CLI_OPT_REQUIRED, "the agent principal to create"},
	{"policy", "NAME", KW_CLI_OPT_REQUIRED,
	 "attestation policy the agent's quotes must satisfy"},
	{"role", "ROLE", KW_CLI_OPT_MULTI, "a role of the agent (repeatable)"},
	{"tcti", "TCTI", 0, "the TPM (default: KEYWARDEN_TCTI, then tss2's)"},
	{"token-out", "FILE", 0, "write the agent's token there (0600)"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt attest_opts[] = {
	{"tcti", "TCTI", 0, "the TPM (default: KEYWARDEN_TCTI, then tss2's)"},
	{NULL},
};

static const kw_cli_opt device_opts[] = {
	{"handle", "0x81...", KW_CLI_OPT_REQUIRED,
	 "persistent handle of the TPM key (tpm2-tools or tpm2-openssl)"},
	{"csr", "FILE", KW_CLI_OPT_REQUIRED,
	 "certificate request signed by that key (PEM)"},
	{"ca", "NAME", KW_CLI_OPT_REQUIRED, "the keywarden CA to issue it"},
	{"out", "FILE", KW_CLI_OPT_REQUIRED,
	 "where the certificate and its chain go (PEM)"},
	{"days", "N", 0, "validity (default: the device profile's maximum)"},
	{"tcti", "TCTI", 0, "the TPM (default: KEYWARDEN_TCTI, then tss2's)"},
	{NULL},
};

static const kw_cli_cmd agent_cmds[] = {
	{"enroll", "enroll this machine's TPM as an agent", NULL, enroll_opts,
	 agent_enroll,
	 "Sends the TPM's EK certificate, EK and a fresh attestation key "
	 "(AK), answers the server's credential-activation challenge with the "
	 "TPM, and prints the new agent principal's token. Run with a "
	 "security officer's token.",
	 "keywarden agent enroll --name build-7 --policy builders --role "
	 "crypto-user --token-out agent.token",
	 0},
	{"attest", "prove this machine's state and get a signing grant", NULL,
	 attest_opts, agent_attest,
	 "Asks for a nonce, quotes the policy's PCRs with the AK and sends "
	 "the quote and the PCR values; a short-lived grant lets the agent "
	 "sign with keys that require attestation. Run with the agent's "
	 "token.",
	 "KEYWARDEN_TOKEN=$(cat agent.token) keywarden agent attest", 0},
	{"device", "get a device certificate for a key in this TPM", NULL,
	 device_opts, agent_device,
	 "Proves to keywarden that the persistent key is in the agent's "
	 "enrolled TPM (credential activation over the key's name) and sends "
	 "the request the key signed; the certificate (device profile) and "
	 "its CA chain are written to --out. Run with the agent's token.",
	 "keywarden agent device --handle 0x81000010 --csr dev.csr --ca "
	 "devices --out dev.pem",
	 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_agent = {
	"agent", "TPM-attested agents: enroll, attest, device", agent_cmds};
