/* FIELDFLASH_AGENT_FAULT, parsed once: see ff-agent-fault.h. */
#include "config.h"

#include "ff-agent-fault.h"

#include <glib/gi18n-lib.h>
#include <signal.h>
#include <unistd.h>

#include "ff-agent-config.h"

static struct
{
  char *power_cut_at;
  char *stop_at;
  gint64 slot_cut_bytes;
  gint64 download_cut_bytes;
  gboolean download_rename_cut;
  gboolean slot_write_error;
  gboolean env_write_cut;
  int corrupt_package;      /* 0 none, 1 first verification, 2 the recovery system's */
} faults = { NULL, NULL, -1, -1, FALSE, FALSE, FALSE, 0 };

gboolean
ff_agent_fault_init (GError **error)
{
  const char *value = g_getenv ("FIELDFLASH_AGENT_FAULT");
  g_auto(GStrv) parts = NULL;

  if (value == NULL)
    return TRUE;
  parts = g_strsplit (value, ",", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      const char *fault = g_strstrip (parts[i]);
      guint64 bytes;

      if (*fault == '\0')
        continue;
      if (g_str_has_prefix (fault, "power-cut-at=") && fault[13] != '\0')
        {
          g_free (faults.power_cut_at);
          faults.power_cut_at = g_strdup (fault + 13);
        }
      else if (g_str_has_prefix (fault, "stop-at=") && fault[8] != '\0')
        {
          g_free (faults.stop_at);
          faults.stop_at = g_strdup (fault + 8);
        }
      else if (g_str_has_prefix (fault, "power-cut-in=write-slot:")
               && g_ascii_string_to_unsigned (fault + 24, 10, 0, G_MAXINT64, &bytes, NULL))
        faults.slot_cut_bytes = bytes;
      else if (g_str_has_prefix (fault, "power-cut-in=download:")
               && g_ascii_string_to_unsigned (fault + 22, 10, 0, G_MAXINT64, &bytes, NULL))
        faults.download_cut_bytes = bytes;
      else if (g_str_equal (fault, "power-cut-in=download-rename"))
        faults.download_rename_cut = TRUE;
      else if (g_str_equal (fault, "power-cut-in=env-write"))
        faults.env_write_cut = TRUE;
      else if (g_str_equal (fault, "slot-write-error"))
        faults.slot_write_error = TRUE;
      else if (g_str_equal (fault, "corrupt-download"))
        faults.corrupt_package = 1;
      else if (g_str_equal (fault, "corrupt-download=recovery"))
        faults.corrupt_package = 2;
      else
        {
          g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_CONFIG,
                       _("FIELDFLASH_AGENT_FAULT: unknown fault “%s”"), fault);
          return FALSE;
        }
    }
  return TRUE;
}

void
ff_agent_fault_power_cut (void)
{
  g_message ("FIELDFLASH_AGENT_FAULT: power cut");
  raise (SIGKILL);
  _exit (137);
}

void
ff_agent_fault_after_state (const char *state)
{
  if (g_strcmp0 (faults.power_cut_at, state) == 0)
    ff_agent_fault_power_cut ();
  if (g_strcmp0 (faults.stop_at, state) == 0)
    {
      /* The whole terminal's power is cut from outside (the bootloader with the agent): the agent
       * says where it is and waits, stopped, for that SIGKILL. */
      g_message ("FIELDFLASH_AGENT_FAULT: stopped at %s", state);
      raise (SIGSTOP);
    }
}

gint64
ff_agent_fault_slot_cut_bytes (void)
{
  return faults.slot_cut_bytes;
}

gint64
ff_agent_fault_download_cut_bytes (void)
{
  return faults.download_cut_bytes;
}

void
ff_agent_fault_download_renamed (void)
{
  if (faults.download_rename_cut)
    ff_agent_fault_power_cut ();
}

gboolean
ff_agent_fault_take_slot_write_error (void)
{
  gboolean fail = faults.slot_write_error;

  faults.slot_write_error = FALSE;
  return fail;
}

gboolean
ff_agent_fault_env_write_cut (void)
{
  return faults.env_write_cut;
}

gboolean
ff_agent_fault_corrupt_package (gboolean in_recovery)
{
  return faults.corrupt_package == (in_recovery ? 2 : 1);
}
