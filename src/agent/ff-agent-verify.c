/* fieldflash-agent: the package of the command in progress checked for this terminal, and its
 * images staged on the data partition (see ff-agent-private.h). */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "ff-agent-files.h"
#include "ff-agent-private.h"
#include "ff-agent-programs.h"
#include "ff-agent-fault.h"
#include "ff-delta.h"
#include "ff-package.h"
#include "ff-version.h"

static gboolean
refuse (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
refuse (GError **error, const char *format, ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, FF_AGENT_ERROR, FF_AGENT_ERROR_REFUSED, message);
  return FALSE;
}

/* The simulated disk corruption: one byte of a stored file flipped. */
static void
corrupt_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize length;

  if (g_file_get_contents (path, &data, &length, NULL) && length > 0)
    {
      data[length / 2] ^= 0x40;
      g_file_set_contents (path, data, length, NULL);
    }
}

/* The file a payload of @kind replaces now: the running slot's image or the program. */
static char *
installed_file (FfAgent *agent, const char *kind)
{
  FfAgentConfig *config = agent->config;
  FfAgentImage image;
  FfAgentProgram program;

  if (ff_agent_image_from_name (kind, &image))
    {
      guint active = config->layout == FF_AGENT_LAYOUT_AB && agent->state->previous_slot == 'b';

      return g_strdup (config->slots[image][active]);
    }
  if (ff_agent_program_from_name (kind, &program))
    return g_strdup (config->programs[program]);
  g_return_val_if_reached (NULL);
}

/* Anti-rollback: a lower version only by a signed rollback; never below min_installed_version. */
static gboolean
check_versions (FfAgent *agent, const FfPackagePayload *payload, GHashTable *running,
                GError **error)
{
  const char *installed = g_hash_table_lookup (running, payload->kind);

  if (payload->min_installed_version != NULL
      && (installed == NULL || ff_version_compare (installed, payload->min_installed_version) < 0))
    return refuse (error, _("The installed %s %s is below %s, the lowest version this package "
                            "replaces."), payload->kind, installed != NULL ? installed : "?",
                   payload->min_installed_version);
  if (installed != NULL && ff_version_compare (payload->version, installed) < 0
      && !agent->state->allow_downgrade)
    return refuse (error, _("The package would downgrade the %s from %s to %s; only a signed "
                            "rollback command may do that."), payload->kind, installed,
                   payload->version);
  return TRUE;
}

/* Puts the payload's image in data/staging/KIND: extracted (size and digest checked by the
 * package), or, for a delta, applied to the installed image and checked against the digest the
 * patch names. Records the image's SHA-256. */
static gboolean
stage_payload (FfAgent *agent, FfPackage *package, const FfPackagePayload *payload,
               GError **error)
{
  g_autofree char *staging = ff_agent_staging_path (agent, payload->kind);
  g_autofree char *patch_path = NULL;
  g_autofree char *installed = NULL;
  g_autofree char *installed_sha256 = NULL;
  g_autoptr(GMappedFile) old_image = NULL;
  g_autoptr(GMappedFile) patch = NULL;
  g_autoptr(GBytes) old_bytes = NULL, patch_bytes = NULL, new_image = NULL;
  g_autofree char *staging_dir = g_path_get_dirname (staging);
  g_autoptr(GError) delta_error = NULL;

  if (g_mkdir_with_parents (staging_dir, 0700) != 0)
    return g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_IO, "%s: %s", staging_dir,
                        g_strerror (errno)), FALSE;
  if (payload->delta_from == NULL)
    {
      /* A/B: the image goes from the package straight into the inactive slot (writing-slot), so
       * it is not copied to the data partition first; here its digest is checked before anything
       * is written. */
      if (ff_agent_writes_from_package (agent, payload)
          ? !ff_package_read_payload (package, payload->kind, NULL, NULL, error)
          : !ff_package_extract_payload (package, payload->kind, staging, error))
        return FALSE;
      g_hash_table_insert (agent->state->target_sha256, g_strdup (payload->kind),
                           g_strdup (payload->sha256));
      return TRUE;
    }

  installed = installed_file (agent, payload->kind);
  installed_sha256 = ff_sha256_file_hex (installed, NULL, error);
  if (installed_sha256 == NULL)
    return FALSE;
  if (!g_str_equal (installed_sha256, payload->delta_from))
    return refuse (error, _("The %s delta was made for another installed image (SHA-256 %s, "
                            "installed %s)."), payload->kind, payload->delta_from,
                   installed_sha256);
  patch_path = g_strconcat (staging, ".ffdelta", NULL);
  if (!ff_package_extract_payload (package, payload->kind, patch_path, error))
    return FALSE;
  old_image = g_mapped_file_new (installed, FALSE, error);
  patch = old_image != NULL ? g_mapped_file_new (patch_path, FALSE, error) : NULL;
  if (patch == NULL)
    return FALSE;
  old_bytes = g_mapped_file_get_bytes (old_image);
  patch_bytes = g_mapped_file_get_bytes (patch);
  /* ff_delta_apply checks the result against the SHA-256 in the patch's header. */
  new_image = ff_delta_apply (old_bytes, patch_bytes, &delta_error);
  g_unlink (patch_path);
  if (new_image == NULL)
    return refuse (error, _("The %s delta does not apply: %s"), payload->kind,
                   delta_error->message);
  if (!ff_agent_write_file (staging, g_bytes_get_data (new_image, NULL),
                            g_bytes_get_size (new_image), error))
    return FALSE;
  g_hash_table_insert (agent->state->target_sha256, g_strdup (payload->kind),
                       ff_sha256_hex (g_bytes_get_data (new_image, NULL),
                                      g_bytes_get_size (new_image)));
  return TRUE;
}

gboolean
ff_agent_writes_from_package (FfAgent *agent, const FfPackagePayload *payload)
{
  FfAgentImage image;

  return agent->config->layout == FF_AGENT_LAYOUT_AB && payload->delta_from == NULL
         && ff_agent_image_from_name (payload->kind, &image);
}

FfPackage *
ff_agent_open_package (FfAgent *agent, GError **error)
{
  g_autofree char *path = ff_agent_package_path (agent);
  g_autoptr(GError) local_error = NULL;
  FfPackage *package = ff_package_open (path, agent->platform_key, &local_error);

  if (package == NULL)
    {
      gboolean io = g_error_matches (local_error, FF_PACKAGE_ERROR, FF_PACKAGE_ERROR_FAILED);

      g_set_error (error, FF_AGENT_ERROR, io ? FF_AGENT_ERROR_IO : FF_AGENT_ERROR_REFUSED,
                   _("The package is refused: %s"), local_error->message);
    }
  return package;
}

char *
ff_agent_find_stored_package (FfAgent *agent, GError **error)
{
  g_autofree char *packages = ff_agent_config_data_file (agent->config, "packages", NULL);
  g_autoptr(GDir) dir = g_dir_open (packages, 0, NULL);
  g_autofree char *found = NULL;
  guint n_found = 0;
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    if (strlen (name) == 64 + strlen (".ffpkg") && g_str_has_suffix (name, ".ffpkg"))
      {
        n_found++;
        g_free (found);
        found = g_strndup (name, 64);
      }
  if (n_found == 1)
    return g_steal_pointer (&found);
  if (n_found == 0)
    g_set_error_literal (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                         _("No package is left on the data partition."));
  else
    g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                 _("%u packages are on the data partition; which one was being written is not "
                   "known."), n_found);
  return NULL;
}

static FfPackage *
open_package (FfAgent *agent, GError **error)
{
  if (!agent->recovery_mode && ff_agent_fault_corrupt_package (FALSE))
    {
      g_autofree char *path = ff_agent_package_path (agent);

      corrupt_file (path);
    }
  return ff_agent_open_package (agent, error);
}

/* What the terminal would gain: nothing when every payload is at the version of its kind that
 * runs now (a repeated or duplicate command) — then a sentence that says so, else NULL. A signed
 * rollback installs what it carries even so: the operator asked for that package. */
static char *
already_running (FfAgent *agent, const FfPackagePayload *payloads, guint n_payloads,
                 GHashTable *running)
{
  g_autoptr(GString) parts = g_string_new (NULL);

  if (agent->state->allow_downgrade)
    return NULL;
  for (guint i = 0; i < n_payloads; i++)
    {
      const char *installed = g_hash_table_lookup (running, payloads[i].kind);

      if (installed == NULL || ff_version_compare (payloads[i].version, installed) != 0)
        return NULL;
      g_string_append_printf (parts, "%s%s %s", i > 0 ? ", " : "", payloads[i].kind,
                              payloads[i].version);
    }
  return g_strdup_printf (_("Already running: %s; nothing was installed."), parts->str);
}

gboolean
ff_agent_verify_package (FfAgent *agent, char **running_already, GError **error)
{
  FfAgentConfig *config = agent->config;
  FfAgentState *state = agent->state;
  g_autoptr(FfPackage) package = open_package (agent, error);
  g_autoptr(GHashTable) running = NULL;
  const FfPackagePayload *payloads;
  guint n_payloads, n_images = 0;

  if (package == NULL)
    return FALSE;
  if (g_strcmp0 (ff_package_get_vendor (package), config->vendor) != 0
      || g_strcmp0 (ff_package_get_model (package), config->model) != 0
      || !ff_package_fits_hardware (package, config->hardware_version))
    {
      g_autofree char *hardware = g_strjoinv (", ", (char **) ff_package_get_hardware_versions (
                                                                package));

      return refuse (error, _("The package is for %s %s with hardware %s, not for this %s %s "
                              "with hardware %s."),
                     ff_package_get_vendor (package), ff_package_get_model (package), hardware,
                     config->vendor, config->model, config->hardware_version);
    }
  payloads = ff_package_get_payloads (package, &n_payloads);
  for (guint i = 0; i < n_payloads; i++)
    {
      FfAgentImage image;

      n_images += ff_agent_image_from_name (payloads[i].kind, &image);
    }
  if (n_payloads == 0)
    return refuse (error, _("The package has no payload."));
  /* A system upgrade reboots and a program upgrade does not: one package is one or the other. */
  if (n_images != 0 && n_images != n_payloads)
    return refuse (error, _("The package mixes system images and programs; this terminal "
                            "installs them in separate packages."));

  running = ff_agent_running_versions (config);
  if (config->layout == FF_AGENT_LAYOUT_AB && n_images > 0)
    {
      const char *slot = g_hash_table_lookup (running, "slot");

      if (g_strcmp0 (slot, "a") != 0 && g_strcmp0 (slot, "b") != 0)
        return g_set_error (error, FF_AGENT_ERROR, FF_AGENT_ERROR_FAILED,
                            _("The bootloader did not say which slot is running (%s)."),
                            config->running_versions), FALSE;
      state->previous_slot = slot[0];
      state->target_slot = slot[0] == 'a' ? 'b' : 'a';
    }
  g_hash_table_remove_all (state->target_versions);
  g_hash_table_remove_all (state->target_sha256);
  for (guint i = 0; i < n_payloads; i++)
    if (!check_versions (agent, &payloads[i], running, error))
      return FALSE;
  if (running_already != NULL
      && (*running_already = already_running (agent, payloads, n_payloads, running)) != NULL)
    return TRUE;
  for (guint i = 0; i < n_payloads; i++)
    {
      if (!stage_payload (agent, package, &payloads[i], error))
        return FALSE;
      g_hash_table_insert (state->target_versions, g_strdup (payloads[i].kind),
                           g_strdup (payloads[i].version));
    }
  return TRUE;
}

gboolean
ff_agent_verify_staged (FfAgent *agent, GError **error)
{
  g_autoptr(GPtrArray) images = ff_agent_planned_images (agent);

  if (!agent->state->falling_back)
    {
      g_autoptr(FfPackage) package = open_package (agent, error);

      if (package == NULL)
        return FALSE;
    }
  for (guint i = 0; i < images->len; i++)
    {
      const char *kind = g_ptr_array_index (images, i);
      const char *expected = g_hash_table_lookup (agent->state->falling_back
                                                  ? agent->state->backup_sha256
                                                  : agent->state->target_sha256, kind);
      g_autofree char *path = agent->state->falling_back ? ff_agent_slot_backup_path (agent, kind)
                                                         : ff_agent_staging_path (agent, kind);
      g_autofree char *actual = NULL;

      if (i == 0 && ff_agent_fault_corrupt_package (TRUE))
        corrupt_file (path);
      actual = ff_sha256_file_hex (path, NULL, NULL);

      if (expected == NULL || g_strcmp0 (actual, expected) != 0)
        return refuse (error, _("The image to write, %s, is damaged (SHA-256 %s, expected %s)."),
                       path, actual != NULL ? actual : "?", expected != NULL ? expected : "?");
    }
  return TRUE;
}
