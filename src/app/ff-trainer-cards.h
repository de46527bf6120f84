/* The trainer's scenario cards: which fault each training terminal will show. */
#pragma once

#include <gtk/gtk.h>

#include "ff-training.h"

G_BEGIN_DECLS

void ff_trainer_cards_present (GtkWindow  *parent,
                               FfTraining *training);

G_END_DECLS
