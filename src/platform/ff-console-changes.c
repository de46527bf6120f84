/* The console's changes: each runs the function the CLI's verb runs, inside one transaction
 * with its audit record (who, when, what, the thing before and after as JSON), so that no change
 * is ever made without its record or recorded without being made. */
#include "config.h"

#include "ff-console-private.h"

#include "ff-document.h"
#include "ff-platform-campaigns.h"
#include "ff-platform-clock.h"
#include "ff-platform-fleet-db.h"
#include "ff-platform-json.h"
#include "ff-platform-tasks.h"
#include "ff-platform-technicians.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>

#define ROLLBACK_REASON_MAX 1024

static FfReply *
reply_gerror (FfConsoleCall *call,
              const GError  *error)
{
  return ff_reply_gerror (ff_reply_new (call->route), error);
}

/* {"member": text} with @status. */
static FfReply *
reply_member (FfConsoleCall *call,
              guint          status,
              const char    *member,
              const char    *after)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(JsonParser) parser = json_parser_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, member);
  if (after != NULL && json_parser_load_from_data (parser, after, -1, NULL))
    json_builder_add_value (builder, json_node_copy (json_parser_get_root (parser)));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return ff_reply_json (ff_reply_new (call->route), status, builder);
}

/* Blacklist */

typedef struct
{
  FfConsoleCall *call;
  const char    *version;
  const char    *device_id;
  const char    *vendor;
  const char    *model;
  gboolean       add;
  char          *entry;         /* JSON of the entry added or removed */
} BlacklistChange;

static gboolean
change_blacklist (FfPlatformDb *db,
                  gpointer      user_data,
                  GError      **error)
{
  BlacklistChange *change = user_data;
  g_autoptr(FfFirmware) firmware = NULL;
  g_autofree char *target = NULL;
  gint64 now = ff_platform_now ();
  FfBlacklistEntry entry = { 0 };

  firmware = ff_platform_blacklist_firmware (db, change->version, change->device_id,
                                             change->vendor, change->model, error);
  if (firmware == NULL
      || !(change->add ? ff_platform_blacklist_add (db, firmware, change->device_id, now, error)
                       : ff_platform_blacklist_remove (db, firmware, change->device_id, error)))
    return FALSE;
  entry = (FfBlacklistEntry) { firmware->id, firmware->vendor, firmware->model, firmware->version,
                               (char *) change->device_id, now };
  change->entry = ff_console_json_text (ff_json_add_blacklist_entry, &entry);
  target = g_strdup_printf ("%s %s %s %s", change->device_id, firmware->vendor, firmware->model,
                            firmware->version);
  return ff_console_audit (change->call, change->add ? "blacklist.add" : "blacklist.remove",
                           target, change->add ? NULL : change->entry,
                           change->add ? change->entry : NULL, error);
}

static FfReply *
blacklist_change (FfConsoleCall *call,
                  BlacklistChange *change)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *entry = NULL;
  gboolean ok;

  if (change->version == NULL || change->device_id == NULL)
    return ff_reply_error (ff_reply_new (call->route), 400,
                           _("Name the version and the device ID"));
  if (!ff_version_is_valid (change->version))
    return ff_reply_error (ff_reply_new (call->route), 400,
                           _("The version must look like V2.01"));
  change->call = call;
  ok = ff_platform_db_transaction (call->console->db, change_blacklist, change, &error);
  entry = g_steal_pointer (&change->entry);
  if (!ok)
    return reply_gerror (call, error);
  return reply_member (call, change->add ? 201 : 200, "entry", entry);
}

static const char *const blacklist_members[] = { "version", "device_id", "vendor", "model",
                                                 NULL };

FfReply *
ff_console_blacklist_add (FfConsoleCall *call,
                          const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  BlacklistChange change = { .add = TRUE };
  JsonObject *root;

  parser = ff_console_parse_body (call, blacklist_members, &root, &error);
  if (parser == NULL
      || !ff_console_optional_string (root, "version", FF_NAME_MAX_LENGTH, &change.version,
                                      &error)
      || !ff_console_optional_string (root, "device_id", FF_NAME_MAX_LENGTH, &change.device_id,
                                      &error)
      || !ff_console_optional_string (root, "vendor", FF_NAME_MAX_LENGTH, &change.vendor, &error)
      || !ff_console_optional_string (root, "model", FF_NAME_MAX_LENGTH, &change.model, &error))
    return reply_gerror (call, error);
  return blacklist_change (call, &change);
}

FfReply *
ff_console_blacklist_remove (FfConsoleCall *call,
                             const char    *param)
{
  BlacklistChange change = {
    .version = ff_console_query (call, "version"),
    .device_id = ff_console_query (call, "device_id"),
    .vendor = ff_console_query (call, "vendor"),
    .model = ff_console_query (call, "model"),
    .add = FALSE,
  };

  return blacklist_change (call, &change);
}

/* Firmware */

void
ff_console_add_firmware_state (JsonBuilder   *builder,
                               gconstpointer  row)
{
  const FfFirmware *firmware = row;

  ff_builder_add_string (builder, "vendor", firmware->vendor);
  ff_builder_add_string (builder, "model", firmware->model);
  ff_builder_add_string (builder, "version", firmware->version);
  ff_builder_add_string (builder, "sha256", firmware->sha256);
  ff_builder_add_boolean (builder, "withdrawn", firmware->withdrawn_at != 0);
}

typedef struct
{
  FfConsoleCall *call;
  const char    *version;
  char          *after;
} Withdrawal;

static gboolean
withdraw (FfPlatformDb *db,
          gpointer      user_data,
          GError      **error)
{
  Withdrawal *withdrawal = user_data;
  FfConsoleCall *call = withdrawal->call;
  g_autoptr(FfFirmware) firmware = NULL;
  g_autofree char *before = NULL, *target = NULL;
  gint64 now = ff_platform_now ();

  firmware = ff_platform_resolve_firmware (db, withdrawal->version,
                                           ff_console_query (call, "vendor"),
                                           ff_console_query (call, "model"), error);
  if (firmware == NULL || !ff_platform_firmware_withdraw (db, firmware, now, error))
    return FALSE;
  before = ff_console_json_text (ff_console_add_firmware_state, firmware);
  firmware->withdrawn_at = now;
  withdrawal->after = ff_console_json_text (ff_console_add_firmware_state, firmware);
  target = g_strdup_printf ("%s %s %s", firmware->vendor, firmware->model, firmware->version);
  return ff_console_audit (call, "firmware.withdraw", target, before, withdrawal->after, error);
}

FfReply *
ff_console_firmware_withdraw (FfConsoleCall *call,
                              const char    *version)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  Withdrawal withdrawal = { call, version, NULL };
  gboolean ok;

  if (!ff_version_is_valid (version))
    return ff_reply_error (ff_reply_new (call->route), 400,
                           _("The version must look like V2.01"));
  ok = ff_platform_db_transaction (call->console->db, withdraw, &withdrawal, &error);
  after = withdrawal.after;
  if (!ok)
    return reply_gerror (call, error);
  return reply_member (call, 200, "firmware", after);
}

/* Tablets */

typedef struct
{
  FfConsoleCall *call;
  const char    *serial;
  const char    *public_key_pem;     /* NULL: retire */
  char          *after;
} TabletChange;

static gboolean
change_tablet (FfPlatformDb *db,
               gpointer      user_data,
               GError      **error)
{
  TabletChange *change = user_data;
  g_autoptr(FfHandheld) before = NULL, after = NULL;
  g_autofree char *before_text = NULL;

  if (change->public_key_pem != NULL)
    {
      if (!ff_platform_handheld_add (db, change->serial, change->public_key_pem,
                                     ff_platform_now (), error))
        return FALSE;
    }
  else if ((before = ff_platform_db_require_handheld (db, change->serial, error)) == NULL
           || !ff_platform_handheld_retire (db, change->serial, error))
    return FALSE;
  if ((after = ff_platform_db_require_handheld (db, change->serial, error)) == NULL)
    return FALSE;
  if (before != NULL)
    before_text = ff_console_json_text (ff_json_add_handheld, before);
  change->after = ff_console_json_text (ff_json_add_handheld, after);
  return ff_console_audit (change->call, before != NULL ? "tablet.retire" : "tablet.add",
                           change->serial, before_text, change->after, error);
}

static FfReply *
tablet_change (FfConsoleCall *call,
               TabletChange  *change)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  gboolean ok;

  change->call = call;
  ok = ff_platform_db_transaction (call->console->db, change_tablet, change, &error);
  after = change->after;
  if (!ok)
    return reply_gerror (call, error);
  return reply_member (call, change->public_key_pem != NULL ? 201 : 200, "tablet", after);
}

static const char *const tablet_members[] = { "serial", "public_key_pem", NULL };

FfReply *
ff_console_tablet_add (FfConsoleCall *call,
                       const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  TabletChange change = { 0 };
  JsonObject *root;

  parser = ff_console_parse_body (call, tablet_members, &root, &error);
  if (parser == NULL
      || (change.serial = ff_document_get_string (root, "", "serial", FALSE, FF_NAME_MAX_LENGTH,
                                                  &error)) == NULL
      || (change.public_key_pem = ff_document_get_string (root, "", "public_key_pem", FALSE,
                                                          4096, &error)) == NULL)
    return reply_gerror (call, error);
  return tablet_change (call, &change);
}

FfReply *
ff_console_tablet_retire (FfConsoleCall *call,
                          const char    *serial)
{
  TabletChange change = { .serial = serial };

  return tablet_change (call, &change);
}

/* Technicians */

typedef struct
{
  FfConsoleCall *call;
  FfTechnician   technician;
  const char    *pin;
  char          *after;
} TechnicianChange;

static gboolean
add_technician (FfPlatformDb *db,
                gpointer      user_data,
                GError      **error)
{
  TechnicianChange *change = user_data;

  if (!ff_platform_technician_add (db, change->technician.phone, change->technician.name,
                                   change->pin, ff_platform_now (), error))
    return FALSE;
  change->after = ff_console_json_text (ff_json_add_technician, &change->technician);
  return ff_console_audit (change->call, "technician.add", change->technician.phone, NULL,
                           change->after, error);
}

static const char *const technician_members[] = { "phone", "name", "pin", NULL };

/* As `technicians add`: the PIN comes in the body instead of from a terminal. */
FfReply *
ff_console_technician_add (FfConsoleCall *call,
                           const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *after = NULL;
  TechnicianChange change = { call };
  JsonObject *root;
  gboolean ok;

  parser = ff_console_parse_body (call, technician_members, &root, &error);
  if (parser == NULL
      || (change.technician.phone = (char *) ff_document_get_string (root, "", "phone", FALSE, 16,
                                                                     &error)) == NULL
      || (change.technician.name = (char *) ff_document_get_string (root, "", "name", FALSE,
                                                                    FF_NAME_MAX_LENGTH,
                                                                    &error)) == NULL
      || (change.pin = ff_document_get_string (root, "", "pin", FALSE, 16, &error)) == NULL)
    return reply_gerror (call, error);
  ok = ff_platform_db_transaction (call->console->db, add_technician, &change, &error);
  after = change.after;
  if (!ok)
    return reply_gerror (call, error);
  return reply_member (call, 201, "technician", after);
}

/* Operators */

typedef struct
{
  FfConsoleCall *call;
  const char    *name;
  const char    *role;
  const char    *password_hash;     /* NULL: disable */
  char          *after;
} OperatorChange;

static gboolean
change_operator (FfPlatformDb *db,
                 gpointer      user_data,
                 GError      **error)
{
  OperatorChange *change = user_data;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(FfOperator) before = NULL, after = NULL;
  g_autofree char *before_text = NULL;
  gint64 now = ff_platform_now ();
  gboolean disabled = FALSE;

  if (change->password_hash != NULL)
    {
      if (!ff_platform_db_insert_operator (db, change->name, change->role,
                                           change->password_hash, now, error))
        return FALSE;
    }
  else
    {
      before = ff_platform_db_get_operator (db, change->name, &local_error);
      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!ff_platform_db_disable_operator (db, change->name, now, &disabled, error))
        return FALSE;
      if (!disabled)
        {
          g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                       _("There is no enabled operator %s"), change->name);
          return FALSE;
        }
      before_text = ff_console_json_text (ff_json_add_operator, before);
    }
  after = ff_platform_db_get_operator (db, change->name, &local_error);
  if (after == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  change->after = ff_console_json_text (ff_json_add_operator, after);
  return ff_console_audit (change->call, before != NULL ? "operator.disable" : "operator.add",
                           change->name, before_text, change->after, error);
}

static FfReply *
operator_change (FfConsoleCall  *call,
                 OperatorChange *change)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  gboolean ok;

  change->call = call;
  ok = ff_platform_db_transaction (call->console->db, change_operator, change, &error);
  after = change->after;
  if (!ok)
    return reply_gerror (call, error);
  return reply_member (call, change->password_hash != NULL ? 201 : 200, "operator", after);
}

static const char *const operator_members[] = { "name", "role", "password", NULL };

FfReply *
ff_console_operator_add (FfConsoleCall *call,
                         const char    *param)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *hash = NULL;
  OperatorChange change = { 0 };
  const char *password;
  JsonObject *root;

  parser = ff_console_parse_body (call, operator_members, &root, &error);
  if (parser == NULL
      || (change.name = ff_document_get_string (root, "", "name", FALSE, FF_NAME_MAX_LENGTH,
                                                &error)) == NULL
      || (change.role = ff_document_get_string (root, "", "role", FALSE, 16, &error)) == NULL
      || (password = ff_document_get_string (root, "", "password", FALSE,
                                             FF_OPERATOR_PASSWORD_MAX, &error)) == NULL
      || !ff_operator_check_name (change.name, &error)
      || !ff_operator_check_password (password, &error))
    return reply_gerror (call, error);
  if (!ff_operator_role_is_valid (change.role))
    return ff_reply_error (ff_reply_new (call->route), 400,
                           _("The role must be admin, operator or auditor"));
  if ((hash = ff_pin_hash (password, &error)) == NULL)
    return reply_gerror (call, error);
  change.password_hash = hash;
  return operator_change (call, &change);
}

FfReply *
ff_console_operator_disable (FfConsoleCall *call,
                             const char    *name)
{
  OperatorChange change = { .name = name };

  return operator_change (call, &change);
}

/* Tasks */

typedef struct
{
  FfConsoleCall       *call;
  const FfTaskRequest *request;
  gboolean             preview;
  char                *task_id;
  FfTaskRecord        *task;        /* as listed, with its dispatch message */
  GBytes              *document;
} Dispatch;

static void
dispatch_clear (Dispatch *dispatch)
{
  g_clear_pointer (&dispatch->task_id, g_free);
  g_clear_pointer (&dispatch->task, ff_task_record_free);
  g_clear_pointer (&dispatch->document, g_bytes_unref);
}

/* The task @task_id as the task list shows it. */
static FfTaskRecord *
find_listed_task (FfPlatformDb *db,
                  const char   *task_id,
                  GError      **error)
{
  g_autoptr(GPtrArray) tasks = ff_platform_db_list_tasks (db, NULL, NULL, error);

  for (guint i = 0; tasks != NULL && i < tasks->len; i++)
    if (g_str_equal (((FfTaskRecord *) g_ptr_array_index (tasks, i))->task_id, task_id))
      return g_ptr_array_steal_index (tasks, i);
  if (tasks != NULL)
    g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FAILED,
                 _("There is no task %s"), task_id);
  return NULL;
}

/* Creates the task as "tasks create" does, inside the transaction of its audit record; a
 * preview reads what was made and then rolls everything back (returns FALSE with no error). */
static gboolean
dispatch_in_transaction (FfPlatformDb *db,
                         gpointer      user_data,
                         GError      **error)
{
  Dispatch *dispatch = user_data;
  g_autoptr(FfTaskRecord) stored = NULL;
  g_autofree char *after = NULL;

  dispatch->task_id = ff_platform_create_task (db, dispatch->call->console->platform_key,
                                               dispatch->request, error);
  if (dispatch->task_id == NULL
      || (dispatch->task = find_listed_task (db, dispatch->task_id, error)) == NULL
      || (stored = ff_platform_db_get_task (db, dispatch->task_id, error)) == NULL)
    return FALSE;
  dispatch->document = g_bytes_ref (stored->document);
  if (dispatch->preview)
    return FALSE;
  after = ff_console_json_text (ff_json_add_task, dispatch->task);
  return ff_console_audit (dispatch->call, "task.create", dispatch->task_id, NULL, after, error);
}

static const char *const task_members[] = { "technician", "tablets", "terminals",
                                            "running_version", "vendor", "model", "firmware",
                                            "valid_days", "rollback_reason", NULL };

static FfReply *
dispatch (FfConsoleCall *call,
          gboolean       preview)
{
  FfConsole *console = call->console;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonParser) document = json_parser_new ();
  g_autoptr(JsonBuilder) builder = NULL;
  g_auto(GStrv) tablets = NULL, terminals = NULL;
  g_autofree char *export_dir = NULL;
  FfTaskRequest request = { 0 };
  Dispatch dispatch = { call, &request, preview };
  gint64 valid_days = FF_TASK_DEFAULT_VALID_DAYS;
  JsonObject *root;
  gboolean ok;

  parser = ff_console_parse_body (call, task_members, &root, &error);
  if (parser == NULL
      || !ff_console_optional_string (root, "technician", 11, &request.technician_phone, &error)
      || !ff_console_get_names (root, "tablets", &tablets, &error)
      || !ff_console_get_names (root, "terminals", &terminals, &error)
      || !ff_console_optional_string (root, "running_version", FF_NAME_MAX_LENGTH,
                                      &request.running_version, &error)
      || !ff_console_optional_string (root, "vendor", FF_NAME_MAX_LENGTH, &request.vendor,
                                      &error)
      || !ff_console_optional_string (root, "model", FF_NAME_MAX_LENGTH, &request.model, &error)
      || !ff_console_optional_string (root, "firmware", FF_NAME_MAX_LENGTH,
                                      &request.firmware_version, &error)
      || !ff_console_optional_string (root, "rollback_reason", ROLLBACK_REASON_MAX,
                                      &request.rollback_reason, &error)
      || (json_object_has_member (root, "valid_days")
          && !ff_document_get_int (root, "", "valid_days", 1, 366, &valid_days, &error)))
    return reply_gerror (call, error);
  if (request.technician_phone == NULL || tablets == NULL || request.firmware_version == NULL
      || (terminals == NULL) == (request.running_version == NULL))
    return ff_reply_error (ff_reply_new (call->route), 400,
                           _("Give the technician, the tablets, the firmware and either the "
                             "terminals or the running version"));
  if (request.rollback_reason != NULL && *request.rollback_reason == '\0')
    return ff_reply_error (ff_reply_new (call->route), 400, _("A rollback needs a reason"));
  request.handhelds = (const char *const *) tablets;
  request.device_ids = (const char *const *) terminals;
  request.valid_days = (guint) valid_days;
  request.now = ff_platform_now ();
  ok = ff_platform_db_transaction (console->db, dispatch_in_transaction, &dispatch, &error);
  if (!ok && !(preview && dispatch.document != NULL))
    {
      dispatch_clear (&dispatch);
      return reply_gerror (call, error);
    }
  export_dir = g_build_filename (console->data_dir, "tasks", NULL);
  if ((!preview && !ff_platform_export_task (console->db, dispatch.task_id, export_dir, &error))
      || !json_parser_load_from_data (document, g_bytes_get_data (dispatch.document, NULL),
                                      (gssize) g_bytes_get_size (dispatch.document), &error))
    {
      dispatch_clear (&dispatch);
      return reply_gerror (call, error);
    }
  builder = json_builder_new_immutable ();
  json_builder_begin_object (builder);
  ff_builder_add_boolean (builder, "preview", preview);
  json_builder_set_member_name (builder, "task");
  json_builder_begin_object (builder);
  ff_json_add_task (builder, dispatch.task);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "document");
  json_builder_add_value (builder, json_node_copy (json_parser_get_root (document)));
  json_builder_end_object (builder);
  dispatch_clear (&dispatch);
  return ff_reply_json (ff_reply_new (call->route), preview ? 200 : 201, builder);
}

FfReply *
ff_console_task_preview (FfConsoleCall *call,
                         const char    *param)
{
  return dispatch (call, TRUE);
}

FfReply *
ff_console_task_create (FfConsoleCall *call,
                        const char    *param)
{
  return dispatch (call, FALSE);
}

/* Cancel a task: what "tasks cancel" does, audited. */

typedef struct
{
  FfConsoleCall *call;
  const char    *task_id;
  char          *after;
} TaskCancelling;

/* The members of a task the audit log keeps of its cancel. */
static void
add_task_state (JsonBuilder   *builder,
                gconstpointer  row)
{
  const FfTaskRecord *task = row;

  ff_builder_add_string (builder, "task_id", task->task_id);
  ff_builder_add_string (builder, "technician", task->phone);
  ff_builder_add_string (builder, "state", task->state);
}

static gboolean
cancel_task (FfPlatformDb *db,
             gpointer      user_data,
             GError      **error)
{
  TaskCancelling *cancelling = user_data;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(FfTaskRecord) before = ff_platform_db_get_task (db, cancelling->task_id,
                                                             &local_error);
  g_autoptr(FfTaskRecord) after = NULL;
  g_autofree char *before_text = NULL;

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* No such task: refused here in the words of "tasks cancel". */
  if (!ff_platform_cancel_task_within (db, cancelling->task_id, ff_platform_now (), error)
      || (after = ff_platform_db_get_task (db, cancelling->task_id, error)) == NULL)
    return FALSE;
  before_text = ff_console_json_text (add_task_state, before);
  cancelling->after = ff_console_json_text (add_task_state, after);
  return ff_console_audit (cancelling->call, "task.cancel", cancelling->task_id, before_text,
                           cancelling->after, error);
}

FfReply *
ff_console_task_cancel (FfConsoleCall *call,
                        const char    *task_id)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *after = NULL;
  TaskCancelling cancelling = { call, task_id, NULL };
  gboolean ok;

  ok = ff_platform_db_transaction (call->console->db, cancel_task, &cancelling, &error);
  after = cancelling.after;
  if (!ok)
    return reply_gerror (call, error);
  /* Its campaign terminals are pending again: the daemon's engine looks at them anew. */
  ff_platform_campaigns_signal (call->console->data_dir);
  return reply_member (call, 200, "task", after);
}
