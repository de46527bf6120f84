/* test-meter-flash.h: a meter's flash or EEPROM for the meter/ tests: two copies of a record, each
 * erased and then programmed byte by byte, and a power cut after any number of bytes. */
#pragma once

#include <stdbool.h>

#include "ffmeter.h"

#define TEST_FLASH_COPY_MAX 512

typedef struct
{
  uint8_t copy[2][TEST_FLASH_COPY_MAX];
  long budget;          /* bytes that may still be programmed before the power goes; -1: no cut */
  bool cut;             /* the power went: every later write fails until test_flash_power_up */
  bool fail;            /* writes fail (a worn page) without a power cut */
  unsigned writes;      /* write calls that completed */
  FfMeterStore store;
} TestFlash;

void test_flash_init (TestFlash *flash);
/* The power comes back: the contents stay as the cut left them. */
void test_flash_power_up (TestFlash *flash);
