/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host checks: what a market-data host needs so that the poller is never interrupted and the
 * ring fits in hugepages.  Each check says what it found and what to do about it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"

static int read_line(const char *root, const char *path, char *buf, size_t len)
{
	char full[512];
	FILE *f;

	snprintf(full, sizeof(full), "%s%s", root, path);
	f = fopen(full, "r");
	if (!f) {
		return -errno;
	}
	if (!fgets(buf, (int)len, f)) {
		buf[0] = '\0';
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

bool capture_cpulist_has(const char *list, int cpu)
{
	const char *p = list;
	char *end;
	long a, b;

	while (p && *p) {
		while (*p == ',' || *p == ' ') {
			p++;
		}
		if (!isdigit((unsigned char)*p)) {
			return false; /* "(null)", "" or a flag such as "managed_irq," skipped by caller */
		}
		a = strtol(p, &end, 10);
		b = a;
		if (*end == '-') {
			b = strtol(end + 1, &end, 10);
		}
		if (cpu >= a && cpu <= b) {
			return true;
		}
		p = end;
	}
	return false;
}

/* The value of a kernel command line parameter ("isolcpus=..."), or NULL. */
static const char *cmdline_param(const char *cmdline, const char *name, char *out, size_t len)
{
	size_t n = strlen(name);
	const char *p = cmdline;

	while ((p = strstr(p, name)) != NULL) {
		if ((p == cmdline || p[-1] == ' ') && p[n] == '=') {
			size_t l = strcspn(p + n + 1, " ");

			if (l >= len) {
				l = len - 1;
			}
			memcpy(out, p + n + 1, l);
			out[l] = '\0';
			return out;
		}
		p += n;
	}
	return NULL;
}

/* isolcpus takes flags before the list: "isolcpus=nohz,domain,managed_irq,2-3". */
static const char *skip_isolcpus_flags(const char *v)
{
	const char *p = v, *last = v;

	while (*p) {
		if (isdigit((unsigned char)*p)) {
			return p;
		}
		if (*p == ',') {
			last = p + 1;
		}
		p++;
	}
	return last;
}

static struct capture_check *add(struct capture_check *out, int *n, int max, const char *name)
{
	struct capture_check *c;

	if (*n >= max) {
		return NULL;
	}
	c = &out[(*n)++];
	memset(c, 0, sizeof(*c));
	c->name = name;
	return c;
}

static void check_cpu_param(struct capture_check *c, const char *cmdline, const char *sysfile,
			    const char *root, const char *param, int cpu)
{
	char val[256] = "", kv[256];
	bool has = false;

	if (sysfile && read_line(root, sysfile, val, sizeof(val)) == 0 && val[0]) {
		has = capture_cpulist_has(val, cpu);
	} else if (cmdline_param(cmdline, param, kv, sizeof(kv))) {
		snprintf(val, sizeof(val), "%s", kv);
		has = capture_cpulist_has(!strcmp(param, "isolcpus") ? skip_isolcpus_flags(kv) : kv,
					  cpu);
	}
	if (has) {
		c->status = CAPTURE_CHECK_OK;
		snprintf(c->value, sizeof(c->value), "CPU %d in %.80s", cpu, val);
		return;
	}
	c->status = CAPTURE_CHECK_WARN;
	snprintf(c->value, sizeof(c->value), "CPU %d not in \"%.70s\"", cpu, val);
	snprintf(c->fix, sizeof(c->fix), "add %s=%d to the kernel command line and reboot", param,
		 cpu);
}

int capture_host_check(const char *root, int poller_cpu, uint64_t ring_size,
		       struct capture_check *out, int max)
{
	char cmdline[4096] = "", buf[256];
	struct capture_check *c;
	unsigned long free_pages = 0, total = 0, pagesz_kb = 0;
	uint64_t need;
	int n = 0;
	FILE *f;

	if (!root) {
		root = "";
	}
	read_line(root, "/proc/cmdline", cmdline, sizeof(cmdline));

	c = add(out, &n, max, "isolcpus");
	if (c) {
		check_cpu_param(c, cmdline, "/sys/devices/system/cpu/isolated", root, "isolcpus",
				poller_cpu);
	}
	c = add(out, &n, max, "nohz_full");
	if (c) {
		check_cpu_param(c, cmdline, "/sys/devices/system/cpu/nohz_full", root, "nohz_full",
				poller_cpu);
	}
	c = add(out, &n, max, "rcu_nocbs");
	if (c) {
		check_cpu_param(c, cmdline, NULL, root, "rcu_nocbs", poller_cpu);
	}

	c = add(out, &n, max, "hugepages");
	if (c) {
		snprintf(buf, sizeof(buf), "%s/proc/meminfo", root);
		f = fopen(buf, "r");
		while (f && fgets(buf, sizeof(buf), f)) {
			sscanf(buf, "HugePages_Total: %lu", &total);
			sscanf(buf, "HugePages_Free: %lu", &free_pages);
			sscanf(buf, "Hugepagesize: %lu kB", &pagesz_kb);
		}
		if (f) {
			fclose(f);
		}
		need = pagesz_kb ? (ring_size + pagesz_kb * 1024 - 1) / (pagesz_kb * 1024) : 0;
		snprintf(c->value, sizeof(c->value),
			 "%lu of %lu %lu kB pages free, ring needs %llu", free_pages, total,
			 pagesz_kb, (unsigned long long)need);
		if (pagesz_kb && free_pages >= need) {
			c->status = CAPTURE_CHECK_OK;
		} else {
			c->status = CAPTURE_CHECK_WARN;
			snprintf(
				c->fix, sizeof(c->fix),
				"reserve hugepages: echo %llu > /proc/sys/vm/nr_hugepages (or hugepages= on the kernel command line); else the ring falls back to /dev/shm",
				(unsigned long long)(total + need -
						     (need < free_pages ? need : free_pages)));
		}
	}

	c = add(out, &n, max, "transparent_hugepage");
	if (c) {
		if (read_line(root, "/sys/kernel/mm/transparent_hugepage/enabled", buf,
			      sizeof(buf)) < 0) {
			snprintf(c->value, sizeof(c->value), "not available");
		} else {
			snprintf(c->value, sizeof(c->value), "%.90s", buf);
			/* khugepaged compaction stalls are a latency source; madvise or never. */
			if (strstr(buf, "[always]")) {
				c->status = CAPTURE_CHECK_WARN;
				snprintf(
					c->fix, sizeof(c->fix),
					"echo madvise > /sys/kernel/mm/transparent_hugepage/enabled");
			}
		}
	}

	c = add(out, &n, max, "cpufreq_governor");
	if (c) {
		snprintf(buf, sizeof(buf), "/sys/devices/system/cpu/cpu%d/cpufreq/scaling_governor",
			 poller_cpu);
		if (read_line(root, buf, c->value, sizeof(c->value)) < 0) {
			snprintf(c->value, sizeof(c->value), "no cpufreq (fixed frequency or VM)");
		} else if (strcmp(c->value, "performance")) {
			c->status = CAPTURE_CHECK_WARN;
			snprintf(c->fix, sizeof(c->fix),
				 "cpupower -c %d frequency-set -g performance", poller_cpu);
		}
	}
	return n;
}
