#!/usr/bin/env python3
"""Writes the NMEA logs the GPS tests replay through gpsfake (run it here to remake them).

Every log is a receiver standing at a test terminal's recorded position, 31.2304 N 121.4737 E,
one cycle of three sentences per second of receiver time; gpsfake's -c sets how fast they play.
"""

HOME = (31.2304, 121.4737)
ARCSEC = 1 / 3600


def sentence(body):
    checksum = 0
    for char in body:
        checksum ^= ord(char)
    return "$%s*%02X" % (body, checksum)


def degrees_minutes(value, digits, positive, negative):
    whole = int(abs(value))
    minutes = (abs(value) - whole) * 60
    return "%0*d%07.4f" % (digits, whole, minutes), positive if value >= 0 else negative


def clock(second):
    return "%02d%02d%02d.00" % (8, 12 + second // 60, second % 60)


def fix(second, latitude=HOME[0], longitude=HOME[1], quality=1, hdop=0.9, mode="A"):
    """GGA (quality: 1 GPS, 6 estimated/dead reckoning, 8 simulator), GSA, RMC (NMEA 2.3 mode)."""
    lat, ns = degrees_minutes(latitude, 2, "N", "S")
    lon, ew = degrees_minutes(longitude, 3, "E", "W")
    return [
        sentence("GPGGA,%s,%s,%s,%s,%s,%d,08,%.1f,12.0,M,8.0,M,,"
                 % (clock(second), lat, ns, lon, ew, quality, hdop)),
        sentence("GPGSA,A,3,01,02,03,04,05,06,07,08,,,,,1.6,%.1f,1.3" % hdop),
        sentence("GPRMC,%s,A,%s,%s,%s,%s,0.0,0.0,211126,,,%s"
                 % (clock(second), lat, ns, lon, ew, mode)),
    ]


def no_fix(second):
    """Searching: GGA quality 0, GSA mode 1, RMC void."""
    return [
        sentence("GPGGA,%s,,,,,0,00,99.9,,M,,M,," % clock(second)),
        sentence("GPGSA,A,1,,,,,,,,,,,,,99.9,99.9,99.9"),
        sentence("GPRMC,%s,V,,,,,,,211126,,,N" % clock(second)),
    ]


def satellites_only():
    """Satellite reports without a position: GSA and GSV, no GGA or RMC."""
    return [
        sentence("GPGSA,A,3,01,02,03,04,05,06,07,08,,,,,1.6,0.9,1.3"),
        sentence("GPGSV,2,1,08,01,40,083,46,02,17,308,41,03,07,344,39,04,22,228,45"),
        sentence("GPGSV,2,2,08,05,40,083,46,06,17,308,41,07,07,344,39,08,22,228,45"),
    ]


def write(name, comment, cycles):
    with open(name, "w") as log:
        log.write("# %s\n" % comment)
        for cycle in cycles:
            log.write("\n".join(cycle) + "\n")


write("satellite-only.nmea",
      "3 s of fixes, then 20 s of satellite reports only (GSA, GSV): the receiver lost the fix.",
      [fix(s) for s in range(3)] + [satellites_only() for s in range(3, 23)])
write("simulated-fix.nmea",
      "20 s of fixes from a receiver in simulator mode (GGA quality 8, RMC mode S).",
      [fix(s, quality=8, mode="S") for s in range(20)])
write("dead-reckoning.nmea",
      "20 s of estimated fixes (GGA quality 6, RMC mode E): dead reckoning.",
      [fix(s, quality=6, mode="E") for s in range(20)])
# Just after acquisition: three fixes 2" north, three more about 1.2" off with a worse HDOP, then
# the receiver settles within 0.1" of the recorded position.
write("settling.nmea",
      "Acquisition: 10 s searching, 3 s of fixes 2\" north, 3 s 1.2\" off, then settling at the "
      "recorded position.",
      [no_fix(s) for s in range(10)]
      + [fix(s, HOME[0] + 2.0 * ARCSEC, hdop=1.4) for s in range(10, 13)]
      + [fix(s, HOME[0] + 1.2 * ARCSEC, HOME[1] + 0.4 * ARCSEC, hdop=1.2) for s in range(13, 16)]
      + [fix(s, HOME[0] + (0.1 if s % 2 else -0.1) * ARCSEC) for s in range(16, 110)])
