/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * fuzz_config.c - libFuzzer target: the config parser on hostile text.
 *
 * Every input goes through both entry points: fcc_load_string() (text stops at the first NUL,
 * as a C string does) and fcc_load() on a memfd, which reads the file through the library's
 * own line reader and so sees NUL bytes, overlong lines and a missing final newline.  Either
 * may refuse; neither may crash, leak, read out of bounds, or refuse without saying why.  An
 * accepted config must also survive fcc_validate() with the capture's stricter flags, and a
 * refusal must render through fcc_format_error() into FCC_ERROR_MAX bytes.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "feedcap_config.h"

static int memfd = -1;

/* A refusal must say something, and the rendered message must fit its documented bound. */
static void check_refusal(const struct fcc_error *err)
{
	char msg[FCC_ERROR_MAX];
	int n;

	if (err->msg[0] == '\0') {
		fprintf(stderr, "fuzz_config: refused without a message\n");
		abort();
	}
	n = fcc_format_error(err, msg, sizeof(msg));
	if (n < 0 || (size_t)n >= sizeof(msg)) {
		fprintf(stderr, "fuzz_config: formatted error is %d bytes (> FCC_ERROR_MAX)\n", n);
		abort();
	}
}

static void use(struct fcc_config *cfg, const struct fcc_error *err)
{
	struct fcc_error e2;

	if (!cfg) {
		check_refusal(err);
		return;
	}
	/* Walk what was accepted: every name must be found again by its own lookup. */
	for (unsigned i = 0; i < cfg->nrings; i++) {
		if (!fcc_ring_find(cfg, cfg->rings[i].name, NULL)) {
			abort();
		}
	}
	for (unsigned i = 0; i < cfg->njobs; i++) {
		if (!fcc_job_find(cfg, cfg->jobs[i].name, NULL)) {
			abort();
		}
	}
	for (unsigned i = 0; i < cfg->nports; i++) {
		if (!fcc_port_find(cfg, cfg->ports[i].name, NULL)) {
			abort();
		}
	}
	if (fcc_validate(cfg, FCC_VALIDATE_CAPTURE, &e2) != 0) {
		check_refusal(&e2);
	}
	fcc_free(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fcc_error err;
	char path[64];
	char *text;

	if (memfd < 0) {
		memfd = memfd_create("fuzz_config", MFD_CLOEXEC);
		if (memfd < 0) {
			abort();
		}
	}

	text = malloc(size + 1);
	if (!text) {
		return 0;
	}
	memcpy(text, data, size);
	text[size] = '\0';
	memset(&err, 0, sizeof(err));
	use(fcc_load_string(text, "fuzz.conf", &err), &err);
	free(text);

	if (ftruncate(memfd, 0) != 0 || pwrite(memfd, data, size, 0) != (ssize_t)size) {
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
	memset(&err, 0, sizeof(err));
	use(fcc_load(path, &err), &err);
	return 0;
}
