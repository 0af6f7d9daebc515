/* doctor: the hosts file, its section and who holds it (see doctor.h). */
#include "doctor.h"

void
doctor_hosts(struct doctor *d)
{
	(void)d;	/* filled in with the section and its holders */
}
