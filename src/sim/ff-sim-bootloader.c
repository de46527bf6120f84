/* The simulated bootloader: U-Boot's decisions at each boot, and the loop that boots the device,
 * runs the real agent and reboots it. */
#include "config.h"

#include "ff-sim-bootloader.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "ff-env-tear.h"
#include "ff-sim-bootenv.h"
#include "ff-sim-error.h"
#include "ff-sim-image.h"

/* The agent's exit status that asks for a reboot (docs/agent.md). */
#define AGENT_REBOOT 10
#define DEFAULT_BOOTLIMIT 3
/* A real terminal's watchdog would reboot a crashing agent for ever; the simulator halts after this
 * many crashes in a row, so a broken agent ends a test instead of spinning. */
#define CRASHES_MAX 10

static const char slot_name[2] = { 'a', 'b' };

static void
event (FfSimBoot  *boot,
       const char *format,
       ...) G_GNUC_PRINTF (2, 3);

static void
event (FfSimBoot  *boot,
       const char *format,
       ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (boot->events, g_strdup_vprintf (format, args));
  va_end (args);
}

/* Checks a kernel and a rootfs slot; on success fills the boot's versions and health, otherwise
 * records why that slot cannot boot. */
static gboolean
check_slots (FfSimBoot  *boot,
             const char *kernel,
             const char *rootfs)
{
  g_auto(FfSimImageInfo) kernel_info = { NULL };
  g_auto(FfSimImageInfo) rootfs_info = { NULL };
  g_autoptr(GError) error = NULL;
  gboolean ok = ff_sim_image_inspect (kernel, &kernel_info, &error)
                && ff_sim_image_inspect (rootfs, &rootfs_info, &error);

  g_clear_pointer (&boot->kernel_version, g_free);
  g_clear_pointer (&boot->rootfs_version, g_free);
  if (!ok)
    {
      event (boot, "%s", error->message);
      return FALSE;
    }
  if (!g_str_equal (kernel_info.kind, "kernel") || !g_str_equal (rootfs_info.kind, "rootfs"))
    {
      event (boot, "slot %s or %s holds an image of the wrong kind", kernel, rootfs);
      return FALSE;
    }
  boot->kernel_version = g_steal_pointer (&kernel_info.version);
  boot->rootfs_version = g_steal_pointer (&rootfs_info.version);
  boot->healthy = kernel_info.healthy && rootfs_info.healthy;
  return TRUE;
}

static void
decide_recovery (FfSimNetdevice *device,
                 FfSimBootEnv   *env,
                 FfSimBoot      *boot)
{
  g_autofree char *mode = ff_sim_boot_env_get (env, "ff_mode");

  boot->slot = -1;
  if (g_strcmp0 (mode, "recovery") == 0)
    {
      /* The recovery system has its own kernel and rootfs: the slots' versions (or why a slot
       * is torn, while the recovery system writes it) are informative. */
      boot->mode = FF_SIM_BOOT_RECOVERY;
      check_slots (boot, device->kernel[0], device->rootfs[0]);
      boot->healthy = TRUE;
      return;
    }
  if (check_slots (boot, device->kernel[0], device->rootfs[0]))
    {
      boot->mode = FF_SIM_BOOT_NORMAL;
      return;
    }
  /* U-Boot's fallback for a system that does not check out: the recovery system, which can
   * write the slots again. */
  event (boot, "the system slots cannot be booted: booting the recovery system");
  boot->mode = FF_SIM_BOOT_RECOVERY;
  boot->healthy = TRUE;
}

static void
decide_ab (FfSimNetdevice *device,
           FfSimBootEnv   *env,
           FfSimBoot      *boot,
           gboolean       *changed)
{
  g_autofree char *slot_text = ff_sim_boot_env_get (env, "boot_slot");
  gint slot = g_strcmp0 (slot_text, "b") == 0 ? 1 : 0;

  if (ff_sim_boot_env_get_number (env, "upgrade_available", 0) == 1)
    {
      guint64 count = ff_sim_boot_env_get_number (env, "bootcount", 0) + 1;
      guint64 limit = ff_sim_boot_env_get_number (env, "bootlimit", DEFAULT_BOOTLIMIT);
      g_autofree char *count_text = g_strdup_printf ("%" G_GUINT64_FORMAT, count);

      ff_sim_boot_env_set (env, "bootcount", count_text);
      *changed = TRUE;
      if (count > limit)
        {
          event (boot, "bootcount %" G_GUINT64_FORMAT " > bootlimit %" G_GUINT64_FORMAT
                 ": falling back from slot %c to slot %c", count, limit, slot_name[slot],
                 slot_name[1 - slot]);
          slot = 1 - slot;
          ff_sim_boot_env_set (env, "boot_slot", (char[]) { slot_name[slot], '\0' });
          ff_sim_boot_env_set (env, "upgrade_available", "0");
        }
    }
  if (!check_slots (boot, device->kernel[slot], device->rootfs[slot]))
    {
      event (boot, "slot %c cannot be booted: trying slot %c", slot_name[slot], slot_name[1 - slot]);
      slot = 1 - slot;
      if (!check_slots (boot, device->kernel[slot], device->rootfs[slot]))
        {
          event (boot, "BRICKED: neither slot can be booted");
          boot->mode = FF_SIM_BOOT_BRICKED;
          boot->slot = -1;
          return;
        }
      ff_sim_boot_env_set (env, "boot_slot", (char[]) { slot_name[slot], '\0' });
      ff_sim_boot_env_set (env, "upgrade_available", "0");
      *changed = TRUE;
    }
  boot->mode = FF_SIM_BOOT_NORMAL;
  boot->slot = slot;
}

gboolean
ff_sim_boot_decide (FfSimNetdevice *device,
                    FfSimBoot      *boot,
                    GError        **error)
{
  gboolean valid, changed = FALSE;
  g_autoptr(FfSimBootEnv) env = ff_sim_boot_env_open (device->env_config, &valid, error);

  *boot = (FfSimBoot) { .events = g_ptr_array_new_with_free_func (g_free), .slot = -1 };
  if (env == NULL)
    return FALSE;
  if (!valid)
    {
      /* Cannot happen with a redundant environment written by one store at a time; if it does,
       * U-Boot goes on with its built-in default, as a real one does. */
      event (boot, "no valid copy of the boot environment: using the default environment");
      if (device->layout == FF_SIM_LAYOUT_AB)
        {
          ff_sim_boot_env_set (env, "boot_slot", "a");
          ff_sim_boot_env_set (env, "upgrade_available", "0");
          ff_sim_boot_env_set (env, "bootcount", "0");
          ff_sim_boot_env_set (env, "bootlimit", "3");
        }
      else
        ff_sim_boot_env_set (env, "ff_mode", "normal");
      changed = TRUE;
    }
  if (device->layout == FF_SIM_LAYOUT_AB)
    decide_ab (device, env, boot, &changed);
  else
    decide_recovery (device, env, boot);
  return !changed || ff_sim_boot_env_store (env, error);
}

gboolean
ff_sim_boot_write_versions (FfSimNetdevice  *device,
                            const FfSimBoot *boot,
                            GError         **error)
{
  g_autoptr(GKeyFile) versions = g_key_file_new ();
  g_autofree char *text = NULL;

  if (boot->kernel_version != NULL)
    g_key_file_set_string (versions, "versions", "kernel", boot->kernel_version);
  if (boot->rootfs_version != NULL)
    g_key_file_set_string (versions, "versions", "rootfs", boot->rootfs_version);
  if (boot->slot >= 0)
    g_key_file_set_string (versions, "versions", "slot",
                           (char[]) { slot_name[boot->slot], '\0' });
  g_key_file_set_string (versions, "versions", "mode",
                         boot->mode == FF_SIM_BOOT_RECOVERY ? "recovery" : "normal");
  g_key_file_set_boolean (versions, "versions", "healthy", boot->healthy);
  text = g_key_file_to_data (versions, NULL, NULL);
  return g_file_set_contents_full (device->running_versions, text, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}

char *
ff_sim_boot_describe (const FfSimBoot *boot,
                      guint64          number)
{
  static const char *const modes[] = { "normal", "recovery", "bricked" };

  return g_strdup_printf ("boot %" G_GUINT64_FORMAT " mode=%s slot=%s kernel=%s rootfs=%s%s",
                          number, modes[boot->mode],
                          boot->slot >= 0 ? (boot->slot == 0 ? "a" : "b") : "-",
                          boot->kernel_version != NULL ? boot->kernel_version : "-",
                          boot->rootfs_version != NULL ? boot->rootfs_version : "-",
                          boot->healthy || boot->mode == FF_SIM_BOOT_BRICKED ? "" : " unhealthy");
}

void
ff_sim_boot_clear (FfSimBoot *boot)
{
  g_clear_pointer (&boot->kernel_version, g_free);
  g_clear_pointer (&boot->rootfs_version, g_free);
  g_clear_pointer (&boot->events, g_ptr_array_unref);
}

/* The loop */

typedef struct
{
  FfSimNetdevice               *device;
  const FfSimBootloaderOptions *options;
  GMainLoop                    *loop;
  GSubprocess                  *agent;
  FILE                         *log;
  guint64                       boots;
  guint                         crashes;  /* in a row */
  gboolean                      boot_fault_struck;
  gboolean                      stopping;
  int                           exit_code;
} Bootloader;

static void
log_line (Bootloader *bl,
          const char *line)
{
  /* One line per event, flushed at once: a power cut of the whole loop loses no earlier line. */
  fprintf (bl->log, "%s\n", line);
  fflush (bl->log);
  printf ("%s\n", line);
  fflush (stdout);
}

static void
finish (Bootloader *bl,
        int         exit_code)
{
  bl->exit_code = exit_code;
  g_main_loop_quit (bl->loop);
}

static gboolean boot (gpointer user_data);

static gboolean
is_power_cut (const char *fault)
{
  return fault != NULL && (g_str_has_prefix (fault, "power-cut-") || strstr (fault, ",power-cut-"));
}

static void
on_agent_exit (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Bootloader *bl = user_data;
  g_autoptr(GSubprocess) agent = g_steal_pointer (&bl->agent);
  g_autofree char *line = NULL;

  g_subprocess_wait_finish (agent, result, NULL);
  if (g_subprocess_get_if_exited (agent))
    {
      int status = g_subprocess_get_exit_status (agent);

      if (status == 0 || bl->stopping)
        {
          log_line (bl, "the agent stopped: the terminal is shut down");
          finish (bl, FF_SIM_BOOTLOADER_STOPPED);
          return;
        }
      line = status == AGENT_REBOOT
               ? g_strdup ("the agent asked for a reboot")
               : g_strdup_printf ("the agent exited with status %d: a crash, rebooting", status);
      if (status == AGENT_REBOOT)
        bl->crashes = 0;
      else
        bl->crashes++;
    }
  else
    {
      int signal_number = g_subprocess_get_term_sig (agent);

      if (signal_number == SIGKILL && is_power_cut (bl->options->agent_fault))
        {
          line = g_strdup_printf ("POWER CUT (%s): the terminal is off until `networked run` "
                                  "starts it again", bl->options->agent_fault);
          log_line (bl, line);
          finish (bl, FF_SIM_BOOTLOADER_POWER_CUT);
          return;
        }
      if (bl->stopping)
        {
          log_line (bl, "the agent stopped: the terminal is shut down");
          finish (bl, FF_SIM_BOOTLOADER_STOPPED);
          return;
        }
      line = g_strdup_printf ("the agent died of signal %d (%s): rebooting", signal_number,
                              g_strsignal (signal_number));
      bl->crashes++;
    }
  log_line (bl, line);
  if (bl->crashes >= CRASHES_MAX)
    {
      log_line (bl, "HALTED: the agent crashed " G_STRINGIFY (CRASHES_MAX) " times in a row");
      finish (bl, FF_SIM_BOOTLOADER_HALTED);
      return;
    }
  g_idle_add (boot, bl);
}

/* The bootloader's power cut at its environment write, when this boot wrote the environment (the
 * bootcount of an unconfirmed slot, a fallback's slot switch): the written copy torn half way, or
 * left whole; then the loop stops for the test to cut the power from outside with SIGKILL. A boot
 * that wrote nothing goes on, the fault kept for the next. */
static void
boot_fault_strike (Bootloader *bl,
                   FfEnvTear  *tear)
{
  g_autofree char *line = NULL;
  gboolean torn = g_str_has_prefix (bl->options->boot_fault, "boot-cut-in=");

  if (!(torn ? ff_env_tear_changed_copy (tear) : ff_env_tear_any_changed (tear)))
    return;
  bl->boot_fault_struck = TRUE;
  line = g_strdup_printf ("POWER CUT POINT (%s): the bootloader stops; the power goes off from "
                          "outside", bl->options->boot_fault);
  log_line (bl, line);
  raise (SIGSTOP);
}

static gboolean
boot (gpointer user_data)
{
  Bootloader *bl = user_data;
  g_auto(FfSimBoot) decision = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *line = NULL;
  const char *config = bl->options->agent_config != NULL ? bl->options->agent_config
                                                         : bl->device->agent_config;

  g_autoptr(FfEnvTear) tear = NULL;

  if (bl->options->boot_fault != NULL && !bl->boot_fault_struck)
    tear = ff_env_tear_before_store (bl->device->env_config);
  if (!ff_sim_boot_decide (bl->device, &decision, &error))
    {
      log_line (bl, error->message);
      finish (bl, FF_SIM_BOOTLOADER_FAILED);
      return G_SOURCE_REMOVE;
    }
  if (tear != NULL)
    boot_fault_strike (bl, tear);
  if (decision.mode != FF_SIM_BOOT_BRICKED
      && !ff_sim_boot_write_versions (bl->device, &decision, &error))
    {
      log_line (bl, error->message);
      finish (bl, FF_SIM_BOOTLOADER_FAILED);
      return G_SOURCE_REMOVE;
    }
  bl->boots++;
  for (guint i = 0; i < decision.events->len; i++)
    log_line (bl, decision.events->pdata[i]);
  line = ff_sim_boot_describe (&decision, bl->boots);
  log_line (bl, line);
  if (decision.mode == FF_SIM_BOOT_BRICKED)
    {
      finish (bl, FF_SIM_BOOTLOADER_BRICKED);
      return G_SOURCE_REMOVE;
    }

  for (const char * const *a = bl->options->agent_argv; *a != NULL; a++)
    g_ptr_array_add (argv, (char *) *a);
  g_ptr_array_add (argv, "--config");
  g_ptr_array_add (argv, (char *) config);
  g_ptr_array_add (argv, "--mode");
  g_ptr_array_add (argv, decision.mode == FF_SIM_BOOT_RECOVERY ? "recovery" : "normal");
  g_ptr_array_add (argv, NULL);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  if (bl->options->agent_fault != NULL)
    g_subprocess_launcher_setenv (launcher, "FIELDFLASH_AGENT_FAULT", bl->options->agent_fault,
                                  TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "FIELDFLASH_AGENT_FAULT");
  bl->agent = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  if (bl->agent == NULL)
    {
      log_line (bl, error->message);
      finish (bl, FF_SIM_BOOTLOADER_FAILED);
      return G_SOURCE_REMOVE;
    }
  g_subprocess_wait_async (bl->agent, NULL, on_agent_exit, bl);
  return G_SOURCE_REMOVE;
}

static gboolean
on_stop_signal (gpointer user_data)
{
  Bootloader *bl = user_data;

  /* A clean shutdown: the agent gets SIGTERM and the loop ends when it has stopped. */
  bl->stopping = TRUE;
  if (bl->agent != NULL)
    g_subprocess_send_signal (bl->agent, SIGTERM);
  else
    finish (bl, FF_SIM_BOOTLOADER_STOPPED);
  return G_SOURCE_CONTINUE;
}

/* SIGUSR1 goes on to the running agent: its version query now (docs/agent.md). */
static gboolean
on_query_signal (gpointer user_data)
{
  Bootloader *bl = user_data;

  if (bl->agent != NULL)
    g_subprocess_send_signal (bl->agent, SIGUSR1);
  return G_SOURCE_CONTINUE;
}

/* Boots counted so far, from the log: the numbers go on across runs of the loop. */
static guint64
boots_logged (const char *log)
{
  g_autofree char *text = NULL;
  guint64 boots = 0;

  if (!g_file_get_contents (log, &text, NULL, NULL))
    return 0;
  for (const char *line = text; line != NULL && *line != '\0';)
    {
      const char *next = strchr (line, '\n');

      if (g_str_has_prefix (line, "boot "))
        boots++;
      line = next != NULL ? next + 1 : NULL;
    }
  return boots;
}

int
ff_sim_bootloader_run (FfSimNetdevice               *device,
                       const FfSimBootloaderOptions *options)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Bootloader bl = { device, options, loop, .exit_code = FF_SIM_BOOTLOADER_FAILED };
  guint term, interrupt, query;

  bl.boots = boots_logged (device->log);
  bl.log = g_fopen (device->log, "a");
  if (bl.log == NULL)
    {
      g_printerr (_("Cannot write %s: %s\n"), device->log, g_strerror (errno));
      return FF_SIM_BOOTLOADER_FAILED;
    }
  term = g_unix_signal_add (SIGTERM, on_stop_signal, &bl);
  interrupt = g_unix_signal_add (SIGINT, on_stop_signal, &bl);
  query = g_unix_signal_add (SIGUSR1, on_query_signal, &bl);
  g_idle_add (boot, &bl);
  g_main_loop_run (loop);
  g_source_remove (term);
  g_source_remove (interrupt);
  g_source_remove (query);
  fclose (bl.log);
  return bl.exit_code;
}
