/* SPDX-License-Identifier: GPL-3.0-or-later */
/* wk-printer-folder.c — the PDF-folder printer backend: each document becomes a file.
 *
 * The only backend that writes patient data to disk, so it writes only where the user
 * said, each file readable by its owner alone (0600), made atomically (a hidden temp file
 * in the same folder, fsync, rename without replacing), and it says so in the log. */

#define _GNU_SOURCE /* renameat2 */
#define G_LOG_DOMAIN "wardkeep-print"

#include "wk-print-error.h"
#include "wk-printer-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct
{
  char       *folder;
  int         last_job;
  GHashTable *jobs; /* job id -> the file written */
  gboolean    told;
} Folder;

static void
folder_finalize (gpointer data)
{
  Folder *f = data;

  g_free (f->folder);
  g_hash_table_unref (f->jobs);
  g_free (f);
}

static WkPrinterStatus *
folder_get_status (WkPrinter *printer, GCancellable *cancellable, GError **error)
{
  Folder          *f = _wk_printer_get_data (printer);
  g_autofree char *existing = g_strdup (f->folder);
  g_autofree char *message = NULL;
  WkPrinterStatus *status;

  /* The folder, or the nearest folder above it that exists (it is made when needed). */
  while (!g_file_test (existing, G_FILE_TEST_EXISTS) && strcmp (existing, "/") != 0)
    {
      char *parent = g_path_get_dirname (existing);

      g_free (existing);
      existing = parent;
    }
  if (!g_file_test (existing, G_FILE_TEST_IS_DIR) || access (existing, W_OK | X_OK) != 0)
    {
      message = g_strdup_printf ("cannot write PDF files into %s: %s", f->folder,
                                 !g_file_test (existing, G_FILE_TEST_IS_DIR) ? "it is not a folder"
                                                                             : g_strerror (errno));
      return _wk_printer_status_new (WK_PRINTER_STATE_STOPPED, FALSE, NULL, message);
    }
  message = g_strdup_printf ("saves each chart as a PDF file (patient data) in %s", f->folder);
  status = _wk_printer_status_new (WK_PRINTER_STATE_IDLE, TRUE, NULL, message);
  g_free (status->summary);
  status->summary = g_strdup_printf ("Ready: %s", message);
  return status;
}

static gboolean
write_all (int fd, const char *data, gsize size)
{
  while (size > 0)
    {
      gssize n = write (fd, data, size);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      size -= n;
    }
  return TRUE;
}

/* A temporary file of ours a crash left behind: ".NAME.pdf.XXXXXX". */
static gboolean
is_stale_temp (const char *name)
{
  const char *suffix = g_strrstr (name, ".pdf.");

  return name[0] == '.' && suffix != NULL && strlen (suffix) == 11;
}

/* Deletes what an interrupted write left in the folder: it holds patient data. */
static void
remove_stale_temps (Folder *f)
{
  g_autoptr (GDir) dir = g_dir_open (f->folder, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (is_stale_temp (name))
      {
        g_autofree char *path = g_build_filename (f->folder, name, NULL);

        if (g_unlink (path) == 0)
          g_message ("Deleted %s, left by an interrupted write", path);
      }
}

static int
folder_submit (WkPrinter    *printer,
               const char   *job_name,
               GBytes       *pdf,
               GCancellable *cancellable,
               GError      **error)
{
  Folder          *f = _wk_printer_get_data (printer);
  g_autofree char *temp = g_strdup_printf ("%s/.%s.pdf.XXXXXX", f->folder, job_name);
  g_autofree char *target = NULL;
  gsize            size = 0;
  const char      *data = g_bytes_get_data (pdf, &size);
  int              fd, saved, dir_fd;

  if (g_mkdir_with_parents (f->folder, 0700) != 0)
    {
      saved = errno;
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_NOT_ACCEPTING,
                   "Cannot make the PDF folder %s: %s", f->folder, g_strerror (saved));
      return 0;
    }
  if (!f->told)
    remove_stale_temps (f);
  fd = g_mkstemp_full (temp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_NOT_ACCEPTING,
                   "Cannot write a PDF file in %s: %s", f->folder, g_strerror (saved));
      return 0;
    }
  if (!write_all (fd, data, size) || fsync (fd) != 0)
    {
      saved = errno;
      close (fd);
      g_unlink (temp);
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER,
                   "Cannot write chart %s into %s: %s", job_name, f->folder, g_strerror (saved));
      return 0;
    }
  close (fd);

  /* NAME.pdf, or NAME-2.pdf ... when a file of that name is already there: never
   * overwrite a chart someone may be reading. */
  for (int n = 1; n < 1000; n++)
    {
      g_free (target);
      target = n == 1 ? g_strdup_printf ("%s/%s.pdf", f->folder, job_name)
                      : g_strdup_printf ("%s/%s-%d.pdf", f->folder, job_name, n);
      if (renameat2 (AT_FDCWD, temp, AT_FDCWD, target, RENAME_NOREPLACE) == 0)
        break;
      saved = errno;
      if (saved != EEXIST)
        {
          g_unlink (temp);
          g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER,
                       "Cannot save chart %s into %s: %s", job_name, f->folder, g_strerror (saved));
          return 0;
        }
      g_clear_pointer (&target, g_free);
    }
  if (target == NULL)
    {
      g_unlink (temp);
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER,
                   "Cannot save chart %s into %s: too many files of that name", job_name,
                   f->folder);
      return 0;
    }
  dir_fd = open (f->folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }

  if (!f->told)
    {
      g_message ("Printer %s saves charts as PDF files in %s, readable only by this user: they "
                 "hold patient data; delete them when they are no longer needed",
                 wk_printer_get_name (printer), f->folder);
      f->told = TRUE;
    }
  f->last_job++;
  g_hash_table_insert (f->jobs, GINT_TO_POINTER (f->last_job), g_steal_pointer (&target));
  return f->last_job;
}

static WkJobStatus *
folder_get_job_status (WkPrinter *printer, int job_id, GCancellable *cancellable, GError **error)
{
  Folder      *f = _wk_printer_get_data (printer);
  const char  *path = g_hash_table_lookup (f->jobs, GINT_TO_POINTER (job_id));
  WkJobStatus *status;

  if (path == NULL)
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER, "Printer %s has no job %d",
                   wk_printer_get_name (printer), job_id);
      return NULL;
    }
  status = g_new0 (WkJobStatus, 1);
  status->state = WK_JOB_STATE_COMPLETED;
  status->reasons = g_new0 (char *, 1);
  status->message = g_strdup_printf ("saved as %s", path);
  return status;
}

static gboolean
folder_cancel_job (
    WkPrinter *printer, int job_id, gboolean purge, GCancellable *cancellable, GError **error)
{
  /* Files are written at once: there is nothing left to cancel, and the user asked for
   * the file, so it is not purged. */
  if (purge)
    return TRUE;
  g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_PRINTER,
               "Job %d of printer %s is already saved; delete the file instead", job_id,
               wk_printer_get_name (printer));
  return FALSE;
}

static const WkPrinterBackend folder_backend = {
  .kind = "folder",
  .get_status = folder_get_status,
  .submit = folder_submit,
  .get_job_status = folder_get_job_status,
  .cancel_job = folder_cancel_job,
  .finalize = folder_finalize,
};

/**
 * wk_printer_new_folder:
 * @name: how screens and logs call it
 * @folder: an absolute path; made (0700) when the first document is written
 * @error: return location for a #GError
 *
 * A printer that writes each document into @folder as `JOBNAME.pdf`, mode 0600. Jobs
 * complete at once.
 *
 * Returns: (transfer full): the printer, or %NULL with %WK_PRINT_ERROR_INVALID when
 *   @folder is not an absolute path
 */
WkPrinter *
wk_printer_new_folder (const char *name, const char *folder, GError **error)
{
  WkPrinterSettings settings;
  Folder           *f;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (folder != NULL, NULL);

  if (!g_path_is_absolute (folder))
    {
      g_set_error (error, WK_PRINT_ERROR, WK_PRINT_ERROR_INVALID,
                   "The PDF folder \"%s\" must be an absolute path", folder);
      return NULL;
    }
  wk_printer_settings_init (&settings);
  f = g_new0 (Folder, 1);
  f->folder = g_canonicalize_filename (folder, NULL);
  f->jobs = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  return _wk_printer_new (&folder_backend, name, folder, &settings, f);
}
