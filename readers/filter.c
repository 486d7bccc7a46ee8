/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * filter.c - tcpdump expressions on ring frames, through libpcap.
 *
 * A dead handle (pcap_open_dead) is all pcap_compile() needs: no capture device, no privilege.
 * pcap_offline_filter() then runs the program in userland, exactly what tcpdump -r does, so
 * feedcap-dump keeps the same frames tcpdump would (the integration test checks it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "fcreader.h"

struct fcr_filter {
	struct bpf_program prog;
	bool match_all;
	char *expr;
};

static void set_err(struct fcr_error *err, int code, const char *fmt, const char *a, const char *b)
{
	if (!err) {
		return;
	}
	err->code = code;
	snprintf(err->msg, sizeof(err->msg), fmt, a, b);
}

struct fcr_filter *fcr_filter_compile(const char *expr, struct fcr_error *err)
{
	struct fcr_filter *f = calloc(1, sizeof(*f));
	pcap_t *dead;

	if (!f) {
		set_err(err, -ENOMEM, "%s%s", "out of memory compiling the filter", "");
		errno = ENOMEM;
		return NULL;
	}
	f->expr = strdup(expr ? expr : "");
	if (!f->expr) {
		goto out_nomem;
	}
	if (f->expr[strspn(f->expr, " \t")] == '\0') {
		f->match_all = true;
		return f;
	}
	dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, RINGSHM_MAX_CAPLEN,
						    PCAP_TSTAMP_PRECISION_NANO);
	if (!dead) {
		goto out_nomem;
	}
	if (pcap_compile(dead, &f->prog, f->expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		set_err(err, -EINVAL, "bad filter expression '%s': %s", f->expr, pcap_geterr(dead));
		pcap_close(dead);
		free(f->expr);
		free(f);
		errno = EINVAL;
		return NULL;
	}
	pcap_close(dead);
	return f;

out_nomem:
	set_err(err, -ENOMEM, "%s%s", "out of memory compiling the filter", "");
	free(f->expr);
	free(f);
	errno = ENOMEM;
	return NULL;
}

bool fcr_filter_match(const struct fcr_filter *f, const struct fcr_pkt *pkt)
{
	struct pcap_pkthdr h;

	if (!f || f->match_all) {
		return true;
	}
	/* The program looks at lengths only; the timestamp is irrelevant to BPF. */
	h.ts.tv_sec = 0;
	h.ts.tv_usec = 0;
	h.caplen = pkt->cap_len;
	h.len = pkt->wire_len;
	return pcap_offline_filter(&f->prog, &h, pkt->data) != 0;
}

const char *fcr_filter_expr(const struct fcr_filter *f)
{
	return f ? f->expr : "";
}

void fcr_filter_free(struct fcr_filter *f)
{
	if (!f) {
		return;
	}
	if (!f->match_all) {
		pcap_freecode(&f->prog);
	}
	free(f->expr);
	free(f);
}

char *fcr_join_args(int argc, char *const argv[])
{
	size_t len = 1;
	char *s, *p;
	int i;

	for (i = 0; i < argc; i++) {
		len += strlen(argv[i]) + 1;
	}
	s = malloc(len);
	if (!s) {
		errno = ENOMEM;
		return NULL;
	}
	p = s;
	*p = '\0';
	for (i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (i > 0) {
			*p++ = ' ';
		}
		memcpy(p, argv[i], n);
		p += n;
		*p = '\0';
	}
	return s;
}
