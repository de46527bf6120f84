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

gint64
ff_platform_login_wait (gint64 failures,
                        gint64 last_failure_at,
                        gint64 now)
{
  return MAX (last_failure_at + ff_platform_login_delay (failures) - now, 0);
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
  wait = ff_platform_login_wait (technician->failed_logins, technician->last_failure_at,
                                 attempt->now);
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

typedef struct
{
  gint64 failures;
  gint64 last_failure_at;
} Failures;

struct _FfLoginStrangers
{
  GMutex      lock;
  GHashTable *failures;         /* phone -> Failures */
};

FfLoginStrangers *
ff_login_strangers_new (void)
{
  FfLoginStrangers *strangers = g_new0 (FfLoginStrangers, 1);

  g_mutex_init (&strangers->lock);
  strangers->failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return strangers;
}

void
ff_login_strangers_free (FfLoginStrangers *strangers)
{
  g_hash_table_unref (strangers->failures);
  g_mutex_clear (&strangers->lock);
  g_free (strangers);
}

/* A number whose last back-off ended a full maximum delay ago: forgetting it changes nothing a
 * guesser could not also see by waiting that long. */
static gboolean
long_past (gpointer phone,
           gpointer value,
           gpointer user_data)
{
  const Failures *failures = value;
  gint64 now = *(const gint64 *) user_data;

  return failures->last_failure_at + ff_platform_login_delay (failures->failures)
         + LOGIN_MAX_DELAY < now;
}

gint64
ff_login_strangers_attempt (FfLoginStrangers *strangers,
                            const char       *phone,
                            gint64            now)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&strangers->lock);
  Failures *failures = g_hash_table_lookup (strangers->failures, phone);
  gint64 wait;

  if (failures == NULL)
    {
      if (g_hash_table_size (strangers->failures) >= FF_LOGIN_MAX_STRANGERS)
        g_hash_table_foreach_remove (strangers->failures, long_past, &now);
      if (g_hash_table_size (strangers->failures) >= FF_LOGIN_MAX_STRANGERS)
        return 0;
      failures = g_new0 (Failures, 1);
      g_hash_table_insert (strangers->failures, g_strdup (phone), failures);
    }
  wait = ff_platform_login_wait (failures->failures, failures->last_failure_at, now);
  if (wait == 0)
    {
      failures->failures++;
      failures->last_failure_at = now;
    }
  return wait;
}
