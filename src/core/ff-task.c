/* The task document (work order) the platform signs and the tablet carries: model and codec. */
#include "config.h"

#include "ff-task.h"

#include "ff-version.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define MAX_ITEMS 100000
#define MAX_TABLETS 64
#define MAX_FIRMWARE_SIZE ((gint64) 1 << 32)
#define MAX_SUPERVISORS 64
#define MAX_PIN_HASH_LENGTH 256

FfSupervisor *
ff_supervisor_new (const char *name,
                   const char *pin_hash)
{
  FfSupervisor *supervisor = g_new0 (FfSupervisor, 1);

  supervisor->name = g_strdup (name);
  supervisor->pin_hash = g_strdup (pin_hash);
  return supervisor;
}

void
ff_supervisor_free (FfSupervisor *supervisor)
{
  if (supervisor == NULL)
    return;
  g_free (supervisor->name);
  g_free (supervisor->pin_hash);
  g_free (supervisor);
}

FfFirmwareRef *
ff_firmware_ref_new (void)
{
  return g_new0 (FfFirmwareRef, 1);
}

static void
firmware_ref_clear (FfFirmwareRef *ref)
{
  g_free (ref->version);
  g_free (ref->sha256);
  g_free (ref->file_name);
  g_strfreev (ref->hardware_versions);
}

void
ff_firmware_ref_free (FfFirmwareRef *ref)
{
  if (ref == NULL)
    return;
  firmware_ref_clear (ref);
  g_free (ref);
}

FfTaskItem *
ff_task_item_new (void)
{
  return g_new0 (FfTaskItem, 1);
}

void
ff_task_item_free (FfTaskItem *item)
{
  if (item == NULL)
    return;
  g_free (item->device_id);
  g_free (item->name);
  g_free (item->host);
  g_free (item->profile);
  g_free (item->vendor);
  g_free (item->model);
  g_free (item->hardware_version);
  g_free (item->expected_version);
  firmware_ref_clear (&item->target);
  ff_firmware_ref_free (item->previous);
  ff_delta_ref_free (item->delta);
  g_free (item);
}

FfDeltaRef *
ff_delta_ref_new (const char *sha256,
                  gint64      size,
                  const char *old_sha256)
{
  FfDeltaRef *delta = g_new0 (FfDeltaRef, 1);

  delta->sha256 = g_strdup (sha256);
  delta->size = size;
  delta->old_sha256 = g_strdup (old_sha256);
  return delta;
}

void
ff_delta_ref_free (FfDeltaRef *delta)
{
  if (delta == NULL)
    return;
  g_free (delta->sha256);
  g_free (delta->old_sha256);
  g_free (delta);
}

FfTask *
ff_task_new (void)
{
  FfTask *task = g_new0 (FfTask, 1);

  task->format_version = FF_TASK_FORMAT_VERSION;
  task->tablets = g_ptr_array_new_with_free_func (g_free);
  task->items = g_ptr_array_new_with_free_func ((GDestroyNotify) ff_task_item_free);
  task->supervisors = g_ptr_array_new_with_free_func ((GDestroyNotify) ff_supervisor_free);
  return task;
}

void
ff_task_free (FfTask *task)
{
  if (task == NULL)
    return;
  g_free (task->task_id);
  g_free (task->technician_phone);
  g_free (task->technician_name);
  g_free (task->rollback_reason);
  g_ptr_array_unref (task->tablets);
  g_ptr_array_unref (task->items);
  g_ptr_array_unref (task->supervisors);
  g_free (task);
}

char *
ff_task_make_id (const char *phone,
                 gint64      unix_seconds,
                 guint       sequence)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (unix_seconds);
  g_autofree char *date = g_date_time_format (time, "%Y%m%d");

  if (sequence <= 1)
    return g_strdup_printf ("%s-%s", phone, date);
  return g_strdup_printf ("%s-%s-%u", phone, date, sequence);
}

gboolean
ff_task_id_is_valid (const char *task_id)
{
  g_auto(GStrv) parts = NULL;
  guint n_parts;
  guint64 sequence;

  if (task_id == NULL || strlen (task_id) > 40)
    return FALSE;
  parts = g_strsplit (task_id, "-", -1);
  n_parts = g_strv_length (parts);
  if (n_parts < 2 || n_parts > 3 || !ff_phone_is_valid (parts[0]) || strlen (parts[1]) != 8)
    return FALSE;
  for (const char *p = parts[1]; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  if (n_parts == 3
      && (parts[2][0] == '0'
          || !g_ascii_string_to_unsigned (parts[2], 10, 2, 9999, &sequence, NULL)))
    return FALSE;
  return TRUE;
}

static const char *const target_members_1[] = { "version", "sha256", "size", "file_name", NULL };
static const char *const target_members[] = {
  "version", "sha256", "size", "file_name", "hardware_versions", NULL
};
static const char *const previous_members[] = { "version", "sha256", "size", NULL };

/* @format_version: of the task; 0 for the previous firmware (no file name, no hardware). */
static gboolean
parse_firmware_ref (JsonObject    *object,
                    const char    *where,
                    int            format_version,
                    FfFirmwareRef *ref,
                    GError       **error)
{
  gboolean with_file_name = format_version > 0;
  const char *const *members = format_version >= 2 ? target_members
                               : format_version == 1 ? target_members_1 : previous_members;
  const char *version, *sha256, *file_name = NULL;

  if (!ff_document_check_members (object, where, members, error)
      || (version = ff_document_get_version (object, where, "version", FALSE, error)) == NULL
      || (sha256 = ff_document_get_sha256 (object, where, "sha256", error)) == NULL
      || !ff_document_get_int (object, where, "size", 1, MAX_FIRMWARE_SIZE, &ref->size, error)
      || (with_file_name
          && (file_name = ff_document_get_name (object, where, "file_name", error)) == NULL)
      || (format_version >= 2
          && (ref->hardware_versions = ff_document_get_hardware_versions (object, where,
                                                                          error)) == NULL))
    return FALSE;
  ref->version = g_strdup (version);
  ref->sha256 = g_strdup (sha256);
  ref->file_name = g_strdup (file_name);
  return TRUE;
}

/* "delta" is optional: an item without a patch keeps the bytes it always had. */
static const char *const item_members[] = {
  "device_id", "name", "position", "address", "profile", "vendor", "model", "hardware_version",
  "expected_version", "target", "previous", NULL
};
static const char *const item_members_with_delta[] = {
  "device_id", "name", "position", "address", "profile", "vendor", "model", "hardware_version",
  "expected_version", "target", "previous", "delta", NULL
};
static const char *const delta_members[] = { "sha256", "size", "old_sha256", NULL };

/* The patch turns the previous firmware into the target, and is worth sending only when smaller:
 * the tablet has the previous image (for a rollback) to check what the terminal runs. */
static FfDeltaRef *
parse_delta (JsonObject       *object,
             const char       *where,
             const FfTaskItem *item,
             GError          **error)
{
  const char *sha256, *old_sha256;
  gint64 size;

  if (!ff_document_check_members (object, where, delta_members, error)
      || (sha256 = ff_document_get_sha256 (object, where, "sha256", error)) == NULL
      || !ff_document_get_int (object, where, "size", 1, MAX_FIRMWARE_SIZE, &size, error)
      || (old_sha256 = ff_document_get_sha256 (object, where, "old_sha256", error)) == NULL)
    return NULL;
  if (item->previous == NULL || !g_str_equal (old_sha256, item->previous->sha256))
    {
      ff_document_invalid (error, where, "old_sha256",
                           _("must be the previous firmware's SHA-256"));
      return NULL;
    }
  if (size >= item->target.size)
    {
      ff_document_invalid (error, where, "size", _("must be smaller than the target image"));
      return NULL;
    }
  return ff_delta_ref_new (sha256, size, old_sha256);
}
static const char *const address_members[] = { "host", "port", "common_address", NULL };

static FfTaskItem *
parse_item (JsonObject *object,
            const char *where,
            int         format_version,
            GError    **error)
{
  g_autoptr(FfTaskItem) item = ff_task_item_new ();
  g_autofree char *address_where = g_strconcat (where, ".address", NULL);
  g_autofree char *target_where = g_strconcat (where, ".target", NULL);
  g_autofree char *previous_where = g_strconcat (where, ".previous", NULL);
  g_autofree char *delta_where = g_strconcat (where, ".delta", NULL);
  JsonObject *address, *target, *previous, *delta;
  const char *device_id, *name, *host, *profile, *vendor, *model, *hardware, *expected;
  gint64 port, common_address;
  gboolean with_delta = json_object_has_member (object, "delta");

  if (!ff_document_check_members (object, where,
                                  with_delta ? item_members_with_delta : item_members, error)
      || (device_id = ff_document_get_name (object, where, "device_id", error)) == NULL
      || (name = ff_document_get_string (object, where, "name", FALSE, FF_NAME_MAX_LENGTH,
                                         error)) == NULL
      || !ff_document_get_position (object, where, "position", &item->latitude, &item->longitude,
                                    error)
      || !ff_document_get_object (object, where, "address", FALSE, &address, error)
      || !ff_document_check_members (address, address_where, address_members, error)
      || (host = ff_document_get_string (address, address_where, "host", FALSE, 253,
                                         error)) == NULL
      || !ff_document_get_int (address, address_where, "port", 1, 65535, &port, error)
      || !ff_document_get_int (address, address_where, "common_address", 0, 65535,
                               &common_address, error)
      || (profile = ff_document_get_name (object, where, "profile", error)) == NULL
      || (vendor = ff_document_get_name (object, where, "vendor", error)) == NULL
      || (model = ff_document_get_name (object, where, "model", error)) == NULL
      || (hardware = ff_document_get_name (object, where, "hardware_version", error)) == NULL
      || (expected = ff_document_get_version (object, where, "expected_version", FALSE,
                                              error)) == NULL
      || !ff_document_get_object (object, where, "target", FALSE, &target, error)
      || !parse_firmware_ref (target, target_where, format_version, &item->target, error)
      || !ff_document_get_object (object, where, "previous", TRUE, &previous, error))
    return NULL;
  if (!ff_host_is_valid (host))
    {
      ff_document_invalid (error, address_where, "host", _("must be an IP address or host name"));
      return NULL;
    }
  if (previous != NULL)
    {
      item->previous = ff_firmware_ref_new ();
      if (!parse_firmware_ref (previous, previous_where, 0, item->previous, error))
        return NULL;
    }
  if (with_delta
      && (!ff_document_get_object (object, where, "delta", FALSE, &delta, error)
          || (item->delta = parse_delta (delta, delta_where, item, error)) == NULL))
    return NULL;
  item->device_id = g_strdup (device_id);
  item->name = g_strdup (name);
  item->host = g_strdup (host);
  item->port = (guint) port;
  item->common_address = (guint) common_address;
  item->profile = g_strdup (profile);
  item->vendor = g_strdup (vendor);
  item->model = g_strdup (model);
  item->hardware_version = g_strdup (hardware);
  item->expected_version = g_strdup (expected);
  if (item->target.hardware_versions == NULL)
    {
      /* Format 1: the platform checked the ledger's hardware against the firmware's list when it
       * issued the task, so that one hardware is what the terminal must report. */
      const char *const ledger[] = { hardware, NULL };

      item->target.hardware_versions = g_strdupv ((char **) ledger);
    }
  return g_steal_pointer (&item);
}

static gboolean
parse_tablets (JsonArray *tablets,
               FfTask    *task,
               GError   **error)
{
  guint n = json_array_get_length (tablets);

  if (n == 0 || n > MAX_TABLETS)
    {
      ff_document_invalid (error, "", "tablets", _("must list 1 to 64 tablet serial numbers"));
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (tablets, i);
      const char *serial = JSON_NODE_HOLDS_VALUE (node)
                           && json_node_get_value_type (node) == G_TYPE_STRING
                           ? json_node_get_string (node) : NULL;

      if (!ff_name_is_safe (serial))
        {
          g_autofree char *where = g_strdup_printf ("tablets[%u]", i);
          ff_document_invalid (error, where, NULL, _("must be a serial number (a safe name)"));
          return FALSE;
        }
      g_ptr_array_add (task->tablets, g_strdup (serial));
    }
  return TRUE;
}

static gboolean
parse_items (JsonArray *items,
             int        format_version,
             FfTask    *task,
             GError   **error)
{
  guint n = json_array_get_length (items);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (n == 0 || n > MAX_ITEMS)
    {
      ff_document_invalid (error, "", "items", _("must list 1 to 100000 terminals"));
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *where = g_strdup_printf ("items[%u]", i);
      JsonObject *object = ff_document_array_get_object (items, i, where, error);
      FfTaskItem *item;

      if (object == NULL
          || (item = parse_item (object, where, format_version, error)) == NULL)
        return FALSE;
      g_ptr_array_add (task->items, item);
      if (!g_hash_table_add (seen, item->device_id))
        {
          ff_document_invalid (error, where, "device_id", _("appears twice in the task"));
          return FALSE;
        }
    }
  return TRUE;
}

static const char *const supervisor_members[] = { "name", "pin_hash", NULL };

static gboolean
parse_supervisors (JsonArray *supervisors,
                   FfTask    *task,
                   GError   **error)
{
  guint n = json_array_get_length (supervisors);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  if (n > MAX_SUPERVISORS)
    {
      ff_document_invalid (error, "", "supervisors", _("must list at most 64 supervisors"));
      return FALSE;
    }
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *where = g_strdup_printf ("supervisors[%u]", i);
      JsonObject *object = ff_document_array_get_object (supervisors, i, where, error);
      const char *name, *pin_hash;

      if (object == NULL
          || !ff_document_check_members (object, where, supervisor_members, error)
          || (name = ff_document_get_string (object, where, "name", FALSE, FF_NAME_MAX_LENGTH,
                                             error)) == NULL
          || (pin_hash = ff_document_get_string (object, where, "pin_hash", FALSE,
                                                 MAX_PIN_HASH_LENGTH, error)) == NULL)
        return FALSE;
      if (*name == '\0')
        {
          ff_document_invalid (error, where, "name", _("must not be empty"));
          return FALSE;
        }
      if (!ff_pin_hash_is_valid (pin_hash))
        {
          ff_document_invalid (error, where, "pin_hash", _("must be a salted scrypt PIN hash"));
          return FALSE;
        }
      if (!g_hash_table_add (seen, (gpointer) name))
        {
          ff_document_invalid (error, where, "name", _("appears twice in the task"));
          return FALSE;
        }
      g_ptr_array_add (task->supervisors, ff_supervisor_new (name, pin_hash));
    }
  return TRUE;
}

/* A target older than what the ledger says the terminal runs is a downgrade: only a task that says
 * so (a rollback with its reason) may carry one, so no upgrade task downgrades by mistake. */
static gboolean
check_no_downgrade (const FfTask  *task,
                    GError       **error)
{
  for (guint i = 0; i < task->items->len; i++)
    {
      const FfTaskItem *item = g_ptr_array_index (task->items, i);

      if (ff_version_compare (item->target.version, item->expected_version) < 0)
        {
          g_autofree char *where = g_strdup_printf ("items[%u].target", i);
          g_autofree char *problem =
            g_strdup_printf (_("%s is older than the expected version %s: a downgrade needs a "
                               "rollback member"), item->target.version, item->expected_version);

          ff_document_invalid (error, where, "version", problem);
          return FALSE;
        }
    }
  return TRUE;
}

/* "supervisors" is optional: a task without supervisors keeps the bytes it always had. */
static const char *const task_members[] = {
  "format_version", "task_id", "issued_at", "expires_at", "technician", "tablets", "rollback",
  "items", NULL
};
static const char *const task_members_with_supervisors[] = {
  "format_version", "task_id", "issued_at", "expires_at", "technician", "tablets", "rollback",
  "items", "supervisors", NULL
};
static const char *const technician_members[] = { "phone", "name", NULL };
static const char *const rollback_members[] = { "reason", NULL };

FfTask *
ff_task_parse (GBytes  *bytes,
               GError **error)
{
  g_autoptr(FfTask) task = ff_task_new ();
  g_autoptr(JsonParser) parser = NULL;
  JsonObject *root, *technician, *rollback;
  JsonArray *tablets, *items, *supervisors = NULL;
  const char *task_id, *phone, *name, *reason = NULL;
  gint64 format_version;
  gboolean with_supervisors;

  parser = ff_document_parse_object (bytes, &root, error);
  if (parser == NULL)
    return NULL;
  with_supervisors = json_object_has_member (root, "supervisors");
  if (!ff_document_check_members (root, "",
                                  with_supervisors ? task_members_with_supervisors : task_members,
                                  error)
      || !ff_document_get_int (root, "", "format_version", FF_TASK_FORMAT_VERSION_OLDEST,
                               FF_TASK_FORMAT_VERSION, &format_version, error)
      || (task_id = ff_document_get_string (root, "", "task_id", FALSE, 64, error)) == NULL
      || !ff_document_get_timestamp (root, "", "issued_at", &task->issued_at, error)
      || !ff_document_get_timestamp (root, "", "expires_at", &task->expires_at, error)
      || !ff_document_get_object (root, "", "technician", FALSE, &technician, error)
      || !ff_document_check_members (technician, "technician", technician_members, error)
      || (phone = ff_document_get_string (technician, "technician", "phone", FALSE, 11,
                                          error)) == NULL
      || (name = ff_document_get_string (technician, "technician", "name", FALSE,
                                         FF_NAME_MAX_LENGTH, error)) == NULL
      || (tablets = ff_document_get_array (root, "", "tablets", error)) == NULL
      || !parse_tablets (tablets, task, error)
      || !ff_document_get_object (root, "", "rollback", TRUE, &rollback, error)
      || (rollback != NULL
          && (!ff_document_check_members (rollback, "rollback", rollback_members, error)
              || (reason = ff_document_get_string (rollback, "rollback", "reason", FALSE, 1024,
                                                   error)) == NULL))
      || (items = ff_document_get_array (root, "", "items", error)) == NULL
      || !parse_items (items, (int) format_version, task, error)
      || (reason == NULL && !check_no_downgrade (task, error))
      || (with_supervisors
          && ((supervisors = ff_document_get_array (root, "", "supervisors", error)) == NULL
              || !parse_supervisors (supervisors, task, error))))
    return NULL;
  if (!ff_task_id_is_valid (task_id))
    {
      ff_document_invalid (error, "", "task_id",
                           _("must be the phone number and date, as 13800138000-20261121[-N]"));
      return NULL;
    }
  if (!ff_phone_is_valid (phone))
    {
      ff_document_invalid (error, "technician", "phone",
                           _("must be an 11-digit mobile number starting with 1"));
      return NULL;
    }
  if (!g_str_has_prefix (task_id, phone))
    {
      ff_document_invalid (error, "", "task_id", _("does not start with the technician's number"));
      return NULL;
    }
  if (task->expires_at <= task->issued_at)
    {
      ff_document_invalid (error, "", "expires_at", _("must be later than issued_at"));
      return NULL;
    }
  task->format_version = (int) format_version;
  task->task_id = g_strdup (task_id);
  task->technician_phone = g_strdup (phone);
  task->technician_name = g_strdup (name);
  task->rollback = reason != NULL;
  task->rollback_reason = g_strdup (reason);
  return g_steal_pointer (&task);
}

gboolean
ff_task_validate (const FfTask *task,
                  GError      **error)
{
  g_autoptr(GBytes) bytes = ff_task_serialize (task);
  g_autoptr(FfTask) parsed = ff_task_parse (bytes, error);

  if (parsed == NULL)
    return FALSE;
  if (task->rollback != (task->rollback_reason != NULL))
    {
      ff_document_invalid (error, "", "rollback", _("a rollback task needs a reason"));
      return FALSE;
    }
  return TRUE;
}

/* @format_version: of the task; 0 for the previous firmware. */
static void
add_firmware_ref (JsonBuilder         *builder,
                  const char          *member,
                  const FfFirmwareRef *ref,
                  int                  format_version)
{
  if (!ff_builder_begin_object_or_null (builder, member, ref != NULL))
    return;
  ff_builder_add_string (builder, "version", ref->version);
  ff_builder_add_string (builder, "sha256", ref->sha256);
  ff_builder_add_int (builder, "size", ref->size);
  if (format_version > 0)
    ff_builder_add_string (builder, "file_name", ref->file_name);
  if (format_version >= 2)
    {
      json_builder_set_member_name (builder, "hardware_versions");
      json_builder_begin_array (builder);
      for (guint i = 0; ref->hardware_versions != NULL && ref->hardware_versions[i] != NULL; i++)
        json_builder_add_string_value (builder, ref->hardware_versions[i]);
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
}

static void
add_item (JsonBuilder      *builder,
          int               format_version,
          const FfTaskItem *item)
{
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "device_id", item->device_id);
  ff_builder_add_string (builder, "name", item->name);
  ff_builder_add_position (builder, "position", item->latitude, item->longitude);
  json_builder_set_member_name (builder, "address");
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "host", item->host);
  ff_builder_add_int (builder, "port", item->port);
  ff_builder_add_int (builder, "common_address", item->common_address);
  json_builder_end_object (builder);
  ff_builder_add_string (builder, "profile", item->profile);
  ff_builder_add_string (builder, "vendor", item->vendor);
  ff_builder_add_string (builder, "model", item->model);
  ff_builder_add_string (builder, "hardware_version", item->hardware_version);
  ff_builder_add_string (builder, "expected_version", item->expected_version);
  add_firmware_ref (builder, "target", &item->target, format_version);
  add_firmware_ref (builder, "previous", item->previous, 0);
  if (item->delta != NULL)
    {
      json_builder_set_member_name (builder, "delta");
      json_builder_begin_object (builder);
      ff_builder_add_string (builder, "sha256", item->delta->sha256);
      ff_builder_add_int (builder, "size", item->delta->size);
      ff_builder_add_string (builder, "old_sha256", item->delta->old_sha256);
      json_builder_end_object (builder);
    }
  json_builder_end_object (builder);
}

GBytes *
ff_task_serialize (const FfTask *task)
{
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();

  json_builder_begin_object (builder);
  ff_builder_add_int (builder, "format_version", task->format_version);
  ff_builder_add_string (builder, "task_id", task->task_id);
  ff_builder_add_timestamp (builder, "issued_at", task->issued_at);
  ff_builder_add_timestamp (builder, "expires_at", task->expires_at);
  json_builder_set_member_name (builder, "technician");
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "phone", task->technician_phone);
  ff_builder_add_string (builder, "name", task->technician_name);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "tablets");
  json_builder_begin_array (builder);
  for (guint i = 0; i < task->tablets->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (task->tablets, i));
  json_builder_end_array (builder);
  if (ff_builder_begin_object_or_null (builder, "rollback", task->rollback))
    {
      ff_builder_add_string (builder, "reason", task->rollback_reason);
      json_builder_end_object (builder);
    }
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (guint i = 0; i < task->items->len; i++)
    add_item (builder, task->format_version, g_ptr_array_index (task->items, i));
  json_builder_end_array (builder);
  if (task->supervisors->len > 0)
    {
      json_builder_set_member_name (builder, "supervisors");
      json_builder_begin_array (builder);
      for (guint i = 0; i < task->supervisors->len; i++)
        {
          const FfSupervisor *supervisor = g_ptr_array_index (task->supervisors, i);

          json_builder_begin_object (builder);
          ff_builder_add_string (builder, "name", supervisor->name);
          ff_builder_add_string (builder, "pin_hash", supervisor->pin_hash);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
    }
  json_builder_end_object (builder);
  return ff_document_serialize (builder);
}

gboolean
ff_task_verify_signature (GBytes  *bytes,
                          GBytes  *signature,
                          FfKey   *platform_key,
                          GError **error)
{
  return ff_key_verify (platform_key, bytes, signature, error);
}

gboolean
ff_task_check_expiry (const FfTask *task,
                      gint64        now_unix_seconds,
                      GError      **error)
{
  if (now_unix_seconds < task->expires_at)
    return TRUE;
  g_autofree char *expiry = ff_timestamp_format (task->expires_at);
  g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_EXPIRED,
               _("Task %s expired at %s"), task->task_id, expiry);
  return FALSE;
}

FfTask *
ff_task_load_signed (GBytes  *bytes,
                     GBytes  *signature,
                     FfKey   *platform_key,
                     gint64   now_unix_seconds,
                     GError **error)
{
  g_autoptr(FfTask) task = NULL;

  if (!ff_task_verify_signature (bytes, signature, platform_key, error))
    return NULL;
  task = ff_task_parse (bytes, error);
  if (task == NULL || !ff_task_check_expiry (task, now_unix_seconds, error))
    return NULL;
  return g_steal_pointer (&task);
}

gboolean
ff_task_item_fits_hardware (const FfTaskItem *item,
                            const char       *hardware_version)
{
  return hardware_version != NULL && item->target.hardware_versions != NULL
         && g_strv_contains ((const char *const *) item->target.hardware_versions,
                             hardware_version);
}

FfTaskItem *
ff_task_find_item (const FfTask *task,
                   const char   *device_id)
{
  for (guint i = 0; i < task->items->len; i++)
    {
      FfTaskItem *item = g_ptr_array_index (task->items, i);

      if (g_strcmp0 (item->device_id, device_id) == 0)
        return item;
    }
  return NULL;
}

const FfSupervisor *
ff_task_find_supervisor (const FfTask *task,
                         const char   *name)
{
  for (guint i = 0; i < task->supervisors->len; i++)
    {
      const FfSupervisor *supervisor = g_ptr_array_index (task->supervisors, i);

      if (g_strcmp0 (supervisor->name, name) == 0)
        return supervisor;
    }
  return NULL;
}
