/* FfWelcomePage: the first page: log in, the way into the day's work. */
#include "config.h"

#include "ff-welcome-page.h"

struct _FfWelcomePage
{
  AdwBin parent_instance;
};

G_DEFINE_FINAL_TYPE (FfWelcomePage, ff_welcome_page, ADW_TYPE_BIN)

static void
ff_welcome_page_class_init (FfWelcomePageClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/fieldflash/Fieldflash/ff-welcome-page.ui");
}

static void
ff_welcome_page_init (FfWelcomePage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
