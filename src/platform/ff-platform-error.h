/* The platform's error domain: each code names a kind of refusal (and maps to an HTTP status). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define FF_PLATFORM_ERROR (ff_platform_error_quark ())

typedef enum
{
  FF_PLATFORM_ERROR_FAILED,        /* 500: storage or I/O failure */
  FF_PLATFORM_ERROR_INVALID,       /* 400: malformed input */
  FF_PLATFORM_ERROR_UNAUTHORIZED,  /* 401 */
  FF_PLATFORM_ERROR_FORBIDDEN,     /* 403 */
  FF_PLATFORM_ERROR_NOT_FOUND,     /* 404 */
  FF_PLATFORM_ERROR_CONFLICT,      /* 409: clashes with what is stored */
  FF_PLATFORM_ERROR_TOO_LARGE,     /* 413 */
  FF_PLATFORM_ERROR_REFUSED,       /* an operator request the rules forbid (blacklist, downgrade) */
} FfPlatformError;

GQuark ff_platform_error_quark (void);

/* The HTTP status for @error (FF_PLATFORM_ERROR codes; document errors are 400, others 500). */
guint  ff_platform_error_to_http_status (const GError *error);

/* Sets @error to FF_PLATFORM_ERROR_REFUSED saying @format and returns FALSE, so that a check can
 * end with return ff_platform_refuse (…). */
gboolean ff_platform_refuse (GError     **error,
                             const char  *format,
                             ...) G_GNUC_PRINTF (2, 3);

G_END_DECLS
