#!/usr/bin/env python3
"""The operator's console in a real browser (Debian's chromium, headless, through chromium-driver)
against a real fieldflash-platform with a 10,000-terminal ledger: an operator finds the terminals
running V1.00 of a model, selects them in the table and on the map and dispatches them; withdraws
a firmware; adds and removes a blacklist entry; an auditor sees no change button and the API
refuses; a change without the CSRF token is refused; the ledger's stored XSS runs nothing; no page
writes an error to the browser's console. Screenshots in English and Chinese at 1920×1080 and
1366×768 go to meson-logs/console-screenshots/."""
import contextlib
import hashlib
import json
import math
import os
import re
import socket
import time
import unittest

from console_browser import By, console_errors, start_browser, wait_for, wait_until
from console_fixture import BUILD, Platform
from console_world import (FAULTY_COUNT, FAULTY_MODEL, PHONE, PIN, TABLETS, XSS_NAME,
                           ed25519_public_key, setup_world)
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.support.ui import Select

PASSWORDS = {'admin': 'admin password 1', 'ops': 'operator password 1',
             'audit': 'auditor password 1'}
ROLES = {'admin': 'admin', 'ops': 'operator', 'audit': 'auditor'}
SCREENSHOTS = os.path.join(BUILD, 'meson-logs', 'console-screenshots')
SELECTED = '#e0701b'
# Networked terminals (MQTT) for the campaign: their broker is a closed loopback port, so the
# commands the campaign's engine sends are never answered. NTA00000's model has a plain image as
# its V2.01, which a networked terminal cannot take: the engine fails it when its wave starts.
NETWORKED_MODEL = 'NTU-5'
NETWORKED = ['NTA00000'] + [f'NTU{i:05d}' for i in range(3)]


def replaced(element):
    """Whether the page drew @element again (the one found before is gone)."""
    try:
        element.is_enabled()
        return False
    except StaleElementReferenceException:
        return True


def closed_port():
    """A loopback port nothing listens on (bound, then closed again)."""
    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return probe.getsockname()[1]


def add_networked_terminals(platform, devices=NETWORKED):
    """@devices at V1.00 over MQTT (an NTA one of model NTA-1, the others NETWORKED_MODEL), with
    their credentials, a broker on a closed port and both models' V2.01."""
    platform.run('mqtt', 'config', '-o', os.path.join(platform.dir, 'mqtt'), '--port',
                 str(closed_port()))
    rows = ['device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,'
            'software_checksum,host,port,common_address,profile,link']
    rows += [f'{device},Networked {i},39.9{i},116.4{i},Acme,'
             f'{"NTA-1" if device.startswith("NTA") else NETWORKED_MODEL},'
             f'HV1.0,V1.00,,127.0.0.1,2404,{i + 1},state-grid,mqtt' for i, device in enumerate(devices)]
    platform.run('terminals', 'import', platform.write('networked.csv', '\n'.join(rows) + '\n'))
    platform.run('terminals', 'credentials', *devices, '-o', os.path.join(platform.dir, 'credentials'))
    program = platform.write('main-program', '#!/bin/sh\necho V2.01\n')
    package = os.path.join(platform.dir, 'ntu-v2.ffpkg')
    platform.run('packages', 'build', '--vendor', 'Acme', '--model', NETWORKED_MODEL, '--hardware',
                 'HV1.0', '--version', 'V2.01', '--main-program', program, '--main-program-version',
                 'V2.01', '-o', package)
    platform.run('firmware', 'add', package)
    platform.run('firmware', 'add', platform.write('nta-v2.bin', bytes(range(256)) * 16), '--vendor',
                 'Acme', '--model', 'NTA-1', '--version', 'V2.01', '--hardware', 'HV1.0')


# Names as long as the ledger takes (128 bytes) without a space, in letters and in Chinese, and
# in Arabic (right to left), of a vendor and model of 60 letters; a technician named likewise.
LONG_VENDOR = 'V' * 60
LONG_MODEL = 'M' * 60
LONG_NAMES = {'ZLN00000': 'W' * 128, 'ZLN00001': '环网柜' * 14,
              'ZLN00002': ('محطة التحويل الرئيسية ' * 6)[:64].strip()}
LONG_TECHNICIAN = 'X' * 128


def add_long_names(platform):
    rows = ['device_id,name,latitude,longitude,vendor,model,hardware_version,software_version,'
            'software_checksum,host,port,common_address,profile']
    rows += [f'{device},"{name}",39.8{i},116.3{i},{LONG_VENDOR},{LONG_MODEL},HV1.0,V1.00,,'
             f'127.0.0.1,2404,{i + 1},state-grid' for i, (device, name) in enumerate(LONG_NAMES.items())]
    platform.run('terminals', 'import', platform.write('long-names.csv', '\n'.join(rows) + '\n'))
    platform.run('technicians', 'add', '--phone', '13600136000', '--name', LONG_TECHNICIAN,
                 input_text='246810\n')


class Console(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.platform = Platform()
        setup_world(cls.platform)
        add_networked_terminals(cls.platform)
        add_long_names(cls.platform)
        for name, password in PASSWORDS.items():
            cls.platform.run('operators', 'add', '--name', name, '--role', ROLES[name],
                             '--password-stdin', input_text=password + '\n')
        cls.platform.start()

    @classmethod
    def tearDownClass(cls):
        cls.platform.stop()

    def setUp(self):
        self.drivers = []

    def tearDown(self):
        # Whatever a test did, no page may have written an error to the console.
        try:
            for driver in self.drivers:
                self.assertEqual(console_errors(driver), [])
                self.assertIsNone(driver.execute_script('return window.ffXss'))
        finally:
            for driver in self.drivers:
                driver.quit()

    # Helpers

    def browser(self, language='en-US', size=(1920, 1080)):
        driver = start_browser(self.platform.dir, language, size)
        self.drivers.append(driver)
        return driver

    def log_in(self, driver, name):
        driver.get(self.platform.base_url + '/console/')
        wait_for(driver, '#login-name').send_keys(name)
        driver.find_element(By.CSS_SELECTOR, '#login-password').send_keys(PASSWORDS[name])
        driver.find_element(By.CSS_SELECTOR, '#login-submit').click()
        wait_for(driver, '#fleet-chart')

    def go(self, driver, page, ready):
        driver.get(self.platform.base_url + '/console/#/' + page)
        return wait_for(driver, ready)

    def text(self, driver, css):
        return driver.find_element(By.CSS_SELECTOR, css).text

    def cli_json(self, *args):
        return json.loads(self.platform.run(*args, '--json').stdout)

    def api_session(self, name):
        """(cookie, CSRF token) of a session logged in through the API."""
        status, headers, body = self.platform.request('/console/api/login', 'POST', {
            'name': name, 'password': PASSWORDS[name]})
        self.assertEqual(status, 200, body)
        cookie = headers['Set-Cookie'].split(';')[0]
        return cookie, json.loads(body)['csrf_token']

    def point_colour(self, driver, device):
        return driver.find_element(By.CSS_SELECTOR, f'#terminal-map path[data-device="{device}"]') \
            .get_attribute('fill')

    def box(self, driver, device):
        return driver.find_element(By.CSS_SELECTOR, f'#terminal-table input[data-device="{device}"]')

    # Tests

    def test_dispatch_from_the_map_and_the_table(self):
        driver = self.browser()
        self.log_in(driver, 'ops')
        # Fleet: one click from the model's V1.00 to its terminals.
        rows = driver.find_elements(By.CSS_SELECTOR, '#fleet-table tbody tr')
        row = next(r for r in rows if FAULTY_MODEL in r.text and 'V1.00' in r.text)
        row.find_element(By.CSS_SELECTOR, 'a.version-link').click()
        wait_until(driver, lambda d: d.find_elements(By.CSS_SELECTOR, '#match-count'))
        self.assertIn(f'{FAULTY_COUNT} terminals match', self.text(driver, '#match-count'))
        self.assertEqual(len(driver.find_elements(By.CSS_SELECTOR, '#terminal-table tbody tr')),
                         FAULTY_COUNT)
        self.assertEqual(len(driver.find_elements(By.CSS_SELECTOR, '#terminal-map path[data-device]')),
                         FAULTY_COUNT)
        # Selected in the table: the map shows it.
        self.box(driver, 'FTU00001').click()
        wait_until(driver, lambda d: self.point_colour(d, 'FTU00001') == SELECTED)
        self.assertEqual(self.text(driver, '#selected-count'), '1 selected')
        # Selected on the map: the table shows it.
        driver.find_element(By.CSS_SELECTOR, '#terminal-map path[data-device="FTU00002"]').click()
        wait_until(driver, lambda d: self.box(d, 'FTU00002').is_selected())
        self.assertEqual(self.text(driver, '#selected-count'), '2 selected')
        # Unselected on the map.
        driver.find_element(By.CSS_SELECTOR, '#terminal-map path[data-device="FTU00001"]').click()
        wait_until(driver, lambda d: not self.box(d, 'FTU00001').is_selected())
        self.assertNotEqual(self.point_colour(driver, 'FTU00001'), SELECTED)
        driver.find_element(By.CSS_SELECTOR, '#select-page').click()
        wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, '#selected-count').text
                   == f'{FAULTY_COUNT} selected')

        driver.find_element(By.CSS_SELECTOR, '#to-dispatch').click()
        wait_for(driver, '#dispatch-technician')
        self.assertIn(f'{FAULTY_COUNT} terminals selected', self.text(driver, '#dispatch-count'))
        Select(driver.find_element(By.CSS_SELECTOR, '#dispatch-technician')).select_by_value(PHONE)
        Select(driver.find_element(By.CSS_SELECTOR, '#dispatch-firmware')).select_by_value('V2.01')
        for serial in TABLETS[:2]:
            driver.find_element(By.CSS_SELECTOR, f'#dispatch-tablets input[value="{serial}"]').click()
        driver.find_element(By.CSS_SELECTOR, '#dispatch-preview-button').click()
        wait_for(driver, '#preview-table')
        previewed = [r.find_elements(By.TAG_NAME, 'td')[1].text
                     for r in driver.find_elements(By.CSS_SELECTOR, '#preview-table tbody tr')]
        self.assertEqual(sorted(previewed), [f'FTU{i:05d}' for i in range(FAULTY_COUNT)])
        # In route order: much shorter than in the order of their IDs.
        self.assertLess(self.route_length(previewed), self.route_length(sorted(previewed)) * 0.7)
        self.assertTrue(driver.find_elements(By.CSS_SELECTOR, '#dispatch-map path.route'))
        driver.find_element(By.CSS_SELECTOR, '#dispatch-create').click()
        message = wait_for(driver, '#dispatch-message').text
        task_id = self.text(driver, '#created-task')
        self.assertTrue(task_id.startswith(PHONE))
        self.assertIn(task_id, message)
        self.assertEqual(previewed, [item['device_id'] for item in self.task_items(task_id)])

        # Listed, with its tablets checked out.
        self.go(driver, 'tasks', '#task-table')
        self.assertIn(task_id, self.text(driver, '#task-table'))
        driver.find_element(By.LINK_TEXT, task_id).click()
        self.assertEqual(wait_for(driver, '#task-tablets').text, ', '.join(TABLETS[:2]))
        # The tablets' progress: the first logs in for the technician (as a tablet does before it
        # syncs); nothing is reported yet.
        self.assertEqual(self.tablet_progress(driver), {
            TABLETS[0]: ['0 of 12', '0', 'none yet', 'none kept'],
            TABLETS[1]: ['0 of 12', '0', 'none yet', 'none kept']})
        status, _, body = self.platform.request('/api/v1/login', 'POST', {
            'phone': PHONE, 'pin': PIN, 'tablet_serial': TABLETS[0]})
        self.assertEqual(status, 200, body)
        driver.refresh()
        wait_until(driver, lambda d: self.tablet_progress(d)[TABLETS[0]][3] != 'none kept')
        self.assertEqual(self.tablet_progress(driver)[TABLETS[1]][3], 'none kept')
        self.assertEqual(len(driver.find_elements(By.CSS_SELECTOR, '#item-table tbody tr')), FAULTY_COUNT)
        self.go(driver, 'inventory', '#tablet-table')
        states = {r.find_elements(By.TAG_NAME, 'td')[0].text: r.find_elements(By.TAG_NAME, 'td')[1].text
                  for r in driver.find_elements(By.CSS_SELECTOR, '#tablet-table tbody tr')}
        self.assertEqual(states, {TABLETS[0]: 'checked out', TABLETS[1]: 'checked out',
                                  TABLETS[2]: 'in stock'})
        self.assertEqual(self.cli_state(TABLETS[0]), 'checked-out')

    def tablet_progress(self, driver):
        """{serial: [items reported, reports, last report, last login]} as the task's page shows."""
        rows = [[cell.text for cell in row.find_elements(By.TAG_NAME, 'td')]
                for row in wait_for(driver, '#tablet-progress').find_elements(By.CSS_SELECTOR, 'tbody tr')]
        return {row[0]: row[1:] for row in rows}

    def test_technician_add(self):
        driver = self.browser()
        self.log_in(driver, 'ops')
        self.go(driver, 'inventory', '#technician-form')
        for field, value in [('name', '王芳'), ('phone', '13700137000'), ('pin', '135790')]:
            driver.find_element(By.CSS_SELECTOR, '#technician-' + field).send_keys(value)
        driver.find_element(By.CSS_SELECTOR, '#technician-add').click()
        wait_until(driver, lambda d: '13700137000' in self.text(d, '#technician-table'))
        self.assertIn('王芳', self.text(driver, '#technician-table'))
        self.assertIn('13700137000\t王芳', self.platform.run('technicians', 'list').stdout)
        # The PIN is the one given: a tablet logs in with it.
        status, _, body = self.platform.request('/api/v1/login', 'POST', {
            'phone': '13700137000', 'pin': '135790', 'tablet_serial': TABLETS[2]})
        self.assertEqual(status, 200, body)

    def route_length(self, devices):
        where = {t['device_id']: (t['latitude'], t['longitude'])
                 for t in self.cli_json('terminals', 'list', '--model', FAULTY_MODEL)}
        return sum(math.dist(where[a], where[b]) for a, b in zip(devices, devices[1:]))

    def task_items(self, task_id):
        with open(os.path.join(self.platform.data_dir, 'tasks', task_id + '.json'), 'rb') as signed:
            return json.load(signed)['items']

    def test_campaign_from_the_selection(self):
        driver = self.browser()
        self.log_in(driver, 'ops')
        # The Terminals page's version filter comes along: below a version, or running one; with
        # nothing selected, the filter chooses the terminals.
        for compare, running, below in [('below', '', 'V2.01'), ('at_least', '', ''), ('', 'V2.01', '')]:
            self.go(driver, f'campaigns/new?model={NETWORKED_MODEL}&compare={compare}&version=V2.01',
                    '#campaign-form')
            self.assertEqual([driver.find_element(By.CSS_SELECTOR, css).get_attribute('value')
                              for css in ['#campaign-model', '#campaign-running-version', '#campaign-below']],
                             [NETWORKED_MODEL, running, below], compare)
            self.assertTrue(driver.find_element(By.CSS_SELECTOR, '#campaign-by-filter').is_selected())
        # The networked terminals running V1.00, all selected.
        self.go(driver, 'terminals?link=mqtt&version=V1.00', '#terminal-table')
        wait_for(driver, '#select-page').click()
        wait_until(driver, lambda d: self.text(d, '#selected-count') == f'{len(NETWORKED)} selected')
        driver.find_element(By.CSS_SELECTOR, '#to-campaign').click()
        # The form has the Terminals page's filter too.
        self.assertEqual(wait_for(driver, '#campaign-running-version').get_attribute('value'), 'V1.00')
        self.assertTrue(driver.find_element(By.CSS_SELECTOR, '#campaign-by-selection').is_selected())
        Select(driver.find_element(By.CSS_SELECTOR, '#campaign-firmware')).select_by_value('V2.01')
        for field, value in [('waves', '50%,100%'), ('max-failures', '1'),
                             ('name', 'V1.00 <b>faulty</b>')]:
            element = driver.find_element(By.CSS_SELECTOR, '#campaign-' + field)
            element.clear()
            element.send_keys(value)
        driver.find_element(By.CSS_SELECTOR, '#campaign-create').click()
        self.assertEqual(wait_for(driver, '#campaign-state').text, 'draft')
        campaign_id = driver.current_url.split('/')[-1]
        self.assertIn('V1.00 <b>faulty</b>', self.text(driver, 'h1'))
        shown = self.cli_json('campaigns', 'show', campaign_id)
        self.assertEqual([[t['device_id'] for t in w['terminal_list']] for w in shown['wave_list']],
                         [NETWORKED[:2], NETWORKED[2:]])
        self.assertEqual(self.text(driver, '#campaign-wave'), 'not started (2 waves)')

        # Started: the engine sends wave 1's command to NTU00000 and fails NTA00000 (no package),
        # which reaches the threshold: the campaign halts by itself and the page says why.
        driver.find_element(By.CSS_SELECTOR, '#campaign-start').click()
        halt = wait_for(driver, '#campaign-halt')
        self.assertIn('1 terminal failed, the threshold is 1', halt.text)
        self.assertEqual(self.text(driver, '#campaign-state'), 'paused')
        self.assertEqual(self.text(driver, '#campaign-wave'), 'wave 1 of 2')
        self.assertEqual(self.text(driver, '#campaign-threshold'), '1 failed')
        self.assertEqual(self.text(driver, '#wave-progress-1'), 'sent 1 · failed 1')
        self.assertEqual(self.text(driver, '#wave-progress-2'), 'pending 2')
        os.makedirs(SCREENSHOTS, exist_ok=True)
        self.assertTrue(driver.save_screenshot(os.path.join(SCREENSHOTS, 'en-US-1920x1080-campaign-halted.png')))
        # Resumed, the failure accepted; paused and resumed again.
        driver.find_element(By.CSS_SELECTOR, '#campaign-resume').click()
        wait_until(driver, lambda d: self.text(d, '#campaign-state') == 'running')
        self.assertFalse(driver.find_elements(By.CSS_SELECTOR, '#campaign-halt'))
        driver.find_element(By.CSS_SELECTOR, '#campaign-pause').click()
        wait_until(driver, lambda d: self.text(d, '#campaign-state') == 'paused')
        self.assertEqual(self.cli_json('campaigns', 'show', campaign_id)['state'], 'paused')
        driver.find_element(By.CSS_SELECTOR, '#campaign-resume').click()
        wait_until(driver, lambda d: self.text(d, '#campaign-state') == 'running')
        self.assertEqual(self.cli_json('campaigns', 'show', campaign_id)['state'], 'running')
        # A wave's terminals, with the failure's reason.
        driver.find_element(By.CSS_SELECTOR, '#wave-terminals-1 summary').click()
        wait_for(driver, '#wave-terminal-table')
        self.assertIn('not a package for networked terminals', self.text(driver, '#wave-terminals-1'))
        # Listed; every change is in the audit log.
        self.go(driver, 'campaigns', '#campaign-table')
        self.assertIn(campaign_id, self.text(driver, '#campaign-table'))
        cookie, _ = self.api_session('audit')
        _, _, body = self.platform.request('/console/api/audit', headers={'Cookie': cookie})
        actions = [e['action'] for e in json.loads(body)['entries'] if e['target'] == campaign_id]
        self.assertEqual(actions, ['campaign.resume', 'campaign.pause', 'campaign.resume',
                                   'campaign.start', 'campaign.create'])

    def test_campaign_window(self):
        # A draft whose maintenance window opens in two hours, closed now: its page gives the
        # window and that the next wave waits for it.
        hour = time.gmtime().tm_hour
        window = f'{(hour + 2) % 24:02d}:00-{(hour + 3) % 24:02d}:00'
        out = self.platform.run('campaigns', 'create', '--firmware', 'V2.01', '--terminals',
                                'DTU09997', '--waves', '100%', '--max-failures', '1', '--window',
                                window).stdout
        campaign_id = re.search(r'Created campaign (C[0-9]+)', out).group(1)
        try:
            driver = self.browser()
            self.log_in(driver, 'ops')
            shown = self.go(driver, 'campaigns/' + campaign_id, '#campaign-window').text
            self.assertTrue(shown.startswith(
                f'{window} UTC · closed now: the next wave starts no earlier than '), shown)
        finally:
            # The terminal is free again for the other tests.
            self.platform.run('campaigns', 'cancel', campaign_id)

    def test_campaign_wave_pages(self):
        # A running campaign of 150 tablet-only DTU-3000 terminals at V1.10 in one wave: unfolded,
        # the wave shows its first 100 terminals; Next the other 50, and the page's refresh (every
        # 5 s while it runs) keeps that wave and that page; Previous goes back to the first.
        devices = [f'DTU{i:05d}' for i in range(9001, 9001 + 3 * 150, 3)]
        out = self.platform.run('campaigns', 'create', '--firmware', 'V2.01', '--terminals',
                                ','.join(devices), '--waves', '100%', '--max-failures', '1').stdout
        campaign_id = re.search(r'Created campaign (C[0-9]+)', out).group(1)
        try:
            self.platform.run('campaigns', 'start', campaign_id)
            driver = self.browser()
            self.log_in(driver, 'ops')
            self.go(driver, 'campaigns/' + campaign_id, '#wave-table')
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, '#wave-terminal-table'))
            driver.find_element(By.CSS_SELECTOR, '#wave-terminals-1 summary').click()
            wait_for(driver, '#wave-terminal-table')
            range_css = '#wave-terminals-1 .pager .range'
            self.assertEqual(self.text(driver, range_css), '1–100 of 150')
            first_cells = '#wave-terminal-table tbody tr td:nth-child(2)'
            shown = [e.text for e in driver.find_elements(By.CSS_SELECTOR, first_cells)]
            self.assertEqual(shown, devices[:100])
            driver.find_element(By.CSS_SELECTOR, '#next-page').click()
            wait_until(driver, lambda d: self.text(d, range_css) == '101–150 of 150')
            table = driver.find_element(By.CSS_SELECTOR, '#wave-terminal-table')
            self.assertEqual([e.text for e in driver.find_elements(By.CSS_SELECTOR, first_cells)],
                             devices[100:])
            self.assertFalse(driver.find_element(By.CSS_SELECTOR, '#next-page').is_enabled())
            # The refresh draws the page again: the same wave unfolded at the same page.
            wait_until(driver, lambda d: replaced(table))
            wait_until(driver, lambda d: self.text(d, range_css) == '101–150 of 150')
            self.assertEqual([e.text for e in driver.find_elements(By.CSS_SELECTOR, first_cells)],
                             devices[100:])
            driver.find_element(By.CSS_SELECTOR, '#wave-terminals-1 .pager .previous').click()
            wait_until(driver, lambda d: self.text(d, range_css) == '1–100 of 150')
        finally:
            # Its terminals are free again for the other tests.
            self.platform.run('campaigns', 'cancel', campaign_id)

    def test_meter_campaign_links(self):
        # A meter app's campaign lists meters reached over CoAP, not terminals waiting for a tablet.
        image = self.platform.write('relay-2.0.0.bin', b'relay app 2.0.0' * 64)
        package = os.path.join(self.platform.dir, 'relay-2.0.0.ffpkg')
        self.platform.run('packages', 'build', '--vendor', 'Acme', '--model', 'relay', '--hardware',
                          'DDZY-1', '--version', '2.0.0', '--meter-app', image,
                          '--meter-app-version', '2.0.0', '-o', package)
        self.platform.run('meters', 'apps', 'add-package', package, '--app-id', '7', '--resident')
        self.platform.run('meters', 'add', 'M0001', '--vendor', 'Acme', '--model', 'DDZY-1',
                          '--app', 'relay=1.0.0')
        out = self.platform.run('campaigns', 'create', '--meter-app', 'relay', '--version', '2.0.0',
                                '--waves', '100%', '--max-failures', '1').stdout
        campaign_id = re.search(r'Created campaign (C[0-9]+)', out).group(1)
        try:
            driver = self.browser()
            self.log_in(driver, 'ops')
            self.go(driver, 'campaigns/' + campaign_id, '#wave-table')
            driver.find_element(By.CSS_SELECTOR, '#wave-terminals-1 summary').click()
            wait_for(driver, '#wave-terminal-table')
            self.assertEqual(self.text(driver, '#wave-terminal-table tbody tr td:nth-child(3)'),
                             'CoAP (meter)')
        finally:
            self.platform.run('campaigns', 'cancel', campaign_id)

    def test_withdraw_firmware(self):
        driver = self.browser()
        self.log_in(driver, 'ops')
        button = self.go(driver, 'firmware', '#withdraw-Acme-DTU-3000-V2\\.01')
        button.click()
        wait_until(driver, lambda d: button.text == 'Confirm withdrawal')
        button.click()
        wait_until(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, '#withdraw-Acme-DTU-3000-V2\\.01'))
        row = next(r for r in driver.find_elements(By.CSS_SELECTOR, '#firmware-table tbody tr')
                   if 'DTU-3000' in r.text)
        self.assertIn('withdrawn', row.text)
        listed = [f for f in self.cli_json('firmware', 'list') if f['model'] == 'DTU-3000']
        self.assertTrue(listed[0]['withdrawn'])
        # The audit log has it, on the page and in the CSV export.
        self.go(driver, 'audit', '#audit-table')
        self.assertIn('firmware.withdraw', self.text(driver, '#audit-table tbody tr:first-child'))
        self.assertIn('ops', self.text(driver, '#audit-table tbody tr:first-child'))
        cookie = driver.get_cookie('__Host-ff_console')
        status, headers, body = self.platform.request(
            '/console/api/audit.csv', headers={'Cookie': f'__Host-ff_console={cookie["value"]}'})
        self.assertEqual(status, 200)
        self.assertIn('firmware.withdraw', body.decode())

    def test_upload_firmware(self):
        image = bytes((i * 7 + i // 4096) % 256 for i in range(1024 * 1024))
        path = self.platform.write('FTU-200-V3.00.bin', image)
        driver = self.browser()
        self.log_in(driver, 'ops')
        self.go(driver, 'firmware', '#firmware-form')
        for name, value in [('file', path), ('vendor', 'Acme'), ('model', FAULTY_MODEL),
                            ('version', 'V3.00'), ('hardware', 'HV1.0'), ('notes', 'From <b>the</b> console')]:
            driver.find_element(By.CSS_SELECTOR, f'#firmware-{name}').send_keys(value)
        driver.find_element(By.CSS_SELECTOR, '#firmware-upload').click()
        wait_until(driver, lambda d: 'Added firmware V3.00 for Acme FTU-200'
                   in d.find_element(By.CSS_SELECTOR, '#firmware-table + .notice').text)
        row = next(r for r in driver.find_elements(By.CSS_SELECTOR, '#firmware-table tbody tr')
                   if 'V3.00' in r.text)
        self.assertIn('From <b>the</b> console', row.text)
        added = next(f for f in self.cli_json('firmware', 'list') if f['version'] == 'V3.00')
        self.assertEqual(added['sha256'], hashlib.sha256(image).hexdigest())
        self.assertEqual(added['notes'], 'From <b>the</b> console')
        self.assertEqual(driver.find_element(By.CSS_SELECTOR, '#upload-progress').get_property('value'), 1)

        # A package describes itself: only the file is given.
        program = self.platform.write('main-program', '#!/bin/sh\necho V4.00\n')
        package = os.path.join(self.platform.dir, 'v4.ffpkg')
        self.platform.run('packages', 'build', '--vendor', 'Acme', '--model', 'DTU-3000', '--hardware',
                          'HV1.0', '--version', 'V4.00', '--notes', 'Remote fix', '--main-program',
                          program, '--main-program-version', 'V4.00', '-o', package)
        wait_for(driver, '#firmware-file').send_keys(package)
        driver.find_element(By.CSS_SELECTOR, '#firmware-upload').click()
        wait_until(driver, lambda d: 'Added firmware V4.00 for Acme DTU-3000'
                   in d.find_element(By.CSS_SELECTOR, '#firmware-table + .notice').text)
        added = next(f for f in self.cli_json('firmware', 'list') if f['version'] == 'V4.00')
        self.assertEqual(added['notes'], 'Remote fix')

    def test_tablet_add_and_retire(self):
        with open(ed25519_public_key(self.platform, 'TAB-0100')) as pem:
            public_key = pem.read()
        driver = self.browser()
        self.log_in(driver, 'ops')
        self.go(driver, 'inventory', '#tablet-form')
        driver.find_element(By.CSS_SELECTOR, '#tablet-serial').send_keys('TAB-0100')
        driver.find_element(By.CSS_SELECTOR, '#tablet-key').send_keys(public_key)
        driver.find_element(By.CSS_SELECTOR, '#tablet-add').click()
        retire = wait_for(driver, '#retire-TAB-0100')
        self.assertEqual(self.cli_state('TAB-0100'), 'in-stock')
        retire.click()
        wait_until(driver, lambda d: retire.text == 'Confirm retirement')
        retire.click()
        wait_until(driver, lambda d: not d.find_elements(By.CSS_SELECTOR, '#retire-TAB-0100'))
        self.assertEqual(self.cli_state('TAB-0100'), 'retired')

    def test_task_cancel(self):
        """An open task's page cancels it as "tasks cancel" does (asking once more): its tablet
        goes back to stock and the audit log has it. One another operator cancelled first is
        refused, and the page shows it as it is now (before, the console had no Cancel: only
        the CLI could withdraw a task)."""
        self.platform.run('handhelds', 'add', 'TAB-0200', '--pubkey',
                          ed25519_public_key(self.platform, 'TAB-0200'))
        # The last DTU-3000 terminals on V1.10: no other test puts them in a task.
        spare = [t['device_id'] for t in self.cli_json('terminals', 'list', '--model', 'DTU-3000',
                                                       '--version', 'V1.10')][-2:]

        def create(device_id):
            out = self.platform.run('tasks', 'create', '--technician', PHONE, '--handheld',
                                    'TAB-0200', '--firmware', 'V2.01', '--terminals',
                                    device_id).stdout
            return re.search(r'Created task (\S+)', out).group(1)

        def state(task_id):
            return {t['task_id']: t['state'] for t in self.cli_json('tasks', 'list')}[task_id]

        driver = self.browser()
        self.log_in(driver, 'ops')
        task_id = create(spare[0])
        self.go(driver, 'tasks/' + task_id, '#task-cancel')
        self.assertEqual(self.cli_state('TAB-0200'), 'checked-out')
        cancel = driver.find_element(By.CSS_SELECTOR, '#task-cancel')
        cancel.click()
        wait_until(driver, lambda d: cancel.text == 'Confirm cancellation')
        self.assertEqual(state(task_id), 'open')
        cancel.click()
        wait_until(driver, lambda d: self.text(d, '#task-state') == 'cancelled')
        self.assertFalse(driver.find_elements(By.CSS_SELECTOR, '#task-cancel'))
        self.assertEqual(state(task_id), 'cancelled')
        self.assertEqual(self.cli_state('TAB-0200'), 'in-stock')
        self.go(driver, 'audit', '#audit-table')
        self.assertIn('task.cancel', self.text(driver, '#audit-table tbody tr:first-child'))
        self.assertIn(task_id, self.text(driver, '#audit-table tbody tr:first-child'))

        # Cancelled from the CLI while the page still offers Cancel.
        task_id = create(spare[1])
        self.go(driver, 'tasks/' + task_id, '#task-cancel')
        self.platform.run('tasks', 'cancel', task_id)
        driver.find_element(By.CSS_SELECTOR, '#task-cancel').click()
        driver.find_element(By.CSS_SELECTOR, '#task-cancel').click()
        refusal = wait_for(driver, '#task-status.error')
        self.assertIn(f'Task {task_id} is cancelled: only an open task can be cancelled',
                      refusal.text)
        self.assertEqual(self.text(driver, '#task-state'), 'cancelled')
        self.assertFalse(driver.find_elements(By.CSS_SELECTOR, '#task-cancel'))
        for entry in console_errors(driver):
            self.assertIn('409', entry['message'])

    def cli_state(self, serial):
        return {t['serial']: t['state'] for t in self.cli_json('handhelds', 'list')}[serial]

    def test_blacklist_add_and_remove(self):
        driver = self.browser()
        self.log_in(driver, 'ops')
        self.go(driver, 'terminal/FTU00003', '#blacklist-form')
        driver.find_element(By.CSS_SELECTOR, '#blacklist-version').send_keys('V2.01')
        driver.find_element(By.CSS_SELECTOR, '#blacklist-add').click()
        wait_until(driver, lambda d: 'V2.01' in d.find_element(By.CSS_SELECTOR, '#blacklist-table').text)
        self.assertEqual(self.blacklist('FTU00003'), ['V2.01'])
        remove = driver.find_element(By.CSS_SELECTOR, '#blacklist-table button.danger')
        remove.click()
        wait_until(driver, lambda d: remove.text == 'Confirm removal')
        remove.click()
        wait_until(driver, lambda d: 'No version is blacklisted'
                   in d.find_element(By.CSS_SELECTOR, '#blacklist-table').text)
        self.assertEqual(self.blacklist('FTU00003'), [])

    def blacklist(self, device):
        cookie, _ = self.api_session('audit')
        status, _, body = self.platform.request('/console/api/blacklist?device_id=' + device,
                                                headers={'Cookie': cookie})
        self.assertEqual(status, 200)
        return [entry['version'] for entry in json.loads(body)['blacklist']]

    def test_auditor_cannot_change_anything(self):
        driver = self.browser('zh-CN')
        self.log_in(driver, 'audit')
        self.assertEqual(self.text(driver, '#operator-role'), '审计员')
        pages = [('terminals?model=' + FAULTY_MODEL, '#terminal-table'),
                 ('terminal/FTU00004', '#blacklist-table'), ('firmware', '#firmware-table'),
                 ('inventory', '#tablet-table'), ('tasks', '#task-table'), ('audit', '#audit-table'),
                 ('campaigns', '#campaign-table'), ('campaigns/new', 'main h1')]
        for page, ready in pages:
            self.go(driver, page, ready)
            buttons = [b.text for b in driver.find_elements(By.CSS_SELECTOR, 'main button')]
            forms = driver.find_elements(By.CSS_SELECTOR, 'main form:not(#filters)')
            self.assertEqual(forms, [], page)
            self.assertFalse(set(buttons) & {'撤回', '移除', '加入黑名单', '报废', '添加平板', '上传',
                                             '创建任务', '预览', '停用'}, page)
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, '#to-dispatch'), page)
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, '#to-campaign, #campaign-new'), page)
        # And the API refuses an auditor's change, with the right CSRF token.
        cookie, token = self.api_session('audit')
        status, _, body = self.platform.request(
            '/console/api/firmware/V1.00/withdraw?vendor=Acme&model=' + FAULTY_MODEL, 'POST', {},
            headers={'Cookie': cookie, 'X-CSRF-Token': token})
        self.assertEqual(status, 403, body)
        self.assertFalse(next(f for f in self.cli_json('firmware', 'list')
                              if f['model'] == FAULTY_MODEL and f['version'] == 'V1.00')['withdrawn'])

    def test_change_without_csrf_token_refused(self):
        cookie, token = self.api_session('ops')
        # A terminal no other test dispatches: the last request adds the entry.
        change = {'device_id': 'DTU00013', 'vendor': 'Acme', 'model': 'DTU-3000', 'version': 'V2.01'}
        for headers in [{'Cookie': cookie}, {'Cookie': cookie, 'X-CSRF-Token': '0' * len(token)}]:
            status, _, body = self.platform.request('/console/api/blacklist', 'POST', change,
                                                    headers=headers)
            self.assertEqual(status, 403, body)
        self.assertEqual(self.blacklist('DTU00013'), [])
        status, _, body = self.platform.request('/console/api/blacklist', 'POST', change,
                                                headers={'Cookie': cookie, 'X-CSRF-Token': token})
        self.assertEqual(status, 201, body)

    def test_stored_xss_shows_as_text(self):
        driver = self.browser()
        self.log_in(driver, 'ops')
        self.go(driver, f'terminals?model={FAULTY_MODEL}&version=V1.00', '#terminal-table')
        cell = driver.find_elements(By.CSS_SELECTOR, '#terminal-table tbody tr')[0] \
            .find_elements(By.TAG_NAME, 'td')[2]
        self.assertEqual(cell.text, XSS_NAME)
        self.assertEqual(cell.find_elements(By.CSS_SELECTOR, '*'), [])
        self.go(driver, 'terminal/FTU00000', '#terminal-record')
        self.assertIn(XSS_NAME, self.text(driver, '#terminal-record'))
        self.assertIn(XSS_NAME, self.text(driver, 'h1'))
        self.assertEqual(driver.find_elements(By.CSS_SELECTOR, 'main script, main img, main svg:not(.chart)'), [])

    def test_long_names_stay_in_their_cards(self):
        """At 1366×768, each table with the long names stays inside its card (no column pushed out
        of sight, nothing drawn over the next card) and shows each name whole; the chart's label
        for the long vendor and model stays inside the chart, cut with an ellipsis, whole in its
        title. A short word beside a long name (a phone number) is not broken for it."""
        driver = self.browser(size=(1366, 768))
        self.log_in(driver, 'ops')
        outside_cards = """
            return [...document.querySelectorAll('table.data')]
              .filter((t) => t.getBoundingClientRect().right
                             > t.closest('.card').getBoundingClientRect().right + 1)
              .map((t) => t.id);"""
        for page, table, names in [
                ('fleet', '#fleet-table', [LONG_VENDOR, LONG_MODEL]),
                (f'terminals?vendor={LONG_VENDOR}', '#terminal-table', list(LONG_NAMES.values())),
                ('inventory', '#technician-table', [LONG_TECHNICIAN])]:
            self.go(driver, page, table)
            wait_until(driver, lambda d: names[0] in self.text(d, table).replace('\n', ''))
            self.assertEqual(driver.execute_script(outside_cards), [], page)
            shown = self.text(driver, table).replace('\n', '')
            for name in names:
                self.assertIn(name, shown, page)
        row = [r for r in driver.find_elements(By.CSS_SELECTOR, '#technician-table tbody tr')
               if LONG_TECHNICIAN in r.text.replace('\n', '')][0]
        self.assertIn('13600136000', row.text)
        self.go(driver, 'fleet', '#fleet-chart')
        whole = 'return (arguments[0].querySelector("title") ?? arguments[0]).textContent'
        label = [t for t in driver.find_elements(By.CSS_SELECTOR, '#fleet-chart .bar-label')
                 if driver.execute_script(whole, t) == f'{LONG_VENDOR} {LONG_MODEL}'][0]
        self.assertGreaterEqual(driver.execute_script('return arguments[0].getBBox().x', label), 0)
        self.assertTrue(label.text.startswith('VVV') and label.text.endswith('…'), label.text)

    @contextlib.contextmanager
    def empty_platform(self):
        """A platform of its own with no terminal and no firmware; yields a browser logged in as admin."""
        empty = Platform()
        try:
            empty.run('operators', 'add', '--name', 'admin', '--role', 'admin', '--password-stdin',
                      input_text=PASSWORDS['admin'] + '\n')
            empty.start()
            driver = start_browser(empty.dir)
            self.drivers.append(driver)
            driver.get(empty.base_url + '/console/')
            wait_for(driver, '#login-name').send_keys('admin')
            driver.find_element(By.CSS_SELECTOR, '#login-password').send_keys(PASSWORDS['admin'])
            driver.find_element(By.CSS_SELECTOR, '#login-submit').click()
            wait_for(driver, '#fleet-chart')
            yield empty, driver
            self.assertEqual(console_errors(driver), [])
        finally:
            for driver in self.drivers:
                driver.quit()
            self.drivers = []
            empty.stop()

    def test_empty_ledger_says_so(self):
        """A platform with no terminal: the Fleet chart's card says the ledger is empty, not blank."""
        with self.empty_platform() as (_, driver):
            self.assertEqual(self.text(driver, '#fleet-total'), '0')
            self.assertEqual(wait_for(driver, '#fleet-chart-empty').text, 'The ledger is empty')

    def test_new_campaign_without_firmware_says_so(self):
        """A platform with no firmware: the new campaign form says to add firmware first (and links
        to the Firmware page) instead of an empty target list, and cannot be submitted."""
        with self.empty_platform() as (empty, driver):
            driver.get(empty.base_url + '/console/#/campaigns/new')
            hint = wait_for(driver, '#campaign-no-firmware')
            self.assertIn('add it first on the Firmware page or with fieldflash-platform firmware add',
                          hint.text)
            self.assertEqual(driver.find_elements(By.CSS_SELECTOR, '#campaign-firmware option'), [])
            self.assertFalse(driver.find_element(By.CSS_SELECTOR, '#campaign-create').is_enabled())
            driver.find_element(By.CSS_SELECTOR, '#campaign-add-firmware').click()
            wait_for(driver, '#firmware-form')

    def test_campaign_page_through_a_restart_and_another_operator(self):
        """A running campaign's page while another operator changes it and serve restarts: a
        change the other made first is refused and the page shows the campaign as it is now; with
        serve down the page says it cannot be updated, and once serve is back it shows what
        changed meanwhile (before, the page kept its stale state and buttons for good)."""
        with self.empty_platform() as (own, driver):
            rows = ['device_id,name,latitude,longitude,vendor,model,hardware_version,'
                    'software_version,software_checksum,host,port,common_address,profile']
            rows += [f'RST{i:05d},Restart {i},39.9,116.4,Acme,RST-1,HV1.0,V1.00,,127.0.0.1,2404,'
                     f'{i + 1},state-grid' for i in range(3)]
            own.run('terminals', 'import', own.write('ledger.csv', '\n'.join(rows) + '\n'))
            own.run('firmware', 'add', own.write('rst.bin', bytes(range(256)) * 8), '--vendor',
                    'Acme', '--model', 'RST-1', '--version', 'V2.00', '--hardware', 'HV1.0')
            # Tablet-only terminals: wave 1 waits for their reports, so the campaign stays running.
            own.run('campaigns', 'create', '--firmware', 'V2.00', '--running-version', 'V1.00',
                    '--waves', '100%', '--max-failures', '1')
            own.run('campaigns', 'start', 'C1')
            driver.get(own.base_url + '/console/#/campaigns/C1')
            wait_until(driver, lambda d: self.text(d, '#campaign-state') == 'running')

            # Another operator pauses it first: this page's pause is refused, and says why, and
            # the page shows the campaign paused, with the button that resumes it.
            own.run('campaigns', 'pause', 'C1')
            driver.find_element(By.CSS_SELECTOR, '#campaign-pause').click()
            refusal = wait_for(driver, '#campaign-status.error')
            self.assertIn('Campaign C1 is paused: it cannot become paused', refusal.text)
            self.assertEqual(self.text(driver, '#campaign-state'), 'paused')
            driver.find_element(By.CSS_SELECTOR, '#campaign-resume').click()
            wait_until(driver, lambda d: self.text(d, '#campaign-state') == 'running')

            # serve stops: the page says it cannot be updated; meanwhile another operator pauses
            # the campaign; serve starts again on the same port and the page shows it paused.
            listen = own.base_url.split('//')[1]
            own.stop_server()
            status = wait_for(driver, '#campaign-status.error')
            self.assertIn('The platform cannot be reached', status.text)
            own.run('campaigns', 'pause', 'C1')
            own.start(listen)
            wait_until(driver, lambda d: self.text(d, '#campaign-state') == 'paused')
            self.assertEqual(self.text(driver, '#campaign-status'), '')
            # What the browser logged: the refused change and the requests while serve was down.
            for entry in console_errors(driver):
                self.assertTrue('409' in entry['message'] or 'ERR_CONNECTION_REFUSED'
                                in entry['message'], entry)

    def test_campaign_left_out(self):
        """A terminal blacklisted after its campaign was made is left out when its wave starts:
        the page names it, counts it finished in the wave table, draws it in a colour of its own,
        and the campaign runs on (before, it failed and the campaign halted)."""
        with self.empty_platform() as (own, driver):
            # The wave's broker settings are read when it starts: serve runs already.
            devices = ['NTU10000', 'NTU10001']
            add_networked_terminals(own, devices)
            own.run('campaigns', 'create', '--firmware', 'V2.01', '--terminals', ','.join(devices),
                    '--waves', '100%', '--max-failures', '1')
            own.run('blacklist', 'add', 'V2.01', devices[1])
            own.run('campaigns', 'start', 'C1')
            driver.get(own.base_url + '/console/#/campaigns/C1')
            wait_until(driver, lambda d: self.text(d, '#wave-progress-1') == 'sent 1 · left out 1')
            self.assertEqual(self.text(driver, '#campaign-state'), 'running')
            self.assertFalse(driver.find_elements(By.CSS_SELECTOR, '#campaign-halt'))
            self.assertEqual(self.text(driver, '#wave-table tbody tr td:nth-child(3)'), '1')
            colours = {state: driver.find_element(
                By.CSS_SELECTOR, f'#wave-progress-1 .segment.state-{state}').value_of_css_property(
                    'background-color') for state in ['sent', 'left-out']}
            self.assertNotEqual(colours['left-out'], colours['sent'])
            self.assertNotEqual(colours['left-out'], 'rgba(0, 0, 0, 0)')

    def test_language_follows_the_browser_and_switches(self):
        driver = self.browser('zh-CN')
        driver.get(self.platform.base_url + '/console/')
        self.assertEqual(wait_for(driver, '#login-submit').text, '登录')
        Select(driver.find_element(By.CSS_SELECTOR, '#language')).select_by_value('en')
        wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, '#login-submit').text == 'Log in')
        self.log_in(driver, 'ops')
        self.assertEqual(self.text(driver, '#nav-fleet'), 'Fleet')
        Select(driver.find_element(By.CSS_SELECTOR, '#language')).select_by_value('zh_CN')
        wait_until(driver, lambda d: d.find_element(By.CSS_SELECTOR, '#nav-fleet').text == '终端总览')
        self.assertEqual(driver.execute_script('return document.documentElement.lang'), 'zh-CN')

    def test_screenshots(self):
        os.makedirs(SCREENSHOTS, exist_ok=True)
        pages = [('fleet', '#fleet-chart'),
                 (f'terminals?model={FAULTY_MODEL}&version=V1.00', '#terminal-map path[data-device]'),
                 ('terminals', '#terminal-table'), ('terminal/FTU00000', '#version-history'),
                 ('firmware', '#firmware-table'), ('tasks', '#task-table'),
                 ('inventory', '#tablet-table'), ('audit', '#audit-table'),
                 ('campaigns', '#campaign-table'), ('campaigns/new', '#campaign-form')]
        # The campaign and the task the other tests made, if they ran first.
        pages += [('campaigns/' + c['campaign_id'], '#wave-table')
                  for c in self.cli_json('campaigns', 'list')[:1]]
        pages += [('tasks/' + t['task_id'], '#tablet-progress')
                  for t in self.cli_json('tasks', 'list')[:1]]
        for language in ['en-US', 'zh-CN']:
            for size in [(1920, 1080), (1366, 768)]:
                driver = self.browser(language, size)
                driver.get(self.platform.base_url + '/console/')
                wait_for(driver, '#login-name')
                prefix = os.path.join(SCREENSHOTS, f'{language}-{size[0]}x{size[1]}-')
                driver.save_screenshot(prefix + 'login.png')
                self.log_in(driver, 'admin')
                for page, ready in pages:
                    self.go(driver, page, ready)
                    name = page.split('?')[0].replace('/', '-') + ('-selection' if '?' in page else '')
                    self.assertTrue(driver.save_screenshot(prefix + name + '.png'))
                # A dispatch's preview (of terminals no other test dispatches).
                self.go(driver, 'terminals?model=RTU-9&version=V1.00', '#select-page').click()
                driver.find_element(By.CSS_SELECTOR, '#to-dispatch').click()
                for serial in TABLETS[2:]:
                    wait_for(driver, f'#dispatch-tablets input[value="{serial}"]').click()
                driver.find_element(By.CSS_SELECTOR, '#dispatch-preview-button').click()
                wait_for(driver, '#dispatch-map path.route')
                self.assertTrue(driver.save_screenshot(prefix + 'dispatch.png'))


if __name__ == '__main__':
    unittest.main(verbosity=2)
