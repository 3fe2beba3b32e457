/* SPDX-License-Identifier: GPL-3.0-or-later */
/* main.c — wardkeep-kiosk: the ward's GTK 4 touch screen. */

#define G_LOG_DOMAIN "wardkeep-kiosk"

#include "wk-kiosk-application.h"
#include "wk-log.h"

#include <glib/gi18n.h>
#include <locale.h>

int
main (int argc, char **argv)
{
  g_autoptr (WkKioskApplication) application = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (WK_GETTEXT_PACKAGE, WK_LOCALEDIR);
  bind_textdomain_codeset (WK_GETTEXT_PACKAGE, "UTF-8");
  textdomain (WK_GETTEXT_PACKAGE);
  wk_log_init ("wardkeep-kiosk");

  application = wk_kiosk_application_new ();
  return g_application_run (G_APPLICATION (application), argc, argv);
}
