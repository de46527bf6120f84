/* FfIdentitySummary: what the workflow's identity check read — the device ID against the task's,
 * and the fix it used against the recorded position, as latitude and longitude differences in
 * arcseconds and metres — with the workflow's own verdict on the 1″ rule. Pages that show the
 * identity bind their workflow to it. */
#include "config.h"

#include "ff-identity-summary.h"
#include "ff-workflow-watch.h"

#include <glib/gi18n-lib.h>
#include <math.h>

struct _FfIdentitySummary
{
  AdwBin parent_instance;

  /* template widgets */
  AdwActionRow *device_row;
  GtkImage     *device_verdict;
  AdwActionRow *position_row;
  GtkImage     *position_verdict;

  /* owned */
  FfWorkflow *workflow;
};

G_DEFINE_FINAL_TYPE (FfIdentitySummary, ff_identity_summary, ADW_TYPE_BIN)

enum
{
  PROP_0,
  PROP_WORKFLOW,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* A tick or a cross beside the row, in colour and in shape, so it reads in sunlight too. */
static void
show_verdict (GtkImage *verdict,
              gboolean  known,
              gboolean  passed)
{
  gtk_widget_remove_css_class (GTK_WIDGET (verdict), "success");
  gtk_widget_remove_css_class (GTK_WIDGET (verdict), "error");
  gtk_widget_set_visible (GTK_WIDGET (verdict), known);
  if (!known)
    return;

  gtk_image_set_from_icon_name (verdict, passed ? "emblem-ok-symbolic" : "dialog-error-symbolic");
  gtk_widget_add_css_class (GTK_WIDGET (verdict), passed ? "success" : "error");
}

static void
show_device (FfIdentitySummary        *self,
             const FfWorkflowReadings *readings)
{
  const char *expected = ff_workflow_get_device_id (self->workflow);
  const char *read = readings->device_id_read;
  g_autofree char *text = NULL;

  if (read == NULL)
    text = g_strdup (_("Not read yet"));
  else if (g_str_equal (read, expected))
    /* Translators: the device ID the terminal reported. */
    text = g_strdup_printf (_("%s, as in the task"), read);
  else if (read[0] == '\0')
    /* Translators: the device ID the task expects. */
    text = g_strdup_printf (_("None read; the task expects %s"), expected);
  else
    /* Translators: the device ID the terminal reported, then the one the task expects. */
    text = g_strdup_printf (_("%s read; the task expects %s"), read, expected);

  adw_action_row_set_subtitle (self->device_row, text);
  show_verdict (self->device_verdict, read != NULL, g_strcmp0 (read, expected) == 0);
}

static void
show_position (FfIdentitySummary        *self,
               const FfWorkflowReadings *readings)
{
  /* The fix is judged once identify has both read the terminal and waited for the GPS. */
  gboolean checked = readings->device_id_read != NULL
                     && ff_workflow_get_state (self->workflow) != FF_WORKFLOW_STATE_IDENTIFY;
  const FfGeoPoint *fix = &readings->fix;
  const FfGeoPoint *recorded = &readings->recorded;
  FfGeoPoint along_latitude, along_longitude;
  g_autofree char *text = NULL;

  if (!readings->has_fix)
    {
      adw_action_row_set_subtitle (self->position_row,
                                   checked ? _("No GPS fix") : _("Not checked yet"));
      show_verdict (self->position_verdict, checked, FALSE);
      return;
    }

  /* Each difference on its own, as the rule judges them. */
  along_latitude = (FfGeoPoint) { fix->latitude, recorded->longitude };
  along_longitude = (FfGeoPoint) { recorded->latitude, fix->longitude };
  text = g_strdup_printf (readings->same_place
                          /* Translators: the differences between the GPS fix and the terminal's
                           * recorded position in arcseconds (″) and metres, then the limit. */
                          ? _("Δlat %.2f″ (%.0f m), Δlon %.2f″ (%.0f m): within the %.0f″ limit")
                          : _("Δlat %.2f″ (%.0f m), Δlon %.2f″ (%.0f m): over the %.0f″ limit"),
                          fabs (ff_geo_delta_latitude_arcsec (fix, recorded)),
                          ff_geo_distance_m (&along_latitude, recorded),
                          fabs (ff_geo_delta_longitude_arcsec (fix, recorded)),
                          ff_geo_distance_m (&along_longitude, recorded),
                          FF_GEO_IDENTITY_TOLERANCE_ARCSEC);
  adw_action_row_set_subtitle (self->position_row, text);
  show_verdict (self->position_verdict, TRUE, readings->same_place);
}

static void
update (FfIdentitySummary *self)
{
  FfWorkflowReadings readings;

  if (self->workflow == NULL)
    return;

  ff_workflow_get_readings (self->workflow, &readings);
  show_device (self, &readings);
  show_position (self, &readings);
}

static void
ff_identity_summary_dispose (GObject *object)
{
  ff_identity_summary_set_workflow (FF_IDENTITY_SUMMARY (object), NULL);

  G_OBJECT_CLASS (ff_identity_summary_parent_class)->dispose (object);
}

static void
ff_identity_summary_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  FfIdentitySummary *self = FF_IDENTITY_SUMMARY (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      g_value_set_object (value, self->workflow);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_identity_summary_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  FfIdentitySummary *self = FF_IDENTITY_SUMMARY (object);

  switch (prop_id)
    {
    case PROP_WORKFLOW:
      ff_identity_summary_set_workflow (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_identity_summary_class_init (FfIdentitySummaryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_identity_summary_dispose;
  object_class->get_property = ff_identity_summary_get_property;
  object_class->set_property = ff_identity_summary_set_property;

  properties[PROP_WORKFLOW] =
    g_param_spec_object ("workflow", NULL, NULL, FF_TYPE_WORKFLOW,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/"
                                               "ff-identity-summary.ui");
  gtk_widget_class_bind_template_child (widget_class, FfIdentitySummary, device_row);
  gtk_widget_class_bind_template_child (widget_class, FfIdentitySummary, device_verdict);
  gtk_widget_class_bind_template_child (widget_class, FfIdentitySummary, position_row);
  gtk_widget_class_bind_template_child (widget_class, FfIdentitySummary, position_verdict);
}

static void
ff_identity_summary_init (FfIdentitySummary *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

FfWorkflow *
ff_identity_summary_get_workflow (FfIdentitySummary *self)
{
  g_return_val_if_fail (FF_IS_IDENTITY_SUMMARY (self), NULL);

  return self->workflow;
}

void
ff_identity_summary_set_workflow (FfIdentitySummary *self,
                                  FfWorkflow        *workflow)
{
  static const FfWorkflowWatch watches[] = {
    { "notify::state", G_CALLBACK (update) },
  };

  g_return_if_fail (FF_IS_IDENTITY_SUMMARY (self));

  if (!ff_workflow_watch (self, &self->workflow, workflow, watches, G_N_ELEMENTS (watches)))
    return;

  update (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_WORKFLOW]);
}
