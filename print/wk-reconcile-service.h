/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-reconcile-service.h — the daemon's reconcile.* control methods. */

#pragma once

#include "wk-control.h"
#include "wk-reconcile.h"

G_BEGIN_DECLS

/** The most bytes of an export one answer carries; the rest is fetched in parts. */
#define WK_RECONCILE_SERVICE_CHUNK (256 * 1024)

/**
 * WkReconcileNowFunc:
 * @user_data: the data given to wk_reconcile_service_set_now_func()
 *
 * Returns: the time now, in UTC seconds
 */
typedef gint64 (*WkReconcileNowFunc) (gpointer user_data);

/**
 * WkReconcileService:
 *
 * Reconciliation as the daemon offers it on its control socket (README "After the
 * outage" lists the methods): `reconcile.scan`, `.status`, `.chart`, `.enter`,
 * `.report`, `.signoff`, `.export`, `.export.fetch` and `.export.commit`. The daemon,
 * the model's only writer, registers them; `wardkeep reconcile` and the kiosk call
 * them. Runs on the daemon's main loop; HL7 export sends from a worker thread.
 */
typedef struct _WkReconcileService WkReconcileService;

WkReconcileService *wk_reconcile_service_new (WkReconcile *reconcile);
void                wk_reconcile_service_free (WkReconcileService *service);
void wk_reconcile_service_register (WkReconcileService *service, WkControlServer *server);
void wk_reconcile_service_unregister (WkReconcileService *service, WkControlServer *server);
void wk_reconcile_service_set_now_func (WkReconcileService *service,
                                        WkReconcileNowFunc  func,
                                        gpointer            user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkReconcileService, wk_reconcile_service_free)

G_END_DECLS
