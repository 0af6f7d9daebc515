/* doctor: the adapters recognised as VPNs (see doctor.h). */
#include "doctor.h"

void
doctor_adapters(struct doctor *d)
{
	(void)d;	/* filled in with the adapter list */
}
