/* What the HTTPS API does for networked terminals' agents (docs/api.md, "Agent endpoints"):
 * FF-Terminal signature authentication, package downloads, the scheduled version query. The
 * server (ff-platform-server-routes.c) routes to these and answers. */
#include "config.h"

#include "ff-platform-agent-routes.h"

#include "ff-document.h"
#include "ff-platform-mqtt-setup.h"
#include "ff-platform-remote.h"

#include <glib/gi18n-lib.h>

static void
unauthorized (GError    **error,
              const char *message)
{
  g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_UNAUTHORIZED, message);
}

/* The parameters of `FF-Terminal a="…", b="…"`: NULL when the header is not of that form. */
static GHashTable *
parse_authorization (const char *header)
{
  g_autoptr(GHashTable) parameters = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                            g_free);
  const char *p;

  if (header == NULL || !g_str_has_prefix (header, "FF-Terminal "))
    return NULL;
  p = header + strlen ("FF-Terminal ");
  while (*p != '\0')
    {
      const char *equals, *end;
      g_autofree char *name = NULL;

      while (*p == ' ' || *p == ',')
        p++;
      if (*p == '\0')
        break;
      equals = strchr (p, '=');
      if (equals == NULL || equals[1] != '"' || (end = strchr (equals + 2, '"')) == NULL)
        return NULL;
      name = g_strndup (p, equals - p);
      if (g_hash_table_contains (parameters, name))
        return NULL;
      g_hash_table_insert (parameters, g_steal_pointer (&name),
                           g_strndup (equals + 2, end - equals - 2));
      p = end + 1;
    }
  return g_steal_pointer (&parameters);
}

char *
ff_agent_authenticate (FfPlatformDb *db,
                       const char   *method,
                       const char   *path,
                       const char   *authorization,
                       GBytes       *body,
                       gint64        now,
                       GError      **error)
{
  g_autoptr(GHashTable) parameters = parse_authorization (authorization);
  g_autoptr(FfKey) key = NULL;
  g_autoptr(GBytes) signed_bytes = NULL;
  g_autoptr(GBytes) signature = NULL;
  g_autofree char *body_sha256 = NULL;
  g_autofree char *signed_text = NULL;
  g_autofree guchar *signature_data = NULL;
  const char *device_id, *time_text, *signature_text;
  gsize signature_length = 0;
  gint64 time;

  if (parameters == NULL
      || (device_id = g_hash_table_lookup (parameters, "device")) == NULL
      || (time_text = g_hash_table_lookup (parameters, "time")) == NULL
      || (signature_text = g_hash_table_lookup (parameters, "signature")) == NULL
      || !g_ascii_string_to_signed (time_text, 10, 0, G_MAXINT64, &time, NULL)
      || !ff_remote_device_id_is_valid (device_id))
    {
      unauthorized (error, _("The request needs an FF-Terminal authorization"));
      return NULL;
    }
  if (ABS (now - time) > FF_AGENT_CLOCK_SKEW_SECONDS)
    {
      unauthorized (error, _("The request's time is more than 300 s off the platform's clock"));
      return NULL;
    }
  key = ff_platform_remote_terminal_key (db, device_id, NULL);
  if (key == NULL)
    {
      unauthorized (error, _("The terminal has no credentials"));
      return NULL;
    }
  body_sha256 = body != NULL ? ff_sha256_hex (g_bytes_get_data (body, NULL), g_bytes_get_size (body))
                             : ff_sha256_hex ("", 0);
  signed_text = g_strdup_printf ("%s\n%s\n%s\n%s", method, path, time_text, body_sha256);
  signed_bytes = g_bytes_new (signed_text, strlen (signed_text));
  signature_data = g_base64_decode (signature_text, &signature_length);
  signature = g_bytes_new (signature_data, signature_length);
  if (!ff_key_verify (key, signed_bytes, signature, NULL))
    {
      unauthorized (error, _("The request's signature does not verify with the terminal's key"));
      return NULL;
    }
  return g_strdup (device_id);
}

gboolean
ff_agent_check_package (FfPlatformDb *db,
                        const char   *device_id,
                        const char   *sha256,
                        GError      **error)
{
  gboolean commanded = FALSE;

  if (!ff_platform_db_package_commanded (db, device_id, sha256, &commanded, error))
    return FALSE;
  if (!commanded)
    g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_NOT_FOUND,
                         _("No command for this terminal names this package"));
  return commanded;
}

static const char *const query_members[] = { "format_version", "device_id", "versions", NULL };

JsonBuilder *
ff_agent_query (FfPlatformDb *db,
                const char   *data_dir,
                FfKey        *platform_key,
                const char   *device_id,
                GBytes       *body,
                gint64        now,
                GError      **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new_immutable ();
  g_autoptr(FfMqttSettings) settings = NULL;
  g_autoptr(FfRemoteCommandRecord) record = NULL;
  g_autoptr(GError) local_error = NULL;
  FfRemoteVersions versions = { 0 };
  FfRemoteContext context;
  JsonObject *root = NULL;
  gint64 format_version = 0;
  const char *named;

  parser = ff_document_parse_object (body, &root, error);
  if (parser == NULL
      || !ff_document_check_members (root, "", query_members, error)
      || !ff_document_get_int (root, "", "format_version", 1, 1, &format_version, error)
      || (named = ff_document_get_name (root, "", "device_id", error)) == NULL
      || !ff_remote_versions_parse (root, "", "versions", &versions, error))
    {
      ff_remote_versions_clear (&versions);
      return NULL;
    }
  if (!g_str_equal (named, device_id))
    {
      ff_remote_versions_clear (&versions);
      g_set_error_literal (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_FORBIDDEN,
                           _("A terminal may only ask for itself"));
      return NULL;
    }
  settings = ff_mqtt_settings_load (data_dir, error);
  if (settings == NULL)
    {
      ff_remote_versions_clear (&versions);
      return NULL;
    }
  context = (FfRemoteContext) { db, data_dir, platform_key, settings->platform_url };
  record = ff_platform_remote_query (&context, device_id, &versions, now, &local_error);
  ff_remote_versions_clear (&versions);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  json_builder_begin_object (builder);
  ff_builder_add_int (builder, "format_version", 1);
  ff_builder_add_boolean (builder, "update", record != NULL);
  if (record != NULL)
    {
      g_autoptr(JsonParser) envelope_parser = json_parser_new ();

      /* The envelope exactly as the command topic carries it (the platform made it). */
      if (!json_parser_load_from_data (envelope_parser, g_bytes_get_data (record->envelope, NULL),
                                       g_bytes_get_size (record->envelope), error))
        return NULL;
      json_builder_set_member_name (builder, "command");
      json_builder_add_value (builder, json_node_copy (json_parser_get_root (envelope_parser)));
    }
  json_builder_end_object (builder);
  return g_steal_pointer (&builder);
}
