/* The platform's error domain: each code names a kind of refusal (and maps to an HTTP status). */
#include "config.h"

#include "ff-platform-error.h"

#include "ff-crypto.h"
#include "ff-document.h"

G_DEFINE_QUARK (ff-platform-error-quark, ff_platform_error)

guint
ff_platform_error_to_http_status (const GError *error)
{
  static const guint statuses[] = {
    [FF_PLATFORM_ERROR_FAILED] = 500,
    [FF_PLATFORM_ERROR_INVALID] = 400,
    [FF_PLATFORM_ERROR_UNAUTHORIZED] = 401,
    [FF_PLATFORM_ERROR_FORBIDDEN] = 403,
    [FF_PLATFORM_ERROR_NOT_FOUND] = 404,
    [FF_PLATFORM_ERROR_CONFLICT] = 409,
    [FF_PLATFORM_ERROR_TOO_LARGE] = 413,
    [FF_PLATFORM_ERROR_REFUSED] = 403,
  };

  if (error->domain == FF_PLATFORM_ERROR && (gsize) error->code < G_N_ELEMENTS (statuses))
    return statuses[error->code];
  if (error->domain == FF_DOCUMENT_ERROR)
    return 400;
  if (error->domain == FF_CRYPTO_ERROR && error->code == FF_CRYPTO_ERROR_BAD_SIGNATURE)
    return 403;
  return 500;
}

gboolean
ff_platform_refuse (GError     **error,
                    const char  *format,
                    ...)
{
  va_list args;

  va_start (args, format);
  g_propagate_error (error, g_error_new_valist (FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_REFUSED,
                                                format, args));
  va_end (args);
  return FALSE;
}
