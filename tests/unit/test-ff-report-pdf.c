/* Tests of ff-report-pdf: the printout's text carries every fact of the report, whole (long
 * values wrap, nothing ends in "…"), the gauges' verdicts, the names and the signature lines, in
 * English and all in Chinese; checked with poppler's pdfinfo, pdftotext and pdftoppm. */
#include "config.h"

#include <gio/gio.h>
#include <math.h>

#include "ff-report-pdf.h"
#include "ff-test-fixtures.h"

/* A run of a PDF tool (poppler-utils), at native speed (ff_test_deadline_s scales it). */
#define PDF_TOOL_SECONDS 60

/* Sanitizer builds only: unwind allocation stacks through libcairo, which has no frame pointers,
 * so tests/lsan.supp can name the cairo call whose leak it forgives. */
const char *__asan_default_options (void);

const char *
__asan_default_options (void)
{
  return "fast_unwind_on_malloc=0";
}

static FfReport *
make_report (FfReportOutcome outcome)
{
  FfReport *report = ff_test_report_new ("13800138000-20261121", "DTU0001", FF_TEST_SERIAL,
                                         FF_TEST_PHONE);
  const float before[] = { 230.1f, 12.5f, 24.0f, 21.5f };
  const float after[] = { 229.8f, 14.0f, 24.1f, 21.75f };

  report->outcome = outcome;
  report->before.present = report->after.present = report->judgement.present = TRUE;
  for (guint s = 0; s < FF_SIGNAL_COUNT; s++)
    {
      report->before.values[s] = before[s];
      report->after.values[s] = after[s];
      report->judgement.deviation[s] = fabs (after[s] - before[s]) / fabs (before[s]);
      report->judgement.pass[s] = report->judgement.deviation[s] < 0.1;
    }
  report->transfer.present = TRUE;
  report->transfer.file_name = g_strdup ("UpdateProgram.bin");
  report->transfer.bytes = 65536;
  report->transfer.segments = 288;
  report->transfer.seconds = 41.5;
  report->transfer.sha256 = g_strdup ("2c26b46b68ffc68ff99b453c1d304134"
                                      "13422d706483bfa0f98a5e886266e7ae");
  report->transfer.wire_bytes = 73592;
  report->firmware_sha256 =
    g_strdup ("2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae");
  report->terminal_name = g_strdup ("Ring main unit 1 / north");
  report->technician_name = g_strdup ("Zhang Wei");
  report->versions.before_checksum = g_strdup ("EAF3DE68");
  report->versions.after_checksum = g_strdup ("C3D4A1B2");
  ff_report_add_event (report, report->created_at, "push", "288 segments written");
  return report;
}

static char *
run_tool (const char *first, ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) tool = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  const char *arg;
  va_list args;

  va_start (args, first);
  for (arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  tool = g_subprocess_newv ((const char * const *) argv->pdata,
                            G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            &error);
  g_assert_no_error (error);
  ff_test_subprocess_communicate (tool, NULL, PDF_TOOL_SECONDS, first, &out, NULL);
  g_assert_true (g_subprocess_get_successful (tool));
  return g_steal_pointer (&out);
}

static void
test_upgraded_page (void)
{
  g_autoptr(FfReport) report = make_report (FF_REPORT_OUTCOME_UPGRADED);
  g_autofree char *dir = g_dir_make_tmp ("ff-pdf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "report.pdf", NULL);
  g_autofree char *png_root = g_build_filename (dir, "page", NULL);
  g_autofree char *png = g_strconcat (png_root, ".png", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *info = NULL;
  g_autofree char *text = NULL;
  g_autofree char *flat = NULL;
  g_autofree char *compact = NULL;
  g_autoptr(GRegex) whitespace = g_regex_new ("\\s+", 0, 0, NULL);

  g_assert_true (ff_report_render_pdf (report, path, &error));
  g_assert_no_error (error);

  info = run_tool ("pdfinfo", path, NULL);
  g_assert_true (g_regex_match_simple ("^Pages:\\s+1$", info, G_REGEX_MULTILINE, 0));
  text = run_tool ("pdftotext", "-raw", path, "-", NULL);
  /* pdftotext may break lines anywhere between words; compare on one line. */
  flat = g_strdelimit (g_strdup (text), "\n", ' ');
  g_assert_nonnull (strstr (flat, "Fieldflash upgrade report"));
  g_assert_nonnull (strstr (flat, "DTU0001"));
  g_assert_nonnull (strstr (flat, "13800138000-20261121"));
  /* The outcome in words, not its identifier. */
  g_assert_nonnull (strstr (flat, "Outcome Upgraded"));
  g_assert_null (strstr (flat, "upgraded"));
  g_assert_nonnull (strstr (flat, "V2.01"));
  g_assert_nonnull (strstr (flat, report->report_id));
  /* The current moved 12 %: its gauge says FAIL, the others pass. */
  g_assert_nonnull (strstr (flat, "Current 12.00 % FAIL"));
  g_assert_nonnull (strstr (flat, "Line voltage 0.13 % pass"));
  /* Every fact whole: names, the SHA-256 in full, signature lines, nothing shortened. */
  g_assert_nonnull (strstr (flat, "Ring main unit 1 / north (DTU0001)"));
  g_assert_nonnull (strstr (flat, "Zhang Wei, 13800138000"));
  g_assert_nonnull (strstr (flat, "V1.00 (EAF3DE68)"));
  g_assert_nonnull (strstr (flat, "V2.01 (C3D4A1B2)"));
  /* The SHA-256 is longer than its column: it wraps (inside the word) but stays whole. */
  compact = g_regex_replace_literal (whitespace, text, -1, 0, "", 0, NULL);
  g_assert_nonnull (strstr (compact, report->firmware_sha256));
  g_assert_nonnull (strstr (flat, "UpdateProgram.bin, 65536 bytes in 288 segments, 41.5 s"));
  g_assert_nonnull (strstr (flat, "Sent Whole image, 73592 bytes on the link"));
  g_assert_nonnull (strstr (flat, "Technician's signature and date: Zhang Wei"));
  g_assert_nonnull (strstr (flat, "Supervisor's signature and date"));
  g_assert_null (strstr (flat, "…"));

  /* It rasterises: a real page, not just text. */
  g_free (run_tool ("pdftoppm", "-r", "20", "-png", "-singlefile", path, png_root, NULL));
  g_assert_true (g_file_test (png, G_FILE_TEST_IS_REGULAR));

  ff_test_remove_tree (dir);
}

static void
test_failure_without_snapshots (void)
{
  g_autoptr(FfReport) report = make_report (FF_REPORT_OUTCOME_IDENTITY_MISMATCH);
  g_autofree char *dir = g_dir_make_tmp ("ff-pdf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "report.pdf", NULL);
  g_autoptr(GString) long_reason = g_string_new ("The tablet is 46.2 m from the recorded position");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *flat = NULL;

  /* The longest reason a report takes: 4096 bytes, more than one page holds with the rest. */
  while (long_reason->len < 4096 - 20)
    g_string_append (long_reason, ", and more");
  ff_report_set_failure (report, "identify", long_reason->str);
  report->before.present = report->after.present = report->judgement.present = FALSE;
  report->transfer.present = FALSE;
  g_assert_true (ff_report_render_pdf (report, path, &error));
  g_assert_no_error (error);
  text = run_tool ("pdftotext", "-raw", path, "-", NULL);
  flat = g_strdelimit (g_strdup (text), "\n", ' ');
  g_assert_nonnull (strstr (text, "Position check failed: not upgraded"));
  g_assert_null (strstr (text, "identity-mismatch"));
  /* The whole reason, wrapped over as many lines (and pages) as it needs. */
  g_assert_nonnull (strstr (flat, long_reason->str));
  g_assert_null (strstr (text, "…"));
  g_assert_nonnull (strstr (flat, "Failure Identifying the terminal: The tablet is 46.2 m"));
  g_assert_nonnull (strstr (text, "not judged"));
  g_assert_null (strstr (text, "UpdateProgram.bin"));
  ff_test_remove_tree (dir);
}

/* The words of @text made of Latin letters only that are not among @allowed (proper nouns and
 * units): a token with a digit or other character in it (an ID, a version, a hex value, a file
 * name) is data, not a word. */
static char *
english_words (const char *text, const char * const *allowed)
{
  g_autoptr(GRegex) token = g_regex_new ("[^\\s（）()，、：:；;。/→—]+", 0, 0, NULL);
  g_autoptr(GMatchInfo) match = NULL;
  g_autoptr(GString) found = g_string_new (NULL);

  g_regex_match (token, text, 0, &match);
  for (; g_match_info_matches (match); g_match_info_next (match, NULL))
    {
      g_autofree char *word = g_match_info_fetch (match, 0);
      gboolean letters_only = TRUE;

      for (const char *c = word; *c != '\0'; c++)
        letters_only = letters_only && g_ascii_isalpha (*c);
      if (letters_only && strlen (word) > 1 && !g_strv_contains (allowed, word))
        g_string_append_printf (found, "%s ", word);
    }
  return g_string_free (g_steal_pointer (&found), FALSE);
}

/* A Chinese technician's page: every label, verdict, unit word and step prints in Chinese (only
 * proper nouns, units and IDs stay), in an embedded font that has the glyphs, with the names,
 * the supervisor who overrode and the signature lines. */
static void
test_chinese_page (void)
{
  static const char * const allowed[] = { "Fieldflash", "JSON", "kV", "UTC", "IV", NULL };
  g_autoptr(FfReport) report = make_report (FF_REPORT_OUTCOME_FAILED);
  g_autofree char *dir = g_dir_make_tmp ("ff-pdf-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "report.pdf", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *fonts = NULL;
  g_autofree char *text = NULL;
  g_autofree char *english = NULL;
  g_autofree char *compact = NULL;
  g_autoptr(GRegex) whitespace = g_regex_new ("\\s+", 0, 0, NULL);

  g_free (report->terminal_name);
  report->terminal_name = g_strdup ("环网柜 1 号 北");
  g_free (report->technician_name);
  report->technician_name = g_strdup ("张伟");
  report->identity.override_by = g_strdup ("李主管");
  report->identity.override_reason = g_strdup ("杆塔于 2025 年迁移 30 米");
  report->after.values[FF_SIGNAL_CURRENT] = 12.5f;
  report->after.quality[FF_SIGNAL_CURRENT] = 0x80; /* IV */
  report->judgement.pass[FF_SIGNAL_CURRENT] = FALSE;
  ff_report_set_failure (report, "snapshot-after", "平板距离登记位置 46.2 米");
  ff_test_use_language ("zh_CN");
  g_assert_true (ff_report_render_pdf (report, path, &error));
  ff_test_use_language (NULL);
  g_assert_no_error (error);

  fonts = run_tool ("pdffonts", path, NULL);
  g_assert_true (g_regex_match_simple ("CJK", fonts, 0, 0));
  text = run_tool ("pdftotext", "-raw", path, "-", NULL);
  g_assert_nonnull (strstr (text, "Fieldflash 升级报告"));
  g_assert_nonnull (strstr (text, "环网柜 1 号 北（DTU0001）"));
  g_assert_nonnull (strstr (text, "张伟，13800138000"));
  g_assert_nonnull (strstr (text, "李主管"));
  g_assert_nonnull (strstr (text, "升级后读取信号：平板距离登记位置 46.2 米"));
  compact = g_regex_replace_literal (whitespace, text, -1, 0, "", 0, NULL);
  g_assert_nonnull (strstr (compact, "12.50A→12.50A—无效（IV）"));
  g_assert_nonnull (strstr (compact, report->firmware_sha256));
  g_assert_null (strstr (text, "…"));
  english = english_words (text, allowed);
  g_assert_cmpstr (english, ==, "");
  ff_test_remove_tree (dir);
}

/* The name a printout is saved under says whose it is, when, and how it ended. */
static void
test_file_name (void)
{
  g_autoptr(FfReport) report = make_report (FF_REPORT_OUTCOME_IDENTITY_MISMATCH);
  g_autofree char *name = NULL;

  report->created_at = 1795255200; /* 2026-11-21T10:00:00Z */
  name = ff_report_pdf_file_name (report);
  g_assert_cmpstr (name, ==, "DTU0001-20261121-identity-mismatch.pdf");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/report-pdf/upgraded", test_upgraded_page);
  g_test_add_func ("/report-pdf/failure-without-snapshots", test_failure_without_snapshots);
  g_test_add_func ("/report-pdf/chinese", test_chinese_page);
  g_test_add_func ("/report-pdf/file-name", test_file_name);
  return g_test_run ();
}
