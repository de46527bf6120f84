/* What the task and report codecs share: the error domain, strict JSON member readers, timestamps,
 * and the checks on names and phone numbers. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define FF_DOCUMENT_ERROR (ff_document_error_quark ())

typedef enum
{
  FF_DOCUMENT_ERROR_INVALID,
  FF_DOCUMENT_ERROR_EXPIRED,
} FfDocumentError;

/* Documents larger than this are refused before parsing. */
#define FF_DOCUMENT_MAX_SIZE (16 * 1024 * 1024)
/* So are documents whose arrays and objects nest deeper than this: json-glib parses recursively,
 * and a deep enough document overflows the stack of the thread parsing it. The deepest document
 * of the project (a report) nests 4 levels. */
#define FF_DOCUMENT_MAX_DEPTH 32
#define FF_NAME_MAX_LENGTH 128
#define FF_DOCUMENT_MAX_HARDWARE_VERSIONS 64

GQuark      ff_document_error_quark    (void);

/* 11 digits starting with 1 (a mainland China mobile number). */
gboolean    ff_phone_is_valid          (const char  *phone);
/* A valid display name (below) with no '/' or '\\', no ".." and not ".", so it is safe as (part
 * of) a file name and as a URL's path segment. */
gboolean    ff_name_is_safe            (const char  *name);
/* A name people read (a technician, supervisor, meter, campaign): non-empty, at most
 * FF_NAME_MAX_LENGTH bytes of UTF-8, no control characters (a line break or an escape sequence
 * would forge lines in the CLI's lists and change what a terminal shows). */
gboolean    ff_display_name_is_valid   (const char  *name);
/* Whether the UTF-8 @text has a control character (C0, DEL or C1) or a bidirectional embedding,
 * override or isolate (U+202A–U+202E, U+2066–U+2069): an escape sequence, a line break, or text
 * shown in another order than it is stored ("DTU\u202E1000" reads as DTU0001), in text that is
 * printed or shown. */
gboolean    ff_text_has_control        (const char  *text);
/* @bytes (any, from a device) as text to keep, print and show: bytes that are not UTF-8 and each
 * such control or bidirectional character become U+FFFD. */
char       *ff_text_make_printable     (const char  *bytes);
/* An IPv4/IPv6 address or a host name: 1-253 characters from [A-Za-z0-9.:-]. */
gboolean    ff_host_is_valid           (const char  *host);

/* "YYYY-MM-DDTHH:MM:SSZ", exactly (UTC, no fraction, no offset). */
char       *ff_timestamp_format        (gint64       unix_seconds);
gboolean    ff_timestamp_parse         (const char  *text,
                                        gint64      *unix_seconds);

/* Parses @bytes as JSON with an object at the top. Returns the parser that owns the object.
 * Before parsing, a scan of the bytes refuses more than FF_DOCUMENT_MAX_DEPTH levels of nesting
 * and a \u0000 escape in a string (json-glib would silently cut the string there). Every JSON
 * the programs read goes through here. */
JsonParser *ff_document_parse_object   (GBytes      *bytes,
                                        JsonObject **root,
                                        GError     **error);
/* Pretty-printed JSON with a final newline: the canonical bytes of a document. */
GBytes     *ff_document_serialize      (JsonBuilder *builder);

/* Strict readers: @where names the object for messages ("items[2].address"). Every member listed
 * in @members must be present (possibly null) and no other member may be. */
gboolean    ff_document_check_members  (JsonObject  *object,
                                        const char  *where,
                                        const char  *const *members,
                                        GError     **error);
/* For a document read leniently (a terminal's progress or retained state): @member of @object
 * when it is a string (a boolean true), else @fallback (FALSE), whatever it is. json-glib's
 * _with_default getters are critical on an array or an object, which an untrusted document
 * may hold anywhere. */
const char *ff_document_peek_string    (JsonObject  *object,
                                        const char  *member,
                                        const char  *fallback);
gboolean    ff_document_peek_true      (JsonObject  *object,
                                        const char  *member);
const char *ff_document_get_string     (JsonObject  *object,
                                        const char  *where,
                                        const char  *member,
                                        gboolean     nullable,
                                        gsize        max_length,
                                        GError     **error);
gboolean    ff_document_get_int        (JsonObject  *object,
                                        const char  *where,
                                        const char  *member,
                                        gint64       min,
                                        gint64       max,
                                        gint64      *value,
                                        GError     **error);
gboolean    ff_document_get_double     (JsonObject  *object,
                                        const char  *where,
                                        const char  *member,
                                        double       min,
                                        double       max,
                                        double      *value,
                                        GError     **error);
gboolean    ff_document_get_boolean    (JsonObject  *object,
                                        const char  *where,
                                        const char  *member,
                                        gboolean    *value,
                                        GError     **error);
/* Sets *@value to NULL for a null member when @nullable. */
gboolean    ff_document_get_object     (JsonObject  *object,
                                        const char  *where,
                                        const char  *member,
                                        gboolean     nullable,
                                        JsonObject **value,
                                        GError     **error);
JsonArray  *ff_document_get_array      (JsonObject  *object,
                                        const char  *where,
                                        const char  *member,
                                        GError     **error);
/* Element @index of @array as an object; NULL with an error at @where when it is not one. */
JsonObject *ff_document_array_get_object (JsonArray  *array,
                                          guint       index,
                                          const char *where,
                                          GError    **error);
gboolean    ff_document_get_timestamp  (JsonObject  *object,
                                        const char  *where,
                                        const char  *member,
                                        gint64      *value,
                                        GError     **error);
/* A {"lat", "lon"} object member: WGS-84 degrees. */
gboolean    ff_document_get_position   (JsonObject  *object,
                                        const char  *where,
                                        const char  *member,
                                        double      *latitude,
                                        double      *longitude,
                                        GError     **error);
/* A string member that must pass ff_name_is_safe(). */
const char *ff_document_get_name       (JsonObject  *object,
                                        const char  *where,
                                        const char  *member,
                                        GError     **error);
const char *ff_document_get_sha256     (JsonObject  *object,
                                        const char  *where,
                                        const char  *member,
                                        GError     **error);
const char *ff_document_get_version    (JsonObject  *object,
                                        const char  *where,
                                        const char  *member,
                                        gboolean     nullable,
                                        GError     **error);
/* The "hardware_versions" member: 1 to FF_DOCUMENT_MAX_HARDWARE_VERSIONS names. */
char      **ff_document_get_hardware_versions (JsonObject *object,
                                               const char *where,
                                               GError    **error);

void        ff_document_invalid        (GError     **error,
                                        const char  *where,
                                        const char  *member,
                                        const char  *problem);

/* Builder shortcuts that keep the writers short. */
void        ff_builder_add_string      (JsonBuilder *builder,
                                        const char  *member,
                                        const char  *value);
void        ff_builder_add_int         (JsonBuilder *builder,
                                        const char  *member,
                                        gint64       value);
void        ff_builder_add_double      (JsonBuilder *builder,
                                        const char  *member,
                                        double       value);
void        ff_builder_add_boolean     (JsonBuilder *builder,
                                        const char  *member,
                                        gboolean     value);
/* Names @member and, when @present, begins its object (the caller ends it); otherwise sets it
 * to null. Returns @present. */
gboolean    ff_builder_begin_object_or_null (JsonBuilder *builder,
                                             const char  *member,
                                             gboolean     present);
void        ff_builder_add_position    (JsonBuilder *builder,
                                        const char  *member,
                                        double       latitude,
                                        double       longitude);
void        ff_builder_add_timestamp   (JsonBuilder *builder,
                                        const char  *member,
                                        gint64       unix_seconds);

G_END_DECLS
