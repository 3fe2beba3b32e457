/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A deliberate breach of the logging rule: lint-log-fields.sh must refuse this file. */

#include "wk-patient.h"

#include <glib.h>

void bad_logging (const WkPatient *patient);

void
bad_logging (const WkPatient *patient)
{
  g_message ("Admitted %s", patient->family_name);
}
