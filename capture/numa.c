/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * numa.c - where things are: the NUMA node of a CPU, a PCI device, a range of memory; the
 * memory policy the ring is faulted in under; default CPUs on the port's node.
 *
 * Read from sysfs under a root (tests use a fake one) and, for memory, asked of the kernel with
 * move_pages(2) in query mode: the node each page really is on, not where it was meant to go.
 * No libnuma: three system calls and a few files.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/mempolicy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "capture.h"

int capture_cpu_node(const char *root, int cpu)
{
	char path[512];
	struct dirent *de;
	DIR *d;
	int node = -1;

	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/cpu%d", root ? root : "", cpu);
	d = opendir(path);
	while (d && (de = readdir(d)) != NULL) {
		if (sscanf(de->d_name, "node%d", &node) == 1) {
			break;
		}
		node = -1;
	}
	if (d) {
		closedir(d);
	}
	return node;
}

int capture_pci_node(const char *root, const char *pci)
{
	char path[512], buf[32];
	FILE *f;
	int node = -1;

	/* "3b:00.0" and "0000:3b:00.0" name the same device; sysfs uses the long form. */
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s%s/numa_node", root ? root : "",
		 strchr(pci, ':') == strrchr(pci, ':') ? "0000:" : "", pci);
	f = fopen(path, "r");
	if (f && fgets(buf, sizeof(buf), f)) {
		node = atoi(buf);
	}
	if (f) {
		fclose(f);
	}
	return node < 0 ? -1 : node;
}

int capture_mem_node(const void *addr, size_t len, size_t page, int *on_node, int *sampled)
{
	enum { MAXS = 64 };
	void *pages[MAXS];
	int status[MAXS], count[64] = { 0 }, best = -1;
	size_t npages = page ? (len + page - 1) / page : 0, step;
	int n = 0, i;

	*on_node = 0;
	*sampled = 0;
	if (npages == 0) {
		return -EINVAL;
	}
	step = npages > MAXS ? npages / MAXS : 1;
	for (size_t p = 0; p < npages && n < MAXS; p += step) {
		pages[n++] = (char *)(uintptr_t)addr + p * page;
	}
	/* Query mode (no target nodes): status[] is each page's node, or -errno. */
	if (syscall(SYS_move_pages, 0, (unsigned long)n, pages, NULL, status, 0) != 0) {
		return -errno;
	}
	for (i = 0; i < n; i++) {
		if (status[i] >= 0 && status[i] < 64) {
			count[status[i]]++;
		}
	}
	for (i = 0; i < 64; i++) {
		if (count[i] && (best < 0 || count[i] > count[best])) {
			best = i;
		}
	}
	*sampled = n;
	*on_node = best >= 0 ? count[best] : 0;
	return best >= 0 ? best : -ENOENT;
}

int capture_prefer_node(int node)
{
	unsigned long mask[4] = { 0 };

	if (node < 0) {
		return syscall(SYS_set_mempolicy, MPOL_DEFAULT, NULL, 0) == 0 ? 0 : -errno;
	}
	if (node >= (int)(8 * sizeof(mask))) {
		return -EINVAL;
	}
	mask[node / (8 * sizeof(long))] = 1ul << (node % (8 * sizeof(long)));
	/* Preferred, not bound: a node out of hugepages falls back (and the read-back says so). */
	return syscall(SYS_set_mempolicy, MPOL_PREFERRED, mask, 8 * sizeof(mask) + 1) == 0 ? 0
											   : -errno;
}

int capture_pick_cpus(const char *root, const int *cpus, int ncpus, int node, int *control,
		      int *poller)
{
	int i, first = -1, last = -1;

	if (ncpus < 2) {
		return -ERANGE;
	}
	/*
	 * The poller on the port's node, the last of its CPUs (the first CPUs take most IRQs
	 * and housekeeping); the control thread on the same node if it has another CPU we may
	 * use (it touches the same memory: the ring's header, the counters), else anywhere.
	 */
	for (i = 0; node >= 0 && i < ncpus; i++) {
		if (capture_cpu_node(root, cpus[i]) == node) {
			if (first < 0) {
				first = cpus[i];
			}
			last = cpus[i];
		}
	}
	if (last < 0) {
		*control = cpus[0];
		*poller = cpus[ncpus - 1];
		return 0;
	}
	*poller = last;
	*control = first != last ? first : (cpus[0] != last ? cpus[0] : cpus[1]);
	return 0;
}
