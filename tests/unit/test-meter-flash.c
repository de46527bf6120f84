/* test-meter-flash.c: the flash of the meter/ tests (test-meter-flash.h). */
#include <string.h>

#include "test-meter-flash.h"

static int
flash_read (void *user, unsigned copy, uint8_t *buf, size_t len)
{
  TestFlash *flash = user;

  if (copy > 1 || len > TEST_FLASH_COPY_MAX)
    return -1;
  memcpy (buf, flash->copy[copy], len);
  return 0;
}

/* Erase first, as flash must, then program in order: a cut leaves the copy erased or torn. */
static int
flash_write (void *user, unsigned copy, const uint8_t *buf, size_t len)
{
  TestFlash *flash = user;

  if (copy > 1 || len > TEST_FLASH_COPY_MAX || flash->cut || flash->fail)
    return -1;
  memset (flash->copy[copy], 0xff, TEST_FLASH_COPY_MAX);
  for (size_t i = 0; i < len; i++)
    {
      if (flash->budget == 0)
        {
          flash->cut = true;
          return -1;
        }
      if (flash->budget > 0)
        flash->budget--;
      flash->copy[copy][i] = buf[i];
    }
  flash->writes++;
  return 0;
}

void
test_flash_init (TestFlash *flash)
{
  memset (flash, 0xff, sizeof *flash);
  flash->budget = -1;
  flash->cut = false;
  flash->fail = false;
  flash->writes = 0;
  flash->store.read = flash_read;
  flash->store.write = flash_write;
  flash->store.user = flash;
}

void
test_flash_power_up (TestFlash *flash)
{
  flash->budget = -1;
  flash->cut = false;
}
