/* doctor: the names resolved through the system's resolver (doctor.h). */
#include "doctor.h"

#include <stddef.h>

#include "verify.h"

/* A finding for one artifact: failed (error) or skipped (info). */
static void
doctor_verify_finding(struct doctor *d, const char *artifact,
    const struct verify_result *r)
{
	if (!r->ran)
		return;
	if (r->skipped)
		doctor_finding(d, DOCTOR_INFO, "verify-skipped", "%s: not "
		    "verified (%s): %s", artifact, verify_class_name(r->cls),
		    r->detail);
	else if (r->failed > 0)
		doctor_finding(d, DOCTOR_ERROR, "verify-failed", "%s: %s: %s "
		    "fails (%u of %u checked): %s", artifact,
		    verify_class_name(r->cls), r->first_failure, r->failed,
		    r->checked, r->detail);
}

void
doctor_verify(struct doctor *d, const struct doctor_opts *opts)
{
	struct verify_report	 rep;
	size_t			 cursor = 0;

	if (!opts->verify || d->ds == NULL)
		return;
	if (verify_run(d->cfg, d->ds, &cursor, &rep) != 0) {
		d->oom = true;
		return;
	}
	doctor_add(d, d->root, "verify", verify_report_json(&rep));
	doctor_verify_finding(d, "hosts", &rep.hosts);
	doctor_verify_finding(d, "NRPT", &rep.nrpt);
}
