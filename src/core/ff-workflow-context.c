/* The workflow's persisted context: what each state saves, read back on resume. */
#include "config.h"

#include "ff-workflow-private.h"


static void
event_free (Event *event)
{
  g_free (event->step);
  g_free (event->message);
  g_free (event);
}

/* A new visit's context: nothing read yet. */
void
ff_workflow_context_init (Context *ctx)
{
  memset (ctx, 0, sizeof *ctx);
  ctx->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  ctx->gps_fixes = g_array_new (FALSE, FALSE, sizeof (FfGpsFix));
}

void
ff_workflow_context_clear (Context *ctx)
{
  g_clear_pointer (&ctx->events, g_ptr_array_unref);
  g_clear_pointer (&ctx->gps_fixes, g_array_unref);
  g_free (ctx->device_id_read);
  g_free (ctx->hardware_read);
  g_free (ctx->override_by);
  g_free (ctx->override_reason);
  g_free (ctx->version_before);
  g_free (ctx->checksum_before);
  g_free (ctx->sent_sha256);
  g_free (ctx->version_after);
  g_free (ctx->checksum_after);
  g_free (ctx->failure_reason);
  g_free (ctx->failure_step);
  g_free (ctx->outcome);
  g_free (ctx->report_id);
  g_free (ctx->follows);
  g_free (ctx->reopened_by);
  memset (ctx, 0, sizeof *ctx);
}

/* ---- persistence of the context ------------------------------------------------------------ */

static void
dict_put_string (GVariantDict *dict, const char *key, const char *value)
{
  if (value != NULL)
    g_variant_dict_insert (dict, key, "s", value);
}

static char *
dict_get_string (GVariantDict *dict, const char *key)
{
  char *value = NULL;

  g_variant_dict_lookup (dict, key, "s", &value);
  return value;
}

static void
dict_put_snapshot (GVariantDict *dict, const char *key, const FfSnapshot *snapshot)
{
  GVariantBuilder builder;
  g_autofree char *quality_key = NULL;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a(bu)"));
  for (guint s = 0; s < FF_N_SIGNALS; s++)
    {
      guint32 bits;

      memcpy (&bits, &snapshot->values[s], sizeof bits);
      g_variant_builder_add (&builder, "(bu)", snapshot->present[s], bits);
    }
  g_variant_dict_insert_value (dict, key, g_variant_builder_end (&builder));
  /* Under a key of its own, so a state saved before qualities were kept still reads (as good). */
  quality_key = g_strconcat (key, "-quality", NULL);
  g_variant_dict_insert_value (dict, quality_key,
                               g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, snapshot->quality,
                                                          FF_N_SIGNALS, 1));
}

static void
dict_get_snapshot (GVariantDict *dict, const char *key, FfSnapshot *snapshot)
{
  g_autoptr(GVariantIter) iter = NULL;
  g_autoptr(GVariant) quality = NULL;
  g_autofree char *quality_key = g_strconcat (key, "-quality", NULL);
  gboolean present;
  guint32 bits;
  guint s = 0;

  memset (snapshot, 0, sizeof *snapshot);
  if (!g_variant_dict_lookup (dict, key, "a(bu)", &iter))
    return;
  while (s < FF_N_SIGNALS && g_variant_iter_next (iter, "(bu)", &present, &bits))
    {
      snapshot->present[s] = present;
      memcpy (&snapshot->values[s], &bits, sizeof bits);
      s++;
    }
  quality = g_variant_dict_lookup_value (dict, quality_key, G_VARIANT_TYPE_BYTESTRING);
  if (quality != NULL)
    {
      gsize n;
      const guint8 *flags = g_variant_get_fixed_array (quality, &n, 1);

      memcpy (snapshot->quality, flags, MIN (n, (gsize) FF_N_SIGNALS));
    }
}

char *
ff_workflow_context_serialize (const Context *ctx)
{
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  GVariantBuilder events;
  g_autoptr(GVariant) variant = NULL;

  g_variant_builder_init (&events, G_VARIANT_TYPE ("a(xss)"));
  for (guint i = 0; i < ctx->events->len; i++)
    {
      Event *event = ctx->events->pdata[i];
      g_variant_builder_add (&events, "(xss)", event->time, event->step, event->message);
    }
  g_variant_dict_insert_value (&dict, "events", g_variant_builder_end (&events));
  g_variant_dict_insert (&dict, "identity", "b", ctx->identity_present);
  dict_put_string (&dict, "device-id-read", ctx->device_id_read);
  dict_put_string (&dict, "hardware-read", ctx->hardware_read);
  g_variant_dict_insert (&dict, "fix", "(ddid)", ctx->fix_latitude, ctx->fix_longitude,
                         ctx->fix_mode, ctx->fix_age);
  g_variant_dict_insert_value (&dict, "gps-fixes",
                               ff_gps_fixes_to_variant ((const FfGpsFix *) ctx->gps_fixes->data,
                                                        ctx->gps_fixes->len));
  g_variant_dict_insert (&dict, "gps-settling", "(ud)", ctx->measurements, ctx->settle_seconds);
  dict_put_string (&dict, "override-by", ctx->override_by);
  dict_put_string (&dict, "override-reason", ctx->override_reason);
  dict_put_string (&dict, "version-before", ctx->version_before);
  dict_put_string (&dict, "checksum-before", ctx->checksum_before);
  dict_put_string (&dict, "version-after", ctx->version_after);
  dict_put_string (&dict, "checksum-after", ctx->checksum_after);
  dict_put_snapshot (&dict, "before", &ctx->before);
  dict_put_snapshot (&dict, "after", &ctx->after);
  g_variant_dict_insert (&dict, "transfer", "(bxud)", ctx->transferred, ctx->transfer_bytes,
                         ctx->transfer_segments, ctx->transfer_seconds);
  g_variant_dict_insert (&dict, "sent", "(bx)", ctx->sent_delta, ctx->wire_bytes);
  dict_put_string (&dict, "sent-sha256", ctx->sent_sha256);
  g_variant_dict_insert (&dict, "push-attempts", "u", ctx->push_attempts);
  g_variant_dict_insert (&dict, "finish-sent", "b", ctx->finish_sent);
  g_variant_dict_insert (&dict, "probing-staged", "b", ctx->probing_staged);
  dict_put_string (&dict, "failure-reason", ctx->failure_reason);
  dict_put_string (&dict, "failure-step", ctx->failure_step);
  g_variant_dict_insert (&dict, "rolling-back", "b", ctx->rolling_back);
  dict_put_string (&dict, "outcome", ctx->outcome);
  dict_put_string (&dict, "report-id", ctx->report_id);
  g_variant_dict_insert (&dict, "created-at", "x", ctx->created_at);
  dict_put_string (&dict, "follows", ctx->follows);
  dict_put_string (&dict, "reopened-by", ctx->reopened_by);
  variant = g_variant_ref_sink (g_variant_dict_end (&dict));
  return g_variant_print (variant, TRUE);
}

gboolean
ff_workflow_context_parse (const char *text, Context *ctx)
{
  g_autoptr(GVariant) variant = g_variant_parse (G_VARIANT_TYPE_VARDICT, text, NULL, NULL, NULL);
  g_auto(GVariantDict) dict = G_VARIANT_DICT_INIT (NULL);
  g_autoptr(GVariantIter) events = NULL;
  gint64 time;
  char *step, *message;

  if (variant == NULL)
    return FALSE;
  g_variant_dict_init (&dict, variant);
  ctx->events = g_ptr_array_new_with_free_func ((GDestroyNotify) event_free);
  if (g_variant_dict_lookup (&dict, "events", "a(xss)", &events))
    while (g_variant_iter_next (events, "(xss)", &time, &step, &message))
      {
        Event *event = g_new0 (Event, 1);

        event->time = time;
        event->step = step;
        event->message = message;
        g_ptr_array_add (ctx->events, event);
      }
  g_variant_dict_lookup (&dict, "identity", "b", &ctx->identity_present);
  ctx->device_id_read = dict_get_string (&dict, "device-id-read");
  ctx->hardware_read = dict_get_string (&dict, "hardware-read");
  g_variant_dict_lookup (&dict, "fix", "(ddid)", &ctx->fix_latitude, &ctx->fix_longitude,
                         &ctx->fix_mode, &ctx->fix_age);
  {
    g_autoptr(GVariant) fixes = g_variant_dict_lookup_value (&dict, "gps-fixes", NULL);

    ctx->gps_fixes = ff_gps_fixes_from_variant (fixes);
  }
  g_variant_dict_lookup (&dict, "gps-settling", "(ud)", &ctx->measurements, &ctx->settle_seconds);
  ctx->override_by = dict_get_string (&dict, "override-by");
  ctx->override_reason = dict_get_string (&dict, "override-reason");
  ctx->version_before = dict_get_string (&dict, "version-before");
  ctx->checksum_before = dict_get_string (&dict, "checksum-before");
  ctx->version_after = dict_get_string (&dict, "version-after");
  ctx->checksum_after = dict_get_string (&dict, "checksum-after");
  dict_get_snapshot (&dict, "before", &ctx->before);
  dict_get_snapshot (&dict, "after", &ctx->after);
  g_variant_dict_lookup (&dict, "transfer", "(bxud)", &ctx->transferred, &ctx->transfer_bytes,
                         &ctx->transfer_segments, &ctx->transfer_seconds);
  g_variant_dict_lookup (&dict, "sent", "(bx)", &ctx->sent_delta, &ctx->wire_bytes);
  ctx->sent_sha256 = dict_get_string (&dict, "sent-sha256");
  g_variant_dict_lookup (&dict, "push-attempts", "u", &ctx->push_attempts);
  g_variant_dict_lookup (&dict, "finish-sent", "b", &ctx->finish_sent);
  g_variant_dict_lookup (&dict, "probing-staged", "b", &ctx->probing_staged);
  ctx->failure_reason = dict_get_string (&dict, "failure-reason");
  ctx->failure_step = dict_get_string (&dict, "failure-step");
  g_variant_dict_lookup (&dict, "rolling-back", "b", &ctx->rolling_back);
  ctx->outcome = dict_get_string (&dict, "outcome");
  ctx->report_id = dict_get_string (&dict, "report-id");
  g_variant_dict_lookup (&dict, "created-at", "x", &ctx->created_at);
  ctx->follows = dict_get_string (&dict, "follows");
  ctx->reopened_by = dict_get_string (&dict, "reopened-by");
  return TRUE;
}

