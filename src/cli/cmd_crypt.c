/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "util/codec.h"

/* keywarden encrypt | decrypt | datakey | random: data protection. Files
 * are read and written raw; base64 is the CLI's business. */

#define CIPHERTEXT_MAX (2u * KW_CLI_INPUT_MAX)
#define AAD_MAX	       (1u * 1024u * 1024u)

/* aad, oaep_hash and label, shared by encrypt and decrypt. */
static kw_rc crypt_params(kw_cli *cli, const kw_cli_args *a, json_t *body)
{
	const char *aad = kw_cli_arg(a, "aad");
	const char *label = kw_cli_arg(a, "oaep-label");
	const char *hash = kw_cli_arg(a, "oaep-hash");
	kw_rc rc = KW_OK;
	if (aad != NULL && kw_cli_flag(a, "aad-file"))
		return kw_cli_usage(cli, "--aad and --aad-file exclude each "
					 "other");
	if (aad != NULL)
		json_object_set_new(body, "aad",
				    kw_client_json_b64_new((const uint8_t *)aad,
							   strlen(aad)));
	else if (kw_cli_flag(a, "aad-file"))
		rc = kw_cli_file_b64(cli, kw_cli_arg(a, "aad-file"), AAD_MAX,
				     body, "aad");
	if (rc == KW_OK && hash != NULL)
		json_object_set_new(body, "oaep_hash", json_string(hash));
	if (rc == KW_OK && label != NULL)
		json_object_set_new(
			body, "label",
			kw_client_json_b64_new((const uint8_t *)label,
					       strlen(label)));
	return rc;
}

/* Writes the text res[member] and a newline to path. */
static kw_rc text_to_file(kw_cli *cli, const json_t *res, const char *member,
			  const char *path)
{
	const char *text = json_string_value(json_object_get(res, member));
	if (text == NULL)
		return kw_cli_fail(cli, KW_E_UNAVAILABLE,
				   "the response has no \"%s\"", member);
	return kw_cli_file_write_line(cli, path, text, 0644);
}

static kw_rc encrypt(kw_cli *cli, const kw_cli_args *a)
{
	json_t *body = json_object(), *res = NULL;
	kw_rc rc = body != NULL ? crypt_params(cli, a, body)
				: kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if (rc == KW_OK)
		rc = kw_cli_file_b64(cli, kw_cli_arg(a, "in"), KW_CLI_INPUT_MAX,
				     body, "plaintext");
	if (rc == KW_OK)
		rc = kw_cli_key_call(cli, a, "/encrypt", body, &res);
	if (rc == KW_OK)
		rc = text_to_file(cli, res, "ciphertext", kw_cli_arg(a, "out"));
	if (rc == KW_OK)
		kw_cli_key_done(cli, a, res, "Encrypted");
	json_decref(body);
	json_decref(res);
	return rc;
}

static kw_rc decrypt(kw_cli *cli, const kw_cli_args *a)
{
	uint8_t *text = NULL;
	size_t n = 0;
	json_t *body = json_object(), *res = NULL;
	kw_rc rc = body != NULL ? crypt_params(cli, a, body)
				: kw_cli_fail(cli, KW_E_NOMEM, "out of memory");
	if (rc == KW_OK)
		rc = kw_cli_file_read(cli, kw_cli_arg(a, "in"), CIPHERTEXT_MAX,
				      &text, &n);
	if (rc != KW_OK)
		goto out;
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' ||
			 text[n - 1] == ' '))
		n--;
	if (json_object_set_new(body, "ciphertext",
				json_stringn((const char *)text, n)) != 0) {
		rc = kw_cli_fail(cli, KW_E_INVALID,
				 "%s does not hold a keywarden ciphertext",
				 kw_cli_arg(a, "in"));
		goto out;
	}
	rc = kw_cli_key_call(cli, a, "/decrypt", body, &res);
	if (rc == KW_OK)
		rc = kw_cli_b64_to_file(cli, res, "plaintext",
					kw_cli_arg(a, "out"), 0600);
	if (rc == KW_OK && !cli->json)
		fprintf(cli->err, "Decrypted %s into %s.\n",
			kw_cli_arg(a, "in"), kw_cli_arg(a, "out"));
out:
	free(text);
	json_decref(body);
	json_decref(res);
	return rc;
}

static kw_rc datakey(kw_cli *cli, const kw_cli_args *a)
{
	const char *type = kw_cli_arg(a, "type");
	const char *wrapped = kw_cli_arg(a, "wrapped-out");
	json_t *body =
		json_pack("{s:s}", "type", type != NULL ? type : "aes-256");
	json_t *res = NULL;
	kw_rc rc = kw_cli_key_call(cli, a, "/datakey", body, &res);
	if (rc == KW_OK)
		rc = kw_cli_b64_to_file(cli, res, "plaintext",
					kw_cli_arg(a, "out"), 0600);
	if (rc == KW_OK && wrapped != NULL)
		rc = text_to_file(cli, res, "ciphertext", wrapped);
	if (rc != KW_OK)
		goto out;
	/* the plain key went to its file; it is not printed */
	json_object_del(res, "plaintext");
	if (cli->json)
		kw_cli_print_json(cli, res);
	else if (wrapped == NULL)
		fprintf(cli->out, "%s\n", kw_cli_jstr(res, "ciphertext"));
	if (!cli->json)
		fprintf(cli->err,
			"Data key written to %s (mode 0600); keep the wrapped "
			"key, which\n'keywarden decrypt --key %s' turns back "
			"into it.\n",
			kw_cli_arg(a, "out"), kw_cli_arg(a, "key"));
out:
	json_decref(body);
	json_decref(res);
	return rc;
}

static kw_rc random_bytes(kw_cli *cli, const kw_cli_args *a)
{
	long long n = 0;
	json_t *body = NULL, *res = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	char *hex = NULL;
	kw_rc rc = kw_cli_arg_int(cli, a, "bytes", 32, 1, 65536, &n);
	if (rc != KW_OK)
		return rc;
	body = json_pack("{s:I}", "bytes", (json_int_t)n);
	rc = kw_cli_call(cli, "POST", "/v1/random", body, NULL, &res);
	if (rc != KW_OK)
		goto out;
	if (kw_cli_flag(a, "out"))
		rc = kw_cli_b64_to_file(cli, res, "random",
					kw_cli_arg(a, "out"), 0600);
	else if (cli->json)
		kw_cli_print_json(cli, res);
	else if (!kw_cli_flag(a, "hex"))
		fprintf(cli->out, "%s\n", kw_cli_jstr(res, "random"));
	else if (kw_client_json_b64(res, "random", &data, &len) != KW_OK ||
		 (hex = malloc(2 * len + 1)) == NULL)
		rc = kw_cli_fail(cli, KW_E_UNAVAILABLE,
				 "the response has no valid \"random\"");
	else {
		kw_hex_encode(data, len, hex);
		fprintf(cli->out, "%s\n", hex);
	}
out:
	if (data != NULL) {
		OPENSSL_cleanse(data, len);
		OPENSSL_cleanse(hex, hex != NULL ? 2 * len + 1 : 0);
	}
	free(data);
	free(hex);
	json_decref(body);
	json_decref(res);
	return rc;
}

#define CRYPT_OPTS                                                             \
	{"key", "NAME", KW_CLI_OPT_REQUIRED, "key name or id"},                \
		{"in", "FILE", KW_CLI_OPT_REQUIRED, "input (- for stdin)"},    \
		{"out", "FILE", KW_CLI_OPT_REQUIRED, "output (- for stdout)"}, \
		{"aad", "TEXT", 0, "AES-GCM additional authenticated data"},   \
		{"aad-file", "FILE", 0, "the same, from a file"},              \
		{"oaep-hash", "HASH", 0, "RSA-OAEP digest (default sha256)"},  \
		{"oaep-label", "TEXT", 0, "RSA-OAEP label"},                   \
		KW_CLI_PARTITION_OPT

static const kw_cli_opt crypt_opts[] = {CRYPT_OPTS, {NULL}};

static const kw_cli_opt datakey_opts[] = {
	{"key", "NAME", KW_CLI_OPT_REQUIRED, "key that wraps the data key"},
	{"type", "TYPE", 0, "aes-128 or aes-256 (default)"},
	{"out", "FILE", KW_CLI_OPT_REQUIRED,
	 "where the plain data key goes (raw, mode 0600)"},
	{"wrapped-out", "FILE", 0,
	 "where the wrapped data key goes (default: stdout)"},
	KW_CLI_PARTITION_OPT,
	{NULL},
};

static const kw_cli_opt random_opts[] = {
	{"bytes", "N", 0, "how many (1-65536, default 32)"},
	{"out", "FILE", 0, "write them raw to FILE (mode 0600)"},
	{"hex", NULL, 0, "print hex instead of base64"},
	{NULL},
};

static const kw_cli_cmd encrypt_cmds[] = {
	{NULL, "encrypt a file (AES-GCM or RSA-OAEP)", NULL, crypt_opts,
	 encrypt,
	 "Writes the ciphertext as one line of text (kw:v<N>:<base64>), which "
	 "names\nthe key version, so it still decrypts after the key is "
	 "rotated. Files up to\n16 MiB; for larger data use 'keywarden "
	 "datakey' (envelope encryption).",
	 "keywarden encrypt --key backup-key --in db.dump --out db.dump.kw "
	 "--aad db-2026",
	 0},
	{NULL},
};

static const kw_cli_cmd decrypt_cmds[] = {
	{NULL, "decrypt a file made by 'keywarden encrypt'", NULL, crypt_opts,
	 decrypt, "The plaintext is written with mode 0600.",
	 "keywarden decrypt --key backup-key --in db.dump.kw --out db.dump "
	 "--aad db-2026",
	 0},
	{NULL},
};

static const kw_cli_cmd datakey_cmds[] = {
	{NULL, "make a data key for envelope encryption", NULL, datakey_opts,
	 datakey,
	 "The daemon returns a fresh key in the clear and wrapped under "
	 "--key. The\nplain key goes to --out (mode 0600) and is never "
	 "printed, "
	 "also not with --json.",
	 "keywarden datakey --key backup-key --out dk.bin --wrapped-out "
	 "dk.kw",
	 0},
	{NULL},
};

static const kw_cli_cmd random_cmds[] = {
	{NULL, "random bytes from the daemon's generator", NULL, random_opts,
	 random_bytes, NULL, "keywarden random --bytes 32 --hex", 0},
	{NULL},
};

const kw_cli_noun kw_cli_noun_encrypt = {"encrypt", "encrypt a file",
					 encrypt_cmds};
const kw_cli_noun kw_cli_noun_decrypt = {"decrypt", "decrypt a file",
					 decrypt_cmds};
const kw_cli_noun kw_cli_noun_datakey = {
	"datakey", "make a data key for envelope encryption", datakey_cmds};
const kw_cli_noun kw_cli_noun_random = {"random", "get random bytes",
					random_cmds};
