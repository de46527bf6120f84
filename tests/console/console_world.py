"""The fleet the browser tests work on: a 10,000-terminal ledger with a stored XSS in one name,
firmware, a technician and tablets, made with the platform's own CLI."""
import os
import random
import subprocess

# The stored XSS the ledger carries in a terminal's name: each would set window.ffXss if the
# console ever put the name into the page as markup.
XSS_NAME = ('<script>window.ffXss = 1</script><img src=x onerror="window.ffXss = 2">'
            '<svg onload="window.ffXss = 3"></svg>')
# The model whose V1.00 terminals the tests look for, few enough to see on one page.
FAULTY_MODEL = 'FTU-200'
FAULTY_COUNT = 12
PHONE = '13800138000'
TECHNICIAN = '张伟'
PIN = '482913'
TABLETS = ['TAB-0001', 'TAB-0002', 'TAB-0003']


def ledger_csv(count):
    """@count terminals: mostly Acme DTU-3000 and Bolt RTU-9 at several versions around Beijing, and
    FAULTY_COUNT Acme FTU-200 running V1.00 (the first carries XSS_NAME)."""
    rows = ['device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,'
            'software_checksum,host,port,common_address,profile']
    versions = ['V1.00', 'V1.10', 'V2.01']
    for i in range(count):
        if i < FAULTY_COUNT:
            device, vendor, model, version = f'FTU{i:05d}', 'Acme', FAULTY_MODEL, 'V1.00'
            name = XSS_NAME if i == 0 else f'Pole switch {i}'
        elif i % 3 == 0:
            device, vendor, model, version = f'RTU{i:05d}', 'Bolt', 'RTU-9', versions[i % 2]
            name = f'Substation {i}'
        else:
            device, vendor, model, version = f'DTU{i:05d}', 'Acme', 'DTU-3000', versions[i % 3]
            name = f'Ring main unit {i}, feeder {i % 40}'
        # spread over some 45 km × 45 km, the same for every run
        place = random.Random(i)
        latitude = 39.70 + place.random() * 0.4
        longitude = 116.15 + place.random() * 0.5
        quoted = '"' + name.replace('"', '""') + '"'
        rows.append(f'{device},{quoted},{latitude:.5f},{longitude:.5f},{vendor},{model},HV1.0,'
                    f'{version},,127.0.0.1,2404,{i % 65535},state-grid')
    return '\n'.join(rows) + '\n'


def ed25519_public_key(platform, name):
    private = os.path.join(platform.dir, name + '.pem')
    subprocess.run(['openssl', 'genpkey', '-algorithm', 'ed25519', '-out', private], check=True,
                   capture_output=True)
    public = os.path.join(platform.dir, name + '.pub.pem')
    subprocess.run(['openssl', 'pkey', '-in', private, '-pubout', '-out', public], check=True,
                   capture_output=True)
    return public


def setup_world(platform, terminals=10000):
    """The ledger, firmware V1.00 and V2.01 of FAULTY_MODEL, V2.01 of DTU-3000 and V2.00 of RTU-9, a
    technician and three tablets in stock."""
    platform.run('terminals', 'import', platform.write('ledger.csv', ledger_csv(terminals)))
    for vendor, model, version, size in [('Acme', FAULTY_MODEL, 'V1.00', 40000),
                                         ('Acme', FAULTY_MODEL, 'V2.01', 41000),
                                         ('Acme', 'DTU-3000', 'V2.01', 30000),
                                         ('Bolt', 'RTU-9', 'V2.00', 20000)]:
        image = platform.write(f'{model}-{version}.bin', bytes((i * 31 + len(version)) % 251
                                                                 for i in range(size)))
        platform.run('firmware', 'add', image, '--vendor', vendor, '--model', model, '--version',
                     version, '--hardware', 'HV1.0', '--notes', f'{model} {version} <b>notes</b>')
    platform.run('technicians', 'add', '--phone', PHONE, '--name', TECHNICIAN, input_text=PIN + '\n')
    for serial in TABLETS:
        platform.run('handhelds', 'add', serial, '--pubkey', ed25519_public_key(platform, serial))
