/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-scanner-wedge.h — tells a USB barcode scanner's keystrokes from a person's typing. */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/** A scanner types each key of a code within this of the one before; people do not. */
#define WK_SCANNER_WEDGE_MAX_GAP_US (40 * 1000)

/**
 * WkScannerWedgeResult:
 * @WK_SCANNER_WEDGE_PASS: the key is typing: let the focused widget have it (after any
 *   keys the wedge held back and now gives back, in order)
 * @WK_SCANNER_WEDGE_HELD: the key may be the start of a scanned code: the wedge keeps it
 *   for now
 * @WK_SCANNER_WEDGE_CODE: the key (Enter) ended a scanned code, now complete
 *
 * What became of one key.
 */
typedef enum
{
  WK_SCANNER_WEDGE_PASS,
  WK_SCANNER_WEDGE_HELD,
  WK_SCANNER_WEDGE_CODE,
} WkScannerWedgeResult;

/**
 * WkScannerWedge:
 *
 * A USB/HID barcode scanner in keyboard-wedge mode types what it reads as a burst of
 * keystrokes ending in Enter. The wedge watches the keys a screen receives and takes a
 * burst as a scanned chart code when it starts with "WK:", every key comes within
 * %WK_SCANNER_WEDGE_MAX_GAP_US of the one before, every character is one a chart code can
 * hold, and it ends in Enter. Anything else is a person typing: the keys it held while it
 * could not yet tell are given back, in order, to be typed as usual. Pure logic, fed the
 * keys and their times: the screen adds a timeout (wk_scanner_wedge_get_deadline()) so
 * that a held key is given back when no next key comes.
 */
typedef struct _WkScannerWedge WkScannerWedge;

WkScannerWedge      *wk_scanner_wedge_new (gint64 max_gap_us);
void                 wk_scanner_wedge_free (WkScannerWedge *wedge);
WkScannerWedgeResult wk_scanner_wedge_key (WkScannerWedge *wedge,
                                           gunichar        character,
                                           gboolean        enter,
                                           gint64          time_us,
                                           char          **given_back,
                                           char          **code);
gint64               wk_scanner_wedge_get_deadline (WkScannerWedge *wedge);
char                *wk_scanner_wedge_timeout (WkScannerWedge *wedge, gint64 time_us);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkScannerWedge, wk_scanner_wedge_free)

G_END_DECLS
