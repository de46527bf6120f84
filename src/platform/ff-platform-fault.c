/* FIELDFLASH_PLATFORM_FAULT, parsed once: see ff-platform-fault.h. */
#include "config.h"

#include "ff-platform-fault.h"

#include "ff-platform-error.h"

#include <glib/gi18n-lib.h>
#include <string.h>

static struct
{
  guint  kill_after_puback;
  guint  kill_after_claim;
  guint  kill_in_credentials;
  guint  check_timeout;
  guint  kill_before_commit;
  guint  kill_after_commit;
  char  *delta_gate;
} faults;

/* @fault is "NAME=N" with N ≥ 1: *@n set. */
static gboolean
read_count (const char *fault,
            const char *name,
            guint      *n)
{
  gsize length = strlen (name);
  guint64 value = 0;

  if (strncmp (fault, name, length) != 0 || fault[length] != '='
      || !g_ascii_string_to_unsigned (fault + length + 1, 10, 1, G_MAXUINT, &value, NULL))
    return FALSE;
  *n = (guint) value;
  return TRUE;
}

gboolean
ff_platform_fault_init (GError **error)
{
  const char *value = g_getenv ("FIELDFLASH_PLATFORM_FAULT");
  g_auto(GStrv) parts = NULL;

  if (value == NULL)
    return TRUE;
  parts = g_strsplit (value, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *fault = g_strstrip (parts[i]);

      if (*fault == '\0'
          || read_count (fault, "kill-after-puback", &faults.kill_after_puback)
          || read_count (fault, "kill-after-claim", &faults.kill_after_claim)
          || read_count (fault, "kill-in-credentials", &faults.kill_in_credentials)
          || read_count (fault, "check-timeout", &faults.check_timeout)
          || read_count (fault, "kill-before-commit", &faults.kill_before_commit)
          || read_count (fault, "kill-after-commit", &faults.kill_after_commit))
        continue;
      if (g_str_has_prefix (fault, "delta-gate=") && fault[strlen ("delta-gate=")] != '\0')
        {
          g_free (faults.delta_gate);
          faults.delta_gate = g_strdup (fault + strlen ("delta-gate="));
        }
      else
        {
          g_set_error (error, FF_PLATFORM_ERROR, FF_PLATFORM_ERROR_INVALID,
                       _("FIELDFLASH_PLATFORM_FAULT: unknown fault “%s”"), fault);
          return FALSE;
        }
    }
  return TRUE;
}

guint
ff_platform_fault_kill_after_puback (void)
{
  return faults.kill_after_puback;
}

guint
ff_platform_fault_kill_after_claim (void)
{
  return faults.kill_after_claim;
}

guint
ff_platform_fault_kill_in_credentials (void)
{
  return faults.kill_in_credentials;
}

guint
ff_platform_fault_check_timeout (void)
{
  return faults.check_timeout;
}

guint
ff_platform_fault_kill_before_commit (void)
{
  return faults.kill_before_commit;
}

guint
ff_platform_fault_kill_after_commit (void)
{
  return faults.kill_after_commit;
}

void
ff_platform_fault_delta_gate (void)
{
  g_autofree char *contents = NULL;

  if (faults.delta_gate == NULL)
    return;
  g_message ("FIELDFLASH_PLATFORM_FAULT: a delta package waits at %s", faults.delta_gate);
  /* A FIFO: opening it waits for its writer, reading it for the writer's end. */
  g_file_get_contents (faults.delta_gate, &contents, NULL, NULL);
}
