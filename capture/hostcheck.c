/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Host checks: what a market-data host needs so that the poller is never interrupted and the
 * ring fits in hugepages.  Each check says what it found and what to do about it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* A number in a /proc/sys file, or -1. */
static long read_num(const char *root, const char *path)
{
	char buf[64];

	if (read_line(root, path, buf, sizeof(buf)) < 0 || !isdigit((unsigned char)buf[0])) {
		return -1;
	}
	return strtol(buf, NULL, 10);
}

/* The online CPUs but cpu, as a CPU list ("0,2-3"): where the IRQs should go. */
static void online_without(const char *root, int cpu, char *out, size_t len)
{
	char online[256] = "";
	size_t used = 0;
	int a = -1;

	read_line(root, "/sys/devices/system/cpu/online", online, sizeof(online));
	out[0] = '\0';
	for (int i = 0; i <= 1024; i++) {
		bool in = i < 1024 && i != cpu && capture_cpulist_has(online, i);

		if (in && a < 0) {
			a = i;
		} else if (!in && a >= 0) {
			int k = i - 1 == a ? snprintf(out + used, len - used, "%s%d",
						      used ? "," : "", a)
					   : snprintf(out + used, len - used, "%s%d-%d",
						      used ? "," : "", a, i - 1);

			used += k > 0 && (size_t)k < len - used ? (size_t)k : 0;
			a = -1;
		}
	}
}

/* IRQs (with a handler) whose affinity includes cpu: their count, the first few listed. */
static void check_irqs(struct capture_check *c, const char *root, int cpu)
{
	char path[512], buf[256], list[64] = "";
	struct dirent *de, *h;
	DIR *d, *hd;
	int n = 0;
	size_t used = 0;

	snprintf(path, sizeof(path), "%s/proc/irq", root);
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL) {
		bool handled = false;

		if (!isdigit((unsigned char)de->d_name[0])) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/proc/irq/%s", root, de->d_name);
		hd = opendir(path);
		while (hd && (h = readdir(hd)) != NULL) {
			handled |= h->d_type == DT_DIR && h->d_name[0] != '.';
		}
		if (hd) {
			closedir(hd);
		}
		snprintf(path, sizeof(path), "/proc/irq/%s/smp_affinity_list", de->d_name);
		if (!handled || read_line(root, path, buf, sizeof(buf)) < 0 ||
		    !capture_cpulist_has(buf, cpu)) {
			continue;
		}
		if (n++ < 6 && used < sizeof(list)) {
			int k = snprintf(list + used, sizeof(list) - used, "%s%s", used ? "," : "",
					 de->d_name);

			used += k > 0 ? (size_t)k : 0;
		}
	}
	if (d) {
		closedir(d);
	}
	if (n == 0) {
		snprintf(c->value, sizeof(c->value), "no device IRQ may run on CPU %d", cpu);
		return;
	}
	c->status = CAPTURE_CHECK_WARN;
	snprintf(c->value, sizeof(c->value), "%d IRQ(s) may run on CPU %d: %s%s", n, cpu, list,
		 n > 6 ? ",..." : "");
	online_without(root, cpu, buf, sizeof(buf));
	snprintf(
		c->fix, sizeof(c->fix),
		"for i in /proc/irq/[0-9]*; do echo %.40s > $i/smp_affinity_list; done (tuned's cpu-partitioning profile does it)",
		buf[0] ? buf : "OTHER-CPUS");
}

/* irqbalance: not running, or told to leave the poller CPU alone. */
static void check_irqbalance(struct capture_check *c, const char *root, int cpu)
{
	static const char *const conf[] = { "/etc/default/irqbalance",
					    "/etc/sysconfig/irqbalance" };
	char path[512], buf[256];
	struct dirent *de;
	bool running = false, banned = false;
	DIR *d;

	snprintf(path, sizeof(path), "%s/proc", root);
	d = opendir(path);
	while (d && !running && (de = readdir(d)) != NULL) {
		if (!isdigit((unsigned char)de->d_name[0])) {
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%s/comm", de->d_name);
		running =
			read_line(root, path, buf, sizeof(buf)) == 0 && !strcmp(buf, "irqbalance");
	}
	if (d) {
		closedir(d);
	}
	for (size_t i = 0; i < sizeof(conf) / sizeof(conf[0]) && !banned; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s%s", root, conf[i]);
		f = fopen(path, "r");
		while (f && fgets(buf, sizeof(buf), f)) {
			const char *v = strstr(buf, "IRQBALANCE_BANNED_CPULIST=");

			if (buf[0] != '#' && v) {
				v += strlen("IRQBALANCE_BANNED_CPULIST=");
				v += *v == '"';
				banned |= capture_cpulist_has(v, cpu);
			}
		}
		if (f) {
			fclose(f);
		}
	}
	if (!running) {
		snprintf(c->value, sizeof(c->value), "not running");
	} else if (banned) {
		snprintf(c->value, sizeof(c->value), "running, CPU %d banned", cpu);
	} else {
		c->status = CAPTURE_CHECK_WARN;
		snprintf(c->value, sizeof(c->value), "running, may move IRQs to CPU %d", cpu);
		snprintf(
			c->fix, sizeof(c->fix),
			"IRQBALANCE_BANNED_CPULIST=%d in /etc/default/irqbalance, then systemctl restart irqbalance",
			cpu);
	}
}

/* A /proc/sys value that must be (or be at least) a number: what tuned's cpu-partitioning sets. */
static void check_sysctl(struct capture_check *c, const char *root, const char *file,
			 const char *key, long want, bool at_least)
{
	long v = read_num(root, file);

	if (v < 0) {
		snprintf(c->value, sizeof(c->value), "%s: not available", key);
		return;
	}
	snprintf(c->value, sizeof(c->value), "%s = %ld", key, v);
	if (at_least ? v < want : v != want) {
		c->status = CAPTURE_CHECK_WARN;
		snprintf(c->fix, sizeof(c->fix),
			 "sysctl -w %s=%ld, and the same line in /etc/sysctl.d/90-feedcap.conf",
			 key, want);
	}
}

/* Idle states deeper than 10 us still enabled on the poller CPU (a busy poller never idles,
 * but a poller that waits does, and waking from C6 takes tens of us). */
static void check_cstates(struct capture_check *c, const char *root, int cpu)
{
	char path[512], name[64], list[96] = "";
	int k, deep = 0;
	size_t used = 0;

	for (k = 0; k < 16; k++) {
		long lat, dis;

		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/cpuidle/state%d/latency", cpu, k);
		lat = read_num(root, path);
		if (lat < 0) {
			break;
		}
		snprintf(path, sizeof(path),
			 "/sys/devices/system/cpu/cpu%d/cpuidle/state%d/disable", cpu, k);
		dis = read_num(root, path);
		snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/cpuidle/state%d/name",
			 cpu, k);
		if (read_line(root, path, name, sizeof(name)) < 0) {
			snprintf(name, sizeof(name), "state%d", k);
		}
		if (lat > 10 && dis == 0) {
			int l = snprintf(list + used, sizeof(list) - used, "%s%s (%ld us)",
					 deep ? ", " : "", name, lat);

			used += l > 0 && (size_t)l < sizeof(list) - used ? (size_t)l : 0;
			deep++;
		}
	}
	if (k == 0) {
		snprintf(c->value, sizeof(c->value), "no cpuidle states on CPU %d", cpu);
	} else if (!deep) {
		snprintf(c->value, sizeof(c->value), "no state deeper than 10 us enabled on CPU %d",
			 cpu);
	} else {
		c->status = CAPTURE_CHECK_WARN;
		snprintf(c->value, sizeof(c->value), "CPU %d may enter %.70s", cpu, list);
		snprintf(
			c->fix, sizeof(c->fix),
			"cpupower -c %d idle-set -D 10 (or intel_idle.max_cstate=1 processor.max_cstate=1 on the kernel command line)",
			cpu);
	}
}

static void check_swap(struct capture_check *c, const char *root)
{
	char path[512], buf[256];
	int n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/swaps", root);
	f = fopen(path, "r");
	while (f && fgets(buf, sizeof(buf), f)) {
		n++;
	}
	if (f) {
		fclose(f);
	}
	if (n <= 0) {
		snprintf(c->value, sizeof(c->value), "no swap");
		return;
	}
	c->status = CAPTURE_CHECK_WARN;
	snprintf(c->value, sizeof(c->value), "%d swap area(s) active", n);
	snprintf(
		c->fix, sizeof(c->fix),
		"swapoff -a and remove the swap lines from /etc/fstab (the capture is mlockall()ed; the rest of the host is not)");
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

	/* What tuned's cpu-partitioning profile sets for an isolated core. */
	if ((c = add(out, &n, max, "irq_affinity"))) {
		check_irqs(c, root, poller_cpu);
	}
	if ((c = add(out, &n, max, "irqbalance"))) {
		check_irqbalance(c, root, poller_cpu);
	}
	if ((c = add(out, &n, max, "nmi_watchdog"))) {
		check_sysctl(c, root, "/proc/sys/kernel/nmi_watchdog", "kernel.nmi_watchdog", 0,
			     false);
	}
	if ((c = add(out, &n, max, "numa_balancing"))) {
		check_sysctl(c, root, "/proc/sys/kernel/numa_balancing", "kernel.numa_balancing", 0,
			     false);
	}
	if ((c = add(out, &n, max, "stat_interval"))) {
		check_sysctl(c, root, "/proc/sys/vm/stat_interval", "vm.stat_interval", 10, true);
	}
	if ((c = add(out, &n, max, "cstates"))) {
		check_cstates(c, root, poller_cpu);
	}
	if ((c = add(out, &n, max, "swap"))) {
		check_swap(c, root);
	}
	return n;
}

/* The node most of a ring file's pages are on (it is mapped read-only and touched). */
static int ring_node(const char *path, char *what, size_t len)
{
	struct stat st;
	void *m;
	int fd, node, on, sampled;
	long page;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
		if (fd >= 0) {
			close(fd);
		}
		return -ENOENT;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		return -errno;
	}
	/* The page size of the mapping: 2 MiB on hugetlbfs (statfs would say; try both). */
	page = 2l << 20;
	if ((uint64_t)st.st_size % (uint64_t)page) {
		page = sysconf(_SC_PAGESIZE);
	}
	for (off_t off = 0; off < st.st_size; off += page) {
		(void)*(volatile const uint8_t *)((const uint8_t *)m + off);
	}
	node = capture_mem_node(m, (size_t)st.st_size, (size_t)page, &on, &sampled);
	munmap(m, (size_t)st.st_size);
	if (node >= 0) {
		snprintf(what, len, "node %d (%d of %d pages sampled)", node, on, sampled);
	}
	return node;
}

int capture_numa_check(const char *root, int poller_cpu, char *const *pci, int npci,
		       const char *ring_path, struct capture_check *out, int max)
{
	struct capture_check *c;
	char what[96];
	int n = 0, pnode, node, i;

	if (!root) {
		root = "";
	}
	pnode = capture_cpu_node(root, poller_cpu);
	if ((c = add(out, &n, max, "numa_poller"))) {
		snprintf(c->value, sizeof(c->value), "CPU %d on node %d", poller_cpu, pnode);
	}
	for (i = 0; i < npci; i++) {
		if (!(c = add(out, &n, max, "numa_port"))) {
			break;
		}
		node = capture_pci_node(root, pci[i]);
		snprintf(c->value, sizeof(c->value), "%.40s on node %d", pci[i], node);
		if (node >= 0 && pnode >= 0 && node != pnode) {
			c->status = CAPTURE_CHECK_WARN;
			snprintf(
				c->fix, sizeof(c->fix),
				"pick a poller CPU on node %d: --lcores CONTROL,POLLER (poller_core) among /sys/devices/system/node/node%d/cpulist",
				node, node);
		}
	}
	if ((c = add(out, &n, max, "numa_ring"))) {
		node = ring_path && !root[0] ? ring_node(ring_path, what, sizeof(what)) : -ENOENT;
		if (node == -ENOENT) {
			snprintf(
				c->value, sizeof(c->value),
				"not there yet: made at start, faulted in on node %d (the poller's)",
				pnode);
		} else if (node < 0) {
			snprintf(c->value, sizeof(c->value), "cannot tell: %s", strerror(-node));
		} else {
			snprintf(c->value, sizeof(c->value), "%s", what);
			if (pnode >= 0 && node != pnode) {
				c->status = CAPTURE_CHECK_WARN;
				snprintf(
					c->fix, sizeof(c->fix),
					"stop the capture, remove %.60s and start it again: a new ring is faulted in on node %d",
					ring_path, pnode);
			}
		}
	}
	if ((c = add(out, &n, max, "numa_mbufs"))) {
		snprintf(c->value, sizeof(c->value),
			 "allocated at start on node %d (the poller's); the log reads it back",
			 pnode);
	}
	return n;
}
