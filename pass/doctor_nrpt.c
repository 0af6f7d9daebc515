/* doctor: the NRPT tables, every rule with its owner (see doctor.h). */
#include "doctor.h"

void
doctor_nrpt(struct doctor *d)
{
	(void)d;	/* filled in with the NRPT scan */
}
