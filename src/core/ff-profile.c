/* Vendor profiles: data/profiles/NAME.ini read with GKeyFile into an Iec104Profile plus
 * Fieldflash's measurement map, checksum algorithm and boot time. */
#include "config.h"

#include "ff-profile.h"

#include <glib/gi18n-lib.h>
#include <stddef.h>
#include <string.h>
#include <zlib.h>

#include "ff-datadir.h"

G_DEFINE_QUARK (ff-profile-error-quark, ff_profile_error)

typedef enum
{
  FIELD_U8,
  FIELD_U16,
  FIELD_U32,
  FIELD_BOOL,
  FIELD_NAME,       /* char[IEC104_PROFILE_NAME_MAX + 1] */
  FIELD_COT_SET,    /* uint64 bit set, written as a list "5;7" */
  FIELD_NUMBERING,  /* Iec104SegmentNumbering: "offset" or "counter" */
} FieldKind;

/* One key of the file and where it goes in the Iec104Profile. Limits are inclusive; the
 * cross-field rules (w ≤ k, t2 < t1) are left to iec104_profile_validate. */
typedef struct
{
  const char *group;
  const char *key;
  FieldKind   kind;
  size_t      offset;
  guint64     min;
  guint64     max;
} FieldSpec;

#define FIELD(group, key, kind, member, min, max) \
  { group, key, kind, offsetof (Iec104Profile, member), min, max }

static const FieldSpec iec104_fields[] = {
  FIELD ("link", "t0-ms", FIELD_U32, t0_ms, 1, 600000),
  FIELD ("link", "t1-ms", FIELD_U32, t1_ms, 1, 600000),
  FIELD ("link", "t2-ms", FIELD_U32, t2_ms, 1, 600000),
  FIELD ("link", "t3-ms", FIELD_U32, t3_ms, 1, 3600000),
  FIELD ("link", "k", FIELD_U16, k, 1, 32767),
  FIELD ("link", "w", FIELD_U16, w, 1, 32767),
  FIELD ("link", "ack-when-drained", FIELD_BOOL, ack_when_drained, 0, 1),
  FIELD ("application", "common-address", FIELD_U16, common_address, 0, 0xFFFF),
  FIELD ("application", "param-sn", FIELD_U16, param_sn, 0, 0xFFFF),
  FIELD ("application", "reply-timeout-ms", FIELD_U32, reply_timeout_ms, 1, 3600000),
  FIELD ("application", "file-confirm-timeout-ms", FIELD_U32, file_confirm_timeout_ms, 1, 3600000),
  FIELD ("application", "sq-blocks", FIELD_BOOL, sq_blocks, 0, 1),
  FIELD ("ioa-ranges", "status-first", FIELD_U32, status_ioa_first, 0, 0xFFFFFF),
  FIELD ("ioa-ranges", "status-last", FIELD_U32, status_ioa_last, 0, 0xFFFFFF),
  FIELD ("ioa-ranges", "measurement-first", FIELD_U32, measurement_ioa_first, 0, 0xFFFFFF),
  FIELD ("ioa-ranges", "measurement-last", FIELD_U32, measurement_ioa_last, 0, 0xFFFFFF),
  FIELD ("ioa-ranges", "control-first", FIELD_U32, control_ioa_first, 0, 0xFFFFFF),
  FIELD ("ioa-ranges", "control-last", FIELD_U32, control_ioa_last, 0, 0xFFFFFF),
  FIELD ("ioa-ranges", "energy-first", FIELD_U32, energy_ioa_first, 0, 0xFFFFFF),
  FIELD ("ioa-ranges", "energy-last", FIELD_U32, energy_ioa_last, 0, 0xFFFFFF),
  FIELD ("ioa-ranges", "info-param-first", FIELD_U32, info_param_ioa_first, 0, 0xFFFFFF),
  FIELD ("ioa-ranges", "info-param-last", FIELD_U32, info_param_ioa_last, 0, 0xFFFFFF),
  FIELD ("ioa-ranges", "running-param-first", FIELD_U32, running_param_ioa_first, 0, 0xFFFFFF),
  FIELD ("ioa-ranges", "protection-param-first", FIELD_U32, protection_param_ioa_first, 0,
         0xFFFFFF),
  FIELD ("file", "upgrade-file-name", FIELD_NAME, upgrade_file_name, 1, IEC104_PROFILE_NAME_MAX),
  FIELD ("file", "directory-name", FIELD_NAME, directory_name, 0, IEC104_PROFILE_NAME_MAX),
  FIELD ("file", "write-file-id", FIELD_U32, write_file_id, 0, G_MAXUINT32),
  FIELD ("file", "segment-size", FIELD_U16, segment_size, 1, IEC104_SEGMENT_SIZE_MAX),
  FIELD ("file", "segment-numbering", FIELD_NUMBERING, segment_numbering, 0, 0),
  FIELD ("file", "pkt", FIELD_U8, file_pkt, 0, 255),
  FIELD ("file", "cot-dir-call", FIELD_U8, cot_dir_call, 1, 63),
  FIELD ("file", "cot-dir-confirm", FIELD_U8, cot_dir_confirm, 1, 63),
  FIELD ("file", "cot-read-act", FIELD_U8, cot_read_act, 1, 63),
  FIELD ("file", "cot-read-act-con", FIELD_U8, cot_read_act_con, 1, 63),
  FIELD ("file", "cot-read-data", FIELD_U8, cot_read_data, 1, 63),
  FIELD ("file", "cot-read-data-con", FIELD_U8, cot_read_data_con, 1, 63),
  FIELD ("file", "cot-write-act", FIELD_U8, cot_write_act, 1, 63),
  FIELD ("file", "cot-write-act-con", FIELD_U8, cot_write_act_con, 1, 63),
  FIELD ("file", "cot-write-data", FIELD_U8, cot_write_data, 1, 63),
  FIELD ("file", "cot-write-data-con", FIELD_U8, cot_write_data_con, 1, 63),
  FIELD ("file", "accepted-cots-dir-confirm", FIELD_COT_SET, accepted_cots_dir_confirm, 1, 63),
  FIELD ("file", "accepted-cots-write-data-con", FIELD_COT_SET, accepted_cots_write_data_con, 1,
         63),
  FIELD ("file", "read-resume-supported", FIELD_BOOL, read_resume_supported, 0, 1),
  FIELD ("upgrade", "start-before-write", FIELD_BOOL, upgrade_start_before_write, 0, 1),
  FIELD ("upgrade", "reboots-after-finish", FIELD_BOOL, reboots_after_upgrade_finish, 0, 1),
  FIELD ("upgrade", "reset-after-finish", FIELD_BOOL, reset_after_upgrade_finish, 0, 1),
  FIELD ("upgrade", "reboot-wait-ms", FIELD_U32, reboot_wait_ms, 1, 3600000),
  FIELD ("fault-events", "ioa-size", FIELD_U8, fault_event_ioa_size, 2, 3),
};

/* Keys that are Fieldflash's own rather than the protocol library's. */
#define GROUP_PROFILE      "profile"
#define GROUP_MEASUREMENTS "measurements"
#define KEY_TITLE          "title"
#define KEY_CHECKSUM       "checksum"
#define KEY_REBOOT_TIME    "reboot-time-ms"
#define KEY_DELTA          "delta"
#define REBOOT_TIME_MAX_MS 600000

/* The four measurements of the generic profile: consecutive telemetry IOAs from 0x4001. */
static const guint32 default_signal_ioa[FF_N_SIGNALS] = { 0x4001, 0x4002, 0x4003, 0x4004 };
#define DEFAULT_REBOOT_TIME_MS 3000

static void
set_invalid (GError     **error,
             const char  *profile,
             const char  *group,
             const char  *key,
             const char  *reason)
{
  g_set_error (error, FF_PROFILE_ERROR, FF_PROFILE_ERROR_INVALID,
               /* Translators: e.g. “Profile “state-grid”, [file] segment-size: 300 is out of
                * range (1–228)” */
               _("Profile “%s”, [%s] %s: %s"), profile, group, key, reason);
}

static gboolean
parse_unsigned (const char *text,
                guint64     min,
                guint64     max,
                guint64    *value,
                char      **reason)
{
  guint base = 10;
  g_autoptr(GError) local_error = NULL;

  if (g_str_has_prefix (text, "0x") || g_str_has_prefix (text, "0X"))
    {
      text += 2;
      base = 16;
    }
  if (!g_ascii_string_to_unsigned (text, base, 0, G_MAXUINT64, value, &local_error))
    {
      *reason = g_strdup_printf (_("“%s” is not a number"), text);
      return FALSE;
    }
  if (*value < min || *value > max)
    {
      *reason = g_strdup_printf (_("%llu is out of range (%llu–%llu)"),
                                 (unsigned long long) *value, (unsigned long long) min,
                                 (unsigned long long) max);
      return FALSE;
    }
  return TRUE;
}

static gboolean
load_field (GKeyFile        *file,
            const FieldSpec *spec,
            Iec104Profile   *profile,
            const char      *name,
            GError         **error)
{
  guint8 *target = (guint8 *) profile + spec->offset;
  g_autofree char *text = NULL;
  g_autofree char *reason = NULL;
  guint64 value = 0;

  text = g_key_file_get_string (file, spec->group, spec->key, NULL);
  if (text == NULL)
    return TRUE;
  g_strstrip (text);

  switch (spec->kind)
    {
    case FIELD_U8:
    case FIELD_U16:
    case FIELD_U32:
      if (!parse_unsigned (text, spec->min, spec->max, &value, &reason))
        break;
      if (spec->kind == FIELD_U8)
        *(guint8 *) target = (guint8) value;
      else if (spec->kind == FIELD_U16)
        *(guint16 *) target = (guint16) value;
      else
        *(guint32 *) target = (guint32) value;
      return TRUE;

    case FIELD_BOOL:
      if (g_str_equal (text, "true"))
        *(bool *) target = true;
      else if (g_str_equal (text, "false"))
        *(bool *) target = false;
      else
        {
          reason = g_strdup_printf (_("“%s” is neither true nor false"), text);
          break;
        }
      return TRUE;

    case FIELD_NAME:
      if (strlen (text) < spec->min || strlen (text) > spec->max)
        {
          reason = g_strdup_printf (_("the name must have %u to %u characters"),
                                    (guint) spec->min, (guint) spec->max);
          break;
        }
      g_strlcpy ((char *) target, text, IEC104_PROFILE_NAME_MAX + 1);
      return TRUE;

    case FIELD_NUMBERING:
      if (g_str_equal (text, "offset"))
        *(Iec104SegmentNumbering *) target = IEC104_SEGMENT_NUMBER_OFFSET;
      else if (g_str_equal (text, "counter"))
        *(Iec104SegmentNumbering *) target = IEC104_SEGMENT_NUMBER_COUNTER;
      else
        {
          reason = g_strdup_printf (_("“%s” is neither offset nor counter"), text);
          break;
        }
      return TRUE;

    case FIELD_COT_SET:
      {
        g_auto(GStrv) items = g_key_file_get_string_list (file, spec->group, spec->key, NULL, NULL);
        guint64 set = 0;

        for (guint i = 0; items != NULL && items[i] != NULL && reason == NULL; i++)
          if (parse_unsigned (g_strstrip (items[i]), spec->min, spec->max, &value, &reason))
            set |= IEC104_COT_BIT (value);
        if (reason == NULL && set == 0)
          reason = g_strdup (_("the list of causes of transmission is empty"));
        if (reason != NULL)
          break;
        *(guint64 *) target = set;
        return TRUE;
      }
    }

  set_invalid (error, name, spec->group, spec->key, reason);
  return FALSE;
}

static gboolean
key_is_known (const char *group,
              const char *key)
{
  if (g_str_equal (group, GROUP_PROFILE))
    /* GKeyFile keeps the title's translation for the running locale as its own key. */
    return g_str_equal (key, KEY_TITLE) || g_str_has_prefix (key, KEY_TITLE "[")
           || g_str_equal (key, KEY_CHECKSUM) || g_str_equal (key, KEY_REBOOT_TIME)
           || g_str_equal (key, KEY_DELTA);
  if (g_str_equal (group, GROUP_MEASUREMENTS))
    {
      for (guint s = 0; s < FF_N_SIGNALS; s++)
        {
          g_autofree char *unit_key = g_strconcat (ff_signal_get_key (s), "_unit", NULL);

          if (g_str_equal (key, ff_signal_get_key (s)) || g_str_equal (key, unit_key))
            return TRUE;
        }
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (iec104_fields); i++)
    if (g_str_equal (group, iec104_fields[i].group) && g_str_equal (key, iec104_fields[i].key))
      return TRUE;
  return FALSE;
}

/* A misspelt key would silently keep a default that is wrong for the vendor, so reject it. */
static gboolean
check_keys (GKeyFile    *file,
            const char  *name,
            GError     **error)
{
  g_auto(GStrv) groups = g_key_file_get_groups (file, NULL);

  for (guint g = 0; groups[g] != NULL; g++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (file, groups[g], NULL, NULL);

      for (guint k = 0; keys != NULL && keys[k] != NULL; k++)
        if (!key_is_known (groups[g], keys[k]))
          {
            set_invalid (error, name, groups[g], keys[k], _("unknown key"));
            return FALSE;
          }
    }
  return TRUE;
}

static gboolean
load_fieldflash_keys (GKeyFile    *file,
                      FfProfile   *profile,
                      GError     **error)
{
  g_autofree char *title = g_key_file_get_locale_string (file, GROUP_PROFILE, KEY_TITLE, NULL,
                                                         NULL);
  g_autofree char *checksum = g_key_file_get_string (file, GROUP_PROFILE, KEY_CHECKSUM, NULL);
  g_autofree char *reboot = g_key_file_get_string (file, GROUP_PROFILE, KEY_REBOOT_TIME, NULL);
  g_autofree char *delta = g_key_file_get_string (file, GROUP_PROFILE, KEY_DELTA, NULL);
  g_autofree char *reason = NULL;
  guint64 value;

  if (title != NULL)
    {
      g_free (profile->title);
      profile->title = g_steal_pointer (&title);
    }
  if (checksum != NULL
      && !ff_checksum_algorithm_from_string (g_strstrip (checksum), &profile->checksum))
    {
      reason = g_strdup_printf (_("“%s” is neither crc32 nor sum16"), checksum);
      set_invalid (error, profile->name, GROUP_PROFILE, KEY_CHECKSUM, reason);
      return FALSE;
    }
  if (reboot != NULL)
    {
      if (!parse_unsigned (g_strstrip (reboot), 0, REBOOT_TIME_MAX_MS, &value, &reason))
        {
          set_invalid (error, profile->name, GROUP_PROFILE, KEY_REBOOT_TIME, reason);
          return FALSE;
        }
      profile->reboot_time_ms = (guint) value;
    }
  if (delta != NULL)
    {
      g_strstrip (delta);
      if (g_str_equal (delta, "ffdelta1"))
        profile->delta = FF_DELTA_FORMAT_FFDELTA1;
      else if (!g_str_equal (delta, "none"))
        {
          reason = g_strdup_printf (_("“%s” is neither ffdelta1 nor none"), delta);
          set_invalid (error, profile->name, GROUP_PROFILE, KEY_DELTA, reason);
          return FALSE;
        }
    }

  for (guint s = 0; s < FF_N_SIGNALS; s++)
    {
      const char *key = ff_signal_get_key (s);
      g_autofree char *unit_key = g_strconcat (key, "_unit", NULL);
      g_autofree char *ioa = g_key_file_get_string (file, GROUP_MEASUREMENTS, key, NULL);
      g_autofree char *unit = g_key_file_get_string (file, GROUP_MEASUREMENTS, unit_key, NULL);

      if (ioa != NULL)
        {
          if (!parse_unsigned (g_strstrip (ioa), 1, 0xFFFFFF, &value, &reason))
            {
              set_invalid (error, profile->name, GROUP_MEASUREMENTS, key, reason);
              return FALSE;
            }
          profile->signal_ioa[s] = (guint32) value;
        }
      if (unit != NULL)
        {
          g_free (profile->signal_unit[s]);
          profile->signal_unit[s] = g_strdup (g_strstrip (unit));
        }
    }

  for (guint s = 0; s < FF_N_SIGNALS; s++)
    for (guint t = s + 1; t < FF_N_SIGNALS; t++)
      if (profile->signal_ioa[s] == profile->signal_ioa[t])
        {
          reason = g_strdup_printf (_("%s and %s share the IOA %u"), ff_signal_get_key (s),
                                    ff_signal_get_key (t), profile->signal_ioa[s]);
          set_invalid (error, profile->name, GROUP_MEASUREMENTS, ff_signal_get_key (t), reason);
          return FALSE;
        }
  return TRUE;
}

static FfProfile *
profile_new (const char *name)
{
  FfProfile *profile = g_atomic_rc_box_new0 (FfProfile);

  profile->name = g_strdup (name);
  profile->title = g_strdup (name);
  iec104_profile_init_state_grid (&profile->iec104);
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    {
      profile->signal_ioa[s] = default_signal_ioa[s];
      profile->signal_unit[s] = g_strdup (ff_signal_get_unit (s));
    }
  profile->checksum = FF_CHECKSUM_CRC32;
  profile->reboot_time_ms = DEFAULT_REBOOT_TIME_MS;
  return profile;
}

FfProfile *
ff_profile_new_default (void)
{
  return profile_new (FF_PROFILE_DEFAULT_NAME);
}

FfProfile *
ff_profile_load_file (const char  *path,
                      GError     **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *basename = g_path_get_basename (path);
  g_autoptr(FfProfile) profile = NULL;
  g_autoptr(GError) local_error = NULL;

  if (g_str_has_suffix (basename, ".ini"))
    basename[strlen (basename) - strlen (".ini")] = '\0';

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, FF_PROFILE_ERROR, FF_PROFILE_ERROR_NOT_FOUND,
                     _("Unknown vendor profile “%s”: %s does not exist"), basename, path);
      else
        g_set_error (error, FF_PROFILE_ERROR, FF_PROFILE_ERROR_INVALID,
                     _("Profile “%s” cannot be read: %s"), basename, local_error->message);
      return NULL;
    }

  profile = profile_new (basename);
  if (!check_keys (file, basename, error))
    return NULL;
  for (guint i = 0; i < G_N_ELEMENTS (iec104_fields); i++)
    if (!load_field (file, &iec104_fields[i], &profile->iec104, basename, error))
      return NULL;
  if (!load_fieldflash_keys (file, profile, error))
    return NULL;

  if (iec104_profile_validate (&profile->iec104) != IEC104_OK)
    {
      g_set_error (error, FF_PROFILE_ERROR, FF_PROFILE_ERROR_INVALID,
                   _("Profile “%s” is inconsistent: the link needs 1 ≤ w ≤ k and t2 < t1"),
                   basename);
      return NULL;
    }
  return g_steal_pointer (&profile);
}

static gboolean
name_is_plain (const char *name)
{
  return name[0] != '\0' && name[0] != '.' && strchr (name, '/') == NULL
         && strchr (name, '\\') == NULL;
}

FfProfile *
ff_profile_load (const char  *name,
                 GError     **error)
{
  g_autofree char *filename = NULL;
  g_autofree char *path = NULL;

  if (!name_is_plain (name))
    {
      g_set_error (error, FF_PROFILE_ERROR, FF_PROFILE_ERROR_NOT_FOUND,
                   _("“%s” is not a profile name (use a name such as “%s”)"), name,
                   FF_PROFILE_DEFAULT_NAME);
      return NULL;
    }
  filename = g_strconcat (name, ".ini", NULL);
  path = ff_datadir_file ("profiles", filename, NULL);
  return ff_profile_load_file (path, error);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char **) a, *(const char **) b);
}

GStrv
ff_profile_list_names (void)
{
  g_autofree char *dir_path = ff_datadir_file ("profiles", NULL);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  const char *entry;

  while (dir != NULL && (entry = g_dir_read_name (dir)) != NULL)
    if (g_str_has_suffix (entry, ".ini"))
      g_ptr_array_add (names, g_strndup (entry, strlen (entry) - strlen (".ini")));
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static void
profile_clear (FfProfile *profile)
{
  g_free (profile->name);
  g_free (profile->title);
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    g_free (profile->signal_unit[s]);
}

FfProfile *
ff_profile_ref (FfProfile *profile)
{
  return g_atomic_rc_box_acquire (profile);
}

void
ff_profile_unref (FfProfile *profile)
{
  g_atomic_rc_box_release_full (profile, (GDestroyNotify) profile_clear);
}

char *
ff_profile_compute_checksum (const FfProfile *profile,
                             GBytes          *image)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (image, &size);

  if (profile->checksum == FF_CHECKSUM_SUM16)
    {
      guint16 sum = 0;

      for (gsize i = 0; i < size; i++)
        sum = (guint16) (sum + data[i]);
      return g_strdup_printf ("%04X", sum);
    }

  /* zlib takes uInt lengths: feed large images in chunks. */
  uLong crc = crc32 (0L, Z_NULL, 0);
  for (gsize done = 0; done < size;)
    {
      uInt chunk = (uInt) MIN (size - done, (gsize) G_MAXUINT32);

      crc = crc32 (crc, data + done, chunk);
      done += chunk;
    }
  return g_strdup_printf ("%08lX", crc & 0xFFFFFFFFUL);
}

gboolean
ff_profile_signal_for_ioa (const FfProfile *profile,
                           guint32          ioa,
                           FfSignal        *signal)
{
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    if (profile->signal_ioa[s] == ioa)
      {
        *signal = s;
        return TRUE;
      }
  return FALSE;
}

gboolean
ff_checksum_algorithm_from_string (const char          *text,
                                   FfChecksumAlgorithm *algorithm)
{
  if (g_str_equal (text, "crc32"))
    *algorithm = FF_CHECKSUM_CRC32;
  else if (g_str_equal (text, "sum16"))
    *algorithm = FF_CHECKSUM_SUM16;
  else
    return FALSE;
  return TRUE;
}
