/* What the platform's benches share: the ledger they measure on, timing, failing. */
#include "config.h"

#include "bench-ledger.h"

const char *const vendors[3] = { "Acme", "Beta", "Gamma" };

double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1e6;
}

int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

void
check (gboolean    ok,
       GError     *error,
       const char *what)
{
  if (!ok)
    g_error ("%s: %s", what, error ? error->message : "failed");
}

const char *
model_name (guint i)
{
  static char names[N_MODELS][16];

  if (names[i][0] == '\0')
    g_snprintf (names[i], sizeof names[i], "DTU-%u", 1000 + i);
  return names[i];
}

const char *
version_name (guint i)
{
  static char names[N_VERSIONS][16];

  if (names[i][0] == '\0')
    g_snprintf (names[i], sizeof names[i], "V1.%02u", i);
  return names[i];
}

void
write_ledger (const char *path,
              guint       n)
{
  g_autoptr(GString) text = g_string_sized_new ((gsize) n * 110);
  g_autoptr(GError) error = NULL;

  g_string_append (text, "device_id,name,latitude,longitude,vendor,model,hardware_version,"
                         "software_version,software_checksum,host,port,common_address,profile\n");
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "T%07u,Site %u,%.6f,%.6f,%s,%s,HV1.0,%s,%04X,10.%u.%u.%u,2404,"
                            "%u,state-grid\n", i, i, 20 + (i % 20000) * 0.001,
                            100 + (i / 20000) * 0.01, vendors[(i % N_MODELS) % 3],
                            model_name (i % N_MODELS), version_name ((i / N_MODELS) % N_VERSIONS),
                            i & 0xffff, (i >> 16) & 255, (i >> 8) & 255, i & 255, i % 65536);
  check (g_file_set_contents (path, text->str, text->len, &error), error, "write ledger");
}
