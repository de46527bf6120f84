/* The login back-off: wrong PINs are counted per phone number before the PIN is even checked. */
#include "config.h"

#include "ff-platform-login.h"

#define LOGIN_BASE_DELAY 30
#define LOGIN_MAX_DELAY (15 * 60)
/* 30 s << 5 is past the maximum already; larger shifts would only overflow. */
#define LOGIN_MAX_EXCESS 5

gint64
ff_platform_login_delay (gint64 failures)
{
  gint64 excess = failures - FF_LOGIN_FREE_FAILURES;

  if (excess < 0)
    return 0;
  if (excess >= LOGIN_MAX_EXCESS)
    return LOGIN_MAX_DELAY;
  return MIN (LOGIN_BASE_DELAY << excess, LOGIN_MAX_DELAY);
}

typedef struct
{
  const char   *phone;
  gint64        now;
  gint64        retry_after;
  FfTechnician *technician;
} Attempt;

static gboolean
begin_in_transaction (FfPlatformDb *db,
                      gpointer      user_data,
                      GError      **error)
{
  Attempt *attempt = user_data;
  g_autoptr(FfTechnician) technician = NULL;
  g_autoptr(GError) local_error = NULL;
  gint64 wait;

  technician = ff_platform_db_get_technician (db, attempt->phone, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (technician == NULL)
    return TRUE;
  wait = technician->last_failure_at + ff_platform_login_delay (technician->failed_logins)
         - attempt->now;
  if (wait > 0)
    attempt->retry_after = wait;
  else if (!ff_platform_db_set_login_failures (db, attempt->phone, technician->failed_logins + 1,
                                               attempt->now, error))
    return FALSE;
  attempt->technician = g_steal_pointer (&technician);
  return TRUE;
}

FfTechnician *
ff_platform_login_begin (FfPlatformDb *db,
                         const char   *phone,
                         gint64        now,
                         gint64       *retry_after,
                         GError      **error)
{
  Attempt attempt = { phone, now, 0, NULL };

  *retry_after = 0;
  if (!ff_platform_db_transaction (db, begin_in_transaction, &attempt, error))
    {
      g_clear_pointer (&attempt.technician, ff_technician_free);
      return NULL;
    }
  *retry_after = attempt.retry_after;
  return attempt.technician;
}

gboolean
ff_platform_login_succeeded (FfPlatformDb *db,
                             const char   *phone,
                             GError      **error)
{
  return ff_platform_db_set_login_failures (db, phone, 0, 0, error);
}
