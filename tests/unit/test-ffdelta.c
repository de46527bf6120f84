/* test-ffdelta.c: delta patches: round trips, the patcher's budget, resume from a saved state at
 * every chunk boundary, and refusal of wrong old images, damaged and truncated patches. */
#include <glib.h>
#include <string.h>

#include "ff-delta.h"

static const char *real_old_path, *real_new_path;

/* The patcher's storage, as a device's flash would be: counts writes so a test can tell whether
 * anything was written. */
typedef struct
{
  GBytes *old;
  guint8 *new_data;
  gsize new_size;
  guint writes;
  GChecksum *checksum;
} Device;

static int
device_read_old (void *user, uint32_t offset, uint8_t *buf, size_t len)
{
  Device *device = user;
  gsize size;
  const guint8 *data = g_bytes_get_data (device->old, &size);

  g_assert_cmpuint (offset + len, <=, size);
  memcpy (buf, data + offset, len);
  return 0;
}

static int
device_write_new (void *user, uint32_t offset, const uint8_t *buf, size_t len)
{
  Device *device = user;

  g_assert_cmpuint (offset + len, <=, device->new_size);
  memcpy (device->new_data + offset, buf, len);
  device->writes++;
  return 0;
}

static int
device_read_new (void *user, uint32_t offset, uint8_t *buf, size_t len)
{
  Device *device = user;

  g_assert_cmpuint (offset + len, <=, device->new_size);
  memcpy (buf, device->new_data + offset, len);
  return 0;
}

static void
device_digest_begin (void *user)
{
  Device *device = user;

  g_clear_pointer (&device->checksum, g_checksum_free);
  device->checksum = g_checksum_new (G_CHECKSUM_SHA256);
}

static void
device_digest_update (void *user, const uint8_t *data, size_t len)
{
  g_checksum_update (((Device *) user)->checksum, data, len);
}

static void
device_digest_end (void *user, uint8_t digest[FFDELTA_DIGEST_SIZE])
{
  Device *device = user;
  gsize len = FFDELTA_DIGEST_SIZE;

  g_checksum_get_digest (device->checksum, digest, &len);
  g_clear_pointer (&device->checksum, g_checksum_free);
}

static const FfDeltaIo device_io_template = {
  device_read_old, device_write_new, device_read_new, device_digest_begin, device_digest_update,
  device_digest_end, NULL
};

static void
device_init (Device *device, FfDeltaIo *io, GBytes *old, gsize new_size)
{
  memset (device, 0, sizeof *device);
  device->old = old;
  device->new_size = new_size;
  device->new_data = g_malloc0 (MAX (new_size, 1));
  *io = device_io_template;
  io->user = device;
}

static void
device_clear (Device *device)
{
  g_free (device->new_data);
  g_clear_pointer (&device->checksum, g_checksum_free);
}

static GBytes *
random_bytes (GRand *rand, gsize len)
{
  guint8 *data = g_malloc (MAX (len, 1));

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) g_rand_int (rand);
  return g_bytes_new_take (data, len);
}

/* Code-like bytes: repeated instruction shapes with addresses in them. */
static GBytes *
structured_bytes (guint32 base, gsize len)
{
  guint8 *data = g_malloc (MAX (len, 1));

  for (gsize i = 0; i < len; i++)
    {
      guint32 address = base + (guint32) (i / 8) * 16;

      switch (i % 8)
        {
        case 0: data[i] = 0xE8; break;
        case 1: case 2: case 3: case 4: data[i] = (guint8) (address >> (8 * (i % 8 - 1))); break;
        default: data[i] = (guint8) (0x40 + i % 3); break;
        }
    }
  return g_bytes_new_take (data, len);
}

static GBytes *
load (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) file = g_mapped_file_new (path, FALSE, &error);

  g_assert_no_error (error);
  return g_mapped_file_get_bytes (file);
}

static void
assert_round_trip (GBytes *old_image, GBytes *new_image)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) patch = ff_delta_make (old_image, new_image, &error);
  g_autoptr(GBytes) made = NULL;
  FfDeltaHeader header;

  g_assert_no_error (error);
  g_assert_true (ff_delta_describe (patch, &header, &error));
  g_assert_cmpuint (header.old_size, ==, g_bytes_get_size (old_image));
  g_assert_cmpuint (header.new_size, ==, g_bytes_get_size (new_image));
  made = ff_delta_apply (old_image, patch, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (made, new_image));
}

static GBytes *
splice (GBytes *image, gsize at, gsize cut, const char *insert)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (image, &len);
  GByteArray *out = g_byte_array_new ();

  g_byte_array_append (out, data, at);
  g_byte_array_append (out, (const guint8 *) insert, strlen (insert));
  g_byte_array_append (out, data + at + cut, len - at - cut);
  return g_byte_array_free_to_bytes (out);
}

static void
test_budget (void)
{
  g_assert_cmpuint (sizeof (FfDeltaPatcher), <=, FFDELTA_PATCHER_BUDGET);
  g_assert_cmpuint (FFDELTA_RECORD_SIZE, <=, FFDELTA_PATCHER_BUDGET + 4);
}

static void
test_round_trips (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261206);
  g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
  g_autoptr(GBytes) random_a = random_bytes (rand, 70000), random_b = random_bytes (rand, 50000);
  g_autoptr(GBytes) code = structured_bytes (0x08000000, 64000);
  g_autoptr(GBytes) code_moved = structured_bytes (0x08000400, 64000);
  g_autoptr(GBytes) shifted = splice (code, 20000, 37, "new function body inserted here");
  g_autoptr(GBytes) real_old = load (real_old_path), real_new = load (real_new_path);

  assert_round_trip (code, code);             /* identical */
  assert_round_trip (empty, code);            /* empty old */
  assert_round_trip (code, empty);            /* empty new */
  assert_round_trip (empty, empty);
  assert_round_trip (random_a, random_b);     /* all changed */
  assert_round_trip (code, code_moved);       /* every address moved */
  assert_round_trip (code, shifted);          /* code shifted by an insertion */
  assert_round_trip (real_old, real_new);     /* a real firmware pair */
  assert_round_trip (real_new, real_old);
}

/* A code change made small: an address move costs far less than the image. */
static void
test_small_patch_for_small_change (void)
{
  g_autoptr(GBytes) code = structured_bytes (0x08000000, 64000);
  g_autoptr(GBytes) shifted = splice (code, 20000, 37, "new function body inserted here");
  g_autoptr(GBytes) patch = ff_delta_make (code, shifted, NULL);

  g_assert_cmpuint (g_bytes_get_size (patch), <, 400);
}

/* Feeds the patch in random chunks; at every boundary the state is saved, and from each saved
 * state a fresh patcher (as after a power cut: the writes since then are lost or repeated) must
 * finish the same image bit for bit. */
static void
test_resume_at_every_boundary (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (4);
  g_autoptr(GBytes) old_image = load (real_old_path), new_image = load (real_new_path);
  g_autoptr(GBytes) patch = ff_delta_make (old_image, new_image, NULL);
  gsize patch_len;
  const guint8 *patch_data = g_bytes_get_data (patch, &patch_len);
  g_autoptr(GArray) boundaries = g_array_new (FALSE, FALSE, sizeof (gsize));
  g_autoptr(GPtrArray) records = g_ptr_array_new_with_free_func (g_free);
  FfDeltaPatcher *patcher = g_new (FfDeltaPatcher, 1);
  Device device;
  FfDeltaIo io;
  gsize offset = 0;

  device_init (&device, &io, old_image, g_bytes_get_size (new_image));
  ffdelta_patcher_init (patcher, &io);
  while (offset < patch_len)
    {
      gsize chunk = (gsize) g_rand_int_range (rand, 1, 120);
      gsize n = MIN (patch_len - offset, chunk);
      FfDeltaResult result = ffdelta_patcher_feed (patcher, patch_data + offset, n);
      guint8 *record = g_malloc (FFDELTA_RECORD_SIZE);

      offset += n;
      g_assert_cmpint (result, ==, offset < patch_len ? FFDELTA_NEED_MORE : FFDELTA_DONE);
      g_assert_cmpuint (ffdelta_patcher_offset (patcher), ==, offset);
      ffdelta_patcher_save (patcher, record);
      g_ptr_array_add (records, record);
      g_array_append_val (boundaries, offset);
    }
  g_assert_cmpmem (device.new_data, device.new_size, g_bytes_get_data (new_image, NULL),
                   g_bytes_get_size (new_image));
  device_clear (&device);
  g_assert_cmpuint (boundaries->len, >, 20);

  for (guint i = 0; i + 1 < boundaries->len; i++)
    {
      gsize at = g_array_index (boundaries, gsize, i);
      Device resumed;
      FfDeltaIo resumed_io;
      FfDeltaResult result;

      /* The device kept what it wrote before the cut, and garbage after it. */
      device_init (&resumed, &resumed_io, old_image, g_bytes_get_size (new_image));
      memset (resumed.new_data, 0xA5, resumed.new_size);
      memcpy (resumed.new_data, g_bytes_get_data (new_image, NULL),
              ((FfDeltaPatcher *) records->pdata[i])->written);
      g_assert_cmpint (ffdelta_patcher_restore (patcher, records->pdata[i], &resumed_io), ==,
                       FFDELTA_OK);
      g_assert_cmpuint (ffdelta_patcher_offset (patcher), ==, at);
      result = ffdelta_patcher_feed (patcher, patch_data + at, patch_len - at);
      g_assert_cmpint (result, ==, FFDELTA_DONE);
      g_assert_cmpmem (resumed.new_data, resumed.new_size, g_bytes_get_data (new_image, NULL),
                       g_bytes_get_size (new_image));
      device_clear (&resumed);
    }

  /* A damaged record is refused. */
  ((guint8 *) records->pdata[0])[10] ^= 1;
  g_assert_cmpint (ffdelta_patcher_restore (patcher, records->pdata[0], &io), ==,
                   FFDELTA_ERROR_BAD_RECORD);
  g_free (patcher);
}

/* Applies through the streaming patcher; *writes counts write calls; *made (when not NULL) gets
 * the image as the device holds it afterwards. */
static FfDeltaResult
apply_counting_writes (GBytes *old_image, const guint8 *patch, gsize len, gsize new_size,
                       guint *writes, GBytes **made)
{
  FfDeltaPatcher *patcher = g_new (FfDeltaPatcher, 1);
  Device device;
  FfDeltaIo io;
  FfDeltaResult result;

  device_init (&device, &io, old_image, new_size);
  ffdelta_patcher_init (patcher, &io);
  result = ffdelta_patcher_feed (patcher, patch, len);
  /* A failed patcher stays failed. */
  if (result != FFDELTA_DONE && result != FFDELTA_NEED_MORE)
    g_assert_cmpint (ffdelta_patcher_feed (patcher, patch, 1), ==, result);
  *writes = device.writes;
  if (made != NULL)
    *made = g_bytes_new (device.new_data, device.new_size);
  device_clear (&device);
  g_free (patcher);
  return result;
}

static void
test_wrong_old_refused_before_writing (void)
{
  g_autoptr(GBytes) old_image = load (real_old_path), new_image = load (real_new_path);
  g_autoptr(GBytes) patch = ff_delta_make (old_image, new_image, NULL);
  gsize old_len = g_bytes_get_size (old_image);
  guint8 *other = g_memdup2 (g_bytes_get_data (old_image, NULL), old_len);
  g_autoptr(GBytes) other_old = NULL;
  g_autoptr(GError) error = NULL;
  guint writes = 1;

  other[old_len / 2] ^= 0x01;   /* one bit off */
  other_old = g_bytes_new_take (other, old_len);
  g_assert_cmpint (apply_counting_writes (other_old, g_bytes_get_data (patch, NULL),
                                          g_bytes_get_size (patch), g_bytes_get_size (new_image),
                                          &writes, NULL), ==, FFDELTA_ERROR_WRONG_OLD);
  g_assert_cmpuint (writes, ==, 0);
  g_assert_null (ff_delta_apply (other_old, patch, &error));
  g_assert_error (error, FF_DELTA_ERROR, FFDELTA_ERROR_WRONG_OLD);
}

/* Whatever is damaged, the patcher never reports an image as done unless it is the right one (a
 * change in the coder's last padding bits can leave the decoded image as it was). */
static void
test_damaged_patches_never_pass (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (99);
  g_autoptr(GBytes) old_image = structured_bytes (0x08000000, 20000);
  g_autoptr(GBytes) new_image = splice (old_image, 5000, 3, "changed code");
  g_autoptr(GBytes) patch = ff_delta_make (old_image, new_image, NULL);
  gsize len;
  const guint8 *data = g_bytes_get_data (patch, &len);
  guint refused = 0;

  for (int round = 0; round < 1500; round++)
    {
      guint8 *damaged = g_memdup2 (data, len);
      gsize damaged_len = len;
      guint writes;
      FfDeltaResult result;
      g_autoptr(GBytes) made = NULL;

      switch (round % 3)
        {
        case 0:   /* flip bits in the body */
          for (int k = 0; k < 1 + round % 4; k++)
            damaged[FFDELTA_HEADER_SIZE + g_rand_int_range (rand, 0, len - FFDELTA_HEADER_SIZE)]
              ^= (guint8) (1u << g_rand_int_range (rand, 0, 8));
          break;
        case 1:   /* random bytes anywhere, header included */
          damaged[g_rand_int_range (rand, 0, len)] = (guint8) g_rand_int (rand);
          break;
        default:  /* cut short */
          damaged_len = g_rand_int_range (rand, 0, len);
          break;
        }
      if (memcmp (damaged, data, damaged_len) == 0 && damaged_len == len)
        {
          g_free (damaged);
          continue;
        }
      result = apply_counting_writes (old_image, damaged, damaged_len,
                                      g_bytes_get_size (new_image), &writes, &made);
      if (result == FFDELTA_DONE)
        g_assert_true (g_bytes_equal (made, new_image));
      if (result != FFDELTA_NEED_MORE)
        refused++;
      g_free (damaged);
    }
  g_assert_cmpuint (refused, >, 900);
}

static void
test_header_errors (void)
{
  g_autoptr(GBytes) old_image = structured_bytes (0, 1000), new_image = structured_bytes (8, 1000);
  g_autoptr(GBytes) patch = ff_delta_make (old_image, new_image, NULL);
  gsize len;
  const guint8 *data = g_bytes_get_data (patch, &len);
  g_autofree guint8 *copy = g_memdup2 (data, len);
  g_autofree guint8 *longer = g_malloc0 (len + 1);
  FfDeltaHeader header;
  guint writes;

  copy[0] = 'X';
  g_assert_cmpint (ffdelta_header_parse (copy, len, &header), ==, FFDELTA_ERROR_BAD_MAGIC);
  memcpy (copy, data, len);
  copy[4] = FFDELTA_FORMAT_VERSION + 1;
  g_assert_cmpint (ffdelta_header_parse (copy, len, &header), ==, FFDELTA_ERROR_BAD_VERSION);
  memcpy (copy, data, len);
  copy[9] ^= 0x10;   /* the old size, caught by the header's CRC */
  g_assert_cmpint (ffdelta_header_parse (copy, len, &header), ==, FFDELTA_ERROR_BAD_HEADER);
  memcpy (longer, data, len);
  g_assert_cmpint (apply_counting_writes (old_image, longer, len + 1, 1000, &writes, NULL), ==,
                   FFDELTA_ERROR_TOO_LONG);
  g_assert_cmpint (apply_counting_writes (old_image, data, len - 1, 1000, &writes, NULL), ==,
                   FFDELTA_NEED_MORE);
}

/* The process's peak of virtual memory (VmPeak), in KiB. */
static guint64
vm_peak_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "VmPeak:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("VmPeak:"), NULL, 10);
}

/* A header that declares a new image of 2 GiB over a body that makes 1,000 bytes: ff_delta_apply
 * allocated the declared size before decoding, which aborts the program where the address space
 * is limited (a 32-bit terminal, fieldflash-delta under ulimit -v). It refuses the patch without
 * reserving more than it writes. */
static void
test_header_declares_huge_image (void)
{
  g_autoptr(GBytes) old_image = structured_bytes (0, 1000), new_image = structured_bytes (8, 1000);
  g_autoptr(GBytes) patch = ff_delta_make (old_image, new_image, NULL);
  gsize len;
  g_autofree guint8 *lying = g_memdup2 (g_bytes_get_data (patch, &len), g_bytes_get_size (patch));
  g_autoptr(GBytes) lying_patch = NULL;
  g_autoptr(GBytes) made = NULL;
  g_autoptr(GError) error = NULL;
  FfDeltaHeader header;
  guint64 peak_before;

  g_assert_cmpint (ffdelta_header_parse (lying, len, &header), ==, FFDELTA_OK);
  header.new_size = 0x7FFFFFFF;
  ffdelta_header_write (&header, lying);
  lying_patch = g_bytes_new (lying, len);
  peak_before = vm_peak_kib ();
  made = ff_delta_apply (old_image, lying_patch, &error);
  g_assert_null (made);
  g_assert_error (error, FF_DELTA_ERROR, FFDELTA_ERROR_MALFORMED);
  g_test_message ("VmPeak %" G_GUINT64_FORMAT " → %" G_GUINT64_FORMAT " KiB", peak_before,
                  vm_peak_kib ());
  g_assert_cmpuint (vm_peak_kib () - peak_before, <, 64 * 1024);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 3);
  real_old_path = argv[1];
  real_new_path = argv[2];
  g_test_add_func ("/ffdelta/budget", test_budget);
  g_test_add_func ("/ffdelta/round-trips", test_round_trips);
  g_test_add_func ("/ffdelta/small-patch", test_small_patch_for_small_change);
  g_test_add_func ("/ffdelta/resume-at-every-boundary", test_resume_at_every_boundary);
  g_test_add_func ("/ffdelta/wrong-old", test_wrong_old_refused_before_writing);
  g_test_add_func ("/ffdelta/damaged", test_damaged_patches_never_pass);
  g_test_add_func ("/ffdelta/header-errors", test_header_errors);
  g_test_add_func ("/ffdelta/header-declares-huge-image", test_header_declares_huge_image);
  return g_test_run ();
}
