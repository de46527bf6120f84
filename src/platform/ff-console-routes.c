/* The console's API: the route table with each route's access (read, change, admin), the
 * checks every request passes in order — session, CSRF token on a change, role — and the
 * handlers that read. Changes are in ff-console-changes.c, the audit log in ff-console-audit.c.
 * Every handler calls the functions the CLI's verbs call; every stored text goes out as a JSON
 * string. */
#include "config.h"

#include "ff-console-private.h"
#include "ff-console-static.h"

#include "ff-document.h"
#include "ff-platform-clock.h"
#include "ff-platform-fleet-db.h"
#include "ff-platform-json.h"
#include "ff-platform-meter-results.h"
#include "ff-platform-remote-db.h"
#include "ff-report-pdf.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>

/* The lists answer pages of at most this many rows; the map gets at most this many points of a
 * selection (and its full count). */
#define PAGE_DEFAULT 100
#define PAGE_MAX 1000
#define POINTS_MAX 20000

typedef FfReply *(*Handler) (FfConsoleCall *call,
                             const char    *param);

/* Helpers */

const char *
ff_console_query (FfConsoleCall *call,
                  const char    *name)
{
  const char *value;

  if (call->request->query == NULL)
    return NULL;
  value = g_hash_table_lookup (call->request->query, name);
  return value != NULL && *value != '\0' ? value : NULL;
}

gboolean
ff_console_page_limit (FfConsoleCall *call,
                       guint         *limit,
                       GError       **error)
{
  const char *text = ff_console_query (call, "limit");
  guint64 value = PAGE_DEFAULT;

  if (text != NULL && !g_ascii_string_to_unsigned (text, 10, 1, PAGE_MAX, &value, NULL))
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                           _("The limit must be a number from 1 to 1000"));
      return FALSE;
    }
  *limit = (guint) value;
  return TRUE;
}

gpointer
ff_console_page_cut (GPtrArray *rows,
                     guint      limit)
{
  if (rows->len <= limit)
    return NULL;
  g_ptr_array_set_size (rows, limit);
  return g_ptr_array_index (rows, limit - 1);
}

char *
ff_console_json_text (void        (*add_members) (JsonBuilder   *builder,
                                                  gconstpointer  row),
                      gconstpointer row)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (builder);
  add_members (builder, row);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

gboolean
ff_console_audit (FfConsoleCall *call,
                  const char    *action,
                  const char    *target,
                  const char    *before,
                  const char    *after,
                  GError       **error)
{
  return ff_platform_db_insert_audit (call->console->db, ff_platform_now (),
                                      call->session->operator_name, action, target, before,
                                      after, error);
}

JsonParser *
ff_console_parse_body (FfConsoleCall      *call,
                       const char *const  *members,
                       JsonObject        **root,
                       GError            **error)
{
  g_autoptr(JsonParser) parser = ff_document_parse_object (call->request->body, root, error);
  g_autoptr(GList) present = NULL;

  if (parser == NULL)
    return NULL;
  present = json_object_get_members (*root);
  for (GList *l = present; l != NULL; l = l->next)
    if (!g_strv_contains (members, l->data))
      {
        ff_document_invalid (error, "", l->data, _("unknown member"));
        return NULL;
      }
  return g_steal_pointer (&parser);
}

gboolean
ff_console_optional_string (JsonObject  *root,
                            const char  *member,
                            gsize        max_length,
                            const char **value,
                            GError     **error)
{
  *value = NULL;
  if (!json_object_has_member (root, member))
    return TRUE;
  *value = ff_document_get_string (root, "", member, TRUE, max_length, error);
  return *value != NULL || json_object_get_null_member (root, member);
}

gboolean
ff_console_get_names (JsonObject  *root,
                      const char  *member,
                      GStrv       *strings,
                      GError     **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  *strings = NULL;
  if (!json_object_has_member (root, member))
    return TRUE;
  if ((array = ff_document_get_array (root, "", member, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING
          || !ff_name_is_safe (json_node_get_string (node)))
        {
          ff_document_invalid (error, "", member, _("must be an array of names"));
          return FALSE;
        }
      g_strv_builder_add (builder, json_node_get_string (node));
    }
  *strings = g_strv_builder_end (builder);
  return TRUE;
}

static FfReply *
reply_rows (FfConsoleCall *call,
            const char    *member,
            GPtrArray     *rows,
            void         (*add_members) (JsonBuilder   *builder,
                                         gconstpointer  row))
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < rows->len; i++)
    {
      json_builder_begin_object (builder);
      add_members (builder, g_ptr_array_index (rows, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}

static FfReply *
reply_error (FfConsoleCall *call,
             guint          status,
             const char    *message)
{
  return ff_reply_error (ff_reply_new (call->route), status, message);
}

static FfReply *
reply_gerror (FfConsoleCall *call,
              const GError  *error)
{
  return ff_reply_gerror (ff_reply_new (call->route), error);
}

/* Fleet */

static void
add_group (JsonBuilder   *builder,
           gconstpointer  row)
{
  const FfFleetGroup *group = row;

  ff_builder_add_string (builder, "vendor", group->vendor);
  ff_builder_add_string (builder, "model", group->model);
  ff_builder_add_string (builder, "version", group->version);
  ff_builder_add_int (builder, "terminals", group->terminals);
}

static FfReply *
handle_fleet (FfConsoleCall *call,
              const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) groups = ff_platform_db_fleet_summary (call->console->db, &error);

  if (groups == NULL)
    return reply_gerror (call, error);
  return reply_rows (call, "groups", groups, add_group);
}

/* Terminals */

/* "SOUTH,WEST,NORTH,EAST" in degrees, south ≤ north and west ≤ east. */
static gboolean
parse_area (const char       *text,
            FfTerminalFilter *filter)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  double values[4];

  if (g_strv_length (parts) != 4)
    return FALSE;
  for (guint i = 0; i < 4; i++)
    {
      char *end = NULL;

      values[i] = g_ascii_strtod (parts[i], &end);
      if (end == parts[i] || *end != '\0' || !isfinite (values[i]))
        return FALSE;
    }
  filter->in_area = TRUE;
  filter->south = values[0];
  filter->west = values[1];
  filter->north = values[2];
  filter->east = values[3];
  return filter->south >= -90 && filter->north <= 90 && filter->south <= filter->north
         && filter->west >= -180 && filter->east <= 180 && filter->west <= filter->east;
}

/* The filter of the query's vendor, model, version, below, at_least, profile, link, online,
 * area and after. */
static gboolean
parse_filter (FfConsoleCall     *call,
              FfTerminalFilter  *filter,
              GError           **error)
{
  const char *area = ff_console_query (call, "area");
  const char *versions[3];

  *filter = (FfTerminalFilter) {
    .vendor = ff_console_query (call, "vendor"),
    .model = ff_console_query (call, "model"),
    .version = ff_console_query (call, "version"),
    .below = ff_console_query (call, "below"),
    .at_least = ff_console_query (call, "at_least"),
    .profile = ff_console_query (call, "profile"),
    .link = ff_console_query (call, "link"),
    .online = ff_console_query (call, "online"),
    .after = ff_console_query (call, "after"),
  };
  versions[0] = filter->version;
  versions[1] = filter->below;
  versions[2] = filter->at_least;
  for (gsize i = 0; i < G_N_ELEMENTS (versions); i++)
    if (versions[i] != NULL && !ff_version_is_valid (versions[i]))
      {
        g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                             _("The version must look like V2.01"));
        return FALSE;
      }
  if (filter->link != NULL && !g_str_equal (filter->link, FF_LINK_OFFLINE)
      && !g_str_equal (filter->link, FF_LINK_MQTT))
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                           _("The link must be offline or mqtt"));
      return FALSE;
    }
  if (filter->online != NULL && !g_str_equal (filter->online, "true")
      && !g_str_equal (filter->online, "false"))
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                           _("The online filter must be true or false"));
      return FALSE;
    }
  if (area != NULL && !parse_area (area, filter))
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                           _("The area must be SOUTH,WEST,NORTH,EAST in degrees, south to north "
                             "and west to east"));
      return FALSE;
    }
  return TRUE;
}

static FfReply *
handle_terminals (FfConsoleCall *call,
                  const char    *param)
{
  FfPlatformDb *db = call->console->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) terminals = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  FfTerminalFilter filter;
  const FfTerminal *last;
  guint limit;
  gint64 total;

  if (!ff_console_page_limit (call, &limit, &error) || !parse_filter (call, &filter, &error))
    return reply_gerror (call, error);
  /* One row more than the page tells whether there is a next page. */
  filter.limit = limit + 1;
  if ((total = ff_platform_db_count_matching (db, &filter, &error)) < 0
      || (terminals = ff_platform_db_find_terminals (db, &filter, &error)) == NULL)
    return reply_gerror (call, error);
  last = ff_console_page_cut (terminals, limit);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_builder_add_int (builder, "total", total);
  ff_console_add_array (builder, "terminals", terminals, ff_json_add_terminal);
  ff_builder_add_string (builder, "next_after", last != NULL ? last->device_id : NULL);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}

static FfReply *
handle_points (FfConsoleCall *call,
               const char    *param)
{
  FfPlatformDb *db = call->console->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) terminals = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  FfTerminalFilter filter;
  gint64 total;

  if (!parse_filter (call, &filter, &error))
    return reply_gerror (call, error);
  filter.limit = POINTS_MAX;
  if ((total = ff_platform_db_count_matching (db, &filter, &error)) < 0
      || (terminals = ff_platform_db_find_terminals (db, &filter, &error)) == NULL)
    return reply_gerror (call, error);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_builder_add_int (builder, "total", total);
  ff_builder_add_boolean (builder, "capped", total > terminals->len);
  json_builder_set_member_name (builder, "points");
  json_builder_begin_array (builder);
  for (guint i = 0; i < terminals->len; i++)
    {
      const FfTerminal *t = g_ptr_array_index (terminals, i);

      json_builder_begin_array (builder);
      json_builder_add_string_value (builder, t->device_id);
      json_builder_add_double_value (builder, t->latitude);
      json_builder_add_double_value (builder, t->longitude);
      json_builder_add_string_value (builder, t->software_version);
      json_builder_end_array (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}

void
ff_console_add_array (JsonBuilder  *builder,
                      const char   *member,
                      GPtrArray    *rows,
                      void        (*add_members) (JsonBuilder   *builder,
                                                  gconstpointer  row))
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_array (builder);
  for (guint i = 0; i < rows->len; i++)
    {
      json_builder_begin_object (builder);
      add_members (builder, g_ptr_array_index (rows, i));
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
}

static FfReply *
handle_terminal (FfConsoleCall *call,
                 const char    *device_id)
{
  FfPlatformDb *db = call->console->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(FfTerminal) terminal = NULL;
  g_autoptr(GPtrArray) history = NULL, reports = NULL, blacklist = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autofree char *open_task = NULL;

  if ((terminal = ff_platform_db_require_terminal (db, device_id, &error)) == NULL
      || (history = ff_platform_db_list_history (db, device_id, &error)) == NULL
      || (reports = ff_platform_db_list_device_reports (db, device_id, &error)) == NULL
      || (blacklist = ff_platform_db_list_blacklist (db, NULL, device_id, &error)) == NULL
      || !ff_platform_db_terminal_in_open_task (db, device_id, &open_task, &error))
    return reply_gerror (call, error);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "terminal");
  json_builder_begin_object (builder);
  ff_json_add_terminal (builder, terminal);
  json_builder_end_object (builder);
  ff_console_add_array (builder, "history", history, ff_json_add_history);
  ff_console_add_array (builder, "reports", reports, ff_json_add_report);
  ff_console_add_array (builder, "blacklist", blacklist, ff_json_add_blacklist_entry);
  ff_builder_add_string (builder, "open_task", open_task);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}

/* Content-Disposition for a file named @name (RFC 6266): the name holds a device's ID, which may
 * hold '"', ';' or Chinese text, so it goes percent-encoded as filename* (RFC 5987), with a
 * plain-ASCII filename beside it for an older reader; neither can end its parameter early and add
 * another of the ID's choosing. (libsoup's soup_header_g_string_append_param leaves '"' and ';'
 * unencoded in a filename*.) */
static char *
inline_disposition (const char *name)
{
  g_autofree char *encoded = g_uri_escape_string (name, NULL, FALSE);
  g_autoptr(GString) plain = g_string_new (NULL);

  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    g_string_append_c (plain, g_ascii_isalnum (*p) || strchr ("-._", *p) ? *p : '_');
  return g_strdup_printf ("inline; filename=\"%s\"; filename*=UTF-8''%s", plain->str, encoded);
}

static FfReply *
handle_report_pdf (FfConsoleCall *call,
                   const char    *report_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(FfReport) report = NULL;
  g_autofree char *dir = NULL, *path = NULL, *data = NULL, *name = NULL, *disposition = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize length = 0;
  FfReply *reply;

  /* A tablet's report, or a meter's install result (docs/meters.md). */
  report = ff_platform_get_any_report (call->console->db, report_id, &error);
  if (report == NULL)
    return g_error_matches (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND)
           ? reply_error (call, 404, _("There is no such report")) : reply_gerror (call, error);
  if ((dir = g_dir_make_tmp ("ff-console-XXXXXX", &error)) == NULL)
    return reply_gerror (call, error);
  path = g_build_filename (dir, "report.pdf", NULL);
  if (ff_report_render_pdf (report, path, &error))
    g_file_get_contents (path, &data, &length, &error);
  g_unlink (path);
  g_rmdir (dir);
  if (data == NULL)
    return reply_gerror (call, error);
  bytes = g_bytes_new_take (g_steal_pointer (&data), length);
  name = ff_report_pdf_file_name (report);
  disposition = inline_disposition (name);
  reply = ff_reply_bytes (ff_reply_new (call->route), 200, "application/pdf", bytes);
  ff_reply_add_header (reply, "Content-Disposition", disposition);
  return reply;
}

/* Blacklist */

static FfReply *
handle_blacklist (FfConsoleCall *call,
                  const char    *param)
{
  g_autoptr(GError) error = NULL;
  const char *version = ff_console_query (call, "firmware");
  g_autoptr(GPtrArray) list = NULL;

  if (version != NULL && !ff_version_is_valid (version))
    return reply_error (call, 400, _("The version must look like V2.01"));
  list = ff_platform_db_list_blacklist (call->console->db, version,
                                        ff_console_query (call, "device_id"), &error);
  if (list == NULL)
    return reply_gerror (call, error);
  return reply_rows (call, "blacklist", list, ff_json_add_blacklist_entry);
}

/* Firmware */

/* A firmware with its deltas and how many terminals of its model run it. */
typedef struct
{
  FfFirmwareRow *row;
  gint64         running;
} FirmwareView;

static void
add_firmware_view (JsonBuilder   *builder,
                   gconstpointer  data)
{
  const FirmwareView *view = data;

  ff_json_add_firmware (builder, view->row);
  ff_builder_add_int (builder, "terminals_running", view->running);
}

static FfReply *
reply_firmware (FfConsoleCall *call,
                GPtrArray     *firmware,
                gboolean       one)
{
  FfPlatformDb *db = call->console->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = ff_platform_firmware_rows (db, firmware, &error);
  g_autoptr(GPtrArray) views = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonBuilder) builder = NULL;

  if (rows == NULL)
    return reply_gerror (call, error);
  for (guint i = 0; i < rows->len; i++)
    {
      FirmwareView *view = g_new0 (FirmwareView, 1);
      FfFirmwareRow *row = g_ptr_array_index (rows, i);
      FfTerminalFilter filter = { .vendor = row->firmware->vendor,
                                  .model = row->firmware->model,
                                  .version = row->firmware->version };

      view->row = row;
      g_ptr_array_add (views, view);
      if ((view->running = ff_platform_db_count_matching (db, &filter, &error)) < 0)
        return reply_gerror (call, error);
    }
  if (!one)
    return reply_rows (call, "firmware", views, add_firmware_view);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  add_firmware_view (builder, g_ptr_array_index (views, 0));
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}

static FfReply *
handle_firmware_list (FfConsoleCall *call,
                      const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = ff_platform_db_list_firmware (call->console->db, NULL, &error);

  if (list == NULL)
    return reply_gerror (call, error);
  return reply_firmware (call, list, FALSE);
}

static FfReply *
handle_firmware_show (FfConsoleCall *call,
                      const char    *version)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) ff_firmware_free);
  FfFirmware *firmware;

  if (!ff_version_is_valid (version))
    return reply_error (call, 400, _("The version must look like V2.01"));
  firmware = ff_platform_resolve_firmware (call->console->db, version,
                                           ff_console_query (call, "vendor"),
                                           ff_console_query (call, "model"), &error);
  if (firmware == NULL)
    return reply_gerror (call, error);
  g_ptr_array_add (list, firmware);
  return reply_firmware (call, list, TRUE);
}

/* Tasks */

static void
add_task_item (JsonBuilder   *builder,
               gconstpointer  row)
{
  const FfTaskItemRecord *item = row;

  ff_builder_add_string (builder, "device_id", item->device_id);
  ff_builder_add_string (builder, "state", item->state);
  ff_builder_add_string (builder, "target_version", item->target_version);
  ff_builder_add_string (builder, "previous_version", item->previous_version);
  ff_builder_add_string (builder, "expected_version", item->expected_version);
  ff_builder_add_string (builder, "closing_report_id", item->closing_report_id);
}

static void
add_task_tablet (JsonBuilder   *builder,
                 gconstpointer  row)
{
  const FfTaskTablet *tablet = row;

  ff_builder_add_string (builder, "serial", tablet->serial);
  ff_builder_add_int (builder, "reports", tablet->reports);
  ff_builder_add_int (builder, "items_reported", tablet->items_reported);
  if (tablet->last_report_at != 0)
    ff_builder_add_timestamp (builder, "last_report_at", tablet->last_report_at);
  if (tablet->last_login_at != 0)
    ff_builder_add_timestamp (builder, "last_login_at", tablet->last_login_at);
}

static FfReply *
handle_tasks (FfConsoleCall *call,
              const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = ff_platform_db_list_tasks (call->console->db, NULL, NULL, &error);

  if (list == NULL)
    return reply_gerror (call, error);
  return reply_rows (call, "tasks", list, ff_json_add_task);
}

static FfReply *
handle_task (FfConsoleCall *call,
             const char    *task_id)
{
  FfPlatformDb *db = call->console->db;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tasks = NULL, items = NULL, reports = NULL;
  g_autoptr(GPtrArray) tablets = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  const FfTaskRecord *task = NULL;

  if ((tasks = ff_platform_db_list_tasks (db, NULL, NULL, &error)) == NULL)
    return reply_gerror (call, error);
  for (guint i = 0; i < tasks->len && task == NULL; i++)
    if (g_str_equal (((FfTaskRecord *) g_ptr_array_index (tasks, i))->task_id, task_id))
      task = g_ptr_array_index (tasks, i);
  if (task == NULL)
    return reply_error (call, 404, _("There is no such task"));
  if ((items = ff_platform_db_list_task_items (db, task_id, &error)) == NULL
      || (reports = ff_platform_db_list_reports (db, task_id, &error)) == NULL
      || (tablets = ff_platform_db_list_task_tablets (db, task_id, &error)) == NULL)
    return reply_gerror (call, error);
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "task");
  json_builder_begin_object (builder);
  ff_json_add_task (builder, task);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "tablets");
  json_builder_begin_array (builder);
  for (guint i = 0; i < tablets->len; i++)
    json_builder_add_string_value (builder,
                                   ((FfTaskTablet *) g_ptr_array_index (tablets, i))->serial);
  json_builder_end_array (builder);
  ff_console_add_array (builder, "tablet_progress", tablets, add_task_tablet);
  ff_console_add_array (builder, "items", items, add_task_item);
  ff_console_add_array (builder, "reports", reports, ff_json_add_report);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), 200, builder);
}

/* People and tablets */

static FfReply *
handle_tablets (FfConsoleCall *call,
                const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = ff_platform_db_list_handhelds (call->console->db, &error);

  return list != NULL ? reply_rows (call, "tablets", list, ff_json_add_handheld)
                      : reply_gerror (call, error);
}

static FfReply *
handle_technicians (FfConsoleCall *call,
                    const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = ff_platform_db_list_technicians (call->console->db, &error);

  return list != NULL ? reply_rows (call, "technicians", list, ff_json_add_technician)
                      : reply_gerror (call, error);
}

static FfReply *
handle_supervisors (FfConsoleCall *call,
                    const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = ff_platform_db_list_supervisors (call->console->db, FALSE, &error);

  return list != NULL ? reply_rows (call, "supervisors", list, ff_json_add_supervisor)
                      : reply_gerror (call, error);
}

static FfReply *
handle_operators (FfConsoleCall *call,
                  const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = ff_platform_db_list_operators (call->console->db, &error);

  return list != NULL ? reply_rows (call, "operators", list, ff_json_add_operator)
                      : reply_gerror (call, error);
}

/* Routing */

static FfReply *
handle_login (FfConsoleCall *call,
              const char    *param)
{
  return ff_console_login (call);
}

static FfReply *
handle_logout (FfConsoleCall *call,
               const char    *param)
{
  return ff_console_logout (call);
}

static FfReply *
handle_session (FfConsoleCall *call,
                const char    *param)
{
  return ff_console_session_info (call);
}

/* Paths below FF_CONSOLE_API_PREFIX; "*" stands for one segment, handed to the handler. */
static const struct
{
  const char     *method;
  const char     *path;
  FfConsoleAccess access;
  Handler         handler;
} routes[] = {
  { "POST", "login", FF_CONSOLE_ACCESS_NONE, handle_login },
  { "POST", "logout", FF_CONSOLE_ACCESS_SESSION, handle_logout },
  { "GET", "session", FF_CONSOLE_ACCESS_READ, handle_session },
  { "GET", "fleet", FF_CONSOLE_ACCESS_READ, handle_fleet },
  { "GET", "terminals", FF_CONSOLE_ACCESS_READ, handle_terminals },
  { "GET", "terminals/points", FF_CONSOLE_ACCESS_READ, handle_points },
  { "GET", "terminals/*", FF_CONSOLE_ACCESS_READ, handle_terminal },
  { "GET", "reports/*/pdf", FF_CONSOLE_ACCESS_READ, handle_report_pdf },
  { "GET", "blacklist", FF_CONSOLE_ACCESS_READ, handle_blacklist },
  { "POST", "blacklist", FF_CONSOLE_ACCESS_CHANGE, ff_console_blacklist_add },
  { "DELETE", "blacklist", FF_CONSOLE_ACCESS_CHANGE, ff_console_blacklist_remove },
  { "GET", "firmware", FF_CONSOLE_ACCESS_READ, handle_firmware_list },
  { "GET", "firmware/*", FF_CONSOLE_ACCESS_READ, handle_firmware_show },
  { "POST", "firmware", FF_CONSOLE_ACCESS_CHANGE, ff_console_firmware_add },
  { "POST", "firmware/*/withdraw", FF_CONSOLE_ACCESS_CHANGE, ff_console_firmware_withdraw },
  { "GET", "tasks", FF_CONSOLE_ACCESS_READ, handle_tasks },
  { "POST", "tasks/preview", FF_CONSOLE_ACCESS_CHANGE, ff_console_task_preview },
  { "POST", "tasks", FF_CONSOLE_ACCESS_CHANGE, ff_console_task_create },
  { "GET", "tasks/*", FF_CONSOLE_ACCESS_READ, handle_task },
  { "POST", "tasks/*/cancel", FF_CONSOLE_ACCESS_CHANGE, ff_console_task_cancel },
  { "GET", "campaigns", FF_CONSOLE_ACCESS_READ, ff_console_campaign_list },
  { "GET", "campaigns/*", FF_CONSOLE_ACCESS_READ, ff_console_campaign_show },
  { "GET", "campaigns/*/terminals", FF_CONSOLE_ACCESS_READ, ff_console_campaign_terminals },
  { "POST", "campaigns", FF_CONSOLE_ACCESS_CHANGE, ff_console_campaign_create },
  { "POST", "campaigns/*/start", FF_CONSOLE_ACCESS_CHANGE, ff_console_campaign_start },
  { "POST", "campaigns/*/pause", FF_CONSOLE_ACCESS_CHANGE, ff_console_campaign_pause },
  { "POST", "campaigns/*/resume", FF_CONSOLE_ACCESS_CHANGE, ff_console_campaign_resume },
  { "POST", "campaigns/*/cancel", FF_CONSOLE_ACCESS_CHANGE, ff_console_campaign_cancel },
  { "GET", "tablets", FF_CONSOLE_ACCESS_READ, handle_tablets },
  { "POST", "tablets", FF_CONSOLE_ACCESS_CHANGE, ff_console_tablet_add },
  { "POST", "tablets/*/retire", FF_CONSOLE_ACCESS_CHANGE, ff_console_tablet_retire },
  { "GET", "technicians", FF_CONSOLE_ACCESS_READ, handle_technicians },
  { "POST", "technicians", FF_CONSOLE_ACCESS_CHANGE, ff_console_technician_add },
  { "GET", "supervisors", FF_CONSOLE_ACCESS_READ, handle_supervisors },
  { "GET", "operators", FF_CONSOLE_ACCESS_READ, handle_operators },
  { "POST", "operators", FF_CONSOLE_ACCESS_ADMIN, ff_console_operator_add },
  { "POST", "operators/*/disable", FF_CONSOLE_ACCESS_ADMIN, ff_console_operator_disable },
  { "GET", "audit", FF_CONSOLE_ACCESS_READ, ff_console_audit_list },
  { "GET", "audit.csv", FF_CONSOLE_ACCESS_READ, ff_console_audit_csv },
};

/* Whether @path (below the prefix) matches @pattern; *@param is the "*" segment. libsoup hands
 * the path over percent-decoded already: decoding it again made "X%2541" (the console's
 * encoding of terminal "X%41") name terminal "XA". */
static gboolean
path_matches (const char  *path,
              const char  *pattern,
              char       **param)
{
  g_auto(GStrv) segments = g_strsplit (path, "/", -1);
  g_auto(GStrv) expected = g_strsplit (pattern, "/", -1);

  *param = NULL;
  if (g_strv_length (segments) != g_strv_length (expected))
    return FALSE;
  for (guint i = 0; expected[i] != NULL; i++)
    {
      if (g_str_equal (expected[i], "*"))
        {
          /* A pattern has one "*" at most. */
          if (*segments[i] == '\0')
            return FALSE;
          *param = g_strdup (segments[i]);
        }
      else if (!g_str_equal (expected[i], segments[i]))
        {
          g_clear_pointer (param, g_free);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
ff_console_check_access (FfConsoleCall    *call,
                         FfConsoleAccess   access,
                         GError          **error)
{
  if (access == FF_CONSOLE_ACCESS_NONE)
    return TRUE;
  if (!ff_console_authenticate (call, error))
    return FALSE;
  if (access == FF_CONSOLE_ACCESS_READ)
    return TRUE;
  if (!ff_console_check_csrf (call, error))
    return FALSE;
  if (access != FF_CONSOLE_ACCESS_SESSION && g_str_equal (call->session->role, FF_OPERATOR_AUDITOR))
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FORBIDDEN,
                           _("An auditor may read everything but change nothing"));
      return FALSE;
    }
  if (access == FF_CONSOLE_ACCESS_ADMIN && !g_str_equal (call->session->role, FF_OPERATOR_ADMIN))
    {
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FORBIDDEN,
                           _("Only an admin may manage operators"));
      return FALSE;
    }
  return TRUE;
}

/* The methods the routes of @path accept, as a 405's Allow header lists them: HEAD with GET, as
 * the dispatch answers it. */
static char *
allowed_methods (const char *path)
{
  g_autoptr(GPtrArray) methods = g_ptr_array_new ();

  for (gsize i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      g_autofree char *param = NULL;

      if (!path_matches (path, routes[i].path, &param)
          || g_ptr_array_find_with_equal_func (methods, routes[i].method, g_str_equal, NULL))
        continue;
      g_ptr_array_add (methods, (gpointer) routes[i].method);
      if (g_str_equal (routes[i].method, "GET"))
        g_ptr_array_add (methods, (gpointer) "HEAD");
    }
  g_ptr_array_add (methods, NULL);
  return g_strjoinv (", ", (char **) methods->pdata);
}

FfReply *
ff_console_handle (FfConsole              *console,
                   const FfConsoleRequest *request)
{
  const char *path = request->path + strlen (FF_CONSOLE_API_PREFIX);
  const char *method = g_str_equal (request->method, "HEAD") ? "GET" : request->method;
  FfConsoleCall call = { console, request, "console", NULL, NULL };
  g_autoptr(GError) error = NULL;
  gboolean path_known = FALSE;
  FfReply *reply = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (routes) && reply == NULL; i++)
    {
      g_autofree char *param = NULL;

      if (!path_matches (path, routes[i].path, &param))
        continue;
      path_known = TRUE;
      if (!g_str_equal (method, routes[i].method))
        continue;
      reply = ff_console_check_access (&call, routes[i].access, &error)
                ? routes[i].handler (&call, param) : reply_gerror (&call, error);
    }
  if (reply == NULL && path_known)
    {
      g_autofree char *allow = allowed_methods (path);

      reply = ff_reply_not_allowed (call.route, allow);
    }
  else if (reply == NULL)
    reply = reply_error (&call, 404, _("There is nothing at this address"));
  for (const char *const *header = ff_console_headers; *header != NULL; header += 2)
    ff_reply_add_header (reply, header[0], header[1]);
  /* Answers about a session and its data are for this operator's browser alone (this one
   * replaces the pages' no-cache). */
  ff_reply_add_header (reply, "Cache-Control", "no-store");
  ff_console_session_free (call.session);
  g_free (call.token_hash);
  return reply;
}

FfConsole *
ff_console_new (FfPlatformDb *db,
                const char   *data_dir,
                FfKey        *platform_key,
                GError      **error)
{
  g_autofree char *dummy = ff_random_hex (16);
  g_autofree char *dummy_hash = ff_pin_hash (dummy, error);
  FfConsole *console;

  if (dummy_hash == NULL)
    return NULL;
  console = g_new0 (FfConsole, 1);
  console->db = db;
  console->data_dir = g_strdup (data_dir);
  console->platform_key = ff_key_ref (platform_key);
  console->dummy_hash = g_steal_pointer (&dummy_hash);
  console->strangers = ff_login_strangers_new ();
  return console;
}

void
ff_console_free (FfConsole *console)
{
  if (console == NULL)
    return;
  g_free (console->data_dir);
  ff_key_unref (console->platform_key);
  g_free (console->dummy_hash);
  ff_login_strangers_free (console->strangers);
  g_free (console);
}
