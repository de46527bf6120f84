/* FfQueuePage: reports waiting to upload and those uploaded. */
#include "config.h"

#include "ff-queue-page.h"

struct _FfQueuePage
{
  AdwBin parent_instance;
};

G_DEFINE_FINAL_TYPE (FfQueuePage, ff_queue_page, ADW_TYPE_BIN)

static void
ff_queue_page_class_init (FfQueuePageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-queue-page.ui");
}

static void
ff_queue_page_init (FfQueuePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
