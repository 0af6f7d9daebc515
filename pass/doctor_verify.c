/* doctor: the names resolved through the system's resolver (doctor.h). */
#include "doctor.h"

void
doctor_verify(struct doctor *d, const struct doctor_opts *opts)
{
	(void)d;	/* filled in with verify.h */
	(void)opts;
}
