/* SPDX-License-Identifier: GPL-3.0-or-later */
/* bench-chart-render.c — how fast a 30-bed ward's census and drug charts render to PDF.
 *
 * Target: at least 200 pages a second (headless Chromium printing an equivalent HTML
 * drug chart manages about 10.7 on the same machine). A ward laser prints about 30
 * pages a minute, so rendering must be negligible beside it. */

#include "wk-bed.h"
#include "wk-chart-payload.h"
#include "wk-chart-renderer.h"
#include "wk-test-ward.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BEDS 30

static int
compare (const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  int runs = argc > 1 ? atoi (argv[1]) : 10;
  g_autoptr (WkKeys) keys = wk_test_keys_new (0x42);
  g_autoptr (WkModel) model = wk_test_ward_new (BEDS);
  g_autoptr (GError) error = NULL;
  g_autofree double *seconds = g_new (double, MAX (runs, 1));
  g_autofree double *cpu = g_new (double, MAX (runs, 1));
  g_autofree double *serial = g_new (double, MAX (runs, 1));
  WkChartOptions     options;
  guint              pages = 0, documents = 0, qr_pages = 0;
  gsize              bytes = 0, payload_bytes = 0;

  wk_test_chart_options (&options);
  for (int run = -1; run < runs; run++)
    {
      gint64          start = g_get_monotonic_time ();
      struct timespec cpu_start, cpu_end;
      g_autoptr (WkChartRenderer) renderer = wk_chart_renderer_new (&options, keys, &error);
      g_autoptr (GPtrArray) ward = NULL;

      clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &cpu_start);
      /* A renderer per run, as the daemon makes one per print: its set-up counts. */
      g_assert_no_error (error);
      ward = wk_chart_renderer_render_ward (renderer, model, &error);
      g_assert_no_error (error);
      if (run < 0)
        {
          /* The first run warms the font caches; what it made is counted once. */
          for (guint i = 0; i < ward->len; i++)
            {
              WkChartDocument *document = ward->pdata[i];
              gsize            size;

              wk_chart_document_get_pdf (document, &size);
              bytes += size;
              pages += wk_chart_document_get_n_pages (document);
              for (guint p = 0; p < wk_chart_document_get_n_pages (document); p++)
                if (wk_chart_document_get_page_payload (document, p) != NULL)
                  {
                    payload_bytes += strlen (wk_chart_document_get_page_payload (document, p));
                    qr_pages++;
                  }
            }
          documents = ward->len;
          continue;
        }
      seconds[run] = (g_get_monotonic_time () - start) / 1e6;
      clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &cpu_end);
      cpu[run] = (cpu_end.tv_sec - cpu_start.tv_sec) + (cpu_end.tv_nsec - cpu_start.tv_nsec) / 1e9;
    }

  /* The same documents one after another in this thread, as one core would. */
  for (int run = 0; run < runs; run++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr (WkChartRenderer) renderer = wk_chart_renderer_new (&options, keys, &error);
      g_autoptr (WkChartDocument) census
          = wk_chart_renderer_render_census (renderer, model, &error);
      g_autoptr (GPtrArray) beds = wk_bed_load_ward (model, WK_TEST_WARD, &error);

      g_assert_no_error (error);
      g_assert_cmpuint (wk_chart_document_get_n_pages (census), >, 0);
      for (guint i = 0; i < beds->len; i++)
        {
          WkBed *bed = beds->pdata[i];
          g_autoptr (WkChartDocument) chart = NULL;

          if (bed->patient_id == 0)
            continue;
          chart = wk_chart_renderer_render_chart (renderer, model, bed->patient_id, &error);
          g_assert_no_error (error);
        }
      serial[run] = (g_get_monotonic_time () - start) / 1e6;
    }

  qsort (serial, runs, sizeof (double), compare);
  qsort (seconds, runs, sizeof (double), compare);
  qsort (cpu, runs, sizeof (double), compare);
  printf ("bench-chart-render: %d-bed ward: %u documents (census + charts), %u pages, "
          "%.0f KiB of PDF\n",
          BEDS, documents, pages, bytes / 1024.0);
  printf ("  QR codes: %u pages, %.0f characters each on average\n", qr_pages,
          (double)payload_bytes / MAX (qr_pages, 1));
  printf ("  render ward to PDF (wk_chart_renderer_render_ward, %u threads), %d runs: median "
          "%.1f ms (best %.1f, worst %.1f)\n",
          MIN (g_get_num_processors (), 4), runs, seconds[runs / 2] * 1e3, seconds[0] * 1e3,
          seconds[runs - 1] * 1e3);
  printf ("  pages per second: %.0f median, %.0f best (target >= 200; headless Chromium "
          "about 10.7)\n",
          pages / seconds[runs / 2], pages / seconds[0]);
  printf ("  one thread, document by document: median %.1f ms, %.0f pages per second "
          "(best %.0f)\n",
          serial[runs / 2] * 1e3, pages / serial[runs / 2], pages / serial[0]);
  printf ("  per page, whole ward: %.2f ms median wall clock; %.2f ms of CPU in all threads "
          "(%.0f pages per CPU second, which a busy machine distorts least)\n",
          seconds[runs / 2] * 1e3 / pages, cpu[runs / 2] * 1e3 / pages, pages / cpu[runs / 2]);
  return 0;
}
