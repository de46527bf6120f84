/* data/state.json: the agent's persisted state machine record (see ff-agent-state.h). */
#include "config.h"

#include "ff-agent-state.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ff-agent-fault.h"
#include "ff-document.h"

static const char *const state_names[FF_AGENT_N_STATES] = {
  "idle", "downloading", "verifying", "backing-up", "writing-slot", "setting-boot", "rebooting",
  "recovery-verifying", "recovery-writing", "recovery-restoring", "recovery-done", "health-check",
  "installing-program", "restoring-backup", "reporting",
};

const char *
ff_agent_state_name_to_string (FfAgentStateName state)
{
  return state_names[state];
}

static GHashTable *
new_string_table (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

FfAgentState *
ff_agent_state_new (void)
{
  FfAgentState *state = g_new0 (FfAgentState, 1);

  state->wave = -1;
  state->target_versions = new_string_table ();
  state->target_sha256 = new_string_table ();
  state->backup_sha256 = new_string_table ();
  state->executed = g_ptr_array_new_with_free_func (g_free);
  return state;
}

static void
clear_command (FfAgentState *state)
{
  g_clear_pointer (&state->command_id, g_free);
  g_clear_pointer (&state->command_kind, g_free);
  g_clear_pointer (&state->campaign_id, g_free);
  state->wave = -1;
  g_clear_pointer (&state->package_sha256, g_free);
  state->package_size = 0;
  g_clear_pointer (&state->package_url, g_free);
  state->allow_downgrade = FALSE;
  g_clear_pointer (&state->rollback_program, g_free);
  g_hash_table_remove_all (state->target_versions);
  g_hash_table_remove_all (state->target_sha256);
  g_hash_table_remove_all (state->backup_sha256);
  state->target_slot = state->previous_slot = '\0';
  state->falling_back = FALSE;
  g_clear_pointer (&state->result_id, g_free);
  g_clear_pointer (&state->outcome, g_free);
  g_clear_pointer (&state->step, g_free);
  g_clear_pointer (&state->reason, g_free);
}

void
ff_agent_state_free (FfAgentState *state)
{
  if (state == NULL)
    return;
  clear_command (state);
  g_hash_table_unref (state->target_versions);
  g_hash_table_unref (state->target_sha256);
  g_hash_table_unref (state->backup_sha256);
  g_ptr_array_unref (state->executed);
  g_free (state);
}

void
ff_agent_state_remember_executed (FfAgentState *state, const char *command_id)
{
  g_ptr_array_add (state->executed, g_strdup (command_id));
  if (state->executed->len > FF_AGENT_EXECUTED_MAX)
    g_ptr_array_remove_range (state->executed, 0, state->executed->len - FF_AGENT_EXECUTED_MAX);
}

void
ff_agent_state_finish_command (FfAgentState *state)
{
  if (state->command_id != NULL)
    ff_agent_state_remember_executed (state, state->command_id);
  clear_command (state);
}

gboolean
ff_agent_state_was_executed (FfAgentState *state, const char *command_id)
{
  for (guint i = 0; i < state->executed->len; i++)
    if (g_str_equal (g_ptr_array_index (state->executed, i), command_id))
      return TRUE;
  return g_strcmp0 (state->command_id, command_id) == 0;
}

void
ff_agent_state_set_outcome (FfAgentState *state, const char *outcome, const char *step,
                            const char *reason)
{
  g_free (state->outcome);
  g_free (state->step);
  g_free (state->reason);
  state->outcome = g_strdup (outcome);
  state->step = g_strdup (step);
  state->reason = g_strdup (reason);
}

static void
add_nullable (JsonBuilder *builder, const char *member, const char *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

static void
add_table (JsonBuilder *builder, const char *member, GHashTable *table)
{
  GHashTableIter iter;
  gpointer key, value;

  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  g_hash_table_iter_init (&iter, table);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      json_builder_set_member_name (builder, key);
      json_builder_add_string_value (builder, value);
    }
  json_builder_end_object (builder);
}

static GBytes *
serialize (FfAgentState *state)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  char slot[2] = { 0, 0 };

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format_version");
  json_builder_add_int_value (builder, 1);
  add_nullable (builder, "state", state_names[state->state]);
  add_nullable (builder, "command_id", state->command_id);
  add_nullable (builder, "command_kind", state->command_kind);
  add_nullable (builder, "campaign_id", state->campaign_id);
  json_builder_set_member_name (builder, "wave");
  json_builder_add_int_value (builder, state->wave);
  add_nullable (builder, "package_sha256", state->package_sha256);
  json_builder_set_member_name (builder, "package_size");
  json_builder_add_int_value (builder, state->package_size);
  add_nullable (builder, "package_url", state->package_url);
  json_builder_set_member_name (builder, "allow_downgrade");
  json_builder_add_boolean_value (builder, state->allow_downgrade);
  add_nullable (builder, "rollback_program", state->rollback_program);
  add_table (builder, "target_versions", state->target_versions);
  add_table (builder, "target_sha256", state->target_sha256);
  add_table (builder, "backup_sha256", state->backup_sha256);
  slot[0] = state->target_slot;
  add_nullable (builder, "target_slot", slot[0] != '\0' ? slot : NULL);
  slot[0] = state->previous_slot;
  add_nullable (builder, "previous_slot", slot[0] != '\0' ? slot : NULL);
  json_builder_set_member_name (builder, "falling_back");
  json_builder_add_boolean_value (builder, state->falling_back);
  add_nullable (builder, "result_id", state->result_id);
  add_nullable (builder, "outcome", state->outcome);
  add_nullable (builder, "step", state->step);
  add_nullable (builder, "reason", state->reason);
  json_builder_set_member_name (builder, "executed");
  json_builder_begin_array (builder);
  for (guint i = 0; i < state->executed->len; i++)
    json_builder_add_string_value (builder, g_ptr_array_index (state->executed, i));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return ff_document_serialize (builder);
}

gboolean
ff_agent_state_save (FfAgentState *state, const char *path, GError **error)
{
  g_autoptr(GBytes) bytes = serialize (state);
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  return g_file_set_contents_full (path, data, length,
                                   G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
                                   0600, error);
}

gboolean
ff_agent_state_enter (FfAgentState *state, const char *path, FfAgentStateName name,
                      GError **error)
{
  state->state = name;
  if (!ff_agent_state_save (state, path, error))
    return FALSE;
  g_debug ("state %s", state_names[name]);
  ff_agent_fault_after_state (state_names[name]);
  return TRUE;
}

static char *
dup_member (JsonObject *object, const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || JSON_NODE_TYPE (node) != JSON_NODE_VALUE
      || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return g_strdup (json_node_get_string (node));
}

static void
load_table (JsonObject *object, const char *member, GHashTable *table)
{
  JsonNode *node = json_object_get_member (object, member);
  JsonObject *members;
  g_autoptr(GList) names = NULL;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  members = json_node_get_object (node);
  names = json_object_get_members (members);
  for (GList *l = names; l != NULL; l = l->next)
    {
      char *value = dup_member (members, l->data);

      if (value != NULL)
        g_hash_table_insert (table, g_strdup (l->data), value);
    }
}

FfAgentState *
ff_agent_state_load (const char *path, GError **error)
{
  g_autoptr(FfAgentState) state = ff_agent_state_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = NULL;
  g_autofree char *name = NULL;
  g_autofree char *slot = NULL;
  JsonObject *root;
  JsonArray *executed;
  guint i;

  if (!g_file_get_contents (path, &contents, &length, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return g_steal_pointer (&state);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  parser = ff_document_parse_object (bytes, &root, error);
  if (parser == NULL)
    return NULL;
  name = dup_member (root, "state");
  for (i = 0; i < FF_AGENT_N_STATES; i++)
    if (g_strcmp0 (name, state_names[i]) == 0)
      break;
  if (i == FF_AGENT_N_STATES)
    {
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_IO,
                   _("%s: unknown state “%s”"), path, name != NULL ? name : "");
      return NULL;
    }
  state->state = i;
  state->command_id = dup_member (root, "command_id");
  state->command_kind = dup_member (root, "command_kind");
  state->campaign_id = dup_member (root, "campaign_id");
  state->wave = json_object_get_int_member_with_default (root, "wave", -1);
  state->package_sha256 = dup_member (root, "package_sha256");
  state->package_size = json_object_get_int_member_with_default (root, "package_size", 0);
  state->package_url = dup_member (root, "package_url");
  state->allow_downgrade = json_object_get_boolean_member_with_default (root, "allow_downgrade",
                                                                        FALSE);
  state->rollback_program = dup_member (root, "rollback_program");
  load_table (root, "target_versions", state->target_versions);
  load_table (root, "target_sha256", state->target_sha256);
  load_table (root, "backup_sha256", state->backup_sha256);
  slot = dup_member (root, "target_slot");
  state->target_slot = slot != NULL ? slot[0] : '\0';
  g_clear_pointer (&slot, g_free);
  slot = dup_member (root, "previous_slot");
  state->previous_slot = slot != NULL ? slot[0] : '\0';
  state->falling_back = json_object_get_boolean_member_with_default (root, "falling_back", FALSE);
  state->result_id = dup_member (root, "result_id");
  state->outcome = dup_member (root, "outcome");
  state->step = dup_member (root, "step");
  state->reason = dup_member (root, "reason");
  executed = json_object_has_member (root, "executed")
             ? json_object_get_array_member (root, "executed") : NULL;
  for (i = 0; executed != NULL && i < json_array_get_length (executed); i++)
    {
      const char *id = json_array_get_string_element (executed, i);

      if (id != NULL)
        g_ptr_array_add (state->executed, g_strdup (id));
    }
  return g_steal_pointer (&state);
}
