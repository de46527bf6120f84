/* The JSON of each record, as the CLI's --json prints it and the console's API answers it (one
 * member list for both, so that a script can read what the console shows). */
#include "config.h"

#include "ff-platform-json.h"

#include "ff-document.h"

static void
add_delta (JsonBuilder           *builder,
           const FfFirmwareDelta *delta)
{
  json_builder_begin_object (builder);
  if (delta->from_version != NULL)
    ff_builder_add_string (builder, "from_version", delta->from_version);
  ff_builder_add_string (builder, "from_sha256", delta->from_sha256);
  ff_builder_add_string (builder, "to_sha256", delta->to_sha256);
  ff_builder_add_string (builder, "sha256", delta->sha256);
  ff_builder_add_int (builder, "size", delta->size);
  ff_builder_add_timestamp (builder, "made_at", delta->made_at);
  json_builder_end_object (builder);
}

void
ff_json_add_firmware (JsonBuilder   *builder,
                      gconstpointer  data)
{
  const FfFirmwareRow *row = data;
  const FfFirmware *fw = row->firmware;
  g_autofree char *hardware = g_strjoinv (",", fw->hardware_versions);

  ff_builder_add_string (builder, "vendor", fw->vendor);
  ff_builder_add_string (builder, "model", fw->model);
  ff_builder_add_string (builder, "version", fw->version);
  ff_builder_add_string (builder, "sha256", fw->sha256);
  ff_builder_add_int (builder, "size", fw->size);
  ff_builder_add_string (builder, "hardware_versions", hardware);
  ff_builder_add_string (builder, "notes", fw->notes);
  ff_builder_add_boolean (builder, "withdrawn", fw->withdrawn_at != 0);
  json_builder_set_member_name (builder, "deltas");
  json_builder_begin_array (builder);
  for (guint i = 0; i < row->deltas->len; i++)
    add_delta (builder, g_ptr_array_index (row->deltas, i));
  json_builder_end_array (builder);
}

void
ff_json_add_terminal (JsonBuilder   *builder,
                      gconstpointer  row)
{
  const FfTerminal *t = row;

  ff_builder_add_string (builder, "device_id", t->device_id);
  ff_builder_add_string (builder, "name", t->name);
  ff_builder_add_double (builder, "latitude", t->latitude);
  ff_builder_add_double (builder, "longitude", t->longitude);
  ff_builder_add_string (builder, "vendor", t->vendor);
  ff_builder_add_string (builder, "model", t->model);
  ff_builder_add_string (builder, "hardware_version", t->hardware_version);
  ff_builder_add_string (builder, "software_version", t->software_version);
  ff_builder_add_string (builder, "software_checksum", t->software_checksum);
  ff_builder_add_string (builder, "host", t->host);
  ff_builder_add_int (builder, "port", t->port);
  ff_builder_add_int (builder, "common_address", t->common_address);
  ff_builder_add_string (builder, "profile", t->profile);
}

void
ff_json_add_blacklist_entry (JsonBuilder   *builder,
                             gconstpointer  row)
{
  const FfBlacklistEntry *entry = row;

  ff_builder_add_string (builder, "device_id", entry->device_id);
  ff_builder_add_string (builder, "vendor", entry->vendor);
  ff_builder_add_string (builder, "model", entry->model);
  ff_builder_add_string (builder, "version", entry->version);
  ff_builder_add_timestamp (builder, "added_at", entry->added_at);
}

void
ff_json_add_handheld (JsonBuilder   *builder,
                      gconstpointer  row)
{
  const FfHandheld *h = row;

  ff_builder_add_string (builder, "serial", h->serial);
  ff_builder_add_string (builder, "state", h->state);
  ff_builder_add_string (builder, "task_id", h->task_id);
}

void
ff_json_add_task (JsonBuilder   *builder,
                  gconstpointer  row)
{
  const FfTaskRecord *task = row;

  ff_builder_add_string (builder, "task_id", task->task_id);
  ff_builder_add_string (builder, "technician", task->phone);
  ff_builder_add_timestamp (builder, "issued_at", task->issued_at);
  ff_builder_add_timestamp (builder, "expires_at", task->expires_at);
  ff_builder_add_string (builder, "state", task->state);
  ff_builder_add_string (builder, "rollback_reason", task->rollback_reason);
  ff_builder_add_int (builder, "items", task->items);
  ff_builder_add_int (builder, "items_closed", task->items_closed);
  ff_builder_add_string (builder, "dispatch_message", task->dispatch_message);
}

void
ff_json_add_report (JsonBuilder   *builder,
                    gconstpointer  row)
{
  const FfReportRecord *r = row;

  ff_builder_add_string (builder, "report_id", r->report_id);
  ff_builder_add_string (builder, "task_id", r->task_id);
  ff_builder_add_string (builder, "device_id", r->device_id);
  ff_builder_add_string (builder, "tablet_serial", r->tablet_serial);
  ff_builder_add_string (builder, "outcome", r->outcome);
  ff_builder_add_timestamp (builder, "created_at", r->created_at);
  ff_builder_add_timestamp (builder, "received_at", r->received_at);
}

void
ff_json_add_history (JsonBuilder   *builder,
                     gconstpointer  row)
{
  const FfHistoryEntry *h = row;

  ff_builder_add_timestamp (builder, "changed_at", h->changed_at);
  ff_builder_add_string (builder, "from", h->from_version);
  ff_builder_add_string (builder, "to", h->to_version);
  ff_builder_add_string (builder, "checksum", h->to_checksum);
  ff_builder_add_string (builder, "source", h->source);
  ff_builder_add_string (builder, "report_id", h->report_id);
}

void
ff_json_add_supervisor (JsonBuilder   *builder,
                        gconstpointer  row)
{
  const FfSupervisorRecord *supervisor = row;

  ff_builder_add_string (builder, "name", supervisor->name);
  ff_builder_add_timestamp (builder, "added_at", supervisor->added_at);
  json_builder_set_member_name (builder, "enabled");
  json_builder_add_boolean_value (builder, supervisor->disabled_at == 0);
}

void
ff_json_add_operator (JsonBuilder   *builder,
                      gconstpointer  row)
{
  const FfOperator *op = row;

  ff_builder_add_string (builder, "name", op->name);
  ff_builder_add_string (builder, "role", op->role);
  ff_builder_add_timestamp (builder, "added_at", op->added_at);
  ff_builder_add_boolean (builder, "enabled", op->disabled_at == 0);
}

void
ff_json_add_technician (JsonBuilder   *builder,
                        gconstpointer  row)
{
  const FfTechnician *technician = row;

  ff_builder_add_string (builder, "phone", technician->phone);
  ff_builder_add_string (builder, "name", technician->name);
}
