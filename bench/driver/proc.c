/*
 * proc.c - what the driver reads about the server from /proc: CPU time of
 * all its threads (utime + stime, fields 14 and 15 of /proc/PID/stat) and
 * its peak resident set (VmHWM in /proc/PID/status: the high-water mark
 * since the process started, or since it was reset), and the machine's busy time, from which the
 * CPU of everything else (other people's work: noise) is derived.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ghbench.h"

bool
proc_cpu_ticks(long pid, uint64_t *ticks)
{
	char		 path[64], buf[1024], *p, *tok, *save = NULL;
	FILE		*f;
	size_t		 n;
	int		 field;
	uint64_t	 v, sum = 0;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces: fields restart after ')' */
	if ((p = strrchr(buf, ')')) == NULL)
		return false;
	field = 2;
	for (tok = strtok_r(p + 1, " ", &save); tok != NULL;
	    tok = strtok_r(NULL, " ", &save)) {
		field++;
		if (field == 14 || field == 15) {
			if (!parse_uint(tok, UINT64_MAX / 2, &v))
				return false;
			sum += v;
		}
		if (field == 15) {
			*ticks = sum;
			return true;
		}
	}
	return false;
}

bool
proc_hwm_kib(long pid, uint64_t *kib)
{
	char		 path[64], line[256], num[32];
	FILE		*f;
	size_t		 i, o;
	bool		 ok = false;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return false;
	while (!ok && fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmHWM:", 6) != 0)
			continue;
		for (i = 6; line[i] == ' ' || line[i] == '\t'; i++)
			;
		for (o = 0; line[i] >= '0' && line[i] <= '9' &&
		    o + 1 < sizeof(num); i++)
			num[o++] = line[i];
		num[o] = '\0';
		ok = parse_uint(num, UINT64_MAX / 2, kib);
	}
	fclose(f);
	return ok;
}

long
proc_ticks_per_second(void)
{
	long hz = sysconf(_SC_CLK_TCK);

	return hz > 0 ? hz : 100;
}

/* Busy ticks of the whole machine (all CPUs: user..steal, less idle and
 * iowait), from the first line of /proc/stat. */
bool
proc_machine_busy(uint64_t *busy)
{
	char		 line[512], *tok, *save = NULL;
	FILE		*f;
	uint64_t	 v, sum = 0;
	int		 field = 0;
	bool		 ok;

	if ((f = fopen("/proc/stat", "r")) == NULL)
		return false;
	ok = fgets(line, sizeof(line), f) != NULL &&
	    strncmp(line, "cpu ", 4) == 0;
	fclose(f);
	if (!ok)
		return false;
	line[strcspn(line, "\n")] = '\0';
	for (tok = strtok_r(line + 4, " ", &save); tok != NULL && field < 8;
	    tok = strtok_r(NULL, " ", &save), field++) {
		if (!parse_uint(tok, UINT64_MAX / 16, &v))
			return false;
		if (field != 3 && field != 4)	/* idle, iowait */
			sum += v;
	}
	*busy = sum;
	return field == 8;
}

/* Restart VmHWM from the current RSS (writing 5 to clear_refs, Linux 4.0+),
 * so that the next reading is the peak of the measured window only. */
bool
proc_reset_hwm(long pid)
{
	char	 path[64];
	FILE	*f;
	bool	 ok;

	snprintf(path, sizeof(path), "/proc/%ld/clear_refs", pid);
	if ((f = fopen(path, "w")) == NULL)
		return false;
	ok = fputs("5", f) >= 0;
	return fclose(f) == 0 && ok;
}
