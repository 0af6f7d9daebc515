/*
 * dnsnotify_win: Windows only. The four calls dnsnotify_win.c makes, as a
 * seam: a test replaces them to see their order and to make each fail,
 * since Wine has no Dnscache to signal and no group-policy engine.
 *
 * Each returns 0 or a Win32 error code (the WNF publication maps its
 * NTSTATUS to one).
 */
#ifndef DNSNOTIFY_WIN_H
#define DNSNOTIFY_WIN_H

struct dnsnotify_hooks {
	unsigned long	(*paramchange)(void);	/* PARAMCHANGE to Dnscache */
	unsigned long	(*flush)(void);		/* DnsFlushResolverCache */
	unsigned long	(*gp_publish)(void);	/* WNF_GPOL_SYSTEM_CHANGES */
	unsigned long	(*gp_refresh)(void);	/* RefreshPolicyEx, forced */
};

/* Replaces the calls (copied); NULL restores the real ones. Also forgets
 * the publications remembered for dnsnotify_gp_own_take. */
void	dnsnotify_set_hooks(const struct dnsnotify_hooks *h);

#endif
