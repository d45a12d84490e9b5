/* Copyright (c) 2026 The keywarden authors
 * SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"

#define TOKEN_FILE_MAX 4096

kw_rc kw_cli_usage(kw_cli *cli, const char *fmt, ...)
{
	va_list ap;
	fputs("keywarden: ", cli->err);
	va_start(ap, fmt);
	vfprintf(cli->err, fmt, ap);
	va_end(ap);
	if (cli->noun == NULL)
		fprintf(cli->err, "\nTry 'keywarden --help'.\n");
	else if (cli->cmd == NULL || cli->cmd->verb == NULL)
		fprintf(cli->err, "\nTry 'keywarden %s --help'.\n",
			cli->noun->name);
	else
		fprintf(cli->err, "\nTry 'keywarden %s %s --help'.\n",
			cli->noun->name, cli->cmd->verb);
	cli->usage_error = true;
	return KW_E_INVALID;
}

kw_rc kw_cli_fail(kw_cli *cli, kw_rc rc, const char *fmt, ...)
{
	va_list ap;
	fputs("keywarden: ", cli->err);
	va_start(ap, fmt);
	vfprintf(cli->err, fmt, ap);
	va_end(ap);
	fputc('\n', cli->err);
	return rc;
}

int kw_cli_exit_status(const kw_cli *cli, kw_rc rc)
{
	if (rc == KW_OK)
		return 0;
	return cli->usage_error ? 2 : 1;
}

/* ---- token file --------------------------------------------------------- */

kw_rc kw_cli_token_path(kw_cli *cli, char *out, size_t len)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	int n;
	if (xdg != NULL && xdg[0] == '/')
		n = snprintf(out, len, "%s/keywarden/token", xdg);
	else if (home != NULL && home[0] == '/')
		n = snprintf(out, len, "%s/.config/keywarden/token", home);
	else
		return kw_cli_fail(cli, KW_E_NOT_FOUND,
				   "cannot place the token file: neither "
				   "XDG_CONFIG_HOME nor HOME is set");
	if (n < 0 || (size_t)n >= len)
		return kw_cli_fail(cli, KW_E_INVALID,
				   "token file path too long");
	return KW_OK;
}

/* Reads the saved token into out (room for TOKEN_FILE_MAX + 1).
 * KW_E_NOT_FOUND quietly if there is none. The file must be the user's
 * own and private, as ssh demands of its keys. */
static kw_rc token_load(kw_cli *cli, char *out)
{
	char path[4096];
	struct stat st;
	ssize_t n = 0;
	kw_rc rc = kw_cli_token_path(cli, path, sizeof(path));
	if (rc != KW_OK)
		return KW_E_NOT_FOUND;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? KW_E_NOT_FOUND
				       : kw_cli_fail(cli, KW_E_DENIED,
						     "cannot read %s: %s", path,
						     strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
		rc = kw_cli_fail(cli, KW_E_DENIED,
				 "refusing token file %s: it must be a regular "
				 "file of yours with mode 0600",
				 path);
		goto out;
	}
	n = read(fd, out, TOKEN_FILE_MAX);
	if (n < 0) {
		rc = kw_cli_fail(cli, KW_E_DENIED, "cannot read %s: %s", path,
				 strerror(errno));
		goto out;
	}
	while (n > 0 &&
	       (out[n - 1] == '\n' || out[n - 1] == '\r' || out[n - 1] == ' '))
		n--;
	out[n] = '\0';
	rc = n > 0 ? KW_OK : KW_E_NOT_FOUND;
out:
	close(fd);
	return rc;
}

kw_rc kw_cli_token_save(kw_cli *cli, const char *token, char *out_path,
			size_t path_len)
{
	char path[4096];
	kw_rc rc = kw_cli_token_path(cli, path, sizeof(path));
	if (rc != KW_OK)
		return rc;
	/* create the directories, private */
	for (char *s = strchr(path + 1, '/'); s != NULL;
	     s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			rc = kw_cli_fail(cli, KW_E_DENIED,
					 "cannot create %s: %s", path,
					 strerror(errno));
			*s = '/';
			return rc;
		}
		*s = '/';
	}
	rc = kw_cli_file_write_line(cli, path, token, 0600);
	if (rc == KW_OK)
		snprintf(out_path, path_len, "%s", path);
	return rc;
}

kw_rc kw_cli_token_remove(kw_cli *cli)
{
	char path[4096];
	kw_rc rc = kw_cli_token_path(cli, path, sizeof(path));
	if (rc == KW_OK && unlink(path) != 0 && errno != ENOENT)
		rc = kw_cli_fail(cli, KW_E_DENIED, "cannot remove %s: %s", path,
				 strerror(errno));
	return rc;
}

/* ---- the client --------------------------------------------------------- */

static const char *opt_or_env(const kw_cli *cli, const char *opt,
			      const char *env)
{
	const char *v = cli->args != NULL ? kw_cli_arg(cli->args, opt) : NULL;
	if (v == NULL)
		v = getenv(env);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

kw_rc kw_cli_client_new(kw_cli *cli, kw_client **out)
{
	kw_client_opts o = {0};
	kw_client_error e;
	kw_client *c = NULL;
	long long timeout = 0;
	char token[TOKEN_FILE_MAX + 1];
	kw_rc rc = kw_cli_arg_int(cli, cli->args, "timeout", 30, 1, 86400,
				  &timeout);
	if (rc != KW_OK)
		return rc;
	o.addr = opt_or_env(cli, "addr", "KEYWARDEN_ADDR");
	o.cacert = opt_or_env(cli, "cacert", "KEYWARDEN_CACERT");
	o.cert = opt_or_env(cli, "client-cert", "KEYWARDEN_CLIENT_CERT");
	o.key = opt_or_env(cli, "client-key", "KEYWARDEN_CLIENT_KEY");
	o.io_timeout_ms = (int)timeout * 1000;
	/* --timeout also bounds connecting when it is the shorter */
	if (o.io_timeout_ms < KW_CLIENT_CONNECT_TIMEOUT_MS)
		o.connect_timeout_ms = o.io_timeout_ms;
	rc = kw_client_new(&o, &e, &c);
	/* a malformed --addr: the invocation is wrong (exit 2); a missing or
	 * unusable file is a failure like any unreadable input (exit 1) */
	if (rc == KW_E_INVALID && strcmp(e.code, "invalid_address") == 0)
		return kw_cli_usage(cli, "%s", e.message);
	if (rc != KW_OK)
		return kw_cli_fail(cli, rc, "%s", e.message);
	if (cli->cmd != NULL && (cli->cmd->flags & KW_CLI_NO_TOKEN))
		goto done;
	const char *env = getenv("KEYWARDEN_TOKEN");
	if (env != NULL && env[0] != '\0') {
		rc = kw_client_set_token(c, env);
	} else {
		rc = token_load(cli, token);
		if (rc == KW_E_NOT_FOUND) {
			rc = kw_cli_fail(cli, KW_E_UNAUTHENTICATED,
					 "no token: set KEYWARDEN_TOKEN or run "
					 "'keywarden login --save'");
			goto out;
		}
		if (rc == KW_OK) {
			rc = kw_client_set_token(c, token);
			cli->token_from_file = true;
		}
	}
	if (rc == KW_E_INVALID)
		rc = kw_cli_fail(cli, rc, "the token is malformed");
	if (rc != KW_OK)
		goto out;
done:
	*out = c;
	c = NULL;
out:
	kw_client_free(c);
	OPENSSL_cleanse(token, sizeof(token));
	return rc;
}

static kw_rc client_get(kw_cli *cli, kw_client **out)
{
	kw_rc rc = KW_OK;
	if (cli->client == NULL)
		rc = kw_cli_client_new(cli, &cli->client);
	if (rc == KW_OK)
		*out = cli->client;
	return rc;
}

void kw_cli_free(kw_cli *cli)
{
	kw_client_free(cli->client);
	cli->client = NULL;
}

kw_rc kw_cli_call(kw_cli *cli, const char *method, const char *path,
		  json_t *body, long *out_status, json_t **out_json)
{
	kw_client *c = NULL;
	kw_rc rc = client_get(cli, &c);
	if (rc != KW_OK)
		return rc;
	if (path == NULL)
		return kw_cli_usage(cli, "a name is empty, '.', '..' or too "
					 "long");
	/* --approval ID: the request runs under that approval (?approval=) */
	const char *approval = kw_cli_arg(cli->args, "approval");
	kw_client_path with;
	if (approval != NULL) {
		size_t n = strlen(approval);
		if (n == 0 || n > 64 ||
		    strspn(approval,
			   "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != n)
			return kw_cli_usage(cli, "--approval: expected an "
						 "approval id (a-...)");
		kw_client_path_init(&with, path);
		kw_client_path_query(&with, "approval", approval);
		path = kw_client_path_get(&with);
		if (path == NULL)
			return kw_cli_usage(cli, "the request path is too "
						 "long");
	}
	long status = 0;
	json_t *res = NULL;
	rc = kw_client_call(c, method, path, body, &status, &res);
	if (rc == KW_OK && status == 202) {
		/* parked for a quorum: not done, whatever the command */
		const json_t *ap = json_object_get(res, "approval");
		if (cli->json)
			kw_cli_print_json(cli, res);
		rc = kw_cli_fail(
			cli, KW_E_QUORUM_PENDING,
			"needs approval %s (%s, %lld approval(s) needed); once "
			"approved, run the same command again with --approval "
			"%s",
			kw_cli_jstr(ap, "id"), kw_cli_jstr(ap, "state"),
			(long long)json_integer_value(json_object_get(ap, "m")),
			kw_cli_jstr(ap, "id"));
		json_decref(res);
		return rc;
	}
	if (rc == KW_OK) {
		if (out_status != NULL)
			*out_status = status;
		if (out_json != NULL)
			*out_json = res;
		else
			json_decref(res);
		return KW_OK;
	}
	const kw_client_error *e = kw_client_last_error(c);
	if (e->status == 0)
		return kw_cli_fail(cli, rc, "%s", e->message);
	return kw_cli_fail(cli, rc, "%s: %s%s%s%s", e->code, e->message,
			   e->request_id[0] != '\0' ? " (request " : "",
			   e->request_id, e->request_id[0] != '\0' ? ")" : "");
}

kw_rc kw_cli_call_in(kw_cli *cli, const char *method, kw_client_path *p,
		     json_t *body, json_t **out_json)
{
	kw_client_path_query(p, "partition",
			     kw_cli_arg(cli->args, "partition"));
	return kw_cli_call(cli, method, kw_client_path_get(p), body, NULL,
			   out_json);
}
