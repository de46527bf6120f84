/* The documents of networked terminals on MQTT: the signed envelope, the command the platform signs,
 * the result a terminal signs, and the versions object both carry (docs/formats.md). */
#include "config.h"

#include "ff-remote-doc.h"

#include "ff-document.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#define TOPIC_PREFIX "ff/v1/t/"
#define MAX_CAMPAIGN_ID_LENGTH 64
#define MAX_WAVE 1000000

G_DEFINE_QUARK (ff-remote-doc-error-quark, ff_remote_doc_error)

gboolean
ff_remote_device_id_is_valid (const char *device_id)
{
  return ff_name_is_safe (device_id) && strpbrk (device_id, "+#\"") == NULL;
}

gboolean
ff_remote_id_is_valid (const char *id)
{
  if (id == NULL || strlen (id) != FF_REMOTE_ID_HEX_LENGTH)
    return FALSE;
  for (const char *p = id; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

char *
ff_remote_id_new (void)
{
  return ff_random_hex (FF_REMOTE_ID_HEX_LENGTH / 2);
}

char *
ff_remote_topic (const char *device_id,
                 const char *suffix)
{
  return g_strconcat (TOPIC_PREFIX, device_id, "/", suffix, NULL);
}

char *
ff_remote_topic_device (const char *topic,
                        const char *suffix)
{
  const char *device = topic;
  const char *slash;

  if (!g_str_has_prefix (topic, TOPIC_PREFIX))
    return NULL;
  device = topic + strlen (TOPIC_PREFIX);
  slash = strchr (device, '/');
  if (slash == NULL || strcmp (slash + 1, suffix) != 0)
    return NULL;
  return g_strndup (device, slash - device);
}

/* ---- the envelope ---- */

static const char *const envelope_members[] = { "document", "signature", NULL };

static void
envelope_invalid (GError    **error,
                  const char *problem)
{
  g_set_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_INVALID,
               _("Not a signed envelope: %s"), problem);
}

GBytes *
ff_remote_envelope_seal (GBytes *document,
                         FfKey  *key,
                         GError **error)
{
  g_autoptr(GBytes) signature = ff_key_sign (key, document, error);
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *document_base64 = NULL;
  g_autofree char *signature_base64 = NULL;
  gsize length = 0;
  char *text;

  if (signature == NULL)
    return NULL;
  document_base64 = g_base64_encode (g_bytes_get_data (document, NULL),
                                     g_bytes_get_size (document));
  signature_base64 = g_base64_encode (g_bytes_get_data (signature, NULL),
                                      g_bytes_get_size (signature));
  json_builder_begin_object (builder);
  ff_builder_add_string (builder, "document", document_base64);
  ff_builder_add_string (builder, "signature", signature_base64);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  if (length > FF_REMOTE_ENVELOPE_MAX_SIZE)
    {
      g_free (text);
      g_set_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_INVALID,
                   _("The signed document would be larger than %d bytes"),
                   FF_REMOTE_ENVELOPE_MAX_SIZE);
      return NULL;
    }
  return g_bytes_new_take (text, length);
}

/* Decodes strict base64: g_base64_decode() skips what is not base64, so the text must be exactly
 * the encoding of what it decodes to. */
static GBytes *
decode_base64 (const char *text)
{
  gsize length = 0;
  g_autofree guchar *data = g_base64_decode (text, &length);
  g_autofree char *again = g_base64_encode (data, length);

  if (strcmp (again, text) != 0)
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&data), length);
}

GBytes *
ff_remote_envelope_unwrap (GBytes  *envelope,
                           GBytes **signature,
                           GError **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) document = NULL;
  JsonObject *root = NULL;
  const char *document_text, *signature_text;

  if (g_bytes_get_size (envelope) > FF_REMOTE_ENVELOPE_MAX_SIZE)
    {
      envelope_invalid (error, _("it is larger than 64 KiB"));
      return NULL;
    }
  parser = ff_document_parse_object (envelope, &root, &local_error);
  if (parser == NULL
      || !ff_document_check_members (root, "", envelope_members, &local_error)
      || (document_text = ff_document_get_string (root, "", "document", FALSE,
                                                  FF_REMOTE_ENVELOPE_MAX_SIZE, &local_error))
         == NULL
      || (signature_text = ff_document_get_string (root, "", "signature", FALSE, 128,
                                                   &local_error)) == NULL)
    {
      envelope_invalid (error, local_error->message);
      return NULL;
    }
  document = decode_base64 (document_text);
  *signature = decode_base64 (signature_text);
  if (document == NULL || *signature == NULL)
    {
      g_clear_pointer (signature, g_bytes_unref);
      envelope_invalid (error, _("the document or the signature is not base64"));
      return NULL;
    }
  return g_steal_pointer (&document);
}

/* Whether @signature over the unwrapped @document verifies with @key. */
static gboolean
verify_unwrapped (GBytes  *document,
                  GBytes  *signature,
                  FfKey   *key,
                  GError **error)
{
  g_autoptr(GError) local_error = NULL;

  if (ff_key_verify (key, document, signature, &local_error))
    return TRUE;
  g_set_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_SIGNATURE,
               _("The signature of the document does not verify: %s"), local_error->message);
  return FALSE;
}

GBytes *
ff_remote_envelope_open (GBytes  *envelope,
                         FfKey   *key,
                         GError **error)
{
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) document = ff_remote_envelope_unwrap (envelope, &signature, error);

  if (document == NULL || !verify_unwrapped (document, signature, key, error))
    return NULL;
  return g_steal_pointer (&document);
}

/* ---- members shared by the documents ---- */

/* Every member of @object must be in @required or @optional; the getters check the rest. */
static gboolean
check_known_members (JsonObject        *object,
                     const char        *where,
                     const char *const *required,
                     const char *const *optional,
                     GError           **error)
{
  g_autoptr(GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_strv_contains (required, l->data) && !g_strv_contains (optional, l->data))
      {
        ff_document_invalid (error, where, l->data, _("is not a member of this document"));
        return FALSE;
      }
  for (guint i = 0; required[i] != NULL; i++)
    if (!json_object_has_member (object, required[i]))
      {
        ff_document_invalid (error, where, required[i], _("is missing"));
        return FALSE;
      }
  return TRUE;
}

/* Whether a member that may be absent or null has a value. */
static gboolean
has_value (JsonObject *object,
           const char *member)
{
  return json_object_has_member (object, member) && !json_object_get_null_member (object, member);
}

static gboolean
get_id (JsonObject  *object,
        const char  *member,
        gboolean     nullable,
        char       **value,
        GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *id = ff_document_get_string (object, "", member, nullable, 64, &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (id != NULL && !ff_remote_id_is_valid (id))
    {
      ff_document_invalid (error, "", member, _("must be 32 lowercase hex digits"));
      return FALSE;
    }
  *value = g_strdup (id);
  return TRUE;
}

static gboolean
get_device_id (JsonObject *object,
               char      **value,
               GError    **error)
{
  const char *device_id = ff_document_get_name (object, "", "device_id", error);

  if (device_id == NULL)
    return FALSE;
  if (!ff_remote_device_id_is_valid (device_id))
    {
      ff_document_invalid (error, "", "device_id", _("must not contain “+” or “#”"));
      return FALSE;
    }
  *value = g_strdup (device_id);
  return TRUE;
}

static gboolean
get_campaign (JsonObject *object,
              char      **campaign_id,
              gint64     *wave,
              GError    **error)
{
  gboolean present;

  *wave = -1;
  present = has_value (object, "campaign_id");
  if (present)
    {
      const char *id = ff_document_get_name (object, "", "campaign_id", error);

      if (id == NULL)
        return FALSE;
      *campaign_id = g_strdup (id);
    }
  present = has_value (object, "wave");
  return !present || ff_document_get_int (object, "", "wave", 0, MAX_WAVE, wave, error);
}

static void
add_campaign (JsonBuilder *builder,
              const char  *campaign_id,
              gint64       wave)
{
  ff_builder_add_string (builder, "campaign_id", campaign_id);
  json_builder_set_member_name (builder, "wave");
  if (wave >= 0)
    json_builder_add_int_value (builder, wave);
  else
    json_builder_add_null_value (builder);
}

/* ---- versions ---- */

static const char *const version_kinds[] = { "kernel", "rootfs", "main-program", "updater", NULL };

static char **
versions_slot (FfRemoteVersions *versions,
               const char       *kind)
{
  if (strcmp (kind, "kernel") == 0)
    return &versions->kernel;
  if (strcmp (kind, "rootfs") == 0)
    return &versions->rootfs;
  if (strcmp (kind, "main-program") == 0)
    return &versions->main_program;
  if (strcmp (kind, "updater") == 0)
    return &versions->updater;
  return NULL;
}

void
ff_remote_versions_clear (FfRemoteVersions *versions)
{
  g_clear_pointer (&versions->kernel, g_free);
  g_clear_pointer (&versions->rootfs, g_free);
  g_clear_pointer (&versions->main_program, g_free);
  g_clear_pointer (&versions->updater, g_free);
}

void
ff_remote_versions_copy (FfRemoteVersions       *to,
                         const FfRemoteVersions *from)
{
  for (guint i = 0; version_kinds[i] != NULL; i++)
    ff_remote_versions_set (to, version_kinds[i], ff_remote_versions_get (from, version_kinds[i]));
}

const char *
ff_remote_versions_get (const FfRemoteVersions *versions,
                        const char             *kind)
{
  char **slot = versions_slot ((FfRemoteVersions *) versions, kind);

  return slot != NULL ? *slot : NULL;
}

void
ff_remote_versions_set (FfRemoteVersions *versions,
                        const char       *kind,
                        const char       *version)
{
  char **slot = versions_slot (versions, kind);

  g_return_if_fail (slot != NULL);
  g_free (*slot);
  *slot = g_strdup (version);
}

void
ff_remote_versions_add (JsonBuilder            *builder,
                        const char             *member,
                        const FfRemoteVersions *versions)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  for (guint i = 0; version_kinds[i] != NULL; i++)
    ff_builder_add_string (builder, version_kinds[i],
                           ff_remote_versions_get (versions, version_kinds[i]));
  json_builder_end_object (builder);
}

gboolean
ff_remote_versions_parse (JsonObject       *object,
                          const char       *where,
                          const char       *member,
                          FfRemoteVersions *versions,
                          GError          **error)
{
  g_autofree char *versions_where = *where == '\0' ? g_strdup (member)
                                                    : g_strconcat (where, ".", member, NULL);
  JsonObject *inner = NULL;

  if (!ff_document_get_object (object, where, member, FALSE, &inner, error)
      || !ff_document_check_members (inner, versions_where, version_kinds, error))
    return FALSE;
  for (guint i = 0; version_kinds[i] != NULL; i++)
    {
      g_autoptr(GError) local_error = NULL;
      const char *version = ff_document_get_version (inner, versions_where, version_kinds[i], TRUE,
                                                     &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      ff_remote_versions_set (versions, version_kinds[i], version);
    }
  return TRUE;
}

/* ---- the command ---- */

static const char *const command_kinds[] = { "upgrade", "rollback", "ack", NULL };
static const char *const command_required[] = {
  "format_version", "kind", "command_id", "device_id", "issued_at", "not_after", NULL
};
static const char *const command_optional[] = {
  "campaign_id", "wave", "package", "program", "result_id", NULL
};
static const char *const package_members[] = { "sha256", "size", "url", NULL };

const char *
ff_remote_command_kind_to_string (FfRemoteCommandKind kind)
{
  return command_kinds[kind];
}

FfRemoteCommand *
ff_remote_command_new (void)
{
  FfRemoteCommand *command = g_new0 (FfRemoteCommand, 1);

  command->wave = -1;
  return command;
}

void
ff_remote_command_free (FfRemoteCommand *command)
{
  if (command == NULL)
    return;
  g_free (command->command_id);
  g_free (command->device_id);
  g_free (command->campaign_id);
  g_free (command->package_sha256);
  g_free (command->package_url);
  g_free (command->program);
  g_free (command->result_id);
  g_free (command);
}

GBytes *
ff_remote_command_serialize (const FfRemoteCommand *command)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  ff_builder_add_int (builder, "format_version", 1);
  ff_builder_add_string (builder, "kind", ff_remote_command_kind_to_string (command->kind));
  ff_builder_add_string (builder, "command_id", command->command_id);
  ff_builder_add_string (builder, "device_id", command->device_id);
  ff_builder_add_timestamp (builder, "issued_at", command->issued_at);
  ff_builder_add_timestamp (builder, "not_after", command->not_after);
  add_campaign (builder, command->campaign_id, command->wave);
  if (command->package_sha256 != NULL)
    {
      json_builder_set_member_name (builder, "package");
      json_builder_begin_object (builder);
      ff_builder_add_string (builder, "sha256", command->package_sha256);
      ff_builder_add_int (builder, "size", command->package_size);
      ff_builder_add_string (builder, "url", command->package_url);
      json_builder_end_object (builder);
    }
  if (command->program != NULL)
    ff_builder_add_string (builder, "program", command->program);
  if (command->result_id != NULL)
    ff_builder_add_string (builder, "result_id", command->result_id);
  json_builder_end_object (builder);
  return ff_document_serialize (builder);
}

static gboolean
parse_package (JsonObject      *root,
               FfRemoteCommand *command,
               GError         **error)
{
  JsonObject *package = NULL;
  const char *sha256, *url;

  if (!ff_document_get_object (root, "", "package", FALSE, &package, error)
      || !ff_document_check_members (package, "package", package_members, error)
      || (sha256 = ff_document_get_sha256 (package, "package", "sha256", error)) == NULL
      || !ff_document_get_int (package, "package", "size", 1, G_MAXINT64, &command->package_size,
                               error)
      || (url = ff_document_get_string (package, "package", "url", FALSE,
                                        FF_REMOTE_URL_MAX_LENGTH, error)) == NULL)
    return FALSE;
  if (!g_str_has_prefix (url, "https://"))
    {
      ff_document_invalid (error, "package", "url", _("must be an https:// URL"));
      return FALSE;
    }
  command->package_sha256 = g_strdup (sha256);
  command->package_url = g_strdup (url);
  return TRUE;
}

/* Which of package, program and result_id each kind carries. */
static gboolean
check_command_shape (JsonObject      *root,
                     FfRemoteCommand *command,
                     GError         **error)
{
  gboolean has_package, has_program, has_result;

  has_package = has_value (root, "package");
  has_program = has_value (root, "program");
  has_result = has_value (root, "result_id");
  switch (command->kind)
    {
    case FF_REMOTE_COMMAND_UPGRADE:
      if (has_package && !has_program && !has_result)
        return TRUE;
      ff_document_invalid (error, "", "kind", _("an upgrade carries a package and nothing else"));
      return FALSE;
    case FF_REMOTE_COMMAND_ROLLBACK:
      if (has_package != has_program && !has_result)
        return TRUE;
      ff_document_invalid (error, "", "kind",
                           _("a rollback carries either a package or a program"));
      return FALSE;
    case FF_REMOTE_COMMAND_ACK:
    default:
      if (has_result && !has_package && !has_program)
        return TRUE;
      ff_document_invalid (error, "", "kind", _("an ack carries a result_id and nothing else"));
      return FALSE;
    }
}

static gboolean
parse_command (JsonObject      *root,
               FfRemoteCommand *command,
               GError         **error)
{
  gint64 format_version = 0;
  const char *kind;
  gboolean present;

  if (!check_known_members (root, "", command_required, command_optional, error)
      || !ff_document_get_int (root, "", "format_version", 1, 1, &format_version, error)
      || (kind = ff_document_get_string (root, "", "kind", FALSE, 16, error)) == NULL)
    return FALSE;
  if (!g_strv_contains (command_kinds, kind))
    {
      ff_document_invalid (error, "", "kind", _("must be upgrade, rollback or ack"));
      return FALSE;
    }
  for (guint i = 0; command_kinds[i] != NULL; i++)
    if (strcmp (command_kinds[i], kind) == 0)
      command->kind = i;
  if (!get_id (root, "command_id", FALSE, &command->command_id, error)
      || !get_device_id (root, &command->device_id, error)
      || !ff_document_get_timestamp (root, "", "issued_at", &command->issued_at, error)
      || !ff_document_get_timestamp (root, "", "not_after", &command->not_after, error)
      || !get_campaign (root, &command->campaign_id, &command->wave, error)
      || !check_command_shape (root, command, error))
    return FALSE;
  if (command->not_after < command->issued_at)
    {
      ff_document_invalid (error, "", "not_after", _("must not be before issued_at"));
      return FALSE;
    }
  present = has_value (root, "package");
  if (present && !parse_package (root, command, error))
    return FALSE;
  present = has_value (root, "program");
  if (present)
    {
      const char *program = ff_document_get_string (root, "", "program", FALSE, 16, error);

      if (program == NULL)
        return FALSE;
      if (strcmp (program, "main-program") != 0 && strcmp (program, "updater") != 0)
        {
          ff_document_invalid (error, "", "program", _("must be main-program or updater"));
          return FALSE;
        }
      command->program = g_strdup (program);
    }
  present = has_value (root, "result_id");
  return !present || get_id (root, "result_id", FALSE, &command->result_id, error);
}

FfRemoteCommand *
ff_remote_command_parse (GBytes  *document,
                         GError **error)
{
  g_autoptr(FfRemoteCommand) command = ff_remote_command_new ();
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *root = NULL;

  parser = ff_document_parse_object (document, &root, &local_error);
  if (parser == NULL || !parse_command (root, command, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "%s", _("The command is not valid: "));
      return NULL;
    }
  return g_steal_pointer (&command);
}

/* @command serialized, once the parser accepts what it serialized (else NULL): the serializer
 * writes whatever the command holds; the parser's rules then decide. */
static GBytes *
serialize_valid (const FfRemoteCommand *command,
                 GError               **error)
{
  g_autoptr(GBytes) document = NULL;
  g_autoptr(FfRemoteCommand) parsed = NULL;

  if (command->command_id == NULL || command->device_id == NULL
      || (command->package_sha256 != NULL && command->package_url == NULL))
    {
      g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID,
                   _("The command is not valid: %s"), _("a member is missing"));
      return NULL;
    }
  document = ff_remote_command_serialize (command);
  parsed = ff_remote_command_parse (document, error);
  return parsed != NULL ? g_steal_pointer (&document) : NULL;
}

gboolean
ff_remote_command_validate (const FfRemoteCommand *command,
                            GError               **error)
{
  g_autoptr(GBytes) document = serialize_valid (command, error);

  return document != NULL;
}

/* The document checked is the one signed: serialized once (a wave's start seals thousands). */
GBytes *
ff_remote_command_seal (const FfRemoteCommand *command,
                        FfKey                 *platform_key,
                        GError               **error)
{
  g_autoptr(GBytes) document = serialize_valid (command, error);

  if (document == NULL)
    return NULL;
  return ff_remote_envelope_seal (document, platform_key, error);
}

gboolean
ff_remote_command_check (const FfRemoteCommand *command,
                         const char            *device_id,
                         gint64                 now_unix_seconds,
                         GError               **error)
{
  if (g_strcmp0 (command->device_id, device_id) != 0)
    {
      g_set_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_WRONG_DEVICE,
                   _("The command is for the device %s, not %s"), command->device_id, device_id);
      return FALSE;
    }
  if (now_unix_seconds > command->not_after)
    {
      g_autofree char *not_after = ff_timestamp_format (command->not_after);

      g_set_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_EXPIRED,
                   _("The command expired at %s"), not_after);
      return FALSE;
    }
  return TRUE;
}

FfRemoteCommand *
ff_remote_command_load (GBytes     *envelope,
                        FfKey      *platform_key,
                        const char *device_id,
                        gint64      now_unix_seconds,
                        GError    **error)
{
  g_autoptr(GBytes) document = ff_remote_envelope_open (envelope, platform_key, error);
  g_autoptr(FfRemoteCommand) command = NULL;

  if (document == NULL)
    return NULL;
  command = ff_remote_command_parse (document, error);
  if (command == NULL || !ff_remote_command_check (command, device_id, now_unix_seconds, error))
    return NULL;
  return g_steal_pointer (&command);
}

/* ---- the result ---- */

static const char *const outcomes[] = {
  "succeeded", "failed", "rolled-back", "refused", "already-current", NULL
};
static const char *const steps[] = {
  "verify-command", "download", "verify-package", "backup", "write-slot", "set-boot", "recovery",
  "health-check", "install-program", "rollback", NULL
};
static const char *const result_required[] = {
  "format_version", "result_id", "command_id", "device_id", "outcome", "step", "reason",
  "versions", "finished_at", NULL
};
static const char *const result_optional[] = { "campaign_id", "wave", NULL };

const char *
ff_remote_outcome_to_string (FfRemoteOutcome outcome)
{
  return outcomes[outcome];
}

gboolean
ff_remote_outcome_from_string (const char      *text,
                               FfRemoteOutcome *outcome)
{
  for (guint i = 0; outcomes[i] != NULL; i++)
    if (g_strcmp0 (outcomes[i], text) == 0)
      {
        *outcome = i;
        return TRUE;
      }
  return FALSE;
}

gboolean
ff_remote_result_step_is_valid (const char *step)
{
  return step != NULL && g_strv_contains (steps, step);
}

FfRemoteResult *
ff_remote_result_new (void)
{
  FfRemoteResult *result = g_new0 (FfRemoteResult, 1);

  result->wave = -1;
  return result;
}

void
ff_remote_result_free (FfRemoteResult *result)
{
  if (result == NULL)
    return;
  g_free (result->result_id);
  g_free (result->command_id);
  g_free (result->device_id);
  g_free (result->step);
  g_free (result->reason);
  ff_remote_versions_clear (&result->versions);
  g_free (result->campaign_id);
  g_free (result);
}

GBytes *
ff_remote_result_serialize (const FfRemoteResult *result)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  ff_builder_add_int (builder, "format_version", 1);
  ff_builder_add_string (builder, "result_id", result->result_id);
  ff_builder_add_string (builder, "command_id", result->command_id);
  ff_builder_add_string (builder, "device_id", result->device_id);
  ff_builder_add_string (builder, "outcome", ff_remote_outcome_to_string (result->outcome));
  ff_builder_add_string (builder, "step", result->step);
  ff_builder_add_string (builder, "reason", result->reason);
  ff_remote_versions_add (builder, "versions", &result->versions);
  ff_builder_add_timestamp (builder, "finished_at", result->finished_at);
  add_campaign (builder, result->campaign_id, result->wave);
  json_builder_end_object (builder);
  return ff_document_serialize (builder);
}

static gboolean
parse_result (JsonObject     *root,
              FfRemoteResult *result,
              GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 format_version = 0;
  const char *outcome, *step, *reason;

  if (!check_known_members (root, "", result_required, result_optional, error)
      || !ff_document_get_int (root, "", "format_version", 1, 1, &format_version, error)
      || !get_id (root, "result_id", FALSE, &result->result_id, error)
      || !get_id (root, "command_id", TRUE, &result->command_id, error)
      || !get_device_id (root, &result->device_id, error)
      || (outcome = ff_document_get_string (root, "", "outcome", FALSE, 16, error)) == NULL
      || !ff_remote_versions_parse (root, "", "versions", &result->versions, error)
      || !ff_document_get_timestamp (root, "", "finished_at", &result->finished_at, error)
      || !get_campaign (root, &result->campaign_id, &result->wave, error))
    return FALSE;
  if (!ff_remote_outcome_from_string (outcome, &result->outcome))
    {
      ff_document_invalid (error, "", "outcome",
                           _("must be succeeded, failed, rolled-back, refused or already-current"));
      return FALSE;
    }
  step = ff_document_get_string (root, "", "step", TRUE, 32, &local_error);
  if (local_error == NULL && step != NULL && !ff_remote_result_step_is_valid (step))
    ff_document_invalid (&local_error, "", "step", _("is not a step of the agent"));
  if (local_error == NULL)
    reason = ff_document_get_string (root, "", "reason", TRUE, FF_REMOTE_REASON_MAX_LENGTH,
                                     &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  result->step = g_strdup (step);
  result->reason = g_strdup (reason);
  return TRUE;
}

FfRemoteResult *
ff_remote_result_parse (GBytes  *document,
                        GError **error)
{
  g_autoptr(FfRemoteResult) result = ff_remote_result_new ();
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *root = NULL;

  parser = ff_document_parse_object (document, &root, &local_error);
  if (parser == NULL || !parse_result (root, result, &local_error))
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                  "%s", _("The result is not valid: "));
      return NULL;
    }
  return g_steal_pointer (&result);
}

/* @result serialized, once the parser accepts what it serialized (else NULL). */
static GBytes *
serialize_valid_result (const FfRemoteResult *result,
                        GError              **error)
{
  g_autoptr(GBytes) document = NULL;
  g_autoptr(FfRemoteResult) parsed = NULL;

  if (result->result_id == NULL || result->device_id == NULL)
    {
      g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID,
                   _("The result is not valid: %s"), _("a member is missing"));
      return NULL;
    }
  document = ff_remote_result_serialize (result);
  parsed = ff_remote_result_parse (document, error);
  return parsed != NULL ? g_steal_pointer (&document) : NULL;
}

gboolean
ff_remote_result_validate (const FfRemoteResult *result,
                           GError              **error)
{
  g_autoptr(GBytes) document = serialize_valid_result (result, error);

  return document != NULL;
}

/* The document checked is the one signed, as for a command. */
GBytes *
ff_remote_result_seal (const FfRemoteResult *result,
                       FfKey                *terminal_key,
                       GError              **error)
{
  g_autoptr(GBytes) document = serialize_valid_result (result, error);

  if (document == NULL)
    return NULL;
  return ff_remote_envelope_seal (document, terminal_key, error);
}

FfRemoteResult *
ff_remote_result_load (GBytes     *envelope,
                       FfKey      *terminal_key,
                       const char *device_id,
                       GError    **error)
{
  g_autoptr(GBytes) signature = NULL;
  g_autoptr(GBytes) document = ff_remote_envelope_unwrap (envelope, &signature, error);

  if (document == NULL)
    return NULL;
  return ff_remote_result_load_parsed (document, signature,
                                       ff_remote_result_parse (document, NULL), terminal_key,
                                       device_id, error);
}

FfRemoteResult *
ff_remote_result_load_parsed (GBytes         *document,
                              GBytes         *signature,
                              FfRemoteResult *parsed,
                              FfKey          *terminal_key,
                              const char     *device_id,
                              GError        **error)
{
  g_autoptr(FfRemoteResult) result = parsed;

  if (!verify_unwrapped (document, signature, terminal_key, error))
    return NULL;
  if (result == NULL)
    {
      /* Signed but not a result: parsed again only to say why (a terminal's bug, not traffic). */
      g_autoptr(FfRemoteResult) again = ff_remote_result_parse (document, error);

      return NULL;
    }
  if (strcmp (result->device_id, device_id) != 0)
    {
      g_set_error (error, FF_REMOTE_DOC_ERROR, FF_REMOTE_DOC_ERROR_WRONG_DEVICE,
                   _("The result is from the device %s, not %s"), result->device_id, device_id);
      return NULL;
    }
  return g_steal_pointer (&result);
}
