/* The platform's Prometheus metrics: counters, requests by route and status, and the latency of
 * each route as a histogram. Safe to use from any thread. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  FF_PLATFORM_COUNTER_LOGIN_FAILURES,
  FF_PLATFORM_COUNTER_PIN_HASHES,
  FF_PLATFORM_COUNTER_REPORTS_INGESTED,
  FF_PLATFORM_COUNTER_REPORTS_DUPLICATE,
  FF_PLATFORM_COUNTER_FIRMWARE_BYTES,
  FF_PLATFORM_COUNTER_REMOTE_COMMANDS_SENT,
  FF_PLATFORM_COUNTER_REMOTE_RESULTS_INGESTED,
  FF_PLATFORM_COUNTER_REMOTE_RESULTS_DUPLICATE,
  FF_PLATFORM_COUNTER_REMOTE_RESULTS_REPEATED,
  FF_PLATFORM_COUNTER_REMOTE_RESULTS_REFUSED,
  FF_PLATFORM_COUNTER_REMOTE_RESULTS_UNMATCHED,
  FF_PLATFORM_COUNTER_REMOTE_RESULTS_DROPPED,
  FF_PLATFORM_COUNTER_MQTT_MESSAGES_STORED,
  FF_PLATFORM_COUNTER_MQTT_COMMITS,
  FF_PLATFORM_COUNTER_MQTT_STATES_REFUSED,
  FF_PLATFORM_COUNTER_MQTT_PROGRESS_REFUSED,
  FF_PLATFORM_N_COUNTERS,
} FfPlatformCounter;

typedef struct _FfPlatformMetrics FfPlatformMetrics;

FfPlatformMetrics *ff_platform_metrics_new          (void);
void               ff_platform_metrics_free         (FfPlatformMetrics *metrics);
void               ff_platform_metrics_add          (FfPlatformMetrics *metrics,
                                                     FfPlatformCounter  counter,
                                                     gint64             amount);
/* Counts a request to @route answered with @status after @microseconds. */
void               ff_platform_metrics_observe      (FfPlatformMetrics *metrics,
                                                     const char        *route,
                                                     guint              status,
                                                     gint64             microseconds);
/* The mean latency of @route so far, in seconds; @fallback before its first request. */
double             ff_platform_metrics_mean_seconds (FfPlatformMetrics *metrics,
                                                     const char        *route,
                                                     double             fallback);
/* Appends every metric above in the Prometheus text format (version 0.0.4). */
void               ff_platform_metrics_render       (FfPlatformMetrics *metrics,
                                                     GString           *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FfPlatformMetrics, ff_platform_metrics_free)

G_END_DECLS
