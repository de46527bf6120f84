/* The platform's Prometheus metrics: counters, requests by route and status, and the latency of
 * each route as a histogram. Safe to use from any thread. */
#include "config.h"

#include "ff-platform-metrics.h"

/* Upper bounds of the latency buckets, in seconds: from a cached answer to a login that waited
 * in a full queue. */
static const double bucket_bounds[] = {
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
};

#define N_BUCKETS G_N_ELEMENTS (bucket_bounds)

static const struct
{
  const char *name;
  const char *help;
} counters[FF_PLATFORM_N_COUNTERS] = {
  [FF_PLATFORM_COUNTER_LOGIN_FAILURES] =
    { "fieldflash_login_failures_total", "Logins refused." },
  [FF_PLATFORM_COUNTER_PIN_HASHES] =
    { "fieldflash_pin_hashes_total", "PIN hashes computed (for unknown phones too)." },
  [FF_PLATFORM_COUNTER_REPORTS_INGESTED] =
    { "fieldflash_reports_ingested_total", "Reports stored." },
  [FF_PLATFORM_COUNTER_REPORTS_DUPLICATE] =
    { "fieldflash_reports_duplicate_total", "Repeated report uploads." },
  [FF_PLATFORM_COUNTER_FIRMWARE_BYTES] =
    { "fieldflash_firmware_bytes_sent_total", "Firmware bytes sent." },
  [FF_PLATFORM_COUNTER_REMOTE_COMMANDS_SENT] =
    { "fieldflash_remote_commands_sent_total",
      "Commands to networked terminals the broker acknowledged (serve)." },
  [FF_PLATFORM_COUNTER_REMOTE_RESULTS_INGESTED] =
    { "fieldflash_remote_results_ingested_total", "Results of networked terminals stored." },
  [FF_PLATFORM_COUNTER_REMOTE_RESULTS_DUPLICATE] =
    { "fieldflash_remote_results_duplicate_total", "Results of networked terminals received again." },
  [FF_PLATFORM_COUNTER_REMOTE_RESULTS_REPEATED] =
    { "fieldflash_remote_results_repeated_total",
      "Results received again, byte for byte as stored: acknowledged without a second signature "
      "check (serve)." },
  [FF_PLATFORM_COUNTER_REMOTE_RESULTS_REFUSED] =
    { "fieldflash_remote_results_refused_total",
      "Results refused (bad signature, wrong terminal, not a result)." },
  [FF_PLATFORM_COUNTER_REMOTE_RESULTS_UNMATCHED] =
    { "fieldflash_remote_results_unmatched_total",
      "Signed results refused (and acknowledged) because they answer no command the platform sent "
      "their terminal, or a command answered before (serve)." },
  [FF_PLATFORM_COUNTER_REMOTE_RESULTS_DROPPED] =
    { "fieldflash_remote_results_dropped_total",
      "Results dropped unread and unacknowledged: more than one terminal may send in one batch "
      "(serve)." },
  [FF_PLATFORM_COUNTER_MQTT_MESSAGES_STORED] =
    { "fieldflash_mqtt_messages_stored_total",
      "MQTT messages stored: results, progress, states and the broker's acknowledgements (serve)." },
  [FF_PLATFORM_COUNTER_MQTT_COMMITS] =
    { "fieldflash_mqtt_commits_total",
      "Transactions that stored MQTT messages, each one durable commit (serve)." },
  [FF_PLATFORM_COUNTER_MQTT_STATES_REFUSED] =
    { "fieldflash_mqtt_states_refused_total",
      "Retained states not kept, the last good one staying: not a state document of the terminal "
      "of their topic (serve)." },
  [FF_PLATFORM_COUNTER_MQTT_PROGRESS_REFUSED] =
    { "fieldflash_mqtt_progress_refused_total",
      "Progress messages not kept: not a progress document of the terminal of their topic "
      "(serve)." },
};

typedef struct
{
  gint64 buckets[N_BUCKETS];    /* observations at most each bound (not cumulative) */
  gint64 count;
  double sum;                   /* seconds */
} Histogram;

struct _FfPlatformMetrics
{
  GMutex      lock;
  gint64      counters[FF_PLATFORM_N_COUNTERS];
  GHashTable *requests;         /* "route\tcode" -> gint64 count */
  GHashTable *latencies;        /* route -> Histogram */
};

FfPlatformMetrics *
ff_platform_metrics_new (void)
{
  FfPlatformMetrics *metrics = g_new0 (FfPlatformMetrics, 1);

  g_mutex_init (&metrics->lock);
  metrics->requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  metrics->latencies = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return metrics;
}

void
ff_platform_metrics_free (FfPlatformMetrics *metrics)
{
  g_hash_table_unref (metrics->requests);
  g_hash_table_unref (metrics->latencies);
  g_mutex_clear (&metrics->lock);
  g_free (metrics);
}

void
ff_platform_metrics_add (FfPlatformMetrics *metrics,
                         FfPlatformCounter  counter,
                         gint64             amount)
{
  g_mutex_lock (&metrics->lock);
  metrics->counters[counter] += amount;
  g_mutex_unlock (&metrics->lock);
}

/* The value of @key in @table (created as zeroes of @size when missing); call under the lock. */
static gpointer
lookup_or_add (GHashTable *table,
               const char *key,
               gsize       size)
{
  gpointer value = g_hash_table_lookup (table, key);

  if (value == NULL)
    {
      value = g_malloc0 (size);
      g_hash_table_insert (table, g_strdup (key), value);
    }
  return value;
}

void
ff_platform_metrics_observe (FfPlatformMetrics *metrics,
                             const char        *route,
                             guint              status,
                             gint64             microseconds)
{
  g_autofree char *key = g_strdup_printf ("%s\t%u", route, status);
  double seconds = microseconds / (double) G_USEC_PER_SEC;
  Histogram *histogram;
  gint64 *requests;

  g_mutex_lock (&metrics->lock);
  requests = lookup_or_add (metrics->requests, key, sizeof *requests);
  (*requests)++;
  histogram = lookup_or_add (metrics->latencies, route, sizeof *histogram);
  for (guint i = 0; i < N_BUCKETS; i++)
    if (seconds <= bucket_bounds[i])
      {
        histogram->buckets[i]++;
        break;
      }
  histogram->count++;
  histogram->sum += seconds;
  g_mutex_unlock (&metrics->lock);
}

double
ff_platform_metrics_mean_seconds (FfPlatformMetrics *metrics,
                                  const char        *route,
                                  double             fallback)
{
  Histogram *histogram;
  double mean = fallback;

  g_mutex_lock (&metrics->lock);
  histogram = g_hash_table_lookup (metrics->latencies, route);
  if (histogram != NULL && histogram->count > 0)
    mean = histogram->sum / histogram->count;
  g_mutex_unlock (&metrics->lock);
  return mean;
}

static GList *
sorted_keys (GHashTable *table)
{
  return g_list_sort (g_hash_table_get_keys (table), (GCompareFunc) g_strcmp0);
}

static void
render_requests (FfPlatformMetrics *metrics,
                 GString           *text)
{
  g_autoptr(GList) keys = sorted_keys (metrics->requests);

  g_string_append (text, "# HELP fieldflash_http_requests_total Requests answered.\n"
                         "# TYPE fieldflash_http_requests_total counter\n");
  for (GList *l = keys; l != NULL; l = l->next)
    {
      g_auto(GStrv) parts = g_strsplit (l->data, "\t", 2);

      g_string_append_printf (text, "fieldflash_http_requests_total{route=\"%s\",code=\"%s\"} %"
                              G_GINT64_FORMAT "\n", parts[0], parts[1],
                              *(gint64 *) g_hash_table_lookup (metrics->requests, l->data));
    }
}

static void
render_latencies (FfPlatformMetrics *metrics,
                  GString           *text)
{
  g_autoptr(GList) routes = sorted_keys (metrics->latencies);

  g_string_append (text, "# HELP fieldflash_http_request_duration_seconds Time from a request's "
                         "head to its answer, by route.\n"
                         "# TYPE fieldflash_http_request_duration_seconds histogram\n");
  for (GList *l = routes; l != NULL; l = l->next)
    {
      const char *route = l->data;
      Histogram *histogram = g_hash_table_lookup (metrics->latencies, route);
      gint64 cumulative = 0;

      for (guint i = 0; i < N_BUCKETS; i++)
        {
          char bound[G_ASCII_DTOSTR_BUF_SIZE];

          cumulative += histogram->buckets[i];
          g_string_append_printf (text, "fieldflash_http_request_duration_seconds_bucket"
                                  "{route=\"%s\",le=\"%s\"} %" G_GINT64_FORMAT "\n", route,
                                  g_ascii_dtostr (bound, sizeof bound, bucket_bounds[i]),
                                  cumulative);
        }
      {
        char sum[G_ASCII_DTOSTR_BUF_SIZE];

        g_string_append_printf (text, "fieldflash_http_request_duration_seconds_bucket"
                                "{route=\"%s\",le=\"+Inf\"} %" G_GINT64_FORMAT "\n"
                                "fieldflash_http_request_duration_seconds_sum{route=\"%s\"} %s\n"
                                "fieldflash_http_request_duration_seconds_count{route=\"%s\"} %"
                                G_GINT64_FORMAT "\n", route, histogram->count, route,
                                g_ascii_dtostr (sum, sizeof sum, histogram->sum), route,
                                histogram->count);
      }
    }
}

void
ff_platform_metrics_render (FfPlatformMetrics *metrics,
                            GString           *text)
{
  g_mutex_lock (&metrics->lock);
  render_requests (metrics, text);
  render_latencies (metrics, text);
  for (guint i = 0; i < FF_PLATFORM_N_COUNTERS; i++)
    g_string_append_printf (text, "# HELP %s %s\n"
                                  "# TYPE %s counter\n"
                                  "%s %" G_GINT64_FORMAT "\n",
                            counters[i].name, counters[i].help, counters[i].name,
                            counters[i].name, metrics->counters[i]);
  g_mutex_unlock (&metrics->lock);
}
