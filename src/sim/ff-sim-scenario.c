/* Fault scenarios of a simulated terminal: parsing from stdin words or a scenario file, and the
 * plain explanation a trainer reads in the log. */
#include "config.h"

#include "ff-sim-scenario.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "ff-quality.h"
#include "ff-sim-error.h"

#define SLOW_LINK_DEFAULT_BANDWIDTH 9600
#define SLOW_LINK_DEFAULT_RTT_MS 200
/* Shorter than the master's t1 and reply timeout of every shipped profile (15 s), so a tablet
 * that is not stopped gets the confirmation and goes on. */
#define FINISH_HOLD_DEFAULT_MS 5000
/* A terminal reports a GPS offset that a tablet on site could still resolve. */
#define GPS_OFFSET_MAX_ARCSEC 3600.0

typedef struct
{
  const char *name;
  FfSimFault  fault;
  const char *keys[4];  /* the parameters it accepts */
} FaultInfo;

static const FaultInfo faults[] = {
  { "none", FF_SIM_FAULT_NONE, { NULL } },
  { "wrong-device-id", FF_SIM_FAULT_WRONG_DEVICE_ID, { "id", NULL } },
  { "gps-offset", FF_SIM_FAULT_GPS_OFFSET, { "lat", "lon", NULL } },
  { "file-name-refused", FF_SIM_FAULT_FILE_NAME_REFUSED, { NULL } },
  { "checksum-error", FF_SIM_FAULT_CHECKSUM_ERROR, { "segment", NULL } },
  { "link-drop", FF_SIM_FAULT_LINK_DROP, { "after", NULL } },
  { "never-back", FF_SIM_FAULT_NEVER_BACK, { NULL } },
  { "old-version", FF_SIM_FAULT_OLD_VERSION, { NULL } },
  { "signal-drift", FF_SIM_FAULT_SIGNAL_DRIFT, { "signal", "percent", NULL } },
  { "slow-link", FF_SIM_FAULT_SLOW_LINK, { "bandwidth", "rtt", NULL } },
  { "no-acks", FF_SIM_FAULT_NO_ACKS, { NULL } },
  { "prompt-acks", FF_SIM_FAULT_PROMPT_ACKS, { NULL } },
  { "reset-drop", FF_SIM_FAULT_RESET_DROP, { NULL } },
  { "signal-quality", FF_SIM_FAULT_SIGNAL_QUALITY, { "signal", "quality", "when", NULL } },
  { "finish-hold", FF_SIM_FAULT_FINISH_HOLD, { "ms", NULL } },
};

static const FaultInfo *
find_fault (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    if (g_str_equal (faults[i].name, name))
      return &faults[i];
  return NULL;
}

static gboolean
key_accepted (const FaultInfo *info,
              const char      *key)
{
  for (guint i = 0; info->keys[i] != NULL; i++)
    if (g_str_equal (info->keys[i], key))
      return TRUE;
  return FALSE;
}

static gboolean
bad_value (GError     **error,
           const char  *key,
           const char  *value)
{
  g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_SCENARIO,
               _("Scenario parameter %s=%s is not valid"), key, value);
  return FALSE;
}

static gboolean
parse_count (const char *key,
             const char *value,
             guint64     min,
             guint64     max,
             guint64    *out,
             GError    **error)
{
  if (!g_ascii_string_to_unsigned (value, 10, min, max, out, NULL))
    return bad_value (error, key, value);
  return TRUE;
}

static gboolean
parse_real (const char *key,
            const char *value,
            double      limit,
            double     *out,
            GError    **error)
{
  char *end = NULL;
  double parsed = g_ascii_strtod (value, &end);

  if (end == value || *end != '\0' || !isfinite (parsed) || fabs (parsed) > limit)
    return bad_value (error, key, value);
  *out = parsed;
  return TRUE;
}

static gboolean
parse_signal (const char *value,
              FfSignal   *signal,
              GError    **error)
{
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    if (g_str_equal (value, ff_signal_get_key (s)))
      {
        *signal = s;
        return TRUE;
      }
  return bad_value (error, "signal", value);
}

static gboolean
apply_parameter (FfSimScenario *scenario,
                 const char    *key,
                 const char    *value,
                 GError       **error)
{
  guint64 count;

  if (g_str_equal (key, "id"))
    {
      if (value[0] == '\0' || strlen (value) > 64)
        return bad_value (error, key, value);
      g_free (scenario->device_id);
      scenario->device_id = g_strdup (value);
      return TRUE;
    }
  if (g_str_equal (key, "lat"))
    return parse_real (key, value, GPS_OFFSET_MAX_ARCSEC, &scenario->lat_arcsec, error);
  if (g_str_equal (key, "lon"))
    return parse_real (key, value, GPS_OFFSET_MAX_ARCSEC, &scenario->lon_arcsec, error);
  if (g_str_equal (key, "percent"))
    return parse_real (key, value, 1000.0, &scenario->percent, error);
  if (g_str_equal (key, "signal"))
    return parse_signal (value, &scenario->signal, error);
  if (g_str_equal (key, "quality"))
    {
      scenario->quality = ff_quality_from_name (value);
      return scenario->quality != 0 || bad_value (error, key, value);
    }
  if (g_str_equal (key, "when"))
    {
      if (!g_str_equal (value, "upgrade") && !g_str_equal (value, "now"))
        return bad_value (error, key, value);
      scenario->from_now = g_str_equal (value, "now");
      return TRUE;
    }
  if (g_str_equal (key, "segment"))
    {
      if (!parse_count (key, value, 1, G_MAXUINT32, &count, error))
        return FALSE;
      scenario->segment = (guint) count;
      return TRUE;
    }
  if (g_str_equal (key, "after"))
    return parse_count (key, value, 0, G_MAXUINT32, &scenario->after_bytes, error);
  if (g_str_equal (key, "ms"))
    {
      if (!parse_count (key, value, 1, 600000, &count, error))
        return FALSE;
      scenario->hold_ms = (guint) count;
      return TRUE;
    }
  if (g_str_equal (key, "bandwidth"))
    return parse_count (key, value, 1, G_MAXUINT32, &scenario->bytes_per_second, error);
  /* rtt */
  if (!parse_count (key, value, 0, 60000, &count, error))
    return FALSE;
  scenario->rtt_ms = (guint) count;
  return TRUE;
}

static FfSimScenario *
scenario_new (const FaultInfo *info)
{
  FfSimScenario *scenario = g_new0 (FfSimScenario, 1);

  scenario->fault = info->fault;
  scenario->segment = 1;
  scenario->signal = FF_SIGNAL_CURRENT;
  scenario->quality = ff_quality_from_name ("invalid");
  scenario->percent = 20.0;
  scenario->lat_arcsec = 5.0;
  scenario->lon_arcsec = 0.0;
  scenario->bytes_per_second = SLOW_LINK_DEFAULT_BANDWIDTH;
  scenario->rtt_ms = SLOW_LINK_DEFAULT_RTT_MS;
  scenario->hold_ms = FINISH_HOLD_DEFAULT_MS;
  scenario->after_bytes = 1000;
  scenario->device_id = g_strdup ("DTU-9999");
  return scenario;
}

static FfSimScenario *
unknown_scenario (const char  *name,
                  GError     **error)
{
  g_autoptr(GString) names = g_string_new (NULL);

  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    g_string_append_printf (names, "%s%s", i > 0 ? ", " : "", faults[i].name);
  g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_SCENARIO,
               _("Unknown scenario “%s” (known: %s)"), name, names->str);
  return NULL;
}

static FfSimScenario *
unknown_parameter (const char  *name,
                   const char  *key,
                   GError     **error)
{
  g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_SCENARIO,
               _("Scenario “%s” has no parameter “%s”"), name, key);
  return NULL;
}

FfSimScenario *
ff_sim_scenario_parse (const char * const *words,
                       GError            **error)
{
  const FaultInfo *info;
  g_autoptr(FfSimScenario) scenario = NULL;

  if (words == NULL || words[0] == NULL)
    {
      g_set_error_literal (error, FF_SIM_ERROR, FF_SIM_ERROR_SCENARIO,
                           _("No scenario name given"));
      return NULL;
    }
  info = find_fault (words[0]);
  if (info == NULL)
    return unknown_scenario (words[0], error);
  scenario = scenario_new (info);

  for (guint i = 1; words[i] != NULL; i++)
    {
      const char *equals = strchr (words[i], '=');
      g_autofree char *key = NULL;

      if (equals == NULL)
        {
          g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_SCENARIO,
                       _("Scenario parameter “%s” is not of the form KEY=VALUE"), words[i]);
          return NULL;
        }
      key = g_strndup (words[i], (gsize) (equals - words[i]));
      if (!key_accepted (info, key))
        return unknown_parameter (info->name, key, error);
      if (!apply_parameter (scenario, key, equals + 1, error))
        return NULL;
    }
  return g_steal_pointer (&scenario);
}

FfSimScenario *
ff_sim_scenario_from_key_file (GKeyFile    *file,
                               const char  *device_id,
                               GError     **error)
{
  const char *group = g_key_file_has_group (file, device_id) ? device_id : "all";
  g_autofree char *name = NULL;
  g_auto(GStrv) keys = NULL;
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func (g_free);

  if (!g_key_file_has_group (file, group))
    return ff_sim_scenario_new_none ();
  name = g_key_file_get_string (file, group, "scenario", NULL);
  if (name == NULL)
    {
      g_set_error (error, FF_SIM_ERROR, FF_SIM_ERROR_SCENARIO,
                   _("Scenario group [%s] has no “scenario” key"), group);
      return NULL;
    }
  g_ptr_array_add (words, g_steal_pointer (&name));
  keys = g_key_file_get_keys (file, group, NULL, NULL);
  for (guint i = 0; keys[i] != NULL; i++)
    {
      g_autofree char *value = NULL;

      if (g_str_equal (keys[i], "scenario"))
        continue;
      value = g_key_file_get_string (file, group, keys[i], NULL);
      g_ptr_array_add (words, g_strdup_printf ("%s=%s", keys[i], value != NULL ? value : ""));
    }
  g_ptr_array_add (words, NULL);
  return ff_sim_scenario_parse ((const char * const *) words->pdata, error);
}

FfSimScenario *
ff_sim_scenario_new_none (void)
{
  return scenario_new (&faults[0]);
}

FfSimScenario *
ff_sim_scenario_copy (const FfSimScenario *scenario)
{
  FfSimScenario *copy = g_memdup2 (scenario, sizeof *scenario);

  copy->device_id = g_strdup (scenario->device_id);
  return copy;
}

void
ff_sim_scenario_free (FfSimScenario *scenario)
{
  if (scenario == NULL)
    return;
  g_free (scenario->device_id);
  g_free (scenario);
}

const char *
ff_sim_scenario_get_name (const FfSimScenario *scenario)
{
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    if (faults[i].fault == scenario->fault)
      return faults[i].name;
  g_return_val_if_reached ("none");
}

char *
ff_sim_scenario_describe (const FfSimScenario *scenario)
{
  switch (scenario->fault)
    {
    case FF_SIM_FAULT_NONE:
      return g_strdup (_("No fault: the terminal behaves normally."));
    case FF_SIM_FAULT_WRONG_DEVICE_ID:
      return g_strdup_printf (_("The terminal reports the device ID “%s”, which is not in the "
                                "task: the tablet must refuse to upgrade it."),
                              scenario->device_id);
    case FF_SIM_FAULT_GPS_OFFSET:
      return g_strdup_printf (_("The terminal really stands %.1f″ north and %.1f″ east of its "
                                "recorded position: a tablet standing at it fails the 1″ position "
                                "check."), scenario->lat_arcsec, scenario->lon_arcsec);
    case FF_SIM_FAULT_FILE_NAME_REFUSED:
      return g_strdup (_("The terminal refuses the upgrade file name (write activation result 2): "
                         "the push stops before any data is sent."));
    case FF_SIM_FAULT_CHECKSUM_ERROR:
      return g_strdup_printf (_("The terminal reports a checksum error at segment %u: the push "
                                "stops there."), scenario->segment);
    case FF_SIM_FAULT_LINK_DROP:
      return g_strdup_printf (_("The terminal drops the link after receiving %llu bytes of the "
                                "file: the push fails with a lost connection."),
                              (unsigned long long) scenario->after_bytes);
    case FF_SIM_FAULT_NEVER_BACK:
      return g_strdup (_("After its next reboot the terminal never comes back: reconnecting "
                         "fails when the wait runs out."));
    case FF_SIM_FAULT_OLD_VERSION:
      return g_strdup (_("The terminal reboots but keeps running its old firmware: the version "
                         "read back does not match the target."));
    case FF_SIM_FAULT_SIGNAL_DRIFT:
      return g_strdup_printf (_("After an upgrade, %s reads %+.1f %% off: the before/after "
                                "comparison flags it."),
                              _(ff_signal_get_label (scenario->signal)), scenario->percent);
    case FF_SIM_FAULT_SLOW_LINK:
      return g_strdup_printf (_("The link is slow: %llu bytes/s and %u ms round trip. The push "
                                "takes longer but succeeds."),
                              (unsigned long long) scenario->bytes_per_second, scenario->rtt_ms);
    case FF_SIM_FAULT_NO_ACKS:
      return g_strdup (_("The terminal never acknowledges received frames (no S-frames): the "
                         "tablet's t1 timer expires during the push."));
    case FF_SIM_FAULT_PROMPT_ACKS:
      return g_strdup (_("The terminal acknowledges received frames as soon as it has read them "
                         "all instead of after w frames: the push runs close to the window "
                         "bound."));
    case FF_SIM_FAULT_SIGNAL_QUALITY:
      {
        g_autofree char *quality = ff_quality_describe (scenario->quality);

        if (scenario->from_now)
          return g_strdup_printf (_("From now on, %s is sent with the quality %s: the tablet "
                                    "must not take it as a baseline and stops before writing "
                                    "anything."),
                                  _(ff_signal_get_label (scenario->signal)), quality);
        return g_strdup_printf (_("After an upgrade, %s is sent with the quality %s: the "
                                  "before/after check must fail for it whatever its value."),
                                _(ff_signal_get_label (scenario->signal)), quality);
      }
    case FF_SIM_FAULT_RESET_DROP:
      return g_strdup (_("The terminal drops the link and restarts on the reset (105) without "
                         "confirming it: unless it is a terminal that restarts by itself, the "
                         "tablet reports that it rebooted early."));
    case FF_SIM_FAULT_FINISH_HOLD:
      return g_strdup_printf (_("The terminal takes the image at 211 finish but holds the "
                                "confirmation back %u ms: a tablet stopped in that time does not "
                                "know the finish was taken, and must ask the terminal what it runs "
                                "when it goes on."), scenario->hold_ms);
    }
  g_return_val_if_reached (NULL);
}
