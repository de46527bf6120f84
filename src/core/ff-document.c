/* What the task and report codecs share: the error domain, strict JSON member readers, timestamps,
 * and the checks on names and phone numbers. */
#include "config.h"

#include "ff-document.h"

#include "ff-crypto.h"
#include "ff-version.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

G_DEFINE_QUARK (ff-document-error-quark, ff_document_error)

gboolean
ff_phone_is_valid (const char *phone)
{
  if (phone == NULL || strlen (phone) != 11 || phone[0] != '1')
    return FALSE;
  for (const char *p = phone; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

gboolean
ff_name_is_safe (const char *name)
{
  /* "." names the directory itself, and is dropped from a URL's path (console IDs). */
  return ff_display_name_is_valid (name) && strchr (name, '/') == NULL
         && strchr (name, '\\') == NULL && strstr (name, "..") == NULL
         && strcmp (name, ".") != 0;
}

gboolean
ff_display_name_is_valid (const char *name)
{
  return name != NULL && *name != '\0' && strlen (name) <= FF_NAME_MAX_LENGTH
         && g_utf8_validate (name, -1, NULL) && !ff_text_has_control (name);
}

/* A control character, or a bidirectional override that makes text read otherwise than it is. */
static gboolean
is_control (gunichar c)
{
  return g_unichar_iscntrl (c) || (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

gboolean
ff_text_has_control (const char *text)
{
  for (const char *p = text; *p != '\0'; p = g_utf8_next_char (p))
    if (is_control (g_utf8_get_char (p)))
      return TRUE;
  return FALSE;
}

char *
ff_text_make_printable (const char *bytes)
{
  g_autofree char *valid = g_utf8_make_valid (bytes, -1);
  GString *text = g_string_sized_new (strlen (valid));

  for (const char *p = valid; *p != '\0'; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      g_string_append_unichar (text, is_control (c) ? 0xFFFD : c);
    }
  return g_string_free (text, FALSE);
}

gboolean
ff_host_is_valid (const char *host)
{
  if (host == NULL || *host == '\0' || strlen (host) > 253)
    return FALSE;
  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-' && *p != ':')
      return FALSE;
  return TRUE;
}

char *
ff_timestamp_format (gint64 unix_seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_utc (unix_seconds);

  return g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
}

gboolean
ff_timestamp_parse (const char *text,
                    gint64     *unix_seconds)
{
  static const char pattern[] = "dddd-dd-ddTdd:dd:ddZ";
  g_autoptr(GDateTime) time = NULL;
  g_autofree char *canonical = NULL;

  if (text == NULL || strlen (text) != strlen (pattern))
    return FALSE;
  for (gsize i = 0; pattern[i] != '\0'; i++)
    if (pattern[i] == 'd' ? !g_ascii_isdigit (text[i]) : text[i] != pattern[i])
      return FALSE;
  time = g_date_time_new_from_iso8601 (text, NULL);
  if (time == NULL)
    return FALSE;
  /* GDateTime normalises nothing away, but a round trip also rejects leap seconds ("…:60Z"). */
  canonical = g_date_time_format (time, "%Y-%m-%dT%H:%M:%SZ");
  if (g_strcmp0 (canonical, text) != 0)
    return FALSE;
  *unix_seconds = g_date_time_to_unix (time);
  return TRUE;
}

/* What JSON allows outside strings: its structure, numbers and true/false/null. json-glib's
 * scanner also takes comments, single-quoted strings and hex numbers; a '"' inside one of those
 * would put the scan below out of step with the parser (a bracket it counts as text nests). */
static const char json_outside_strings[] = " \t\r\n{}[]:,-+.0123456789eEtrufalsn";

/* One pass over the bytes as a JSON lexer sees them: brackets outside strings nest, and an
 * escape inside a string is skipped as a whole. Catches what json-glib cannot be trusted with
 * (see ff_document_parse_object()); the syntax itself is the parser's to check. */
static gboolean
scan_json (const char *data,
           gsize       length,
           GError    **error)
{
  gboolean in_string = FALSE;
  gboolean ended = FALSE;
  guint depth = 0;

  for (gsize i = 0; i < length; i++)
    {
      /* json-glib reads the first value and ignores whatever follows it. */
      if (ended && !g_ascii_isspace (data[i]))
        {
          g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID,
                       _("The document goes on after its end, at byte %zu"), i);
          return FALSE;
        }
      if (in_string)
        {
          if (data[i] == '"')
            in_string = FALSE;
          else if (data[i] == '\\')
            {
              if (length - i > 5 && memcmp (data + i + 1, "u0000", 5) == 0)
                {
                  g_set_error_literal (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID,
                                       _("The document has a NUL character (\\u0000) in a "
                                         "string"));
                  return FALSE;
                }
              i++;
            }
        }
      else if (data[i] == '"')
        in_string = TRUE;
      else if ((data[i] == '[' || data[i] == '{') && ++depth > FF_DOCUMENT_MAX_DEPTH)
        {
          g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID,
                       _("The document nests arrays and objects deeper than %d levels"),
                       FF_DOCUMENT_MAX_DEPTH);
          return FALSE;
        }
      else if ((data[i] == ']' || data[i] == '}') && depth > 0)
        ended = --depth == 0;
      else if (memchr (json_outside_strings, data[i], sizeof json_outside_strings - 1) == NULL)
        {
          g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID,
                       _("The document is not strict JSON: byte %zu ('%c') is outside any "
                         "string (comments, single quotes and hex numbers are not JSON)"),
                       i, g_ascii_isgraph (data[i]) ? data[i] : '?');
          return FALSE;
        }
    }
  return TRUE;
}

/* json-glib keeps the last of two members of one name ({"phone": A, "phone": B} reads as B),
 * where another reader of the same bytes (a proxy, a log, a signer's own view) may take the first:
 * the parser's object-member signal counts each object's members as they come, and an object
 * holding fewer than were parsed into it named one twice. Names compare decoded ("\u0061" is
 * "a"). */
typedef struct
{
  GHashTable *counts;     /* JsonObject → members parsed into it */
  char       *repeated;   /* the first name seen twice */
} MemberCounts;

static void
member_parsed (JsonParser *parser,
               JsonObject *object,
               const char *member,
               gpointer    user_data)
{
  MemberCounts *counts = user_data;
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts->counts, object)) + 1;

  g_hash_table_insert (counts->counts, object, GUINT_TO_POINTER (n));
  if (n > json_object_get_size (object) && counts->repeated == NULL)
    counts->repeated = g_strdup (member);
}

JsonParser *
ff_document_parse_object (GBytes      *bytes,
                          JsonObject **root,
                          GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GError) local_error = NULL;
  gsize length = 0;
  const char *data = g_bytes_get_data (bytes, &length);
  MemberCounts counts = { NULL, NULL };
  gboolean loaded;
  JsonNode *node;

  if (length > FF_DOCUMENT_MAX_SIZE)
    {
      g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID,
                   _("The document is too large (%zu bytes, at most %d)"), length,
                   FF_DOCUMENT_MAX_SIZE);
      return NULL;
    }
  if (length == 0 || data == NULL || memchr (data, '\0', length) != NULL
      || !g_utf8_validate (data, length, NULL))
    {
      g_set_error_literal (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID,
                           _("The document is not UTF-8 JSON text"));
      return NULL;
    }
  if (!scan_json (data, length, error))
    return NULL;
  counts.counts = g_hash_table_new (NULL, NULL);
  g_signal_connect (parser, "object-member", G_CALLBACK (member_parsed), &counts);
  loaded = json_parser_load_from_data (parser, data, length, &local_error);
  g_signal_handlers_disconnect_by_func (parser, member_parsed, &counts);
  g_hash_table_unref (counts.counts);
  if (!loaded)
    {
      /* json-glib quotes what it could not read, such as an unpaired surrogate (\ud800) it has
       * decoded into bytes that are not UTF-8: the message goes into UTF-8 answers. */
      g_autofree char *message = g_utf8_make_valid (local_error->message, -1);

      g_free (counts.repeated);
      g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID,
                   _("The document is not valid JSON: %s"), message);
      return NULL;
    }
  if (counts.repeated != NULL)
    {
      g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID,
                   _("The document names the member “%s” twice in one object"), counts.repeated);
      g_free (counts.repeated);
      return NULL;
    }
  node = json_parser_get_root (parser);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID,
                           _("The document is not a JSON object"));
      return NULL;
    }
  *root = json_node_get_object (node);
  return g_steal_pointer (&parser);
}

GBytes *
ff_document_serialize (JsonBuilder *builder)
{
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = json_builder_get_root (builder);
  gsize length = 0;
  g_autofree char *text = NULL;
  char *with_newline;

  json_generator_set_pretty (generator, TRUE);
  json_generator_set_indent (generator, 2);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, &length);
  with_newline = g_strconcat (text, "\n", NULL);
  return g_bytes_new_take (with_newline, length + 1);
}

void
ff_document_invalid (GError    **error,
                     const char *where,
                     const char *member,
                     const char *problem)
{
  if (member == NULL)
    g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID, "%s: %s", where, problem);
  else if (*where == '\0')
    g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID, "%s: %s", member, problem);
  else
    g_set_error (error, FF_DOCUMENT_ERROR, FF_DOCUMENT_ERROR_INVALID, "%s.%s: %s", where, member,
                 problem);
}

gboolean
ff_document_check_members (JsonObject        *object,
                           const char        *where,
                           const char *const *members,
                           GError           **error)
{
  g_autoptr(GList) present = json_object_get_members (object);

  for (const char *const *m = members; *m != NULL; m++)
    if (!json_object_has_member (object, *m))
      {
        ff_document_invalid (error, where, *m, _("missing"));
        return FALSE;
      }
  for (GList *l = present; l != NULL; l = l->next)
    if (!g_strv_contains (members, l->data))
      {
        ff_document_invalid (error, where, l->data, _("unknown member"));
        return FALSE;
      }
  return TRUE;
}

static JsonNode *
get_node (JsonObject *object,
          const char *where,
          const char *member,
          GError    **error)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL)
    ff_document_invalid (error, where, member, _("missing"));
  return node;
}

static JsonNode *
peek_value (JsonObject *object,
            const char *member,
            GType       type)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == type
         ? node : NULL;
}

const char *
ff_document_peek_string (JsonObject *object,
                         const char *member,
                         const char *fallback)
{
  JsonNode *node = peek_value (object, member, G_TYPE_STRING);

  return node != NULL ? json_node_get_string (node) : fallback;
}

gboolean
ff_document_peek_true (JsonObject *object,
                       const char *member)
{
  JsonNode *node = peek_value (object, member, G_TYPE_BOOLEAN);

  return node != NULL && json_node_get_boolean (node);
}

const char *
ff_document_get_string (JsonObject *object,
                        const char *where,
                        const char *member,
                        gboolean    nullable,
                        gsize       max_length,
                        GError    **error)
{
  JsonNode *node = get_node (object, where, member, error);
  const char *value;

  if (node == NULL)
    return NULL;
  if (nullable && JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      ff_document_invalid (error, where, member, _("must be a string"));
      return NULL;
    }
  value = json_node_get_string (node);
  if (*value == '\0')
    {
      ff_document_invalid (error, where, member, _("must not be empty"));
      return NULL;
    }
  if (strlen (value) > max_length)
    {
      ff_document_invalid (error, where, member, _("is too long"));
      return NULL;
    }
  return value;
}

static gboolean
get_number (JsonObject *object,
            const char *where,
            const char *member,
            gboolean    integer_only,
            JsonNode  **node_out,
            GError    **error)
{
  JsonNode *node = get_node (object, where, member, error);
  GType type;

  if (node == NULL)
    return FALSE;
  type = JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;
  if (type != G_TYPE_INT64 && (integer_only || type != G_TYPE_DOUBLE))
    {
      ff_document_invalid (error, where, member,
                           integer_only ? _("must be an integer") : _("must be a number"));
      return FALSE;
    }
  *node_out = node;
  return TRUE;
}

gboolean
ff_document_get_int (JsonObject *object,
                     const char *where,
                     const char *member,
                     gint64      min,
                     gint64      max,
                     gint64     *value,
                     GError    **error)
{
  JsonNode *node;
  gint64 number;

  if (!get_number (object, where, member, TRUE, &node, error))
    return FALSE;
  number = json_node_get_int (node);
  if (number < min || number > max)
    {
      g_autofree char *low = g_strdup_printf ("%" G_GINT64_FORMAT, min);
      g_autofree char *high = g_strdup_printf ("%" G_GINT64_FORMAT, max);
      g_autofree char *problem = g_strdup_printf (_("must be between %s and %s"), low, high);
      ff_document_invalid (error, where, member, problem);
      return FALSE;
    }
  *value = number;
  return TRUE;
}

gboolean
ff_document_get_double (JsonObject *object,
                        const char *where,
                        const char *member,
                        double      min,
                        double      max,
                        double     *value,
                        GError    **error)
{
  JsonNode *node;
  double number;

  if (!get_number (object, where, member, FALSE, &node, error))
    return FALSE;
  number = json_node_get_value_type (node) == G_TYPE_INT64 ? (double) json_node_get_int (node)
                                                           : json_node_get_double (node);
  if (!isfinite (number) || number < min || number > max)
    {
      g_autofree char *problem = g_strdup_printf (_("must be between %g and %g"), min, max);
      ff_document_invalid (error, where, member, problem);
      return FALSE;
    }
  *value = number;
  return TRUE;
}

gboolean
ff_document_get_boolean (JsonObject *object,
                         const char *where,
                         const char *member,
                         gboolean   *value,
                         GError    **error)
{
  JsonNode *node = get_node (object, where, member, error);

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      ff_document_invalid (error, where, member, _("must be true or false"));
      return FALSE;
    }
  *value = json_node_get_boolean (node);
  return TRUE;
}

gboolean
ff_document_get_object (JsonObject  *object,
                        const char  *where,
                        const char  *member,
                        gboolean     nullable,
                        JsonObject **value,
                        GError     **error)
{
  JsonNode *node = get_node (object, where, member, error);

  if (node == NULL)
    return FALSE;
  if (nullable && JSON_NODE_HOLDS_NULL (node))
    {
      *value = NULL;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ff_document_invalid (error, where, member,
                           nullable ? _("must be an object or null") : _("must be an object"));
      return FALSE;
    }
  *value = json_node_get_object (node);
  return TRUE;
}

JsonArray *
ff_document_get_array (JsonObject *object,
                       const char *where,
                       const char *member,
                       GError    **error)
{
  JsonNode *node = get_node (object, where, member, error);

  if (node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      ff_document_invalid (error, where, member, _("must be an array"));
      return NULL;
    }
  return json_node_get_array (node);
}

JsonObject *
ff_document_array_get_object (JsonArray  *array,
                              guint       index,
                              const char *where,
                              GError    **error)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      ff_document_invalid (error, where, NULL, _("must be an object"));
      return NULL;
    }
  return json_node_get_object (node);
}

gboolean
ff_document_get_timestamp (JsonObject *object,
                           const char *where,
                           const char *member,
                           gint64     *value,
                           GError    **error)
{
  const char *text = ff_document_get_string (object, where, member, FALSE, 64, error);

  if (text == NULL)
    return FALSE;
  if (!ff_timestamp_parse (text, value))
    {
      ff_document_invalid (error, where, member,
                           _("must be a UTC time written as YYYY-MM-DDTHH:MM:SSZ"));
      return FALSE;
    }
  return TRUE;
}

gboolean
ff_document_get_position (JsonObject *object,
                          const char *where,
                          const char *member,
                          double     *latitude,
                          double     *longitude,
                          GError    **error)
{
  static const char *const position_members[] = { "lat", "lon", NULL };
  g_autofree char *position_where = *where == '\0' ? g_strdup (member)
                                                    : g_strconcat (where, ".", member, NULL);
  JsonObject *position;

  return ff_document_get_object (object, where, member, FALSE, &position, error)
         && ff_document_check_members (position, position_where, position_members, error)
         && ff_document_get_double (position, position_where, "lat", -90, 90, latitude, error)
         && ff_document_get_double (position, position_where, "lon", -180, 180, longitude, error);
}

const char *
ff_document_get_name (JsonObject *object,
                      const char *where,
                      const char *member,
                      GError    **error)
{
  const char *name = ff_document_get_string (object, where, member, FALSE, FF_NAME_MAX_LENGTH,
                                             error);

  if (name != NULL && !ff_name_is_safe (name))
    {
      ff_document_invalid (error, where, member,
                           _("must not contain path separators, \"..\" or control characters"));
      return NULL;
    }
  return name;
}

const char *
ff_document_get_sha256 (JsonObject *object,
                        const char *where,
                        const char *member,
                        GError    **error)
{
  const char *hex = ff_document_get_string (object, where, member, FALSE, 64, error);

  if (hex != NULL && !ff_sha256_hex_is_valid (hex))
    {
      ff_document_invalid (error, where, member,
                           _("must be a SHA-256 digest as 64 lowercase hex digits"));
      return NULL;
    }
  return hex;
}

const char *
ff_document_get_version (JsonObject *object,
                         const char *where,
                         const char *member,
                         gboolean    nullable,
                         GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *version = ff_document_get_string (object, where, member, nullable,
                                                FF_VERSION_MAX_LENGTH, &local_error);

  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (version != NULL && !ff_version_is_valid (version))
    {
      ff_document_invalid (error, where, member,
                           _("must be a version such as V2.01 (letters, digits, '.', '_', '-')"));
      return NULL;
    }
  return version;
}

void
ff_builder_add_string (JsonBuilder *builder,
                       const char  *member,
                       const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, value);
}

void
ff_builder_add_int (JsonBuilder *builder,
                    const char  *member,
                    gint64       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_int_value (builder, value);
}

void
ff_builder_add_double (JsonBuilder *builder,
                       const char  *member,
                       double       value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_double_value (builder, value);
}

void
ff_builder_add_boolean (JsonBuilder *builder,
                        const char  *member,
                        gboolean     value)
{
  json_builder_set_member_name (builder, member);
  json_builder_add_boolean_value (builder, value);
}

gboolean
ff_builder_begin_object_or_null (JsonBuilder *builder,
                                 const char  *member,
                                 gboolean     present)
{
  json_builder_set_member_name (builder, member);
  if (present)
    json_builder_begin_object (builder);
  else
    json_builder_add_null_value (builder);
  return present;
}

void
ff_builder_add_position (JsonBuilder *builder,
                         const char  *member,
                         double       latitude,
                         double       longitude)
{
  json_builder_set_member_name (builder, member);
  json_builder_begin_object (builder);
  ff_builder_add_double (builder, "lat", latitude);
  ff_builder_add_double (builder, "lon", longitude);
  json_builder_end_object (builder);
}

void
ff_builder_add_timestamp (JsonBuilder *builder,
                          const char  *member,
                          gint64       unix_seconds)
{
  g_autofree char *text = ff_timestamp_format (unix_seconds);

  ff_builder_add_string (builder, member, text);
}

char **
ff_document_get_hardware_versions (JsonObject *object,
                                   const char *where,
                                   GError    **error)
{
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();
  JsonArray *array = ff_document_get_array (object, where, "hardware_versions", error);
  guint n = array != NULL ? json_array_get_length (array) : 0;

  if (array == NULL)
    return NULL;
  if (n == 0 || n > FF_DOCUMENT_MAX_HARDWARE_VERSIONS)
    {
      ff_document_invalid (error, where, "hardware_versions",
                           _("must list 1 to 64 hardware versions"));
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      const char *name = JSON_NODE_HOLDS_VALUE (node)
                         && json_node_get_value_type (node) == G_TYPE_STRING
                         ? json_node_get_string (node) : NULL;

      if (!ff_name_is_safe (name))
        {
          g_autofree char *member = g_strdup_printf ("hardware_versions[%u]", i);

          ff_document_invalid (error, where, member, _("must be a hardware version (a name)"));
          return NULL;
        }
      g_strv_builder_add (names, name);
    }
  return g_strv_builder_end (names);
}
