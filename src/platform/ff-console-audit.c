/* The console's audit log: pages of it as JSON, and all of it as CSV for a spreadsheet, quoted
 * so that no cell can break the table and none is taken for a formula (CSV injection). */
#include "config.h"

#include "ff-console-private.h"

#include "ff-document.h"

#include <glib/gi18n-lib.h>

#define AUDIT_PAGE_DEFAULT 100
#define AUDIT_PAGE_MAX 1000
/* The CSV is written in batches of this many records. */
#define CSV_BATCH 1000

static void
add_entry (JsonBuilder   *builder,
           gconstpointer  row)
{
  const FfAuditEntry *entry = row;

  ff_builder_add_int (builder, "id", entry->id);
  ff_builder_add_timestamp (builder, "at", entry->at);
  ff_builder_add_string (builder, "operator", entry->operator_name);
  ff_builder_add_string (builder, "action", entry->action);
  ff_builder_add_string (builder, "target", entry->target);
  /* Kept as the JSON text that was stored: the page shows it as text. */
  ff_builder_add_string (builder, "before", entry->before);
  ff_builder_add_string (builder, "after", entry->after);
}

/* ?before=ID (the page after the one that ended at ID) and ?limit=N. */
static gboolean
parse_page (FfConsoleCall *call,
            gint64        *before_id,
            guint         *limit,
            GError       **error)
{
  const char *before_text = ff_console_query (call, "before");
  const char *limit_text = ff_console_query (call, "limit");
  guint64 value;

  *before_id = 0;
  *limit = AUDIT_PAGE_DEFAULT;
  if (before_text != NULL)
    {
      if (!g_ascii_string_to_unsigned (before_text, 10, 1, G_MAXINT64, &value, NULL))
        {
          g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                               _("“before” must be the ID of an audit record"));
          return FALSE;
        }
      *before_id = (gint64) value;
    }
  if (limit_text != NULL)
    {
      if (!g_ascii_string_to_unsigned (limit_text, 10, 1, AUDIT_PAGE_MAX, &value, NULL))
        {
          g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                               _("The limit must be a number from 1 to 1000"));
          return FALSE;
        }
      *limit = (guint) value;
    }
  return TRUE;
}

FfReply *
ff_console_audit_list (FfConsoleCall *call,
                       const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  gint64 before_id;
  guint limit;
  gboolean more;

  if (!parse_page (call, &before_id, &limit, &error)
      || (entries = ff_platform_db_list_audit (call->console->db, before_id, limit + 1,
                                               &error)) == NULL)
    return ff_reply_gerror (ff_reply_new (call->route), error);
  more = entries->len > limit;
  if (more)
    g_ptr_array_set_size (entries, limit);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "entries");
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    {
      json_builder_begin_object (builder);
      add_entry (builder, g_ptr_array_index (entries, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "next_before");
  if (more)
    json_builder_add_int_value (builder,
                                ((FfAuditEntry *) g_ptr_array_index (entries, limit - 1))->id);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}

/* One CSV cell (RFC 4180): always quoted, quotes doubled. A cell that a spreadsheet would take
 * for a formula (starting with =, +, -, @, or a tab or carriage return before one) gets a
 * leading apostrophe, so that it stays text. */
void
ff_console_csv_cell (GString    *out,
                     const char *text)
{
  g_string_append_c (out, '"');
  if (text != NULL && text[0] != '\0' && strchr ("=+-@\t\r", text[0]) != NULL)
    g_string_append_c (out, '\'');
  for (const char *p = text != NULL ? text : ""; *p != '\0'; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

FfReply *
ff_console_audit_csv (FfConsoleCall *call,
                      const char    *param)
{
  g_autoptr(GString) csv = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gint64 before_id = 0;
  FfReply *reply;

  g_string_append (csv, "\"id\",\"at\",\"operator\",\"action\",\"target\",\"before\","
                        "\"after\"\r\n");
  for (;;)
    {
      g_autoptr(GPtrArray) entries = ff_platform_db_list_audit (call->console->db, before_id,
                                                                CSV_BATCH, &error);

      if (entries == NULL)
        return ff_reply_gerror (ff_reply_new (call->route), error);
      for (guint i = 0; i < entries->len; i++)
        {
          const FfAuditEntry *entry = g_ptr_array_index (entries, i);
          g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc (entry->at);
          g_autofree char *at_text = g_date_time_format (at, "%Y-%m-%dT%H:%M:%SZ");
          g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, entry->id);
          const char *cells[] = { id, at_text, entry->operator_name, entry->action,
                                  entry->target, entry->before, entry->after };

          for (gsize c = 0; c < G_N_ELEMENTS (cells); c++)
            {
              if (c > 0)
                g_string_append_c (csv, ',');
              ff_console_csv_cell (csv, cells[c]);
            }
          g_string_append (csv, "\r\n");
          before_id = entry->id;
        }
      if (entries->len < CSV_BATCH)
        break;
    }
  reply = ff_reply_new (call->route);
  reply->status = 200;
  reply->content_type = "text/csv; charset=utf-8";
  reply->body = g_string_free_to_bytes (g_steal_pointer (&csv));
  ff_reply_add_header (reply, "Content-Disposition", "attachment; filename=\"audit.csv\"");
  return reply;
}
