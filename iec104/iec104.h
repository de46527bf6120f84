/* iec104.h: umbrella header of libiec104 (IEC 60870-5-104, Chinese terminal profile). */
#pragma once

#include "iec104-error.h"
#include "iec104-apci.h"
#include "iec104-asdu.h"
#include "iec104-profile.h"
#include "iec104-link.h"
#include "iec104-master.h"
#include "iec104-outstation.h"
