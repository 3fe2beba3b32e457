/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-back-entry.h — paper entries as the EPR takes them back: HL7 RAS^O17, FHIR R4, CSV. */

#pragma once

#include "wk-reconcile.h"

#include <gio/gio.h>

G_BEGIN_DECLS

/** The FHIR identifier system of paper entries (value: the entry's external id). */
#define WK_BACK_ENTRY_SYSTEM_ENTRY "urn:wardkeep:paper-entry"
/** The FHIR identifier system of placer order numbers. */
#define WK_BACK_ENTRY_SYSTEM_ORDER "urn:wardkeep:placer-order-number"
/** The FHIR identifier system of NHS numbers (NHS England). */
#define WK_BACK_ENTRY_SYSTEM_NHS_NUMBER "https://fhir.nhs.uk/Id/nhs-number"
/** The FHIR code system of the dm+d. */
#define WK_BACK_ENTRY_SYSTEM_DMD "https://dmd.nhs.uk"

char   *wk_back_entry_dup_control_id (const WkPaperEntry *entry);
GBytes *wk_back_entry_build_ras (WkReconcile        *reconcile,
                                 const WkPaperEntry *entry,
                                 const char         *control_id,
                                 gint64              now,
                                 GError            **error);
char *
wk_back_entry_build_fhir (WkReconcile *reconcile, GPtrArray *entries, gint64 now, GError **error);
char *wk_back_entry_build_csv (WkReconcile *reconcile, GPtrArray *entries, GError **error);

/**
 * WkBackEntryFile:
 * @format: %WK_PAPER_EXPORT_FHIR or %WK_PAPER_EXPORT_CSV
 * @entries: (element-type WkPaperEntry): the entries it holds
 * @content: the text (patient data: it goes to the caller's file or standard output,
 *   never to a temporary file)
 * @again: whether entries already exported in @format were included on purpose
 *
 * An export for back-entry as a document, prepared but not yet recorded as exported:
 * wk_back_entry_commit() records it once the caller has written it out.
 */
typedef struct
{
  WkPaperExportFormat format;
  GPtrArray          *entries;
  char               *content;
  gboolean            again;
} WkBackEntryFile;

WkBackEntryFile *wk_back_entry_prepare (WkReconcile        *reconcile,
                                        const char         *episode_id,
                                        WkPaperExportFormat format,
                                        gboolean            again,
                                        gint64              now,
                                        GError            **error);
gboolean         wk_back_entry_commit (WkReconcile     *reconcile,
                                       WkBackEntryFile *file,
                                       const char      *who,
                                       const char      *destination,
                                       gint64           now,
                                       GError         **error);
void             wk_back_entry_file_free (WkBackEntryFile *file);

void wk_back_entry_send_async (WkReconcile        *reconcile,
                               const char         *episode_id,
                               gboolean            again,
                               const char         *who,
                               GCancellable       *cancellable,
                               GAsyncReadyCallback callback,
                               gpointer            user_data);
JsonObject *
wk_back_entry_send_finish (WkReconcile *reconcile, GAsyncResult *result, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WkBackEntryFile, wk_back_entry_file_free)

G_END_DECLS
