/* A supervisor's authority on the tablet, offline (see ff-supervisor.h). */
#include "config.h"

#include "ff-supervisor.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "ff-crypto.h"

/* The attempts of the visit that failed last, as "COUNT VISIT"; one visit is counted at a time,
 * since a tablet works on one visit at a time. */
#define SETTING_ATTEMPTS "supervisor-failed-attempts"
/* Present while overrides are locked. */
#define SETTING_LOCKED "supervisor-locked"

G_DEFINE_QUARK (ff-supervisor-error-quark, ff_supervisor_error)

gboolean
ff_supervisor_pin_is_valid (const char *pin)
{
  gsize length = pin != NULL ? strlen (pin) : 0;

  if (length < FF_SUPERVISOR_PIN_MIN_DIGITS || length > FF_SUPERVISOR_PIN_MAX_DIGITS)
    return FALSE;
  for (const char *p = pin; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

gboolean
ff_supervisor_overrides_locked (FfStore *store)
{
  g_autofree char *locked = ff_store_get_setting (store, SETTING_LOCKED);

  return locked != NULL;
}

static guint
failed_attempts (FfStore    *store,
                 const char *visit)
{
  g_autofree char *value = ff_store_get_setting (store, SETTING_ATTEMPTS);
  const char *space = value != NULL ? strchr (value, ' ') : NULL;
  guint64 count;

  if (space == NULL || strcmp (space + 1, visit) != 0)
    return 0;
  *(char *) space = '\0';
  if (!g_ascii_string_to_unsigned (value, 10, 0, FF_SUPERVISOR_ATTEMPTS, &count, NULL))
    return FF_SUPERVISOR_ATTEMPTS;   /* a damaged count never grants more attempts */
  return (guint) count;
}

guint
ff_supervisor_attempts_left (FfStore    *store,
                             const char *visit)
{
  if (ff_supervisor_overrides_locked (store))
    return 0;
  return FF_SUPERVISOR_ATTEMPTS - failed_attempts (store, visit);
}

static void
set_locked_error (GError **error)
{
  g_set_error (error, FF_SUPERVISOR_ERROR, FF_SUPERVISOR_ERROR_LOCKED,
               _("Overrides are locked after %d wrong PINs; they are allowed again after the next "
                 "sync."), FF_SUPERVISOR_ATTEMPTS);
}

gboolean
ff_supervisor_authorize (FfStore       *store,
                         const FfTask  *task,
                         const char    *visit,
                         const char    *name,
                         const char    *pin,
                         GError       **error)
{
  const FfSupervisor *supervisor;
  g_autofree char *count = NULL;
  guint failed;

  if (ff_supervisor_overrides_locked (store))
    {
      set_locked_error (error);
      return FALSE;
    }
  supervisor = ff_task_find_supervisor (task, name);
  if (supervisor == NULL)
    {
      g_set_error (error, FF_SUPERVISOR_ERROR, FF_SUPERVISOR_ERROR_UNKNOWN,
                   _("%s is not a supervisor of task %s."), name, task->task_id);
      return FALSE;
    }
  if (ff_supervisor_pin_is_valid (pin) && ff_pin_verify (pin, supervisor->pin_hash))
    return ff_store_set_setting (store, SETTING_ATTEMPTS, NULL, error);

  failed = failed_attempts (store, visit) + 1;
  count = g_strdup_printf ("%u %s", failed, visit);
  if (!ff_store_set_setting (store, SETTING_ATTEMPTS, count, error))
    return FALSE;
  if (failed >= FF_SUPERVISOR_ATTEMPTS)
    {
      if (!ff_store_set_setting (store, SETTING_LOCKED, visit, error))
        return FALSE;
      set_locked_error (error);
      return FALSE;
    }
  g_set_error (error, FF_SUPERVISOR_ERROR, FF_SUPERVISOR_ERROR_WRONG_PIN,
               _("Wrong PIN. Attempts left before overrides lock: %u."),
               FF_SUPERVISOR_ATTEMPTS - failed);
  return FALSE;
}

gboolean
ff_supervisor_unlock (FfStore  *store,
                      GError  **error)
{
  return ff_store_set_setting (store, SETTING_LOCKED, NULL, error)
         && ff_store_set_setting (store, SETTING_ATTEMPTS, NULL, error);
}
