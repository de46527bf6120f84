/* FfSyncPage: tasks and firmware being fetched from the platform, with their verdicts. */
#include "config.h"

#include "ff-sync-page.h"

struct _FfSyncPage
{
  AdwBin parent_instance;
};

G_DEFINE_FINAL_TYPE (FfSyncPage, ff_sync_page, ADW_TYPE_BIN)

static void
ff_sync_page_class_init (FfSyncPageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-sync-page.ui");
}

static void
ff_sync_page_init (FfSyncPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
