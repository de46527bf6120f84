/* FfFoldBox (ff-fold-box.h): its children in a row when it is at least fold-width wide (the
 * Navigate page's readings beside its map on a landscape tablet), in a column when it is narrower
 * (a phone) — what AdwBreakpoint does from libadwaita 1.4, which Debian 12 does not have. In a
 * row it asks for no more height than its children's minimum, so in a scrolled window its
 * children fill the height it is given (the map, the rest of the screen) instead of making the
 * page scroll; in a column it asks for the natural height of each child that does not expand, so
 * the page scrolls rather than squeeze one. */
#include "config.h"

#include "ff-fold-box.h"

struct _FfFoldBox
{
  GtkWidget parent_instance;

  GtkLayoutManager *row;   /* lays the children out side by side; a column is laid out here */
  int               fold_width;
};

static void ff_fold_box_buildable_init (GtkBuildableIface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (FfFoldBox, ff_fold_box, GTK_TYPE_WIDGET,
                               G_IMPLEMENT_INTERFACE (GTK_TYPE_BUILDABLE,
                                                      ff_fold_box_buildable_init))

enum
{
  PROP_0,
  PROP_FOLD_WIDTH,
  PROP_SPACING,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static GtkBuildableIface *parent_buildable_iface;

static void
ff_fold_box_add_child (GtkBuildable *buildable,
                       GtkBuilder   *builder,
                       GObject      *child,
                       const char   *type)
{
  if (GTK_IS_WIDGET (child))
    gtk_widget_set_parent (GTK_WIDGET (child), GTK_WIDGET (buildable));
  else
    parent_buildable_iface->add_child (buildable, builder, child, type);
}

static void
ff_fold_box_buildable_init (GtkBuildableIface *iface)
{
  parent_buildable_iface = g_type_interface_peek_parent (iface);
  iface->add_child = ff_fold_box_add_child;
}

/* A row's minimum or natural width. */
static int
measure_width (FfFoldBox *self,
               gboolean   natural)
{
  int minimum = 0, natural_width = 0, minimum_baseline = -1, natural_baseline = -1;

  gtk_layout_manager_measure (self->row, GTK_WIDGET (self), GTK_ORIENTATION_HORIZONTAL, -1,
                              &minimum, &natural_width, &minimum_baseline, &natural_baseline);
  return natural ? natural_width : minimum;
}

/* In a row at @width: at least fold-width, and room for every child's minimum side by side. */
static gboolean
is_row (FfFoldBox *self,
        int        width)
{
  return width >= self->fold_width && width >= measure_width (self, FALSE);
}

/* A column at @width: the natural height of each child that does not expand (the readings,
 * whole) and, of the @height left, an equal share to each that does (the map, whose natural size
 * is unbounded) — at least its minimum. GtkBoxLayout would share what is beyond the minimums
 * between them and cut the readings short. Allocates the children when @allocate; returns the
 * height the column needs. */
static int
lay_out_column (FfFoldBox *self,
                int        width,
                int        height,
                gboolean   allocate)
{
  int spacing = gtk_box_layout_get_spacing (GTK_BOX_LAYOUT (self->row));
  int needed = 0, children = 0, expanding = 0, extra, remainder, y = 0;
  GtkWidget *child;

  for (child = gtk_widget_get_first_child (GTK_WIDGET (self)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      int minimum = 0, natural = 0;

      if (!gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, width, &minimum, &natural, NULL, NULL);
      if (gtk_widget_compute_expand (child, GTK_ORIENTATION_VERTICAL))
        {
          needed += minimum;
          expanding++;
        }
      else
        needed += natural;
      children++;
    }
  needed += MAX (children - 1, 0) * spacing;
  if (!allocate)
    return needed;
  extra = MAX (height - needed, 0);
  /* The pixels the division leaves go to the first that expands. */
  remainder = expanding > 0 ? extra % expanding : 0;
  for (child = gtk_widget_get_first_child (GTK_WIDGET (self)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      int minimum = 0, natural = 0, child_height;

      if (!gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_VERTICAL, width, &minimum, &natural, NULL, NULL);
      if (gtk_widget_compute_expand (child, GTK_ORIENTATION_VERTICAL))
        {
          child_height = minimum + extra / expanding + remainder;
          remainder = 0;
        }
      else
        child_height = natural;
      gtk_widget_size_allocate (child, &(GtkAllocation) { 0, y, width, child_height }, -1);
      y += child_height + spacing;
    }
  return needed;
}

/* The widest minimum of the children: a column's minimum width. */
static int
measure_column_width (FfFoldBox *self)
{
  int width = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (self)); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      int minimum = 0, natural = 0;

      if (!gtk_widget_should_layout (child))
        continue;
      gtk_widget_measure (child, GTK_ORIENTATION_HORIZONTAL, -1, &minimum, &natural, NULL, NULL);
      width = MAX (width, minimum);
    }
  return width;
}

static GtkSizeRequestMode
ff_fold_box_get_request_mode (GtkWidget *widget)
{
  return GTK_SIZE_REQUEST_HEIGHT_FOR_WIDTH;
}

static void
ff_fold_box_measure (GtkWidget      *widget,
                     GtkOrientation  orientation,
                     int             for_size,
                     int            *minimum,
                     int            *natural,
                     int            *minimum_baseline,
                     int            *natural_baseline)
{
  FfFoldBox *self = FF_FOLD_BOX (widget);
  int row_minimum = 0, ignored = 0;

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      /* As narrow as a column, as wide as a row would like. */
      *minimum = measure_column_width (self);
      *natural = MAX (*minimum, measure_width (self, TRUE));
      return;
    }
  if (for_size >= 0 && is_row (self, for_size))
    {
      gtk_layout_manager_measure (self->row, widget, orientation, for_size, &row_minimum,
                                  &ignored, minimum_baseline, natural_baseline);
      *minimum = *natural = row_minimum;
    }
  else
    *minimum = *natural = lay_out_column (self, for_size, 0, FALSE);
  *minimum_baseline = *natural_baseline = -1;
}

static void
ff_fold_box_size_allocate (GtkWidget *widget,
                           int        width,
                           int        height,
                           int        baseline)
{
  FfFoldBox *self = FF_FOLD_BOX (widget);

  if (is_row (self, width))
    gtk_layout_manager_allocate (self->row, widget, width, height, baseline);
  else
    lay_out_column (self, width, height, TRUE);
}

static void
ff_fold_box_dispose (GObject *object)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (object))) != NULL)
    gtk_widget_unparent (child);
  G_OBJECT_CLASS (ff_fold_box_parent_class)->dispose (object);
}

static void
ff_fold_box_finalize (GObject *object)
{
  FfFoldBox *self = FF_FOLD_BOX (object);

  g_object_unref (self->row);
  G_OBJECT_CLASS (ff_fold_box_parent_class)->finalize (object);
}

static void
ff_fold_box_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  FfFoldBox *self = FF_FOLD_BOX (object);

  switch (prop_id)
    {
    case PROP_FOLD_WIDTH:
      g_value_set_int (value, self->fold_width);
      break;
    case PROP_SPACING:
      g_value_set_int (value, gtk_box_layout_get_spacing (GTK_BOX_LAYOUT (self->row)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_fold_box_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  FfFoldBox *self = FF_FOLD_BOX (object);

  switch (prop_id)
    {
    case PROP_FOLD_WIDTH:
      self->fold_width = g_value_get_int (value);
      gtk_widget_queue_resize (GTK_WIDGET (self));
      break;
    case PROP_SPACING:
      gtk_box_layout_set_spacing (GTK_BOX_LAYOUT (self->row), g_value_get_int (value));
      gtk_widget_queue_resize (GTK_WIDGET (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ff_fold_box_class_init (FfFoldBoxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ff_fold_box_dispose;
  object_class->finalize = ff_fold_box_finalize;
  object_class->get_property = ff_fold_box_get_property;
  object_class->set_property = ff_fold_box_set_property;
  widget_class->get_request_mode = ff_fold_box_get_request_mode;
  widget_class->measure = ff_fold_box_measure;
  widget_class->size_allocate = ff_fold_box_size_allocate;

  properties[PROP_FOLD_WIDTH] =
    g_param_spec_int ("fold-width", NULL, NULL, 0, G_MAXINT, 720,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SPACING] =
    g_param_spec_int ("spacing", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ff_fold_box_init (FfFoldBox *self)
{
  self->row = gtk_box_layout_new (GTK_ORIENTATION_HORIZONTAL);
  self->fold_width = 720;
}
