/* data/state.json: the agent's persisted state machine record (see ff-agent-state.h). */
#include "config.h"

#include "ff-agent-state.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "ff-agent-fault.h"
#include "ff-document.h"
#include "ff-files.h"
#include "ff-remote-doc.h"

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
  json_builder_add_int_value (builder, FF_AGENT_STATE_FORMAT_VERSION);
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

  return ff_file_replace (path, data, length, 0600, error);
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

/* The JSON kinds of the record's members, as serialize() writes them. */
typedef enum
{
  MEMBER_TEXT,                 /* a string or null */
  MEMBER_INT,
  MEMBER_BOOL,
  MEMBER_TABLE,                /* an object of strings */
  MEMBER_LIST,                 /* an array of strings */
} MemberKind;

static const struct
{
  const char *name;
  MemberKind kind;
} record_members[] = {
  { "format_version", MEMBER_INT }, { "state", MEMBER_TEXT }, { "command_id", MEMBER_TEXT },
  { "command_kind", MEMBER_TEXT }, { "campaign_id", MEMBER_TEXT }, { "wave", MEMBER_INT },
  { "package_sha256", MEMBER_TEXT }, { "package_size", MEMBER_INT },
  { "package_url", MEMBER_TEXT }, { "allow_downgrade", MEMBER_BOOL },
  { "rollback_program", MEMBER_TEXT }, { "target_versions", MEMBER_TABLE },
  { "target_sha256", MEMBER_TABLE }, { "backup_sha256", MEMBER_TABLE },
  { "target_slot", MEMBER_TEXT }, { "previous_slot", MEMBER_TEXT },
  { "falling_back", MEMBER_BOOL }, { "result_id", MEMBER_TEXT }, { "outcome", MEMBER_TEXT },
  { "step", MEMBER_TEXT }, { "reason", MEMBER_TEXT }, { "executed", MEMBER_LIST },
};

static gboolean
is_value_of (JsonNode *node, GType type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type;
}

static gboolean
strings_only (JsonNode *node)
{
  g_autoptr(GList) values = NULL;

  if (JSON_NODE_HOLDS_OBJECT (node))
    values = json_object_get_values (json_node_get_object (node));
  else
    values = json_array_get_elements (json_node_get_array (node));
  for (GList *l = values; l != NULL; l = l->next)
    if (!is_value_of (l->data, G_TYPE_STRING))
      return FALSE;
  return TRUE;
}

static gboolean
member_is (JsonNode *node, MemberKind kind)
{
  switch (kind)
    {
    case MEMBER_TEXT:
      return JSON_NODE_HOLDS_NULL (node) || is_value_of (node, G_TYPE_STRING);
    case MEMBER_INT:
      return is_value_of (node, G_TYPE_INT64);
    case MEMBER_BOOL:
      return is_value_of (node, G_TYPE_BOOLEAN);
    case MEMBER_TABLE:
      return JSON_NODE_HOLDS_OBJECT (node) && strings_only (node);
    case MEMBER_LIST:
      return JSON_NODE_HOLDS_ARRAY (node) && strings_only (node);
    default:
      g_assert_not_reached ();
    }
}

/* A record this agent wrote: its format_version, no member it does not know, each of the kind it
 * writes, a state it knows. A member may be missing (a record of an older agent). Anything else
 * was damaged or written by a newer agent: reading on from it would guess. */
static gboolean
check_record (JsonObject *root, GError **error)
{
  g_autoptr(GList) present = json_object_get_members (root);
  JsonNode *version = json_object_get_member (root, "format_version");
  const char *name;
  guint i;

  if (version == NULL || !is_value_of (version, G_TYPE_INT64)
      || json_node_get_int (version) != FF_AGENT_STATE_FORMAT_VERSION)
    {
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_DAMAGED,
                   _("its format_version is not %d"), FF_AGENT_STATE_FORMAT_VERSION);
      return FALSE;
    }
  for (GList *l = present; l != NULL; l = l->next)
    {
      for (i = 0; i < G_N_ELEMENTS (record_members); i++)
        if (g_str_equal (l->data, record_members[i].name))
          break;
      if (i == G_N_ELEMENTS (record_members))
        {
          g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_DAMAGED,
                       _("unknown member “%s”"), (const char *) l->data);
          return FALSE;
        }
      if (!member_is (json_object_get_member (root, l->data), record_members[i].kind))
        {
          g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_DAMAGED,
                       _("the member “%s” is not of its kind"), (const char *) l->data);
          return FALSE;
        }
    }
  name = ff_document_peek_string (root, "state", "");
  for (i = 0; i < FF_AGENT_N_STATES; i++)
    if (g_str_equal (name, state_names[i]))
      return TRUE;
  g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_DAMAGED, _("unknown state “%s”"), name);
  return FALSE;
}

/* The command a record that failed check_record() still names, for its result; NULL when it names
 * none that could be reported. */
static FfAgentState *
salvage_command (JsonObject *root)
{
  const char *command_id = ff_document_peek_string (root, "command_id", NULL);
  const char *campaign_id = ff_document_peek_string (root, "campaign_id", NULL);
  JsonNode *wave = json_object_get_member (root, "wave");
  FfAgentState *state;

  if (command_id == NULL || !ff_remote_id_is_valid (command_id))
    return NULL;
  state = ff_agent_state_new ();
  state->command_id = g_strdup (command_id);
  state->command_kind = g_strdup (ff_document_peek_string (root, "command_kind", NULL));
  if (campaign_id != NULL && ff_remote_id_is_valid (campaign_id))
    state->campaign_id = g_strdup (campaign_id);
  if (state->campaign_id != NULL && wave != NULL && is_value_of (wave, G_TYPE_INT64))
    state->wave = json_node_get_int (wave);
  return state;
}

/* ff_agent_state_load(); for a damaged record, *@salvaged (when not NULL) is what salvage_command()
 * finds in it. */
static FfAgentState *
load (const char *path, FfAgentState **salvaged, GError **error)
{
  g_autoptr(FfAgentState) state = ff_agent_state_new ();
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize length;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(JsonParser) parser = NULL;
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
  parser = ff_document_parse_object (bytes, &root, &local_error);
  if (parser != NULL && !check_record (root, &local_error) && salvaged != NULL)
    *salvaged = salvage_command (root);
  if (local_error != NULL)
    {
      g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_DAMAGED, "%s: %s", path,
                   local_error->message);
      return NULL;
    }
  for (i = 0; i < FF_AGENT_N_STATES; i++)
    if (g_str_equal (ff_document_peek_string (root, "state", ""), state_names[i]))
      break;
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

FfAgentState *
ff_agent_state_load (const char *path, GError **error)
{
  return load (path, NULL, error);
}

/* Renames the damaged record to PATH.damaged-TIME (a free name) and waits until the rename is on
 * disk, so that it is not read again after a power cut. */
static gboolean
put_aside (const char *path, GError **error)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%dT%H%M%SZ");
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *aside = NULL;

  for (guint n = 0; aside == NULL || g_file_test (aside, G_FILE_TEST_EXISTS); n++)
    {
      g_free (aside);
      aside = n == 0 ? g_strdup_printf ("%s.damaged-%s", path, stamp)
                     : g_strdup_printf ("%s.damaged-%s.%u", path, stamp, n);
    }
  if (g_rename (path, aside) != 0)
    {
      int saved = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "%s: %s", path,
                   g_strerror (saved));
      return FALSE;
    }
  g_message ("%s kept as %s", path, aside);
  return ff_fsync_directory (dir, error);
}

FfAgentState *
ff_agent_state_load_or_reset (const char *path, char **reset_reason, GError **error)
{
  g_autoptr(GError) damage = NULL;
  g_autoptr(FfAgentState) salvaged = NULL;
  FfAgentState *state = load (path, &salvaged, &damage);

  *reset_reason = NULL;
  if (state != NULL)
    return state;
  if (!g_error_matches (damage, FF_AGENT_ERROR, FF_AGENT_ERROR_DAMAGED))
    {
      g_propagate_error (error, g_steal_pointer (&damage));
      return NULL;
    }
  if (!put_aside (path, error))
    return NULL;
  *reset_reason = g_strdup_printf (_("The agent's state record could not be read (%s); the "
                                     "agent started again from the idle state."),
                                   damage->message);
  g_message ("%s", *reset_reason);
  state = salvaged != NULL ? g_steal_pointer (&salvaged) : ff_agent_state_new ();
  if (state->command_id != NULL)
    {
      /* The command cannot go on without its record: it is reported failed. */
      state->state = FF_AGENT_STATE_REPORTING;
      ff_agent_state_set_outcome (state, "failed", NULL, *reset_reason);
    }
  if (!ff_agent_state_save (state, path, error))
    {
      g_clear_pointer (reset_reason, g_free);
      ff_agent_state_free (state);
      return NULL;
    }
  return state;
}
